//! HiGHS and Clarabel solve the same model to the same answer: objective, plan (where unique) and
//! the shadow prices of rows whose parameter has a two-sided derivative.

use agora_instances::{generate_day, Instance, Param, Size};
use agora_solver::{solve, BackendChoice, Settings, Solution, Status};
use proptest::prelude::*;

/// Default tolerances (Clarabel stops at 1e-3 of them, 1e-10); a time limit for HiGHS' QP solver.
fn with(backend: BackendChoice) -> Settings {
    Settings { backend, time_limit: Some(5.0), ..Settings::default() }
}

fn run(inst: &Instance, backend: BackendChoice) -> Solution {
    solve(inst, &with(backend)).expect("no solver error")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / (1.0 + a.abs().max(b.abs()))
}

/// The tolerance for shadow prices, relative to the larger of the two.
const SHADOW_REL: f64 = 1e-5;

/// Shadow prices agree when they differ by at most `SHADOW_REL` of the larger one, or when the
/// difference, applied over the parameter's whole value (at least 1), moves the objective by at
/// most `floor` of itself. The floor is for prices near zero, where relative error means nothing:
/// - LP (`LP_FLOOR` = 1e-7): an interior point leaves a small dual `mu / slack` on a row that
///   does not bind, and a share row multiplies it by `T_s` (~1e5 impressions); 1e-7 is Clarabel's
///   gap tolerance at these settings.
/// - QP (`QP_FLOOR` = 1e-5, the tolerance): a QP dual is a gradient `c - (rho/s) x` at the
///   plan, so it carries the plan's error (~1e-6 of supply) times the Hessian. On a row that only
///   just binds the price is itself of that size (measured: 1.6e-6 vs 2.0e-6 per impression on a
///   cap of 34,000, both between the one-sided derivatives 3e-10 and 6e-5 at h = 30).
///
/// Measured over 200 days each: LP prices agree to 2.8e-8 relative (significant rows) and 2.8e-10
/// of the objective (near-zero rows); QP prices to 3e-7 relative.
fn shadow_close(a: f64, b: f64, objective: f64, theta: f64, floor: f64) -> bool {
    (a - b).abs() <= SHADOW_REL * a.abs().max(b.abs()) || (a - b).abs() * theta.abs().max(1.0) <= floor * objective.abs()
}

const LP_FLOOR: f64 = 1e-7;
const QP_FLOOR: f64 = 1e-5;

/// True when the optimum has the same slope on both sides of the parameter's value (the row is
/// not degenerate there), measured by re-solves with `backend`.
fn two_sided(inst: &Instance, p: &Param, v0: f64, backend: BackendChoice) -> bool {
    let theta = p.get(inst);
    let h = match p {
        Param::Constraint(_, "max_share" | "min_share" | "tolerance") => 1e-4,
        _ => 1e-4 * theta.abs().max(1.0),
    };
    let at = |v: f64| {
        let mut t = inst.clone();
        p.set(&mut t, v);
        let s = run(&t, backend);
        s.status.is_optimal().then_some(s.objective)
    };
    match (at(theta - h), at(theta + h)) {
        (Some(l), Some(r)) => {
            let (dl, dr) = ((v0 - l) / h, (r - v0) / h);
            // Interior-point optima carry noise of about 1e-8 of the objective.
            let noise = if backend == BackendChoice::Highs { 0.0 } else { 1e-8 * v0.abs() / h };
            (dl - dr).abs() <= 1e-6 * (1.0 + dl.abs()) + noise
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn lp_objective_and_nondegenerate_shadow_prices_agree(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let h = run(&inst, BackendChoice::Highs);
        let c = run(&inst, BackendChoice::Clarabel);
        prop_assert_eq!(h.status, Status::Optimal);
        prop_assert_eq!(c.status, Status::Optimal, "{:?}", c.message);
        prop_assert!(rel(h.objective, c.objective) <= 1e-6, "objective: highs {} clarabel {}", h.objective, c.objective);
        for p in Param::all(&inst).into_iter().filter(|p| p.loosens_when_raised(&inst).is_some()) {
            if two_sided(&inst, &p, h.objective, BackendChoice::Highs) {
                let (sh, sc) = (h.shadow_price_of(&inst, &p).unwrap(), c.shadow_price_of(&inst, &p).unwrap());
                prop_assert!(shadow_close(sh, sc, h.objective, p.get(&inst), LP_FLOOR), "{}: highs {sh} clarabel {sc} objective {} theta {}", p.name(&inst), h.objective, p.get(&inst));
            }
        }
    }

    #[test]
    fn qp_objective_plan_and_shadow_prices_agree(seed in 0u64..100_000) {
        qp_agrees(seed)?;

    }
}

/// The QP checks of [`qp_objective_plan_and_shadow_prices_agree`] on the tiny day of `seed`.
fn qp_agrees(seed: u64) -> Result<(), TestCaseError> {
    let inst = generate_day(Size::Tiny, seed, 0.5);
    let h = run(&inst, BackendChoice::Highs);
    // HiGHS' active-set QP solver can stall on agora's tiny Hessian (BackendChoice::resolve).
    if h.status != Status::Optimal {
        return Ok(());
    }
    let c = run(&inst, BackendChoice::Clarabel);
    prop_assert_eq!(c.status, Status::Optimal, "{:?}", c.message);
    prop_assert!(rel(h.objective, c.objective) <= 1e-6, "objective: highs {} clarabel {}", h.objective, c.objective);
    // The QP optimum is unique: plans agree to 1e-5 of the segment's supply (measured over 200
    // days: 3.1e-6).
    for (e, (a, b)) in h.impressions.iter().zip(&c.impressions).enumerate() {
        let supply = inst.segments[inst.edges[e].segment].supply;
        prop_assert!((a - b).abs() <= 1e-5 * supply, "edge {e}: highs {a} clarabel {b}");
    }
    // Duals are unique only where the optimum has a two-sided derivative in the parameter.
    for p in Param::all(&inst).into_iter().filter(|p| p.loosens_when_raised(&inst).is_some()) {
        if two_sided(&inst, &p, c.objective, BackendChoice::Clarabel) {
            let (sh, sc) = (h.shadow_price_of(&inst, &p).unwrap(), c.shadow_price_of(&inst, &p).unwrap());
            prop_assert!(
                shadow_close(sh, sc, h.objective, p.get(&inst), QP_FLOOR),
                "{}: highs {sh} clarabel {sc} objective {} theta {}",
                p.name(&inst),
                h.objective,
                p.get(&inst)
            );
        }
    }
    Ok(())
}

/// Regression: with Clarabel's objective divided by its largest coefficient whatever its size
/// (issue 33), this day's supply price came out 3e-5 (relative) off HiGHS'.
#[test]
fn qp_supply_price_of_tiny_day_87753() {
    qp_agrees(87753).unwrap();
}
