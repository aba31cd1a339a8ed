//! Solving the points of a frontier in chains, each point of a chain re-solved from the previous
//! point's HiGHS basis.
//!
//! A chain keeps one HiGHS instance and the model IR it was loaded from. Moving to the next
//! point changes the swept parameters in both, in place, as the rows' meta says
//! (design.md): a row's right-hand side moves by `delta * db`, its coefficients by
//! `delta * da`; an objective weight rewrites the edges' costs, a penalty its slacks' costs.
//! HiGHS then re-runs from its current basis (dual simplex after a bound change, primal after a
//! cost change) without presolve. The edited IR is what agora's check judges, so a hot-started
//! point passes through exactly the same [`Solution::from_backend`] as a cold one.
//!
//! A point the first-order backend solves (chosen, or `auto` on a day of at least
//! [`crate::AUTO_SIFTING_EDGES`] edges) starts from the previous optimal point's plan and duals
//! instead ([`crate::solve_model_warm`]).
//!
//! A point is solved cold (fresh formulation, fresh solver) when hot starts are off, when the
//! model is a QP or the backend is Clarabel (it has no warm start), when a
//! regularisation weight is swept, when an edit needs a coefficient the formulation dropped,
//! and after a hot re-solve that ended neither optimal nor infeasible (that point is redone
//! cold, so a hot start can never be the reason a point is lost).
//!
//! Chains: a grid runs one chain per value of the first parameter, over the second's values; a
//! one-parameter sweep is cut into up to [`FrontierSettings::max_chains`] consecutive pieces.
//! Chains run in parallel on rayon's pool with one HiGHS thread each; a HiGHS model never
//! leaves the thread that built it.

use std::time::Instant;

use agora_instances::{Instance, Param, PlanMetrics};
use rayon::prelude::*;
use sprs::TriMatI;

use super::pareto::Criteria;
use super::{FrontierError, FrontierSettings, Point, Sweep};
use crate::backends::highs::{extract, load};
use crate::backends::highs_raw;
use crate::first_order::WarmStart;
use crate::formulate::{edge_value, Formulation};
use crate::ir::Columns as _;
use crate::ir::{Model, Sense};
use crate::observe::Observer;
use crate::settings::{BackendChoice, ValidSettings};
use crate::solution::Solution;
use crate::status::{SolveError, Status};

/// LP sweeps of days below this many edges run on one hot-started HiGHS model per chain under
/// `auto`; from it, each point is sifted from the previous point's plan and duals: the size from
/// which `auto` sifts a solve. 20-point `max_share` sweeps (benches/RESULTS.md, "Daily loop"):
/// the small day (3,882 edges) 0.08 s hot-started against 0.22 s sifted; MovieLens catalog lines
/// (9,952) 0.99 against 0.87 s; directors (14,047) 0.38 against 0.25 s; the medium day (84k)
/// 2.91 against 1.29 s.
pub const HOT_CHAIN_EDGES: usize = crate::AUTO_HIGHS_LP_EDGES;

/// Whether the points of `sweeps` on `inst` are sifted, each from its neighbour's plan, duals
/// and basis (hot starts on, and the first-order backend chosen or `auto`'s choice for an LP of
/// at least [`HOT_CHAIN_EDGES`] edges). A one-parameter sifted sweep is then one chain, its
/// solves on every thread: a second chain's cold first point costs more than the warm points it
/// would run beside (on the 10^6-edge day a cold point is 10^4 simplex iterations, a warm one
/// tens), and each chain holds a copy of the day.
pub(crate) fn sifted(inst: &Instance, sweeps: &[Sweep], fs: &FrontierSettings) -> bool {
    let swept_ridge = sweeps.iter().any(|s| s.param == Param::Objective("regularization"));
    fs.hot_start && !swept_ridge && point_backend(fs.solve.backend, fs.hot_start, &Formulation::new(inst)) == BackendChoice::FirstOrder
}

/// The backend a point of `day` is solved with under `backend`: its choice for the day, except
/// that under `auto` with hot starts on, LP sweeps of days below [`HOT_CHAIN_EDGES`] keep one
/// HiGHS model alive and re-solve it from its basis (a few pivots a point), where its cold start
/// is cheaper than warm sifting points.
fn point_backend(backend: BackendChoice, hot_start: bool, day: &Formulation) -> BackendChoice {
    if backend == BackendChoice::Auto && hot_start && !day.is_qp() && day.n_edges() < HOT_CHAIN_EDGES {
        return BackendChoice::Highs;
    }
    backend.resolve_for(day)
}

/// Solves every point of the grid of `sweeps`, row-major (the last sweep varies fastest).
pub(crate) fn solve_grid(
    inst: &mut Instance,
    sweeps: &[Sweep],
    fs: &FrontierSettings,
    settings: &ValidSettings,
    sifted: bool,
    observer: &dyn Observer,
) -> Result<Vec<Point>, FrontierError> {
    let params: Vec<Param> = sweeps.iter().map(|s| s.param.clone()).collect();
    let axes: Vec<Vec<f64>> = sweeps.iter().map(Sweep::values).collect();
    let chains: Vec<Vec<Vec<f64>>> = if axes.len() == 2 {
        axes[0].iter().map(|&a| axes[1].iter().map(|&b| vec![a, b]).collect()).collect()
    } else {
        let n = axes[0].len();
        let default = if sifted { 1 } else { rayon::current_num_threads().min(n / 4) };
        let wanted = fs.max_chains.unwrap_or(default).clamp(1, n);
        let len = n.div_ceil(wanted);
        axes[0].chunks(len).map(|c| c.iter().map(|&v| vec![v]).collect()).collect()
    };
    if let [chain] = &chains[..] {
        // One chain moves the day itself and puts its parameters back: no copy of the day.
        return Ok(put_back(inst, &params, |day| Chain::new(Day::Borrowed(day), &params, settings, fs.hot_start).run(chain, observer))?);
    }
    let shared: &Instance = inst;
    let solved: Result<Vec<Vec<Point>>, SolveError> =
        chains.into_par_iter().map(|chain| Chain::new(Day::Owned(Box::new(shared.clone())), &params, settings, fs.hot_start).run(&chain, observer)).collect();
    Ok(solved?.into_iter().flatten().collect())
}

/// `f` run on `inst`, whose `params` may move, then put back to their values before it.
pub(super) fn put_back<T>(inst: &mut Instance, params: &[Param], f: impl FnOnce(&mut Instance) -> T) -> T {
    let originals: Vec<f64> = params.iter().map(|p| p.get(inst)).collect();
    let out = f(inst);
    for (p, v) in params.iter().zip(originals) {
        p.set(inst, v);
    }
    out
}

/// The day a chain moves from point to point: its own copy (chains side by side), or the
/// caller's day, whose parameters are put back after.
enum Day<'a> {
    Owned(Box<Instance>),
    Borrowed(&'a mut Instance),
}

impl std::ops::Deref for Day<'_> {
    type Target = Instance;
    fn deref(&self) -> &Instance {
        match self {
            Day::Owned(i) => i,
            Day::Borrowed(i) => i,
        }
    }
}

impl std::ops::DerefMut for Day<'_> {
    fn deref_mut(&mut self) -> &mut Instance {
        match self {
            Day::Owned(i) => i,
            Day::Borrowed(i) => i,
        }
    }
}

/// A HiGHS instance kept alive along a chain, with the IR it holds.
struct Live {
    hm: highs::Model,
    model: Model,
    /// The values of the swept parameters `model` reflects.
    values: Vec<f64>,
    /// Scratch for HiGHS' (minimisation) edge costs, reused from point to point.
    neg_costs: Vec<f64>,
}

struct Chain<'a> {
    inst: Day<'a>,
    params: &'a [Param],
    settings: &'a ValidSettings,
    hot_start: bool,
    /// The model rows each swept parameter sets (filled from the first formulation).
    rows: Vec<Vec<usize>>,
    /// The day has a soft constraint (so `penalties` is a criterion).
    soft: bool,
    /// The last optimal point's plan and duals, which start the next point when it is sifted.
    warm: Option<WarmStart>,
}

impl<'a> Chain<'a> {
    fn new(inst: Day<'a>, params: &'a [Param], settings: &'a ValidSettings, hot_start: bool) -> Self {
        let soft = inst.constraints.iter().any(|c| c.penalty.is_some());
        Chain { inst, params, settings, hot_start, rows: Vec::new(), soft, warm: None }
    }

    fn run(mut self, values: &[Vec<f64>], observer: &dyn Observer) -> Result<Vec<Point>, SolveError> {
        let mut live: Option<Live> = None;
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            if observer.interrupted() {
                return Err(SolveError::Interrupted);
            }
            for (p, &x) in self.params.iter().zip(v) {
                p.set(&mut self.inst, x);
            }
            let mut edited = None;
            if let Some(mut l) = live.take() {
                // An edit HiGHS refuses costs the hot start, never the point.
                if let Ok(true) = self.apply(&mut l, v) {
                    edited = Some(l);
                }
            }
            let (sol, hot, next) = match edited.map(|l| self.solve_live(l)) {
                // Infeasible is trusted: dual simplex proves it from any basis.
                Some(Ok((sol, l))) if matches!(sol.status, Status::Optimal | Status::Infeasible) => (sol, true, Some(l)),
                _ => {
                    let (sol, next, warm) = self.solve_cold()?;
                    (sol, warm, next)
                }
            };
            live = next;
            out.push(self.point(v, &sol, hot));
            observer.advance(1);
        }
        Ok(out)
    }

    /// Formulates and solves the current point; keeps HiGHS alive when the point may seed hot
    /// starts. A point the first-order backend solves (explicitly, or `auto` on a large day)
    /// starts from the previous optimal point's plan and duals; the flag says whether one did.
    fn solve_cold(&mut self) -> Result<(Solution, Option<Live>, bool), SolveError> {
        // The day's columns are generated (no matrix) unless a whole-model backend needs them.
        let day = Formulation::new(&self.inst);
        let choice = point_backend(self.settings.backend, self.hot_start, &day);
        if choice == BackendChoice::FirstOrder && day.n_cols() > 0 {
            let (sol, used) = sift_point(&self.inst, &day, self.settings, self.hot_start, &mut self.warm)?;
            return Ok((sol, None, used));
        }
        let hot_capable =
            self.hot_start && day.n_cols() > 0 && !day.is_qp() && choice == BackendChoice::Highs && !self.params.contains(&Param::Objective("regularization"));
        if !hot_capable {
            let sol = crate::solve_model(&self.inst, &day, self.settings)?;
            return Ok((sol, None, false));
        }
        let mut model = day.to_model();
        if self.rows.is_empty() {
            self.rows = self.params.iter().map(|p| rows_of(&self.inst, &model, p)).collect();
        }
        // The formulation drops coefficients that are 0 at the first point (a share of 0 or 1);
        // the chain will move them, so they are kept as explicit zeros.
        ensure_entries(&mut model, &self.rows);
        let hm = load(&model, self.settings)?;
        let values = self.params.iter().map(|p| p.get(&self.inst)).collect();
        let (sol, l) = self.solve_live(Live { hm, model, values, neg_costs: Vec::new() })?;
        if !matches!(sol.status, Status::Optimal | Status::Infeasible) {
            // An inconclusive run goes through the backend's own retries (presolve off, then
            // the interior point), like any cold solve; the live model still seeds the next point
            // (a hot start from a poor basis is checked like any other, and redone cold if it
            // fails).
            let sol = crate::solve_model(&self.inst, &l.model, self.settings)?;
            let keep = matches!(sol.status, Status::Optimal | Status::Infeasible);
            return Ok((sol, keep.then_some(l), false));
        }
        Ok((sol, Some(l), false))
    }

    /// Runs HiGHS from its current state and checks the answer like any other.
    fn solve_live(&self, l: Live) -> Result<(Solution, Live), SolveError> {
        let Live { hm, model, values, neg_costs } = l;
        let start = Instant::now();
        let solved = hm.try_solve().map_err(|s| SolveError::Backend { backend: "highs", reason: format!("HiGHS run failed: {s:?}") })?;
        let raw = extract(&solved, &model);
        let sol = Solution::from_backend(&self.inst, &model, raw, "highs", self.settings.check_tolerance, start.elapsed().as_secs_f64());
        Ok((sol, Live { hm: highs::Model::from(solved), model, values, neg_costs }))
    }

    /// Moves the live model to the current point in place. `Ok(false)`: it cannot be (the
    /// caller drops it and solves cold).
    fn apply(&self, l: &mut Live, new: &[f64]) -> Result<bool, highs_raw::RawError> {
        for (k, p) in self.params.iter().enumerate() {
            let (old, now) = (l.values[k], new[k]);
            if old == now {
                continue;
            }
            let delta = now - old;
            match p {
                Param::Objective("regularization") => return Ok(false),
                Param::Objective(_) => {
                    let n = l.model.n_edges;
                    for e in 0..n {
                        l.model.cost[e] = edge_value(&self.inst, e);
                    }
                    // HiGHS minimises -objective.
                    l.neg_costs.clear();
                    l.neg_costs.extend(l.model.cost[..n].iter().map(|c| -c));
                    highs_raw::change_col_costs(&mut l.hm, &l.neg_costs)?;
                }
                Param::Constraint(_, "penalty") => {
                    for &r in &self.rows[k] {
                        let meta = &mut l.model.rows[r];
                        if let Some(c) = meta.slack {
                            meta.penalty = Some(now);
                            l.model.cost[c] = -now;
                            highs_raw::change_col_cost(&mut l.hm, c, now)?;
                        }
                    }
                }
                _ => {
                    for &r in &self.rows[k] {
                        let meta = &mut l.model.rows[r];
                        if !meta.dquad.is_empty() {
                            return Ok(false);
                        }
                        meta.parameter.1 = now;
                        if meta.db != 0.0 {
                            meta.rhs += delta * meta.db;
                            let (lo, hi) = match meta.sense {
                                Sense::Le => (f64::NEG_INFINITY, meta.rhs),
                                Sense::Ge => (meta.rhs, f64::INFINITY),
                            };
                            highs_raw::change_row_bounds(&mut l.hm, r, lo, hi)?;
                        }
                        for (c, d) in meta.da.iter() {
                            let Some(a) = l.model.matrix.get_mut(r, c) else { return Ok(false) };
                            let mut v = *a + delta * d;
                            // The formulation's rule: entries within 1e-12 of 0 are 0.
                            if v.abs() <= 1e-12 {
                                v = 0.0;
                            }
                            *a = v;
                            highs_raw::change_coeff(&mut l.hm, r, c, v)?;
                        }
                    }
                }
            }
            l.values[k] = now;
        }
        Ok(true)
    }

    fn point(&self, values: &[f64], sol: &Solution, hot: bool) -> Point {
        let optimal = sol.status.is_optimal();
        let shadow_prices = self.params.iter().map(|p| optimal.then(|| derivative(&self.inst, sol, p))).collect();
        let criteria = optimal.then(|| {
            let u = unweighted_terms(&self.inst, &sol.impressions);
            let w = self.inst.objective;
            Criteria {
                values: [u[0], u[1], u[2], u[3], u[4], sol.terms.penalties],
                weights: [w.engagement, w.quality, w.revenue, w.integrity_risk, w.regularization, if self.soft { 1.0 } else { 0.0 }],
            }
        });
        Point {
            values: values.to_vec(),
            status: sol.status,
            message: sol.message.clone(),
            objective: optimal.then_some(sol.objective),
            terms: optimal.then_some(sol.terms),
            metrics: optimal.then(|| PlanMetrics::of(&self.inst, &sol.impressions)),
            shadow_prices,
            efficient: false,
            hot_start: hot,
            iterations: sol.iterations,
            solve_seconds: sol.solve_seconds,
            criteria,
            conflict: Vec::new(),
        }
    }
}

/// A point on the first-order backend (sifting under `auto`), warm-started from the previous
/// optimal point (`warm`, replaced by this one's when it is optimal: its plan, duals and
/// sifting's final restricted basis, so the point starts a few pivots from its neighbour's
/// optimum) when hot starts are on and the model has the same shape; the flag says whether it was.
fn sift_point(
    inst: &Instance,
    model: &Formulation,
    settings: &ValidSettings,
    hot_start: bool,
    warm: &mut Option<WarmStart>,
) -> Result<(Solution, bool), SolveError> {
    let settings = crate::first_order_settings(settings);
    // A basis brings its working set, which holds the plan's support: the plan itself is kept
    // only without one (a QP's points), as a dense vector over every column.
    let start = warm.as_ref().filter(|w| {
        let plan_fits = match (&w.x, &w.basis) {
            (Some(x), _) => x.len() == model.n_cols(),
            (None, basis) => basis.is_some(),
        };
        hot_start && plan_fits && w.y.as_ref().is_some_and(|y| y.len() == model.n_rows())
    });
    let used = start.is_some();
    let (sol, basis) = crate::solve_model_warm_kept(inst, model, &settings, start)?;
    if sol.status.is_optimal() {
        // The neighbour's start goes first: two dense plans of 10^7 edges are 160 MB.
        *warm = None;
        let x = basis.is_none().then(|| {
            let mut x = sol.impressions.clone();
            x.resize(model.n_cols(), 0.0);
            x
        });
        let y = sol.rows.iter().map(|r| r.dual).collect();
        *warm = Some(WarmStart { x, y: Some(y), basis });
    }
    Ok((sol, used))
}

/// Makes every coefficient a swept row's `da` moves an entry of the matrix (explicit zeros).
fn ensure_entries(model: &mut Model, rows: &[Vec<usize>]) {
    let mut missing: Vec<(usize, usize)> = Vec::new();
    for &r in rows.iter().flatten() {
        missing.extend(model.rows[r].da.iter().filter(|&(c, _)| model.matrix.get(r, c).is_none()).map(|(c, _)| (r, c)));
    }
    if missing.is_empty() {
        return;
    }
    let mut tri = TriMatI::<f64, u32>::with_capacity(model.matrix.shape(), model.matrix.nnz() + missing.len());
    for (c, col) in model.matrix.outer_iterator().enumerate() {
        for (r, &v) in col.iter() {
            tri.add_triplet(r, c, v);
        }
    }
    for (r, c) in missing {
        tri.add_triplet(r, c, 0.0);
    }
    model.matrix = tri.to_csc::<usize>();
}

/// The model rows whose parameter is `p` (none for objective weights).
fn rows_of(inst: &Instance, model: &Model, p: &Param) -> Vec<usize> {
    let by_name = |name: String| model.rows.iter().position(|r| r.name == name).into_iter().collect();
    match p {
        Param::Supply(s) => {
            model.rows.iter().enumerate().filter(|(_, r)| r.kind == crate::ir::RowKind::Supply && r.segment == Some(*s)).map(|(i, _)| i).collect()
        }
        Param::Budget(a) => by_name(format!("budget[{}]", inst.campaigns[*a].id)),
        Param::ItemCap(i) => by_name(format!("item_cap[{}]", inst.items[*i].id)),
        Param::Constraint(k, _) => model.rows.iter().enumerate().filter(|(_, r)| r.constraint == Some(*k)).map(|(i, _)| i).collect(),
        Param::Objective(_) => Vec::new(),
    }
}

/// The objective's terms per unit of weight at plan `x` (edges only), signed as in the
/// solution's terms: engagement, quality, revenue, integrity_risk, regularization.
pub fn unweighted_terms(inst: &Instance, x: &[f64]) -> [f64; 5] {
    let mut t = [0.0; 5];
    for (e, (edge, &xe)) in inst.edges.iter().zip(x).enumerate() {
        if xe == 0.0 {
            continue;
        }
        let item = &inst.items[edge.item];
        t[0] += inst.planned_engagement(e) * xe;
        t[1] += item.quality * xe;
        t[2] += edge.price * xe;
        t[3] -= item.risk * xe;
        t[4] -= 0.5 * xe * xe / inst.segments[edge.segment].supply;
    }
    t
}

/// d(optimum)/d(p) at an optimal solution, by the envelope theorem: for a parameter that sets
/// rows, the sum of their shadow prices; for an objective weight, its term per unit of weight;
/// for a penalty, minus the constraint's total violation.
pub fn derivative(inst: &Instance, sol: &Solution, p: &Param) -> f64 {
    match p {
        Param::Objective(w) => {
            let t = unweighted_terms(inst, &sol.impressions);
            match *w {
                "engagement" => t[0],
                "quality" => t[1],
                "revenue" => t[2],
                "integrity_risk" => t[3],
                _ => t[4],
            }
        }
        Param::Constraint(k, "penalty") => -sol.rows.iter().filter(|r| r.constraint == Some(*k)).map(|r| r.violation).sum::<f64>(),
        _ => sol.shadow_price_of(inst, p).unwrap_or(0.0),
    }
}
