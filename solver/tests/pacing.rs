//! Pacing multipliers from every backend obey the spec: 1 exactly where the budget's dual is 0,
//! and an interior point's near-zero duals on clearly slack rows are cleaned to exactly 0
//! (complementary slackness enforced), so an unspent or underspent campaign is never throttled.

use agora_instances::{generate_day, Size};
use agora_solver::{solve, BackendChoice, RowKind, Settings, Status};
use proptest::prelude::*;

fn check(seed: u64, rho: f64, size: Size, backend: BackendChoice) -> Result<(), TestCaseError> {
    let inst = generate_day(size, seed, rho);
    let sol = solve(&inst, &Settings { backend, ..Settings::default() }).unwrap();
    prop_assume!(sol.status == Status::Optimal);
    // Rows whose terms are all non-negative (bounds, budgets, floors and caps of exposure or
    // revenue), whose size is max(1, |rhs|, activity); share and parity rows mix signs.
    let plain =
        |k: RowKind| matches!(k, RowKind::Supply | RowKind::Budget | RowKind::ItemCap | RowKind::ExposureFloor | RowKind::ExposureCap | RowKind::RevenueFloor);
    for r in sol.rows.iter().filter(|r| plain(r.kind)) {
        if r.slack > 1e-3 * r.bound.abs().max(r.activity.abs()).max(1.0) {
            prop_assert_eq!(r.dual, 0.0, "{}: slack {} but dual {}", r.name, r.slack, r.dual);
        }
    }
    for p in &sol.pacing {
        if p.budget_dual == 0.0 {
            prop_assert_eq!(p.multiplier, 1.0, "{}: dual 0, multiplier {}", p.campaign, p.multiplier);
        }
        if p.spend < p.budget * (1.0 - 1e-3) {
            prop_assert_eq!(p.multiplier, 1.0, "{}: spends {} of {}, multiplier {}", p.campaign, p.spend, p.budget, p.multiplier);
        }
        prop_assert!(p.multiplier > 0.0 && p.multiplier <= 1.0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn clarabel_multipliers_are_one_exactly_on_slack_budgets(seed in 0u64..10_000, qp in any::<bool>()) {
        check(seed, if qp { 0.5 } else { 0.0 }, Size::Tiny, BackendChoice::Clarabel)?;
    }

    #[test]
    fn every_backend_agrees_on_the_rule(seed in 0u64..10_000) {
        for backend in [BackendChoice::Highs, BackendChoice::FirstOrder] {
            check(seed, 0.0, Size::Tiny, backend)?;
        }
    }
}

/// The small generated day on Clarabel: some campaigns do not spend their budgets.
#[test]
fn clarabel_on_a_small_day_leaves_no_unspent_campaign_throttled() {
    for rho in [0.0, 0.5] {
        check(1, rho, Size::Small, BackendChoice::Clarabel).unwrap();
        let inst = generate_day(Size::Small, 1, rho);
        let sol = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        assert!(sol.pacing.iter().any(|p| p.multiplier == 1.0), "some campaign's budget is slack");
    }
}
