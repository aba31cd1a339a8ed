//! The report as plain-text tables for the command line.

use agora_mechanisms::format::{num, table};

use super::Report;

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Every section of the report as text; `top` bounds the gap and rule lists.
pub fn render(report: &Report, top: usize) -> String {
    let m = &report.metrics;
    let mut out = format!("report of \"{}\": objective {}\n\n", report.instance, num(report.objective));

    out.push_str("Overall\n");
    let mut rows = vec![vec!["metric".to_string(), "value".to_string()]];
    let mut add = |k: &str, v: String| rows.push(vec![k.to_string(), v]);
    add("impressions", num(m.plan.impressions));
    add("engagement", num(m.engagement));
    add("quality (impression-weighted)", num(m.quality));
    add("revenue", num(m.plan.revenue));
    add("rpm (revenue per 1000 impressions)", num(m.rpm));
    add("ad load", pct(m.plan.ad_load));
    add("freshness share", pct(m.freshness_share));
    add("integrity rate", format!("{:.3}%", 100.0 * m.integrity_rate));
    add("creator Gini", num(m.plan.creator_gini));
    add("creator HHI", num(m.creator_hhi));
    add("creator entropy (bits)", num(m.creator_entropy_bits));
    add("effective catalog size (items)", num(m.effective_catalog_size));
    add("coverage (organic items served)", pct(m.coverage));
    add("creators without exposure", pct(m.zero_exposure_creators));
    for (g, s) in &m.group_share {
        add(&format!("group share: {g}"), pct(*s));
    }
    add("budget utilisation", pct(m.budget_utilisation));
    out.push_str(&table(&rows));

    if !m.budgets.is_empty() || !m.floors.is_empty() {
        out.push_str("\nBudgets and floors\n");
        let mut rows = vec![vec!["rule".into(), "bound".into(), "achieved".into(), "share".into()]];
        for b in &m.budgets {
            rows.push(vec![format!("budget[{}]", b.campaign), num(b.budget), num(b.spend), pct(b.utilisation)]);
        }
        for f in &m.floors {
            rows.push(vec![format!("{} ({})", f.name, f.kind), num(f.min), num(f.achieved), pct(f.attainment)]);
        }
        out.push_str(&table(&rows));
    }

    out.push_str("\nSegments\n");
    let mut rows = vec![["segment", "impressions", "ad load", "fresh", "integrity", "cap", "topic entropy", "largest topic"].map(String::from).to_vec()];
    for s in &m.segments {
        rows.push(vec![
            s.segment.clone(),
            num(s.impressions),
            pct(s.ad_load),
            pct(s.freshness_share),
            format!("{:.3}%", 100.0 * s.integrity_rate),
            s.integrity_cap.map(|c| format!("{:.3}%", 100.0 * c)).unwrap_or_else(|| "-".into()),
            format!("{:.2} bits", s.topic_entropy_bits),
            s.largest_topic.as_ref().map(|(t, v)| format!("{t} {}", pct(*v))).unwrap_or_else(|| "-".into()),
        ]);
    }
    out.push_str(&table(&rows));

    if !report.constraint_prices.is_empty() {
        out.push_str("\nPrice of each rule (re-solved without it; objective units)\n");
        let mut prices: Vec<_> = report.constraint_prices.iter().collect();
        prices.sort_by(|a, b| b.price.unwrap_or(f64::INFINITY).total_cmp(&a.price.unwrap_or(f64::INFINITY)));
        let mut rows = vec![["rule", "type", "without it", "price", "re-solve", "seconds"].map(String::from).to_vec()];
        for p in prices.into_iter().take(top) {
            rows.push(vec![
                p.name.clone(),
                p.kind.to_string(),
                p.objective_without.map(num).unwrap_or_else(|| "-".into()),
                p.price.map(num).unwrap_or_else(|| "-".into()),
                p.status.to_string(),
                format!("{:.2}{}", p.seconds, if p.warm_start { " (warm)" } else { "" }),
            ]);
        }
        out.push_str(&table(&rows));
    }

    out.push_str(&format!("\nContent gaps: value per impression of a new organic item, profile {} (best first)\n", report.gap_profile.as_str()));
    let mut rows = vec![["segment", "topic", "value", "c", "has edges", "basis", "held back most by"].map(String::from).to_vec()];
    for g in report.gaps.iter().take(top) {
        rows.push(vec![
            g.segment.clone(),
            g.topic.clone(),
            num(g.value),
            num(g.objective_coefficient),
            g.existing_edges.to_string(),
            g.item.basis.as_str().to_string(),
            g.priced_rows.first().map(|(r, v)| format!("{r} ({})", num(*v))).unwrap_or_else(|| "-".into()),
        ]);
    }
    out.push_str(&table(&rows));
    out
}
