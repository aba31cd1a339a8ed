//! The paths of every command, through one gate ([`agora_instances::output::Gate`]): each
//! command's `Args` declares what it reads and writes ([`Declare`]), `main` checks the
//! declaration before the command runs, the loaders admit the files they learn of (the edges
//! file an instance names) and every write checks its output once more just before it renames.
//! A test walks every subcommand's clap definition and fails on a path argument no declaration
//! covers.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use agora_instances::output::{Gate, OutputKind};

use super::{err, Failure};

/// What a command's arguments declare to the gate: every file and directory it reads and
/// writes, before any work.
pub trait Declare {
    /// Declares the command's paths.
    fn declare(&self, gate: &mut Gate);
}

/// The gate of the running command.
static GATE: Mutex<Option<Gate>> = Mutex::new(None);

/// Checks `gate` and makes it the running command's: an output the rules refuse is an error
/// (exit 1) before the command reads anything.
pub fn install(gate: Gate) -> Result<(), Failure> {
    gate.check().map_err(|e| err(e.into()))?;
    *GATE.lock().unwrap_or_else(|p| p.into_inner()) = Some(gate);
    Ok(())
}

/// Declares files the command learnt it reads only while reading (an instance's edges file) and
/// checks every output against them.
pub fn admit<P: AsRef<Path>>(paths: &[P]) -> Result<(), Failure> {
    match GATE.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        Some(gate) => gate.admit(paths).map_err(|e| err(e.into())),
        None => Ok(()),
    }
}

/// Checks the outputs again just before one is written: a path may have changed since the
/// command started (a file created, a link placed).
pub fn recheck(out: &Path, kind: OutputKind) -> Result<(), Failure> {
    let guard = GATE.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(gate) => gate.check().map_err(|e| err(e.into())),
        None => agora_instances::output::check_output(out, kind, &[]).map_err(|e| err(e.into())),
    }
}

/// Declares `path` as an input when it names a file, not a built-in name (`--policy ecosystem`,
/// `--dynamics off`): a name that is not a built-in is read as a file.
pub fn input_unless_builtin(gate: &mut Gate, spec: &str, builtin: impl Fn(&str) -> bool) {
    if !builtin(spec) {
        gate.input(PathBuf::from(spec));
    }
}

#[cfg(test)]
mod tests {
    //! The clap walk: every argument that takes a path (typed `PathBuf`, or hinted as a path
    //! because a built-in name may stand in its place) must be declared by its command.

    use std::any::TypeId;
    use std::path::PathBuf;

    use clap::{CommandFactory, Parser, ValueHint};

    fn is_path(arg: &clap::Arg) -> bool {
        arg.get_value_parser().type_id() == TypeId::of::<PathBuf>()
            || matches!(arg.get_value_hint(), ValueHint::FilePath | ValueHint::DirPath | ValueHint::AnyPath)
    }

    /// A valid value for an argument that is not a path: its first possible value, or a number.
    fn some_value(arg: &clap::Arg) -> String {
        if let Some(v) = arg.get_possible_values().first() {
            return v.get_name().to_string();
        }
        match arg.get_id().as_str() {
            "sweeps" => "ad-load.max_share=0.1..0.2".into(),
            "time_limit" => "10".into(),
            "size" => "tiny".into(),
            "rule" => "vcg".into(),
            _ => "1".into(),
        }
    }

    #[test]
    fn every_path_argument_of_every_command_is_declared_to_the_gate() {
        let mut cli = crate::Cli::command();
        cli.build();
        let mut checked = 0;
        for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = sub.get_name().to_string();
            let mut argv = vec!["agora".to_string(), name.clone()];
            let mut paths: Vec<(String, String)> = Vec::new();
            let mut positionals = Vec::new();
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_global_set() {
                    continue;
                }
                let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
                if !takes_value {
                    continue;
                }
                let value = if is_path(arg) {
                    let v = format!("/nonexistent/agora-walk/{name}/{id}");
                    paths.push((id.to_string(), v.clone()));
                    v
                } else if arg.is_required_set() || arg.is_positional() {
                    some_value(arg)
                } else {
                    continue;
                };
                match arg.get_long() {
                    Some(long) => argv.extend([format!("--{long}"), value]),
                    None => positionals.push(value),
                }
            }
            argv.extend(positionals);
            let parsed = crate::Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{name}: {argv:?} does not parse: {e}"));
            let gate = crate::declared(&parsed.command);
            let declared: Vec<String> = gate.paths().iter().map(|(p, _)| p.display().to_string()).collect();
            for (id, value) in &paths {
                // A prefix (import obd's --out) declares the files named after it.
                assert!(
                    declared.iter().any(|d| d.starts_with(value.as_str())),
                    "agora {name}: the path argument --{id} is not declared to the gate: {declared:?}"
                );
            }
            checked += paths.len();
        }
        assert!(checked >= 30, "only {checked} path arguments found: the walk is not seeing the commands");
    }
}
