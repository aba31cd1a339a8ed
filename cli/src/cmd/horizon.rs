//! `agora horizon`: a receding-horizon simulation of what policies do to creators, catalog and
//! users over many days.

use std::path::{Path, PathBuf};

use agora_analysis::horizon::{self, Dynamics, HorizonConfig, Policy, WarmCounts};
use agora_analysis::offpolicy::{EstimateSettings, Estimator, Prior};
use agora_instances::logs::Logs;
use agora_instances::output::{ExistingDir, Gate};

use agora_solver::memory::MemoryPath;

use super::{err, load_validated, settings_from, usage, write_dir_out, Failure, Progress};

pub const AFTER_HELP: &str = "Examples:\n  agora horizon instances/example-day.json --days 90 --policy engagement-only --policy ecosystem --replicas 5 --seed 1 --out horizon\n  agora horizon obd.json --days 90 --dynamics off --policy ecosystem --policy greedy --policy ucb --policy thompson \\\n    --warm-start obd.logs.csv --replicas 12 --out obd-horizon\n\nPolicies: engagement-only, ecosystem, greedy, lcb, ucb, thompson (built in), or an agora.policy/v1 file; the last four\n(and a file's `engagement`) plan on engagement learnt from what they serve, from --warm-start's logs if given, and\nthe horizon then measures every policy's regret. Dynamics: defaults, an agora.dynamics/v1 file, or `off`.\nWrites DIR/horizon.json (agora.horizon/v1), horizon.csv, active_creators.svg, engagement.svg, catalog.svg,\ncumulative_regret.svg (when a policy learns), index.html. See docs/horizon.md.";

use agora_analysis::horizon::{MAX_DAYS, MAX_REPLICAS};

/// Arguments of `agora horizon`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file: day 0.
    instance: PathBuf,
    /// Days to simulate.
    #[arg(long, default_value_t = 90)]
    days: usize,
    /// A policy: engagement-only, ecosystem, greedy, lcb, ucb, thompson, or an agora.policy/v1 file; give it once per policy.
    #[arg(long = "policy", value_name = "POLICY", value_hint = clap::ValueHint::FilePath)]
    policies: Vec<String>,
    /// An agora.dynamics/v1 file, or `off` (every transition off); default: the documented defaults.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    dynamics: Option<String>,
    /// The seed of replica 0 (replica r uses seed + r).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Independent replicas: means with 95% intervals.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// The daily discount factor of the discounted totals.
    #[arg(long, default_value_t = 0.99)]
    discount: f64,
    /// An agora.logs/v1 file the learning policies start from (through agora estimate's estimator and prior).
    #[arg(long, value_name = "LOGS")]
    warm_start: Option<PathBuf>,
    /// The warm start's estimator: ips or snips.
    #[arg(long, default_value = "snips", value_name = "ESTIMATOR")]
    warm_start_estimator: Estimator,
    /// The warm start's prior: empirical-bayes or none.
    #[arg(long, default_value = "empirical-bayes", value_name = "PRIOR")]
    warm_start_prior: Prior,
    /// A JSON settings file for the daily solves (docs/settings.md).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The directory to write (atomically; an existing one is replaced only if it holds nothing but a horizon's files).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

use agora_analysis::horizon::output::HORIZON_FILES as FILES;

/// Runs `agora horizon`.
pub fn run(a: Args) -> Result<(), Failure> {
    if !(1..=MAX_DAYS).contains(&a.days) {
        return Err(usage(format!("--days {} is outside 1..={MAX_DAYS}", a.days)));
    }
    if !(1..=MAX_REPLICAS).contains(&a.replicas) {
        return Err(usage(format!("--replicas {} is outside 1..={MAX_REPLICAS}", a.replicas)));
    }
    if !(a.discount > 0.0 && a.discount <= 1.0) {
        return Err(usage(format!("--discount {} is outside (0, 1]", a.discount)));
    }
    if a.warm_start_estimator == Estimator::Dr {
        return Err(usage("--warm-start-estimator dr needs a reward model, which is what the warm start estimates: use ips or snips".into()));
    }
    let specs = if a.policies.is_empty() { vec!["engagement-only".to_string(), "ecosystem".to_string()] } else { a.policies.clone() };
    let policies = specs.iter().map(|p| Policy::resolve_with(p, super::read_options())).collect::<Result<Vec<_>, _>>().map_err(|e| err(e.into()))?;
    if a.warm_start.is_some() && !policies.iter().any(|p| p.engagement.learns()) {
        return Err(usage("--warm-start is for learning policies, and none of these learns (greedy, lcb, ucb, thompson, or a file's \"engagement\")".into()));
    }
    let dynamics = match a.dynamics.as_deref() {
        None => Dynamics::default(),
        Some("off") => Dynamics::off(),
        Some(f) => Dynamics::load_with(Path::new(f), super::read_options()).map_err(|e| err(e.into()))?,
    };
    let day = load_validated(&a.instance)?;
    let settings = settings_from(a.settings.as_deref(), None, None).map_err(err)?;
    // Each day is sifted over its generated columns; a day sifting cannot certify is solved
    // cold on the user's settings, which may take the whole matrix: the guard takes the larger
    // (the dynamics' growth is bounded up front). Replicas run as many at once as the cores and
    // the memory allow, one at a time at least.
    let edges = day.instance.edges.len();
    let own = MemoryPath::of_solve(&agora_solver::Formulation::new(&day.instance), &settings);
    let path = if own.bytes_per_edge() > MemoryPath::Sifting.bytes_per_edge() { own } else { MemoryPath::Sifting };
    let parallelism = super::parallel_within_memory(&a.instance, edges, HorizonConfig::default().parallelism.min(a.replicas), path)?;
    let warm_start = match &a.warm_start {
        None => None,
        Some(path) => {
            let logs = Logs::read(path, super::read_options()).map_err(|e| err(e.into()))?;
            let est = EstimateSettings { estimator: a.warm_start_estimator, prior: a.warm_start_prior };
            let w = WarmCounts::from_logs(&day.instance, &logs, &est, &path.display().to_string())
                .map_err(|e| err(anyhow::Error::new(e).context(format!("--warm-start {} with {}", path.display(), a.instance.display()))))?;
            println!(
                "warm start: {} rounds of {}, {} of {} edges logged ({}, prior {}{})",
                w.summary.rounds,
                path.display(),
                w.summary.edges_logged,
                day.instance.edges.len(),
                w.summary.estimator,
                w.summary.prior,
                w.summary.kappa.map(|k| format!(", strength {k:.1} pseudo-rounds")).unwrap_or_default()
            );
            Some(w)
        }
    };
    let cfg = HorizonConfig {
        days: a.days,
        seed: a.seed,
        replicas: a.replicas,
        discount: a.discount,
        dynamics,
        settings,
        warm_start,
        track_regret: false,
        parallelism,
    };
    let bar = Progress::new(horizon::days_to_solve(&day.instance, &policies, a.days, a.replicas), "simulating days");
    let h = horizon::run(&day.instance, &policies, &cfg, &bar).map_err(|e| err(anyhow::Error::new(e).context(a.instance.display().to_string())))?;
    bar.finish();
    print!("{}", h.summary());
    let files = h.files().map_err(|e| err(anyhow::anyhow!("cannot draw the charts: {e}")))?;
    write_dir_out(&a.out, &files, &FILES)?;
    println!("\nwrote {} ({})", a.out.display(), files.iter().map(|f| f.0).collect::<Vec<_>>().join(", "));
    Ok(())
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        self.warm_start.iter().for_each(|p| _ = gate.input(p));
        for p in &self.policies {
            super::paths::input_unless_builtin(gate, p, |name| Policy::builtin(name).is_some());
        }
        if let Some(d) = &self.dynamics {
            super::paths::input_unless_builtin(gate, d, |name| name == "off");
        }
        gate.output_dir(&self.out, ExistingDir::ReplaceIfOnly(&FILES));
    }
}
