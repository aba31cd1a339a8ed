//! Warm starts from an earlier `agora.solution/v1` file: its plan and its row duals, matched to
//! the model by edge (segment id, item id) and by row name, so that yesterday's solution starts
//! today's solve even when rows or edges came or went.

use std::collections::HashMap;

use agora_instances::Instance;

use super::WarmStart;
use crate::ir::Columns;
use crate::solution::SolutionFile;

/// What of a solution file could be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WarmMatch {
    /// Plan entries matched to an edge of the instance.
    pub plan_matched: usize,
    /// Plan entries that match no edge of the instance, or whose impressions are not finite.
    pub plan_unmatched: usize,
    /// Constraint rows matched to a model row by name.
    pub rows_matched: usize,
    /// Constraint rows that match no model row by name, or whose dual is not finite.
    pub rows_unmatched: usize,
}

impl WarmStart {
    /// The warm start an earlier solution file gives for `model` (formulated from `inst`).
    /// Edges absent from the file's plan start at 0, rows absent from it at dual 0; entries of
    /// the file that match nothing are counted, not errors (a day's edges change).
    pub fn from_solution_file<C: Columns + ?Sized>(inst: &Instance, model: &C, file: &SolutionFile) -> (WarmStart, WarmMatch) {
        let mut m = WarmMatch::default();
        // The plan's entries found in the day (no index of the day's edges).
        let pairs: Vec<(&str, &str)> = file.plan.iter().map(|p| (p.segment.as_str(), p.item.as_str())).collect();
        let mut x = vec![0.0; model.n_cols()];
        for (p, e) in file.plan.iter().zip(inst.edges_of(&pairs)) {
            match e {
                Some(e) if p.impressions.is_finite() => {
                    x[e] = p.impressions.max(0.0);
                    m.plan_matched += 1;
                }
                _ => m.plan_unmatched += 1,
            }
        }
        let row_of: HashMap<&str, usize> = model.rows().iter().enumerate().map(|(r, meta)| (meta.name.as_str(), r)).collect();
        let mut y = vec![0.0; model.n_rows()];
        for c in &file.constraints {
            match row_of.get(c.name.as_str()) {
                Some(&r) if c.dual.is_finite() => {
                    y[r] = c.dual;
                    m.rows_matched += 1;
                }
                _ => m.rows_unmatched += 1,
            }
        }
        (WarmStart { x: Some(x), y: Some(y), basis: None }, m)
    }
}
