//! Sifting: the first-order backend's default method (column generation over the edges).
//!
//! # Why
//!
//! A day's LP has far more edges than rows: the 10^7-edge generated day has 9.9 million edge
//! columns and 29 thousand rows, and an optimal vertex has at most as many edges strictly
//! between their bounds as there are rows. PDHG's iteration counts grow with the day
//! (docs/backends.md); which edges can matter is told by reduced costs at the current duals.
//! Sifting keeps a *working set* of edges, solves the LP restricted to it exactly (HiGHS'
//! simplex, hot-started as the set grows), prices every other edge at the restricted duals with
//! one pass over the edges, and adds each segment's best edges whose reduced cost is positive.
//! When none is, the restricted optimum is optimal for the whole day: its plan is feasible (the
//! other edges are 0) and its duals are feasible for every column, which is exactly what
//! agora's certificate then checks on the full model.
//!
//! The first working set is each segment's best edges at the starting duals (zero, or a warm
//! start's) plus every edge a warm start's plan uses. Per round a segment adds at most
//! `SEED_PER_SEGMENT` plus two per row scoped to it, so no segment floods the restricted LP; in
//! QP rounds a segment that prices in more than that gets twice as many next round, so a large
//! ridge, whose optimum uses most edges, costs a few rounds, not dozens.
//!
//! # QPs
//!
//! With a ridge, an edge left out is optimal at 0 under the same test (its reduced cost is not
//! positive), so sifting applies unchanged; only the restricted solver differs. A QP is sifted
//! twice: its linear part first (HiGHS, big-M artificials), whose final working set serves every
//! row, then the QP itself from that set with Clarabel and no artificials (an interior point
//! copes badly with big-M costs). If the linear part cannot be served, HiGHS on the whole linear
//! part proves infeasibility, since the rows are the same.
//!
//! Memory: a `u32` per edge (the edges grouped by segment) and a `bool` per edge (in the set or
//! not); reduced costs are computed segment by segment and never stored for the whole day. The
//! restricted problems read their columns from a [`Pool`], a copy of the working set's.
//!
//! # Where the edges live
//!
//! The rounds see the edges only through [`Pricing`]: price at these duals, hand over the best.
//! One process prices its whole model ([`ModelPricing`]); a cluster prices each process's shard
//! of it and gathers the best at the root (`crate::distributed`, docs/distributed.md), with the
//! same rounds, the same restricted problems and so the same answer.
//!
//! # Feasibility of a restricted LP
//!
//! A floor (`>=` row with a positive right-hand side) may have no edge in the working set yet.
//! Every such hard row gets an *artificial* column, the row's slack at a cost `M` per unit (a
//! big-M phase one), so a restricted LP always has a plan and duals; pricing at those duals
//! pulls in the edges that serve the floor. An answer with an artificial still positive once
//! pricing finds nothing is not an answer: `M` grows and the loop goes on. Past its last value a
//! day's phase one, sifted over the same columns (`crate::diagnose::sifted`), proves the day
//! infeasible without its matrix; only if it finds a plan does the full model go to HiGHS, to
//! settle what sifting missed.

// Pricing and the working set index several parallel arrays (plan, costs, flags) by column.
#![allow(clippy::needless_range_loop)]

mod handoff;
mod pool;
mod restricted;

use std::time::Instant;

use rayon::prelude::*;

use crate::backends::BackendResult;
use crate::ir::{Columns, Duals, RowMeta, Sense};
use crate::settings::ValidSettings;
use crate::status::{SolveError, Status};
pub(crate) use handoff::Delegated;
use handoff::{full_model, infeasible_rows, no_plan};
pub(crate) use pool::Pool;
use restricted::{Artificial, Restricted};

/// Counters of a sifting run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiftStats {
    /// Restricted problems solved.
    pub rounds: u32,
    /// Edges in the working set at the end.
    pub working_set: usize,
    /// Passes over all edges pricing them.
    pub pricing_passes: u64,
    /// Iterations of the restricted solver over all rounds (HiGHS' simplex for LPs, Clarabel's
    /// interior point for QPs).
    pub restricted_iterations: u64,
    /// Seconds in the restricted solver.
    pub restricted_seconds: f64,
    /// Seconds pricing.
    pub pricing_seconds: f64,
    /// Columns found resting on the box their supply row implies, and given their own bound
    /// back (`Restricted::lift_boxes`).
    pub boxes_lifted: u64,
}

impl SiftStats {
    /// What the run did, for a solution's message: rounds, working set of `n_edges`,
    /// iterations, pricing passes, and any boxes lifted.
    pub fn describe(&self, n_edges: usize, qp: bool) -> String {
        let mut s = format!(
            "{} restricted {} over {} of {} edges ({} {} iterations), {} pricing passes",
            self.rounds,
            if qp { "LPs, then QPs," } else { "LPs" },
            self.working_set,
            n_edges,
            self.restricted_iterations,
            if qp { "simplex and interior-point" } else { "simplex" },
            self.pricing_passes,
        );
        if self.boxes_lifted > 0 {
            s += &format!(", {} columns lifted off their supply box", self.boxes_lifted);
        }
        s
    }
}

/// A restricted LP's final basis, by what each of its columns and rows is in the day's model:
/// a later run whose working set starts from these columns starts its first restricted LP from
/// this basis (a frontier's next point: a few pivots from its neighbour's optimum, not a
/// simplex from the slack basis). Made by a sifting run ([`crate::solve_model_warm_kept`]),
/// used through [`crate::WarmStart::basis`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarmBasis {
    /// Each working-set column's model column and HiGHS status.
    pub(crate) cols: Vec<(usize, highs_sys::HighsInt)>,
    /// Each artificial column's row and status.
    pub(crate) artificials: Vec<(usize, highs_sys::HighsInt)>,
    /// Each row's status.
    pub(crate) rows: Vec<highs_sys::HighsInt>,
}

impl WarmBasis {
    /// The model columns the basis names (the working set it ended with).
    pub(crate) fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.cols.iter().map(|c| c.0)
    }
}

/// The artificial cost `M` starts at this multiple of the largest edge cost ...
const BIG_M_START: f64 = 1e4;
/// ... grows by this factor while an artificial stays positive ...
const BIG_M_GROWTH: f64 = 1e3;
/// ... up to this multiple, after which the full model goes to HiGHS.
const BIG_M_LAST: f64 = 1e10;

/// Edges each segment contributes to the first working set, beyond those the warm plan uses:
/// this many plus two per row scoped to the segment (a vertex needs at most one per row); the
/// same per round, doubled for a segment each time it prices in more than that.
const SEED_PER_SEGMENT: usize = 8;

/// The edges as sifting sees them: rows, and pricing at given duals.
pub(crate) trait Pricing {
    /// The day's rows, in model order (the duals are indexed by them).
    fn rows(&self) -> &[RowMeta];
    /// True when the objective has a quadratic term.
    fn is_qp(&self) -> bool;
    /// The largest `|cost|` of an edge (at least 1e-12).
    fn cmax(&mut self) -> Result<f64, SolveError>;
    /// Prices every edge not yet taken at row duals `y` and appends to `pool`, per segment, up to
    /// its quota of those with the largest reduced costs (with a `tolerance`, only those whose
    /// reduced cost exceeds it relative to their terms' size), in the order of their column
    /// numbers; they count as taken from then on. With `grow`, a segment that had more candidates
    /// than its quota gets twice the quota next time ([`Groups::best`]). Returns how many.
    fn price(&mut self, y: &[f64], tolerance: Option<f64>, grow: bool, pool: &mut Pool) -> Result<usize, SolveError>;
    /// [`Columns::objective_bound`] of the model priced.
    fn objective_bound(&self) -> Option<f64> {
        None
    }
    /// Whether the edges carry the objective: boxes help the restricted LPs only then
    /// (`Restricted::highs`); a diagnosis' phase one, whose edges cost nothing, ran slower with
    /// them (10^7-edge day: 79 s against 95 s).
    fn boxes_pay(&self) -> bool {
        true
    }
}

/// Solves `model` by sifting from row duals `y0` (max-sense, per model row) and, optionally, a
/// plan `x0` whose positive edges start in the working set.
///
/// An LP is sifted with HiGHS. A QP is sifted twice: first its linear part (the LP with the
/// ridge dropped) with HiGHS, whose optimal working set serves every row, then the QP itself
/// with Clarabel from that set, with no artificial columns: an interior point copes badly with
/// big-M costs (on the medium QP day the first restricted QP with them stopped "insufficient
/// progress"), and a working set that already serves every row needs none.
pub(crate) fn sift<C: Columns + ?Sized>(
    model: &C,
    settings: &ValidSettings,
    y0: &[f64],
    x0: Option<&[f64]>,
    basis: Option<&WarmBasis>,
    start: Instant,
) -> Result<(BackendResult, SiftStats, Option<WarmBasis>), SolveError> {
    let mut pricing = ModelPricing::new(model, None, None);
    let mut pool = Pool::new();
    // The columns past the edges (soft rows' slacks; a diagnosis' elastic columns) are always in.
    for j in model.n_edges()..model.n_cols() {
        pool.push_model_column(model, j, j, None);
    }
    if let Some(x0) = x0 {
        for j in 0..model.n_edges() {
            if x0[j] > 0.0 {
                pricing.take(j, &mut pool);
            }
        }
    }
    // A warm basis brings its whole working set (those of its edges the plan left at 0 too).
    for j in basis.iter().flat_map(|b| b.columns()).filter(|&j| j < model.n_edges()) {
        if !pricing.in_set[j] {
            pricing.take(j, &mut pool);
        }
    }
    let mut stats = SiftStats::default();
    let end = sift_pool(&mut pricing, &mut pool, settings, y0, basis, start, &mut stats)?;
    stats.working_set = pool.len() - (model.n_cols() - model.n_edges());
    match end {
        End::Optimal { cols, y, basis } => {
            let mut x = vec![0.0; model.n_cols()];
            for (&j, &v) in pool.ids.iter().zip(&cols) {
                x[j] = v;
            }
            let objective = model.objective(&x);
            let result = BackendResult { status: Status::Optimal, x, row_duals: y, objective, iterations: stats.restricted_iterations, detail: None };
            Ok((result, stats, basis))
        }
        End::Stopped(status, detail) => Ok((no_plan(model, status, detail, &stats), stats, None)),
        End::Delegate(why) => {
            // A floor no working set served: a phase one sifted over the same columns proves
            // the day infeasible without its matrix (a 10^5-edge day with a floor beyond reach
            // took 31 s through HiGHS on the whole model, and a 10^6-edge one over 10 minutes).
            if matches!(why, Delegated::Unserved) && model.admits_plan(settings)? == Some(false) {
                let detail = format!("{why}; a phase one sifted over the columns proved that no plan satisfies the rows");
                return Ok((no_plan(model, Status::Infeasible, detail, &stats), stats, None));
            }
            let why = why.to_string();
            // The whole model, written once for both uses (a day's generated columns).
            let whole = model.model();
            // A QP's rows are its linear part's: HiGHS settles whether any plan exists (Clarabel
            // is weak at proving infeasibility; on a hand-made infeasible day it stopped with a
            // numerical error).
            if model.is_qp() {
                if let Some(result) = infeasible_rows(&whole, settings, &why)? {
                    return Ok((result, stats, None));
                }
            }
            full_model(&whole, settings, stats, &why).map(|(r, s)| (r, s, None))
        }
    }
}

/// How sifting ended.
pub(crate) enum End {
    /// The restricted optimum priced out: the values of the pool's columns, row duals, and
    /// the restricted LP's final basis (an LP's, on HiGHS).
    Optimal { cols: Vec<f64>, y: Vec<f64>, basis: Option<WarmBasis> },
    /// A limit stopped it: the status and what happened.
    Stopped(Status, String),
    /// The full model must decide, for this reason.
    Delegate(Delegated),
}

/// Sifting over `pricing`'s edges from duals `y0`, the pool holding the slacks and any warm
/// edges: the first working set, the LP's rounds, then a QP's (see [`sift`]).
pub(crate) fn sift_pool(
    pricing: &mut dyn Pricing,
    pool: &mut Pool,
    settings: &ValidSettings,
    y0: &[f64],
    basis: Option<&WarmBasis>,
    start: Instant,
    stats: &mut SiftStats,
) -> Result<End, SolveError> {
    // Rows needing an artificial column: hard rows that x = 0 violates.
    let artificial: Vec<Artificial> = pricing
        .rows()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.slack.is_none())
        .filter_map(|(i, r)| match r.sense {
            Sense::Ge if r.rhs > 0.0 => Some((i, 1.0)),
            Sense::Le if r.rhs < 0.0 => Some((i, -1.0)),
            _ => None,
        })
        .collect();
    let n_slacks = pricing.rows().iter().filter(|r| r.slack.is_some()).count();

    // The first working set: per segment the best edges at y0; with a warm basis, its own
    // working set (the first round's pricing adds what the change of day calls for).
    if basis.is_none() {
        let t = Instant::now();
        pricing.price(y0, None, false, pool)?;
        stats.pricing_passes += 1;
        stats.pricing_seconds += t.elapsed().as_secs_f64();
    }

    let cmax = pricing.cmax()?;
    let big_m = BIG_M_START * cmax;
    let mut lp = Restricted::highs(pricing.rows(), settings, &artificial, pool, big_m, pricing.boxes_pay())?;
    if let Some(b) = basis {
        let taken = lp.set_basis(b, pool, &artificial);
        if settings.verbose {
            settings.observer().log(format_args!("sifting: {} the warm basis", if taken { "starting from" } else { "could not use" }));
        }
    }
    let end = rounds(pricing, pool, settings, lp, &artificial, big_m, cmax, start, stats)?;
    let end = match end {
        End::Optimal { .. } if pricing.is_qp() => {
            let qp = Restricted::clarabel(pricing.rows());
            rounds(pricing, pool, settings, qp, &[], 0.0, cmax, start, stats)?
        }
        other => other,
    };
    stats.working_set = pool.len() - n_slacks;
    if settings.verbose {
        settings.observer().log(format_args!(
            "sifting: {} pricing passes in {:.2} s, {} restricted problems in {:.2} s",
            stats.pricing_passes, stats.pricing_seconds, stats.rounds, stats.restricted_seconds
        ));
    }
    Ok(end)
}

/// Solves `restricted`, prices, adds, until no edge prices in (or a limit, or trouble).
#[allow(clippy::too_many_arguments)]
fn rounds(
    pricing: &mut dyn Pricing,
    pool: &mut Pool,
    settings: &ValidSettings,
    mut restricted: Restricted,
    artificial: &[Artificial],
    mut big_m: f64,
    cmax: f64,
    start: Instant,
    stats: &mut SiftStats,
) -> Result<End, SolveError> {
    let stopped = |status, what: &str, stats: &SiftStats| End::Stopped(status, format!("sifting stopped at {what} after {} restricted problems", stats.rounds));
    loop {
        if settings.observer().interrupted() {
            return Err(SolveError::Interrupted);
        }
        let time_left = settings.time_limit.map(|limit| limit - start.elapsed().as_secs_f64());
        if time_left.is_some_and(|t| t <= 0.0) {
            return Ok(stopped(Status::TimeLimit, "the time limit", stats));
        }
        let t = Instant::now();
        let answer = restricted.solve(settings, time_left, pool)?;
        stats.restricted_seconds += t.elapsed().as_secs_f64();
        stats.rounds += 1;
        stats.restricted_iterations += answer.iterations;
        if answer.status != Status::Optimal {
            if matches!(answer.status, Status::TimeLimit | Status::IterationLimit) {
                return Ok(stopped(answer.status, "a limit in a restricted problem", stats));
            }
            // A restricted problem is feasible by construction (artificials, or a working set
            // that served every row) and bounded (every edge sits in its segment's supply row):
            // anything else is the solver's trouble.
            return Ok(End::Delegate(Delegated::Trouble(format!("a restricted problem ended {}", answer.detail.as_deref().unwrap_or(answer.status.as_str())))));
        }
        let art_used = answer.x[..artificial.len()].iter().any(|&v| v > 1e-9);
        // A restricted optimum at the model's bound cannot be improved on: no pricing pass (a
        // diagnosis' phase one that finds the rules on feasible).
        if !art_used && pricing.objective_bound().is_some_and(|b| answer.objective >= b) {
            if lifted(&mut restricted, pool, settings, stats)? {
                continue;
            }
            let basis = restricted.basis(pool, artificial);
            let mut cols = answer.x;
            cols.drain(..artificial.len());
            return Ok(End::Optimal { cols, y: answer.row_duals, basis });
        }
        let t = Instant::now();
        let before = pool.len();
        let added = pricing.price(&answer.row_duals, Some(PRICING_TOLERANCE), artificial.is_empty() && pricing.is_qp(), pool)?;
        stats.pricing_passes += 1;
        stats.pricing_seconds += t.elapsed().as_secs_f64();
        if settings.verbose {
            settings.observer().log(format_args!(
                "sifting round {}: {} working edges, {} of {} rows, objective {:.9e}, {} priced in, artificials {}, {:.1} s",
                stats.rounds,
                before,
                restricted.held_rows(),
                pricing.rows().len(),
                answer.objective,
                added,
                if art_used { "in use" } else { "0" },
                start.elapsed().as_secs_f64()
            ));
        }
        if added == 0 {
            if !art_used {
                if lifted(&mut restricted, pool, settings, stats)? {
                    continue;
                }
                let basis = restricted.basis(pool, artificial);
                let mut cols = answer.x;
                cols.drain(..artificial.len());
                return Ok(End::Optimal { cols, y: answer.row_duals, basis });
            }
            if big_m >= BIG_M_LAST * cmax {
                return Ok(End::Delegate(Delegated::Unserved));
            }
            big_m *= BIG_M_GROWTH;
            restricted.set_big_m(big_m)?;
            continue;
        }
        restricted.add(pool)?;
    }
}

/// Lifts the boxes columns rest on at `restricted`'s optimum (counted in `stats`); whether there
/// were any, so that the restricted problem must be solved again.
fn lifted(restricted: &mut Restricted, pool: &Pool, settings: &ValidSettings, stats: &mut SiftStats) -> Result<bool, SolveError> {
    let n = restricted.lift_boxes(pool)?;
    stats.boxes_lifted += n as u64;
    if n > 0 && settings.verbose {
        settings.observer().log(format_args!("sifting: {n} columns rest on their supply box; lifted, solving again"));
    }
    Ok(n > 0)
}

/// A column prices in when its reduced cost exceeds this times `1 + |c_j| + sum_r |a_rj y_r|`
/// (the scale of the certificate's dual residual): rounding, not a gain.
const PRICING_TOLERANCE: f64 = 1e-9;

/// Pricing over the edge columns of a model: the whole day's (one process), or one process's
/// shard of it, whose rows are renumbered into the day's by `row_of` and whose columns are the
/// day's columns `id_of`.
pub(crate) struct ModelPricing<'a, C: Columns + ?Sized> {
    model: &'a C,
    groups: Groups,
    in_set: Vec<bool>,
    row_of: Option<&'a [usize]>,
    id_of: Option<&'a [usize]>,
    /// The duals in the model's own row numbers (when they differ from the day's).
    y_local: Vec<f64>,
}

impl<'a, C: Columns + ?Sized> ModelPricing<'a, C> {
    pub fn new(model: &'a C, row_of: Option<&'a [usize]>, id_of: Option<&'a [usize]>) -> Self {
        ModelPricing { model, groups: Groups::of(model), in_set: vec![false; model.n_edges()], row_of, id_of, y_local: Vec::new() }
    }

    /// Takes edge `j` into the pool (renumbered).
    pub fn take(&mut self, j: usize, pool: &mut Pool) {
        self.in_set[j] = true;
        pool.push_model_column(self.model, j, self.id_of.map_or(j, |m| m[j]), self.row_of);
    }
}

impl<C: Columns + ?Sized> Pricing for ModelPricing<'_, C> {
    fn rows(&self) -> &[RowMeta] {
        self.model.rows()
    }
    fn is_qp(&self) -> bool {
        self.model.is_qp()
    }
    fn objective_bound(&self) -> Option<f64> {
        self.model.objective_bound()
    }
    fn boxes_pay(&self) -> bool {
        // A model whose other columns carry the objective says how large their costs are.
        self.model.cost_scale().is_none()
    }
    fn cmax(&mut self) -> Result<f64, SolveError> {
        if let Some(scale) = self.model.cost_scale() {
            return Ok(scale.max(1e-12));
        }
        Ok((0..self.model.n_edges()).into_par_iter().map(|j| self.model.cost(j).abs()).reduce(|| 0.0f64, f64::max).max(1e-12))
    }
    fn price(&mut self, y: &[f64], tolerance: Option<f64>, grow: bool, pool: &mut Pool) -> Result<usize, SolveError> {
        let y = match self.row_of {
            Some(m) => {
                self.y_local.clear();
                self.y_local.extend(m.iter().map(|&g| y[g]));
                &self.y_local
            }
            None => y,
        };
        let picked = self.groups.best(self.model, y, &self.in_set, tolerance, grow);
        for &j in &picked {
            self.take(j, pool);
        }
        Ok(picked.len())
    }
}

/// Column `j`'s reduced cost `c_j - sum_r a_rj y_r` and the size of its terms.
#[inline]
fn reduced_cost<C: Columns + ?Sized>(model: &C, y: &Duals, j: usize) -> (f64, f64) {
    let (aty, mag) = model.dual_terms(j, y);
    let c = model.cost(j);
    (c - aty, 1.0 + c.abs() + mag)
}

/// Edge columns grouped by segment (by their supply row), and how many each may add per round.
struct Groups {
    /// Edge columns, segment by segment (`u32`: 4 bytes per edge is this finish's whole store).
    cols: Vec<u32>,
    start: Vec<usize>,
    /// Edges a segment adds per round.
    quota: Vec<usize>,
}

impl Groups {
    fn of<C: Columns + ?Sized>(model: &C) -> Groups {
        let n = model.n_edges();
        let mut group_of_row = vec![usize::MAX; model.n_rows()];
        let mut n_groups = 0;
        for (r, meta) in model.rows().iter().enumerate() {
            if meta.kind == crate::ir::RowKind::Supply {
                group_of_row[r] = n_groups;
                n_groups += 1;
            }
        }
        // Rows scoped to a segment, counted per supply row's segment.
        let mut scoped = vec![0usize; n_groups];
        let mut group_of_seg = std::collections::HashMap::new();
        for (r, meta) in model.rows().iter().enumerate() {
            if meta.kind == crate::ir::RowKind::Supply {
                if let Some(s) = meta.segment {
                    group_of_seg.insert(s, group_of_row[r]);
                }
            }
        }
        for meta in model.rows() {
            if let Some(g) = meta.segment.and_then(|s| group_of_seg.get(&s)) {
                scoped[*g] += 1;
            }
        }
        // Each edge's group: its supply row (a model without one puts the edge in group 0).
        let mut group = vec![0u32; n];
        group.par_iter_mut().enumerate().for_each(|(j, g)| {
            if let Some(r) = model.supply_row(j) {
                *g = group_of_row[r] as u32;
            }
        });
        let n_groups = n_groups.max(1);
        let (start, cols) = agora_instances::grouping::group_by::<u32>(n_groups, n, |j| group[j] as usize);
        let quota = (0..n_groups).map(|g| SEED_PER_SEGMENT + 2 * scoped.get(g).copied().unwrap_or(0)).collect();
        Groups { cols, start, quota }
    }

    /// Prices every column not yet in the set at duals `y` (one pass over the edges, segments in
    /// parallel on the current rayon pool) and returns, per group, up to its quota of those with
    /// the largest reduced costs; with a `tolerance`, only those whose reduced cost exceeds it
    /// relative to their terms' size. Reduced costs are computed group by group, never stored for
    /// all edges. The result is sorted, so it does not depend on the thread count.
    ///
    /// With `grow` (the QP rounds), a group that had more candidates than its quota gets twice
    /// the quota next time: where a segment's optimum uses many edges (a large ridge: rho 50 on
    /// the medium day puts 87% of the edges in the optimum) the rounds grow geometrically instead
    /// of by a fixed step (fixed quotas took 35 rounds there). An LP vertex needs few
    /// edges per segment, so LP rounds keep their quotas (growing them made the small-ridge QP
    /// days slower: its LP phase carried more edges into every round).
    fn best<C: Columns + ?Sized>(&mut self, model: &C, y: &[f64], in_set: &[bool], tolerance: Option<f64>, grow: bool) -> Vec<usize> {
        let y = &model.duals(y);
        let per_group: Vec<(Vec<usize>, bool)> = (0..self.quota.len())
            .into_par_iter()
            .map_init(Vec::new, |cand: &mut Vec<(f64, u32)>, g| {
                cand.clear();
                let cols = self.cols[self.start[g]..self.start[g + 1]].iter().map(|&j| j as usize).filter(|&j| !in_set[j]);
                model.visit(cols, |j| {
                    let (d, scale) = reduced_cost(model, y, j);
                    // (`Option::is_none_or` needs Rust 1.82; the workspace supports 1.80.)
                    let wanted = match tolerance {
                        Some(t) => d > t * scale,
                        None => true,
                    };
                    if wanted {
                        cand.push((d, j as u32));
                    }
                });
                let k = self.quota[g].min(cand.len());
                if k < cand.len() {
                    cand.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
                }
                (cand[..k].iter().map(|&(_, j)| j as usize).collect(), k < cand.len())
            })
            .collect();
        let mut out = Vec::new();
        for (g, (picked, full)) in per_group.into_iter().enumerate() {
            out.extend(picked);
            if full && grow {
                self.quota[g] *= 2;
            }
        }
        out.sort_unstable();
        out
    }
}
