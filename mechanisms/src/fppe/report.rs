//! The `agora.fppe/v1` result file and a readable summary of an FPPE.
//!
//! ```json
//! {"schema": "agora.fppe/v1",
//!  "pacing":     [{"bidder": "b1", "multiplier": 0.75, "spend": 2}],
//!  "prices":     [{"good": "g1", "price": 1.5}],
//!  "revenue": 3,
//!  "allocation": [{"bidder": "b1", "good": "g1", "share": 1}]}
//! ```
//!
//! * `pacing` lists every bidder in market order; `spend` is what it pays.
//! * `prices` lists every good in market order; `price` is per unit of supply, so revenue is
//!   `sum price * supply`.
//! * `allocation` lists the (bidder, good) pairs with a positive `share`, the fraction of the
//!   good's supply the bidder gets (shares below 1e-9 are interior-point residue and left out).
//!   Multipliers, prices and revenue are unique; the allocation is one of possibly several.
//! * Numbers are rounded to 12 significant digits, far below the solver's accuracy.

use serde::{Deserialize, Serialize};

use crate::format::{num, round, table};
use crate::fppe::{FppeResult, Precision};
use crate::market::Market;

/// The schema tag of FPPE result files.
pub const FPPE_SCHEMA: &str = "agora.fppe/v1";

/// Shares at or below this are omitted from the allocation.
const SHARE_FLOOR: f64 = 1e-9;

/// An `agora.fppe/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FppeFile {
    /// Always [`FPPE_SCHEMA`].
    pub schema: String,
    /// Every bidder's multiplier and spend, in market order.
    pub pacing: Vec<PacingEntry>,
    /// Every good's price, in market order.
    pub prices: Vec<PriceEntry>,
    /// `sum price * supply` over the goods.
    pub revenue: f64,
    /// The (bidder, good) pairs with a share above 1e-9.
    pub allocation: Vec<AllocationEntry>,
}

/// A bidder's multiplier and spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacingEntry {
    /// The bidder's id.
    pub bidder: String,
    /// Its pacing multiplier, in (0, 1].
    pub multiplier: f64,
    /// What it pays: `sum price * supply * share` over its goods.
    pub spend: f64,
}

/// A good's price per unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceEntry {
    /// The good's id.
    pub good: String,
    /// Its price per unit of supply.
    pub price: f64,
}

/// The fraction of a good's supply a bidder gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocationEntry {
    /// The bidder's id.
    pub bidder: String,
    /// The good's id.
    pub good: String,
    /// The fraction of the good's supply the bidder gets.
    pub share: f64,
}

/// The file form of an FPPE of `market`.
pub fn to_file(result: &FppeResult, market: &Market) -> FppeFile {
    let pacing = market
        .bidders
        .iter()
        .enumerate()
        .map(|(i, b)| PacingEntry { bidder: b.id.clone(), multiplier: round(result.multipliers[i]), spend: round(result.spend[i]) })
        .collect();
    let prices = market.goods.iter().enumerate().map(|(j, g)| PriceEntry { good: g.id.clone(), price: round(result.prices[j]) }).collect();
    let mut allocation = Vec::new();
    for (i, b) in market.bidders.iter().enumerate() {
        for (j, g) in market.goods.iter().enumerate() {
            let share = result.shares[i][j];
            if share > SHARE_FLOOR {
                allocation.push(AllocationEntry { bidder: b.id.clone(), good: g.id.clone(), share: round(share) });
            }
        }
    }
    FppeFile { schema: FPPE_SCHEMA.to_string(), pacing, prices, revenue: round(result.revenue), allocation }
}

/// Serialises an FPPE as `agora.fppe/v1` JSON (write it with `agora_instances::write_atomic`).
pub fn to_json(result: &FppeResult, market: &Market) -> String {
    serde_json::to_string_pretty(&to_file(result, market)).expect("FPPE files serialise")
}

/// A plain-text report: a headline, one row per bidder, one row per good with its winners.
pub fn summary(result: &FppeResult, market: &Market) -> String {
    let precision = match result.precision {
        Precision::Polished => "polished, exact to 1e-9",
        Precision::InteriorPoint => "interior point, not polished",
    };
    let unspent: f64 = market.bidders.iter().zip(&result.spend).map(|(b, s)| (b.budget - s).max(0.0)).sum();
    let mut out = format!(
        "FPPE of {} bidders and {} goods: revenue {}, unspent budget {} ({}, {} interior-point iterations)\n\n",
        market.bidders.len(),
        market.goods.len(),
        num(result.revenue),
        num(unspent),
        precision,
        result.iterations
    );

    let mut rows = vec![["bidder", "budget", "multiplier", "spend", "unspent", "paced"].map(String::from).to_vec()];
    for (i, b) in market.bidders.iter().enumerate() {
        let paced = if result.is_paced(i, 1e-9) { "yes" } else { "no" };
        rows.push(vec![
            b.id.clone(),
            num(b.budget),
            num(result.multipliers[i]),
            num(result.spend[i]),
            num((b.budget - result.spend[i]).max(0.0)),
            paced.to_string(),
        ]);
    }
    out.push_str(&table(&rows));
    out.push('\n');

    let mut rows = vec![["good", "supply", "price", "sold", "winners (share)"].map(String::from).to_vec()];
    for (j, g) in market.goods.iter().enumerate() {
        let winners: Vec<String> = market
            .bidders
            .iter()
            .enumerate()
            .filter(|&(i, _)| result.shares[i][j] > SHARE_FLOOR)
            .map(|(i, b)| format!("{} ({})", b.id, num(result.shares[i][j])))
            .collect();
        let winners = if winners.is_empty() { "-".to_string() } else { winners.join(", ") };
        rows.push(vec![g.id.clone(), num(g.supply), num(result.prices[j]), num(result.sold(j)), winners]);
    }
    out.push_str(&table(&rows));
    out
}
