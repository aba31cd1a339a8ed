//! A 20-point frontier sweep hot-started along one chain against the same 20 points solved
//! cold (fresh formulation and fresh HiGHS each), on the same generated small day, in one
//! process. benches/RESULTS.md reports the ratio.

use agora_instances::{generate, Instance, Param, Size};
use agora_solver::frontier::{self, FrontierSettings, Sweep};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// The day's first constraint of type `ty`, swept over `lo..hi` times its current value.
fn sweep_of(inst: &Instance, ty: &str, field: &str, lo: f64, hi: f64) -> Sweep {
    let c = inst.constraints.iter().find(|c| c.kind.type_name() == ty).expect("the generator writes this constraint");
    let p = Param::parse(inst, &format!("{}.{field}", c.name)).expect("a parameter");
    let v = p.get(inst);
    Sweep::new(inst, p, lo * v, hi * v, 20).expect("a valid sweep")
}

fn sweeps(c: &mut Criterion) {
    let inst = generate(Size::Small, 1);
    let mut g = c.benchmark_group("frontier_small_20_points");
    g.sample_size(10);
    for (label, sweep) in
        [("exposure_floor.min", sweep_of(&inst, "exposure_floor", "min", 0.0, 1.0)), ("ad_load.max_share", sweep_of(&inst, "ad_load", "max_share", 0.5, 1.5))]
    {
        for (mode, hot_start) in [("hot", true), ("cold", false)] {
            // One chain: the comparison is hot starts against cold solves, not parallelism.
            let fs = FrontierSettings { hot_start, max_chains: Some(1), ..FrontierSettings::default() };
            let f = frontier::run(&inst, std::slice::from_ref(&sweep), &fs, &agora_solver::Silent).expect("runs");
            let optimal = f.points.iter().filter(|p| p.status.is_optimal()).count();
            let iterations: u64 = f.points.iter().map(|p| p.iterations).sum();
            eprintln!("{label} {mode}: {optimal}/20 optimal, {iterations} simplex iterations in all");
            g.bench_with_input(BenchmarkId::new(label, mode), &sweep, |b, s| {
                b.iter(|| frontier::run(&inst, std::slice::from_ref(s), &fs, &agora_solver::Silent).expect("runs").points.len())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
