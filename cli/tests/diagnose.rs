//! `agora diagnose`, and the diagnosis `agora solve` and `agora frontier` attach to infeasible
//! days and points.

mod common;

use common::{agora, example, s, text};

/// The bundled day with its new-creator floor raised twentyfold, made hard: infeasible.
fn infeasible_day(dir: &std::path::Path) -> std::path::PathBuf {
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    for c in v["constraints"].as_array_mut().unwrap() {
        if c["name"] == "new-creator-exposure" {
            c["min"] = serde_json::json!(c["min"].as_f64().unwrap() * 20.0);
            c.as_object_mut().unwrap().remove("penalty");
        }
    }
    let path = dir.join("infeasible.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

#[test]
fn diagnose_names_the_conflict_and_the_relaxation_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let day = infeasible_day(dir.path());
    let out = dir.path().join("diagnosis.json");
    let o = agora(&["diagnose", s(&day), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let printed = text(&o.stdout);
    assert!(
        printed.contains("is infeasible")
            && printed.contains("new-creator-exposure (exposure_floor)")
            && printed.contains("new-creator-exposure.min: 1400000 ->"),
        "{printed}"
    );
    let d: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(d["schema"], "agora.diagnosis/v1");
    assert_eq!(d["feasible"], false);
    assert_eq!(d["conflict"][0]["rule"], "new-creator-exposure");
    assert_eq!(d["relaxation"][0]["param"], "new-creator-exposure.min");
    assert!(d["relaxed_objective"].as_f64().unwrap() > 0.0);
    // The relaxed floor solves; 0.99 of the change does not.
    let (from, to) = (d["relaxation"][0]["from"].as_f64().unwrap(), d["relaxation"][0]["to"].as_f64().unwrap());
    for (scale, code) in [(1.0, 0), (0.99, 3)] {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&day).unwrap()).unwrap();
        for c in v["constraints"].as_array_mut().unwrap() {
            if c["name"] == "new-creator-exposure" {
                c["min"] = serde_json::json!(from + scale * (to - from));
            }
        }
        let relaxed = dir.path().join(format!("relaxed-{scale}.json"));
        std::fs::write(&relaxed, serde_json::to_string(&v).unwrap()).unwrap();
        let o = agora(&["solve", s(&relaxed), "--settings", s(&no_diagnosis(dir.path()))]);
        assert_eq!(o.status.code(), Some(code), "scale {scale}: {}", text(&o.stderr));
    }
}

fn no_diagnosis(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("settings.json");
    std::fs::write(&p, r#"{"diagnose_infeasible": false}"#).unwrap();
    p
}

#[test]
fn a_feasible_day_is_diagnosed_as_such() {
    let o = agora(&["diagnose", &example()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("is feasible"), "{}", text(&o.stdout));
}

#[test]
fn solve_on_an_infeasible_day_explains_it_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let day = infeasible_day(dir.path());
    let out = dir.path().join("solution.json");
    let o = agora(&["solve", s(&day), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains("Conflicting rules"), "{}", text(&o.stdout));
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(f["status"], "infeasible");
    assert_eq!(f["diagnosis"]["conflict"][0]["rule"], "new-creator-exposure");
    let o = agora(&["solve", s(&day), "--out", s(&out), "--settings", s(&no_diagnosis(dir.path()))]);
    assert_eq!(o.status.code(), Some(3));
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(f.get("diagnosis").is_none());
}

#[test]
fn infeasible_frontier_points_carry_their_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f");
    let o = agora(&["frontier", &example(), "--sweep", "new-creator-exposure.min=100000..2000000", "--points", "3", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    let last = &f["points"][2];
    assert_eq!(last["status"], "infeasible");
    let names: Vec<&str> = last["conflict"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(names.contains(&"new-creator-exposure"), "{names:?}");
    assert!(f["points"][0].get("conflict").is_none(), "optimal points carry no conflict");
}
