//! `agora experiment`: before launching a rule change, how biased each experimental design would
//! be on this day, against the truth two whole-market solves give.

use std::path::{Path, PathBuf};

use agora_analysis::experiment::output::EXPERIMENT_FILES;
use agora_analysis::experiment::{self, Design, ExperimentConfig, ExperimentError, NoiseConfig, SwitchbackConfig, Treatment};
use agora_analysis::horizon::Dynamics;
use agora_instances::output::{ExistingDir, Gate};
use agora_solver::BackendChoice;

use super::{err, load_validated, read_options, settings_from, usage, write_dir_out, Failure};

pub const AFTER_HELP: &str = "Examples:\n  agora experiment day.json --treatment bid.json --design user-split --design budget-split --out exp\n  agora experiment day.json --treatment floor.json --design creator-split --fraction 0.3 --arrivals 100000 --replicas 30 --out exp\n  agora experiment day.json --treatment floor.json --design switchback --days 56 --block 7 --out exp\n\nCHANGE is an agora.change/v1 file (rules added, removed or changed; parameters set or scaled by the names\nfrontiers use; edge prices and engagement) or a whole day of the same segments and items. Writes\nDIR/experiment.json (agora.experiment/v1), experiment.csv, estimates.svg and index.html. See docs/experiments.md.";

/// The most replicas of the serving simulation.
pub const MAX_REPLICAS: usize = 10_000;
/// The most arrivals of one serving.
pub const MAX_ARRIVALS: usize = 100_000_000;

/// Arguments of `agora experiment`.
#[derive(clap::Args)]
pub struct Args {
    /// The control day (agora.instance/v1).
    instance: PathBuf,
    /// The change: an agora.change/v1 file, or the changed day itself.
    #[arg(long, value_name = "CHANGE")]
    treatment: PathBuf,
    /// A design: user-split, budget-split, creator-split or switchback; give it once per design
    /// (default: user-split, budget-split and creator-split).
    #[arg(long = "design", value_name = "DESIGN")]
    designs: Vec<Design>,
    /// The treated fraction of users, of the market or of creators, in (0, 1).
    #[arg(long, default_value_t = 0.5)]
    fraction: f64,
    /// creator-split: the creators treated, by id (comma-separated), instead of a seeded draw.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    creators: Option<Vec<String>>,
    /// switchback: days of the experiment.
    #[arg(long, default_value_t = 28)]
    days: usize,
    /// switchback: days under the control rules before the experiment starts.
    #[arg(long, default_value_t = 14)]
    warm_up: usize,
    /// switchback: days per block.
    #[arg(long, default_value_t = 7)]
    block: usize,
    /// switchback: days at the start of each block left out of the estimate.
    #[arg(long, default_value_t = 1)]
    burn_in: usize,
    /// switchback: an agora.dynamics/v1 file, or `off`; default: the documented defaults.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    dynamics: Option<String>,
    /// Impression opportunities of one simulated serving of the whole market: with --replicas,
    /// each estimate's standard error and power.
    #[arg(long)]
    arrivals: Option<usize>,
    /// Simulated servings (at least 2).
    #[arg(long, default_value_t = 20)]
    replicas: usize,
    /// The seed of the creator draw and of the simulated servings.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Backend of the solves: highs, clarabel, auto or first-order.
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// A JSON settings file for the solves (docs/settings.md).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The directory to write (atomically; an existing one is replaced only if it holds nothing but an experiment's files).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance).input(&self.treatment);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        if let Some(d) = &self.dynamics {
            super::paths::input_unless_builtin(gate, d, |name| name == "off");
        }
        gate.output_dir(&self.out, ExistingDir::ReplaceIfOnly(&EXPERIMENT_FILES));
    }
}

/// Runs `agora experiment`.
pub fn run(a: Args) -> Result<(), Failure> {
    if !(a.fraction > 0.0 && a.fraction < 1.0) {
        return Err(usage(format!("--fraction {} is outside (0, 1)", a.fraction)));
    }
    if a.arrivals.is_some_and(|n| n == 0 || n > MAX_ARRIVALS) {
        return Err(usage(format!("--arrivals is outside 1..={MAX_ARRIVALS}")));
    }
    if !(2..=MAX_REPLICAS).contains(&a.replicas) {
        return Err(usage(format!("--replicas {} is outside 2..={MAX_REPLICAS}", a.replicas)));
    }
    if !(1..=agora_analysis::horizon::MAX_DAYS).contains(&(a.days + a.warm_up)) {
        return Err(usage(format!("--days {} with --warm-up {} is outside 1..={} days", a.days, a.warm_up, agora_analysis::horizon::MAX_DAYS)));
    }
    let dynamics = match a.dynamics.as_deref() {
        None => Dynamics::default(),
        Some("off") => Dynamics::off(),
        Some(f) => Dynamics::load_with(Path::new(f), read_options()).map_err(|e| err(e.into()))?,
    };
    let day = load_validated(&a.instance)?;
    // Every design solves the day's whole matrix at least once (the joint ones twice its size);
    // designs run as many at once as the cores and the memory allow, one at a time at least.
    let defaults = ExperimentConfig::default();
    let designs = if a.designs.is_empty() { defaults.designs } else { a.designs.clone() };
    let wanted = defaults.parallelism.min(designs.len());
    let parallelism = super::parallel_within_memory(&a.instance, 2 * day.instance.edges.len(), wanted, agora_solver::memory::MemoryPath::WholeHighs)?;
    let treatment = Treatment::load(&a.treatment, &day.instance, read_options()).map_err(|e| err(e.into()))?;
    let cfg = ExperimentConfig {
        parallelism,
        designs,
        fraction: a.fraction,
        noise: a.arrivals.map(|arrivals| NoiseConfig { arrivals, replicas: a.replicas }),
        switchback: SwitchbackConfig { days: a.days, warm_up: a.warm_up, block: a.block, burn_in: a.burn_in, dynamics },
        treated_creators: a.creators.clone(),
        seed: a.seed,
        settings: settings_from(a.settings.as_deref(), a.backend, None).map_err(err)?,
    };
    let e = experiment::run(&day.instance, &treatment, &cfg).map_err(|e| match e {
        ExperimentError::Config(m) => usage(m),
        ExperimentError::NotOptimal { .. } => Failure(3, anyhow::Error::new(e).context(a.instance.display().to_string())),
        other => err(anyhow::Error::new(other).context(a.instance.display().to_string())),
    })?;
    print!("{}", e.summary());
    let files = e.files().map_err(|m| err(anyhow::anyhow!("cannot draw the chart: {m}")))?;
    write_dir_out(&a.out, &files, &EXPERIMENT_FILES)?;
    println!("\nwrote {} ({})", a.out.display(), EXPERIMENT_FILES.join(", "));
    Ok(())
}
