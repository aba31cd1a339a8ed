//! PDHG over a cluster: every process iterates on its own segments' edges, and the day's row
//! activities `A x` are summed over processes once per step (docs/distributed.md).
//!
//! Each process builds the first-order store of its shard, renumbered into the day's dualised
//! rows (`Store::globalise`), so that duals, activities and step weights mean the same on every
//! process; the step weights' row norms are reduced over every process's columns. The iteration
//! is the single-process one ([`crate::pdhg::execute`]) with a [`Reduce`] that sums through
//! the root in rank order: every process receives the same sums, so every process takes the same
//! steps, restarts and decisions, and the iterates are those of one process up to the order of
//! floating-point summation (the same for a fixed number of processes: reproducible).
//! Candidates are checked on the day, each process summing its edges' part of the certificate.

use std::cell::RefCell;
use std::time::Instant;

use agora_instances::{Instance, ShardEdges};

use super::comm::{agree, Comm};
use super::rows::{cluster, DayRows};
use super::{local_sums, root_solution, slack_sums, unsolved, ClusterStats, Distributed};
use crate::certificate::{certify_parts, clip_duals};
use crate::first_order::store::{build_unconditioned, precondition, Store};
use crate::ir::Columns;
use crate::pdhg::state::State;
use crate::pdhg::termination::TerminationReason;
use crate::pdhg::{dual_rows, execute, plan_of, slacks_of, supply_duals, Checked, Reduce, Side};
use crate::settings::ValidSettings;
use crate::solution::{PlanSums, SUMS_BLOCK};
use crate::status::{SolveError, Status};
use crate::wire::{Reader, Writer};

/// Sums and maxima through the root: gathered, combined in rank order, broadcast.
pub(crate) struct ThroughRoot<'a>(pub &'a dyn Comm);

impl ThroughRoot<'_> {
    fn combine(&self, v: &mut [f64], op: fn(f64, f64) -> f64) {
        if self.0.size() == 1 {
            return;
        }
        let mut w = Writer::default();
        w.f64s(v);
        let parts = self.0.gather(&w.0);
        let mut out = Writer::default();
        if self.0.rank() == 0 {
            let mut acc: Option<Vec<f64>> = None;
            for part in &parts {
                // A part that does not decode leaves the sum as it is; the length check below
                // fails every process instead of hanging one.
                let Some(p) = Reader::new(part).f64s().filter(|p| p.len() == v.len()) else { continue };
                acc = Some(match acc {
                    None => p,
                    Some(a) => a.iter().zip(&p).map(|(&x, &y)| op(x, y)).collect(),
                });
            }
            out.f64s(&acc.unwrap_or_default());
        }
        self.0.broadcast(&mut out.0);
        match Reader::new(&out.0).f64s().filter(|r| r.len() == v.len()) {
            Some(r) => v.copy_from_slice(&r),
            // A sum without every part is no sum: make every iterate non-finite, which ends the
            // run `numerical_error` on every process alike.
            None => v.iter_mut().for_each(|x| *x = f64::NAN),
        }
    }
}

impl Reduce for ThroughRoot<'_> {
    fn sum(&self, v: &mut [f64]) {
        self.combine(v, |a, b| a + b);
    }
    fn max(&self, v: &mut [f64]) {
        self.combine(v, f64::max);
    }
    fn alone(&self) -> bool {
        self.0.size() == 1
    }
}

/// Runs PDHG on this process's shard with every other process; `Some` at the root, with
/// `stats` (the setup's counters).
pub(crate) fn solve<C: Columns + ?Sized>(
    comm: &dyn Comm,
    inst: &Instance,
    model: &C,
    shard: &ShardEdges,
    rows: &DayRows,
    settings: &ValidSettings,
    start: Instant,
    stats: ClusterStats,
) -> Result<Option<Distributed>, SolveError> {
    let red = ThroughRoot(comm);
    let store = build_unconditioned(model, settings.threads.max(1)).map_err(|e| e.to_string());
    let mut store = agree(comm, store).map_err(cluster)?;
    store.globalise(&rows.row_of, &rows.rows);
    precondition(&mut store, &red);
    let n_slacks = rows.rows.iter().filter(|r| r.slack.is_some()).count();
    let last_slacks = RefCell::new(vec![0.0; n_slacks]);
    let check = |store: &Store, st: &State| -> Checked {
        let (x, y, x_slack) = candidate(model, store, st, rows, shard.day_edges, n_slacks, &red);
        let (y_clipped, _) = clip_duals(&rows.rows, &y);
        let mut sums = PlanSums::of_model(inst, model, &x, &y_clipped, Some(&rows.row_of), |j| shard.ids[j], model.n_edges(), SUMS_BLOCK);
        reduce_sums(&mut sums, &red);
        sums.add(&slack_sums(inst, &rows.rows, &x_slack, &y_clipped));
        let certificate = certify_parts(&rows.rows, &y, &sums.act, &sums.size, &sums.check);
        *last_slacks.borrow_mut() = x_slack;
        Checked { objective: sums.check.objective, x, y, certificate }
    };
    let row_name = |r: usize| rows.rows[r].name.clone();
    // On this thread, not a pool's: MPI is called from the thread that started it.
    let mut st = State::new(&store, None, None, &red);
    let run = execute(&store, &mut st, settings, start, &Side { red: &red, check: &check, row_name: &row_name });
    if run.reason == TerminationReason::Interrupted {
        return Err(SolveError::Interrupted);
    }
    let tol = settings.first_order_tolerance.max(settings.check_tolerance);
    let y = run.result.row_duals;
    let (y_clipped, _) = clip_duals(&rows.rows, &y);
    let optimal = run.result.status == Status::Optimal;
    let own = if optimal { local_sums(inst, model, shard, rows, run.result.x, &y_clipped).0 } else { Vec::new() };
    let parts = comm.gather(&own);
    if comm.rank() != 0 {
        return Ok(None);
    }
    let detail = run.result.detail.unwrap_or_default();
    if !optimal {
        let solution = unsolved(inst, run.result.status, format!("PDHG over {} processes: {detail}", comm.size()), run.stats.iterations, start);
        return Ok(Some(Distributed { solution, plan: Vec::new(), stats }));
    }
    let base = unsolved(inst, Status::Optimal, String::new(), run.stats.iterations, start);
    let x_slack = last_slacks.into_inner();
    let (mut solution, plan) = root_solution(inst, shard, rows, &parts, &x_slack, &y, tol, base)?;
    if solution.status == Status::Optimal {
        solution.message = Some(format!("PDHG over {} process{}: {detail}", comm.size(), if comm.size() == 1 { "" } else { "es" }));
    }
    Ok(Some(Distributed { solution, plan, stats }))
}

/// The evaluated candidate: this process's model columns, the day's duals (each segment's
/// supply dual from the process that holds it), and the slacks' values (the soft rows'
/// violations, the same on every process).
fn candidate<C: Columns + ?Sized>(
    model: &C,
    store: &Store,
    st: &State,
    rows: &DayRows,
    day_edges: usize,
    n_slacks: usize,
    red: &dyn Reduce,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; model.n_cols()];
    plan_of(store, st, &mut x);
    let mut y = vec![0.0; rows.n_rows];
    supply_duals(store, st, &mut y);
    red.sum(&mut y);
    dual_rows(store, st, &mut y);
    let mut x_slack = vec![0.0; n_slacks];
    for (c, v) in slacks_of(store, st) {
        x_slack[c - day_edges] = v;
    }
    (x, y, x_slack)
}

/// Every process's sums, summed (and the check's maxima), the same on every process.
fn reduce_sums(s: &mut PlanSums, red: &dyn Reduce) {
    let (mut sums, mut maxima) = s.to_flat();
    red.sum(&mut sums);
    red.max(&mut maxima);
    // The worst bound's column is known only where it is; elsewhere the check names no column.
    let worst_column = s.check.worst_column.filter(|_| s.check.bound_violation == maxima[0]);
    *s = PlanSums::from_flat(s.act.len(), s.spend.len(), &sums, maxima, worst_column);
}
