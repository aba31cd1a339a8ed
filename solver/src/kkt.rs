//! The exact polish of an approximate QP answer (PDHG's, or an interior point's): fix its
//! active set and solve the KKT system on it exactly, so that the plan and the duals are those of
//! the optimum's face to machine precision (docs/backends.md, "auto").
//!
//! For `max c.x - 1/2 x.Qx` subject to the model's rows, with the columns split into free (`F`:
//! strictly inside their bounds at the optimum) and fixed (at 0, or at their cap), and the rows
//! into active (binding, held as equalities) and inactive (dropped, dual 0), the optimum solves
//!
//! ```text
//! [ Q_FF   A_AF' ] [ x_F ]   [ c_F                  ]
//! [ A_AF   0     ] [ y_A ] = [ b_A - A_A,U x_U       ]
//! ```
//!
//! (stationarity `c - Qx - A'y = 0` on the free columns, the active rows met exactly). The matrix
//! is quasi-definite once regularised; it is factored with Clarabel's QDLDL (`LDL^T`, AMD
//! ordering) and the regularisation is undone by iterative refinement against the unregularised
//! matrix. The first active set is read off the answer (a column is free when its distance from a
//! bound outweighs its reduced cost, a row active when its slack is smaller than its dual, both
//! scaled); where the KKT point of a guess breaks a condition, the guess is corrected, as in a
//! primal-dual active-set method (a free column out of its bounds is fixed at the bound, a fixed
//! column with a reduced cost of the wrong sign freed, an active row with a dual of the wrong sign
//! dropped, a dropped row that is violated made active), up to [`MAX_ROUNDS`] times. The result is
//! returned only when it is a KKT point; agora's check then judges it like any other answer.

/// Corrections of the active set before the polish gives up.
pub const MAX_ROUNDS: usize = 12;

use clarabel::algebra::CscMatrix;
use clarabel::qdldl::{QDLDLFactorisation, QDLDLSettingsBuilder};

use crate::backends::BackendResult;
use crate::ir::{Columns, Sense};
use crate::status::Status;

/// Where each column sits in the guessed active set.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Col {
    Free,
    AtLower,
    AtUpper,
}

/// The KKT point on the active set of `(x, y)`, or `None` when no guess near it gives one.
pub fn polish<C: Columns + ?Sized>(model: &C, x: &[f64], y: &[f64]) -> Option<BackendResult> {
    let (n, m) = (model.n_cols(), model.n_rows());
    if x.len() != n || y.len() != m || n == 0 {
        return None;
    }
    let x_scale = x.iter().fold(1.0f64, |s, v| s.max(v.abs()));
    let mut d_scale = 1.0f64;
    model.visit(0..n, |j| d_scale = d_scale.max(model.cost(j).abs()));
    let (mut cols, mut active) = guess(model, x, y, (x_scale, d_scale));
    for _ in 0..MAX_ROUNDS {
        let (xs, ys) = solve_on(model, &cols, &active)?;
        let y_scale = ys.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        let tiny = 1e-9;
        let mut changed = false;
        let duals = model.duals(&ys);
        // Columns: bounds of the free ones, reduced costs of the fixed ones (a pass over every
        // column, batched: a day's generated columns read their items ahead, Columns::visit).
        model.visit(0..n, |j| match cols[j] {
            Col::Free if xs[j] < model.lower(j) - tiny * x_scale => (cols[j], changed) = (Col::AtLower, true),
            Col::Free if xs[j] > model.upper(j) + tiny * x_scale => (cols[j], changed) = (Col::AtUpper, true),
            Col::Free => {}
            fixed => {
                let dj = model.cost(j) - model.quad(j) * xs[j] - model.dual_terms(j, &duals).0;
                if (fixed == Col::AtLower && dj > tiny * d_scale) || (fixed == Col::AtUpper && dj < -tiny * d_scale) {
                    (cols[j], changed) = (Col::Free, true);
                }
            }
        });
        // Rows: signs of the active ones' duals, feasibility of the dropped ones.
        let ax = model.activities(&xs);
        for (r, meta) in model.rows().iter().enumerate() {
            let scale = 1.0f64.max(meta.rhs.abs());
            let (wrong_sign, violated) = match meta.sense {
                Sense::Le => (ys[r] < -tiny * y_scale, ax[r] > meta.rhs + tiny * scale.max(ax[r].abs())),
                Sense::Ge => (ys[r] > tiny * y_scale, ax[r] < meta.rhs - tiny * scale.max(ax[r].abs())),
            };
            if active[r] && wrong_sign {
                (active[r], changed) = (false, true);
            } else if !active[r] && violated {
                (active[r], changed) = (true, true);
            }
        }
        if !changed {
            let xs: Vec<f64> = xs.iter().enumerate().map(|(j, v)| v.clamp(model.lower(j), model.upper(j))).collect();
            let ys: Vec<f64> = model
                .rows()
                .iter()
                .zip(ys)
                .map(|(meta, v)| match meta.sense {
                    Sense::Le => v.max(0.0),
                    Sense::Ge => v.min(0.0),
                })
                .collect();
            let objective = model.objective(&xs);
            return Some(BackendResult { status: Status::Optimal, x: xs, row_duals: ys, objective, iterations: 1, detail: None });
        }
    }
    None
}

/// The first active set, read off the answer.
fn guess<C: Columns + ?Sized>(model: &C, x: &[f64], y: &[f64], (x_scale, d_scale): (f64, f64)) -> (Vec<Col>, Vec<bool>) {
    let n = model.n_cols();
    let ax = model.activities(x);
    let terms = crate::certificate::row_terms(model, x);
    let y_scale = y.iter().fold(1.0f64, |s, v| s.max(v.abs()));
    let mut cols = Vec::with_capacity(n);
    let duals = model.duals(y);
    model.visit(0..n, |j| {
        let d = model.cost(j) - model.quad(j) * x[j] - model.dual_terms(j, &duals).0;
        let below = (x[j] - model.lower(j)) / x_scale;
        let above = if model.upper(j).is_finite() { (model.upper(j) - x[j]) / x_scale } else { f64::INFINITY };
        cols.push(if below <= (-d).max(0.0) / d_scale {
            Col::AtLower
        } else if above <= d.max(0.0) / d_scale {
            Col::AtUpper
        } else {
            Col::Free
        });
    });
    let active = model
        .rows()
        .iter()
        .enumerate()
        .map(|(r, meta)| {
            let slack = match meta.sense {
                Sense::Le => meta.rhs - ax[r],
                Sense::Ge => ax[r] - meta.rhs,
            };
            // The row's own size: its right-hand side or its terms (a share row's right-hand side
            // is 0 while its terms are impressions).
            let scale = 1.0f64.max(meta.rhs.abs()).max(terms[r]);
            slack.max(0.0) / scale < y[r].abs() / y_scale
        })
        .collect();
    (cols, active)
}

/// The KKT point of one active set: `(x, y)` over every column and row.
fn solve_on<C: Columns + ?Sized>(model: &C, cols: &[Col], active: &[bool]) -> Option<(Vec<f64>, Vec<f64>)> {
    let (n, m) = (model.n_cols(), model.n_rows());
    let mut pos = vec![usize::MAX; n];
    let free: Vec<usize> = (0..n).filter(|&j| cols[j] == Col::Free).collect();
    for (i, &j) in free.iter().enumerate() {
        pos[j] = i;
    }
    let mut row_pos = vec![usize::MAX; m];
    let rows: Vec<usize> = (0..m).filter(|&r| active[r]).collect();
    for (i, &r) in rows.iter().enumerate() {
        row_pos[r] = i;
    }
    let (k, p) = (free.len(), rows.len());
    let size = k + p;
    // The upper triangle, by columns: Q_FF's diagonal, then per active row its entries in the
    // free columns (above the diagonal) and an explicit zero diagonal.
    let mut by_col: Vec<Vec<(usize, f64)>> = vec![Vec::new(); size];
    let mut rhs = vec![0.0; size];
    for (i, &j) in free.iter().enumerate() {
        by_col[i].push((i, model.quad(j)));
        rhs[i] = model.cost(j);
    }
    for (i, &r) in rows.iter().enumerate() {
        rhs[k + i] = model.rows()[r].rhs;
    }
    // A column at a zero lower bound adds nothing (`v * 0`): only the others are read.
    let matters = |j: usize| cols[j] != Col::AtLower || model.lower(j) != 0.0;
    model.visit((0..n).filter(|&j| matters(j)), |j| {
        model.for_each_entry(j, |r, v| {
            if row_pos[r] == usize::MAX {
                return;
            }
            match cols[j] {
                Col::Free => by_col[k + row_pos[r]].push((pos[j], v)),
                Col::AtLower => rhs[k + row_pos[r]] -= v * model.lower(j),
                Col::AtUpper => rhs[k + row_pos[r]] -= v * model.upper(j),
            }
        });
    });
    for (i, col) in by_col.iter_mut().enumerate().skip(k) {
        col.push((i, 0.0));
    }
    let mut colptr = Vec::with_capacity(size + 1);
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    colptr.push(0);
    for col in &mut by_col {
        col.sort_by_key(|e| e.0);
        for &(i, v) in col.iter() {
            rowval.push(i);
            nzval.push(v);
        }
        colptr.push(rowval.len());
    }
    let kkt = CscMatrix { m: size, n: size, colptr, rowval, nzval };
    // The factored matrix carries a static proximal term (+delta on the primal block, -delta on
    // the dual block), which makes it quasi-definite even where the active set is degenerate
    // (dependent rows, free slack columns without a quadratic term); refinement against the
    // unregularised matrix then converges to a solution of the exact system (a proximal-point
    // iteration), and stops at the best residual if it ever grows.
    let delta = 1e-9;
    let mut regularised = kkt.clone();
    for col in 0..size {
        let diag = regularised.colptr[col + 1] - 1;
        debug_assert_eq!(regularised.rowval[diag], col);
        regularised.nzval[diag] += if col < k { delta } else { -delta };
    }
    let signs: Vec<i8> = (0..size).map(|i| if i < k { 1 } else { -1 }).collect();
    let settings = QDLDLSettingsBuilder::default().Dsigns(signs).regularize_enable(true).build().ok()?;
    let mut ldl = QDLDLFactorisation::new(&regularised, Some(settings)).ok()?;
    let mut z = rhs.clone();
    ldl.solve(&mut z);
    let rhs_scale = rhs.iter().fold(1.0f64, |s, v| s.max(v.abs()));
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..50 {
        let mut res = rhs.clone();
        for col in 0..size {
            for t in kkt.colptr[col]..kkt.colptr[col + 1] {
                let (row, v) = (kkt.rowval[t], kkt.nzval[t]);
                res[row] -= v * z[col];
                if row != col {
                    res[col] -= v * z[row];
                }
            }
        }
        if res.iter().chain(&z).any(|v| !v.is_finite()) {
            break;
        }
        let worst = res.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        if best.as_ref().is_some_and(|(b, _)| worst >= *b) {
            break;
        }
        best = Some((worst, z.clone()));
        if worst <= 1e-14 * rhs_scale {
            break;
        }
        ldl.solve(&mut res);
        for (zi, ri) in z.iter_mut().zip(&res) {
            *zi += ri;
        }
    }
    let (_, z) = best?;
    let mut xs = vec![0.0; n];
    for j in 0..n {
        xs[j] = match cols[j] {
            Col::Free => z[pos[j]],
            Col::AtLower => model.lower(j),
            Col::AtUpper => model.upper(j),
        };
    }
    let mut ys = vec![0.0; m];
    for (i, &r) in rows.iter().enumerate() {
        ys[r] = z[k + i];
    }
    Some((xs, ys))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `max 3 x1 + x2 - (x1^2 + x2^2) / 2` subject to `x1 + x2 <= 1`, `x >= 0` (one segment of supply
    /// 1, rho 1). By hand: with both free, `x = (3 - y, 1 - y)` and `x1 + x2 = 1` give `y = 1.5`,
    /// `x2 = -0.5`; with `x2` at 0, `x1 = 1`, `y = 2`, and `x2`'s reduced cost `1 - 2 = -1 <= 0`.
    #[test]
    fn a_poor_guess_is_corrected_to_the_exact_kkt_point() {
        let day = r#"{"schema": "agora.instance/v1", "name": "kkt", "objective": {"regularization": 1.0},
          "segments": [{"id": "s", "supply": 1}], "creators": [{"id": "c"}],
          "items": [{"id": "a", "creator": "c", "topic": "t", "quality": 0, "risk": 0, "fresh": false},
                    {"id": "b", "creator": "c", "topic": "t", "quality": 0, "risk": 0, "fresh": false}],
          "edges": [{"segment": "s", "item": "a", "engagement": 3}, {"segment": "s", "item": "b", "engagement": 1}]}"#;
        let inst = agora_instances::parse_str(day, std::path::Path::new("kkt.json")).unwrap().instance;
        let model = crate::formulate(&inst);
        let out = polish(&model, &[0.5, 0.5], &[0.1]).expect("a KKT point");
        assert_eq!(out.x, vec![1.0, 0.0]);
        assert!((out.row_duals[0] - 2.0).abs() < 1e-12, "{:?}", out.row_duals);
        assert!((out.objective - 2.5).abs() < 1e-12);
        // A guess with the wrong sign everywhere still lands there.
        let again = polish(&model, &[0.0, 1.0], &[0.0]).expect("a KKT point");
        assert_eq!(again.x, vec![1.0, 0.0]);
        // Wrong sizes are not guessed at.
        assert!(polish(&model, &[1.0], &[0.0]).is_none());
    }
}
