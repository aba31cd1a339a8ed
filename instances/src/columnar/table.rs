//! The one typed column reader of Parquet files, which edges ([`super::parquet`]) and logs
//! ([`crate::logs`]) both read through: a file as a table of flat, typed columns, its row groups
//! decoded a chunk of rows at a time into [`Row`]s of [`Cell`]s.
//!
//! Nothing in the file is trusted. The footer is parsed and checked by [`super::footer`] (sizes,
//! counts, schema, types) and each column chunk's pages by [`super::pages`] before the parquet
//! crate decodes a value; allocations are bounded by the file's size (a chunk's bytes, whose
//! extent the footer check confined to the file) and by [`CHUNK`] rows per column, never by a
//! count the file declares. Each column's type is checked against the role its reader gives it
//! ([`Role`]): decimals are scaled, unsigned integers read as unsigned, dates refused where a
//! number belongs.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Repetition, Type as Physical};
use parquet::column::reader::{get_column_reader, ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::schema::types::{ColumnDescriptor, ColumnPath, Type};

use super::footer::{self, Footer, Kind, Leaf, Refusal};
use super::pages::Pages;
use super::Cells;
use super::Raw;
use crate::io::LoadError;
use crate::limits::excerpt;
use crate::validate::Finding;

/// Rows decoded at once per column: bounded memory whatever the row groups' size.
pub(crate) const CHUNK: usize = 1 << 16;

/// Bytes that can be read at any offset from several threads at once (a file, or bytes in memory).
pub(crate) trait Source: Sync {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
}

impl Source for File {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl Source for &[u8] {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).ok().filter(|&s| s <= self.len()).ok_or(std::io::ErrorKind::UnexpectedEof)?;
        let bytes = self.get(start..start + buf.len()).ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

pub(crate) fn invalid(path: &Path, entity: &str, field: &str, message: String) -> LoadError {
    LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: entity.into(), field: excerpt(field), message }] }
}

fn refused(path: &Path, (entity, field, message): Refusal) -> LoadError {
    invalid(path, &entity, &field, message)
}

/// What a reader does with a column, which decides the types it may have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Role {
    /// An id: text or an integer.
    Id,
    /// A number: an integer, floating point, a decimal, or text to parse.
    Number,
    /// Read and not interpreted (a log's timestamp): any type but the unsupported ones.
    Opaque,
}

/// A Parquet file opened as a table: its checked footer and each column's descriptor.
pub(crate) struct Table<'s> {
    source: &'s dyn Source,
    path: &'s Path,
    footer: Footer,
    descriptors: Vec<Arc<ColumnDescriptor>>,
}

impl<'s> Table<'s> {
    /// Opens the `len` bytes of `source` as a table of flat columns and checks each column's type
    /// against the role `role` gives its name.
    pub(crate) fn open(source: &'s dyn Source, len: u64, path: &'s Path, role: impl Fn(&str) -> Role) -> Result<Table<'s>, LoadError> {
        let io = |e: std::io::Error| invalid(path, "file", "", format!("cannot be read: {e}"));
        if len < 12 {
            return Err(invalid(path, "file", "", format!("is not a Parquet file ({len} bytes)")));
        }
        let mut tail = [0u8; 8];
        source.read_at(len - 8, &mut tail).map_err(io)?;
        let (start, footer_len) = footer::locate(&tail, len).map_err(|r| refused(path, r))?;
        let mut bytes = vec![0u8; footer_len];
        source.read_at(start, &mut bytes).map_err(io)?;
        let footer = footer::parse(&bytes, start).map_err(|r| refused(path, r))?;
        for leaf in &footer.leaves {
            check_role(leaf, role(&leaf.name)).map_err(|m| invalid(path, "column", &leaf.name, m))?;
        }
        let descriptors = footer.leaves.iter().map(descriptor).collect::<Result<_, _>>().map_err(|m| invalid(path, "file", "", m))?;
        Ok(Table { source, path, footer, descriptors })
    }

    /// The columns' names, in file order.
    pub(crate) fn header(&self) -> Vec<String> {
        self.footer.leaves.iter().map(|l| l.name.clone()).collect()
    }

    /// Each row group's declared rows (their sum fits a `u64`).
    pub(crate) fn group_rows(&self) -> Vec<u64> {
        self.footer.groups.iter().map(|g| g.rows).collect()
    }

    /// Every row group's rows, added.
    pub(crate) fn rows(&self) -> u64 {
        self.footer.rows
    }

    /// The values column `c` takes in row group `g`, from its dictionary page alone, when its
    /// chunk is text whose every data page is dictionary-encoded (`None` otherwise): what a reader
    /// asks before deciding whether to decode the group. The chunk's page headers are checked.
    pub(crate) fn group_dictionary(&self, g: usize, c: usize) -> Result<Option<Vec<Bytes>>, LoadError> {
        let pages = self.chunk_pages(g, c)?;
        pages.dictionary_byte_arrays().map_err(|m| invalid(self.path, &format!("row group {}", g + 1), &self.footer.leaves[c].name, m))
    }

    /// The checked pages of column `c`'s chunk in row group `g`, read from the file.
    fn chunk_pages(&self, g: usize, c: usize) -> Result<Pages, LoadError> {
        let group = &self.footer.groups[g];
        let (chunk, leaf) = (&group.chunks[c], &self.footer.leaves[c]);
        let entity = format!("row group {}", g + 1);
        // The footer check kept the chunk inside the file: its size is bounded by the file's.
        let mut bytes = vec![0u8; chunk.len as usize];
        self.source.read_at(chunk.start, &mut bytes).map_err(|e| invalid(self.path, &entity, &leaf.name, format!("cannot be read: {e}")))?;
        Pages::scan(bytes.into(), leaf, chunk.codec, group.rows).map_err(|m| invalid(self.path, &entity, &leaf.name, m))
    }

    /// The rows of row group `g`, decoded `chunk` rows of every column at a time and numbered
    /// from `first + 1` (the row's number in the file). Every page of the group is checked here,
    /// before a value is decoded.
    pub(crate) fn group(&self, g: usize, first: u64, chunk: usize) -> Result<GroupRows<'_>, LoadError> {
        let group = &self.footer.groups[g];
        let entity = format!("row group {}", g + 1);
        let mut readers = Vec::with_capacity(group.chunks.len());
        for (c, descr) in self.descriptors.iter().enumerate() {
            readers.push(get_column_reader(descr.clone(), Box::new(self.chunk_pages(g, c)?)));
        }
        Ok(GroupRows { table: self, entity, readers, columns: Vec::new(), left: group.rows, len: 0, at: 0, row_number: first, chunk: chunk.max(1) })
    }
}

/// Whether a column of `leaf`'s type can play `role`.
fn check_role(leaf: &Leaf, role: Role) -> Result<(), String> {
    let ok = match (&leaf.kind, role) {
        (Kind::Unsupported, _) => false,
        (Kind::Text | Kind::Int | Kind::UInt, Role::Id) => true,
        (Kind::Float | Kind::Decimal { .. } | Kind::Temporal, Role::Id) => false,
        (Kind::Temporal, Role::Number) => false,
        (_, Role::Number | Role::Opaque) => true,
    };
    if ok {
        return Ok(());
    }
    let what = match (&leaf.kind, role) {
        (Kind::Temporal, _) => "a date or time",
        (Kind::Float | Kind::Decimal { .. }, Role::Id) => "a number with a fraction, which cannot be an id",
        _ => "a type agora does not read",
    };
    let reads = if role == Role::Id { "ids are text or whole numbers" } else { "agora reads text, integers, floating point and decimals" };
    Err(format!("has type {}, {what}; {reads}", leaf.type_name))
}

/// The parquet crate's descriptor of a checked flat column (physical type and nullability: the
/// logical type is agora's to apply).
fn descriptor(leaf: &Leaf) -> Result<Arc<ColumnDescriptor>, String> {
    let repetition = if leaf.optional { Repetition::OPTIONAL } else { Repetition::REQUIRED };
    let mut t = Type::primitive_type_builder(&leaf.name, leaf.physical).with_repetition(repetition);
    if leaf.physical == Physical::FIXED_LEN_BYTE_ARRAY {
        t = t.with_length(leaf.type_length);
    }
    let t = t.build().map_err(|e| format!("has a column the parquet crate refuses: {e}"))?;
    Ok(Arc::new(ColumnDescriptor::new(Arc::new(t), leaf.optional as i16, 0, ColumnPath::new(vec![leaf.name.clone()]))))
}

/// A cell of a row as its column's type gives it: text (strings; integers, which may be ids,
/// written out), a number (floating point and decimal columns), or null.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Cell {
    /// A null.
    #[default]
    Null,
    /// A string, or an integer written in decimal.
    Text(String),
    /// A `double` (a `float` widened exactly; a decimal correctly rounded).
    Num(f64),
}

/// One row's cells, in column order.
#[derive(Debug, Default)]
pub(crate) struct Row(pub(crate) Vec<Cell>);

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

impl Row {
    /// The cells as text, as a CSV line would hold them (a null is empty; a number prints in the
    /// shortest form that parses back to it).
    pub(crate) fn to_text(&self, out: &mut Vec<String>) {
        out.clear();
        out.extend(self.0.iter().map(|c| match c {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Num(v) => format!("{v}"),
        }));
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
fn set_int(cell: &mut Cell, v: impl std::fmt::Display) {
    use std::fmt::Write as _;
    if !matches!(cell, Cell::Text(_)) {
        *cell = Cell::Text(String::new());
    }
    if let Cell::Text(buf) = cell {
        buf.clear();
        let _ = write!(buf, "{v}");
    }
}

/// A decimal's value: the unscaled integer over 10^scale, correctly rounded (through the decimal
/// text, which `f64`'s parser rounds once).
fn decimal(unscaled: i128, scale: u32) -> f64 {
    format!("{unscaled}e-{scale}").parse().unwrap_or(f64::NAN)
}

/// A big-endian two's-complement integer of 1 to 16 bytes.
fn be_int(b: &[u8]) -> Result<i128, &'static str> {
    if b.is_empty() || b.len() > 16 {
        return Err("holds a decimal of more than 16 bytes or none");
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut bytes = [fill; 16];
    bytes[16 - b.len()..].copy_from_slice(b);
    Ok(i128::from_be_bytes(bytes))
}

/// A row group's column, decoded: its non-null values and, when it is nullable, its definition
/// levels (a level below the maximum is a null).
struct Column {
    values: Values,
    kind: Kind,
    defined: Option<Vec<i16>>,
    next_value: usize,
}

enum Values {
    Bytes(Vec<parquet::data_type::ByteArray>),
    Fixed(Vec<parquet::data_type::FixedLenByteArray>),
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
}

impl Column {
    /// Reads the next `rows` values of a column of a row group.
    fn read(reader: &mut ColumnReader, rows: usize, leaf: &Leaf) -> parquet::errors::Result<Column> {
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
        let mut defined = leaf.optional.then(|| Vec::with_capacity(rows));
        let values = match reader {
            ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(all(r, rows, defined.as_mut())?),
            ColumnReader::FixedLenByteArrayColumnReader(r) => Values::Fixed(all(r, rows, defined.as_mut())?),
            ColumnReader::DoubleColumnReader(r) => Values::F64(all(r, rows, defined.as_mut())?),
            ColumnReader::FloatColumnReader(r) => Values::F32(all(r, rows, defined.as_mut())?),
            ColumnReader::Int64ColumnReader(r) => Values::I64(all(r, rows, defined.as_mut())?),
            ColumnReader::Int32ColumnReader(r) => Values::I32(all(r, rows, defined.as_mut())?),
            _ => return Err(parquet::errors::ParquetError::General("has a type agora does not read".into())),
        };
        Ok(Column { values, kind: leaf.kind.clone(), defined, next_value: 0 })
    }

    /// Row `r`'s cell (rows are taken in order).
    fn cell(&mut self, r: usize, out: &mut Cell) -> Result<(), &'static str> {
        if let Some(d) = &self.defined {
            if d.get(r).copied().unwrap_or(0) < 1 {
                *out = Cell::Null;
                return Ok(());
            }
        }
        let i = self.next_value;
        self.next_value += 1;
        let missing = "has fewer values than rows";
        match (&self.values, &self.kind) {
            (Values::Bytes(v), Kind::Decimal { scale, .. }) => *out = Cell::Num(decimal(be_int(v.get(i).ok_or(missing)?.data())?, *scale)),
            (Values::Bytes(v), _) => set_text(out, std::str::from_utf8(v.get(i).ok_or(missing)?.data()).map_err(|_| "is binary, not UTF-8 text")?),
            (Values::Fixed(v), Kind::Decimal { scale, .. }) => *out = Cell::Num(decimal(be_int(v.get(i).ok_or(missing)?.data())?, *scale)),
            (Values::Fixed(_), _) => return Err("has a type agora does not read"),
            (Values::F64(v), _) => *out = Cell::Num(*v.get(i).ok_or(missing)?),
            (Values::F32(v), _) => *out = Cell::Num(*v.get(i).ok_or(missing)? as f64),
            (Values::I64(v), Kind::Decimal { scale, .. }) => *out = Cell::Num(decimal(i128::from(*v.get(i).ok_or(missing)?), *scale)),
            (Values::I64(v), Kind::UInt) => set_int(out, *v.get(i).ok_or(missing)? as u64),
            (Values::I64(v), _) => set_int(out, *v.get(i).ok_or(missing)?),
            (Values::I32(v), Kind::Decimal { scale, .. }) => *out = Cell::Num(decimal(i128::from(*v.get(i).ok_or(missing)?), *scale)),
            (Values::I32(v), Kind::UInt) => set_int(out, *v.get(i).ok_or(missing)? as u32),
            (Values::I32(v), _) => set_int(out, *v.get(i).ok_or(missing)?),
        }
        Ok(())
    }
}

/// The typed rows of one row group (see [`Table::group`]).
pub(crate) struct GroupRows<'t> {
    table: &'t Table<'t>,
    entity: String,
    readers: Vec<ColumnReader>,
    columns: Vec<Column>,
    /// Rows of the group not decoded yet; the decoded chunk's length and the next row in it.
    left: u64,
    len: usize,
    at: usize,
    row_number: u64,
    chunk: usize,
}

impl GroupRows<'_> {
    /// Fills `row` with the next row's cells and says its number; `Ok(None)` at the end of the group.
    pub(crate) fn next(&mut self, row: &mut Row) -> Result<Option<usize>, LoadError> {
        let table = self.table;
        if self.at >= self.len {
            if self.left == 0 {
                return Ok(None);
            }
            self.len = self.left.min(self.chunk as u64) as usize;
            self.columns.clear();
            for (r, leaf) in self.readers.iter_mut().zip(&table.footer.leaves) {
                let column = Column::read(r, self.len, leaf).map_err(|e| invalid(table.path, &self.entity, &leaf.name, format!("cannot be read: {e}")))?;
                self.columns.push(column);
            }
            self.left -= self.len as u64;
            self.at = 0;
        }
        self.row_number += 1;
        let number = usize::try_from(self.row_number).unwrap_or(usize::MAX);
        row.0.resize(self.columns.len(), Cell::Null);
        for ((c, column), leaf) in self.columns.iter_mut().enumerate().zip(&table.footer.leaves) {
            column.cell(self.at, &mut row.0[c]).map_err(|m| invalid(table.path, &format!("row {number}"), &leaf.name, m.to_string()))?;
        }
        self.at += 1;
        Ok(Some(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_scaled_and_rounded_once() {
        assert_eq!(decimal(5000, 4), 0.5);
        assert_eq!(decimal(-12345, 2), -123.45);
        assert_eq!(decimal(1, 0), 1.0);
        assert_eq!(decimal(i128::from(i64::MAX), 18), 9.223372036854776);
        assert_eq!(be_int(&[0x13, 0x88]).unwrap(), 5000);
        assert_eq!(be_int(&[0xff, 0x38]).unwrap(), -200);
        assert_eq!(be_int(&[0x80; 16]).unwrap(), i128::from_be_bytes([0x80; 16]));
        assert!(be_int(&[]).is_err() && be_int(&[0; 17]).is_err());
    }
}
