//! The first-order backend against HiGHS on a generated day of about 10^5 edges, in one run.
//!
//! A certified first-order solve of this day takes minutes (README, "First-order backend"), too
//! long for criterion's repeated samples; the bench therefore times what carries across
//! machines: the exact solve (HiGHS' dual simplex, as `auto` picks), the first-order backend's
//! fixed work of 500 iterations (setup included), and its setup alone (edge store, Ruiz and
//! Pock-Chambolle scaling, power iteration). Time to 1e-4 for this day and the larger ones comes
//! from `benches/scripts/big.sh`, which runs each method once in one process.

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
    g.bench_with_input(BenchmarkId::new("highs", "solve"), &model, |b, model| {
        b.iter(|| solve_model(&inst, model, &highs).expect("solves").iterations)
    });
    for iterations in [1u64, 500] {
        let fo = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, iteration_limit: Some(iterations), threads: 1, ..Settings::default() };
        g.bench_with_input(BenchmarkId::new("first-order", format!("{iterations} iterations")), &model, |b, model| {
            b.iter(|| first_order::run(model, &fo, None).expect("runs").stats.passes)
        });
    }
    g.finish();
}

criterion_group!(benches, first_order_vs_highs);
criterion_main!(benches);
