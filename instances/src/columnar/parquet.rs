//! Parquet edges: `"edges_file": "day.edges.parquet"` (what Spark and warehouses write). The columns
//! are the CSV's (`segment`, `item`, `engagement`, optional `price`, `cap`, `n`, `engagement_lcb`,
//! `engagement_ucb`), by name, in any order; ids may be strings or integers (signed or unsigned),
//! numbers any integer, floating point or decimal type (scaled), and a null is an absent value.
//!
//! Edges and logs are read through one typed column reader, [`super::table`], which trusts
//! nothing the file declares (docs/formats.md, "Parquet"): row groups in parallel, 65,536 rows of
//! a column at a time; numbers stay numbers (no text round trip), ids are copied into reused
//! buffers. Every row then goes through the same validator as a CSV line ([`super::Cells`]), so
//! one day read from either format gives the same edges, and errors name the file, the row
//! (1-based) and the column. Logs take each row as text cells ([`read_records`]), for their own
//! validator, the CSV's.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use rayon::prelude::*;

use super::table::{Role, Row, Source, Table, CHUNK};
use super::{check_duplicates, edge_records, DayIds, EdgeColumns, Errors, EDGE_COLUMNS};
use crate::io::{open_input, LoadError, ReadOptions};
use crate::shard::{Deal, EdgeSink, Shard};
use crate::types::{Edge, Evidence, Instance};

/// Rows per row group when writing: 262,144 edges (about 2 MB compressed), so that a day of 10^6
/// edges has four groups for the reader to take in parallel.
const ROW_GROUP: usize = 1 << 18;

/// Reads and validates the edges (and evidence, when its columns are there) of a Parquet file:
/// all of them, whatever `opts.shard` (load the instance with [`crate::load_with`] for a shard).
pub fn read_edges_parquet(path: &Path, inst: &Instance, opts: &ReadOptions) -> Result<(Vec<Edge>, Vec<Evidence>), LoadError> {
    let mut sink = EdgeSink::all();
    read_edges_chunked(path, inst, opts, CHUNK, &mut sink)?;
    let (edges, evidence, _) = sink.finish();
    Ok((edges, evidence))
}

/// [`read_edges_parquet`] over a Parquet file's bytes in memory; `path` names it in messages.
pub fn read_edges_parquet_bytes(data: &[u8], path: &Path, inst: &Instance) -> Result<(Vec<Edge>, Vec<Evidence>), LoadError> {
    let mut sink = EdgeSink::all();
    read_edges_source(&data, data.len() as u64, path, inst, CHUNK, &mut sink)?;
    let (edges, evidence, _) = sink.finish();
    Ok((edges, evidence))
}

/// Reads and validates the edges of a Parquet file into `sink` (which keeps those it is for).
pub(crate) fn read_edges_into(path: &Path, inst: &Instance, opts: &ReadOptions, sink: &mut EdgeSink) -> Result<(), LoadError> {
    read_edges_chunked(path, inst, opts, CHUNK, sink)
}

/// What each edges column is to the table reader.
fn edge_role(name: &str) -> Role {
    match name {
        "segment" | "item" => Role::Id,
        n if EDGE_COLUMNS.contains(&n) => Role::Number,
        // An unknown column is refused by name by the header check.
        _ => Role::Opaque,
    }
}

/// What one row group gives: its edges and their evidence (all of them), its errors.
type GroupEdges = (EdgeSink, Errors);

fn read_edges_chunked(path: &Path, inst: &Instance, opts: &ReadOptions, chunk: usize, sink: &mut EdgeSink) -> Result<(), LoadError> {
    let (file, len) = open_input(path, opts)?;
    read_edges_source(&file, len, path, inst, chunk, sink)
}

/// Reads and validates the edges of the Parquet file in `source` (`len` bytes), its row groups
/// in parallel (rayon's pool), each decoded `chunk` rows at a time; the groups' edges, evidence
/// and errors are joined in file order, each edge pushed into `sink` there (so that a shard's
/// sink filters and hashes them in day order, holding its own edges and one batch of groups),
/// then duplicates are checked over the kept edges, as for a CSV.
fn read_edges_source(source: &dyn Source, len: u64, path: &Path, inst: &Instance, chunk: usize, sink: &mut EdgeSink) -> Result<(), LoadError> {
    let table = Table::open(source, len, path, edge_role)?;
    let row_errors = || Errors { unit: Some("row"), ..Errors::default() };
    let mut errs = row_errors();
    let cols = EdgeColumns::find(path, &table.header(), &mut errs)?;
    let ids = DayIds::of(inst);
    let sizes = table.group_rows();
    // The footer check added the groups' rows without overflow: these sums fit.
    let firsts: Vec<u64> = sizes.iter().scan(0u64, |acc, &n| Some(std::mem::replace(acc, *acc + n))).collect();
    let read = match sink.shard() {
        Some(shard) => {
            let (deal, read) = deal_groups(&table, cols.seg, &ids, inst.segments.len(), &sizes, shard)?;
            sink.deal(deal, sizes.len());
            read
        }
        None => vec![true; sizes.len()],
    };
    if cols.with_evidence() {
        sink.day_has_evidence();
    }
    let read_group = |g: usize| -> Result<GroupEdges, LoadError> {
        let mut rows = table.group(g, firsts[g], chunk)?;
        let mut group_errs = row_errors();
        let mut group = EdgeSink::all();
        edge_records(inst, &cols, &ids, &mut group_errs, &mut group, |row: &mut Row| rows.next(row))?;
        Ok((group, group_errs))
    };
    // Room for the edges the file declares, but never more than one per 4 bytes of the file: a
    // footer's count is a claim, the file's size a fact (agora's own files hold 7.8 bytes an
    // edge at 10^7 edges, dictionary ids and Snappy); the vectors grow past the hint if need be.
    sink.reserve(table.rows().min(len / 4) as usize);
    // As many groups at once as there are threads, each joined as soon as its batch is done: the
    // edges are held about once (plus a group per thread), not twice.
    // A group not read is skipped where it comes, so that the edges after it keep their day
    // indices.
    let groups: Vec<usize> = (0..sizes.len()).filter(|&g| read[g]).collect();
    let mut next = 0usize;
    for batch in groups.chunks(rayon::current_num_threads().max(1)) {
        let parts: Vec<Result<GroupEdges, LoadError>> = batch.par_iter().map(|&g| read_group(g)).collect();
        for (&g, part) in batch.iter().zip(parts) {
            let (group, x) = part?;
            sink.skip(sizes[next..g].iter().sum::<u64>() as usize);
            next = g + 1;
            sink.append(group);
            errs.append(x);
        }
    }
    sink.skip(sizes[next..].iter().sum::<u64>() as usize);
    check_duplicates(inst, sink, &mut errs);
    errs.into_result(path)
}

/// How `shard`'s load deals the day's `segments` segments, and which row groups it decodes, from
/// each group's segment column (`column`) without decoding a group: its dictionary page lists
/// the ids its rows take. When every group has one, segments are dealt in runs of the file
/// ([`Deal::by_groups`]) and the shard decodes the groups holding one of its segments, or an id
/// that is no segment's (so that every rank reports it). A group without a dictionary (PLAIN
/// ids, integer ids) leaves the deal round-robin and every group decoded, and so does a file not
/// sorted by segment: once the groups' dictionaries hold more than four entries per segment and
/// group (a sorted file holds about one), reading further ones would cost time and memory that
/// no group skipped repays.
fn deal_groups(table: &Table, column: usize, ids: &DayIds, segments: usize, sizes: &[u64], shard: Shard) -> Result<(Deal, Vec<bool>), LoadError> {
    let every = || (Deal::RoundRobin, vec![true; sizes.len()]);
    // Each group's segments, and whether it names an id that is no segment's.
    let mut held: Vec<(u64, Vec<usize>)> = Vec::with_capacity(sizes.len());
    let mut unknown = vec![false; sizes.len()];
    let (mut entries, most) = (0usize, 4 * (segments + sizes.len()));
    for g in 0..sizes.len() {
        let Some(values) = table.group_dictionary(g, column)? else { return Ok(every()) };
        entries += values.len();
        if entries > most {
            return Ok(every());
        }
        let mut segs = Vec::with_capacity(values.len());
        for v in &values {
            match std::str::from_utf8(v).ok().and_then(|id| ids.segments.get(id)) {
                Some(s) => segs.push(s),
                None => unknown[g] = true,
            }
        }
        segs.sort_unstable();
        segs.dedup();
        held.push((sizes[g], segs));
    }
    let deal = Deal::by_groups(&held, segments, shard.ranks);
    let read = held.iter().zip(&unknown).map(|((_, segs), &unknown)| unknown || segs.iter().any(|&s| deal.rank_of(s, shard.ranks) == shard.rank)).collect();
    Ok((deal, read))
}

/// A validator of records: the column names, the errors so far (counting `row`s), and the
/// source of records as text cells.
type Records<'a> = &'a mut dyn FnMut(&mut Vec<String>) -> Result<Option<usize>, LoadError>;

/// Opens a Parquet file through the table reader (each column's type checked against the role
/// `role` gives its name) and hands `validate` its column names and its records, each as text
/// cells (a null is an empty cell; numbers print and parse back exactly), numbered from 1: what
/// the CSV readers' validators take, so that both formats are validated by the same code.
pub(crate) fn read_records<T>(
    path: &Path,
    opts: &ReadOptions,
    role: impl Fn(&str) -> Role,
    validate: impl FnOnce(&[String], Errors, Records) -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    let (file, len) = open_input(path, opts)?;
    read_records_from(&file, len, path, role, validate)
}

/// [`read_records`] over `len` bytes of `source`.
pub(crate) fn read_records_from<T>(
    source: &dyn Source,
    len: u64,
    path: &Path,
    role: impl Fn(&str) -> Role,
    validate: impl FnOnce(&[String], Errors, Records) -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    let table = Table::open(source, len, path, role)?;
    let groups = table.group_rows();
    let (mut g, mut first) = (0usize, 0u64);
    let mut rows = None;
    let mut row = Row::default();
    let errs = Errors { unit: Some("row"), ..Errors::default() };
    let mut next = |cells: &mut Vec<String>| -> Result<Option<usize>, LoadError> {
        loop {
            if rows.is_none() {
                if g == groups.len() {
                    return Ok(None);
                }
                rows = Some(table.group(g, first, CHUNK)?);
                first += groups[g];
                g += 1;
            }
            if let Some(n) = rows.as_mut().map(|r| r.next(&mut row)).transpose()?.flatten() {
                row.to_text(cells);
                return Ok(Some(n));
            }
            rows = None;
        }
    };
    validate(&table.header(), errs, &mut next)
}

/// Reads the Parquet file in `data` (`path` names it in messages) through the typed reader and
/// calls `row(header, number, cells)` for each row in file order, `number` counting from 1 and
/// each cell as text (a null is an empty cell; a number prints as Rust's shortest round-trip
/// text, so it parses back to the same `f64`). Columns for which `is_id` is true may be text
/// or integers, the others must be numbers. A file the reader refuses is the outer error; the
/// first error `row` returns ends the read and is the inner one.
pub fn read_text_rows<E>(
    data: &[u8],
    path: &Path,
    is_id: impl Fn(&str) -> bool,
    mut row: impl FnMut(&[String], usize, &[String]) -> Result<(), E>,
) -> Result<Result<(), E>, LoadError> {
    let role = |name: &str| if is_id(name) { Role::Id } else { Role::Number };
    read_records_from(&data, data.len() as u64, path, role, |header, _errs, next| {
        let mut cells = Vec::new();
        while let Some(n) = next(&mut cells)? {
            if let Err(e) = row(header, n, &cells) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    })
}

/// Writes the edges of `inst` (and its evidence, when it has some) as Parquet to `out`: ids as
/// dictionary-encoded UTF-8, numbers as doubles (`n` as int64), `cap` nullable, Snappy-compressed.
pub fn write_edges_parquet(inst: &Instance, out: &Path) -> std::io::Result<()> {
    write_edges_parquet_grouped(inst, out, ROW_GROUP)
}

/// [`write_edges_parquet`] with `group` rows per row group (at least 1). Smaller groups let a
/// distributed load skip more of a file: each process decodes only the groups of its segments.
pub fn write_edges_parquet_grouped(inst: &Instance, out: &Path, group: usize) -> std::io::Result<()> {
    let with_evidence = !inst.evidence.is_empty();
    let schema = format!(
        "message edges {{ required binary segment (UTF8); required binary item (UTF8); required double engagement; required double price; optional double cap; {} }}",
        if with_evidence { "required int64 n; required double engagement_lcb; required double engagement_ucb;" } else { "" }
    );
    let to_io = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let schema = Arc::new(parse_message_type(&schema).map_err(to_io)?);
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).set_dictionary_enabled(true).build());
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, props).map_err(to_io)?;
    let group = group.max(1);
    for start in (0..inst.edges.len()).step_by(group) {
        let range = start..(start + group).min(inst.edges.len());
        let edges = &inst.edges[range.clone()];
        let mut group = writer.next_row_group().map_err(to_io)?;
        let mut column = 0;
        while let Some(mut w) = group.next_column().map_err(to_io)? {
            match column {
                0 | 1 => {
                    let ids: Vec<ByteArray> = edges
                        .iter()
                        .map(|e| ByteArray::from(if column == 0 { inst.segments[e.segment].id.as_str() } else { inst.items[e.item].id.as_str() }))
                        .collect();
                    w.typed::<ByteArrayType>().write_batch(&ids, None, None).map_err(to_io)?;
                }
                2 | 3 => {
                    let v: Vec<f64> = edges.iter().map(|e| if column == 2 { e.engagement } else { e.price }).collect();
                    w.typed::<DoubleType>().write_batch(&v, None, None).map_err(to_io)?;
                }
                4 => {
                    let values: Vec<f64> = edges.iter().filter_map(|e| e.cap).collect();
                    let defined: Vec<i16> = edges.iter().map(|e| e.cap.is_some() as i16).collect();
                    w.typed::<DoubleType>().write_batch(&values, Some(&defined), None).map_err(to_io)?;
                }
                5 => {
                    let n: Vec<i64> = range.clone().map(|k| inst.evidence(k).n as i64).collect();
                    w.typed::<Int64Type>().write_batch(&n, None, None).map_err(to_io)?;
                }
                _ => {
                    let v: Vec<f64> = range.clone().map(|k| if column == 6 { inst.evidence(k).lcb } else { inst.evidence(k).ucb }).collect();
                    w.typed::<DoubleType>().write_batch(&v, None, None).map_err(to_io)?;
                }
            }
            w.close().map_err(to_io)?;
            column += 1;
        }
        group.close().map_err(to_io)?;
    }
    writer.close().map_err(to_io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row groups and decoding chunks of every size give the same edges, nullable column included:
    /// the reader's bookkeeping (rows left in a group, values taken past nulls) across boundaries.
    #[test]
    fn chunks_and_row_groups_of_any_size_read_the_same_edges() {
        let dir = tempfile::tempdir().unwrap();
        let mut day = crate::generate(crate::Size::Small, 9);
        for (k, e) in day.edges.iter_mut().enumerate() {
            e.cap = (k % 3 == 0).then_some(10.0 + k as f64);
        }
        day.evidence =
            (0..day.edges.len()).map(|e| Evidence { n: e as u64 % 5, lcb: day.edges[e].engagement * 0.5, ucb: day.edges[e].engagement * 2.0 }).collect();
        let path = dir.path().join("e.parquet");
        for (group, chunk) in [(100, 7), (1000, 1 << 16), (7, 100), (day.edges.len(), 1)] {
            write_edges_parquet_grouped(&day, &path, group).unwrap();
            let mut sink = EdgeSink::all();
            read_edges_chunked(&path, &day, &ReadOptions::default(), chunk, &mut sink).unwrap();
            let (edges, evidence, _) = sink.finish();
            assert_eq!(edges, day.edges, "group {group}, chunk {chunk}");
            assert_eq!(evidence, day.evidence, "group {group}, chunk {chunk}");
        }
    }

    /// A shard of a segment-sorted file of many row groups, read in parallel batches, keeps the
    /// segments its deal gives it in day order with their day indices, decoding only the groups
    /// that hold them; a shuffled file is dealt round-robin and decoded whole.
    #[test]
    fn a_shard_of_many_row_groups_decodes_only_the_groups_of_its_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut day = crate::generate(crate::Size::Small, 4);
        day.evidence = (0..day.edges.len()).map(|e| Evidence { n: e as u64, lcb: 0.0, ucb: day.edges[e].engagement + 1.0 }).collect();
        assert!(day.edges.windows(2).all(|w| w[0].segment <= w[1].segment), "generated days are sorted by segment");
        let path = dir.path().join("e.parquet");
        let head = day.without_edges();
        let groups = day.edges.len().div_ceil(97);
        for sorted in [true, false] {
            if !sorted {
                // Segments interleaved: every group holds nearly every segment.
                let n = day.edges.len();
                let order: Vec<usize> = (0..n).map(|k| (k * 7919) % n).collect();
                assert!(!n.is_multiple_of(7919), "7919 is prime: k -> 7919 k mod n permutes 0..n");
                day.edges = order.iter().map(|&k| day.edges[k]).collect();
                day.evidence = order.iter().map(|&k| day.evidence[k]).collect();
            }
            write_edges_parquet_grouped(&day, &path, 97).unwrap();
            for ranks in 1..=3 {
                let mut decoded = 0;
                let mut deals = Vec::new();
                for rank in 0..ranks {
                    let shard = crate::Shard { rank, ranks };
                    let mut sink = EdgeSink::new(Some(shard));
                    read_edges_chunked(&path, &head, &ReadOptions::default(), 13, &mut sink).unwrap();
                    let (edges, evidence, kept) = sink.finish();
                    let kept = kept.unwrap();
                    assert_eq!(matches!(kept.deal, Deal::Runs(_)), sorted, "a sorted file's groups say which segments they hold");
                    let ids: Vec<usize> = (0..day.edges.len()).filter(|&k| kept.rank_of(day.edges[k].segment, ranks) == rank).collect();
                    assert_eq!(kept.ids, ids);
                    assert_eq!(kept.day_edges, day.edges.len());
                    assert!(kept.has_evidence);
                    assert_eq!(edges, ids.iter().map(|&k| day.edges[k]).collect::<Vec<_>>());
                    assert_eq!(evidence, ids.iter().map(|&k| day.evidence[k]).collect::<Vec<_>>());
                    assert_eq!(kept.groups, groups);
                    decoded += kept.groups_read;
                    deals.push(kept.deal);
                }
                assert!(deals.windows(2).all(|w| w[0] == w[1]), "every rank deals alike");
                if sorted {
                    // A group is decoded twice only where one rank's run of segments ends.
                    assert!(decoded < groups + ranks, "{ranks} ranks decoded {decoded} of {groups} groups");
                } else {
                    assert_eq!(decoded, groups * ranks, "every rank decodes every group of a shuffled file");
                }
            }
        }
    }
}
