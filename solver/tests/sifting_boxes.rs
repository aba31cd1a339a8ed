//! Sifting's restricted LPs box every uncapped edge column by its supply row's right-hand side
//! (`solver/src/sifting/restricted.rs`, "Boxes"), so that HiGHS' dual simplex flips a column to
//! that bound instead of running a phase one. A column resting on its box at the optimum would
//! move its segment's price into its own reduced cost; sifting lifts those boxes and solves again
//! before it ends. These tests build days where a segment's whole supply goes to one edge.

use agora_instances::{generate_day, parse_str, with_every_rule_kind, Instance, Size};
use agora_solver::{solve, BackendChoice, FirstOrderMethod, Settings, Solution, Status};
use proptest::prelude::*;
use serde_json::json;

fn sifted(day: &Instance) -> Solution {
    let settings = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() };
    solve(day, &settings).expect("sifting runs")
}

fn whole(day: &Instance) -> Solution {
    solve(day, &Settings { backend: BackendChoice::Highs, ..Settings::default() }).expect("HiGHS runs")
}

/// Segments `s0..sN` with supply 100 each; segment `k` sees only item `ok` (engagement `0.05`),
/// except the last segment, which also sees `shared` (engagement 0.03).
fn one_item_per_segment(n: usize) -> Instance {
    let segments: Vec<_> = (0..n).map(|k| json!({"id": format!("s{k}"), "supply": 100.0})).collect();
    let mut items: Vec<_> = (0..n).map(|k| json!({"id": format!("o{k}"), "creator": "c", "topic": "t", "quality": 0.5, "risk": 0.0, "fresh": true})).collect();
    items.push(json!({"id": "shared", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0.0, "fresh": true}));
    let mut edges: Vec<_> = (0..n).map(|k| json!({"segment": format!("s{k}"), "item": format!("o{k}"), "engagement": 0.05, "price": 0.0})).collect();
    edges.push(json!({"segment": format!("s{}", n - 1), "item": "shared", "engagement": 0.03, "price": 0.0}));
    let day = json!({
        "schema": "agora.instance/v1",
        "name": "boxes",
        "segments": segments,
        "creators": [{"id": "c", "group": "new"}],
        "items": items,
        "edges": edges,
    });
    parse_str(&day.to_string(), "boxes.json".as_ref()).expect("valid").instance
}

#[test]
fn a_column_filling_its_segment_keeps_the_segments_price() {
    let day = one_item_per_segment(4);
    let sol = sifted(&day);
    assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    // Each segment's 100 impressions go to its own item (0.05 beats 0.03); one more impression
    // is worth 0.05, so every supply row's dual and shadow price is 0.05 (hand_checked.rs:
    // `supply_row_prices_the_best_item`), not 0 with the 0.05 left in the column's reduced cost.
    for k in 0..4 {
        let row = sol.row(&format!("supply[s{k}]")).expect("a supply row");
        assert!((row.dual - 0.05).abs() <= 1e-9, "supply[s{k}] dual {}", row.dual);
        assert!((row.shadow_price - 0.05).abs() <= 1e-9, "supply[s{k}] shadow price {}", row.shadow_price);
    }
    assert!((sol.objective - 20.0).abs() <= 1e-9, "objective {}", sol.objective);
    let message = sol.message.as_deref().unwrap_or_default();
    assert!(message.contains("lifted off their supply box"), "the boxes were not what HiGHS rested on: {message}");
}

/// `day` with every other segment (the even ones) cut down to its first edge.
fn with_single_edge_segments(mut day: Instance) -> Instance {
    let mut seen = vec![false; day.segments.len()];
    day.edges.retain(|e| {
        let keep = e.segment % 2 != 0 || !seen[e.segment];
        seen[e.segment] = true;
        keep
    });
    day
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Generated LP days with single-edge segments, with every rule kind or with none: sifting
    /// ends at HiGHS' optimum on the whole model, and its duals pass agora's independent check
    /// against the whole model (a box left under a column would show as that column's reduced
    /// cost of the wrong sign: a dual residual).
    #[test]
    fn single_edge_segments_sift_to_highs_duals(seed in 0u64..100_000, small in any::<bool>(), every_kind in any::<bool>()) {
        let day = generate_day(if small { Size::Small } else { Size::Tiny }, seed, 0.0);
        let mut day = with_single_edge_segments(if every_kind { with_every_rule_kind(day) } else { day });
        if !every_kind {
            // Without rules a single edge is held back only by its item's cap or campaign's
            // budget: it takes its whole segment, resting on its box.
            day.constraints.clear();
        }
        let reference = whole(&day);
        prop_assume!(reference.status == Status::Optimal);
        let sol = sifted(&day);
        prop_assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
        let cert = sol.certificate.clone().expect("an optimal answer carries its certificate");
        prop_assert!(cert.passes(1e-6), "{cert:?}");
        let rel = (sol.objective - reference.objective).abs() / reference.objective.abs().max(1.0);
        prop_assert!(rel <= 1e-9, "sifting {} against {}", sol.objective, reference.objective);
    }
}
