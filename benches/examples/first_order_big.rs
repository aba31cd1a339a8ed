//! One large day, once: the first-order backend against HiGHS' interior point and HiGHS' PDLP on
//! the same model in the same process, with peak memory counted by a counting allocator.
//!
//! ```text
//! cargo run --release -p agora-benches --example first_order_big -- DAY.json [THREADS] [TIME_LIMIT_S] [highs]
//! ```
//!
//! Prints one line per method: status, seconds, residuals of agora's certificate; for sifting its
//! restricted LPs, working set and pricing passes; for PDHG its iterations, passes over the
//! edges and ns per edge per pass; for both the peak heap of the run per edge. `highs` adds
//! HiGHS' simplex, interior point and PDLP on the whole model for an LP, Clarabel for a QP (each
//! with the same time limit);
//! `PDHG_MAX_EDGES` (default 2 million) bounds the days PDHG runs on; `VERBOSE=1` logs progress to
//! stderr. See `benches/scripts/big.sh`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use agora_solver::{certify, first_order, formulate, highs_with_method, Backend, BackendChoice, FirstOrderMethod, Settings};

/// Counts live heap bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// A counting allocator must implement the unsafe trait; it only forwards to `System`.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mb(b: usize) -> f64 {
    b as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: first_order_big DAY.json [THREADS] [TIME_LIMIT_S] [highs]");
    let threads: usize = args.get(2).map(|t| t.parse().expect("THREADS")).unwrap_or(2);
    let limit: f64 = args.get(3).map(|t| t.parse().expect("TIME_LIMIT_S")).unwrap_or(3600.0);
    let with_highs = args.get(4).is_some_and(|a| a == "highs");

    let t = Instant::now();
    let inst = agora_instances::load(path).expect("loads").instance;
    let n = inst.edges.len();
    println!("day {path}: {} ({:.1} s to load, heap {:.0} MB)", inst.shape(), t.elapsed().as_secs_f64(), mb(LIVE.load(Ordering::Relaxed)));
    let t = Instant::now();
    let model = formulate(&inst);
    println!(
        "formulated: {} rows, {} entries in {:.1} s (heap {:.0} MB, peak {:.0} MB)",
        model.n_rows(),
        model.matrix.nnz(),
        t.elapsed().as_secs_f64(),
        mb(LIVE.load(Ordering::Relaxed)),
        mb(PEAK.load(Ordering::Relaxed))
    );

    let verbose = std::env::var("VERBOSE").is_ok();
    // The first-order backend's methods: sifting (what `auto` runs on an LP) and PDHG, the latter
    // on days up to PDHG_MAX_EDGES edges (default 2 million, so the 10^6-edge day of 1,003,803
    // edges; at 10^7 it does not finish in hours).
    let pdhg_max: usize = std::env::var("PDHG_MAX_EDGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    let methods = if n <= pdhg_max { vec![FirstOrderMethod::Sifting, FirstOrderMethod::Pdhg] } else { vec![FirstOrderMethod::Sifting] };
    for method in methods {
        let settings =
            Settings { backend: BackendChoice::FirstOrder, first_order_method: method, threads, time_limit: Some(limit), verbose, ..Settings::default() };
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        let out = first_order::run(&model, &settings, None).expect("runs");
        let secs = t.elapsed().as_secs_f64();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        let c = certify(&model, &out.result.x, &out.result.row_duals);
        let s = &out.stats;
        let detail = match &out.sift {
            Some(f) => format!(
                "{} restricted problems ({:.1} s in the restricted solver, {} iterations), working set {} edges ({:.2}% of the day), {} pricing passes ({:.2} s, {:.1} ns/edge/pass)",
                f.rounds,
                f.restricted_seconds,
                f.restricted_iterations,
                f.working_set,
                100.0 * f.working_set as f64 / n as f64,
                f.pricing_passes,
                f.pricing_seconds,
                f.pricing_seconds * 1e9 / (f.pricing_passes.max(1) as f64 * n as f64)
            ),
            None => format!(
                "{} iterations, {} passes, {} restarts; {:.1} ns/edge/pass; store+workspace {:.1} B/edge ({} entries, {:.2}/edge)",
                s.iterations,
                s.passes,
                s.restarts,
                s.seconds * 1e9 / (s.passes.max(1) as f64 * n as f64),
                (s.store_bytes + s.workspace_bytes) as f64 / n as f64,
                s.nnz,
                s.nnz as f64 / n as f64
            ),
        };
        println!(
            "first-order {method:?} ({threads} threads): {} ({:?}) in {secs:.1} s; primal {:.2e} dual {:.2e} gap {:.2e}; objective {:.9e}; {detail}; \
             peak heap of the run above the formulated model {:.1} B/edge{}",
            out.result.status,
            out.reason,
            c.primal_residual,
            c.dual_residual,
            c.gap,
            out.result.objective,
            peak as f64 / n as f64,
            if out.result.status.is_optimal() { String::new() } else { format!(" ({})", out.result.detail.as_deref().unwrap_or("-")) }
        );
    }

    if with_highs && model.is_qp() {
        // HiGHS' QP solver stalls on agora's Hessian (docs/backends.md): QPs are compared with
        // Clarabel on the whole model.
        let cs = Settings { backend: BackendChoice::Clarabel, threads, time_limit: Some(limit), ..Settings::default() };
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        match agora_solver::Clarabel.solve(&model, &cs.clone().validated().expect("valid settings")) {
            Ok(res) => {
                let c = certify(&model, &res.x, &res.row_duals);
                println!(
                    "clarabel: {} in {:.1} s; primal {:.2e} dual {:.2e} gap {:.2e}; objective {:.9e}; {} iterations; peak heap {:.1} B/edge",
                    res.status,
                    t.elapsed().as_secs_f64(),
                    c.primal_residual,
                    c.dual_residual,
                    c.gap,
                    res.objective,
                    res.iterations,
                    (PEAK.load(Ordering::Relaxed) - base) as f64 / n as f64
                );
            }
            Err(e) => println!("clarabel: error {e}"),
        }
    } else if with_highs {
        for (method, opts) in [
            ("simplex", vec![]),
            ("ipm", vec![("run_crossover", "off")]),
            ("pdlp", vec![("primal_feasibility_tolerance", "1e-4"), ("dual_feasibility_tolerance", "1e-4"), ("pdlp_optimality_tolerance", "1e-4")]),
        ] {
            let hs = Settings { backend: BackendChoice::Highs, threads, time_limit: Some(limit), ..Settings::default() };
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let t = Instant::now();
            match highs_with_method(&model, &hs, method, &opts) {
                Ok(res) => {
                    let secs = t.elapsed().as_secs_f64();
                    let c = certify(&model, &res.x, &res.row_duals);
                    println!(
                        "highs {method}: {} in {secs:.1} s; primal {:.2e} dual {:.2e} gap {:.2e}; objective {:.9e}; {} iterations; \
                         Rust-side peak heap {:.1} B/edge (HiGHS' C++ heap is not counted){}",
                        res.status,
                        c.primal_residual,
                        c.dual_residual,
                        c.gap,
                        res.objective,
                        res.iterations,
                        (PEAK.load(Ordering::Relaxed) - base) as f64 / n as f64,
                        res.detail.map(|d| format!(" ({d})")).unwrap_or_default()
                    );
                }
                Err(e) => println!("highs {method}: error {e}"),
            }
        }
    }
}
