//! [Proptest](https://docs.rs/proptest) strategies for the core types, for every crate's tests
//! (enable this crate's `proptest` feature).
//!
//! As in `nalgebra::proptest`, each function returns an `impl Strategy` and takes the ranges or the
//! context its values must fit. Instances come from the generator, so they are valid and feasible
//! by construction, and they shrink towards fewer segments, creators and campaigns.
//!
//! ```
//! use agora_instances::strategies;
//! use proptest::prelude::*;
//!
//! proptest! {
//!     // In a test crate, put `#[test]` on each of these.
//!     fn every_generated_day_has_edges(day in strategies::tiny_instance()) {
//!         prop_assert!(!day.edges.is_empty());
//!     }
//!
//!     fn selectors_fit_their_day(
//!         (day, sel) in strategies::tiny_instance()
//!             .prop_flat_map(|day| { let sel = strategies::segment_selector(&day); (Just(day), sel) })
//!     ) {
//!         prop_assert!(!day.select_segments(&sel).is_empty());
//!     }
//! }
//! every_generated_day_has_edges();
//! selectors_fit_their_day();
//! ```

use std::ops::RangeInclusive;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::strategy::Union;

use crate::generate::{generate_witnessed, GenerateConfig, Generated, Size};
use crate::types::*;

/// Generator configurations with dimensions in the given ranges (`creators` from 3, the others
/// from 1). The other knobs are drawn too: 1 to 5 topics, ad load 0.05 to 0.5, parity tolerance
/// 0.1 to 0.6, floors at 0.3 to 0.95 of the witness, revenue weight 1 to 20, and regularization
/// 0 (an LP) half of the time, 0.001 to 1 (a QP) otherwise.
///
/// # Panics
/// If a range allows fewer than 3 creators or zero segments or campaigns.
pub fn config(segments: RangeInclusive<usize>, creators: RangeInclusive<usize>, campaigns: RangeInclusive<usize>) -> impl Strategy<Value = GenerateConfig> {
    assert!(*segments.start() >= 1 && *creators.start() >= 3 && *campaigns.start() >= 1, "dimensions out of range");
    let dims = (segments, creators, campaigns, 1usize..=5, 0.5f64..3.0, 0.5f64..4.0);
    let knobs = (0.05f64..0.5, 0.1f64..0.6, 0.3f64..0.95, 1.0f64..20.0, prop_oneof![Just(0.0), 0.001f64..1.0]);
    (dims, knobs).prop_map(|((segments, creators, campaigns, topics, items_per_creator, organic_degree), (ad_load, tol, floor, revenue, rho))| GenerateConfig {
        label: "proptest".into(),
        segments,
        creators,
        campaigns,
        topics,
        items_per_creator,
        ads_per_campaign: 1.5,
        organic_degree,
        ad_degree: organic_degree,
        ad_load,
        parity_tolerance: tol,
        floor_fraction: floor,
        revenue_weight: revenue,
        regularization: rho,
        item_cap_share: 0.1,
        edge_cap_share: 0.05,
        ..GenerateConfig::for_size(Size::Tiny)
    })
}

/// Configurations of small days: 1 to 6 segments, 3 to 10 creators, 1 to 3 campaigns (at most a
/// hundred or so edges).
pub fn small_config() -> impl Strategy<Value = GenerateConfig> {
    config(1..=6, 3..=10, 1..=3)
}

/// Generated days with their feasible witness plan ([`Generated::witness`]), from configurations
/// drawn by `config` and a random seed.
pub fn generated(config: impl Strategy<Value = GenerateConfig>) -> impl Strategy<Value = Generated> {
    (config, any::<u64>()).prop_map(|(cfg, seed)| generate_witnessed(&cfg, seed))
}

/// Valid, feasible days generated from configurations drawn by `config`.
pub fn instance(config: impl Strategy<Value = GenerateConfig>) -> impl Strategy<Value = Instance> {
    generated(config).prop_map(|g| g.instance)
}

/// Small valid, feasible days (see [`small_config`]): the default for property tests.
pub fn tiny_instance() -> impl Strategy<Value = Instance> {
    instance(small_config())
}

/// Objective weights: engagement 0 to 2, quality 0 to 0.01, revenue 0 to 20, integrity risk 0
/// to 1, and regularization 0 half of the time, 0.001 to 1 otherwise.
pub fn objective() -> impl Strategy<Value = Objective> {
    (0.0f64..2.0, 0.0f64..0.01, 0.0f64..20.0, 0.0f64..1.0, prop_oneof![Just(0.0), 0.001f64..1.0]).prop_map(
        |(engagement, quality, revenue, integrity_risk, regularization)| Objective {
            engagement,
            quality,
            revenue,
            integrity_risk,
            regularization,
            engagement_estimate: EngagementEstimate::Point,
        },
    )
}

/// Organic or ad.
pub fn item_kind() -> impl Strategy<Value = ItemKind> {
    prop_oneof![Just(ItemKind::Organic), Just(ItemKind::Ad)]
}

/// Segment selectors that pick at least one segment of `instance`: all of them, a non-empty
/// list of its ids, or one of the tags its segments carry.
///
/// # Panics
/// If `instance` has no segment.
pub fn segment_selector(instance: &Instance) -> impl Strategy<Value = SegmentSelector> {
    let ids: Vec<String> = instance.segments.iter().map(|s| s.id.clone()).collect();
    assert!(!ids.is_empty(), "the instance has no segment to select");
    let mut tags: Vec<String> = instance.segments.iter().flat_map(|s| s.tags.iter().cloned()).collect();
    tags.sort();
    tags.dedup();
    let n = ids.len();
    let mut options: Vec<BoxedStrategy<SegmentSelector>> =
        vec![Just(SegmentSelector::All).boxed(), subsequence(ids, 1..=n).prop_map(SegmentSelector::Ids).boxed()];
    if !tags.is_empty() {
        options.push(select(tags).prop_map(SegmentSelector::Tag).boxed());
    }
    Union::new(options)
}

/// Item selectors of every shape that pick at least one item of `instance`: one of its creators,
/// creator groups, campaigns or topics, a kind it has items of, or a non-empty list of item ids.
///
/// # Panics
/// If `instance` has no item.
pub fn item_selector(instance: &Instance) -> impl Strategy<Value = ItemSelector> {
    assert!(!instance.items.is_empty(), "the instance has no item to select");
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    let creators = sorted(instance.items.iter().filter_map(|i| i.creator()).map(|c| instance.creators[c].id.clone()).collect());
    let groups = sorted(instance.items.iter().filter_map(|i| i.creator()).map(|c| instance.creators[c].group.clone()).collect());
    let campaigns = sorted(instance.items.iter().filter_map(|i| i.campaign()).map(|a| instance.campaigns[a].id.clone()).collect());
    let topics = sorted(instance.items.iter().map(|i| i.topic.clone()).collect());
    let mut kinds: Vec<ItemKind> = instance.items.iter().map(|i| i.kind()).collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    let ids: Vec<String> = instance.items.iter().map(|i| i.id.clone()).collect();
    let n = ids.len();

    let mut options: Vec<BoxedStrategy<ItemSelector>> = vec![
        select(topics).prop_map(ItemSelector::Topic).boxed(),
        select(kinds).prop_map(ItemSelector::Kind).boxed(),
        subsequence(ids, 1..=n.min(5)).prop_map(ItemSelector::Ids).boxed(),
    ];
    if !creators.is_empty() {
        options.push(select(creators).prop_map(ItemSelector::Creator).boxed());
        options.push(select(groups).prop_map(ItemSelector::CreatorGroup).boxed());
    }
    if !campaigns.is_empty() {
        options.push(select(campaigns).prop_map(ItemSelector::Campaign).boxed());
    }
    Union::new(options)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{parse_str, plan_violations, to_json};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn generated_days_validate_round_trip_and_have_a_feasible_witness(g in generated(small_config())) {
            let back = parse_str(&to_json(&g.instance), Path::new("prop.json")).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(back.warnings.is_empty(), "{:?}", back.warnings);
            prop_assert!(back.instance == g.instance);
            let violations = plan_violations(&g.instance, &g.witness, 1e-9);
            prop_assert!(violations.is_empty(), "{:?}", violations);
        }

        #[test]
        fn larger_days_with_random_knobs_are_feasible(g in generated(config(1..=30, 3..=60, 1..=6))) {
            let violations = plan_violations(&g.instance, &g.witness, 1e-9);
            prop_assert!(violations.is_empty(), "{:?}", violations);
            prop_assert_eq!(g.instance.constraints.len(), 9);
        }

        #[test]
        fn selectors_pick_something_and_survive_the_file_format(
            (day, segs, items, objective) in tiny_instance().prop_flat_map(|day| {
                let (s, i) = (segment_selector(&day), item_selector(&day));
                (Just(day), s, i, objective())
            })
        ) {
            prop_assert!(!day.select_segments(&segs).is_empty());
            prop_assert!(day.select_items(&items).iter().any(|&m| m));
            let mut day = day;
            day.objective = objective;
            day.constraints = vec![Constraint {
                name: "prop-cap".into(),
                penalty: Some(1.0),
                kind: ConstraintKind::ExposureCap { items, segments: segs, max: 1e6 },
            }];
            let back = parse_str(&to_json(&day), Path::new("prop.json")).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(back.warnings.is_empty(), "{:?}", back.warnings);
            prop_assert!(back.instance == day);
        }
    }

    #[test]
    fn item_kinds_cover_both() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let seen: Vec<ItemKind> = (0..32).map(|_| item_kind().new_tree(&mut runner).unwrap().current()).collect();
        assert!(seen.contains(&ItemKind::Ad) && seen.contains(&ItemKind::Organic));
    }
}
