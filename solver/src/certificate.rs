//! An independent check of a backend's answer, computed from the model IR alone: primal
//! feasibility, dual feasibility and the duality gap (a KKT certificate). Every backend's result
//! passes through it before a solution may be called optimal.

use serde::{Deserialize, Serialize};

use crate::ir::{Columns, RowMeta, Sense};

/// Relative residuals of a primal-dual pair. All are `>= 0`; 0 is exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Worst row or bound violation, each relative to its row's scale
    /// `max(|rhs|, sum_j |a_rj x_j|, 1e-4 max_r |rhs_r|, 1)`: the size of the terms that cancel
    /// in the row, floored by the model's size (bounds: `max(1, |bound|)`).
    pub primal_residual: f64,
    /// Worst violation of dual feasibility: a dual of the wrong sign (relative to
    /// `max(1, |dual|)`), or a column whose reduced cost says it should grow without bound
    /// (relative to `1 + |c_j| + sum_r |a_rj y_r|`).
    pub dual_residual: f64,
    /// `(dual bound - primal objective) / max(1, |primal objective|)`: by weak duality, how far
    /// the plan can be from the optimum.
    pub gap: f64,
    /// Name of the row with the worst primal violation, where one is violated (or "the bounds of
    /// column j" when a variable bound is the worst).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_row: Option<String>,
}

impl Certificate {
    /// True when the primal residual, the dual residual and the absolute gap are all within `tol`.
    pub fn passes(&self, tol: f64) -> bool {
        self.primal_residual <= tol && self.dual_residual <= tol && self.gap.abs() <= tol
    }
}

/// Computes the certificate of `(x, y)` for `model`; `y` holds row duals in the maximisation
/// sign convention.
pub fn certify<C: Columns + ?Sized>(model: &C, x: &[f64], y: &[f64]) -> Certificate {
    let (y_clipped, _) = clip_duals(model.rows(), y);
    let pass = ColumnPass::over(model, x, &y_clipped, model.n_rows(), None, |j| j, 0..model.n_cols().min(x.len()), |_| {});
    certify_parts(model.rows(), y, &pass.act, &pass.size, &pass.check)
}

/// What one pass over a model's columns at a plan `x` and clipped duals gives: each row's
/// activity `A x` and size `sum |a x|`, and the check's part of the columns. The certificate and
/// a solution's sums ([`crate::solution`]) both take it, so a large day's columns are generated
/// once for both, not once per quantity.
pub(crate) struct ColumnPass {
    pub act: Vec<f64>,
    pub size: Vec<f64>,
    pub check: ColumnCheck,
}

impl ColumnPass {
    /// The pass over columns `cols` of `model` at `x`, with `y` the clipped duals in the
    /// model's row numbers; `row_of[r]` numbers model row `r` among the `n_rows` of the result
    /// (None: the same), `id_of(j)` names column `j` in the check, and `each(j)` is called for
    /// every column in order (a solution adds its edges' terms there).
    #[allow(clippy::too_many_arguments)]
    pub fn over<C: Columns + ?Sized>(
        model: &C,
        x: &[f64],
        y: &[f64],
        n_rows: usize,
        row_of: Option<&[usize]>,
        id_of: impl Fn(usize) -> usize,
        cols: std::ops::Range<usize>,
        mut each: impl FnMut(usize),
    ) -> ColumnPass {
        let row = |r: usize| row_of.map_or(r, |m| m[r]);
        let mut pass = ColumnPass { act: vec![0.0; n_rows], size: vec![0.0; n_rows], check: ColumnCheck::default() };
        let duals = model.duals(y);
        model.visit(cols, |j| {
            let xj = x[j];
            // A plan is sparse: the entries are read for the columns it uses; every column's
            // dual terms are read as the model reads them fastest ([`Columns::dual_terms`]).
            if xj != 0.0 {
                model.for_each_entry(j, |r, a| {
                    pass.act[row(r)] += a * xj;
                    pass.size[row(r)] += (a * xj).abs();
                });
            }
            let (aty, mag) = model.dual_terms(j, &duals);
            pass.check.add(id_of(j), xj, model.lower(j), model.upper(j), model.cost(j), model.quad(j), aty, mag);
            each(j);
        });
        pass
    }
}

/// Each row's size at `x`: the sum of its terms' magnitudes `sum_j |a_rj x_j|`, the size of what
/// cancels in the row (a share row's terms are whole segments of impressions, its rhs 0). The
/// check measures rows by it, and so does the dual cleaning of [`crate::Solution`].
pub(crate) fn row_terms<C: Columns + ?Sized>(model: &C, x: &[f64]) -> Vec<f64> {
    let mut terms = vec![0.0; model.n_rows()];
    model.visit((0..model.n_cols().min(x.len())).filter(|&j| x[j] != 0.0), |j| model.for_each_entry(j, |r, a| terms[r] += (a * x[j]).abs()));
    terms
}

/// `y` with every dual of the wrong sign for its row clipped to 0, and the worst such dual's size
/// relative to `max(1, |dual|)` (a dual infeasibility).
pub(crate) fn clip_duals(rows: &[RowMeta], y: &[f64]) -> (Vec<f64>, f64) {
    let mut worst = 0.0f64;
    let clipped = rows
        .iter()
        .zip(y)
        .map(|(row, &yr)| {
            let wrong = match row.sense {
                Sense::Le => (-yr).max(0.0),
                Sense::Ge => yr.max(0.0),
            };
            worst = worst.max(wrong / yr.abs().max(1.0));
            if wrong > 0.0 {
                0.0
            } else {
                yr
            }
        })
        .collect();
    (clipped, worst)
}

/// The columns' part of the check at `(x, y)` (`y` clipped by [`clip_duals`]), summed over any set
/// of columns: parts over disjoint sets add up into the part over their union
/// (`PlanSums::add`), so processes that hold different columns each compute theirs
/// (docs/distributed.md).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ColumnCheck {
    /// The worst bound violation, relative to `max(1, |bound|)`, and its column.
    pub bound_violation: f64,
    /// The column of `bound_violation`, when one is violated.
    pub worst_column: Option<usize>,
    /// The worst reduced cost of a column that could grow without bound, relative to
    /// `1 + |c_j| + sum_r |a_rj y_r|` (a dual infeasibility).
    pub unbounded: f64,
    /// `sum_j max_{l_j <= x_j <= u_j} (d_j x_j - q_j x_j^2 / 2)`: the columns' part of the
    /// Lagrangian dual bound.
    pub dual_bound: f64,
    /// The objective's part from these columns at `x`.
    pub objective: f64,
}

impl ColumnCheck {
    /// Adds column `id`: its value `x`, bounds, cost, quadratic diagonal, and `a_j . y` and
    /// `sum_r |a_rj y_r|` at the clipped duals.
    #[allow(clippy::too_many_arguments)]
    pub fn add(&mut self, id: usize, x: f64, lo: f64, hi: f64, cost: f64, q: f64, aty: f64, mag: f64) {
        let below = (lo - x).max(0.0) / lo.abs().max(1.0);
        let above = if hi.is_finite() { (x - hi).max(0.0) / hi.abs().max(1.0) } else { 0.0 };
        if below.max(above) > self.bound_violation {
            self.bound_violation = below.max(above);
            self.worst_column = Some(id);
        }
        let d = cost - aty;
        self.dual_bound += if q > 0.0 {
            let xs = (d / q).clamp(lo, hi);
            d * xs - 0.5 * q * xs * xs
        } else if d > 0.0 {
            if hi.is_finite() {
                d * hi
            } else {
                // Unbounded direction: a dual infeasibility; report it and bound with d = 0.
                self.unbounded = self.unbounded.max(d / (1.0 + cost.abs() + mag));
                0.0
            }
        } else {
            d * lo
        };
        self.objective += cost * x - 0.5 * q * x * x;
    }
}

/// The certificate from the rows (`rows`, raw duals `y`, activities `act`, sizes `terms`) and the
/// columns' part over every column.
pub(crate) fn certify_parts(rows: &[RowMeta], y: &[f64], act: &[f64], terms: &[f64], columns: &ColumnCheck) -> Certificate {
    // Rows whose terms all vanish (a segment a floor empties) are judged against the model's
    // size instead: 1e-4 of its largest right-hand side.
    let floor = 1e-4 * rows.iter().map(|r| r.rhs.abs()).fold(1.0, f64::max);
    let mut primal = 0.0f64;
    let mut worst_row = None;
    for (r, row) in rows.iter().enumerate() {
        let v = match row.sense {
            Sense::Le => act[r] - row.rhs,
            Sense::Ge => row.rhs - act[r],
        };
        let rel = v.max(0.0) / row.rhs.abs().max(terms[r]).max(floor);
        if rel > primal {
            primal = rel;
            worst_row = Some(row.name.clone());
        }
    }
    if columns.bound_violation > primal {
        primal = columns.bound_violation;
        worst_row = columns.worst_column.map(|j| format!("the bounds of column {j}"));
    }
    // Duals with the wrong sign are clipped to 0 for the bound, and their size reported.
    let (y, wrong_sign) = clip_duals(rows, y);
    let dual = wrong_sign.max(columns.unbounded);
    // Lagrangian dual bound: g(y) = y.b + sum_j max_{l_j <= x_j <= u_j} (d_j x_j - q_j x_j^2 / 2),
    // with reduced cost d = c - A'y.
    let bound: f64 = rows.iter().zip(&y).map(|(r, yr)| yr * r.rhs).sum::<f64>() + columns.dual_bound;
    let primal_obj = columns.objective;
    let gap = (bound - primal_obj) / primal_obj.abs().max(1.0);
    Certificate { primal_residual: primal, dual_residual: dual, gap, worst_row }
}
