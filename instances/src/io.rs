//! Reading instance files and every JSON input (writing goes through [`crate::output`]).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::file::InstanceFile;
use crate::limits::{strip_bom, DEFAULT_MAX_INPUT_BYTES};
use crate::shard::{keep_shard, Shard};
use crate::types::Instance;
use crate::validate::{Finding, Validated};

/// Why an input file (instance, market, auction) could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The text is not UTF-8, not JSON, or does not fit the file's types (a wrong type, a number out of range).
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file concerned.
        path: PathBuf,
        /// The 1-based line of the error (0 when the text is not UTF-8).
        line: usize,
        /// The 1-based column of the error; for text that is not UTF-8, the byte offset of the first invalid byte.
        column: usize,
        /// What is wrong, prefixed with the entity and field it is in where known.
        message: String,
    },
    /// The file parsed but its content is wrong: every validation error (for a CSV edges file, also its syntax error).
    #[error("{path}: {} error(s):\n{}", errors.len(), Bulleted(errors))]
    Invalid {
        /// The file concerned.
        path: PathBuf,
        /// Every error found, not only the first.
        errors: Vec<Finding>,
    },
    /// The file is not one agora reads: not a regular file, too large, or outside where it may
    /// read.
    #[error("{path}: refused: {reason}")]
    Refused {
        /// The file concerned.
        path: PathBuf,
        /// Why it was refused, e.g. `is a directory; agora reads regular files only`.
        reason: String,
    },
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

/// How agora reads input files: which files it may read and how large they may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The largest file read, in bytes, checked before reading ([`DEFAULT_MAX_INPUT_BYTES`]).
    pub max_input_bytes: u64,
    /// Whether an instance's `edges_file` may be an absolute path or leave the instance's
    /// directory (`--allow-outside-edges`; off by default, so that a day received from someone
    /// else cannot make agora read, and echo, any file on the machine).
    pub allow_outside_edges: bool,
    /// Which segments' edges an instance load keeps, for a solve distributed over processes
    /// (`None`, the default: every edge). See [`Validated::shard`].
    pub shard: Option<Shard>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { max_input_bytes: DEFAULT_MAX_INPUT_BYTES, allow_outside_edges: false, shard: None }
    }
}

/// Opens an input file for reading: only a regular file (not a device, fifo, socket or
/// directory) and no larger than `opts.max_input_bytes`, both checked before a byte is read.
pub fn open_input(path: &Path, opts: &ReadOptions) -> Result<(std::fs::File, u64), LoadError> {
    let io = |source| LoadError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "not a regular file (a device, fifo or socket)" };
        return Err(LoadError::Refused { path: path.to_path_buf(), reason: format!("is {what}; agora reads regular files only") });
    }
    if meta.len() > opts.max_input_bytes {
        return Err(LoadError::Refused {
            path: path.to_path_buf(),
            reason: format!("is {} bytes, over the input limit of {} bytes (raise it with --max-input-bytes)", meta.len(), opts.max_input_bytes),
        });
    }
    Ok((file, meta.len()))
}

/// Reads a whole input file as UTF-8 text under the rules of [`open_input`].
pub fn read_input(path: &Path, opts: &ReadOptions) -> Result<String, LoadError> {
    let bytes = read_input_bytes(path, opts)?;
    String::from_utf8(bytes).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        line: 0,
        column: e.utf8_error().valid_up_to(),
        message: format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}

/// Reads a whole input file's bytes under the rules of [`open_input`] (the importers' sources,
/// which are not always UTF-8).
pub fn read_input_bytes(path: &Path, opts: &ReadOptions) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let (mut file, len) = open_input(path, opts)?;
    let mut bytes = Vec::with_capacity(len as usize);
    // The size was checked, but a file may grow while read: read at most one byte past the limit.
    Read::by_ref(&mut file)
        .take(opts.max_input_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
    if bytes.len() as u64 > opts.max_input_bytes {
        return Err(LoadError::Refused { path: path.to_path_buf(), reason: format!("grew past the input limit of {} bytes while read", opts.max_input_bytes) });
    }
    Ok(bytes)
}

/// Parses JSON text into the file type `F` and validates it into `T`: the one path every agora
/// input format (instances, markets, auctions, solutions) takes, so that each reports syntax
/// errors with line and column, type errors with the entity and field they are in, and
/// validation errors with entity and field, naming the file. A leading UTF-8 byte-order mark is
/// accepted. `path` is used only in messages.
pub fn parse_json_with<F, T>(text: &str, path: &Path, validate: impl FnOnce(F) -> Result<T, Vec<Finding>>) -> Result<T, LoadError>
where
    F: serde::de::DeserializeOwned,
{
    let text = strip_bom(text);
    // Tracking the path costs 12% of reading a large head; it is only needed to say where an
    // error is. So parse without it, and parse again with it when there is an error to place
    // (the same parser: the same error, now with its path).
    let de = &mut serde_json::Deserializer::from_str(text);
    if let Ok(file) = F::deserialize(&mut *de) {
        if let Err(t) = json_end(de, text) {
            return Err(LoadError::Syntax { path: path.to_path_buf(), line: t.line, column: t.column, message: t.to_string() });
        }
        return validate(file).map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: F = match serde_path_to_error::deserialize(de) {
        Ok(f) => f,
        Err(e) => {
            let where_ = located(text, e.path());
            let inner = e.into_inner();
            let message = inner.to_string().split(" at line ").next().unwrap_or_default().to_string();
            return Err(LoadError::Syntax {
                path: path.to_path_buf(),
                line: inner.line(),
                column: inner.column(),
                message: match where_ {
                    Some(w) => format!("{w}: {message}"),
                    None => message,
                },
            });
        }
    };
    validate(file).map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors })
}

/// Deserialises a JSON object of names and numbers into a map, refusing a name given twice:
/// JSON does not say which of two would win, and serde's maps keep the last silently. For
/// `#[serde(deserialize_with = "agora_instances::unique_keys")]` on the maps of policy and
/// change files.
pub fn unique_keys<'de, D: serde::Deserializer<'de>>(de: D) -> Result<std::collections::BTreeMap<String, f64>, D::Error> {
    struct Unique;
    impl<'de> serde::de::Visitor<'de> for Unique {
        type Value = std::collections::BTreeMap<String, f64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of parameter names and numbers")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, f64>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("\"{}\" is set twice", crate::limits::excerpt(&key))));
                }
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    de.deserialize_map(Unique)
}

/// Content after a file's one JSON value: agora reads a file as one value, so anything but
/// whitespace after it (a second object, a stray bracket, NUL bytes, a comment) is an error, not
/// something to ignore.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected content after the JSON value, at byte {offset} (\"{excerpt}\"): a file holds one JSON value")]
pub struct TrailingContent {
    /// The byte offset of the first byte after the value that is not whitespace.
    pub offset: usize,
    /// Its 1-based line.
    pub line: usize,
    /// Its 1-based column (in characters).
    pub column: usize,
    /// The content there, quoted safely ([`crate::limits::excerpt`]).
    pub excerpt: String,
}

/// Checks that nothing but whitespace follows the value `de` has just read from `text`.
pub fn json_end(de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>, text: &str) -> Result<(), TrailingContent> {
    if de.end().is_ok() {
        return Ok(());
    }
    // Only on the error path: find where the value ended, then the first byte that is not JSON
    // whitespace.
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let _ = stream.next();
    let end = stream.byte_offset();
    let offset = end + text[end..].bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Err(TrailingContent { offset, line, column, excerpt: crate::limits::excerpt(&text[offset..]) })
}

/// Where a deserialisation error is, in the user's words: `segment #3 ("seg-3"), field "supply"`
/// for the path `segments[3].supply`, using the entity's `id` (or `name`) when the text has one
/// there. `None` at the top level.
fn located(text: &str, path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let segs: Vec<&Segment> = path.iter().collect();
    if segs.is_empty() {
        return None;
    }
    // The text is syntactically JSON when the error is one of type: look the entity's id up.
    let value: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let mut entity: Option<String> = None;
    let mut cursor = value.as_ref();
    let mut field: Option<String> = None;
    let mut k = 0;
    while k < segs.len() {
        match segs[k] {
            Segment::Map { key } | Segment::Enum { variant: key } => {
                cursor = cursor.and_then(|v| v.get(key));
                if let Some(Segment::Seq { index }) = segs.get(k + 1) {
                    cursor = cursor.and_then(|v| v.get(index));
                    let kind = key.strip_suffix('s').unwrap_or(key);
                    let id = cursor.and_then(|v| v.get("id").or_else(|| v.get("name"))).and_then(|v| v.as_str());
                    entity = Some(match id {
                        Some(id) => format!("{kind} #{index} (\"{}\")", crate::limits::excerpt(id)),
                        None => format!("{kind} #{index}"),
                    });
                    field = None;
                    k += 2;
                    continue;
                }
                field = Some(match field {
                    Some(f) => format!("{f}.{key}"),
                    None => key.clone(),
                });
            }
            Segment::Seq { index } => {
                field = Some(format!("{}[{index}]", field.unwrap_or_default()));
            }
            Segment::Unknown => {}
        }
        k += 1;
    }
    Some(match (entity, field) {
        (Some(e), Some(f)) => format!("{e}, field \"{f}\""),
        (Some(e), None) => e,
        (None, Some(f)) => format!("field \"{f}\""),
        (None, None) => return None,
    })
}

/// Reads a file (under the default [`ReadOptions`]) and hands it to [`parse_json_with`].
pub fn load_json_with<F, T>(path: &Path, validate: impl FnOnce(F) -> Result<T, Vec<Finding>>) -> Result<T, LoadError>
where
    F: serde::de::DeserializeOwned,
{
    let text = read_input(path, &ReadOptions::default())?;
    parse_json_with(&text, path, validate)
}

/// Parses instance JSON text; `path` is used in messages and to resolve an `edges_file`.
pub fn parse_str(text: &str, path: &Path) -> Result<Validated, LoadError> {
    parse_str_with(text, path, &ReadOptions::default())
}

/// [`parse_str`] under `opts` (what an `edges_file` may be, which shard of the edges to keep).
///
/// With `opts.shard`, the day's edges (and evidence) are only the shard's, and
/// [`Validated::shard`] says which they are. Every edge is still validated, so every shard of a
/// day reports the same errors, but for duplicate edges: a duplicate pair shares its segment,
/// so only the shard owning it reports it. Inline `edges` are parsed all at once before they are
/// filtered: at scale, an `edges_file` is the way to load a shard without holding every edge.
pub fn parse_str_with(text: &str, path: &Path, opts: &ReadOptions) -> Result<Validated, LoadError> {
    let file = parse_file(text, path, opts)?;
    validate_file(file, path, opts)
}

/// The instance file in `text`, parsed (a shard checked first).
fn parse_file(text: &str, path: &Path, opts: &ReadOptions) -> Result<InstanceFile, LoadError> {
    if let Some(shard) = &opts.shard {
        shard.check(path)?;
    }
    parse_json_with(text, path, Ok::<InstanceFile, Vec<Finding>>)
}

/// A parsed instance file validated, its edges read from its `edges_file` when it names one.
fn validate_file(file: InstanceFile, path: &Path, opts: &ReadOptions) -> Result<Validated, LoadError> {
    if file.edges_file.is_some() {
        return crate::columnar::validate_with_edges_file(file, path, opts);
    }
    let mut v = file.validate().map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors })?;
    v.sources.push(path.to_path_buf());
    if let Some(shard) = opts.shard {
        v.shard = Some(keep_shard(&mut v.instance, shard));
    }
    Ok(v)
}

/// Reads and validates an `agora.instance/v1` file (its edges from its `edges_file`, if it
/// names one), under the default [`ReadOptions`].
pub fn load(path: impl AsRef<Path>) -> Result<Validated, LoadError> {
    load_with(path, &ReadOptions::default())
}

/// [`load`] under `opts` (see [`parse_str_with`] for a shard's load).
pub fn load_with(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Validated, LoadError> {
    load_inspecting(path.as_ref(), opts, |_| ()).map(|(v, ())| v)
}

/// [`load_with`] that also hands the instance file's bytes to `inspect` (an export hashes them)
/// before they are dropped.
pub fn load_inspecting<T>(path: &Path, opts: &ReadOptions, inspect: impl FnOnce(&[u8]) -> T) -> Result<(Validated, T), LoadError> {
    let text = read_input(path, opts)?;
    let file = parse_file(&text, path, opts)?;
    let seen = inspect(text.as_bytes());
    // The text is not needed past parsing: a 10^7-edge day's head is 150 MB of it.
    drop(text);
    Ok((validate_file(file, path, opts)?, seen))
}

/// Serialises an instance as `agora.instance/v1` JSON.
pub fn to_json(instance: &Instance) -> String {
    serde_json::to_string_pretty(&InstanceFile::from(instance)).expect("instance files serialise")
}

/// Writes an instance file atomically.
pub fn save(instance: &Instance, path: impl AsRef<Path>) -> std::io::Result<()> {
    crate::output::write_atomic(path.as_ref(), to_json(instance).as_bytes())
}
