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

mod cmd;
mod oom;

/// A failed allocation exits 1 with a message, never aborts (oom.rs).
#[global_allocator]
static ALLOCATOR: oom::ExitOnFailure = oom::ExitOnFailure;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cmd::Failure;

#[derive(Parser)]
#[command(name = "agora", version, about = "Plan a day of exposure in a content marketplace: solve, price every rule, pace campaigns.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The largest input file any command reads, in bytes (checked before reading).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = agora_instances::limits::DEFAULT_MAX_INPUT_BYTES)]
    max_input_bytes: u64,
    /// Let an instance's edges_file be an absolute path or lie outside the instance's directory.
    #[arg(long, global = true)]
    allow_outside_edges: bool,
    /// The memory a command may plan to use: BYTES (suffixes K, M, G, T; KiB, MiB, GiB, TiB), or
    /// `none` to skip the check; default: what the machine has (the cgroup's limit or
    /// MemAvailable). A day whose estimated peak exceeds it is refused before the bulk is
    /// allocated (docs/backends.md, "Memory").
    #[arg(long, global = true, value_name = "BYTES", value_parser = cmd::memory_limit)]
    memory_limit: Option<cmd::MemoryLimit>,
}

/// One variant per command; each command's arguments and code live in `cmd/<command>.rs`.
#[derive(Subcommand)]
enum Command {
    /// Solve a day and print a planner's summary; write the agora.solution/v1 file with --out.
    #[command(after_help = cmd::solve::AFTER_HELP)]
    Solve(cmd::solve::Args),
    /// Check an instance file and report every problem in it.
    #[command(after_help = cmd::validate::AFTER_HELP)]
    Validate(cmd::validate::Args),
    /// Generate a realistic day (seeded, reproducible).
    #[command(after_help = cmd::generate::AFTER_HELP)]
    Generate(cmd::generate::Args),
    /// Solve a first-price pacing equilibrium (FPPE) of an agora.market/v1 file.
    #[command(after_help = cmd::fppe::AFTER_HELP)]
    Fppe(cmd::fppe::Args),
    /// Run an auction (agora.auction/v1) under a pricing rule.
    #[command(after_help = cmd::auction::AFTER_HELP)]
    Auction(cmd::auction::Args),
    /// Audit a day's plan for incentive properties under randomised deviations.
    #[command(after_help = cmd::audit::AFTER_HELP)]
    Audit(cmd::audit::Args),
    /// Explain an infeasible day: the conflicting rules and the smallest change that makes it feasible.
    #[command(after_help = cmd::diagnose::AFTER_HELP)]
    Diagnose(cmd::diagnose::Args),
    /// Simulate many days: what each policy's rules do to creators, catalog and users.
    #[command(after_help = cmd::horizon::AFTER_HELP)]
    Horizon(cmd::horizon::Args),
    /// Estimate every edge's engagement from logged feedback (IPS/SNIPS, 95% intervals, empirical-Bayes shrinkage).
    #[command(after_help = cmd::estimate::AFTER_HELP)]
    Estimate(cmd::estimate::Args),
    /// Estimate a plan's click-through on logged feedback before it is served (IPS, SNIPS, DR).
    #[command(after_help = cmd::evaluate::AFTER_HELP)]
    Evaluate(cmd::evaluate::Args),
    /// Build a day from a public data set (MovieLens-100k; the Open Bandit Dataset's logs and day).
    #[command(after_help = cmd::import::AFTER_HELP)]
    Import(cmd::import::Args),
    /// Export an optimal solution to a serving artifact (agora.serving/v1 directory).
    #[command(after_help = cmd::export::AFTER_HELP)]
    Export(cmd::export::Args),
    /// Simulate a day of serving from an artifact, against the no_pacing and online_dual baselines.
    #[command(after_help = cmd::simulate::AFTER_HELP)]
    Simulate(cmd::simulate::Args),
    /// Report on a solved day: ecosystem metrics, the price of every rule, content gaps; SVG charts.
    #[command(after_help = cmd::report::AFTER_HELP)]
    Report(cmd::report::Args),
    /// Sweep one parameter (a tradeoff curve) or two (a grid): optimum, terms, metrics and slopes at every point.
    #[command(after_help = cmd::frontier::AFTER_HELP)]
    Frontier(cmd::frontier::Args),
    /// Test a rule change before launch: the truth, and each experimental design's estimate, bias and power.
    #[command(after_help = cmd::experiment::AFTER_HELP)]
    Experiment(cmd::experiment::Args),
}

/// Every path `command` reads and writes, declared to one gate (cmd::paths).
fn declared(command: &Command) -> agora_instances::output::Gate {
    use cmd::paths::Declare;
    let mut gate = agora_instances::output::Gate::new();
    let args: &dyn Declare = match command {
        Command::Solve(a) => a,
        Command::Validate(a) => a,
        Command::Generate(a) => a,
        Command::Fppe(a) => a,
        Command::Auction(a) => a,
        Command::Audit(a) => a,
        Command::Diagnose(a) => a,
        Command::Horizon(a) => a,
        Command::Estimate(a) => a,
        Command::Evaluate(a) => a,
        Command::Import(a) => a,
        Command::Export(a) => a,
        Command::Simulate(a) => a,
        Command::Report(a) => a,
        Command::Frontier(a) => a,
        Command::Experiment(a) => a,
    };
    args.declare(&mut gate);
    gate
}

fn main() -> ExitCode {
    oom::return_large_blocks();
    let cli = Cli::parse();
    cmd::set_read_options(agora_instances::ReadOptions { max_input_bytes: cli.max_input_bytes, allow_outside_edges: cli.allow_outside_edges, shard: None });
    cmd::set_memory_limit(cli.memory_limit.unwrap_or(cmd::MemoryLimit::Detected));
    // Every path the command reads and writes passes the gate before any work.
    if let Err(failure) = cmd::paths::install(declared(&cli.command)) {
        // Under mpirun every process refuses alike; the first says why.
        let other_process = std::env::var("PMI_RANK").is_ok_and(|r| r != "0");
        return if other_process { ExitCode::from(failure.0) } else { fail(failure) };
    }
    let result = match cli.command {
        Command::Solve(a) => cmd::solve::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Generate(a) => cmd::generate::run(a),
        Command::Fppe(a) => cmd::fppe::run(a),
        Command::Auction(a) => cmd::auction::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Diagnose(a) => cmd::diagnose::run(a),
        Command::Horizon(a) => cmd::horizon::run(a),
        Command::Estimate(a) => cmd::estimate::run(a),
        Command::Evaluate(a) => cmd::evaluate::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Frontier(a) => cmd::frontier::run(a),
        Command::Experiment(a) => cmd::experiment::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

/// Prints a failure's message and returns its exit code.
fn fail(Failure(code, e): Failure) -> ExitCode {
    // A distributed solve's other processes leave the message to the root.
    if !e.is::<cmd::Reported>() {
        eprintln!("error: {e:#}");
    }
    ExitCode::from(code)
}
