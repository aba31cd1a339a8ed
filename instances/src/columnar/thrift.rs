//! A Thrift compact-protocol decoder for Parquet's footer and page headers, written to be handed
//! hostile bytes: every length is checked against the bytes left before anything is allocated
//! (a list of `n` elements needs at least `n` bytes), integers must fit their declared width (a
//! varint of 2^32 + 4 is not the `i32` 4), nesting is bounded, and every error is a sentence, never
//! a panic. [`super::footer`] and [`super::pages`] read Parquet's structures with it, so the
//! parquet crate only ever sees metadata agora has checked.

/// Thrift compact type ids.
pub(crate) mod ty {
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
}

/// Structures nested deeper than this are refused (Parquet's own go four or five deep).
const MAX_DEPTH: u32 = 32;

/// A cursor over Thrift compact bytes.
pub(crate) struct Thrift<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: u32,
}

pub(crate) type Result<T> = std::result::Result<T, String>;

impl<'a> Thrift<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Thrift<'a> {
        Thrift { buf, pos: 0, depth: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or("ends in the middle of a value")?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err("holds an integer wider than 64 bits".into());
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("holds an integer wider than 64 bits".into())
    }

    fn zigzag(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// An unsigned varint (ULEB128), as Parquet's RLE run headers are written.
    pub(crate) fn i64_unsigned(&mut self) -> Result<u64> {
        self.varint()
    }

    /// An `i64` field's value.
    pub(crate) fn i64(&mut self) -> Result<i64> {
        self.zigzag()
    }

    /// An `i32` field's value (an enum's too); a value outside `i32` is an error, not truncated.
    pub(crate) fn i32(&mut self) -> Result<i32> {
        let v = self.zigzag()?;
        i32::try_from(v).map_err(|_| format!("holds {v} where a 32-bit integer belongs"))
    }

    /// A `byte` field's value.
    pub(crate) fn i8(&mut self) -> Result<i8> {
        Ok(self.byte()? as i8)
    }

    /// A `binary` or `string` field's bytes.
    pub(crate) fn binary(&mut self) -> Result<&'a [u8]> {
        let n = self.varint()?;
        if n > self.left() as u64 {
            return Err(format!("declares a string of {n} bytes with {} bytes left", self.left()));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    /// A `string` field's text.
    pub(crate) fn string(&mut self) -> Result<String> {
        let b = self.binary()?;
        String::from_utf8(b.to_vec()).map_err(|_| "holds a name that is not UTF-8".into())
    }

    /// A list's element type and length. Every element takes at least one byte, so a length
    /// above the bytes left is a lie, refused before anything is sized from it.
    pub(crate) fn list(&mut self) -> Result<(u8, usize)> {
        let head = self.byte()?;
        let n = if head >> 4 == 15 { self.varint()? } else { u64::from(head >> 4) };
        if n > self.left() as u64 {
            return Err(format!("declares a list of {n} elements with {} bytes left", self.left()));
        }
        Ok((head & 0x0f, n as usize))
    }

    /// The fields of a struct: `field` is called with each field's id and type and must read or
    /// [`Thrift::skip`] its value; the struct's end is read here.
    pub(crate) fn fields(&mut self, mut field: impl FnMut(&mut Self, i16, u8) -> Result<()>) -> Result<()> {
        self.enter()?;
        let mut last: i16 = 0;
        loop {
            let head = self.byte()?;
            if head == 0 {
                break;
            }
            let t = head & 0x0f;
            let delta = head >> 4;
            let id = if delta == 0 {
                let v = self.zigzag()?;
                i16::try_from(v).map_err(|_| format!("has a field id of {v}"))?
            } else {
                last.checked_add(i16::from(delta)).ok_or("has a field id over 32767")?
            };
            last = id;
            field(self, id, t)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// The value of a boolean field, whose type carries it.
    pub(crate) fn bool_of(t: u8) -> Result<bool> {
        match t {
            ty::TRUE => Ok(true),
            ty::FALSE => Ok(false),
            other => Err(format!("holds a value of type {other} where a boolean belongs")),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nests structures more than {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    /// Skips a value of type `t`.
    pub(crate) fn skip(&mut self, t: u8) -> Result<()> {
        match t {
            ty::TRUE | ty::FALSE => Ok(()),
            ty::BYTE => self.byte().map(drop),
            ty::I16 | ty::I32 | ty::I64 => self.varint().map(drop),
            ty::DOUBLE => {
                if self.left() < 8 {
                    return Err("ends in the middle of a value".into());
                }
                self.pos += 8;
                Ok(())
            }
            ty::BINARY => self.binary().map(drop),
            ty::LIST | ty::SET => {
                let (elem, n) = self.list()?;
                self.enter()?;
                for _ in 0..n {
                    self.skip_element(elem)?;
                }
                self.depth -= 1;
                Ok(())
            }
            ty::MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                if n > self.left() as u64 {
                    return Err(format!("declares a map of {n} entries with {} bytes left", self.left()));
                }
                let kinds = self.byte()?;
                self.enter()?;
                for _ in 0..n {
                    self.skip_element(kinds >> 4)?;
                    self.skip_element(kinds & 0x0f)?;
                }
                self.depth -= 1;
                Ok(())
            }
            ty::STRUCT => self.fields(|t, _, ft| t.skip(ft)),
            other => Err(format!("holds a value of unknown type {other}")),
        }
    }

    /// Skips a list element (booleans take a byte there).
    fn skip_element(&mut self, t: u8) -> Result<()> {
        match t {
            ty::TRUE | ty::FALSE => self.byte().map(drop),
            other => self.skip(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_must_fit_their_width_and_lengths_the_bytes_left() {
        // zigzag(2^32 + 4) as a varint: an i32 field holding it is refused, not read as 4.
        let v: u64 = (1u64 << 33) + 8;
        let mut bytes = Vec::new();
        let mut x = v;
        while x >= 0x80 {
            bytes.push((x as u8) | 0x80);
            x >>= 7;
        }
        bytes.push(x as u8);
        assert!(Thrift::new(&bytes).i32().unwrap_err().contains("32-bit"));
        assert_eq!(Thrift::new(&bytes).i64().unwrap(), (1i64 << 32) + 4);
        // A list of 2^31 elements in five bytes.
        assert!(Thrift::new(&[0xf5, 0x80, 0x80, 0x80, 0x80, 0x08]).list().unwrap_err().contains("2147483648 elements"));
        // A string longer than what follows.
        assert!(Thrift::new(&[0x10, b'a']).binary().unwrap_err().contains("16 bytes"));
        // Eleven continuation bytes.
        assert!(Thrift::new(&[0xff; 11]).i64().is_err());
        assert!(Thrift::new(&[]).i32().is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        // A struct field (id 1, type 12) inside a struct inside ...: refused at depth 33.
        let bytes = vec![0x1c; 100];
        let err = Thrift::new(&bytes).skip(ty::STRUCT).unwrap_err();
        assert!(err.contains("more than 32 deep"), "{err}");
    }

    #[test]
    fn fields_read_in_order_with_short_and_long_headers() {
        // Field 1 i32 = -3 (zigzag 5), field 20 (long form) binary "ab", field 21 true, stop.
        let bytes = [0x15, 0x05, 0x08, 0x28, 0x02, b'a', b'b', 0x11, 0x00];
        let mut got = Vec::new();
        Thrift::new(&bytes)
            .fields(|t, id, ty| {
                match (id, ty) {
                    (1, ty::I32) => got.push(format!("1={}", t.i32()?)),
                    (20, ty::BINARY) => got.push(format!("20={}", t.string()?)),
                    (21, b) => got.push(format!("21={}", Thrift::bool_of(b)?)),
                    _ => t.skip(ty)?,
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(got, ["1=-3", "20=ab", "21=true"]);
    }
}
