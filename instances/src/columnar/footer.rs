//! A Parquet file's footer, read and checked by agora before any of it reaches the parquet crate:
//! the schema's tree (every `num_children` within the elements listed), flat columns only (a
//! struct, list or map is refused by name), one name per column, each column's physical and
//! logical type classified ([`Kind`]), row counts that are not negative and add up without
//! overflow, and every column chunk inside the file, of the column's type, with as many values as
//! its row group has rows. What passes is described by [`Footer`]; [`super::pages`] reads the
//! chunks it locates.

use parquet::basic::Type as Physical;

use super::thrift::{ty, Thrift};

/// What a refusal names: the part of the file (`file`, `row group 3`), the column, the sentence.
pub(crate) type Refusal = (String, String, String);

fn refuse(entity: &str, field: &str, message: impl Into<String>) -> Refusal {
    (entity.to_string(), field.to_string(), message.into())
}

/// A flat column's values as agora reads them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// UTF-8 text (strings, enums, JSON, and unannotated binary checked to be UTF-8).
    Text,
    /// Signed integers (`INT32`, `INT64`, `INT(8|16|32|64, true)`).
    Int,
    /// Unsigned integers stored in `INT32`/`INT64` (`UINT_32`, `INT(64, false)`, ...).
    UInt,
    /// `FLOAT` or `DOUBLE`.
    Float,
    /// `DECIMAL(precision, scale)`: an unscaled integer of any physical type, divided by 10^scale.
    Decimal { precision: u32, scale: u32 },
    /// A date, time or timestamp (its integer is kept, uninterpreted).
    Temporal,
    /// Anything else, described (`BOOLEAN`, `INT96`, `UUID`, `FLOAT16`, ...).
    Unsupported,
}

/// One column of a flat file.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) name: String,
    pub(crate) physical: Physical,
    pub(crate) type_length: i32,
    pub(crate) optional: bool,
    pub(crate) kind: Kind,
    /// The column's type as the file states it, for messages: `INT64 (UINT_64)`, `BYTE_ARRAY (DECIMAL(9,4))`.
    pub(crate) type_name: String,
}

/// A compression codec agora reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Uncompressed,
    Snappy,
    Gzip,
    Brotli,
    /// The deprecated `LZ4` (Hadoop's framing, or an LZ4 frame).
    Lz4,
    Zstd,
    Lz4Raw,
}

/// Where a column chunk's pages lie, and how they are compressed.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub(crate) start: u64,
    pub(crate) len: u64,
    pub(crate) codec: Codec,
}

/// A row group: its declared rows and one chunk per column.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) rows: u64,
    pub(crate) chunks: Vec<Chunk>,
}

/// A checked footer of a flat Parquet file.
#[derive(Debug, Clone)]
pub(crate) struct Footer {
    pub(crate) leaves: Vec<Leaf>,
    pub(crate) groups: Vec<Group>,
    /// The rows of every group, added without overflow.
    pub(crate) rows: u64,
}

/// The footer's length and where it starts, from a file's last 8 bytes and its length.
pub(crate) fn locate(tail: &[u8; 8], file_len: u64) -> Result<(u64, usize), Refusal> {
    if &tail[4..] == b"PARE" {
        return Err(refuse("file", "", "is an encrypted Parquet file; agora reads unencrypted files"));
    }
    if &tail[4..] != b"PAR1" {
        return Err(refuse("file", "", "is not a Parquet file (it does not end in \"PAR1\")"));
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    // "PAR1", the footer, its length and "PAR1".
    if len.checked_add(12).is_none_or(|n| n > file_len) {
        return Err(refuse("file", "", format!("declares a footer of {len} bytes in a file of {file_len} bytes")));
    }
    Ok((file_len - 8 - len, len as usize))
}

/// One element of the schema as the footer lists it.
#[derive(Default)]
struct Element {
    physical: Option<i32>,
    type_length: Option<i32>,
    repetition: Option<i32>,
    name: Option<String>,
    num_children: Option<i32>,
    converted: Option<i32>,
    scale: Option<i32>,
    precision: Option<i32>,
    logical: Option<Logical>,
}

/// A schema element's logical type.
enum Logical {
    Text(&'static str),
    Decimal { scale: i32, precision: i32 },
    Integer { bits: i8, signed: bool },
    Temporal(&'static str),
    Nested(&'static str),
    Other(&'static str),
}

struct RawChunk {
    file_path: bool,
    encrypted: bool,
    physical: Option<i32>,
    path: Vec<String>,
    codec: Option<i32>,
    num_values: Option<i64>,
    compressed: Option<i64>,
    data_page: Option<i64>,
    dictionary_page: Option<i64>,
}

struct RawGroup {
    rows: Option<i64>,
    chunks: Vec<RawChunk>,
}

/// Parses the footer's bytes (without its length and magic) and checks them against a file of
/// `file_len` bytes whose footer starts at `footer_start`.
pub(crate) fn parse(bytes: &[u8], footer_start: u64) -> Result<Footer, Refusal> {
    let bad = |m: String| refuse("file", "", format!("has a footer that cannot be read: it {m}"));
    let mut t = Thrift::new(bytes);
    let mut schema: Option<Vec<Element>> = None;
    let mut rows: Option<i64> = None;
    let mut groups: Option<Vec<RawGroup>> = None;
    let mut encrypted = false;
    t.fields(|t, id, ft| {
        match (id, ft) {
            (2, ty::LIST) => schema = Some(list(t, ty::STRUCT, element)?),
            (3, ty::I64) => rows = Some(t.i64()?),
            (4, ty::LIST) => groups = Some(list(t, ty::STRUCT, group)?),
            (8, _) => {
                encrypted = true;
                t.skip(ft)?;
            }
            _ => t.skip(ft)?,
        }
        Ok(())
    })
    .map_err(bad)?;
    if encrypted {
        return Err(refuse("file", "", "has encrypted columns; agora reads unencrypted files"));
    }
    let (Some(schema), Some(rows), Some(groups)) = (schema, rows, groups) else {
        return Err(bad("lacks its schema, its row count or its row groups".into()));
    };
    let leaves = flat_columns(&schema)?;
    let mut total: u64 = 0;
    let mut checked = Vec::with_capacity(groups.len());
    for (g, raw) in groups.into_iter().enumerate() {
        let entity = format!("row group {}", g + 1);
        let declared = raw.rows.ok_or_else(|| refuse(&entity, "", "does not declare its row count"))?;
        let n = u64::try_from(declared).map_err(|_| refuse(&entity, "", format!("declares {declared} rows")))?;
        total =
            total.checked_add(n).ok_or_else(|| refuse(&entity, "", format!("declares {n} rows, which with the groups before it overflow a 64-bit count")))?;
        if raw.chunks.len() != leaves.len() {
            return Err(refuse(&entity, "", format!("has {} column chunks for {} columns", raw.chunks.len(), leaves.len())));
        }
        let chunks = raw.chunks.iter().zip(&leaves).map(|(c, leaf)| chunk(c, leaf, n, footer_start, &entity)).collect::<Result<_, _>>()?;
        checked.push(Group { rows: n, chunks });
    }
    if u64::try_from(rows).ok() != Some(total) {
        return Err(refuse("file", "", format!("declares {rows} rows, its row groups {total}")));
    }
    disjoint(&checked, &leaves)?;
    Ok(Footer { leaves, groups: checked, rows: total })
}

/// No two column chunks share a byte: each is read whole, so chunks that all spanned the file
/// would make a reader hold the file once per chunk; disjoint, they hold it at most once.
fn disjoint(groups: &[Group], leaves: &[Leaf]) -> Result<(), Refusal> {
    let mut spans: Vec<(u64, u64, usize, usize)> =
        groups.iter().enumerate().flat_map(|(g, group)| group.chunks.iter().enumerate().map(move |(c, k)| (k.start, k.start + k.len, g, c))).collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        let ((_, end, ..), (start, _, g, c)) = (w[0], w[1]);
        if start < end {
            return Err(refuse(
                &format!("row group {}", g + 1),
                &leaves[c].name,
                format!("has a column chunk at bytes {start}..{} that overlaps another ({}..{end})", w[1].1, w[0].0),
            ));
        }
    }
    Ok(())
}

/// Reads a list of `elem`s, each with `read`.
fn list<T>(t: &mut Thrift, elem: u8, read: fn(&mut Thrift) -> Result<T, String>) -> Result<Vec<T>, String> {
    let (et, n) = t.list()?;
    if et != elem {
        return Err(format!("holds a list of type {et} where {elem} belongs"));
    }
    // `n` is at most the bytes left (each element takes one), so this is bounded by the footer.
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(read(t)?);
    }
    Ok(out)
}

fn element(t: &mut Thrift) -> Result<Element, String> {
    let mut e = Element::default();
    t.fields(|t, id, ft| {
        match (id, ft) {
            (1, ty::I32) => e.physical = Some(t.i32()?),
            (2, ty::I32) => e.type_length = Some(t.i32()?),
            (3, ty::I32) => e.repetition = Some(t.i32()?),
            (4, ty::BINARY) => e.name = Some(t.string()?),
            (5, ty::I32) => e.num_children = Some(t.i32()?),
            (6, ty::I32) => e.converted = Some(t.i32()?),
            (7, ty::I32) => e.scale = Some(t.i32()?),
            (8, ty::I32) => e.precision = Some(t.i32()?),
            (10, ty::STRUCT) => e.logical = Some(logical(t)?),
            _ => t.skip(ft)?,
        }
        Ok(())
    })?;
    Ok(e)
}

/// The `LogicalType` union: the first member set decides.
fn logical(t: &mut Thrift) -> Result<Logical, String> {
    let mut out: Option<Logical> = None;
    t.fields(|t, id, ft| {
        let this = match id {
            1 => Logical::Text("STRING"),
            4 => Logical::Text("ENUM"),
            12 => Logical::Text("JSON"),
            2 => Logical::Nested("MAP"),
            3 => Logical::Nested("LIST"),
            6 => Logical::Temporal("DATE"),
            7 => Logical::Temporal("TIME"),
            8 => Logical::Temporal("TIMESTAMP"),
            5 if ft == ty::STRUCT => {
                let (mut scale, mut precision) = (0, -1);
                t.fields(|t, id, ft| {
                    match (id, ft) {
                        (1, ty::I32) => scale = t.i32()?,
                        (2, ty::I32) => precision = t.i32()?,
                        _ => t.skip(ft)?,
                    }
                    Ok(())
                })?;
                out.get_or_insert(Logical::Decimal { scale, precision });
                return Ok(());
            }
            10 if ft == ty::STRUCT => {
                let (mut bits, mut signed) = (0, true);
                t.fields(|t, id, ft| {
                    match (id, ft) {
                        (1, ty::BYTE) => bits = t.i8()?,
                        (2, b @ (ty::TRUE | ty::FALSE)) => signed = Thrift::bool_of(b)?,
                        _ => t.skip(ft)?,
                    }
                    Ok(())
                })?;
                out.get_or_insert(Logical::Integer { bits, signed });
                return Ok(());
            }
            11 => Logical::Other("NULL"),
            13 => Logical::Other("BSON"),
            14 => Logical::Other("UUID"),
            15 => Logical::Other("FLOAT16"),
            16 => Logical::Other("VARIANT"),
            17 => Logical::Other("GEOMETRY"),
            18 => Logical::Other("GEOGRAPHY"),
            _ => Logical::Other("an unknown logical type"),
        };
        t.skip(ft)?;
        out.get_or_insert(this);
        Ok(())
    })?;
    out.ok_or_else(|| "has an empty logical type".into())
}

fn group(t: &mut Thrift) -> Result<RawGroup, String> {
    let mut g = RawGroup { rows: None, chunks: Vec::new() };
    t.fields(|t, id, ft| {
        match (id, ft) {
            (1, ty::LIST) => g.chunks = list(t, ty::STRUCT, column_chunk)?,
            (3, ty::I64) => g.rows = Some(t.i64()?),
            _ => t.skip(ft)?,
        }
        Ok(())
    })?;
    Ok(g)
}

fn column_chunk(t: &mut Thrift) -> Result<RawChunk, String> {
    let mut c = RawChunk {
        file_path: false,
        encrypted: false,
        physical: None,
        path: Vec::new(),
        codec: None,
        num_values: None,
        compressed: None,
        data_page: None,
        dictionary_page: None,
    };
    t.fields(|t, id, ft| {
        match (id, ft) {
            (1, ty::BINARY) => {
                c.file_path = true;
                t.skip(ft)?;
            }
            (3, ty::STRUCT) => t.fields(|t, id, ft| {
                match (id, ft) {
                    (1, ty::I32) => c.physical = Some(t.i32()?),
                    (3, ty::LIST) => c.path = list(t, ty::BINARY, |t| t.string())?,
                    (4, ty::I32) => c.codec = Some(t.i32()?),
                    (5, ty::I64) => c.num_values = Some(t.i64()?),
                    (7, ty::I64) => c.compressed = Some(t.i64()?),
                    (9, ty::I64) => c.data_page = Some(t.i64()?),
                    (11, ty::I64) => c.dictionary_page = Some(t.i64()?),
                    _ => t.skip(ft)?,
                }
                Ok(())
            })?,
            (8 | 9, _) => {
                c.encrypted = true;
                t.skip(ft)?;
            }
            _ => t.skip(ft)?,
        }
        Ok(())
    })?;
    Ok(c)
}

/// The file's columns: the root's children, each of which must be a flat (non-nested,
/// non-repeated) column with a name of its own. The whole tree is checked first: every
/// `num_children` must fit in the elements listed after it.
fn flat_columns(schema: &[Element]) -> Result<Vec<Leaf>, Refusal> {
    if schema.is_empty() {
        return Err(refuse("file", "", "has an empty schema"));
    }
    // Walk the tree: `open` counts the children still expected by each enclosing group.
    let mut open: Vec<u64> = Vec::new();
    let mut tops: Vec<usize> = Vec::new();
    for (k, e) in schema.iter().enumerate() {
        if let Some(left) = open.last_mut() {
            *left -= 1;
        } else if k > 0 {
            return Err(refuse("file", "", format!("lists {} schema elements, its root and its descendants {k}", schema.len())));
        }
        if open.len() == 1 {
            tops.push(k);
        }
        let children = e.num_children.unwrap_or(0);
        let left_after = (schema.len() - k - 1) as u64;
        if children < 0 || children as u64 > left_after {
            let name = e.name.as_deref().unwrap_or("");
            let what = if k == 0 { "the schema's root".to_string() } else { format!("schema element \"{}\"", crate::limits::excerpt(name)) };
            return Err(refuse("file", "", format!("has a footer that claims {children} children for {what}, with {left_after} schema elements after it")));
        }
        if children > 0 {
            open.push(children as u64);
        } else if k == 0 {
            return Err(refuse("file", "", "has no columns"));
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    if !open.is_empty() {
        return Err(refuse("file", "", "has a schema whose elements end before its groups' children"));
    }
    let mut leaves: Vec<Leaf> = Vec::with_capacity(tops.len());
    for &k in &tops {
        let e = &schema[k];
        let name = e.name.clone().unwrap_or_default();
        if let Some(first) = leaves.iter().position(|l| l.name == name) {
            return Err(refuse("file", &name, format!("is the name of columns {} and {}: every column needs a name of its own", first + 1, leaves.len() + 1)));
        }
        if e.num_children.unwrap_or(0) > 0 || e.physical.is_none() {
            let what = match &e.logical {
                Some(Logical::Nested(n)) => n.to_lowercase(),
                _ => match e.converted {
                    Some(1 | 2) => "map".into(),
                    Some(3) => "list".into(),
                    _ => "struct".into(),
                },
            };
            return Err(refuse("file", &name, format!("is a nested column (a {what}); agora reads flat columns of text ids and numbers")));
        }
        let optional = match e.repetition {
            Some(0) => false,
            Some(1) => true,
            Some(2) => return Err(refuse("file", &name, "is a repeated column (a list); agora reads flat columns of text ids and numbers")),
            other => return Err(refuse("file", &name, format!("has no valid repetition ({other:?})"))),
        };
        leaves.push(leaf(e, name, optional)?);
    }
    Ok(leaves)
}

fn physical_of(code: i32) -> Option<Physical> {
    Some(match code {
        0 => Physical::BOOLEAN,
        1 => Physical::INT32,
        2 => Physical::INT64,
        3 => Physical::INT96,
        4 => Physical::FLOAT,
        5 => Physical::DOUBLE,
        6 => Physical::BYTE_ARRAY,
        7 => Physical::FIXED_LEN_BYTE_ARRAY,
        _ => return None,
    })
}

const CONVERTED: [&str; 22] = [
    "UTF8",
    "MAP",
    "MAP_KEY_VALUE",
    "LIST",
    "ENUM",
    "DECIMAL",
    "DATE",
    "TIME_MILLIS",
    "TIME_MICROS",
    "TIMESTAMP_MILLIS",
    "TIMESTAMP_MICROS",
    "UINT_8",
    "UINT_16",
    "UINT_32",
    "UINT_64",
    "INT_8",
    "INT_16",
    "INT_32",
    "INT_64",
    "JSON",
    "BSON",
    "INTERVAL",
];

/// Classifies a column by its physical type and its logical (else converted) type.
fn leaf(e: &Element, name: String, optional: bool) -> Result<Leaf, Refusal> {
    let code = e.physical.unwrap_or(-1);
    let physical = physical_of(code).ok_or_else(|| refuse("file", &name, format!("has an unknown physical type ({code})")))?;
    let type_length = e.type_length.unwrap_or(-1);
    let int = matches!(physical, Physical::INT32 | Physical::INT64);
    let decimal = |scale: i32, precision: i32| -> (Kind, String) {
        let label = format!("DECIMAL({precision},{scale})");
        // The unscaled integer must fit 16 bytes (38 digits) and the declared digits its type.
        let most = match physical {
            Physical::INT32 => 9,
            Physical::INT64 => 18,
            Physical::FIXED_LEN_BYTE_ARRAY if (1..=16).contains(&type_length) => {
                // floor(log10(2^(8n-1) - 1)) digits
                ((8 * type_length - 1) as f64 * std::f64::consts::LOG10_2).floor() as i32
            }
            Physical::BYTE_ARRAY => 38,
            _ => 0,
        };
        if precision < 1 || precision > most || scale < 0 || scale > precision {
            return (Kind::Unsupported, label);
        }
        (Kind::Decimal { precision: precision as u32, scale: scale as u32 }, label)
    };
    let (kind, annotation) = match &e.logical {
        Some(Logical::Text(n)) => (if physical == Physical::BYTE_ARRAY { Kind::Text } else { Kind::Unsupported }, n.to_string()),
        Some(Logical::Decimal { scale, precision }) => decimal(*scale, *precision),
        Some(Logical::Integer { bits, signed }) => {
            let fits = match physical {
                Physical::INT32 => matches!(bits, 8 | 16 | 32),
                Physical::INT64 => *bits == 64,
                _ => false,
            };
            let kind = match (fits, signed) {
                (false, _) => Kind::Unsupported,
                (true, true) => Kind::Int,
                (true, false) => Kind::UInt,
            };
            (kind, format!("INT({bits},{signed})"))
        }
        Some(Logical::Temporal(n)) => (if int { Kind::Temporal } else { Kind::Unsupported }, n.to_string()),
        Some(Logical::Nested(n) | Logical::Other(n)) => (Kind::Unsupported, n.to_string()),
        None => match e.converted {
            None => {
                let kind = match physical {
                    Physical::BYTE_ARRAY => Kind::Text,
                    Physical::INT32 | Physical::INT64 => Kind::Int,
                    Physical::FLOAT | Physical::DOUBLE => Kind::Float,
                    _ => Kind::Unsupported,
                };
                (kind, String::new())
            }
            Some(c) => {
                let label = usize::try_from(c).ok().and_then(|c| CONVERTED.get(c)).map_or_else(|| format!("converted type {c}"), |s| s.to_string());
                let kind = match c {
                    0 | 4 | 19 if physical == Physical::BYTE_ARRAY => Kind::Text,
                    5 => return finish(name, optional, physical, type_length, decimal(e.scale.unwrap_or(0), e.precision.unwrap_or(-1))),
                    6..=10 if int => Kind::Temporal,
                    11..=13 if physical == Physical::INT32 => Kind::UInt,
                    14 if physical == Physical::INT64 => Kind::UInt,
                    15..=17 if physical == Physical::INT32 => Kind::Int,
                    18 if physical == Physical::INT64 => Kind::Int,
                    _ => Kind::Unsupported,
                };
                (kind, label)
            }
        },
    };
    finish(name, optional, physical, type_length, (kind, annotation))
}

fn finish(name: String, optional: bool, physical: Physical, type_length: i32, (kind, annotation): (Kind, String)) -> Result<Leaf, Refusal> {
    if physical == Physical::FIXED_LEN_BYTE_ARRAY && !(1..=1 << 20).contains(&type_length) {
        return Err(refuse("file", &name, format!("is a FIXED_LEN_BYTE_ARRAY of length {type_length}")));
    }
    let type_name = if annotation.is_empty() { format!("{physical}") } else { format!("{physical} ({annotation})") };
    Ok(Leaf { name, physical, type_length, optional, kind, type_name })
}

/// Checks a column chunk of `leaf` in a group of `rows` rows: its metadata is in this file, of
/// the column's type, compressed with a codec agora reads, holds one value per row, and lies
/// between the file's magic and its footer.
fn chunk(c: &RawChunk, leaf: &Leaf, rows: u64, footer_start: u64, entity: &str) -> Result<Chunk, Refusal> {
    let name = leaf.name.as_str();
    let no = |m: String| refuse(entity, name, m);
    if c.file_path {
        return Err(no("has its column chunk in another file; agora reads self-contained files".into()));
    }
    if c.encrypted {
        return Err(no("is encrypted; agora reads unencrypted files".into()));
    }
    let physical = c.physical.and_then(physical_of);
    if physical != Some(leaf.physical) {
        return Err(no(format!("has a column chunk of type {}, its schema {}", physical.map_or("?".into(), |p| p.to_string()), leaf.physical)));
    }
    if c.path.len() != 1 || c.path[0] != leaf.name {
        return Err(no(format!("has a column chunk for {:?}", c.path.iter().map(|p| crate::limits::excerpt(p)).collect::<Vec<_>>())));
    }
    let codec = match c.codec {
        Some(0) => Codec::Uncompressed,
        Some(1) => Codec::Snappy,
        Some(2) => Codec::Gzip,
        Some(4) => Codec::Brotli,
        Some(5) => Codec::Lz4,
        Some(6) => Codec::Zstd,
        Some(7) => Codec::Lz4Raw,
        Some(3) => {
            return Err(no("is compressed with LZO, which agora does not read (it reads uncompressed, Snappy, gzip, Brotli, LZ4, LZ4_RAW and zstd)".into()));
        }
        other => return Err(no(format!("is compressed with an unknown codec ({other:?})"))),
    };
    let values = c.num_values.unwrap_or(-1);
    if u64::try_from(values).ok() != Some(rows) {
        return Err(no(format!("declares {values} values in a row group of {rows} rows")));
    }
    let size = c.compressed.unwrap_or(-1);
    let len = u64::try_from(size).map_err(|_| no(format!("has a column chunk of negative size ({size} bytes)")))?;
    let data = c.data_page.unwrap_or(-1);
    let start = match c.dictionary_page {
        Some(d) if d > 0 && d < data => d,
        _ => data,
    };
    let start = u64::try_from(start).ok().filter(|&s| s >= 4).ok_or_else(|| no(format!("has a column chunk at offset {start}, before the data")))?;
    match start.checked_add(len) {
        Some(end) if end <= footer_start => Ok(Chunk { start, len, codec }),
        _ => Err(no(format!("has a column chunk of {len} bytes at offset {start}, past the data (which ends at byte {footer_start})"))),
    }
}
