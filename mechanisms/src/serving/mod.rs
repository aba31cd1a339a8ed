//! Export to serving and its proof by simulation.
//!
//! - [`artifact`]: the `agora.serving/v1` artifact (a directory of CSV files, a manifest and
//!   checksums) and its atomic writer;
//! - [`export`]: from a checked optimal solution to an artifact;
//! - [`reader`]: loading and validating an artifact, the code a serving system links;
//! - [`score`]: the score rule serving applies to an opportunity's candidates;
//! - [`simulate`]: a seeded day of opportunities served by the exported rule and two baselines.

pub mod artifact;
mod csv;
pub mod export;
mod policies;
pub mod reader;
pub mod score;
pub mod simulate;

pub use artifact::{content_hash, write_dir, Artifact, WriteError, SERVING_SCHEMA};
pub use export::{build, ExportError, ExportOptions};
pub use reader::{read_dir, ReadError};
pub use score::{Choice, ServingRule};
pub use simulate::{
    check_instance, simulate, SimulateError, SimulationConfig, SimulationReport, SIMULATION_SCHEMA,
};
