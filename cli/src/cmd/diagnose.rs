//! `agora diagnose`: why a day is infeasible (the conflicting rules) and the smallest change that
//! makes it feasible; on a feasible day, the soft rules that pay penalties.

use std::path::PathBuf;

use agora_instances::output::Gate;
use agora_solver::diagnose::TestPath;
use agora_solver::memory::MemoryPath;
use agora_solver::{diagnose_in_place, BackendChoice, DiagnoseSettings};

use super::{err, load_validated, settings_from, write_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora diagnose day.json --out diagnosis.json\n\nWrites agora.diagnosis/v1: \"conflict\" (an irreducible set of conflicting rules), \"relaxation\" (the\nsmallest change of parameters that makes the day feasible) and \"relaxed_objective\". See docs/diagnose.md.\nExit status: 0 a diagnosis was made (feasible or not), 1 error, 2 usage.";

/// Arguments of `agora diagnose`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// Where to write the agora.diagnosis/v1 file (written atomically).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Backend: highs (feasibility tests on the whole matrix), first-order (sifted over generated columns), clarabel or auto (sifted from 5,000 edges); also the relaxed day's solve.
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// A JSON settings file (docs/settings.md).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Let the relaxation change segment supplies too (physical limits, not relaxed by default).
    #[arg(long)]
    relax_physical: bool,
}

/// Runs `agora diagnose`.
pub fn run(a: Args) -> Result<(), Failure> {
    let mut day = load_validated(&a.instance)?;
    let solve = settings_from(a.settings.as_deref(), a.backend, None).map_err(err)?;
    let valid = solve.clone().validated().map_err(|e| err(e.into()))?;
    // The feasibility tests run HiGHS on the whole matrix below AUTO_HIGHS_LP_EDGES edges (or
    // when asked), sifted phase ones over generated columns from there.
    let path = match TestPath::for_day(day.instance.edges.len(), &valid) {
        TestPath::WholeMatrix => MemoryPath::WholeHighs,
        TestPath::Sifted => MemoryPath::Sifting,
    };
    super::guard_memory(&a.instance, day.instance.edges.len(), path)?;
    let settings = DiagnoseSettings { solve, relax_physical: a.relax_physical, ..DiagnoseSettings::default() };
    let d = diagnose_in_place(&mut day.instance, &settings).map_err(|e| err(anyhow::Error::new(e).context(a.instance.display().to_string())))?;
    print!("{}", d.summary());
    write_out(a.out.as_deref(), &d.to_json())
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}
