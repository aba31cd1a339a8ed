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
