//! The reader's last step: references between an artifact's files agree.

use super::*;

/// References between the files: unique keys, every edge's segment and campaign listed, every
/// campaign's budget row and every segment's supply row present and agreeing, rates per segment
/// adding up.
pub(super) fn cross_check(dir: &Path, a: &Artifact, edges_format: EdgesFormat) -> Result<(), ReadError> {
    let field = |k: usize, line: usize, field: &'static str, message: String| ReadError::Field { path: dir.join(DATA_FILES[k]), line, field, message };
    // Line k + 2 of a CSV file holds its k-th record (line 1 is the header, records hold no line
    // break); row k + 1 of edges.parquet does.
    let edge_field = |k: usize, name: &'static str, message: String| {
        let line = if edges_format == EdgesFormat::Parquet { k + 1 } else { k + 2 };
        ReadError::Field { path: dir.join(edges_format.file_name()), line, field: name, message }
    };
    let mut campaigns = HashSet::new();
    for (k, p) in a.pacing.iter().enumerate() {
        if !campaigns.insert(p.campaign.as_str()) {
            return Err(field(0, k + 2, "campaign", format!("{} is listed twice", p.campaign)));
        }
    }
    let mut rows: HashMap<&str, f64> = HashMap::new();
    for (k, r) in a.adjustments.iter().enumerate() {
        if rows.insert(r.name.as_str(), r.dual).is_some() {
            return Err(field(1, k + 2, "name", format!("{} is listed twice", r.name)));
        }
    }
    for (k, p) in a.pacing.iter().enumerate() {
        match rows.get(format!("budget[{}]", p.campaign).as_str()) {
            Some(&d) if d == p.budget_dual => {}
            Some(d) => return Err(field(0, k + 2, "budget_dual", format!("{} differs from adjustments.csv's budget[{}] dual {d}", p.budget_dual, p.campaign))),
            None => return Err(field(0, k + 2, "campaign", format!("{}: adjustments.csv has no row budget[{}]", p.campaign, p.campaign))),
        }
    }
    let mut segments: HashMap<&str, usize> = HashMap::new();
    for (k, s) in a.segments.iter().enumerate() {
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
    let mut seen = HashSet::new();
    let mut rate_sum = vec![0.0; a.segments.len()];
    for (k, e) in a.edges.iter().enumerate() {
        let s = *segments.get(e.segment.as_str()).ok_or_else(|| edge_field(k, "segment", format!("{} is not listed in segments.csv", e.segment)))?;
        if let Some(c) = &e.campaign {
            if !campaigns.contains(c.as_str()) {
                return Err(edge_field(k, "campaign", format!("{c} is not listed in pacing.csv")));
            }
        }
        if !seen.insert((e.segment.as_str(), e.item.as_str())) {
            return Err(edge_field(k, "item", format!("edge {} -> {} is listed twice", e.segment, e.item)));
        }
        rate_sum[s] += e.rate;
    }
    let tol = 1e-6;
    for (k, s) in a.segments.iter().enumerate() {
        let expected = (1.0 - rate_sum[k]).max(0.0);
        if rate_sum[k] > 1.0 + tol || (s.unserved_rate - expected).abs() > tol {
            return Err(field(
                2,
                k + 2,
                "unserved_rate",
                format!("{}: the segment's edge rates add up to {}, so unserved_rate must be {expected}", s.unserved_rate, rate_sum[k]),
            ));
        }
    }
    Ok(())
}
