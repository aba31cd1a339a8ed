//! What every end-to-end test of the `agora` binary needs: running it, and the bundled day.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `agora ARGS` from the workspace root.
pub fn agora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agora")).args(args).current_dir(workspace()).output().expect("runs")
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The bundled example day's path.
pub fn example() -> String {
    workspace().join("instances/example-day.json").display().to_string()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Solves `instance` into `dir/name`, which must succeed.
pub fn solve(instance: &str, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let o = agora(&["solve", instance, "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    out
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}
