//! Logged feedback, `agora.logs/v1`: what an earlier policy showed, what came of it, and how
//! likely that policy was to show it. The input of off-policy estimates (`agora estimate`,
//! `agora evaluate`; docs/estimates.md).
//!
//! A CSV file with a header naming its columns, in any order:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `segment` | yes | the context the round was served in (a segment id of the day) |
//! | `item` | yes | the item shown (an item id of the day) |
//! | `reward` | yes | what came of it: a click (0/1) or an engagement value, in [0, 1e11] |
//! | `propensity` | yes | the logging policy's probability of showing that item in that context, in [1e-9, 1] |
//! | `timestamp` | no | when (free text, not interpreted) |
//! | `position` | no | the slot it was shown in, a whole number >= 0 |
//!
//! Every error names the file, the line and the column; at most [`crate::columnar::MAX_ERRORS`]
//! are listed. Ids are kept as text: a log may name segments and items the day does not have
//! (the estimators say what they do with them).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::columnar::{Errors, Role};
use crate::io::{open_input, LoadError, ReadOptions};
use crate::limits::{excerpt, id_problem};
use crate::validate::Finding;

/// The smallest propensity a round may have: its importance weight `1 / p` is then at most 1e9,
/// and the estimators' sums of squared weights times squared rewards (rewards at most
/// [`MAX_REWARD`]) stay finite. A logging policy that showed an item with a smaller
/// probability gives no usable evidence about it.
pub const MIN_PROPENSITY: f64 = 1e-9;
/// The largest reward a round may have: [`crate::limits::MAX_QUANTITY`], as every quantity of a
/// day.
pub const MAX_REWARD: f64 = crate::limits::MAX_QUANTITY;

/// The name of the format (written in docs and in what reads it; a CSV carries no schema field).
pub const LOGS_SCHEMA: &str = "agora.logs/v1";

/// The columns of a logs file, required first.
pub const LOG_COLUMNS: [&str; 6] = ["segment", "item", "reward", "propensity", "timestamp", "position"];

/// One logged round: the logging policy showed `item` in `segment` with probability
/// `propensity`, and `reward` came of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Round {
    /// Index into [`Logs::segments`].
    pub segment: u32,
    /// Index into [`Logs::items`].
    pub item: u32,
    /// The observed reward (>= 0).
    pub reward: f64,
    /// The logging policy's probability of this choice, in [[`MIN_PROPENSITY`], 1].
    pub propensity: f64,
    /// The slot, where the log says.
    pub position: Option<u32>,
}

/// A validated log: its rounds in file order, with segment and item ids interned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logs {
    /// The segment ids the log names, in first-seen order.
    pub segments: Vec<String>,
    /// The item ids the log names, in first-seen order.
    pub items: Vec<String>,
    /// Every round, in file order.
    pub rounds: Vec<Round>,
}

impl Logs {
    /// Reads and validates a logs file: CSV, or Parquet when its name ends in `.parquet` (the
    /// same columns by name, read by the edges' typed Parquet reader, [`crate::columnar::parquet`]).
    pub fn read(path: &Path, opts: &ReadOptions) -> Result<Logs, LoadError> {
        if path.extension().is_some_and(|x| x == "parquet") {
            return crate::columnar::parquet::read_records(path, opts, log_role, |header, errs, next| validate_rounds(path, header, errs, next));
        }
        let (file, _) = open_input(path, opts)?;
        Logs::read_from(BufReader::with_capacity(1 << 20, file), path)
    }

    /// Reads and validates a Parquet log from its bytes in memory; `path` names it in messages.
    pub fn read_parquet_bytes(data: &[u8], path: &Path) -> Result<Logs, LoadError> {
        crate::columnar::parquet::read_records_from(&data, data.len() as u64, path, log_role, |header, errs, next| validate_rounds(path, header, errs, next))
    }

    /// Reads and validates logs from CSV text in `reader`; `path` names it in messages.
    pub fn read_from(reader: impl BufRead, path: &Path) -> Result<Logs, LoadError> {
        let mut records = crate::csv::Reader::new(reader);
        let syntax = |e: crate::csv::ReadError| match e {
            crate::csv::ReadError::Io(source) => LoadError::Io { path: path.to_path_buf(), source },
            crate::csv::ReadError::Syntax { line, message } => {
                LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: format!("line {line}"), field: String::new(), message }] }
            }
        };
        let mut errs = Errors::default();
        let mut header: Vec<String> = Vec::new();
        if records.read(&mut header).map_err(syntax)?.is_none() {
            errs.add(1, "", "is missing: expected a header such as segment,item,reward,propensity".into());
            return errs.into_result(path).map(|_| Logs::default());
        }
        if let Some(rest) = header.first().and_then(|f| f.strip_prefix('\u{feff}')) {
            header[0] = rest.to_string();
        }
        validate_rounds(path, &header, Errors::default(), |cells| records.read(cells).map_err(syntax))
    }

    /// The log as `agora.logs/v1` CSV text (without timestamps, which are not kept).
    pub fn to_csv(&self) -> String {
        let with_position = self.rounds.iter().any(|r| r.position.is_some());
        let mut out = String::from(if with_position { "segment,item,reward,propensity,position\n" } else { "segment,item,reward,propensity\n" });
        for r in &self.rounds {
            let mut fields =
                vec![self.segments[r.segment as usize].clone(), self.items[r.item as usize].clone(), format!("{}", r.reward), format!("{}", r.propensity)];
            if with_position {
                fields.push(r.position.map(|p| p.to_string()).unwrap_or_default());
            }
            crate::csv::write_record(&mut out, &fields);
        }
        out
    }

    /// The mean reward over every round: the logging policy's own (on-policy) value.
    pub fn mean_reward(&self) -> f64 {
        self.rounds.iter().map(|r| r.reward).sum::<f64>() / self.rounds.len().max(1) as f64
    }
}

/// What each column of a Parquet log is to the table reader: ids, numbers, and the timestamp,
/// which is not interpreted (a date or time type is fine there).
fn log_role(name: &str) -> Role {
    match name {
        "segment" | "item" => Role::Id,
        "reward" | "propensity" | "position" => Role::Number,
        _ => Role::Opaque,
    }
}

/// Validates logged rounds: `header` names the columns, `next` fills a record's cells as text and
/// says its number (`Ok(None)` at the end). CSV and Parquet logs go through here alike.
fn validate_rounds(
    path: &Path,
    header: &[String],
    mut errs: Errors,
    mut next: impl FnMut(&mut Vec<String>) -> Result<Option<usize>, LoadError>,
) -> Result<Logs, LoadError> {
    let col = |name: &str| header.iter().position(|f| f.trim() == name);
    let [c_seg, c_item, c_reward, c_prop, _, c_pos] = LOG_COLUMNS.map(col);
    crate::columnar::duplicate_columns(header, &mut errs);
    for name in &LOG_COLUMNS[..4] {
        if col(name).is_none() {
            errs.add(1, name, "column is missing from the header".into());
        }
    }
    for f in header {
        if !LOG_COLUMNS.contains(&f.trim()) {
            errs.add(1, "", format!("unknown column \"{}\" (the columns are {})", excerpt(f.trim()), LOG_COLUMNS.join(", ")));
        }
    }
    let (Some(c_seg), Some(c_item), Some(c_reward), Some(c_prop)) = (c_seg, c_item, c_reward, c_prop) else {
        return errs.into_result(path).map(|_| Logs::default());
    };
    let unit = errs.unit;
    errs.into_result(path)?;
    let mut errs = Errors { unit, ..Errors::default() };
    let mut logs = Logs::default();
    let (mut seg_ids, mut item_ids): (HashMap<String, u32>, HashMap<String, u32>) = (HashMap::new(), HashMap::new());
    let mut cells: Vec<String> = Vec::new();
    while let Some(ln) = next(&mut cells)? {
        if cells.len() == 1 && cells[0].trim().is_empty() {
            continue;
        }
        if cells.len() != header.len() {
            errs.add(ln, "", format!("has {} fields, the header {}", cells.len(), header.len()));
            continue;
        }
        let mut id = |field: &str, cell: &str, ids: &mut HashMap<String, u32>, list: &mut Vec<String>| -> Option<u32> {
            let cell = cell.trim();
            if let Some(problem) = if cell.is_empty() { Some("is empty".to_string()) } else { id_problem(cell) } {
                errs.add(ln, field, problem);
                return None;
            }
            Some(*ids.entry(cell.to_string()).or_insert_with(|| {
                list.push(cell.to_string());
                (list.len() - 1) as u32
            }))
        };
        let segment = id("segment", &cells[c_seg], &mut seg_ids, &mut logs.segments);
        let item = id("item", &cells[c_item], &mut item_ids, &mut logs.items);
        let reward = number(&mut errs, ln, "reward", &cells[c_reward], |v| (0.0..=MAX_REWARD).contains(&v), "in [0, 1e11]");
        let propensity = number(
            &mut errs,
            ln,
            "propensity",
            &cells[c_prop],
            |v| (MIN_PROPENSITY..=1.0).contains(&v),
            "in [1e-9, 1] (a smaller propensity is an importance weight over 1e9, which no estimate survives)",
        );
        let position = match c_pos.map(|c| cells[c].trim()).filter(|c| !c.is_empty()) {
            None => Some(None),
            Some(cell) => match cell.parse::<u32>() {
                Ok(p) => Some(Some(p)),
                Err(_) => {
                    errs.add(ln, "position", format!("must be a whole number >= 0, got \"{}\"", excerpt(cell)));
                    None
                }
            },
        };
        if let (Some(segment), Some(item), Some(reward), Some(propensity), Some(position)) = (segment, item, reward, propensity, position) {
            logs.rounds.push(Round { segment, item, reward, propensity, position });
        }
    }
    if logs.rounds.is_empty() && errs.count == 0 {
        errs.add(0, "", "has no rounds: a log needs at least one line after the header".into());
    }
    errs.into_result(path)?;
    Ok(logs)
}

/// A number cell that must satisfy `ok` (described by `rule`); `None` (and an error) otherwise.
fn number(errs: &mut Errors, ln: usize, field: &str, cell: &str, ok: impl Fn(f64) -> bool, rule: &str) -> Option<f64> {
    let cell = cell.trim();
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && ok(v) && v <= crate::limits::MAX_QUANTITY => Some(v),
        Ok(_) => {
            // The cell as written: 1e-200 printed back as an f64 is 200 digits long.
            errs.add(ln, field, format!("must be {rule}, got {}", excerpt(cell)));
            None
        }
        Err(_) if cell.is_empty() => {
            errs.add(ln, field, "is missing".into());
            None
        }
        Err(_) => {
            errs.add(ln, field, format!("not a number: \"{}\"", excerpt(cell)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Logs, LoadError> {
        Logs::read_from(text.as_bytes(), Path::new("day.logs.csv"))
    }

    #[test]
    fn a_log_reads_and_writes_back() {
        let text = "item,segment,reward,propensity,position,timestamp\na,s1,1,0.5,1,2019-11-24\nb,s1,0,0.25,2,\na,s2,0,1,,x\n";
        let logs = read(text).unwrap();
        assert_eq!(logs.segments, ["s1", "s2"]);
        assert_eq!(logs.items, ["a", "b"]);
        assert_eq!(logs.rounds[1], Round { segment: 0, item: 1, reward: 0.0, propensity: 0.25, position: Some(2) });
        assert_eq!(logs.rounds[2].position, None);
        assert!((logs.mean_reward() - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(read(&logs.to_csv()).unwrap(), logs);
    }

    #[test]
    fn bad_propensities_and_rewards_name_the_line_and_column() {
        let text = "segment,item,reward,propensity\ns,a,1,0\ns,a,1,1.5\ns,a,-1,0.5\ns,,1,0.5\ns,a,x,0.5\ns,a,1,1e-200\ns,a,2e11,0.5\ns,a,1,1e-9\n";
        let LoadError::Invalid { path, errors } = read(text).unwrap_err() else { panic!("not a validation error") };
        assert_eq!(path, Path::new("day.logs.csv"));
        let said: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        let floor = "must be in [1e-9, 1] (a smaller propensity is an importance weight over 1e9, which no estimate survives)";
        assert_eq!(said[0], format!("line 2, field \"propensity\": {floor}, got 0"));
        assert_eq!(said[1], format!("line 3, field \"propensity\": {floor}, got 1.5"));
        assert_eq!(said[2], "line 4, field \"reward\": must be in [0, 1e11], got -1");
        assert_eq!(said[3], "line 5, field \"item\": is empty");
        assert_eq!(said[4], "line 6, field \"reward\": not a number: \"x\"");
        assert_eq!(said[5], format!("line 7, field \"propensity\": {floor}, got 1e-200"));
        assert_eq!(said[6], "line 8, field \"reward\": must be in [0, 1e11], got 2e11");
        assert_eq!(said.len(), 7, "the floor itself is accepted: {said:?}");
    }

    /// Writes a Parquet log: string ids, double reward and propensity, an optional int64 position.
    fn parquet_log(path: &Path, rows: &[(&str, &str, f64, f64, Option<i64>)]) {
        use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
        use parquet::file::writer::SerializedFileWriter;
        let schema = "message logs { required binary segment (UTF8); required binary item (UTF8); required double reward; required double propensity; optional int64 position; }";
        let schema = std::sync::Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
        let mut w = SerializedFileWriter::new(std::fs::File::create(path).unwrap(), schema, Default::default()).unwrap();
        let mut g = w.next_row_group().unwrap();
        let mut k = 0;
        while let Some(mut c) = g.next_column().unwrap() {
            match k {
                0 | 1 => {
                    let v: Vec<ByteArray> = rows.iter().map(|r| ByteArray::from(if k == 0 { r.0 } else { r.1 })).collect();
                    c.typed::<ByteArrayType>().write_batch(&v, None, None).unwrap();
                }
                2 | 3 => {
                    let v: Vec<f64> = rows.iter().map(|r| if k == 2 { r.2 } else { r.3 }).collect();
                    c.typed::<DoubleType>().write_batch(&v, None, None).unwrap();
                }
                _ => {
                    let v: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
                    let d: Vec<i16> = rows.iter().map(|r| r.4.is_some() as i16).collect();
                    c.typed::<Int64Type>().write_batch(&v, Some(&d), None).unwrap();
                }
            }
            c.close().unwrap();
            k += 1;
        }
        g.close().unwrap();
        w.close().unwrap();
    }

    #[test]
    fn parquet_logs_read_like_csv_logs_and_name_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.logs.parquet");
        parquet_log(&path, &[("s1", "a", 1.0, 0.5, Some(1)), ("s1", "b", 0.0, 0.25, Some(2)), ("s2", "a", 0.0, 1.0, None)]);
        let from_parquet = Logs::read(&path, &ReadOptions::default()).unwrap();
        let from_csv = read("segment,item,reward,propensity,position\ns1,a,1,0.5,1\ns1,b,0,0.25,2\ns2,a,0,1,\n").unwrap();
        assert_eq!(from_parquet, from_csv);
        parquet_log(&path, &[("s1", "a", 1.0, 0.5, None), ("s1", "b", 0.0, 0.0, None)]);
        let LoadError::Invalid { errors, .. } = Logs::read(&path, &ReadOptions::default()).unwrap_err() else { panic!("not a validation error") };
        assert!(errors[0].to_string().starts_with("row 2, field \"propensity\": must be in [1e-9, 1]"), "{}", errors[0]);
    }

    #[test]
    fn a_header_without_a_required_column_is_refused() {
        let LoadError::Invalid { errors, .. } = read("segment,item,reward,propensty\ns,a,1,0.5\n").unwrap_err() else { panic!() };
        let said: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
        assert!(said.iter().any(|m| m.contains("\"propensity\": column is missing")), "{said:?}");
        assert!(said.iter().any(|m| m.contains("unknown column \"propensty\"")), "{said:?}");
        assert!(read("segment,item,reward,propensity\n").is_err());
        assert!(read("").is_err());
    }
}
