//! The whole-model backends and the interface every backend implements: a [`Model`] in, primal
//! values and row duals out.
//!
//! - [`highs`]: HiGHS (simplex, hot-started re-solves, exact vertex duals);
//! - [`highs_raw`]: the one unsafe module, HiGHS' C API for what the safe `highs` crate lacks;
//! - [`clarabel`]: Clarabel (interior point, QPs and LPs, on a scaled copy).

pub mod clarabel;
pub mod highs;
#[allow(unsafe_code)]
pub mod highs_raw;

use crate::ir::Model;
use crate::settings::ValidSettings;
use crate::status::{SolveError, Status};

/// A backend's answer, in the model's own terms.
#[derive(Debug, Clone)]
pub struct BackendResult {
    /// How the backend's solve ended.
    pub status: Status,
    /// Values of every column (edges, then slacks). Meaningful only when `status` is optimal.
    pub x: Vec<f64>,
    /// Per row, d(maximised objective) / d(rhs): `>= 0` for `<=` rows, `<= 0` for `>=` rows
    /// (up to the backend's tolerances).
    pub row_duals: Vec<f64>,
    /// The objective the backend reports (maximisation sense).
    pub objective: f64,
    /// Iterations of the backend's main method.
    pub iterations: u64,
    /// What the backend said, verbatim, when it did not end optimal (or ended "almost").
    pub detail: Option<String>,
}

/// A solver for the model IR.
pub trait Backend {
    /// The name reported in solutions and summaries.
    fn name(&self) -> &'static str;
    /// Solves `model`. A solve that ends without an optimum is `Ok` with that status.
    fn solve(&self, model: &Model, settings: &ValidSettings) -> Result<BackendResult, SolveError>;
}

/// The result for a model without columns: nothing to decide, every dual is 0.
pub(crate) fn empty_result(model: &Model) -> BackendResult {
    BackendResult { status: Status::Optimal, x: Vec::new(), row_duals: vec![0.0; model.n_rows()], objective: 0.0, iterations: 0, detail: None }
}
