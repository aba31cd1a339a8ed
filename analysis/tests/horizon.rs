//! The horizon's consistency: with every dynamic off each day is `agora solve` of the day and
//! nothing changes; accounting identities hold every day; a seed gives the same bytes; warm
//! starts are used and counted; policies share their random numbers.

use agora_analysis::horizon::{self, run_policy, Dynamics, HorizonConfig, Policy, METRICS};
use agora_instances::{generate_day, Size};
use agora_solver::{solve, Settings, Silent, Status};

fn metric(name: &str) -> usize {
    METRICS.iter().position(|m| *m == name).unwrap()
}

#[test]
fn with_every_dynamic_off_each_day_is_the_solve_of_the_day_and_nothing_changes() {
    let inst = generate_day(Size::Small, 3, 0.0);
    let cfg = HorizonConfig { days: 4, dynamics: Dynamics::off(), ..HorizonConfig::default() };
    let eco = Policy::builtin("ecosystem").unwrap();
    let run = run_policy(&inst, &eco, &cfg, 0, true, &Silent).unwrap();
    assert_eq!(run.days.len(), 4);
    let reference = solve(&inst, &Settings::default()).unwrap();
    assert_eq!(reference.status, Status::Optimal);
    for (t, rec) in run.days.iter().enumerate() {
        assert_eq!(run.instances[t], inst, "day {t}'s instance is day 0's");
        let rel = (rec[0] - reference.objective).abs() / reference.objective.abs();
        assert!(rel <= 1e-9, "day {t}: objective {} against agora solve's {}", rec[0], reference.objective);
        // The same vertex every day, up to the rounding of a warm-started solve.
        let worst = run.plans[t].iter().zip(&run.plans[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-6 * inst.segments.iter().map(|s| s.supply).fold(0.0, f64::max), "day {t}'s plan differs from day 0's by {worst}");
        for m in ["joined", "churned", "uploaded", "items_lost"] {
            assert_eq!(rec[metric(m)], 0.0, "{m} on day {t}");
        }
    }
    // The same policy's edits apply every day: engagement-only drops its rules each day alike.
    let eng = Policy::builtin("engagement-only").unwrap();
    let run = run_policy(&inst, &eng, &cfg, 0, true, &Silent).unwrap();
    let dropped = eng.apply(&inst).unwrap();
    let reference = solve(&dropped, &Settings::default()).unwrap();
    for rec in &run.days {
        assert!((rec[0] - reference.objective).abs() <= 1e-9 * reference.objective.abs());
    }
}

#[test]
fn accounting_identities_hold_every_day() {
    let inst = generate_day(Size::Small, 5, 0.0);
    let mut dynamics = Dynamics::default();
    // Strong dynamics, so that every transition happens.
    dynamics.churn.threshold = 2000.0;
    dynamics.churn.rate = 0.3;
    dynamics.joins.rate = 3.0;
    dynamics.uploads.base = 0.3;
    let cfg = HorizonConfig { days: 12, dynamics, ..HorizonConfig::default() };
    for name in ["ecosystem", "engagement-only"] {
        let run = run_policy(&inst, &Policy::builtin(name).unwrap(), &cfg, 0, false, &Silent).unwrap();
        assert!(run.stopped.is_none(), "{name}: {:?}", run.stopped);
        let (mut churned, mut joined, mut uploaded) = (0.0, 0.0, 0.0);
        for w in run.days.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert_eq!(b[metric("active_creators")], a[metric("active_creators")] - a[metric("churned")] + a[metric("joined")], "{name}: creators");
            assert_eq!(b[metric("catalog")], a[metric("catalog")] - a[metric("items_lost")] + a[metric("uploaded")] + a[metric("joined")], "{name}: items");
            churned += a[metric("churned")];
            joined += a[metric("joined")];
            uploaded += a[metric("uploaded")];
        }
        assert!(churned > 0.0 && joined > 0.0 && uploaded > 0.0, "{name}: every transition happened ({churned}, {joined}, {uploaded})");
        // Warm starts: every day after the first starts from yesterday's solution.
        let warm: f64 = run.days.iter().map(|r| r[metric("warm_start")]).sum();
        assert_eq!(warm, (run.days.len() - 1) as f64, "{name}");
    }
}

#[test]
fn a_seed_gives_the_same_bytes_and_policies_share_their_random_numbers() {
    let inst = generate_day(Size::Tiny, 2, 0.0);
    let policies = [Policy::builtin("ecosystem").unwrap(), Policy::builtin("engagement-only").unwrap()];
    let cfg = HorizonConfig { days: 10, replicas: 3, seed: 7, ..HorizonConfig::default() };
    let a = horizon::run(&inst, &policies, &cfg, &Silent).unwrap();
    let b = horizon::run(&inst, &policies, &cfg, &Silent).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    // Replicas run at once or one after another: the same bytes.
    let one = horizon::run(&inst, &policies, &HorizonConfig { parallelism: 1, ..cfg.clone() }, &Silent).unwrap();
    let three = horizon::run(&inst, &policies, &HorizonConfig { parallelism: 3, ..cfg.clone() }, &Silent).unwrap();
    assert_eq!(one.to_json(), three.to_json());
    assert_eq!(one.to_csv(), three.to_csv());
    assert_eq!(a.to_csv(), b.to_csv());
    let c = horizon::run(&inst, &policies, &HorizonConfig { seed: 8, ..cfg.clone() }, &Silent).unwrap();
    assert_ne!(a.to_json(), c.to_json(), "another seed, another history");
    // Common random numbers: the same policy twice has the same history, replica by replica.
    let twice = horizon::run(&inst, &[policies[0].clone(), policies[0].clone()], &cfg, &Silent).unwrap();
    assert_eq!(twice.policies[0].runs, twice.policies[1].runs);
    let json: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(json["schema"], "agora.horizon/v1");
    let ci = json["policies"][0]["totals"]["cumulative_engagement"]["ci95"].as_f64().unwrap();
    assert!(ci > 0.0, "three replicas give an interval");
}

#[test]
fn bad_configurations_and_policies_are_named() {
    let inst = generate_day(Size::Tiny, 2, 0.0);
    let mut d = Dynamics::default();
    d.churn.rate = 2.0;
    let e = horizon::run(&inst, &[Policy::builtin("ecosystem").unwrap()], &HorizonConfig { dynamics: d, ..HorizonConfig::default() }, &Silent).unwrap_err();
    assert!(e.to_string().contains("churn.rate"), "{e}");
    let mut p = Policy::builtin("ecosystem").unwrap();
    p.set.insert("no-such-rule.min".into(), 1.0);
    let e = horizon::run(&inst, &[p], &HorizonConfig { days: 2, ..HorizonConfig::default() }, &Silent).unwrap_err();
    assert!(e.to_string().contains("no-such-rule"), "{e}");
}
