//! `agora audit`: incentive properties of a day's plan under deviations of creators at its margin.

use std::path::PathBuf;

use agora_instances::output::OutputKind;
use agora_mechanisms::audit::{audit, AuditConfig, AuditError};
use agora_solver::BackendChoice;

use super::{err, load_instance, settings_from, write_out, Failure};

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.instance);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}

pub const AFTER_HELP: &str = "Examples:\n  agora audit instances/example-day.json --trials 8 --seed 1\n  agora audit day.json --out audit.json\n  agora report day.json solution.json --audit audit.json --out report\n\n\
Creators are drawn from those with exposure and those at the margin (an edge within a band of entering, or held out by a binding floor, cap or parity row), class by class; each monotonicity trial raises a creator's engagement by the amount that carries its nearest edge across the margin (4, 16, 64 times that if the plan does not move).\n\
Properties: budget_feasibility, creator_monotonicity, sybil_same_group, sybil_new_account, topic_relabel, near_duplicate, group_move (docs/markets.md).\n\
Verdicts: holds, intended (gains the rules mean, e.g. a new-creator floor paying a new account), fails (a violation or a loophole gain), n/a.\n\
Exit status: 0 audit ran (a failing property is a finding, printed), 1 error, 2 usage, 3 the day has no optimal plan,\n4 a property fails and --fail-on-violation was given.";

/// Arguments of `agora audit`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// Deviations tried per property.
    #[arg(long, default_value_t = 8)]
    trials: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the agora.audit/v2 JSON document (every trial) instead of the tables.
    #[arg(long)]
    json: bool,
    /// Also write the agora.audit/v2 document to FILE (atomically), e.g. for `agora report --audit`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Backend of every solve: highs, clarabel, first-order or auto (LPs are re-solved hot from
    /// the day's HiGHS basis under auto and highs).
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// A JSON settings file (docs/settings.md); --backend overrides it.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Exit with status 4 when a property fails.
    #[arg(long)]
    fail_on_violation: bool,
}

/// Runs `agora audit`.
pub fn run(a: Args) -> Result<(), Failure> {
    let inst = &load_instance(&a.instance)?;
    // Every trial re-solves the day's whole matrix with HiGHS.
    super::guard_memory(&a.instance, inst.edges.len(), agora_solver::memory::MemoryPath::WholeHighs)?;
    let settings = settings_from(a.settings.as_deref(), a.backend, None).map_err(err)?;
    let cfg = AuditConfig { trials: a.trials, seed: a.seed, settings, ..AuditConfig::default() };
    let report = audit(inst, &cfg).map_err(|e| match e {
        AuditError::NotOptimal { .. } => Failure(3, anyhow::Error::new(e).context(a.instance.display().to_string())),
        AuditError::Solve(_) => err(anyhow::Error::new(e).context(a.instance.display().to_string())),
    })?;
    if a.json {
        print!("{}", report.to_json());
    } else {
        let c = &report.classes;
        println!("audit of \"{}\" ({}), seed {}:", inst.name, inst.shape(), a.seed);
        println!(
            "creators: {} exposed, {} at an edge's margin, {} held out by a rule, {} far (not drawn); {} re-solves from the day's basis, {} cold\n",
            c.exposed, c.margin_edge, c.margin_row, c.far, report.solves.hot, report.solves.cold
        );
        print!("{}", report.table());
    }
    if let Some(out) = &a.out {
        if a.json {
            // The document went to stdout: keep it clean (no "wrote" line).
            super::paths::recheck(out, OutputKind::File)?;
            agora_instances::write_atomic(out, report.to_json().as_bytes())
                .map_err(|e| err(anyhow::Error::new(e).context(format!("{}: cannot write", out.display()))))?;
        } else {
            write_out(Some(out), &report.to_json())?;
        }
    }
    if a.fail_on_violation && !report.all_hold() {
        return Err(Failure(4, anyhow::anyhow!("{}: a property fails (see the table)", a.instance.display())));
    }
    Ok(())
}
