//! Which effects a day's optimum identifies: a degenerate LP has many optimal plans that agree on
//! the objective but not on how it is split, and an effect that only a tie-break decides is no
//! design's to get right or wrong.

use agora_instances::Instance;
use agora_solver::{Formulation, Settings, Solution};

use super::{optimum, whole, ExperimentError};

/// The relative size of the perturbation [`identify`] applies to every edge's engagement and
/// price: far below any data's precision, far above the solvers' tolerances' effect on a vertex
/// choice.
pub const TIE_BREAK: f64 = 1e-6;

/// A metric's effect counts as identified when the perturbed effect is within this share of
/// its values (the perturbation itself moves values by about [`TIE_BREAK`]).
pub const IDENTIFIED_WITHIN: f64 = 1e-4;

/// Which metrics' effects do not depend on which optimal plan the solver returns: both days are
/// re-solved (from their plans) with every edge's engagement and price scaled by
/// `1 + TIE_BREAK * u`, `u` a fixed pseudo-random number in [-1, 1] per edge (the same for both
/// days), which breaks the ties of a degenerate optimum one way; an effect that moves by more than [`IDENTIFIED_WITHIN`] of its
/// values was a tie-break. A QP day (strictly concave: one optimum) needs no re-solve.
pub(super) fn identify(
    control: &Instance,
    treat: &Instance,
    (c_sol, t_sol): (&Solution, &Solution),
    (c_vals, t_vals): (&[f64], &[f64]),
    settings: &Settings,
) -> Result<Vec<bool>, ExperimentError> {
    use agora_solver::Columns as _;
    use rand::{Rng, SeedableRng};
    // A QP's regularisation is strictly concave in every edge: its optimum is unique.
    if Formulation::new(control).is_qp() && Formulation::new(treat).is_qp() {
        return Ok(vec![true; c_vals.len()]);
    }
    // The same draws for both days (they share their edges' order where the change keeps the
    // edges), so a tie is broken the same way in both.
    let perturbed = |day: &Instance| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7469_6573);
        let mut d = day.clone();
        for edge in d.edges.iter_mut() {
            edge.engagement *= 1.0 + TIE_BREAK * rng.random_range(-1.0..=1.0);
            edge.price *= 1.0 + TIE_BREAK * rng.random_range(-1.0..=1.0);
        }
        d
    };
    let (pc, pt) = (perturbed(control), perturbed(treat));
    let pc_sol = optimum(&pc, settings, Some(c_sol.impressions.clone()), "control (its ties broken)")?;
    let pt_sol = optimum(&pt, settings, Some(t_sol.impressions.clone()), "treated (its ties broken)")?;
    let (pc_vals, pt_vals) = (whole(control, &pc_sol), whole(treat, &pt_sol));
    Ok((0..c_vals.len())
        .map(|k| {
            let scale = c_vals[k].abs().max(t_vals[k].abs()).max(1.0);
            let (effect, perturbed) = (t_vals[k] - c_vals[k], pt_vals[k] - pc_vals[k]);
            (effect - perturbed).abs() <= IDENTIFIED_WITHIN * scale
        })
        .collect())
}
