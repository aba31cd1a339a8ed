//! Solve outcomes (statuses are data) and errors (something prevented solving).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The spec's statuses. Only [`Status::Optimal`] carries a trustworthy plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// An optimal plan that agora's independent check accepted.
    Optimal,
    /// No plan satisfies the hard rows.
    Infeasible,
    /// The backend found the objective unbounded above.
    Unbounded,
    /// The time limit was reached before an optimum.
    TimeLimit,
    /// The iteration limit was reached before an optimum.
    IterationLimit,
    /// The backend failed numerically, or agora's check rejected the answer it called optimal.
    NumericalError,
}

impl Status {
    /// The spec's status string (`optimal`, `time_limit`, ...).
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
    /// True for [`Status::Optimal`].
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
    Settings {
        /// The settings field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A warm start's plan or duals do not fit the model (another day's shape).
    #[error("the warm start does not fit the model: {reason}")]
    WarmStart {
        /// Why the warm start does not fit.
        reason: String,
    },
    /// A thread pool of the asked size could not be started.
    #[error("cannot start {threads} threads: {reason}")]
    Threads {
        /// The number of threads asked for.
        threads: usize,
        /// The error the thread pool gave.
        reason: String,
    },
    /// The backend cannot take this model (e.g. the first-order backend with more than 2^32 edges or rows).
    #[error("the {backend} backend cannot solve this model: {reason}")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// Why it cannot.
        reason: String,
    },
    /// The computation's observer asked it to stop ([`crate::Observer::interrupted`]): there is
    /// no answer, not even a partial one.
    #[error("interrupted")]
    Interrupted,
    /// A distributed solve's processes could not work together: a message that does not decode,
    /// or another process's failure (its message).
    #[error("distributed solve: {reason}")]
    Cluster {
        /// What went wrong, and where.
        reason: String,
    },
    /// The backend failed with an error (not a status) while solving.
    #[error("the {backend} backend failed: {reason}")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// What went wrong.
        reason: String,
    },
}
