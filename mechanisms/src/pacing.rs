//! Pacing multipliers from the plan's budget duals.
//!
//! ## Derivation
//! For an ad edge `e` of campaign `a` the LP's optimality (KKT) conditions say that, at the
//! optimum, the edge's reduced value
//!
//! `c_e - mu_a * price_e - sum_{other rows r} y_r a_re`
//!
//! is 0 where the edge is served and `<= 0` where it is not (`mu_a` is the dual of `budget[a]`).
//! Writing `c_e = base_e + w_revenue * price_e` (base: engagement, quality, risk), the budget dual
//! enters exactly as a scaling of the campaign's bid (`price_e`) in the revenue term:
//!
//! `base_e + w_revenue * (1 - mu_a / w_revenue) * price_e`.
//!
//! So serving that scales the campaign's bids by `m_a = 1 - mu_a / w_revenue` ranks its
//! impressions exactly as the plan values them. When the budget is slack, `mu_a = 0` and
//! `m_a = 1`. When `mu_a >= w_revenue` the campaign's revenue is worth no more than the budget it
//! uses up: no multiplier in `(0, 1]` represents that, so `m_a` is floored at [`MIN_MULTIPLIER`]
//! and serving must rely on the exported budget dual (and the budget guard) for such campaigns.
//! With `w_revenue = 0` bids carry no value in the objective; any paced campaign is floored.

use agora_instances::Instance;
use agora_solver::{PacingEntry, Solution, SolutionFile};

/// The smallest multiplier agora exports: the spec requires multipliers in `(0, 1]`.
pub const MIN_MULTIPLIER: f64 = 1e-3;

/// The multiplier for a campaign whose budget row has dual `mu` when revenue weighs `w_revenue`.
pub fn multiplier(mu: f64, w_revenue: f64) -> f64 {
    if mu <= 0.0 {
        return 1.0;
    }
    if w_revenue <= 0.0 {
        return MIN_MULTIPLIER;
    }
    (1.0 - mu / w_revenue).clamp(MIN_MULTIPLIER, 1.0)
}

/// One pacing entry per campaign, in instance order. Empty unless the solution is optimal.
pub fn pacing(inst: &Instance, sol: &Solution) -> Vec<PacingEntry> {
    if !sol.status.is_optimal() {
        return Vec::new();
    }
    let spend = sol.campaign_spend(inst);
    inst.campaigns
        .iter()
        .zip(spend)
        .map(|(camp, spend)| {
            let mu = sol.row(&format!("budget[{}]", camp.id)).map_or(0.0, |r| r.dual);
            PacingEntry {
                campaign: camp.id.clone(),
                budget: camp.budget,
                spend,
                budget_dual: mu,
                multiplier: multiplier(mu, inst.objective.revenue),
            }
        })
        .collect()
}

/// The complete `agora.solution/v1` file: the solver's solution with pacing attached.
pub fn solution_file(inst: &Instance, sol: &Solution) -> SolutionFile {
    sol.to_file(inst, pacing(inst, sol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpaced_campaigns_have_multiplier_one() {
        assert_eq!(multiplier(0.0, 1.0), 1.0);
        assert_eq!(multiplier(0.0, 0.0), 1.0);
    }

    #[test]
    fn multiplier_scales_the_revenue_term_exactly() {
        // base + w * m * p == base + (w - mu) * p
        let (w, mu, p, base) = (2.0, 0.5, 0.01, 0.3);
        let m = multiplier(mu, w);
        assert!((base + w * m * p - (base + (w - mu) * p)).abs() < 1e-15);
        assert!(m > 0.0 && m < 1.0);
    }

    #[test]
    fn multiplier_is_floored_inside_the_open_interval() {
        assert_eq!(multiplier(5.0, 1.0), MIN_MULTIPLIER);
        assert_eq!(multiplier(1.0, 0.0), MIN_MULTIPLIER);
        assert!(multiplier(1e-12, 1.0) <= 1.0);
    }
}
