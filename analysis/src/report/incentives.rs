//! The report's incentive section: an `agora.audit/v2` of the same day (`agora audit --out`),
//! checked against the instance, written into `report.json` under `incentives` and shown on the
//! page (docs/reports.md#incentives).

use serde_json::{json, Value};

use agora_instances::Instance;
use agora_mechanisms::audit::{Audit, Outcome};
use agora_mechanisms::format::round;

use super::ReportError;
use crate::html::{escape, lookup, num, text, Col, Fmt, Page, Table};

/// Checks that `audit` is of `inst` (its name and content hash), so that a report never shows
/// another day's audit.
pub fn check_audit(inst: &Instance, audit: &Audit) -> Result<(), ReportError> {
    if audit.instance != inst.name {
        return Err(ReportError::OtherInstance(format!("the audit is of instance \"{}\", not \"{}\"", audit.instance, inst.name)));
    }
    let actual = agora_instances::content_hash(inst);
    if audit.instance_hash != actual {
        return Err(ReportError::OtherInstance(format!(
            "the audit is of another version of instance \"{}\": it records content hash {}, the instance given hashes to {actual} (audit the day again)",
            inst.name, audit.instance_hash
        )));
    }
    Ok(())
}

/// The `incentives` value of `report.json`: the audit's checks, and its trials with their
/// deviations in words (numbers rounded to 12 significant digits).
pub fn value(audit: &Audit) -> Value {
    let r = round;
    let opt = |v: Option<f64>| v.map(round);
    let checks: Vec<Value> = audit
        .checks
        .iter()
        .map(|c| {
            json!({
                "property": c.property, "verdict": c.verdict, "trials": c.trials, "non_trivial": c.non_trivial,
                "infeasible": c.infeasible, "smallest_perturbation": opt(c.smallest_perturbation),
                "intended_gains": c.intended_gains, "loophole_gains": c.loophole_gains, "losses": c.losses,
                "worst_violation": r(c.worst_violation), "unit": c.unit, "witness": c.witness, "note": c.note,
            })
        })
        .collect();
    let trials: Vec<Value> = audit
        .trials
        .iter()
        .map(|t| {
            json!({
                "property": t.property, "creator": t.creator, "class": t.class.as_str(), "deviation": t.deviation.describe(),
                "perturbation": opt(t.perturbation), "exposure_before": r(t.exposure_before), "exposure_after": opt(t.exposure_after),
                "change": r(t.change), "non_trivial": t.non_trivial, "verdict": t.outcome.as_str(),
                "explained_by": t.explained_by.iter().map(|p| json!({"rule": p.rule, "type": p.kind, "how": p.how, "price": r(p.price)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = &audit.classes;
    json!({
        "schema": audit.schema,
        "seed": audit.seed,
        "classes": {"exposed": c.exposed, "margin_edge": c.margin_edge, "margin_row": c.margin_row, "far": c.far, "band": r(c.band)},
        "solves": {"hot": audit.solves.hot, "cold": audit.solves.cold},
        "checks": checks,
        "trials": trials,
    })
}

fn arr<'a>(doc: &'a Value, path: &str) -> &'a [Value] {
    lookup(doc, path).and_then(Value::as_array).map_or(&[], |a| a.as_slice())
}

/// The page's "Incentives" section, from `report.json`'s value `doc` (nothing without an audit).
pub fn section(p: &mut Page, doc: &Value) {
    if lookup(doc, "/incentives").is_none() {
        return;
    }
    p.section("incentives", "Incentives");
    p.paragraph(&format!(
        "Audit of the day (seed {}): creators drawn from the {} with exposure, the {} with an edge near entering and the {} a binding rule holds out \
         ({} others are far from the margin); {} deviations re-solved from the day's optimal basis, {} cold. A gain is <b>intended</b> when the rule \
         that pays it is written for what the deviation is (a floor for new creators paying a new account), a <b>loophole</b> otherwise.",
        num(doc, "/incentives/seed", Fmt::Number),
        num(doc, "/incentives/classes/exposed", Fmt::Number),
        num(doc, "/incentives/classes/margin_edge", Fmt::Number),
        num(doc, "/incentives/classes/margin_row", Fmt::Number),
        num(doc, "/incentives/classes/far", Fmt::Number),
        num(doc, "/incentives/solves/hot", Fmt::Number),
        num(doc, "/incentives/solves/cold", Fmt::Number),
    ));
    let findings: Vec<String> = arr(doc, "/incentives/checks")
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.get("verdict").and_then(Value::as_str), Some("fails" | "intended")))
        .map(|(k, c)| {
            let verdict = if c.get("verdict").and_then(Value::as_str) == Some("fails") { "fails" } else { "gains as intended" };
            format!("<b>{}</b> {verdict}: {}.", text(doc, &format!("/incentives/checks/{k}/property")), text(doc, &format!("/incentives/checks/{k}/witness")))
        })
        .collect();
    if findings.is_empty() {
        p.paragraph("Every property holds on the trials tried.");
    } else {
        p.bullets(&findings);
    }
    let t = Table::of_list(
        doc,
        "/incentives/checks",
        &[
            Col::Text("property", "property"),
            Col::Text("verdict", "verdict"),
            Col::Num("trials", "trials", Fmt::Number),
            Col::Num("plan moved", "non_trivial", Fmt::Number),
            Col::Num("infeasible", "infeasible", Fmt::Number),
            Col::Num("smallest raise that moved it", "smallest_perturbation", Fmt::Number),
            Col::Num("intended gains", "intended_gains", Fmt::Number),
            Col::Num("loophole gains", "loophole_gains", Fmt::Number),
            Col::Num("losses", "losses", Fmt::Number),
            Col::Num("worst violation", "worst_violation", Fmt::Number),
            Col::Text("unit", "unit"),
            Col::Text("note", "note"),
        ],
    );
    p.table(&t);
    let mut t = Table::new(
        &["property", "creator", "class", "deviation", "exposure before", "exposure after", "change", "verdict", "explained by"],
        &[false, false, false, false, true, true, true, false, false],
    );
    for (k, trial) in arr(doc, "/incentives/trials").iter().enumerate() {
        if trial.get("verdict").and_then(Value::as_str) == Some(Outcome::Holds.as_str()) {
            continue;
        }
        let base = format!("/incentives/trials/{k}");
        let why: Vec<String> = arr(doc, &format!("{base}/explained_by"))
            .iter()
            .enumerate()
            .map(|(m, _)| {
                let how = if text(doc, &format!("{base}/explained_by/{m}/how")) == "rows" { " (its rows, dual)" } else { " per impression" };
                format!("{} {}{how}", text(doc, &format!("{base}/explained_by/{m}/rule")), num(doc, &format!("{base}/explained_by/{m}/price"), Fmt::Number))
            })
            .collect();
        t.row(vec![
            text(doc, &format!("{base}/property")),
            text(doc, &format!("{base}/creator")),
            text(doc, &format!("{base}/class")),
            text(doc, &format!("{base}/deviation")),
            num(doc, &format!("{base}/exposure_before"), Fmt::Number),
            num(doc, &format!("{base}/exposure_after"), Fmt::Number),
            num(doc, &format!("{base}/change"), Fmt::Number),
            text(doc, &format!("{base}/verdict")),
            why.join("; "),
        ]);
    }
    if t.is_empty() {
        p.paragraph("<span class=\"muted\">No trial gained or lost exposure.</span>");
    } else {
        p.paragraph(&format!(
            "Trials that gained or lost exposure ({} trials in all; every one is in <code>report.json</code>):",
            escape(&arr(doc, "/incentives/trials").len().to_string())
        ));
        p.table(&t);
    }
}
