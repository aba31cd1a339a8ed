//! `agora`: plan a day of exposure in a content marketplace.
//!
//! Exit codes: 0 success (for `solve`: an optimal plan), 1 an error (bad file, bad settings),
//! 2 bad command-line usage, 3 the solve ended without an optimum.

// `print!` and `println!` that never panic: std's panic when stdout is closed
// (`agora report ... | head`), which would abort a command before it writes its files. Printing is
// best effort; the files and the exit status are what count. Defined before the modules, so that
// every module of the binary uses these.
macro_rules! print {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}
macro_rules! println {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod export;
mod simulate;
mod report;
mod frontier;
mod summary;
mod warm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use agora_instances::{load, write_atomic, Size};
use agora_solver::{BackendChoice, FirstOrderMethod, Settings};

#[derive(Parser)]
#[command(name = "agora", version, about = "Plan a day of exposure in a content marketplace: solve, price every rule, pace campaigns.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a day and print a planner's summary; write the agora.solution/v1 file with --out.
    #[command(after_help = "Example:\n  agora solve instances/example-day.json --out solution.json\n  agora solve day2.json --backend first-order --warm-start day1-solution.json\n\nExit status: 0 optimal, 1 error, 2 usage, 3 not optimal (infeasible, time limit, ...).")]
    Solve {
        /// The agora.instance/v1 file.
        instance: PathBuf,
        /// Where to write the solution file (written atomically).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Backend: highs, clarabel, auto or first-order.
        #[arg(long)]
        backend: Option<BackendChoice>,
        /// The first-order backend's method: auto (sifting for LPs, PDHG for QPs), sifting (LPs
        /// only) or pdhg; implies --backend first-order.
        #[arg(long)]
        method: Option<FirstOrderMethod>,
        /// Wall-clock limit in seconds.
        #[arg(long, value_name = "SECONDS")]
        time_limit: Option<f64>,
        /// A JSON settings file (see README); command-line flags override it.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// How many binding rules and paced campaigns to list.
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// Start the first-order backend from an earlier agora.solution/v1 file (its plan and
        /// duals); implies --backend first-order.
        #[arg(long, value_name = "SOLUTION")]
        warm_start: Option<PathBuf>,
    },
    /// Check an instance file and report every problem in it.
    #[command(after_help = "Example:\n  agora validate instances/example-day.json")]
    Validate {
        /// The agora.instance/v1 file.
        instance: PathBuf,
    },
    /// Solve a first-price pacing equilibrium (FPPE) of an agora.market/v1 file.
    #[command(after_help = "Example:\n  agora fppe market.json --out fppe.json\n\nInput: {\"schema\":\"agora.market/v1\",\"goods\":[{\"id\":\"g1\",\"supply\":1}],\"bidders\":[{\"id\":\"b1\",\"budget\":2,\"values\":{\"g1\":2}}]}")]
    Fppe {
        /// The agora.market/v1 file.
        market: PathBuf,
        /// Where to write the agora.fppe/v1 result (written atomically).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run an auction (agora.auction/v1) under a pricing rule.
    #[command(after_help = "Example:\n  agora auction bids.json --rule vcg\n\nRules: second-price, first-price (one item, optional reserve); gsp, vcg (slots with click-through rates).")]
    Auction {
        /// The agora.auction/v1 file.
        file: PathBuf,
        /// second-price, first-price, gsp or vcg.
        #[arg(long)]
        rule: agora_mechanisms::auction::Rule,
        /// Where to write the agora.auction-result/v1 file (written atomically).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Audit a day's plan for incentive properties under randomised deviations.
    #[command(after_help = "Example:\n  agora audit instances/example-day.json --trials 8 --seed 1\n\nProperties: budget_feasibility, creator_monotonicity, sybil_same_group, sybil_new_account (see README).\nExit status: 0 audit ran (a failing property is a finding, printed), 1 error, 2 usage, 3 the day has no optimal plan,\n4 a property fails and --fail-on-violation was given.")]
    Audit {
        /// The agora.instance/v1 file.
        instance: PathBuf,
        /// Deviations tried per property.
        #[arg(long, default_value_t = 8)]
        trials: usize,
        /// Seed of the deviations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the agora.audit/v1 JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Exit with status 4 when a property fails.
        #[arg(long)]
        fail_on_violation: bool,
    },
    /// Export an optimal solution to a serving artifact (agora.serving/v1 directory).
    #[command(after_help = "Example:\n  agora export solution.json --instance instances/example-day.json --out serving/\n\nRefuses (writing nothing) a solution that is not optimal (exit 3), names another instance,\nor whose plan fails the independent feasibility check (exit 1). The directory is written\natomically and must not exist (or be empty). See README, \"Serving: the score rule\".")]
    Export {
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
    },
    /// Simulate a day of serving from an artifact, against the no_pacing and online_dual baselines.
    #[command(after_help = "Example:\n  agora simulate instances/example-day.json serving/ --arrivals 100000 --seed 1 --out simulation.json\n\nWrites agora.simulation/v1; the same seed gives the same report.")]
    Simulate {
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
    },
    /// Report on a solved day: ecosystem metrics, the price of every rule, content gaps; SVG charts.
    #[command(after_help = "Example:\n  agora solve instances/example-day.json --out solution.json\n  agora report instances/example-day.json solution.json --out report\n\nWrites DIR/report.json (agora.report/v1), lorenz.svg, topic_mix.svg, shadow_prices.svg, rule_prices.svg.\nRefuses a solution of another instance, a non-optimal one, or a plan that breaks a rule (exit 1).")]
    Report {
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
        /// A JSON settings file for the re-solves (see README); --backend overrides it.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// How many rules and gaps to list.
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// Gap items' attributes: mean (plain mean of the topic's edges) or served (weighted by the plan).
        #[arg(long, default_value = "mean")]
        gap_profile: agora_mechanisms::report::Profile,
    },
    /// Sweep one parameter (a tradeoff curve) or two (a grid): optimum, terms, metrics and slopes at every point.
    #[command(after_help = "Example:\n  agora frontier instances/example-day.json --sweep new-creator-exposure.min=0..300000 --points 13 --out frontier\n  agora frontier day.json --sweep ad-load.max_share=0.1..0.3 --points 5 --sweep objective.revenue=0..20 --points 5 --out grid\n\nPARAM: supply[SEGMENT], budget[CAMPAIGN], cap[ITEM], objective.WEIGHT, CONSTRAINT.FIELD (min, max, max_share, min_share, tolerance, penalty).\nWrites DIR/frontier.json, frontier.csv, frontier.svg. Exit status: 0 written, 1 error, 2 usage (bad sweep, unknown parameter), 3 no point optimal.")]
    Frontier(frontier::FrontierArgs),
    /// Generate a realistic day (seeded, reproducible).
    #[command(after_help = "Example:\n  agora generate --size small --seed 7 --out small-7.json\n  agora generate --size large --edges 10000000 --out big.json   (edges in big.edges.csv)\n\nSizes: tiny (~50 edges), small (~thousands), medium (~10^5), large (>= 10^6, columnar).")]
    Generate {
        /// tiny, small, medium or large.
        #[arg(long)]
        size: Size,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Scale the large preset to about this many edges (e.g. 10000000); --size is then ignored.
        #[arg(long)]
        edges: Option<usize>,
        /// Write the edges to OUT's stem + .edges.csv (the default for large days and --edges).
        #[arg(long)]
        columnar: bool,
    },
}

/// A failure with its exit code.
struct Failure(u8, anyhow::Error);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}

fn err(e: anyhow::Error) -> Failure {
    Failure(1, e)
}

fn run(cli: Cli) -> std::result::Result<(), Failure> {
    match cli.command {
        Command::Solve { instance, out, backend, method, time_limit, settings, top, warm_start } => {
            solve(&instance, out.as_deref(), backend, method, time_limit, settings.as_deref(), top, warm_start.as_deref())
        }
        Command::Validate { instance } => validate(&instance).map_err(err),
        Command::Fppe { market, out } => {
            use agora_mechanisms::{fppe, fppe_report, market as mk};
            let m = mk::load(&market).map_err(|e| err(e.into()))?;
            let result = fppe::solve(&m).with_context(|| format!("{}", market.display())).map_err(err)?;
            print!("{}", fppe_report::summary(&result, &m));
            write_out(out.as_deref(), &fppe_report::to_json(&result, &m))
        }
        Command::Auction { file, rule, out } => {
            use agora_mechanisms::{auction, auction_file};
            let a = auction_file::load(&file).map_err(|e| err(e.into()))?;
            let outcome = auction::run(&a, rule).with_context(|| format!("{}", file.display())).map_err(err)?;
            print!("{}", auction_file::summary(&outcome, &a));
            write_out(out.as_deref(), &auction_file::to_json(&outcome, &a))
        }
        Command::Audit { instance, trials, seed, json, fail_on_violation } => {
            use agora_mechanisms::audit::{audit, AuditConfig, AuditError};
            let inst = load_instance(&instance).map_err(err)?;
            let cfg = AuditConfig { trials, seed, ..AuditConfig::default() };
            let report = audit(&inst, &cfg).map_err(|e| match e {
                AuditError::NotOptimal { .. } => Failure(3, anyhow::Error::new(e).context(instance.display().to_string())),
                AuditError::Solve(_) => err(anyhow::Error::new(e).context(instance.display().to_string())),
            })?;
            if json {
                print!("{}", report.to_json());
            } else {
                println!("audit of \"{}\" ({}), seed {seed}:\n", inst.name, inst.shape());
                print!("{}", report.table());
            }
            if fail_on_violation && !report.all_hold() {
                return Err(Failure(4, anyhow::anyhow!("{}: a property fails (see the table)", instance.display())));
            }
            Ok(())
        }
        Command::Export { solution, instance, out, valid_from, valid_to } => export::run(&solution, &instance, &out, valid_from, valid_to),
        Command::Simulate { instance, dir, arrivals, seed, out } => simulate::run(&instance, &dir, arrivals, seed, out.as_deref()),
        Command::Report { instance, solution, out, backend, settings, top, gap_profile } => {
            let args = report::Args { instance: &instance, solution: &solution, out: &out, backend, settings: settings.as_deref(), top, gap_profile };
            report::run(args).map_err(err)
        }
        Command::Frontier(args) => frontier::run(args),
        Command::Generate { size, seed, out, edges, columnar } => {
            let config = match edges {
                Some(n) => agora_instances::GenerateConfig::for_edges(n),
                None => agora_instances::GenerateConfig::for_size(size),
            };
            let inst = agora_instances::generate_with(&config, seed);
            if columnar || edges.is_some() || size == Size::Large {
                let csv = agora_instances::columnar::save_columnar(&inst, &out).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
                println!("wrote {} and {} ({})", out.display(), csv.display(), inst.shape());
            } else {
                agora_instances::save(&inst, &out).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
                println!("wrote {} ({})", out.display(), inst.shape());
            }
            Ok(())
        }
    }
}

/// Writes `text` to `out` atomically, when an output was asked for.
fn write_out(out: Option<&Path>, text: &str) -> std::result::Result<(), Failure> {
    if let Some(out) = out {
        write_atomic(out, text.as_bytes()).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("\nwrote {}", out.display());
    }
    Ok(())
}

/// Settings from an optional `--settings FILE`, with `--backend` and `--time-limit` on top.
fn settings_from(file: Option<&Path>, backend: Option<BackendChoice>, time_limit: Option<f64>) -> Result<Settings> {
    let mut settings = match file {
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
            Settings::from_json(&text).with_context(|| format!("{}", f.display()))?
        }
        None => Settings::default(),
    };
    if let Some(b) = backend {
        settings.backend = b;
    }
    if time_limit.is_some() {
        settings.time_limit = time_limit;
    }
    Ok(settings)
}

fn load_instance(path: &Path) -> Result<agora_instances::Instance> {
    let v = load(path)?;
    for w in &v.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(v.instance)
}

fn validate(path: &Path) -> Result<()> {
    let inst = load_instance(path)?;
    println!("{}: valid agora.instance/v1 \"{}\" ({})", path.display(), inst.name, inst.shape());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn solve(
    path: &Path,
    out: Option<&Path>,
    backend: Option<BackendChoice>,
    method: Option<FirstOrderMethod>,
    time_limit: Option<f64>,
    settings_file: Option<&Path>,
    top: usize,
    warm_start: Option<&Path>,
) -> std::result::Result<(), Failure> {
    let backend = backend.or(method.map(|_| BackendChoice::FirstOrder));
    let mut settings = settings_from(settings_file, backend, time_limit).map_err(err)?;
    if let Some(m) = method {
        settings.first_order_method = m;
    }
    let inst = load_instance(path).map_err(err)?;
    let sol = match warm_start {
        Some(w) => warm::solve(&inst, &mut settings, backend, w)?,
        None => agora_solver::solve(&inst, &settings).map_err(|e| err(e.into()))?,
    };
    let file = agora_mechanisms::pacing::solution_file(&inst, &sol);
    print!("{}", summary::render(&inst, &sol, &file.pacing, top));
    write_out(out, &file.to_json())?;
    if !sol.status.is_optimal() {
        return Err(Failure(
            3,
            anyhow::anyhow!("the solve ended {}: the plan is not trustworthy{}", sol.status, sol.message.map(|m| format!(" ({m})")).unwrap_or_default()),
        ));
    }
    Ok(())
}
