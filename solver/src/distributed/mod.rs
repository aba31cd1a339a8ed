//! Sifting over a cluster: the day's edges sharded by segment over processes, the same exact
//! answer as one process (docs/distributed.md).
//!
//! # How
//!
//! Every process loads the small tables whole and the edges of its segments (dealt in runs of a
//! segment-sorted Parquet file or round-robin, rank 0 taking three quarters of a share:
//! `agora_instances::Deal`), and formulates the model of its shard. The root (rank
//! 0) assembles the day's rows from the shards' ([`rows`]) and runs sifting's rounds
//! ([`crate::sifting::sift_pool`]) with a [`Pricing`] that broadcasts the duals and gathers each
//! process's best columns: every process prices its own edges with the single-process code at the
//! day's duals, its columns renumbered into the day's rows and edges. The root merges them in the
//! day's column order, so each restricted LP is the one a single process would solve, column for
//! column, and HiGHS (hot-started as columns arrive) gives the same vertex: the same plan, duals
//! and objective as one process, for any number of processes.
//!
//! The answer is checked over every edge: the root broadcasts the plan's support and the duals,
//! every process sums its edges' part of the check and of the solution ([`PlanSums`]: row
//! activities and sizes, `da . x` for shadow prices, terms, campaign spend, the columns' dual
//! bound and residuals), the root adds the parts in rank order, adds the slack columns', and
//! assembles the solution with the single-process code ([`Solution::assemble`]).
//!
//! # Failure
//!
//! A process that fails sends its message in the next collective; every process then stops with
//! it ([`comm::agree`]). A process that dies ends the MPI job: `mpirun` kills the others and exits
//! non-zero, and the root, which writes the solution file last and atomically, has written
//! nothing.

pub mod comm;
mod hash;
#[cfg(feature = "mpi")]
pub mod mpi;
mod pdhg;
mod rows;

use std::time::Instant;

use agora_instances::{Instance, ShardEdges};

use crate::wire::{Reader, Writer};
use comm::Counted;
pub use comm::{agree, Comm, Solo};
pub use hash::day_hash;
use rows::{cluster, day_rows, DayRows};

use crate::certificate::clip_duals;
use crate::formulate::Formulation;
use crate::ir::{Columns, RowMeta};
use crate::settings::{ToValid, ValidSettings};
use crate::sifting::{sift_pool, End, ModelPricing, Pool, Pricing, SiftStats};
use crate::solution::{clean_plan, PlanEntry, PlanSums, Solution, Terms, SUMS_BLOCK};
use crate::status::{SolveError, Status};

/// What the root knows at the end of a distributed solve.
#[derive(Debug, Clone)]
pub struct Distributed {
    /// The solution; its `impressions` are empty (no process holds every edge): the plan is
    /// `plan`.
    pub solution: Solution,
    /// Every edge with positive impressions, in the day's edge order.
    pub plan: Vec<PlanEntry>,
    /// What the run cost.
    pub stats: ClusterStats,
}

/// Counters of a distributed solve, at the root.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterStats {
    /// The number of processes.
    pub processes: usize,
    /// The day's edges.
    pub day_edges: usize,
    /// The day's rows.
    pub day_rows: usize,
    /// Sifting's counters.
    pub sifting: SiftStats,
    /// Bytes the root sent and received in each pricing pass (the duals broadcast to every other
    /// process, the candidate columns gathered from them), in order.
    pub pricing_bytes: Vec<u64>,
    /// Bytes moved to assemble the day's rows.
    pub setup_bytes: u64,
    /// Bytes moved to check and assemble the answer.
    pub finish_bytes: u64,
}

/// What the root tells the other processes to do next (the first number of its broadcast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Price your edges at these duals and send your best columns.
    Price = 1,
    /// Send your largest edge cost.
    Cmax = 2,
    /// Here are the plan's support and the duals: send your part of the answer, then stop.
    Finish = 3,
    /// The root stopped without an answer: stop.
    Abort = 4,
    /// Sifting could not settle the day and `auto` falls back to PDHG: run it.
    Fallback = 5,
}

impl Command {
    fn of(code: u64) -> Option<Command> {
        [Command::Price, Command::Cmax, Command::Finish, Command::Abort, Command::Fallback].into_iter().find(|c| *c as u64 == code)
    }
}

/// Solves the day of which this process holds the shard `inst` (the small tables whole, its
/// segments' edges; `shard` numbers them in the day) by sifting over every process of `comm`:
/// `Some` at the root, `None` elsewhere. Every process must call it. The first-order backend
/// is distributed, sifting (the default) or PDHG (`first_order_method: pdhg`, [`pdhg`]); settings
/// that name another backend are refused.
pub fn solve_sharded(inst: &Instance, shard: &ShardEdges, comm: &dyn Comm, settings: &(impl ToValid + ?Sized)) -> Result<Option<Distributed>, SolveError> {
    let settings = settings.to_valid();
    let settings = agree(comm, settings.map_err(|e| e.to_string())).map_err(cluster)?;
    let settings = settings.as_ref();
    if let Some(why) = unsupported(settings) {
        return Err(SolveError::Settings { field: "backend".into(), reason: why });
    }
    let start = Instant::now();
    // The shard's columns are generated when priced or stored into PDHG's store, as on one
    // machine (crate::Formulation): no process holds its shard's matrix.
    let model = Formulation::new(inst);
    let owns = |s: usize| shard.rank_of(s, comm.size()) == comm.rank();
    let counted = Counted::new(comm);
    let rows = day_rows(&counted, model.rows(), owns, shard.day_edges)?;
    let base =
        ClusterStats { processes: comm.size(), day_edges: shard.day_edges, day_rows: rows.n_rows, setup_bytes: counted.bytes.get(), ..Default::default() };
    if settings.first_order_method == crate::settings::FirstOrderMethod::Pdhg {
        return pdhg::solve(&counted, inst, &model, shard, &rows, settings, start, base);
    }
    if comm.rank() != 0 {
        if serve(comm, inst, &model, shard, &rows)? == Served::Fallback {
            pdhg::solve(comm, inst, &model, shard, &rows, &crate::pdhg_fallback(settings)?, start, base)?;
        }
        return Ok(None);
    }
    let mut pricing = ClusterPricing {
        comm: &counted,
        local: ModelPricing::new(&model, Some(&rows.row_of), Some(&shard.ids)),
        rows: &rows.rows,
        qp: inst.objective.regularization > 0.0,
        bytes: Vec::new(),
    };
    let mut pool = Pool::new();
    pool.push_slacks(&rows.rows);
    let mut stats = SiftStats::default();
    let y0 = vec![0.0; rows.n_rows];
    let end = sift_pool(&mut pricing, &mut pool, settings, &y0, None, start, &mut stats);
    let pricing_bytes = std::mem::take(&mut pricing.bytes);
    let (cols, y) = match end {
        Ok(End::Optimal { cols, y, .. }) => (cols, y),
        Ok(End::Delegate(why)) if settings.backend == crate::settings::BackendChoice::Auto => {
            // `auto` is robust by construction: its last resort, PDHG certified at 1e-6, runs
            // over the same processes (one process would first try the whole model).
            let mut w = Writer::default();
            w.u64(Command::Fallback as u64);
            counted.broadcast(&mut w.0);
            let d = pdhg::solve(&counted, inst, &model, shard, &rows, &crate::pdhg_fallback(settings)?, start, base)?;
            return Ok(d.map(|mut d| {
                let said = d.solution.message.take().unwrap_or_default();
                d.solution.message = Some(match d.solution.status {
                    Status::Optimal => format!("auto: distributed sifting: {why}; answered by PDHG certified at 1e-6: {said}"),
                    other => format!("auto: distributed sifting: {why}; PDHG certified at 1e-6 ended {other}: {said}"),
                });
                d
            }));
        }
        other => {
            let mut abort = Writer::default();
            abort.u64(Command::Abort as u64);
            counted.broadcast(&mut abort.0);
            let (status, detail) = match other {
                Err(e) => return Err(e),
                Ok(End::Stopped(status, detail)) => (status, detail),
                Ok(End::Delegate(why)) => (
                    Status::NumericalError,
                    format!("{why}; a distributed solve has no whole-model fallback (backend auto falls back to PDHG; is the day feasible? `agora diagnose` on one machine says)"),
                ),
                Ok(End::Optimal { .. }) => unreachable!("matched above"),
            };
            let solution = unsolved(inst, status, detail, stats.restricted_iterations, start);
            let stats = ClusterStats { sifting: stats, pricing_bytes, ..base };
            return Ok(Some(Distributed { solution, plan: Vec::new(), stats }));
        }
    };
    let before = counted.bytes.get();
    let (solution, plan) = finish(&counted, inst, &model, shard, &rows, &pool, &cols, &y, settings, &stats, start)?;
    let finish_bytes = counted.bytes.get() - before;
    let stats = ClusterStats { sifting: stats, pricing_bytes, finish_bytes, ..base };
    Ok(Some(Distributed { solution, plan, stats }))
}

/// Why `settings` cannot be solved distributed, if they cannot.
fn unsupported(settings: &ValidSettings) -> Option<String> {
    use crate::settings::BackendChoice;
    match settings.backend {
        BackendChoice::Auto | BackendChoice::FirstOrder => None,
        b => Some(format!(
            "a distributed solve runs the first-order backend (backend auto or first-order, method sifting or pdhg); backend {} is not distributed",
            format!("{b:?}").to_lowercase()
        )),
    }
}

/// A solution with no plan, for a status other than optimal.
fn unsolved(inst: &Instance, status: Status, detail: String, iterations: u64, start: Instant) -> Solution {
    Solution {
        instance: inst.name.clone(),
        status,
        backend: crate::first_order::NAME,
        objective: 0.0,
        terms: Terms::default(),
        impressions: Vec::new(),
        rows: Vec::new(),
        certificate: None,
        iterations,
        solve_seconds: start.elapsed().as_secs_f64(),
        message: Some(detail),
        pacing: Vec::new(),
    }
}

/// The root's pricing: its own shard's, and every other process's through `comm`.
struct ClusterPricing<'a> {
    comm: &'a Counted<'a>,
    local: ModelPricing<'a, Formulation<'a>>,
    rows: &'a [RowMeta],
    /// A ridge is on every edge or none (`rho / supply`): the objective says which, even to a
    /// process without edges.
    qp: bool,
    bytes: Vec<u64>,
}

impl ClusterPricing<'_> {
    /// Sends `command`, takes the root's own reply, gathers everyone's.
    fn ask(&self, command: Writer, own: Vec<u8>) -> Vec<Vec<u8>> {
        let mut command = command.0;
        self.comm.broadcast(&mut command);
        self.comm.gather(&own)
    }
}

impl Pricing for ClusterPricing<'_> {
    fn rows(&self) -> &[RowMeta] {
        self.rows
    }
    fn is_qp(&self) -> bool {
        self.qp
    }
    fn cmax(&mut self) -> Result<f64, SolveError> {
        let mut w = Writer::default();
        w.u64(Command::Cmax as u64);
        let own = self.local.cmax()?.to_le_bytes().to_vec();
        let all = self.ask(w, own);
        all.iter()
            .enumerate()
            .try_fold(1e-12f64, |m, (rank, b)| Reader::new(b).f64().map(|c| m.max(c)).ok_or_else(|| cluster(format!("process {rank} sent no largest cost"))))
    }
    fn price(&mut self, y: &[f64], tolerance: Option<f64>, grow: bool, pool: &mut Pool) -> Result<usize, SolveError> {
        let before = self.comm.bytes.get();
        let mut w = Writer::default();
        w.u64(Command::Price as u64).f64(tolerance.unwrap_or(f64::NAN)).u64(u64::from(grow)).f64s(y);
        let mut own = Pool::new();
        self.local.price(y, tolerance, grow, &mut own)?;
        let all = self.ask(w, own.to_bytes());
        let mut parts = Vec::with_capacity(all.len());
        for (rank, b) in all.iter().enumerate() {
            parts.push(Pool::from_bytes(b).ok_or_else(|| cluster(format!("process {rank} sent columns that do not decode")))?);
        }
        // The day's column order, as one process would add them: each part is in it already.
        let mut order: Vec<(usize, usize, usize)> =
            parts.iter().enumerate().flat_map(|(p, part)| part.ids.iter().enumerate().map(move |(k, &id)| (id, p, k))).collect();
        order.sort_unstable();
        for &(_, p, k) in &order {
            let (ix, vals) = parts[p].entries(k);
            pool.push(parts[p].ids[k], parts[p].cost[k], parts[p].quad[k], parts[p].lower[k], parts[p].upper[k], ix.iter().copied().zip(vals.iter().copied()));
        }
        self.bytes.push(self.comm.bytes.get() - before);
        Ok(order.len())
    }
}

/// How the other processes' side ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    /// Done: the root has the answer, or has none.
    Done,
    /// The root falls back to PDHG: run it.
    Fallback,
}

/// The other processes' side: answers the root's commands until it finishes, aborts or falls
/// back.
fn serve<C: Columns + ?Sized>(comm: &dyn Comm, inst: &Instance, model: &C, shard: &ShardEdges, rows: &DayRows) -> Result<Served, SolveError> {
    let mut pricing = ModelPricing::new(model, Some(&rows.row_of), Some(&shard.ids));
    let bad = || cluster("the root sent a command that does not decode".into());
    loop {
        let mut command = Vec::new();
        comm.broadcast(&mut command);
        let mut rd = Reader::new(&command);
        let code = rd.u64().ok_or_else(bad)?;
        match Command::of(code).ok_or_else(|| cluster(format!("the root sent an unknown command {code}")))? {
            Command::Price => {
                let tolerance = Some(rd.f64().ok_or_else(bad)?).filter(|t| !t.is_nan());
                let grow = rd.u64().ok_or_else(bad)? == 1;
                let y = rd.f64s().ok_or_else(bad)?;
                let mut pool = Pool::new();
                pricing.price(&y, tolerance, grow, &mut pool)?;
                comm.gather(&pool.to_bytes());
            }
            Command::Cmax => {
                comm.gather(&pricing.cmax()?.to_le_bytes());
            }
            Command::Finish => {
                let support = read_support(&mut rd).ok_or_else(bad)?;
                let y = rd.f64s().ok_or_else(bad)?;
                comm.gather(&local_sums(inst, model, shard, rows, plan_at(model, shard, &support), &y).0);
                return Ok(Served::Done);
            }
            Command::Abort => return Ok(Served::Done),
            Command::Fallback => return Ok(Served::Fallback),
        }
    }
}

/// The plan's support: `(edge id, impressions)` for every working edge.
fn read_support(rd: &mut Reader<'_>) -> Option<Vec<(usize, f64)>> {
    let n = rd.usize()?;
    (0..n).map(|_| Some((rd.usize()?, rd.f64()?))).collect()
}

/// This process's part of the answer at its plan `x` (its model's columns; cleaned here, as
/// every solution's plan is): the plan's sums over its edges, and its edges' plan entries
/// `(edge id, segment, item, impressions)`, as bytes.
fn local_sums<C: Columns + ?Sized>(inst: &Instance, model: &C, shard: &ShardEdges, rows: &DayRows, mut x: Vec<f64>, y_clipped: &[f64]) -> Writer {
    clean_plan(inst, model, &mut x, |j| j);
    let sums = PlanSums::of_model(inst, model, &x, y_clipped, Some(&rows.row_of), |j| shard.ids[j], model.n_edges(), SUMS_BLOCK);
    let mut w = Writer::default();
    write_sums(&mut w, &sums);
    let plan: Vec<usize> = (0..model.n_edges()).filter(|&j| x[j] > 0.0).collect();
    w.u64(plan.len() as u64);
    for j in plan {
        let e = &inst.edges[j];
        w.u64(shard.ids[j] as u64).u64(e.segment as u64).u64(e.item as u64).f64(x[j]);
    }
    w
}

/// This process's model columns at the plan's `support` (`(edge id, impressions)`, in the day).
fn plan_at<C: Columns + ?Sized>(model: &C, shard: &ShardEdges, support: &[(usize, f64)]) -> Vec<f64> {
    let mut x = vec![0.0; model.n_cols()];
    for &(id, v) in support {
        if let Ok(j) = shard.ids.binary_search(&id) {
            x[j] = v;
        }
    }
    x
}

/// The slack columns' part of the sums (every process knows the day's rows and the slacks'
/// values, which are their rows' violations).
fn slack_sums(inst: &Instance, rows: &[RowMeta], x_slack: &[f64], y_clipped: &[f64]) -> PlanSums {
    let mut slacks = Pool::new();
    slacks.push_slacks(rows);
    let mut model = slacks.to_model(rows.to_vec(), &[], 0..slacks.len());
    model.n_edges = 0;
    PlanSums::of_model(inst, &model, x_slack, y_clipped, None, |k| slacks.ids[k], slacks.len(), SUMS_BLOCK)
}

/// A process's sums on the wire: [`PlanSums::to_flat`] and the worst bound's column.
fn write_sums(w: &mut Writer, s: &PlanSums) {
    let (sums, maxima) = s.to_flat();
    w.f64s(&sums).f64(maxima[0]).f64(maxima[1]).u64(s.check.worst_column.map_or(u64::MAX, |j| j as u64));
}

/// The sums [`write_sums`] wrote, for `n_rows` rows and `n_campaigns` campaigns.
fn read_sums(rd: &mut Reader<'_>, n_rows: usize, n_campaigns: usize) -> Option<PlanSums> {
    let sums = rd.f64s().filter(|v| v.len() == PlanSums::flat_len(n_rows, n_campaigns))?;
    let maxima = [rd.f64()?, rd.f64()?];
    let worst_column = Some(rd.u64()?).filter(|&j| j != u64::MAX).map(|j| j as usize);
    Some(PlanSums::from_flat(n_rows, n_campaigns, &sums, maxima, worst_column))
}

/// The root's end of sifting: the support and duals to everyone, everyone's sums back, the
/// solution.
#[allow(clippy::too_many_arguments)]
fn finish<C: Columns + ?Sized>(
    comm: &Counted<'_>,
    inst: &Instance,
    model: &C,
    shard: &ShardEdges,
    rows: &DayRows,
    pool: &Pool,
    cols: &[f64],
    y: &[f64],
    settings: &ValidSettings,
    stats: &SiftStats,
    start: Instant,
) -> Result<(Solution, Vec<PlanEntry>), SolveError> {
    let n_slacks = rows.rows.iter().filter(|r| r.slack.is_some()).count();
    let qp = inst.objective.regularization > 0.0;
    let support: Vec<(usize, f64)> = pool.ids[n_slacks..].iter().copied().zip(cols[n_slacks..].iter().copied()).filter(|&(_, v)| v != 0.0).collect();
    let (y_clipped, _) = clip_duals(&rows.rows, y);
    let mut w = Writer::default();
    w.u64(Command::Finish as u64).u64(support.len() as u64);
    for &(id, v) in &support {
        w.u64(id as u64).f64(v);
    }
    w.f64s(&y_clipped);
    comm.broadcast(&mut w.0);
    let own = local_sums(inst, model, shard, rows, plan_at(model, shard, &support), &y_clipped);
    let parts = comm.gather(&own.0);
    // The pool's first columns are the slacks, in the day's order (`Pool::push_slacks`).
    let x_slack: Vec<f64> = cols[..n_slacks].iter().map(|v| v.max(0.0)).collect();
    let base = unsolved(inst, Status::Optimal, String::new(), stats.restricted_iterations, start);
    let (mut sol, plan) = root_solution(inst, shard, rows, &parts, &x_slack, y, settings.check_tolerance, base)?;
    if let (Status::Optimal, Some(cert)) = (sol.status, &sol.certificate) {
        sol.message = Some(format!(
            "sifting over {} process{}: {}; relative primal residual {:.3e}, dual residual {:.3e}, gap {:.3e}",
            comm.comm.size(),
            if comm.comm.size() == 1 { "" } else { "es" },
            stats.describe(shard.day_edges, qp),
            cert.primal_residual,
            cert.dual_residual,
            cert.gap
        ));
    }
    Ok((sol, plan))
}

/// The solution from every process's [`local_sums`] (in rank order), the slacks' values and the
/// duals: the sums added in rank order, the slacks' part added, the single-process assembly.
#[allow(clippy::too_many_arguments)]
fn root_solution(
    inst: &Instance,
    shard: &ShardEdges,
    rows: &DayRows,
    parts: &[Vec<u8>],
    x_slack: &[f64],
    y: &[f64],
    check_tolerance: f64,
    base: Solution,
) -> Result<(Solution, Vec<PlanEntry>), SolveError> {
    let (y_clipped, _) = clip_duals(&rows.rows, y);
    let mut sums = slack_sums(inst, &rows.rows, x_slack, &y_clipped);
    let mut plan = Vec::new();
    for (rank, part) in parts.iter().enumerate() {
        let mut rd = Reader::new(part);
        let bad = || cluster(format!("process {rank} sent sums that do not decode"));
        sums.add(&read_sums(&mut rd, rows.n_rows, inst.campaigns.len()).ok_or_else(bad)?);
        let n = rd.usize().ok_or_else(bad)?;
        for _ in 0..n {
            let (id, s, i, v) = (rd.usize().ok_or_else(bad)?, rd.usize().ok_or_else(bad)?, rd.usize().ok_or_else(bad)?, rd.f64().ok_or_else(bad)?);
            let (segment, item) = (inst.segments.get(s).ok_or_else(bad)?, inst.items.get(i).ok_or_else(bad)?);
            plan.push((id, PlanEntry { segment: segment.id.clone(), item: item.id.clone(), impressions: v }));
        }
    }
    plan.sort_by_key(|(id, _)| *id);
    // Slack ids follow the day's edges, in order.
    let slack_of = |c: usize| x_slack[c - shard.day_edges];
    let sol = base.assemble(inst, &rows.rows, slack_of, y, &sums, check_tolerance);
    Ok((sol, plan.into_iter().map(|(_, p)| p).collect()))
}
