//! Pareto efficiency of frontier points over the objective's terms.
//!
//! Each optimal point is judged by its criteria: the objective's terms per unit of weight,
//! signed as in the solution's `terms` so that higher is better for every one of them —
//! `engagement` = sum engagement x, `quality` = sum quality x, `revenue` = sum price x,
//! `integrity_risk` = -sum risk x, `regularization` = -1/2 sum x^2 / supply, and `penalties` =
//! the solution's (weighted) penalties term. Unweighted, so that a weighted-sum sweep compares
//! plans, not the weights that chose them; a criterion counts only when its weight is non-zero
//! at some point (or, for `penalties`, when the day has a soft constraint).
//!
//! A point is efficient when no other optimal point is at least as good in every counted
//! criterion and better in one, both by more than 1e-9 of the criterion's largest magnitude
//! (ties and solver noise dominate nothing). Points that are not optimal are never efficient.

use super::Point;

/// Names of the criteria, in [`Criteria::values`] order.
pub const CRITERIA: [&str; 6] = ["engagement", "quality", "revenue", "integrity_risk", "regularization", "penalties"];

/// The criteria of one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Unweighted signed term values, in [`CRITERIA`] order (higher is better).
    pub values: [f64; 6],
    /// The weight of each term at the point (1 for `penalties` when the day has a soft
    /// constraint, else 0).
    pub weights: [f64; 6],
}

/// Sets `efficient` on every point.
pub fn mark_efficient(points: &mut [Point]) {
    let crit: Vec<Option<Criteria>> = points.iter().map(|p| if p.status.is_optimal() { p.criteria } else { None }).collect();
    let mut counted = [false; 6];
    let mut scale = [1.0f64; 6];
    for c in crit.iter().flatten() {
        for k in 0..6 {
            counted[k] |= c.weights[k] != 0.0;
            scale[k] = scale[k].max(c.values[k].abs());
        }
    }
    let tol: Vec<f64> = scale.iter().map(|s| 1e-9 * s).collect();
    let dominates = |a: &Criteria, b: &Criteria| {
        let mut better = false;
        for k in (0..6).filter(|&k| counted[k]) {
            if a.values[k] < b.values[k] - tol[k] {
                return false;
            }
            better |= a.values[k] > b.values[k] + tol[k];
        }
        better
    };
    for i in 0..points.len() {
        points[i].efficient = match &crit[i] {
            Some(ci) => !crit.iter().enumerate().any(|(j, cj)| j != i && cj.as_ref().is_some_and(|cj| dominates(cj, ci))),
            None => false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;

    fn point(values: [f64; 6], weights: [f64; 6], status: Status) -> Point {
        Point {
            values: vec![0.0],
            status,
            message: None,
            objective: status.is_optimal().then_some(0.0),
            terms: None,
            metrics: None,
            shadow_prices: vec![None],
            efficient: false,
            hot_start: false,
            iterations: 0,
            solve_seconds: 0.0,
            criteria: status.is_optimal().then_some(Criteria { values, weights }),
            conflict: Vec::new(),
        }
    }

    #[test]
    fn efficiency_of_hand_made_points() {
        // Weighted engagement and revenue; quality has weight 0 and must not count.
        let w = [1.0, 0.0, 1.0, 0.0, 0.0, 0.0];
        let mut pts = vec![
            point([10.0, 0.0, 1.0, 0.0, 0.0, 0.0], w, Status::Optimal),        // efficient: best engagement
            point([8.0, 99.0, 3.0, 0.0, 0.0, 0.0], w, Status::Optimal),        // efficient: trades
            point([7.0, 500.0, 2.0, 0.0, 0.0, 0.0], w, Status::Optimal),       // dominated by #1 (quality ignored)
            point([8.0, 0.0, 3.0 - 1e-12, 0.0, 0.0, 0.0], w, Status::Optimal), // ties #1 within noise
            point([100.0, 0.0, 100.0, 0.0, 0.0, 0.0], w, Status::Infeasible),  // never efficient, dominates nothing
        ];
        mark_efficient(&mut pts);
        let eff: Vec<bool> = pts.iter().map(|p| p.efficient).collect();
        assert_eq!(eff, vec![true, true, false, true, false]);
        // With quality weighted, #2 is no longer dominated.
        for p in &mut pts {
            if let Some(c) = p.criteria.as_mut() {
                c.weights[1] = 0.1;
            }
        }
        mark_efficient(&mut pts);
        assert!(pts[2].efficient);
    }
}
