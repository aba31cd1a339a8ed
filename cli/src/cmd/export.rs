//! `agora export`: an optimal, checked solution to a serving artifact.

use std::path::{Path, PathBuf};

use anyhow::Context;

use agora_analysis::{ExportError, ExportOptions};
use agora_serving::EdgesFormat;
use agora_solver::SolutionFile;

use super::{err, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora export solution.json --instance instances/example-day.json --out serving/\n\nRefuses (writing nothing) a solution that is not optimal (exit 3), names another instance,\nor whose plan fails the independent feasibility check (exit 1). The directory is written\natomically and must not exist (or be empty); --format parquet writes edges.parquet in place\nof edges.csv. See docs/serving.md, \"The score rule\".";

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
    /// The per-edge file's format: edges.csv, or edges.parquet (typed columns, a fraction of
    /// the size; the serving reader reads either).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Print the wall time of each phase (load and validate, check, write) to standard error,
    /// as one `timings:` line.
    #[arg(long)]
    timings: bool,
    #[command(flatten)]
    tables: super::tables::TableArgs,
}

/// `--format`: how the artifact's per-edge file is written.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// edges.csv.
    Csv,
    /// edges.parquet.
    Parquet,
}

impl From<Format> for EdgesFormat {
    fn from(f: Format) -> EdgesFormat {
        match f {
            Format::Csv => EdgesFormat::Csv,
            Format::Parquet => EdgesFormat::Parquet,
        }
    }
}

/// Writes the artifact of `solution` (a solution of `instance`) to `out`. Exit 3 when the
/// solution is not optimal, 1 on any other refusal or error; nothing is written then.
pub fn run(a: Args) -> Result<(), Failure> {
    let Args { solution, instance, out, valid_from, valid_to, format, timings, tables } = a;
    let (solution, instance, out) = (solution.as_path(), instance.as_path(), out.as_path());
    let mut laps = super::Laps::start();
    let (inst, hash) = load_instance_bytes(instance)?;
    laps.lap("load+validate");
    // The export generates the day's columns (no matrix) and streams the per-edge file.
    super::guard_memory(instance, inst.edges.len(), agora_solver::memory::MemoryPath::GeneratedColumns)?;
    let sol: SolutionFile = super::load_json(solution, Ok)?;
    let opts = ExportOptions { valid_from, valid_to, created_at: None };
    let export = agora_analysis::check_export(&inst, &hash, &sol, &opts).map_err(|e| {
        let code = if matches!(e, ExportError::NotOptimal(_)) { 3 } else { 1 };
        Failure(code, anyhow::Error::new(e).context(format!("{}: refusing to export", solution.display())))
    })?;
    laps.lap("check");
    super::paths::recheck(out, agora_instances::output::OutputKind::Dir)?;
    agora_serving::write_parts(&export.parts(format.into()), out).with_context(|| "export failed; nothing was written".to_string()).map_err(err)?;
    tables.write(&inst, &sol)?;
    laps.lap("write");
    let artifact = &export;
    let paced = artifact.pacing.iter().filter(|p| p.multiplier < 1.0).count();
    let planned = export.planned_edges();
    println!(
        "wrote {} ({}): instance \"{}\", objective {}, {} of {} edges planned, {} of {} campaigns paced",
        out.display(),
        agora_serving::SERVING_SCHEMA,
        inst.name,
        artifact.manifest.objective,
        planned,
        inst.edges.len(),
        paced,
        artifact.pacing.len()
    );
    if timings {
        laps.print(inst.edges.len());
    }
    Ok(())
}

/// Loads an instance and the content hash of its file's bytes (what the manifest records).
/// Loads and validates an instance (its files admitted to the gate) with the hash of its file's
/// bytes, which an artifact records.
pub(crate) fn load_instance_bytes(path: &Path) -> Result<(agora_instances::Instance, String), Failure> {
    let (v, hash) = agora_instances::load_inspecting(path, super::read_options(), agora_serving::content_hash).map_err(|e| err(e.into()))?;
    super::paths::admit(&v.sources)?;
    super::print_warnings(path, &v.warnings);
    Ok((v.instance, hash))
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.solution).input(&self.instance).output_dir(&self.out, agora_instances::ExistingDir::Refuse);
        self.tables.declare(gate);
    }
}
