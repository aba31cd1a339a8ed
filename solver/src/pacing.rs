//! Pacing multipliers from the plan's budget duals: part of every optimal [`Solution`], so a
//! solve returns a complete `agora.solution/v1` (spec section 4; docs/pacing.md).
//!
//! ## Derivation
//! For an ad edge `e` of campaign `a` the LP's optimality (KKT) conditions say that, at the
//! optimum, the edge's reduced value
//!
//! `c_e - mu_a * price_e - sum_{other rows r} y_r a_re`
//!
//! is 0 where the edge is served and `<= 0` where it is not (`mu_a` is the dual of `budget[a]`,
//! `c_e` the edge's value in the objective). So the budget turns the campaign's value `c_e` into
//! `c_e - mu_a price_e`: serving that ranks the campaign's candidates by a paced score
//! `m_a * c_e` reproduces the plan's valuation when `m_a c_e = c_e - mu_a price_e`. One number per
//! campaign cannot match every edge when `price_e / c_e` varies across its edges; agora takes the
//! one that matches on the campaign's planned impressions as a whole:
//!
//! `m_a = 1 - mu_a * spend_a / value_a`, `spend_a = sum_e price_e x_e`, `value_a = sum_e c_e x_e`,
//!
//! which is exact for every edge when the campaign's value is proportional to its price (revenue
//! alone: `m_a = 1 - mu_a / w_revenue`), is exactly 1 when the budget is slack (`mu_a = 0`), and
//! lies in `(0, 1]` whenever the campaign's served impressions are worth more than their shadow
//! cost (`c_e >= mu_a price_e`, which the KKT conditions give when no floor forces the campaign's
//! ads). It is clamped to `[MIN_MULTIPLIER, 1]` for the exceptions (a zero budget, floors).

use crate::formulate::edge_value;
use crate::ir::RowKind;
use crate::solution::{PacingEntry, RowReport, Solution};
use agora_instances::Instance;

/// The smallest multiplier agora exports: the spec requires multipliers in `(0, 1]`.
pub const MIN_MULTIPLIER: f64 = 1e-3;

/// The multiplier of a campaign with budget dual `mu`, planned spend `spend` and planned value
/// `value` (objective units) of its impressions.
pub fn multiplier(mu: f64, spend: f64, value: f64) -> f64 {
    if mu <= 0.0 {
        return 1.0;
    }
    if value <= 0.0 {
        return MIN_MULTIPLIER;
    }
    (1.0 - mu * spend / value).clamp(MIN_MULTIPLIER, 1.0)
}

/// Planned value `sum_e c_e x_e` of each campaign's impressions.
pub fn campaign_value(inst: &Instance, sol: &Solution) -> Vec<f64> {
    let mut value = vec![0.0; inst.campaigns.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        if let (Some(a), Some(&x)) = (inst.items[edge.item].campaign(), sol.impressions.get(e)) {
            value[a] += edge_value(inst, e) * x;
        }
    }
    value
}

/// One pacing entry per campaign, in instance order. Empty unless the solution is optimal.
pub fn pacing(inst: &Instance, sol: &Solution) -> Vec<PacingEntry> {
    if !sol.status.is_optimal() {
        return Vec::new();
    }
    entries(inst, &sol.rows, &sol.campaign_spend(inst), &campaign_value(inst, sol))
}

/// One pacing entry per campaign from the rows' report and each campaign's planned spend and
/// value.
pub(crate) fn entries(inst: &Instance, rows: &[RowReport], spend: &[f64], value: &[f64]) -> Vec<PacingEntry> {
    inst.campaigns
        .iter()
        .zip(spend)
        .zip(value)
        .map(|((camp, &spend), &value)| {
            let name = format!("budget[{}]", camp.id);
            let mu = rows.iter().find(|r| r.kind == RowKind::Budget && r.name == name).map_or(0.0, |r| r.dual);
            PacingEntry { campaign: camp.id.clone(), budget: camp.budget, spend, budget_dual: mu, multiplier: multiplier(mu, spend, value) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpaced_campaigns_have_multiplier_one() {
        assert_eq!(multiplier(0.0, 5.0, 10.0), 1.0);
        assert_eq!(multiplier(0.0, 0.0, 0.0), 1.0);
    }

    #[test]
    fn revenue_only_campaigns_scale_exactly() {
        // c_e = w p_e: m c_e == c_e - mu p_e on every edge.
        let (w, mu) = (2.0, 0.5);
        let prices = [0.01, 0.03];
        let x = [10.0, 20.0];
        let spend: f64 = prices.iter().zip(&x).map(|(p, x)| p * x).sum();
        let m = multiplier(mu, spend, w * spend);
        for p in prices {
            assert!((m * w * p - (w * p - mu * p)).abs() < 1e-15);
        }
        assert!(m > 0.0 && m < 1.0);
    }

    #[test]
    fn multiplier_is_floored_inside_the_open_interval() {
        assert_eq!(multiplier(5.0, 1.0, 1.0), MIN_MULTIPLIER);
        assert_eq!(multiplier(1.0, 0.0, 0.0), MIN_MULTIPLIER);
        assert!(multiplier(1e-12, 1.0, 1.0) <= 1.0);
    }
}
