//! Sealed-bid auctions of one item or of ranked ad slots, under four payment rules.
//!
//! Every rule allocates the same way: bids below the reserve (and bids of 0) are out, the rest
//! are ranked by bid, ties going to the bidder listed first, and the k-th ranked bidder gets
//! slot k (slots are listed best first, with non-increasing click-through rates). A single-item
//! auction is the case of one slot with click-through rate 1; an auction with no slots listed
//! is such a case. Bids, values and the reserve are per click; payments are per impression
//! (click-through rate times price per click), and a bidder's utility is
//! `value * ctr - payment`.
//!
//! | rule            | the bidder ranked k pays                                                    |
//! |-----------------|-----------------------------------------------------------------------------|
//! | `second-price`  | `ctr_0 * max(reserve, next bid)` (one slot only)                            |
//! | `first-price`   | `ctr_0 * own bid` (one slot only)                                           |
//! | `gsp`           | `ctr_k * max(reserve, bid ranked k+1)`                                      |
//! | `vcg`           | `sum_{l >= k} (ctr_l - ctr_{l+1}) * max(reserve, bid ranked l+1)`           |
//!
//! (missing bids count as 0 and `ctr` past the last slot as 0). VCG is truthful and
//! individually rational: its payment is the Myerson payment ([`crate::myerson`]) of the
//! ranking's allocation rule, which for reserve 0 is the externality the bidder imposes on the
//! others. Second price is VCG with one slot. First price is not truthful (a winner gains by
//! shading its bid), and neither is GSP: a bidder can gain by dropping to a cheaper slot, e.g.
//! with click-through rates (1, 0.6) and bids (10, 8, 2), the bidder with value 10 gets
//! `10 - 8 = 2` in the top slot but `0.6 * (10 - 2) = 4.8` by bidding 5 for the second.

pub mod file;
pub mod myerson;

use std::fmt;
use std::str::FromStr;

use agora_instances::{Bulleted, Finding};
use serde::{Deserialize, Serialize};

use myerson::{Step, StepRule};

/// A bid. `value` is the bidder's true value per click, used only for its utility; it
/// defaults to the bid (a truthful bidder).
#[derive(Debug, Clone, PartialEq)]
pub struct Bid {
    /// The bidder's id.
    pub bidder: String,
    /// The bid per click (finite, >= 0).
    pub bid: f64,
    /// The true value per click; `None`: the bid.
    pub value: Option<f64>,
}

impl Bid {
    /// The value used for utilities: `value`, or the bid itself.
    pub fn true_value(&self) -> f64 {
        self.value.unwrap_or(self.bid)
    }
}

/// An ad slot with its click-through rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The slot's id.
    pub id: String,
    /// The click-through rate, in [0, 1].
    pub ctr: f64,
}

/// The id given to the single item of an auction that lists no slots.
pub const ITEM: &str = "item";

/// An auction: bids, slots best first (none = a single item) and a reserve price per click.
#[derive(Debug, Clone, PartialEq)]
pub struct Auction {
    /// The bids, one per bidder.
    pub bids: Vec<Bid>,
    /// The slots, best first, with non-increasing click-through rates; empty: a single item.
    pub slots: Vec<Slot>,
    /// Minimum bid per click; lower bids (and bids of 0) lose.
    pub reserve: f64,
}

/// A payment rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Single item: the winner pays `max(reserve, next bid)`.
    SecondPrice,
    /// Single item: the winner pays its own bid.
    FirstPrice,
    /// Generalised second price: the bidder in slot k pays `ctr_k * max(reserve, bid ranked k+1)`.
    Gsp,
    /// Vickrey-Clarke-Groves: the bidder ranked k pays
    /// `sum_{l >= k} (ctr_l - ctr_{l+1}) * max(reserve, bid ranked l+1)`; truthful.
    Vcg,
}

impl Rule {
    /// All rules, in the order of the CLI's `--rule` help.
    pub const ALL: [Rule; 4] = [Rule::SecondPrice, Rule::FirstPrice, Rule::Gsp, Rule::Vcg];

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Rule::SecondPrice => "second-price",
            Rule::FirstPrice => "first-price",
            Rule::Gsp => "gsp",
            Rule::Vcg => "vcg",
        }
    }

    /// Whether the rule sells a single item only.
    pub fn single_item(self) -> bool {
        matches!(self, Rule::SecondPrice | Rule::FirstPrice)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rule {
    type Err = AuctionError;
    fn from_str(s: &str) -> Result<Rule, AuctionError> {
        Rule::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| AuctionError::UnknownRule(s.to_string()))
    }
}

/// What one bidder got and paid.
#[derive(Debug, Clone, PartialEq)]
pub struct BidderOutcome {
    /// The bidder's id.
    pub bidder: String,
    /// Its bid per click.
    pub bid: f64,
    /// The value its utility is computed with.
    pub value: f64,
    /// Index of the slot won (0 for the item of a single-item auction), if any.
    pub slot: Option<usize>,
    /// Click-through rate of the slot won (0 if none).
    pub ctr: f64,
    /// Payment per impression.
    pub payment: f64,
    /// `value * ctr - payment`.
    pub utility: f64,
}

/// The outcome of an auction: one entry per bid, in bid order.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The payment rule applied.
    pub rule: Rule,
    /// One entry per bid, in bid order.
    pub bidders: Vec<BidderOutcome>,
    /// The sum of the payments (per impression).
    pub revenue: f64,
}

/// Why an auction could not be run.
#[derive(Debug, thiserror::Error)]
pub enum AuctionError {
    /// The auction fails validation; every finding is listed.
    #[error("invalid auction: {} error(s):\n{}", .0.len(), Bulleted(.0))]
    Invalid(Vec<Finding>),
    /// A single-item rule was given more than one slot.
    #[error("rule {rule} sells a single item, but the auction has {slots} slots")]
    TooManySlots {
        /// The single-item rule.
        rule: Rule,
        /// The number of slots the auction lists.
        slots: usize,
    },
    /// The name is not one of `second-price`, `first-price`, `gsp`, `vcg`.
    #[error("unknown rule \"{0}\" (expected second-price, first-price, gsp or vcg)")]
    UnknownRule(String),
    /// A bidder index past the last bid.
    #[error("no bidder #{0} in the auction")]
    NoSuchBidder(usize),
}

impl Auction {
    /// Checks the invariants: bidder ids non-empty and unique, bids and values finite and >= 0,
    /// reserve finite and >= 0, slot ids non-empty and unique, click-through rates in [0, 1] and
    /// non-increasing down the list.
    pub fn validate(&self) -> Result<(), Vec<Finding>> {
        let mut errors = Vec::new();
        let mut err = |entity: &str, field: &str, message: String| errors.push(Finding { entity: entity.to_string(), field: field.to_string(), message });
        let bad = |x: f64| !x.is_finite() || x < 0.0;
        if bad(self.reserve) {
            err("auction", "reserve", format!("must be finite and >= 0, got {}", self.reserve));
        }
        for (k, b) in self.bids.iter().enumerate() {
            let ent = entity("bid", &b.bidder, k);
            if b.bidder.is_empty() {
                err(&ent, "bidder", "must not be empty".to_string());
            } else if self.bids[..k].iter().any(|o| o.bidder == b.bidder) {
                err(&ent, "bidder", "duplicate bidder (one bid per bidder)".to_string());
            }
            if bad(b.bid) {
                err(&ent, "bid", format!("must be finite and >= 0, got {}", b.bid));
            }
            if let Some(v) = b.value.filter(|&v| bad(v)) {
                err(&ent, "value", format!("must be finite and >= 0, got {v}"));
            }
        }
        for (k, s) in self.slots.iter().enumerate() {
            let ent = entity("slot", &s.id, k);
            if s.id.is_empty() {
                err(&ent, "id", "must not be empty".to_string());
            } else if self.slots[..k].iter().any(|o| o.id == s.id) {
                err(&ent, "id", "duplicate id".to_string());
            }
            if !(s.ctr.is_finite() && (0.0..=1.0).contains(&s.ctr)) {
                err(&ent, "ctr", format!("must be in [0, 1], got {}", s.ctr));
            } else if k > 0 && s.ctr > self.slots[k - 1].ctr {
                err(&ent, "ctr", format!("slots must be listed best first, but {} follows {}", s.ctr, self.slots[k - 1].ctr));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Click-through rates of the slots on sale: `[1]` for a single item.
    fn ctrs(&self) -> Vec<f64> {
        if self.slots.is_empty() {
            vec![1.0]
        } else {
            self.slots.iter().map(|s| s.ctr).collect()
        }
    }

    /// Whether a bid takes part: at least the reserve, and positive.
    fn eligible(&self, bid: f64) -> bool {
        bid >= self.reserve && bid > 0.0
    }

    /// Indices of the eligible bids, highest first, ties to the bidder listed first.
    fn ranking(&self) -> Vec<usize> {
        let mut ranked: Vec<usize> = (0..self.bids.len()).filter(|&k| self.eligible(self.bids[k].bid)).collect();
        // A stable sort keeps list order among equal bids.
        ranked.sort_by(|&a, &b| self.bids[b].bid.total_cmp(&self.bids[a].bid));
        ranked
    }

    /// Bidder k's allocation rule: the click-through rate it would get as a function of its own
    /// bid, the other bids fixed. The same for every rule (they differ only in payments);
    /// its Myerson payment is the VCG payment.
    pub fn allocation_rule(&self, bidder: usize) -> Result<StepRule, AuctionError> {
        self.validate().map_err(AuctionError::Invalid)?;
        if bidder >= self.bids.len() {
            return Err(AuctionError::NoSuchBidder(bidder));
        }
        let mut others: Vec<f64> = (0..self.bids.len()).filter(|&k| k != bidder).map(|k| self.bids[k].bid).filter(|&b| self.eligible(b)).collect();
        others.sort_by(|a, b| b.total_cmp(a));
        let ctrs = self.ctrs();
        // Slot l takes beating the l-th highest other bid (and meeting the reserve); from the
        // worst slot up the thresholds rise and the levels rise.
        let steps = (0..ctrs.len()).rev().map(|l| Step { threshold: self.reserve.max(others.get(l).copied().unwrap_or(0.0)), level: ctrs[l] }).collect();
        StepRule::new(steps).map_err(|e| AuctionError::Invalid(vec![Finding { entity: "auction".into(), field: String::new(), message: e.to_string() }]))
    }
}

/// Runs the auction under a rule.
pub fn run(auction: &Auction, rule: Rule) -> Result<Outcome, AuctionError> {
    auction.validate().map_err(AuctionError::Invalid)?;
    if rule.single_item() && auction.slots.len() > 1 {
        return Err(AuctionError::TooManySlots { rule, slots: auction.slots.len() });
    }
    let ctrs = auction.ctrs();
    let ranked = auction.ranking();
    // The bid ranked r, or 0 past the last eligible bid; never below the reserve in a price.
    let floor_at = |r: usize| auction.reserve.max(ranked.get(r).map_or(0.0, |&k| auction.bids[k].bid));
    let ctr_at = |l: usize| ctrs.get(l).copied().unwrap_or(0.0);

    let mut bidders: Vec<BidderOutcome> = auction
        .bids
        .iter()
        .map(|b| BidderOutcome { bidder: b.bidder.clone(), bid: b.bid, value: b.true_value(), slot: None, ctr: 0.0, payment: 0.0, utility: 0.0 })
        .collect();
    for (rank, &k) in ranked.iter().enumerate().take(ctrs.len()) {
        let payment = match rule {
            Rule::SecondPrice => ctrs[rank] * floor_at(rank + 1),
            Rule::FirstPrice => ctrs[rank] * auction.bids[k].bid,
            Rule::Gsp => ctrs[rank] * floor_at(rank + 1),
            Rule::Vcg => (rank..ctrs.len()).map(|l| (ctr_at(l) - ctr_at(l + 1)) * floor_at(l + 1)).sum(),
        };
        let o = &mut bidders[k];
        o.slot = Some(rank);
        o.ctr = ctrs[rank];
        o.payment = payment;
    }
    for o in &mut bidders {
        o.utility = o.value * o.ctr - o.payment;
    }
    let revenue = bidders.iter().map(|o| o.payment).sum();
    Ok(Outcome { rule, bidders, revenue })
}

/// A bid that would have served a bidder better than its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviation {
    /// The better bid, per click.
    pub bid: f64,
    /// Utility (at the bidder's true value) of bidding `bid`.
    pub utility: f64,
    /// Utility of the bid it actually made.
    pub baseline: f64,
}

/// The most profitable of `candidates` as a replacement for bidder k's bid, if any beats its
/// own bid by more than `slack`: a direct test of truthfulness on a grid.
pub fn profitable_deviation(auction: &Auction, rule: Rule, bidder: usize, candidates: &[f64], slack: f64) -> Result<Option<Deviation>, AuctionError> {
    if bidder >= auction.bids.len() {
        return Err(AuctionError::NoSuchBidder(bidder));
    }
    let baseline = run(auction, rule)?.bidders[bidder].utility;
    let mut best: Option<Deviation> = None;
    for &bid in candidates {
        let mut deviated = auction.clone();
        deviated.bids[bidder].value = Some(auction.bids[bidder].true_value());
        deviated.bids[bidder].bid = bid;
        let utility = run(&deviated, rule)?.bidders[bidder].utility;
        if utility > baseline + slack && !best.is_some_and(|d| d.utility >= utility) {
            best = Some(Deviation { bid, utility, baseline });
        }
    }
    Ok(best)
}

fn entity(kind: &str, id: &str, pos: usize) -> String {
    if id.is_empty() {
        format!("{kind} #{pos}")
    } else {
        format!("{kind} \"{id}\"")
    }
}
