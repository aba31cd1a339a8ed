//! agora's one CSV dialect (RFC 4180), for every CSV file it reads or writes: columnar edges,
//! frontier tables and serving artifacts. Comma separated, a header line, and a field holding a
//! comma, a quote or a line break (`\n` or `\r`) is quoted with `"`, inner quotes doubled. Row
//! names such as `topic-cap[seg-1,recipes]` hold commas, and ids may hold anything, hence the
//! quoting. Reading is strict: a stray quote is an error naming its line, never a guess.

use std::borrow::Cow;
use std::io::BufRead;

/// One field as written: quoted when it must be.
pub fn field(f: &str) -> Cow<'_, str> {
    if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        Cow::Owned(format!("\"{}\"", f.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(f)
    }
}

/// Appends one record (and its line break) to `out`.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(&field(f.as_ref()));
    }
    out.push('\n');
}

/// A parsed record and the line it starts on (1-based).
#[derive(Debug)]
pub struct Record {
    /// The 1-based line the record starts on.
    pub line: usize,
    /// The record's fields, unquoted (outer quotes removed, doubled quotes made single).
    pub fields: Vec<String>,
}

/// Splits `text` into records. Errors carry the line of the problem.
pub fn parse(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    // Whether the current field began with a quote, and whether we are inside the quotes.
    let (mut quoted, mut in_quotes) = (false, false);
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                quoted = true;
                in_quotes = true;
            }
            '"' => return Err((line, "a quote inside an unquoted field".into())),
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push(Record { line: start_line, fields: std::mem::take(&mut fields) });
                quoted = false;
                line += 1;
                start_line = line;
            }
            _ if quoted => return Err((line, "text after a closing quote".into())),
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err((start_line, "a quoted field is never closed".into()));
    }
    if !field.is_empty() || !fields.is_empty() || quoted {
        fields.push(field);
        records.push(Record { line: start_line, fields });
    }
    Ok(records)
}

/// Why a record could not be read: the line it starts on and what is wrong.
#[derive(Debug)]
pub enum ReadError {
    /// Reading the underlying file failed.
    Io(std::io::Error),
    /// The text is not valid CSV (or not UTF-8) at this 1-based line.
    Syntax {
        /// The 1-based line of the problem (for a quoted field never closed, the line its record starts on).
        line: usize,
        /// What is wrong, e.g. `a quote inside an unquoted field`.
        message: String,
    },
}

/// Streams the records of a file, one at a time, into a reused buffer: a quoted field may
/// span lines, and every record knows the line it starts on.
pub struct Reader<R> {
    input: R,
    line: usize,
    buf: Vec<u8>,
    field: Vec<u8>,
}

impl<R: BufRead> Reader<R> {
    /// A reader at the file's first line.
    pub fn new(input: R) -> Self {
        Reader { input, line: 0, buf: Vec::new(), field: Vec::new() }
    }

    /// Reads the next record into `out` (its fields replaced; their strings are reused, so a
    /// file read a record at a time into the same `out` allocates nothing per field). `Ok(None)`
    /// at the end of the input, otherwise the 1-based line the record starts on. An empty line is
    /// a record of one empty field.
    pub fn read(&mut self, out: &mut Vec<String>) -> Result<Option<usize>, ReadError> {
        let mut filled = 0;
        self.field.clear();
        let start = self.line + 1;
        let (mut quoted, mut in_quotes) = (false, false);
        loop {
            self.buf.clear();
            let n = self.input.read_until(b'\n', &mut self.buf).map_err(ReadError::Io)?;
            if n == 0 {
                if self.line + 1 == start {
                    return Ok(None);
                }
                if in_quotes {
                    return Err(ReadError::Syntax { line: start, message: "a quoted field is never closed".into() });
                }
                put_field(&mut self.field, out, &mut filled, start)?;
                out.truncate(filled);
                return Ok(Some(start));
            }
            self.line += 1;
            let mut k = 0;
            let bytes = &self.buf;
            while k < bytes.len() {
                let c = bytes[k];
                k += 1;
                if in_quotes {
                    match c {
                        b'"' if bytes.get(k) == Some(&b'"') => {
                            k += 1;
                            self.field.push(b'"');
                        }
                        b'"' => in_quotes = false,
                        _ => self.field.push(c),
                    }
                    continue;
                }
                match c {
                    b'"' if self.field.is_empty() && !quoted => {
                        quoted = true;
                        in_quotes = true;
                    }
                    b'"' => return Err(ReadError::Syntax { line: self.line, message: "a quote inside an unquoted field".into() }),
                    b',' => {
                        put_field(&mut self.field, out, &mut filled, self.line)?;
                        quoted = false;
                    }
                    b'\r' if bytes.get(k) == Some(&b'\n') => {}
                    b'\n' => {
                        put_field(&mut self.field, out, &mut filled, start)?;
                        out.truncate(filled);
                        return Ok(Some(start));
                    }
                    _ if quoted => return Err(ReadError::Syntax { line: self.line, message: "text after a closing quote".into() }),
                    _ => self.field.push(c),
                }
            }
        }
    }

    /// The input, read up to the end of the last record returned.
    pub fn into_inner(self) -> R {
        self.input
    }
}

/// Ends the field being read (`field`, then emptied): it becomes `out[*filled]` (in that
/// string's allocation when there is one) and `filled` counts it.
fn put_field(field: &mut Vec<u8>, out: &mut Vec<String>, filled: &mut usize, line: usize) -> Result<(), ReadError> {
    let text = std::str::from_utf8(field).map_err(|_| ReadError::Syntax { line, message: "is not valid UTF-8".into() })?;
    match out.get_mut(*filled) {
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => out.push(text.to_string()),
    }
    *filled += 1;
    field.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        let rows = [vec!["a,b", "say \"hi\"", ""], vec!["plain", "x\ny", "1.5"]];
        let mut text = String::new();
        for r in &rows {
            write_record(&mut text, r);
        }
        assert_eq!(text, "\"a,b\",\"say \"\"hi\"\"\",\nplain,\"x\ny\",1.5\n");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].fields, rows[0]);
        assert_eq!(parsed[1].fields, rows[1]);
        assert_eq!((parsed[0].line, parsed[1].line), (1, 2));
    }

    #[test]
    fn the_reader_streams_quoted_line_breaks_commas_and_quotes() {
        let ids = ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", ""];
        let mut text = String::new();
        write_record(&mut text, &["segment", "item"]);
        for id in ids {
            write_record(&mut text, &[id, "x"]);
        }
        let mut r = Reader::new(text.as_bytes());
        let mut rec = Vec::new();
        assert_eq!(r.read(&mut rec).unwrap(), Some(1));
        assert_eq!(rec, ["segment", "item"]);
        let mut lines = Vec::new();
        for id in ids {
            lines.push(r.read(&mut rec).unwrap().unwrap());
            assert_eq!(rec, [id, "x"]);
        }
        // Records start on the line after the previous one ended: two ids span two lines.
        assert_eq!(lines, [2, 3, 4, 5, 7, 9]);
        assert_eq!(r.read(&mut rec).unwrap(), None);
        // The same text through the whole-text parser.
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.iter().map(|p| p.fields.clone()).collect::<Vec<_>>()[3], ["say \"hi\"", "x"]);
    }

    #[test]
    fn the_reader_names_the_line_of_a_stray_quote() {
        let mut rec = Vec::new();
        let err = Reader::new("a,b\nc,d\"e\n".as_bytes());
        let mut err = err;
        err.read(&mut rec).unwrap();
        match err.read(&mut rec) {
            Err(ReadError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a syntax error, got {other:?}"),
        }
        let mut open = Reader::new("\"never closed,\n".as_bytes());
        assert!(matches!(open.read(&mut rec), Err(ReadError::Syntax { line: 1, .. })));
        let mut last = Reader::new("a,b".as_bytes());
        assert_eq!(last.read(&mut rec).unwrap(), Some(1));
        assert_eq!(rec, ["a", "b"]);
    }

    #[test]
    fn malformed_quotes_are_errors() {
        assert_eq!(parse("a,b\"c\n").unwrap_err().0, 1);
        assert_eq!(parse("x\n\"open,\n").unwrap_err().0, 2);
        assert!(parse("\"a\"b\n").is_err());
    }
}
