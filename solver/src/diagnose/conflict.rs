//! An irreducible conflict: the instance constraints by a deletion filter, then the built-in
//! rules the infeasibility certificate touches, each confirmed by relaxing it alone.
//!
//! Irreducible here means (docs/diagnose.md): with only the conflict's instance constraints (and
//! every built-in rule) the day is infeasible; dropping any one of them makes it feasible; and
//! relaxing any one built-in member to infinity makes it feasible. Built-in rules alone (upper
//! bounds on non-negative impressions) always admit the empty plan, so every conflict holds at
//! least one instance constraint.

use super::rules::Live;
use crate::status::SolveError;

/// A conflict found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The conflict's rules, as indices into the live model's rules: instance constraints first.
    pub members: Vec<usize>,
    /// Built-in rules the certificate touches that were not tested (past `max_builtin_checks`).
    pub untested: usize,
}

/// The conflict of the (infeasible, every rule on) `live` model. Leaves the live model with only
/// the conflict's instance constraints on.
pub fn find(live: &mut Live, max_builtin_checks: usize) -> Result<Found, SolveError> {
    let n = live.rules().len();
    let constraints: Vec<usize> = (0..n).filter(|&k| live.rules()[k].constraint.is_some()).collect();
    // Deletion filter: a constraint whose removal leaves the rest infeasible is not needed.
    for &k in &constraints {
        live.set(k, false)?;
        if live.feasible()? {
            live.set(k, true)?;
        }
    }
    // The certificate of the remaining system weighs the rules that take part in it.
    if live.feasible()? {
        return Err(SolveError::Backend {
            backend: "highs",
            reason: "the conflict's constraints turned out feasible together (a solver inconsistency)".into(),
        });
    }
    let weights = live.ray().map(|ray| builtin_weights(live, ray));
    let mut candidates: Vec<(f64, usize)> =
        (0..n).filter(|&k| live.rules()[k].constraint.is_none()).map(|k| (weights.as_ref().map_or(1.0, |w| w[k]), k)).filter(|&(w, _)| w > 0.0).collect();
    let top = candidates.iter().map(|c| c.0).fold(0.0, f64::max);
    candidates.retain(|&(w, _)| w > 1e-9 * top);
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let untested = candidates.len().saturating_sub(max_builtin_checks);
    candidates.truncate(max_builtin_checks);
    let mut members: Vec<usize> = constraints.into_iter().filter(|&k| live.is_on(k)).collect();
    for (_, k) in candidates {
        live.set(k, false)?;
        if live.feasible()? {
            members.push(k);
        }
        live.set(k, true)?;
    }
    Ok(Found { members, untested })
}

/// How much each built-in rule weighs in the certificate `ray`: its row's entry, or for an edge
/// cap the edge's entry of `A' ray` (the cap binds where that is non-zero).
fn builtin_weights(live: &Live, ray: &[f64]) -> Vec<f64> {
    let model = live.model();
    live.rules()
        .iter()
        .map(|rule| {
            let rows = rule.rows.iter().map(|&r| ray[r].abs()).fold(0.0, f64::max);
            let cols =
                rule.cols.iter().map(|&j| model.matrix.outer_view(j).map_or(0.0, |c| c.iter().map(|(r, a)| a * ray[r]).sum::<f64>().abs())).fold(0.0, f64::max);
            rows.max(cols)
        })
        .collect()
}
