//! A column chunk's pages, read by agora and handed to the parquet crate's decoders one checked
//! page at a time (a [`PageReader`]): every page header is parsed by [`super::thrift`] before a
//! byte of the chunk is decoded, and must lie inside the chunk, declare at most
//! [`MAX_PAGE_BYTES`] uncompressed, use an encoding agora reads, and count values that add up to
//! the row group's rows (not one more, not one fewer). Pages are decompressed here, into buffers
//! of the size their header declares and never past it, with the codec the footer names: Snappy,
//! gzip, Brotli, LZ4 (Hadoop's framing or a frame), LZ4_RAW and zstd, all pure Rust.

use std::io::Read;
use std::ops::Range;

use bytes::Bytes;
use parquet::basic::{Encoding, Type as Physical};
use parquet::column::page::{Page, PageMetadata, PageReader};
use parquet::errors::ParquetError;

use super::footer::{Codec, Leaf};
use super::thrift::{ty, Thrift};

/// The largest page agora decompresses: 256 MiB (writers cut pages at about 1 MiB).
pub(crate) const MAX_PAGE_BYTES: usize = 1 << 28;

enum Kind {
    Dictionary { sorted: bool },
    V1 { def: Encoding },
    V2 { nulls: u32, levels: usize, compressed: bool },
}

/// One page, located and checked.
struct PageInfo {
    kind: Kind,
    body: Range<usize>,
    uncompressed: usize,
    values: u32,
    encoding: Encoding,
}

/// The checked pages of one column chunk, in order.
pub(crate) struct Pages {
    chunk: Bytes,
    pages: Vec<PageInfo>,
    next: usize,
    codec: Codec,
    /// A `BYTE_ARRAY` column (whose PLAIN values are walked before decoding) and a nullable one.
    byte_array: bool,
    optional: bool,
}

fn encoding(code: i32) -> Option<Encoding> {
    Some(match code {
        0 => Encoding::PLAIN,
        2 => Encoding::PLAIN_DICTIONARY,
        3 => Encoding::RLE,
        5 => Encoding::DELTA_BINARY_PACKED,
        6 => Encoding::DELTA_LENGTH_BYTE_ARRAY,
        7 => Encoding::DELTA_BYTE_ARRAY,
        8 => Encoding::RLE_DICTIONARY,
        9 => Encoding::BYTE_STREAM_SPLIT,
        10 => Encoding::ALP,
        _ => return None,
    })
}

/// The fewest bytes one PLAIN value of `leaf` takes (a dictionary of `n` values needs `n` times this).
fn plain_width(leaf: &Leaf) -> usize {
    match leaf.physical {
        Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 4,
        Physical::INT64 | Physical::DOUBLE => 8,
        Physical::INT96 => 12,
        Physical::FIXED_LEN_BYTE_ARRAY => leaf.type_length.max(1) as usize,
        Physical::BOOLEAN => 1,
    }
}

#[derive(Default)]
struct Header {
    kind: Option<i32>,
    uncompressed: Option<i32>,
    compressed: Option<i32>,
    values: Option<i32>,
    encoding: Option<i32>,
    def: Option<i32>,
    nulls: Option<i32>,
    rows: Option<i32>,
    def_len: Option<i32>,
    rep_len: Option<i32>,
    compressed_v2: Option<bool>,
    sorted: Option<bool>,
}

fn header(t: &mut Thrift) -> Result<Header, String> {
    let mut h = Header::default();
    t.fields(|t, id, ft| {
        match (id, ft) {
            (1, ty::I32) => h.kind = Some(t.i32()?),
            (2, ty::I32) => h.uncompressed = Some(t.i32()?),
            (3, ty::I32) => h.compressed = Some(t.i32()?),
            (5, ty::STRUCT) => t.fields(|t, id, ft| {
                match (id, ft) {
                    (1, ty::I32) => h.values = Some(t.i32()?),
                    (2, ty::I32) => h.encoding = Some(t.i32()?),
                    (3, ty::I32) => h.def = Some(t.i32()?),
                    _ => t.skip(ft)?,
                }
                Ok(())
            })?,
            (7, ty::STRUCT) => t.fields(|t, id, ft| {
                match (id, ft) {
                    (1, ty::I32) => h.values = Some(t.i32()?),
                    (2, ty::I32) => h.encoding = Some(t.i32()?),
                    (3, b @ (ty::TRUE | ty::FALSE)) => h.sorted = Some(Thrift::bool_of(b)?),
                    _ => t.skip(ft)?,
                }
                Ok(())
            })?,
            (8, ty::STRUCT) => t.fields(|t, id, ft| {
                match (id, ft) {
                    (1, ty::I32) => h.values = Some(t.i32()?),
                    (2, ty::I32) => h.nulls = Some(t.i32()?),
                    (3, ty::I32) => h.rows = Some(t.i32()?),
                    (4, ty::I32) => h.encoding = Some(t.i32()?),
                    (5, ty::I32) => h.def_len = Some(t.i32()?),
                    (6, ty::I32) => h.rep_len = Some(t.i32()?),
                    (7, b @ (ty::TRUE | ty::FALSE)) => h.compressed_v2 = Some(Thrift::bool_of(b)?),
                    _ => t.skip(ft)?,
                }
                Ok(())
            })?,
            _ => t.skip(ft)?,
        }
        Ok(())
    })?;
    Ok(h)
}

impl Pages {
    /// Checks every page header of `chunk`, a column chunk of `leaf` in a row group of `rows`
    /// rows. Errors are sentences about the column chunk.
    pub(crate) fn scan(chunk: Bytes, leaf: &Leaf, codec: Codec, rows: u64) -> Result<Pages, String> {
        let mut pages = Vec::new();
        let mut at = 0usize;
        let mut values: u64 = 0;
        let mut dictionary = false;
        while at < chunk.len() {
            let n = pages.len() + 1;
            let mut t = Thrift::new(&chunk[at..]);
            let h = header(&mut t).map_err(|m| format!("page {n} has a header that cannot be read: it {m}"))?;
            let start = at + t.position();
            let (Some(kind), Some(uncompressed), Some(compressed)) = (h.kind, h.uncompressed, h.compressed) else {
                return Err(format!("page {n} has a header without its type or sizes"));
            };
            let compressed = usize::try_from(compressed)
                .ok()
                .filter(|&c| c <= chunk.len() - start)
                .ok_or_else(|| format!("page {n} declares {compressed} bytes, with {} bytes left in its column chunk", chunk.len() - start))?;
            let uncompressed = usize::try_from(uncompressed)
                .ok()
                .filter(|&u| u <= MAX_PAGE_BYTES)
                .ok_or_else(|| format!("page {n} declares {uncompressed} bytes uncompressed (at most {MAX_PAGE_BYTES} are read)"))?;
            let body = start..start + compressed;
            at = body.end;
            if codec == Codec::Uncompressed && compressed != uncompressed && kind != 3 {
                return Err(format!("page {n} is uncompressed but declares {compressed} bytes stored and {uncompressed} bytes of data"));
            }
            let count = h.values.unwrap_or(-1);
            let count = u32::try_from(count).map_err(|_| format!("page {n} declares {count} values"))?;
            let code = h.encoding.unwrap_or(-1);
            let enc = encoding(code).ok_or_else(|| format!("page {n} has an unknown encoding ({code})"))?;
            let kind = match kind {
                // An index page (never written by current writers) holds no values.
                1 => continue,
                2 => {
                    if dictionary || !pages.is_empty() {
                        return Err(format!("page {n} is a dictionary page after the first page"));
                    }
                    if !matches!(enc, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                        return Err(format!("page {n} is a dictionary in the {enc} encoding; dictionaries are PLAIN"));
                    }
                    if count as u64 * plain_width(leaf) as u64 > uncompressed as u64 {
                        return Err(format!("page {n} declares a dictionary of {count} values in {uncompressed} bytes"));
                    }
                    dictionary = true;
                    Kind::Dictionary { sorted: h.sorted.unwrap_or(false) }
                }
                0 | 3 => {
                    check_encoding(enc, leaf, dictionary).map_err(|m| format!("page {n} {m}"))?;
                    values += u64::from(count);
                    if values > rows {
                        return Err(format!("holds more values than the {rows} rows its row group declares (page {n} brings them to {values})"));
                    }
                    if kind == 0 {
                        let def = h.def.and_then(encoding);
                        if leaf.optional && def != Some(Encoding::RLE) {
                            return Err(format!("page {n} has definition levels in an encoding agora does not read ({:?}); they are RLE", h.def));
                        }
                        Kind::V1 { def: def.unwrap_or(Encoding::RLE) }
                    } else {
                        let nulls = h.nulls.and_then(|v| u32::try_from(v).ok()).filter(|&v| v <= count);
                        let nulls = nulls.ok_or_else(|| format!("page {n} declares {:?} nulls among {count} values", h.nulls))?;
                        if h.rows != Some(count as i32) {
                            return Err(format!("page {n} declares {:?} rows and {count} values in a flat column", h.rows));
                        }
                        let levels = [h.def_len, h.rep_len].iter().map(|v| v.and_then(|v| usize::try_from(v).ok())).sum::<Option<usize>>();
                        let levels = levels
                            .filter(|&l| l <= compressed && l <= uncompressed)
                            .ok_or_else(|| format!("page {n} declares levels of {:?} and {:?} bytes in {compressed} bytes", h.def_len, h.rep_len))?;
                        Kind::V2 { nulls, levels, compressed: h.compressed_v2.unwrap_or(true) }
                    }
                }
                other => return Err(format!("page {n} has an unknown page type ({other})")),
            };
            pages.push(PageInfo { kind, body, uncompressed, values: count, encoding: enc });
        }
        if values != rows {
            return Err(format!("holds {values} values, its row group declares {rows} rows"));
        }
        Ok(Pages { chunk, pages, next: 0, codec, byte_array: leaf.physical == Physical::BYTE_ARRAY, optional: leaf.optional })
    }

    /// Every value of the chunk, when it is a `BYTE_ARRAY` chunk whose data pages are all
    /// dictionary-encoded: the dictionary page's values (a superset of the chunk's; a chunk of
    /// another kind, or one that fell back to PLAIN pages, says `None`). The data pages are not
    /// decoded.
    pub(crate) fn dictionary_byte_arrays(&self) -> Result<Option<Vec<Bytes>>, String> {
        let dictionary_encoded = |p: &PageInfo| matches!(p.encoding, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY);
        let Some((first, data)) = self.pages.split_first() else { return Ok(Some(Vec::new())) };
        if !self.byte_array || !matches!(first.kind, Kind::Dictionary { .. }) || !data.iter().all(dictionary_encoded) {
            return Ok(None);
        }
        // Walked by `bytes`: every value's length is inside the page.
        let buf = self.bytes(0)?;
        let mut values = Vec::with_capacity(first.values as usize);
        let mut at = 0usize;
        for _ in 0..first.values {
            let len = u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
            values.push(buf.slice(at + 4..at + 4 + len));
            at += 4 + len;
        }
        Ok(Some(values))
    }

    /// Page `k`'s bytes, decompressed, its PLAIN byte arrays (if any) walked.
    fn bytes(&self, k: usize) -> Result<Bytes, String> {
        let buf = self.decompressed(k)?;
        let p = &self.pages[k];
        if self.byte_array && (p.encoding == Encoding::PLAIN || matches!(p.kind, Kind::Dictionary { .. })) {
            plain_byte_arrays(&buf, p, self.optional).map_err(|m| format!("page {} {m}", k + 1))?;
        }
        Ok(buf)
    }

    /// Page `k`'s bytes, decompressed.
    fn decompressed(&self, k: usize) -> Result<Bytes, String> {
        let p = &self.pages[k];
        let body = self.chunk.slice(p.body.clone());
        let (levels, compressed) = match p.kind {
            Kind::V2 { levels, compressed, .. } => (levels, compressed),
            _ => (0, true),
        };
        if self.codec == Codec::Uncompressed || !compressed {
            if body.len() != p.uncompressed {
                return Err(format!("page {} holds {} bytes, its header says {}", k + 1, body.len(), p.uncompressed));
            }
            return Ok(body);
        }
        let mut out = Vec::with_capacity(p.uncompressed);
        out.extend_from_slice(&body[..levels]);
        let want = p.uncompressed - levels;
        if want > 0 || body.len() > levels {
            decompress(self.codec, &body[levels..], want, &mut out).map_err(|m| format!("page {}: {m}", k + 1))?;
        }
        if out.len() != p.uncompressed {
            return Err(format!("page {} decompresses to {} bytes, its header says {}", k + 1, out.len(), p.uncompressed));
        }
        Ok(Bytes::from(out))
    }
}

/// Checks that a page's PLAIN byte arrays hold every value its levels promise: the parquet crate
/// reads each value's 4-byte length without checking that 4 bytes are left (and panics when
/// they are not). The values follow the definition levels (version 1: a 4-byte length and the
/// levels; version 2: the levels' declared bytes); a nullable column's values are its non-null
/// levels.
fn plain_byte_arrays(buf: &[u8], p: &PageInfo, optional: bool) -> Result<(), String> {
    let n = p.values as usize;
    let (at, count) = match p.kind {
        Kind::Dictionary { .. } => (0, n),
        Kind::V1 { .. } if !optional => (0, n),
        Kind::V1 { .. } => {
            let len = buf.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or("ends before its definition levels")?;
            let levels = buf.get(4..).and_then(|b| b.get(..len)).ok_or("declares more definition levels than it holds")?;
            (4 + len, defined(levels, n)?)
        }
        Kind::V2 { levels, .. } => (levels, if optional { defined(&buf[..levels], n)? } else { n }),
    };
    let mut rest = &buf[at..];
    for k in 0..count {
        let len = rest.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        match len {
            Some(len) if rest.len() - 4 >= len => rest = &rest[4 + len..],
            _ => return Err(format!("holds {k} values where its levels promise {count}")),
        }
    }
    Ok(())
}

/// How many of the first `n` definition levels (RLE/bit-packed hybrid, bit width 1) are not 0,
/// an error if the levels end before `n`.
fn defined(mut levels: &[u8], n: usize) -> Result<usize, String> {
    let (mut seen, mut ones) = (0usize, 0usize);
    while seen < n {
        let mut t = Thrift::new(levels);
        let header = t.i64_unsigned().map_err(|_| format!("has definition levels that end after {seen} of its {n} values"))?;
        levels = &levels[t.position()..];
        let run = (header >> 1) as usize;
        if header & 1 == 0 {
            let (&value, rest) = levels.split_first().ok_or_else(|| format!("has definition levels that end after {seen} of its {n} values"))?;
            levels = rest;
            let take = run.min(n - seen);
            seen += take;
            ones += if value != 0 { take } else { 0 };
        } else {
            // `run` groups of 8 levels, one byte each at bit width 1.
            let bytes = levels.get(..run).ok_or_else(|| format!("has definition levels that end after {seen} of its {n} values"))?;
            levels = &levels[run..];
            for &b in bytes {
                let take = 8.min(n - seen);
                ones += (b & (((1u16 << take) - 1) as u8)).count_ones() as usize;
                seen += take;
                if seen == n {
                    break;
                }
            }
        }
    }
    Ok(ones)
}

/// Whether a data page's value encoding is one agora reads for `leaf`.
fn check_encoding(enc: Encoding, leaf: &Leaf, dictionary: bool) -> Result<(), String> {
    let int = matches!(leaf.physical, Physical::INT32 | Physical::INT64);
    let ok = match enc {
        Encoding::PLAIN => true,
        Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY if !dictionary => return Err("is dictionary-encoded with no dictionary page before it".into()),
        Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => true,
        Encoding::DELTA_BINARY_PACKED => int,
        Encoding::BYTE_STREAM_SPLIT => leaf.physical != Physical::BYTE_ARRAY,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("is in the {enc} encoding, which agora does not read for a {} column (it reads PLAIN, dictionary, DELTA_BINARY_PACKED integers and BYTE_STREAM_SPLIT)", leaf.physical))
    }
}

/// Decompresses `input` into `out`, appending at most `want` bytes (more is an error).
fn decompress(codec: Codec, input: &[u8], want: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let start = out.len();
    let capped = |r: &mut dyn Read, out: &mut Vec<u8>| -> Result<(), String> {
        r.take(want as u64 + 1).read_to_end(out).map_err(|e| format!("cannot be decompressed: {e}"))?;
        Ok(())
    };
    match codec {
        Codec::Uncompressed => out.extend_from_slice(input),
        Codec::Snappy => {
            let n = snap::raw::decompress_len(input).map_err(|e| format!("cannot be decompressed (Snappy): {e}"))?;
            if n != want {
                return Err(format!("decompresses to {n} bytes (Snappy), its header says {want}"));
            }
            out.resize(start + n, 0);
            snap::raw::Decoder::new().decompress(input, &mut out[start..]).map_err(|e| format!("cannot be decompressed (Snappy): {e}"))?;
        }
        Codec::Gzip => capped(&mut flate2::read::MultiGzDecoder::new(input), out)?,
        Codec::Brotli => capped(&mut brotli_decompressor::Decompressor::new(input, 4096), out)?,
        Codec::Zstd => {
            let mut d = ruzstd::decoding::StreamingDecoder::new(input).map_err(|e| format!("cannot be decompressed (zstd): {e}"))?;
            capped(&mut d, out)?
        }
        Codec::Lz4Raw => {
            out.resize(start + want, 0);
            let n = lz4_flex::block::decompress_into(input, &mut out[start..]).map_err(|e| format!("cannot be decompressed (LZ4_RAW): {e}"))?;
            out.truncate(start + n);
        }
        Codec::Lz4 => {
            if !lz4_hadoop(input, want, out) {
                out.truncate(start);
                capped(&mut lz4_flex::frame::FrameDecoder::new(input), out).or_else(|_| {
                    out.truncate(start);
                    out.resize(start + want, 0);
                    let n = lz4_flex::block::decompress_into(input, &mut out[start..]).map_err(|e| format!("cannot be decompressed (LZ4): {e}"))?;
                    out.truncate(start + n);
                    Ok::<(), String>(())
                })?;
            }
        }
    }
    Ok(())
}

/// Hadoop's LZ4 framing (what the deprecated `LZ4` codec holds): blocks of a big-endian
/// decompressed size, a compressed size and an LZ4 block. False when `input` is not that.
fn lz4_hadoop(mut input: &[u8], want: usize, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    while !input.is_empty() {
        if input.len() < 8 {
            return false;
        }
        let size = u32::from_be_bytes([input[0], input[1], input[2], input[3]]) as usize;
        let stored = u32::from_be_bytes([input[4], input[5], input[6], input[7]]) as usize;
        input = &input[8..];
        let at = out.len();
        if stored > input.len() || size > want - (at - start) {
            return false;
        }
        out.resize(at + size, 0);
        match lz4_flex::block::decompress_into(&input[..stored], &mut out[at..]) {
            Ok(n) if n == size => {}
            _ => return false,
        }
        input = &input[stored..];
    }
    true
}

fn general(m: String) -> ParquetError {
    ParquetError::General(m)
}

impl Iterator for Pages {
    type Item = parquet::errors::Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl PageReader for Pages {
    fn get_next_page(&mut self) -> parquet::errors::Result<Option<Page>> {
        let k = self.next;
        let Some(p) = self.pages.get(k) else { return Ok(None) };
        self.next += 1;
        let buf = self.bytes(k).map_err(general)?;
        Ok(Some(match p.kind {
            Kind::Dictionary { sorted } => Page::DictionaryPage { buf, num_values: p.values, encoding: p.encoding, is_sorted: sorted },
            Kind::V1 { def } => {
                Page::DataPage { buf, num_values: p.values, encoding: p.encoding, def_level_encoding: def, rep_level_encoding: Encoding::RLE, statistics: None }
            }
            Kind::V2 { nulls, levels, compressed } => Page::DataPageV2 {
                buf,
                num_values: p.values,
                encoding: p.encoding,
                num_nulls: nulls,
                num_rows: p.values,
                def_levels_byte_len: levels as u32,
                rep_levels_byte_len: 0,
                is_compressed: compressed,
                statistics: None,
            },
        }))
    }

    fn peek_next_page(&mut self) -> parquet::errors::Result<Option<PageMetadata>> {
        Ok(self.pages.get(self.next).map(|p| match p.kind {
            Kind::Dictionary { .. } => PageMetadata { num_rows: None, num_levels: None, is_dict: true },
            _ => PageMetadata { num_rows: Some(p.values as usize), num_levels: Some(p.values as usize), is_dict: false },
        }))
    }

    fn skip_next_page(&mut self) -> parquet::errors::Result<()> {
        self.next += 1;
        Ok(())
    }
}
