//! `agora simulate`: a day of serving from an artifact, against two baselines.

use std::path::PathBuf;

use agora_analysis::simulate::{overspends, worst_hard_row, PolicyReport};
use agora_analysis::SimulationConfig;

use super::export::load_instance_bytes;
use agora_instances::output::{Gate, Role};

use super::{err, usage, write_out, Failure};

/// The most opportunities one simulation serves (10^8: minutes of work; the 2% row targets are met
/// from 10^6).
pub const MAX_ARRIVALS: usize = 100_000_000;

pub const AFTER_HELP: &str = "Example:\n  agora simulate instances/example-day.json serving/ --arrivals 100000 --seed 1 --out simulation.json\n\nWrites agora.simulation/v1; the same seed gives the same report.";

/// Arguments of `agora simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file the artifact was exported for.
    instance: PathBuf,
    /// The artifact directory (from agora export).
    dir: PathBuf,
    /// Impression opportunities in the day.
    #[arg(long, default_value_t = 100_000)]
    arrivals: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the agora.simulation/v1 report (written atomically).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the wall time of each phase (load and validate, read the artifact, each policy's
    /// setup, replay and report) to standard error, as one `timings:` line.
    #[arg(long)]
    timings: bool,
}

/// Simulates `arrivals` opportunities of `instance` served from the artifact in `dir`; prints a
/// table and writes the `agora.simulation/v1` report to `out`.
pub fn run(a: Args) -> Result<(), Failure> {
    let Args { instance, dir, arrivals, seed, out, timings } = a;
    let (instance, dir, out) = (instance.as_path(), dir.as_path(), out.as_deref());
    if arrivals == 0 || arrivals > MAX_ARRIVALS {
        return Err(usage(format!(
            "--arrivals {arrivals} is outside 1..={MAX_ARRIVALS}: every arrival is served by three policies, so {arrivals} arrivals are {} policy decisions",
            3 * arrivals as u128
        )));
    }
    let mut laps = super::Laps::start();
    let (inst, hash) = load_instance_bytes(instance)?;
    laps.lap("load+validate");
    super::guard_memory(instance, inst.edges.len(), agora_solver::memory::MemoryPath::GeneratedColumns)?;
    let report = agora_analysis::simulate_dir(&inst, dir, &hash, &SimulationConfig { arrivals, seed }, &mut |phase| laps.lap(phase)).map_err(|e| match e {
        agora_analysis::SimulateError::WrongInstance { .. } => err(anyhow::Error::from(e).context(dir.display().to_string())),
        e => err(e.into()),
    })?;
    println!("{} opportunities of {} impressions each, seed {seed}; plan objective {:.6}", arrivals, fmt_k(&inst, arrivals), report.plan.objective);
    println!("{:<12} {:>16} {:>10} {:>10} {:>28}", "policy", "objective", "retention", "overspend", "worst hard row (excess)");
    let policies: [(&str, &PolicyReport); 3] =
        [("exported", &report.exported), ("no_pacing", &report.baselines.no_pacing), ("online_dual", &report.baselines.online_dual)];
    for (name, p) in policies {
        let (excess, row) = worst_hard_row(&inst, p);
        let row = row.map(|r| format!("{r} ({:.2}%)", 100.0 * excess)).unwrap_or_else(|| "none beyond its limit".into());
        println!("{name:<12} {:>16.6} {:>9.2}% {:>10} {:>28}", p.objective, 100.0 * p.retention, if overspends(p) { "YES" } else { "no" }, row);
    }
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    write_out(out, &json)?;
    if timings {
        laps.lap("write");
        laps.print(inst.edges.len());
    }
    Ok(())
}

fn fmt_k(inst: &agora_instances::Instance, arrivals: usize) -> String {
    let total: f64 = inst.segments.iter().map(|s| s.supply).sum();
    format!("{:.4}", total / arrivals as f64)
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance).declare(&self.dir, Role::InputDir);
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}
