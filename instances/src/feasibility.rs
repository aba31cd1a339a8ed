//! An independent check of a plan against every row of the model (spec section 3), written
//! straight from the spec so that tests can hold a solver's plan, or a generator's witness, to it.

use crate::types::*;

/// Returns one message per row of the model that `plan` (impressions per edge, in the order of
/// `instance.edges`) violates by more than `rel_tol` relative to the size of the row's terms.
/// Soft constraints are checked as if they were hard; variable bounds (`x >= 0`, edge caps) are
/// checked too. Rows are named as in the spec, e.g. `supply[seg-001]`, `ad-load[seg-001]`.
///
/// # Panics
/// If `plan` does not have one entry per edge.
pub fn plan_violations(instance: &Instance, plan: &[f64], rel_tol: f64) -> Vec<String> {
    assert_eq!(plan.len(), instance.edges.len(), "the plan needs one entry per edge");
    let inst = instance;
    let mut out = Vec::new();
    // `lhs <= rhs`, with a tolerance scaled by the magnitude of the terms.
    // The row's name is written only for a violation: the check of a day of 10^7 edges
    // formats none of their names when the plan is feasible.
    let mut le = |row: &dyn Fn() -> String, lhs: f64, rhs: f64, scale: f64| {
        let bound = rhs + rel_tol * scale.max(1.0);
        // NaN anywhere is a violation too.
        if lhs.is_nan() || bound.is_nan() || lhs > bound {
            out.push(format!("{}: {lhs} > {rhs}", row()));
        }
    };

    let ns = inst.segments.len();
    let mut served = vec![0.0; ns];
    let mut ads = vec![0.0; ns];
    let mut risky = vec![0.0; ns];
    let mut fresh = vec![0.0; ns];
    let mut spend = vec![0.0; inst.campaigns.len()];
    let mut item_total = vec![0.0; inst.items.len()];
    for (e, &x) in inst.edges.iter().zip(plan) {
        let row = || format!("x[{} -> {}]", inst.segments[e.segment].id, inst.items[e.item].id);
        le(&|| format!("{} >= 0", row()), -x, 0.0, 0.0);
        if let Some(cap) = e.cap {
            le(&|| format!("{} <= cap", row()), x, cap, cap);
        }
        // A zero adds nothing to any sum below (x + 0.0 == x, and -0.0 likewise): the day's
        // unplanned edges, nearly all of a large day's, are not looked up.
        if x == 0.0 {
            continue;
        }
        let item = &inst.items[e.item];
        served[e.segment] += x;
        risky[e.segment] += item.risk * x;
        if item.fresh {
            fresh[e.segment] += x;
        }
        if let Some(a) = item.campaign() {
            ads[e.segment] += x;
            spend[a] += e.price * x;
        }
        item_total[e.item] += x;
    }
    for (s, seg) in inst.segments.iter().enumerate() {
        le(&|| format!("supply[{}]", seg.id), served[s], seg.supply, seg.supply);
    }
    for (a, camp) in inst.campaigns.iter().enumerate() {
        le(&|| format!("budget[{}]", camp.id), spend[a], camp.budget, camp.budget);
    }
    for (i, item) in inst.items.iter().enumerate() {
        if let Some(cap) = item.cap {
            le(&|| format!("item_cap[{}]", item.id), item_total[i], cap, cap);
        }
    }

    for c in &inst.constraints {
        let name = &c.name;
        match &c.kind {
            ConstraintKind::AdLoad { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    le(&|| format!("{name}[{}]", inst.segments[s].id), ads[s], max_share * served[s], served[s]);
                }
            }
            ConstraintKind::RevenueFloor { min } => {
                let revenue: f64 = spend.iter().sum();
                le(&|| name.clone(), *min, revenue, *min);
            }
            ConstraintKind::ExposureFloor { items, segments, min } => {
                let total = selected_exposure(inst, plan, items, segments);
                le(&|| name.clone(), *min, total, *min);
            }
            ConstraintKind::ExposureCap { items, segments, max } => {
                let total = selected_exposure(inst, plan, items, segments);
                le(&|| name.clone(), total, *max, *max);
            }
            ConstraintKind::IntegrityCap { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    le(&|| format!("{name}[{}]", inst.segments[s].id), risky[s], max_share * served[s], served[s]);
                }
            }
            ConstraintKind::TopicCap { segments, max_share } => {
                let mut topics: Vec<&str> = inst.items.iter().map(|i| i.topic.as_str()).collect();
                topics.sort_unstable();
                topics.dedup();
                let nt = topics.len();
                let topic_of: Vec<usize> = inst.items.iter().map(|i| topics.binary_search(&i.topic.as_str()).expect("listed")).collect();
                // Rows exist where the segment has an edge of the topic, whatever the plan. A row
                // without a planned edge has activity 0, which fails only where the segment's
                // bound is below 0 (a plan that also fails elsewhere): only then are the rows
                // without a planned edge listed, from a pass over every edge.
                let mut by_topic: Vec<Option<f64>> = vec![None; ns * nt];
                for (e, &x) in inst.edges.iter().zip(plan) {
                    if x != 0.0 {
                        *by_topic[e.segment * nt + topic_of[e.item]].get_or_insert(0.0) += x;
                    }
                }
                let zero_fails = |s: usize| {
                    let bound = max_share * served[s] + rel_tol * served[s].max(1.0);
                    bound.is_nan() || 0.0 > bound
                };
                if inst.select_segments(segments).into_iter().any(zero_fails) {
                    for e in &inst.edges {
                        by_topic[e.segment * nt + topic_of[e.item]].get_or_insert(0.0);
                    }
                }
                for s in inst.select_segments(segments) {
                    for (t, topic) in topics.iter().enumerate() {
                        if let Some(v) = by_topic[s * nt + t] {
                            le(&|| format!("{name}[{},{topic}]", inst.segments[s].id), v, max_share * served[s], served[s]);
                        }
                    }
                }
            }
            ConstraintKind::FreshnessFloor { segments, min_share } => {
                for s in inst.select_segments(segments) {
                    le(&|| format!("{name}[{}]", inst.segments[s].id), min_share * served[s], fresh[s], served[s]);
                }
            }
            ConstraintKind::ExplorationFloor { segments, min_share, max_n } => {
                for (s, e) in inst.explored_edges(segments, *max_n) {
                    let edge = &inst.edges[e];
                    le(&|| format!("{name}[{},{}]", inst.segments[s].id, inst.items[edge.item].id), min_share * served[s], plan[e], served[s]);
                }
            }
            ConstraintKind::ExposureParity { groups, tolerance } => {
                let (mut exposure, mut merit) = (vec![0.0; groups.len()], vec![0.0; groups.len()]);
                for (e, &x) in inst.edges.iter().zip(plan).filter(|(_, &x)| x != 0.0) {
                    if let Some(g) = group_of(inst, e.item, groups) {
                        exposure[g] += x;
                    }
                }
                for i in 0..inst.items.len() {
                    if let Some(g) = group_of(inst, i, groups) {
                        merit[g] += inst.items[i].quality;
                    }
                }
                for g in 0..groups.len() {
                    for h in 0..groups.len() {
                        if g != h {
                            // M_h E_g - (1 - tolerance) M_g E_h >= 0
                            let lhs = merit[h] * exposure[g];
                            let rhs = (1.0 - tolerance) * merit[g] * exposure[h];
                            le(&|| format!("{name}[{},{}]", groups[g], groups[h]), rhs, lhs, lhs.max(rhs));
                        }
                    }
                }
            }
        }
    }
    out
}

fn selected_exposure(inst: &Instance, plan: &[f64], items: &ItemSelector, segments: &SegmentSelector) -> f64 {
    let picked = inst.select_items(items);
    let mut in_segments = vec![false; inst.segments.len()];
    for s in inst.select_segments(segments) {
        in_segments[s] = true;
    }
    inst.edges.iter().zip(plan).filter(|(e, &x)| x != 0.0 && picked[e.item] && in_segments[e.segment]).map(|(_, &x)| x).sum()
}

/// The position in `groups` of the group of item `i`'s creator, if it is organic and listed.
fn group_of(inst: &Instance, i: usize, groups: &[String]) -> Option<usize> {
    let c = inst.items[i].creator()?;
    groups.iter().position(|g| *g == inst.creators[c].group)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A topic cap's rows exist where a segment has an edge of the topic, planned or not: a
    /// plan that breaks a segment's bound (a NaN served) lists every such row of the segment,
    /// those without a planned edge included, as when every edge was summed.
    #[test]
    fn topic_rows_without_a_planned_edge_are_listed_when_their_bound_breaks() {
        let inst = crate::generate(crate::Size::Tiny, 0);
        let name = inst.constraints.iter().find(|c| matches!(c.kind, ConstraintKind::TopicCap { .. })).expect("a topic cap").name.clone();
        let e0 = 0;
        let s = inst.edges[e0].segment;
        let mut topics: Vec<&str> = inst.edges.iter().filter(|e| e.segment == s).map(|e| inst.items[e.item].topic.as_str()).collect();
        topics.sort_unstable();
        topics.dedup();
        assert!(topics.len() > 1, "the segment has edges of several topics");
        let mut plan = vec![0.0; inst.edges.len()];
        plan[e0] = f64::NAN;
        let violations = plan_violations(&inst, &plan, 1e-6);
        let prefix = format!("{name}[{},", inst.segments[s].id);
        let listed: Vec<&String> = violations.iter().filter(|v| v.starts_with(&prefix)).collect();
        assert_eq!(listed.len(), topics.len(), "{violations:?}");
        // A plan of zeros breaks no cap: no topic row is listed.
        let zeros = plan_violations(&inst, &vec![0.0; inst.edges.len()], 1e-6);
        assert!(!zeros.iter().any(|v| v.starts_with(&format!("{name}["))), "{zeros:?}");
    }

    /// The per-edge checks run on every edge, planned or not.
    #[test]
    fn a_negative_or_over_cap_edge_is_named() {
        let mut inst = crate::generate(crate::Size::Tiny, 1);
        inst.edges[3].cap = Some(1.0);
        let mut plan = vec![0.0; inst.edges.len()];
        plan[2] = -5.0;
        plan[3] = 2.0;
        let v = plan_violations(&inst, &plan, 1e-6);
        let name = |e: usize| format!("x[{} -> {}]", inst.segments[inst.edges[e].segment].id, inst.items[inst.edges[e].item].id);
        assert!(v.iter().any(|m| m.starts_with(&format!("{} >= 0", name(2)))), "{v:?}");
        assert!(v.iter().any(|m| m.starts_with(&format!("{} <= cap", name(3)))), "{v:?}");
    }
}
