//! `agora horizon` end to end with learning policies: a warm start from the Open Bandit sample's
//! logs (data/obd/, fetched by scripts/fetch-data.sh, which `make test` runs), the regret in the
//! files, the summary and the CSV; the warm start's refusals, through the gate like every input.

mod common;
use common::*;

#[test]
fn learning_policies_warm_started_from_logs_write_their_regret() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let o = agora(&["import", "obd", "data/obd/random/all", "--out", &p("obd")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = p("h");
    let o = agora(&[
        "horizon",
        &p("obd.json"),
        "--days",
        "6",
        "--dynamics",
        "off",
        "--policy",
        "ecosystem",
        "--policy",
        "greedy",
        "--policy",
        "thompson",
        "--warm-start",
        &p("obd.logs.csv"),
        "--replicas",
        "2",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("warm start: 10000 rounds"), "{stdout}");
    assert!(stdout.contains("Regret against the optimum") && stdout.contains("learns with the least regret"), "{stdout}");
    let mut names = entries(dir.path().join("h").as_path());
    names.sort();
    assert_eq!(names, ["active_creators.svg", "catalog.svg", "cumulative_regret.svg", "engagement.svg", "horizon.csv", "horizon.json", "index.html"]);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("h/horizon.json")).unwrap()).unwrap();
    assert_eq!(json["learning"]["warm_start"]["rounds"], 10000);
    assert_eq!(json["learning"]["warm_start"]["prior"], "empirical-bayes");
    let engagement: Vec<&str> = json["policies"].as_array().unwrap().iter().map(|p| p["engagement"].as_str().unwrap()).collect();
    assert_eq!(engagement, ["oracle", "greedy", "thompson"]);
    for p in json["policies"].as_array().unwrap() {
        let regret = p["series"]["regret"]["mean"].as_array().unwrap();
        assert_eq!(regret.len(), 6);
        let cumulative = p["series"]["cumulative_regret"]["mean"].as_array().unwrap();
        let sum: f64 = regret.iter().map(|v| v.as_f64().unwrap()).sum();
        assert!((cumulative[5].as_f64().unwrap() - sum).abs() <= 1e-9 * sum.abs().max(1.0));
        assert!(regret.iter().all(|v| v.as_f64().unwrap() >= -1e-9), "regret below 0");
        if p["engagement"] == "oracle" {
            assert!(regret.iter().all(|v| v.as_f64().unwrap() == 0.0));
        }
    }
    let csv = std::fs::read_to_string(dir.path().join("h/horizon.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",optimum,earned,regret,cumulative_regret,violations,floor_cost"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 3 * 6);
}

#[test]
fn a_warm_start_is_refused_with_its_reason_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let out = p("h");
    let logs = p("l.csv");
    std::fs::write(&logs, "segment,item,reward,propensity\nus-teen,pin1,1,0.5\n").unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["horizon", "instances/example-day.json", "--days", "2", "--out", &out];
        args.extend_from_slice(extra);
        agora(&args)
    };
    // No policy learns: a usage error.
    let o = run(&["--policy", "ecosystem", "--warm-start", &logs]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--warm-start is for learning policies"), "{}", text(&o.stderr));
    // A missing file, named.
    let o = run(&["--policy", "ucb", "--warm-start", &p("missing.csv")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("missing.csv"), "{}", text(&o.stderr));
    // Logs of no segment of the day.
    std::fs::write(&logs, "segment,item,reward,propensity\nnowhere,pin1,1,0.5\n").unwrap();
    let o = run(&["--policy", "ucb", "--warm-start", &logs]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no logged round is in a segment of day \"example-day\""), "{}", text(&o.stderr));
    // dr is no estimator of a warm start; an unknown engagement is named.
    let o = run(&["--policy", "ucb", "--warm-start", &logs, "--warm-start-estimator", "dr"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    std::fs::write(p("pol.json"), r#"{"schema": "agora.policy/v1", "name": "x", "engagement": "optimistic"}"#).unwrap();
    let o = run(&["--policy", &p("pol.json")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("pol.json") && text(&o.stderr).contains("unknown variant `optimistic`"), "{}", text(&o.stderr));
    assert!(!dir.path().join("h").exists());
    // The output directory may not hold the warm start (the gate: it would be replaced).
    std::fs::create_dir(dir.path().join("h")).unwrap();
    std::fs::write(dir.path().join("h/horizon.json"), "{}").unwrap();
    let inside = p("h/horizon.json");
    let o = run(&["--policy", "ucb", "--warm-start", &inside]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("an input"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("h/horizon.json")).unwrap(), "{}");
}
