//! The `agora` binary end to end: exit codes, output files, messages.

mod common;

use common::*;

use serde_json::Value;

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
    for cmd in ["solve", "validate", "generate", "fppe", "auction", "import", "estimate", "evaluate"] {
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

#[test]
fn fppe_reproduces_the_known_two_by_two_answer() {
    // Values [[2,2],[2,4]], budgets (2,1): multipliers (3/4, 3/8), prices (3/2, 3/2), revenue 3.
    let dir = tempfile::tempdir().unwrap();
    let market = dir.path().join("market.json");
    std::fs::write(
        &market,
        r#"{"schema":"agora.market/v1","goods":[{"id":"g1","supply":1},{"id":"g2","supply":1}],
            "bidders":[{"id":"b1","budget":2,"values":{"g1":2,"g2":2}},{"id":"b2","budget":1,"values":{"g1":2,"g2":4}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("fppe.json");
    let o = agora(&["fppe", market.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["schema"], "agora.fppe/v1");
    assert!((r["revenue"].as_f64().unwrap() - 3.0).abs() < 1e-6);
    let m: Vec<f64> = r["pacing"].as_array().unwrap().iter().map(|p| p["multiplier"].as_f64().unwrap()).collect();
    assert!((m[0] - 0.75).abs() < 1e-6 && (m[1] - 0.375).abs() < 1e-6, "{m:?}");
    for p in r["prices"].as_array().unwrap() {
        assert!((p["price"].as_f64().unwrap() - 1.5).abs() < 1e-6);
    }
}

#[test]
fn auction_runs_vcg_and_rejects_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bids.json");
    std::fs::write(
        &file,
        r#"{"schema":"agora.auction/v1","slots":[{"id":"top","ctr":0.2},{"id":"side","ctr":0.1}],
            "bids":[{"bidder":"a","bid":3},{"bidder":"b","bid":2},{"bidder":"c","bid":1}]}"#,
    )
    .unwrap();
    let out = dir.path().join("result.json");
    let o = agora(&["auction", file.to_str().unwrap(), "--rule", "vcg", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    // VCG: c's bid prices the side slot (0.1 * 1 = 0.1); a pays b's externality on the top slot
    // (0.2 - 0.1) * 2 + 0.1 = 0.3. Revenue 0.4.
    assert!((r["revenue"].as_f64().unwrap() - 0.4).abs() < 1e-9, "{r}");
    std::fs::write(&file, r#"{"schema":"agora.auction/v1","bids":[{"bidder":"a","bid":-1}]}"#).unwrap();
    let o = agora(&["auction", file.to_str().unwrap(), "--rule", "second-price"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("bid"), "{}", text(&o.stderr));
}

#[test]
fn a_closed_stdout_does_not_stop_a_command_writing_its_files() {
    // `agora solve ... | head -1`: the summary's later lines meet a closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("solution.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["solve", &example(), "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    assert!(out.is_file());
}

#[test]
fn csv_and_parquet_edges_give_byte_identical_solutions() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    for (flag, name) in [("--columnar", "c.json"), ("--parquet", "p.json")] {
        let o = agora(&["generate", "--size", "small", "--seed", "5", flag, "--out", &p(name)]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    assert!(dir.path().join("p.edges.parquet").is_file() && dir.path().join("c.edges.csv").is_file());
    for (day, sol) in [("c.json", "c.sol.json"), ("p.json", "p.sol.json")] {
        let o = agora(&["solve", &p(day), "--out", &p(sol)]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    assert_eq!(std::fs::read(p("c.sol.json")).unwrap(), std::fs::read(p("p.sol.json")).unwrap());
}

#[test]
fn solve_timings_name_every_phase_in_order() {
    let o = agora(&["solve", &example(), "--timings"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let line = err.lines().find(|l| l.starts_with("timings: ")).unwrap_or_else(|| panic!("no timings line in {err}"));
    assert!(line.starts_with("timings: 86 edges, load+validate "), "{line}");
    let at = |p: &str| line.find(p).unwrap_or_else(|| panic!("{p} missing from {line}"));
    assert!(
        at("load+validate") < at("formulate")
            && at("formulate") < at("solve ")
            && at("solve ") < at("outputs")
            && at("outputs") < at("write")
            && at("write") < at("total")
    );
    // Without the flag, nothing of the kind is printed.
    let o = agora(&["solve", &example()]);
    assert!(!text(&o.stderr).contains("timings:"));
}

/// `agora import movielens --creators directors` builds the directors day (issue 33) from the
/// fetched sample; `--creators` is refused for obd.
#[test]
fn import_movielens_with_directors_as_creators() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(data.join("ml-100k.kg").is_file(), "{} is missing ml-100k.kg: run scripts/fetch-data.sh (make test does)", data.display());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("directors.json");
    let o = agora(&["import", "movielens", data.to_str().unwrap(), "--creators", "directors", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("30 segments, 844 creators, 25 campaigns, 1682 items, 14047 edges"), "{}", text(&o.stdout));
    let day: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(day["name"], "movielens-100k-directors");
    let o = agora(&["import", "obd", data.to_str().unwrap(), "--creators", "directors", "--out", dir.path().join("obd").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--creators is for movielens"), "{}", text(&o.stderr));
    assert!(!dir.path().join("obd.json").exists());
}
