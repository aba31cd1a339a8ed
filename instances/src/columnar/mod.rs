//! Columnar edges: an instance file may name a CSV or Parquet ([`parquet`]) file of edges (`"edges_file"`, a path
//! relative to the instance file) instead of listing them inline, so that a day of 10^7 edges
//! is read and written without a JSON object per edge.
//!
//! The CSV has a header naming its columns, in any order: `segment`, `item`, `engagement`
//! (required) and `price`, `cap` (optional columns; an empty cell means price 0, no cap). Fields
//! containing a comma, a quote or a line break are quoted (RFC 4180). Every error names the
//! edges file, the line and the column; at most [`MAX_ERRORS`] are listed.

mod duplicates;
mod footer;
mod ids;
mod pages;
pub mod parquet;
mod table;
pub mod table_writer;
mod thrift;

pub(crate) use ids::DayIds;
pub(crate) use table::Role;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::file::InstanceFile;
use crate::io::{open_input, LoadError, ReadOptions};
use crate::limits::{excerpt, max_magnitude};
use crate::output::AtomicFile;
use crate::shard::EdgeSink;
use crate::types::{Edge, Evidence, Instance, ItemKind};
use crate::validate::{Finding, Validated};
pub(crate) use duplicates::check_duplicates;

/// Errors listed before the rest are summarised.
pub const MAX_ERRORS: usize = 50;

/// The edges file of `instance_path` that `file` names, resolved against the instance's
/// directory.
pub fn edges_path(instance_path: &Path, edges_file: &str) -> PathBuf {
    match instance_path.parent() {
        Some(dir) => dir.join(edges_file),
        None => PathBuf::from(edges_file),
    }
}

/// The edges file `edges_file` of the instance at `instance_path`, if agora may read it: a
/// relative path that stays inside the instance's directory, unless `opts` allow any path.
pub fn confined_edges_path(instance_path: &Path, edges_file: &str, opts: &ReadOptions) -> Result<PathBuf, String> {
    let rel = Path::new(edges_file);
    if opts.allow_outside_edges {
        return Ok(edges_path(instance_path, edges_file));
    }
    if rel.is_absolute() {
        return Err(format!(
            "\"{}\" is an absolute path; an edges file must be named relative to the instance's directory (or pass --allow-outside-edges)",
            excerpt(edges_file)
        ));
    }
    // Lexically: `..` may not climb above the instance's directory at any point.
    let mut depth = 0usize;
    for c in rel.components() {
        match c {
            std::path::Component::ParentDir if depth == 0 => {
                return Err(format!(
                    "\"{}\" leaves the instance's directory; an edges file must lie inside it (or pass --allow-outside-edges)",
                    excerpt(edges_file)
                ));
            }
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    let path = edges_path(instance_path, edges_file);
    // And physically: a symbolic link inside the directory may not lead out of it.
    if let (Ok(real), Some(dir)) = (path.canonicalize(), instance_path.parent()) {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(real_dir) = dir.canonicalize() {
            if !real.starts_with(&real_dir) {
                return Err(format!(
                    "\"{}\" resolves outside the instance's directory; an edges file must lie inside it (or pass --allow-outside-edges)",
                    excerpt(edges_file)
                ));
            }
        }
    }
    Ok(path)
}

/// Validates an instance file whose edges live in its `edges_file`, reading them from the CSV or
/// Parquet file. With `opts.shard`, only the shard's edges are kept, filtered as they are read
/// (see [`crate::parse_str_with`]).
pub fn validate_with_edges_file(file: InstanceFile, path: &Path, opts: &ReadOptions) -> Result<Validated, LoadError> {
    if let Some(shard) = &opts.shard {
        shard.check(path)?;
    }
    let rel = file.edges_file.clone().unwrap_or_default();
    let invalid = |field: &str, message: String| LoadError::Invalid {
        path: path.to_path_buf(),
        errors: vec![Finding { entity: "instance".into(), field: field.into(), message }],
    };
    if file.edges.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(invalid("edges_file", "cannot be given together with inline \"edges\"".into()));
    }
    if rel.is_empty() {
        return Err(invalid("edges_file", "is empty".into()));
    }
    let csv = confined_edges_path(path, &rel, opts).map_err(|m| invalid("edges_file", m))?;
    let mut validated = file.validate().map_err(|errors| LoadError::Invalid { path: path.to_path_buf(), errors })?;
    let mut sink = EdgeSink::new(opts.shard);
    if csv.extension().is_some_and(|x| x == "parquet") {
        parquet::read_edges_into(&csv, &validated.instance, opts, &mut sink)?;
    } else {
        let (file, _) = open_input(&csv, opts)?;
        read_csv_into(BufReader::with_capacity(1 << 20, file), &csv, &validated.instance, &mut sink)?;
    }
    let (edges, evidence, shard) = sink.finish();
    validated.instance.edges = edges;
    validated.instance.evidence = evidence;
    validated.shard = shard;
    validated.sources = vec![path.to_path_buf(), csv];
    Ok(validated)
}

/// Reads and validates the edges of `inst` (whose segments and items are known) from a CSV file.
pub fn read_edges(csv: &Path, inst: &Instance) -> Result<Vec<Edge>, LoadError> {
    read_edges_with(csv, inst, &ReadOptions::default())
}

/// [`read_edges`] under `opts` (the file's size limit).
pub fn read_edges_with(csv: &Path, inst: &Instance, opts: &ReadOptions) -> Result<Vec<Edge>, LoadError> {
    let (file, _) = open_input(csv, opts)?;
    read_edges_from(BufReader::with_capacity(1 << 20, file), csv, inst)
}

/// The columns an edges file may have: the spec's edge fields, then what `agora estimate` adds.
pub const EDGE_COLUMNS: [&str; 8] = ["segment", "item", "engagement", "price", "cap", "n", "engagement_lcb", "engagement_ucb"];

/// Reads and validates edges from CSV text in `reader`; `csv` names it in messages. Evidence
/// columns (`n`, `engagement_lcb`, `engagement_ucb`) are validated and dropped: read them with
/// [`read_edges_and_evidence_from`].
pub fn read_edges_from(reader: impl std::io::BufRead, csv: &Path, inst: &Instance) -> Result<Vec<Edge>, LoadError> {
    read_edges_and_evidence_from(reader, csv, inst).map(|(edges, _)| edges)
}

/// Reads and validates edges and, when the header has any of `n`, `engagement_lcb`,
/// `engagement_ucb`, every edge's [`Evidence`] (empty otherwise; empty cells default as in JSON:
/// no rounds, the point estimate as both ends).
pub fn read_edges_and_evidence_from(reader: impl std::io::BufRead, csv: &Path, inst: &Instance) -> Result<(Vec<Edge>, Vec<Evidence>), LoadError> {
    let mut sink = EdgeSink::all();
    read_csv_into(reader, csv, inst, &mut sink)?;
    let (edges, evidence, _) = sink.finish();
    Ok((edges, evidence))
}

/// Reads and validates edges from CSV text in `reader` into `sink`, record by record.
fn read_csv_into(reader: impl std::io::BufRead, csv: &Path, inst: &Instance, sink: &mut EdgeSink) -> Result<(), LoadError> {
    let mut records = crate::csv::Reader::new(reader);
    let syntax = |e: crate::csv::ReadError| match e {
        crate::csv::ReadError::Io(source) => LoadError::Io { path: csv.to_path_buf(), source },
        crate::csv::ReadError::Syntax { line, message } => {
            LoadError::Invalid { path: csv.to_path_buf(), errors: vec![Finding { entity: format!("line {line}"), field: String::new(), message }] }
        }
    };
    let mut fields: Vec<String> = Vec::new();
    if records.read(&mut fields).map_err(syntax)?.is_none() {
        return Err(LoadError::Invalid {
            path: csv.to_path_buf(),
            errors: vec![Finding {
                entity: "line 1".into(),
                field: String::new(),
                message: "is missing: expected a header such as segment,item,engagement,price,cap".into(),
            }],
        });
    }
    // A byte-order mark some editors write is not part of the first column's name.
    if let Some(first) = fields.first_mut() {
        if let Some(rest) = first.strip_prefix('\u{feff}') {
            *first = rest.to_string();
        }
    }
    validate_edges(csv, inst, &fields, Errors::default(), sink, |cells| records.read(cells).map_err(syntax))
}

/// Validates edge records against `inst`: `header` names the columns, `next` fills a record's
/// cells as text (an empty cell is an absent value) and says its number (`Ok(None)` at the end).
/// CSV and Parquet files go through here alike, so that the same day gives the same edges.
/// A cell as a validator reads it: empty (or null), text to parse, or a value a typed format
/// (Parquet) already holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Raw<'a> {
    /// An empty cell or a null.
    Empty,
    /// Text, trimmed.
    Text(&'a str),
    /// A number read as one.
    Value(f64),
}

/// One record's cells, whatever the file's format: CSV lines are text, Parquet rows typed
/// ([`table::Cell`]). Both go through [`validate_edges`], so a day reads the same from either.
pub(crate) trait Cells: Default {
    /// How many cells the record has.
    fn count(&self) -> usize;
    /// Cell `k` as an id (text; a null is the empty id).
    fn id(&self, k: usize) -> &str;
    /// Cell `k` as a number's source.
    fn raw(&self, k: usize) -> Raw<'_>;
}

/// Cell `c` of `cells`, empty when the column is absent.
fn raw<C: Cells>(cells: &C, c: Option<usize>) -> Raw<'_> {
    c.map_or(Raw::Empty, |c| cells.raw(c))
}

impl Cells for Vec<String> {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, k: usize) -> &str {
        self.get(k).map_or("", |s| s.as_str())
    }
    fn raw(&self, k: usize) -> Raw<'_> {
        match self.get(k).map(|c| c.trim()) {
            None | Some("") => Raw::Empty,
            Some(t) => Raw::Text(t),
        }
    }
}

/// Validates the records `next` gives (with `fields` for header) into `sink`, then checks the
/// kept edges for duplicates.
fn validate_edges<C: Cells>(
    path: &Path,
    inst: &Instance,
    fields: &[String],
    mut errs: Errors,
    sink: &mut EdgeSink,
    next: impl FnMut(&mut C) -> Result<Option<usize>, LoadError>,
) -> Result<(), LoadError> {
    let cols = EdgeColumns::find(path, fields, &mut errs)?;
    let ids = DayIds::of(inst);
    edge_records(inst, &cols, &ids, &mut errs, sink, next)?;
    check_duplicates(inst, sink, &mut errs);
    errs.into_result(path)
}

/// Where an edges file's columns are, by name.
pub(crate) struct EdgeColumns {
    seg: usize,
    item: usize,
    eng: usize,
    price: Option<usize>,
    cap: Option<usize>,
    n: Option<usize>,
    lcb: Option<usize>,
    ucb: Option<usize>,
    count: usize,
}

impl EdgeColumns {
    /// The columns of `fields`; a missing required column or an unknown one is an error.
    pub(crate) fn find(path: &Path, fields: &[String], errs: &mut Errors) -> Result<EdgeColumns, LoadError> {
        let col = |name: &str| fields.iter().position(|f| f.trim() == name);
        duplicate_columns(fields, errs);
        for name in ["segment", "item", "engagement"] {
            if col(name).is_none() {
                errs.add(1, name, "column is missing from the header".into());
            }
        }
        for f in fields {
            if !EDGE_COLUMNS.contains(&f.trim()) {
                errs.add(1, "", format!("unknown column \"{}\" (the columns are {})", excerpt(f.trim()), EDGE_COLUMNS.join(", ")));
            }
        }
        if errs.count > 0 {
            return Err(LoadError::Invalid { path: path.to_path_buf(), errors: std::mem::take(&mut errs.list) });
        }
        Ok(EdgeColumns {
            seg: col("segment").unwrap_or(0),
            item: col("item").unwrap_or(0),
            eng: col("engagement").unwrap_or(0),
            price: col("price"),
            cap: col("cap"),
            n: col("n"),
            lcb: col("engagement_lcb"),
            ucb: col("engagement_ucb"),
            count: fields.len(),
        })
    }

    pub(crate) fn with_evidence(&self) -> bool {
        self.n.is_some() || self.lcb.is_some() || self.ucb.is_some()
    }
}

/// Reports every column name a header lists twice (the first would win silently otherwise).
pub(crate) fn duplicate_columns(fields: &[String], errs: &mut Errors) {
    for (k, f) in fields.iter().enumerate() {
        if let Some(first) = fields[..k].iter().position(|g| g.trim() == f.trim()) {
            errs.add(1, f.trim(), format!("is the name of columns {} and {}: every column needs a name of its own", first + 1, k + 1));
        }
    }
}

/// Validates the records `next` gives into edges (and evidence, when the file has its columns),
/// each pushed into `sink` (which keeps those it is for), adding every problem to `errs` by record
/// number; duplicates are [`check_duplicates`]' job. Every record is validated whether or not
/// it is kept, so that every shard of a day reports the same errors.
pub(crate) fn edge_records<C: Cells>(
    inst: &Instance,
    cols: &EdgeColumns,
    ids: &DayIds,
    errs: &mut Errors,
    sink: &mut EdgeSink,
    mut next: impl FnMut(&mut C) -> Result<Option<usize>, LoadError>,
) -> Result<(), LoadError> {
    let with_evidence = cols.with_evidence();
    let mut cells = C::default();
    while let Some(ln) = next(&mut cells)? {
        if cells.count() == 1 && cells.raw(0) == Raw::Empty {
            continue;
        }
        if cells.count() != cols.count {
            errs.add(ln, "", format!("has {} fields, the header {}", cells.count(), cols.count));
            continue;
        }
        let segment = ids.segments.get(cells.id(cols.seg));
        if segment.is_none() {
            errs.add(ln, "segment", format!("unknown segment \"{}\"", excerpt(cells.id(cols.seg))));
        }
        let item = ids.items.get(cells.id(cols.item));
        if item.is_none() {
            errs.add(ln, "item", format!("unknown item \"{}\"", excerpt(cells.id(cols.item))));
        }
        let engagement = match number(errs, ln, "engagement", cells.raw(cols.eng), false) {
            Some(Some(v)) => Some(v),
            Some(None) => {
                errs.add(ln, "engagement", "is missing".into());
                None
            }
            None => None,
        };
        let price = number(errs, ln, "price", raw(&cells, cols.price), false);
        let cap = number(errs, ln, "cap", raw(&cells, cols.cap), true);
        let ev =
            if with_evidence { edge_evidence(errs, ln, [raw(&cells, cols.n), raw(&cells, cols.lcb), raw(&cells, cols.ucb)], engagement) } else { Some(None) };
        if let (Some(s), Some(i), Some(engagement), Some(price), Some(cap), Some(ev)) = (segment, item, engagement, price, cap, ev) {
            let price = price.unwrap_or(0.0);
            if price > 0.0 && inst.items[i].kind() == ItemKind::Organic {
                errs.add(ln, "price", format!("must be 0 on an organic item's edge, got {price}"));
                continue;
            }
            sink.push(Edge { segment: s, item: i, engagement, price, cap }, ev);
        }
    }
    Ok(())
}

/// One row's evidence cells (`Some(None)` would mean none; here always `Some(Some(..))` unless a
/// cell is invalid, which is reported).
fn edge_evidence(errs: &mut Errors, ln: usize, [n, lcb, ucb]: [Raw<'_>; 3], engagement: Option<f64>) -> Option<Option<Evidence>> {
    let whole = |v: f64| v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9.0e15;
    let n = match n {
        Raw::Empty => 0,
        Raw::Value(v) if whole(v) => v as u64,
        Raw::Text(cell) if cell.parse::<f64>().is_ok_and(whole) => cell.parse::<f64>().unwrap_or(0.0) as u64,
        Raw::Text(cell) => {
            errs.add(ln, "n", format!("must be a whole number >= 0, got \"{}\"", excerpt(cell)));
            return None;
        }
        Raw::Value(v) => {
            errs.add(ln, "n", format!("must be a whole number >= 0, got \"{v}\""));
            return None;
        }
    };
    let lcb = number(errs, ln, "engagement_lcb", lcb, false)?;
    let ucb = number(errs, ln, "engagement_ucb", ucb, false)?;
    let g = engagement?;
    let (lcb, ucb) = (lcb.unwrap_or(g), ucb.unwrap_or(g));
    if lcb > g {
        errs.add(ln, "engagement_lcb", format!("must be <= engagement ({g}), got {lcb}"));
        return None;
    }
    if ucb < g {
        errs.add(ln, "engagement_ucb", format!("must be >= engagement ({g}), got {ucb}"));
        return None;
    }
    Some(Some(Evidence { n, lcb, ucb }))
}

/// Errors found so far in a file of records: the first [`MAX_ERRORS`] and how many in all.
#[derive(Default)]
pub(crate) struct Errors {
    pub(crate) list: Vec<Finding>,
    pub(crate) count: usize,
    /// What a record is called in messages: `line` (the default, CSV) or `row` (Parquet).
    pub(crate) unit: Option<&'static str>,
}

impl Errors {
    /// Line 0 stands for the file as a whole.
    pub(crate) fn add(&mut self, line: usize, field: &str, message: String) {
        self.count += 1;
        if self.list.len() < MAX_ERRORS {
            let entity = if line == 0 { "file".to_string() } else { format!("{} {line}", self.unit.unwrap_or("line")) };
            self.list.push(Finding { entity, field: field.into(), message });
        }
    }

    /// Appends the errors of a later part of the same file (a Parquet row group read apart).
    pub(crate) fn append(&mut self, other: Errors) {
        let room = MAX_ERRORS.saturating_sub(self.list.len());
        self.list.extend(other.list.into_iter().take(room));
        self.count += other.count;
    }

    /// `Ok` when nothing was found, else every listed error and how many more there were.
    pub(crate) fn into_result(mut self, path: &Path) -> Result<(), LoadError> {
        if self.count == 0 {
            return Ok(());
        }
        let more = self.count - self.list.len();
        if more > 0 {
            self.list.push(Finding { entity: "file".into(), field: String::new(), message: format!("{more} more errors not listed") });
        }
        Err(LoadError::Invalid { path: path.to_path_buf(), errors: self.list })
    }
}

/// A number cell: `Some(None)` when empty, `None` (and an error) when invalid.
fn number(errs: &mut Errors, ln: usize, field: &str, cell: Raw<'_>, positive: bool) -> Option<Option<f64>> {
    let parsed = match cell {
        Raw::Empty => return Some(None),
        Raw::Value(v) => Ok(v),
        Raw::Text(t) => t.parse::<f64>().map_err(|_| t),
    };
    match parsed {
        Ok(v) if v.is_finite() && (if positive { v > 0.0 } else { v >= 0.0 }) && v <= max_magnitude(field) => Some(Some(v)),
        Ok(v) if v.is_finite() && v > max_magnitude(field) => {
            errs.add(ln, field, format!("must be at most {:e} (docs/formats.md, \"Limits\"), got {v:e}", max_magnitude(field)));
            None
        }
        Ok(v) => {
            errs.add(ln, field, format!("must be {}, got {v}", if positive { "> 0" } else { ">= 0" }));
            None
        }
        Err(text) => {
            errs.add(ln, field, format!("not a number: \"{}\"", excerpt(text)));
            None
        }
    }
}

/// Writes `inst` in columnar form: the edges to `<stem>.edges.csv` next to `path`, streamed,
/// then the instance file naming it (both atomically: temporary files, then renames, edges
/// first). Returns the edges file's path.
pub fn save_columnar(inst: &Instance, path: &Path) -> std::io::Result<PathBuf> {
    save_columnar_as(inst, path, EdgesFormat::Csv)
}

/// The file format of a columnar day's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgesFormat {
    /// `<stem>.edges.csv`.
    Csv,
    /// `<stem>.edges.parquet` ([`parquet`]).
    Parquet,
}

/// The edges file [`save_columnar_as`] writes beside the instance file `path`, and its name
/// relative to it: `<stem>.edges.csv` or `<stem>.edges.parquet`.
pub fn columnar_edges_file(path: &Path, format: EdgesFormat) -> (PathBuf, String) {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "instance".into());
    let rel = format!("{stem}.edges.{}", if format == EdgesFormat::Csv { "csv" } else { "parquet" });
    (edges_path(path, &rel), rel)
}

/// [`save_columnar`] in either format.
pub fn save_columnar_as(inst: &Instance, path: &Path, format: EdgesFormat) -> std::io::Result<PathBuf> {
    let (csv, rel) = columnar_edges_file(path, format);
    crate::output::check_output(&csv, crate::output::OutputKind::File, &[])?;
    let tmp = csv.with_file_name(format!(".{rel}.{}.tmp", std::process::id()));
    let result = (|| {
        if format == EdgesFormat::Parquet {
            parquet::write_edges_parquet(inst, &tmp)?;
            File::open(&tmp)?.sync_all()?;
            return std::fs::rename(&tmp, &csv);
        }
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        let with_evidence = !inst.evidence.is_empty();
        writeln!(w, "segment,item,engagement,price,cap{}", if with_evidence { ",n,engagement_lcb,engagement_ucb" } else { "" })?;
        for (k, e) in inst.edges.iter().enumerate() {
            write!(w, "{},{},{},{},", crate::csv::field(&inst.segments[e.segment].id), crate::csv::field(&inst.items[e.item].id), e.engagement, e.price)?;
            if let Some(c) = e.cap {
                write!(w, "{c}")?;
            }
            if with_evidence {
                let v = inst.evidence(k);
                write!(w, ",{},{},{}", v.n, v.lcb, v.ucb)?;
            }
            writeln!(w)?;
        }
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &csv)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    // The head streamed to its file, the day's tables borrowed: at 10^8 edges the head's JSON is
    // 1.5 GB, which a copy of the head and a string of it would add to the day in memory.
    let mut file = InstanceFile::of(inst, false);
    file.edges_file = Some(rel);
    let mut out = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut out, &file).map_err(std::io::Error::other)?;
    out.commit()?;
    Ok(csv)
}
