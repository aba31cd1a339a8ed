//! One module per command, each with its own `Args` (clap) and `run`; what several commands
//! share (loading, settings, atomic output, the exit-code carrying [`Failure`]) is here.
//!
//! Exit codes: 0 success (for `solve`: an optimal plan), 1 an error (bad file, bad settings),
//! 2 bad command-line usage, 3 the solve ended without an optimum, 4 (`audit`) a property fails.

pub mod audit;
pub mod auction;
pub mod export;
pub mod fppe;
pub mod frontier;
pub mod generate;
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

use agora_instances::{load, write_atomic};
use agora_solver::{BackendChoice, Observer, Settings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A failure with its exit code.
pub struct Failure(pub u8, pub anyhow::Error);

/// An error (exit 1).
pub fn err(e: anyhow::Error) -> Failure {
    Failure(1, e)
}

/// Writes `text` to `out` atomically, when an output was asked for.
pub fn write_out(out: Option<&Path>, text: &str) -> std::result::Result<(), Failure> {
    if let Some(out) = out {
        write_atomic(out, text.as_bytes()).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("\nwrote {}", out.display());
    }
    Ok(())
}

/// Settings from an optional `--settings FILE`, with `--backend` and `--time-limit` on top.
pub fn settings_from(file: Option<&Path>, backend: Option<BackendChoice>, time_limit: Option<f64>) -> Result<Settings> {
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

/// Loads and validates an instance, printing its warnings.
pub fn load_instance(path: &Path) -> Result<agora_instances::Instance> {
    let v = load(path)?;
    for w in &v.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(v.instance)
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
