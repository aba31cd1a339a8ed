//! `agora report`: read an instance and an optimal solution of it, print the report's tables,
//! write `report.json` and the SVG charts into a directory (a temporary directory, then a rename).

use std::path::PathBuf;

use anyhow::{Context, Result};

use agora_analysis::report::{self, Profile, ReportSettings};
use agora_mechanisms::audit::Audit;
use agora_solver::{BackendChoice, SolutionFile};

use agora_analysis::report::REPORT_FILES;
use agora_instances::output::{ExistingDir, Gate};

use super::{err, load_validated, settings_from, write_dir_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora solve instances/example-day.json --out solution.json\n  agora audit instances/example-day.json --out audit.json\n  agora report instances/example-day.json solution.json --audit audit.json --out report\n\nWrites DIR/report.json (agora.report/v1), lorenz.svg, topic_mix.svg, shadow_prices.svg, rule_prices.svg and index.html (the whole report as one self-contained page: open it in a browser).\nWith --audit, report.json gains `incentives` and the page an Incentives section (the audit's checks and the trials that gained or lost).\nRefuses a solution or audit of another instance, a non-optimal solution, a plan that breaks a rule, or an --out that is or contains an input (exit 1).";

/// Arguments of `agora report`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// An agora.solution/v1 file of that instance (from `agora solve --out`).
    solution: PathBuf,
    /// The directory to write (never left partial; an existing one is replaced only if it holds nothing but a report).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Backend of the re-solves that price each rule: highs, clarabel or auto.
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// A JSON settings file for the re-solves (docs/settings.md); --backend overrides it.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// An agora.audit/v2 file of the same instance (from `agora audit --out`): adds the incentive section.
    #[arg(long, value_name = "FILE")]
    audit: Option<PathBuf>,
    /// How many rules and gaps to list.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Gap items' attributes: mean (plain mean of the topic's edges) or served (weighted by the plan).
    #[arg(long, default_value = "mean")]
    gap_profile: Profile,
    #[command(flatten)]
    tables: super::tables::TableArgs,
}

/// Runs `agora report`; every failure is an error naming the file.
pub fn run(mut args: Args) -> Result<(), Failure> {
    let day = load_validated(&args.instance)?;
    let solve = settings_from(args.settings.as_deref(), args.backend, None).map_err(err)?;
    // The rule prices re-solve the day on the path a solve takes (sifted from the day's
    // solution on a large day). Below AUTO_SIFTING_EDGES edges, as many at once as the memory
    // allows, each on a copy of the day; from there on one at a time on the day itself, so the
    // report peaks near a solve (on the 10^7-edge day two at a time took 3.0 GB).
    let path = agora_solver::memory::MemoryPath::of_solve(&agora_solver::Formulation::new(&day.instance), &solve);
    let edges = day.instance.edges.len();
    let parallelism = if edges < agora_solver::AUTO_SIFTING_EDGES {
        super::parallel_within_memory(&args.instance, edges, agora_solver::available_parallelism(), path)?
    } else {
        super::guard_memory(&args.instance, edges, path)?;
        1
    };
    let file: SolutionFile = super::load_json(&args.solution, |f: SolutionFile| Ok(f))?;
    let tables = std::mem::take(&mut args.tables);
    let settings = ReportSettings { solve, gap_profile: args.gap_profile, parallelism, ..ReportSettings::default() };
    let mut inst = day.instance;
    report(args, &mut inst, &file, &settings).map_err(err)?;
    tables.write(&inst, &file)
}

fn report(args: Args, inst: &mut agora_instances::Instance, file: &SolutionFile, settings: &ReportSettings) -> Result<()> {
    let audit = match &args.audit {
        Some(path) => {
            let text = agora_instances::read_input(path, super::read_options())?;
            let audit = Audit::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some((path, audit))
        }
        None => None,
    };
    let mut rep = report::build_in_place(inst, file, settings).with_context(|| format!("{}", args.solution.display()))?;
    if let Some((path, audit)) = audit {
        rep = rep.with_audit(inst, audit).with_context(|| format!("{}", path.display()))?;
    }
    let files = rep.files()?;
    print!("{}", report::tables::render(&rep, args.top));
    // An existing directory is replaced only when it holds nothing but a report's files.
    write_dir_out(&args.out, &files, &REPORT_FILES).map_err(|Failure(_, e)| e)?;
    println!("\nwrote {} ({})", args.out.display(), files.iter().map(|f| f.0).collect::<Vec<_>>().join(", "));
    Ok(())
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance).input(&self.solution);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        self.audit.iter().for_each(|p| _ = gate.input(p));
        gate.output_dir(&self.out, ExistingDir::ReplaceIfOnly(&REPORT_FILES));
        self.tables.declare(gate);
    }
}
