//! Tiny instances whose optimum, duals and shadow prices were derived by hand (derivations in
//! the comments): one per constraint type, the always-present rows, soft rows and the QP term.

use agora_instances::{parse_str, Instance};
use agora_solver::{solve, BackendChoice, Settings, Solution, Status};
use serde_json::{json, Value};

/// One segment `s` (supply 100) with two organic items: `o1` (creator `c1`, group `new`, topic
/// `t1`, fresh, quality 0.5, risk 0) and `o2` (creator `c2`, group `established`, topic `t2`, not
/// fresh, quality 1, risk 0.2); engagement per impression `e1`, `e2`.
fn two_items(e1: f64, e2: f64) -> Value {
    json!({
        "schema": "agora.instance/v1",
        "name": "hand",
        "segments": [{"id": "s", "supply": 100.0}],
        "creators": [{"id": "c1", "group": "new"}, {"id": "c2", "group": "established"}],
        "items": [
            {"id": "o1", "creator": "c1", "topic": "t1", "quality": 0.5, "risk": 0.0, "fresh": true},
            {"id": "o2", "creator": "c2", "topic": "t2", "quality": 1.0, "risk": 0.2, "fresh": false}
        ],
        "edges": [
            {"segment": "s", "item": "o1", "engagement": e1, "price": 0.0},
            {"segment": "s", "item": "o2", "engagement": e2, "price": 0.0}
        ]
    })
}

/// One segment `s` (supply 100), an organic item `o1` (engagement `e1`) and an ad `ad` of
/// campaign `a1` (budget `budget`) with price `price` and no engagement.
fn organic_and_ad(e1: f64, price: f64, budget: f64) -> Value {
    json!({
        "schema": "agora.instance/v1",
        "name": "hand-ad",
        "segments": [{"id": "s", "supply": 100.0}],
        "creators": [{"id": "c1", "group": "new"}],
        "campaigns": [{"id": "a1", "budget": budget}],
        "items": [
            {"id": "o1", "creator": "c1", "topic": "t1", "quality": 0.5, "risk": 0.0, "fresh": true},
            {"id": "ad", "campaign": "a1", "topic": "t2", "quality": 0.5, "risk": 0.0, "fresh": false}
        ],
        "edges": [
            {"segment": "s", "item": "o1", "engagement": e1, "price": 0.0},
            {"segment": "s", "item": "ad", "engagement": 0.0, "price": price}
        ]
    })
}

fn with_constraint(mut v: Value, c: Value) -> Value {
    v["constraints"] = json!([c]);
    v
}

fn instance(v: &Value) -> Instance {
    parse_str(&v.to_string(), "hand.json".as_ref()).expect("valid").instance
}

/// Solves with HiGHS, and checks that Clarabel reaches the same plan, duals and shadow prices
/// (every instance here has a unique primal and dual optimum).
fn solved(v: &Value) -> (Instance, Solution) {
    let inst = instance(v);
    let sol = solve(&inst, &Settings { backend: BackendChoice::Highs, ..Settings::default() }).expect("solves");
    assert_eq!(sol.status, Status::Optimal, "{:?}", sol.message);
    let settings = Settings { backend: BackendChoice::Clarabel, ..Settings::default() };
    let other = solve(&inst, &settings).expect("solves");
    assert_eq!(other.status, Status::Optimal, "clarabel: {:?}", other.message);
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-5 * (1.0 + a.abs().max(b.abs()));
    assert!(near(sol.objective, other.objective), "objective: highs {} clarabel {}", sol.objective, other.objective);
    for (e, (a, b)) in sol.impressions.iter().zip(&other.impressions).enumerate() {
        assert!((a - b).abs() <= 1e-4, "edge {e}: highs {a} clarabel {b}");
    }
    for (a, b) in sol.rows.iter().zip(&other.rows) {
        assert!(near(a.dual, b.dual), "{} dual: highs {} clarabel {}", a.name, a.dual, b.dual);
        assert!(near(a.shadow_price, b.shadow_price), "{} shadow: highs {} clarabel {}", a.name, a.shadow_price, b.shadow_price);
    }
    (inst, sol)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * (1.0 + b.abs())
}

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    assert!(close(got, want), "{what}: got {got}, want {want}");
}

fn x(inst: &Instance, sol: &Solution, item: &str) -> f64 {
    let e = inst.edges.iter().position(|e| inst.items[e.item].id == item).unwrap();
    sol.impressions[e]
}

#[track_caller]
fn assert_row(sol: &Solution, name: &str, dual: f64, shadow: f64) {
    let r = sol.row(name).unwrap_or_else(|| panic!("no row {name}"));
    assert_close(&format!("{name} dual"), r.dual, dual);
    assert_close(&format!("{name} shadow price"), r.shadow_price, shadow);
}

#[test]
fn supply_row_prices_the_best_item() {
    // All 100 impressions go to o1 (0.05 > 0.03); one more impression is worth 0.05.
    let (inst, sol) = solved(&two_items(0.05, 0.03));
    assert_close("x1", x(&inst, &sol, "o1"), 100.0);
    assert_close("objective", sol.objective, 5.0);
    assert_row(&sol, "supply[s]", 0.05, 0.05);
    assert_close("slack", sol.row("supply[s]").unwrap().slack, 0.0);
}

#[test]
fn budget_row_prices_spend_and_paces() {
    // The ad (value 0.05) beats o1 (0.01) until its budget 2 buys 40 impressions; o1 takes 60.
    // Supply dual 0.01; ad: 0.05 - 0.01 - mu * 0.05 = 0 so mu = 0.8: one more currency unit buys
    // 20 ad impressions (+1.0) displacing 20 of o1 (-0.2).
    let (inst, sol) = solved(&organic_and_ad(0.01, 0.05, 2.0));
    assert_close("ad", x(&inst, &sol, "ad"), 40.0);
    assert_close("objective", sol.objective, 2.6);
    assert_close("revenue term", sol.terms.revenue, 2.0);
    assert_row(&sol, "supply[s]", 0.01, 0.01);
    assert_row(&sol, "budget[a1]", 0.8, 0.8);
}

#[test]
fn item_cap_row() {
    // o1 capped at 30, o2 takes 70: supply dual 0.03, cap dual 0.05 - 0.03.
    let mut v = two_items(0.05, 0.03);
    v["items"][0]["cap"] = json!(30.0);
    let (inst, sol) = solved(&v);
    assert_close("x1", x(&inst, &sol, "o1"), 30.0);
    assert_close("objective", sol.objective, 3.6);
    assert_row(&sol, "supply[s]", 0.03, 0.03);
    assert_row(&sol, "item_cap[o1]", 0.02, 0.02);
}

#[test]
fn ad_load_share_row() {
    // ad <= 0.2 T: ad 20, o1 80. Stationarity: ad 0.05 - y - 0.8 l = 0, o1 0.01 - y + 0.2 l = 0,
    // so l = 0.04, y = 0.018; d obj / d max_share = l * T = 4.
    let v = with_constraint(organic_and_ad(0.01, 0.05, 1000.0), json!({"name": "ad-load", "type": "ad_load", "segments": "*", "max_share": 0.2}));
    let (inst, sol) = solved(&v);
    assert_close("ad", x(&inst, &sol, "ad"), 20.0);
    assert_close("objective", sol.objective, 1.8);
    assert_row(&sol, "ad-load[s]", 0.04, 4.0);
    assert_row(&sol, "supply[s]", 0.018, 0.018);
    let r = sol.row("ad-load[s]").unwrap();
    assert_close("activity", r.activity, 0.0);
}

#[test]
fn revenue_floor_row() {
    // The floor 0.3 needs 30 ad impressions (price 0.01) in place of o1 (0.1): y = 0.1 and
    // 0.01 - 0.1 - d 0.01 = 0 gives d = -9.
    let v = with_constraint(organic_and_ad(0.1, 0.01, 1000.0), json!({"name": "rev", "type": "revenue_floor", "min": 0.3}));
    let (inst, sol) = solved(&v);
    assert_close("ad", x(&inst, &sol, "ad"), 30.0);
    assert_close("objective", sol.objective, 7.3);
    assert_row(&sol, "rev", -9.0, -9.0);
}

#[test]
fn exposure_floor_row() {
    // 40 impressions for the new group's o1 (0.01) instead of o2 (0.05): dual -0.04.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "new-floor", "type": "exposure_floor", "items": {"creator_group": "new"}, "min": 40.0}));
    let (inst, sol) = solved(&v);
    assert_close("x1", x(&inst, &sol, "o1"), 40.0);
    assert_close("objective", sol.objective, 3.4);
    assert_row(&sol, "new-floor", -0.04, -0.04);
}

#[test]
fn exposure_cap_row() {
    // Topic t2 capped at 30: o2 30, o1 70; dual 0.05 - 0.01.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "t2-cap", "type": "exposure_cap", "items": {"topic": "t2"}, "segments": ["s"], "max": 30.0}));
    let (inst, sol) = solved(&v);
    assert_close("x2", x(&inst, &sol, "o2"), 30.0);
    assert_close("objective", sol.objective, 2.2);
    assert_row(&sol, "t2-cap", 0.04, 0.04);
}

#[test]
fn integrity_cap_share_row() {
    // 0.2 x2 <= 0.1 (x1 + x2) forces x2 <= x1: 50/50. l = 0.2, y = 0.03; d obj/d max_share:
    // x2 = 500 max_share, objective 1 + 0.04 x2, so 20 = l * T.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "integrity", "type": "integrity_cap", "segments": "*", "max_share": 0.1}));
    let (inst, sol) = solved(&v);
    assert_close("x2", x(&inst, &sol, "o2"), 50.0);
    assert_close("objective", sol.objective, 3.0);
    assert_close("integrity term is 0 at weight 0", sol.terms.integrity_risk, 0.0);
    assert_row(&sol, "integrity[s]", 0.2, 20.0);
    assert_row(&sol, "supply[s]", 0.03, 0.03);
}

#[test]
fn topic_cap_share_rows() {
    // Each topic <= 0.6 T: o2 60, o1 40. The t2 row: l = 0.04, shadow l * T = 4; t1 row slack.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "topics", "type": "topic_cap", "max_share": 0.6}));
    let (inst, sol) = solved(&v);
    assert_close("x2", x(&inst, &sol, "o2"), 60.0);
    assert_close("objective", sol.objective, 3.4);
    assert_row(&sol, "topics[s,t2]", 0.04, 4.0);
    assert_row(&sol, "topics[s,t1]", 0.0, 0.0);
    assert_close("t1 slack", sol.row("topics[s,t1]").unwrap().slack, 20.0);
}

#[test]
fn freshness_floor_share_row() {
    // x1 >= 0.3 T: o1 30, o2 70; d = -0.04, shadow d * T = -4.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "fresh", "type": "freshness_floor", "segments": {"tag": "x"}, "min_share": 0.3}));
    // The tag selects nothing: no rows, the unconstrained optimum.
    let (_, sol) = solved(&v);
    assert!(sol.row("fresh[s]").is_none());
    assert_close("objective", sol.objective, 5.0);
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "fresh", "type": "freshness_floor", "segments": "*", "min_share": 0.3}));
    let (inst, sol) = solved(&v);
    assert_close("x1", x(&inst, &sol, "o1"), 30.0);
    assert_close("objective", sol.objective, 3.8);
    assert_row(&sol, "fresh[s]", -0.04, -4.0);
}

#[test]
fn exposure_parity_rows() {
    // Merits M_new = 0.5, M_est = 1. Row [new,established]: 1.0 x1 - 0.8 * 0.5 x2 >= 0 binds:
    // x2 = 100 / 1.4. Objective 1 + 4 / (1 + 0.5 (1 - tol)), so d/d tol = 2 / 1.96.
    let v = with_constraint(two_items(0.01, 0.05), json!({"name": "parity", "type": "exposure_parity", "groups": ["new", "established"], "tolerance": 0.2}));
    let (inst, sol) = solved(&v);
    assert_close("x2", x(&inst, &sol, "o2"), 100.0 / 1.4);
    assert_close("objective", sol.objective, 1.0 + 4.0 / 1.4);
    assert_row(&sol, "parity[new,established]", -0.04 / 1.4, 2.0 / 1.96);
    assert_row(&sol, "parity[established,new]", 0.0, 0.0);
}

#[test]
fn soft_floor_is_violated_when_the_penalty_is_cheaper() {
    // Meeting the floor costs 0.04 per impression, violating it 0.02: violate all 40.
    let v = with_constraint(
        two_items(0.01, 0.05),
        json!({"name": "new-floor", "type": "exposure_floor", "items": {"creator_group": "new"}, "min": 40.0, "penalty": 0.02}),
    );
    let (inst, sol) = solved(&v);
    assert_close("x1", x(&inst, &sol, "o1"), 0.0);
    let r = sol.row("new-floor").unwrap();
    assert_close("violation", r.violation, 40.0);
    assert_close("penalties", sol.terms.penalties, -0.8);
    assert_close("objective", sol.objective, 4.2);
    assert_row(&sol, "new-floor", -0.02, -0.02);
    assert_close("terms add up", sol.terms.total(), sol.objective);
}

#[test]
fn soft_floor_is_met_when_the_penalty_is_dearer() {
    let v = with_constraint(
        two_items(0.01, 0.05),
        json!({"name": "new-floor", "type": "exposure_floor", "items": {"creator_group": "new"}, "min": 40.0, "penalty": 0.1}),
    );
    let (inst, sol) = solved(&v);
    assert_close("x1", x(&inst, &sol, "o1"), 40.0);
    assert_close("violation", sol.row("new-floor").unwrap().violation, 0.0);
    assert_row(&sol, "new-floor", -0.04, -0.04);
}

#[test]
fn regularization_prices_supply_through_the_objective() {
    // max 0.05 x - 0.1/2 x^2/S: x = 0.5 S = 50 < S, so the supply row is slack (dual 0), yet
    // V(S) = 0.0125 S: the shadow price of supply is 0.0125, all of it from the quadratic term.
    let mut v = two_items(0.05, 0.0);
    v["objective"] = json!({"regularization": 0.1});
    v["edges"] = json!([{"segment": "s", "item": "o1", "engagement": 0.05}]);
    let (inst, sol) = solved(&v);
    assert!((x(&inst, &sol, "o1") - 50.0).abs() < 1e-4, "x = {} obj {} {:?}", x(&inst, &sol, "o1"), sol.objective, sol.certificate);
    assert!((sol.objective - 1.25).abs() < 1e-6);
    assert!((sol.terms.regularization + 1.25).abs() < 1e-4);
    let r = sol.row("supply[s]").unwrap();
    assert!(r.dual.abs() < 1e-6);
    assert!((r.shadow_price - 0.0125).abs() < 1e-6, "{}", r.shadow_price);
}

#[test]
fn infeasible_day_is_a_status_not_an_error() {
    // A floor above the supply cannot be met.
    // As a QP too: Clarabel's infeasibility test is delayed (tol_ktratio) and its certificate is
    // checked by agora, and a genuine certificate must still get through.
    let mut v = with_constraint(two_items(0.01, 0.05), json!({"name": "floor", "type": "exposure_floor", "items": {"kind": "organic"}, "min": 1000.0}));
    for rho in [0.0, 0.1] {
        v["objective"] = json!({"regularization": rho});
        for backend in [BackendChoice::Highs, BackendChoice::Clarabel, BackendChoice::FirstOrder] {
            let sol = solve(&instance(&v), &Settings { backend, ..Settings::default() }).unwrap();
            assert_eq!(sol.status, Status::Infeasible, "{backend:?} rho {rho}: {:?}", sol.message);
            assert!(sol.impressions.is_empty());
            // Sifting proves it by a phase one over the generated columns, not the whole matrix.
            if backend == BackendChoice::FirstOrder {
                assert!(sol.message.as_deref().unwrap_or_default().contains("a phase one sifted over the columns proved"), "{:?}", sol.message);
            }
        }
    }
}

#[test]
fn empty_day_is_optimal_with_nothing_to_plan() {
    // A segment and an item but no edge: segments and items are required and non-empty, edges may
    // be an empty list.
    let v = json!({"schema": "agora.instance/v1", "name": "empty", "segments": [{"id": "s", "supply": 5.0}],
        "creators": [{"id": "c"}], "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0.0, "fresh": false}], "edges": []});
    let (_, sol) = solved(&v);
    assert_eq!(sol.objective, 0.0);
    assert_row(&sol, "supply[s]", 0.0, 0.0);
}
