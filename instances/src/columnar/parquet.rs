//! Parquet edges: `"edges_file": "day.edges.parquet"` (what Spark and warehouses write). The columns
//! are the CSV's (`segment`, `item`, `engagement`, optional `price`, `cap`, `n`, `engagement_lcb`,
//! `engagement_ucb`), by name, in any order; ids may be strings (dictionary-encoded or not) or
//! integers, numbers any integer or floating type, and a null is an absent value. Every record goes
//! through the same validation as a CSV line (its cells as text; `f64` prints and parses back
//! exactly), so one day read from either format gives the same edges, and errors name the file,
//! the row (1-based) and the column.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;

use super::{validate_edges, Errors};
use crate::io::{open_input, LoadError, ReadOptions};
use crate::types::{Edge, Evidence, Instance};
use crate::validate::Finding;

/// Rows per row group when writing: about 10^6 edges per group.
const ROW_GROUP: usize = 1 << 20;

fn invalid(path: &Path, entity: &str, field: &str, message: String) -> LoadError {
    LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: entity.into(), field: field.into(), message }] }
}

/// Reads and validates the edges (and evidence, when its columns are there) of a Parquet file.
pub fn read_edges_parquet(path: &Path, inst: &Instance, opts: &ReadOptions) -> Result<(Vec<Edge>, Vec<Evidence>), LoadError> {
    read_records(path, opts, |header, errs, next| validate_edges(path, inst, header, errs, next))
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
    let with_evidence = !inst.evidence.is_empty();
    let schema = format!(
        "message edges {{ required binary segment (UTF8); required binary item (UTF8); required double engagement; required double price; optional double cap; {} }}",
        if with_evidence { "required int64 n; required double engagement_lcb; required double engagement_ucb;" } else { "" }
    );
    let to_io = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let schema = Arc::new(parse_message_type(&schema).map_err(to_io)?);
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).set_dictionary_enabled(true).build());
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, props).map_err(to_io)?;
    for start in (0..inst.edges.len()).step_by(ROW_GROUP) {
        let range = start..(start + ROW_GROUP).min(inst.edges.len());
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
