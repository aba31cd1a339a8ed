//! `agora frontier`: sweep one or two parameters, print the curve, write the frontier files.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};

use agora_analysis::frontier as output;
use agora_solver::frontier::{self, FrontierSettings, Sweep, MAX_POINTS};
use agora_solver::memory::MemoryPath;
use agora_solver::BackendChoice;

use agora_instances::output::{ExistingDir, Gate, OutputKind};

use super::{err, load_validated, positive_seconds, settings_from, Failure, Progress};

pub const AFTER_HELP: &str = "Example:\n  agora frontier instances/example-day.json --sweep new-creator-exposure.min=0..300000 --points 13 --out frontier\n  agora frontier day.json --sweep ad-load.max_share=0.1..0.3 --points 5 --sweep objective.revenue=0..20 --points 5 --out grid\n\nPARAM: supply[SEGMENT], budget[CAMPAIGN], cap[ITEM], objective.WEIGHT, CONSTRAINT.FIELD (min, max, max_share, min_share, tolerance, penalty).\nWrites DIR/frontier.json, frontier.csv, frontier.svg and index.html (one self-contained page). Exit status: 0 written, 1 error, 2 usage (bad sweep, unknown parameter), 3 no point optimal.";

/// Arguments of `agora frontier`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// A parameter and its range: supply[SEGMENT], budget[CAMPAIGN], cap[ITEM], objective.WEIGHT
    /// or CONSTRAINT.FIELD, e.g. ad-load.max_share=0.1..0.3. Give it twice for a grid.
    #[arg(long = "sweep", value_name = "PARAM=FROM..TO", required = true)]
    sweeps: Vec<String>,
    /// Points of each sweep (>= 2), in the order of the sweeps; one value applies to all.
    #[arg(long = "points", value_name = "N", required = true)]
    points: Vec<usize>,
    /// The directory to write frontier.json, frontier.csv, frontier.svg and index.html into (atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Backend: highs, clarabel, auto or first-order (hot starts need HiGHS on an LP; first-order
    /// points start from the previous point's plan and duals).
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// Wall-clock limit per point, in seconds (positive).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    time_limit: Option<f64>,
    /// A JSON settings file (docs/settings.md); command-line flags override it.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Solve every point from scratch (for comparison; slower).
    #[arg(long)]
    no_hot_start: bool,
}

/// Runs `agora frontier`.
pub fn run(a: Args) -> Result<(), Failure> {
    let usage = |e: anyhow::Error| Failure(2, e);
    let solve = settings_from(a.settings.as_deref(), a.backend, a.time_limit).map_err(err)?;
    if a.points.len() != 1 && a.points.len() != a.sweeps.len() {
        return Err(usage(anyhow!("give one --points for all sweeps or one per --sweep ({} sweeps, {} --points)", a.sweeps.len(), a.points.len())));
    }
    if a.sweeps.len() > 2 {
        return Err(usage(anyhow!("give one --sweep (a curve) or two (a grid), not {}", a.sweeps.len())));
    }
    let asked: u128 = if a.points.len() == 1 { (a.points[0] as u128).pow(a.sweeps.len() as u32) } else { a.points.iter().map(|&p| p as u128).product() };
    if asked > MAX_POINTS as u128 {
        return Err(usage(anyhow!(
            "the frontier asked for {asked} points, each a solve of the day; the limit is {MAX_POINTS} (fewer --points, or a narrower range)"
        )));
    }
    let day = load_validated(&a.instance)?;
    let mut inst = day.instance;
    let sweeps = a
        .sweeps
        .iter()
        .enumerate()
        .map(|(k, s)| Sweep::parse(&inst, s, a.points[k.min(a.points.len() - 1)]))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(anyhow::Error::new(e).context(format!("{}", a.instance.display()))))?;
    let total: usize = sweeps.iter().map(|s| s.points).product();

    let bar = Progress::new(total as u64, "solving points");
    let settings = FrontierSettings { solve, hot_start: !a.no_hot_start, ..FrontierSettings::default() };
    // Sifted points hold what a sifted solve holds (the day moved in place); otherwise the points
    // re-solve a kept-alive HiGHS model of the whole matrix.
    let path = if frontier::is_sifted(&inst, &sweeps, &settings) { MemoryPath::Sifting } else { MemoryPath::WholeHighs };
    super::guard_memory(&a.instance, inst.edges.len(), path)?;
    let f = frontier::run_in_place(&mut inst, &sweeps, &settings, &bar).map_err(|e| err(e.into()))?;
    bar.finish();

    print!("{}", summary(&f));
    super::paths::recheck(&a.out, OutputKind::Dir)?;
    output::write_dir(&f, &inst, &a.out).with_context(|| format!("{}: cannot write", a.out.display())).map_err(err)?;
    println!("\nwrote {}", files(&a.out));
    if f.points.iter().all(|p| !p.status.is_optimal()) {
        return Err(Failure(3, anyhow!("no point of the frontier is optimal: every swept value is infeasible or failed")));
    }
    Ok(())
}

fn files(dir: &Path) -> String {
    agora_analysis::frontier::FRONTIER_FILES.map(|f| dir.join(f).display().to_string()).join(", ")
}

/// The planner's table: one line per point.
fn summary(f: &frontier::Frontier) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let names: Vec<&str> = f.sweeps.iter().map(|s| s.name.as_str()).collect();
    let hot = f.points.iter().filter(|p| p.hot_start).count();
    let _ = writeln!(s, "frontier of \"{}\": {} points ({} hot-started)", f.instance, f.points.len(), hot);
    let mut header: Vec<String> = names.iter().map(|n| format!("{n:>14}")).collect();
    header.push(format!("{:>10}  {:>14}", "status", "objective"));
    header.extend(names.iter().map(|n| format!("{:>14}", format!("d/d {}", short(n)))));
    header.push("  efficient".into());
    let _ = writeln!(s, "{}", header.join(" "));
    for (i, p) in f.points.iter().enumerate() {
        let mut cells: Vec<String> = p.values.iter().map(|v| format!("{v:>14.6}")).collect();
        cells.push(format!("{:>10}  {:>14}", p.status.as_str(), p.objective.map(|o| format!("{o:.6}")).unwrap_or_else(|| "-".into())));
        cells.extend(p.shadow_prices.iter().map(|d| format!("{:>14}", d.map(|d| format!("{d:.6e}")).unwrap_or_else(|| "-".into()))));
        let mark = match (p.status.is_optimal(), p.efficient, f.knee == Some(i)) {
            (false, _, _) => "  -",
            (_, true, true) => "  yes  <- knee",
            (_, false, true) => "  no   <- knee",
            (_, true, false) => "  yes",
            (_, false, false) => "  no",
        };
        cells.push(mark.into());
        let _ = writeln!(s, "{}", cells.join(" "));
    }
    s
}

fn short(name: &str) -> &str {
    if name.len() <= 10 {
        name
    } else {
        name.rsplit(['.', '[']).next().unwrap_or(name).trim_end_matches(']')
    }
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance);
        self.settings.iter().for_each(|p| _ = gate.input(p));
        gate.output_dir(&self.out, ExistingDir::ReplaceIfOnly(&output::FRONTIER_FILES));
    }
}
