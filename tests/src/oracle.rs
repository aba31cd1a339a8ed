//! An independent formulation of spec section 3 with good_lp (solved by HiGHS through good_lp's
//! own model building), written from the spec text without agora-solver's formulation, so that
//! the two can be cross-checked. LP only (`regularization = 0`).

use agora_instances::{ConstraintKind, EngagementEstimate, Instance, ItemKind};
use good_lp::{constraint, default_solver, variable, variables, Expression, ResolutionError, Solution, SolverModel, Variable};

/// The optimal objective of `inst`, or `None` when good_lp reports it infeasible.
pub fn optimum(inst: &Instance) -> Option<f64> {
    assert_eq!(inst.objective.regularization, 0.0, "the oracle covers LPs only");
    let w = inst.objective;
    let mut vars = variables!();
    let x: Vec<Variable> = inst
        .edges
        .iter()
        .map(|e| match e.cap {
            Some(c) => vars.add(variable().min(0.0).max(c)),
            None => vars.add(variable().min(0.0)),
        })
        .collect();
    let mut objective = Expression::from(0.0);
    for (e, edge) in inst.edges.iter().enumerate() {
        let item = &inst.items[edge.item];
        // The objective's engagement: the point estimate or an end of the edge's interval.
        let ev = inst.evidence.get(e);
        let g = match w.engagement_estimate {
            EngagementEstimate::Point => edge.engagement,
            EngagementEstimate::Pessimistic => ev.map_or(edge.engagement, |v| v.lcb),
            EngagementEstimate::Optimistic => ev.map_or(edge.engagement, |v| v.ucb),
        };
        let c = w.engagement * g + w.quality * item.quality + w.revenue * edge.price - w.integrity_risk * item.risk;
        objective += c * x[e];
    }
    // (lhs, is_le, rhs, penalty): rows collected first so soft slacks can be created.
    let mut rows: Vec<(Expression, bool, f64, Option<f64>)> = Vec::new();
    let sum = |pred: &dyn Fn(usize) -> f64| -> Expression {
        let mut ex = Expression::from(0.0);
        for (e, v) in x.iter().enumerate() {
            let k = pred(e);
            if k != 0.0 {
                ex += k * *v;
            }
        }
        ex
    };
    for (s, seg) in inst.segments.iter().enumerate() {
        rows.push((sum(&|e| (inst.edges[e].segment == s) as u8 as f64), true, seg.supply, None));
    }
    for (a, camp) in inst.campaigns.iter().enumerate() {
        let lhs = sum(&|e| if inst.items[inst.edges[e].item].campaign() == Some(a) { inst.edges[e].price } else { 0.0 });
        rows.push((lhs, true, camp.budget, None));
    }
    for (i, item) in inst.items.iter().enumerate() {
        if let Some(cap) = item.cap {
            rows.push((sum(&|e| (inst.edges[e].item == i) as u8 as f64), true, cap, None));
        }
    }
    for c in &inst.constraints {
        let p = c.penalty;
        let in_seg = |e: usize, s: usize| inst.edges[e].segment == s;
        let item_of = |e: usize| &inst.items[inst.edges[e].item];
        match &c.kind {
            ConstraintKind::AdLoad { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    let ads = sum(&|e| (in_seg(e, s) && item_of(e).kind() == ItemKind::Ad) as u8 as f64);
                    let total = sum(&|e| in_seg(e, s) as u8 as f64);
                    rows.push((ads - *max_share * total, true, 0.0, p));
                }
            }
            ConstraintKind::RevenueFloor { min } => {
                let rev = sum(&|e| if item_of(e).kind() == ItemKind::Ad { inst.edges[e].price } else { 0.0 });
                rows.push((rev, false, *min, p));
            }
            ConstraintKind::ExposureFloor { items, segments, min } | ConstraintKind::ExposureCap { items, segments, max: min } => {
                let segs = inst.select_segments(segments);
                let lhs = sum(&|e| (segs.contains(&inst.edges[e].segment) && inst.item_matches(items, inst.edges[e].item)) as u8 as f64);
                rows.push((lhs, matches!(c.kind, ConstraintKind::ExposureCap { .. }), *min, p));
            }
            ConstraintKind::IntegrityCap { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    let risky = sum(&|e| if in_seg(e, s) { item_of(e).risk } else { 0.0 });
                    let total = sum(&|e| in_seg(e, s) as u8 as f64);
                    rows.push((risky - *max_share * total, true, 0.0, p));
                }
            }
            ConstraintKind::TopicCap { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    let mut topics: Vec<&String> = inst.edges.iter().filter(|e| e.segment == s).map(|e| &inst.items[e.item].topic).collect();
                    topics.sort();
                    topics.dedup();
                    for t in topics {
                        let on_topic = sum(&|e| (in_seg(e, s) && item_of(e).topic == *t) as u8 as f64);
                        let total = sum(&|e| in_seg(e, s) as u8 as f64);
                        rows.push((on_topic - *max_share * total, true, 0.0, p));
                    }
                }
            }
            ConstraintKind::FreshnessFloor { segments, min_share } => {
                for s in inst.select_segments(segments) {
                    let fresh = sum(&|e| (in_seg(e, s) && item_of(e).fresh) as u8 as f64);
                    let total = sum(&|e| in_seg(e, s) as u8 as f64);
                    rows.push((fresh - *min_share * total, false, 0.0, p));
                }
            }
            ConstraintKind::ExplorationFloor { segments, min_share, max_n } => {
                for s in inst.select_segments(segments) {
                    let total = sum(&|e| in_seg(e, s) as u8 as f64);
                    for e in (0..inst.edges.len()).filter(|&e| in_seg(e, s) && inst.evidence.get(e).map_or(0, |v| v.n) < *max_n) {
                        rows.push((Expression::from(x[e]) - *min_share * total.clone(), false, 0.0, p));
                    }
                }
            }
            ConstraintKind::ExposureParity { groups, tolerance } => {
                let in_group = |e: usize, g: &String| item_of(e).creator().is_some_and(|k| inst.creators[k].group == *g);
                let merit =
                    |g: &String| -> f64 { inst.items.iter().filter(|i| i.creator().is_some_and(|k| inst.creators[k].group == *g)).map(|i| i.quality).sum() };
                for g in groups {
                    for h in groups {
                        if g != h {
                            let eg = sum(&|e| in_group(e, g) as u8 as f64);
                            let eh = sum(&|e| in_group(e, h) as u8 as f64);
                            rows.push((merit(h) * eg - (1.0 - tolerance) * merit(g) * eh, false, 0.0, p));
                        }
                    }
                }
            }
        }
    }
    let mut constraints = Vec::new();
    for (lhs, is_le, rhs, penalty) in rows {
        let lhs = match penalty {
            Some(p) => {
                let v = vars.add(variable().min(0.0));
                objective -= p * v;
                if is_le {
                    lhs - v
                } else {
                    lhs + v
                }
            }
            None => lhs,
        };
        constraints.push(if is_le { constraint!(lhs <= rhs) } else { constraint!(lhs >= rhs) });
    }
    let obj_expr = objective.clone();
    let result = vars.maximise(objective).using(default_solver).with_all(constraints).solve();
    match result {
        Ok(sol) => Some(sol.eval(&obj_expr)),
        Err(ResolutionError::Infeasible) => None,
        Err(e) => panic!("good_lp failed: {e}"),
    }
}
