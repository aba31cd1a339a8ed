//! The generator's own checks: every size valid and feasible, reproducible, rounding exact.

use std::collections::HashSet;
use std::path::Path;

use super::*;
use crate::{parse_str, plan_violations, to_json};

fn type_names(inst: &Instance) -> HashSet<&'static str> {
    inst.constraints.iter().map(|c| c.kind.type_name()).collect()
}

/// How many constraint types a day without logged evidence can use: all but `exploration_floor`
/// (which needs `agora estimate`'s rounds per edge to mean anything).
fn spec_types() -> usize {
    ConstraintKind::TYPE_NAMES.iter().filter(|t| **t != "exploration_floor").count()
}

/// The checks every generated day must pass, whatever its size.
fn check_day(g: &Generated) {
    let inst = &g.instance;
    let back = parse_str(&to_json(inst), Path::new("generated.json")).unwrap_or_else(|e| panic!("{e}"));
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert!(back.instance == *inst, "the JSON round trip changed the instance");
    assert_eq!(type_names(inst).len(), spec_types());
    assert!(inst.constraints.iter().any(|c| c.penalty.is_some()), "no soft constraint");
    let violations = plan_violations(inst, &g.witness, 1e-9);
    assert!(violations.is_empty(), "the witness violates {violations:?}");

    for (kind, ids) in [
        ("segment", inst.segments.iter().map(|s| &s.id).collect::<Vec<_>>()),
        ("creator", inst.creators.iter().map(|c| &c.id).collect()),
        ("campaign", inst.campaigns.iter().map(|a| &a.id).collect()),
        ("item", inst.items.iter().map(|i| &i.id).collect()),
        ("constraint", inst.constraints.iter().map(|c| &c.name).collect()),
    ] {
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "duplicate {kind} ids");
    }
    let mut pairs = HashSet::new();
    for (k, e) in inst.edges.iter().enumerate() {
        assert!(pairs.insert((e.segment, e.item)), "duplicate edge {k}");
        if !inst.is_ad_edge(k) {
            assert_eq!(e.price, 0.0, "organic edge {k} has a price");
        }
    }
    for s in 0..inst.segments.len() {
        let organic: Vec<&Item> =
            inst.edges.iter().filter(|e| e.segment == s && inst.items[e.item].kind() == ItemKind::Organic).map(|e| &inst.items[e.item]).collect();
        assert!(organic.iter().any(|i| i.risk == 0.0), "segment {s} has no risk-free organic item");
        assert!(organic.iter().any(|i| i.fresh), "segment {s} has no fresh organic item");
    }
    for a in 0..inst.campaigns.len() {
        assert!(inst.edges.iter().any(|e| inst.items[e.item].campaign() == Some(a)), "campaign {a} has no ad with edges");
    }
    for c in &inst.constraints {
        if let ConstraintKind::TopicCap { max_share, .. } = c.kind {
            assert!(max_share > 1.0 / TOPICS.len() as f64, "topic cap {max_share} leaves no room");
        }
        if let ConstraintKind::ExposureParity { tolerance, .. } = c.kind {
            assert!((0.3..=0.5).contains(&tolerance));
        }
    }
}

#[test]
fn size_names_parse_and_unknown_names_list_the_valid_ones() {
    for (size, name) in Size::ALL.iter().zip(Size::NAMES) {
        assert_eq!(name.parse::<Size>().unwrap(), *size);
        assert_eq!(size.to_string(), name);
    }
    let err = "huge".parse::<Size>().unwrap_err().to_string();
    assert_eq!(err, "unknown size \"huge\" (valid sizes: tiny, small, medium, large)");
    assert!("Tiny".parse::<Size>().is_err());
}

#[test]
fn same_seed_same_day_other_seed_other_day() {
    for size in [Size::Tiny, Size::Small] {
        let a = generate(size, 7);
        assert_eq!(a, generate(size, 7));
        assert_eq!(a.name, format!("generated-{size}-seed7"));
        let b = generate(size, 8);
        assert_ne!(a.edges, b.edges);
    }
}

#[test]
fn tiny_days_are_valid_and_feasible() {
    for seed in 0..40 {
        let g = generate_witnessed(&GenerateConfig::for_size(Size::Tiny), seed);
        check_day(&g);
        let n = g.instance.edges.len();
        assert!((30..=80).contains(&n), "seed {seed}: {n} edges");
    }
}

#[test]
fn small_days_are_valid_and_feasible() {
    for seed in 0..3 {
        let g = generate_witnessed(&GenerateConfig::for_size(Size::Small), seed);
        check_day(&g);
        let n = g.instance.edges.len();
        assert!((2_000..=5_000).contains(&n), "seed {seed}: {n} edges");
    }
}

#[test]
fn medium_day_is_valid_and_feasible() {
    let g = generate_witnessed(&GenerateConfig::for_size(Size::Medium), 1);
    check_day(&g);
    let n = g.instance.edges.len();
    assert!((50_000..=100_000).contains(&n), "{n} edges");
}

#[test]
fn large_day_has_a_million_edges() {
    let start = std::time::Instant::now();
    let inst = generate(Size::Large, 1);
    let n = inst.edges.len();
    assert!(n >= 1_000_000, "{n} edges");
    eprintln!("large: {n} edges in {:.2?}", start.elapsed());
}

#[test]
fn degenerate_configs_still_make_feasible_days() {
    let smallest = GenerateConfig {
        label: "smallest".into(),
        segments: 1,
        creators: 3,
        campaigns: 1,
        items_per_creator: 0.1,
        ads_per_campaign: 0.1,
        topics: 1,
        organic_degree: 0.1,
        ad_degree: 0.1,
        ..GenerateConfig::for_size(Size::Tiny)
    };
    for seed in 0..20 {
        check_day(&generate_witnessed(&smallest, seed));
    }
    let all_topics = GenerateConfig { segments: 2, topics: 8, item_cap_share: 1.0, edge_cap_share: 1.0, ..smallest };
    for seed in 0..20 {
        check_day(&generate_witnessed(&all_topics, seed));
    }
}

#[test]
fn regularization_is_passed_through() {
    let cfg = GenerateConfig { regularization: 0.5, ..GenerateConfig::for_size(Size::Tiny) };
    assert_eq!(generate_with(&cfg, 1).objective.regularization, 0.5);
    assert_eq!(generate(Size::Tiny, 1).objective.regularization, 0.0);
}

#[test]
#[should_panic(expected = "creators must be >= 3")]
fn too_few_creators_panics() {
    generate_with(&GenerateConfig { creators: 2, ..GenerateConfig::for_size(Size::Tiny) }, 1);
}

#[test]
fn rounding_goes_the_asked_way_and_survives_json() {
    for x in [0.123456789, 1234567.89, 9.99951e-5, 0.1 + 0.2, 2.5e-3, 123.0, 7.0 / 3.0] {
        let (near, up, down) = (round_sig(x, 3), round_sig_up(x, 3), round_sig_down(x, 3));
        assert!(down <= x && x <= up, "{x}: {down} {up}");
        assert!((near - x).abs() <= (up - down).abs());
        for v in [near, up, down] {
            assert_eq!(serde_json::from_str::<f64>(&serde_json::to_string(&v).unwrap()).unwrap(), v);
        }
    }
    assert_eq!(round_sig(0.0, 3), 0.0);
    assert_eq!(round_dp(0.456, 2), 0.46);
}

#[test]
fn example_day_is_valid_and_uses_every_constraint_type() {
    let day = crate::load(concat!(env!("CARGO_MANIFEST_DIR"), "/example-day.json")).unwrap_or_else(|e| panic!("{e}"));
    assert!(day.warnings.is_empty(), "{:?}", day.warnings);
    let inst = &day.instance;
    assert_eq!(inst.name, "example-day");
    assert_eq!(type_names(inst).len(), spec_types());
    assert!(inst.constraints.iter().any(|c| c.penalty.is_some()), "no soft constraint");
    let groups: HashSet<&str> = inst.creators.iter().map(|c| c.group.as_str()).collect();
    assert_eq!(groups, HashSet::from(["new", "small", "established"]));
}
