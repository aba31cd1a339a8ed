//! # agora-instances
//!
//! The data model of agora: the types of an `agora.instance/v1` day (segments, creators,
//! campaigns, items, edges, constraints), reading and writing the JSON file format with
//! validation that reports every mistake with its entity and field, and a seeded generator of
//! realistic days. This crate knows nothing of solvers.
//!
//! ```no_run
//! let day = agora_instances::load("instances/example-day.json").unwrap();
//! for w in &day.warnings { eprintln!("warning: {w}"); }
//! println!("{} edges", day.instance.edges.len());
//! ```
//!
//! With the `proptest` feature, the `strategies` module offers proptest strategies for the core
//! types.

#![warn(missing_docs)]

pub mod columnar;
pub mod csv;
mod feasibility;
mod file;
mod generate;
pub mod grouping;
mod hash;
pub mod import;
mod io;
pub mod limits;
pub mod logs;
pub mod metrics;
pub mod output;
mod params;
mod shard;
mod types;
mod validate;

#[cfg(feature = "proptest")]
pub mod strategies;

pub use feasibility::plan_violations;
pub use file::*;
pub use generate::{
    generate, generate_day, generate_with, generate_witnessed, with_budgets_scaled, with_every_rule_kind, GenerateConfig, Generated, Size, UnknownSize,
};
pub use hash::{content_hash, edge_bytes, evidence_bytes, ContentHasher};
pub use io::{
    json_end, load, load_inspecting, load_json_with, load_with, open_input, parse_json_with, parse_str, parse_str_with, read_input, read_input_bytes, save,
    to_json, unique_keys, Bulleted, LoadError, ReadOptions, TrailingContent,
};
pub use metrics::{EcosystemMetrics, PlanMetrics};
pub use output::{write_atomic, write_dir_atomic, write_dir_streaming, DirFiles, ExistingDir};
pub use params::{Param, ParamError};
pub use shard::{Deal, Shard, ShardEdges};
pub use types::*;
pub use validate::{Finding, Validated};
