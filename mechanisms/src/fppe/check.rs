//! Checks a candidate against the definition of a first-price pacing equilibrium, so that no
//! answer is trusted just because a solver said "optimal".
//!
//! Multipliers `a` in (0, 1], prices `p`, shares `x` (fractions of each good's supply) and spend
//! form an FPPE when
//!
//! 1. each price is the highest paced bid: `p_j = max_i a_i v_ij`;
//! 2. goods go only to highest paced bidders ("winners bid the price"): `x_ij > 0` implies
//!    `a_i v_ij = p_j`;
//! 3. no good is oversold, and goods with a positive price are sold out;
//! 4. nobody spends more than its budget, spend being `sum_j p_j s_j x_ij` (and the reported
//!    spend and revenue must be what the shares cost);
//! 5. no unnecessary pacing: a bidder with budget left is unpaced (`a_i = 1`).
//!
//! Floating-point answers satisfy these only approximately, so each condition is checked in a
//! complementarity form scaled to the quantity it concerns, with one relative tolerance `tol`:
//! prices against `tol * max_i v_ij` (the scale of good j's price), conditions 2 and 3 as
//! `x_ij (p_j - a_i v_ij) <= tol * max_i v_ij` and `p_j (1 - sold_j) <= tol * max_i v_ij`,
//! budgets as `spend_i <= (1 + tol) B_i` and `(1 - a_i)(B_i - spend_i) <= tol * B_i`.

use std::fmt;

use crate::fppe::FppeResult;
use crate::market::Market;

/// One way a candidate fails the FPPE definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// A multiplier outside (0, 1].
    MultiplierOutOfRange {
        /// The bidder's id.
        bidder: String,
        /// Its multiplier.
        multiplier: f64,
    },
    /// Condition 1.
    PriceNotHighestPacedBid {
        /// The good's id.
        good: String,
        /// Its reported price per unit.
        price: f64,
        /// The highest paced bid `max_i a_i v_ij` for it.
        highest_paced_bid: f64,
    },
    /// Condition 2: a bidder holds a share of a good it bid less than the price for.
    LosingBidderAllocated {
        /// The bidder's id.
        bidder: String,
        /// The good's id.
        good: String,
        /// The fraction of the good's supply the bidder holds.
        share: f64,
        /// The bidder's paced bid `a_i v_ij` for the good.
        paced_bid: f64,
        /// The good's price per unit.
        price: f64,
    },
    /// Condition 3, first half.
    Oversold {
        /// The good's id.
        good: String,
        /// The fraction of its supply sold (above 1).
        sold: f64,
    },
    /// Condition 3, second half.
    PricedGoodUnsold {
        /// The good's id.
        good: String,
        /// Its price per unit (> 0).
        price: f64,
        /// The fraction of its supply sold (below 1).
        sold: f64,
    },
    /// Condition 4.
    OverBudget {
        /// The bidder's id.
        bidder: String,
        /// Its reported spend.
        spend: f64,
        /// Its budget.
        budget: f64,
    },
    /// Condition 5.
    UnnecessaryPacing {
        /// The bidder's id.
        bidder: String,
        /// Its multiplier (below 1).
        multiplier: f64,
        /// Its reported spend.
        spend: f64,
        /// Its budget.
        budget: f64,
    },
    /// The reported spend is not what the shares cost at the prices.
    SpendMismatch {
        /// The bidder's id.
        bidder: String,
        /// Its reported spend.
        spend: f64,
        /// What its shares cost at the prices: `sum_j p_j s_j x_ij`.
        cost: f64,
    },
    /// The reported revenue is not `sum_j p_j s_j`.
    RevenueMismatch {
        /// The reported revenue.
        revenue: f64,
        /// `sum_j p_j s_j` at the reported prices.
        expected: f64,
    },
    /// The vectors do not match the market's dimensions, or hold non-finite numbers.
    Malformed {
        /// What is wrong, in words.
        what: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::MultiplierOutOfRange { bidder, multiplier } => {
                write!(f, "bidder \"{bidder}\": multiplier {multiplier} is outside (0, 1]")
            }
            Violation::PriceNotHighestPacedBid { good, price, highest_paced_bid } => {
                write!(f, "good \"{good}\": price {price} is not the highest paced bid {highest_paced_bid}")
            }
            Violation::LosingBidderAllocated { bidder, good, share, paced_bid, price } => {
                write!(f, "bidder \"{bidder}\" holds {share} of good \"{good}\" with paced bid {paced_bid} below the price {price}")
            }
            Violation::Oversold { good, sold } => write!(f, "good \"{good}\": {sold} of its supply is sold"),
            Violation::PricedGoodUnsold { good, price, sold } => {
                write!(f, "good \"{good}\": price {price} > 0 but only {sold} of it is sold")
            }
            Violation::OverBudget { bidder, spend, budget } => write!(f, "bidder \"{bidder}\" spends {spend}, over its budget {budget}"),
            Violation::UnnecessaryPacing { bidder, multiplier, spend, budget } => {
                write!(f, "bidder \"{bidder}\" is paced at {multiplier} but spends only {spend} of {budget}")
            }
            Violation::SpendMismatch { bidder, spend, cost } => {
                write!(f, "bidder \"{bidder}\": reported spend {spend} but its shares cost {cost}")
            }
            Violation::RevenueMismatch { revenue, expected } => {
                write!(f, "reported revenue {revenue} but prices times supplies sum to {expected}")
            }
            Violation::Malformed { what } => write!(f, "malformed result: {what}"),
        }
    }
}

/// Every violation of the FPPE definition by `result` in `market`, at relative tolerance `tol`
/// (see the module documentation for how it is scaled). Empty means the candidate is an FPPE.
pub fn check(market: &Market, result: &FppeResult, tol: f64) -> Vec<Violation> {
    let n = market.bidders.len();
    let m = market.goods.len();
    let mut out = Vec::new();
    let dims_ok = result.multipliers.len() == n
        && result.spend.len() == n
        && result.prices.len() == m
        && result.shares.len() == n
        && result.shares.iter().all(|row| row.len() == m);
    if !dims_ok {
        out.push(Violation::Malformed { what: format!("expected {n} bidders and {m} goods") });
        return out;
    }
    let finite = result.multipliers.iter().chain(&result.prices).chain(&result.spend).chain(result.shares.iter().flatten()).all(|x| x.is_finite());
    if !finite || result.shares.iter().flatten().any(|&x| x < 0.0) {
        out.push(Violation::Malformed { what: "non-finite numbers or negative shares".to_string() });
        return out;
    }

    for (i, b) in market.bidders.iter().enumerate() {
        let a = result.multipliers[i];
        if a <= 0.0 || a > 1.0 + tol {
            out.push(Violation::MultiplierOutOfRange { bidder: b.id.clone(), multiplier: a });
        }
        let spend = result.spend[i];
        let cost: f64 = market.goods.iter().enumerate().map(|(j, g)| result.prices[j] * g.supply * result.shares[i][j]).sum();
        if (spend - cost).abs() > tol * b.budget {
            out.push(Violation::SpendMismatch { bidder: b.id.clone(), spend, cost });
        }
        if spend > b.budget * (1.0 + tol) {
            out.push(Violation::OverBudget { bidder: b.id.clone(), spend, budget: b.budget });
        }
        if (1.0 - a).max(0.0) * (b.budget - spend).max(0.0) > tol * b.budget {
            out.push(Violation::UnnecessaryPacing { bidder: b.id.clone(), multiplier: a, spend, budget: b.budget });
        }
    }
    for (j, g) in market.goods.iter().enumerate() {
        let top = market.top_value(j);
        let scale = if top > 0.0 { top } else { 1.0 };
        let price = result.prices[j];
        let highest = (0..n).map(|i| result.multipliers[i] * market.value(i, j)).fold(0.0, f64::max);
        if (price - highest).abs() > tol * scale {
            out.push(Violation::PriceNotHighestPacedBid { good: g.id.clone(), price, highest_paced_bid: highest });
        }
        for (i, b) in market.bidders.iter().enumerate() {
            let share = result.shares[i][j];
            let bid = result.multipliers[i] * market.value(i, j);
            if share * (price - bid) > tol * scale {
                out.push(Violation::LosingBidderAllocated { bidder: b.id.clone(), good: g.id.clone(), share, paced_bid: bid, price });
            }
        }
        let sold = result.sold(j);
        if sold > 1.0 + tol {
            out.push(Violation::Oversold { good: g.id.clone(), sold });
        }
        if price * (1.0 - sold).max(0.0) > tol * scale {
            out.push(Violation::PricedGoodUnsold { good: g.id.clone(), price, sold });
        }
    }
    let expected: f64 = market.goods.iter().zip(&result.prices).map(|(g, p)| p * g.supply).sum();
    let money: f64 = market.bidders.iter().map(|b| b.budget).sum();
    if (result.revenue - expected).abs() > tol * money {
        out.push(Violation::RevenueMismatch { revenue: result.revenue, expected });
    }
    out
}
