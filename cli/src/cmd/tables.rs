//! `--out-plan` and `--out-rows`, shared by `solve`, `export` and `report`: the solution's plan
//! and rows as Parquet tables for the warehouse (docs/formats.md, "Tables").

use std::path::PathBuf;

use agora_instances::output::Gate;

use super::{err, Failure};

/// The table outputs of a command that has a solution at hand.
#[derive(clap::Args, Debug, Default)]
pub struct TableArgs {
    /// Also write the plan as a Parquet table: segment, item, impressions, share, reduced_cost
    /// (written atomically).
    #[arg(long, value_name = "PARQUET")]
    pub out_plan: Option<PathBuf>,
    /// Also write every row of the model as a Parquet table: name, type, sense, rule, parameter,
    /// activity, bound, slack, violation, dual, shadow_price (written atomically).
    #[arg(long, value_name = "PARQUET")]
    pub out_rows: Option<PathBuf>,
}

impl TableArgs {
    /// Declares the tables as outputs to the gate.
    pub fn declare(&self, gate: &mut Gate) {
        self.out_plan.iter().chain(&self.out_rows).for_each(|p| _ = gate.output_file(p));
    }

    /// Writes the tables asked for of solution `sol` of `inst`.
    pub fn write(&self, inst: &agora_instances::Instance, sol: &agora_solver::SolutionFile) -> Result<(), Failure> {
        agora_analysis::tables::write_tables(inst, sol, self.out_plan.as_deref(), self.out_rows.as_deref()).map_err(|e| err(e.into()))
    }
}
