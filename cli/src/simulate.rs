//! `agora simulate`: a day of serving from an artifact, against two baselines.

use std::path::Path;

use anyhow::Context;

use agora_mechanisms::serving::simulate::{overspends, worst_hard_row, PolicyReport};
use agora_mechanisms::serving::{self, SimulationConfig};

use crate::export::load_instance_bytes;
use crate::{err, write_out, Failure};

/// Simulates `arrivals` opportunities of `instance` served from the artifact in `dir`; prints a
/// table and writes the `agora.simulation/v1` report to `out`.
pub fn run(
    instance: &Path,
    dir: &Path,
    arrivals: usize,
    seed: u64,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let (inst, hash) = load_instance_bytes(instance).map_err(err)?;
    let artifact = serving::read_dir(dir).map_err(|e| err(e.into()))?;
    serving::check_instance(&artifact, &inst.name, &hash)
        .with_context(|| format!("{}", dir.display()))
        .map_err(err)?;
    let report = serving::simulate(&inst, &artifact, &SimulationConfig { arrivals, seed })
        .map_err(|e| err(e.into()))?;
    println!(
        "{} opportunities of {} impressions each, seed {seed}; plan objective {:.6}",
        arrivals,
        fmt_k(&inst, arrivals),
        report.plan.objective
    );
    println!(
        "{:<12} {:>16} {:>10} {:>10} {:>28}",
        "policy", "objective", "retention", "overspend", "worst hard row (excess)"
    );
    let policies: [(&str, &PolicyReport); 3] = [
        ("exported", &report.exported),
        ("no_pacing", &report.baselines.no_pacing),
        ("online_dual", &report.baselines.online_dual),
    ];
    for (name, p) in policies {
        let (excess, row) = worst_hard_row(&inst, p);
        let row = row
            .map(|r| format!("{r} ({:.2}%)", 100.0 * excess))
            .unwrap_or_else(|| "none beyond its limit".into());
        println!(
            "{name:<12} {:>16.6} {:>9.2}% {:>10} {:>28}",
            p.objective,
            100.0 * p.retention,
            if overspends(p) { "YES" } else { "no" },
            row
        );
    }
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    write_out(out, &json)
}

fn fmt_k(inst: &agora_instances::Instance, arrivals: usize) -> String {
    let total: f64 = inst.segments.iter().map(|s| s.supply).sum();
    format!("{:.4}", total / arrivals as f64)
}
