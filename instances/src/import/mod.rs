//! Days built from public data sets: [`movielens`] (MovieLens-100k, the sample the recbole 1.2.1
//! wheel ships), [`directors`] (the same sample with its knowledge graph: directors as creators,
//! production companies as campaigns) and [`obd`] (the Open Bandit Dataset's sample, logs and a day, from the obp 0.4.1
//! wheel); `scripts/fetch-data.sh` fetches both.
//!
//! Sources are read as instances are ([`crate::open_input`]: regular files only, within
//! `--max-input-bytes`), and what an importer builds passes the instance validator before it is
//! returned: an id it cannot use (a duplicate, a control character, over 256 bytes) is an error
//! naming the source file and line, never a day that `agora validate` refuses later.

pub mod directors;
pub mod movielens;
pub mod obd;

use std::path::Path;

use crate::types::Instance;
use crate::validate::Finding;
use crate::LoadError;

/// `id`, built from line `line` (1-based) of `path`, if it can be an id: printable and at most
/// [`crate::limits::MAX_ID_BYTES`] bytes.
pub(crate) fn checked_id(id: String, path: &Path, line: usize, field: &str) -> Result<String, LoadError> {
    match crate::limits::id_problem(&id) {
        None => Ok(id),
        Some(why) => {
            Err(LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: format!("line {line}"), field: field.into(), message: why }] })
        }
    }
}

/// The error for an id seen twice in a source.
pub(crate) fn duplicate(path: &Path, line: usize, field: &str, id: &str, first: usize) -> LoadError {
    LoadError::Invalid {
        path: path.to_path_buf(),
        errors: vec![Finding {
            entity: format!("line {line}"),
            field: field.into(),
            message: format!("\"{}\" is listed twice (first on line {first}); ids must be unique", crate::limits::excerpt(id)),
        }],
    }
}

/// `inst` if it passes the instance validator (what `agora validate` runs); otherwise every
/// error, under `source`, the directory it was imported from.
pub(crate) fn validated(inst: Instance, source: &Path) -> Result<Instance, LoadError> {
    match crate::file::InstanceFile::from(&inst).validate() {
        Ok(_) => Ok(inst),
        Err(errors) => Err(LoadError::Invalid { path: source.to_path_buf(), errors }),
    }
}
