//! The few HiGHS C calls the safe `highs` crate does not wrap, for in-place model edits between
//! hot-started re-solves (row and column bounds, matrix coefficients, column costs, rows and
//! columns added and deleted, the basis read and restored) and the certificate of an infeasible
//! model (its dual ray).
//!
//! This is agora's only `unsafe` code. Every function takes `&mut highs::Model`, so the pointer
//! it hands to HiGHS is the live, exclusively borrowed instance the safe crate owns (created by
//! `Highs_create`, destroyed on drop); indices are checked against the model's dimensions here
//! before the call, because HiGHS' own checks only log. HiGHS keeps its current basis across
//! these edits (a changed coefficient in a basic column marks the basis "alien", which HiGHS
//! refactorises), so the next `Highs_run` starts from it.

use std::os::raw::c_int;

use highs_sys::{
    HighsInt, Highs_addCol, Highs_addRow, Highs_changeCoeff, Highs_changeColBounds, Highs_changeColCost, Highs_changeColsCostByRange, Highs_changeRowBounds,
    Highs_deleteColsByRange, Highs_deleteRowsByRange, Highs_getBasis, Highs_getDualRay, Highs_setBasis, STATUS_OK,
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

/// Indices as HiGHS takes them, each checked against `n`.
fn indices(call: &'static str, entries: &[(usize, f64)], n: usize) -> Result<(Vec<HighsInt>, Vec<f64>), RawError> {
    let mut idx = Vec::with_capacity(entries.len());
    let mut val = Vec::with_capacity(entries.len());
    for &(i, v) in entries {
        idx.push(index(call, i, n)?);
        val.push(v);
    }
    Ok((idx, val))
}

/// Appends a row `lower <= sum entries <= upper` over existing columns (`(column, value)`);
/// HiGHS makes it basic in the current basis.
pub fn add_row(hm: &mut highs::Model, lower: f64, upper: f64, entries: &[(usize, f64)]) -> Result<(), RawError> {
    let (idx, val) = indices("addRow", entries, hm.num_cols())?;
    let n = index("addRow", idx.len(), usize::MAX)?;
    // SAFETY: the pointer is the live HiGHS instance `hm` owns, borrowed exclusively; HiGHS reads
    // exactly `n` indices (each checked in range) and values from the two vectors, which outlive the call.
    check("addRow", unsafe { Highs_addRow(hm.as_mut_ptr(), lower, upper, n, idx.as_ptr(), val.as_ptr()) })
}

/// Appends a column with its cost, bounds and `(row, value)` entries over existing rows; HiGHS
/// makes it nonbasic in the current basis.
pub fn add_col(hm: &mut highs::Model, cost: f64, lower: f64, upper: f64, entries: &[(usize, f64)]) -> Result<(), RawError> {
    let (idx, val) = indices("addCol", entries, hm.num_rows())?;
    let n = index("addCol", idx.len(), usize::MAX)?;
    // SAFETY: as in `add_row`, over rows.
    check("addCol", unsafe { Highs_addCol(hm.as_mut_ptr(), cost, lower, upper, n, idx.as_ptr(), val.as_ptr()) })
}

/// Deletes rows `from..` (nothing when `from` is the row count).
pub fn truncate_rows(hm: &mut highs::Model, from: usize) -> Result<(), RawError> {
    let n = hm.num_rows();
    if from >= n {
        return Ok(());
    }
    let (a, b) = (index("deleteRowsByRange", from, n)?, index("deleteRowsByRange", n - 1, n)?);
    // SAFETY: as above; both ends are in range.
    check("deleteRowsByRange", unsafe { Highs_deleteRowsByRange(hm.as_mut_ptr(), a, b) })
}

/// Deletes columns `from..` (nothing when `from` is the column count).
pub fn truncate_cols(hm: &mut highs::Model, from: usize) -> Result<(), RawError> {
    let n = hm.num_cols();
    if from >= n {
        return Ok(());
    }
    let (a, b) = (index("deleteColsByRange", from, n)?, index("deleteColsByRange", n - 1, n)?);
    // SAFETY: as above; both ends are in range.
    check("deleteColsByRange", unsafe { Highs_deleteColsByRange(hm.as_mut_ptr(), a, b) })
}

/// A simplex basis: one HiGHS basis status per column, then per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    /// Each column's status (HiGHS' `kHighsBasisStatus`: lower, basic, upper, zero, nonbasic).
    pub cols: Vec<HighsInt>,
    /// Each row's status.
    pub rows: Vec<HighsInt>,
}

/// The basis HiGHS ended its last run of `hm` with, or `None` when it has no valid one.
pub fn basis(hm: &highs::Model, n_cols: usize, n_rows: usize) -> Result<Option<Basis>, RawError> {
    if n_cols != hm.num_cols() || n_rows != hm.num_rows() {
        return Err(RawError { call: "getBasis", status: -2 });
    }
    let mut b = Basis { cols: vec![0; n_cols], rows: vec![0; n_rows] };
    // SAFETY: the pointer is the live HiGHS instance `hm` owns; HiGHS writes one status per
    // column and per row of its model (its dimensions, checked above) into the two vectors,
    // which outlive the call.
    let status = unsafe { Highs_getBasis(hm.as_ptr(), b.cols.as_mut_ptr(), b.rows.as_mut_ptr()) };
    Ok((status == STATUS_OK).then_some(b))
}

/// Makes `basis` HiGHS' current basis: the next run starts from it. Its lengths must be the
/// model's dimensions.
pub fn set_basis(hm: &mut highs::Model, basis: &Basis) -> Result<(), RawError> {
    if basis.cols.len() != hm.num_cols() || basis.rows.len() != hm.num_rows() {
        return Err(RawError { call: "setBasis", status: -2 });
    }
    // SAFETY: the pointer is the live HiGHS instance `hm` owns, borrowed exclusively; HiGHS reads
    // one status per column and per row, which is what the two vectors hold (checked above).
    check("setBasis", unsafe { Highs_setBasis(hm.as_mut_ptr(), basis.cols.as_ptr(), basis.rows.as_ptr()) })
}
