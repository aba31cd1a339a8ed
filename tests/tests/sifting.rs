//! The first-order backend's sifting: exact optima on generated days (LPs against HiGHS on the
//! whole model and the good_lp oracle, QPs against Clarabel), hand-checked floors its first
//! working set cannot serve, infeasible days, limits, warm starts, and the size rule of `auto`.

use agora_instances::{generate_day, generate_with, parse_str, GenerateConfig, Instance, Size};
use agora_solver::first_order::{self, TerminationReason};
use agora_solver::{formulate, solve, BackendChoice, FirstOrderMethod, Settings, Solution, Status, AUTO_SIFTING_EDGES};
use proptest::prelude::*;

fn sifting() -> Settings {
    Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() }
}

fn highs() -> Settings {
    Settings { backend: BackendChoice::Highs, ..Settings::default() }
}

fn run(inst: &Instance, settings: &Settings) -> Solution {
    solve(inst, settings).expect("no solver error")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Sifting's answer is a vertex optimum like HiGHS' on the whole model: the same objective
    /// to simplex accuracy, a certificate far inside the tolerance, duals of the spec's signs.
    #[test]
    fn sifted_optimum_equals_highs_on_the_whole_model(seed in 0u64..100_000, small in proptest::bool::weighted(0.25)) {
        let inst = generate_day(if small { Size::Small } else { Size::Tiny }, seed, 0.0);
        let h = run(&inst, &highs());
        let s = run(&inst, &sifting());
        prop_assert_eq!(h.status, s.status, "{:?}", s.message);
        if s.status == Status::Optimal {
            prop_assert!(rel(s.objective, h.objective) <= 1e-9, "sifting {} highs {}", s.objective, h.objective);
            let cert = s.certificate.clone().expect("an optimal solution carries its certificate");
            prop_assert!(cert.passes(1e-7), "{cert:?}");
            for r in &s.rows {
                let ok = match r.sense { agora_solver::Sense::Le => r.dual >= 0.0, agora_solver::Sense::Ge => r.dual <= 0.0 };
                prop_assert!(ok, "{}: dual {}", r.name, r.dual);
            }
        }
    }

    /// An independent formulation (good_lp, tests/src/oracle.rs) reaches the same optimum.
    #[test]
    fn sifted_optimum_equals_the_good_lp_oracle(seed in 0u64..100_000) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        let s = run(&inst, &sifting());
        match agora_tests::oracle::optimum(&inst) {
            Some(v) => {
                prop_assert_eq!(s.status, Status::Optimal, "{:?}", s.message);
                prop_assert!(rel(s.objective, v) <= 1e-7, "sifting {} oracle {v}", s.objective);
            }
            None => prop_assert_ne!(s.status, Status::Optimal),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// A QP is sifted in two phases (its linear part with HiGHS, then the QP with Clarabel):
    /// the optimum is unique, so objective and plan agree with Clarabel on the whole model.
    #[test]
    fn sifted_qp_optimum_equals_clarabel_on_the_whole_model(seed in 0u64..100_000, small in proptest::bool::weighted(0.25)) {
        let mut cfg = GenerateConfig::for_size(if small { Size::Small } else { Size::Tiny });
        cfg.regularization = 0.5;
        let inst = generate_with(&cfg, seed);
        let c = run(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() });
        let s = run(&inst, &sifting());
        prop_assert_eq!(c.status, s.status, "{:?}", s.message);
        if s.status == Status::Optimal {
            prop_assert!(s.message.as_deref().is_some_and(|m| m.contains("QPs")), "{:?}", s.message);
            prop_assert!(rel(s.objective, c.objective) <= 1e-7, "sifting {} clarabel {}", s.objective, c.objective);
            // Sifting's answer is never the worse one: its plan is a simplex/interior-point
            // answer on a few edges with every other edge priced out.
            prop_assert!(s.objective >= c.objective - 1e-9 * c.objective.abs(), "sifting {} clarabel {}", s.objective, c.objective);
            // The plans: a QP's Hessian `rho / supply` is tiny, so a dual error of 1e-11 moves
            // an edge by impressions. On small day seed 45980 Clarabel's whole-model plan put 1.9
            // impressions (1.3e-5 of the supply) on an edge its own duals price at -3.8e-6, i.e.
            // at 0, where sifting has 0 and the higher objective: plans agree to 1e-4 of supply.
            for (e, (a, b)) in s.impressions.iter().zip(&c.impressions).enumerate() {
                let supply = inst.segments[inst.edges[e].segment].supply;
                prop_assert!((a - b).abs() <= 1e-4 * supply, "edge {e}: sifting {a} clarabel {b}");
            }
        }
    }
}

/// Twelve items worth 1.00, 0.95, ..., 0.45 per impression (item caps of 10) and one worth 0.01
/// with a floor of 35, in one segment of 100 impressions. The first working set holds a
/// segment's 10 best edges at zero duals, so it cannot serve the floor: the artificial column
/// does, pricing brings the floor's item in, and the second restricted LP is the optimum.
/// By hand: f gets 35, the six best items 10 each, the seventh (0.70) the last 5:
/// 0.35 + 10 (1 + .95 + .9 + .85 + .8 + .75) + 5 (0.7) = 56.35. Raising the floor by one moves an
/// impression from the 0.70 item to f: shadow price 0.01 - 0.70 = -0.69; one more impression of
/// supply goes to the 0.70 item: 0.70.
const FLOOR_OUT_OF_REACH: &str = r#"{"schema": "agora.instance/v1", "name": "floor-out-of-reach",
  "objective": {"engagement": 1, "revenue": 0},
  "segments": [{"id": "s", "supply": 100}],
  "creators": [{"id": "c"}],
  "items": [ITEMS, {"id": "f", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}],
  "edges": [EDGES, {"segment": "s", "item": "f", "engagement": 0.01, "price": 0}],
  "constraints": [{"name": "floor", "type": "exposure_floor", "items": {"ids": ["f"]}, "min": MIN}]}"#;

fn floor_day(min: f64) -> Instance {
    let items: Vec<String> =
        (1..=12).map(|k| format!(r#"{{"id": "a{k}", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false, "cap": 10}}"#)).collect();
    let edges: Vec<String> =
        (1..=12).map(|k| format!(r#"{{"segment": "s", "item": "a{k}", "engagement": {}, "price": 0}}"#, 1.0 - 0.05 * (k - 1) as f64)).collect();
    let text = FLOOR_OUT_OF_REACH.replace("ITEMS", &items.join(",")).replace("EDGES", &edges.join(",")).replace("MIN", &min.to_string());
    parse_str(&text, std::path::Path::new("floor-out-of-reach.json")).expect("valid").instance
}

#[test]
fn a_floor_the_first_working_set_cannot_serve_is_served_at_the_hand_computed_optimum() {
    let inst = floor_day(35.0);
    let model = formulate(&inst);
    let out = first_order::run(&model, &sifting(), None).unwrap();
    assert_eq!(out.reason, TerminationReason::Converged, "{:?}", out.result.detail);
    let stats = out.sift.expect("sifting ran");
    assert!(stats.rounds >= 2, "the floor's item must have been priced in, not seeded: {stats:?}");
    let sol = run(&inst, &sifting());
    assert_eq!(sol.status, Status::Optimal);
    assert!((sol.objective - 56.35).abs() <= 1e-9, "{}", sol.objective);
    let price = |name: &str| sol.rows.iter().find(|r| r.name == name).expect(name).shadow_price;
    assert!((price("floor") - (-0.69)).abs() <= 1e-9, "floor {}", price("floor"));
    assert!((price("supply[s]") - 0.70).abs() <= 1e-9, "supply {}", price("supply[s]"));
}

#[test]
fn an_infeasible_floor_is_proven_infeasible() {
    // A floor of 150 impressions in a segment of 100: the artificial never leaves; past the
    // largest artificial cost the whole model goes to HiGHS, which proves it.
    let inst = floor_day(150.0);
    let model = formulate(&inst);
    let out = first_order::run(&model, &sifting(), None).unwrap();
    assert_eq!(out.reason, TerminationReason::Delegated);
    assert_eq!(out.result.status, Status::Infeasible, "{:?}", out.result.detail);
    let sol = run(&inst, &sifting());
    assert_eq!(sol.status, Status::Infeasible);
    assert!(sol.impressions.is_empty(), "no plan without an optimum");
    // A QP's linear part is sifted first, so it is found out the same way, and HiGHS proves it
    // on the linear part (the rows are the same).
    let mut qp = inst.clone();
    qp.objective.regularization = 0.5;
    let out = first_order::run(&formulate(&qp), &sifting(), None).unwrap();
    assert_eq!(out.reason, TerminationReason::Delegated);
    assert_eq!(out.result.status, Status::Infeasible, "{:?}", out.result.detail);
    assert!(out.result.detail.as_deref().is_some_and(|d| d.contains("no plan satisfies the rows")), "{:?}", out.result.detail);
}

#[test]
fn the_working_set_is_a_small_part_of_the_day() {
    let inst = generate_day(Size::Medium, 1, 0.0);
    let model = formulate(&inst);
    let out = first_order::run(&model, &sifting(), None).unwrap();
    assert_eq!(out.reason, TerminationReason::Converged, "{:?}", out.result.detail);
    let s = out.sift.expect("sifting ran");
    // One pricing pass seeds the set, one follows each restricted LP.
    assert_eq!(s.pricing_passes, s.rounds as u64 + 1);
    assert!(s.working_set * 4 < model.n_edges, "{} of {} edges", s.working_set, model.n_edges);
    // Edges outside the working set are 0 in the plan.
    let positive = out.result.x[..model.n_edges].iter().filter(|&&v| v > 0.0).count();
    assert!(positive <= s.working_set);
    let h = agora_solver::solve_model(&inst, &model, &highs()).unwrap();
    assert!(rel(out.result.objective, h.objective) <= 1e-9, "sifting {} highs {}", out.result.objective, h.objective);
}

#[test]
fn a_warm_start_from_yesterdays_solution_file_needs_fewer_pricing_passes() {
    let yesterday = generate_day(Size::Small, 1, 0.0);
    let sol = run(&yesterday, &sifting());
    assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    let file: agora_solver::SolutionFile = serde_json::from_str(&sol.to_file(&yesterday).to_json()).unwrap();
    // Today: supplies up 1%, budgets down 3%.
    let mut today = yesterday.clone();
    today.segments.iter_mut().for_each(|s| s.supply *= 1.01);
    today.campaigns.iter_mut().for_each(|c| c.budget *= 0.97);
    let model = formulate(&today);
    let (warm, _) = agora_solver::WarmStart::from_solution_file(&today, &model, &file);
    let cold = first_order::run(&model, &sifting(), None).unwrap();
    let hot = first_order::run(&model, &sifting(), Some(&warm)).unwrap();
    assert_eq!(cold.reason, TerminationReason::Converged);
    assert_eq!(hot.reason, TerminationReason::Converged);
    assert!(rel(cold.result.objective, hot.result.objective) <= 1e-9, "cold {} warm {}", cold.result.objective, hot.result.objective);
    let (c, h) = (cold.sift.unwrap(), hot.sift.unwrap());
    assert!(h.pricing_passes < c.pricing_passes, "warm {h:?}\ncold {c:?}");
    eprintln!(
        "warm start: {} pricing passes, {} simplex iterations; cold {} and {}",
        h.pricing_passes, h.restricted_iterations, c.pricing_passes, c.restricted_iterations
    );
}

#[test]
fn a_time_limit_is_a_status_without_a_plan() {
    let inst = generate_day(Size::Small, 2, 0.0);
    let sol = run(&inst, &Settings { time_limit: Some(1e-9), ..sifting() });
    assert_eq!(sol.status, Status::TimeLimit, "{:?}", sol.message);
    assert!(sol.impressions.is_empty() && sol.rows.is_empty());
}

#[test]
fn the_method_setting_is_read_and_auto_sifts() {
    assert_eq!(FirstOrderMethod::Auto.resolve(), FirstOrderMethod::Sifting);
    assert_eq!(FirstOrderMethod::Pdhg.resolve(), FirstOrderMethod::Pdhg);
    // The settings file spells the method in kebab case; a wrong name is an error naming it.
    let s = Settings::from_json(r#"{"backend": "first-order", "first_order_method": "pdhg"}"#).unwrap();
    assert_eq!(s.first_order_method, FirstOrderMethod::Pdhg);
    let err = Settings::from_json(r#"{"first_order_method": "simplex"}"#).unwrap_err().to_string();
    assert!(err.contains("simplex"), "{err}");
}

#[test]
fn auto_sifts_large_days_only() {
    // A generated day just above the size rule: auto sifts it, and the answer is HiGHS' optimum.
    let mut cfg = GenerateConfig::for_edges(AUTO_SIFTING_EDGES + AUTO_SIFTING_EDGES / 4);
    cfg.regularization = 0.0;
    let inst = generate_with(&cfg, 3);
    let model = formulate(&inst);
    assert!(model.n_edges >= AUTO_SIFTING_EDGES, "{} edges", model.n_edges);
    assert_eq!(BackendChoice::Auto.resolve_for(&model), BackendChoice::FirstOrder);
    assert_eq!(BackendChoice::Highs.resolve_for(&model), BackendChoice::Highs);
    // Even when the settings name PDHG, auto's choice sifts.
    let auto = Settings { first_order_method: FirstOrderMethod::Pdhg, ..Settings::default() };
    let s = agora_solver::solve_model(&inst, &model, &auto).unwrap();
    assert_eq!(s.status, Status::Optimal, "{:?}", s.message);
    assert_eq!(s.backend, "first-order");
    assert!(s.message.as_deref().is_some_and(|m| m.starts_with("sifting")), "{:?}", s.message);
    let h = agora_solver::solve_model(&inst, &model, &highs()).unwrap();
    assert!(rel(s.objective, h.objective) <= 1e-9, "sifting {} highs {}", s.objective, h.objective);
    // QPs of that size too, however spread their optimum; below it, the measured rule: LPs sift,
    // QPs sift when their optimum is predicted to serve few edges (rho 0.5: 0.7% of the medium
    // day's) and go to Clarabel when it spreads (rho 50: 86%).
    cfg.regularization = 50.0;
    let qp = formulate(&generate_with(&cfg, 3));
    assert_eq!(BackendChoice::Auto.resolve_for(&qp), BackendChoice::FirstOrder);
    let medium = formulate(&generate_day(Size::Medium, 1, 0.0));
    assert!(medium.n_edges < AUTO_SIFTING_EDGES);
    assert_eq!(BackendChoice::Auto.resolve_for(&medium), BackendChoice::FirstOrder);
    assert_eq!(BackendChoice::Auto.resolve_for(&formulate(&generate_day(Size::Medium, 1, 0.5))), BackendChoice::FirstOrder);
    assert_eq!(BackendChoice::Auto.resolve_for(&formulate(&generate_day(Size::Medium, 1, 50.0))), BackendChoice::Clarabel);
}

#[test]
fn answers_do_not_depend_on_the_thread_count() {
    // Pricing runs segments in parallel; the edges it adds are sorted, so the restricted problems,
    // and with them the answers, are the same bit for bit.
    for (size, rho) in [(Size::Small, 0.0), (Size::Small, 0.5)] {
        let mut cfg = GenerateConfig::for_size(size);
        cfg.regularization = rho;
        let model = formulate(&generate_with(&cfg, 7));
        let runs: Vec<_> = [1, 2, 2].iter().map(|&threads| first_order::run(&model, &Settings { threads, ..sifting() }, None).unwrap()).collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        for r in &runs[1..] {
            assert_eq!(r.reason, TerminationReason::Converged, "rho {rho}: {:?}", r.result.detail);
            assert_eq!(bits(&r.result.x), bits(&runs[0].result.x), "rho {rho}: plans differ");
            assert_eq!(bits(&r.result.row_duals), bits(&runs[0].result.row_duals), "rho {rho}: duals differ");
        }
    }
}

#[test]
fn a_large_ridge_grows_the_working_set_geometrically() {
    // rho 50 spreads the QP's optimum over nearly every edge of the small day. QP rounds double a
    // segment's quota each time it prices in more than that, so the rounds stay few; the answer
    // is Clarabel's.
    let mut cfg = GenerateConfig::for_size(Size::Small);
    cfg.regularization = 50.0;
    let inst = generate_with(&cfg, 1);
    let model = formulate(&inst);
    let out = first_order::run(&model, &sifting(), None).unwrap();
    assert_eq!(out.reason, TerminationReason::Converged, "{:?}", out.result.detail);
    let s = out.sift.expect("sifting ran");
    assert!(s.working_set * 10 > model.n_edges * 9, "a dense optimum: {} of {} edges", s.working_set, model.n_edges);
    assert!(s.rounds <= 10, "{s:?}");
    let c = run(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() });
    assert_eq!(c.status, Status::Optimal);
    assert!(rel(out.result.objective, c.objective) <= 1e-7, "sifting {} clarabel {}", out.result.objective, c.objective);
}
