//! One module per command, each with its own `Args` (clap) and `run`; what several commands
//! share (loading, settings, atomic output, the exit-code carrying [`Failure`]) is here.
//!
//! Exit codes: 0 success (for `solve`: an optimal plan), 1 an error (bad file, bad settings),
//! 2 bad command-line usage, 3 the solve ended without an optimum, 4 (`audit`) a property fails.

pub mod auction;
pub mod audit;
pub mod diagnose;
mod distributed;
pub mod estimate;
pub mod evaluate;
pub mod experiment;
pub mod export;
pub mod fppe;
pub mod frontier;
pub mod generate;
pub mod horizon;
pub mod import;
pub mod paths;
pub mod report;
pub mod simulate;
pub mod solve;
mod summary;
pub mod tables;
pub mod validate;
mod warm;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use std::sync::OnceLock;

use agora_instances::output::OutputKind;
use agora_instances::{load_with, read_input, write_atomic, ReadOptions};
use agora_solver::{BackendChoice, Observer, Settings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A failure with its exit code.
pub struct Failure(pub u8, pub anyhow::Error);

/// A failure whose message another process prints (a distributed solve's root): exit with the
/// code, print nothing.
#[derive(Debug, thiserror::Error)]
#[error("reported by another process")]
pub struct Reported;

/// An error (exit 1).
pub fn err(e: anyhow::Error) -> Failure {
    Failure(1, e)
}

/// How every command reads its input files (`--max-input-bytes`, `--allow-outside-edges`).
static READ_OPTIONS: OnceLock<ReadOptions> = OnceLock::new();

/// Sets how input files are read, once, before a command runs.
pub fn set_read_options(opts: ReadOptions) {
    let _ = READ_OPTIONS.set(opts);
}

/// How input files are read.
pub fn read_options() -> &'static ReadOptions {
    READ_OPTIONS.get_or_init(ReadOptions::default)
}

/// How much memory a command may plan to use (`--memory-limit`).
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryLimit {
    /// What the machine has now (the cgroup's room or MemAvailable).
    Detected,
    /// These many bytes.
    Bytes(f64),
    /// No check (`--memory-limit none`).
    None,
}

static MEMORY_LIMIT: OnceLock<MemoryLimit> = OnceLock::new();

/// Sets `--memory-limit`, once, before a command runs.
pub fn set_memory_limit(limit: MemoryLimit) {
    let _ = MEMORY_LIMIT.set(limit);
}

/// Parses `--memory-limit`: `none`, or bytes with an optional suffix (K, M, G, T: powers of
/// 1000; KiB, MiB, GiB, TiB: of 1024).
pub fn memory_limit(s: &str) -> std::result::Result<MemoryLimit, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(MemoryLimit::None);
    }
    let units: [(&str, f64); 8] =
        [("KiB", 1024.0), ("MiB", 1048576.0), ("GiB", 1073741824.0), ("TiB", 1099511627776.0), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];
    let (number, scale) = units.iter().find_map(|(u, f)| s.strip_suffix(u).map(|n| (n, *f))).unwrap_or((s, 1.0));
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(MemoryLimit::Bytes(v * scale)),
        _ => Err(format!("not a size: \"{}\" (give bytes, e.g. 12G or 8GiB, or none)", agora_instances::limits::excerpt(s))),
    }
}

/// Refuses, before the bulk is allocated, a day of `edges` edges whose estimated peak on `path`
/// exceeds `--memory-limit` (by default what the machine has): exit 1 with the estimate and the
/// way out.
pub fn guard_memory(day: &Path, edges: usize, path: agora_solver::memory::MemoryPath) -> std::result::Result<(), Failure> {
    use agora_solver::memory::{check, MemoryBudget, MemoryEstimate};
    let budget = match MEMORY_LIMIT.get().unwrap_or(&MemoryLimit::Detected) {
        MemoryLimit::Detected => MemoryBudget::detected(),
        MemoryLimit::Bytes(b) => Some(MemoryBudget { bytes: *b, source: "--memory-limit".into() }),
        MemoryLimit::None => None,
    };
    check(MemoryEstimate::of(edges, path), budget.as_ref()).map_err(|e| err(anyhow::Error::new(e).context(day.display().to_string())))
}

/// How many independent jobs of `edges_each` edges each may run at once, up to `wanted`: as
/// many as the memory guard allows, one at least (which must pass the guard itself).
pub fn parallel_within_memory(day: &Path, edges_each: usize, wanted: usize, path: agora_solver::memory::MemoryPath) -> std::result::Result<usize, Failure> {
    let wanted = wanted.max(1);
    if wanted > 1 && guard_memory(day, edges_each.saturating_mul(wanted), path).is_ok() {
        return Ok(wanted);
    }
    guard_memory(day, edges_each, path)?;
    Ok(1)
}

/// A usage error (exit 2).
/// The wall time of a command's phases, printed by `--timings` as one `timings:` line on
/// standard error (what benches/scripts/whole_process.sh and daily_loop.sh read).
pub struct Laps {
    clock: std::time::Instant,
    since: std::time::Instant,
    phases: Vec<(&'static str, f64)>,
}

impl Laps {
    /// Starts the clock.
    pub fn start() -> Laps {
        let now = std::time::Instant::now();
        Laps { clock: now, since: now, phases: Vec::new() }
    }
    /// Ends phase `name` now; the next one starts.
    pub fn lap(&mut self, name: &'static str) {
        self.phases.push((name, self.since.elapsed().as_secs_f64()));
        self.since = std::time::Instant::now();
    }
    /// `timings: N edges, PHASE S s, ..., total S s`, on standard error.
    pub fn print(&self, edges: usize) {
        let cells: Vec<String> = self.phases.iter().map(|(n, s)| format!("{n} {s:.3} s")).collect();
        eprintln!("timings: {edges} edges, {}, total {:.3} s", cells.join(", "), self.clock.elapsed().as_secs_f64());
    }
}

pub fn usage(message: String) -> Failure {
    Failure(2, anyhow::anyhow!(message))
}

/// Writes `text` to `out` atomically, when an output was asked for, after checking it against
/// the gate once more (cmd::paths).
pub fn write_out(out: Option<&Path>, text: &str) -> std::result::Result<(), Failure> {
    if let Some(out) = out {
        paths::recheck(out, OutputKind::File)?;
        write_atomic(out, text.as_bytes()).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("\nwrote {}", out.display());
    }
    Ok(())
}

/// Writes `files` as the directory `out`, atomically ([`agora_instances::write_dir_atomic`]),
/// after checking it against the gate once more; an existing directory is replaced only when it
/// holds nothing but `names`.
pub fn write_dir_out<N: AsRef<str>, B: AsRef<[u8]>>(out: &Path, files: &[(N, B)], names: &[&str]) -> std::result::Result<(), Failure> {
    paths::recheck(out, OutputKind::Dir)?;
    agora_instances::write_dir_atomic(out, files, agora_instances::ExistingDir::ReplaceIfOnly(names))
        .with_context(|| format!("{}: cannot write", out.display()))
        .map_err(err)
}

/// Settings from an optional `--settings FILE`, with `--backend` and `--time-limit` on top.
pub fn settings_from(file: Option<&Path>, backend: Option<BackendChoice>, time_limit: Option<f64>) -> Result<Settings> {
    let mut settings = match file {
        Some(f) => {
            let text = read_input(f, read_options())?;
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

/// Loads and validates an instance, printing its warnings.
pub fn load_instance(path: &Path) -> std::result::Result<agora_instances::Instance, Failure> {
    Ok(load_validated(path)?.instance)
}

/// Loads and validates an instance, printing its warnings; also says which files it read, and
/// admits them to the gate (an output may not be the edges file the instance names).
pub fn load_validated(path: &Path) -> std::result::Result<agora_instances::Validated, Failure> {
    let v = load_with(path, read_options()).map_err(|e| err(e.into()))?;
    paths::admit(&v.sources)?;
    print_warnings(path, &v.warnings);
    Ok(v)
}

/// Reads an input file as text under the command's read options (`--max-input-bytes`).
pub fn read_text(path: &Path) -> std::result::Result<String, Failure> {
    read_input(path, read_options()).map_err(|e| err(e.into()))
}

/// Reads a JSON input under the command's read options (`--max-input-bytes`) and validates it
/// into `T`: solutions, markets, auctions.
pub fn load_json<F, T>(path: &Path, validate: impl FnOnce(F) -> std::result::Result<T, Vec<agora_instances::Finding>>) -> std::result::Result<T, Failure>
where
    F: serde::de::DeserializeOwned,
{
    let text = read_input(path, read_options()).map_err(|e| err(e.into()))?;
    agora_instances::parse_json_with(&text, path, validate).map_err(|e| err(e.into()))
}

/// Prints what a load of `path` ignored or assumed, one `warning:` line each.
pub fn print_warnings(path: &Path, warnings: &[agora_instances::Finding]) {
    for w in warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
}

/// A positive, finite number of seconds (`--time-limit`): anything else is a usage error.
pub fn positive_seconds(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a positive, finite number of seconds, got {v}")),
        Err(_) => Err(format!("not a number: \"{}\"", agora_instances::limits::excerpt(s))),
    }
}

/// A progress bar on standard error that observes long work: shown only on a terminal, and only
/// once the work has run for a second; log lines print above it.
pub struct Progress(ProgressBar);

impl Progress {
    /// A bar of `total` units of `what` (e.g. "solving points").
    pub fn new(total: u64, what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} (eta {{eta}})")) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(bar)
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Observer for Progress {
    fn log(&self, line: std::fmt::Arguments<'_>) {
        self.0.suspend(|| eprintln!("{line}"));
    }
    fn advance(&self, units: u64) {
        if self.0.is_hidden() && self.0.elapsed() > Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.0.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.0.inc(units);
    }
}
