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

/// Regression: just below the feasibility boundary of an ad-load sweep (the generated small day is
/// feasible from a share of about 0.07), HiGHS' default run ended with model status Unknown, and
/// so did a run without presolve (4 of 800 points). agora retries such runs, last with the interior
/// point and crossover, which proves them infeasible; Clarabel agrees.
#[test]
fn highs_unknown_near_a_feasibility_boundary_is_retried() {
    let mut inst = generate(Size::Small, 1);
    let p = agora_instances::Param::parse(&inst, "ad-load.max_share").unwrap();
    for share in [5.181476846057573e-2, 5.55694618272841e-2, 5.74468085106383e-2, 6.645807259073842e-2] {
        p.set(&mut inst, share);
        let sol = solve(&inst, &Settings::default()).unwrap();
        assert_eq!(sol.status, Status::Infeasible, "share {share}: {:?}", sol.message);
        assert!(sol.message.as_deref().is_some_and(|m| m.contains("after the default run")), "share {share}: {:?}", sol.message);
        let clarabel = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        assert_eq!(clarabel.status, Status::Infeasible);
    }
    // Just above the boundary both solve.
    p.set(&mut inst, 0.07);
    assert_eq!(solve(&inst, &Settings::default()).unwrap().status, Status::Optimal);
}
