//! When the first-order method stops, and why: termination reasons are data.

use crate::status::Status;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationReason {
    /// The certificate on the unscaled model passed at the requested tolerance.
    Converged,
    /// The iteration limit was reached first.
    IterationLimit,
    /// The time limit was reached first.
    TimeLimit,
    /// An iterate became non-finite.
    NumericalError,
    /// The model has no edge column (only soft rows' slacks): solved exactly by HiGHS; the
    /// result's status says how it ended.
    NoEdges,
    /// Sifting handed the model to HiGHS whole (a floor no working set could serve, or a
    /// restricted LP HiGHS could not settle): the result's status says how it ended.
    Delegated,
    /// The observer asked to stop ([`crate::Observer::interrupted`]); the caller turns this into
    /// [`crate::SolveError::Interrupted`], so no status is ever reported for it.
    Interrupted,
}

impl TerminationReason {
    /// The spec status this reason reports.
    pub fn status(self) -> Status {
        match self {
            TerminationReason::Converged => Status::Optimal,
            TerminationReason::IterationLimit => Status::IterationLimit,
            TerminationReason::TimeLimit => Status::TimeLimit,
            // `NoEdges` and `Delegated` have no status of its own (the result carries HiGHS'); never `optimal` here.
            TerminationReason::NumericalError | TerminationReason::NoEdges | TerminationReason::Delegated | TerminationReason::Interrupted => {
                Status::NumericalError
            }
        }
    }
}

/// The residuals of one primal-dual pair on the unscaled model, with the definitions of
/// [`crate::certify`]: worst relative row violation, worst dual infeasibility, and the relative
/// gap between the Lagrangian bound at the duals and the objective at the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Residuals {
    /// Worst relative row violation.
    pub primal: f64,
    /// Worst relative dual infeasibility.
    pub dual: f64,
    /// Relative gap between the Lagrangian bound and the objective at the plan.
    pub gap: f64,
    /// Objective at the plan (penalties included).
    pub objective: f64,
    /// The Lagrangian (dual) bound.
    pub bound: f64,
    /// The l2 norm of the dualised rows' relative violations (for logs).
    pub primal_l2: f64,
}

impl Residuals {
    /// All three within `tol`.
    pub fn passes(&self, tol: f64) -> bool {
        self.primal <= tol && self.dual <= tol && self.gap.abs() <= tol
    }
    /// One number for restart decisions: the norm of the three.
    pub fn kkt(&self) -> f64 {
        (self.primal * self.primal + self.dual * self.dual + self.gap * self.gap).sqrt()
    }
}

/// Restart policy of restarted PDHG (the constants of cuPDLP / PDLP's adaptive restarts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartPolicy {
    /// Iterations between evaluations of the residuals (restart and termination checks).
    pub check_every: u64,
    /// Restart when the candidate's KKT error fell below this fraction of the last restart's.
    pub sufficient: f64,
    /// ... or below this fraction and it grew since the previous check.
    pub necessary: f64,
    /// ... or when the current restart period is this fraction of all iterations.
    pub artificial: f64,
    /// Smoothing of the primal weight update (0: never move, 1: jump).
    pub weight_smoothing: f64,
    /// Reflected Halpern iteration with this reflection in [0, 1] (restarted Halpern PDHG, Lu and
    /// Yang 2024); `None`: plain PDHG restarted to the average. Measured on generated small LP
    /// days (seeds 1-3, iterations to 1e-4): average 6080 / 39552 / 7360, Halpern 0: 9920 /
    /// 29952 / 9600, 0.5: 6528 / 26368 / 6080, 1: 3904 / 20416 / 4608.
    pub reflection: Option<f64>,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy { check_every: 64, sufficient: 0.2, necessary: 0.8, artificial: 0.36, weight_smoothing: 0.5, reflection: Some(1.0) }
    }
}

/// The iteration cap when the settings give none.
pub const DEFAULT_ITERATION_LIMIT: u64 = 1_000_000;
