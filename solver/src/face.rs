//! How far a linear function of the plan can move without losing optimality.
//!
//! An LP optimum is often not unique: a whole face of plans reaches the same objective, and which
//! vertex a backend returns is an accident of pivoting. Questions such as "does this creator gain
//! exposure?" must then be asked of the face, not of one vertex: [`optimal_face_extreme`] returns
//! the smallest or largest value of `sum w_j x_j` over the plans whose objective is within a small
//! tolerance of the optimum. A QP with `rho > 0` has a unique plan, so there is no face to explore.

use crate::backends::highs::Highs;
use crate::backends::Backend;
use crate::ir::{Model, RowMeta, Sense};
use crate::settings::ToValid;
use crate::status::{SolveError, Status};

/// Which end of the (near-)optimal face to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceEnd {
    /// The smallest value of the function over the face.
    Least,
    /// The largest.
    Most,
}

/// Relative slack on the objective floor that defines the face: plans within
/// `FACE_TOLERANCE * max(1, |optimum|)` of the optimum count as optimal. It sits above HiGHS'
/// own feasibility tolerances so that the floor row never makes the restricted LP infeasible.
pub const FACE_TOLERANCE: f64 = 1e-7;

/// The smallest or largest (`end`) `sum w_j x_j` (columns `j` of `model`) over the plans of
/// `model` whose objective is at least `optimum - FACE_TOLERANCE * max(1, |optimum|)`: one LP.
///
/// Returns `Ok(None)` for a QP (its plan is unique: read the function off the plan) and an error
/// when the restricted LP does not solve to optimality.
pub fn optimal_face_extreme(
    model: &Model,
    optimum: f64,
    w: &[(usize, f64)],
    end: FaceEnd,
    settings: &(impl ToValid + ?Sized),
) -> Result<Option<f64>, SolveError> {
    let settings = settings.to_valid()?;
    if model.is_qp() {
        return Ok(None);
    }
    let mut face = with_objective_floor(model, optimum - FACE_TOLERANCE * optimum.abs().max(1.0));
    let sign = match end {
        FaceEnd::Most => 1.0,
        FaceEnd::Least => -1.0,
    };
    face.cost.iter_mut().for_each(|c| *c = 0.0);
    for &(j, wj) in w {
        face.cost[j] += sign * wj;
    }
    let r = Highs.solve(&face, &settings)?;
    if r.status != Status::Optimal {
        return Err(SolveError::Backend { backend: "highs", reason: format!("the optimal-face LP ended {}", r.status) });
    }
    Ok(Some(sign * r.objective))
}

/// `model` with one more row, `cost . x >= floor`.
fn with_objective_floor(model: &Model, floor: f64) -> Model {
    let (m, n) = (model.n_rows(), model.n_cols());
    let mut tri = sprs::TriMatI::<f64, u32>::with_capacity((m + 1, n), model.matrix.nnz() + n);
    for (&v, (r, c)) in model.matrix.iter() {
        tri.add_triplet(r as usize, c as usize, v);
    }
    for (j, &c) in model.cost.iter().enumerate() {
        if c != 0.0 {
            tri.add_triplet(m, j, c);
        }
    }
    let mut face = model.clone();
    face.matrix = tri.to_csc::<usize>();
    face.rows.push(RowMeta {
        name: "objective_floor".into(),
        kind: crate::ir::RowKind::ObjectiveFloor,
        constraint: None,
        segment: None,
        sense: Sense::Ge,
        rhs: floor,
        parameter: ("objective", floor),
        da: Default::default(),
        db: 1.0,
        dquad: Default::default(),
        slack: None,
        penalty: None,
    });
    face
}
