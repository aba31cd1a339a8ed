//! The settings struct: documented defaults, validation naming the field, JSON with unknown
//! fields rejected.

use agora_solver::{BackendChoice, Settings, SolveError};

#[test]
fn defaults_are_valid_and_documented_values() {
    let s = Settings::default();
    s.validate().unwrap();
    assert_eq!(s.backend, BackendChoice::Auto);
    assert_eq!(s.threads, 1);
    assert_eq!(s.time_limit, None);
    assert_eq!(s.check_tolerance, 1e-6);
}

#[test]
fn invalid_values_name_their_field() {
    let cases = [
        (Settings { time_limit: Some(-1.0), ..Settings::default() }, "time_limit"),
        (Settings { time_limit: Some(f64::NAN), ..Settings::default() }, "time_limit"),
        (Settings { iteration_limit: Some(0), ..Settings::default() }, "iteration_limit"),
        (Settings { threads: 0, ..Settings::default() }, "threads"),
        (Settings { primal_tolerance: 0.0, ..Settings::default() }, "primal_tolerance"),
        (Settings { dual_tolerance: 1.0, ..Settings::default() }, "dual_tolerance"),
        (Settings { check_tolerance: -1e-6, ..Settings::default() }, "check_tolerance"),
    ];
    for (s, field) in cases {
        match s.validate() {
            Err(SolveError::Settings { field: f, reason }) => assert_eq!(f, field, "{reason}"),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn json_gives_any_subset_and_rejects_unknown_fields() {
    let s = Settings::from_json(r#"{"backend": "clarabel", "time_limit": 30}"#).unwrap();
    assert_eq!(s.backend, BackendChoice::Clarabel);
    assert_eq!(s.time_limit, Some(30.0));
    assert_eq!(s.threads, 1);
    let e = Settings::from_json(r#"{"time_limt": 30}"#).unwrap_err().to_string();
    assert!(e.contains("time_limt"), "{e}");
    let e = Settings::from_json(r#"{"threads": 0}"#).unwrap_err().to_string();
    assert!(e.contains("threads"), "{e}");
}

/// docs/settings.md's table lists every field of `Settings` with its default, as JSON: the docs
/// cannot drift from the code without this failing.
#[test]
fn the_settings_table_in_the_docs_matches_the_defaults() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/settings.md")).unwrap();
    let mut documented = serde_json::Map::new();
    for line in page.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let field = cells[1].trim_matches('`');
        let value: serde_json::Value = serde_json::from_str(cells[2].trim_matches('`')).unwrap_or_else(|e| panic!("{field}: {e}"));
        assert!(documented.insert(field.to_string(), value).is_none(), "{field} is listed twice");
    }
    let defaults = serde_json::to_value(agora_solver::Settings::default()).unwrap();
    assert_eq!(serde_json::Value::Object(documented), defaults);
}

/// A settings file with a value of the wrong type names the field (through its serde path), and
/// a value out of range names it too.
#[test]
fn settings_files_name_the_bad_field() {
    for (text, field) in [(r#"{"threads": "two"}"#, "threads"), (r#"{"time_limit": -3}"#, "time_limit"), (r#"{"backend": "gurobi"}"#, "backend")] {
        match Settings::from_json(text) {
            Err(SolveError::Settings { field: f, .. }) => assert_eq!(f, field, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// Validated settings are the only kind a backend takes; plain settings are checked on entry.
#[test]
fn validated_settings_are_checked_once_and_keep_their_values() {
    let bad = Settings { threads: 0, ..Settings::default() };
    assert!(matches!(bad.clone().validated(), Err(SolveError::Settings { .. })));
    let day = agora_instances::generate(agora_instances::Size::Tiny, 1);
    assert!(matches!(agora_solver::solve(&day, &bad), Err(SolveError::Settings { .. })));
    let valid = Settings { threads: 2, ..Settings::default() }.validated().unwrap();
    assert_eq!(valid.threads, 2);
    let sol = agora_solver::solve(&day, &valid).unwrap();
    assert_eq!(sol.status, agora_solver::Status::Optimal);
    assert_eq!(valid.with_time_left(Some(-1.0)).time_limit, Some(1e-3));
}

/// A warm start of another shape is its own error, not a settings error.
#[test]
fn a_warm_start_of_another_shape_is_a_warm_start_error() {
    let day = agora_instances::generate(agora_instances::Size::Tiny, 1);
    let model = agora_solver::formulate(&day);
    let warm = agora_solver::WarmStart { x: Some(vec![0.0; model.n_edges - 1]), y: None, basis: None };
    let settings = Settings { backend: BackendChoice::FirstOrder, ..Settings::default() };
    match agora_solver::solve_model_warm(&day, &model, &settings, Some(&warm)) {
        Err(SolveError::WarmStart { reason }) => assert!(reason.contains("values"), "{reason}"),
        other => panic!("expected a warm-start error, got {:?}", other.map(|s| s.status)),
    }
}
