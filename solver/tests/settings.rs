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
            Err(SolveError::Settings(msg)) => assert!(msg.starts_with(field), "{msg}"),
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
