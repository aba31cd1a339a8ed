//! Regressions, HiGHS-style: each case is a day checked in under `tests/regressions/`, named
//! after the bug it caught, and a test of the same name. A change to the generator cannot change
//! what these test: the days are files, not seeds.

use std::path::PathBuf;

use agora_instances::{load, Instance, Param};
use agora_solver::{solve, BackendChoice, Settings, Status};

fn case(name: &str) -> Instance {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions").join(format!("{name}.json"));
    load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).instance
}

/// With Clarabel's default `tol_ktratio` (1e-6), every generated small QP day was declared
/// infeasible after one iteration, from a spurious certificate (right-hand sides ~1e5 against a
/// Hessian diagonal ~1e-6). HiGHS solves the same day. (The generated small day, seed 1, rho 0.5.)
#[test]
fn clarabel_false_infeasible_on_small_qp() {
    let inst = case("clarabel_false_infeasible_on_small_qp");
    assert_eq!(inst.objective.regularization, 0.5);
    let c = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
    assert_eq!(c.status, Status::Optimal, "{:?}", c.message);
    let h = solve(&inst, &Settings { backend: BackendChoice::Highs, time_limit: Some(60.0), ..Settings::default() }).unwrap();
    assert_eq!(h.status, Status::Optimal, "{:?}", h.message);
    assert!((h.objective - c.objective).abs() <= 1e-6 * h.objective.abs(), "highs {} clarabel {}", h.objective, c.objective);
}

/// Just below the feasibility boundary of an ad-load sweep (the day is feasible from a share of
/// about 0.07), HiGHS' default run ended with model status Unknown, and so did a run without
/// presolve (4 of 800 points). agora retries such runs, last with the interior point and
/// crossover, which proves them infeasible; Clarabel agrees. (The generated small day, seed 1.)
#[test]
fn highs_unknown_near_a_feasibility_boundary_is_retried() {
    let mut inst = case("highs_unknown_near_a_feasibility_boundary_is_retried");
    let p = Param::parse(&inst, "ad-load.max_share").unwrap();
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

/// 464 edges of the MovieLens day built from directors (issue 33; `agora import movielens
/// --creators directors`, 5 of its segments, every rule but the revenue floor dropped): a soft
/// revenue floor at a penalty of 40 puts a cost of 2e7 on its slack in Clarabel's units (a column
/// of 5e5 impressions), which Clarabel's own cost scaling (at most 1e4) left far from 1, and its
/// interior point stalled after 1-5 iterations ("insufficient progress") as an LP and at every
/// rho. agora now divides the objective by its largest coefficient; the answers must agree with
/// sifting's (HiGHS' simplex for the LP, KKT-polished for QPs) and pass the check.
#[test]
fn clarabel_stalls_on_an_unscaled_objective() {
    let base = case("clarabel_stalls_on_an_unscaled_objective");
    for rho in [0.0, 0.5, 5.0, 50.0] {
        let mut inst = base.clone();
        inst.objective.regularization = rho;
        let c = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        assert_eq!(c.status, Status::Optimal, "rho {rho}: {:?}", c.message);
        let s = solve(&inst, &Settings { backend: BackendChoice::FirstOrder, ..Settings::default() }).unwrap();
        assert_eq!(s.status, Status::Optimal, "rho {rho}: {:?}", s.message);
        let rel = (c.objective - s.objective).abs() / s.objective.abs();
        assert!(rel <= 1e-6, "rho {rho}: Clarabel {} sifting {} ({rel:e})", c.objective, s.objective);
        // Duals come back through the objective's scale: the revenue floor's must be sifting's
        // (0 where the floor is slack; at rho 50 it binds at a price of -32.186 per unit).
        let (cf, sf) = (c.rows.iter().find(|r| r.name == "revenue-floor").unwrap(), s.rows.iter().find(|r| r.name == "revenue-floor").unwrap());
        assert!((cf.dual - sf.dual).abs() <= 1e-5 * sf.dual.abs().max(1.0), "rho {rho}: revenue floor dual {} against sifting's {}", cf.dual, sf.dual);
    }
}
