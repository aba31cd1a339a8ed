//! # agora-solver
//!
//! The optimisation layer of agora: the model IR ([`Model`], rows with their [`RowMeta`]), the
//! formulation of spec section 3 ([`formulate`]), backends ([`Highs`]), the independent
//! [`Certificate`] every answer must pass, and shadow prices computed one way for every row.
//!
//! ```no_run
//! use agora_solver::{solve, Settings};
//! let day = agora_instances::load("instances/example-day.json").unwrap().instance;
//! let sol = solve(&day, &Settings::default()).unwrap();
//! println!("{} {}", sol.status, sol.objective);
//! for row in sol.rows.iter().filter(|r| r.dual != 0.0) {
//!     println!("{}: {} per unit of {}", row.name, row.shadow_price, row.parameter.0);
//! }
//! ```

#![warn(missing_docs)]

pub mod backends;
mod certificate;
pub mod diagnose;
pub mod distributed;
mod face;
pub mod first_order;
mod formulate;
pub mod frontier;
pub mod hot;
mod ir;
pub mod kkt;
pub mod memory;
pub mod observe;
pub mod pacing;
pub mod pdhg;
mod settings;
mod shadow;
pub mod sifting;
mod solution;
mod status;
mod wire;

use std::time::Instant;

use agora_instances::Instance;

pub use backends::clarabel::Clarabel;
pub use backends::highs::{solve_with_method as highs_with_method, Highs};
pub use backends::{Backend, BackendResult};
pub use certificate::{certify, Certificate};
pub use diagnose::{conflict_of, diagnose, diagnose_in_place, DiagnoseSettings, Diagnosis, DIAGNOSIS_SCHEMA};
pub use face::{face_price, nudged_extreme, optimal_face_extreme, FaceEnd};
pub use first_order::{FirstOrder, WarmStart};
pub use formulate::{edge_value, formulate, Formulation};
pub use hot::{Resolver, Variant};
pub use ir::{Columns, Duals, Matrix, Model, ParamVec, ParamVecIter, RowKind, RowMeta, Sense, SparseVec};
pub use observe::{Observer, Silent, StderrLog};
pub use settings::{
    available_parallelism, predicted_support, BackendChoice, FirstOrderMethod, Settings, ToValid, ValidSettings, AUTO_CLARABEL_QP_EDGES, AUTO_HIGHS_LP_EDGES,
    AUTO_SIFTING_EDGES, AUTO_SIFTING_QP_SUPPORT,
};
pub use shadow::shadow_price;
pub use sifting::WarmBasis;
pub use solution::{edge_terms, terms, ConstraintEntry, PacingEntry, PlanEntry, RowReport, Solution, SolutionFile, Terms, SOLUTION_SCHEMA};
pub use status::{SolveError, Status};

/// Formulates and solves a day with the backend `settings` choose. The matrix is stored only
/// when the backend reads it whole: sifting generates the columns it prices ([`Formulation`]).
pub fn solve(inst: &Instance, settings: &(impl ToValid + ?Sized)) -> Result<Solution, SolveError> {
    let settings = settings.to_valid()?;
    solve_model(inst, &Formulation::new(inst), settings.as_ref())
}

/// Solves a formulated model of `inst`: the [`Model`] IR, or a [`Formulation`] whose matrix is
/// materialised only if the path taken needs it whole.
pub fn solve_model<C: Columns + ?Sized>(inst: &Instance, model: &C, settings: &(impl ToValid + ?Sized)) -> Result<Solution, SolveError> {
    let settings = settings.to_valid()?;
    let choice = settings.backend.resolve_for(model);
    let first = match choice {
        BackendChoice::FirstOrder => solve_model_warm(inst, model, &first_order_settings(&settings), None)?,
        exact => {
            let backend = exact_backend(exact);
            let whole = model.model();
            let run = |s: &ValidSettings| -> Result<Solution, SolveError> {
                let start = Instant::now();
                let raw = backend.solve(&whole, s)?;
                let seconds = start.elapsed().as_secs_f64();
                Ok(Solution::from_backend(inst, &*whole, raw, backend.name(), settings.check_tolerance, seconds))
            };
            let sol = run(&settings)?;
            // Clarabel's residuals are measured on its own scaling, agora's check on the model's
            // rows: on about one realish day in a few hundred (solver/tests/realish.rs, seed
            // 46678 at rho 50) its "solved" plan leaves a share row 2-5e-6 over at a check of
            // 1e-6. Asked once more for 100 times tighter tolerances, it answers within the check.
            // A certificate is made only for an answer the backend called optimal: with
            // numerical_error, the check rejected it.
            let rejected = sol.status == Status::NumericalError && sol.certificate.is_some();
            if exact == BackendChoice::Clarabel && rejected {
                let again = run(&settings.tightened(CLARABEL_TIGHTER))?;
                if again.status == Status::Optimal {
                    let why = sol.message.unwrap_or_default();
                    return Ok(Solution { message: Some(format!("answered by Clarabel at {CLARABEL_TIGHTER}x tighter tolerances after: {why}")), ..again });
                }
            }
            sol
        }
    };
    if settings.backend == BackendChoice::Clarabel && first.status == Status::NumericalError {
        return Ok(Solution { message: Some(format!("{}; {CLARABEL_INSTEAD}", first.message.unwrap_or_default())), ..first });
    }
    if settings.backend != BackendChoice::Auto || first.status != Status::NumericalError {
        return Ok(first);
    }
    auto_fallback(inst, model, &settings, choice, first)
}

/// How much tighter Clarabel's tolerances are on its second run, after its answer failed the check.
const CLARABEL_TIGHTER: f64 = 100.0;

/// What a `numerical_error` of Clarabel chosen explicitly adds to its message: what to use instead
/// (docs/backends.md, "Clarabel").
const CLARABEL_INSTEAD: &str = "Clarabel gave no answer agora can trust; solve this day with --backend first-order (sifting: exact, \
     LP and QP; or --method pdhg), --backend auto (which falls back to both) or, for an LP, --backend highs";

/// `auto` is robust by construction: when its first path ends `numerical_error` (an answer its
/// check rejects, or a backend that does not converge), it tries the first-order backend's
/// sifting (exact; skipped when that was the first path), then PDHG certified at 1e-6 and made
/// exact by [`polish`] where that succeeds, and says in `message` which path answered
/// (docs/backends.md, "auto"). A choice other than `auto` is reported as it ended.
fn auto_fallback<C: Columns + ?Sized>(
    inst: &Instance,
    model: &C,
    settings: &ValidSettings,
    first_choice: BackendChoice,
    first: Solution,
) -> Result<Solution, SolveError> {
    let mut tried = vec![format!("{} ended numerical_error ({})", first.backend, first.message.clone().unwrap_or_default())];
    let answered = |tried: &[String], name: &str, sol: Solution| {
        let said = sol.message.clone().unwrap_or_default();
        Solution { message: Some(format!("auto: {}; answered by {name}: {said}", tried.join("; "))), ..sol }
    };
    if first_choice != BackendChoice::FirstOrder {
        let name = "the first-order backend's sifting";
        let sol = solve_model_warm(inst, model, &settings.with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Sifting), None)?;
        if sol.status == Status::Optimal {
            return Ok(answered(&tried, name, sol));
        }
        tried.push(format!("{name} ended {} ({})", sol.status, sol.message.unwrap_or_default()));
    }
    let name = "PDHG certified at 1e-6";
    let sol = solve_model_warm(inst, model, &pdhg_fallback(settings)?, None)?;
    if sol.status != Status::Optimal {
        tried.push(format!("{name} ended {} ({})", sol.status, sol.message.unwrap_or_default()));
        return Ok(Solution { message: Some(format!("auto: {}", tried.join("; "))), ..first });
    }
    // PDHG answers to its tolerance: polish it when that can be done exactly.
    let polished = polish(inst, model, settings, &sol)?;
    if polished.status == Status::Optimal {
        let how = polished.message.clone().unwrap_or_default();
        let message = format!("auto: {}; answered by {name}, then polished ({how})", tried.join("; "));
        return Ok(Solution { message: Some(message), ..polished });
    }
    tried.push(format!("the polish of {name}'s answer ended {} ({})", polished.status, polished.message.unwrap_or_default()));
    Ok(answered(&tried, name, sol))
}

/// The settings of `auto`'s last resort: PDHG certified at 1e-6 (one process or many).
pub(crate) fn pdhg_fallback(settings: &ValidSettings) -> Result<ValidSettings, SolveError> {
    let pdhg = settings.with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Pdhg);
    Ok(Settings { first_order_tolerance: 1e-6, ..pdhg.settings().clone() }.validated()?.observed_by_like(settings))
}

/// Polishes an approximate answer (PDHG's, accurate to its tolerance) into an exact one.
///
/// A QP first gets [`kkt::polish`]: its active set fixed, the KKT system on it solved exactly (an
/// `LDL^T` factorisation and iterative refinement); the result must pass agora's check at
/// `check_tolerance`. Otherwise (and for every LP), sifting warm-started from the answer: its
/// first working set is the answer's support and its first prices the answer's duals. For an LP
/// the restricted problems are HiGHS' simplex on that support, so the result is a vertex with
/// exact duals; for a QP they are Clarabel's. The result says how it ended: a status other than
/// `optimal` means the polish failed and `approx` stands.
pub fn polish<C: Columns + ?Sized>(inst: &Instance, model: &C, settings: &ValidSettings, approx: &Solution) -> Result<Solution, SolveError> {
    if let Some(sol) = polish_kkt(inst, model, settings, approx) {
        return Ok(Solution { message: Some("the KKT system solved exactly on the answer's active set".into()), ..sol });
    }
    let y: Vec<f64> = approx.rows.iter().map(|r| r.dual).collect();
    let warm = WarmStart { x: Some(columns_of(model, approx)), y: (y.len() == model.n_rows()).then_some(y), basis: None };
    solve_model_warm(inst, model, &settings.with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Sifting), Some(&warm))
}

/// Every column's value in a solution: its impressions, then each soft row's violation in its
/// slack column.
fn columns_of<C: Columns + ?Sized>(model: &C, sol: &Solution) -> Vec<f64> {
    let mut x = sol.impressions.clone();
    x.resize(model.n_cols(), 0.0);
    for (meta, row) in model.rows().iter().zip(&sol.rows) {
        if let Some(c) = meta.slack {
            x[c] = row.violation;
        }
    }
    x
}

/// [`kkt::polish`] of a QP answer, kept when agora's check passes it at `check_tolerance`.
fn polish_kkt<C: Columns + ?Sized>(inst: &Instance, model: &C, settings: &ValidSettings, approx: &Solution) -> Option<Solution> {
    if !model.is_qp() || approx.rows.len() != model.n_rows() {
        return None;
    }
    let x = columns_of(model, approx);
    let y: Vec<f64> = approx.rows.iter().map(|r| r.dual).collect();
    let start = Instant::now();
    let raw = kkt::polish(model, &x, &y)?;
    let sol = Solution::from_backend(inst, model, raw, approx.backend, settings.check_tolerance, start.elapsed().as_secs_f64());
    (sol.status == Status::Optimal).then_some(sol)
}

/// The settings the first-order backend runs with: when `auto` chose it (for the day's size) it
/// sifts, whatever method the settings name.
pub(crate) fn first_order_settings(settings: &ValidSettings) -> ValidSettings {
    match settings.backend {
        BackendChoice::Auto => settings.with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Sifting),
        _ => settings.clone(),
    }
}

/// The whole-model backend for a resolved choice other than the first-order backend.
pub(crate) fn exact_backend(choice: BackendChoice) -> Box<dyn Backend> {
    match choice {
        BackendChoice::Clarabel => Box::new(Clarabel),
        _ => Box::new(Highs),
    }
}

/// Solves with the first-order backend from a warm start (an earlier plan and duals); the
/// answer is checked at `first_order_tolerance`, the accuracy it was certified to (sifting's,
/// exact, at `check_tolerance`).
pub fn solve_model_warm<C: Columns + ?Sized>(
    inst: &Instance,
    model: &C,
    settings: &(impl ToValid + ?Sized),
    warm: Option<&WarmStart>,
) -> Result<Solution, SolveError> {
    solve_model_warm_kept(inst, model, settings, warm).map(|(sol, _)| sol)
}

/// [`solve_model_warm`], also returning sifting's final restricted basis when it ended optimal
/// on an LP: set as the next [`WarmStart::basis`] (with this answer's plan and duals), a
/// neighbouring day's run starts a few pivots from this optimum (a frontier's next point).
pub fn solve_model_warm_kept<C: Columns + ?Sized>(
    inst: &Instance,
    model: &C,
    settings: &(impl ToValid + ?Sized),
    warm: Option<&WarmStart>,
) -> Result<(Solution, Option<WarmBasis>), SolveError> {
    let settings = settings.to_valid()?;
    let start = Instant::now();
    // The answer is checked below (Solution::from_backend), once.
    let out = first_order::run_with(model, settings.as_ref(), warm, first_order::Certify::ByCaller)?;
    let basis = out.basis;
    let seconds = start.elapsed().as_secs_f64();
    // Sifting's answers are exact vertex solutions, checked like the exact backends'.
    let tol = match out.method {
        FirstOrderMethod::Sifting => settings.check_tolerance,
        _ => settings.first_order_tolerance.max(settings.check_tolerance),
    };
    let sol = Solution::from_backend(inst, model, out.result, FirstOrder.name(), tol, seconds);
    // Sifting's last restricted QP is an interior point's answer: the KKT system on its active
    // set makes it exact, when the polished answer passes the check.
    if out.method == FirstOrderMethod::Sifting && model.is_qp() && sol.status == Status::Optimal {
        if let Some(p) = polish_kkt(inst, model, &settings, &sol) {
            let said = sol.message.clone().unwrap_or_default();
            // The work was sifting's: its iterations and time, plus the polish's time.
            let message = Some(format!("{said}; polished: the KKT system solved exactly on its active set"));
            return Ok((Solution { message, iterations: sol.iterations, solve_seconds: seconds + p.solve_seconds, ..p }, None));
        }
    }
    let basis = basis.filter(|_| sol.status == Status::Optimal);
    Ok((sol, basis))
}
