//! The small CSV dialect of serving artifacts (RFC 4180): comma separated, a header line, fields
//! holding a comma, a quote or a line break are quoted with `"` and inner quotes doubled. Row
//! names such as `topic-cap[seg-1,recipes]` hold commas, hence the quoting.

/// Appends one record (and its line break) to `out`.
pub(crate) fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push('\n');
}

/// A parsed record and the line it starts on (1-based).
#[derive(Debug)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits `text` into records. Errors carry the line of the problem.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, (usize, String)> {
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
                records.push(Record {
                    line: start_line,
                    fields: std::mem::take(&mut fields),
                });
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
        records.push(Record {
            line: start_line,
            fields,
        });
    }
    Ok(records)
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
    fn malformed_quotes_are_errors() {
        assert_eq!(parse("a,b\"c\n").unwrap_err().0, 1);
        assert_eq!(parse("x\n\"open,\n").unwrap_err().0, 2);
        assert!(parse("\"a\"b\n").is_err());
    }
}
