//! The one Parquet writer of agora's tables (the serving artifact's edges, a solution's plan and
//! rows): flat columns of text, optional text, numbers and integers, written a row group at a
//! time (snappy pages, dictionary-encoded ids), so a table of 10^7 rows is streamed, never held.
//! Every table it writes reads back through the typed reader ([`super::table`]) as the same
//! values: numbers as `double`, ids as UTF-8 text.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// Rows per row group that the writers of large tables use: 2^18 rows (a few MB compressed),
/// so a reader can take groups in parallel and a writer holds one group's columns.
pub const ROW_GROUP: usize = 1 << 18;

/// A column's type in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text, never null (ids, names).
    Text,
    /// UTF-8 text or null (an organic item's campaign, a row's parameter).
    OptionalText,
    /// A `double`, never null.
    Number,
    /// An `int64`, never null.
    Integer,
}

/// One row group's values of a column, of the column's [`ColumnType`].
#[derive(Debug, Clone)]
pub enum Column<'a> {
    /// [`ColumnType::Text`].
    Text(Vec<&'a str>),
    /// [`ColumnType::OptionalText`].
    OptionalText(Vec<Option<&'a str>>),
    /// [`ColumnType::Number`].
    Number(Vec<f64>),
    /// [`ColumnType::Integer`].
    Integer(Vec<i64>),
}

impl Column<'_> {
    fn column_type(&self) -> ColumnType {
        match self {
            Column::Text(_) => ColumnType::Text,
            Column::OptionalText(_) => ColumnType::OptionalText,
            Column::Number(_) => ColumnType::Number,
            Column::Integer(_) => ColumnType::Integer,
        }
    }
    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::OptionalText(v) => v.len(),
            Column::Number(v) => v.len(),
            Column::Integer(v) => v.len(),
        }
    }
}

/// A Parquet table being written to `W`.
pub struct TableWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    types: Vec<ColumnType>,
    /// Reused for the text of each text column: one allocation per column and group, not per value.
    text: Vec<u8>,
}

fn to_io(e: parquet::errors::ParquetError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write + Send> TableWriter<W> {
    /// Starts a table of `columns` (name, type) in `out`. Names are written as given; they must
    /// be plain identifiers (`[a-z_]+`), as every agora table's are.
    pub fn new(out: W, columns: &[(&str, ColumnType)]) -> std::io::Result<TableWriter<W>> {
        let fields: String = columns
            .iter()
            .map(|(name, t)| {
                debug_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "column name {name}");
                match t {
                    ColumnType::Text => format!("required binary {name} (UTF8); "),
                    ColumnType::OptionalText => format!("optional binary {name} (UTF8); "),
                    ColumnType::Number => format!("required double {name}; "),
                    ColumnType::Integer => format!("required int64 {name}; "),
                }
            })
            .collect();
        let schema = Arc::new(parse_message_type(&format!("message table {{ {fields}}}")).map_err(to_io)?);
        let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).set_dictionary_enabled(true).build());
        let writer = SerializedFileWriter::new(out, schema, props).map_err(to_io)?;
        Ok(TableWriter { writer, types: columns.iter().map(|c| c.1).collect(), text: Vec::new() })
    }

    /// Writes one row group: a [`Column`] per column of the table, in order, of one length.
    pub fn write_group(&mut self, columns: &[Column]) -> std::io::Result<()> {
        let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        if columns.len() != self.types.len() || columns.iter().zip(&self.types).any(|(c, t)| c.column_type() != *t) {
            return Err(invalid(format!("a row group of {} columns does not match the table's {:?}", columns.len(), self.types)));
        }
        let rows = columns.first().map_or(0, Column::len);
        if columns.iter().any(|c| c.len() != rows) {
            return Err(invalid("a row group's columns differ in length".into()));
        }
        let mut group = self.writer.next_row_group().map_err(to_io)?;
        for column in columns {
            let mut w = group.next_column().map_err(to_io)?.ok_or_else(|| invalid("more columns than the schema".into()))?;
            match column {
                Column::Text(v) => {
                    let values = byte_arrays(&mut self.text, v.iter().copied());
                    w.typed::<ByteArrayType>().write_batch(&values, None, None).map_err(to_io)?;
                }
                Column::OptionalText(v) => {
                    let values = byte_arrays(&mut self.text, v.iter().flatten().copied());
                    let defined: Vec<i16> = v.iter().map(|t| i16::from(t.is_some())).collect();
                    w.typed::<ByteArrayType>().write_batch(&values, Some(&defined), None).map_err(to_io)?;
                }
                Column::Number(v) => {
                    w.typed::<DoubleType>().write_batch(v, None, None).map_err(to_io)?;
                }
                Column::Integer(v) => {
                    w.typed::<Int64Type>().write_batch(v, None, None).map_err(to_io)?;
                }
            }
            w.close().map_err(to_io)?;
        }
        group.close().map_err(to_io)?;
        Ok(())
    }

    /// Writes the footer and returns the writer the table went to.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.into_inner().map_err(to_io)
    }
}

/// `texts` as byte arrays that share one buffer (`buf`, reused: its bytes move into the
/// buffer the arrays share), not one allocation per value.
fn byte_arrays<'t>(buf: &mut Vec<u8>, texts: impl Iterator<Item = &'t str> + Clone) -> Vec<ByteArray> {
    buf.clear();
    let mut ends = Vec::new();
    for t in texts {
        buf.extend_from_slice(t.as_bytes());
        ends.push(buf.len());
    }
    let shared = Bytes::from(std::mem::take(buf));
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let a = ByteArray::from(shared.slice(start..end));
            start = end;
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::parquet::read_text_rows;

    /// A table of every column type, across row groups, reads back through the typed reader as
    /// the values written (numbers exactly, nulls as empty cells).
    #[test]
    fn a_table_reads_back_as_written() {
        let types = [("name", ColumnType::Text), ("maybe", ColumnType::OptionalText), ("x", ColumnType::Number), ("n", ColumnType::Integer)];
        let mut w = TableWriter::new(Vec::new(), &types).unwrap();
        let names = ["a", "b,c", "", "\u{e9}t\u{e9}"];
        let xs = [0.1, -1e300, 5e-324, 1.0 / 3.0];
        let mut expected = Vec::new();
        for group in 0..3 {
            let rows = group + 1;
            let name: Vec<&str> = (0..rows).map(|k| names[(k + group) % 4]).collect();
            let maybe: Vec<Option<&str>> = (0..rows).map(|k| (k % 2 == 0).then_some(names[k % 4])).collect();
            let x: Vec<f64> = (0..rows).map(|k| xs[(k + group) % 4]).collect();
            let n: Vec<i64> = (0..rows).map(|k| (k * 1000 + group) as i64 - 7).collect();
            for k in 0..rows {
                expected.push(vec![name[k].to_string(), maybe[k].unwrap_or("").to_string(), format!("{}", x[k]), n[k].to_string()]);
            }
            w.write_group(&[Column::Text(name), Column::OptionalText(maybe), Column::Number(x), Column::Integer(n)]).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut got = Vec::new();
        let mut header = Vec::new();
        read_text_rows(
            &bytes,
            std::path::Path::new("t.parquet"),
            |c| c == "name" || c == "maybe",
            |h, _row, cells| {
                header = h.to_vec();
                got.push(cells.to_vec());
                Ok::<(), ()>(())
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(header, ["name", "maybe", "x", "n"]);
        assert_eq!(got, expected);
    }

    #[test]
    fn a_group_of_the_wrong_shape_is_refused() {
        let mut w = TableWriter::new(Vec::new(), &[("a", ColumnType::Number), ("b", ColumnType::Number)]).unwrap();
        assert!(w.write_group(&[Column::Number(vec![1.0])]).is_err());
        assert!(w.write_group(&[Column::Number(vec![1.0]), Column::Text(vec!["x"])]).is_err());
        assert!(w.write_group(&[Column::Number(vec![1.0]), Column::Number(vec![])]).is_err());
    }
}
