//! Faults (issue 32): a disk that fills up, a process killed while it writes, a day larger than
//! the memory the process may use. Each leaves the inputs as they were and either the old output
//! or the new one, whole; none ends in an abort.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{example, s, text, workspace};

fn agora() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agora"));
    c.current_dir(workspace()).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// A tmpfs of `bytes` mounted on a temporary directory, unmounted when dropped.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// `None`, with the reason printed, where this machine lets the test mount nothing (not
    /// root, no mount namespace): the test then checks the rest and says what it skipped.
    fn mount(bytes: usize) -> Option<Scratch> {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs", s(dir.path())]).output();
        match o {
            Ok(o) if o.status.success() => Some(Scratch { dir }),
            Ok(o) => {
                eprintln!("skipping the full-disk cases: cannot mount a tmpfs here ({})", text(&o.stderr).trim());
                None
            }
            Err(e) => {
                eprintln!("skipping the full-disk cases: cannot run mount ({e})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system to its last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(&[0]);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                out.insert(p, Vec::new());
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The inputs every case reads: the bundled day, its solution, a day no plan satisfies.
fn inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example(), dir.path().join("day.json")).unwrap();
    std::fs::copy(workspace().join("solver/tests/days/floor-beyond-reach.json"), dir.path().join("infeasible.json")).unwrap();
    let o = agora().args(["solve", "day.json", "--out", "sol.json"]).current_dir(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    dir
}

/// Each writing command with its output at `out` (a file or a directory name), run inside the
/// inputs' directory.
fn writers(out: &Path) -> Vec<(&'static str, Vec<String>)> {
    let o = |name: &str| s(&out.join(name)).to_string();
    let v = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        ("solve", v(&["solve", "day.json", "--out", &o("sol.json")])),
        ("report", v(&["report", "day.json", "sol.json", "--out", &o("report")])),
        ("export", v(&["export", "sol.json", "--instance", "day.json", "--out", &o("artifact")])),
        ("frontier", v(&["frontier", "day.json", "--sweep", "ad-load.max_share=0.1..0.3", "--points", "3", "--out", &o("frontier")])),
        ("horizon", v(&["horizon", "day.json", "--days", "2", "--out", &o("horizon")])),
        ("diagnose", v(&["diagnose", "infeasible.json", "--out", &o("diagnosis.json")])),
        ("generate", v(&["generate", "--size", "tiny", "--out", &o("generated.json")])),
        ("simulate", v(&["simulate", "day.json", &o("artifact-in"), "--arrivals", "1000", "--out", &o("simulation.json")])),
    ]
}

#[test]
fn a_full_disk_fails_every_writing_command_with_the_path_and_leaves_nothing() {
    let Some(scratch) = Scratch::mount(256 * 1024) else { return };
    let inputs = inputs();
    // simulate reads an artifact: exported before the disk fills.
    let o = agora()
        .args(["export", "sol.json", "--instance", "day.json", "--out", s(&scratch.path().join("artifact-in"))])
        .current_dir(inputs.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    scratch.fill();
    let before = snapshot(inputs.path());
    let on_scratch = snapshot(scratch.path());
    let mut failures = Vec::new();
    for (name, args) in writers(scratch.path()) {
        let o = agora().args(&args).current_dir(inputs.path()).output().unwrap();
        let err = text(&o.stderr);
        let mut why = Vec::new();
        if o.status.code() != Some(1) {
            why.push(format!("exit {:?}", o.status.code()));
        }
        if !err.contains("no space left") || !err.contains(s(scratch.path())) {
            why.push(format!("message {err:?}"));
        }
        if snapshot(scratch.path()) != on_scratch {
            why.push(format!("left {:?}", common::entries(scratch.path())));
        }
        if snapshot(inputs.path()) != before {
            why.push("changed an input".into());
        }
        if !why.is_empty() {
            failures.push(format!("{name}: {}", why.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is at `out`: a file's bytes, a directory's files with their bytes (an export's manifest
/// without its creation time and the checksum of it, the one thing two runs write
/// differently), or nothing.
fn state(out: &Path) -> Option<BTreeMap<String, Vec<u8>>> {
    let read = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        match p.file_name().and_then(|n| n.to_str()) {
            Some("manifest.json") => text.lines().filter(|l| !l.contains("\"created_at\"")).collect::<Vec<_>>().join("\n").into_bytes(),
            Some("checksum.sha256") => text.lines().filter(|l| !l.ends_with("manifest.json")).collect::<Vec<_>>().join("\n").into_bytes(),
            // Each rule price records how long its re-solve took.
            Some("report.json") => text.lines().filter(|l| !l.trim_start().starts_with("\"seconds\"")).collect::<Vec<_>>().join("\n").into_bytes(),
            _ => bytes,
        }
    };
    if out.is_file() {
        return Some(BTreeMap::from([(String::new(), read(out))]));
    }
    out.is_dir().then(|| {
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), read(&p))).collect()
    })
}

#[test]
fn a_command_killed_at_any_moment_leaves_the_old_output_or_the_new_one_whole() {
    let inputs = inputs();
    let outs = tempfile::tempdir().unwrap();
    let o = agora()
        .args(["export", "sol.json", "--instance", "day.json", "--out", s(&outs.path().join("artifact-in"))])
        .current_dir(inputs.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut failures = Vec::new();
    let mut kills = 0;
    for (name, args) in writers(outs.path()) {
        let out = PathBuf::from(args.last().unwrap());
        // An old output the command may replace: a file, or a directory holding one of the
        // command's own names (an artifact is never replaced: its old state is "none").
        let plant_old = |out: &Path| {
            let _ = std::fs::remove_dir_all(out);
            let _ = std::fs::remove_file(out);
            match name {
                "report" => std::fs::create_dir(out).and_then(|_| std::fs::write(out.join("report.json"), "old")).unwrap(),
                "frontier" => std::fs::create_dir(out).and_then(|_| std::fs::write(out.join("frontier.json"), "old")).unwrap(),
                "horizon" => std::fs::create_dir(out).and_then(|_| std::fs::write(out.join("horizon.json"), "old")).unwrap(),
                "export" => {}
                _ => std::fs::write(out, "old").unwrap(),
            }
        };
        plant_old(&out);
        let old = state(&out);
        // The new output, whole, and how long the command takes.
        let start = Instant::now();
        let o = agora().args(&args).current_dir(inputs.path()).output().unwrap();
        let took = start.elapsed();
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        let new = state(&out);
        for k in 0..10 {
            plant_old(&out);
            let mut child = agora().args(&args).current_dir(inputs.path()).spawn().unwrap();
            std::thread::sleep(took.mul_f64(k as f64 / 9.0));
            let killed = child.kill().is_ok();
            let _ = child.wait();
            kills += killed as usize;
            let now = state(&out);
            if now != old && now != new {
                failures.push(format!("{name} killed at {:.0}% of its run: {:?} is neither the old output nor the new one", 100.0 * k as f64 / 9.0, out));
            }
        }
        // Whatever a kill left beside the output is never under the output's name.
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_file(&out);
    }
    assert!(kills > 20, "only {kills} runs were still running when killed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_day_over_the_memory_limit_is_refused_before_its_bulk_and_nothing_is_written() {
    let inputs = inputs();
    let o = agora().args(["solve", "day.json", "--memory-limit", "1M", "--out", "again.json"]).current_dir(inputs.path()).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("day.json: a day of") && err.contains("needs about") && err.contains("0.00 GB (--memory-limit)") && err.contains("--distributed"),
        "{err}"
    );
    assert!(!inputs.path().join("again.json").exists());
    // The same for a command that formulates the whole matrix, and `none` lets it run.
    let o = agora().args(["report", "day.json", "sol.json", "--memory-limit", "1M", "--out", "rep"]).current_dir(inputs.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("HiGHS on the whole matrix"), "{}", text(&o.stderr));
    let o = agora().args(["solve", "day.json", "--memory-limit", "none"]).current_dir(inputs.path()).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn an_allocation_the_system_refuses_is_an_error_never_an_abort() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipping: no prlimit (util-linux) to set an address-space limit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A day large enough that its solve needs more than the smallest limit (the medium day's
    // sifted solve, checked once, fits in 90 MB of address space).
    let o = agora().args(["generate", "--size", "large", "--edges", "300000", "--seed", "2", "--out", s(&dir.path().join("large.json"))]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Limits that stop the process at different places: while it loads, formulates, solves
    // (below about 80 MB the dynamic loader itself fails, before agora runs). With
    // `--memory-limit none` the guard stands aside, so allocations do fail.
    let mut seen_refusals = 0;
    for mb in [100, 120, 150, 200, 400] {
        let o = Command::new("prlimit")
            .arg(format!("--as={}", mb << 20))
            .arg(env!("CARGO_BIN_EXE_agora"))
            .args(["solve", s(&dir.path().join("large.json")), "--memory-limit", "none", "--out", s(&dir.path().join("sol.json"))])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = text(&o.stderr);
        match o.status.code() {
            Some(0) => assert!(dir.path().join("sol.json").exists()),
            Some(1) => {
                seen_refusals += 1;
                assert!(err.starts_with("error:") || err.contains("\nerror:"), "{mb} MB: {err}");
                assert!(!err.contains("panicked") && !err.contains("memory allocation of"), "{mb} MB: {err}");
                assert!(!dir.path().join("sol.json").exists(), "{mb} MB: a failed run wrote its output");
            }
            other => panic!("{mb} MB: ended {other:?} (a signal: an abort), stderr {err}"),
        }
        let _ = std::fs::remove_file(dir.path().join("sol.json"));
    }
    assert!(seen_refusals > 0, "no limit made an allocation fail: the test tests nothing");
}
