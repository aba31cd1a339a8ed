//! The first-order backend against HiGHS on a generated day of about 10^5 edges, in one run.
//!
//! Sifting (the backend's LP method) and HiGHS' dual simplex on the whole model both reach the
//! exact optimum: both are timed to it, each asserted optimal first, and their ratio is the
//! number to read. A certified PDHG solve of this day takes minutes (docs/backends.md, "First-order
//! backend"), too long for criterion's repeated samples; the bench times PDHG's fixed work of
//! 500 iterations (setup included) and its setup alone (edge store, Ruiz and Pock-Chambolle
//! scaling, power iteration). The larger days come from `benches/scripts/big.sh`, which runs
//! each method once in one process.

use agora_instances::{generate_with, GenerateConfig};
use agora_solver::{first_order, formulate, solve_model, BackendChoice, FirstOrderMethod, Settings};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn first_order_vs_highs(c: &mut Criterion) {
    let inst = generate_with(&GenerateConfig::for_edges(100_000), 1);
    let model = formulate(&inst);
    let mut g = c.benchmark_group("first_order_1e5");
    g.sample_size(10);
    g.throughput(Throughput::Elements(inst.edges.len() as u64));
    let highs = Settings { backend: BackendChoice::Highs, ..Settings::default() };
    let sifting = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() };
    for (name, settings) in [("highs", &highs), ("sifting", &sifting)] {
        let first = solve_model(&inst, &model, settings).expect("solves");
        assert!(first.status.is_optimal(), "{name}: {:?}", first.message);
        g.bench_with_input(BenchmarkId::new(name, "exact optimum"), &model, |b, model| {
            b.iter(|| solve_model(&inst, model, settings).expect("solves").iterations)
        });
    }
    for iterations in [1u64, 500] {
        let fo = Settings {
            backend: BackendChoice::FirstOrder,
            first_order_method: FirstOrderMethod::Pdhg,
            iteration_limit: Some(iterations),
            threads: 1,
            ..Settings::default()
        };
        g.bench_with_input(BenchmarkId::new("first-order", format!("{iterations} iterations")), &model, |b, model| {
            b.iter(|| first_order::run(model, &fo, None).expect("runs").stats.passes)
        });
    }
    g.finish();
}

criterion_group!(benches, first_order_vs_highs);
criterion_main!(benches);
