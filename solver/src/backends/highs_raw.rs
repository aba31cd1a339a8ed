//! The few HiGHS C calls the safe `highs` crate does not wrap, for in-place model edits between
//! hot-started re-solves (row and column bounds, matrix coefficients, column costs) and the
//! certificate of an infeasible model (its dual ray).
//!
//! This is agora's only `unsafe` code. Every function takes `&mut highs::Model`, so the pointer
//! it hands to HiGHS is the live, exclusively borrowed instance the safe crate owns (created by
//! `Highs_create`, destroyed on drop); indices are checked against the model's dimensions here
//! before the call, because HiGHS' own checks only log. HiGHS keeps its current basis across
//! these edits (a changed coefficient in a basic column marks the basis "alien", which HiGHS
//! refactorises), so the next `Highs_run` starts from it.

use std::os::raw::c_int;

use highs_sys::{
    HighsInt, Highs_changeCoeff, Highs_changeColBounds, Highs_changeColCost, Highs_changeColsCostByRange, Highs_changeRowBounds, Highs_getDualRay, STATUS_OK,
};

/// A HiGHS call that returned an error status, or an index out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("HiGHS {call} failed (status {status})")]
pub struct RawError {
    /// The HiGHS C function that failed (or whose index was out of range).
    pub call: &'static str,
    /// The status HiGHS returned; -2 when agora refused an out-of-range index.
    pub status: i32,
}

fn check(call: &'static str, status: HighsInt) -> Result<(), RawError> {
    // STATUS_WARNING (1) is fine: HiGHS warns, for instance, when a value is below
    // small_matrix_value and is dropped, which is what agora's formulation does too.
    if status == STATUS_OK || status == 1 {
        Ok(())
    } else {
        Err(RawError { call, status })
    }
}

fn index(call: &'static str, i: usize, n: usize) -> Result<c_int, RawError> {
    if i < n {
        c_int::try_from(i).map_err(|_| RawError { call, status: -2 })
    } else {
        Err(RawError { call, status: -2 })
    }
}

/// Sets row `row`'s bounds to `lower ..= upper` (infinite values for a free side).
pub fn change_row_bounds(hm: &mut highs::Model, row: usize, lower: f64, upper: f64) -> Result<(), RawError> {
    let r = index("changeRowBounds", row, hm.num_rows())?;
    // SAFETY: the pointer is the live HiGHS instance `hm` owns, borrowed exclusively; `r` is in range.
    check("changeRowBounds", unsafe { Highs_changeRowBounds(hm.as_mut_ptr(), r, lower, upper) })
}

/// Sets the matrix entry at (`row`, `col`) to `value` (0 removes it).
pub fn change_coeff(hm: &mut highs::Model, row: usize, col: usize, value: f64) -> Result<(), RawError> {
    let r = index("changeCoeff", row, hm.num_rows())?;
    let c = index("changeCoeff", col, hm.num_cols())?;
    // SAFETY: as above; both indices are in range.
    check("changeCoeff", unsafe { Highs_changeCoeff(hm.as_mut_ptr(), r, c, value) })
}

/// Sets the cost of column `col`.
pub fn change_col_cost(hm: &mut highs::Model, col: usize, cost: f64) -> Result<(), RawError> {
    let c = index("changeColCost", col, hm.num_cols())?;
    // SAFETY: as above; `c` is in range.
    check("changeColCost", unsafe { Highs_changeColCost(hm.as_mut_ptr(), c, cost) })
}

/// Sets the costs of columns `0..costs.len()`.
pub fn change_col_costs(hm: &mut highs::Model, costs: &[f64]) -> Result<(), RawError> {
    if costs.is_empty() {
        return Ok(());
    }
    let last = index("changeColsCostByRange", costs.len() - 1, hm.num_cols())?;
    // SAFETY: as above; HiGHS reads exactly `last + 1 = costs.len()` values from `costs`, which
    // outlives the call.
    check("changeColsCostByRange", unsafe { Highs_changeColsCostByRange(hm.as_mut_ptr(), 0, last, costs.as_ptr()) })
}

/// Sets column `col`'s bounds to `lower ..= upper` (infinite values for a free side).
pub fn change_col_bounds(hm: &mut highs::Model, col: usize, lower: f64, upper: f64) -> Result<(), RawError> {
    let c = index("changeColBounds", col, hm.num_cols())?;
    // SAFETY: as above; `c` is in range.
    check("changeColBounds", unsafe { Highs_changeColBounds(hm.as_mut_ptr(), c, lower, upper) })
}

/// The dual ray of a model HiGHS found infeasible (one value per row: a Farkas certificate,
/// whose non-zero entries are the rows that take part in the infeasibility), or `None` when
/// HiGHS has none. `n_rows` must be the model's number of rows.
pub fn dual_ray(solved: &highs::SolvedModel, n_rows: usize) -> Result<Option<Vec<f64>>, RawError> {
    let mut ray = vec![0.0; n_rows];
    let mut has: HighsInt = 0;
    // SAFETY: the pointer is the live HiGHS instance `solved` owns; HiGHS writes `has` and, when
    // it has a ray, exactly n_rows (the model's row count) values into `ray`, which outlives the call.
    check("getDualRay", unsafe { Highs_getDualRay(solved.as_ptr(), &mut has, ray.as_mut_ptr()) })?;
    Ok((has != 0).then_some(ray))
}
