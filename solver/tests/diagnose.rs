//! Infeasible days explained: hand-built days whose conflict and smallest relaxation are known,
//! and generated days made infeasible by random tightening, where every conflict is checked
//! irreducible and every relaxation exact by independent re-solves.

use agora_instances::{generate_day, parse_str, Instance, Param, Size};
use agora_solver::{conflict_of, diagnose, solve, DiagnoseSettings, Settings, Status};
use proptest::prelude::*;

fn day(json: &str) -> Instance {
    parse_str(json, std::path::Path::new("hand.json")).unwrap().instance
}

fn status(inst: &Instance) -> Status {
    solve(inst, &Settings::default()).unwrap().status
}

/// Whether a day admits a plan, by HiGHS on its rows and bounds alone (no objective, so a
/// supply relaxed to 1e11 cannot make the test itself ill-conditioned).
fn feasible(inst: &Instance) -> bool {
    use agora_solver::Backend;
    let mut m = agora_solver::formulate(inst);
    m.cost.iter_mut().for_each(|c| *c = 0.0);
    m.quad.iter_mut().for_each(|q| *q = 0.0);
    let r = agora_solver::Highs.solve(&m, &Settings::default().validated().unwrap()).unwrap();
    assert!(matches!(r.status, Status::Optimal | Status::Infeasible), "{:?}", r.status);
    r.status == Status::Optimal
}

/// A new-creator floor of 120 impressions where the new creator's only item reaches one segment
/// of supply 100: the floor and that supply conflict; lowering the floor to 100 is the smallest
/// change (supplies are physical limits). At floor 100, segment 1 gives all 100 impressions to
/// the new item (0.1 each) and segment 2 its 50 to the established item (0.3 each): 25.
const FLOOR_DAY: &str = include_str!("days/floor-beyond-reach.json");

#[test]
fn a_floor_beyond_what_its_items_can_reach_conflicts_with_that_supply() {
    let inst = day(FLOOR_DAY);
    let d = diagnose(&inst, &DiagnoseSettings::default()).unwrap();
    assert!(!d.feasible);
    let rules: Vec<(&str, &str)> = d.conflict.iter().map(|c| (c.rule.as_str(), c.kind.as_str())).collect();
    assert_eq!(rules, [("new-floor", "exposure_floor"), ("supply[s1]", "supply")]);
    assert_eq!(d.relaxation.len(), 1);
    assert_eq!(d.relaxation[0].param, "new-floor.min");
    assert_eq!(d.relaxation[0].from, 120.0);
    assert!((d.relaxation[0].to - 100.0).abs() < 1e-4, "{:?}", d.relaxation);
    assert!((d.relaxed_objective.unwrap() - 25.0).abs() < 1e-5, "{:?}", d.relaxed_objective);
    assert!(d.message.contains("new-floor"));
    // With supplies relaxable, raising supply[s1] by 20 (20% of it) costs more than lowering the
    // floor by 20 (16.7% of it): the floor still moves.
    let d = diagnose(&inst, &DiagnoseSettings { relax_physical: true, ..Default::default() }).unwrap();
    assert_eq!(d.relaxation[0].param, "new-floor.min");
}

/// An ad load of 10% caps ads at 100 of 1,000 impressions, a revenue of 1.0 at a price of 0.01;
/// a revenue floor of 5 conflicts with it (and with the supply: an unlimited supply would serve
/// 500 ads within 10%). Raising the ad load to 50% costs 40 points; lowering the floor to 1
/// costs 80% of it: the ad load moves, to exactly 0.5. The relaxed optimum serves 500 ads
/// (0.01 revenue each) and 500 organic impressions (0.01 engagement each): 10.
const AD_DAY: &str = r#"{"schema": "agora.instance/v1", "name": "ads",
  "objective": {"engagement": 1, "revenue": 1},
  "segments": [{"id": "s1", "supply": 1000}],
  "creators": [{"id": "c1", "group": "small"}], "campaigns": [{"id": "k", "budget": 100}],
  "items": [{"id": "i1", "creator": "c1", "topic": "t", "quality": 0, "risk": 0, "fresh": false},
            {"id": "a1", "campaign": "k", "topic": "t", "quality": 0, "risk": 0, "fresh": false}],
  "edges": [{"segment": "s1", "item": "i1", "engagement": 0.01}, {"segment": "s1", "item": "a1", "engagement": 0, "price": 0.01}],
  "constraints": [{"name": "ad-load", "type": "ad_load", "max_share": 0.1},
                  {"name": "revenue-floor", "type": "revenue_floor", "min": 5}]}"#;

#[test]
fn a_revenue_floor_above_the_ad_load_moves_the_cheaper_rule() {
    let inst = day(AD_DAY);
    let d = diagnose(&inst, &DiagnoseSettings::default()).unwrap();
    let rules: Vec<&str> = d.conflict.iter().map(|c| c.rule.as_str()).collect();
    assert_eq!(rules, ["ad-load", "revenue-floor", "supply[s1]"]);
    assert_eq!(d.relaxation.len(), 1, "{:?}", d.relaxation);
    assert_eq!(d.relaxation[0].param, "ad-load.max_share");
    assert!((d.relaxation[0].to - 0.5).abs() < 1e-6, "{:?}", d.relaxation);
    assert!((d.relaxed_objective.unwrap() - 10.0).abs() < 1e-5);
    // The frontier's view: the conflict alone.
    let c = conflict_of(&inst, &Settings::default(), 16).unwrap();
    assert_eq!(c.len(), 3);
}

#[test]
fn a_feasible_day_says_what_binds() {
    let mut inst = day(AD_DAY);
    // Soft revenue floor: the day is feasible and pays for the shortfall.
    inst.constraints[1].penalty = Some(2.0);
    let d = diagnose(&inst, &DiagnoseSettings::default()).unwrap();
    assert!(d.feasible && d.conflict.is_empty() && d.relaxation.is_empty());
    assert_eq!(d.penalties.len(), 1);
    assert_eq!(d.penalties[0].rule, "revenue-floor");
    assert!((d.penalties[0].violation - 4.0).abs() < 1e-6, "{:?}", d.penalties);
    assert!((d.penalties[0].cost - 8.0).abs() < 1e-6);
}

/// Applies a rule set's removal: only the conflict's instance constraints stay.
fn only(inst: &Instance, names: &[String]) -> Instance {
    let mut out = inst.clone();
    out.constraints.retain(|c| names.contains(&c.name));
    out
}

/// Relaxes a built-in rule to (practically) infinity.
fn relax_builtin(inst: &mut Instance, rule: &str) {
    let big = agora_instances::limits::MAX_QUANTITY;
    if let Ok(p) = Param::parse(inst, rule) {
        p.set(inst, big);
        return;
    }
    if let Some(id) = rule.strip_prefix("item_cap[").and_then(|r| r.strip_suffix(']')) {
        let i = inst.items.iter().position(|it| it.id == id).unwrap();
        inst.items[i].cap = None;
    } else if let Some(pair) = rule.strip_prefix("cap[").and_then(|r| r.strip_suffix(']')) {
        let e = inst.edges.iter().position(|e| format!("{},{}", inst.segments[e.segment].id, inst.items[e.item].id) == pair).unwrap();
        inst.edges[e].cap = None;
    } else {
        panic!("unknown built-in rule {rule}");
    }
}

/// Tightens a generated day until it is (most likely) infeasible: a floor raised, a share cap
/// lowered, or a freshness floor raised, all hard.
fn tightened(seed: u64, pick: usize, factor: f64) -> Instance {
    let mut inst = generate_day(Size::Tiny, seed, 0.0);
    for c in inst.constraints.iter_mut() {
        c.penalty = None;
    }
    let k = pick % inst.constraints.len();
    use agora_instances::ConstraintKind as K;
    match &mut inst.constraints[k].kind {
        K::ExposureFloor { min, .. } | K::RevenueFloor { min } => *min = (*min * factor).max(1.0) * factor,
        K::FreshnessFloor { min_share, .. } | K::ExplorationFloor { min_share, .. } => *min_share = (*min_share * factor).min(1.0),
        K::AdLoad { max_share, .. } | K::TopicCap { max_share, .. } | K::IntegrityCap { max_share, .. } => *max_share /= factor,
        K::ExposureCap { max, .. } => *max /= factor,
        K::ExposureParity { tolerance, .. } => *tolerance /= factor,
    }
    inst
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_global_rejects: 4096, ..ProptestConfig::default() })]

    /// Every conflict is irreducible and every relaxation exact, checked by re-solves.
    #[test]
    fn conflicts_are_irreducible_and_relaxations_exact(seed in 0u64..5000, pick in 0usize..64, factor in 2.0f64..40.0) {
        let inst = tightened(seed, pick, factor);
        prop_assume!(!feasible(&inst));
        let d = diagnose(&inst, &DiagnoseSettings::default()).unwrap();
        prop_assert!(!d.feasible);
        let names: Vec<String> = d.conflict.iter().filter(|c| !matches!(c.kind.as_str(), "supply" | "budget" | "item_cap" | "cap")).map(|c| c.rule.clone()).collect();
        prop_assert!(!names.is_empty(), "a conflict holds an instance constraint: {:?}", d.conflict);
        let core = only(&inst, &names);
        prop_assert!(!feasible(&core), "the conflict's constraints alone are infeasible: {:?}", d.conflict);
        for c in &d.conflict {
            let mut fewer = core.clone();
            if names.contains(&c.rule) {
                fewer.constraints.retain(|x| x.name != c.rule);
            } else {
                relax_builtin(&mut fewer, &c.rule);
            }
            prop_assert!(feasible(&fewer), "dropping {} makes it feasible: {:?}", c.rule, d.conflict);
        }
        if !d.relaxation.is_empty() {
            let apply = |scale: f64| {
                let mut day = inst.clone();
                for r in &d.relaxation {
                    Param::parse(&day, &r.param).unwrap().set(&mut day, r.from + scale * (r.to - r.from));
                }
                day
            };
            prop_assert!(feasible(&apply(1.0)), "the relaxation restores feasibility: {:?}", d.relaxation);
            prop_assert!(!feasible(&apply(0.99)), "0.99 of it does not: {:?}", d.relaxation);
            prop_assert_eq!(status(&apply(1.0)), Status::Optimal, "the relaxed day solves: {:?}", d.relaxation);
            prop_assert!(d.relaxed_objective.is_some());
        }
    }
}
