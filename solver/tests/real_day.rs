//! The MovieLens-100k day (`agora import movielens`, data fetched by scripts/fetch-data.sh, which
//! `make test` runs) as an LP and as QPs (rho 0.5, 5, 50) on every backend: each ends optimal and
//! their objectives agree with PDHG's at a 1e-6 certificate to 1e-6 relative.

use std::path::Path;

use agora_solver::{solve, BackendChoice, FirstOrderMethod, Settings, Status};

#[test]
fn the_real_day_solves_on_every_backend_as_lp_and_qp() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(dir.join("ml-100k.inter").is_file(), "{} is missing: run scripts/fetch-data.sh (make test does)", dir.display());
    let base = agora_instances::import::movielens::import(&dir).unwrap();
    for rho in [0.0, 0.5, 5.0, 50.0] {
        let mut day = base.clone();
        day.objective.regularization = rho;
        let pdhg =
            Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, first_order_tolerance: 1e-6, ..Settings::default() };
        let reference = solve(&day, &pdhg).unwrap();
        assert_eq!(reference.status, Status::Optimal, "rho {rho}, pdhg: {:?}", reference.message);
        for backend in [BackendChoice::Auto, BackendChoice::Clarabel, BackendChoice::Highs, BackendChoice::FirstOrder] {
            if backend == BackendChoice::Highs && rho > 0.0 {
                // HiGHS' QP solver stalls on agora's Hessian (docs/backends.md): auto never sends QPs there.
                continue;
            }
            let sol = solve(&day, &Settings { backend, ..Settings::default() }).unwrap();
            assert_eq!(sol.status, Status::Optimal, "rho {rho}, {backend:?}: {:?}", sol.message);
            let rel = (sol.objective - reference.objective).abs() / reference.objective.abs();
            assert!(rel <= 1e-6, "rho {rho}, {backend:?}: objective {} against PDHG's {} ({rel:e})", sol.objective, reference.objective);
        }
    }
}

/// The MovieLens day built from directors (issue 33: `agora import movielens --creators
/// directors`): Clarabel chosen explicitly ends optimal (so passes agora's check) as an LP and at
/// rho 0.5, 5 and 50, at sifting's optimum to 1e-6 relative; on the QPs, whose optimum is unique,
/// its plan is sifting's to 1e-5 of each segment's supply. Before, Clarabel stalled on all four
/// ("insufficient progress" after 1-5 iterations).
#[test]
fn the_directors_day_solves_on_clarabel_as_on_sifting() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(dir.join("ml-100k.kg").is_file(), "{} is missing ml-100k.kg: run scripts/fetch-data.sh (make test does)", dir.display());
    let base = agora_instances::import::directors::import(&dir).unwrap();
    for rho in [0.0, 0.5, 5.0, 50.0] {
        let mut day = base.clone();
        day.objective.regularization = rho;
        let sifting = solve(&day, &Settings { backend: BackendChoice::FirstOrder, ..Settings::default() }).unwrap();
        assert_eq!(sifting.status, Status::Optimal, "rho {rho}, sifting: {:?}", sifting.message);
        let clarabel = solve(&day, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        assert_eq!(clarabel.status, Status::Optimal, "rho {rho}, clarabel: {:?}", clarabel.message);
        let rel = (clarabel.objective - sifting.objective).abs() / sifting.objective.abs();
        assert!(rel <= 1e-6, "rho {rho}: Clarabel's objective {} against sifting's {} ({rel:e})", clarabel.objective, sifting.objective);
        if rho > 0.0 {
            let worst = day
                .edges
                .iter()
                .enumerate()
                .map(|(e, edge)| (clarabel.impressions[e] - sifting.impressions[e]).abs() / day.segments[edge.segment].supply)
                .fold(0.0, f64::max);
            assert!(worst <= 1e-5, "rho {rho}: plans differ by {worst:e} of a supply");
        }
    }
}
