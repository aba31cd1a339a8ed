//! The HiGHS backend: builds HiGHS' model from the IR's sparse columns directly.

use highs::{ColProblem, HessianFormat, HighsModelStatus, Sense as HSense};

use crate::backends::{empty_result, Backend, BackendResult};
use crate::ir::{Columns, Model, RowMeta, Sense};
use crate::settings::{ToValid, ValidSettings};
use crate::status::{SolveError, Status};

/// Dual simplex for LPs (vertex solutions, exact duals), HiGHS' QP solver for QPs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Highs;

const NAME: &str = "highs";

fn backend_error(reason: impl Into<String>) -> SolveError {
    SolveError::Backend { backend: NAME, reason: reason.into() }
}

/// Row `r`'s bounds as HiGHS takes them, `(lower, upper)`, infinite where it has none.
pub(crate) fn row_bounds(r: &RowMeta) -> (f64, f64) {
    match r.sense {
        Sense::Le => (f64::NEG_INFINITY, r.rhs),
        Sense::Ge => (r.rhs, f64::INFINITY),
    }
}

/// Every row of `rows`, in order, as rows of `pb`.
pub(crate) fn add_rows(pb: &mut ColProblem, rows: &[RowMeta]) -> Vec<highs::Row> {
    rows.iter()
        .map(|r| {
            let (lower, upper) = row_bounds(r);
            pb.add_row(lower..=upper)
        })
        .collect()
}

/// Column `j` of `model` into `pb`, its cost negated (HiGHS minimises `-objective`); `rows` from
/// [`add_rows`]. An infinite upper bound is HiGHS' "none".
pub(crate) fn add_column(pb: &mut ColProblem, model: &Model, rows: &[highs::Row], j: usize) {
    let (cost, bounds, factors) = column(model, rows, j);
    pb.add_column(cost, bounds, factors);
}

/// Column `j` of `model` as HiGHS takes it: negated cost, bounds, `(row, coefficient)` entries.
pub(crate) fn column<'a>(
    model: &'a Model,
    rows: &'a [highs::Row],
    j: usize,
) -> (f64, std::ops::RangeInclusive<f64>, impl Iterator<Item = (highs::Row, f64)> + 'a) {
    let col = model.matrix.outer_view(j).expect("column exists");
    let factors = col.into_raw_storage();
    let entries = factors.0.iter().zip(factors.1).map(move |(&r, &a)| (rows[r as usize], a));
    (-model.cost[j], model.lower[j]..=model.upper[j], entries)
}

/// Loads `model` into a new HiGHS instance, minimising `-objective` (HiGHS' QP solver wants a
/// positive semidefinite Hessian under minimisation).
pub(crate) fn load(model: &Model, settings: &ValidSettings) -> Result<highs::Model, SolveError> {
    let mut hm = load_linear(model, settings)?;
    if model.is_qp() {
        let hessian = model.quad.iter().enumerate().map(|(j, &q)| if q != 0.0 { vec![(j, q)] } else { vec![] });
        hm.try_pass_hessian(HessianFormat::Triangular, hessian).map_err(|e| backend_error(format!("HiGHS rejected the Hessian: {e}")))?;
        // HiGHS adds 1e-7 to the Hessian's diagonal by default, which moves the optimum by
        // 1e-7 / q relatively; agora's diagonal is rho / supply (often 1e-4 or less), so that
        // bias would reach the plan's fourth digit.
        hm.try_set_option("qp_regularization_value", 0.0).map_err(|_| backend_error("HiGHS refused option qp_regularization_value"))?;
    }
    Ok(hm)
}

/// [`load`] without the quadratic term: a QP's linear part (what decides whether any plan
/// exists: its rows are the QP's).
pub(crate) fn load_linear(model: &Model, settings: &ValidSettings) -> Result<highs::Model, SolveError> {
    let mut pb = ColProblem::new();
    let rows = add_rows(&mut pb, &model.rows);
    for j in 0..model.n_cols() {
        add_column(&mut pb, model, &rows, j);
    }
    let mut hm = highs::Model::try_new(pb).map_err(|s| backend_error(format!("HiGHS rejected the model: {s:?}")))?;
    hm.set_sense(HSense::Minimise);
    apply_settings(&mut hm, settings)?;
    Ok(hm)
}

pub(crate) fn apply_settings(hm: &mut highs::Model, s: &ValidSettings) -> Result<(), SolveError> {
    let set_err = |opt: &str| backend_error(format!("HiGHS refused option {opt}"));
    hm.try_set_option("threads", s.threads as i32).map_err(|_| set_err("threads"))?;
    // HiGHS drops matrix entries below 1e-9 by default; the formulation already dropped those
    // below 1e-12, and the check must judge the model HiGHS solved.
    hm.try_set_option("small_matrix_value", 1e-12).map_err(|_| set_err("small_matrix_value"))?;
    hm.try_set_option("primal_feasibility_tolerance", s.primal_tolerance).map_err(|_| set_err("primal_feasibility_tolerance"))?;
    hm.try_set_option("dual_feasibility_tolerance", s.dual_tolerance).map_err(|_| set_err("dual_feasibility_tolerance"))?;
    if let Some(t) = s.time_limit {
        hm.try_set_option("time_limit", t).map_err(|_| set_err("time_limit"))?;
    }
    if let Some(n) = s.iteration_limit {
        let n = n.min(i32::MAX as u64) as i32;
        for opt in ["simplex_iteration_limit", "ipm_iteration_limit", "qp_iteration_limit"] {
            hm.try_set_option(opt, n).map_err(|_| set_err(opt))?;
        }
    }
    if s.verbose {
        hm.try_set_option("output_flag", true).map_err(|_| set_err("output_flag"))?;
        hm.try_set_option("log_to_console", true).map_err(|_| set_err("log_to_console"))?;
    }
    Ok(())
}

/// Maps HiGHS' model status to the spec's. The spec model is never unbounded (every edge sits in
/// its segment's supply row, slacks cost their penalty), so HiGHS' "unbounded or infeasible"
/// means infeasible; the verbatim status is kept in the result's `detail`.
pub(crate) fn map_status(s: HighsModelStatus) -> Status {
    match s {
        HighsModelStatus::Optimal | HighsModelStatus::ModelEmpty => Status::Optimal,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => Status::Infeasible,
        HighsModelStatus::Unbounded => Status::Unbounded,
        HighsModelStatus::ReachedTimeLimit => Status::TimeLimit,
        HighsModelStatus::ReachedIterationLimit => Status::IterationLimit,
        _ => Status::NumericalError,
    }
}

/// Reads the answer out of a solved HiGHS model, converting back to maximisation.
pub(crate) fn extract(solved: &highs::SolvedModel, model: &Model) -> BackendResult {
    let hs = solved.status();
    let status = map_status(hs);
    let sol = solved.get_solution();
    let iterations = [solved.simplex_iteration_count(), solved.ipm_iteration_count(), solved.qp_iteration_count()].into_iter().map(|n| n.max(0) as u64).sum();
    // HiGHS minimised -f: its row dual is d(-f)/d(rhs).
    let row_duals = sol.dual_rows().iter().map(|&d| -d).collect();
    let x = sol.columns().to_vec();
    let objective = model.objective(&x);
    let detail = (hs != HighsModelStatus::Optimal).then(|| format!("HiGHS model status {hs:?}"));
    BackendResult { status, x, row_duals, objective, iterations, detail }
}

/// Solves `model` with HiGHS' method `method` (its option `solver`: `"simplex"`, `"ipm"`,
/// `"pdlp"`, ...) and extra options (values written as text: integers, reals, `true`/`false`,
/// or strings), for benchmarks against the first-order backend. The `highs` backend itself is
/// unchanged by this.
pub fn solve_with_method(model: &Model, settings: &(impl ToValid + ?Sized), method: &str, options: &[(&str, &str)]) -> Result<BackendResult, SolveError> {
    let settings = settings.to_valid()?;
    let mut hm = load(model, &settings)?;
    hm.try_set_option("solver", method).map_err(|_| backend_error(format!("HiGHS refused solver = {method}")))?;
    for &(opt, v) in options {
        let ok = if let Ok(i) = v.parse::<i32>() {
            hm.try_set_option(opt, i).is_ok()
        } else if let Ok(x) = v.parse::<f64>() {
            hm.try_set_option(opt, x).is_ok()
        } else if let Ok(b) = v.parse::<bool>() {
            hm.try_set_option(opt, b).is_ok()
        } else {
            hm.try_set_option(opt, v).is_ok()
        };
        if !ok {
            return Err(backend_error(format!("HiGHS refused option {opt} = {v}")));
        }
    }
    let solved = hm.try_solve().map_err(|s| backend_error(format!("HiGHS run failed: {s:?}")))?;
    Ok(extract(&solved, model))
}

impl Backend for Highs {
    fn name(&self) -> &'static str {
        NAME
    }

    fn solve(&self, model: &Model, settings: &ValidSettings) -> Result<BackendResult, SolveError> {
        if model.n_cols() == 0 {
            return Ok(empty_result(model));
        }
        // HiGHS sometimes ends with status Unknown near a feasibility boundary (4 of 800 points
        // of an ad-load sweep of the generated small day). Those days solve when presolve is off,
        // or with the interior point and crossover, so an inconclusive run is retried so; a limit
        // reached is a status, not retried.
        let mut tried = Vec::new();
        let mut last = None;
        for retry in RETRIES.iter().filter(|r| !(r.lp_only && model.is_qp())) {
            let mut hm = load(model, settings)?;
            for &(opt, value) in retry.options {
                hm.try_set_option(opt, value).map_err(|_| backend_error(format!("HiGHS refused option {opt}")))?;
            }
            // A run that fails outright (HiGHS status Error: seen on a nudged tiny QP day, seed
            // 57235) is inconclusive too.
            let solved = match hm.try_solve() {
                Ok(solved) => solved,
                Err(st) => {
                    tried.push(format!("{}: HiGHS run failed ({st:?})", retry.name));
                    continue;
                }
            };
            let mut result = extract(&solved, model);
            if result.status != Status::NumericalError {
                if !tried.is_empty() {
                    result.detail = Some(format!("solved with {} after {}", retry.name, tried.join("; ")));
                }
                return Ok(result);
            }
            tried.push(format!("{}: {}", retry.name, result.detail.as_deref().unwrap_or("no status")));
            last = Some(result);
        }
        let why = format!("HiGHS was inconclusive every way it was run ({})", tried.join("; "));
        // A solver that fails is an outcome (status `numerical_error`), not an error of the input.
        let mut result = last.unwrap_or_else(|| BackendResult {
            status: Status::NumericalError,
            x: vec![0.0; model.n_cols()],
            row_duals: vec![0.0; model.n_rows()],
            objective: 0.0,
            iterations: 0,
            detail: None,
        });
        result.detail = Some(why);
        Ok(result)
    }
}

/// One way of running HiGHS.
struct Retry {
    name: &'static str,
    options: &'static [(&'static str, &'static str)],
    lp_only: bool,
}

/// The default run first, then the fallbacks for an inconclusive one. The default run skips
/// HiGHS' presolve: on every LP day of the auto table (benches/RESULTS.md, "auto") the simplex
/// answered faster without it (1.2-2.1x: 0.114 s against 0.239 s on the MovieLens day, 3.1 s
/// against 3.9 s on the medium day), and agora's formulation has already dropped empty rows
/// and zero entries.
const RETRIES: [Retry; 3] = [
    Retry { name: "the default run (presolve off)", options: &[("presolve", "off")], lp_only: false },
    Retry { name: "presolve on", options: &[("presolve", "on")], lp_only: false },
    Retry { name: "interior point with crossover", options: &[("presolve", "off"), ("solver", "ipm"), ("run_crossover", "on")], lp_only: true },
];
