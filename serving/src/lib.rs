//! # agora-serving
//!
//! What a serving system links: the `agora.serving/v1` artifact that `agora export` writes, its
//! validating reader, and the score rule `agora.score/v1` (docs/serving.md, "The score rule").
//! It has no solver in it and no native code: serde, sha2, rayon, rustc-hash and agora's data model (whose
//! Parquet is pure Rust) only.
//!
//! - [`artifact`]: the artifact's types (a directory of CSV files, or CSV and a Parquet file of
//!   edges, a manifest and checksums);
//! - [`write`]: its atomic, streaming writer;
//! - [`reader`]: loading and validating an artifact, whole ([`read_dir`]) or streaming its
//!   edges to a [`Visit`] ([`read_dir_with`]);
//! - [`score`]: the score rule serving applies to an opportunity's candidates.
//!
//! ```no_run
//! let artifact = agora_serving::read_dir(std::path::Path::new("artifact")).unwrap();
//! let rule = agora_serving::ServingRule::new(&artifact);
//! ```

#![warn(missing_docs)]

pub mod artifact;
pub mod reader;
pub mod score;
pub mod write;

pub use artifact::{content_hash, Artifact, EdgeRef, EdgeRows, EdgesFormat, SERVING_SCHEMA};
pub use reader::{read_dir, read_dir_with, ArtifactHead, ReadError, Visit};
pub use score::{Choice, Ranking, RuleBuilder, ServingRule};
pub use write::{write_dir, write_parts, Parts, WriteError};
