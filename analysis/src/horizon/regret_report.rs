//! The regret parts of a horizon's files, written when a policy learns (an oracle-only horizon's
//! files are as they were): per policy its engagement, the daily [`LEARNING_METRICS`], the
//! learning totals, what an exploration floor cost and saved; the summary's regret table; the
//! CSV's extra columns; `cumulative_regret.svg` and the page's section.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::output::{completed, line_chart};
use super::run::{Run, LEARNING_METRICS};
use super::{Horizon, PolicyResult, Stat};

/// The learning totals of a run, in this order: its regret over the horizon, its mean regret a
/// day over the last quarter of its days, the rule rows its plans broke (summed over days), and
/// its exploration floors' cost summed over days.
pub const LEARNING_TOTALS: [&str; 4] = ["cumulative_regret", "late_regret_per_day", "violations", "floor_cost"];

/// The chart of cumulative regret.
pub const REGRET_CHART: &str = "cumulative_regret.svg";

/// Days at the end that "late" regret averages over: the last quarter (at least one).
pub fn late_days(days: usize) -> usize {
    days.div_ceil(4).max(1)
}

fn totals(run: &Run) -> [f64; 4] {
    let l = &run.learning;
    let late = late_days(l.len()).min(l.len());
    [
        l.last().map_or(0.0, |r| r[3]),
        if late > 0 { l[l.len() - late..].iter().map(|r| r[2]).sum::<f64>() / late as f64 } else { 0.0 },
        l.iter().map(|r| r[4]).sum(),
        l.iter().map(|r| r[5]).sum(),
    ]
}

fn total_stat(runs: &[Run], k: usize) -> Stat {
    Stat::of(&runs.iter().map(|r| totals(r)[k]).collect::<Vec<_>>())
}

/// Learning metric `m` of day `d` over `runs`.
fn stat(runs: &[Run], d: usize, m: usize) -> Stat {
    Stat::of(&runs.iter().map(|r| r.learning[d][m]).collect::<Vec<_>>())
}

/// What the floor saved, replica by replica: the twin's regret minus the policy's (paired: the
/// same random numbers), and the twin's regret.
fn floor_saving(p: &PolicyResult) -> Option<(Stat, Stat)> {
    let twin = p.without_floor.as_ref()?;
    let saved: Vec<f64> = p.runs.iter().zip(twin).map(|(a, b)| totals(b)[0] - totals(a)[0]).collect();
    Some((Stat::of(&saved), total_stat(twin, 0)))
}

/// Adds a policy's learning entries to its object `v` of `horizon.json`.
pub(super) fn add_policy(p: &PolicyResult, v: &mut Map<String, Value>) {
    let n = completed(p);
    v.insert("engagement".into(), json!(p.engagement.as_str()));
    if let Some(Value::Object(series)) = v.get_mut("series") {
        for (m, name) in LEARNING_METRICS.iter().enumerate() {
            let s: Vec<Stat> = (0..n).map(|d| stat(&p.runs, d, m)).collect();
            series
                .insert(name.to_string(), json!({"mean": s.iter().map(|x| x.mean).collect::<Vec<_>>(), "ci95": s.iter().map(|x| x.ci95).collect::<Vec<_>>()}));
        }
    }
    if let Some(Value::Object(tot)) = v.get_mut("totals") {
        for (k, name) in LEARNING_TOTALS.iter().enumerate() {
            tot.insert(name.to_string(), json!(total_stat(&p.runs, k)));
        }
    }
    if let (Some((saved, twin_regret)), Some(twin)) = (floor_saving(p), p.without_floor.as_ref()) {
        let tn = twin.iter().map(|r| r.days.len()).min().unwrap_or(0);
        let cost: Vec<Stat> = (0..n).map(|d| stat(&p.runs, d, 5)).collect();
        v.insert(
            "exploration_floor".into(),
            json!({
                "floor_cost": total_stat(&p.runs, 3),
                "floor_cost_per_day": {"mean": cost.iter().map(|x| x.mean).collect::<Vec<_>>(), "ci95": cost.iter().map(|x| x.ci95).collect::<Vec<_>>()},
                "without_floor": {"name": format!("{} without exploration floor", p.name), "days_completed": tn, "cumulative_regret": twin_regret},
                "regret_saved": saved,
            }),
        );
    }
}

/// The document's top-level learning entry: how regret is measured, and the warm start.
pub(super) fn add_top(h: &Horizon, doc: &mut Map<String, Value>) {
    doc.insert(
        "learning".into(),
        json!({
            "regret": "the optimum of the day at its true engagement (its exploration floors dropped) minus what the served plan earns there",
            "late_days": late_days(h.days),
            "bound": "empirical Bernstein: m +/- (sqrt(2 m (1 - m) L / N) + 3 L / N), L = ln(3 E t (t + 1) / 0.05)",
            "warm_start": h.warm_start,
        }),
    );
}

/// The summary's regret lines.
pub(super) fn summary(h: &Horizon, s: &mut String) {
    let _ =
        writeln!(s, "\nRegret against the optimum at the true engagement (objective units; late = the mean a day over the last {} days):", late_days(h.days));
    let _ = writeln!(s, "{:<20} {:>10} {:>24} {:>20} {:>11}", "policy", "engagement", "cum. regret", "late regret/day", "violations");
    let rows: Vec<(&PolicyResult, [Stat; 4])> = h.policies.iter().map(|p| (p, [0, 1, 2, 3].map(|k| total_stat(&p.runs, k)))).collect();
    for (p, t) in &rows {
        let _ = writeln!(s, "{:<20} {:>10} {:>24} {:>20} {:>11}", p.name, p.engagement.as_str(), pm(t[0], 1), pm(t[1], 3), format!("{:.0}", t[2].mean));
    }
    let learners: Vec<&(&PolicyResult, [Stat; 4])> = rows.iter().filter(|(p, _)| p.engagement.learns()).collect();
    if let Some((best, t)) = learners.iter().min_by(|a, b| a.1[0].mean.total_cmp(&b.1[0].mean)) {
        // Its late regret against its own optimum over the same late days (the market may grow
        // or shrink over a horizon: the last day of another run is no yardstick).
        let late = late_days(h.days);
        let optima: Vec<f64> = best.runs.iter().flat_map(|r| r.learning.iter().rev().take(late).map(|l| l[0])).collect();
        let optimum = if optima.is_empty() { 0.0 } else { optima.iter().sum::<f64>() / optima.len() as f64 };
        let _ = writeln!(
            s,
            "\"{}\" learns with the least regret: {} over {} days, {} a day at the end ({:.2}% of its optimum over those days, {:.2} a day).",
            best.name,
            pm(t[0], 1),
            h.days,
            pm(t[1], 3),
            100.0 * t[1].mean / optimum.abs().max(1e-300),
            optimum
        );
    }
    for p in &h.policies {
        if let Some((saved, twin)) = floor_saving(p) {
            let cost = total_stat(&p.runs, 3);
            let _ = writeln!(
                s,
                "\"{}\": its exploration floor cost {} over {} days (shadow price x share, {:.3} a day) and saved {} of regret against the same policy without it (whose regret is {}).",
                p.name,
                pm(cost, 1),
                h.days,
                cost.mean / h.days.max(1) as f64,
                pm(saved, 1),
                pm(twin, 1)
            );
        }
    }
}

fn pm(s: Stat, decimals: usize) -> String {
    if s.ci95 > 0.0 {
        format!("{:.decimals$} ± {:.decimals$}", s.mean, s.ci95)
    } else {
        format!("{:.decimals$}", s.mean)
    }
}

/// The CSV's extra header cells.
pub(super) fn csv_header(header: &mut Vec<String>) {
    header.extend(LEARNING_METRICS.iter().map(|m| m.to_string()));
}

/// The CSV's extra cells of policy `p`, day `d`.
pub(super) fn csv_row(p: &PolicyResult, d: usize, row: &mut Vec<String>) {
    row.extend((0..LEARNING_METRICS.len()).map(|m| stat(&p.runs, d, m).mean.to_string()));
}

/// `cumulative_regret.svg`: one line per policy (and per floor twin), means over replicas.
pub(super) fn chart(h: &Horizon) -> Result<(String, String), String> {
    let mut series: Vec<(String, Vec<f64>)> = Vec::new();
    for p in &h.policies {
        series.push((p.name.clone(), (0..completed(p)).map(|d| stat(&p.runs, d, 3).mean).collect()));
        if let Some(twin) = &p.without_floor {
            let n = twin.iter().map(|r| r.days.len()).min().unwrap_or(0);
            series.push((format!("{} without exploration floor", p.name), (0..n).map(|d| stat(twin, d, 3).mean).collect()));
        }
    }
    line_chart("Cumulative regret", "regret (objective units)", &series).map(|svg| (REGRET_CHART.to_string(), svg))
}

/// The page's regret section, numbers from `doc` (the document of `horizon.json`).
pub(super) fn page(h: &Horizon, doc: &Value, page: &mut crate::html::Page) {
    use crate::html::{escape, num, Fmt, Table};
    page.section("regret", "Learning: regret and violations");
    page.paragraph(&format!(
        "Regret is the optimum of each day at its true engagement minus what the served plan earns there; late regret is the mean a day over the last {} days; violations count the rule rows the plans broke, at the true values. Intervals are 95% over replicas.",
        num(doc, "/learning/late_days", Fmt::Number)
    ));
    let mut t = Table::new(
        &["policy", "engagement", "cum. regret", "± 95%", "late regret/day", "± 95%", "violations", "floor cost", "regret saved", "± 95%"],
        &[false, false, true, true, true, true, true, true, true, true],
    );
    for (k, p) in h.policies.iter().enumerate() {
        let at = |path: &str| num(doc, &format!("/policies/{k}/{path}"), Fmt::Number);
        let floor = p.without_floor.is_some();
        t.row(vec![
            escape(&p.name),
            escape(p.engagement.as_str()),
            at("totals/cumulative_regret/mean"),
            at("totals/cumulative_regret/ci95"),
            at("totals/late_regret_per_day/mean"),
            at("totals/late_regret_per_day/ci95"),
            at("totals/violations/mean"),
            if floor { at("exploration_floor/floor_cost/mean") } else { "&ndash;".into() },
            if floor { at("exploration_floor/regret_saved/mean") } else { "&ndash;".into() },
            if floor { at("exploration_floor/regret_saved/ci95") } else { "&ndash;".into() },
        ]);
    }
    page.table(&t);
}
