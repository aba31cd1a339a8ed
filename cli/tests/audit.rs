//! `agora audit` end to end: the table, the JSON document, exit codes.

mod common;

use common::*;

use serde_json::Value;

const EXAMPLE: &str = "instances/example-day.json";

#[test]
fn audit_prints_the_tables_and_finds_the_example_days_gains() {
    let o = agora(&["audit", EXAMPLE]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for property in ["budget_feasibility", "creator_monotonicity", "sybil_same_group", "sybil_new_account", "topic_relabel", "near_duplicate", "group_move"] {
        assert!(out.lines().any(|l| l.starts_with(property)), "{property}: {out}");
    }
    // A new account paid by the new-creator floor and parity is what those rules are for...
    let line = out.lines().find(|l| l.starts_with("sybil_new_account")).unwrap();
    assert!(line.contains("intended"), "{line}");
    // ...a relabelled topic escaping the topic cap is not.
    let line = out.lines().find(|l| l.starts_with("topic_relabel")).unwrap();
    assert!(line.contains("fails") && line.contains("topic-diversity"), "{line}");
    assert!(out.contains("trials that found something"), "{out}");
}

#[test]
fn audit_json_is_an_agora_audit_document() {
    let o = agora(&["audit", EXAMPLE, "--json", "--trials", "2", "--seed", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema"], "agora.audit/v2");
    assert_eq!(doc["instance"], "example-day");
    assert!(doc["instance_hash"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(doc["seed"], 5);
    let checks = doc["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 7);
    for c in checks {
        assert!(["holds", "intended", "fails", "not_applicable"].contains(&c["verdict"].as_str().unwrap()), "{c}");
        assert!(c["worst_violation"].as_f64().unwrap() >= 0.0);
        assert!(c["non_trivial"].as_u64().unwrap() <= c["trials"].as_u64().unwrap());
        assert!(c["trials"].as_u64().unwrap() <= 2 || c["property"] == "budget_feasibility");
    }
    // A record per trial: creator, class, perturbation, exposure before and after, verdict.
    let trials = doc["trials"].as_array().unwrap();
    assert!(!trials.is_empty());
    for t in trials {
        for f in [
            "property",
            "creator",
            "class",
            "deviation",
            "perturbation",
            "exposure_before",
            "exposure_after",
            "change",
            "non_trivial",
            "verdict",
            "explained_by",
            "hot",
        ] {
            assert!(t.get(f).is_some(), "{f} missing in {t}");
        }
        assert!(["exposed", "margin_edge", "margin_row"].contains(&t["class"].as_str().unwrap()), "{t}");
        assert_eq!(t["perturbation"].is_number(), t["property"] == "creator_monotonicity", "{t}");
    }
    let counted: u64 =
        checks.iter().filter(|c| c["property"] != "budget_feasibility").map(|c| c["trials"].as_u64().unwrap() + c["infeasible"].as_u64().unwrap()).sum();
    assert_eq!(counted, trials.len() as u64);
}

#[test]
fn out_writes_the_document_and_refuses_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit.json");
    let o = agora(&["audit", EXAMPLE, "--trials", "2", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["schema"], "agora.audit/v2");
    // With --json too, stdout holds the same document.
    let o = agora(&["audit", EXAMPLE, "--trials", "2", "--json", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap(), doc);
    let copy = dir.path().join("day.json");
    std::fs::copy(common::workspace().join(EXAMPLE), &copy).unwrap();
    let o = agora(&["audit", copy.to_str().unwrap(), "--out", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("is an input of this command"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(common::workspace().join(EXAMPLE)).unwrap());
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
