//! The distributed solve in one process (`Solo`): the same answer as the single-process sifting,
//! through the cluster code path (day rows from keys, pricing through the pool's wire format,
//! sums over columns assembled at the root). `cli/tests/mpi.rs` runs it over 1, 2 and 4 MPI
//! processes.

use agora_instances::{generate, Instance, ShardEdges, Size};
use agora_solver::distributed::{solve_sharded, Solo};
use agora_solver::{BackendChoice, FirstOrderMethod, Settings, Status};

fn whole(inst: &Instance) -> ShardEdges {
    ShardEdges::whole(inst)
}

fn sifting() -> Settings {
    Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() }
}

fn same_answer(inst: &Instance) {
    let one = agora_solver::solve(inst, &sifting()).unwrap();
    let d = solve_sharded(inst, &whole(inst), &Solo, &sifting()).unwrap().expect("the root answers");
    let sol = &d.solution;
    assert_eq!(sol.status, one.status, "{}", sol.message.clone().unwrap_or_default());
    assert_eq!(one.status, Status::Optimal);
    assert!((sol.objective - one.objective).abs() <= 1e-9 * one.objective.abs().max(1.0), "{} vs {}", sol.objective, one.objective);
    let file = one.to_file(inst);
    assert_eq!(d.plan, file.plan);
    assert_eq!(sol.rows.len(), one.rows.len());
    for (a, b) in sol.rows.iter().zip(&one.rows) {
        assert_eq!(a.name, b.name);
        assert!((a.dual - b.dual).abs() <= 1e-9 * b.dual.abs().max(1.0), "{}: {} vs {}", a.name, a.dual, b.dual);
        assert!((a.shadow_price - b.shadow_price).abs() <= 1e-7 * b.shadow_price.abs().max(1.0), "{}: {} vs {}", a.name, a.shadow_price, b.shadow_price);
        assert!((a.activity - b.activity).abs() <= 1e-9 * b.activity.abs().max(1.0));
    }
    assert_eq!(sol.pacing, one.pacing);
    let cert = sol.certificate.as_ref().unwrap();
    assert!(cert.passes(1e-9), "{cert:?}");
    assert_eq!(d.stats.day_edges, inst.edges.len());
    assert_eq!(d.stats.pricing_bytes.len() as u64, d.stats.sifting.pricing_passes);
}

#[test]
fn one_process_through_the_cluster_path_answers_as_sifting_does() {
    for seed in 1..4 {
        same_answer(&generate(Size::Small, seed));
    }
    same_answer(&generate(Size::Tiny, 7));
    same_answer(&agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance);
}

#[test]
fn pdhg_through_the_cluster_path_takes_the_single_process_steps() {
    let pdhg = Settings { first_order_method: FirstOrderMethod::Pdhg, ..sifting() };
    for inst in [generate(Size::Small, 2), agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance] {
        let one = agora_solver::solve(&inst, &pdhg).unwrap();
        let d = solve_sharded(&inst, &whole(&inst), &Solo, &pdhg).unwrap().expect("the root answers");
        let sol = &d.solution;
        assert_eq!(one.status, Status::Optimal, "{:?}", one.message);
        assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
        // The same iterates (one process: nothing is reduced), checked the same way.
        assert_eq!(sol.iterations, one.iterations);
        assert!((sol.objective - one.objective).abs() <= 1e-9 * one.objective.abs().max(1.0), "{} vs {}", sol.objective, one.objective);
        let file = one.to_file(&inst);
        assert_eq!(d.plan.len(), file.plan.len());
        for (a, b) in d.plan.iter().zip(&file.plan) {
            assert_eq!((&a.segment, &a.item), (&b.segment, &b.item));
            assert!((a.impressions - b.impressions).abs() <= 1e-9 * b.impressions.max(1.0));
        }
        assert!(sol.message.as_deref().unwrap_or("").starts_with("PDHG over 1 process:"), "{:?}", sol.message);
    }
}

#[test]
fn settings_that_name_an_exact_backend_are_refused() {
    let inst = generate(Size::Tiny, 1);
    for b in [BackendChoice::Highs, BackendChoice::Clarabel] {
        let e = solve_sharded(&inst, &whole(&inst), &Solo, &Settings { backend: b, ..Settings::default() }).unwrap_err();
        assert!(e.to_string().contains("a distributed solve runs the first-order backend"), "{e}");
    }
}

/// A floor no plan can reach: sifting cannot serve it at any artificial cost.
const FLOOR_DAY: &str = include_str!("days/floor-beyond-reach.json");

#[test]
fn auto_falls_back_to_pdhg_when_sifting_cannot_settle_and_never_calls_that_optimal() {
    let inst = agora_instances::parse_str(FLOOR_DAY, std::path::Path::new("floor.json")).unwrap().instance;
    let auto = Settings { iteration_limit: Some(2000), ..Settings::default() };
    let d = solve_sharded(&inst, &whole(&inst), &Solo, &auto).unwrap().expect("the root answers");
    assert_ne!(d.solution.status, Status::Optimal);
    let said = d.solution.message.clone().unwrap_or_default();
    assert!(said.starts_with("auto: distributed sifting: a floor stayed unserved") && said.contains("PDHG certified at 1e-6"), "{said}");
    assert!(d.plan.is_empty());
    // Sifting asked for by name is reported as it ended.
    let d = solve_sharded(&inst, &whole(&inst), &Solo, &Settings { iteration_limit: Some(2000), ..sifting() }).unwrap().unwrap();
    assert_eq!(d.solution.status, Status::NumericalError);
    assert!(d.solution.message.unwrap_or_default().contains("no whole-model fallback"));
}
