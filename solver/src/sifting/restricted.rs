//! The restricted problems sifting solves: every row of the model over the [`Pool`]'s columns,
//! plus artificial columns (a floor's slack at a cost `M`). LPs go to HiGHS' simplex, kept alive
//! and hot-started as columns are added; QPs go to Clarabel, rebuilt each round (it has no warm
//! start, and HiGHS' QP solver stalls on agora's tiny Hessian diagonal: docs/backends.md).
//!
//! Column order in a restricted problem: the artificials, then the pool's columns in order.
//!
//! Rows: a restricted LP holds only the rows some column of it enters, and those that a plan of
//! zeros would violate; the others join when the first column entering them does (HiGHS makes
//! a joining row's slack basic, so the basis stays valid and the next run hot-starts). A row left
//! out is satisfied by every restricted plan, and its dual is 0, which is a dual of the
//! restricted LP with the row (no column of it enters the row). On the 10^7-edge day the
//! restricted LPs hold 11,291 of the 29,071 rows: nearly all of the rest are item caps of items
//! no working edge serves, which every simplex iteration would otherwise carry.
//!
//! Boxes: an edge column without a cap gets its supply row's right-hand side (over its
//! coefficient) as an upper bound in HiGHS. The row implies the bound already, so the LP is the
//! same; but a dual simplex restarted from a basis that new columns made dual infeasible flips a
//! boxed column to its upper bound instead of running a dual phase one over the whole working
//! set. On the 10^7-edge day this cut the restricted LPs from 24.0 s to 12.3 s (benches/RESULTS.md,
//! "Boxed columns"). A column resting on such a box at the optimum would change the duals (the
//! row's price moves into the column's reduced cost), so before sifting ends every column resting
//! on its box is given its own bound back and the LP solved again ([`Restricted::lift_boxes`]).

use highs::{ColProblem, HighsModelStatus, Sense as HSense};

use super::pool::Pool;
use crate::backends::clarabel::Clarabel;
use crate::backends::highs::{apply_settings, map_status, row_bounds};
use crate::backends::highs_raw::{self, Basis};
use crate::backends::{Backend, BackendResult};
use crate::ir::{RowKind, RowMeta, Sense};
use crate::settings::ValidSettings;
use crate::status::SolveError;
use highs_sys::HighsInt;

use super::WarmBasis;

/// HiGHS' basis status of a basic column or row (`kHighsBasisStatus`).
const BASIC: HighsInt = 1;
/// HiGHS' basis status of a nonbasic column at its upper bound.
const AT_UPPER: HighsInt = 2;

/// An artificial column: the row it relaxes and its coefficient there.
pub(crate) type Artificial = (usize, f64);

pub(crate) enum Restricted {
    /// HiGHS' model, its rows, its artificials' count, how many pool columns it holds, and the
    /// pool columns HiGHS holds boxed (an upper bound below their own).
    Highs { hm: Option<highs::Model>, rows: Rows, n_artificial: usize, loaded: usize, boxed: Vec<usize> },
    /// The rows (meta only), the artificials and their cost.
    Clarabel { rows: Vec<RowMeta>, artificial: Vec<Artificial>, big_m: f64 },
}

/// The model's rows in a restricted LP: those it holds, by HiGHS row, and the others' bounds.
pub(crate) struct Rows {
    /// HiGHS' row of each model row it holds.
    of: Vec<Option<highs::Row>>,
    /// The model row of each HiGHS row, in HiGHS' order.
    model_row: Vec<usize>,
    /// Each model row's bounds, as HiGHS takes them.
    bounds: Vec<(f64, f64)>,
    /// The bound a hard supply row puts on a column entering it with coefficient 1 (its
    /// right-hand side); infinite for every other row.
    supply: Vec<f64>,
}

impl Rows {
    /// The rows `entered` names (some column enters them) and those a plan of zeros violates, in
    /// model order, as rows of `pb`.
    fn new(pb: &mut ColProblem, meta: &[RowMeta], entered: impl Fn(usize) -> bool) -> Rows {
        let bounds: Vec<(f64, f64)> = meta.iter().map(row_bounds).collect();
        let supply = meta
            .iter()
            .map(|m| match (m.kind, m.sense, m.slack) {
                (RowKind::Supply, Sense::Le, None) if m.rhs >= 0.0 => m.rhs,
                _ => f64::INFINITY,
            })
            .collect();
        let mut rows = Rows { of: vec![None; meta.len()], model_row: Vec::new(), bounds, supply };
        for r in 0..meta.len() {
            let (lower, upper) = rows.bounds[r];
            if entered(r) || lower > 0.0 || upper < 0.0 {
                rows.of[r] = Some(pb.add_row(lower..=upper));
                rows.model_row.push(r);
            }
        }
        rows
    }

    /// Pool column `k`'s upper bound in HiGHS: its own, or the box its supply row implies when
    /// that is lower. Only a column at or above 0 is boxed: the supply row's other columns are
    /// too, so the row bounds each of them by its right-hand side over the coefficient.
    fn upper(&self, pool: &Pool, k: usize) -> f64 {
        let (ix, vals) = pool.entries(k);
        let mut upper = pool.upper[k];
        if pool.lower[k] >= 0.0 {
            for (&r, &a) in ix.iter().zip(vals) {
                if a > 0.0 {
                    upper = upper.min(self.supply[r as usize] / a);
                }
            }
        }
        upper
    }

    /// HiGHS' row of model row `r`, added to `hm` (empty) when it is not there yet.
    fn get_or_add(&mut self, hm: &mut highs::Model, r: usize) -> Result<highs::Row, SolveError> {
        if let Some(row) = self.of[r] {
            return Ok(row);
        }
        let (lower, upper) = self.bounds[r];
        let row = hm.try_add_row(lower..=upper, std::iter::empty()).map_err(|s| backend_error(format!("HiGHS refused a row: {s:?}")))?;
        self.of[r] = Some(row);
        self.model_row.push(r);
        Ok(row)
    }
}

fn backend_error(reason: impl Into<String>) -> SolveError {
    SolveError::Backend { backend: crate::first_order::NAME, reason: reason.into() }
}

impl Restricted {
    /// The LP of `rows` over the pool's columns with `artificial` columns at cost `big_m`, on
    /// HiGHS. A QP's ridge is left out: this is its linear part.
    /// `boxes`: whether edge columns are boxed by their supply rows (module docs).
    pub fn highs(rows: &[RowMeta], settings: &ValidSettings, artificial: &[Artificial], pool: &Pool, big_m: f64, boxes: bool) -> Result<Self, SolveError> {
        let mut pb = ColProblem::new();
        let mut entered = vec![false; rows.len()];
        artificial.iter().for_each(|&(r, _)| entered[r] = true);
        (0..pool.len()).for_each(|k| pool.entries(k).0.iter().for_each(|&r| entered[r as usize] = true));
        let mut hrows = Rows::new(&mut pb, rows, |r| entered[r]);
        if boxes {
            // A supply row bounds its columns only when none of them can take it below 0: a
            // diagnosis' elastic column (coefficient -1 in every hard row, in the pool from the
            // start, as every column past the edges is) lifts the bound, and the row boxes nothing.
            for k in 0..pool.len() {
                let (ix, vals) = pool.entries(k);
                for (&r, &a) in ix.iter().zip(vals) {
                    if a < 0.0 || pool.lower[k] < 0.0 {
                        hrows.supply[r as usize] = f64::INFINITY;
                    }
                }
            }
        } else {
            hrows.supply.iter_mut().for_each(|b| *b = f64::INFINITY);
        }
        let row = |r: usize| hrows.of[r].expect("a row a column enters is held");
        // HiGHS minimises -objective: an artificial costs +M.
        for &(r, a) in artificial {
            pb.add_column(big_m, 0.0.., [(row(r), a)]);
        }
        let mut boxed = Vec::new();
        for k in 0..pool.len() {
            let (ix, vals) = pool.entries(k);
            let upper = hrows.upper(pool, k);
            if upper < pool.upper[k] {
                boxed.push(k);
            }
            pb.add_column(-pool.cost[k], pool.lower[k]..=upper, ix.iter().zip(vals).map(|(&r, &a)| (row(r as usize), a)));
        }
        let mut hm = highs::Model::try_new(pb).map_err(|s| backend_error(format!("HiGHS rejected the restricted model: {s:?}")))?;
        hm.set_sense(HSense::Minimise);
        apply_settings(&mut hm, settings)?;
        Ok(Restricted::Highs { hm: Some(hm), rows: hrows, n_artificial: artificial.len(), loaded: pool.len(), boxed })
    }

    /// The QP of `rows` over the pool's columns, without artificial columns, on Clarabel.
    pub fn clarabel(rows: &[RowMeta]) -> Self {
        // Clarabel reads a row's sense and right-hand side only.
        let rows = rows.iter().map(RowMeta::without_vectors).collect();
        Restricted::Clarabel { rows, artificial: Vec::new(), big_m: 0.0 }
    }

    /// Takes in the pool's columns added since the last call.
    pub fn add(&mut self, pool: &Pool) -> Result<(), SolveError> {
        if let Restricted::Highs { hm, rows, loaded, boxed, .. } = self {
            let m = hm.as_mut().expect("the HiGHS model is kept between rounds");
            let mut factors = Vec::new();
            for k in *loaded..pool.len() {
                let (ix, vals) = pool.entries(k);
                factors.clear();
                for (&r, &a) in ix.iter().zip(vals) {
                    factors.push((rows.get_or_add(m, r as usize)?, a));
                }
                let upper = rows.upper(pool, k);
                if upper < pool.upper[k] {
                    boxed.push(k);
                }
                m.try_add_column(-pool.cost[k], pool.lower[k]..=upper, factors.iter().copied())
                    .map_err(|s| backend_error(format!("HiGHS refused a column: {s:?}")))?;
            }
            *loaded = pool.len();
        }
        Ok(())
    }

    /// Gives every boxed column that rests on its box in HiGHS' last basis its own upper bound
    /// back, and says how many there were: if any, the LP must be solved again (from the same
    /// basis, now with those columns at a value inside their bounds) before its duals are the
    /// model's. Columns not resting on their box keep it: at the optimum the box is slack there,
    /// so the LP with and without it has the same optimal basis and duals.
    pub fn lift_boxes(&mut self, pool: &Pool) -> Result<usize, SolveError> {
        let Restricted::Highs { hm: Some(m), rows, n_artificial, boxed, .. } = self else { return Ok(0) };
        if boxed.is_empty() {
            return Ok(0);
        }
        let n_art = *n_artificial;
        let b = highs_raw::basis(m, n_art + pool.len(), rows.model_row.len()).map_err(|e| backend_error(format!("HiGHS gave no basis: {e:?}")))?;
        // Without a basis there is nothing to rest on: lift every box.
        let resting = |k: usize| b.as_ref().is_none_or(|b| b.cols[n_art + k] == AT_UPPER);
        let (lift, keep): (Vec<usize>, Vec<usize>) = boxed.iter().partition(|&&k| resting(k));
        for &k in &lift {
            highs_raw::change_col_bounds(m, n_art + k, pool.lower[k], pool.upper[k])
                .map_err(|e| backend_error(format!("HiGHS refused a column's bounds: {e:?}")))?;
        }
        *boxed = keep;
        Ok(lift.len())
    }

    /// The rows the restricted problem holds (a QP's: all).
    pub fn held_rows(&self) -> usize {
        match self {
            Restricted::Highs { rows, .. } => rows.model_row.len(),
            Restricted::Clarabel { rows, .. } => rows.len(),
        }
    }

    /// Sets every artificial's cost to `big_m`.
    pub fn set_big_m(&mut self, big_m: f64) -> Result<(), SolveError> {
        match self {
            Restricted::Highs { hm, n_artificial, .. } => {
                let m = hm.as_mut().expect("the HiGHS model is kept between rounds");
                for k in 0..*n_artificial {
                    crate::backends::highs_raw::change_col_cost(m, k, big_m)
                        .map_err(|e| backend_error(format!("HiGHS refused an artificial's cost: {e:?}")))?;
                }
            }
            Restricted::Clarabel { big_m: m, .. } => *m = big_m,
        }
        Ok(())
    }

    /// The basis HiGHS ended its last run with, by model column, artificial and row (`None` for
    /// Clarabel, or when HiGHS has none).
    pub fn basis(&self, pool: &Pool, artificial: &[Artificial]) -> Option<WarmBasis> {
        let Restricted::Highs { hm: Some(hm), rows, .. } = self else { return None };
        let b = highs_raw::basis(hm, artificial.len() + pool.len(), rows.model_row.len()).ok().flatten()?;
        let (art, cols) = b.cols.split_at(artificial.len());
        // By model row; a row the LP does not hold is as its slack would be: basic.
        let mut by_row = vec![BASIC; rows.of.len()];
        rows.model_row.iter().zip(&b.rows).for_each(|(&r, &st)| by_row[r] = st);
        Some(WarmBasis {
            artificials: artificial.iter().zip(art).map(|(&(r, _), &st)| (r, st)).collect(),
            cols: pool.ids.iter().copied().zip(cols.iter().copied()).collect(),
            rows: by_row,
        })
    }

    /// Starts the next run from `warm`, an earlier run's basis, as far as it covers this
    /// problem: columns and artificials it names take its statuses, the others start at their
    /// lower bound. Returns whether HiGHS took it (a basis of another shape, or one it refuses,
    /// leaves the run to start as it would have).
    pub fn set_basis(&mut self, warm: &WarmBasis, pool: &Pool, artificial: &[Artificial]) -> bool {
        let Restricted::Highs { hm: Some(hm), rows, .. } = self else { return false };
        if warm.rows.len() != rows.of.len() {
            return false;
        }
        // HiGHS' kHighsBasisStatus: 0 lower, 1 basic.
        let of_art: std::collections::HashMap<usize, HighsInt> = warm.artificials.iter().copied().collect();
        let of_col: std::collections::HashMap<usize, HighsInt> = warm.cols.iter().copied().collect();
        let mut cols: Vec<HighsInt> = artificial.iter().map(|(r, _)| of_art.get(r).copied().unwrap_or(0)).collect();
        cols.extend(pool.ids.iter().map(|id| of_col.get(id).copied().unwrap_or(0)));
        let held: Vec<HighsInt> = rows.model_row.iter().map(|&r| warm.rows[r]).collect();
        let basic = cols.iter().chain(&held).filter(|&&st| st == BASIC).count();
        if basic != held.len() {
            return false;
        }
        highs_raw::set_basis(hm, &Basis { cols, rows: held }).is_ok()
    }

    /// Solves the restricted problem within `time_left` seconds: `x` holds the restricted
    /// columns' values (artificials first, then the pool's), `row_duals` one dual per row.
    pub fn solve(&mut self, settings: &ValidSettings, time_left: Option<f64>, pool: &Pool) -> Result<BackendResult, SolveError> {
        match self {
            Restricted::Highs { hm, rows, .. } => {
                let mut m = hm.take().expect("the HiGHS model is kept between rounds");
                if let Some(t) = time_left {
                    m.try_set_option("time_limit", t).map_err(|_| backend_error("HiGHS refused option time_limit"))?;
                }
                let solved = m.try_solve().map_err(|s| backend_error(format!("HiGHS run failed: {s:?}")))?;
                let hs = solved.status();
                let sol = solved.get_solution();
                let answer = BackendResult {
                    status: map_status(hs),
                    x: sol.columns().to_vec(),
                    row_duals: {
                        // By model row; a row the LP does not hold has dual 0.
                        let mut y = vec![0.0; rows.of.len()];
                        rows.model_row.iter().zip(sol.dual_rows()).for_each(|(&r, &v)| y[r] = -v);
                        y
                    },
                    objective: -solved.objective_value(),
                    iterations: solved.simplex_iteration_count().max(0) as u64,
                    detail: (hs != HighsModelStatus::Optimal).then(|| format!("HiGHS model status {hs:?}")),
                };
                *hm = Some(solved.into());
                Ok(answer)
            }
            Restricted::Clarabel { rows, artificial, big_m } => {
                let prefix: Vec<((usize, f64), f64)> = artificial.iter().map(|&ra| (ra, -*big_m)).collect();
                let sub = pool.to_model(rows.clone(), &prefix, 0..pool.len());
                let s = settings.with_time_left(time_left);
                Clarabel.solve(&sub, &s)
            }
        }
    }
}
