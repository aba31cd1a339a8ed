//! Logs and a day from the Open Bandit Dataset's sample (`agora import obd DIR --segment-by KEY
//! --out PREFIX`): ZOZOTOWN fashion recommendations, 80 items in 3 positions, served by a uniform
//! random policy (`random/`) or by Bernoulli Thompson sampling (`bts/`), 10,000 rounds per file,
//! with clicks and the logging policy's propensities. The obp 0.4.1 wheel ships the sample under
//! `obp/dataset/obd/{random,bts}/{all,men,women}/`; `scripts/fetch-data.sh` unpacks it to
//! `data/obd/`. DIR is one of those directories: it holds `NAME.csv` (the rounds) and
//! `item_context.csv` (the items). Every choice is documented on docs/estimates.md.
//!
//! - **Logs** (`agora.logs/v1`): one round per row: the segment (below), the item `item-N`, the
//!   click as reward, `propensity_score` as propensity, the position and the timestamp.
//! - **Segments**: one per value of the chosen key: `position` (`position-1` .. `position-3`) or a
//!   hashed user feature `user_feature_N` (`ufN-HASH`, the first 12 hex digits of the hash).
//!   Supply: the segment's rounds.
//! - **Items**: the 80 items, organic; each is its own creator's (group `default`); topic
//!   `cat-HASH` from `item_feature_1` (the first 8 hex digits); quality 0.5 and risk 0 (the data
//!   has neither); not fresh.
//! - **Edges**: one per (segment, item) the log shows; engagement the naive click rate of its
//!   rounds (biased toward what the logging policy liked: `agora estimate` replaces it), price 0.
//! - **Rules**: none; add them (an `exploration_floor`, for instance) to the day.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::logs::{Logs, Round};
use crate::types::*;
use crate::validate::Finding;
use crate::LoadError;

/// How rounds become segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentBy {
    /// The position the item was shown in (3 segments).
    Position,
    /// The hashed user feature `user_feature_N` (N in 0..=3).
    UserFeature(u8),
}

impl std::str::FromStr for SegmentBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "position" {
            return Ok(SegmentBy::Position);
        }
        match s.strip_prefix("user_feature_").and_then(|n| n.parse::<u8>().ok()) {
            Some(n) if n <= 3 => Ok(SegmentBy::UserFeature(n)),
            _ => Err(format!("unknown segment key \"{s}\" (position, user_feature_0 .. user_feature_3)")),
        }
    }
}

/// The day and the log of one OBD directory.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The day: one segment per key value, the 80 items, an edge per (segment, item) logged.
    pub instance: Instance,
    /// The rounds, as `agora.logs/v1`.
    pub logs: Logs,
}

/// Reads `DIR/NAME.csv` (the one CSV file besides `item_context.csv`) and `DIR/item_context.csv`
/// (default read options).
pub fn import(dir: &Path, by: SegmentBy) -> Result<Imported, LoadError> {
    import_with(dir, by, &crate::ReadOptions::default())
}

/// The files of `dir` the importer reads: the rounds file and `item_context.csv`.
pub fn source_files(dir: &Path) -> Result<[PathBuf; 2], LoadError> {
    Ok([rounds_file(dir)?, dir.join(ITEMS_FILE)])
}

/// The items' file of an Open Bandit directory.
const ITEMS_FILE: &str = "item_context.csv";

/// [`import`], reading the files under `opts` (regular files within the input limit).
pub fn import_with(dir: &Path, by: SegmentBy, opts: &crate::ReadOptions) -> Result<Imported, LoadError> {
    let [rounds_path, items_path] = source_files(dir)?;
    let rows = read_table(&items_path, opts)?;
    let mut items: Vec<Item> = Vec::new();
    let mut creators: Vec<Creator> = Vec::new();
    let mut item_of: HashMap<String, usize> = HashMap::new();
    let icol = |name: &str| rows.0.iter().position(|c| c == name);
    let (Some(c_id), Some(c_cat)) = (icol("item_id"), icol("item_feature_1")) else {
        return Err(invalid(&items_path, "line 1", "", "expected columns item_id and item_feature_1".into()));
    };
    for (ln, r) in &rows.1 {
        let id = r[c_id].trim().to_string();
        if id.parse::<u32>().is_err() {
            return Err(invalid(&items_path, &format!("line {ln}"), "item_id", format!("not a whole number: \"{}\"", crate::limits::excerpt(&id))));
        }
        let cat: String = r[c_cat].chars().take(8).collect();
        if let Some(&first) = item_of.get(&id) {
            return Err(super::duplicate(&items_path, *ln, "item_id", &id, rows.1[first].0));
        }
        creators.push(Creator { id: format!("maker-{id}"), group: "default".into() });
        item_of.insert(id.clone(), items.len());
        items.push(Item {
            id: format!("item-{id}"),
            owner: Owner::Creator(creators.len() - 1),
            topic: format!("cat-{cat}"),
            quality: 0.5,
            risk: 0.0,
            fresh: false,
            cap: None,
        });
    }

    let (header, table) = read_table(&rounds_path, opts)?;
    let col = |name: &str| header.iter().position(|c| c == name);
    let key = match by {
        SegmentBy::Position => "position".to_string(),
        SegmentBy::UserFeature(n) => format!("user_feature_{n}"),
    };
    let (Some(c_item), Some(c_pos), Some(c_click), Some(c_prop), Some(c_key)) =
        (col("item_id"), col("position"), col("click"), col("propensity_score"), col(&key))
    else {
        return Err(invalid(&rounds_path, "line 1", "", format!("expected columns item_id, position, click, propensity_score and {key}")));
    };
    let mut logs = Logs { segments: Vec::new(), items: items.iter().map(|i| i.id.clone()).collect(), rounds: Vec::new() };
    let mut seg_of: BTreeMap<String, u32> = BTreeMap::new();
    let mut problems = Vec::new();
    for (ln, r) in &table {
        let ent = format!("line {ln}");
        let Some(&item) = item_of.get(r[c_item].trim()) else {
            problems.push(Finding { entity: ent, field: "item_id".into(), message: format!("unknown item \"{}\"", crate::limits::excerpt(&r[c_item])) });
            continue;
        };
        let position: Option<u32> = r[c_pos].trim().parse().ok();
        let click: Option<f64> = r[c_click].trim().parse().ok().filter(|c: &f64| *c == 0.0 || *c == 1.0);
        let propensity: Option<f64> = r[c_prop].trim().parse().ok().filter(|p: &f64| *p > 0.0 && *p <= 1.0);
        let (Some(position), Some(reward), Some(propensity)) = (position, click, propensity) else {
            problems.push(Finding { entity: ent, field: String::new(), message: "position, click (0 or 1) or propensity_score (in (0, 1]) unreadable".into() });
            continue;
        };
        let value = r[c_key].trim();
        let segment_id = match by {
            SegmentBy::Position => format!("position-{value}"),
            SegmentBy::UserFeature(n) => format!("uf{n}-{}", value.chars().take(12).collect::<String>()),
        };
        let segment_id = match super::checked_id(segment_id, &rounds_path, *ln, &key) {
            Ok(id) => id,
            Err(LoadError::Invalid { mut errors, .. }) => {
                problems.append(&mut errors);
                continue;
            }
            Err(e) => return Err(e),
        };
        let next = seg_of.len() as u32;
        let segment = *seg_of.entry(segment_id.clone()).or_insert_with(|| {
            logs.segments.push(segment_id);
            next
        });
        logs.rounds.push(Round { segment, item: item as u32, reward, propensity, position: Some(position) });
    }
    if !problems.is_empty() {
        problems.truncate(crate::columnar::MAX_ERRORS);
        return Err(LoadError::Invalid { path: rounds_path, errors: problems });
    }

    // Segments in id order (position-1, position-2, ...), their supply the rounds they saw.
    let mut order: Vec<usize> = (0..logs.segments.len()).collect();
    order.sort_by(|&a, &b| logs.segments[a].cmp(&logs.segments[b]));
    let mut rank = vec![0; order.len()];
    for (k, &s) in order.iter().enumerate() {
        rank[s] = k;
    }
    let mut supply = vec![0.0; order.len()];
    let mut cells: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    for r in &logs.rounds {
        let s = rank[r.segment as usize];
        supply[s] += 1.0;
        let c = cells.entry((s, r.item as usize)).or_insert((0.0, 0.0));
        c.0 += 1.0;
        c.1 += r.reward;
    }
    let segments = order.iter().zip(&supply).map(|(&s, &n)| Segment { id: logs.segments[s].clone(), supply: n, tags: Vec::new() }).collect();
    let edges = cells.into_iter().map(|((s, i), (n, clicks))| Edge { segment: s, item: i, engagement: clicks / n, price: 0.0, cap: None }).collect();
    let name = dir.iter().rev().take(2).map(|c| c.to_string_lossy().into_owned()).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("-");
    let instance = Instance {
        name: format!("obd-{name}"),
        objective: Objective { engagement: 1.0, revenue: 0.0, ..Objective::default() },
        segments,
        creators,
        campaigns: Vec::new(),
        items,
        edges,
        constraints: Vec::new(),
        evidence: Vec::new(),
    };
    Ok(Imported { instance: super::validated(instance, dir)?, logs })
}

/// The rounds file of `dir`: its one `.csv` file other than `item_context.csv`.
fn rounds_file(dir: &Path) -> Result<PathBuf, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io { path: dir.to_path_buf(), source })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv") && p.file_name().is_some_and(|n| n != ITEMS_FILE))
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(invalid(dir, "directory", "", format!("expected one rounds file (NAME.csv) beside item_context.csv, found {n}"))),
    }
}

/// A CSV file's header, and its rows with their 1-based lines.
type Table = (Vec<String>, Vec<(usize, Vec<String>)>);

/// Reads a CSV file whose rows must all have the header's width.
fn read_table(path: &Path, opts: &crate::ReadOptions) -> Result<Table, LoadError> {
    let (file, _) = crate::open_input(path, opts)?;
    let mut reader = crate::csv::Reader::new(BufReader::new(file));
    let syntax = |e: crate::csv::ReadError| match e {
        crate::csv::ReadError::Io(source) => LoadError::Io { path: path.to_path_buf(), source },
        crate::csv::ReadError::Syntax { line, message } => invalid(path, &format!("line {line}"), "", message),
    };
    let mut header = Vec::new();
    if reader.read(&mut header).map_err(syntax)?.is_none() {
        return Err(invalid(path, "file", "", "is empty".into()));
    }
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    while let Some(ln) = reader.read(&mut cells).map_err(syntax)? {
        if cells.len() == 1 && cells[0].is_empty() {
            continue;
        }
        if cells.len() != header.len() {
            return Err(invalid(path, &format!("line {ln}"), "", format!("has {} fields, the header {}", cells.len(), header.len())));
        }
        rows.push((ln, std::mem::take(&mut cells)));
    }
    if rows.is_empty() {
        return Err(invalid(path, "file", "", "has no rows after its header".into()));
    }
    Ok((header, rows))
}

fn invalid(path: &Path, entity: &str, field: &str, message: String) -> LoadError {
    LoadError::Invalid { path: path.to_path_buf(), errors: vec![Finding { entity: entity.into(), field: field.into(), message }] }
}
