//! `agora import obd`, `agora estimate` and `agora evaluate` end to end on the Open Bandit
//! sample (data/obd/, fetched by scripts/fetch-data.sh, which `make test` runs), and their errors.

mod common;
use common::*;

#[test]
fn import_estimate_plan_and_evaluate_a_logged_day() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    for (campaign, prefix) in [("bts", "bts"), ("random", "random")] {
        let o = agora(&["import", "obd", &format!("data/obd/{campaign}/all"), "--segment-by", "position", "--out", &p(prefix)]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("10000 rounds"), "{}", text(&o.stdout));
    }
    let o = agora(&["estimate", &p("bts.logs.csv"), "--instance", &p("random.json"), "--out", &p("est.json")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("239 edges estimated from rounds, 1 without rounds"), "{}", text(&o.stdout));
    // Plan pessimistically with an exploration floor, then evaluate the plan on the random logs.
    let mut day: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("est.json")).unwrap()).unwrap();
    assert!(day["edges"][0]["engagement_lcb"].as_f64().unwrap() <= day["edges"][0]["engagement"].as_f64().unwrap());
    day["objective"]["engagement_estimate"] = "pessimistic".into();
    day["constraints"] = serde_json::json!([{"name": "explore", "type": "exploration_floor", "min_share": 0.002, "max_n": 20}]);
    std::fs::write(p("plan-day.json"), day.to_string()).unwrap();
    let o = agora(&["solve", &p("plan-day.json"), "--out", &p("plan.json")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let sol: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("plan.json")).unwrap()).unwrap();
    let explore: Vec<&serde_json::Value> = sol["constraints"].as_array().unwrap().iter().filter(|c| c["type"] == "exploration_floor").collect();
    assert!(!explore.is_empty());
    assert!(explore.iter().all(|c| c["shadow_price"].as_f64().unwrap() <= 0.0), "a floor's price is never positive");
    let o = agora(&["evaluate", &p("plan.json"), &p("random.logs.csv"), "--instance", &p("plan-day.json"), "--estimator", "dr", "--out", &p("ev.json")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("ev.json")).unwrap()).unwrap();
    assert_eq!(ev["schema"], "agora.evaluation/v1");
    assert_eq!(ev["rounds"], 10000);
    let (lo, v, hi) = (ev["ci95"][0].as_f64().unwrap(), ev["value"].as_f64().unwrap(), ev["ci95"][1].as_f64().unwrap());
    assert!(lo <= v && v <= hi);
    // The uniform policy on its own logs: IPS is the logs' mean click.
    let o = agora(&["evaluate", "--uniform", &p("random.logs.csv"), "--instance", &p("random.json"), "--estimator", "ips"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("value 0.003800 per impression"), "{}", text(&o.stdout));
}

#[test]
fn bad_logs_name_file_line_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("bad.logs.csv");
    std::fs::write(&logs, "segment,item,reward,propensity\nus-teen,pin1,1,0\n").unwrap();
    let out = dir.path().join("est.json");
    let o = agora(&["estimate", s(&logs), "--instance", "instances/example-day.json", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("bad.logs.csv") && err.contains("line 2") && err.contains("\"propensity\": must be in [1e-9, 1]") && err.contains("got 0"), "{err}");
    assert!(!out.exists());
    // Logs of other segments: nothing links to the day.
    std::fs::write(&logs, "segment,item,reward,propensity\nnowhere,pin1,1,0.5\n").unwrap();
    let o = agora(&["estimate", s(&logs), "--instance", "instances/example-day.json", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no logged round is in a segment of day \"example-day\""), "{}", text(&o.stderr));
    assert!(!out.exists());
    // Usage: a solution and --uniform together; dr for estimate.
    let o = agora(&["evaluate", "sol.json", s(&logs), "--instance", "instances/example-day.json", "--uniform"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = agora(&["estimate", s(&logs), "--instance", "instances/example-day.json", "--out", s(&out), "--estimator", "dr"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}
