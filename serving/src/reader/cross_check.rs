//! The reader's last step: references between an artifact's files agree.

use std::hash::Hasher as _;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::*;

/// The references of the files but the edges: unique keys, every campaign's budget row and every
/// segment's supply row present and agreeing. Returns the checks each edge then goes through.
pub(super) fn head<'h>(
    dir: &'h Path,
    pacing: &'h [PacingRow],
    adjustments: &'h [AdjustmentRow],
    segment_rows: &'h [SegmentRow],
    edges_format: EdgesFormat,
) -> Result<EdgeChecks<'h>, ReadError> {
    let field = |k: usize, line: usize, field: &'static str, message: String| ReadError::Field { path: dir.join(DATA_FILES[k]), line, field, message };
    let mut campaigns = FxHashSet::default();
    for (k, p) in pacing.iter().enumerate() {
        if !campaigns.insert(p.campaign.as_str()) {
            return Err(field(0, k + 2, "campaign", format!("{} is listed twice", p.campaign)));
        }
    }
    let mut rows: HashMap<&str, f64> = HashMap::new();
    for (k, r) in adjustments.iter().enumerate() {
        if rows.insert(r.name.as_str(), r.dual).is_some() {
            return Err(field(1, k + 2, "name", format!("{} is listed twice", r.name)));
        }
    }
    for (k, p) in pacing.iter().enumerate() {
        match rows.get(format!("budget[{}]", p.campaign).as_str()) {
            Some(&d) if d == p.budget_dual => {}
            Some(d) => return Err(field(0, k + 2, "budget_dual", format!("{} differs from adjustments.csv's budget[{}] dual {d}", p.budget_dual, p.campaign))),
            None => return Err(field(0, k + 2, "campaign", format!("{}: adjustments.csv has no row budget[{}]", p.campaign, p.campaign))),
        }
    }
    let mut segments: FxHashMap<&str, usize> = FxHashMap::default();
    for (k, s) in segment_rows.iter().enumerate() {
        if segments.insert(s.segment.as_str(), k).is_some() {
            return Err(field(2, k + 2, "segment", format!("{} is listed twice", s.segment)));
        }
        match rows.get(format!("supply[{}]", s.segment).as_str()) {
            Some(&d) if -d == s.unserved_score => {}
            Some(d) => {
                return Err(field(2, k + 2, "unserved_score", format!("{} is not minus adjustments.csv's supply[{}] dual {d}", s.unserved_score, s.segment)))
            }
            None => return Err(field(2, k + 2, "segment", format!("{}: adjustments.csv has no row supply[{}]", s.segment, s.segment))),
        }
    }
    Ok(EdgeChecks { dir, edges_format, segments, campaigns, keys: Vec::new(), rate_sum: vec![0.0; segment_rows.len()] })
}

/// The references of each edge, checked as the edges stream past: its segment and campaign
/// listed, no edge listed twice, and at the end the rates per segment adding up.
///
/// An edge listed twice is found without keeping any edge's ids: each edge leaves a 64-bit hash
/// of its segment and item, with its row. Rows whose hash no other row shares are distinct
/// edges; the few that share one ([`EdgeChecks::suspects`], in a valid artifact almost always
/// none) are read again with their ids and compared exactly ([`EdgeChecks::duplicates`]).
pub(super) struct EdgeChecks<'h> {
    dir: &'h Path,
    edges_format: EdgesFormat,
    segments: FxHashMap<&'h str, usize>,
    campaigns: FxHashSet<&'h str>,
    /// Per edge, the hash of its (segment, item) and its row (0-based).
    keys: Vec<(u64, u32)>,
    rate_sum: Vec<f64>,
}

impl EdgeChecks<'_> {
    fn field(&self, k: usize, name: &'static str, message: String) -> ReadError {
        // Line k + 2 of a CSV file holds its k-th record (line 1 is the header, records hold no
        // line break); row k + 1 of edges.parquet does.
        let line = if self.edges_format == EdgesFormat::Parquet { k + 1 } else { k + 2 };
        ReadError::Field { path: self.dir.join(self.edges_format.file_name()), line, field: name, message }
    }

    /// Checks edge `k` (0-based, in file order).
    pub(super) fn edge(&mut self, k: usize, e: &EdgeRef) -> Result<(), ReadError> {
        let s = *self.segments.get(e.segment).ok_or_else(|| self.field(k, "segment", format!("{} is not listed in segments.csv", e.segment)))?;
        if let Some(c) = e.campaign {
            if !self.campaigns.contains(c) {
                return Err(self.field(k, "campaign", format!("{c} is not listed in pacing.csv")));
            }
        }
        let row = u32::try_from(k).map_err(|_| self.field(k, "item", "more than 2^32 edges".into()))?;
        let mut hash = FxHasher::default();
        hash.write_usize(s);
        hash.write(e.item.as_bytes());
        self.keys.push((hash.finish(), row));
        self.rate_sum[s] += e.rate;
        Ok(())
    }

    /// The rows (0-based, ascending) whose hash another row shares: each may repeat an edge.
    pub(super) fn suspects(&mut self) -> Vec<u32> {
        let mut keys = std::mem::take(&mut self.keys);
        keys.sort_unstable();
        let mut rows: Vec<u32> = keys.chunk_by(|a, b| a.0 == b.0).filter(|group| group.len() > 1).flatten().map(|&(_, row)| row).collect();
        rows.sort_unstable();
        rows
    }

    /// Compares the [`Self::suspects`] exactly: `found` holds each one's row, segment and item,
    /// in row order. An edge listed twice is an error at its second row.
    pub(super) fn duplicates(&self, found: &[(u32, String, String)]) -> Result<(), ReadError> {
        let mut seen = FxHashSet::default();
        for (row, segment, item) in found {
            if !seen.insert((segment, item)) {
                return Err(self.field(*row as usize, "item", format!("edge {segment} -> {item} is listed twice")));
            }
        }
        Ok(())
    }

    /// The rates of each segment's edges add up to at most 1, and its unserved rate to the rest.
    pub(super) fn finish(self, segment_rows: &[SegmentRow]) -> Result<(), ReadError> {
        let tol = 1e-6;
        for (k, s) in segment_rows.iter().enumerate() {
            let expected = (1.0 - self.rate_sum[k]).max(0.0);
            if self.rate_sum[k] > 1.0 + tol || (s.unserved_rate - expected).abs() > tol {
                return Err(ReadError::Field {
                    path: self.dir.join(DATA_FILES[2]),
                    line: k + 2,
                    field: "unserved_rate",
                    message: format!("{}: the segment's edge rates add up to {}, so unserved_rate must be {expected}", s.unserved_rate, self.rate_sum[k]),
                });
            }
        }
        Ok(())
    }
}
