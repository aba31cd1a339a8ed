//! Every backend outcome maps to a spec status; limits are statuses, not errors, and never optimal.

use agora_instances::{generate, Size};
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

/// `auto` falls back when its first path ends `numerical_error`: with a check tolerance of
/// 1e-15, Clarabel's interior-point answer to a QP fails agora's check; auto then answers by
/// another path (sifting's vertex answers pass; PDHG is checked at its own 1e-6) and says which.
/// An explicit backend is reported as it ended.
#[test]
fn auto_falls_back_when_its_first_path_fails_the_check() {
    use agora_solver::FirstOrderMethod;
    let inst = agora_instances::generate_day(Size::Tiny, 3, 0.5);
    let strict = Settings { check_tolerance: 1e-15, ..Settings::default() };
    let clarabel = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..strict.clone() }).unwrap();
    assert_eq!(clarabel.status, Status::NumericalError, "{:?}", clarabel.message);
    let auto = solve(&inst, &strict).unwrap();
    assert_eq!(auto.status, Status::Optimal, "{:?}", auto.message);
    let message = auto.message.clone().unwrap();
    assert!(message.starts_with("auto: clarabel ended numerical_error") && message.contains("answered by"), "{message}");
    // The answer is the optimum: the same as PDHG's at 1e-6, to that accuracy.
    let pdhg = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, first_order_tolerance: 1e-6, ..Settings::default() };
    let reference = solve(&inst, &pdhg).unwrap();
    assert!((auto.objective - reference.objective).abs() <= 1e-5 * reference.objective.abs(), "{} vs {}", auto.objective, reference.objective);
}
