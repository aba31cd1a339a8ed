//! Property tests of the exact solve on generated days: feasibility, strong duality,
//! complementary slackness, shadow prices against finite differences of the optimum,
//! monotonicity under tightening, and agreement with the independent good_lp formulation.

use agora_instances::{
    generate_day, generate_with, plan_violations, Constraint, ConstraintKind, EngagementEstimate, Evidence, GenerateConfig, Instance, Param, SegmentSelector,
    Size,
};
use agora_solver::{solve, BackendChoice, Settings, Solution, Status};
use agora_tests::oracle;
use proptest::prelude::*;

fn optimum(inst: &Instance) -> Option<f64> {
    optimum_with(inst, &Settings::default())
}

fn optimum_with(inst: &Instance, settings: &Settings) -> Option<f64> {
    let sol = solve(inst, settings).expect("no solver error");
    match sol.status {
        Status::Optimal => Some(sol.objective),
        Status::Infeasible => None,
        // HiGHS' QP solver may stall on a nudged day (BackendChoice::resolve); that side is not
        // compared.
        Status::TimeLimit if settings.time_limit.is_some() => None,
        // A nudged day can be extreme: a share of 0 nudged to 1e-7 leaves a floor row whose terms
        // total 0.01 impressions, where an interior point's 1e-5 impressions of error exceed
        // agora's check (1e-6 of the row's scale). Seen once in 300 days (seed 88331); that side
        // is not compared. Unnudged days must pass (checked in check_shadow_prices).
        Status::NumericalError if settings.backend == BackendChoice::Clarabel => None,
        // HiGHS' QP solver may also fail outright on a nudged day (tiny day seed 57235: status
        // Error with presolve on and off); that side is not compared either.
        Status::NumericalError if settings.backend == BackendChoice::Highs && inst.objective.regularization > 0.0 => None,
        other => panic!("unexpected status {other}: {:?}", sol.message),
    }
}

fn solved(inst: &Instance) -> Solution {
    let sol = solve(inst, &Settings::default()).expect("no solver error");
    assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    sol
}

/// The parameters whose rows carry shadow prices (not objective weights or penalties).
fn row_params(inst: &Instance) -> Vec<Param> {
    Param::all(inst).into_iter().filter(|p| p.loosens_when_raised(inst).is_some()).collect()
}

/// The finite-difference step: small against the parameter itself, so that the difference
/// quotients are one-sided derivatives rather than secants across breakpoints (a share of 4e-4
/// with a step of 1e-4 spans kinks of the value function).
///
/// An exploration floor's `min_share` moves a coefficient on every edge of its segment in each of
/// its rows (one row per unproven edge), so the optimum curves much faster in it: on estimated day
/// seed 24742 (second derivative about 4e5) a step of 1e-4 put the secant 18 below the derivative
/// of -26,972. Its step is 100 times smaller.
fn step(inst: &Instance, p: &Param, value: f64) -> f64 {
    match p {
        Param::Constraint(k, "min_share") if matches!(inst.constraints[*k].kind, ConstraintKind::ExplorationFloor { .. }) => (1e-5 * value).clamp(1e-9, 1e-6),
        Param::Constraint(_, "max_share" | "min_share" | "tolerance") => (1e-3 * value).clamp(1e-7, 1e-4),
        _ => 1e-4 * value.abs().max(1.0),
    }
}

fn in_range(p: &Param, v: f64) -> bool {
    match p {
        Param::Constraint(_, "max_share" | "min_share") => (0.0..=1.0).contains(&v),
        Param::Constraint(_, "tolerance") => (0.0..1.0).contains(&v),
        Param::Supply(_) | Param::ItemCap(_) => v > 0.0,
        _ => v >= 0.0,
    }
}

fn check_shadow_prices(inst: &Instance, settings: &Settings) -> Result<(), TestCaseError> {
    let sol = solve(inst, settings).expect("no solver error");
    prop_assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    let v0 = sol.objective;
    for p in row_params(inst) {
        let theta = p.get(inst);
        let h = step(inst, &p, theta);
        let shadow = sol.shadow_price_of(inst, &p).expect("a row parameter");
        let at = |v: f64| -> Option<f64> {
            if !in_range(&p, v) {
                return None;
            }
            let mut nudged = inst.clone();
            p.set(&mut nudged, v);
            optimum_with(&nudged, settings)
        };
        let right = at(theta + h).map(|v| (v - v0) / h);
        let left = at(theta - h).map(|v| (v0 - v) / h);
        // At the edge of a parameter's range (a share of 0 or 1) only one side exists, and the
        // value function may jump there (a freshness floor above 0 in a segment without fresh
        // edges empties the segment): no derivative to compare with.
        let (Some(l), Some(r)) = (left, right) else { continue };
        let (lo, hi) = (l.min(r), l.max(r));
        // Solver noise in the optimum (relative 1e-9 for simplex, 1e-8 for interior point)
        // becomes noise / h in a difference quotient.
        // Clarabel's interior-point duals, LP and QP, are accurate to 1e-5 (see
        // backend_agreement.rs), its optima to about 1e-7 of the objective.
        let lp = inst.objective.regularization == 0.0;
        let (rel, noise) = match settings.backend.resolve(!lp) {
            BackendChoice::Highs => (1e-5, 1e-8),
            _ => (1e-5, 1e-7),
        };
        let tol = rel * (1.0 + shadow.abs()) + noise * (1.0 + v0.abs()) / h;
        prop_assert!(
            lo - tol <= shadow && shadow <= hi + tol,
            "{}: shadow price {shadow} outside the one-sided derivatives [{lo}, {hi}] (theta {theta}, h {h})",
            p.name(inst)
        );
    }
    Ok(())
}

/// A generated day whose edges carry estimates (as `agora estimate` writes them): logged rounds
/// 0 to 59, an interval around each engagement, one of the three engagement estimates in the
/// objective, and an exploration floor (hard or soft) over the edges with fewer than 20 rounds.
fn with_estimates(seed: u64) -> Instance {
    let mut inst = generate_day(Size::Tiny, seed, 0.0);
    // A small deterministic generator (splitmix64), so the test needs no rand of its own.
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xd1b5_4a32_d192_ed03;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    inst.evidence = inst
        .edges
        .iter()
        .map(|e| {
            let n = (next() * 60.0) as u64;
            let (down, up) = (next() * 0.8, next() * 1.5);
            Evidence { n, lcb: e.engagement * (1.0 - down), ucb: e.engagement * (1.0 + up) }
        })
        .collect();
    inst.objective.engagement_estimate = EngagementEstimate::ALL[(seed % 3) as usize];
    let mut unproven = vec![0usize; inst.segments.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        unproven[edge.segment] += (inst.evidence[e].n < 20) as usize;
    }
    let most = unproven.into_iter().max().unwrap_or(1).max(1);
    let min_share = (0.05 + 0.4 * next()) / most as f64;
    let penalty = seed.is_multiple_of(2).then_some(0.5);
    inst.constraints.push(Constraint {
        name: "explore".into(),
        penalty,
        kind: ConstraintKind::ExplorationFloor { segments: SegmentSelector::All, min_share, max_n: 20 },
    });
    inst
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn estimated_days_agree_with_good_lp_and_their_shadow_prices_hold(seed in 0u64..100_000) {
        let inst = with_estimates(seed);
        let sol = solve(&inst, &Settings::default()).expect("no solver error");
        let theirs = oracle::optimum(&inst);
        // Generated days are feasible, so a soft floor keeps them so.
        if inst.constraints.last().unwrap().penalty.is_some() {
            prop_assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
        }
        match sol.status {
            Status::Optimal => {
                let theirs = theirs.expect("good_lp finds the day feasible too");
                prop_assert!((sol.objective - theirs).abs() <= 1e-6 * (1.0 + theirs.abs()), "agora {} vs good_lp {theirs}", sol.objective);
                // One row per unproven edge of every segment, each served at least its share.
                let rows: Vec<_> = sol.rows.iter().filter(|r| r.kind == agora_solver::RowKind::ExplorationFloor).collect();
                let ConstraintKind::ExplorationFloor { min_share, .. } = inst.constraints.last().unwrap().kind else { unreachable!() };
                prop_assert_eq!(rows.len(), inst.evidence.iter().filter(|v| v.n < 20).count());
                let mut served = vec![0.0; inst.segments.len()];
                for (edge, x) in inst.edges.iter().zip(&sol.impressions) {
                    served[edge.segment] += x;
                }
                if inst.constraints.last().unwrap().penalty.is_none() {
                    for (e, edge) in inst.edges.iter().enumerate().filter(|(e, _)| inst.evidence[*e].n < 20) {
                        prop_assert!(sol.impressions[e] >= min_share * served[edge.segment] - 1e-6 * (1.0 + served[edge.segment]), "edge {e}");
                    }
                }
                check_shadow_prices(&inst, &Settings::default())?;
            }
            Status::Infeasible => prop_assert!(theirs.is_none(), "agora says infeasible, good_lp {theirs:?}"),
            other => prop_assert!(false, "unexpected status {other}: {:?}", sol.message),
        }
    }

    #[test]
    fn plan_is_feasible_and_the_certificate_holds(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let sol = solved(&inst);
        let cert = sol.certificate.clone().unwrap();
        prop_assert!(cert.primal_residual <= 1e-7, "{cert:?}");
        prop_assert!(cert.dual_residual <= 1e-7, "{cert:?}");
        // Strong duality: the Lagrangian bound at the reported duals meets the objective.
        prop_assert!(cert.gap.abs() <= 1e-7, "{cert:?}");
        // The instance crate's own check, which knows nothing of the model IR.
        // Soft rules may be violated (and paid for); the check treats them as hard, so skip them.
        let soft: Vec<&str> = inst.constraints.iter().filter(|c| c.penalty.is_some()).map(|c| c.name.as_str()).collect();
        let violations: Vec<String> = plan_violations(&inst, &sol.impressions, 1e-6)
            .into_iter()
            .filter(|v| !soft.iter().any(|n| v.starts_with(&format!("{n}:")) || v.starts_with(&format!("{n}["))))
            .collect();
        prop_assert!(violations.is_empty(), "{violations:?}");
        prop_assert!((sol.terms.total() - sol.objective).abs() <= 1e-9 * (1.0 + sol.objective.abs()));
    }

    #[test]
    fn complementary_slackness_and_dual_signs(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let sol = solved(&inst);
        for r in &sol.rows {
            match r.sense {
                agora_solver::Sense::Le => prop_assert!(r.dual >= 0.0, "{}", r.name),
                agora_solver::Sense::Ge => prop_assert!(r.dual <= 0.0, "{}", r.name),
            }
            let scale = 1.0 + r.bound.abs() + r.activity.abs();
            prop_assert!((r.dual * r.slack).abs() <= 1e-7 * scale * (1.0 + r.dual.abs()), "{}: dual {} slack {}", r.name, r.dual, r.slack);
        }
    }

    #[test]
    fn shadow_prices_match_finite_differences_lp(seed in 0u64..100_000) {
        check_shadow_prices(&generate_day(Size::Tiny, seed, 0.0), &Settings::default())?;
    }

    #[test]
    fn shadow_prices_match_finite_differences_lp_clarabel(seed in 0u64..100_000) {
        let settings = Settings { backend: BackendChoice::Clarabel, ..Settings::default() };
        let inst = generate_day(Size::Tiny, seed, 0.0);
        // Every answer must pass agora's check. (Before Clarabel's static regularisation was
        // lowered and rows scaled, about one LP day in a hundred failed it.)
        let sol = solve(&inst, &settings).unwrap();
        prop_assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
        check_shadow_prices(&inst, &settings)?;
    }

    #[test]
    fn shadow_prices_match_finite_differences_qp(seed in 0u64..100_000) {
        check_shadow_prices(&generate_day(Size::Tiny, seed, 0.5), &Settings::default())?;
    }

    #[test]
    fn shadow_prices_match_finite_differences_qp_highs(seed in 0u64..100_000) {
        let settings = Settings { backend: BackendChoice::Highs, time_limit: Some(2.0), ..Settings::default() };
        let inst = generate_day(Size::Tiny, seed, 0.5);
        // HiGHS' active-set QP solver can stall on agora's tiny Hessian (see BackendChoice::resolve):
        // only days it solves are compared.
        prop_assume!(solve(&inst, &settings).unwrap().status == Status::Optimal);
        check_shadow_prices(&inst, &settings)?;
    }

    #[test]
    fn tightening_a_rule_never_raises_the_optimum(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let v0 = solved(&inst).objective;
        for p in row_params(&inst) {
            let theta = p.get(&inst);
            let loosens = p.loosens_when_raised(&inst).unwrap();
            let delta = match p {
                Param::Constraint(_, "max_share" | "min_share" | "tolerance") => 0.05,
                _ => 0.1 * theta.abs().max(1e-3),
            };
            let tighter = if loosens { theta - delta } else { theta + delta };
            if !in_range(&p, tighter) {
                continue;
            }
            let mut t = inst.clone();
            p.set(&mut t, tighter);
            if let Some(v) = optimum(&t) {
                prop_assert!(v <= v0 + 1e-7 * (1.0 + v0.abs()), "{}: {theta} -> {tighter} raised the optimum {v0} -> {v}", p.name(&inst));
            }
        }
    }

    #[test]
    fn agrees_with_the_independent_good_lp_formulation(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let ours = solved(&inst).objective;
        let theirs = oracle::optimum(&inst).expect("good_lp finds the day feasible");
        prop_assert!((ours - theirs).abs() <= 1e-6 * (1.0 + theirs.abs()), "agora {ours} vs good_lp {theirs}");
    }
}

#[test]
fn good_lp_cross_check_on_a_small_day() {
    let inst = generate_with(&GenerateConfig::for_size(Size::Small), 3);
    let ours = solved(&inst).objective;
    let theirs = oracle::optimum(&inst).expect("feasible");
    assert!((ours - theirs).abs() <= 1e-6 * (1.0 + theirs.abs()), "agora {ours} vs good_lp {theirs}");
}

/// The MovieLens-100k day (data fetched by scripts/fetch-data.sh, which `make test` runs) at `rho`.
fn real_day(rho: f64) -> Instance {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(dir.join("ml-100k.inter").is_file(), "{} is missing: run scripts/fetch-data.sh (make test does)", dir.display());
    let mut day = agora_instances::import::movielens::import(&dir).unwrap();
    day.objective.regularization = rho;
    day
}

/// The estimated day on which an exploration floor's shadow price first fell outside the
/// finite-difference bracket (its step was too large; see `step`).
#[test]
fn estimated_day_seed_24742_shadow_prices() {
    check_shadow_prices(&with_estimates(24742), &Settings::default()).unwrap();
}

#[test]
fn the_real_days_shadow_prices_match_re_solves_lp() {
    check_shadow_prices(&real_day(0.0), &Settings::default()).unwrap();
}

#[test]
fn the_real_days_shadow_prices_match_re_solves_qp() {
    // Clarabel's interior-point duals after agora's dual cleaning, on the regularised day.
    check_shadow_prices(&real_day(5.0), &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
}
