//! Re-solving variants of a day from the day's optimal basis: what an audit's trials need (each a
//! small change of the day, solved many times), without a cold solve per trial.
//!
//! A [`Resolver`] solves the day once (by sifting), then keeps alive a HiGHS model of every row
//! and a *working set* of columns at the day's optimal basis: the columns the plan uses, every
//! slack, and each segment's [`WORKING_PER_SEGMENT`] edges nearest to entering (by reduced
//! cost), solved on HiGHS and priced until it is the day's optimum. [`Resolver::solve`] takes a variant of the day (another [`Instance`] that keeps
//! the day's edges in order and may change anything else: engagement, owners, topics, groups,
//! rules, appended items and edges), edits the live model into the variant's
//! ([`diff`]: rows matched by name, edge columns by position, slacks by their row; rows the
//! variant lacks freed, columns it lacks fixed at 0), and re-runs the simplex from the day's
//! basis, usually a few pivots. Then, as in sifting, every column outside the live model is
//! priced at the new duals with the variant's own formulation; those worth adding are added and
//! the simplex re-run, until none is. The answer goes through [`Solution::from_backend`], the
//! same independent check as every solve, against the variant's formulation (not HiGHS' edited
//! copy), so an edit that went wrong cannot pass as an optimum. HiGHS re-runs pay for their
//! model's size on every run (it re-assesses the matrix), which is why the live model is a
//! working set and not the whole day: on the MovieLens day a run of the whole model costs about
//! 5 ms even when it pivots once.
//!
//! When the [`Variant`] is dropped the edits are undone and the day's basis restored, so every
//! variant starts from the day's optimum and the order of variants changes nothing.
//!
//! The optimal face ([`Variant::face_extreme`], [`Resolver::face_extreme`]): the least or most
//! of a creator's exposure over the optimal plans is the plan of the objective nudged by
//! [`Resolver::face_price`] per unit of the function, against or towards it, which the same live
//! model solves in a few pivots from the optimal basis ([`crate::optimal_face_extreme`] solves
//! the same program cold).
//!
//! Where the day cannot be hot-started (a QP, Clarabel or the first-order backend chosen, a day
//! of at least [`crate::AUTO_SIFTING_EDGES`] edges under `auto`), and after a run that ends other
//! than optimal (a restricted model's infeasibility proves nothing), a variant is solved cold with
//! the settings given ([`crate::solve`]); [`Variant::hot`] says which.

mod diff;

use std::collections::HashMap;
use std::time::Instant;

use agora_instances::Instance;
use highs::{ColProblem, Sense as HSense};

use crate::backends::highs::{add_column, add_rows, apply_settings, map_status};
use crate::backends::highs_raw::{self, Basis, RawError};
use crate::backends::BackendResult;
use crate::face::{face_price, nudged_extreme, FaceEnd};
use crate::formulate::{formulate, Formulation};
use crate::ir::{Columns, Model};
use crate::settings::{BackendChoice, FirstOrderMethod, ToValid, ValidSettings};
use crate::solution::Solution;
use crate::status::{SolveError, Status};

use diff::{diff, row_bounds, row_index, Diff, NONE};

/// Unserved edges per segment the working set starts with, those nearest to entering. Every
/// re-solve pays for the live model's size (HiGHS assesses its matrix each run, the diff reads
/// every live column): 8 made 100 audit trials on the MovieLens directors day about a fifth
/// faster than 32 (pricing adds what a variant lacks).
pub const WORKING_PER_SEGMENT: usize = 8;

/// Pricing rounds a re-solve may take before it is redone cold.
const MAX_ROUNDS: usize = 64;

/// The cost of an artificial slack per unit, in units of the largest objective coefficient (as
/// sifting's first big M).
const BIG_M: f64 = 1e4;

/// A day solved once, re-solving variants of it from its optimal basis.
pub struct Resolver {
    settings: ValidSettings,
    /// The day's model.
    base: Model,
    /// The day's rows by name.
    rows: HashMap<String, usize>,
    /// The live HiGHS model at the day's optimal basis; `None` when variants are solved cold.
    live: Option<Live>,
    /// Variants solved so far from the day's basis, and cold.
    counts: (usize, usize),
    face_price: f64,
}

struct Live {
    /// Taken out for the length of a run (HiGHS' safe API consumes the model to solve it).
    hm: Option<highs::Model>,
    /// The working set's basis at the day's optimum.
    basis: Basis,
    /// The working set: the day's column of each HiGHS column.
    cols: Vec<usize>,
    /// HiGHS' cost (`-c`) of each working-set column in the day.
    costs: Vec<f64>,
}

impl Resolver {
    /// Solves `inst` and keeps it ready for variants. The day's solution is returned beside it
    /// (as [`crate::solve`] would give it; not necessarily optimal).
    pub fn new(inst: &Instance, settings: &(impl ToValid + ?Sized)) -> Result<(Resolver, Solution), SolveError> {
        let settings = settings.to_valid()?.into_owned();
        let base = formulate(inst);
        let rows = row_index(&base);
        let face_price = face_price(&base, &settings);
        let mut resolver = Resolver { settings, base, rows, live: None, counts: (0, 0), face_price };
        if resolver.hot_capable() {
            if let Some(sol) = resolver.solve_base_live(inst)? {
                return Ok((resolver, sol));
            }
        }
        let sol = crate::solve_model(inst, &resolver.base, &resolver.settings)?;
        Ok((resolver, sol))
    }

    /// Whether variants are re-solved from a live HiGHS model (false: each is solved cold).
    pub fn is_hot(&self) -> bool {
        self.live.is_some()
    }

    /// The day's model.
    pub fn model(&self) -> &Model {
        &self.base
    }

    /// Variants solved so far from the day's basis, and cold.
    pub fn counts(&self) -> (usize, usize) {
        self.counts
    }

    /// The nudge per unit of a face's function ([`crate::face_price`]).
    pub fn face_price(&self) -> f64 {
        self.face_price
    }

    fn hot_capable(&self) -> bool {
        let lp = !self.base.is_qp() && self.base.n_cols() > 0;
        let small = self.base.n_edges < crate::AUTO_SIFTING_EDGES;
        lp && (self.settings.backend == BackendChoice::Highs || (self.settings.backend == BackendChoice::Auto && small))
    }

    /// The day's live model: a working set of columns solved on HiGHS to an optimum of the whole
    /// day, its basis kept. The set starts from a sifting answer (the columns it uses, every
    /// slack, and per segment the [`WORKING_PER_SEGMENT`] edges nearest to entering at its
    /// duals), is solved cold, and every column outside it is priced at the new duals and those
    /// worth adding added until none is, as sifting does. A whole-model HiGHS run from a slack
    /// basis cost three times this on the MovieLens day (its dual phase one). `None` when a run
    /// is inconclusive (the caller solves cold, with the backend's retries).
    fn solve_base_live(&mut self, inst: &Instance) -> Result<Option<Solution>, SolveError> {
        let start = Instant::now();
        let base = &self.base;
        let sifting = self.settings.with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Sifting);
        let first = crate::solve(inst, &sifting)?;
        if first.status != Status::Optimal || first.rows.len() != base.n_rows() {
            return Ok(None);
        }
        let y: Vec<f64> = first.rows.iter().map(|r| r.dual).collect();
        let mut keep: Vec<bool> = (0..base.n_cols()).map(|j| j >= base.n_edges || first.impressions[j] != 0.0).collect();
        let mut by_segment: Vec<Vec<(f64, usize)>> = vec![Vec::new(); inst.segments.len()];
        let duals = base.duals(&y);
        for j in (0..base.n_edges).filter(|&j| !keep[j]) {
            let reduced = base.cost[j] - base.dual_terms(j, &duals).0;
            by_segment[inst.edges[j].segment].push((reduced, j));
        }
        for mut v in by_segment {
            v.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            v.iter().take(WORKING_PER_SEGMENT).for_each(|&(_, j)| keep[j] = true);
        }
        let cols: Vec<usize> = (0..base.n_cols()).filter(|&j| keep[j]).collect();
        let mut pb = ColProblem::new();
        let hrows = add_rows(&mut pb, &base.rows);
        for &j in &cols {
            add_column(&mut pb, base, &hrows, j);
        }
        let mut hm = highs::Model::try_new(pb).map_err(|s| SolveError::Backend { backend: "highs", reason: format!("HiGHS rejected the model: {s:?}") })?;
        hm.set_sense(HSense::Minimise);
        apply_settings(&mut hm, &self.settings)?;
        hot_options(&mut hm, true)?;
        // (Basis and costs are the day's once the run below ends optimal.)
        let mut live = Live { hm: Some(hm), basis: Basis { cols: Vec::new(), rows: Vec::new() }, cols, costs: Vec::new() };
        let mut d = identity_diff(base, &live.cols);
        let Ok(Some((x, y, iterations))) = run_priced(&mut live, &mut d, base, &|j| base.cost[j], true) else { return Ok(None) };
        // An artificial slack (the working set was infeasible) is no column of the day.
        if d.var.contains(&NONE) {
            return Ok(None);
        }
        let raw = BackendResult { status: Status::Optimal, objective: base.objective(&x), x, row_duals: y, iterations, detail: None };
        let sol = Solution::from_backend(inst, base, raw, "highs", self.settings.check_tolerance, start.elapsed().as_secs_f64());
        if sol.status != Status::Optimal {
            return Ok(None);
        }
        let hm = live.hm.as_ref().expect("in place between runs");
        let Ok(Some(basis)) = highs_raw::basis(hm, d.var.len(), base.n_rows()) else { return Ok(None) };
        live.costs = d.var.iter().map(|&j| -base.cost[j]).collect();
        (live.cols, live.basis) = (d.var, basis);
        self.live = Some(live);
        Ok(Some(sol))
    }

    /// Solves `variant`, a changed copy of the day that keeps the day's edges in order (edges may
    /// be appended; their values, items and rules may change). `extra` are variant columns to put
    /// in the live model from the start (those the change concerns: it saves pricing rounds, and
    /// lets a floor on new columns be met without them). The edits are undone when the returned
    /// [`Variant`] is dropped.
    pub fn solve<'r>(&'r mut self, variant: &Instance, extra: &[usize]) -> Result<Variant<'r>, SolveError> {
        self.solve_formulated(variant, &Formulation::new(variant), extra)
    }

    /// [`Resolver::solve`] with the variant's formulation `f` (of `variant`) made by a caller
    /// that has it already.
    pub fn solve_formulated<'r>(&'r mut self, variant: &Instance, f: &Formulation, extra: &[usize]) -> Result<Variant<'r>, SolveError> {
        if let (Some(live), false) = (self.live.as_ref(), f.is_qp()) {
            let d = diff(&self.base, &self.rows, &live.cols, f);
            let mut v = Variant { resolver: self, applied: Some(d), solution: None, hot: true, model: None };
            match v.run_hot(variant, f, extra) {
                Ok(Some(sol)) => {
                    v.solution = Some(sol);
                    v.resolver.counts.0 += 1;
                    return Ok(v);
                }
                Ok(None) => {}
                // An edit or run HiGHS refuses costs the live model, never the variant.
                Err(_) => {
                    v.applied = None;
                    v.resolver.live = None;
                }
            }
            v.hot = false;
            v.solution = Some(crate::solve_model(variant, f, &v.resolver.settings)?);
            v.resolver.counts.1 += 1;
            return Ok(v);
        }
        let sol = crate::solve_model(variant, f, &self.settings)?;
        self.counts.1 += 1;
        Ok(Variant { resolver: self, applied: None, solution: Some(sol), hot: false, model: None })
    }

    /// The least or most (`end`) of `sum w_j x_j` (`w` over the day's columns) over the day's
    /// optimal plans ([`crate::optimal_face_extreme`]); `None` for a QP (its plan is unique).
    pub fn face_extreme(&mut self, w: &[(usize, f64)], end: FaceEnd) -> Result<Option<f64>, SolveError> {
        if let Some(live) = self.live.as_mut() {
            let mut d = identity_diff(&self.base, &live.cols);
            let hot = hot_face(live, &mut d, &self.base, self.face_price, w, end);
            let restored = match live.hm.as_mut() {
                Some(hm) => highs_raw::truncate_cols(hm, live.cols.len())
                    .and_then(|_| highs_raw::change_col_costs(hm, &live.costs))
                    .and_then(|_| highs_raw::set_basis(hm, &live.basis)),
                None => Err(RawError { call: "run", status: -1 }),
            };
            if restored.is_err() {
                self.live = None;
            }
            if let Ok(Some(v)) = hot {
                return Ok(Some(v));
            }
        }
        nudged_extreme(&self.base, self.face_price, w, end, &self.settings)
    }
}

/// A solved variant of the day. Dropping it restores the day in the live model.
pub struct Variant<'r> {
    resolver: &'r mut Resolver,
    /// The edits applied to the live model, with the columns added since.
    applied: Option<Diff>,
    solution: Option<Solution>,
    hot: bool,
    /// The variant's model, formulated when a cold face needs it.
    model: Option<Model>,
}

impl Variant<'_> {
    /// The variant's solution (checked like every solve; not necessarily optimal).
    pub fn solution(&self) -> &Solution {
        self.solution.as_ref().expect("a variant is solved when made")
    }

    /// Whether it was re-solved from the day's basis (false: solved cold).
    pub fn hot(&self) -> bool {
        self.hot
    }

    /// As [`Resolver::face_extreme`], over the variant's plans: `w` over the variant's columns,
    /// `inst` the variant.
    pub fn face_extreme(&mut self, inst: &Instance, w: &[(usize, f64)], end: FaceEnd) -> Result<Option<f64>, SolveError> {
        self.face_extreme_formulated(&Formulation::new(inst), w, end)
    }

    /// [`Variant::face_extreme`] with the variant's formulation `f` made by the caller.
    pub fn face_extreme_formulated(&mut self, f: &Formulation, w: &[(usize, f64)], end: FaceEnd) -> Result<Option<f64>, SolveError> {
        let mu = self.resolver.face_price;
        // Only a variant whose hot answer passed the check is trusted to be the live model.
        if let (true, Some(live), Some(d)) = (self.hot, self.resolver.live.as_mut(), self.applied.as_mut()) {
            if let Ok(Some(v)) = hot_face(live, d, f, mu, w, end) {
                return Ok(Some(v));
            }
        }
        let model = self.model.get_or_insert_with(|| f.to_model());
        nudged_extreme(model, mu, w, end, &self.resolver.settings)
    }

    /// Applies the edits to the live model and solves it from the day's basis, pricing the rest.
    /// `Ok(None)`: the run ended other than optimal or its answer failed the check (the caller
    /// solves cold; the edits stay recorded for the undo).
    fn run_hot(&mut self, inst: &Instance, f: &Formulation, extra: &[usize]) -> Result<Option<Solution>, RawError> {
        let live = self.resolver.live.as_mut().expect("hot");
        let d = self.applied.as_mut().expect("set by the caller");
        apply(live.hm.as_mut().expect("in place between runs"), d)?;
        for &j in extra {
            if j < f.n_cols() && d.col[j] == NONE {
                add_var_col(live, d, f, j, f.cost(j))?;
            }
        }
        // The check prices every column anyway: the first answer goes to it unpriced (most
        // variants need no column beyond the working set and `extra`), and only a rejected one
        // is priced, completed and checked again.
        let start = Instant::now();
        let mut iterations = 0;
        for priced in [false, true] {
            let Some((x, row_duals, n)) = run_priced(live, d, f, &|j| f.cost(j), priced)? else { return Ok(None) };
            iterations += n;
            let raw = BackendResult { status: Status::Optimal, objective: f.objective(&x), x, row_duals, iterations, detail: None };
            let sol = Solution::from_backend(inst, f, raw, "highs", self.resolver.settings.check_tolerance, start.elapsed().as_secs_f64());
            if sol.status == Status::Optimal {
                return Ok(Some(sol));
            }
        }
        Ok(None)
    }
}

impl Drop for Variant<'_> {
    fn drop(&mut self) {
        let Some(d) = self.applied.take() else { return };
        let Some(live) = self.resolver.live.as_mut() else { return };
        let undone = undo(live, &d, &self.resolver.base);
        if undone.is_err() {
            // The live model is no longer the day: later variants are solved cold.
            self.resolver.live = None;
        }
    }
}

/// Presolve off (a re-solve starts from a basis), and, for the live model, no cost perturbation:
/// HiGHS perturbs the costs at the start of each dual simplex run, which on a degenerate day
/// turns the optimal basis dual infeasible (about 100 phase-one pivots on the MovieLens day where
/// one pivot would do).
fn hot_options(hm: &mut highs::Model, live: bool) -> Result<(), SolveError> {
    let refused = |opt: &str| SolveError::Backend { backend: "highs", reason: format!("HiGHS refused option {opt}") };
    hm.try_set_option("presolve", "off").map_err(|_| refused("presolve"))?;
    if live {
        hm.try_set_option("dual_simplex_cost_perturbation_multiplier", 0.0).map_err(|_| refused("dual_simplex_cost_perturbation_multiplier"))?;
    }
    Ok(())
}

/// The diff of the day to itself over the live columns `cols`: every row in place, HiGHS column
/// `k` the day's column `cols[k]`.
fn identity_diff(base: &Model, cols: &[usize]) -> Diff {
    let mut d = Diff { row: (0..base.n_rows()).collect(), col: vec![NONE; base.n_cols()], var: cols.to_vec(), ..Diff::default() };
    for (k, &j) in cols.iter().enumerate() {
        d.col[j] = k;
    }
    d
}

/// Edits the day's live model into the variant's.
fn apply(hm: &mut highs::Model, d: &Diff) -> Result<(), RawError> {
    for &(h, c) in &d.costs {
        highs_raw::change_col_cost(hm, h, c)?;
    }
    for &(h, lo, hi) in &d.col_bounds {
        highs_raw::change_col_bounds(hm, h, lo, hi)?;
    }
    for &(r, lo, hi) in &d.row_bounds {
        highs_raw::change_row_bounds(hm, r, lo, hi)?;
    }
    for &(r, h, v) in &d.coeffs {
        highs_raw::change_coeff(hm, r, h, v)?;
    }
    for row in &d.new_rows {
        highs_raw::add_row(hm, row.lower, row.upper, &row.entries)?;
    }
    Ok(())
}

/// Puts the day back: added rows and columns deleted, every changed value restored (all costs,
/// since a face nudges some), the day's basis set.
fn undo(live: &mut Live, d: &Diff, base: &Model) -> Result<(), RawError> {
    let hm = live.hm.as_mut().ok_or(RawError { call: "run", status: -1 })?;
    highs_raw::truncate_cols(hm, live.cols.len())?;
    highs_raw::truncate_rows(hm, base.n_rows())?;
    highs_raw::change_col_costs(hm, &live.costs)?;
    for &(k, _, _) in &d.col_bounds {
        let j = live.cols[k];
        highs_raw::change_col_bounds(hm, k, base.lower[j], base.upper[j])?;
    }
    for &(r, _, _) in &d.row_bounds {
        let (lo, hi) = row_bounds(&base.rows[r]);
        highs_raw::change_row_bounds(hm, r, lo, hi)?;
    }
    for &(r, k, _) in &d.coeffs {
        highs_raw::change_coeff(hm, r, k, base.matrix.get(r, live.cols[k]).copied().unwrap_or(0.0))?;
    }
    highs_raw::set_basis(hm, &live.basis)
}

/// Adds variant column `j` (of `cols`, at objective coefficient `cost`) to the live model.
fn add_var_col<C: Columns + ?Sized>(live: &mut Live, d: &mut Diff, cols: &C, j: usize, cost: f64) -> Result<(), RawError> {
    let mut entries = Vec::new();
    cols.for_each_entry(j, |r, a| entries.push((d.row[r], a)));
    highs_raw::add_col(live.hm.as_mut().expect("in place between runs"), -cost, cols.lower(j), cols.upper(j), &entries)?;
    d.col[j] = d.var.len();
    d.var.push(j);
    Ok(())
}

/// Gives every row of the variant a slack column at a cost of `BIG_M` times the largest
/// objective coefficient per unit, so that the working set always has a plan.
fn add_artificials<C: Columns + ?Sized>(live: &mut Live, d: &mut Diff, cols: &C) -> Result<(), RawError> {
    let cmax = (0..cols.n_cols()).map(|j| cols.cost(j).abs()).fold(1.0, f64::max);
    let hm = live.hm.as_mut().expect("in place between runs");
    for (r, meta) in cols.rows().iter().enumerate() {
        let a = match meta.sense {
            crate::ir::Sense::Ge => 1.0,
            crate::ir::Sense::Le => -1.0,
        };
        highs_raw::add_col(hm, BIG_M * cmax, 0.0, f64::INFINITY, &[(d.row[r], a)])?;
        d.var.push(NONE);
    }
    Ok(())
}

/// Runs the live model, then (when `price`) prices every column of `cols` outside it at the new
/// duals (objective coefficient `cost(j)`), adds those with a positive reduced cost and runs
/// again, until none has. Returns the plan and duals over `cols`' columns and rows (maximisation
/// convention) and the simplex iterations, or `None` when a run ends other than optimal.
#[allow(clippy::type_complexity)]
fn run_priced<C: Columns + ?Sized>(
    live: &mut Live,
    d: &mut Diff,
    cols: &C,
    cost: &dyn Fn(usize) -> f64,
    price: bool,
) -> Result<Option<(Vec<f64>, Vec<f64>, u64)>, RawError> {
    let mut iterations = 0;
    let mut artificial = false;
    for _ in 0..MAX_ROUNDS {
        // Artificials in use are driven out by pricing only.
        let price = price || artificial;
        let solved = live.hm.take().expect("in place between runs").try_solve().map_err(|_| RawError { call: "run", status: -1 })?;
        let status = map_status(solved.status());
        iterations += solved.simplex_iteration_count().max(0) as u64;
        let (xh, yh) = {
            let s = solved.get_solution();
            (s.columns().to_vec(), s.dual_rows().to_vec())
        };
        live.hm = Some(highs::Model::from(solved));
        if status == Status::Infeasible && !artificial {
            // The working set may lack what a changed floor needs: every row gets a big-M slack,
            // and pricing at the duals that result pulls in the columns that serve it.
            add_artificials(live, d, cols)?;
            artificial = true;
            continue;
        }
        if status != Status::Optimal {
            return Ok(None);
        }
        let y: Vec<f64> = d.row.iter().map(|&r| -yh[r]).collect();
        let mut enter = Vec::new();
        let outside = if price { 0..cols.n_cols() } else { 0..0 };
        let duals = cols.duals(&y);
        cols.visit(outside.filter(|&j| d.col[j] == NONE), |j| {
            let c = cost(j);
            if c - cols.dual_terms(j, &duals).0 > 1e-9 * c.abs().max(1.0) {
                enter.push(j);
            }
        });
        if enter.is_empty() {
            // An artificial still in use: the variant may be infeasible (the caller solves it cold).
            if (0..d.var.len()).any(|h| d.var[h] == NONE && h >= live.cols.len() && xh[h] > 0.0) {
                return Ok(None);
            }
            let x = d.col.iter().map(|&h| if h == NONE { 0.0 } else { xh[h] }).collect();
            return Ok(Some((x, y, iterations)));
        }
        for j in enter {
            add_var_col(live, d, cols, j, cost(j))?;
        }
    }
    Ok(None)
}

/// The face on the live model (whose columns `d` maps to `cols`'): `w`'s columns nudged by
/// `mu` per unit towards (`Most`) or against (`Least`) the function, solved from the current
/// basis with pricing, the nudge then taken back. `Ok(None)`: a run did not end optimal.
fn hot_face<C: Columns + ?Sized>(live: &mut Live, d: &mut Diff, cols: &C, mu: f64, w: &[(usize, f64)], end: FaceEnd) -> Result<Option<f64>, RawError> {
    let sign = match end {
        FaceEnd::Most => 1.0,
        FaceEnd::Least => -1.0,
    };
    let mut nudge: HashMap<usize, f64> = HashMap::with_capacity(w.len());
    for &(j, v) in w {
        *nudge.entry(j).or_insert(0.0) += sign * mu * v;
    }
    let cost = |j: usize| cols.cost(j) + nudge.get(&j).copied().unwrap_or(0.0);
    for &(j, _) in w {
        if d.col[j] == NONE {
            add_var_col(live, d, cols, j, cost(j))?;
        } else {
            highs_raw::change_col_cost(live.hm.as_mut().expect("in place"), d.col[j], -cost(j))?;
        }
    }
    let solved = run_priced(live, d, cols, &cost, true)?;
    for &(j, _) in w {
        highs_raw::change_col_cost(live.hm.as_mut().expect("in place"), d.col[j], -cols.cost(j))?;
    }
    Ok(solved.map(|(x, _, _)| w.iter().map(|&(j, v)| v * x[j]).sum()))
}
