//! `agora export`: an optimal, checked solution to a serving artifact.

use std::path::{Path, PathBuf};

use anyhow::Context;

use agora_analysis::{ExportError, ExportOptions};
use agora_solver::SolutionFile;

use super::{err, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora export solution.json --instance instances/example-day.json --out serving/\n\nRefuses (writing nothing) a solution that is not optimal (exit 3), names another instance,\nor whose plan fails the independent feasibility check (exit 1). The directory is written\natomically and must not exist (or be empty). See docs/serving.md, \"The score rule\".";

/// Arguments of `agora export`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.solution/v1 file.
    solution: PathBuf,
    /// The agora.instance/v1 file the solution was solved from.
    #[arg(long)]
    instance: PathBuf,
    /// The artifact directory to create.
    #[arg(long)]
    out: PathBuf,
    /// Start of the validity window, UTC (2026-11-30T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    valid_from: Option<String>,
    /// End of the validity window, UTC.
    #[arg(long, value_name = "TIME")]
    valid_to: Option<String>,
}

/// Writes the artifact of `solution` (a solution of `instance`) to `out`. Exit 3 when the
/// solution is not optimal, 1 on any other refusal or error; nothing is written then.
pub fn run(a: Args) -> Result<(), Failure> {
    let Args { solution, instance, out, valid_from, valid_to } = a;
    let (solution, instance, out) = (solution.as_path(), instance.as_path(), out.as_path());
    let (inst, hash) = load_instance_bytes(instance)?;
    // The export formulates the day's whole matrix for its duals' rows.
    super::guard_memory(instance, inst.edges.len(), agora_solver::memory::MemoryPath::WholeMatrix)?;
    let sol: SolutionFile = super::load_json(solution, Ok)?;
    let opts = ExportOptions { valid_from, valid_to, created_at: None };
    let artifact = agora_analysis::build(&inst, &hash, &sol, &opts).map_err(|e| {
        let code = if matches!(e, ExportError::NotOptimal(_)) { 3 } else { 1 };
        Failure(code, anyhow::Error::new(e).context(format!("{}: refusing to export", solution.display())))
    })?;
    super::paths::recheck(out, agora_instances::output::OutputKind::Dir)?;
    agora_serving::write_dir(&artifact, out).with_context(|| "export failed; nothing was written".to_string()).map_err(err)?;
    let paced = artifact.pacing.iter().filter(|p| p.multiplier < 1.0).count();
    let planned = artifact.edges.iter().filter(|e| e.rate > 0.0).count();
    println!(
        "wrote {} ({}): instance \"{}\", objective {}, {} of {} edges planned, {} of {} campaigns paced",
        out.display(),
        agora_serving::SERVING_SCHEMA,
        inst.name,
        artifact.manifest.objective,
        planned,
        artifact.edges.len(),
        paced,
        artifact.pacing.len()
    );
    Ok(())
}

/// Loads an instance and the content hash of its file's bytes (what the manifest records).
/// Loads and validates an instance (its files admitted to the gate) with the hash of its file's
/// bytes, which an artifact records.
pub(crate) fn load_instance_bytes(path: &Path) -> Result<(agora_instances::Instance, String), Failure> {
    let text = super::read_text(path)?;
    let v = agora_instances::parse_str_with(&text, path, super::read_options()).map_err(|e| err(e.into()))?;
    super::paths::admit(&v.sources)?;
    let bytes = text.into_bytes();
    super::print_warnings(path, &v.warnings);
    Ok((v.instance, agora_serving::content_hash(&bytes)))
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.solution).input(&self.instance).output_dir(&self.out, agora_instances::ExistingDir::Refuse);
    }
}
