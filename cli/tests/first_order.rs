//! `agora solve --backend first-order` and `--warm-start` end to end.

mod common;

use common::*;

use serde_json::Value;

#[test]
fn first_order_solves_carry_their_certificate_and_warm_start_from_a_solution_file() {
    let example = example();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("solution.json");
    let o = agora(&["solve", &example, "--backend", "first-order", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let sol: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sol["status"], "optimal");
    assert_eq!(sol["backend"], "first-order");
    for field in ["primal_residual", "dual_residual", "gap"] {
        let v = sol["certificate"][field].as_f64().unwrap_or_else(|| panic!("certificate.{field}"));
        assert!(v.abs() <= 1e-4, "{field} {v}");
    }

    let again = dir.path().join("again.json");
    let o = agora(&["solve", &example, "--warm-start", out.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let sol2: Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    let (a, b) = (sol["objective"].as_f64().unwrap(), sol2["objective"].as_f64().unwrap());
    assert!((a - b).abs() <= 2e-4 * a.abs(), "{a} {b}");

    // A warm start is for the first-order backend only; a bad file is an error naming it.
    let o = agora(&["solve", &example, "--warm-start", out.to_str().unwrap(), "--backend", "highs"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = agora(&["solve", &example, "--warm-start", &example]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("example-day.json"), "{}", text(&o.stderr));
}

#[test]
fn a_bad_first_order_tolerance_is_an_error_naming_the_field() {
    let example = example();
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"backend": "first-order", "first_order_tolerance": 1e-9}"#).unwrap();
    let o = agora(&["solve", &example, "--settings", settings.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("first_order_tolerance"), "{}", text(&o.stderr));
}

#[test]
fn the_method_flag_chooses_sifting_or_pdhg() {
    let example = example();
    let dir = tempfile::tempdir().unwrap();
    let mut objectives = Vec::new();
    for (method, says_sifting) in [("sifting", true), ("pdhg", false)] {
        let out = dir.path().join(format!("{method}.json"));
        // --method implies --backend first-order.
        let o = agora(&["solve", &example, "--method", method, "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
        let stdout = text(&o.stdout);
        assert_eq!(stdout.contains("sifting:"), says_sifting, "{method}: {stdout}");
        let sol: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(sol["backend"], "first-order");
        objectives.push(sol["objective"].as_f64().unwrap());
    }
    assert!((objectives[0] - objectives[1]).abs() <= 1e-4 * objectives[0].abs(), "{objectives:?}");
    let o = agora(&["solve", &example, "--method", "simplex"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("sifting"), "the error lists the methods: {}", text(&o.stderr));
}
