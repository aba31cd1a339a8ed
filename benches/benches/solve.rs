//! Formulation and solve times on generated days. Ratios between benchmarks in one run are
//! what benches/RESULTS.md reports (absolute times depend on the machine).

use agora_instances::{generate_day, Size};
use agora_solver::{formulate, solve_model, BackendChoice, Columns, Formulation, Settings, Status};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn formulate_days(c: &mut Criterion) {
    let mut g = c.benchmark_group("formulate");
    for size in [Size::Small, Size::Medium] {
        let inst = generate_day(size, 1, 0.0);
        g.throughput(Throughput::Elements(inst.edges.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size.name()), &inst, |b, inst| b.iter(|| formulate(inst)));
    }
    g.finish();
}

fn solve_days(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(10);
    for size in [Size::Small, Size::Medium] {
        for (class, rho) in [("lp", 0.0), ("qp", 0.5)] {
            let inst = generate_day(size, 1, rho);
            let model = formulate(&inst);
            g.throughput(Throughput::Elements(inst.edges.len() as u64));
            for backend in [BackendChoice::Highs, BackendChoice::Clarabel] {
                // HiGHS' active-set QP solver needs minutes on the medium day (docs/backends.md):
                // measured once by hand, not here.
                if size == Size::Medium && class == "qp" && backend == BackendChoice::Highs {
                    continue;
                }
                let settings = Settings { backend, ..Settings::default() };
                // Only an optimal answer that passes agora's check is worth timing: a bench once
                // timed Clarabel's one-iteration false "infeasible" on these QPs.
                let first = solve_model(&inst, &model, &settings).expect("solves");
                assert_eq!(first.status, Status::Optimal, "{} {class} {backend:?}: {:?}", size.name(), first.message);
                let id = BenchmarkId::new(format!("{}/{class}", size.name()), format!("{backend:?}").to_lowercase());
                g.bench_with_input(id, &model, |b, model| b.iter(|| solve_model(&inst, model, &settings).expect("solves").iterations));
            }
        }
    }
    g.finish();
}

/// The day's columns stored (the model IR) against generated per edge (`Formulation`): what it
/// costs to set each up, and one pricing-like pass (`a_j . y` and its size for every column, as
/// sifting's pricing and agora's check compute them) over each.
fn columns(c: &mut Criterion) {
    let mut g = c.benchmark_group("columns");
    let inst = generate_day(Size::Medium, 1, 0.0);
    let stored = formulate(&inst);
    let generated = Formulation::new(&inst);
    let y: Vec<f64> = (0..stored.n_rows()).map(|r| ((r * 7919) % 1000) as f64 * 1e-3).collect();
    g.throughput(Throughput::Elements(inst.edges.len() as u64));
    g.bench_function("set up/stored (formulate)", |b| b.iter(|| formulate(&inst)));
    g.bench_function("set up/generated (Formulation::new)", |b| b.iter(|| Formulation::new(&inst)));
    fn pass<C: Columns>(model: &C, y: &[f64]) -> f64 {
        let mut sum = 0.0;
        let y = model.duals(y);
        model.visit(0..model.n_cols(), |j| {
            let (aty, mag) = model.dual_terms(j, &y);
            sum += model.cost(j) - aty + mag;
        });
        sum
    }
    g.bench_function("pass/stored", |b| b.iter(|| pass(&stored, &y)));
    g.bench_function("pass/generated", |b| b.iter(|| pass(&generated, &y)));
    g.finish();
}

criterion_group!(benches, formulate_days, solve_days, columns);
criterion_main!(benches);
