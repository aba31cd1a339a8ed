//! `agora estimate`: per-edge engagement from logged feedback, with 95% intervals, written as a
//! new day (docs/estimates.md).

use std::path::PathBuf;

use anyhow::Context;

use agora_analysis::offpolicy::{self, EstimateSettings, Estimator, Prior};
use agora_instances::logs::Logs;

use super::{err, load_validated, read_options, usage, write_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora import obd data/obd/bts/all --segment-by position --out obd-bts\n  agora estimate obd-bts.logs.csv --instance obd-bts.json --out obd-bts.estimated.json\n\nEvery edge of the day gets engagement (the estimate), engagement_lcb and engagement_ucb (its 95% interval) and n\n(its logged rounds). Plan on them with objective.engagement_estimate (point, pessimistic, optimistic) and the\nexploration_floor rule. The estimators and the prior: docs/estimates.md.";

/// Arguments of `agora estimate`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.logs/v1 CSV file.
    logs: PathBuf,
    /// The day whose edges are estimated.
    #[arg(long, value_name = "DAY")]
    instance: PathBuf,
    /// Where to write the estimated day (written atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// ips or snips.
    #[arg(long, default_value = "snips")]
    estimator: Estimator,
    /// empirical-bayes (shrink sparse edges toward segment x item means) or none.
    #[arg(long, default_value = "empirical-bayes")]
    prior: Prior,
}

/// Runs `agora estimate`.
pub fn run(a: Args) -> Result<(), Failure> {
    if a.estimator == Estimator::Dr {
        return Err(usage("--estimator dr needs a reward model, which is what estimate computes: use ips or snips".into()));
    }
    let day = load_validated(&a.instance)?;
    let logs = Logs::read(&a.logs, read_options()).map_err(|e| err(e.into()))?;
    let (estimated, estimates, summary) = offpolicy::estimate(&day.instance, &logs, &EstimateSettings { estimator: a.estimator, prior: a.prior })
        .with_context(|| format!("{} with {}", a.logs.display(), a.instance.display()))
        .map_err(err)?;
    println!(
        "{} rounds ({} outside the day's segments, {} on items without an edge there); {} edges estimated from rounds, {} without rounds",
        summary.rounds, summary.outside_day, summary.off_edges, summary.edges_logged, summary.edges_unlogged
    );
    match summary.kappa {
        Some(k) => println!("prior: empirical Bayes, strength {k:.1} pseudo-rounds toward segment x item means (reward scale {})", summary.reward_scale),
        None => println!("prior: none"),
    }
    let width: f64 = estimates.iter().map(|e| e.evidence.ucb - e.evidence.lcb).sum::<f64>() / estimates.len().max(1) as f64;
    println!("mean interval width {width:.6}");
    if summary.clipped > 0 {
        eprintln!(
            "warning: {} edge(s) had an engagement or interval above {:e}, the most a day holds (rewards on another scale?): clipped to it",
            summary.clipped,
            agora_instances::limits::MAX_PER_IMPRESSION
        );
    }
    write_out(Some(&a.out), &agora_instances::to_json(&estimated))
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.logs).input(&self.instance).output_file(&self.out);
    }
}
