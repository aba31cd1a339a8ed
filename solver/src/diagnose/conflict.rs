//! An irreducible conflict: a deletion filter over the instance constraints, then over the
//! built-in rules the infeasibility certificate touches.
//!
//! Irreducible here means (docs/diagnose.md): with only the conflict's rules (every other
//! instance constraint dropped, every other built-in rule relaxed to infinity) the day is
//! infeasible; dropping or relaxing any one tested member makes it feasible. Built-in rules the
//! certificate touches beyond `max_builtin_checks` are in the conflict untested. Built-in rules
//! alone (upper bounds on non-negative impressions) always admit the empty plan, so every
//! conflict holds at least one instance constraint.

use super::rules::Tests;
use crate::status::SolveError;

/// A conflict found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The conflict's rules confirmed by re-solves, as indices into the live model's rules:
    /// instance constraints first, then built-in rules, heaviest in the certificate first.
    pub members: Vec<usize>,
    /// Built-in rules the certificate touches that were not tested (past `max_builtin_checks`):
    /// part of the conflict as found (without them the rest may be feasible), not confirmed
    /// necessary one by one.
    pub untested: Vec<usize>,
}

/// The conflict of the (infeasible, every rule on) `live` model. Leaves the live model with only
/// the conflict's instance constraints on (and every built-in rule).
///
/// A deletion filter over the instance constraints, then over the built-in rules: those the
/// infeasibility certificate does not touch are relaxed together (the certificate proves the
/// rest infeasible without them; checked), then the `max_builtin_checks` it weighs most one at a
/// time, each kept relaxed when the rest stays infeasible without it and a member otherwise, then
/// the others in blocks from the lightest. Every step leaves the rules still on infeasible, so the
/// members and the untested rules together are infeasible on their own, and relaxing any tested
/// member makes them feasible.
pub fn find(live: &mut impl Tests, max_builtin_checks: usize) -> Result<Found, SolveError> {
    let n = live.rules().len();
    let constraints: Vec<usize> = (0..n).filter(|&k| live.rules()[k].constraint.is_some()).collect();
    let builtins: Vec<usize> = (0..n).filter(|&k| live.rules()[k].constraint.is_none()).collect();
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
            backend: live.backend(),
            reason: "the conflict's constraints turned out feasible together (a solver inconsistency)".into(),
        });
    }
    let weights = live.weights();
    let mut candidates: Vec<(f64, usize)> = builtins.iter().map(|&k| (weights.as_ref().map_or(1.0, |w| w[k]), k)).filter(|&(w, _)| w > 0.0).collect();
    let top = candidates.iter().map(|c| c.0).fold(0.0, f64::max);
    candidates.retain(|&(w, _)| w > 1e-9 * top);
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut candidates: Vec<usize> = candidates.into_iter().map(|(_, k)| k).collect();
    let untouched: Vec<usize> = builtins.iter().copied().filter(|k| !candidates.contains(k)).collect();
    for &k in &untouched {
        live.set(k, false)?;
    }
    if !untouched.is_empty() && live.feasible()? {
        // The certificate was not exact enough to leave them out: they are candidates too.
        for &k in &untouched {
            live.set(k, true)?;
        }
        candidates.extend(untouched);
    }
    let mut rest = candidates.split_off(candidates.len().min(max_builtin_checks));
    let mut members: Vec<usize> = constraints.into_iter().filter(|&k| live.is_on(k)).collect();
    for k in candidates {
        live.set(k, false)?;
        if live.feasible()? {
            members.push(k);
            live.set(k, true)?;
        }
    }
    // The rest, lightest first, in blocks: a block whose relaxation leaves the others infeasible
    // holds no member (on the medium day with its floor raised sixfold, the 61 edge caps the
    // certificate names went in blocks of 31, 15 and 15); a block that does not is halved, and a single
    // rule that does not is a member. At most `max_builtin_checks` such solves.
    let mut size = rest.len();
    for _ in 0..max_builtin_checks {
        if size == 0 || rest.is_empty() {
            break;
        }
        let block = rest.split_off(rest.len() - size.min(rest.len()));
        for &k in &block {
            live.set(k, false)?;
        }
        if live.feasible()? {
            for &k in &block {
                live.set(k, true)?;
            }
            if let [k] = block[..] {
                members.push(k);
            } else {
                rest.extend(block);
            }
            size /= 2;
        }
    }
    let untested = rest;
    for &k in &builtins {
        live.set(k, true)?;
    }
    Ok(Found { members, untested })
}
