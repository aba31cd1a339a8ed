//! `agora solve --distributed` under `mpirun` (MPICH, installed by `make deps`) over loopback: 1,
//! 2 and 4 processes give the single-process answer (the same status, objective to 1e-9
//! relative, the same plan, duals and shadow prices within the check's tolerances, the same
//! content hash) on days whose edges come inline, from a CSV and from a Parquet file, LP and QP;
//! PDHG takes the single-process steps (the same iterations, the objective to the certified
//! tolerance);
//! a process that dies fails the job and nothing is written; an error in one process's shard is
//! reported once, by the root.

#![cfg(feature = "mpi")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// `mpirun -n N agora ARGS`, or a failure that says how to get MPICH (never a silent skip).
fn mpirun(n: usize, args: &[&str]) -> Output {
    let out = Command::new("mpirun").arg("-n").arg(n.to_string()).arg(env!("CARGO_BIN_EXE_agora")).args(args).output();
    out.unwrap_or_else(|e| panic!("cannot run mpirun ({e}): the MPI tests need Debian's mpich (`make deps` installs it)"))
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

/// The distributed solutions of `day` on 1, 2 and 4 processes against the single-process one.
fn same_answers(day: &Path, dir: &Path) {
    let one = dir.join("one.json");
    let o = agora(&["solve", s(day), "--backend", "first-order", "--out", s(&one)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let one = json(&one);
    for n in [1, 2, 4] {
        let out = dir.join(format!("d{n}.json"));
        let o = mpirun(n, &["solve", s(day), "--distributed", "--out", s(&out), "--timings"]);
        assert!(o.status.success(), "{n} processes: {}", text(&o.stderr));
        let stderr = text(&o.stderr);
        assert!(stderr.contains(&format!("processes: {n},")), "{stderr}");
        // Only the root prints: one summary.
        assert_eq!(text(&o.stdout).matches("objective  ").count(), 1, "{}", text(&o.stdout));
        let d = json(&out);
        assert_eq!(d["status"], one["status"]);
        assert_eq!(d["status"], "optimal");
        assert!(close(d["objective"].as_f64().unwrap(), one["objective"].as_f64().unwrap(), 1e-9), "{n}: {} vs {}", d["objective"], one["objective"]);
        assert_eq!(d["instance_hash"], one["instance_hash"]);
        let (dp, op) = (d["plan"].as_array().unwrap(), one["plan"].as_array().unwrap());
        assert_eq!(dp.len(), op.len(), "{n} processes");
        for (a, b) in dp.iter().zip(op) {
            assert_eq!((&a["segment"], &a["item"]), (&b["segment"], &b["item"]));
            assert!(close(a["impressions"].as_f64().unwrap(), b["impressions"].as_f64().unwrap(), 1e-9));
        }
        let served: f64 = op.iter().map(|p| p["impressions"].as_f64().unwrap()).sum();
        let (dc, oc) = (d["constraints"].as_array().unwrap(), one["constraints"].as_array().unwrap());
        assert_eq!(dc.len(), oc.len());
        for (a, b) in dc.iter().zip(oc) {
            assert_eq!(a["name"], b["name"]);
            for f in ["dual", "shadow_price"] {
                assert!(close(a[f].as_f64().unwrap(), b[f].as_f64().unwrap(), 1e-7), "{n} processes, {} {f}: {} vs {}", a["name"], a[f], b[f]);
            }
            // An activity is a sum of terms that may cancel (a parity row's are merit-weighted
            // impressions, its activity near 0): it is compared to rounding at the plan's size.
            let (x, y) = (a["activity"].as_f64().unwrap(), b["activity"].as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * served.max(x.abs()) + 1e-3, "{n} processes, {} activity: {x} vs {y}", a["name"]);
        }
        for (a, b) in d["pacing"].as_array().unwrap().iter().zip(one["pacing"].as_array().unwrap()) {
            assert_eq!(a["campaign"], b["campaign"]);
            assert!(close(a["multiplier"].as_f64().unwrap(), b["multiplier"].as_f64().unwrap(), 1e-9));
        }
    }
}

#[test]
fn one_two_and_four_processes_give_the_single_process_answer() {
    let dir = tempfile::tempdir().unwrap();
    // Inline edges, soft rules: the bundled day.
    same_answers(&workspace().join("instances/example-day.json"), dir.path());
    // A Parquet edges file (LP), and the same day as a QP (a ridge).
    let med = dir.path().join("med.json");
    assert!(agora(&["generate", "--size", "medium", "--seed", "3", "--parquet", "--out", s(&med)]).status.success());
    same_answers(&med, dir.path());
    let mut q = json(&med);
    q["objective"]["regularization"] = 5.0.into();
    q["name"] = "medium-ridge".into();
    let medq = dir.path().join("medq.json");
    std::fs::write(&medq, q.to_string()).unwrap();
    same_answers(&medq, dir.path());
    // A CSV edges file.
    let small = dir.path().join("small.json");
    assert!(agora(&["generate", "--size", "small", "--seed", "5", "--columnar", "--out", s(&small)]).status.success());
    same_answers(&small, dir.path());
}

/// The row groups each process decoded, from `--timings` (`row groups decoded per process 3/11 9/11`).
fn groups_decoded(stderr: &str) -> Vec<(usize, usize)> {
    let list = stderr.split("row groups decoded per process ").nth(1).and_then(|r| r.split(';').next()).unwrap_or_else(|| panic!("{stderr}"));
    list.split_whitespace()
        .map(|p| {
            let (a, b) = p.split_once('/').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

/// A Parquet day sorted by segment, in row groups of 4,096 edges: each process decodes only the
/// groups that hold its segments (a group where one process's segments end and the next's
/// begin is decoded by both), and the answer is still the single-process one, content hash
/// included.
#[test]
fn each_process_decodes_only_the_row_groups_of_its_segments() {
    let dir = tempfile::tempdir().unwrap();
    let med = dir.path().join("med.json");
    assert!(agora(&["generate", "--size", "medium", "--seed", "3", "--parquet", "--out", s(&med)]).status.success());
    let day = agora_instances::load(&med).unwrap().instance;
    agora_instances::columnar::parquet::write_edges_parquet_grouped(&day, &dir.path().join("med.edges.parquet"), 4096).unwrap();
    let groups = day.edges.len().div_ceil(4096);
    for n in [1, 2, 4] {
        let o = mpirun(n, &["solve", s(&med), "--distributed", "--timings"]);
        assert!(o.status.success(), "{n} processes: {}", text(&o.stderr));
        let decoded = groups_decoded(&text(&o.stderr));
        assert_eq!(decoded.len(), n);
        assert!(decoded.iter().all(|&(_, of)| of == groups), "{decoded:?} of {groups}");
        let total: usize = decoded.iter().map(|d| d.0).sum();
        assert!(total < groups + n, "{n} processes decoded {decoded:?} of {groups} groups");
        assert!(n == 1 || decoded.iter().all(|&(k, _)| 0 < k && k < groups), "{decoded:?}");
    }
    same_answers(&med, dir.path());
    // With evidence columns, which the content hash takes after every edge: gathered from 2
    // processes, the hash is still the one a single process computes.
    let mut day = day;
    day.evidence = day.edges.iter().map(|e| agora_instances::Evidence { n: 4, lcb: e.engagement / 2.0, ucb: e.engagement * 2.0 }).collect();
    agora_instances::columnar::parquet::write_edges_parquet_grouped(&day, &dir.path().join("med.edges.parquet"), 4096).unwrap();
    let one = dir.path().join("ev-one.json");
    assert!(agora(&["solve", s(&med), "--out", s(&one)]).status.success());
    let two = dir.path().join("ev-two.json");
    let o = mpirun(2, &["solve", s(&med), "--distributed", "--out", s(&two)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(json(&two)["instance_hash"], json(&one)["instance_hash"]);
    assert_ne!(json(&one)["instance_hash"], json(&dir.path().join("one.json"))["instance_hash"], "the evidence is hashed");
}

/// Distributed PDHG on `day` over each of `counts` processes against the single-process PDHG.
fn same_pdhg(day: &Path, dir: &Path, counts: &[usize]) {
    let one = dir.join("pdhg-one.json");
    let o = agora(&["solve", s(day), "--method", "pdhg", "--out", s(&one)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let one = json(&one);
    let iterations = |v: &Value| v["message"].as_str().unwrap().split("first-order: ").nth(1).unwrap().split(' ').next().unwrap().to_string();
    for &n in counts {
        let out = dir.join(format!("pdhg-{n}.json"));
        let o = mpirun(n, &["solve", s(day), "--distributed", "--method", "pdhg", "--out", s(&out)]);
        assert!(o.status.success(), "{n} processes: {}", text(&o.stderr));
        let d = json(&out);
        assert_eq!(d["status"], "optimal");
        assert_eq!(iterations(&d), iterations(&one), "{n} processes: {} vs {}", d["message"], one["message"]);
        // Both are certified to the first-order tolerance (1e-4 by default, docs/settings.md).
        assert!(close(d["objective"].as_f64().unwrap(), one["objective"].as_f64().unwrap(), 2e-4), "{n}: {} vs {}", d["objective"], one["objective"]);
        assert_eq!(d["instance_hash"], one["instance_hash"]);
        assert!(d["message"].as_str().unwrap().starts_with(&format!("PDHG over {n} process")), "{}", d["message"]);
    }
}

#[test]
fn pdhg_over_one_two_and_four_processes_takes_the_single_process_steps() {
    let dir = tempfile::tempdir().unwrap();
    // Four processes share this machine's two cores: MPICH polls while it waits, so each of
    // PDHG's per-step reductions waits for a time slice (docs/distributed.md); they run the tiny
    // day (384 iterations), one and two processes the larger ones.
    let tiny = dir.path().join("tiny.json");
    assert!(agora(&["generate", "--size", "tiny", "--seed", "2", "--out", s(&tiny)]).status.success());
    same_pdhg(&tiny, dir.path(), &[1, 2, 4]);
    same_pdhg(&workspace().join("instances/example-day.json"), dir.path(), &[1, 2]);
    let small = dir.path().join("small.json");
    assert!(agora(&["generate", "--size", "small", "--seed", "5", "--columnar", "--out", s(&small)]).status.success());
    same_pdhg(&small, dir.path(), &[2]);
    // A QP: the same day with a ridge.
    let mut q = json(&small);
    q["objective"]["regularization"] = 5.0.into();
    q["name"] = "small-ridge".into();
    let smallq = dir.path().join("smallq.json");
    std::fs::write(&smallq, q.to_string()).unwrap();
    same_pdhg(&smallq, dir.path(), &[1, 2]);
}

#[test]
fn auto_falls_back_to_pdhg_over_the_same_processes_when_sifting_cannot_settle() {
    let dir = tempfile::tempdir().unwrap();
    // A floor beyond what its items can reach: no plan exists.
    let day = dir.path().join("floor.json");
    std::fs::write(
        &day,
        r#"{"schema": "agora.instance/v1", "name": "floor", "objective": {"engagement": 1, "revenue": 0},
      "segments": [{"id": "s1", "supply": 100}, {"id": "s2", "supply": 50}, {"id": "s3", "supply": 70}, {"id": "s4", "supply": 30}],
      "creators": [{"id": "c1", "group": "new"}, {"id": "c2", "group": "established"}],
      "items": [{"id": "i1", "creator": "c1", "topic": "t", "quality": 0, "risk": 0, "fresh": false},
                {"id": "i2", "creator": "c2", "topic": "t", "quality": 0, "risk": 0, "fresh": false}],
      "edges": [{"segment": "s1", "item": "i1", "engagement": 0.1}, {"segment": "s1", "item": "i2", "engagement": 0.2},
                {"segment": "s2", "item": "i2", "engagement": 0.3}, {"segment": "s4", "item": "i1", "engagement": 0.1},
                {"segment": "s4", "item": "i2", "engagement": 0.4}],
      "constraints": [{"name": "new-floor", "type": "exposure_floor", "items": {"creator_group": "new"}, "min": 500}]}"#,
    )
    .unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"iteration_limit": 3000}"#).unwrap();
    let out = dir.path().join("sol.json");
    let o = mpirun(2, &["solve", s(&day), "--distributed", "--settings", s(&settings), "--out", s(&out)]);
    // Not optimal: exit 3, the reason from both methods, and the file says it (no plan).
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("auto: distributed sifting: a floor stayed unserved") && err.contains("PDHG certified at 1e-6 ended"), "{err}");
    let sol = json(&out);
    assert_ne!(sol["status"], "optimal");
    assert_eq!(sol["plan"].as_array().unwrap().len(), 0);
}

#[test]
fn flags_that_do_not_apply_to_a_distributed_solve_are_usage_errors() {
    for extra in [&["--backend", "highs"][..], &["--backend", "clarabel"], &["--warm-start", "x.json"]] {
        let o = agora(&[&["solve", &example(), "--distributed"][..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("does not apply to --distributed"), "{}", text(&o.stderr));
    }
}

#[test]
fn one_process_without_mpirun_solves_distributed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sol.json");
    let o = agora(&["solve", &example(), "--distributed", "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(json(&out)["status"], "optimal");
}

#[test]
fn an_error_in_one_shard_is_reported_once_by_the_root_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("small.json");
    assert!(agora(&["generate", "--size", "small", "--seed", "2", "--columnar", "--out", s(&day)]).status.success());
    // A duplicate of an edge of segment 3 (rank 1 of 2 holds it: `Shard::rank_of`).
    let csv = dir.path().join("small.edges.csv");
    let text_csv = std::fs::read_to_string(&csv).unwrap();
    let seg1 = json(&day)["segments"][3]["id"].as_str().unwrap().to_string();
    let line = text_csv.lines().find(|l| l.starts_with(&format!("{seg1},"))).unwrap().to_string();
    std::fs::write(&csv, format!("{text_csv}{line}\n")).unwrap();
    let out = dir.path().join("sol.json");
    let o = mpirun(2, &["solve", s(&day), "--distributed", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(err.contains("process 1 of 2") && err.contains("small.edges.csv") && err.contains("duplicate edge"), "{err}");
    assert!(!out.exists());
}

/// The parent of process `pid`.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: the command may hold spaces, so count from its closing paren.
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

/// The pid of the `agora` process with MPI rank `rank` among the descendants of `job`.
fn rank_pid(job: u32, rank: usize) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        if exe != Path::new(env!("CARGO_BIN_EXE_agora")) {
            continue;
        }
        // Other tests run their own jobs meanwhile: only this job's descendants count.
        let mut up = Some(pid);
        while let Some(p) = up.filter(|&p| p > 1 && p != job) {
            up = parent(p);
        }
        if up != Some(job) {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|v| v == format!("PMI_RANK={rank}").as_bytes()) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_process_that_dies_fails_the_job_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("large.json");
    assert!(agora(&["generate", "--size", "large", "--seed", "1", "--out", s(&day)]).status.success());
    let out = dir.path().join("sol.json");
    let child = Command::new("mpirun")
        .args(["-n", "2", env!("CARGO_BIN_EXE_agora"), "solve", s(&day), "--distributed", "--out", s(&out)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpirun (make deps installs mpich)");
    let pid = (0..2000).find_map(|_| {
        rank_pid(child.id(), 1).or_else(|| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            None
        })
    });
    let pid = pid.expect("rank 1 started");
    assert!(Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success(), "the job must fail when a process dies");
    assert!(!out.exists(), "nothing may be written");
    // MPICH's launcher says which process ended how (on its standard output).
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(said.contains("BAD TERMINATION") && said.contains("signal 9"), "{said}");
}
