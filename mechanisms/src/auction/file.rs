//! The `agora.auction/v1` input file, the `agora.auction-result/v1` output file and a readable
//! summary of an auction's outcome.
//!
//! Input (`agora auction FILE --rule second-price|first-price|gsp|vcg`):
//!
//! ```json
//! {"schema": "agora.auction/v1",
//!  "reserve": 0.5,
//!  "slots": [{"id": "top", "ctr": 0.3}, {"id": "side", "ctr": 0.1}],
//!  "bids":  [{"bidder": "a", "bid": 3}, {"bidder": "b", "bid": 2, "value": 2.5}]}
//! ```
//!
//! * `bids` (required, may be empty): one per bidder; `bid` is per click, finite and >= 0;
//!   `value` (optional, defaults to `bid`) is the bidder's true value per click, used only for
//!   its utility.
//! * `slots` (optional): listed best first, `ctr` in [0, 1] and non-increasing. Omitted or
//!   empty: a single item (click-through rate 1), reported as slot `"item"`. The single-item
//!   rules (`second-price`, `first-price`) accept at most one slot.
//! * `reserve` (optional, default 0): minimum bid per click; lower bids (and bids of 0) lose.
//! * Unknown fields are errors.
//!
//! Output:
//!
//! ```json
//! {"schema": "agora.auction-result/v1", "rule": "vcg", "reserve": 0.5,
//!  "allocation": [{"bidder": "a", "slot": "top", "ctr": 0.3}],
//!  "payments":   [{"bidder": "a", "payment": 0.4}, {"bidder": "b", "payment": 0}],
//!  "utilities":  [{"bidder": "a", "utility": 0.5}, {"bidder": "b", "utility": 0}],
//!  "revenue": 0.4}
//! ```
//!
//! `allocation` lists the winners in slot order; `payments` (per impression: click-through rate
//! times price per click) and `utilities` (`value * ctr - payment`) list every bidder in input
//! order. Payments, utilities and revenue are rounded to 12 significant digits.

use std::collections::BTreeMap;
use std::path::Path;

use agora_instances::Finding;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auction::{Auction, Bid, Outcome, Slot, ITEM};
use crate::format::{num, round, table};

/// The schema tag of auction input files.
pub const AUCTION_SCHEMA: &str = "agora.auction/v1";
/// The schema tag of auction result files.
pub const AUCTION_RESULT_SCHEMA: &str = "agora.auction-result/v1";

/// An auction file as written, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuctionFile {
    /// Must be `agora.auction/v1` ([`AUCTION_SCHEMA`]).
    pub schema: Option<String>,
    /// Minimum bid per click; absent: 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve: Option<f64>,
    /// The slots, best first; absent or empty: a single item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<SlotFile>,
    /// One bid per bidder (required, may be empty).
    pub bids: Option<Vec<BidFile>>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A slot as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SlotFile {
    /// The slot's id (required).
    pub id: Option<String>,
    /// The slot's click-through rate, in [0, 1] (required).
    pub ctr: Option<f64>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A bid as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BidFile {
    /// The bidder's id (required).
    pub bidder: Option<String>,
    /// The bid per click (required, >= 0).
    pub bid: Option<f64>,
    /// The bidder's true value per click; absent: the bid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl AuctionFile {
    /// Checks the file; on failure returns every error found, each naming entity and field.
    pub fn validate(&self) -> Result<Auction, Vec<Finding>> {
        let mut errors = Vec::new();
        let mut err = |entity: &str, field: &str, message: String| errors.push(Finding { entity: entity.into(), field: field.into(), message });
        match self.schema.as_deref() {
            Some(AUCTION_SCHEMA) => {}
            Some(other) => err("auction", "schema", format!("must be \"{AUCTION_SCHEMA}\", got \"{other}\"")),
            None => err("auction", "schema", format!("is missing (must be \"{AUCTION_SCHEMA}\")")),
        }
        for key in self.extra.keys() {
            err("auction", key, "unknown field".into());
        }
        if self.bids.is_none() {
            err("auction", "bids", "is missing (may be empty)".into());
        }
        let slots = self
            .slots
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let ent = entity("slot", s.id.as_deref(), k);
                for key in s.extra.keys() {
                    err(&ent, key, "unknown field".into());
                }
                if s.id.is_none() {
                    err(&ent, "id", "is missing".into());
                }
                if s.ctr.is_none() {
                    err(&ent, "ctr", "is missing (must be in [0, 1])".into());
                }
                Slot { id: s.id.clone().unwrap_or_default(), ctr: s.ctr.unwrap_or(0.0) }
            })
            .collect();
        let bids = self
            .bids
            .iter()
            .flatten()
            .enumerate()
            .map(|(k, b)| {
                let ent = entity("bid", b.bidder.as_deref(), k);
                for key in b.extra.keys() {
                    err(&ent, key, "unknown field".into());
                }
                if b.bidder.is_none() {
                    err(&ent, "bidder", "is missing".into());
                }
                if b.bid.is_none() {
                    err(&ent, "bid", "is missing (must be >= 0)".into());
                }
                Bid { bidder: b.bidder.clone().unwrap_or_default(), bid: b.bid.unwrap_or(0.0), value: b.value }
            })
            .collect();
        let auction = Auction { bids, slots, reserve: self.reserve.unwrap_or(0.0) };
        let more = auction.validate().err().unwrap_or_default();
        crate::findings::merge(auction, errors, more)
    }
}

/// Why an auction file could not be loaded: the same errors as every agora input file.
pub type AuctionFileError = agora_instances::LoadError;

/// Parses and validates `agora.auction/v1` JSON text; `path` is used only in messages.
pub fn parse_str(text: &str, path: &Path) -> Result<Auction, AuctionFileError> {
    agora_instances::parse_json_with(text, path, |f: AuctionFile| f.validate())
}

/// Reads and validates an `agora.auction/v1` file.
pub fn load(path: impl AsRef<Path>) -> Result<Auction, AuctionFileError> {
    agora_instances::load_json_with(path.as_ref(), |f: AuctionFile| f.validate())
}

/// An `agora.auction-result/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuctionResultFile {
    /// Always [`AUCTION_RESULT_SCHEMA`].
    pub schema: String,
    /// The payment rule applied.
    pub rule: crate::auction::Rule,
    /// The reserve price per click.
    pub reserve: f64,
    /// The winners, in slot order.
    pub allocation: Vec<AllocationEntry>,
    /// Every bidder's payment per impression, in input order.
    pub payments: Vec<PaymentEntry>,
    /// Every bidder's utility, in input order.
    pub utilities: Vec<UtilityEntry>,
    /// The sum of the payments (per impression).
    pub revenue: f64,
}

/// A winner and the slot it won.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocationEntry {
    /// The winner's id.
    pub bidder: String,
    /// The slot's id (`item` when the auction lists no slots).
    pub slot: String,
    /// The slot's click-through rate.
    pub ctr: f64,
}

/// A bidder's payment per impression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentEntry {
    /// The bidder's id.
    pub bidder: String,
    /// Payment per impression (click-through rate times price per click); 0 for losers.
    pub payment: f64,
}

/// A bidder's utility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtilityEntry {
    /// The bidder's id.
    pub bidder: String,
    /// `value * ctr - payment`, at the bidder's true value.
    pub utility: f64,
}

fn slot_id(auction: &Auction, slot: usize) -> String {
    auction.slots.get(slot).map_or_else(|| ITEM.to_string(), |s| s.id.clone())
}

/// The file form of an outcome of `auction`.
pub fn to_file(outcome: &Outcome, auction: &Auction) -> AuctionResultFile {
    let mut winners: Vec<_> = outcome.bidders.iter().filter_map(|o| o.slot.map(|s| (s, o))).collect();
    winners.sort_by_key(|&(s, _)| s);
    AuctionResultFile {
        schema: AUCTION_RESULT_SCHEMA.to_string(),
        rule: outcome.rule,
        reserve: auction.reserve,
        allocation: winners.into_iter().map(|(s, o)| AllocationEntry { bidder: o.bidder.clone(), slot: slot_id(auction, s), ctr: o.ctr }).collect(),
        payments: outcome.bidders.iter().map(|o| PaymentEntry { bidder: o.bidder.clone(), payment: round(o.payment) }).collect(),
        utilities: outcome.bidders.iter().map(|o| UtilityEntry { bidder: o.bidder.clone(), utility: round(o.utility) }).collect(),
        revenue: round(outcome.revenue),
    }
}

/// Serialises an outcome as `agora.auction-result/v1` JSON.
pub fn to_json(outcome: &Outcome, auction: &Auction) -> String {
    serde_json::to_string_pretty(&to_file(outcome, auction)).expect("auction results serialise")
}

/// A plain-text report: a headline and one row per bidder.
pub fn summary(outcome: &Outcome, auction: &Auction) -> String {
    let sold = if auction.slots.is_empty() { "one item".to_string() } else { format!("{} slot(s)", auction.slots.len()) };
    let mut out = format!(
        "{} auction of {} with {} bid(s), reserve {}: revenue {}\n\n",
        outcome.rule,
        sold,
        auction.bids.len(),
        num(auction.reserve),
        num(outcome.revenue)
    );
    let mut rows = vec![["bidder", "bid", "value", "slot", "ctr", "payment", "per click", "utility"].map(String::from).to_vec()];
    for o in &outcome.bidders {
        let (slot, per_click) = match o.slot {
            Some(s) => (slot_id(auction, s), if o.ctr > 0.0 { num(o.payment / o.ctr) } else { "-".to_string() }),
            None => ("-".to_string(), "-".to_string()),
        };
        rows.push(vec![o.bidder.clone(), num(o.bid), num(o.value), slot, num(o.ctr), num(o.payment), per_click, num(o.utility)]);
    }
    out.push_str(&table(&rows));
    out
}

fn entity(kind: &str, id: Option<&str>, pos: usize) -> String {
    match id {
        Some(id) if !id.is_empty() => format!("{kind} \"{id}\""),
        _ => format!("{kind} #{pos}"),
    }
}
