//! `agora evaluate`: a plan's expected reward per impression, estimated on logged feedback before
//! it is served (docs/estimates.md).

use std::path::{Path, PathBuf};

use anyhow::Context;

use agora_analysis::offpolicy::{self, Estimator, Policy};
use agora_analysis::report::check_solution;
use agora_instances::logs::Logs;
use agora_solver::SolutionFile;

use super::{err, load_validated, read_options, usage, write_out, Failure};

pub const AFTER_HELP: &str = "Examples:\n  agora solve obd-bts.json --out plan.json\n  agora evaluate plan.json obd-random.logs.csv --instance obd-bts.json --estimator snips\n  agora evaluate --uniform obd-bts.logs.csv --instance obd-bts.json\n  agora evaluate --empirical obd-bts.logs.csv obd-random.logs.csv --instance obd-random.json\n\nThe plan's policy is pi(item | segment) = impressions of the edge / impressions served in the segment. --uniform\nevaluates every edge of a segment equally likely; --empirical LOGS the action frequencies of another log. Only an\noptimal solution whose plan passes the independent feasibility check is evaluated. Writes agora.evaluation/v1\nwith --out.";

/// Arguments of `agora evaluate`.
#[derive(clap::Args)]
pub struct Args {
    /// SOLUTION LOGS: an agora.solution/v1 file of the day and an agora.logs/v1 file; LOGS alone with --uniform or --empirical.
    #[arg(num_args = 1..=2, value_names = ["SOLUTION", "LOGS"], required = true)]
    paths: Vec<PathBuf>,
    /// The day the policy plans.
    #[arg(long, value_name = "DAY")]
    instance: PathBuf,
    /// ips, snips or dr (dr uses the day's engagement as its reward model).
    #[arg(long, default_value = "snips")]
    estimator: Estimator,
    /// Evaluate the uniform policy over each segment's edges instead of a solution's plan.
    #[arg(long, conflicts_with = "empirical")]
    uniform: bool,
    /// Evaluate the action frequencies of another log (its logging policy, as a plan) instead of a solution's plan.
    #[arg(long, value_name = "LOGS")]
    empirical: Option<PathBuf>,
    /// Write the agora.evaluation/v1 JSON here (atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `agora evaluate`.
pub fn run(a: Args) -> Result<(), Failure> {
    let alternative = a.uniform || a.empirical.is_some();
    let (solution, logs_path): (Option<&Path>, &Path) = match (a.paths.as_slice(), alternative) {
        ([logs], true) => (None, logs),
        ([solution, logs], false) => (Some(solution), logs),
        ([_], false) => return Err(usage("give SOLUTION LOGS, or LOGS with --uniform or --empirical".into())),
        _ => return Err(usage("with --uniform or --empirical, give LOGS only (no SOLUTION)".into())),
    };
    let day = load_validated(&a.instance)?;
    let inst = &day.instance;
    let logs = Logs::read(logs_path, read_options()).map_err(|e| err(e.into()))?;
    let policy = if a.uniform {
        Policy::uniform(inst)
    } else if let Some(other) = &a.empirical {
        let other_logs = Logs::read(other, read_options()).map_err(|e| err(e.into()))?;
        Policy::empirical(inst, &other_logs, format!("action frequencies of {}", other.display()))
            .with_context(|| format!("{}", other.display()))
            .map_err(err)?
    } else {
        let path = solution.expect("matched above");
        let file: SolutionFile = super::load_json(path, |f: SolutionFile| Ok(f))?;
        let plan = check_solution(inst, &file, 1e-6).with_context(|| format!("{}", path.display())).map_err(err)?;
        Policy::from_plan(inst, &plan.x, format!("plan of {}", path.display()))
    };
    let ev = offpolicy::evaluate(inst, &logs, &policy, a.estimator).with_context(|| format!("{}", logs_path.display())).map_err(err)?;
    print!("{}", ev.summary());
    let json = serde_json::to_string_pretty(&ev).expect("evaluations serialise") + "\n";
    write_out(a.out.as_deref(), &json)
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        self.paths.iter().chain([&self.instance]).chain(&self.empirical).for_each(|p| _ = gate.input(p));
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}
