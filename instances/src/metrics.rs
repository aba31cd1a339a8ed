//! Ecosystem metrics of a plan: what a planner reads off a day besides its objective.
//!
//! A plan is the impressions per edge, in the instance's edge order (`x[e]` for `inst.edges[e]`).
//! Every metric here is a function of the instance and the plan alone, so a frontier point, a
//! report and a simulation compute them the same way. Formulas are in the README ("Plan metrics").

use crate::types::{Instance, ItemKind};

/// The creator group whose share of organic exposure `new_creator_share` measures.
pub const NEW_CREATOR_GROUP: &str = "new";

/// The headline metrics of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlanMetrics {
    /// All impressions served.
    pub impressions: f64,
    /// Ad impressions / all impressions (0 when nothing is served).
    pub ad_load: f64,
    /// Sum of `price * x` over ad edges (currency, before the revenue weight).
    pub revenue: f64,
    /// Impressions of items by creators in group `new` / organic impressions.
    pub new_creator_share: f64,
    /// Gini coefficient of organic impressions over every creator of the instance, zeros included.
    pub creator_gini: f64,
}

impl PlanMetrics {
    /// Computes the metrics of plan `x` (impressions per edge) on `inst`.
    ///
    /// # Panics
    /// If `x` is shorter than the instance's edge list (a programming error, not user input).
    pub fn of(inst: &Instance, x: &[f64]) -> PlanMetrics {
        assert!(x.len() >= inst.edges.len(), "plan has {} entries for {} edges", x.len(), inst.edges.len());
        let (mut total, mut ads, mut revenue) = (0.0, 0.0, 0.0);
        for (edge, &xe) in inst.edges.iter().zip(x) {
            total += xe;
            if inst.items[edge.item].kind() == ItemKind::Ad {
                ads += xe;
                revenue += edge.price * xe;
            }
        }
        let exposure = creator_exposure(inst, x);
        let organic: f64 = exposure.iter().sum();
        let new: f64 = inst
            .creators
            .iter()
            .zip(&exposure)
            .filter(|(c, _)| c.group == NEW_CREATOR_GROUP)
            .map(|(_, e)| e)
            .sum();
        PlanMetrics {
            impressions: total,
            ad_load: ratio(ads, total),
            revenue,
            new_creator_share: ratio(new, organic),
            creator_gini: gini(&exposure),
        }
    }
}

/// Organic impressions per creator, in the instance's creator order.
pub fn creator_exposure(inst: &Instance, x: &[f64]) -> Vec<f64> {
    let mut exposure = vec![0.0; inst.creators.len()];
    for (edge, &xe) in inst.edges.iter().zip(x) {
        if let Some(c) = inst.items[edge.item].creator() {
            exposure[c] += xe;
        }
    }
    exposure
}

/// `num / den`, or 0 when `den` is 0 (an empty plan has no ad load, no share).
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// The Gini coefficient of non-negative `values`: `sum_i sum_j |v_i - v_j| / (2 n^2 mean)`.
///
/// 0 when all values are equal (or all zero, or there are none); `(n-1)/n` when one holds all.
/// Computed from the sorted values in O(n log n): `G = 2 sum_i i v_(i) / (n sum v) - (n+1)/n` with
/// ranks `i` from 1.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let sum: f64 = values.iter().sum();
    if n == 0 || sum <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted.iter().enumerate().map(|(i, v)| (i as f64 + 1.0) * v).sum();
    let nf = n as f64;
    (2.0 * weighted / (nf * sum) - (nf + 1.0) / nf).max(0.0)
}

/// Herfindahl-Hirschman index of the shares `values / sum(values)`: `sum share^2`, in (0, 1].
/// 0 when the total is 0.
pub fn hhi(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    values.iter().map(|v| (v / sum) * (v / sum)).sum()
}

/// Shannon entropy in bits of the shares `values / sum(values)` (zeros contribute nothing).
pub fn entropy_bits(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    -values.iter().filter(|&&v| v > 0.0).map(|v| v / sum * (v / sum).log2()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_hand_computed_distributions() {
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
        assert!((gini(&[5.0, 5.0, 5.0]) - 0.0).abs() < 1e-15);
        // One of four holds everything: (n-1)/n.
        assert!((gini(&[0.0, 0.0, 7.0, 0.0]) - 0.75).abs() < 1e-15);
        // [1, 3]: sum |vi - vj| over ordered pairs = 4, 2 n^2 mean = 2*4*2 = 16 -> 0.25.
        assert!((gini(&[3.0, 1.0]) - 0.25).abs() < 1e-15);
        // [0, 1, 2]: pair sum = 2*(1+2+1) = 8, 2*9*1 = 18 -> 4/9.
        assert!((gini(&[2.0, 0.0, 1.0]) - 4.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn hhi_and_entropy_of_hand_computed_distributions() {
        assert!((hhi(&[1.0, 1.0, 1.0, 1.0]) - 0.25).abs() < 1e-15);
        assert!((hhi(&[0.0, 3.0]) - 1.0).abs() < 1e-15);
        assert!((entropy_bits(&[1.0, 1.0, 1.0, 1.0]) - 2.0).abs() < 1e-15);
        assert!((entropy_bits(&[0.0, 3.0]) - 0.0).abs() < 1e-15);
        // shares 1/2, 1/4, 1/4: 0.5*1 + 2*0.25*2 = 1.5 bits.
        assert!((entropy_bits(&[2.0, 1.0, 1.0]) - 1.5).abs() < 1e-15);
        assert_eq!(hhi(&[]), 0.0);
        assert_eq!(entropy_bits(&[0.0]), 0.0);
    }
}
