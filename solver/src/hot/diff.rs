//! What changes between the day's live model (every row, the working set's columns) and a
//! variant of the day, as edits of the live HiGHS model.
//!
//! Rows are matched by their spec name (a variant may add rows, such as a clone's own floor or
//! a topic row of a segment the topic was new to, and lose rows), edge columns by position (a
//! variant keeps the day's edges in order and may append edges), slack columns by their row. A
//! day's row the variant lacks is freed, a live column it lacks is fixed at 0. Only live
//! columns are compared: every other column of the variant is outside the live model, at 0,
//! until pricing finds it worth adding (with the variant's own entries).

use std::collections::HashMap;

use crate::ir::{Columns, Model, RowMeta, Sense};

/// "Not in the live model" (a variant column) or "in no variant column" (a live column).
pub(crate) const NONE: usize = usize::MAX;

/// A row HiGHS is given: bounds and `(column, value)` entries over the live columns (a column
/// added later brings its own entries on it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewRow {
    pub lower: f64,
    pub upper: f64,
    pub entries: Vec<(usize, f64)>,
}

/// The edits that make the live model a variant's, and where each of the variant's rows and
/// columns sits in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Diff {
    /// HiGHS row of each variant row (appended rows from the day's row count on).
    pub row: Vec<usize>,
    /// HiGHS column of each variant column ([`NONE`]: not in the live model).
    pub col: Vec<usize>,
    /// Variant column of each HiGHS column ([`NONE`]: a live column the variant lacks).
    pub var: Vec<usize>,
    /// Rows to append, in order.
    pub new_rows: Vec<NewRow>,
    /// `(column, HiGHS cost)` of live columns whose cost changes.
    pub costs: Vec<(usize, f64)>,
    /// `(column, lower, upper)` of live columns whose bounds change (0..0: not in the variant).
    pub col_bounds: Vec<(usize, f64, f64)>,
    /// `(row, lower, upper)` of the day's rows whose bounds change (free: not in the variant).
    pub row_bounds: Vec<(usize, f64, f64)>,
    /// `(row, column, value)` of live matrix entries that change (0 removes one).
    pub coeffs: Vec<(usize, usize, f64)>,
}

/// A row's bounds as HiGHS takes them.
pub(crate) fn row_bounds(r: &RowMeta) -> (f64, f64) {
    match r.sense {
        Sense::Le => (f64::NEG_INFINITY, r.rhs),
        Sense::Ge => (r.rhs, f64::INFINITY),
    }
}

/// The day's row index by name.
pub(crate) fn row_index(base: &Model) -> HashMap<String, usize> {
    base.rows.iter().enumerate().map(|(r, m)| (m.name.clone(), r)).collect()
}

/// The edits from the live model (every row of `base`, whose names `rows` indexes, and the
/// columns `live`, HiGHS column `k` being `base`'s column `live[k]`) to `variant`, an LP.
pub(crate) fn diff<C: Columns + ?Sized>(base: &Model, rows: &HashMap<String, usize>, live: &[usize], variant: &C) -> Diff {
    let nb_rows = base.n_rows();
    let mut d = Diff { col: vec![NONE; variant.n_cols()], var: vec![NONE; live.len()], ..Diff::default() };
    let mut row_hit = vec![false; nb_rows];
    // The variant's row of each of the day's rows, for slack columns.
    let mut var_row = vec![NONE; nb_rows];
    for (r, meta) in variant.rows().iter().enumerate() {
        match rows.get(&meta.name) {
            Some(&b) => {
                row_hit[b] = true;
                var_row[b] = r;
                d.row.push(b);
                let (lo, hi) = row_bounds(meta);
                if (lo, hi) != row_bounds(&base.rows[b]) {
                    d.row_bounds.push((b, lo, hi));
                }
            }
            None => {
                d.row.push(nb_rows + d.new_rows.len());
                let (lower, upper) = row_bounds(meta);
                d.new_rows.push(NewRow { lower, upper, entries: Vec::new() });
            }
        }
    }
    let mut base_slack_row = HashMap::new();
    for (b, meta) in base.rows.iter().enumerate() {
        if let Some(c) = meta.slack {
            base_slack_row.insert(c, b);
        }
    }
    let mut entries: Vec<(usize, f64)> = Vec::new();
    for (k, &b) in live.iter().enumerate() {
        let j = if b < base.n_edges {
            (b < variant.n_edges()).then_some(b)
        } else {
            base_slack_row.get(&b).map(|&rb| var_row[rb]).filter(|&r| r != NONE).and_then(|r| variant.rows()[r].slack)
        };
        let Some(j) = j else {
            d.col_bounds.push((k, 0.0, 0.0));
            continue;
        };
        d.col[j] = k;
        d.var[k] = j;
        if variant.cost(j) != base.cost[b] {
            d.costs.push((k, -variant.cost(j)));
        }
        if (variant.lower(j), variant.upper(j)) != (base.lower[b], base.upper[b]) {
            d.col_bounds.push((k, variant.lower(j), variant.upper(j)));
        }
        entries.clear();
        variant.for_each_entry(j, |r, a| {
            let h = d.row[r];
            if h >= nb_rows {
                d.new_rows[h - nb_rows].entries.push((k, a));
            } else {
                entries.push((h, a));
            }
        });
        // Matched rows keep the day's order, so this is sorted unless a variant reorders rows.
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            entries.sort_unstable_by_key(|e| e.0);
        }
        let col = base.matrix.outer_view(b).expect("column exists");
        let (idx, val) = (col.indices(), col.data());
        let (mut p, mut q) = (0, 0);
        while p < idx.len() || q < entries.len() {
            let rb = idx.get(p).map_or(NONE, |&r| r as usize);
            let rv = entries.get(q).map_or(NONE, |e| e.0);
            if rb == rv {
                if val[p] != entries[q].1 {
                    d.coeffs.push((rb, k, entries[q].1));
                }
                p += 1;
                q += 1;
            } else if rb < rv {
                // Only in the day: removed, unless its row is freed anyway.
                if row_hit[rb] {
                    d.coeffs.push((rb, k, 0.0));
                }
                p += 1;
            } else {
                d.coeffs.push((rv, k, entries[q].1));
                q += 1;
            }
        }
    }
    for (b, _) in row_hit.iter().enumerate().filter(|(_, &hit)| !hit) {
        d.row_bounds.push((b, f64::NEG_INFINITY, f64::INFINITY));
    }
    d
}
