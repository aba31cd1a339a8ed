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
pub mod export;
pub mod fppe;
pub mod frontier;
pub mod generate;
pub mod horizon;
pub mod import;
pub mod report;
pub mod simulate;
pub mod solve;
mod summary;
pub mod validate;
mod warm;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use std::sync::OnceLock;

use agora_instances::output::{check_output, OutputKind};
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

/// A usage error (exit 2).
pub fn usage(message: String) -> Failure {
    Failure(2, anyhow::anyhow!(message))
}

/// Refuses, before any work, an output path the output rules forbid (an input of the command,
/// a symbolic link, a device, a read-only file): exit 1, nothing written.
pub fn check_out(out: Option<&Path>, kind: OutputKind, inputs: &[&Path]) -> std::result::Result<(), Failure> {
    match out {
        Some(out) => check_output(out, kind, inputs).map_err(|e| err(e.into())),
        None => Ok(()),
    }
}

/// Writes `text` to `out` atomically, when an output was asked for; `inputs` are the files the
/// command read, which an output may never replace.
pub fn write_out(out: Option<&Path>, text: &str, inputs: &[&Path]) -> std::result::Result<(), Failure> {
    if let Some(out) = out {
        check_output(out, OutputKind::File, inputs).map_err(|e| err(e.into()))?;
        write_atomic(out, text.as_bytes()).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("\nwrote {}", out.display());
    }
    Ok(())
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
pub fn load_instance(path: &Path) -> Result<agora_instances::Instance> {
    Ok(load_validated(path)?.instance)
}

/// Loads and validates an instance, printing its warnings; also says which files it read.
pub fn load_validated(path: &Path) -> Result<agora_instances::Validated> {
    let v = load_with(path, read_options())?;
    print_warnings(path, &v.warnings);
    Ok(v)
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
