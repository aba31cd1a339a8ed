//! An independent check of a backend's answer, computed from the model IR alone: primal
//! feasibility, dual feasibility and the duality gap (a KKT certificate). Every backend's result
//! passes through it before a solution may be called optimal.

use serde::{Deserialize, Serialize};

use crate::ir::{Model, Sense};

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
pub fn certify(model: &Model, x: &[f64], y: &[f64]) -> Certificate {
    certify_at(model, x, y, &model.activities(x), &row_terms(model, x))
}

/// Each row's size at `x`: the sum of its terms' magnitudes `sum_j |a_rj x_j|`, the size of what
/// cancels in the row (a share row's terms are whole segments of impressions, its rhs 0). The
/// check measures rows by it, and so does the dual cleaning of [`crate::Solution`].
pub(crate) fn row_terms(model: &Model, x: &[f64]) -> Vec<f64> {
    let mut terms = vec![0.0; model.n_rows()];
    for (j, col) in model.matrix.outer_iterator().enumerate() {
        if x[j] != 0.0 {
            for (r, &a) in col.iter() {
                terms[r] += (a * x[j]).abs();
            }
        }
    }
    terms
}

/// [`certify`] with the row activities `A x` and the row sizes ([`row_terms`]) already computed.
pub(crate) fn certify_at(model: &Model, x: &[f64], y: &[f64], act: &[f64], terms: &[f64]) -> Certificate {
    // Rows whose terms all vanish (a segment a floor empties) are judged against the model's
    // size instead: 1e-4 of its largest right-hand side.
    let floor = 1e-4 * model.rows.iter().map(|r| r.rhs.abs()).fold(1.0, f64::max);
    let scale: Vec<f64> = model.rows.iter().zip(terms).map(|(r, t)| r.rhs.abs().max(*t).max(floor)).collect();
    let mut primal = 0.0f64;
    let mut worst_row = None;
    for (r, row) in model.rows.iter().enumerate() {
        let v = match row.sense {
            Sense::Le => act[r] - row.rhs,
            Sense::Ge => row.rhs - act[r],
        };
        let rel = v.max(0.0) / scale[r];
        if rel > primal {
            primal = rel;
            worst_row = Some(row.name.clone());
        }
    }
    for (j, ((&xj, &l), &u)) in x.iter().zip(&model.lower).zip(&model.upper).enumerate() {
        let lo = (l - xj).max(0.0) / l.abs().max(1.0);
        let hi = if u.is_finite() { (xj - u).max(0.0) / u.abs().max(1.0) } else { 0.0 };
        if lo.max(hi) > primal {
            primal = lo.max(hi);
            worst_row = Some(format!("the bounds of column {j}"));
        }
    }

    let mut dual = 0.0f64;
    // Duals with the wrong sign are clipped to 0 for the bound below, and their size reported.
    let y: Vec<f64> = model
        .rows
        .iter()
        .zip(y)
        .map(|(row, &yr)| {
            let wrong = match row.sense {
                Sense::Le => (-yr).max(0.0),
                Sense::Ge => yr.max(0.0),
            };
            dual = dual.max(wrong / yr.abs().max(1.0));
            if wrong > 0.0 {
                0.0
            } else {
                yr
            }
        })
        .collect();
    // Lagrangian dual bound: g(y) = y.b + sum_j max_{l_j <= x_j <= u_j} (d_j x_j - q_j x_j^2 / 2),
    // with reduced cost d = c - A'y.
    let mut bound: f64 = model.rows.iter().zip(&y).map(|(r, yr)| yr * r.rhs).sum();
    for (j, col) in model.matrix.outer_iterator().enumerate() {
        let mut aty = 0.0;
        let mut mag = 0.0;
        for (r, &a) in col.iter() {
            aty += a * y[r];
            mag += (a * y[r]).abs();
        }
        let d = model.cost[j] - aty;
        let (lo, hi, q) = (model.lower[j], model.upper[j], model.quad[j]);
        let best = if q > 0.0 {
            let xs = (d / q).clamp(lo, hi);
            d * xs - 0.5 * q * xs * xs
        } else if d > 0.0 {
            if hi.is_finite() {
                d * hi
            } else {
                // Unbounded direction: a dual infeasibility; report it and bound with d = 0.
                dual = dual.max(d / (1.0 + model.cost[j].abs() + mag));
                0.0
            }
        } else {
            d * lo
        };
        bound += best;
    }
    let primal_obj = model.objective(x);
    let gap = (bound - primal_obj) / primal_obj.abs().max(1.0);
    Certificate { primal_residual: primal, dual_residual: dual, gap, worst_row }
}
