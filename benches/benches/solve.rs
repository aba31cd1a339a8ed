//! Formulation and solve times on generated days. Ratios between benchmarks in one run are
//! what the README reports (absolute times depend on the machine).

use agora_instances::{generate, generate_with, GenerateConfig, Instance, Size};
use agora_solver::{formulate, solve_model, BackendChoice, Settings, Status};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn day(size: Size, regularization: f64) -> Instance {
    if regularization == 0.0 {
        return generate(size, 1);
    }
    let mut cfg = GenerateConfig::for_size(size);
    cfg.regularization = regularization;
    generate_with(&cfg, 1)
}

fn formulate_days(c: &mut Criterion) {
    let mut g = c.benchmark_group("formulate");
    for size in [Size::Small, Size::Medium] {
        let inst = day(size, 0.0);
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
            let inst = day(size, rho);
            let model = formulate(&inst);
            g.throughput(Throughput::Elements(inst.edges.len() as u64));
            for backend in [BackendChoice::Highs, BackendChoice::Clarabel] {
                // HiGHS' active-set QP solver needs minutes on the medium day (README, "Backends"):
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
                g.bench_with_input(id, &model, |b, model| {
                    b.iter(|| solve_model(&inst, model, &settings).expect("solves").iterations)
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, formulate_days, solve_days);
criterion_main!(benches);
