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

/// The measured rule (benches/RESULTS.md, "auto"): tiny days go to the whole-model backends,
/// LPs of a few thousand edges and up to sifting, QPs to sifting when their optimum is predicted
/// to serve few edges and to Clarabel when it spreads.
#[test]
fn auto_picks_by_the_measured_rule() {
    use agora_instances::generate_day;
    use agora_solver::{formulate, predicted_support};
    assert_eq!(BackendChoice::Auto.resolve(false), BackendChoice::Highs);
    assert_eq!(BackendChoice::Auto.resolve(true), BackendChoice::Clarabel);
    assert_eq!(BackendChoice::Highs.resolve(true), BackendChoice::Highs);
    let solved_by = |inst: &agora_instances::Instance| {
        let sol = solve(inst, &Settings::default()).unwrap();
        assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
        sol.backend
    };
    assert_eq!(solved_by(&generate(Size::Tiny, 4)), "highs");
    assert_eq!(solved_by(&generate_day(Size::Tiny, 4, 0.5)), "clarabel");
    // LPs: the small day (3,882 edges) stays with HiGHS, the MovieLens-sized day sifts.
    assert_eq!(solved_by(&generate_day(Size::Small, 1, 0.0)), "highs");
    let mut config = agora_instances::GenerateConfig::for_edges(8_000);
    config.regularization = 0.0;
    let larger = agora_instances::generate_with(&config, 1);
    assert!(larger.edges.len() >= agora_solver::AUTO_HIGHS_LP_EDGES, "{} edges", larger.edges.len());
    assert_eq!(solved_by(&larger), "first-order");
    // The small day's optimum at rho 0.5 is predicted to serve 9% of its edges, at rho 5 79%.
    let (spread, narrow) = (generate_day(Size::Small, 1, 5.0), generate_day(Size::Small, 1, 0.5));
    assert!(predicted_support(&formulate(&narrow)) < 0.15 && predicted_support(&formulate(&spread)) > 0.7);
    assert_eq!(solved_by(&narrow), "first-order");
    assert_eq!(solved_by(&spread), "clarabel");
    // An LP's optimum is a vertex: no spread is predicted.
    assert_eq!(predicted_support(&formulate(&generate_day(Size::Small, 1, 0.0))), 0.0);
}

/// `auto` falls back when its first path ends `numerical_error`: with a check tolerance of
/// 1e-15, Clarabel's interior-point answer to a QP fails agora's check; auto then answers by
/// another path (sifting's vertex answers pass; PDHG is checked at its own 1e-6) and says which.
/// An explicit backend is reported as it ended, and Clarabel's message names what to use instead.
#[test]
fn auto_falls_back_when_its_first_path_fails_the_check() {
    use agora_solver::FirstOrderMethod;
    let inst = agora_instances::generate_day(Size::Tiny, 3, 0.5);
    let strict = Settings { check_tolerance: 1e-15, ..Settings::default() };
    let clarabel = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..strict.clone() }).unwrap();
    assert_eq!(clarabel.status, Status::NumericalError, "{:?}", clarabel.message);
    // Chosen explicitly, Clarabel's message says what to use instead.
    let said = clarabel.message.clone().unwrap();
    assert!(said.contains("agora's check rejects") && said.contains("--backend first-order") && said.contains("--backend auto"), "{said}");
    let auto = solve(&inst, &strict).unwrap();
    assert_eq!(auto.status, Status::Optimal, "{:?}", auto.message);
    let message = auto.message.clone().unwrap();
    assert!(message.starts_with("auto: clarabel ended numerical_error") && message.contains("answered by"), "{message}");
    // The answer is the optimum: the same as PDHG's at 1e-6, to that accuracy.
    let pdhg = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, first_order_tolerance: 1e-6, ..Settings::default() };
    let reference = solve(&inst, &pdhg).unwrap();
    assert!((auto.objective - reference.objective).abs() <= 1e-5 * reference.objective.abs(), "{} vs {}", auto.objective, reference.objective);
}

/// `polish` turns PDHG's answer (accurate to 1e-4) into the exact vertex optimum: sifting from its
/// support ends at HiGHS' objective to 1e-9, with duals that pass the strict certificate, on a
/// generated day and on the real MovieLens day.
#[test]
fn polish_turns_a_pdhg_answer_into_an_exact_vertex() {
    use agora_solver::{formulate, polish, FirstOrderMethod};
    let mut days = vec![agora_instances::generate_day(Size::Small, 1, 0.0)];
    let ml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(ml.join("ml-100k.inter").is_file(), "{} is missing: run scripts/fetch-data.sh (make test does)", ml.display());
    days.push(agora_instances::import::movielens::import(&ml).unwrap());
    for inst in days {
        let model = formulate(&inst);
        let pdhg = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, ..Settings::default() };
        let approx = solve(&inst, &pdhg).unwrap();
        assert_eq!(approx.status, Status::Optimal, "{}: {:?}", inst.name, approx.message);
        let polished = polish(&inst, &model, &Settings::default().validated().unwrap(), &approx).unwrap();
        assert_eq!(polished.status, Status::Optimal, "{}: {:?}", inst.name, polished.message);
        let exact = solve(&inst, &Settings { backend: BackendChoice::Highs, ..Settings::default() }).unwrap();
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1.0);
        assert!(rel(polished.objective, exact.objective) <= 1e-9, "{}: polished {} exact {}", inst.name, polished.objective, exact.objective);
        let cert = polished.certificate.clone().unwrap();
        assert!(cert.dual_residual <= 1e-9 && cert.gap.abs() <= 1e-9 * (1.0 + exact.objective.abs()), "{}: {cert:?}", inst.name);
        // PDHG's own answer is only as good as its tolerance.
        assert!(rel(approx.objective, exact.objective) > rel(polished.objective, exact.objective), "{}", inst.name);
    }
}

/// On QPs the polish solves the KKT system on the answer's active set: from PDHG at 1e-6 it
/// reaches the optimum Clarabel finds, with a primal residual at rounding level, far below an
/// interior point's, on two generated days and on the real MovieLens day.
#[test]
fn polish_solves_the_kkt_system_of_a_qp_exactly() {
    use agora_solver::{formulate, polish, FirstOrderMethod};
    let ml = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(ml.join("ml-100k.inter").is_file(), "{} is missing: run scripts/fetch-data.sh (make test does)", ml.display());
    let real = agora_instances::import::movielens::import(&ml).unwrap();
    let mut days = vec![agora_instances::generate_day(Size::Small, 1, 0.5), agora_instances::generate_day(Size::Small, 2, 5.0)];
    for rho in [0.5, 5.0] {
        let mut d = real.clone();
        d.objective.regularization = rho;
        days.push(d);
    }
    for inst in days {
        let label = format!("{} rho {}", inst.name, inst.objective.regularization);
        let model = formulate(&inst);
        // PDHG at 1e-6, as auto's fallback runs it.
        let pdhg =
            Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, first_order_tolerance: 1e-6, ..Settings::default() };
        let approx = solve(&inst, &pdhg).unwrap();
        assert_eq!(approx.status, Status::Optimal, "{label}: {:?}", approx.message);
        let polished = polish(&inst, &model, &Settings::default().validated().unwrap(), &approx).unwrap();
        assert_eq!(polished.status, Status::Optimal, "{label}: {:?}", polished.message);
        assert!(polished.message.as_deref().is_some_and(|m| m.starts_with("the KKT system")), "{label}: {:?}", polished.message);
        let clarabel = solve(&inst, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        let rel = (polished.objective - clarabel.objective).abs() / clarabel.objective.abs();
        assert!(rel <= 1e-7, "{label}: polished {} clarabel {} ({rel:e})", polished.objective, clarabel.objective);
        let cert = polished.certificate.clone().unwrap();
        // Measured: primal residuals 1e-15 against Clarabel's 5e-10..4e-9 and PDHG's 2e-7..9e-7.
        let scale = 1.0 + clarabel.objective.abs();
        let theirs = clarabel.certificate.clone().unwrap();
        assert!(cert.primal_residual <= 1e-12 && cert.primal_residual < theirs.primal_residual, "{label}: {cert:?} against Clarabel's {theirs:?}");
        assert!(cert.dual_residual <= 1e-8 && cert.gap.abs() <= 1e-9 * scale, "{label}: {cert:?}");
    }
}
