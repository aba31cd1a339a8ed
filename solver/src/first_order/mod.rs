//! The first-order backend: agora's backend for days too large for the exact backends' whole-
//! model solves. It has two methods ([`crate::FirstOrderMethod`]):
//!
//! - **sifting** (`sift.rs`, the default): exact restricted problems over a small working set of
//!   edges, priced by passes over all edges. An optimal LP vertex has at most as many edges
//!   strictly between their bounds as the model has rows, and a day has far more edges than
//!   rows, so the working set stays small (0.85% of the 10^7-edge day) and the answer is exact.
//!   QPs too: the ridge is small, and the QP optimum of the medium generated day uses 2% of its
//!   edges. The `auto` backend picks it for days of at least [`crate::AUTO_SIFTING_EDGES`] edges;
//! - **restarted PDHG** over segment blocks, certified to `first_order_tolerance`, for days
//!   whose optimum uses most edges (a large ridge spreads a QP's plan) or on request; the rest of
//!   this page is about it.
//!
//! On generated days sifting is faster than PDHG by one to three orders of magnitude, LP and
//! small-ridge QP alike (benches/RESULTS.md, "First-order backend").
//!
//! # PDHG: the method, and why this one
//!
//! The model (spec section 3) is `max c.x - 1/2 sum q_e x_e^2` over edges grouped by segment,
//! where each segment's edges form a block `{0 <= x_e <= cap_e, sum x_e <= supply_s}` and every
//! other row (budgets, item caps, share rows, floors, parity) is dualised. This is restarted PDHG
//! (the method of PDLP) with the blocks kept in the primal projection:
//!
//! - **primal step**: `x <- argmin over the block of |x - (x + T (c - A'y))|_{T^-1}^2 / 2 + q/2 |x|^2`,
//!   an exact projection onto a capped simplex in a diagonal metric (`projection.rs`): the
//!   supply rows and bounds never have residuals, and the segment's structure costs nothing;
//! - **dual step**: `y <- clip(y + Sigma (A (2x+ - x) - b))`, clipped to each row's sign, and for
//!   soft rows to `[0, penalty]` (the slack column is replaced by the penalty's dual box: the
//!   same problem, the slack being the row's violation);
//! - **preconditioning**: Ruiz equilibration of the dualised rows and columns, then
//!   Pock-Chambolle diagonal steps, folded into per-edge and per-row step weights so that the
//!   projection still acts on the true supply set (`store.rs`);
//! - **reflected Halpern iteration** (restarted Halpern PDHG, Lu and Yang 2024):
//!   `z <- (k+1)/(k+2) (2 T(z) - z) + 1/(k+2) z_0` with `T` the PDHG step above and `z_0` the
//!   last restart point; the candidate answer is `T(z)`, which always lies in the segments' sets.
//!   On generated LP days it needed 1.6 to 1.9 times fewer iterations than PDLP's restarts to
//!   the average, which remain available ([`termination::RestartPolicy::reflection`] = `None`);
//! - **adaptive restarts** on the candidate's residuals and **primal weight updates** as in
//!   PDLP / cuPDLP ([`termination::RestartPolicy`]).
//!
//! PDHG rather than DuaLip-style dual ascent: dual ascent on the ridge-regularised LP solves the
//! LP only in the limit of a vanishing ridge (continuation), and its answer's accuracy on the
//! LP itself must still be certified separately; PDHG solves the LP (rho = 0) and the QP
//! (rho > 0) directly, its averaged iterates give primal-dual pairs whose gap is a certificate,
//! and restarts give it linear convergence on LPs. The ridge of a QP enters the prox exactly.
//!
//! # Certified termination
//!
//! Every 64 iterations the candidate (and, without reflection, the current iterate) is evaluated on the unscaled model
//! with the definitions of [`crate::certify`]: the worst relative row violation, the worst dual
//! infeasibility, and the relative gap between the Lagrangian bound at the duals and the
//! objective at the plan. For the bound each segment's supply dual is chosen optimally (a
//! knapsack threshold for LPs, a one-dimensional projection for QPs), which also gives the
//! supply rows' duals in the same max-sense convention as the other backends. A candidate that
//! passes is assembled in model space and checked once more by [`crate::certify`] itself; only
//! then is the status `optimal`. Otherwise the run ends at `iteration_limit` or `time_limit`
//! with the residuals reached in its message.
//!
//! # Parallelism and determinism
//!
//! The store is cut into one chunk per thread at segment boundaries (balanced by entries);
//! chunks are swept in parallel (rayon, a pool of exactly `threads` threads) and their partial
//! `A x` are summed in chunk order, so results are bitwise identical for a fixed thread count.

// The sweeps index several parallel arrays (coefficients, rows, costs, iterates) by the same
// position; iterator chains over five slices would hide that.
#![allow(clippy::needless_range_loop)]

pub(crate) mod store;
mod warm;

pub use crate::pdhg::termination;
pub use crate::pdhg::Stats;
pub use crate::sifting::SiftStats;
pub use termination::{Residuals, RestartPolicy, TerminationReason};
pub use warm::WarmMatch;

use crate::backends::{empty_result, Backend, BackendResult};
use crate::certificate::{certify, Certificate};
use crate::ir::{Columns, Model};
use crate::settings::{FirstOrderMethod, ToValid, ValidSettings};
use crate::status::{SolveError, Status};

/// The first-order backend (`--backend first-order`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FirstOrder;

/// A starting point in model space, e.g. from an earlier solution of a similar day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarmStart {
    /// Values of the model's columns (edges first); missing: start from 0.
    pub x: Option<Vec<f64>>,
    /// Row duals in the max-sense convention, per model row; missing: start from 0.
    pub y: Option<Vec<f64>>,
    /// An earlier sifting run's final restricted basis (sifting only): its working set starts
    /// this run's, and its first restricted LP starts from the basis.
    pub basis: Option<crate::sifting::WarmBasis>,
}

/// A first-order run: the backend's answer plus what it cost.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Why the run ended.
    pub reason: TerminationReason,
    /// The answer, in the form every backend returns.
    pub result: BackendResult,
    /// The run's counters (after sifting, only its edges, pricing passes and seconds).
    pub stats: Stats,
    /// The certificate the answer passed (when `reason` is `Converged`).
    pub certificate: Option<Certificate>,
    /// The method that ran (`pdhg` or `sifting`).
    pub method: FirstOrderMethod,
    /// Sifting's counters, when it ran.
    pub sift: Option<SiftStats>,
    /// Sifting's final restricted basis, when it ended optimal on an LP (what starts a
    /// neighbouring day's run: [`WarmStart::basis`]).
    pub basis: Option<crate::sifting::WarmBasis>,
}

pub(crate) const NAME: &str = "first-order";

/// Solves `model` from `warm` (or from zero), returning the answer and the run's counters.
pub fn run<C: Columns + ?Sized>(model: &C, settings: &(impl ToValid + ?Sized), warm: Option<&WarmStart>) -> Result<Outcome, SolveError> {
    run_with(model, settings, warm, Certify::Here)
}

/// Who checks a sifting run's optimal answer against agora's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Certify {
    /// [`run`] does, and reports the residuals in the answer's detail.
    Here,
    /// The caller does ([`crate::Solution::from_backend`], at `check_tolerance`): a second pass
    /// over every column would only repeat it (a second a solve on a 10^7-edge day).
    ByCaller,
}

/// [`run`], a sifting answer certified where `certify` says.
pub(crate) fn run_with<C: Columns + ?Sized>(
    model: &C,
    settings: &(impl ToValid + ?Sized),
    warm: Option<&WarmStart>,
    certify: Certify,
) -> Result<Outcome, SolveError> {
    let settings = settings.to_valid()?;
    let settings = settings.as_ref();
    if model.n_cols() == 0 {
        let (method, sift) = (FirstOrderMethod::Pdhg, None);
        return Ok(Outcome {
            reason: TerminationReason::Converged,
            result: empty_result(&model.model()),
            stats: Stats::default(),
            certificate: None,
            method,
            sift,
            basis: None,
        });
    }
    if model.n_edges() == 0 {
        // Only soft rows' slacks: nothing to iterate on; HiGHS settles which floors are violated.
        let result = crate::backends::highs::Highs.solve(&model.model(), settings)?;
        let (method, sift) = (FirstOrderMethod::Pdhg, None);
        return Ok(Outcome { reason: TerminationReason::NoEdges, result, stats: Stats::default(), certificate: None, method, sift, basis: None });
    }
    let method = settings.first_order_method.resolve();
    if method == FirstOrderMethod::Sifting {
        return run_sifting(model, settings, warm, certify);
    }
    // The time limit counts from here: building the store is part of the solve.
    let start = std::time::Instant::now();
    let (warm_x, warm_y) = warm_parts(model, warm)?;
    let store = store::build(model, settings.threads)?;
    let warm_y = warm_y.map(|y| store.dual.iter().map(|d| y[d.row]).collect::<Vec<f64>>());
    let pool = thread_pool(settings.threads)?;
    let run = pool.install(|| {
        let mut st = crate::pdhg::state::State::new(&store, warm_x, warm_y.as_deref(), &crate::pdhg::Alone);
        crate::pdhg::run_alone(model, &store, &mut st, settings, start)
    });
    if run.reason == TerminationReason::Interrupted {
        return Err(SolveError::Interrupted);
    }
    Ok(Outcome { reason: run.reason, result: run.result, stats: run.stats, certificate: run.certificate, method, sift: None, basis: None })
}

/// Sifting from the warm start's duals and plan (or from zero duals): an exact answer, checked by
/// agora's certificate on the full model at `first_order_tolerance` like PDHG's.
fn run_sifting<C: Columns + ?Sized>(model: &C, settings: &ValidSettings, warm: Option<&WarmStart>, certify_at: Certify) -> Result<Outcome, SolveError> {
    let start = std::time::Instant::now();
    let (x0, y0) = warm_parts(model, warm)?;
    let zeros;
    let y0 = match y0 {
        Some(y) => y,
        None => {
            zeros = vec![0.0; model.n_rows()];
            &zeros
        }
    };
    let pool = thread_pool(settings.threads)?;
    let basis = warm.and_then(|w| w.basis.as_ref());
    let (mut result, sift, basis) = pool.install(|| crate::sifting::sift(model, settings, y0, x0, basis, start))?;
    let stats = Stats { n_edges: model.n_edges(), seconds: start.elapsed().as_secs_f64(), passes: sift.pricing_passes, ..Stats::default() };
    let mut certificate = None;
    let summary = format!("sifting: {}", sift.describe(model.n_edges(), model.is_qp()));
    let reason = match result.status {
        Status::Optimal if result.detail.is_some() => TerminationReason::Delegated,
        Status::Optimal if certify_at == Certify::ByCaller => {
            result.detail = Some(summary);
            TerminationReason::Converged
        }
        Status::Optimal => {
            let cert = certify(model, &result.x, &result.row_duals);
            if cert.passes(settings.first_order_tolerance) {
                result.detail = Some(format!(
                    "{summary}; relative primal residual {:.3e}, dual residual {:.3e}, gap {:.3e}",
                    cert.primal_residual, cert.dual_residual, cert.gap
                ));
                certificate = Some(cert);
                TerminationReason::Converged
            } else {
                result.status = Status::NumericalError;
                result.detail = Some(format!(
                    "sifting's answer failed agora's certificate: primal {:.3e} (worst row {}), dual {:.3e}, gap {:.3e} (tolerance {:e})",
                    cert.primal_residual,
                    cert.worst_row.as_deref().unwrap_or("-"),
                    cert.dual_residual,
                    cert.gap,
                    settings.first_order_tolerance
                ));
                TerminationReason::NumericalError
            }
        }
        Status::TimeLimit => TerminationReason::TimeLimit,
        Status::IterationLimit => TerminationReason::IterationLimit,
        _ => TerminationReason::Delegated,
    };
    let basis = basis.filter(|_| reason == TerminationReason::Converged);
    Ok(Outcome { reason, result, stats, certificate, method: FirstOrderMethod::Sifting, sift: Some(sift), basis })
}

/// The warm start's plan and row duals, each checked against the model's size.
#[allow(clippy::type_complexity)]
fn warm_parts<'a, C: Columns + ?Sized>(model: &C, warm: Option<&'a WarmStart>) -> Result<(Option<&'a [f64]>, Option<&'a [f64]>), SolveError> {
    let x = warm.and_then(|w| w.x.as_deref());
    let y = warm.and_then(|w| w.y.as_deref());
    if let Some(x) = x {
        if x.len() < model.n_edges() {
            return Err(SolveError::WarmStart { reason: format!("it has {} values, the model {} edges", x.len(), model.n_edges()) });
        }
    }
    if let Some(y) = y {
        if y.len() != model.n_rows() {
            return Err(SolveError::WarmStart { reason: format!("it has {} row duals, the model {} rows", y.len(), model.n_rows()) });
        }
    }
    Ok((x, y))
}

/// A pool of exactly `threads` threads: the parallelism is the settings', not the machine's.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, SolveError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SolveError::Backend { backend: NAME, reason: format!("cannot start {threads} threads: {e}") })
}

impl Backend for FirstOrder {
    fn name(&self) -> &'static str {
        NAME
    }

    fn solve(&self, model: &Model, settings: &ValidSettings) -> Result<BackendResult, SolveError> {
        Ok(run(model, settings, None)?.result)
    }
}
