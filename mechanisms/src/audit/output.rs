//! The audit as the CLI prints it (tables) and writes it (`agora.audit/v2` JSON).

use super::{Audit, Outcome, AUDIT_SCHEMA};
use crate::format::{num, round, table};

/// Trials the text table lists (the JSON lists every one).
const LISTED: usize = 20;

impl Audit {
    /// Two plain-text tables: per property its verdict, trials (non-trivial of judged), the
    /// smallest raise that moved the plan, gains by intent, the worst violation and its witness;
    /// then the trials that found something (a gain, a loss, a violation), at most 20.
    pub fn table(&self) -> String {
        let mut rows = vec![vec![
            "property".into(),
            "verdict".into(),
            "trials (moved)".into(),
            "smallest raise".into(),
            "gains (intended/loophole)".into(),
            "worst violation".into(),
            "witness".into(),
        ]];
        for c in &self.checks {
            let trials = match (c.infeasible, c.property.as_str()) {
                (_, "budget_feasibility") => format!("{} plans", c.trials),
                (0, _) => format!("{} ({})", c.trials, c.non_trivial),
                (n, _) => format!("{} ({}) +{n} infeasible", c.trials, c.non_trivial),
            };
            let gains = if c.intended_gains + c.loophole_gains > 0 { format!("{}/{}", c.intended_gains, c.loophole_gains) } else { "-".into() };
            rows.push(vec![
                c.property.clone(),
                c.verdict.as_str().into(),
                trials,
                c.smallest_perturbation.map_or("-".into(), num),
                gains,
                format!("{} {}", num(c.worst_violation), c.unit),
                c.witness.clone().or_else(|| c.note.clone()).unwrap_or_else(|| "-".into()),
            ]);
        }
        let mut out = table(&rows);
        let found: Vec<_> = self.trials.iter().filter(|t| !matches!(t.outcome, Outcome::Holds)).collect();
        if !found.is_empty() {
            let mut rows = vec![vec![
                "property".into(),
                "creator".into(),
                "class".into(),
                "exposure before -> after".into(),
                "change".into(),
                "verdict".into(),
                "explained by (price per impression)".into(),
            ]];
            for t in found.iter().take(LISTED) {
                rows.push(vec![
                    t.property.clone(),
                    t.creator.clone(),
                    t.class.as_str().into(),
                    format!("{} -> {}", num(t.exposure_before), t.exposure_after.map_or("infeasible".into(), num)),
                    num(t.change),
                    t.outcome.as_str().into(),
                    t.explained_by
                        .iter()
                        .map(|r| if r.how == "rows" { format!("{} (its rows, dual {})", r.rule, num(r.price)) } else { format!("{} {}", r.rule, num(r.price)) })
                        .collect::<Vec<_>>()
                        .join(", "),
                ]);
            }
            out.push_str(&format!("\ntrials that found something ({} of {}):\n\n", found.len(), self.trials.len()));
            out.push_str(&table(&rows));
            if found.len() > LISTED {
                out.push_str(&format!("  ... and {} more (see --json)\n", found.len() - LISTED));
            }
        }
        out
    }

    /// The `agora.audit/v2` JSON document (numbers rounded to 12 significant digits).
    pub fn to_json(&self) -> String {
        let mut copy = self.clone();
        copy.classes.band = round(copy.classes.band);
        for c in &mut copy.checks {
            c.worst_violation = round(c.worst_violation);
            c.tolerance = round(c.tolerance);
            c.smallest_perturbation = c.smallest_perturbation.map(round);
        }
        for t in &mut copy.trials {
            t.perturbation = t.perturbation.map(round);
            t.exposure_before = round(t.exposure_before);
            t.exposure_after = t.exposure_after.map(round);
            t.change = round(t.change);
            for r in &mut t.explained_by {
                r.price = round(r.price);
            }
            if let super::Deviation::RaiseEngagement { delta, .. } = &mut t.deviation {
                *delta = round(*delta);
            }
        }
        serde_json::to_string_pretty(&copy).expect("an audit serialises") + "\n"
    }

    /// Reads an `agora.audit/v2` document; the error says what is wrong.
    pub fn from_json(text: &str) -> Result<Audit, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(AUDIT_SCHEMA) => {}
            Some(other) => return Err(format!("schema is \"{other}\", expected \"{AUDIT_SCHEMA}\"")),
            None => return Err(format!("no \"schema\": expected \"{AUDIT_SCHEMA}\"")),
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}
