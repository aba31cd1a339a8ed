//! `agora audit`: incentive properties of a day's plan under randomised deviations.

use std::path::PathBuf;

use agora_mechanisms::audit::{audit, AuditConfig, AuditError};

use super::{err, load_instance, Failure};

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.instance);
    }
}

pub const AFTER_HELP: &str = "Example:\n  agora audit instances/example-day.json --trials 8 --seed 1\n\nProperties: budget_feasibility, creator_monotonicity, sybil_same_group, sybil_new_account (docs/markets.md).\nExit status: 0 audit ran (a failing property is a finding, printed), 1 error, 2 usage, 3 the day has no optimal plan,\n4 a property fails and --fail-on-violation was given.";

/// Arguments of `agora audit`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// Deviations tried per property.
    #[arg(long, default_value_t = 8)]
    trials: usize,
    /// Seed of the deviations.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the agora.audit/v1 JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Exit with status 4 when a property fails.
    #[arg(long)]
    fail_on_violation: bool,
}

/// Runs `agora audit`.
pub fn run(a: Args) -> Result<(), Failure> {
    let inst = load_instance(&a.instance)?;
    // Every trial re-solves the day's whole matrix with HiGHS.
    super::guard_memory(&a.instance, inst.edges.len(), agora_solver::memory::MemoryPath::WholeHighs)?;
    let cfg = AuditConfig { trials: a.trials, seed: a.seed, ..AuditConfig::default() };
    let report = audit(&inst, &cfg).map_err(|e| match e {
        AuditError::NotOptimal { .. } => Failure(3, anyhow::Error::new(e).context(a.instance.display().to_string())),
        AuditError::Solve(_) => err(anyhow::Error::new(e).context(a.instance.display().to_string())),
    })?;
    if a.json {
        print!("{}", report.to_json());
    } else {
        println!("audit of \"{}\" ({}), seed {}:\n", inst.name, inst.shape(), a.seed);
        print!("{}", report.table());
    }
    if a.fail_on_violation && !report.all_hold() {
        return Err(Failure(4, anyhow::anyhow!("{}: a property fails (see the table)", a.instance.display())));
    }
    Ok(())
}
