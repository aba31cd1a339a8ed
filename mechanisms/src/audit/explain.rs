//! Which rule's price explains what a deviation gained or lost, and whether the rules mean it.
//!
//! A deviation changes the deviating creator's columns: their entries in the rules' rows (a
//! topic row for another, a floor that now selects them, a parity row with another merit) and
//! sometimes their value. At the day's duals `y` (the shadow prices the move was made against; a
//! row the deviated day adds, such as a clone's own floor, at the deviated day's dual), a rule `k`
//! pays each impression of a deviating edge `e` (standing for the day's edge `e0`)
//!
//! `    price_k(e) = - sum over k's rows r of y_r (a'_re - a_re0)`
//!
//! objective units more than it paid the same impression before the move: the part of the
//! reduced cost the move changed through that rule. The day's duals, not the deviated day's: a
//! floor the move satisfies is often slack afterwards, its dual 0, though its price is what paid.
//! [`explain`] averages the price over the deviating edges, weighted by their impressions in the
//! deviated plan (evenly when it shows none), and lists the rules by the size of that average. A
//! gain is explained by the rules with a positive price, a loss by those with a negative one. With
//! a degenerate optimum the duals are one of several, and so is the split between rules.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use agora_instances::metrics::NEW_CREATOR_GROUP;
use agora_instances::{ConstraintKind, Instance, ItemSelector};
use agora_solver::{Columns, Formulation, Model, RowKind, Solution};

use super::deviations::{Applied, Deviation};

/// A rule's share in what a deviation changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePrice {
    /// The rule: a constraint's name, or an always-present row (`supply[s]`, `budget[a]`, `item_cap[i]`).
    pub rule: String,
    /// The rule's type (the spec's `type` string).
    #[serde(rename = "type")]
    pub kind: String,
    /// `price` (the rule pays the deviating content `price` objective units per impression more
    /// than before the move; negative: it charges more), or `rows` (the move changed the rule's
    /// rows elsewhere, such as a group's merit in a parity rule, and the rule binds in the day at
    /// `price`, the largest absolute dual of its changed rows).
    pub how: String,
    /// Per impression of the deviating content (`how: price`), or the changed rows' dual (`rows`).
    pub price: f64,
}

/// Whether the rules mean a gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// The rule that pays is written to reward what the deviation is (a floor for new creators
    /// paying a new account).
    Intended,
    /// The rule pays for a label, an account or an upload, not for what it is meant to reward.
    Loophole,
}

impl Intent {
    /// `intended` or `loophole`.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Intended => "intended",
            Intent::Loophole => "loophole",
        }
    }
}

/// The rules whose prices changed for the deviating edges of `applied` (a deviation of the day
/// whose model is `day_model` and optimal solution `day`), with the deviated day's solution
/// `after`: at most `top`, largest first in the direction of `sign` (positive: what pays a gain;
/// negative: what charges a loss). `f` is the deviated day's formulation.
#[allow(clippy::too_many_arguments)]
pub fn explain(day_model: &Model, day: &Solution, applied: &Applied, f: &Formulation, after: &Solution, sign: f64, top: usize) -> Vec<RulePrice> {
    let before: HashMap<&str, f64> = day_model.rows.iter().zip(&day.rows).map(|(m, r)| (m.name.as_str(), r.dual)).collect();
    let rows_after: HashMap<&str, usize> = f.rows().iter().enumerate().map(|(r, m)| (m.name.as_str(), r)).collect();
    let dual = |name: &str| match before.get(name) {
        Some(&y) => y,
        None => rows_after.get(name).map_or(0.0, |&r| after.rows.get(r).map_or(0.0, |row| row.dual)),
    };
    let rule_of = |name: &str, kind: RowKind, constraint: Option<usize>| match constraint {
        Some(k) => (applied.day.constraints.get(k).map_or(name.to_string(), |c| c.name.clone()), kind.as_str().to_string()),
        None => (name.to_string(), kind.as_str().to_string()),
    };
    let edges = applied.edges();
    let served: f64 = edges.iter().map(|&e| after.impressions.get(e).copied().unwrap_or(0.0)).sum();
    let weight = |e: usize| if served > 0.0 { after.impressions.get(e).copied().unwrap_or(0.0) / served } else { 1.0 / edges.len().max(1) as f64 };
    let mut price: HashMap<(String, String), f64> = HashMap::new();
    for &e in &edges {
        let w = weight(e);
        if w == 0.0 {
            continue;
        }
        let mut entries: HashMap<&str, (f64, RowKind, Option<usize>)> = HashMap::new();
        f.for_each_entry(e, |r, a| {
            let m = &f.rows()[r];
            entries.entry(m.name.as_str()).or_insert((0.0, m.kind, m.constraint)).0 += a;
        });
        let e0 = applied.counterpart[e];
        day_model.for_each_entry(e0, |r, a| {
            let m = &day_model.rows[r];
            entries.entry(m.name.as_str()).or_insert((0.0, m.kind, None)).0 -= a;
        });
        for (name, (da, kind, constraint)) in entries {
            if da == 0.0 {
                continue;
            }
            // A row only the day had keeps the day's constraint index, which may not be the
            // deviated day's: name it by its row.
            let p = -dual(name) * da;
            if p != 0.0 {
                *price.entry(rule_of(name, kind, constraint)).or_insert(0.0) += w * p;
            }
        }
    }
    let mut out: Vec<RulePrice> =
        price.into_iter().filter(|(_, p)| p * sign > 0.0).map(|((rule, kind), price)| RulePrice { rule, kind, how: "price".into(), price }).collect();
    out.sort_by(|a, b| (b.price * sign).total_cmp(&(a.price * sign)).then(a.rule.cmp(&b.rule)));
    if out.is_empty() {
        out = changed_rules(day_model, day, applied, f, &edges);
    }
    out.truncate(top);
    out
}

/// The rules binding in the day (non-zero dual) whose rows the move changed off the deviating
/// edges or in their right-hand side, largest dual first: what moved the plan when no rule prices
/// the deviating content differently (a near-duplicate adding merit to its group's parity rows).
fn changed_rules(day_model: &Model, day: &Solution, applied: &Applied, f: &Formulation, deviating: &[usize]) -> Vec<RulePrice> {
    let rows_after: HashMap<&str, usize> = f.rows().iter().enumerate().map(|(r, m)| (m.name.as_str(), r)).collect();
    let mut changed = vec![false; day_model.n_rows()];
    for (b, m) in day_model.rows.iter().enumerate() {
        changed[b] = rows_after.get(m.name.as_str()).is_none_or(|&r| f.rows()[r].rhs != m.rhs || f.rows()[r].sense != m.sense);
    }
    // The day's row of each of the deviated day's rows.
    let day_rows: HashMap<&str, usize> = day_model.rows.iter().enumerate().map(|(b, m)| (m.name.as_str(), b)).collect();
    let day_of: Vec<Option<usize>> = f.rows().iter().map(|m| day_rows.get(m.name.as_str()).copied()).collect();
    let mut skip = vec![false; applied.day.edges.len()];
    deviating.iter().for_each(|&e| skip[e] = true);
    let mut before: Vec<(usize, f64)> = Vec::new();
    let mut after: Vec<(usize, f64)> = Vec::new();
    for j in (0..day_model.n_edges.min(applied.day.edges.len())).filter(|&j| !skip[j]) {
        before.clear();
        after.clear();
        day_model.for_each_entry(j, |r, a| before.push((r, a)));
        f.for_each_entry(j, |r, a| {
            if let Some(b) = day_of[r] {
                after.push((b, a));
            }
        });
        after.sort_unstable_by_key(|e| e.0);
        // Rows in both, compared in the day's order; an entry on one side only changed its row.
        let (mut p, mut q) = (0, 0);
        while p < before.len() || q < after.len() {
            let (rb, ra) = (before.get(p).map_or(usize::MAX, |e| e.0), after.get(q).map_or(usize::MAX, |e| e.0));
            if rb == ra {
                changed[rb] |= before[p].1 != after[q].1;
                p += 1;
                q += 1;
            } else if rb < ra {
                changed[rb] = true;
                p += 1;
            } else {
                changed[ra] = true;
                q += 1;
            }
        }
    }
    let mut by_rule: HashMap<(String, String), f64> = HashMap::new();
    for (b, m) in day_model.rows.iter().enumerate() {
        let y = day.rows.get(b).map_or(0.0, |r| r.dual);
        if changed[b] && y != 0.0 {
            let rule = m.constraint.and_then(|k| applied.day.constraints.get(k)).map_or(m.name.clone(), |c| c.name.clone());
            let best = by_rule.entry((rule, m.kind.as_str().to_string())).or_insert(0.0);
            *best = best.max(y.abs());
        }
    }
    let mut out: Vec<RulePrice> = by_rule.into_iter().map(|((rule, kind), price)| RulePrice { rule, kind, how: "rows".into(), price }).collect();
    out.sort_by(|a, b| b.price.total_cmp(&a.price).then(a.rule.cmp(&b.rule)));
    out
}

/// Whether constraint `rule` of `inst` favours creators of group `group`: a floor on the group's
/// items, or a parity rule that lists it.
fn favours_group(inst: &Instance, rule: &str, group: &str) -> bool {
    inst.constraints.iter().filter(|k| k.name == rule).any(|k| match &k.kind {
        ConstraintKind::ExposureFloor { items: ItemSelector::CreatorGroup(g), .. } => g == group,
        ConstraintKind::ExposureParity { groups, .. } => groups.iter().any(|g| g == group),
        _ => false,
    })
}

/// What the rules mean by a gain of `deviation` (a deviation of `day`) that the rules in `why`
/// pay, largest first. Only a new account paid by a rule written for its group is intended: a
/// floor or parity rule for `new` creators rewards a new account by design, whoever opens it.
/// Everything else is a loophole: a per-creator rule paying per account, a topic cap paying for a
/// label, a per-item cap or merit paying per upload, a group rule paying for a group the creator
/// chose for itself (intended only where the platform, not the creator, assigns groups).
pub fn intent(day: &Instance, deviation: &Deviation, why: &[RulePrice]) -> Intent {
    match (deviation, why.first()) {
        (Deviation::Split { group, .. }, Some(top)) if group == NEW_CREATOR_GROUP && favours_group(day, &top.rule, group) => Intent::Intended,
        _ => Intent::Loophole,
    }
}
