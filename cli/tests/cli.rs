//! The `agora` binary end to end: exit codes, output files, messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn agora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agora")).args(args).current_dir(workspace()).output().expect("runs")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn example() -> String {
    workspace().join("instances/example-day.json").display().to_string()
}

#[test]
fn solve_the_example_day() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("solution.json");
    let o = agora(&["solve", &example(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("OPTIMAL"), "{stdout}");
    assert!(stdout.contains("binding rules"), "{stdout}");
    let sol: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sol["schema"], "agora.solution/v1");
    assert_eq!(sol["status"], "optimal");
    let terms = &sol["terms"];
    let total: f64 = ["engagement", "quality", "revenue", "integrity_risk", "regularization", "penalties"].iter().map(|k| terms[k].as_f64().unwrap()).sum();
    assert!((total - sol["objective"].as_f64().unwrap()).abs() < 1e-6);
    for row in sol["constraints"].as_array().unwrap() {
        for field in ["name", "type", "activity", "bound", "slack", "violation", "dual", "shadow_price"] {
            assert!(!row[field].is_null(), "row {row} lacks {field}");
        }
    }
    let inst: Value = serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    assert_eq!(sol["pacing"].as_array().unwrap().len(), inst["campaigns"].as_array().unwrap().len());
    for p in sol["pacing"].as_array().unwrap() {
        let m = p["multiplier"].as_f64().unwrap();
        assert!(m > 0.0 && m <= 1.0);
        assert_eq!(m == 1.0, p["budget_dual"].as_f64().unwrap() == 0.0, "{p}");
    }
}

#[test]
fn solve_with_clarabel_and_a_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"backend": "clarabel", "time_limit": 60}"#).unwrap();
    let o = agora(&["solve", &example(), "--settings", settings.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("backend clarabel"));
}

#[test]
fn bad_settings_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"threads": 0}"#).unwrap();
    let o = agora(&["solve", &example(), "--settings", settings.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("threads") && err.contains("settings.json"), "{err}");
    std::fs::write(&settings, r#"{"treads": 2}"#).unwrap();
    let o = agora(&["solve", &example(), "--settings", settings.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("treads"), "{}", text(&o.stderr));
}

#[test]
fn infeasible_day_exits_3_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("infeasible.json");
    std::fs::write(
        &path,
        r#"{"schema": "agora.instance/v1", "name": "infeasible",
            "segments": [{"id": "s", "supply": 10}], "creators": [{"id": "c"}],
            "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 1, "risk": 0, "fresh": true}],
            "edges": [{"segment": "s", "item": "i", "engagement": 1}],
            "constraints": [{"name": "floor", "type": "exposure_floor", "items": {"ids": ["i"]}, "min": 20}]}"#,
    )
    .unwrap();
    let out = dir.path().join("sol.json");
    let o = agora(&["solve", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stderr).contains("infeasible"), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("INFEASIBLE"));
    let sol: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sol["status"], "infeasible");
    assert!(sol["plan"].as_array().unwrap().is_empty());
}

#[test]
fn syntax_error_names_file_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"schema\": \"agora.instance/v1\",\n  \"name\": oops\n}").unwrap();
    let out = dir.path().join("sol.json");
    let o = agora(&["solve", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("broken.json:3:"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary files left behind");
}

#[test]
fn validate_reports_every_error_with_entity_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"schema": "agora.instance/v1", "name": "bad",
            "segments": [{"id": "s", "supply": -1}],
            "items": [{"id": "i", "creator": "ghost", "topic": "t", "quality": 2, "risk": 0, "fresh": true}],
            "edges": [{"segment": "nowhere", "item": "i", "engagement": 1}]}"#,
    )
    .unwrap();
    let o = agora(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    for needle in ["bad.json", "segment \"s\"", "supply", "item \"i\"", "ghost", "quality", "nowhere"] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    let o = agora(&["validate", &example()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn generate_is_reproducible_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for p in [&a, &b] {
        let o = agora(&["generate", "--size", "tiny", "--seed", "11", "--out", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let o = agora(&["solve", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let o = agora(&["generate", "--size", "huge", "--out", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("tiny"), "{}", text(&o.stderr));
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in ["solve", "validate", "generate"] {
        let o = agora(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        assert!(text(&o.stdout).contains("Example"), "{cmd} --help lacks an example");
    }
}

#[test]
fn unknown_backend_is_a_usage_error() {
    let o = agora(&["solve", &example(), "--backend", "gurobi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("highs"));
}
