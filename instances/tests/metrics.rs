//! Plan metrics on a hand-built day with a hand-computed plan.

use std::path::Path;

use agora_instances::{parse_str, PlanMetrics};

const DAY: &str = r#"{
  "schema": "agora.instance/v1", "name": "metrics",
  "segments": [{"id": "s1", "supply": 100}, {"id": "s2", "supply": 50}],
  "creators": [{"id": "c1", "group": "new"}, {"id": "c2"}, {"id": "c3", "group": "new"}],
  "campaigns": [{"id": "a1", "budget": 10}],
  "items": [
    {"id": "p1", "creator": "c1", "topic": "t", "quality": 0.5, "risk": 0, "fresh": true},
    {"id": "p2", "creator": "c2", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
    {"id": "ad", "campaign": "a1", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}
  ],
  "edges": [
    {"segment": "s1", "item": "p1", "engagement": 1, "price": 0},
    {"segment": "s1", "item": "p2", "engagement": 1, "price": 0},
    {"segment": "s2", "item": "p2", "engagement": 1, "price": 0},
    {"segment": "s2", "item": "ad", "engagement": 1, "price": 0.25}
  ]
}"#;

#[test]
fn metrics_of_a_hand_computed_plan() {
    let day = parse_str(DAY, Path::new("metrics.json")).unwrap().instance;
    // c1 gets 30, c2 gets 60 + 10 = 70, c3 (no items) 0; 20 ad impressions.
    let m = PlanMetrics::of(&day, &[30.0, 60.0, 10.0, 20.0]);
    assert_eq!(m.impressions, 120.0);
    assert!((m.ad_load - 20.0 / 120.0).abs() < 1e-15);
    assert!((m.revenue - 5.0).abs() < 1e-15);
    assert!((m.new_creator_share - 0.3).abs() < 1e-15);
    // Exposures [30, 70, 0]: sum |vi - vj| over ordered pairs = 2*(40 + 30 + 70) = 280;
    // 2 n^2 mean = 2 * 9 * 100/3 = 600.
    assert!((m.creator_gini - 280.0 / 600.0).abs() < 1e-12);
}

#[test]
fn empty_plan_has_zero_metrics() {
    let day = parse_str(DAY, Path::new("metrics.json")).unwrap().instance;
    assert_eq!(PlanMetrics::of(&day, &[0.0; 4]), PlanMetrics::default());
}
