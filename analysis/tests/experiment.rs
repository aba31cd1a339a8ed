//! `agora experiment`: the known answers of issue 30, derived by hand in the comments, and the
//! designs' properties on generated days.

use std::path::Path;

use agora_analysis::experiment::{self, ChangeFile, Design, Experiment, ExperimentConfig, Treatment};
use agora_instances::Instance;
use proptest::prelude::*;

fn day(json: &str) -> Instance {
    agora_instances::parse_str(json, Path::new("day.json")).unwrap().instance
}

fn change(json: &str) -> ChangeFile {
    serde_json::from_str(json).unwrap()
}

fn metric(e: &Experiment, name: &str) -> usize {
    e.metrics.iter().position(|m| m.name == name).unwrap_or_else(|| panic!("no metric {name}"))
}

fn estimate(e: &Experiment, design: Design, name: &str) -> f64 {
    let d = e.designs.iter().find(|d| d.design == design).unwrap();
    d.estimates[metric(e, name)].unwrap_or_else(|| panic!("{} has no estimate of {name}: {:?}", design.as_str(), d.unsupported))
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{what}: {a} != {b}");
}

/// One segment of 1,000 impressions, ad load at most 30%, an organic item worth 1.0 and two ads
/// worth 0.1 of engagement plus their price (A: 2.0, budget 200; B: 1.8, budget 1,000).
const BIDS: &str = r#"{"schema": "agora.instance/v1", "name": "bids",
  "objective": {"engagement": 1, "revenue": 1},
  "segments": [{"id": "s", "supply": 1000}],
  "creators": [{"id": "c", "group": "established"}],
  "campaigns": [{"id": "A", "budget": 200}, {"id": "B", "budget": 1000}],
  "items": [{"id": "org", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "ad-A", "campaign": "A", "topic": "ads", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "ad-B", "campaign": "B", "topic": "ads", "quality": 0.5, "risk": 0, "fresh": false}],
  "edges": [{"segment": "s", "item": "org", "engagement": 1.0, "price": 0},
            {"segment": "s", "item": "ad-A", "engagement": 0.1, "price": 2.0},
            {"segment": "s", "item": "ad-B", "engagement": 0.1, "price": 1.8}],
  "constraints": [{"name": "ad-load", "type": "ad_load", "segments": "*", "max_share": 0.3}]}"#;

#[test]
fn a_bid_raise_on_a_budget_bound_campaign_flips_sign_under_a_user_split() {
    // Control: 300 ad slots; A is worth 2.1 an impression, B 1.9, so A takes what its budget
    // buys (200 / 2.0 = 100) and B the other 200. A's price x 1.25 (2.5): its budget buys 80,
    // B takes 220. Truth: A -20 impressions, revenue 200 + 396 - (200 + 360) = +36.
    let control = day(BIDS);
    let t =
        Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "A bids 25% more", "edges": [{"item": "ad-A", "price_scale": 1.25}]}"#))
            .unwrap();
    let cfg = ExperimentConfig { designs: vec![Design::UserSplit, Design::BudgetSplit], ..ExperimentConfig::default() };
    let e = experiment::run(&control, &t, &cfg).unwrap();
    close(e.truth.gte(metric(&e, "impressions.A")), -20.0, "truth, A's impressions");
    close(e.truth.gte(metric(&e, "revenue")), 36.0, "truth, revenue");
    // User-split at 0.5, one shared budget: in the treatment arm A gains 0.7 a slot for 2.5 of
    // budget (0.28 a unit), in the control arm 0.2 for 2.0 (0.1): the whole budget goes to the
    // treatment arm, 80 impressions there and none in control. Scaled: 160 - 0 = +160 (the sign
    // flips); revenue (200 + 70 x 1.8) / 0.5 - 150 x 1.8 / 0.5 = 652 - 540 = +112.
    close(estimate(&e, Design::UserSplit, "impressions.A"), 160.0, "user-split, A's impressions");
    close(estimate(&e, Design::UserSplit, "revenue"), 112.0, "user-split, revenue");
    let user = e.designs.iter().find(|d| d.design == Design::UserSplit).unwrap();
    assert!(user.shared_binding.iter().any(|r| r.name == "budget[A]"), "the shared budget binds: {:?}", user.shared_binding);
    // Budget-split: each arm is the market at half its size, exactly.
    close(estimate(&e, Design::BudgetSplit, "impressions.A"), -20.0, "budget-split, A's impressions");
    close(estimate(&e, Design::BudgetSplit, "revenue"), 36.0, "budget-split, revenue");
    let g = e.guidance().join("\n");
    assert!(g.contains("budget-split is unbiased") && g.contains("user-split is biased") && g.contains("budget[A]") && g.contains("Use budget-split"), "{g}");
}

/// Segments A and B (100 each) where the small creators s1, s2 engage most, and M (800) where
/// the established creator's X does.
const FLOOR: &str = r#"{"schema": "agora.instance/v1", "name": "floor",
  "objective": {"engagement": 1, "revenue": 0},
  "segments": [{"id": "A", "supply": 100}, {"id": "B", "supply": 100}, {"id": "M", "supply": 800}],
  "creators": [{"id": "s1", "group": "small"}, {"id": "s2", "group": "small"}, {"id": "x", "group": "established"}],
  "items": [{"id": "i1", "creator": "s1", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "i2", "creator": "s2", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "iX", "creator": "x", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}],
  "edges": [{"segment": "A", "item": "i1", "engagement": 0.9, "price": 0}, {"segment": "A", "item": "i2", "engagement": 0.8, "price": 0},
            {"segment": "A", "item": "iX", "engagement": 0.5, "price": 0},
            {"segment": "B", "item": "i2", "engagement": 0.9, "price": 0}, {"segment": "B", "item": "i1", "engagement": 0.8, "price": 0},
            {"segment": "B", "item": "iX", "engagement": 0.5, "price": 0},
            {"segment": "M", "item": "iX", "engagement": 1.0, "price": 0}, {"segment": "M", "item": "i1", "engagement": 0.3, "price": 0},
            {"segment": "M", "item": "i2", "engagement": 0.3, "price": 0}],
  "constraints": []}"#;

const FLOORS: &str = r#"{"schema": "agora.change/v1", "name": "small creators get 150 each",
  "add": [{"name": "floor-s1", "type": "exposure_floor", "items": {"creator": "s1"}, "min": 150},
          {"name": "floor-s2", "type": "exposure_floor", "items": {"creator": "s2"}, "min": 150}]}"#;

#[test]
fn a_creator_floor_is_met_twice_over_by_a_creator_split() {
    // Control: A -> s1, B -> s2, M -> X: engagement 90 + 90 + 800 = 980, small creators 200.
    // Both floored at 150: the 100 more must come from M (each impression there costs 1.0 - 0.3):
    // engagement 910 (-70), small creators 300 (+100).
    let control = day(FLOOR);
    let t = Treatment::of_change(&control, change(FLOORS)).unwrap();
    let cfg =
        ExperimentConfig { designs: vec![Design::CreatorSplit, Design::BudgetSplit], treated_creators: Some(vec!["s1".into()]), ..ExperimentConfig::default() };
    let e = experiment::run(&control, &t, &cfg).unwrap();
    close(e.truth.gte(metric(&e, "exposure.small")), 100.0, "truth, small creators' exposure");
    close(e.truth.gte(metric(&e, "engagement")), -70.0, "truth, engagement");
    // Only s1 floored: its 50 more come cheapest from B, at s2's expense (0.1 an impression):
    // s1 150, s2 50. Per small creator treated minus control, times the 2 small creators: +200.
    close(estimate(&e, Design::CreatorSplit, "exposure.small"), 200.0, "creator-split, small creators' exposure");
    let split = e.designs.iter().find(|d| d.design == Design::CreatorSplit).unwrap();
    assert!(split.estimates[metric(&e, "revenue")].is_none(), "a creator-split does not estimate the market's revenue");
    close(estimate(&e, Design::BudgetSplit, "exposure.small"), 100.0, "budget-split");
    close(estimate(&e, Design::BudgetSplit, "engagement"), -70.0, "budget-split");
    assert!(e.guidance().iter().any(|l| l.starts_with("creator-split is biased") && l.contains("spillover")), "{:?}", e.guidance());
}

#[test]
fn a_change_a_design_cannot_split_is_said_not_estimated() {
    let control = day(BIDS);
    let t = Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "revenue", "set": {"objective.revenue": 2}}"#)).unwrap();
    let e = experiment::run(&control, &t, &ExperimentConfig::default()).unwrap();
    for design in [Design::UserSplit, Design::CreatorSplit] {
        let d = e.designs.iter().find(|d| d.design == design).unwrap();
        assert!(d.unsupported.as_deref().is_some_and(|w| w.contains("objective")), "{:?}", d.unsupported);
        assert!(d.estimates.iter().all(Option::is_none));
    }
    assert!(e.designs.iter().find(|d| d.design == Design::BudgetSplit).unwrap().unsupported.is_none());
}

#[test]
fn a_change_file_that_breaks_a_rule_names_it() {
    let control = day(BIDS);
    let bad = |json: &str| Treatment::of_change(&control, change(json)).unwrap_err().iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ");
    assert!(bad(r#"{"schema": "agora.change/v1", "name": "x", "set": {"ad-load.max_share": 5}}"#).contains("max_share"));
    assert!(bad(r#"{"schema": "agora.change/v1", "name": "x", "remove": ["nope"]}"#).contains("no constraint \"nope\""));
    assert!(bad(r#"{"schema": "agora.change/v1", "name": "x", "edges": [{"item": "zz", "price": 1}]}"#).contains("no item \"zz\""));
    assert!(bad(r#"{"schema": "agora.change/v1", "name": "x", "set": {"budget[Q]": 1}}"#).contains("budget[Q]"));
    assert!(serde_json::from_str::<ChangeFile>(r#"{"schema": "agora.change/v1", "name": "x", "set": {"a": 1, "a": 2}}"#)
        .unwrap_err()
        .to_string()
        .contains("set twice"));
}

#[test]
fn user_split_equals_the_truth_when_no_shared_row_binds() {
    // The generated small day without its totals (floors, caps, parity, the revenue floor, item
    // and edge caps) and with budgets no plan reaches: the arms share nothing that binds. The change tightens a
    // rule of each segment (its ad load).
    let mut control = agora_instances::generate(agora_instances::Size::Small, 3);
    control.constraints.retain(|c| !matches!(c.kind.type_name(), "exposure_floor" | "exposure_cap" | "exposure_parity" | "revenue_floor"));
    for a in &mut control.campaigns {
        a.budget = 1e9;
    }
    control.items.iter_mut().for_each(|i| i.cap = None);
    control.edges.iter_mut().for_each(|e| e.cap = None);
    let t = Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "less ads", "scale": {"ad-load.max_share": 0.5}}"#)).unwrap();
    for f in [0.5, 0.2] {
        let cfg = ExperimentConfig { designs: vec![Design::UserSplit], fraction: f, ..ExperimentConfig::default() };
        let e = experiment::run(&control, &t, &cfg).unwrap();
        let d = &e.designs[0];
        assert!(d.shared_binding.is_empty(), "{:?}", d.shared_binding);
        let k = metric(&e, "objective");
        close(d.estimates[k].unwrap(), e.truth.gte(k), &format!("user-split at {f}, objective"));
        assert!(e.guidance()[0].starts_with("user-split is unbiased"), "{:?}", e.guidance());
    }
}

#[test]
fn the_serving_simulation_gives_each_estimate_a_standard_error_and_a_power() {
    let control = day(BIDS);
    let t =
        Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "A bids 25% more", "edges": [{"item": "ad-A", "price_scale": 1.25}]}"#))
            .unwrap();
    let noisy = |arrivals: usize| {
        let cfg = ExperimentConfig {
            designs: vec![Design::BudgetSplit],
            noise: Some(experiment::NoiseConfig { arrivals, replicas: 40 }),
            ..ExperimentConfig::default()
        };
        let e = experiment::run(&control, &t, &cfg).unwrap();
        e.designs[0].noise[metric(&e, "revenue")].unwrap()
    };
    let (few, many) = (noisy(200), noisy(20_000));
    // Ten times the arrivals cut the error by about sqrt(100) = 10.
    assert!(few.std_error > 3.0 * many.std_error, "{few:?} {many:?}");
    assert!(few.std_error > 0.0 && many.power >= few.power, "{few:?} {many:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A budget-split recovers the truth: an LP's optimum (and a QP's, whose ridge term divides
    /// by the supply that scales too) is its fraction of the whole market's.
    #[test]
    fn budget_split_equals_the_truth_on_generated_days(seed in 0u64..1000, f in 0.1f64..0.9, rho in prop_oneof![Just(0.0), Just(0.5)], which in 0usize..3) {
        let mut control = agora_instances::generate(agora_instances::Size::Tiny, seed);
        control.objective.regularization = rho;
        // Changes that keep a feasible day feasible (a generated day is, by construction).
        let json = match which {
            0 => r#"{"schema": "agora.change/v1", "name": "c", "set": {"ad-load.max_share": 0.5}}"#,
            1 => r#"{"schema": "agora.change/v1", "name": "c", "remove": ["ad-load"]}"#,
            _ => r#"{"schema": "agora.change/v1", "name": "c", "set": {"objective.revenue": 3}}"#,
        };
        let t = Treatment::of_change(&control, change(json)).unwrap();
        let cfg = ExperimentConfig { designs: vec![Design::BudgetSplit], fraction: f, ..ExperimentConfig::default() };
        let e = experiment::run(&control, &t, &cfg).unwrap();
        let d = &e.designs[0];
        let k = metric(&e, "objective");
        let (est, truth) = (d.estimates[k].unwrap(), e.truth.gte(k));
        let scale = e.truth.control[k].abs().max(e.truth.treatment[k].abs()).max(1.0);
        prop_assert!((est - truth).abs() <= 1e-6 * scale, "objective: {} vs {}", est, truth);
        if rho > 0.0 {
            // A QP's optimum is unique: every additive metric scales.
            for (k, m) in e.metrics.iter().enumerate() {
                if m.aggregate == experiment::Aggregate::Sum {
                    let scale = e.truth.control[k].abs().max(e.truth.treatment[k].abs()).max(1.0);
                    prop_assert!((d.estimates[k].unwrap() - e.truth.gte(k)).abs() <= 1e-5 * scale, "{}: {:?} vs {}", m.name, d.estimates[k], e.truth.gte(k));
                }
            }
        }
    }
}

#[test]
fn a_switchback_approaches_the_long_run_effect_as_its_blocks_grow() {
    // The bundled day under strong churn (a creator whose exposure over three days averages
    // below 500 leaves with probability 0.5 a day) and strong fatigue (an edge's engagement falls
    // with its share of its segment and recovers by a tenth a day). Tightening the topic cap
    // spreads impressions: the day it starts it costs engagement, and once edges have rested
    // it costs less (the long-run effect). A short block starts from the fatigue the other rule
    // set left (carryover); a long one, its first half left out, sees the rule's own market.
    let control = agora_instances::load(example_day()).unwrap().instance;
    let t = Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "topics at most 20%", "set": {"topic-diversity.max_share": 0.2}}"#))
        .unwrap();
    let dynamics: agora_analysis::horizon::Dynamics = serde_json::from_str(
        r#"{"schema": "agora.dynamics/v1", "churn": {"enabled": true, "window": 3, "threshold": 500, "rate": 0.5},
            "uploads": {"enabled": false}, "joins": {"enabled": false}, "users": {"enabled": false}, "freshness": {"enabled": false},
            "fatigue": {"enabled": true, "rate": 1.0, "recovery": 0.1, "floor": 0.2}}"#,
    )
    .unwrap();
    let bias = |block: usize| {
        let switchback = experiment::SwitchbackConfig { days: 128, warm_up: 30, block, burn_in: block / 2, dynamics: dynamics.clone() };
        let cfg = ExperimentConfig { designs: vec![Design::Switchback], switchback, ..ExperimentConfig::default() };
        let e = experiment::run(&control, &t, &cfg).unwrap();
        let d = &e.designs[0];
        let k = metric(&e, "engagement");
        assert!(d.long_run.as_ref().unwrap()[k] < 0.0, "the tighter cap costs engagement in the long run too");
        d.relative_bias(&e, k).unwrap().abs()
    };
    let (short, middle, long) = (bias(2), bias(8), bias(32));
    assert!(short > middle && middle > long, "relative bias at blocks of 2, 8, 32 days: {short}, {middle}, {long}");
    assert!(short > 0.3, "short blocks are far off ({short})");
    assert!(long < 0.05, "blocks of 32 days come within 5% of the long run ({long})");
}

fn example_day() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../instances/example-day.json")
}

#[test]
fn designs_run_at_once_answer_as_one_at_a_time() {
    // The designs are independent models: run two or three at once, each answers as alone
    // (every number of the experiment but the seconds it took).
    let control = agora_instances::generate_day(agora_instances::Size::Small, 4, 0.0);
    let t = Treatment::of_change(&control, change(r#"{"schema": "agora.change/v1", "name": "fewer ads", "set": {"ad-load.max_share": 0.1}}"#)).unwrap();
    let run = |parallelism: usize| {
        let cfg = ExperimentConfig { designs: vec![Design::UserSplit, Design::BudgetSplit, Design::CreatorSplit], parallelism, ..ExperimentConfig::default() };
        let mut e = experiment::run(&control, &t, &cfg).unwrap();
        e.truth_seconds = 0.0;
        e.designs.iter_mut().for_each(|d| d.seconds = 0.0);
        e.to_value().to_string()
    };
    assert_eq!(run(1), run(3));
}
