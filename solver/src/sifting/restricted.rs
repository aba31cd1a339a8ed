//! The restricted problems sifting solves: every row of the model over the [`Pool`]'s columns,
//! plus artificial columns (a floor's slack at a cost `M`). LPs go to HiGHS' simplex, kept alive
//! and hot-started as columns are added; QPs go to Clarabel, rebuilt each round (it has no warm
//! start, and HiGHS' QP solver stalls on agora's tiny Hessian diagonal: docs/backends.md).
//!
//! Column order in a restricted problem: the artificials, then the pool's columns in order.

use highs::{ColProblem, HighsModelStatus, Sense as HSense};

use super::pool::Pool;
use crate::backends::clarabel::Clarabel;
use crate::backends::highs::{add_rows, apply_settings, map_status};
use crate::backends::highs_raw::{self, Basis};
use crate::backends::{Backend, BackendResult};
use crate::ir::RowMeta;
use crate::settings::ValidSettings;
use crate::status::SolveError;
use highs_sys::HighsInt;

use super::WarmBasis;

/// An artificial column: the row it relaxes and its coefficient there.
pub(crate) type Artificial = (usize, f64);

pub(crate) enum Restricted {
    /// HiGHS' model, its rows, its artificials' count, and how many pool columns it holds.
    Highs { hm: Option<highs::Model>, rows: Vec<highs::Row>, n_artificial: usize, loaded: usize },
    /// The rows (meta only), the artificials and their cost.
    Clarabel { rows: Vec<RowMeta>, artificial: Vec<Artificial>, big_m: f64 },
}

fn backend_error(reason: impl Into<String>) -> SolveError {
    SolveError::Backend { backend: crate::first_order::NAME, reason: reason.into() }
}

impl Restricted {
    /// The LP of `rows` over the pool's columns with `artificial` columns at cost `big_m`, on
    /// HiGHS. A QP's ridge is left out: this is its linear part.
    pub fn highs(rows: &[RowMeta], settings: &ValidSettings, artificial: &[Artificial], pool: &Pool, big_m: f64) -> Result<Self, SolveError> {
        let mut pb = ColProblem::new();
        let hrows = add_rows(&mut pb, rows);
        // HiGHS minimises -objective: an artificial costs +M.
        for &(r, a) in artificial {
            pb.add_column(big_m, 0.0.., [(hrows[r], a)]);
        }
        for k in 0..pool.len() {
            let (ix, vals) = pool.entries(k);
            pb.add_column(-pool.cost[k], pool.lower[k]..=pool.upper[k], ix.iter().zip(vals).map(|(&r, &a)| (hrows[r as usize], a)));
        }
        let mut hm = highs::Model::try_new(pb).map_err(|s| backend_error(format!("HiGHS rejected the restricted model: {s:?}")))?;
        hm.set_sense(HSense::Minimise);
        apply_settings(&mut hm, settings)?;
        Ok(Restricted::Highs { hm: Some(hm), rows: hrows, n_artificial: artificial.len(), loaded: pool.len() })
    }

    /// The QP of `rows` over the pool's columns, without artificial columns, on Clarabel.
    pub fn clarabel(rows: &[RowMeta]) -> Self {
        // Clarabel reads a row's sense and right-hand side only.
        let rows = rows.iter().map(RowMeta::without_vectors).collect();
        Restricted::Clarabel { rows, artificial: Vec::new(), big_m: 0.0 }
    }

    /// Takes in the pool's columns added since the last call.
    pub fn add(&mut self, pool: &Pool) -> Result<(), SolveError> {
        if let Restricted::Highs { hm, rows, loaded, .. } = self {
            let m = hm.as_mut().expect("the HiGHS model is kept between rounds");
            for k in *loaded..pool.len() {
                let (ix, vals) = pool.entries(k);
                let factors = ix.iter().zip(vals).map(|(&r, &a)| (rows[r as usize], a));
                m.try_add_column(-pool.cost[k], pool.lower[k]..=pool.upper[k], factors).map_err(|s| backend_error(format!("HiGHS refused a column: {s:?}")))?;
            }
            *loaded = pool.len();
        }
        Ok(())
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
        let b = highs_raw::basis(hm, artificial.len() + pool.len(), rows.len()).ok().flatten()?;
        let (art, cols) = b.cols.split_at(artificial.len());
        Some(WarmBasis {
            artificials: artificial.iter().zip(art).map(|(&(r, _), &st)| (r, st)).collect(),
            cols: pool.ids.iter().copied().zip(cols.iter().copied()).collect(),
            rows: b.rows,
        })
    }

    /// Starts the next run from `warm`, an earlier run's basis, as far as it covers this
    /// problem: columns and artificials it names take its statuses, the others start at their
    /// lower bound. Returns whether HiGHS took it (a basis of another shape, or one it refuses,
    /// leaves the run to start as it would have).
    pub fn set_basis(&mut self, warm: &WarmBasis, pool: &Pool, artificial: &[Artificial]) -> bool {
        let Restricted::Highs { hm: Some(hm), rows, .. } = self else { return false };
        if warm.rows.len() != rows.len() {
            return false;
        }
        // HiGHS' kHighsBasisStatus: 0 lower, 1 basic.
        let of_art: std::collections::HashMap<usize, HighsInt> = warm.artificials.iter().copied().collect();
        let of_col: std::collections::HashMap<usize, HighsInt> = warm.cols.iter().copied().collect();
        let mut cols: Vec<HighsInt> = artificial.iter().map(|(r, _)| of_art.get(r).copied().unwrap_or(0)).collect();
        cols.extend(pool.ids.iter().map(|id| of_col.get(id).copied().unwrap_or(0)));
        let basic = cols.iter().chain(&warm.rows).filter(|&&st| st == 1).count();
        if basic != rows.len() {
            return false;
        }
        highs_raw::set_basis(hm, &Basis { cols, rows: warm.rows.clone() }).is_ok()
    }

    /// Solves the restricted problem within `time_left` seconds: `x` holds the restricted
    /// columns' values (artificials first, then the pool's), `row_duals` one dual per row.
    pub fn solve(&mut self, settings: &ValidSettings, time_left: Option<f64>, pool: &Pool) -> Result<BackendResult, SolveError> {
        match self {
            Restricted::Highs { hm, .. } => {
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
                    row_duals: sol.dual_rows().iter().map(|&v| -v).collect(),
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
