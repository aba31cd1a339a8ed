//! The executor: restarted PDHG with adaptive restarts to the average, primal weight updates
//! and certified termination.

// The sweeps index several parallel arrays by the same position.
#![allow(clippy::needless_range_loop)]

mod projection;
pub(crate) mod state;
pub mod termination;

use std::time::Instant;

use crate::backends::BackendResult;
use crate::certificate::{certify, Certificate};
use crate::first_order::store::Store;
use crate::ir::{Columns, Sense};
use crate::settings::ValidSettings;
use state::{Candidate, State};
use termination::{Residuals, RestartPolicy, TerminationReason, DEFAULT_ITERATION_LIMIT};

/// Step-size factor: `tau * sigma = ETA^2 < 1` and the preconditioned matrix has norm <= 1.
const ETA: f64 = 0.99;
/// Power-iteration rounds estimating the preconditioned matrix's norm.
const POWER_ROUNDS: usize = 20;

/// Counters of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// PDHG iterations.
    pub iterations: u64,
    /// Sweeps over the edge store: two per iteration (`A'y`, `A x`), one per evaluation.
    pub passes: u64,
    /// Adaptive restarts taken.
    pub restarts: u64,
    /// Bytes of the edge store (what the model's edges cost the backend).
    pub store_bytes: usize,
    /// Bytes of the iterate and workspaces.
    pub workspace_bytes: usize,
    /// Stored coefficients (dualised rows only).
    pub nnz: usize,
    /// The number of edge columns in the model.
    pub n_edges: usize,
    /// Wall-clock seconds of the run, building the store included.
    pub seconds: f64,
    /// The residuals of the returned pair.
    pub residuals: Option<Residuals>,
}

/// What the executor returns.
pub(crate) struct Run {
    pub reason: TerminationReason,
    pub result: BackendResult,
    pub stats: Stats,
    pub certificate: Option<Certificate>,
}

/// Sums and maxima of per-process parts over every process that holds part of the edges, the
/// result the same on all of them: nothing for one process ([`Alone`]); a gather and a broadcast
/// for a distributed solve (`crate::distributed`, docs/distributed.md). The iteration reduces
/// `A x` once per step, its residuals' sums once per evaluation, and nothing else depends on
/// which process holds which edges, so every process takes the same steps.
pub(crate) trait Reduce {
    /// Replaces `v` by the sum over every process of their `v`.
    fn sum(&self, v: &mut [f64]);
    /// Replaces `v` by the elementwise maximum over every process of their `v`.
    fn max(&self, v: &mut [f64]);
    /// True for one process: a reduction costs nothing.
    fn alone(&self) -> bool;
}

/// One process holds every edge: nothing to reduce.
pub(crate) struct Alone;

impl Reduce for Alone {
    fn sum(&self, _: &mut [f64]) {}
    fn max(&self, _: &mut [f64]) {}
    fn alone(&self) -> bool {
        true
    }
}

/// The evaluated candidate in model space, with agora's check of it.
pub(crate) struct Checked {
    /// This process's model columns.
    pub x: Vec<f64>,
    /// The day's row duals.
    pub y: Vec<f64>,
    /// The objective at the plan (every process's columns).
    pub objective: f64,
    pub certificate: Certificate,
}

/// What the executor needs besides the store: how to reduce over processes, how to check a
/// candidate in model space, and a row's name for logs.
pub(crate) struct Side<'a> {
    pub red: &'a dyn Reduce,
    pub check: &'a dyn Fn(&Store, &State) -> Checked,
    pub row_name: &'a dyn Fn(usize) -> String,
}

/// The single-process side of `model`: no reduction, the certificate on the model.
pub(crate) fn run_alone<C: Columns + ?Sized>(model: &C, store: &Store, st: &mut State, settings: &ValidSettings, start: Instant) -> Run {
    let check = |store: &Store, st: &State| {
        let (x, y) = assemble(model, store, st);
        let certificate = certify(model, &x, &y);
        Checked { objective: model.objective(&x), x, y, certificate }
    };
    let row_name = |r: usize| model.rows()[r].name.clone();
    execute(store, st, settings, start, &Side { red: &Alone, check: &check, row_name: &row_name })
}

/// Runs restarted PDHG on `store` until the certificate passes or a limit is reached.
pub(crate) fn execute(store: &Store, st: &mut State, settings: &ValidSettings, start: Instant, side: &Side<'_>) -> Run {
    let red = side.red;
    let policy = RestartPolicy::default();
    let tol = settings.first_order_tolerance;
    let limit = settings.iteration_limit.unwrap_or(DEFAULT_ITERATION_LIMIT);
    let mut stats = Stats { store_bytes: store.bytes(), workspace_bytes: st.bytes(), nnz: store.nnz(), n_edges: store.n_edges, ..Stats::default() };
    // Steps: tau * sigma * |K|^2 = ETA^2 < 1 with K the preconditioned matrix, whose norm is at
    // most 1 (Pock-Chambolle); power iteration usually finds it well below, allowing longer steps.
    // The estimate is from below, hence the margin.
    let norm = st.operator_norm(store, POWER_ROUNDS, red);
    stats.passes += 2 * POWER_ROUNDS as u64;
    let eta = ETA / (1.1 * norm).clamp(1e-3, 1.0);
    settings.observer().log(format_args!(
        "first-order: {} edges, {} dualised rows, {} entries, preconditioned norm ~{norm:.3}",
        store.n_edges,
        store.dual.len(),
        store.nnz()
    ));
    st.halpern = policy.reflection;
    let r0 = st.evaluate(store, Candidate::Current, red);
    stats.passes += 1;
    if r0.passes(tol) {
        if let Some(run) = try_finish(store, st, Candidate::Current, tol, &mut stats, start, side) {
            return run;
        }
    }
    let mut kkt_restart = r0.kkt();
    let mut kkt_prev = f64::INFINITY;
    let mut since_restart = 0u64;
    let mut it = 0u64;
    let reason = loop {
        if it >= limit {
            break TerminationReason::IterationLimit;
        }
        // Every process stops together, at the first process's clock or interrupt: agreed on
        // every `check_every` iterations (a reduction each), every iteration for one process.
        #[allow(clippy::manual_is_multiple_of)]
        if red.alone() || it % policy.check_every == 0 {
            let mut stop = [
                f64::from(u8::from(settings.time_limit.is_some_and(|t| start.elapsed().as_secs_f64() >= t))),
                f64::from(u8::from(settings.observer().interrupted())),
            ];
            red.max(&mut stop);
            if stop[0] > 0.0 {
                break TerminationReason::TimeLimit;
            }
            if stop[1] > 0.0 {
                break TerminationReason::Interrupted;
            }
        }
        let (tau, sigma) = (eta / st.omega, eta * st.omega);
        st.step(store, tau, sigma, red);
        it += 1;
        since_restart += 1;
        stats.iterations = it;
        stats.passes += 2;
        // (`is_multiple_of` needs Rust 1.87; the workspace supports 1.80.)
        #[allow(clippy::manual_is_multiple_of)]
        if it % policy.check_every != 0 {
            continue;
        }
        if !st.is_finite(red) {
            break TerminationReason::NumericalError;
        }
        let ra = st.evaluate(store, Candidate::Average, red);
        // Halpern iterates may leave the segments' sets: only T(z) is a candidate.
        let rc = if st.halpern.is_some() { Residuals { gap: f64::INFINITY, ..ra } } else { st.evaluate(store, Candidate::Current, red) };
        stats.passes += if st.halpern.is_some() { 1 } else { 2 };
        let (cand, rk) = if ra.kkt() <= rc.kkt() { (Candidate::Average, ra) } else { (Candidate::Current, rc) };
        if settings.verbose {
            // Named only when logged: the iterations allocate nothing.
            let worst = st.worst_row.map(side.row_name).unwrap_or_else(|| "-".into());
            // The candidate: T(z) under Halpern, the average otherwise; then the current iterate.
            let current = if st.halpern.is_some() { String::new() } else { format!("  (current: {:.2e} {:+.2e})", rc.primal, rc.gap) };
            settings.observer().log(format_args!(
                "first-order it {it:>7}  primal {:.2e}  gap {:+.2e}{current}  omega {:.3e}  obj {:.8e}  worst {worst}  {:.1} s",
                ra.primal,
                ra.gap,
                st.omega,
                rk.objective,
                start.elapsed().as_secs_f64()
            ));
        }
        for (c, r) in [(cand, rk), (other(cand), if cand == Candidate::Average { rc } else { ra })] {
            if r.passes(tol) {
                if let Some(run) = try_finish(store, st, c, tol, &mut stats, start, side) {
                    return run;
                }
            }
        }
        let kkt = rk.kkt();
        let restart = kkt <= policy.sufficient * kkt_restart
            || (kkt <= policy.necessary * kkt_restart && kkt > kkt_prev)
            || since_restart as f64 >= policy.artificial * it as f64;
        kkt_prev = kkt;
        if restart {
            let (dx, dy) = st.restart(store, cand, red);
            if dx > 1e-10 && dy > 1e-10 {
                let th = policy.weight_smoothing;
                st.omega = (th * (dy / dx).ln() + (1.0 - th) * st.omega.ln()).exp();
            }
            kkt_restart = kkt;
            kkt_prev = f64::INFINITY;
            since_restart = 0;
            stats.restarts += 1;
        }
    };
    // A limit: report the better candidate's residuals (and still call it optimal if it passes).
    let ra = st.evaluate(store, Candidate::Average, red);
    let rc = if st.halpern.is_some() { ra } else { st.evaluate(store, Candidate::Current, red) };
    stats.passes += 2;
    let cand = if ra.kkt() <= rc.kkt() { Candidate::Average } else { Candidate::Current };
    if reason != TerminationReason::NumericalError && (rc.passes(tol) || ra.passes(tol)) {
        if let Some(run) = try_finish(store, st, cand, tol, &mut stats, start, side) {
            return run;
        }
    }
    let r = st.evaluate(store, cand, red);
    stats.passes += 1;
    stats.residuals = Some(r);
    stats.seconds = start.elapsed().as_secs_f64();
    let Checked { x, y, objective, .. } = (side.check)(store, st);
    let what = match reason {
        TerminationReason::IterationLimit => "the iteration limit",
        TerminationReason::TimeLimit => "the time limit",
        _ => "non-finite iterates",
    };
    let detail = format!(
        "first-order stopped at {what} after {} iterations ({} passes over the edges, {} restarts): relative primal residual {:.3e}, \
         dual residual {:.3e}, gap {:.3e} (tolerance {tol:e})",
        stats.iterations, stats.passes, stats.restarts, r.primal, r.dual, r.gap
    );
    Run {
        reason,
        result: BackendResult { status: reason.status(), x, row_duals: y, objective, iterations: stats.iterations, detail: Some(detail) },
        stats,
        certificate: None,
    }
}

fn other(c: Candidate) -> Candidate {
    match c {
        Candidate::Current => Candidate::Average,
        Candidate::Average => Candidate::Current,
    }
}

/// Assembles candidate `c`'s model-space pair and runs agora's certificate on it; `Some` when it
/// passes at `tol`.
fn try_finish(store: &Store, st: &mut State, c: Candidate, tol: f64, stats: &mut Stats, start: Instant, side: &Side<'_>) -> Option<Run> {
    let r = st.evaluate(store, c, side.red);
    stats.passes += 1;
    let Checked { x, y, objective, certificate: cert } = (side.check)(store, st);
    if !cert.passes(tol) {
        return None;
    }
    stats.residuals = Some(r);
    stats.seconds = start.elapsed().as_secs_f64();
    let detail = format!(
        "first-order: {} iterations, {} passes over the edges, {} restarts; relative primal residual {:.3e}, dual residual {:.3e}, gap {:.3e}",
        stats.iterations, stats.passes, stats.restarts, cert.primal_residual, cert.dual_residual, cert.gap
    );
    Some(Run {
        reason: TerminationReason::Converged,
        result: BackendResult { status: crate::status::Status::Optimal, x, row_duals: y, objective, iterations: stats.iterations, detail: Some(detail) },
        stats: stats.clone(),
        certificate: Some(cert),
    })
}

/// The last evaluated candidate in model space: edge columns from the plan, each soft row's
/// slack at its violation, dualised rows' duals and each segment's supply dual.
pub(crate) fn assemble<C: Columns + ?Sized>(model: &C, store: &Store, st: &State) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; model.n_cols()];
    let mut y = vec![0.0; model.n_rows()];
    supply_duals(store, st, &mut y);
    plan_of(store, st, &mut x);
    for (c, v) in slacks_of(store, st) {
        x[c] = v;
    }
    dual_rows(store, st, &mut y);
    (x, y)
}

/// Each of this process's segments' supply dual into `y` (by model row).
pub(crate) fn supply_duals(store: &Store, st: &State, y: &mut [f64]) {
    for (ch, cs) in store.chunks.iter().zip(&st.chunks) {
        for (b, blk) in ch.blocks.iter().enumerate() {
            y[blk.row] = cs.lam_star[b];
        }
    }
}

/// The dualised rows' duals into `y` (by model row).
pub(crate) fn dual_rows(store: &Store, st: &State, y: &mut [f64]) {
    for (k, d) in store.dual.iter().enumerate() {
        y[d.row] = st.y_eval[k];
    }
}

/// The evaluated candidate's plan into `x` (by model column).
pub(crate) fn plan_of(store: &Store, st: &State, x: &mut [f64]) {
    let is_avg = st.evaluated == Candidate::Average;
    let inv = if is_avg { 1.0 / st.count as f64 } else { 1.0 };
    for (ch, cs) in store.chunks.iter().zip(&st.chunks) {
        for p in 0..ch.len() {
            x[ch.col[p] as usize] = if is_avg { cs.x_sum[p] * inv } else { cs.x[p] };
        }
    }
}

/// Each soft row's slack column and its value, the row's violation at the evaluated candidate.
pub(crate) fn slacks_of<'a>(store: &'a Store, st: &'a State) -> impl Iterator<Item = (usize, f64)> + 'a {
    store.dual.iter().enumerate().filter_map(|(k, d)| {
        let act = st.ax_eval[k];
        d.slack.map(|c| {
            (
                c,
                match d.sense {
                    Sense::Le => (act - d.rhs).max(0.0),
                    Sense::Ge => (d.rhs - act).max(0.0),
                },
            )
        })
    })
}
