//! Parquet edges: `"edges_file": "day.edges.parquet"` (what Spark and warehouses write). The columns
//! are the CSV's (`segment`, `item`, `engagement`, optional `price`, `cap`, `n`, `engagement_lcb`,
//! `engagement_ucb`), by name, in any order; ids may be strings (dictionary-encoded or not) or
//! integers, numbers any integer or floating type, and a null is an absent value.
//!
//! Edges are read column by column through parquet's typed column readers, row groups in
//! parallel, 65,536 rows of a column at a time: numbers stay numbers (no text round trip), ids are
//! copied into reused buffers. Every row then goes through the same validator as a CSV line ([`super::Cells`]), so one
//! day read from either format gives the same edges, and errors name the file, the row (1-based)
//! and the column. Logs go through the record API ([`read_records`]), text cells for their own
//! validator.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;

use rayon::prelude::*;

use super::{check_duplicates, edge_records, Cells, DayIds, EdgeColumns, Errors, Raw};
use crate::io::{open_input, LoadError, ReadOptions};
use crate::shard::EdgeSink;
use crate::types::{Edge, Evidence, Instance};
use crate::validate::Finding;

/// Rows per row group when writing: 262,144 edges (about 2 MB compressed), so that a day of 10^6
/// edges has four groups for the reader to take in parallel.
const ROW_GROUP: usize = 1 << 18;

fn invalid(path: &Path, entity: &str, field: &str, message: String) -> LoadError {
    LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: entity.into(), field: field.into(), message }] }
}

/// Reads and validates the edges (and evidence, when its columns are there) of a Parquet file:
/// all of them, whatever `opts.shard` (load the instance with [`crate::load_with`] for a shard).
pub fn read_edges_parquet(path: &Path, inst: &Instance, opts: &ReadOptions) -> Result<(Vec<Edge>, Vec<Evidence>), LoadError> {
    let mut sink = EdgeSink::all();
    read_edges_chunked(path, inst, opts, CHUNK, &mut sink)?;
    let (edges, evidence, _) = sink.finish();
    Ok((edges, evidence))
}

/// Reads and validates the edges of a Parquet file into `sink` (which keeps those it is for).
pub(crate) fn read_edges_into(path: &Path, inst: &Instance, opts: &ReadOptions, sink: &mut EdgeSink) -> Result<(), LoadError> {
    read_edges_chunked(path, inst, opts, CHUNK, sink)
}

/// A cell of a Parquet row as its column's type gives it: text (strings; integers, which may be
/// ids, are written out), a number (floating columns), or null.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Cell {
    /// A null.
    #[default]
    Null,
    /// A string, or an integer written in decimal.
    Text(String),
    /// A `double` (a `float` widened exactly).
    Num(f64),
}

/// One Parquet row's cells, in column order.
#[derive(Debug, Default)]
pub(crate) struct Row(Vec<Cell>);

impl Cells for Row {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn id(&self, k: usize) -> &str {
        match self.0.get(k) {
            Some(Cell::Text(s)) => s,
            _ => "",
        }
    }
    fn raw(&self, k: usize) -> Raw<'_> {
        match self.0.get(k) {
            None | Some(Cell::Null) => Raw::Empty,
            Some(Cell::Num(v)) => Raw::Value(*v),
            Some(Cell::Text(s)) if s.trim().is_empty() => Raw::Empty,
            Some(Cell::Text(s)) => Raw::Text(s.trim()),
        }
    }
}

/// Sets `cell` to the text `s`, reusing its buffer.
fn set_text(cell: &mut Cell, s: &str) {
    match cell {
        Cell::Text(buf) => {
            buf.clear();
            buf.push_str(s);
        }
        _ => *cell = Cell::Text(s.to_string()),
    }
}

/// Sets `cell` to the decimal text of `v`, reusing its buffer.
fn set_int(cell: &mut Cell, v: i64) {
    use std::fmt::Write as _;
    if !matches!(cell, Cell::Text(_)) {
        *cell = Cell::Text(String::new());
    }
    if let Cell::Text(buf) = cell {
        buf.clear();
        let _ = write!(buf, "{v}");
    }
}

/// A row group's column, decoded: its non-null values and, when it is nullable, its definition
/// levels (a level below the maximum is a null).
struct Column {
    values: Values,
    defined: Option<Vec<i16>>,
    max_def: i16,
    next_value: usize,
}

enum Values {
    Bytes(Vec<ByteArray>),
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
}

impl Column {
    /// Reads the next `rows` values of a column of a row group.
    fn read(reader: &mut ColumnReader, rows: usize, max_def: i16) -> parquet::errors::Result<Column> {
        fn all<T: DataType>(r: &mut ColumnReaderImpl<T>, rows: usize, def: Option<&mut Vec<i16>>) -> parquet::errors::Result<Vec<T::T>> {
            let mut values = Vec::with_capacity(rows);
            let mut def = def;
            let mut done = 0;
            while done < rows {
                let (records, _, _) = r.read_records(rows - done, def.as_deref_mut(), None, &mut values)?;
                if records == 0 {
                    return Err(parquet::errors::ParquetError::General(format!("the column ends after {done} of its {rows} rows")));
                }
                done += records;
            }
            Ok(values)
        }
        let mut defined = (max_def > 0).then(|| Vec::with_capacity(rows));
        let values = match reader {
            ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(all(r, rows, defined.as_mut())?),
            ColumnReader::DoubleColumnReader(r) => Values::F64(all(r, rows, defined.as_mut())?),
            ColumnReader::FloatColumnReader(r) => Values::F32(all(r, rows, defined.as_mut())?),
            ColumnReader::Int64ColumnReader(r) => Values::I64(all(r, rows, defined.as_mut())?),
            ColumnReader::Int32ColumnReader(r) => Values::I32(all(r, rows, defined.as_mut())?),
            _ => return Err(parquet::errors::ParquetError::General("an unsupported type".into())),
        };
        Ok(Column { values, defined, max_def, next_value: 0 })
    }

    /// Row `r`'s cell (rows are taken in order).
    fn cell(&mut self, r: usize, out: &mut Cell) -> Result<(), &'static str> {
        if let Some(d) = &self.defined {
            if d.get(r).copied().unwrap_or(0) < self.max_def {
                *out = Cell::Null;
                return Ok(());
            }
        }
        let i = self.next_value;
        self.next_value += 1;
        let missing = "has fewer values than rows";
        match &self.values {
            Values::Bytes(v) => set_text(out, std::str::from_utf8(v.get(i).ok_or(missing)?.data()).map_err(|_| "is binary, not UTF-8 text")?),
            Values::F64(v) => *out = Cell::Num(*v.get(i).ok_or(missing)?),
            Values::F32(v) => *out = Cell::Num(*v.get(i).ok_or(missing)? as f64),
            Values::I64(v) => set_int(out, *v.get(i).ok_or(missing)?),
            Values::I32(v) => set_int(out, *v.get(i).ok_or(missing)? as i64),
        }
        Ok(())
    }
}

/// Rows decoded at once per column: bounded memory whatever the row groups' size (a million-row
/// group of ids would otherwise hold 32 bytes per id before validation).
const CHUNK: usize = 1 << 16;

/// A flat Parquet file's column names and each column's maximum definition level (0: required).
struct FlatSchema {
    header: Vec<String>,
    max_def: Vec<i16>,
}

/// Opens a Parquet file of flat columns of supported types; anything else is refused by name
/// before a row is read.
fn open_flat(path: &Path, opts: &ReadOptions) -> Result<(SerializedFileReader<File>, FlatSchema), LoadError> {
    let reader = open_reader(path, opts)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let header: Vec<String> = schema.root_schema().get_fields().iter().map(|f| f.name().to_string()).collect();
    if schema.num_columns() != header.len() {
        return Err(invalid(path, "file", "", "has nested columns: agora reads flat columns of text ids and numbers".into()));
    }
    let mut max_def = Vec::with_capacity(header.len());
    for col in schema.columns() {
        let supported =
            matches!(col.physical_type(), PhysicalType::BYTE_ARRAY | PhysicalType::DOUBLE | PhysicalType::FLOAT | PhysicalType::INT64 | PhysicalType::INT32);
        if !supported || col.max_rep_level() > 0 {
            let what = if supported { "repeated".to_string() } else { format!("{}", col.physical_type()) };
            return Err(invalid(path, "column", col.name(), format!("has an unsupported type ({what}); use text ids and numbers")));
        }
        max_def.push(col.max_def_level());
    }
    Ok((reader, FlatSchema { header, max_def }))
}

/// A reader of its own for a Parquet file. Threads never share one: a `File` reader's clones share
/// the file's offset, so concurrent row groups would read each other's bytes.
fn open_reader(path: &Path, opts: &ReadOptions) -> Result<SerializedFileReader<File>, LoadError> {
    let (file, _) = open_input(path, opts)?;
    SerializedFileReader::new(file).map_err(|e| invalid(path, "file", "", format!("not a readable Parquet file: {e}")))
}

/// What one row group gives: its edges and their evidence (all of them), its errors.
type GroupEdges = (EdgeSink, Errors);

/// The typed rows of one row group, decoded `chunk` rows of every column at a time and numbered
/// from `first + 1` (the row's number in the file).
struct GroupRows<'a> {
    path: &'a Path,
    schema: &'a FlatSchema,
    group: usize,
    readers: Vec<ColumnReader>,
    columns: Vec<Column>,
    /// Rows of the group not decoded yet; the decoded chunk's length and the next row in it.
    left: usize,
    len: usize,
    at: usize,
    row_number: usize,
    chunk: usize,
}

impl<'a> GroupRows<'a> {
    fn open(
        reader: &SerializedFileReader<File>,
        path: &'a Path,
        schema: &'a FlatSchema,
        group: usize,
        first: usize,
        chunk: usize,
    ) -> Result<GroupRows<'a>, LoadError> {
        let unreadable = |e: parquet::errors::ParquetError| invalid(path, &format!("row group {}", group + 1), "", format!("cannot be read: {e}"));
        let rg = reader.get_row_group(group).map_err(unreadable)?;
        let left = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
        let readers = (0..schema.max_def.len()).map(|c| rg.get_column_reader(c)).collect::<Result<_, _>>().map_err(unreadable)?;
        Ok(GroupRows { path, schema, group, readers, columns: Vec::new(), left, len: 0, at: 0, row_number: first, chunk: chunk.max(1) })
    }

    /// Fills `row` with the next row's cells; `Ok(None)` at the end of the group.
    fn next(&mut self, row: &mut Row) -> Result<Option<usize>, LoadError> {
        if self.at >= self.len {
            if self.left == 0 {
                return Ok(None);
            }
            self.len = self.left.min(self.chunk);
            self.columns.clear();
            for (c, r) in self.readers.iter_mut().enumerate() {
                let column = Column::read(r, self.len, self.schema.max_def[c]);
                let column =
                    column.map_err(|e| invalid(self.path, &format!("row group {}", self.group + 1), &self.schema.header[c], format!("cannot be read: {e}")))?;
                self.columns.push(column);
            }
            self.left -= self.len;
            self.at = 0;
        }
        self.row_number += 1;
        row.0.resize(self.columns.len(), Cell::Null);
        for (c, column) in self.columns.iter_mut().enumerate() {
            column.cell(self.at, &mut row.0[c]).map_err(|m| invalid(self.path, &format!("row {}", self.row_number), &self.schema.header[c], m.to_string()))?;
        }
        self.at += 1;
        Ok(Some(self.row_number))
    }
}

/// Reads and validates the edges of a Parquet file, its row groups in parallel (rayon's pool),
/// each decoded `chunk` rows at a time; the groups' edges, evidence and errors are joined in file
/// order, each edge pushed into `sink` there (so that a shard's sink filters and hashes them in
/// day order, holding its own edges and one batch of groups), then duplicates are checked over
/// the kept edges, as for a CSV.
fn read_edges_chunked(path: &Path, inst: &Instance, opts: &ReadOptions, chunk: usize, sink: &mut EdgeSink) -> Result<(), LoadError> {
    let (reader, schema) = open_flat(path, opts)?;
    let row_errors = || Errors { unit: Some("row"), ..Errors::default() };
    let mut errs = row_errors();
    let cols = EdgeColumns::find(path, &schema.header, &mut errs)?;
    let ids = DayIds::of(inst);
    let sizes: Vec<usize> = reader.metadata().row_groups().iter().map(|g| usize::try_from(g.num_rows()).unwrap_or(0)).collect();
    let firsts: Vec<usize> = sizes.iter().scan(0, |acc, &n| Some(std::mem::replace(acc, *acc + n))).collect();
    drop(reader);
    let read_group = |g: usize| -> Result<GroupEdges, LoadError> {
        let reader = open_reader(path, opts)?;
        let mut rows = GroupRows::open(&reader, path, &schema, g, firsts[g], chunk)?;
        let mut group_errs = row_errors();
        let mut group = EdgeSink::all();
        edge_records(inst, &cols, &ids, &mut group_errs, &mut group, |row: &mut Row| rows.next(row))?;
        Ok((group, group_errs))
    };
    sink.reserve(sizes.iter().sum());
    // As many groups at once as there are threads, each joined as soon as its batch is done: the
    // edges are held about once (plus a group per thread), not twice.
    let groups: Vec<usize> = (0..sizes.len()).collect();
    for batch in groups.chunks(rayon::current_num_threads().max(1)) {
        let parts: Vec<Result<GroupEdges, LoadError>> = batch.par_iter().map(|&g| read_group(g)).collect();
        for part in parts {
            let (group, x) = part?;
            sink.append(group);
            errs.append(x);
        }
    }
    check_duplicates(inst, sink, &mut errs);
    errs.into_result(path)
}

/// A validator of records: the column names, the errors so far (counting `row`s), and the
/// source of records as text cells.
type Records<'a> = &'a mut dyn FnMut(&mut Vec<String>) -> Result<Option<usize>, LoadError>;

/// Opens a Parquet file and hands `validate` its column names and its records, each as text cells
/// (a null is an empty cell; `f64` prints and parses back exactly), numbered from 1: what the CSV
/// readers' validators take, so that both formats are validated by the same code.
pub(crate) fn read_records<T>(
    path: &Path,
    opts: &ReadOptions,
    validate: impl FnOnce(&[String], Errors, Records) -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    let (file, _) = open_input(path, opts)?;
    let reader = SerializedFileReader::new(file).map_err(|e| invalid(path, "file", "", format!("not a readable Parquet file: {e}")))?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let header: Vec<String> = schema.root_schema().get_fields().iter().map(|f| f.name().to_string()).collect();
    let mut rows = reader.get_row_iter(None).map_err(|e| invalid(path, "file", "", format!("cannot read its rows: {e}")))?;
    let mut row_number = 0usize;
    let errs = Errors { unit: Some("row"), ..Errors::default() };
    let mut next = |cells: &mut Vec<String>| -> Result<Option<usize>, LoadError> {
        let Some(row) = rows.next() else { return Ok(None) };
        row_number += 1;
        let row = row.map_err(|e| invalid(path, &format!("row {row_number}"), "", format!("cannot be read: {e}")))?;
        cells.clear();
        for (name, field) in row.get_column_iter() {
            let text = match field {
                Field::Null => String::new(),
                Field::Str(s) => s.clone(),
                Field::Bytes(b) => match b.as_utf8() {
                    Ok(s) => s.to_string(),
                    Err(_) => return Err(invalid(path, &format!("row {row_number}"), name, "is binary, not UTF-8 text".into())),
                },
                Field::Double(v) => format!("{v}"),
                Field::Float(v) => format!("{}", *v as f64),
                Field::Long(v) => v.to_string(),
                Field::Int(v) => v.to_string(),
                Field::Short(v) => v.to_string(),
                Field::Byte(v) => v.to_string(),
                Field::ULong(v) => v.to_string(),
                Field::UInt(v) => v.to_string(),
                Field::UShort(v) => v.to_string(),
                Field::UByte(v) => v.to_string(),
                other => return Err(invalid(path, &format!("row {row_number}"), name, format!("has an unsupported type ({other}); use text ids and numbers"))),
            };
            cells.push(text);
        }
        Ok(Some(row_number))
    };
    validate(&header, errs, &mut next)
}

/// Writes the edges of `inst` (and its evidence, when it has some) as Parquet to `out`: ids as
/// dictionary-encoded UTF-8, numbers as doubles (`n` as int64), `cap` nullable, Snappy-compressed.
pub fn write_edges_parquet(inst: &Instance, out: &Path) -> std::io::Result<()> {
    write_edges_parquet_grouped(inst, out, ROW_GROUP)
}

/// [`write_edges_parquet`] with `group` rows per row group.
fn write_edges_parquet_grouped(inst: &Instance, out: &Path, group: usize) -> std::io::Result<()> {
    let with_evidence = !inst.evidence.is_empty();
    let schema = format!(
        "message edges {{ required binary segment (UTF8); required binary item (UTF8); required double engagement; required double price; optional double cap; {} }}",
        if with_evidence { "required int64 n; required double engagement_lcb; required double engagement_ucb;" } else { "" }
    );
    let to_io = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let schema = Arc::new(parse_message_type(&schema).map_err(to_io)?);
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).set_dictionary_enabled(true).build());
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, props).map_err(to_io)?;
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

    /// A shard of a file of many row groups, read in parallel batches, keeps its segments' edges
    /// in day order with their day indices, and rank 0 hashes the whole day at the join.
    #[test]
    fn a_shard_of_many_row_groups_is_filtered_and_hashed_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut day = crate::generate(crate::Size::Small, 4);
        day.evidence = (0..day.edges.len()).map(|e| Evidence { n: e as u64, lcb: 0.0, ucb: day.edges[e].engagement + 1.0 }).collect();
        let path = dir.path().join("e.parquet");
        write_edges_parquet_grouped(&day, &path, 97).unwrap();
        let head = day.without_edges();
        for (rank, ranks) in [(0, 3), (1, 3), (2, 3)] {
            let shard = crate::Shard { rank, ranks };
            let mut sink = EdgeSink::new(Some(shard), &head);
            read_edges_chunked(&path, &head, &ReadOptions::default(), 13, &mut sink).unwrap();
            let (edges, evidence, kept) = sink.finish();
            let kept = kept.unwrap();
            let ids: Vec<usize> = (0..day.edges.len()).filter(|&k| shard.owns(day.edges[k].segment)).collect();
            assert_eq!(kept.ids, ids);
            assert_eq!(kept.day_edges, day.edges.len());
            assert_eq!(edges, ids.iter().map(|&k| day.edges[k]).collect::<Vec<_>>());
            assert_eq!(evidence, ids.iter().map(|&k| day.evidence[k]).collect::<Vec<_>>());
            assert_eq!(kept.content_hash, (rank == 0).then(|| crate::content_hash(&day)));
        }
    }
}
