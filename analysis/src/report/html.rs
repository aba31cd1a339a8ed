//! `index.html`: the report as one self-contained page (docs/reports.md#the-page), built from the
//! same JSON value `report.json` is written from, with the same four charts inline.
//!
//! Sections: headline figures, "what binds" in words, rule prices, shadow prices, creators
//! (Lorenz curve, group shares), topic mix (chart and per-segment table with the chart's topic
//! colours), budgets and floors, content gaps, and incentives when the report has an audit.

use serde_json::Value;

use super::charts::topic_color;
use crate::html::{escape, lookup, num, swatch, text, Col, Fmt, Page, Table};

/// Bars of a rule's or row's price within this fraction of the optimum are "costs nothing".
const NEGLIGIBLE: f64 = 1e-9;

fn arr<'a>(doc: &'a Value, path: &str) -> &'a [Value] {
    lookup(doc, path).and_then(Value::as_array).map_or(&[], |a| a.as_slice())
}

fn f(doc: &Value, path: &str) -> Option<f64> {
    lookup(doc, path).and_then(Value::as_f64)
}

/// The topics of the report, alphabetically (the colour order of [`topic_color`]).
fn topics(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in arr(doc, "/segments") {
        if let Some(Value::Object(m)) = s.get("topic_mix") {
            out.extend(m.keys().cloned());
        }
    }
    out.extend(arr(doc, "/gaps").iter().filter_map(|g| g.get("topic").and_then(Value::as_str).map(String::from)));
    out.sort();
    out.dedup();
    out
}

fn topic_swatch(topics: &[String], topic: &str) -> String {
    let c = topic_color(topics.binary_search(&topic.to_string()).unwrap_or(0));
    swatch((c.0, c.1, c.2), topic)
}

/// The page of a report whose JSON value is `doc`; `charts` are `(file name, SVG text)`.
pub fn page(doc: &Value, charts: &[(&str, String)]) -> String {
    let chart = |name: &str| charts.iter().find(|c| c.0 == name).map(|c| c.1.as_str()).unwrap_or("");
    // A section that opens with one of the report's charts and its caption.
    let section_with_chart = |p: &mut Page, id: &str, heading: &str, name: &str, caption: &str| {
        p.section(id, heading);
        p.figure(name, chart(name), caption);
    };
    let instance = text(doc, "/instance");
    let mut p = Page::new(
        &format!("agora report: {}", lookup(doc, "/instance").and_then(Value::as_str).unwrap_or("")),
        &format!("Ecosystem report of an optimal plan of <b>{instance}</b> (agora.report/v1; optimum {}).", num(doc, "/objective", Fmt::Number)),
    );
    p.cards(&[
        ("objective (optimum)", num(doc, "/objective", Fmt::Number)),
        ("impressions", num(doc, "/overall/impressions", Fmt::Number)),
        ("engagement", num(doc, "/overall/engagement", Fmt::Number)),
        ("revenue", num(doc, "/overall/revenue", Fmt::Number)),
        ("RPM (revenue per 1000)", num(doc, "/overall/rpm", Fmt::Number)),
        ("ad load", num(doc, "/overall/ad_load", Fmt::Percent)),
        ("creator Gini", num(doc, "/overall/creator_gini", Fmt::Number)),
        ("new-creator share", num(doc, "/overall/new_creator_share", Fmt::Percent)),
        ("integrity rate", num(doc, "/overall/integrity_rate", Fmt::Percent)),
        ("budget utilisation", num(doc, "/overall/budget_utilisation", Fmt::Percent)),
    ]);

    p.section("binds", "What binds");
    p.bullets(&what_binds(doc));

    section_with_chart(
        &mut p,
        "rules",
        "Price of each rule",
        "rule_prices.svg",
        "Objective units the day would gain if the rule were dropped (the day re-solved without it). 0: the rule costs nothing today.",
    );
    let mut t = Table::new(&["rule", "type", "optimum without it", "price", "% of optimum", "re-solve"], &[false, false, true, true, true, false]);
    let optimum = f(doc, "/objective").unwrap_or(0.0);
    for (k, c) in arr(doc, "/constraint_prices").iter().enumerate() {
        let share = match (c.get("price").and_then(Value::as_f64), optimum) {
            (Some(v), o) if o != 0.0 => crate::html::format_percent(v / o.abs()),
            _ => "&ndash;".into(),
        };
        t.row(vec![
            text(doc, &format!("/constraint_prices/{k}/name")),
            text(doc, &format!("/constraint_prices/{k}/type")),
            num(doc, &format!("/constraint_prices/{k}/objective_without"), Fmt::Number),
            num(doc, &format!("/constraint_prices/{k}/price"), Fmt::Number),
            share,
            text(doc, &format!("/constraint_prices/{k}/status")),
        ]);
    }
    if t.is_empty() {
        p.paragraph("<span class=\"muted\">Rule prices were not computed for this report.</span>");
    } else {
        p.table(&t);
    }

    section_with_chart(&mut p, "shadow", "Shadow prices of binding rows", "shadow_prices.svg", "d(optimum)/d(parameter) of each row with a non-zero dual: objective units per impression (supply, caps, exposure bounds), per currency unit (budgets, revenue floor), per percentage point (shares, tolerances).");
    // A large day binds thousands of rows: the page shows the largest shadow prices.
    let binding = arr(doc, "/binding_rules");
    let mut order: Vec<usize> = (0..binding.len()).collect();
    let price = |k: &usize| binding[*k].get("shadow_price").and_then(Value::as_f64).unwrap_or(0.0).abs();
    order.sort_by(|a, b| price(b).total_cmp(&price(a)).then(a.cmp(b)));
    order.truncate(PAGE_ROWS);
    shown_of(&mut p, order.len(), binding.len(), "rows with a non-zero dual, largest shadow price first", "binding_rules.csv");
    let t = Table::of_list_rows(
        doc,
        "/binding_rules",
        &[
            Col::Text("row", "row"),
            Col::Text("type", "type"),
            Col::Text("parameter", "parameter"),
            Col::Num("dual", "dual", Fmt::Number),
            Col::Num("shadow price", "shadow_price", Fmt::Number),
        ],
        order,
    );
    p.table(&t);

    section_with_chart(
        &mut p,
        "creators",
        "Creators",
        "lorenz.svg",
        "Lorenz curve: creators sorted by organic impressions; the further below the diagonal, the more concentrated the exposure.",
    );
    let mut t = Table::new(&["metric", "value"], &[false, true]);
    t.row(vec!["creator Gini".into(), num(doc, "/overall/creator_gini", Fmt::Number)]);
    t.row(vec!["creator HHI".into(), num(doc, "/overall/creator_hhi", Fmt::Number)]);
    t.row(vec!["creator entropy (bits)".into(), num(doc, "/overall/creator_entropy", Fmt::Number)]);
    t.row(vec!["effective catalog size (items)".into(), num(doc, "/overall/effective_catalog_size", Fmt::Number)]);
    t.row(vec!["coverage (organic items served)".into(), num(doc, "/overall/coverage", Fmt::Percent)]);
    t.row(vec!["creators without exposure".into(), num(doc, "/overall/zero_exposure_creators", Fmt::Percent)]);
    if let Some(Value::Object(groups)) = lookup(doc, "/overall/group_share") {
        for g in groups.keys() {
            t.row(vec![format!("share of group {}", escape(g)), num(doc, &format!("/overall/group_share/{}", crate::html::pointer_key(g)), Fmt::Percent)]);
        }
    }
    p.table(&t);

    section_with_chart(
        &mut p,
        "topics",
        "Topic mix",
        "topic_mix.svg",
        "Each topic's share of a segment's impressions (ads included), in the same colours as the table below.",
    );
    let topics = topics(doc);
    let mut t = Table::new(
        &["segment", "impressions", "supply", "ad load", "fresh", "integrity rate", "integrity cap", "topic entropy (bits)", "largest topic", "mix"],
        &[false, true, true, true, true, true, true, true, false, false],
    );
    let segments = arr(doc, "/segments");
    shown_of(&mut p, segments.len().min(PAGE_ROWS), segments.len(), "segments", "report.json");
    for (k, s) in segments.iter().enumerate().take(PAGE_ROWS) {
        let mut mix = String::from("<div class=\"mix\">");
        if let Some(Value::Object(m)) = s.get("topic_mix") {
            for (topic, share) in m {
                let c = topic_color(topics.binary_search(topic).unwrap_or(0));
                let w = 100.0 * share.as_f64().unwrap_or(0.0);
                mix.push_str(&format!("<span title=\"{} {:.1}%\" style=\"width:{w:.3}%;background:rgb({},{},{})\"></span>", escape(topic), w, c.0, c.1, c.2));
            }
        }
        mix.push_str("</div>");
        let largest = s.get("largest_topic").and_then(Value::as_str).map(|t| topic_swatch(&topics, t)).unwrap_or_default();
        t.row(vec![
            text(doc, &format!("/segments/{k}/segment")),
            num(doc, &format!("/segments/{k}/impressions"), Fmt::Number),
            num(doc, &format!("/segments/{k}/supply"), Fmt::Number),
            num(doc, &format!("/segments/{k}/ad_load"), Fmt::Percent),
            num(doc, &format!("/segments/{k}/freshness_share"), Fmt::Percent),
            num(doc, &format!("/segments/{k}/integrity_rate"), Fmt::Percent),
            num(doc, &format!("/segments/{k}/integrity_cap"), Fmt::Percent),
            num(doc, &format!("/segments/{k}/topic_entropy"), Fmt::Number),
            format!("{largest} {}", num(doc, &format!("/segments/{k}/largest_topic_share"), Fmt::Percent)),
            mix,
        ]);
    }
    p.table(&t);
    p.raw("<style>.mix span{display:block;height:100%}</style>");

    p.section("budgets", "Budgets and floors");
    let t = Table::of_list(
        doc,
        "/overall/budgets",
        &[
            Col::Text("campaign", "campaign"),
            Col::Num("budget", "budget", Fmt::Number),
            Col::Num("spend", "spend", Fmt::Number),
            Col::Num("utilisation", "utilisation", Fmt::Percent),
        ],
    );
    if t.is_empty() {
        p.paragraph("<span class=\"muted\">No campaign has a budget.</span>");
    } else {
        p.table(&t);
    }
    let t = Table::of_list(
        doc,
        "/overall/floors",
        &[
            Col::Text("floor", "name"),
            Col::Text("type", "type"),
            Col::Num("min", "min", Fmt::Number),
            Col::Num("achieved", "achieved", Fmt::Number),
            Col::Num("attainment", "attainment", Fmt::Percent),
        ],
    );
    if !t.is_empty() {
        p.table(&t);
    }

    p.section("gaps", "Content gaps");
    p.paragraph(&format!(
        "Value per impression of a new organic item of a topic shown in a segment, priced with the plan's duals (profile <b>{}</b>); \
         positive: the segment would take more of that topic. Best first.",
        text(doc, "/gap_profile")
    ));
    let mut t = Table::new(
        &["rank", "segment", "topic", "value per impression", "objective coefficient", "engagement", "quality", "existing edges", "basis", "held back most by"],
        &[true, false, false, true, true, true, true, true, false, false],
    );
    let gaps = arr(doc, "/gaps");
    shown_of(&mut p, gaps.len().min(PAGE_ROWS), gaps.len(), "gaps, best first", "gaps.csv");
    for (k, g) in gaps.iter().enumerate().take(PAGE_ROWS) {
        let held = g
            .get("priced_rows")
            .and_then(Value::as_array)
            .and_then(|rows| rows.first())
            .map(|_| {
                format!("{} ({})", text(doc, &format!("/gaps/{k}/priced_rows/0/row")), num(doc, &format!("/gaps/{k}/priced_rows/0/contribution"), Fmt::Number))
            })
            .unwrap_or_default();
        t.row(vec![
            num(doc, &format!("/gaps/{k}/rank"), Fmt::Number),
            text(doc, &format!("/gaps/{k}/segment")),
            topic_swatch(&topics, g.get("topic").and_then(Value::as_str).unwrap_or("")),
            num(doc, &format!("/gaps/{k}/value"), Fmt::Number),
            num(doc, &format!("/gaps/{k}/objective_coefficient"), Fmt::Number),
            num(doc, &format!("/gaps/{k}/engagement"), Fmt::Number),
            num(doc, &format!("/gaps/{k}/quality"), Fmt::Number),
            num(doc, &format!("/gaps/{k}/existing_edges"), Fmt::Number),
            text(doc, &format!("/gaps/{k}/basis")),
            held,
        ]);
    }
    p.table(&t);
    super::incentives::section(&mut p, doc);
    p.finish()
}

/// Rows a long table shows on the page; every row is in `report.json` (and the CSV files).
pub const PAGE_ROWS: usize = 100;

/// Says that a table shows `shown` of `total` `what` when it does not show them all, and where
/// the rest are.
fn shown_of(p: &mut Page, shown: usize, total: usize, what: &str, file: &str) {
    if shown < total {
        p.paragraph(&format!("<span class=\"muted\">The {shown} first of {total} {what}; every one is in report.json and {file}.</span>"));
    }
}

/// "What binds", in sentences: the costliest rules, the rules that cost nothing, the tightest
/// rows per kind of parameter, spent budgets and floors met exactly.
pub fn what_binds(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let optimum = f(doc, "/objective").unwrap_or(0.0);
    let scale = optimum.abs().max(1.0);
    let prices = arr(doc, "/constraint_prices");
    let mut priced: Vec<(usize, f64)> = prices.iter().enumerate().filter_map(|(k, c)| Some((k, c.get("price")?.as_f64()?))).collect();
    priced.sort_by(|a, b| b.1.total_cmp(&a.1));
    let costly: Vec<&(usize, f64)> = priced.iter().filter(|(_, v)| *v > NEGLIGIBLE * scale).collect();
    match costly.first() {
        Some(&&(k, v)) => out.push(format!(
            "The costliest rule is <b>{}</b> ({}): dropping it would raise the optimum by {} ({} of it).{}",
            text(doc, &format!("/constraint_prices/{k}/name")),
            text(doc, &format!("/constraint_prices/{k}/type")),
            num(doc, &format!("/constraint_prices/{k}/price"), Fmt::Number),
            crate::html::format_percent(v / scale),
            match costly.get(1) {
                Some(&&(j, _)) => format!(
                    " Next: <b>{}</b> ({}).",
                    text(doc, &format!("/constraint_prices/{j}/name")),
                    num(doc, &format!("/constraint_prices/{j}/price"), Fmt::Number)
                ),
                None => String::new(),
            }
        )),
        None if !prices.is_empty() => out.push("No rule costs anything today: the plan would be the same without any of them.".into()),
        None => {}
    }
    let free: Vec<String> = priced
        .iter()
        .filter(|(_, v)| *v <= NEGLIGIBLE * scale)
        .map(|(k, _)| format!("<b>{}</b>", text(doc, &format!("/constraint_prices/{k}/name"))))
        .collect();
    if !free.is_empty() && !costly.is_empty() {
        out.push(format!(
            "{} of {} rules cost something; {} {} nothing at today's plan (not binding, or binding at no cost).",
            costly.len(),
            prices.len(),
            free.join(", "),
            if free.len() == 1 { "costs" } else { "cost" }
        ));
    }
    // The tightest row per kind of parameter: comparable units only.
    let rows = arr(doc, "/binding_rules");
    let mut kinds: Vec<&str> = rows.iter().filter_map(|r| r.get("parameter")?.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let same: Vec<usize> = (0..rows.len()).filter(|&k| rows[k].get("parameter").and_then(Value::as_str) == Some(kind)).collect();
        let Some(&top) = same.iter().max_by(|&&a, &&b| {
            let v = |k: usize| rows[k].get("shadow_price").and_then(Value::as_f64).unwrap_or(0.0).abs();
            v(a).total_cmp(&v(b))
        }) else {
            continue;
        };
        // The units of the shadow-price chart: shares and tolerances per percentage point.
        let (scale, unit) = match kind {
            "supply" | "cap" => (1.0, "per impression".to_string()),
            "budget" => (1.0, "per currency unit".to_string()),
            "max_share" | "min_share" | "tolerance" => (0.01, format!("per percentage point of {kind}")),
            "min" | "max" if rows[top].get("type").and_then(Value::as_str) == Some("revenue_floor") => (1.0, "per currency unit".to_string()),
            "min" | "max" => (1.0, "per impression".to_string()),
            k => (1.0, format!("per unit of {k}")),
        };
        out.push(format!(
            "{} binding {} row{}; the tightest is <b>{}</b>: {} {}.",
            same.len(),
            escape(kind),
            if same.len() == 1 { "" } else { "s" },
            text(doc, &format!("/binding_rules/{top}/row")),
            crate::html::num_scaled(doc, &format!("/binding_rules/{top}/shadow_price"), scale, Fmt::Number),
            unit
        ));
    }
    let budgets = arr(doc, "/overall/budgets");
    if !budgets.is_empty() {
        let spent = budgets.iter().filter(|b| b.get("utilisation").and_then(Value::as_f64).is_some_and(|u| u >= 1.0 - 1e-6)).count();
        out.push(format!(
            "{spent} of {} campaigns spend their whole budget; overall utilisation {}.",
            budgets.len(),
            num(doc, "/overall/budget_utilisation", Fmt::Percent)
        ));
    }
    let floors = arr(doc, "/overall/floors");
    let exact: Vec<String> = (0..floors.len())
        .filter(|&k| floors[k].get("attainment").and_then(Value::as_f64).is_some_and(|a| (a - 1.0).abs() <= 1e-6))
        .map(|k| format!("<b>{}</b>", text(doc, &format!("/overall/floors/{k}/name"))))
        .collect();
    if !exact.is_empty() {
        out.push(format!("Met exactly (the plan stops at the floor): {}.", exact.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::json!({
            "instance": "tiny", "objective": 100.0,
            "overall": {"budgets": [{"campaign": "a", "budget": 10.0, "spend": 10.0, "utilisation": 1.0},
                                    {"campaign": "b", "budget": 10.0, "spend": 5.0, "utilisation": 0.5}],
                        "budget_utilisation": 0.75,
                        "floors": [{"name": "rev", "type": "revenue_floor", "min": 3.0, "achieved": 3.0, "attainment": 1.0}]},
            "constraint_prices": [
                {"name": "cheap", "type": "ad_load", "price": 2.0, "objective_without": 102.0, "status": "optimal"},
                {"name": "dear", "type": "topic_cap", "price": 25.0, "objective_without": 125.0, "status": "optimal"},
                {"name": "free", "type": "exposure_floor", "price": -1e-12, "objective_without": 100.0, "status": "optimal"}],
            "binding_rules": [
                {"row": "supply[x]", "type": "supply", "parameter": "supply", "dual": 0.5, "shadow_price": 0.5},
                {"row": "supply[y]", "type": "supply", "parameter": "supply", "dual": 0.9, "shadow_price": 0.9}],
            "segments": [], "gaps": []
        })
    }

    #[test]
    fn what_binds_names_the_costliest_rule_the_free_ones_and_the_tightest_row() {
        let lines = what_binds(&doc());
        assert!(lines[0].contains("<b>dear</b>") && lines[0].contains("(25.0% of it)"), "{}", lines[0]);
        assert!(lines[0].contains("Next: <b>cheap</b>"), "{}", lines[0]);
        assert!(lines[1].starts_with("2 of 3 rules") && lines[1].contains("<b>free</b> costs nothing"), "{}", lines[1]);
        assert!(lines[2].starts_with("2 binding supply rows") && lines[2].contains("<b>supply[y]</b>"), "{}", lines[2]);
        assert!(lines[3].starts_with("1 of 2 campaigns"), "{}", lines[3]);
        assert!(lines[4].contains("<b>rev</b>"), "{}", lines[4]);
    }

    #[test]
    fn the_page_tags_every_number_with_its_path() {
        let html = page(&doc(), &[]);
        assert!(html.contains(r#"data-key="/constraint_prices/1/price" data-value="25""#), "numbers carry their exact value");
        assert!(html.contains(r#"data-key="/overall/budgets/1/utilisation""#));
        assert!(!html.contains("http://") && !html.contains("https://"), "a self-contained page loads nothing");
    }
}
