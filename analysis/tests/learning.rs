//! Learning while planning (docs/horizon.md, "Learning while planning"): on the issue's toy market
//! greedy and lcb plans keep a linear regret while ucb and Thompson sampling learn (their regret
//! flattens); lcb never shows the new item it underrates; an oracle policy is the horizon as it
//! was, byte for byte; no rule reads engagement, so a learning policy's plan never breaks one; the
//! exploration floor's cost and what it saved are reported; a warm start is the estimate's
//! posterior.
//!
//! The slope test runs 800 days x 12 seeds x 4 policies (38,400 days, each solved as every
//! horizon day is); on this toy that takes about 20 s of one core in the test profile, run here on
//! two threads. Each seed has its own warm-start log (clicks drawn from the true engagement), as
//! the issue's shape is an average over what a planner might have logged.

use std::collections::HashMap;

use agora_analysis::horizon::{self, run_policy, Belief, Dynamics, HorizonConfig, Policy, Run, WarmCounts, WarmSummary};
use agora_analysis::offpolicy::{EstimateSettings, Estimator, Prior};
use agora_instances::logs::{Logs, Round};
use agora_instances::{Evidence, Instance};
use agora_solver::{BackendChoice, Columns, Settings, Silent, Status};
use rand::{Rng, SeedableRng};

/// The toy market's true engagement: segment x item. The best edge of segment 2 is item 3.
const TRUE: [[f64; 5]; 2] = [[0.050, 0.046, 0.040, 0.030, 0.020], [0.030, 0.042, 0.040, 0.052, 0.025]];
/// Its optimum, clicks a day (derived by hand in `the_toy_markets_optimum_is_89_75`).
const OPTIMUM: f64 = 89.75;

/// 2 segments x 5 items, supply 1000 a segment served in full (an exposure floor of 1000 on each
/// segment with its supply of 1000: equality), every edge capped at 400, item 4 floored at 150 a
/// day; the objective is clicks. `extra` adds constraints (JSON objects).
fn toy(extra: &[&str]) -> Instance {
    let edges: Vec<String> = (0..2)
        .flat_map(|s| (0..5).map(move |i| format!(r#"{{"segment":"s{}","item":"i{i}","engagement":{},"price":0,"cap":400}}"#, s + 1, TRUE[s][i])))
        .collect();
    let items: Vec<String> = (0..5).map(|i| format!(r#"{{"id":"i{i}","creator":"c{i}","topic":"t","quality":0.5,"risk":0,"fresh":false}}"#)).collect();
    let creators: Vec<String> = (0..5).map(|i| format!(r#"{{"id":"c{i}"}}"#)).collect();
    let mut constraints = vec![
        r#"{"name":"serve-s1","type":"exposure_floor","items":{"kind":"organic"},"segments":["s1"],"min":1000}"#.to_string(),
        r#"{"name":"serve-s2","type":"exposure_floor","items":{"kind":"organic"},"segments":["s2"],"min":1000}"#.to_string(),
        r#"{"name":"item4","type":"exposure_floor","items":{"ids":["i4"]},"min":150}"#.to_string(),
    ];
    constraints.extend(extra.iter().map(|c| c.to_string()));
    let text = format!(
        r#"{{"schema":"agora.instance/v1","name":"toy","objective":{{"engagement":1,"revenue":0}},
        "segments":[{{"id":"s1","supply":1000}},{{"id":"s2","supply":1000}}],"creators":[{}],"items":[{}],"edges":[{}],"constraints":[{}]}}"#,
        creators.join(","),
        items.join(","),
        edges.join(","),
        constraints.join(",")
    );
    agora_instances::parse_str(&text, std::path::Path::new("toy.json")).unwrap().instance
}

/// The issue's warm start: 5000 logged rounds per edge on items 0-2, 30 on items 3-4, clicks drawn
/// from the true engagement (seeded), the logging policy's propensities its shares of the rounds.
fn warm_logs(seed: u64) -> Logs {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0xabc);
    let mut logs = Logs { segments: vec!["s1".into(), "s2".into()], items: (0..5).map(|i| format!("i{i}")).collect(), rounds: Vec::new() };
    for (s, row) in TRUE.iter().enumerate() {
        for (i, &rate) in row.iter().enumerate() {
            let n = if i < 3 { 5000 } else { 30 };
            for _ in 0..n {
                let reward = if rng.random::<f64>() < rate { 1.0 } else { 0.0 };
                logs.rounds.push(Round { segment: s as u32, item: i as u32, reward, propensity: n as f64 / 15_060.0, position: None });
            }
        }
    }
    logs
}

fn warm(inst: &Instance, seed: u64) -> WarmCounts {
    WarmCounts::from_logs(inst, &warm_logs(seed), &EstimateSettings::default(), "toy.logs.csv").unwrap()
}

#[test]
fn the_toy_markets_optimum_is_89_75() {
    // By hand: unconstrained, each segment fills its three best edges (caps 400, 400, 200):
    // s1 .05*400 + .046*400 + .04*200 = 46.4; s2 .052*400 + .042*400 + .04*200 = 45.6; 92 in all.
    // Item 4's floor of 150 then displaces 150 impressions of item 2 where that costs least:
    // (.04 - .02) * 150 = 3 in s1, (.04 - .025) * 150 = 2.25 in s2. 92 - 2.25 = 89.75.
    //
    // Independently, by enumeration: every number of the day is a multiple of 50 and every
    // coefficient 0 or 1 (one segment row and one item row per edge: an interval matrix), so the
    // LP has an optimal vertex on the grid of multiples of 50: search it.
    let plans = |s: usize| {
        let mut out = Vec::new();
        let grid = 0..=8usize;
        for a in grid.clone() {
            for b in grid.clone() {
                for c in grid.clone() {
                    for d in grid.clone() {
                        let used = a + b + c + d;
                        if used <= 20 && 20 - used <= 8 {
                            let x = [a, b, c, d, 20 - used].map(|k| 50.0 * k as f64);
                            out.push((x.iter().zip(&TRUE[s]).map(|(x, g)| x * g).sum::<f64>(), x[4]));
                        }
                    }
                }
            }
        }
        out
    };
    let (p1, p2) = (plans(0), plans(1));
    let best = p1.iter().flat_map(|a| p2.iter().filter(move |b| a.1 + b.1 >= 150.0).map(move |b| a.0 + b.0)).fold(f64::NEG_INFINITY, f64::max);
    assert!((best - OPTIMUM).abs() < 1e-9, "enumeration: {best}");
    // And two backends agree.
    let inst = toy(&[]);
    for backend in [BackendChoice::Highs, BackendChoice::Clarabel] {
        let sol = agora_solver::solve(&inst, &Settings { backend, ..Settings::default() }).unwrap();
        assert_eq!(sol.status, Status::Optimal);
        assert!((sol.objective - OPTIMUM).abs() < 1e-6, "{backend:?}: {}", sol.objective);
    }
}

/// One policy's 800-day run on seed `seed` (its own warm-start log and random numbers).
fn toy_run(inst: &Instance, name: &str, seed: u64, days: usize) -> Run {
    let cfg = HorizonConfig { days, seed: 1 + seed, dynamics: Dynamics::off(), warm_start: Some(warm(inst, seed)), ..HorizonConfig::default() };
    let run = run_policy(inst, &Policy::builtin(name).unwrap(), &cfg, 0, name == "lcb", &Silent).unwrap();
    assert!(run.stopped.is_none(), "{name} seed {seed}: {:?}", run.stopped);
    run
}

#[test]
fn greedy_and_lcb_regret_grows_linearly_ucb_and_thompson_learn() {
    const SEEDS: u64 = 12;
    const DAYS: usize = 800;
    let inst = toy(&[]);
    let policies = ["greedy", "lcb", "ucb", "thompson"];
    // Two threads, each a half of the (policy, seed) pairs.
    let jobs: Vec<(usize, u64)> = (0..policies.len()).flat_map(|p| (0..SEEDS).map(move |s| (p, s))).collect();
    let results: Vec<((usize, u64), Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(2))
            .map(|chunk| {
                let inst = &inst;
                scope.spawn(move || chunk.iter().map(|&(p, s)| ((p, s), toy_run(inst, policies[p], s, DAYS))).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let s2_i3 = inst.edges.iter().position(|e| inst.segments[e.segment].id == "s2" && inst.items[e.item].id == "i3").unwrap();
    for (p, name) in policies.iter().enumerate() {
        let runs: Vec<&Run> = results.iter().filter(|((q, _), _)| *q == p).map(|(_, r)| r).collect();
        let mean = |f: &dyn Fn(&Run) -> f64| runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64;
        for r in &runs {
            // Every day's optimum is the toy's, and no plan breaks a rule at the true values.
            assert!(r.learning.iter().all(|l| (l[0] - OPTIMUM).abs() < 1e-6 && l[4] == 0.0 && l[2] >= -1e-6), "{name}");
        }
        let r400 = mean(&|r| r.learning[DAYS / 2 - 1][3]);
        let r800 = mean(&|r| r.learning[DAYS - 1][3]);
        let late = mean(&|r| r.learning[DAYS - 100..].iter().map(|l| l[2]).sum::<f64>() / 100.0);
        let ratio = r800 / r400;
        eprintln!("{name}: regret(400) {r400:.1}, regret(800) {r800:.1}, ratio {ratio:.2}, late regret a day {late:.3}");
        match *name {
            "greedy" | "lcb" => assert!(ratio >= 1.8, "{name}: regret(800) / regret(400) = {ratio:.3}, not linear"),
            _ => {
                assert!(ratio <= 1.5, "{name}: regret(800) / regret(400) = {ratio:.3}, not sublinear");
                assert!(late < 0.01 * OPTIMUM, "{name}: late regret {late:.3} a day is not under 1% of the optimum");
            }
        }
        if *name == "lcb" {
            // Pessimism never shows the new item it underrates: no impression of (s2, i3) in 200 days.
            for r in &runs {
                assert!(r.plans[..200].iter().all(|x| x[s2_i3] == 0.0), "lcb served (s2, i3)");
            }
        }
    }
}

#[test]
fn an_oracle_policy_is_the_horizon_as_it_was() {
    let inst = agora_instances::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../instances/example-day.json")).unwrap().instance;
    let text = |extra: &str| format!(r#"{{"schema":"agora.policy/v1","name":"floor","set":{{"new-creator-exposure.min":100000}}{extra}}}"#);
    let plain = Policy::from_json(&text(""), std::path::Path::new("plain.json")).unwrap();
    let oracle = Policy::from_json(&text(r#","engagement":"oracle""#), std::path::Path::new("oracle.json")).unwrap();
    assert_eq!(plain, oracle);
    let cfg = HorizonConfig { days: 6, replicas: 2, ..HorizonConfig::default() };
    let eco = Policy::builtin("ecosystem").unwrap();
    let a = horizon::run(&inst, &[eco.clone(), plain], &cfg, &Silent).unwrap();
    let b = horizon::run(&inst, &[eco.clone(), oracle], &cfg, &Silent).unwrap();
    assert_eq!(a.files().unwrap(), b.files().unwrap());
    // Nothing of learning in an oracle horizon's files.
    let files = a.files().unwrap();
    assert!(!files.iter().any(|(name, _)| *name == "cumulative_regret.svg"));
    assert!(files.iter().all(|(_, text)| !text.contains("regret")), "an oracle horizon mentions regret");
    // A learning policy beside it changes nothing of the oracle's days (its own random numbers),
    // and the oracle's regret is 0.
    let mixed = horizon::run(&inst, &[eco.clone(), Policy::builtin("thompson").unwrap()], &cfg, &Silent).unwrap();
    assert!(mixed.learning);
    for (r, run) in mixed.policies[0].runs.iter().enumerate() {
        assert_eq!(run.days, a.policies[0].runs[r].days);
        assert!(run.learning.iter().all(|l| l[2] == 0.0 && l[0] == l[1]));
    }
    for run in &mixed.policies[1].runs {
        // What a learner earns is at most the day's optimum (the same rules, the true engagement).
        assert!(run.learning.iter().all(|l| l[1] <= l[0] + 1e-6 * l[0].abs()), "earned above the optimum");
    }
}

#[test]
fn no_rule_reads_engagement_so_optimism_never_breaks_one() {
    // A learning policy plans on a day whose engagement (and interval) is its belief. Every row
    // of the model must be the same whatever the engagement: only the objective moves. A rule
    // type that read engagement (an engagement floor, revenue through click prices) would fail
    // here, and would have to be planned at its pessimistic side (docs/horizon.md).
    let mut inst = agora_instances::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../instances/example-day.json")).unwrap().instance;
    inst.evidence =
        inst.edges.iter().enumerate().map(|(e, edge)| Evidence { n: (e as u64 * 37) % 200, lcb: 0.5 * edge.engagement, ucb: 2.0 * edge.engagement }).collect();
    let mut text = agora_instances::to_json(&inst);
    text = text.replacen(
        r#""constraints": ["#,
        r#""constraints": [{"name": "explore", "type": "exploration_floor", "segments": "*", "min_share": 0.001, "max_n": 100},"#,
        1,
    );
    let inst = agora_instances::parse_str(&text, std::path::Path::new("day.json")).unwrap().instance;
    assert_eq!(inst.constraints.len(), 10, "every rule type");
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut other = inst.clone();
    for (edge, ev) in other.edges.iter_mut().zip(other.evidence.iter_mut()) {
        edge.engagement *= rng.random_range(0.0..3.0);
        ev.lcb = 0.0;
        ev.ucb = rng.random_range(0.0..1.0);
    }
    for estimate in agora_instances::EngagementEstimate::ALL {
        let (mut a, mut b) = (inst.clone(), other.clone());
        a.objective.engagement_estimate = estimate;
        b.objective.engagement_estimate = estimate;
        let (ma, mb) = (agora_solver::formulate(&a), agora_solver::formulate(&b));
        assert_eq!(ma.rows(), mb.rows(), "row meta");
        assert_eq!(ma.n_cols(), mb.n_cols());
        for j in 0..ma.n_cols() {
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            ma.for_each_entry(j, |r, v| ea.push((r, v)));
            mb.for_each_entry(j, |r, v| eb.push((r, v)));
            assert_eq!(ea, eb, "column {j}");
            assert_eq!((ma.lower(j), ma.upper(j), ma.quad(j)), (mb.lower(j), mb.upper(j), mb.quad(j)));
        }
        assert!((0..ma.n_edges()).any(|j| ma.cost(j) != mb.cost(j)), "the objective moves");
    }
}

#[test]
fn policies_that_serve_alike_see_the_same_clicks() {
    let inst = toy(&[]);
    let cfg = HorizonConfig { days: 60, replicas: 2, dynamics: Dynamics::off(), warm_start: Some(warm(&inst, 3)), ..HorizonConfig::default() };
    let mut twin = Policy::builtin("greedy").unwrap();
    twin.name = "greedy-again".into();
    let h = horizon::run(&inst, &[Policy::builtin("greedy").unwrap(), twin, Policy::builtin("thompson").unwrap()], &cfg, &Silent).unwrap();
    for r in 0..2 {
        assert_eq!(h.policies[0].runs[r], h.policies[1].runs[r], "replica {r}");
    }
    // Another replica draws other clicks (and Thompson other samples).
    assert_ne!(h.policies[2].runs[0].learning, h.policies[2].runs[1].learning);
}

#[test]
fn an_exploration_floor_rescues_greedy_and_its_price_is_reported() {
    // Log seed 2 leaves greedy stuck: (s2, i3)'s 30 logged rounds underrate it, so greedy never
    // shows it and loses about 5.3 clicks a day for ever. A floor that shows every edge with fewer
    // than 2000 rounds at least 5% of its segment makes it learn (items 3 and 4 have 30 rounds).
    let inst = toy(&[r#"{"name":"explore","type":"exploration_floor","segments":"*","min_share":0.05,"max_n":2000}"#]);
    let cfg = HorizonConfig { days: 400, replicas: 4, dynamics: Dynamics::off(), warm_start: Some(warm(&inst, 2)), ..HorizonConfig::default() };
    let greedy = Policy::builtin("greedy").unwrap();
    assert!(horizon::floorless_twin(&inst, &Policy::builtin("ecosystem").unwrap()).is_none(), "an oracle has no twin");
    assert_eq!(horizon::days_to_solve(&inst, std::slice::from_ref(&greedy), 400, 4), 3200);
    let h = horizon::run(&inst, &[greedy], &cfg, &Silent).unwrap();
    let p = &h.policies[0];
    let twin = p.without_floor.as_ref().expect("a learning policy with a floor has its twin");
    for (run, alone) in p.runs.iter().zip(twin) {
        let (with, without) = (run.learning[399][3], alone.learning[399][3]);
        assert!(without - with > 1000.0, "the floor saved {} (regret {with} with it, {without} without)", without - with);
        // Greedy without the floor is stuck: linear; with it, it learns.
        assert!(alone.learning[399][3] / alone.learning[199][3] >= 1.8);
        // The floor costs while items 3 and 4 have under 2000 impressions, nothing after.
        assert!(run.learning[0][5] > 0.0, "day 0's floor cost");
        assert!(run.learning[300..].iter().all(|l| l[5] == 0.0), "a floor cost after every edge graduated");
    }
    let doc: serde_json::Value = serde_json::from_str(&h.to_json()).unwrap();
    let floor = &doc["policies"][0]["exploration_floor"];
    assert!(floor["regret_saved"]["mean"].as_f64().unwrap() > 1000.0, "{floor}");
    assert!(floor["floor_cost"]["mean"].as_f64().unwrap() > 0.0);
    assert!(h.summary().contains("exploration floor cost"), "{}", h.summary());
}

#[test]
fn a_warm_start_is_the_estimates_posterior() {
    // One edge logged 100 times with 5 clicks at propensity 1, its neighbour never.
    let inst = toy(&[]);
    let mut logs = Logs { segments: vec!["s1".into()], items: vec!["i0".into()], rounds: Vec::new() };
    for k in 0..100 {
        logs.rounds.push(Round { segment: 0, item: 0, reward: if k < 5 { 1.0 } else { 0.0 }, propensity: 1.0, position: None });
    }
    // Without a prior: Beta(1 + 5, 1 + 95) (the uniform prior updated by the 100 rounds), n = 100;
    // an edge without rounds keeps Beta(1, 1).
    let none = WarmCounts::from_logs(&inst, &logs, &EstimateSettings { estimator: Estimator::Snips, prior: Prior::None }, "l.csv").unwrap();
    let b = none.belief(0, 0).unwrap();
    assert!((b.alpha - 6.0).abs() < 1e-12 && (b.beta - 96.0).abs() < 1e-12 && b.n == 100, "{b:?}");
    assert_eq!(none.belief(0, 1).unwrap(), Belief { alpha: 1.0, beta: 1.0, n: 0 });
    // Empirical Bayes: the posterior mean is the estimate and alpha + beta its strength.
    let (est_day, est, _) = agora_analysis::offpolicy::estimate(&inst, &logs, &EstimateSettings::default()).unwrap();
    let eb = WarmCounts::from_logs(&inst, &logs, &EstimateSettings::default(), "l.csv").unwrap();
    for (e, edge) in inst.edges.iter().enumerate() {
        let b = eb.belief(edge.segment, edge.item).unwrap();
        assert!((b.mean() - est_day.edges[e].engagement).abs() < 1e-12 && (b.alpha + b.beta - est[e].strength).abs() < 1e-9);
    }
    // A learner starts from it and counts what it serves.
    let mut learner = horizon::Learner::new(&inst, Some(&WarmCounts::from_beliefs(HashMap::from([((0, 0), b)]), none.summary.clone())));
    let served: Vec<u64> = (0..10).map(|e| if e == 0 { 400 } else { 0 }).collect();
    let clicks: Vec<u64> = (0..10).map(|e| if e == 0 { 20 } else { 0 }).collect();
    learner.observe(&inst, &served, &clicks);
    assert_eq!(learner.belief(0, 0), Belief { alpha: 26.0, beta: 476.0, n: 500 });
    let _: &WarmSummary = &none.summary;
}

#[test]
fn the_evidence_of_an_edge_stays_with_it_when_creators_leave() {
    // Before: the horizon dropped a departed creator's edges but not their evidence, so every later
    // edge read its predecessor's rounds (and an exploration floor explored the wrong edges).
    let mut inst = toy(&[]);
    inst.evidence = (0..10).map(|e| Evidence { n: 100 + e as u64, lcb: 0.0, ucb: 1.0 }).collect();
    let mut world = horizon::state::World::new(inst.clone());
    // Every creator with fewer than 500 impressions leaves at once.
    let mut d = Dynamics::off();
    d.churn.enabled = true;
    d.churn.threshold = 500.0;
    d.churn.rate = 1.0;
    d.churn.window = 1;
    let mut x = vec![0.0; 10];
    x[0] = 400.0; // (s1, i0)
    x[5] = 400.0; // (s2, i0): c0 has 800 impressions, the others none
    x[1] = 100.0; // (s1, i1): c1 has 100, below the threshold
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let ev = world.step(&x, &d, &mut rng);
    assert_eq!(ev.churned, 4);
    let after = &world.inst;
    assert_eq!(after.edges.len(), 2);
    for (e, edge) in after.edges.iter().enumerate() {
        let was = inst.edges.iter().position(|o| o.segment == edge.segment && o.item == edge.item).unwrap();
        assert_eq!(after.evidence(e).n, 100 + was as u64, "edge {e} reads another edge's evidence");
    }
}
