//! Writing an artifact: its data files, then `manifest.json` listing each one's SHA-256 and
//! size, then `checksum.sha256`, into a temporary directory that takes the target's place once
//! everything is written ([`agora_instances::write_dir_streaming`]). The per-edge file is
//! streamed: CSV lines are formatted a batch at a time on every thread while the previous batch
//! is written and hashed, Parquet row groups are written one at a time; neither holds the file.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use agora_instances::columnar::table_writer::{Column, ColumnType, TableWriter, ROW_GROUP};
use agora_instances::csv::{field, write_record};

use crate::artifact::*;

/// An artifact's parts as the writers take them: the small tables whole, the edges as rows on
/// demand ([`EdgeRows`]), and the per-edge file's format.
pub struct Parts<'a, E: EdgeRows + ?Sized> {
    /// `manifest.json` (its `files` are filled in as the files are written).
    pub manifest: &'a Manifest,
    /// `pacing.csv`.
    pub pacing: &'a [PacingRow],
    /// `adjustments.csv`.
    pub adjustments: &'a [AdjustmentRow],
    /// `segments.csv`.
    pub segments: &'a [SegmentRow],
    /// The per-edge file's rows.
    pub edges: &'a E,
    /// `edges.csv` or `edges.parquet`.
    pub format: EdgesFormat,
}

impl Artifact {
    /// The artifact's parts, its edges written as `format`.
    pub fn parts(&self, format: EdgesFormat) -> Parts<'_, [EdgeRow]> {
        Parts { manifest: &self.manifest, pacing: &self.pacing, adjustments: &self.adjustments, segments: &self.segments, edges: &self.edges[..], format }
    }

    /// The artifact's files, names and bytes, in the order they are written: the data files (the
    /// edges as CSV), then `manifest.json` (with `files` filled in), then `checksum.sha256`.
    pub fn render(&self) -> Vec<(String, Vec<u8>)> {
        render(&self.parts(EdgesFormat::Csv)).expect("writing to memory does not fail")
    }
}

/// The files of `parts`, as [`Artifact::render`] lists them.
pub fn render<E: EdgeRows + ?Sized>(parts: &Parts<E>) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for k in 0..DATA_FILES.len() {
        let bytes = write_data(parts, k, Vec::new())?;
        files.push((data_file_name(parts.format, k).to_string(), bytes));
    }
    let entries: Vec<FileEntry> =
        files.iter().map(|(name, bytes)| FileEntry { name: name.clone(), sha256: sha256_hex(bytes), bytes: bytes.len() as u64 }).collect();
    let (manifest, sums) = closing_files(parts.manifest, entries);
    files.push((MANIFEST.to_string(), manifest));
    files.push((CHECKSUMS.to_string(), sums));
    Ok(files)
}

/// Why an artifact could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target exists and is not an empty directory.
    #[error("{path}: already exists and is not an empty directory; remove it or choose another --out")]
    Exists {
        /// The target directory.
        path: PathBuf,
    },
    /// Writing the directory failed.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The target directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Writes `artifact` (its edges as CSV) to the directory `dir` atomically: on any failure `dir`
/// is left as it was. `dir` must not exist, or be an empty directory.
pub fn write_dir(artifact: &Artifact, dir: &Path) -> Result<(), WriteError> {
    write_parts(&artifact.parts(EdgesFormat::Csv), dir)
}

/// Writes the artifact of `parts` to the directory `dir` atomically, its per-edge file streamed
/// (the same bytes [`render`] gives). `dir` must not exist, or be an empty directory.
pub fn write_parts<E: EdgeRows + ?Sized>(parts: &Parts<E>, dir: &Path) -> Result<(), WriteError> {
    agora_instances::write_dir_streaming(dir, agora_instances::ExistingDir::Refuse, |d| {
        let mut entries = Vec::new();
        for k in 0..DATA_FILES.len() {
            let name = data_file_name(parts.format, k);
            let hashed = d.file(name, |f| Ok(write_data(parts, k, Hashing::new(f))?.finish()))?;
            entries.push(FileEntry { name: name.to_string(), sha256: hashed.0, bytes: hashed.1 });
        }
        let (manifest, sums) = closing_files(parts.manifest, entries);
        d.file(MANIFEST, |f| f.write_all(&manifest))?;
        d.file(CHECKSUMS, |f| f.write_all(&sums))
    })
    .map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            WriteError::Exists { path: dir.to_path_buf() }
        } else {
            WriteError::Io { path: dir.to_path_buf(), source }
        }
    })
}

/// The name of data file `k` when the edges are written as `format`.
fn data_file_name(format: EdgesFormat, k: usize) -> &'static str {
    if k == 3 {
        format.file_name()
    } else {
        DATA_FILES[k]
    }
}

/// `manifest.json` with `files` set to `entries`, and `checksum.sha256` over the data files and
/// the manifest.
fn closing_files(manifest: &Manifest, entries: Vec<FileEntry>) -> (Vec<u8>, Vec<u8>) {
    let mut manifest = manifest.clone();
    manifest.files = entries;
    let bytes = serde_json::to_string_pretty(&manifest).expect("manifests serialise").into_bytes();
    let mut sums = String::new();
    for f in &manifest.files {
        let _ = writeln!(sums, "{}  {}", f.sha256, f.name);
    }
    let _ = writeln!(sums, "{}  {MANIFEST}", sha256_hex(&bytes));
    (bytes, sums.into_bytes())
}

/// A number as written in the CSV files: Rust's shortest representation that reads back to the
/// same `f64`, so the files round-trip exactly.
fn num(x: f64) -> String {
    format!("{x}")
}

/// Writes data file `k` of `parts` to `out` and returns `out`.
fn write_data<E: EdgeRows + ?Sized, W: Write + Send>(parts: &Parts<E>, k: usize, mut out: W) -> std::io::Result<W> {
    let mut text = String::new();
    write_record(&mut text, HEADERS[k]);
    match k {
        0 => parts.pacing.iter().for_each(|p| {
            write_record(&mut text, &[p.campaign.clone(), num(p.multiplier), num(p.budget), num(p.planned_spend), num(p.budget_dual)]);
        }),
        1 => parts.adjustments.iter().for_each(|a| {
            write_record(&mut text, &[a.name.clone(), a.kind.clone(), a.sense.clone(), a.scope.clone(), num(a.dual), num(a.shadow_price), a.units.clone()]);
        }),
        2 => parts.segments.iter().for_each(|s| {
            write_record(&mut text, &[s.segment.clone(), num(s.supply), num(s.unserved_rate), num(s.unserved_score), num(s.epsilon)]);
        }),
        _ if parts.format == EdgesFormat::Parquet => return write_edges_parquet(parts.edges, out),
        _ => {
            out.write_all(text.as_bytes())?;
            write_edges_csv(parts.edges, &mut out)?;
            return Ok(out);
        }
    }
    out.write_all(text.as_bytes())?;
    Ok(out)
}

/// Rows of `edges.csv` formatted by one task: a batch is this times the threads.
const CSV_TASK: usize = 1 << 14;

/// `edges.csv`'s lines (after its header): formatted a batch at a time in parallel, each batch
/// written while the next is formatted.
fn write_edges_csv<E: EdgeRows + ?Sized>(edges: &E, out: &mut (impl Write + Send)) -> std::io::Result<()> {
    let batch = CSV_TASK * rayon::current_num_threads().max(1);
    let format = |start: usize| -> Vec<String> {
        let end = (start + batch).min(edges.len());
        (start..end)
            .into_par_iter()
            .step_by(CSV_TASK)
            .map(|from| {
                let mut s = String::with_capacity(CSV_TASK * 96);
                (from..(from + CSV_TASK).min(end)).for_each(|k| edge_line(&mut s, &edges.row(k)));
                s
            })
            .collect()
    };
    pipelined(edges.len(), batch, format, |lines| lines.iter().try_for_each(|s| out.write_all(s.as_bytes())))
}

/// Consumes the batches `produce(0)`, `produce(step)`, ... up to `len`, in order, each produced
/// (on rayon's threads) while the one before is consumed.
fn pipelined<B: Send>(
    len: usize,
    step: usize,
    produce: impl Fn(usize) -> B + Sync,
    mut consume: impl FnMut(B) -> std::io::Result<()> + Send,
) -> std::io::Result<()> {
    let mut ready = produce(0);
    let mut start = 0;
    while start < len {
        start += step;
        let (next, consumed) = rayon::join(|| (start < len).then(|| produce(start)), || consume(ready));
        consumed?;
        match next {
            Some(batch) => ready = batch,
            None => break,
        }
    }
    Ok(())
}

/// One line of `edges.csv`: `segment,item,campaign,value,price,adjustment,rate`.
fn edge_line(s: &mut String, e: &EdgeRef) {
    s.push_str(&field(e.segment));
    s.push(',');
    s.push_str(&field(e.item));
    s.push(',');
    s.push_str(&field(e.campaign.unwrap_or("")));
    for x in [e.value, e.price, e.adjustment, e.rate] {
        s.push(',');
        // Most of a large day's rates and many prices are 0: written as `{x}` writes it.
        if x == 0.0 && x.is_sign_positive() {
            s.push('0');
        } else {
            let _ = write!(s, "{x}");
        }
    }
    s.push('\n');
}

/// `edges.parquet`: the columns of `edges.csv`, a row group of [`ROW_GROUP`] rows at a time.
fn write_edges_parquet<E: EdgeRows + ?Sized, W: Write + Send>(edges: &E, out: W) -> std::io::Result<W> {
    let names = HEADERS[3];
    let types = [ColumnType::Text, ColumnType::Text, ColumnType::OptionalText, ColumnType::Number, ColumnType::Number, ColumnType::Number, ColumnType::Number];
    let columns: Vec<(&str, ColumnType)> = names.iter().copied().zip(types).collect();
    let mut table = TableWriter::new(out, &columns)?;
    // Each group's rows are gathered on the other threads while the one before is encoded.
    let gather = |start: usize| -> Vec<EdgeRef> { (start..(start + ROW_GROUP).min(edges.len())).into_par_iter().map(|k| edges.row(k)).collect() };
    pipelined(edges.len(), ROW_GROUP, gather, |rows| {
        let number = |f: fn(&EdgeRef) -> f64| Column::Number(rows.iter().map(f).collect());
        table.write_group(&[
            Column::Text(rows.iter().map(|e| e.segment).collect()),
            Column::Text(rows.iter().map(|e| e.item).collect()),
            Column::OptionalText(rows.iter().map(|e| e.campaign).collect()),
            number(|e| e.value),
            number(|e| e.price),
            number(|e| e.adjustment),
            number(|e| e.rate),
        ])
    })?;
    table.finish()
}

/// A writer that hashes (SHA-256) and counts what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing { inner, sha: Sha256::new(), bytes: 0 }
    }
    /// The hex SHA-256 and the count of the bytes written.
    fn finish(self) -> (String, u64) {
        (hex(&self.sha.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every batch is consumed once, in order, whatever the length and step; a consumer's error
    /// ends the run.
    #[test]
    fn pipelined_batches_are_consumed_in_order() {
        for (len, step) in [(0, 4), (3, 4), (4, 4), (10, 4), (1000, 7)] {
            let mut seen = Vec::new();
            pipelined(
                len,
                step,
                |start| (start..(start + step).min(len)).collect::<Vec<usize>>(),
                |b| {
                    seen.extend(b);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..len).collect::<Vec<_>>(), "len {len} step {step}");
        }
        let mut calls = 0;
        let e = pipelined(
            100,
            10,
            |s| s,
            |_| {
                calls += 1;
                if calls == 3 {
                    Err(std::io::Error::other("full"))
                } else {
                    Ok(())
                }
            },
        );
        assert!(e.is_err() && calls == 3);
    }

    #[test]
    fn a_hashing_writer_hashes_what_it_writes() {
        let mut h = Hashing::new(Vec::new());
        h.write_all(b"a").unwrap();
        h.write_all(b"bc").unwrap();
        assert_eq!(h.bytes, 3);
        assert_eq!(h.finish().0, sha256_hex(b"abc"));
    }
}
