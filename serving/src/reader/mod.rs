//! Loading and validating a serving artifact: the code a serving system links. [`read_dir`]
//! checks, in order, the manifest's schema and score rule, the checksum of every file (the
//! manifest's own in `checksum.sha256`, each data file's against both the manifest and
//! `checksum.sha256`), each CSV file's header and every field's type and range, and that every
//! edge's segment and campaign, every campaign's budget row and every segment's supply row is
//! listed. Any failure is an error naming the file, the line and the field (for `edges.parquet`,
//! the row, counted from 1).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::artifact::*;
use agora_instances::csv;

mod cross_check;
mod edges;

/// Why an artifact was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A file of the artifact does not exist.
    #[error("{path}: missing from the artifact")]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A file exists but cannot be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `manifest.json` is not JSON, or lacks a field of the manifest or has one of the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The manifest's path.
        path: PathBuf,
        /// The line of the error (1-based).
        line: usize,
        /// The column of the error (1-based; 0 at the end of the file).
        column: usize,
        /// The JSON parser's message.
        message: String,
    },
    /// The manifest's `schema` is not [`SERVING_SCHEMA`] (another version's artifact, or none).
    #[error("{path}: schema \"{found}\" is not {SERVING_SCHEMA}")]
    Schema {
        /// The manifest's path.
        path: PathBuf,
        /// The schema the manifest names (`(none)` when it names none).
        found: String,
    },
    /// A manifest field has a value this reader refuses (score rule, status, content hash, objective,
    /// tolerances, times, validity window), or the manifest is not UTF-8.
    #[error("{path}: {field}: {message}")]
    Manifest {
        /// The manifest's path.
        path: PathBuf,
        /// The field at fault (`(file)` for the whole file).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A file's SHA-256 (or a data file's size) differs from what the manifest or `checksum.sha256`
    /// lists: the file was changed after export.
    #[error("{path}: checksum mismatch (expected sha256 {expected}, file has {found}): the file was changed after export")]
    Checksum {
        /// The file whose bytes do not match.
        path: PathBuf,
        /// The SHA-256 listed for it.
        expected: String,
        /// The SHA-256 of its bytes.
        found: String,
    },
    /// The manifest's `files` or `checksum.sha256` omits a file or lists an unknown one, or
    /// `checksum.sha256` is not UTF-8.
    #[error("{path}: {message}")]
    Listing {
        /// The listing at fault (`manifest.json` or `checksum.sha256`).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A line of a CSV file or of `checksum.sha256` is malformed: bad quoting, a wrong header, a wrong
    /// number of fields, or text that is not UTF-8.
    #[error("{path}:{line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line (1-based; line 1 is a CSV file's header).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// `edges.parquet` is not a Parquet file the reader accepts (a truncated or damaged file, a
    /// column of the wrong type); the message names the row or the column.
    #[error("{message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet reader's message (which names the file).
        message: String,
    },
    /// A CSV field is out of its type or range, or the files' references disagree (a key listed twice,
    /// an unknown segment or campaign, a missing budget or supply row, rates not adding up).
    #[error("{path}:{line}: {field}: {message}")]
    Field {
        /// The data file.
        path: PathBuf,
        /// The line (1-based; line 1 is the header).
        line: usize,
        /// The column at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// An artifact's files but its edges: what [`read_dir_with`] returns, having handed the edges
/// to its visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactHead {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// The lines of `pacing.csv`, one per campaign.
    pub pacing: Vec<PacingRow>,
    /// The lines of `adjustments.csv`, one per constraint row.
    pub adjustments: Vec<AdjustmentRow>,
    /// The lines of `segments.csv`, one per segment.
    pub segments: Vec<SegmentRow>,
}

/// What [`read_dir_with`] hands an artifact to: first everything but the edges, then each edge
/// in file order.
pub trait Visit {
    /// The artifact's files but its edges, validated; called once, before any edge.
    fn head(&mut self, _head: &ArtifactHead) {}
    /// The next edge, validated.
    fn edge(&mut self, edge: EdgeRef<'_>);
}

/// Keeps every edge as an [`EdgeRow`].
struct Rows(Vec<EdgeRow>);

impl Visit for Rows {
    fn edge(&mut self, edge: EdgeRef<'_>) {
        self.0.push(edge.to_row());
    }
}

/// Reads and validates the artifact in directory `dir`.
pub fn read_dir(dir: &Path) -> Result<Artifact, ReadError> {
    let mut rows = Rows(Vec::new());
    let ArtifactHead { manifest, pacing, adjustments, segments } = read_dir_with(dir, &mut rows)?;
    Ok(Artifact { manifest, pacing, adjustments, segments, edges: rows.0 })
}

/// Reads and validates the artifact in directory `dir` as [`read_dir`] does, handing it to
/// `visit` instead of keeping its edges: `edges.csv` is streamed, never held whole, so a caller
/// that keeps only what it needs of an edge reads a 10^7-edge artifact in a fraction of
/// [`read_dir`]'s memory. Every check but those of the edges themselves runs before the first
/// edge is handed on; on an error, what `visit` was given is to be discarded.
pub fn read_dir_with(dir: &Path, visit: &mut impl Visit) -> Result<ArtifactHead, ReadError> {
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = read(&manifest_path)?;
    let text = String::from_utf8(manifest_bytes.clone()).map_err(|_| ReadError::Manifest {
        path: manifest_path.clone(),
        field: "(file)",
        message: "not UTF-8".into(),
    })?;
    // The schema first, so that another version's artifact is named as such.
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| syntax(&manifest_path, &e))?;
    let found = value.get("schema").and_then(|s| s.as_str()).unwrap_or("(none)");
    if found != SERVING_SCHEMA {
        return Err(ReadError::Schema { path: manifest_path, found: found.to_string() });
    }

    // checksum.sha256 covers the manifest and every data file.
    let sums_path = dir.join(CHECKSUMS);
    let sums_text = String::from_utf8(read(&sums_path)?).map_err(|_| ReadError::Listing { path: sums_path.clone(), message: "not UTF-8".into() })?;
    let mut sums: HashMap<String, String> = HashMap::new();
    for (k, line) in sums_text.lines().enumerate() {
        let (hash, name) = line
            .split_once("  ")
            .filter(|(h, n)| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()) && !n.is_empty())
            .ok_or_else(|| ReadError::Csv { path: sums_path.clone(), line: k + 1, message: "expected \"SHA256  FILE\"".into() })?;
        sums.insert(name.to_string(), hash.to_ascii_lowercase());
    }
    check_sum(&sums, &sums_path, &manifest_path, &sha256_hex(&manifest_bytes))?;

    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| syntax(&manifest_path, &e))?;
    check_manifest(&manifest, &manifest_path)?;

    // The per-edge file is edges.csv or edges.parquet, whichever the manifest lists (not both).
    let listed = |name: &str| manifest.files.iter().any(|f| f.name == name);
    let edges_format = match (listed(DATA_FILES[3]), listed(EDGES_PARQUET)) {
        (true, true) => {
            return Err(ReadError::Listing { path: manifest_path, message: format!("files: lists both {} and {EDGES_PARQUET}", DATA_FILES[3]) });
        }
        (false, true) => EdgesFormat::Parquet,
        _ => EdgesFormat::Csv,
    };
    let names = [DATA_FILES[0], DATA_FILES[1], DATA_FILES[2], edges_format.file_name()];
    let mut data: Vec<Vec<u8>> = Vec::with_capacity(names.len());
    for name in names {
        let path = dir.join(name);
        let entry = manifest
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| ReadError::Listing { path: manifest_path.clone(), message: format!("files: does not list {name}") })?;
        // edges.csv is hashed streaming here and parsed streaming below.
        let csv_edges = name == DATA_FILES[3];
        let (bytes, (found, size)) = if csv_edges {
            (Vec::new(), edges::hash_file(&path)?)
        } else {
            let bytes = read(&path)?;
            let found = (sha256_hex(&bytes), bytes.len() as u64);
            (bytes, found)
        };
        if found != entry.sha256.to_ascii_lowercase() || size != entry.bytes {
            return Err(ReadError::Checksum { path, expected: entry.sha256.clone(), found });
        }
        check_sum(&sums, &sums_path, &path, &found)?;
        data.push(bytes);
    }
    if let Some(extra) = manifest.files.iter().find(|f| !names.contains(&f.name.as_str())) {
        return Err(ReadError::Listing { path: manifest_path, message: format!("files: lists unknown file {}", extra.name) });
    }
    // Exactly the listed files: a file the manifest does not list was not checked, and a
    // serving system must not be led to trust it.
    let entries = std::fs::read_dir(dir).map_err(|source| ReadError::Io { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| ReadError::Io { path: dir.to_path_buf(), source })?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name != MANIFEST && name != CHECKSUMS && !names.contains(&name.as_ref()) {
            return Err(ReadError::Listing {
                path: dir.to_path_buf(),
                message: format!(
                    "holds \"{}\", which the manifest does not list: an artifact holds exactly {MANIFEST}, {CHECKSUMS} and its data files",
                    agora_instances::limits::excerpt(&name)
                ),
            });
        }
    }
    // The small CSV files as text; edges.parquet stays bytes, edges.csv is streamed.
    let parquet_edges = data.pop().expect("four data files");
    let data: Vec<String> = data
        .into_iter()
        .zip(&names)
        .map(|(bytes, name)| String::from_utf8(bytes).map_err(|_| ReadError::Csv { path: dir.join(name), line: 1, message: "not UTF-8".into() }))
        .collect::<Result<_, _>>()?;

    let tol = manifest.tolerances.feasibility;
    let pacing = parse_file(dir, 0, &data[0], |r| {
        let p = PacingRow {
            campaign: r.id("campaign")?,
            multiplier: r.num("multiplier")?,
            budget: r.num("budget")?,
            planned_spend: r.num("planned_spend")?,
            budget_dual: r.num("budget_dual")?,
        };
        r.check("multiplier", p.multiplier > 0.0 && p.multiplier <= 1.0, "must be in (0, 1]")?;
        r.check("budget", p.budget >= 0.0, "must be >= 0")?;
        r.check("planned_spend", p.planned_spend >= 0.0 && p.planned_spend <= p.budget + tol * p.budget.max(1.0), "must be in [0, budget]")?;
        r.check("budget_dual", p.budget_dual >= 0.0, "must be >= 0")?;
        Ok(p)
    })?;
    let adjustments = parse_file(dir, 1, &data[1], |r| {
        let a = AdjustmentRow {
            name: r.id("name")?,
            kind: r.id("type")?,
            sense: r.text("sense"),
            scope: r.id("scope")?,
            dual: r.num("dual")?,
            shadow_price: r.num("shadow_price")?,
            units: r.text("units"),
        };
        match a.sense.as_str() {
            "<=" => r.check("dual", a.dual >= 0.0, "must be >= 0 on a <= row")?,
            ">=" => r.check("dual", a.dual <= 0.0, "must be <= 0 on a >= row")?,
            _ => r.check("sense", false, "must be <= or >=")?,
        }
        Ok(a)
    })?;
    let segments = parse_file(dir, 2, &data[2], |r| {
        let s = SegmentRow {
            segment: r.id("segment")?,
            supply: r.num("supply")?,
            unserved_rate: r.num("unserved_rate")?,
            unserved_score: r.num("unserved_score")?,
            epsilon: r.num("epsilon")?,
        };
        r.check("supply", s.supply > 0.0, "must be > 0")?;
        r.check("unserved_rate", (0.0..=1.0).contains(&s.unserved_rate), "must be in [0, 1]")?;
        r.check("unserved_score", s.unserved_score <= 0.0, "must be <= 0 (minus the supply row's dual)")?;
        r.check("epsilon", s.epsilon >= 0.0, "must be >= 0")?;
        Ok(s)
    })?;
    let head = ArtifactHead { manifest, pacing, adjustments, segments };
    let mut checks = cross_check::head(dir, &head.pacing, &head.adjustments, &head.segments, edges_format)?;
    visit.head(&head);
    let mut k = 0;
    let mut edge = |r: &Rec| {
        let campaign = r.str("campaign");
        let e = EdgeRef {
            segment: r.id_str("segment")?,
            item: r.id_str("item")?,
            campaign: (!campaign.is_empty()).then_some(campaign),
            value: r.num("value")?,
            price: r.num("price")?,
            adjustment: r.num("adjustment")?,
            rate: r.num("rate")?,
        };
        r.check("price", e.price >= 0.0, "must be >= 0")?;
        r.check("rate", (0.0..=1.0).contains(&e.rate), "must be in [0, 1]")?;
        checks.edge(k, &e)?;
        k += 1;
        visit.edge(e);
        Ok(())
    };
    let edges_path = dir.join(names[3]);
    let edges_sha = head.manifest.files.iter().find(|f| f.name == names[3]).expect("listed: checked above").sha256.to_ascii_lowercase();
    let stream = |row: &mut dyn FnMut(&Rec) -> Result<(), ReadError>| match edges_format {
        EdgesFormat::Csv => edges::stream_csv(&edges_path, &edges_sha, row),
        EdgesFormat::Parquet => parse_parquet_edges(&edges_path, &parquet_edges, row),
    };
    stream(&mut edge)?;
    // Rows that may repeat an edge are read again, with their ids (in a valid artifact, none).
    let suspects = checks.suspects();
    if !suspects.is_empty() {
        let (mut k, mut found) = (0u32, Vec::new());
        stream(&mut |r: &Rec| {
            if suspects.binary_search(&k).is_ok() {
                found.push((k, r.text("segment"), r.text("item")));
            }
            k += 1;
            Ok(())
        })?;
        checks.duplicates(&found)?;
    }
    checks.finish(&head.segments)?;
    Ok(head)
}

fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    edges::open(path)?.read_to_end(&mut bytes).map_err(|source| ReadError::Io { path: path.to_path_buf(), source })?;
    Ok(bytes)
}

fn syntax(path: &Path, e: &serde_json::Error) -> ReadError {
    ReadError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
    }
}

/// Checks the hex SHA-256 `found` of the file at `path` against `checksum.sha256`'s.
fn check_sum(sums: &HashMap<String, String>, sums_path: &Path, path: &Path, found: &str) -> Result<(), ReadError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let expected = sums.get(&name).ok_or_else(|| ReadError::Listing { path: sums_path.to_path_buf(), message: format!("does not list {name}") })?;
    if expected != found {
        return Err(ReadError::Checksum { path: path.to_path_buf(), expected: expected.clone(), found: found.to_string() });
    }
    Ok(())
}

fn check_manifest(m: &Manifest, path: &Path) -> Result<(), ReadError> {
    let bad = |field: &'static str, message: String| Err(ReadError::Manifest { path: path.to_path_buf(), field, message });
    if m.score_rule != SCORE_RULE {
        return bad("score_rule", format!("\"{}\" is not {SCORE_RULE}, the rule this reader implements", m.score_rule));
    }
    if m.status != "optimal" {
        return bad("status", format!("\"{}\": only optimal plans are served", m.status));
    }
    let hash = &m.instance.content_hash;
    if !(hash.len() == 71 && hash.starts_with("sha256:") && hash[7..].bytes().all(|c| c.is_ascii_hexdigit())) {
        return bad("instance.content_hash", format!("\"{hash}\" is not sha256: and 64 hex digits"));
    }
    if !m.objective.is_finite() {
        return bad("objective", "not a finite number".into());
    }
    let t = &m.tolerances;
    let tolerances = [Some(t.feasibility), t.primal_residual, t.dual_residual, t.gap.map(f64::abs)];
    if tolerances.iter().flatten().any(|v| !(v.is_finite() && *v >= 0.0)) {
        return bad("tolerances", "must be finite and >= 0".into());
    }
    for (field, t) in [("validity.from", &m.validity.from), ("validity.to", &m.validity.to), ("created_at", &Some(m.created_at.clone()))] {
        if let Some(t) = t {
            if !is_utc_time(t) {
                return bad(field, format!("\"{t}\" is not a UTC time written YYYY-MM-DDTHH:MM:SSZ"));
            }
        }
    }
    if let (Some(from), Some(to)) = (&m.validity.from, &m.validity.to) {
        if from >= to {
            return bad("validity", format!("starts at {from}, not before it ends at {to}"));
        }
    }
    Ok(())
}

/// One CSV record being parsed, with what error messages need.
struct Rec<'a> {
    path: &'a Path,
    line: usize,
    header: &'static [&'static str],
    fields: &'a [String],
}

impl<'a> Rec<'a> {
    fn str(&self, field: &'static str) -> &'a str {
        let k = self.header.iter().position(|h| *h == field).expect("a header field");
        &self.fields[k]
    }
    fn text(&self, field: &'static str) -> String {
        self.str(field).to_string()
    }
    fn id_str(&self, field: &'static str) -> Result<&'a str, ReadError> {
        let t = self.str(field);
        self.check(field, !t.is_empty(), "must not be empty")?;
        Ok(t)
    }
    fn id(&self, field: &'static str) -> Result<String, ReadError> {
        self.id_str(field).map(str::to_string)
    }
    fn num(&self, field: &'static str) -> Result<f64, ReadError> {
        let t = self.str(field);
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.err(field, format!("\"{t}\" is not a finite number"))),
        }
    }
    fn check(&self, field: &'static str, ok: bool, message: &str) -> Result<(), ReadError> {
        if ok {
            Ok(())
        } else {
            let value = self.text(field);
            Err(self.err(field, format!("{value}: {message}")))
        }
    }
    fn err(&self, field: &'static str, message: String) -> ReadError {
        ReadError::Field { path: self.path.to_path_buf(), line: self.line, field, message }
    }
}

fn parse_file<T>(dir: &Path, k: usize, text: &str, row: impl Fn(&Rec) -> Result<T, ReadError>) -> Result<Vec<T>, ReadError> {
    let path = dir.join(DATA_FILES[k]);
    let header = HEADERS[k];
    let records = csv::parse(text).map_err(|(line, message)| ReadError::Csv { path: path.clone(), line, message })?;
    let mut records = records.into_iter();
    match records.next() {
        Some(h) if h.fields == header => {}
        _ => return Err(ReadError::Csv { path, line: 1, message: format!("the header must be {}", header.join(",")) }),
    }
    records
        .map(|r| {
            if r.fields.len() != header.len() {
                return Err(ReadError::Csv { path: path.clone(), line: r.line, message: format!("{} fields, expected {}", r.fields.len(), header.len()) });
            }
            row(&Rec { path: &path, line: r.line, header, fields: &r.fields })
        })
        .collect()
}

/// The rows of `edges.parquet` (its bytes `data`, read through the typed Parquet reader of
/// agora-instances, which trusts nothing the file declares): the columns of `edges.csv`, in its
/// order, each row validated and handed on by `row` as a CSV line is. Errors name the row
/// (1-based).
fn parse_parquet_edges(path: &Path, data: &[u8], mut row: impl FnMut(&Rec) -> Result<(), ReadError>) -> Result<(), ReadError> {
    let header = HEADERS[3];
    let is_id = |c: &str| matches!(c, "segment" | "item" | "campaign");
    let read = agora_instances::columnar::parquet::read_text_rows(data, path, is_id, |names, line, fields| {
        if names != header {
            let message = format!("{}: the columns are {}, not {}, in this order", path.display(), names.join(","), header.join(","));
            return Err(ReadError::Parquet { path: path.to_path_buf(), message });
        }
        row(&Rec { path, line, header, fields })
    });
    read.map_err(|e| ReadError::Parquet { path: path.to_path_buf(), message: e.to_string() })?
}

impl Artifact {
    /// Whether the validity window contains the UTC time `t` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn is_valid_at(&self, t: &str) -> bool {
        let v = &self.manifest.validity;
        v.from.as_deref().is_none_or(|f| f <= t) && v.to.as_deref().is_none_or(|to| t < to)
    }
}
