//! Every backend outcome maps to a spec status; limits are statuses, not errors, and never optimal.

use agora_instances::{generate, generate_with, GenerateConfig, Size};
use agora_solver::{solve, BackendChoice, Settings, Status};

#[test]
fn iteration_limits_are_reported_as_such_by_both_backends() {
    let inst = generate(Size::Small, 2);
    for backend in [BackendChoice::Highs, BackendChoice::Clarabel] {
        let sol = solve(&inst, &Settings { backend, iteration_limit: Some(1), ..Settings::default() }).unwrap();
        assert_eq!(sol.status, Status::IterationLimit, "{backend:?}: {:?}", sol.message);
        assert!(sol.impressions.is_empty() && sol.rows.is_empty(), "no plan without an optimum");
        assert!(sol.message.is_some());
    }
}

#[test]
fn auto_picks_highs_for_lps_and_clarabel_for_qps() {
    assert_eq!(BackendChoice::Auto.resolve(false), BackendChoice::Highs);
    assert_eq!(BackendChoice::Auto.resolve(true), BackendChoice::Clarabel);
    assert_eq!(BackendChoice::Highs.resolve(true), BackendChoice::Highs);
    let inst = generate(Size::Tiny, 4);
    assert_eq!(solve(&inst, &Settings::default()).unwrap().backend, "highs");
}

/// Regression: with Clarabel's default `tol_ktratio` (1e-6), every generated small QP day was
/// declared infeasible after one iteration, from a spurious certificate (right-hand sides ~1e5
/// against a Hessian diagonal ~1e-6). HiGHS solves the same day.
#[test]
fn clarabel_false_infeasible_on_small_qp() {
    let mut cfg = GenerateConfig::for_size(Size::Small);
    cfg.regularization = 0.5;
    let inst = generate_with(&cfg, 1);
    let c = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
    assert_eq!(c.status, Status::Optimal, "{:?}", c.message);
    let h = solve(&inst, &Settings { backend: BackendChoice::Highs, time_limit: Some(60.0), ..Settings::default() }).unwrap();
    assert_eq!(h.status, Status::Optimal, "{:?}", h.message);
    assert!((h.objective - c.objective).abs() <= 1e-6 * h.objective.abs(), "highs {} clarabel {}", h.objective, c.objective);
}
