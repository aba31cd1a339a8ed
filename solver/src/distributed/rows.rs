//! The day's rows, assembled from the processes' models. Each process formulates the model of
//! its shard: every row of the day whose existence does not depend on edges (supplies, budgets,
//! item caps, one share row per selected segment, the day-wide rows), plus the rows that exist
//! because of its own segments' edges (a `topic_cap` row per topic present, an
//! `exploration_floor` row per unproven edge). Rows are identified across processes by a key,
//! (block, segment, ordinal within the block and segment), whose order is the day's row order
//! (formulate/builder.rs: supplies by segment, budgets, item caps, then each constraint's rows, segment by
//! segment in instance order), so the day's rows are the keys' sorted union.

use std::collections::HashMap;

use super::comm::Comm;
use crate::ir::{RowKind, RowMeta, Sense};
use crate::status::SolveError;
use crate::wire::{Reader, Writer};

/// Where a row sits in the day's order.
pub(crate) type Key = (u64, u64, u64);

/// Every row's key, in model order.
fn keys(rows: &[RowMeta]) -> Vec<Key> {
    let mut next: HashMap<(u64, u64), u64> = HashMap::new();
    rows.iter()
        .map(|r| {
            let block = match r.kind {
                RowKind::Supply => 0,
                RowKind::Budget => 1,
                RowKind::ItemCap => 2,
                _ => 3 + r.constraint.map_or(u64::MAX - 3, |k| k as u64),
            };
            let segment = r.segment.map_or(u64::MAX, |s| s as u64);
            let n = next.entry((block, segment)).or_insert(0);
            *n += 1;
            (block, segment, *n - 1)
        })
        .collect()
}

/// The parameter names rows carry (`RowMeta::parameter`), so that a row received from another
/// process gets the same `&'static str`.
const PARAMETERS: [&str; 8] = ["supply", "budget", "cap", "min", "max", "max_share", "min_share", "tolerance"];

fn write_row(w: &mut Writer, key: Key, r: &RowMeta) {
    w.u64(key.0).u64(key.1).u64(key.2).str(&r.name).str(r.kind.as_str());
    w.u64(r.constraint.map_or(u64::MAX, |k| k as u64)).u64(r.segment.map_or(u64::MAX, |s| s as u64));
    w.u64(u64::from(r.sense == Sense::Ge)).f64(r.rhs).str(r.parameter.0).f64(r.parameter.1).f64(r.db);
    w.f64(r.penalty.unwrap_or(f64::NAN));
}

fn read_row(rd: &mut Reader<'_>) -> Option<(Key, RowMeta)> {
    let key = (rd.u64()?, rd.u64()?, rd.u64()?);
    let name = rd.str()?;
    let kind: RowKind = serde_json::from_value(serde_json::Value::String(rd.str()?)).ok()?;
    let opt = |v: u64| (v != u64::MAX).then_some(v as usize);
    let (constraint, segment) = (opt(rd.u64()?), opt(rd.u64()?));
    let sense = if rd.u64()? == 1 { Sense::Ge } else { Sense::Le };
    let rhs = rd.f64()?;
    let pname = rd.str()?;
    let parameter = (*PARAMETERS.iter().find(|p| **p == pname)?, rd.f64()?);
    let db = rd.f64()?;
    let penalty = Some(rd.f64()?).filter(|p| !p.is_nan());
    let meta = RowMeta { name, kind, constraint, segment, sense, rhs, parameter, da: Default::default(), db, dquad: Default::default(), slack: None, penalty };
    Some((key, meta))
}

/// The day's rows as every process sees them.
pub(crate) struct DayRows {
    /// The day's row number of each of this process's model rows.
    pub row_of: Vec<usize>,
    /// The day's rows in order, without parameter vectors, a soft row's `slack` numbering its
    /// slack column after the day's `day_edges` edges.
    pub rows: Vec<RowMeta>,
    /// The number of the day's rows.
    pub n_rows: usize,
}

/// Assembles the day's rows: each process sends the root its rows scoped to segments it `owns`
/// (the root sends none, it has every other row itself); the root sorts the keys' union and sends
/// the rows back; each process numbers its rows by them.
pub(crate) fn day_rows(comm: &dyn Comm, model_rows: &[RowMeta], owns: impl Fn(usize) -> bool, day_edges: usize) -> Result<DayRows, SolveError> {
    let keys = keys(model_rows);
    let mut w = Writer::default();
    if comm.rank() != 0 {
        for (k, r) in keys.iter().zip(model_rows) {
            if r.segment.is_some_and(&owns) {
                write_row(&mut w, *k, r);
            }
        }
    }
    let parts = comm.gather(&w.0);
    // The root sorts the keys' union and sends every row back (keys and meta: a PDHG process
    // needs every row's sense, right-hand side and penalty; 2 MB on the 10^7-edge day).
    let mut order = Writer::default();
    if comm.rank() == 0 {
        let mut all: Vec<(Key, RowMeta)> = keys.iter().copied().zip(model_rows.iter().map(RowMeta::without_vectors)).collect();
        for (rank, part) in parts.iter().enumerate().skip(1) {
            let mut rd = Reader::new(part);
            while !rd.is_empty() {
                all.push(read_row(&mut rd).ok_or_else(|| cluster(format!("process {rank} sent rows that do not decode")))?);
            }
        }
        all.sort_by_key(|(k, _)| *k);
        all.dedup_by_key(|(k, _)| *k);
        for (k, meta) in &all {
            write_row(&mut order, *k, meta);
        }
    }
    comm.broadcast(&mut order.0);
    let mut rd = Reader::new(&order.0);
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut rows = Vec::new();
    let mut slacks = day_edges;
    while !rd.is_empty() {
        let (k, mut meta) = read_row(&mut rd).ok_or_else(|| cluster("the root sent rows that do not decode".into()))?;
        if meta.penalty.is_some() {
            meta.slack = Some(slacks);
            slacks += 1;
        }
        index.insert(k, rows.len());
        rows.push(meta);
    }
    let row_of = keys
        .iter()
        .map(|k| index.get(k).copied().ok_or_else(|| cluster("a row of this process is missing from the day's rows".into())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DayRows { row_of, n_rows: rows.len(), rows })
}

pub(crate) fn cluster(reason: String) -> SolveError {
    SolveError::Cluster { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_survives_the_wire() {
        let day = agora_instances::generate(agora_instances::Size::Tiny, 4);
        let model = crate::formulate(&day);
        let keys = keys(&model.rows);
        let mut w = Writer::default();
        for (k, r) in keys.iter().zip(&model.rows) {
            write_row(&mut w, *k, r);
        }
        let mut rd = Reader::new(&w.0);
        for (k, r) in keys.iter().zip(&model.rows) {
            let (k2, r2) = read_row(&mut rd).unwrap();
            assert_eq!((k2, r2), (*k, r.without_vectors()));
        }
        assert!(rd.is_empty());
        // The keys sort into the model's own order.
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
    }
}
