//! Frontiers: hot-started sweeps against independent cold solves, the envelope theorem against
//! finite differences, the shape of a floor's value function, infeasible points, grids (the files: agora-analysis).

use agora_instances::{generate, generate_with, load, GenerateConfig, Instance, Param, Size};
use agora_solver::frontier::{self, FrontierError, FrontierSettings, Sweep};
use agora_solver::{solve, Settings, Status};

fn example() -> Instance {
    load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance
}

/// One chain, so that every point after the first is hot-started.
fn one_chain(hot_start: bool) -> FrontierSettings {
    FrontierSettings { hot_start, max_chains: Some(1), ..FrontierSettings::default() }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

/// Every point of a hot-started sweep equals an independent cold solve of the day with the
/// parameter set: same status, objective to 1e-9 relative.
fn assert_hot_matches_cold(inst: &Instance, spec: &str, points: usize) {
    let sweep = Sweep::parse(inst, spec, points).unwrap();
    let f = frontier::run(inst, std::slice::from_ref(&sweep), &one_chain(true), &agora_solver::Silent).unwrap();
    assert_eq!(f.points.len(), points);
    for (i, p) in f.points.iter().enumerate() {
        let mut day = inst.clone();
        sweep.param.set(&mut day, p.values[0]);
        let cold = solve(&day, &Settings::default()).unwrap();
        assert_eq!(p.status, cold.status, "{spec} point {i} ({}): {:?}", p.values[0], p.message);
        if cold.status.is_optimal() {
            let o = p.objective.unwrap();
            assert!(rel(o, cold.objective) <= 1e-9, "{spec} point {i}: hot {o} cold {}", cold.objective);
        } else {
            assert_eq!(p.objective, None);
        }
    }
    // The first point is cold; after an optimal or infeasible point the chain stays hot.
    assert!(!f.points[0].hot_start);
    for w in f.points.windows(2) {
        if matches!(w[0].status, Status::Optimal | Status::Infeasible) {
            assert!(w[1].hot_start, "{spec}: point at {} was not hot-started", w[1].values[0]);
        }
    }
}

#[test]
fn hot_started_sweeps_match_cold_solves_for_every_kind_of_edit() {
    let day = example();
    // Right-hand sides (floors, caps, supply, budget), coefficients (shares, parity tolerance),
    // costs (objective weights, a penalty).
    for spec in [
        "new-creator-exposure.min=0..400000",
        "revenue-floor.min=0..3000",
        "home-eu-exposure-cap.max=0..120000",
        "supply[eu-adult]=100000..400000",
        "budget[acme-cookware]=0..300",
        "ad-load.max_share=0.02..0.5",
        "topic-diversity.max_share=0.2..0.6",
        "freshness.min_share=0..0.6",
        "integrity.max_share=0.01..0.1",
        "creator-parity.tolerance=0..0.9",
        "objective.revenue=0..40",
        "objective.engagement=0.2..3",
        "home-eu-exposure-cap.penalty=0.001..0.2",
    ] {
        assert_hot_matches_cold(&day, spec, 9);
    }
}

#[test]
fn hot_started_sweep_on_a_generated_small_day_matches_cold_solves() {
    let day = generate(Size::Small, 3);
    let name = day.constraints.iter().find(|c| c.kind.type_name() == "ad_load").unwrap().name.clone();
    assert_hot_matches_cold(&day, &format!("{name}.max_share=0.05..0.4"), 6);
}

#[test]
fn hot_and_cold_runs_agree_and_qps_solve_cold() {
    let day = example();
    let sweep = Sweep::parse(&day, "ad-load.max_share=0.05..0.35", 7).unwrap();
    let hot = frontier::run(&day, std::slice::from_ref(&sweep), &one_chain(true), &agora_solver::Silent).unwrap();
    let cold = frontier::run(&day, &[sweep], &FrontierSettings { hot_start: false, ..FrontierSettings::default() }, &agora_solver::Silent).unwrap();
    assert!(cold.points.iter().all(|p| !p.hot_start));
    for (h, c) in hot.points.iter().zip(&cold.points) {
        assert_eq!(h.status, c.status);
        assert_eq!(h.objective.is_some(), c.objective.is_some());
        if let (Some(ho), Some(co)) = (h.objective, c.objective) {
            assert!(rel(ho, co) <= 1e-9);
            assert!(rel(h.shadow_prices[0].unwrap(), c.shadow_prices[0].unwrap()) <= 1e-6, "{:?} {:?}", h.shadow_prices, c.shadow_prices);
        }
        assert_eq!(h.efficient, c.efficient);
    }
    assert_eq!(hot.knee, cold.knee);

    // A QP (rho > 0): no hot start; every point equals a cold solve with the auto backend.
    let mut cfg = GenerateConfig::for_size(Size::Tiny);
    cfg.regularization = 0.5;
    let qp = generate_with(&cfg, 4);
    let name = qp.constraints.iter().find(|c| c.kind.type_name() == "ad_load").unwrap().name.clone();
    let sweep = Sweep::parse(&qp, &format!("{name}.max_share=0.1..0.3"), 4).unwrap();
    let f = frontier::run(&qp, std::slice::from_ref(&sweep), &one_chain(true), &agora_solver::Silent).unwrap();
    for p in &f.points {
        assert!(!p.hot_start);
        let mut d = qp.clone();
        sweep.param.set(&mut d, p.values[0]);
        let cold = solve(&d, &Settings::default()).unwrap();
        assert_eq!(p.status, cold.status, "{:?}", p.message);
        if let Some(o) = p.objective {
            assert!(rel(o, cold.objective) <= 1e-9);
        }
    }
    assert!(f.points.iter().filter(|p| p.status.is_optimal()).count() >= 2, "{:?}", f.points.iter().map(|p| p.status).collect::<Vec<_>>());
}

/// The envelope theorem: at each point the reported derivative lies between the one-sided
/// slopes to its neighbours at +-h (re-solves of the same day, h small).
#[test]
fn reported_slopes_lie_between_one_sided_finite_differences() {
    let day = example();
    let params = [
        ("new-creator-exposure.min", 1000.0),
        ("revenue-floor.min", 5.0),
        ("home-eu-exposure-cap.max", 500.0),
        ("supply[eu-adult]", 500.0),
        ("budget[threadline-apparel]", 2.0),
        ("ad-load.max_share", 1e-3),
        ("topic-diversity.max_share", 1e-3),
        ("freshness.min_share", 1e-3),
        ("integrity.max_share", 1e-4),
        ("creator-parity.tolerance", 1e-3),
        ("objective.revenue", 0.05),
        ("objective.engagement", 0.01),
        ("objective.quality", 0.001),
        ("objective.integrity_risk", 0.01),
        ("home-eu-exposure-cap.penalty", 0.001),
    ];
    for (name, h) in params {
        let p = Param::parse(&day, name).unwrap();
        let v = p.get(&day);
        let sweep = Sweep::new(&day, p, v - h, v + h, 3).unwrap();
        let f = frontier::run(&day, &[sweep], &one_chain(true), &agora_solver::Silent).unwrap();
        let y: Vec<f64> = f.points.iter().map(|q| q.objective.unwrap_or_else(|| panic!("{name}: {:?}", q.status))).collect();
        let (left, right) = ((y[1] - y[0]) / h, (y[2] - y[1]) / h);
        let s = f.points[1].shadow_prices[0].unwrap();
        // Room for rounding of the objective over the step, and for the solver's tolerances.
        let tol = 1e-5 * left.abs().max(right.abs()) + 1e-7 * y[1].abs() / h;
        assert!(s >= left.min(right) - tol && s <= left.max(right) + tol, "{name} at {v}: slope {s} outside one-sided slopes [{left}, {right}] (tol {tol})");
    }
}

/// A floor sweep: the optimum (an LP value function of a right-hand side) is non-increasing
/// and concave in the floor; past the total supply the floor cannot be met.
#[test]
fn floor_sweep_is_non_increasing_concave_then_infeasible() {
    let day = example();
    let total: f64 = day.segments.iter().map(|s| s.supply).sum();
    // A coarse sweep past the total supply: every floor above it is infeasible.
    let coarse = Sweep::parse(&day, &format!("new-creator-exposure.min=0..{}", 1.25 * total), 26).unwrap();
    let c = frontier::run(&day, &[coarse], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
    assert!(c.points.iter().filter(|p| p.values[0] > total).all(|p| p.status == Status::Infeasible));
    let bad = c.points.iter().find(|p| !p.status.is_optimal()).expect("some floor is infeasible").values[0];
    // A fine sweep up to the first infeasible floor of the coarse one.
    let sweep = Sweep::parse(&day, &format!("new-creator-exposure.min=0..{bad}"), 26).unwrap();
    let f = frontier::run(&day, &[sweep], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
    let opt: Vec<(f64, f64, f64)> = f.points.iter().filter_map(|p| Some((p.values[0], p.objective?, p.shadow_prices[0]?))).collect();
    assert!(opt.len() >= 5, "{} optimal points", opt.len());
    let scale = opt[0].1.abs().max(1.0);
    for w in opt.windows(2) {
        assert!(w[1].1 <= w[0].1 + 1e-9 * scale, "optimum rises from {:?} to {:?}", w[0], w[1]);
    }
    for w in opt.windows(3) {
        // Equal spacing: concave means the middle is at least the neighbours' mean.
        assert!(w[1].1 >= 0.5 * (w[0].1 + w[2].1) - 1e-9 * scale, "not concave at {:?}", w[1]);
        // And the slope at the middle lies between the chords to its neighbours.
        let (l, r) = ((w[1].1 - w[0].1) / (w[1].0 - w[0].0), (w[2].1 - w[1].1) / (w[2].0 - w[1].0));
        assert!(w[1].2 <= l + 1e-7 * l.abs().max(1e-6) && w[1].2 >= r - 1e-7 * r.abs().max(1e-6), "slope {} outside [{r}, {l}]", w[1].2);
    }
    // Feasible points form a prefix; every floor above the total supply is infeasible and has
    // no number reported.
    let first_bad = f.points.iter().position(|p| !p.status.is_optimal()).expect("some floor is infeasible");
    for p in &f.points[first_bad..] {
        assert_eq!(p.status, Status::Infeasible, "at {}", p.values[0]);
        assert!(p.objective.is_none() && p.terms.is_none() && p.metrics.is_none() && p.shadow_prices[0].is_none() && !p.efficient);
    }
    assert_eq!(f.points[25].status, Status::Infeasible);
    // The knee is an optimal point strictly inside the curve.
    let k = f.knee.expect("a bending floor curve has a knee");
    assert!(k > 0 && k < first_bad - 1 && f.points[k].status.is_optimal());
    // Along an epsilon-constraint curve every optimal point trades terms: none is dominated by
    // a looser floor's plan in every term unless it is marked inefficient.
    assert!(f.points[0].efficient);
}

#[test]
fn weighted_sum_sweep_reports_the_unweighted_term_as_slope() {
    let day = example();
    let sweep = Sweep::parse(&day, "objective.revenue=0..30", 7).unwrap();
    let f = frontier::run(&day, &[sweep], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
    for p in &f.points {
        let t = p.terms.unwrap();
        let m = p.metrics.unwrap();
        // revenue term = w * sum price x; the slope is sum price x = the revenue metric.
        assert!(rel(p.shadow_prices[0].unwrap(), m.revenue) <= 1e-12);
        if p.values[0] > 0.0 {
            assert!(rel(t.revenue / p.values[0], m.revenue) <= 1e-9);
        }
    }
    // Raising a weight never lowers the weighted plan's revenue (monotone comparative statics).
    for w in f.points.windows(2) {
        assert!(w[1].metrics.unwrap().revenue >= w[0].metrics.unwrap().revenue - 1e-6);
    }
}

#[test]
fn a_grid_is_row_major_and_matches_cold_solves() {
    let day = example();
    let a = Sweep::parse(&day, "ad-load.max_share=0.1..0.3", 3).unwrap();
    let b = Sweep::parse(&day, "revenue-floor.min=0..1500", 4).unwrap();
    let f = frontier::run(&day, &[a.clone(), b.clone()], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
    assert_eq!(f.points.len(), 12);
    assert_eq!(f.knee, None);
    for (i, p) in f.points.iter().enumerate() {
        assert_eq!(p.values, vec![a.values()[i / 4], b.values()[i % 4]]);
        let mut d = day.clone();
        a.param.set(&mut d, p.values[0]);
        b.param.set(&mut d, p.values[1]);
        let cold = solve(&d, &Settings::default()).unwrap();
        assert_eq!(p.status, cold.status);
        if let Some(o) = p.objective {
            assert!(rel(o, cold.objective) <= 1e-9);
            assert!(rel(p.shadow_prices[1].unwrap(), cold.shadow_price_of(&d, &b.param).unwrap()) <= 1e-6);
        }
    }
}

#[test]
fn progress_is_reported_once_per_point() {
    let day = example();
    let sweep = Sweep::parse(&day, "revenue-floor.min=0..1000", 5).unwrap();
    struct Count(std::sync::atomic::AtomicU64);
    impl agora_solver::Observer for Count {
        fn advance(&self, units: u64) {
            self.0.fetch_add(units, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let n = Count(std::sync::atomic::AtomicU64::new(0));
    frontier::run(&day, &[sweep], &FrontierSettings::default(), &n).unwrap();
    assert_eq!(n.0.into_inner(), 5);
}

#[test]
fn bad_sweeps_are_clear_errors() {
    let day = example();
    let msg = |r: Result<Sweep, FrontierError>| r.unwrap_err().to_string();
    let e = msg(Sweep::parse(&day, "ad-load.max_shar=0.1..0.2", 3));
    assert!(e.contains("unknown parameter \"ad-load.max_shar\"") && e.contains("ad-load.max_share") && e.contains("supply[eu-teen]"), "{e}");
    let e = msg(Sweep::parse(&day, "objective.fun=0..1", 3));
    assert!(e.contains("objective.revenue"), "{e}");
    assert!(msg(Sweep::parse(&day, "ad-load.max_share", 3)).contains("PARAM=FROM..TO"));
    assert!(msg(Sweep::parse(&day, "ad-load.max_share=0.1-0.2", 3)).contains("FROM..TO"));
    assert!(msg(Sweep::parse(&day, "ad-load.max_share=a..0.2", 3)).contains("\"a\" is not a finite number"));
    assert!(msg(Sweep::parse(&day, "ad-load.max_share=0.1..inf", 3)).contains("not a finite number"));
    assert!(msg(Sweep::parse(&day, "ad-load.max_share=0.1..0.2", 1)).contains("at least 2"));
    assert!(msg(Sweep::parse(&day, "ad-load.max_share=0.2..0.2", 3)).contains("differ"));
    let e = msg(Sweep::parse(&day, "ad-load.max_share=0.1..1.5", 3));
    assert!(e.contains("1.5") && e.contains("max_share") && e.contains("ad-load"), "{e}");
    let e = msg(Sweep::parse(&day, "supply[eu-teen]=-5..10", 3));
    assert!(e.contains("supply"), "{e}");
    let s = Sweep::parse(&day, "ad-load.max_share=0.1..0.2", 3).unwrap();
    let e = frontier::run(&day, &[s.clone(), s.clone()], &FrontierSettings::default(), &agora_solver::Silent).unwrap_err().to_string();
    assert!(e.contains("swept twice"), "{e}");
    let e = frontier::run(&day, &[s.clone(), s.clone(), s], &FrontierSettings::default(), &agora_solver::Silent).unwrap_err().to_string();
    assert!(e.contains("one or two"), "{e}");
}

#[test]
fn sweep_values_are_evenly_spaced_and_end_exactly() {
    let day = example();
    let s = Sweep::parse(&day, "ad-load.max_share=0.3..0.1", 5).unwrap();
    let v = s.values();
    assert_eq!(v.len(), 5);
    assert_eq!((v[0], v[4]), (0.3, 0.1));
    for (i, x) in v.iter().enumerate() {
        assert!((x - (0.3 - 0.05 * i as f64)).abs() < 1e-15);
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// On generated tiny days, a hot-started sweep of any parameter but the regularisation
        /// weight equals cold solves point by point (400 cases passed once, 64 run each time).
        #[test]
        fn hot_sweeps_equal_cold_solves_on_generated_days(seed in 0u64..10_000, pick in 0usize..1000, lo in 0.3f64..0.95, hi in 1.05f64..1.6) {
            let day = generate(Size::Tiny, seed);
            let params: Vec<Param> = Param::all(&day).into_iter().filter(|p| *p != Param::Objective("regularization")).collect();
            let p = params[pick % params.len()].clone();
            let v = p.get(&day);
            let (from, to) = if v == 0.0 { (0.0, 1.0) } else { (lo * v, hi * v) };
            // A range the format rejects (a share above 1) is not a sweep: skip it.
            let Ok(sweep) = Sweep::new(&day, p.clone(), from, to, 5) else { return Ok(()) };
            let f = frontier::run(&day, std::slice::from_ref(&sweep), &one_chain(true), &agora_solver::Silent).unwrap();
            for q in &f.points {
                let mut d = day.clone();
                p.set(&mut d, q.values[0]);
                let cold = solve(&d, &Settings::default()).unwrap();
                prop_assert_eq!(q.status, cold.status, "{} = {}", sweep.name, q.values[0]);
                if let Some(o) = q.objective {
                    prop_assert!(rel(o, cold.objective) <= 1e-9, "{} = {}: hot {} cold {}", sweep.name, q.values[0], o, cold.objective);
                }
            }
        }
    }
}

#[test]
fn first_order_sweeps_start_each_point_from_the_previous_one() {
    // Sifting (the first-order backend's default, and what `auto` runs on large days) starts
    // each point from the previous optimal point's plan and duals: the same optimum as a cold
    // HiGHS solve, in fewer restricted-solver iterations than the same sweep without warm starts.
    let inst = generate(Size::Small, 2);
    let (id, b) = (&inst.campaigns[0].id, inst.campaigns[0].budget);
    let spec = format!("budget[{id}]={}..{}", 0.5 * b, 3.0 * b);
    let sweep = Sweep::parse(&inst, &spec, 8).unwrap();
    let first_order = Settings { backend: agora_solver::BackendChoice::FirstOrder, ..Settings::default() };
    let run = |hot_start: bool| {
        let fs = FrontierSettings { solve: first_order.clone(), ..one_chain(hot_start) };
        frontier::run(&inst, std::slice::from_ref(&sweep), &fs, &agora_solver::Silent).unwrap()
    };
    let (warm, cold) = (run(true), run(false));
    for (i, (w, c)) in warm.points.iter().zip(&cold.points).enumerate() {
        let mut day = inst.clone();
        sweep.param.set(&mut day, w.values[0]);
        let exact = solve(&day, &Settings::default()).unwrap();
        assert_eq!(w.status, exact.status, "point {i}: {:?}", w.message);
        assert_eq!(c.status, exact.status, "point {i}: {:?}", c.message);
        if exact.status.is_optimal() {
            assert!(rel(w.objective.unwrap(), exact.objective) <= 1e-9, "point {i}: warm {:?} exact {}", w.objective, exact.objective);
            assert!(w.message.as_deref().is_some_and(|m| m.starts_with("sifting")), "{:?}", w.message);
        }
        assert_eq!(w.hot_start, i > 0, "point {i}");
        assert!(!c.hot_start);
    }
    let total = |f: &frontier::Frontier| f.points.iter().map(|p| p.iterations).sum::<u64>();
    assert!(total(&warm) < total(&cold), "warm {} iterations, cold {}", total(&warm), total(&cold));
    eprintln!("first-order sweep: {} restricted iterations warm, {} cold", total(&warm), total(&cold));
}

#[test]
fn a_frontier_of_more_than_max_points_is_refused_before_any_solve() {
    use agora_solver::frontier::MAX_POINTS;
    let day = agora_instances::generate(agora_instances::Size::Tiny, 5);
    let a = Sweep::parse(&day, "objective.revenue=0..20", 400).unwrap();
    let b = Sweep::parse(&day, "objective.quality=0..1", 400).unwrap();
    const { assert!(400 * 400 > MAX_POINTS) };
    match frontier::run(&day, &[a, b], &FrontierSettings::default(), &agora_solver::Silent) {
        Err(FrontierError::Sweeps(m)) => assert!(m.contains("160000 points") && m.contains("100000"), "{m}"),
        other => panic!("expected a refusal, got {:?}", other.map(|f| f.points.len())),
    }
}

/// A sifted sweep: every point after the first starts from its neighbour's plan, duals and
/// final restricted basis (`WarmStart::basis`). For every kind of edit on a generated day, each
/// point equals an independent cold solve to 1e-9, and the warm points pivot a fraction of what
/// the same points cost sifted cold.
#[test]
fn sifted_sweeps_start_from_the_neighbours_basis_and_end_at_the_cold_optimum() {
    let inst = generate(Size::Medium, 1);
    let first_order = Settings { backend: agora_solver::BackendChoice::FirstOrder, ..Settings::default() };
    let c = |kind: &str| inst.constraints.iter().find(|c| c.kind.type_name() == kind).unwrap().name.clone();
    let (camp, budget) = (&inst.campaigns[0].id, inst.campaigns[0].budget);
    let (seg, supply) = (&inst.segments[0].id, inst.segments[0].supply);
    let specs = [
        format!("{}.max_share=0.1..0.3", c("ad_load")),
        format!("{}.max_share=0.15..0.4", c("topic_cap")),
        format!("{}.min_share=0.05..0.3", c("freshness_floor")),
        format!("{}.tolerance=0.1..0.8", c("exposure_parity")),
        format!("budget[{camp}]={}..{}", 0.2 * budget, 2.0 * budget),
        format!("supply[{seg}]={}..{}", 0.5 * supply, 2.0 * supply),
        "objective.revenue=0..20".to_string(),
    ];
    for spec in &specs {
        let sweep = Sweep::parse(&inst, spec, 5).unwrap();
        let run = |hot_start: bool| {
            let fs = FrontierSettings { solve: first_order.clone(), ..one_chain(hot_start) };
            frontier::run(&inst, std::slice::from_ref(&sweep), &fs, &agora_solver::Silent).unwrap()
        };
        let (warm, cold) = (run(true), run(false));
        for (i, (w, c)) in warm.points.iter().zip(&cold.points).enumerate() {
            assert_eq!(w.status, c.status, "{spec} point {i}: {:?}", w.message);
            if c.status.is_optimal() {
                assert!(rel(w.objective.unwrap(), c.objective.unwrap()) <= 1e-9, "{spec} point {i}: warm {:?} cold {:?}", w.objective, c.objective);
            }
            assert_eq!(w.hot_start, i > 0, "{spec} point {i}");
        }
        let after_first = |f: &frontier::Frontier| f.points[1..].iter().map(|p| p.iterations).sum::<u64>();
        assert!(3 * after_first(&warm) < after_first(&cold), "{spec}: warm points pivoted {} times, cold {}", after_first(&warm), after_first(&cold));
    }
}

/// Solving a day again from its own final basis is its optimum in next to no pivots; the same
/// basis starting a changed day still ends at that day's cold optimum.
#[test]
fn a_kept_basis_restarts_a_day_where_it_ended() {
    let inst = generate(Size::Medium, 2);
    let settings = Settings { backend: agora_solver::BackendChoice::FirstOrder, ..Settings::default() };
    let model = agora_solver::Formulation::new(&inst);
    let (first, basis) = agora_solver::solve_model_warm_kept(&inst, &model, &settings, None).unwrap();
    assert!(first.status.is_optimal() && basis.is_some());
    let warm = |sol: &agora_solver::Solution, basis| agora_solver::WarmStart {
        x: Some(sol.impressions.clone()),
        y: Some(sol.rows.iter().map(|r| r.dual).collect()),
        basis,
    };
    let (again, _) = agora_solver::solve_model_warm_kept(&inst, &model, &settings, Some(&warm(&first, basis.clone()))).unwrap();
    assert!(rel(again.objective, first.objective) <= 1e-12, "{} against {}", again.objective, first.objective);
    assert!(again.iterations * 20 < first.iterations.max(20), "{} pivots again, {} the first time", again.iterations, first.iterations);
    let mut changed = inst.clone();
    Param::parse(&changed, "ad-load.max_share").unwrap().set(&mut changed, 0.15);
    let model = agora_solver::Formulation::new(&changed);
    let (moved, _) = agora_solver::solve_model_warm_kept(&changed, &model, &settings, Some(&warm(&first, basis))).unwrap();
    let cold = solve(&changed, &Settings::default()).unwrap();
    assert!(moved.status.is_optimal());
    assert!(rel(moved.objective, cold.objective) <= 1e-9, "{} against {}", moved.objective, cold.objective);
}

/// A frontier run in place names each infeasible point's conflict on the day itself with the
/// point's value set, and leaves the day as it was (no copy of a large day is made for it).
#[test]
fn infeasible_points_are_explained_in_place_and_the_day_is_put_back() {
    let mut day = example();
    let before = day.clone();
    let sweep = Sweep::parse(&day, "new-creator-exposure.min=100000..2000000", 3).unwrap();
    let f = frontier::run_in_place(&mut day, &[sweep], &FrontierSettings::default(), &agora_solver::observe::Silent).unwrap();
    assert_eq!(day, before);
    let last = &f.points[2];
    assert_eq!(last.status, Status::Infeasible);
    assert!(last.conflict.iter().any(|c| c == "new-creator-exposure"), "{:?}", last.conflict);
    // The same conflict as a copy of the day with the value set gives.
    let mut copy = before.clone();
    Param::parse(&copy, "new-creator-exposure.min").unwrap().set(&mut copy, 2_000_000.0);
    let direct: Vec<String> = agora_solver::conflict_of(&copy, &Settings::default(), 16).unwrap().into_iter().map(|c| c.rule).collect();
    assert_eq!(last.conflict, direct);
}
