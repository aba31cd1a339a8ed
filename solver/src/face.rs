//! How far a linear function of the plan can move without losing optimality.
//!
//! An LP optimum is often not unique: a whole face of plans reaches the same objective, and which
//! vertex a backend returns is an accident of pivoting. Questions such as "does this creator gain
//! exposure?" must then be asked of the face, not of one vertex. The least or most of
//! `f(x) = sum w_j x_j` over the face is the plan that maximises the objective nudged by
//! `mu f(x)` (most) or `-mu f(x)` (least): for a small enough `mu` its optima are optimal plans
//! of the day, and among them the ones with the most (least) `f`. With a larger `mu` it may leave
//! the face by trading at most `mu` of objective per unit of `f`; the nudge is [`face_price`],
//! ten times the dual tolerance every backend meets (per unit of the largest objective
//! coefficient), so any vertex a backend could return, whose reduced costs are exact to that
//! tolerance, lies between the least and the most. The extremes are therefore conservative: the
//! least is at most, the most at least, what any optimal plan gives.
//!
//! A QP with `rho > 0` has a unique plan, so there is no face to explore.

use crate::backends::highs::Highs;
use crate::backends::Backend;
use crate::ir::{Columns, Model};
use crate::settings::{ToValid, ValidSettings};
use crate::status::{SolveError, Status};

/// Which end of the optimal face to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceEnd {
    /// The smallest value of the function over the face.
    Least,
    /// The largest.
    Most,
}

/// The nudge per unit of a face's function: `10 * dual_tolerance * max(1, max_j |c_j|)`.
pub fn face_price<C: Columns + ?Sized>(model: &C, settings: &ValidSettings) -> f64 {
    let scale = (0..model.n_cols()).map(|j| model.cost(j).abs()).fold(1.0, f64::max);
    10.0 * settings.dual_tolerance * scale
}

/// The least or most (`end`) of `sum w_j x_j` (columns `j` of `model`) over `model`'s optimal
/// plans: the optimum of the objective nudged by `mu` per unit of the function, solved cold with
/// HiGHS (see the module's note; [`crate::Resolver`] solves the same program hot).
///
/// Returns `Ok(None)` for a QP (its plan is unique: read the function off the plan) and an error
/// when the nudged LP does not solve to optimality.
pub fn nudged_extreme(model: &Model, mu: f64, w: &[(usize, f64)], end: FaceEnd, settings: &(impl ToValid + ?Sized)) -> Result<Option<f64>, SolveError> {
    let settings = settings.to_valid()?;
    if model.is_qp() {
        return Ok(None);
    }
    let sign = match end {
        FaceEnd::Most => 1.0,
        FaceEnd::Least => -1.0,
    };
    let mut nudged = model.clone();
    for &(j, wj) in w {
        nudged.cost[j] += sign * mu * wj;
    }
    let r = Highs.solve(&nudged, &settings)?;
    if r.status != Status::Optimal {
        return Err(SolveError::Backend { backend: "highs", reason: format!("the optimal-face LP ended {}", r.status) });
    }
    Ok(Some(w.iter().map(|&(j, wj)| wj * r.x[j]).sum()))
}

/// [`nudged_extreme`] at the day's own [`face_price`].
pub fn optimal_face_extreme(model: &Model, w: &[(usize, f64)], end: FaceEnd, settings: &(impl ToValid + ?Sized)) -> Result<Option<f64>, SolveError> {
    let settings = settings.to_valid()?;
    nudged_extreme(model, face_price(model, &settings), w, end, settings.as_ref())
}
