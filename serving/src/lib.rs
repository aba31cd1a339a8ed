//! # agora-serving
//!
//! What a serving system links: the `agora.serving/v1` artifact that `agora export` writes, its
//! validating reader, and the score rule `agora.score/v1` (docs/serving.md, "The score rule").
//! It has no solver in it and no native code: serde, sha2 and agora's data model only.
//!
//! - [`artifact`]: the artifact's types (a directory of CSV files, a manifest and checksums)
//!   and its atomic writer;
//! - [`reader`]: loading and validating an artifact;
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

pub use artifact::{content_hash, write_dir, Artifact, WriteError, SERVING_SCHEMA};
pub use reader::{read_dir, ReadError};
pub use score::{Choice, ServingRule};
