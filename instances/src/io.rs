//! Reading and writing instance files, and the atomic-write helper every agora output uses.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::file::InstanceFile;
use crate::types::Instance;
use crate::validate::{Finding, Validated};

/// Why an input file (instance, market, auction) could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {} error(s):\n{}", errors.len(), Bulleted(errors))]
    Invalid { path: PathBuf, errors: Vec<Finding> },
}

/// Formats findings one per line, indented.
pub struct Bulleted<'a>(pub &'a [Finding]);

impl fmt::Display for Bulleted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, e) in self.0.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {e}")?;
        }
        Ok(())
    }
}

/// Parses JSON text into the file type `F` and validates it into `T`: the one path every agora
/// input format (instances, markets, auctions) takes, so that each reports syntax errors with line
/// and column and validation errors with entity and field, naming the file. `path` is used only in
/// messages.
pub fn parse_json_with<F, T>(text: &str, path: &Path, validate: impl FnOnce(F) -> Result<T, Vec<Finding>>) -> Result<T, LoadError>
where
    F: serde::de::DeserializeOwned,
{
    let file: F = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
    })?;
    validate(file).map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors })
}

/// Reads a file and hands it to [`parse_json_with`].
pub fn load_json_with<F, T>(path: &Path, validate: impl FnOnce(F) -> Result<T, Vec<Finding>>) -> Result<T, LoadError>
where
    F: serde::de::DeserializeOwned,
{
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
    parse_json_with(&text, path, validate)
}

/// Parses instance JSON text; `path` is used in messages and to resolve an `edges_file`.
pub fn parse_str(text: &str, path: &Path) -> Result<Validated, LoadError> {
    let file: InstanceFile = parse_json_with(text, path, Ok::<InstanceFile, Vec<Finding>>)?;
    if file.edges_file.is_some() {
        return crate::columnar::validate_with_edges_file(file, path);
    }
    file.validate().map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors })
}

/// Reads and validates an `agora.instance/v1` file (its edges from its `edges_file`, if it
/// names one).
pub fn load(path: impl AsRef<Path>) -> Result<Validated, LoadError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
    parse_str(&text, path)
}

/// Serialises an instance as `agora.instance/v1` JSON.
pub fn to_json(instance: &Instance) -> String {
    serde_json::to_string_pretty(&InstanceFile::from(instance)).expect("instance files serialise")
}

/// Writes an instance file atomically.
pub fn save(instance: &Instance, path: impl AsRef<Path>) -> std::io::Result<()> {
    write_atomic(path.as_ref(), to_json(instance).as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a partial file and a failed write leaves no file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// What [`write_dir_atomic`] may do with an output directory that already exists.
#[derive(Debug, Clone, Copy)]
pub enum ExistingDir<'a> {
    /// Refuse unless it is empty (an artifact is never overwritten).
    Refuse,
    /// Replace it when it holds nothing but files with these names (a previous run's output);
    /// refuse otherwise, so that a mistyped `--out` never deletes someone's directory.
    ReplaceIfOnly(&'a [&'a str]),
}

/// Writes `files` (name, contents) as the directory `dir`, atomically: every file goes into a
/// temporary directory beside `dir` and is synced, then the temporary directory is renamed to
/// `dir` (an existing `dir` that `existing` allows replacing is moved aside first and removed
/// after). On failure the temporary directory is removed and `dir` is left as it was. A refused
/// `dir` is an error of kind `AlreadyExists`.
pub fn write_dir_atomic<N: AsRef<str>, B: AsRef<[u8]>>(dir: &Path, files: &[(N, B)], existing: ExistingDir) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::new(ErrorKind::AlreadyExists, format!("{} exists and is not a directory", dir.display())));
        }
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            let allowed = match existing {
                ExistingDir::Refuse => false,
                ExistingDir::ReplaceIfOnly(names) => names.iter().any(|n| name == *n),
            };
            if !allowed {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("{} exists and holds {}, which this command did not write: choose another directory", dir.display(), name.to_string_lossy()),
                ));
            }
        }
    }
    let name = dir.file_name().ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("{} is not a directory path", dir.display())))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A missing parent is an error, as for a file: a mistyped path must not create a tree.
    let pid = std::process::id();
    let tmp = parent.join(format!(".{}.{pid}.tmp", name.to_string_lossy()));
    let old = parent.join(format!(".{}.{pid}.old", name.to_string_lossy()));
    let result = (|| {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir(&tmp)?;
        for (file, bytes) in files {
            let mut f = std::fs::File::create(tmp.join(file.as_ref()))?;
            f.write_all(bytes.as_ref())?;
            f.sync_all()?;
        }
        let replacing = dir.exists();
        if replacing {
            std::fs::rename(dir, &old)?;
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            if replacing {
                let _ = std::fs::rename(&old, dir);
            }
            return Err(e);
        }
        if replacing {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    })();
    if result.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
