//! Reports: ecosystem metrics on hand-built plans, content-gap values against re-solves with the
//! hypothetical item actually added, rule prices against independent re-solves, the solution
//! checks.

use std::collections::HashMap;
use std::path::Path;

mod common;
use agora_analysis::report::constraint_prices::Start;
use agora_analysis::report::{self, gaps, Gap, Profile, ReportError, ReportSettings};
use agora_instances::{generate, parse_str, Creator, EcosystemMetrics, Edge, Instance, Item, Owner, Size};
use agora_solver::{solve, Settings, SolutionFile, Status};

fn example() -> Instance {
    agora_instances::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../instances/example-day.json")).unwrap().instance
}

fn solved(inst: &Instance) -> SolutionFile {
    let sol = solve(inst, &Settings::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    sol.to_file(inst)
}

fn day(text: &str) -> Instance {
    parse_str(text, Path::new("test.json")).unwrap().instance
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

// ---------------------------------------------------------------------------------------------
// Metrics on hand-built plans.

const METRICS_DAY: &str = r#"{
  "schema": "agora.instance/v1", "name": "metrics",
  "segments": [{"id": "s1", "supply": 100}, {"id": "s2", "supply": 50}],
  "creators": [{"id": "c1", "group": "new"}, {"id": "c2", "group": "big"}, {"id": "c3", "group": "new"}],
  "campaigns": [{"id": "a1", "budget": 10}, {"id": "a2", "budget": 0}],
  "items": [
    {"id": "p1", "creator": "c1", "topic": "cats", "quality": 0.4, "risk": 0.1, "fresh": true},
    {"id": "p2", "creator": "c2", "topic": "dogs", "quality": 0.8, "risk": 0.0, "fresh": false},
    {"id": "p3", "creator": "c2", "topic": "dogs", "quality": 0.5, "risk": 0.0, "fresh": false},
    {"id": "ad", "campaign": "a1", "topic": "cats", "quality": 0.5, "risk": 0.2, "fresh": true}
  ],
  "edges": [
    {"segment": "s1", "item": "p1", "engagement": 2, "price": 0},
    {"segment": "s1", "item": "p2", "engagement": 1, "price": 0},
    {"segment": "s2", "item": "p2", "engagement": 1, "price": 0},
    {"segment": "s2", "item": "ad", "engagement": 0.5, "price": 0.25},
    {"segment": "s2", "item": "p3", "engagement": 1, "price": 0}
  ],
  "constraints": [
    {"name": "cats-floor", "type": "exposure_floor", "items": {"topic": "cats"}, "min": 40},
    {"name": "rev", "type": "revenue_floor", "min": 0},
    {"name": "int", "type": "integrity_cap", "segments": ["s2"], "max_share": 0.3},
    {"name": "int-tight", "type": "integrity_cap", "segments": "*", "max_share": 0.1}
  ]
}"#;

#[test]
fn ecosystem_metrics_of_a_hand_computed_plan() {
    let inst = day(METRICS_DAY);
    // s1: p1 30, p2 60; s2: p2 10, ad 20, p3 0.
    let m = EcosystemMetrics::of(&inst, &[30.0, 60.0, 10.0, 20.0, 0.0]);
    assert_eq!(m.plan.impressions, 120.0);
    // engagement 2*30 + 60 + 10 + 0.5*20 = 140.
    assert!(close(m.engagement, 140.0, 1e-14));
    // quality (0.4*30 + 0.8*70 + 0.5*20) / 120 = 78/120.
    assert!(close(m.quality, 78.0 / 120.0, 1e-14));
    // revenue 5, rpm 1000 * 5 / 120.
    assert!(close(m.rpm, 1000.0 * 5.0 / 120.0, 1e-14));
    // fresh: p1 30 + ad 20 = 50 of 120.
    assert!(close(m.freshness_share, 50.0 / 120.0, 1e-14));
    // risk: 0.1*30 + 0.2*20 = 7 over 120.
    assert!(close(m.integrity_rate, 7.0 / 120.0, 1e-14));
    // Creators [30, 70, 0] of 100: HHI 0.09 + 0.49 = 0.58; entropy -(0.3 log2 0.3 + 0.7 log2 0.7).
    assert!(close(m.creator_hhi, 0.58, 1e-14));
    let h = -(0.3f64 * 0.3f64.log2() + 0.7 * 0.7f64.log2());
    assert!(close(m.creator_entropy_bits, h, 1e-14));
    // Organic items [30, 70, 0]: the same shares; exp of the entropy in nats is the perplexity
    // 1 / (0.3^0.3 * 0.7^0.7).
    assert!(close(m.effective_catalog_size, 0.3f64.powf(-0.3) * 0.7f64.powf(-0.7), 1e-12));
    // Two of three organic items served; one creator of three without exposure.
    assert!(close(m.coverage, 2.0 / 3.0, 1e-14));
    assert!(close(m.zero_exposure_creators, 1.0 / 3.0, 1e-14));
    assert_eq!(m.group_share, vec![("big".to_string(), 0.7), ("new".to_string(), 0.3)]);
    // Budgets: a1 spends 5 of 10, a2 0 of 0; overall 5 / 10.
    assert_eq!(m.budgets.len(), 2);
    assert!(close(m.budgets[0].utilisation, 0.5, 1e-14));
    assert_eq!(m.budgets[1].utilisation, 0.0);
    assert!(close(m.budget_utilisation, 0.5, 1e-14));
    // Floors: cats = p1 30 + ad 20 = 50 of 40; revenue 5 of 0 counts as attained.
    assert_eq!(m.floors.len(), 2);
    assert_eq!((m.floors[0].name.as_str(), m.floors[0].kind), ("cats-floor", "exposure_floor"));
    assert!(close(m.floors[0].achieved, 50.0, 1e-14) && close(m.floors[0].attainment, 1.25, 1e-14));
    assert_eq!((m.floors[1].kind, m.floors[1].attainment), ("revenue_floor", 1.0));
    // Segments.
    let (s1, s2) = (&m.segments[0], &m.segments[1]);
    assert_eq!((s1.impressions, s2.impressions), (90.0, 30.0));
    assert_eq!((s1.ad_load, s2.ad_load), (0.0, 20.0 / 30.0));
    assert!(close(s1.freshness_share, 1.0 / 3.0, 1e-14) && close(s2.freshness_share, 2.0 / 3.0, 1e-14));
    assert!(close(s1.integrity_rate, 3.0 / 90.0, 1e-14) && close(s2.integrity_rate, 4.0 / 30.0, 1e-14));
    // The tightest cap that selects the segment.
    assert_eq!((s1.integrity_cap, s2.integrity_cap), (Some(0.1), Some(0.1)));
    // s1 topics: cats 30, dogs 60 -> entropy of (1/3, 2/3); s2: dogs 10, cats 20.
    let h13 = -(1.0f64 / 3.0 * (1.0f64 / 3.0).log2() + 2.0 / 3.0 * (2.0f64 / 3.0).log2());
    assert!(close(s1.topic_entropy_bits, h13, 1e-14) && close(s2.topic_entropy_bits, h13, 1e-14));
    assert_eq!(s1.largest_topic.as_ref().map(|t| t.0.as_str()), Some("dogs"));
    assert!(close(s1.largest_topic.as_ref().unwrap().1, 2.0 / 3.0, 1e-14));
    assert_eq!(s2.largest_topic.as_ref().map(|t| t.0.as_str()), Some("cats"));
    assert_eq!(s1.topic_mix, vec![("cats".to_string(), 30.0), ("dogs".to_string(), 60.0)]);
}

#[test]
fn empty_plan_has_zero_ratios() {
    let inst = day(METRICS_DAY);
    let m = EcosystemMetrics::of(&inst, &[0.0; 5]);
    assert_eq!((m.quality, m.rpm, m.freshness_share, m.integrity_rate, m.coverage), (0.0, 0.0, 0.0, 0.0, 0.0));
    assert_eq!((m.effective_catalog_size, m.zero_exposure_creators), (0.0, 1.0));
    assert!(m.segments.iter().all(|s| s.largest_topic.is_none()));
}

// ---------------------------------------------------------------------------------------------
// Gaps: a hand-computed day.

/// s1 has cats (engagement 1) and dogs (0.5); s2 has birds (0.9) and cats (0.2); both share the
/// tag "x"; every topic is capped at 60% of its segment.
///
/// s1's optimum: cats 60, dogs 40; supply dual 0.8, cats-cap dual 0.5 (cats: 1 = 0.8 + 0.4*0.5,
/// dogs: 0.5 = 0.8 - 0.6*0.5). A birds item in s1 (no birds edge there: its neighbour s2's birds
/// edge gives engagement 0.9) has column supply 1, cats-cap -0.6, dogs-cap -0.6, so it is worth
/// 0.9 - 0.8 + 0.6*0.5 = 0.4 per impression: it replaces dogs (0.5) at +0.4 each, up to 40.
/// s2: birds 60, cats 40; duals supply 0.62, birds-cap 0.7; a dogs item (engagement 0.5 from s1)
/// is worth 0.5 - 0.62 + 0.6*0.7 = 0.3. Items like the existing ones are worth 0.
const GAP_DAY: &str = r#"{
  "schema": "agora.instance/v1", "name": "gaps",
  "segments": [{"id": "s1", "supply": 100, "tags": ["x"]}, {"id": "s2", "supply": 100, "tags": ["x", "y"]}],
  "creators": [{"id": "c1"}],
  "items": [
    {"id": "cat", "creator": "c1", "topic": "cats", "quality": 0.5, "risk": 0, "fresh": true},
    {"id": "dog", "creator": "c1", "topic": "dogs", "quality": 0.5, "risk": 0, "fresh": false},
    {"id": "bird", "creator": "c1", "topic": "birds", "quality": 0.7, "risk": 0.1, "fresh": true},
    {"id": "cat2", "creator": "c1", "topic": "cats", "quality": 0.5, "risk": 0, "fresh": true}
  ],
  "edges": [
    {"segment": "s1", "item": "cat", "engagement": 1},
    {"segment": "s1", "item": "dog", "engagement": 0.5},
    {"segment": "s2", "item": "bird", "engagement": 0.9},
    {"segment": "s2", "item": "cat2", "engagement": 0.2}
  ],
  "constraints": [{"name": "topics", "type": "topic_cap", "segments": "*", "max_share": 0.6}]
}"#;

fn find<'a>(gaps: &'a [Gap], segment: &str, topic: &str) -> &'a Gap {
    gaps.iter().find(|g| g.segment == segment && g.topic == topic).unwrap_or_else(|| panic!("no gap {segment}/{topic}"))
}

fn gaps_of(inst: &Instance, file: &SolutionFile, profile: Profile) -> Vec<Gap> {
    let plan = report::check_solution(inst, file, 1e-6).unwrap();
    gaps::gaps(inst, &plan.x, &plan.duals, profile)
}

#[test]
fn gap_values_of_a_hand_computed_day() {
    let inst = day(GAP_DAY);
    let file = solved(&inst);
    assert!(close(file.objective, 80.0 + 62.0, 1e-9));
    let g = gaps_of(&inst, &file, Profile::Mean);
    assert_eq!(g.len(), 6, "two segments x three topics");
    let birds = find(&g, "s1", "birds");
    assert!(close(birds.value, 0.4, 1e-9), "{birds:?}");
    assert_eq!((birds.item.basis, birds.item.basis_edges, birds.existing_edges), (gaps::Basis::Neighbours, 1, 0));
    assert_eq!((birds.item.engagement, birds.item.quality, birds.item.risk, birds.item.fresh), (0.9, 0.7, 0.1, true));
    let dogs = find(&g, "s2", "dogs");
    assert!(close(dogs.value, 0.3, 1e-9), "{dogs:?}");
    for (s, t) in [("s1", "cats"), ("s1", "dogs"), ("s2", "birds"), ("s2", "cats")] {
        let gap = find(&g, s, t);
        assert_eq!(gap.item.basis, gaps::Basis::Segment);
        assert!(gap.value.abs() < 1e-9, "{gap:?}");
    }
    // Ranked: birds for s1, then dogs for s2.
    assert_eq!((g[0].segment.as_str(), g[0].topic.as_str()), ("s1", "birds"));
    assert_eq!((g[1].segment.as_str(), g[1].topic.as_str()), ("s2", "dogs"));
    // Adding 40 birds impressions to s1 gains 0.4 each (the hand-computed optimum 96 + 62).
    let gained = solve(&with_item(&inst, birds, 1000.0), &Settings::default()).unwrap();
    assert!(close(gained.objective, 96.0 + 62.0, 1e-9), "{}", gained.objective);
}

/// A day where a segment's only topic row forbids everything: a topic new to that segment would
/// create a row that binds at the plan, which the gap says.
#[test]
fn gap_in_an_unserved_segment_carries_a_caveat() {
    let inst = day(&GAP_DAY.replace(r#"{"segment": "s2", "item": "cat2", "engagement": 0.2}"#, r#"{"segment": "s1", "item": "cat2", "engagement": 0.2}"#));
    let file = solved(&inst);
    let g = gaps_of(&inst, &file, Profile::Mean);
    let dogs = find(&g, "s2", "dogs");
    assert!(dogs.caveat.as_deref().is_some_and(|c| c.contains("topics[s2,") && c.contains("binds at the plan")), "{dogs:?}");
    assert!(find(&g, "s1", "birds").caveat.is_none());
}

// ---------------------------------------------------------------------------------------------
// Gaps against re-solves with the hypothetical item added.

/// `inst` with the gap's item actually added: a new creator in a group no rule names, the item
/// with the gap's attributes, one edge to the gap's segment with `cap` impressions at most.
fn with_item(inst: &Instance, gap: &Gap, cap: f64) -> Instance {
    let mut d = inst.clone();
    d.creators.push(Creator { id: "test-added-creator".into(), group: "test-added-group".into() });
    let owner = Owner::Creator(d.creators.len() - 1);
    let it = &gap.item;
    d.items.push(Item { id: "test-added-item".into(), owner, topic: gap.topic.clone(), quality: it.quality, risk: it.risk, fresh: it.fresh, cap: None });
    let segment = inst.segments.iter().position(|s| s.id == gap.segment).unwrap();
    d.edges.push(Edge { segment, item: d.items.len() - 1, engagement: it.engagement, price: 0.0, cap: Some(cap) });
    d
}

/// Checks every gap of `inst` against the re-solve with the item added under a small cap:
/// clearly positive values within 1% of the gain per impression, negative ones with no gain.
/// Returns how many of each were checked.
fn check_gaps_against_resolves(inst: &Instance, label: &str) -> (usize, usize) {
    check_some_gaps_against_resolves(inst, label, usize::MAX, Profile::Mean)
}

/// As [`check_gaps_against_resolves`], for the `ends` best and `ends` worst gaps only.
///
/// The cap is small enough to stay on the optimum's current face (at most 1e-3 of the segment's
/// supply, down to 1e-5) but large enough that the gain is 300 times the solvers' accuracy
/// (taken as 1e-9 of the objective); gaps too small for that are skipped. Negative gaps must
/// gain nothing to 1e-8 of the objective with a cap of 1e-3 of the supply.
fn check_some_gaps_against_resolves(inst: &Instance, label: &str, ends: usize, profile: Profile) -> (usize, usize) {
    let file = solved(inst);
    let base = file.objective;
    let mut g = gaps_of(inst, &file, profile);
    if g.len() > ends.saturating_mul(2) {
        g.drain(ends..g.len() - ends);
    }
    let accuracy = 1e-9 * base.abs().max(1.0);
    let noise = 1e-8 * base.abs().max(1.0);
    let (mut positive, mut negative) = (0, 0);
    for gap in &g {
        let s = inst.segments.iter().position(|s| s.id == gap.segment).unwrap();
        let supply = inst.segments[s].supply;
        if gap.value > 0.0 && gap.caveat.is_none() {
            let cap = (300.0 * accuracy / gap.value).max(1e-5 * supply);
            if cap > 1e-3 * supply {
                continue;
            }
            let sol = solve(&with_item(inst, gap, cap), &Settings::default()).unwrap();
            assert_eq!(sol.status, Status::Optimal, "{label} {}/{}", gap.segment, gap.topic);
            let ratio = (sol.objective - base) / (gap.value * cap);
            println!("{label} {}/{}: value {:.6e} cap {cap:.3e} ratio {ratio:.5}", gap.segment, gap.topic, gap.value);
            assert!((ratio - 1.0).abs() < 0.01, "{label} {}/{}: value {} but gain per impression {}", gap.segment, gap.topic, gap.value, ratio * gap.value);
            positive += 1;
        } else if gap.value < -1e-6 {
            let sol = solve(&with_item(inst, gap, 1e-3 * supply), &Settings::default()).unwrap();
            let gain = sol.objective - base;
            assert!(gain.abs() <= noise, "{label} {}/{}: value {} < 0 but the optimum moved by {gain}", gap.segment, gap.topic, gap.value);
            negative += 1;
        }
    }
    (positive, negative)
}

#[test]
fn gap_values_match_resolves_on_the_example_day() {
    let (positive, negative) = check_gaps_against_resolves(&example(), "example");
    assert!(positive >= 3 && negative >= 10, "{positive} positive, {negative} negative gaps checked");
}

#[test]
fn gap_values_match_resolves_on_generated_days() {
    let (mut positive, mut negative) = (0, 0);
    for seed in 1..=6 {
        let (p, n) = check_gaps_against_resolves(&generate(Size::Tiny, seed), &format!("tiny-{seed}"));
        positive += p;
        negative += n;
    }
    assert!(positive >= 5 && negative >= 20, "{positive} positive, {negative} negative gaps checked");
}

/// On generated small days a segment has 13-35 organic edges per topic and the plan serves the
/// best of them, so an item with their mean attributes is worth less than what it would displace:
/// every gap is negative, and adding the item must gain nothing.
#[test]
fn gap_values_match_resolves_on_a_small_day() {
    let (positive, negative) = check_some_gaps_against_resolves(&generate(Size::Small, 1), "small-1", 8, Profile::Mean);
    assert!(positive + negative >= 16, "{positive} positive, {negative} negative gaps checked");
}

/// With the served profile an item is like what the plan shows; it is worth more than nothing
/// where the served items of its topic are held at their caps.
#[test]
fn served_profile_gap_values_match_resolves() {
    let (mut positive, mut negative) = (0, 0);
    for (inst, label) in [(generate(Size::Small, 1), "small-1-served"), (generate(Size::Small, 2), "small-2-served"), (example(), "example-served")] {
        let (p, n) = check_some_gaps_against_resolves(&inst, label, 6, Profile::Served);
        positive += p;
        negative += n;
    }
    println!("{positive} positive, {negative} negative");
    assert!(positive + negative >= 20, "{positive} positive, {negative} negative gaps checked");
}

#[test]
fn served_profile_weighs_by_impressions() {
    // GAP_DAY, s1 cats: one edge, so both profiles agree; a second served cats edge with other
    // engagement moves the served mean by the impressions.
    let text = GAP_DAY.replace(
        r#"{"segment": "s1", "item": "cat", "engagement": 1},"#,
        r#"{"segment": "s1", "item": "cat", "engagement": 1, "cap": 20}, {"segment": "s1", "item": "cat2", "engagement": 0.8},"#,
    );
    let inst = day(&text);
    let file = solved(&inst);
    let plan = report::check_solution(&inst, &file, 1e-6).unwrap();
    // s1: cats capped at 60% = 60: cat 20 (its edge cap), cat2 40; dogs 40.
    let cat = inst.edges.iter().position(|e| e.segment == 0 && inst.items[e.item].id == "cat").unwrap();
    let cat2 = inst.edges.iter().position(|e| e.segment == 0 && inst.items[e.item].id == "cat2").unwrap();
    assert!(close(plan.x[cat], 20.0, 1e-9) && close(plan.x[cat2], 40.0, 1e-9), "{:?}", plan.x);
    let mean = gaps::gaps(&inst, &plan.x, &plan.duals, Profile::Mean);
    let served = gaps::gaps(&inst, &plan.x, &plan.duals, Profile::Served);
    assert!(close(find(&mean, "s1", "cats").item.engagement, 0.9, 1e-12));
    let s = find(&served, "s1", "cats");
    assert!(close(s.item.engagement, (20.0 * 1.0 + 40.0 * 0.8) / 60.0, 1e-12), "{s:?}");
    assert_eq!(s.item.profile, Profile::Served);
    // s1 birds: nothing of the basis is served in s1's neighbour s2? It is (birds 60): served.
    assert_eq!(find(&served, "s1", "birds").item.profile, Profile::Served);
}

#[test]
fn gap_values_match_resolves_under_regularisation() {
    let (mut positive, mut negative) = (0, 0);
    for seed in [1, 2] {
        let mut inst = generate(Size::Tiny, seed);
        inst.objective.regularization = 0.5;
        let (p, n) = check_gaps_against_resolves(&inst, &format!("tiny-{seed}-qp"));
        positive += p;
        negative += n;
    }
    let mut inst = example();
    inst.objective.regularization = 0.5;
    let (p, n) = check_gaps_against_resolves(&inst, "example-qp");
    assert!(positive + p >= 3, "{} positive, {} negative gaps checked", positive + p, negative + n);
}

// ---------------------------------------------------------------------------------------------
// Rule prices against re-solves done here.

fn check_rule_prices(inst: &Instance, label: &str) {
    let file = solved(inst);
    let rep = report::build(inst, &file, &ReportSettings::default()).unwrap();
    assert_eq!(rep.constraint_prices.len(), inst.constraints.len());
    let mut positive = 0;
    for c in &inst.constraints {
        let price = rep.constraint_prices.iter().find(|p| p.name == c.name).unwrap();
        let mut without = inst.clone();
        without.constraints.retain(|k| k.name != c.name);
        let sol = solve(&without, &Settings::default()).unwrap();
        assert_eq!(price.status, sol.status, "{label} {}", c.name);
        let objective_without = price.objective_without.unwrap();
        assert!(close(objective_without, sol.objective, 1e-9), "{label} {}: {objective_without} vs {}", c.name, sol.objective);
        let p = price.price.unwrap();
        assert!(close(p, sol.objective - file.objective, 1e-9), "{label} {}", c.name);
        // Dropping a rule never hurts (up to the solver's accuracy).
        assert!(p >= -1e-7 * file.objective.abs().max(1.0), "{label} {}: price {p}", c.name);
        positive += (p > 1e-6 * file.objective.abs()) as usize;
    }
    assert!(positive >= 1, "{label}: no rule has a positive price");
}

#[test]
fn rule_prices_match_resolves() {
    check_rule_prices(&example(), "example");
    check_rule_prices(&generate(Size::Tiny, 3), "tiny-3");
    let mut qp = generate(Size::Tiny, 4);
    qp.objective.regularization = 0.5;
    check_rule_prices(&qp, "tiny-4-qp");
}

#[test]
fn rule_price_of_a_hand_computed_day() {
    // GAP_DAY without its topic cap serves only the best item of each segment: 100 * 1 + 100 *
    // 0.9 = 190, against 142 with it, so the rule costs 48.
    let inst = day(GAP_DAY);
    let rep = report::build(&inst, &solved(&inst), &ReportSettings::default()).unwrap();
    let p = &rep.constraint_prices[0];
    assert_eq!((p.name.as_str(), p.kind, p.status), ("topics", "topic_cap", Status::Optimal));
    assert!(close(p.objective_without.unwrap(), 190.0, 1e-9) && close(p.price.unwrap(), 48.0, 1e-9), "{p:?}");
}

// ---------------------------------------------------------------------------------------------
// What a report refuses.

#[test]
fn refuses_solutions_it_cannot_trust() {
    let inst = example();
    let file = solved(&inst);
    let settings = ReportSettings { skip_constraint_prices: true, ..ReportSettings::default() };
    assert!(report::build(&inst, &file, &settings).is_ok());

    let mut other = file.clone();
    other.instance = "another-day".into();
    let e = report::build(&inst, &other, &settings).unwrap_err();
    assert!(matches!(e, ReportError::OtherInstance(_)), "{e}");
    assert!(e.to_string().contains("another-day") && e.to_string().contains("example-day"), "{e}");

    let mut infeasible = file.clone();
    infeasible.status = Status::Infeasible;
    assert!(matches!(report::build(&inst, &infeasible, &settings), Err(ReportError::NotOptimal(Status::Infeasible))));

    // Twice the impressions break the supply rows.
    let mut doubled = file.clone();
    doubled.plan.iter_mut().for_each(|p| p.impressions *= 2.0);
    let e = report::build(&inst, &doubled, &settings).unwrap_err();
    assert!(matches!(e, ReportError::Infeasible { .. }) && e.to_string().contains("supply["), "{e}");

    let mut unknown = file.clone();
    unknown.plan[0].item = "no-such-item".into();
    let e = report::build(&inst, &unknown, &settings).unwrap_err();
    assert!(matches!(e, ReportError::UnknownEdge { index: 0, .. }) && e.to_string().contains("no-such-item"), "{e}");

    let mut missing = file.clone();
    let dropped = missing.constraints.remove(3).name;
    let e = report::build(&inst, &missing, &settings).unwrap_err();
    assert!(matches!(e, ReportError::MissingRow(ref r) if *r == dropped), "{e}");

    let mut wrong_sign = file.clone();
    let k = wrong_sign.constraints.iter().position(|c| c.sense.as_deref() == Some("<=")).unwrap();
    wrong_sign.constraints[k].dual = -1.0;
    assert!(matches!(report::build(&inst, &wrong_sign, &settings), Err(ReportError::DualSign { .. })));
}

#[test]
fn report_json_and_charts() {
    let inst = example();
    let rep = report::build(&inst, &solved(&inst), &ReportSettings::default()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&rep.to_json()).unwrap();
    assert_eq!(v["schema"], "agora.report/v1");
    assert_eq!(v["instance"], "example-day");
    for key in [
        "engagement",
        "quality",
        "revenue",
        "rpm",
        "ad_load",
        "freshness_share",
        "integrity_rate",
        "creator_gini",
        "creator_hhi",
        "creator_entropy",
        "effective_catalog_size",
        "coverage",
        "zero_exposure_creators",
        "budget_utilisation",
    ] {
        assert!(v["overall"][key].is_number(), "overall.{key}");
    }
    let groups = v["overall"]["group_share"].as_object().unwrap();
    assert!((groups.values().map(|g| g.as_f64().unwrap()).sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(v["segments"].as_array().unwrap().len(), inst.segments.len());
    assert_eq!(v["constraint_prices"].as_array().unwrap().len(), inst.constraints.len());
    let gaps = v["gaps"].as_array().unwrap();
    assert_eq!(gaps[0]["rank"], 1);
    assert!(gaps.windows(2).all(|w| w[0]["value"].as_f64() >= w[1]["value"].as_f64()));
    let charts = rep.charts().unwrap();
    assert_eq!(charts.iter().map(|c| c.0).collect::<Vec<_>>(), report::CHART_FILES.to_vec());
    for (name, svg) in &charts {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{name}");
    }
    // Axis titles with units, and every segment's name on the topic-mix chart.
    assert!(charts[0].1.contains("cumulative organic impressions (%)"));
    assert!(inst.segments.iter().all(|s| charts[1].1.contains(&s.id)));
    assert!(charts[2].1.contains("per impression") && charts[2].1.contains("per point of max_share"));
    assert!(charts[3].1.contains("objective units"));
}

#[test]
fn gap_duals_are_read_by_row_name() {
    // The gap values use the file's duals: zeroing them leaves each item worth its own c.
    let inst = day(GAP_DAY);
    let plan = report::check_solution(&inst, &solved(&inst), 1e-6).unwrap();
    let zero: HashMap<String, f64> = plan.duals.keys().map(|k| (k.clone(), 0.0)).collect();
    for g in gaps::gaps(&inst, &plan.x, &zero, gaps::Profile::Mean) {
        assert_eq!(g.value, g.objective_coefficient);
        assert!(close(g.value, g.item.engagement, 1e-15));
    }
}

#[test]
fn report_of_a_day_without_rules_or_ads() {
    // One segment, one organic item, nothing else: no rule to price, one gap worth 0 (an item
    // like the one served), charts drawn from almost nothing.
    let inst = day(r#"{
      "schema": "agora.instance/v1", "name": "bare",
      "segments": [{"id": "s", "supply": 10}],
      "creators": [{"id": "c"}],
      "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}],
      "edges": [{"segment": "s", "item": "i", "engagement": 0.25}]
    }"#);
    let rep = report::build(&inst, &solved(&inst), &ReportSettings::default()).unwrap();
    assert!(rep.constraint_prices.is_empty());
    assert_eq!(rep.gaps.len(), 1);
    assert!(rep.gaps[0].value.abs() < 1e-12, "{:?}", rep.gaps[0]);
    assert_eq!(rep.metrics.plan.creator_gini, 0.0);
    assert_eq!((rep.metrics.coverage, rep.metrics.effective_catalog_size), (1.0, 1.0));
    assert_eq!(rep.charts().unwrap().len(), 4);
}

#[test]
fn rule_prices_do_not_depend_on_how_many_run_at_once() {
    let inst = example();
    let sol = solve(&inst, &Settings::default()).unwrap();
    let file = sol.to_file(&inst);
    let prices = |parallelism| {
        let mut p = report::constraint_prices::constraint_prices(&inst, &file, &Settings::default(), parallelism, Start::FromSolution).unwrap();
        p.iter_mut().for_each(|p| p.seconds = 0.0);
        p
    };
    let (one, two) = (prices(1), prices(2));
    assert_eq!(one, two);
    assert_eq!(one.len(), inst.constraints.len());
    assert!(one.iter().zip(&inst.constraints).all(|(p, c)| p.name == c.name), "constraint order");
}

/// Rule prices re-solved from the day's solution (sifting, warm) equal those re-solved from
/// scratch to 1e-9, on days with every constraint type, hard and soft.
#[test]
fn warm_started_rule_prices_equal_cold_ones() {
    let sifting = Settings { backend: agora_solver::BackendChoice::FirstOrder, ..Settings::default() };
    let mut checked = 0;
    for (name, inst, _) in common::solved_days() {
        let sol = solve(&inst, &sifting).unwrap();
        if !sol.status.is_optimal() {
            continue;
        }
        let file = sol.to_file(&inst);
        let run = |start| report::constraint_prices::constraint_prices(&inst, &file, &sifting, 1, start).unwrap();
        let (warm, cold) = (run(Start::FromSolution), run(Start::Cold));
        for (w, c) in warm.iter().zip(&cold) {
            assert_eq!((w.name.as_str(), w.status), (c.name.as_str(), c.status), "{name}");
            assert!(w.warm_start && !c.warm_start, "{name}: {}", w.name);
            if let (Some(a), Some(b)) = (w.objective_without, c.objective_without) {
                assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0), "{name}: {} warm {a} cold {b}", w.name);
            }
        }
        checked += 1;
    }
    assert!(checked >= 6, "{checked} days checked");
}

/// A report made on the day itself (rules taken out and put back one at a time, gaps' items
/// added and removed) is the report made on copies, and leaves the day as it was.
#[test]
fn a_report_in_place_is_the_report_on_copies_and_leaves_the_day() {
    for (name, inst, file) in common::solved_days().into_iter().take(4) {
        let on_copies = ReportSettings { parallelism: 2, ..ReportSettings::default() };
        let mut day = inst.clone();
        let mut a = report::build_in_place(&mut day, &file, &ReportSettings { parallelism: 1, ..on_copies.clone() }).unwrap();
        assert_eq!(day, inst, "{name}: the day changed");
        let mut b = report::build(&inst, &file, &on_copies).unwrap();
        for p in a.constraint_prices.iter_mut().chain(b.constraint_prices.iter_mut()) {
            p.seconds = 0.0;
        }
        assert_eq!(a, b, "{name}");
    }
}
