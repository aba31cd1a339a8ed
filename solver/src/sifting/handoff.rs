//! When sifting cannot answer alone: a limit, a floor no working set serves (a day's phase one
//! over generated columns, or HiGHS on the whole model, decides), or trouble in a restricted
//! problem (the whole model goes to the exact backend).

use super::SiftStats;
use crate::backends::BackendResult;
use crate::ir::{Columns, Model};
use crate::settings::ValidSettings;
use crate::status::{SolveError, Status};

/// Why sifting hands a model on.
pub(crate) enum Delegated {
    /// An artificial stayed positive at the largest cost: most likely no plan serves the floors.
    Unserved,
    /// A restricted problem ended without an answer: this one.
    Trouble(String),
}

impl std::fmt::Display for Delegated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delegated::Unserved => f.write_str("a floor stayed unserved at the largest artificial cost"),
            Delegated::Trouble(why) => f.write_str(why),
        }
    }
}

/// An answer without a plan: a limit ended sifting, or a phase one proved that none exists.
pub(super) fn no_plan<C: Columns + ?Sized>(model: &C, status: Status, detail: String, stats: &SiftStats) -> BackendResult {
    BackendResult {
        status,
        x: vec![0.0; model.n_cols()],
        row_duals: vec![0.0; model.n_rows()],
        objective: 0.0,
        iterations: stats.restricted_iterations,
        detail: Some(detail),
    }
}

/// `Some(infeasible result)` when HiGHS proves that no plan satisfies `model`'s rows (its linear
/// part solved as a whole); `None` when one does or HiGHS cannot say.
pub(super) fn infeasible_rows(model: &Model, settings: &ValidSettings, why: &str) -> Result<Option<BackendResult>, SolveError> {
    use crate::backends::highs::{load_linear, map_status};
    let solved = load_linear(model, settings)?
        .try_solve()
        .map_err(|s| SolveError::Backend { backend: crate::first_order::NAME, reason: format!("HiGHS run failed: {s:?}") })?;
    if map_status(solved.status()) != Status::Infeasible {
        return Ok(None);
    }
    let iterations = solved.simplex_iteration_count().max(0) as u64;
    Ok(Some(BackendResult {
        status: Status::Infeasible,
        x: vec![0.0; model.n_cols()],
        row_duals: vec![0.0; model.n_rows()],
        objective: 0.0,
        iterations,
        detail: Some(format!("{why}; HiGHS proved that no plan satisfies the rows (the linear part, solved as a whole)")),
    }))
}

/// Hands the whole model to the exact backend `auto` would pick by class (HiGHS for LPs,
/// Clarabel for QPs) when sifting cannot settle it.
pub(super) fn full_model(model: &Model, settings: &ValidSettings, stats: SiftStats, why: &str) -> Result<(BackendResult, SiftStats), SolveError> {
    let backend = crate::exact_backend(crate::BackendChoice::Auto.resolve(model.is_qp()));
    let mut result = backend.solve(model, settings)?;
    result.detail = Some(format!("{why}; solved as a whole by {}{}", backend.name(), result.detail.map(|d| format!(" ({d})")).unwrap_or_default()));
    Ok((result, stats))
}
