//! A day's answer as tables for the warehouse: the plan and every row of the model, as Parquet
//! (`agora solve --out-plan plan.parquet --out-rows rows.parquet`, the same from `export` and
//! `report`; the Python package's `Solution.plan_table` / `rows_table`), so that a data team
//! loads a day's answer into its warehouse or a DataFrame without parsing a large JSON file.
//! Both are built from the solution file and its instance, and hold exactly the solution's
//! numbers; the plan gains each entry's share of its segment and reduced cost.
//!
//! | table | columns |
//! |---|---|
//! | plan | `segment`, `item`, `impressions`, `share` (impressions over the segment's supply), `reduced_cost` |
//! | rows | `name`, `type`, `sense`, `rule` (null for supply, budget and item-cap rows), `parameter` (null where none), `activity`, `bound`, `slack`, `violation`, `dual`, `shadow_price` |
//!
//! `reduced_cost` is `c_e - q_e x_e - sum_r a_re y_r` (maximisation, the solution's duals `y`):
//! 0 on an edge strictly between its bounds, at least 0 on one at its cap (docs/model.md).

use std::io::Write;
use std::path::Path;

use agora_instances::columnar::table_writer::{Column, ColumnType, TableWriter, ROW_GROUP};
use agora_instances::Instance;
use agora_solver::{Columns as _, Formulation, SolutionFile};

use crate::export::{plan_edges, ExportError};

/// The plan table's columns.
pub const PLAN_COLUMNS: [(&str, ColumnType); 5] = [
    ("segment", ColumnType::Text),
    ("item", ColumnType::Text),
    ("impressions", ColumnType::Number),
    ("share", ColumnType::Number),
    ("reduced_cost", ColumnType::Number),
];

/// The rows table's columns.
pub const ROWS_COLUMNS: [(&str, ColumnType); 11] = [
    ("name", ColumnType::Text),
    ("type", ColumnType::Text),
    ("sense", ColumnType::OptionalText),
    ("rule", ColumnType::OptionalText),
    ("parameter", ColumnType::OptionalText),
    ("activity", ColumnType::Number),
    ("bound", ColumnType::Number),
    ("slack", ColumnType::Number),
    ("violation", ColumnType::Number),
    ("dual", ColumnType::Number),
    ("shadow_price", ColumnType::Number),
];

/// Why the tables of a solution could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// The solution does not fit the instance (another instance, an unknown or repeated edge).
    #[error("{0}")]
    Solution(#[from] ExportError),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The plan table of solution `sol` of `inst`, written to `out` (returned).
pub fn plan_table<W: Write + Send>(inst: &Instance, sol: &SolutionFile, out: W) -> Result<W, TablesError> {
    sol.check_instance(inst).map_err(ExportError::OtherInstance)?;
    let edges = plan_edges(inst, sol)?;
    let model = Formulation::new(inst);
    // The duals by model row, from the solution's rows by name (a row it lacks counts 0).
    let by_name: std::collections::HashMap<&str, f64> = sol.constraints.iter().map(|c| (c.name.as_str(), c.dual)).collect();
    let y: Vec<f64> = model.rows().iter().map(|m| by_name.get(m.name.as_str()).copied().unwrap_or(0.0)).collect();
    let mut table = TableWriter::new(out, &PLAN_COLUMNS)?;
    for start in (0..sol.plan.len()).step_by(ROW_GROUP) {
        let range = start..(start + ROW_GROUP).min(sol.plan.len());
        let entries = &sol.plan[range.clone()];
        let supply = |k: usize| inst.segments[inst.edges[edges[k]].segment].supply;
        let reduced = range
            .clone()
            .map(|k| {
                let (e, x) = (edges[k], sol.plan[k].impressions);
                model.cost(e) - model.quad(e) * x - model.dual_terms_by_entry(e, &y).0
            })
            .collect();
        table.write_group(&[
            Column::Text(entries.iter().map(|p| p.segment.as_str()).collect()),
            Column::Text(entries.iter().map(|p| p.item.as_str()).collect()),
            Column::Number(entries.iter().map(|p| p.impressions).collect()),
            Column::Number(range.clone().map(|k| sol.plan[k].impressions / supply(k)).collect()),
            Column::Number(reduced),
        ])?;
    }
    Ok(table.finish()?)
}

/// The rows table of solution `sol`, written to `out` (returned): one line per entry of its
/// `constraints`, in its order.
pub fn rows_table<W: Write + Send>(sol: &SolutionFile, out: W) -> std::io::Result<W> {
    let mut table = TableWriter::new(out, &ROWS_COLUMNS)?;
    for rows in sol.constraints.chunks(ROW_GROUP) {
        let number = |f: fn(&agora_solver::ConstraintEntry) -> f64| Column::Number(rows.iter().map(f).collect());
        table.write_group(&[
            Column::Text(rows.iter().map(|c| c.name.as_str()).collect()),
            Column::Text(rows.iter().map(|c| c.kind.as_str()).collect()),
            Column::OptionalText(rows.iter().map(|c| c.sense.as_deref()).collect()),
            Column::OptionalText(rows.iter().map(|c| c.constraint.as_deref()).collect()),
            Column::OptionalText(rows.iter().map(|c| c.parameter.as_deref()).collect()),
            number(|c| c.activity),
            number(|c| c.bound),
            number(|c| c.slack),
            number(|c| c.violation),
            number(|c| c.dual),
            number(|c| c.shadow_price),
        ])?;
    }
    table.finish()
}

/// Writes the plan table to `plan` and the rows table to `rows` (each when given), each
/// atomically: a failure leaves the target as it was.
pub fn write_tables(inst: &Instance, sol: &SolutionFile, plan: Option<&Path>, rows: Option<&Path>) -> Result<(), TablesError> {
    if let Some(path) = plan {
        let file = plan_table(inst, sol, agora_instances::output::AtomicFile::create(path).map_err(named(path))?)?;
        file.commit().map_err(named(path))?;
    }
    if let Some(path) = rows {
        let file = agora_instances::output::AtomicFile::create(path).map_err(named(path))?;
        rows_table(sol, file).map_err(named(path))?.commit().map_err(named(path))?;
    }
    Ok(())
}

/// An I/O error of writing `path`, naming it.
fn named(path: &Path) -> impl Fn(std::io::Error) -> std::io::Error + '_ {
    move |e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
