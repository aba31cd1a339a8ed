//! `agora audit` end to end: the table, the JSON document, exit codes.

mod common;

use common::*;

use serde_json::Value;

const EXAMPLE: &str = "instances/example-day.json";

#[test]
fn audit_prints_a_table_and_finds_the_new_account_sybil_of_the_example_day() {
    let o = agora(&["audit", EXAMPLE]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for property in ["budget_feasibility", "creator_monotonicity", "sybil_same_group", "sybil_new_account"] {
        assert!(out.contains(property), "{out}");
    }
    // Every established creator with two items is tried (6 < 8 trials): the one whose split
    // into a new account pays is always found.
    let line = out.lines().find(|l| l.starts_with("sybil_new_account")).unwrap();
    assert!(line.contains("fails") && line.contains("atelier-nord"), "{line}");
}

#[test]
fn audit_json_is_an_agora_audit_document() {
    let o = agora(&["audit", EXAMPLE, "--json", "--trials", "2", "--seed", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema"], "agora.audit/v1");
    assert_eq!(doc["instance"], "example-day");
    assert_eq!(doc["seed"], 5);
    let checks = doc["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4);
    for c in checks {
        assert!(["holds", "fails", "not_applicable"].contains(&c["verdict"].as_str().unwrap()), "{c}");
        assert!(c["worst_violation"].as_f64().unwrap() >= 0.0);
        assert!(c["trials"].as_u64().unwrap() <= 2 || c["property"] == "budget_feasibility");
    }
}

#[test]
fn fail_on_violation_exits_4() {
    let o = agora(&["audit", EXAMPLE, "--fail-on-violation"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("a property fails"));
}

#[test]
fn an_infeasible_day_exits_3_and_a_bad_file_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("infeasible.json");
    std::fs::write(
        &day,
        r#"{"schema": "agora.instance/v1", "name": "no-plan",
            "segments": [{"id": "s", "supply": 10}], "creators": [{"id": "c"}],
            "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 1, "risk": 0, "fresh": true}],
            "edges": [{"segment": "s", "item": "i", "engagement": 1, "price": 0}],
            "constraints": [{"name": "floor", "type": "exposure_floor", "items": {"kind": "organic"}, "min": 20}]}"#,
    )
    .unwrap();
    let o = agora(&["audit", day.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("infeasible"), "{}", text(&o.stderr));

    let o = agora(&["audit", dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("missing.json"));
}
