//! First-price pacing equilibria: known answers, file handling, degenerate markets, a
//! cross-check against proportional response, and the properties the theory promises
//! (Conitzer et al., "Pacing Equilibrium in First-Price Auction Markets", EC 2019).
//!
//! Tolerances. A polished FPPE meets the definition to 1e-9 (relative, as scaled in
//! `fppe::check`); two polished solves of the same or related markets are compared to 1e-8
//! (multipliers absolutely, prices relative to the good's top value, revenue relative to the
//! total budget). Proportional response is stopped at an equilibrium gap of 1e-8 and compared to
//! 1e-6. An unpolished interior-point answer is trusted to 1e-3.

use agora_mechanisms::fppe::check::{check, Violation};
use agora_mechanisms::fppe::report::{self as fppe_report, FppeFile};
use agora_mechanisms::fppe::{self, FppeError, FppeOptions, FppeResult, Precision, SolveStatus};
use agora_mechanisms::market::{self, Bidder, Good, Market, MarketError};
use agora_mechanisms::proportional_response::{proportional_response, PrOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const EXACT: f64 = 1e-9;
const SAME: f64 = 1e-8;
const CROSS: f64 = 1e-6;

fn market(values: &[&[f64]], budgets: &[f64]) -> Market {
    Market::from_values(&values.iter().map(|r| r.to_vec()).collect::<Vec<_>>(), budgets).expect("valid market")
}

/// Solves and insists on a polished answer that meets the definition at `EXACT`.
fn solve_exact(m: &Market) -> FppeResult {
    let r = fppe::solve(m).unwrap_or_else(|e| panic!("{e}\n{}", m.to_json()));
    assert_eq!(r.status, SolveStatus::Optimal);
    assert_eq!(r.precision, Precision::Polished, "not polished:\n{}", m.to_json());
    let violations = check(m, &r, EXACT);
    assert!(violations.is_empty(), "{violations:?}\n{}", m.to_json());
    r
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_all_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, tol), "{what}[{k}]: got {g}, want {w} (tol {tol})\n got {got:?}\nwant {want:?}");
    }
}

fn total_budget(m: &Market) -> f64 {
    m.bidders.iter().map(|b| b.budget).sum()
}

/// Multipliers, prices and revenue agree at `tol` (scaled as in the module doc).
fn assert_same_equilibrium(m: &Market, a: &FppeResult, b: &FppeResult, tol: f64) {
    assert_all_close(&a.multipliers, &b.multipliers, tol, "multipliers");
    for j in 0..m.goods.len() {
        let scale = fppe::price_scale(m, j);
        assert!(close(a.prices[j], b.prices[j], tol * scale), "price of good {j}: {} vs {}", a.prices[j], b.prices[j]);
    }
    assert!(close(a.revenue, b.revenue, tol * total_budget(m)), "revenue {} vs {}", a.revenue, b.revenue);
}

// ---------------------------------------------------------------------------------------------
// Known answers (supplies 1). Each is verified by hand: the claimed multipliers give bids whose
// column maxima are the claimed prices, the winners' spend meets the budget conditions, and the
// FPPE is unique, so any point meeting the definition is the answer.
// ---------------------------------------------------------------------------------------------

/// Values [[2,2],[2,4]], budgets (2,1). Guess: b1 wins g1, b1 and b2 tie on g2. The tie gives
/// 2 a1 = 4 a2; both paced and everything sold gives p1 + p2 = 2 a1 + 2 a1 = B1 + B2 = 3, so
/// a1 = 3/4, a2 = 3/8, p = (3/2, 3/2). b2's bid on g1 is 2 * 3/8 = 3/4 < 3/2, so g1 is b1's
/// alone. Spend: b1 pays 3/2 for g1 and 1/2 for a third of g2 (= 2), b2 pays 1 for the other
/// two thirds (= 1). Revenue 3. The issue's answer is right.
#[test]
fn known_answer_two_by_two() {
    let m = market(&[&[2.0, 2.0], &[2.0, 4.0]], &[2.0, 1.0]);
    let r = solve_exact(&m);
    assert_all_close(&r.multipliers, &[0.75, 0.375], EXACT, "multipliers");
    assert_all_close(&r.prices, &[1.5, 1.5], EXACT, "prices");
    assert_all_close(&r.spend, &[2.0, 1.0], EXACT, "spend");
    assert!(close(r.revenue, 3.0, EXACT));
    assert!(close(r.shares[0][0], 1.0, EXACT));
    assert!(close(r.shares[0][1], 1.0 / 3.0, EXACT));
    assert!(close(r.shares[1][1], 2.0 / 3.0, EXACT));
}

/// Values [[3,1,2,0],[1,4,1,2],[2,2,3,1]], budgets (2,3,1.5), claimed a = (2/3, 1/2, 1/2).
/// Bids: b1 (2, 2/3, 4/3, 0), b2 (1/2, 2, 1/2, 1), b3 (1, 1, 3/2, 1/2). Column maxima
/// (2, 2, 3/2, 1), each won by one bidder: g1 by b1, g2 and g4 by b2, g3 by b3. Spend: b1 2 =
/// B1, b2 2 + 1 = 3 = B2, b3 3/2 = B3; all paced with budgets exhausted, all goods sold.
/// Revenue 6.5. The issue's answer is right.
#[test]
fn known_answer_three_by_four() {
    let m = market(&[&[3.0, 1.0, 2.0, 0.0], &[1.0, 4.0, 1.0, 2.0], &[2.0, 2.0, 3.0, 1.0]], &[2.0, 3.0, 1.5]);
    let r = solve_exact(&m);
    assert_all_close(&r.multipliers, &[2.0 / 3.0, 0.5, 0.5], EXACT, "multipliers");
    assert_all_close(&r.prices, &[2.0, 2.0, 1.5, 1.0], EXACT, "prices");
    assert_all_close(&r.spend, &[2.0, 3.0, 1.5], EXACT, "spend");
    assert!(close(r.revenue, 6.5, EXACT));
}

/// Values [[6,3,1],[3,5,2],[1,1,4]], budgets (3,2,10), claimed a = (1/2, 2/5, 1). Bids: b1
/// (3, 3/2, 1/2), b2 (6/5, 2, 4/5), b3 (1, 1, 4). Column maxima (3, 2, 4), won by b1, b2, b3.
/// Spend (3, 2, 4): b1 and b2 exhaust their budgets (so may be paced), b3 spends 4 of 10 and
/// is unpaced (a = 1), as no unnecessary pacing demands; 6 is left unspent. Revenue 9. The
/// issue's answer is right.
#[test]
fn known_answer_with_an_unpaced_bidder() {
    let m = market(&[&[6.0, 3.0, 1.0], &[3.0, 5.0, 2.0], &[1.0, 1.0, 4.0]], &[3.0, 2.0, 10.0]);
    let r = solve_exact(&m);
    assert_all_close(&r.multipliers, &[0.5, 0.4, 1.0], EXACT, "multipliers");
    assert_all_close(&r.prices, &[3.0, 2.0, 4.0], EXACT, "prices");
    assert_all_close(&r.spend, &[3.0, 2.0, 4.0], EXACT, "spend");
    assert!(close(r.revenue, 9.0, EXACT));
    assert!(!r.is_paced(2, EXACT));
    assert!(close(m.bidders[2].budget - r.spend[2], 6.0, EXACT));
}

/// Proportional response reaches the same known answers (slowly where bidders tie).
#[test]
fn proportional_response_reaches_the_known_answers() {
    let cases = [
        (market(&[&[2.0, 2.0], &[2.0, 4.0]], &[2.0, 1.0]), vec![0.75, 0.375]),
        (market(&[&[3.0, 1.0, 2.0, 0.0], &[1.0, 4.0, 1.0, 2.0], &[2.0, 2.0, 3.0, 1.0]], &[2.0, 3.0, 1.5]), vec![2.0 / 3.0, 0.5, 0.5]),
        (market(&[&[6.0, 3.0, 1.0], &[3.0, 5.0, 2.0], &[1.0, 1.0, 4.0]], &[3.0, 2.0, 10.0]), vec![0.5, 0.4, 1.0]),
    ];
    for (m, want) in cases {
        let p = proportional_response(&m, &PrOptions { tolerance: 1e-9, max_iter: 1_000_000 }).unwrap();
        assert!(p.converged, "gap {} after {} rounds", p.gap, p.iterations);
        assert_all_close(&p.multipliers, &want, 1e-6, "multipliers");
    }
}

// ---------------------------------------------------------------------------------------------
// Supplies, degenerate markets, validation.
// ---------------------------------------------------------------------------------------------

/// A good with supply 2 prices like two copies of it with supply 1 (prices are per unit).
#[test]
fn supply_is_divisible_units() {
    let mut doubled = market(&[&[3.0, 1.0], &[2.0, 2.0]], &[2.0, 3.0]);
    doubled.goods[0].supply = 2.0;
    let split = market(&[&[3.0, 3.0, 1.0], &[2.0, 2.0, 2.0]], &[2.0, 3.0]);
    let a = solve_exact(&doubled);
    let b = solve_exact(&split);
    assert_all_close(&a.multipliers, &b.multipliers, SAME, "multipliers");
    assert!(close(a.prices[0], b.prices[0], SAME) && close(a.prices[0], b.prices[1], SAME));
    assert!(close(a.prices[1], b.prices[2], SAME));
    assert!(close(a.revenue, b.revenue, SAME));
}

#[test]
fn a_bidder_who_values_nothing_is_unpaced_and_spends_nothing() {
    let m = market(&[&[0.0, 0.0], &[2.0, 1.0]], &[1.0, 1.0]);
    let r = solve_exact(&m);
    assert_eq!(r.multipliers[0], 1.0);
    assert_eq!(r.spend[0], 0.0);
    assert!(r.shares[0].iter().all(|&x| x == 0.0));
    // b2 alone: values 3 in all, budget 1, so paced at 1/3 and spends everything.
    assert!(close(r.multipliers[1], 1.0 / 3.0, EXACT));
}

#[test]
fn a_good_nobody_values_is_free_and_unsold() {
    let m = market(&[&[2.0, 0.0], &[1.0, 0.0]], &[1.0, 1.0]);
    let r = solve_exact(&m);
    assert_eq!(r.prices[1], 0.0);
    assert_eq!(r.sold(1), 0.0);
    // g1: unpaced, b1 would pay 2 > 1, so it is paced to its budget: 2 a1 = 1 ties with b2's
    // unpaced bid of 1. b1, paced, must spend all: it takes the whole good at price 1, and b2
    // (unpaced, nothing bought) is content.
    assert_all_close(&r.multipliers, &[0.5, 1.0], EXACT, "multipliers");
    assert!(close(r.prices[0], 1.0, EXACT));
    assert!(close(r.shares[0][0], 1.0, EXACT));
}

#[test]
fn nobody_values_anything() {
    let m = market(&[&[0.0, 0.0], &[0.0, 0.0]], &[1.0, 2.0]);
    let r = solve_exact(&m);
    assert_eq!(r.multipliers, vec![1.0, 1.0]);
    assert_eq!(r.prices, vec![0.0, 0.0]);
    assert_eq!(r.revenue, 0.0);
}

#[test]
fn a_single_bidder_pays_min_of_budget_and_value() {
    let rich = solve_exact(&market(&[&[2.0, 3.0]], &[10.0]));
    assert_eq!(rich.multipliers, vec![1.0]);
    assert!(close(rich.revenue, 5.0, EXACT));
    let poor = solve_exact(&market(&[&[2.0, 3.0]], &[1.0]));
    assert!(close(poor.multipliers[0], 0.2, EXACT));
    assert!(close(poor.revenue, 1.0, EXACT));
}

#[test]
fn invalid_markets_are_errors_not_panics() {
    let zero_budget = Market::from_values(&[vec![1.0]], &[0.0]).unwrap_err();
    assert!(zero_budget.iter().any(|f| f.entity == "bidder \"b1\"" && f.field == "budget"), "{zero_budget:?}");

    let mut m = market(&[&[1.0, 2.0]], &[1.0]);
    m.bidders[0].values[1] = f64::NAN;
    m.bidders.push(Bidder { id: "b1".into(), budget: -1.0, values: vec![1.0] });
    m.goods.push(Good { id: "g3".into(), supply: 0.0 });
    match fppe::solve(&m) {
        Err(FppeError::InvalidMarket(findings)) => {
            let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
            let has = |s: &str| text.iter().any(|t| t.contains(s));
            assert!(has("good \"g3\", field \"supply\": must be > 0"), "{text:#?}");
            assert!(has("field \"values.g2\": must be a finite number"), "{text:#?}");
            assert!(has("field \"id\": duplicate id"), "{text:#?}");
            assert!(has("field \"budget\": must be > 0, got -1"), "{text:#?}");
            assert!(has("has 1 entries for 3 goods"), "{text:#?}");
        }
        other => panic!("expected InvalidMarket, got {other:?}"),
    }
    let empty = Market { goods: vec![], bidders: vec![] };
    assert!(matches!(fppe::solve(&empty), Err(FppeError::InvalidMarket(_))));
    assert!(proportional_response(&empty, &PrOptions::default()).is_err());
}

// ---------------------------------------------------------------------------------------------
// Files.
// ---------------------------------------------------------------------------------------------

fn parse(text: &str) -> Result<Market, MarketError> {
    market::parse_str(text, std::path::Path::new("day/market.json"))
}

#[test]
fn market_files_parse() {
    let m = parse(
        r#"{"schema":"agora.market/v1",
            "goods":[{"id":"g1","supply":1},{"id":"g2"}],
            "bidders":[{"id":"b1","budget":2,"values":{"g1":2,"g2":2}},
                       {"id":"b2","budget":1,"values":{"g2":4}}]}"#,
    )
    .unwrap();
    assert_eq!(m.goods[1].supply, 1.0);
    assert_eq!(m.bidders[1].values, vec![0.0, 4.0]);
    // Round trip.
    assert_eq!(parse(&m.to_json()).unwrap(), m);
}

#[test]
fn market_file_errors_name_file_entity_and_field() {
    // The issue's own example refers to g2, which is not among the goods.
    let err = parse(r#"{"schema":"agora.market/v1","goods":[{"id":"g1","supply":1}],"bidders":[{"id":"b1","budget":2,"values":{"g1":2,"g2":2}}]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("day/market.json: 1 error(s)"), "{err}");
    assert!(err.contains("bidder \"b1\", field \"values.g2\": unknown good \"g2\""), "{err}");

    let err = parse(
        r#"{"schema":"agora.market/v2","goods":[{"id":"g1","supply":-1},{"id":"g1"}],
            "bidders":[{"id":"b1","budjet":2,"values":{"g1":-3}},{"budget":0}],"extra":1}"#,
    )
    .unwrap_err()
    .to_string();
    for needle in [
        "market, field \"schema\": must be \"agora.market/v1\", got \"agora.market/v2\"",
        "market, field \"extra\": unknown field",
        "good \"g1\", field \"supply\": must be > 0, got -1",
        "good \"g1\", field \"id\": duplicate id",
        "bidder \"b1\", field \"budjet\": unknown field",
        "bidder \"b1\", field \"budget\": is missing (must be > 0)",
        "bidder \"b1\", field \"values.g1\": must be >= 0, got -3",
        "bidder #1, field \"id\": is missing",
        "bidder #1, field \"budget\": must be > 0, got 0",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    assert!(!err.contains("NaN"), "follow-on complaint about a placeholder:\n{err}");

    let err = parse("{\"schema\": \"agora.market/v1\",\n \"goods\": [}").unwrap_err();
    assert!(matches!(err, MarketError::Syntax { line: 2, .. }), "{err}");
    let err = market::load("/nonexistent/market.json").unwrap_err().to_string();
    assert!(err.starts_with("/nonexistent/market.json: cannot read"), "{err}");
}

#[test]
fn market_files_load_from_disk() {
    let path = std::env::temp_dir().join(format!("agora-market-{}.json", std::process::id()));
    let m = market(&[&[6.0, 3.0, 1.0], &[3.0, 5.0, 2.0], &[1.0, 1.0, 4.0]], &[3.0, 2.0, 10.0]);
    std::fs::write(&path, m.to_json()).unwrap();
    let loaded = market::load(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.unwrap(), m);
}

#[test]
fn fppe_files_and_summary() {
    let m = market(&[&[2.0, 2.0], &[2.0, 4.0]], &[2.0, 1.0]);
    let r = solve_exact(&m);
    let json = fppe_report::to_json(&r, &m);
    let file: FppeFile = serde_json::from_str(&json).unwrap();
    assert_eq!(file.schema, "agora.fppe/v1");
    assert_eq!(file.revenue, 3.0);
    assert_eq!((file.pacing[1].bidder.as_str(), file.pacing[1].multiplier, file.pacing[1].spend), ("b2", 0.375, 1.0));
    assert_eq!((file.prices[0].good.as_str(), file.prices[0].price), ("g1", 1.5));
    let shares: Vec<(&str, &str, f64)> = file.allocation.iter().map(|a| (a.bidder.as_str(), a.good.as_str(), a.share)).collect();
    assert_eq!(shares, vec![("b1", "g1", 1.0), ("b1", "g2", 0.333333333333), ("b2", "g2", 0.666666666667)]);
    // Exactly the documented fields.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");

    let text = fppe_report::summary(&r, &m);
    assert!(text.starts_with("FPPE of 2 bidders and 2 goods: revenue 3, unspent budget 0"), "{text}");
    assert!(text.contains("b2      1       0.375       1      0        yes"), "{text}");
    assert!(text.contains("b1 (0.333333), b2 (0.666667)"), "{text}");
}

#[test]
fn the_checker_catches_a_wrong_answer() {
    let m = market(&[&[2.0, 2.0], &[2.0, 4.0]], &[2.0, 1.0]);
    let mut r = solve_exact(&m);
    r.multipliers[1] = 0.5; // b2 would now outbid b1 on g2 and exceed its budget
    let v = check(&m, &r, EXACT);
    assert!(v.iter().any(|v| matches!(v, Violation::PriceNotHighestPacedBid { .. })), "{v:?}");
    let mut r = solve_exact(&m);
    r.spend[0] = 2.5;
    let v = check(&m, &r, EXACT);
    assert!(v.iter().any(|v| matches!(v, Violation::OverBudget { .. })) && v.iter().any(|v| matches!(v, Violation::SpendMismatch { .. })), "{v:?}");
}

// ---------------------------------------------------------------------------------------------
// Properties on random markets.
// ---------------------------------------------------------------------------------------------

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, rng_seed: RngSeed::Fixed(0xA607A), ..Config::default() }
}

/// A value: 0 a quarter of the time (degenerate rows and columns), else an integer (ties) or a
/// continuous draw.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => (1u32..=5).prop_map(f64::from), 2 => 0.1f64..10.0]
}

fn budget() -> impl Strategy<Value = f64> {
    prop_oneof![(1u32..=6).prop_map(f64::from), 0.1f64..10.0]
}

fn supply() -> impl Strategy<Value = f64> {
    prop_oneof![3 => Just(1.0), 1 => 0.25f64..4.0]
}

fn random_market(max_bidders: usize, max_goods: usize) -> impl Strategy<Value = Market> {
    (1..=max_bidders, 1..=max_goods).prop_flat_map(|(n, m)| {
        (prop::collection::vec(prop::collection::vec(value(), m), n), prop::collection::vec(budget(), n), prop::collection::vec(supply(), m)).prop_map(
            |(values, budgets, supplies)| {
                let mut market = Market::from_values(&values, &budgets).expect("valid");
                for (g, s) in market.goods.iter_mut().zip(supplies) {
                    g.supply = s;
                }
                market
            },
        )
    })
}

/// Continuous values and budgets only: no knife-edge ties, where proportional response slows
/// to a crawl.
fn generic_market() -> impl Strategy<Value = Market> {
    (1..=5usize, 1..=5usize).prop_flat_map(|(n, m)| {
        let v = prop_oneof![1 => Just(0.0), 3 => 0.1f64..10.0];
        (prop::collection::vec(prop::collection::vec(v, m), n), prop::collection::vec(0.1f64..10.0, n))
            .prop_map(|(values, budgets)| Market::from_values(&values, &budgets).expect("valid"))
    })
}

proptest! {
    #![proptest_config(config(96))]

    /// Each price is the highest paced bid, winners bid the price, priced goods are sold out,
    /// nobody overspends, and a bidder with budget left is unpaced: `solve_exact` checks all of
    /// it at 1e-9. Also: spend sums to revenue.
    #[test]
    fn the_solution_meets_the_definition(m in random_market(6, 6)) {
        let r = solve_exact(&m);
        prop_assert!(close(r.spend.iter().sum::<f64>(), r.revenue, EXACT * total_budget(&m)));
        for i in 0..m.bidders.len() {
            prop_assert!(r.multipliers[i] > 0.0 && r.multipliers[i] <= 1.0);
        }
    }

    /// Multipliers, prices and revenue are unique: other solver settings give the same.
    #[test]
    fn unique_across_solver_settings(m in random_market(5, 5)) {
        let base = solve_exact(&m);
        let variants = [
            FppeOptions { tolerance: 1e-8, equilibrate: false, ..FppeOptions::default() },
            FppeOptions { normalise: false, max_step_fraction: 0.9, ..FppeOptions::default() },
            FppeOptions { per_bidder_units: true, ..FppeOptions::default() },
        ];
        for options in &variants {
            let other = fppe::solve_with(&m, options).unwrap();
            prop_assert_eq!(other.precision, Precision::Polished);
            assert_same_equilibrium(&m, &base, &other, SAME);
        }
        // The interior point alone agrees to its documented precision.
        let raw = fppe::solve_with(&m, &FppeOptions { polish: false, ..FppeOptions::default() }).unwrap();
        prop_assert_eq!(raw.precision, Precision::InteriorPoint);
        assert_same_equilibrium(&m, &base, &raw, 1e-3);
        // So does reordering the bidders.
        let mut reversed = m.clone();
        reversed.bidders.reverse();
        let mut rev = solve_exact(&reversed);
        rev.multipliers.reverse();
        assert_same_equilibrium(&m, &base, &rev, SAME);
    }

    /// Raising one budget never lowers a multiplier, a price or the revenue, and raises the
    /// revenue by at most the increase.
    #[test]
    fn budgets_are_monotone(m in random_market(5, 5), who in any::<prop::sample::Index>(), raise in 0.01f64..5.0) {
        let before = solve_exact(&m);
        let mut richer = m.clone();
        let k = who.index(m.bidders.len());
        richer.bidders[k].budget += raise;
        let after = solve_exact(&richer);
        let slack = SAME * total_budget(&richer);
        for i in 0..m.bidders.len() {
            let (was, is) = (before.multipliers[i], after.multipliers[i]);
            prop_assert!(is >= was - SAME, "multiplier {}: {} -> {}", i, was, is);
        }
        for j in 0..m.goods.len() {
            let (was, is) = (before.prices[j], after.prices[j]);
            prop_assert!(is >= was - SAME * m.top_value(j), "price {}: {} -> {}", j, was, is);
        }
        prop_assert!(after.revenue >= before.revenue - slack);
        prop_assert!(after.revenue <= before.revenue + raise + slack, "revenue {} -> {} on +{}", before.revenue, after.revenue, raise);
    }

    /// Adding a bidder or a good never lowers revenue.
    #[test]
    fn more_bidders_or_goods_never_lower_revenue(
        m in random_market(4, 4),
        new_values in prop::collection::vec(value(), 4),
        new_column in prop::collection::vec(value(), 4),
        new_budget in budget(),
    ) {
        let before = solve_exact(&m);
        let slack = SAME * (total_budget(&m) + new_budget);

        let mut more_bidders = m.clone();
        more_bidders.bidders.push(Bidder { id: "newcomer".into(), budget: new_budget, values: new_values[..m.goods.len()].to_vec() });
        let after = solve_exact(&more_bidders);
        prop_assert!(after.revenue >= before.revenue - slack, "revenue {} -> {} with a new bidder", before.revenue, after.revenue);

        let mut more_goods = m.clone();
        more_goods.goods.push(Good { id: "new-good".into(), supply: 1.0 });
        for (b, v) in more_goods.bidders.iter_mut().zip(&new_column) {
            b.values.push(*v);
        }
        let after = solve_exact(&more_goods);
        prop_assert!(after.revenue >= before.revenue - slack, "revenue {} -> {} with a new good", before.revenue, after.revenue);
    }

    /// Splitting a bidder into two clones whose budgets sum to the original's leaves prices,
    /// revenue and everyone's multipliers unchanged (the clones share the original's).
    #[test]
    fn splitting_a_bidder_changes_no_price(m in random_market(4, 5), who in any::<prop::sample::Index>(), part in 0.05f64..0.95) {
        let before = solve_exact(&m);
        let k = who.index(m.bidders.len());
        let mut split = m.clone();
        let mut clone = split.bidders[k].clone();
        clone.id = "clone".into();
        clone.budget = m.bidders[k].budget * (1.0 - part);
        split.bidders[k].budget = m.bidders[k].budget * part;
        split.bidders.push(clone);
        let after = solve_exact(&split);
        for j in 0..m.goods.len() {
            let (was, is) = (before.prices[j], after.prices[j]);
            prop_assert!(close(is, was, SAME * fppe::price_scale(&m, j)), "price {}: {} -> {}", j, was, is);
        }
        prop_assert!(close(after.revenue, before.revenue, SAME * total_budget(&m)));
        prop_assert!(close(after.multipliers[k], before.multipliers[k], SAME));
        prop_assert!(close(*after.multipliers.last().unwrap(), before.multipliers[k], SAME));
    }

    /// Budget-weighted envy-freeness: no bidder prefers another's bundle scaled to its own
    /// budget, utilities being quasi-linear: u_i(x_i) >= (B_i / B_k) u_i(x_k) with
    /// u_i(x) = sum_j (v_ij - p_j) s_j x_j.
    #[test]
    fn envy_free_up_to_budgets(m in random_market(6, 6)) {
        let r = solve_exact(&m);
        let utility = |i: usize, k: usize| -> f64 {
            (0..m.goods.len()).map(|j| (m.value(i, j) - r.prices[j]) * m.goods[j].supply * r.shares[k][j]).sum()
        };
        for i in 0..m.bidders.len() {
            let worth: f64 = (0..m.goods.len()).map(|j| m.value(i, j) * m.goods[j].supply).sum();
            for k in 0..m.bidders.len() {
                let ratio = m.bidders[i].budget / m.bidders[k].budget;
                prop_assert!(utility(i, i) >= ratio * utility(i, k) - EXACT * (1.0 + ratio) * worth.max(1.0),
                    "bidder {} envies {}: {} < {} x {}", i, k, utility(i, i), ratio, utility(i, k));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Proportional response, an independent method, reaches the same multipliers, prices,
    /// revenue and spend of paced bidders (the unique quantities; unpaced bidders who tie may
    /// split goods differently).
    #[test]
    fn proportional_response_agrees(m in generic_market()) {
        let f = solve_exact(&m);
        let p = proportional_response(&m, &PrOptions { tolerance: 1e-8, max_iter: 200_000 }).unwrap();
        // Near-ties (values a hair apart) slow proportional response to a crawl; about one
        // random market in a thousand has not converged after 200k rounds. Those are skipped:
        // the dynamics are the check here, not the thing checked.
        prop_assume!(p.converged);
        assert_all_close(&p.multipliers, &f.multipliers, CROSS, "multipliers");
        for j in 0..m.goods.len() {
            let (dynamics, program) = (p.prices[j], f.prices[j]);
            prop_assert!(close(dynamics, program, CROSS * fppe::price_scale(&m, j)), "price {}: {} vs {}", j, dynamics, program);
        }
        prop_assert!(close(p.revenue, f.revenue, CROSS * total_budget(&m)));
        for i in (0..m.bidders.len()).filter(|&i| f.multipliers[i] < 1.0 - 1e-3) {
            prop_assert!(close(p.spend[i], f.spend[i], CROSS * m.bidders[i].budget), "spend {}: {} vs {}", i, p.spend[i], f.spend[i]);
        }
    }
}
