//! The restricted problems sifting solves: every row of the model over a subset of its columns,
//! plus artificial columns (a floor's slack at a cost `M`). LPs go to HiGHS' simplex, kept alive
//! and hot-started as columns are added; QPs go to Clarabel, rebuilt each round (it has no warm
//! start, and HiGHS' QP solver stalls on agora's tiny Hessian diagonal: docs/backends.md).
//!
//! Column order in a restricted problem: the artificials, then the model columns in the order
//! they were given and added.

use highs::{ColProblem, HighsModelStatus, Sense as HSense};

use crate::backends::clarabel::Clarabel;
use crate::backends::highs::{add_column, add_rows, apply_settings, column, map_status};
use crate::backends::{Backend, BackendResult};
use crate::ir::{Matrix, Model, RowMeta};
use crate::settings::ValidSettings;
use crate::status::SolveError;

/// An artificial column: the row it relaxes and its coefficient there.
pub(crate) type Artificial = (usize, f64);

pub(crate) enum Restricted<'a> {
    Highs { model: &'a Model, hm: Option<highs::Model>, rows: Vec<highs::Row>, n_artificial: usize },
    Clarabel { model: &'a Model, artificial: Vec<Artificial>, cols: Vec<usize>, big_m: f64, rows: Vec<RowMeta> },
}

fn backend_error(reason: impl Into<String>) -> SolveError {
    SolveError::Backend { backend: crate::first_order::NAME, reason: reason.into() }
}

impl<'a> Restricted<'a> {
    /// The LP over `cols` (model columns) with `artificial` columns at cost `big_m`, on HiGHS. A
    /// QP's ridge is left out: this is its linear part.
    pub fn highs(model: &'a Model, settings: &ValidSettings, artificial: &[Artificial], cols: &[usize], big_m: f64) -> Result<Self, SolveError> {
        let mut pb = ColProblem::new();
        let rows = add_rows(&mut pb, model);
        // HiGHS minimises -objective: an artificial costs +M.
        for &(r, a) in artificial {
            pb.add_column(big_m, 0.0.., [(rows[r], a)]);
        }
        for &j in cols {
            add_column(&mut pb, model, &rows, j);
        }
        let mut hm = highs::Model::try_new(pb).map_err(|s| backend_error(format!("HiGHS rejected the restricted model: {s:?}")))?;
        hm.set_sense(HSense::Minimise);
        apply_settings(&mut hm, settings)?;
        Ok(Restricted::Highs { model, hm: Some(hm), rows, n_artificial: artificial.len() })
    }

    /// The QP over `cols` (model columns), without artificial columns, on Clarabel.
    pub fn clarabel(model: &'a Model, cols: &[usize]) -> Self {
        // Clarabel reads a row's sense and right-hand side only: the rows are kept without their
        // (large) parameter vectors.
        // (Not `..r.clone()`: that would copy a parity row's vector of millions of edges only to
        // drop it.)
        let rows = model
            .rows
            .iter()
            .map(|r| RowMeta {
                name: r.name.clone(),
                kind: r.kind,
                constraint: r.constraint,
                segment: r.segment,
                sense: r.sense,
                rhs: r.rhs,
                parameter: r.parameter,
                da: Default::default(),
                db: r.db,
                dquad: Default::default(),
                slack: None,
                penalty: r.penalty,
            })
            .collect();
        Restricted::Clarabel { model, artificial: Vec::new(), cols: cols.to_vec(), big_m: 0.0, rows }
    }

    /// Adds model columns.
    pub fn add(&mut self, new: &[usize]) -> Result<(), SolveError> {
        match self {
            Restricted::Highs { model, hm, rows, .. } => {
                let m = hm.as_mut().expect("the HiGHS model is kept between rounds");
                for &j in new {
                    let (cost, bounds, factors) = column(model, rows, j);
                    m.try_add_column(cost, bounds, factors).map_err(|s| backend_error(format!("HiGHS refused a column: {s:?}")))?;
                }
            }
            Restricted::Clarabel { cols, .. } => cols.extend_from_slice(new),
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

    /// Solves the restricted problem within `time_left` seconds: `x` holds the restricted
    /// columns' values (artificials first), `row_duals` one dual per model row.
    pub fn solve(&mut self, settings: &ValidSettings, time_left: Option<f64>) -> Result<BackendResult, SolveError> {
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
            Restricted::Clarabel { model, artificial, cols, big_m, rows } => {
                let sub = clarabel_model(model, artificial, cols, *big_m, rows);
                let s = settings.with_time_left(time_left);
                Clarabel.solve(&sub, &s)
            }
        }
    }
}

/// The restricted QP as a model for the Clarabel backend.
fn clarabel_model(model: &Model, artificial: &[Artificial], cols: &[usize], big_m: f64, rows: &[RowMeta]) -> Model {
    let n = artificial.len() + cols.len();
    let (mut cost, mut quad, mut lower, mut upper) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut indptr = Vec::with_capacity(n + 1);
    let (mut indices, mut data): (Vec<u32>, Vec<f64>) = (Vec::new(), Vec::new());
    indptr.push(0);
    for &(r, a) in artificial {
        cost.push(-big_m);
        quad.push(0.0);
        lower.push(0.0);
        upper.push(f64::INFINITY);
        indices.push(r as u32);
        data.push(a);
        indptr.push(indices.len());
    }
    for &j in cols {
        cost.push(model.cost[j]);
        quad.push(model.quad[j]);
        lower.push(model.lower[j]);
        upper.push(model.upper[j]);
        let (ix, vals) = model.matrix.outer_view(j).expect("column exists").into_raw_storage();
        indices.extend_from_slice(ix);
        data.extend_from_slice(vals);
        indptr.push(indices.len());
    }
    let matrix = Matrix::new_csc((model.n_rows(), n), indptr, indices, data);
    Model { n_edges: n, cost, quad, lower, upper, matrix, rows: rows.to_vec() }
}
