//! `agora export` and `agora simulate` end to end: files, refusals, exit codes, messages.

mod common;

use common::*;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Solves the example day into `dir/solution.json`.
fn solve_example(dir: &Path) -> PathBuf {
    solve(&example(), dir, "solution.json")
}

#[test]
fn export_then_simulate_the_example_day() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve_example(dir.path());
    let art = dir.path().join("serving");
    let o =
        agora(&["export", s(&sol), "--instance", &example(), "--out", s(&art), "--valid-from", "2026-11-30T00:00:00Z", "--valid-to", "2026-12-01T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("agora.serving/v1"));
    assert_eq!(entries(&art), ["adjustments.csv", "checksum.sha256", "edges.csv", "manifest.json", "pacing.csv", "segments.csv"]);
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(art.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "agora.serving/v1");
    assert_eq!(manifest["instance"]["name"], "example-day");
    assert_eq!(manifest["status"], "optimal");
    assert_eq!(manifest["validity"]["to"], "2026-12-01T00:00:00Z");
    let solution: Value = serde_json::from_str(&std::fs::read_to_string(&sol).unwrap()).unwrap();
    assert_eq!(manifest["objective"], solution["objective"]);
    // The checksum file is sha256sum's format: one line per file, hash, two spaces, name.
    let sums = std::fs::read_to_string(art.join("checksum.sha256")).unwrap();
    assert_eq!(sums.lines().count(), 5);
    assert!(sums.lines().all(|l| l.len() > 66 && &l[64..66] == "  "));

    let out = dir.path().join("simulation.json");
    let o = agora(&["simulate", &example(), s(&art), "--arrivals", "50000", "--seed", "3", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("exported") && stdout.contains("no_pacing") && stdout.contains("online_dual"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["schema"], "agora.simulation/v1");
    assert_eq!(report["arrivals"], 50000);
    assert!(report["exported"]["retention"].as_f64().unwrap() >= 0.97);
    assert_eq!(report["exported"]["rows"].as_array().unwrap().len(), solution["constraints"].as_array().unwrap().len());

    // The same seed gives the same file.
    let again = dir.path().join("again.json");
    let o = agora(&["simulate", &example(), s(&art), "--arrivals", "50000", "--seed", "3", "--out", s(&again)]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn export_refuses_a_solution_that_is_not_optimal_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve_example(dir.path());
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&sol).unwrap()).unwrap();
    v["status"] = "time_limit".into();
    std::fs::write(&sol, v.to_string()).unwrap();
    let art = dir.path().join("serving");
    let o = agora(&["export", s(&sol), "--instance", &example(), "--out", s(&art)]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("time_limit, not optimal"), "{}", text(&o.stderr));
    assert_eq!(entries(dir.path()), ["solution.json"]);
}

#[test]
fn export_refuses_a_hand_edited_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve_example(dir.path());
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&sol).unwrap()).unwrap();
    let entry = &mut v["plan"][0]["impressions"];
    *entry = (entry.as_f64().unwrap() * 3.0).into();
    std::fs::write(&sol, v.to_string()).unwrap();
    let art = dir.path().join("serving");
    let o = agora(&["export", s(&sol), "--instance", &example(), "--out", s(&art)]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("solution.json: refusing to export") && err.contains("feasibility check"), "{err}");
    assert_eq!(entries(dir.path()), ["solution.json"]);
}

#[test]
fn export_needs_the_instance_and_keeps_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve_example(dir.path());
    let o = agora(&["export", s(&sol), "--out", s(&dir.path().join("x"))]);
    assert_eq!(o.status.code(), Some(2), "--instance is required");
    let art = dir.path().join("serving");
    std::fs::create_dir(&art).unwrap();
    std::fs::write(art.join("keep.txt"), "mine").unwrap();
    let o = agora(&["export", s(&sol), "--instance", &example(), "--out", s(&art)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("holds keep.txt, which this command does not write"), "{}", text(&o.stderr));
    assert_eq!(entries(&art), ["keep.txt"]);
    assert_eq!(entries(dir.path()), ["serving", "solution.json"], "no temporary directory left behind");
}

#[test]
fn simulate_refuses_a_corrupted_artifact_and_one_made_for_another_instance() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve_example(dir.path());
    let art = dir.path().join("serving");
    assert_eq!(agora(&["export", s(&sol), "--instance", &example(), "--out", s(&art)]).status.code(), Some(0));

    // The same day with one more byte: another content hash.
    let other = dir.path().join("other.json");
    std::fs::write(&other, format!("{}\n", std::fs::read_to_string(example()).unwrap())).unwrap();
    let o = agora(&["simulate", s(&other), s(&art), "--arrivals", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("made for instance"), "{}", text(&o.stderr));

    let pacing = art.join("pacing.csv");
    let t = std::fs::read_to_string(&pacing).unwrap();
    std::fs::write(&pacing, t.replacen(",1,", ",0.5,", 1)).unwrap();
    let o = agora(&["simulate", &example(), s(&art), "--arrivals", "100"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("pacing.csv") && err.contains("checksum mismatch"), "{err}");
}
