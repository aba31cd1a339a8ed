//! Shadow prices, computed one way for every row (design.md): by the envelope theorem,
//!
//! `shadow = d objective* / d theta = -dual * (da . x - db) - 1/2 * sum_j dquad_j x_j^2`
//!
//! where the row is `a(theta) . x <sense> b(theta)`, `dual` is d(objective)/d(rhs) in the
//! maximisation sense, and `dquad` is how the objective's quadratic diagonal moves with theta.

use crate::ir::RowMeta;

/// The derivative of the optimal objective with respect to the parameter the user wrote for
/// this row, at the primal-dual pair `(x, dual)`.
pub fn shadow_price(meta: &RowMeta, x: &[f64], dual: f64) -> f64 {
    let da_x: f64 = meta.da.iter().map(|(j, d)| d * x[j]).sum();
    let dq: f64 = meta.dquad.iter().map(|(j, d)| d * x[j] * x[j]).sum();
    shadow_price_at(meta, da_x, dq, dual)
}

/// [`shadow_price`] from `da . x` and `dquad . x^2` already summed (over columns that may live
/// in different processes: docs/distributed.md).
pub fn shadow_price_at(meta: &RowMeta, da_x: f64, dq_x2: f64, dual: f64) -> f64 {
    -dual * (da_x - meta.db) - 0.5 * dq_x2
}
