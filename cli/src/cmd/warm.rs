//! `agora solve --warm-start SOLUTION`: the first-order backend started from an earlier solution.

use std::path::Path;

use agora_instances::Instance;
use agora_solver::{solve_model_warm, BackendChoice, Formulation, Settings, Solution, SolutionFile, WarmStart};

use super::{err, Failure};

/// Loads the earlier solution, matches it to the day and solves from it.
pub(crate) fn solve(inst: &Instance, settings: &mut Settings, backend: Option<BackendChoice>, path: &Path) -> Result<Solution, Failure> {
    match backend.unwrap_or(settings.backend) {
        BackendChoice::FirstOrder | BackendChoice::Auto => settings.backend = BackendChoice::FirstOrder,
        other => {
            return Err(Failure(
                2,
                anyhow::anyhow!(
                    "--warm-start needs the first-order backend, not {} (drop --backend or use --backend first-order)",
                    format!("{other:?}").to_lowercase()
                ),
            ));
        }
    }
    let file: SolutionFile = agora_instances::load_json_with(path, Ok).map_err(|e| err(e.into()))?;
    if file.schema != agora_solver::SOLUTION_SCHEMA {
        return Err(err(anyhow::anyhow!("{}: schema is \"{}\", expected \"{}\"", path.display(), file.schema, agora_solver::SOLUTION_SCHEMA)));
    }
    // Yesterday's solution is the point of a warm start; it is allowed, and said.
    if let Err(why) = file.check_instance(inst) {
        eprintln!("note: {}: warm start from another day ({why}); its plan and duals are only a starting point", path.display());
    }
    // The day's columns generated, not stored, as a cold `agora solve` (agora_solver::Formulation).
    let model = Formulation::new(inst);
    let (warm, m) = WarmStart::from_solution_file(inst, &model, &file);
    if m.plan_matched + m.rows_matched == 0 {
        eprintln!("warning: {}: nothing in it matches this day's edges or rows; starting cold", path.display());
    } else if m.plan_unmatched + m.rows_unmatched > 0 {
        eprintln!("note: {}: {} plan entries and {} rows matched nothing of this day", path.display(), m.plan_unmatched, m.rows_unmatched);
    }
    solve_model_warm(inst, &model, settings, Some(&warm)).map_err(|e| err(e.into()))
}
