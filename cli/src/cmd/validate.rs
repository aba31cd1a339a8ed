//! `agora validate`: check an instance file and report every problem in it.

use std::path::PathBuf;

use super::{load_instance, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora validate instances/example-day.json";

/// Arguments of `agora validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
}

/// Runs `agora validate`.
pub fn run(a: Args) -> Result<(), Failure> {
    let inst = load_instance(&a.instance)?;
    println!("{}: valid agora.instance/v1 \"{}\" ({})", a.instance.display(), inst.name, inst.shape());
    Ok(())
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.input(&self.instance);
    }
}
