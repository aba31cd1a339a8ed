//! Solve outcomes (statuses are data) and errors (something prevented solving).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The spec's statuses. Only [`Status::Optimal`] carries a trustworthy plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Optimal,
    Infeasible,
    Unbounded,
    TimeLimit,
    IterationLimit,
    NumericalError,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Infeasible => "infeasible",
            Status::Unbounded => "unbounded",
            Status::TimeLimit => "time_limit",
            Status::IterationLimit => "iteration_limit",
            Status::NumericalError => "numerical_error",
        }
    }
    pub fn is_optimal(self) -> bool {
        self == Status::Optimal
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something prevented a solve (as opposed to a solve that ended without an optimum).
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// A setting is out of its range, or a settings file does not parse; `field` names it.
    #[error("invalid settings: {field}: {reason}")]
    Settings { field: String, reason: String },
    /// A warm start's plan or duals do not fit the model (another day's shape).
    #[error("the warm start does not fit the model: {reason}")]
    WarmStart { reason: String },
    /// A thread pool of the asked size could not be started.
    #[error("cannot start {threads} threads: {reason}")]
    Threads { threads: usize, reason: String },
    #[error("the {backend} backend cannot solve this model: {reason}")]
    Unsupported { backend: &'static str, reason: String },
    #[error("the {backend} backend failed: {reason}")]
    Backend { backend: &'static str, reason: String },
}
