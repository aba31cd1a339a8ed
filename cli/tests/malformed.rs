//! The malformed-input corpus (issue 15): every case is a directory under `tests/malformed/`
//! holding its input files and a `case` file:
//!
//! ```text
//! args: solve day.json --out day.json      (the command line; run inside a copy of the case)
//! exit: 1                                  (the exit code)
//! stderr: is an input of this command      (a fragment of the message; one line per fragment)
//! setup: readonly out.json                 (optional: readonly FILE | symlink LINK TARGET | hardlink LINK TARGET)
//! ```
//!
//! Each case must end with its exit code and message, within a time limit (no hang), without a
//! panic or a backtrace, with a bounded message (no echo of a large input), and, when it fails,
//! with nothing written and no input changed. `make.py` beside the cases wrote them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Case {
    name: String,
    args: Vec<String>,
    exit: i32,
    stderr: Vec<String>,
    setup: Vec<Vec<String>>,
}

fn cases() -> Vec<(PathBuf, Case)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("case").is_file()).collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("case")).unwrap();
            let mut case = Case { name: dir.file_name().unwrap().to_string_lossy().into(), args: Vec::new(), exit: -1, stderr: Vec::new(), setup: Vec::new() };
            for line in text.lines() {
                let (key, value) = line.split_once(": ").unwrap_or_else(|| panic!("{}: bad line {line:?}", case.name));
                match key {
                    "args" => case.args = value.split_whitespace().map(String::from).collect(),
                    "exit" => case.exit = value.parse().unwrap(),
                    "stderr" => case.stderr.push(value.to_string()),
                    "setup" => case.setup.push(value.split_whitespace().map(String::from).collect()),
                    other => panic!("{}: unknown key {other}", case.name),
                }
            }
            (dir, case)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != "case" {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Every entry under `dir`: its bytes (files), its target (links), and whether it is read-only.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, bool)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        if meta.is_dir() {
            snapshot(&e.path(), out);
            out.insert(e.path(), (Vec::new(), meta.permissions().readonly()));
        } else if meta.file_type().is_symlink() {
            out.insert(e.path(), (std::fs::read_link(e.path()).unwrap().to_string_lossy().as_bytes().to_vec(), false));
        } else {
            out.insert(e.path(), (std::fs::read(e.path()).unwrap(), meta.permissions().readonly()));
        }
    }
}

fn run(dir: &Path, args: &[String]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status.code(), err);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return (None, "timed out after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_malformed_input_gets_its_exit_code_and_a_bounded_message_and_changes_nothing() {
    let all = cases();
    assert!(all.len() >= 80, "the corpus has {} cases", all.len());
    let mut failures = Vec::new();
    for (dir, case) in &all {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(dir, tmp.path());
        for s in &case.setup {
            match s.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["readonly", file] => {
                    let p = tmp.path().join(file);
                    let mut perm = std::fs::metadata(&p).unwrap().permissions();
                    perm.set_readonly(true);
                    std::fs::set_permissions(&p, perm).unwrap();
                }
                ["symlink", link, target] => std::os::unix::fs::symlink(target, tmp.path().join(link)).unwrap(),
                ["hardlink", link, target] => std::fs::hard_link(tmp.path().join(target), tmp.path().join(link)).unwrap(),
                other => panic!("{}: unknown setup {other:?}", case.name),
            }
        }
        let mut before = BTreeMap::new();
        snapshot(tmp.path(), &mut before);
        let (code, err) = run(tmp.path(), &case.args);
        let mut after = BTreeMap::new();
        snapshot(tmp.path(), &mut after);
        let mut why = Vec::new();
        if code != Some(case.exit) {
            why.push(format!("exit {code:?}, expected {}", case.exit));
        }
        for f in &case.stderr {
            if !err.contains(f.as_str()) {
                why.push(format!("stderr lacks {f:?}"));
            }
        }
        if err.contains("panicked") || err.contains("stack backtrace") {
            why.push("panicked".into());
        }
        if err.len() > 4096 {
            why.push(format!("stderr is {} bytes: an input is echoed", err.len()));
        }
        if case.exit != 0 && before != after {
            let changed: Vec<String> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| k.strip_prefix(tmp.path()).unwrap().display().to_string())
                .collect();
            why.push(format!("files changed or written: {changed:?}"));
        }
        if case.exit == 0 {
            for (path, old) in &before {
                if after.get(path) != Some(old) {
                    why.push(format!("input {} changed", path.strip_prefix(tmp.path()).unwrap().display()));
                }
            }
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {}", case.name, why.join("; "), err.trim().lines().take(4).collect::<Vec<_>>().join(" | ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}
