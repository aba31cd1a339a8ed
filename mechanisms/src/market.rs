//! Budgeted markets: goods with a supply and bidders with a budget and per-unit values, and the
//! `agora.market/v1` file that describes one.
//!
//! ```json
//! {"schema": "agora.market/v1",
//!  "goods":   [{"id": "g1", "supply": 1}, {"id": "g2"}],
//!  "bidders": [{"id": "b1", "budget": 2, "values": {"g1": 2, "g2": 2}},
//!              {"id": "b2", "budget": 1, "values": {"g2": 4}}]}
//! ```
//!
//! * `supply` is optional and defaults to 1; it must be > 0.
//! * `budget` is required and must be > 0 (a bidder with nothing to spend has no place in a
//!   budgeted market: its pacing multiplier would be undefined).
//! * `values` maps good ids to the bidder's value per unit of that good; goods not listed are
//!   worth 0 to the bidder. Values must be finite and >= 0, and every key must be a good id.
//! * Unknown fields are errors (a misspelt `budjet` would otherwise silently read as missing).
//!
//! Loading reports every mistake at once, each naming the file, the entity and the field.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use agora_instances::Finding;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The schema tag of market files.
pub const MARKET_SCHEMA: &str = "agora.market/v1";

/// A good for sale: `supply` units of it (divisible).
#[derive(Debug, Clone, PartialEq)]
pub struct Good {
    /// The good's id.
    pub id: String,
    /// Units of the good for sale (divisible; finite and > 0).
    pub supply: f64,
}

/// A budgeted bidder. `values[j]` is its value per unit of `goods[j]` of the market it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Bidder {
    /// The bidder's id.
    pub id: String,
    /// The bidder's budget (money; finite and > 0).
    pub budget: f64,
    /// Value per unit of each good, indexed like the market's goods (0 for goods it does not value).
    pub values: Vec<f64>,
}

/// A market: the goods and the bidders. Fields are public so that callers can build variants
/// (raise a budget, add a bidder); [`Market::validate`] checks the invariants and every solver
/// in this crate calls it before doing anything else.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// The goods for sale.
    pub goods: Vec<Good>,
    /// The bidders.
    pub bidders: Vec<Bidder>,
}

impl Market {
    /// A market with unit supplies, goods named `g1, g2, ...` and bidders `b1, b2, ...`;
    /// `values[i][j]` is bidder i's value for good j. Returns every problem found.
    pub fn from_values(values: &[Vec<f64>], budgets: &[f64]) -> Result<Market, Vec<Finding>> {
        let goods_count = values.first().map_or(0, Vec::len);
        let mut errors = Vec::new();
        if values.len() != budgets.len() {
            errors.push(finding("market", "budgets", format!("{} budgets for {} rows of values", budgets.len(), values.len())));
        }
        let goods = (0..goods_count).map(|j| Good { id: format!("g{}", j + 1), supply: 1.0 }).collect();
        let bidders = values.iter().zip(budgets).enumerate().map(|(i, (v, &budget))| Bidder { id: format!("b{}", i + 1), budget, values: v.clone() }).collect();
        let market = Market { goods, bidders };
        errors.extend(market.findings());
        if errors.is_empty() {
            Ok(market)
        } else {
            Err(errors)
        }
    }

    /// Checks the invariants: at least one good and one bidder, unique non-empty ids, supplies
    /// and budgets finite and > 0, one finite value >= 0 per good for every bidder.
    pub fn validate(&self) -> Result<(), Vec<Finding>> {
        let errors = self.findings();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let mut errors = Vec::new();
        if self.goods.is_empty() {
            errors.push(finding("market", "goods", "must list at least one good"));
        }
        if self.bidders.is_empty() {
            errors.push(finding("market", "bidders", "must list at least one bidder"));
        }
        let mut seen = HashSet::new();
        for (j, g) in self.goods.iter().enumerate() {
            let ent = entity("good", &g.id, j);
            check_id(&mut errors, &ent, &g.id, &mut seen);
            check_number(&mut errors, &ent, "supply", g.supply, true);
        }
        let mut seen = HashSet::new();
        for (i, b) in self.bidders.iter().enumerate() {
            let ent = entity("bidder", &b.id, i);
            check_id(&mut errors, &ent, &b.id, &mut seen);
            check_number(&mut errors, &ent, "budget", b.budget, true);
            if b.values.len() != self.goods.len() {
                errors.push(finding(&ent, "values", format!("has {} entries for {} goods", b.values.len(), self.goods.len())));
            }
            for (g, &v) in self.goods.iter().zip(&b.values) {
                check_number(&mut errors, &ent, &format!("values.{}", g.id), v, false);
            }
        }
        errors
    }

    /// Bidder i's value per unit of good j.
    pub fn value(&self, i: usize, j: usize) -> f64 {
        self.bidders[i].values[j]
    }

    /// The largest per-unit value anyone has for good j (0 if nobody values it): the natural
    /// scale of its price, since prices are paced bids and multipliers are at most 1.
    pub fn top_value(&self, j: usize) -> f64 {
        self.bidders.iter().map(|b| b.values[j]).fold(0.0, f64::max)
    }

    /// Converts to the file form (values of 0 are omitted).
    pub fn to_file(&self) -> MarketFile {
        MarketFile {
            schema: Some(MARKET_SCHEMA.to_string()),
            goods: self.goods.iter().map(|g| GoodFile { id: Some(g.id.clone()), supply: Some(g.supply), extra: BTreeMap::new() }).collect(),
            bidders: self
                .bidders
                .iter()
                .map(|b| BidderFile {
                    id: Some(b.id.clone()),
                    budget: Some(b.budget),
                    values: self.goods.iter().zip(&b.values).filter(|(_, &v)| v != 0.0).map(|(g, &v)| (g.id.clone(), v)).collect(),
                    extra: BTreeMap::new(),
                })
                .collect(),
            extra: BTreeMap::new(),
        }
    }

    /// Serialises as `agora.market/v1` JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file()).expect("market files serialise")
    }
}

/// A market file as written, before validation. Every field is optional so that a file with
/// several mistakes can be read whole and all of them reported.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MarketFile {
    /// Must be `agora.market/v1` ([`MARKET_SCHEMA`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The goods as written.
    #[serde(default)]
    pub goods: Vec<GoodFile>,
    /// The bidders as written.
    #[serde(default)]
    pub bidders: Vec<BidderFile>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A good as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GoodFile {
    /// The good's id (required).
    pub id: Option<String>,
    /// Units for sale; absent: 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supply: Option<f64>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A bidder as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BidderFile {
    /// The bidder's id (required).
    pub id: Option<String>,
    /// The bidder's budget (required, > 0).
    pub budget: Option<f64>,
    /// Value per unit, by good id; goods not listed are worth 0 to the bidder.
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// Fields this version does not know; errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl MarketFile {
    /// Checks the file and resolves good ids; on failure returns every error found.
    pub fn validate(&self) -> Result<Market, Vec<Finding>> {
        let mut errors = Vec::new();
        match self.schema.as_deref() {
            Some(MARKET_SCHEMA) => {}
            Some(other) => errors.push(finding("market", "schema", format!("must be \"{MARKET_SCHEMA}\", got \"{other}\""))),
            None => errors.push(finding("market", "schema", format!("is missing (must be \"{MARKET_SCHEMA}\")"))),
        }
        unknown_fields(&mut errors, "market", &self.extra);
        let goods: Vec<Good> = self
            .goods
            .iter()
            .enumerate()
            .map(|(j, g)| {
                let ent = entity("good", g.id.as_deref().unwrap_or(""), j);
                unknown_fields(&mut errors, &ent, &g.extra);
                Good { id: required_id(&mut errors, &ent, &g.id), supply: g.supply.unwrap_or(1.0) }
            })
            .collect();
        let bidders = self
            .bidders
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let ent = entity("bidder", b.id.as_deref().unwrap_or(""), i);
                unknown_fields(&mut errors, &ent, &b.extra);
                let id = required_id(&mut errors, &ent, &b.id);
                let budget = b.budget.unwrap_or_else(|| {
                    errors.push(finding(&ent, "budget", "is missing (must be > 0)"));
                    f64::NAN
                });
                let mut values = vec![0.0; goods.len()];
                for (good, &v) in &b.values {
                    match goods.iter().position(|g| &g.id == good) {
                        Some(j) => values[j] = v,
                        None => errors.push(finding(&ent, &format!("values.{good}"), format!("unknown good \"{good}\""))),
                    }
                }
                Bidder { id, budget, values }
            })
            .collect();
        let market = Market { goods, bidders };
        let more = market.findings();
        crate::findings::merge(market, errors, more)
    }
}

/// Why a market file could not be loaded: the same errors as every agora input file.
pub type MarketError = agora_instances::LoadError;

/// Parses and validates `agora.market/v1` JSON text; `path` is used only in messages.
pub fn parse_str(text: &str, path: &Path) -> Result<Market, MarketError> {
    agora_instances::parse_json_with(text, path, |f: MarketFile| f.validate())
}

/// Reads and validates an `agora.market/v1` file.
pub fn load(path: impl AsRef<Path>) -> Result<Market, MarketError> {
    agora_instances::load_json_with(path.as_ref(), |f: MarketFile| f.validate())
}

fn finding(entity: &str, field: &str, message: impl Into<String>) -> Finding {
    Finding { entity: entity.to_string(), field: field.to_string(), message: message.into() }
}

/// `good "g1"`, or `good #3` when the id is missing (0-based position).
fn entity(kind: &str, id: &str, pos: usize) -> String {
    if id.is_empty() {
        format!("{kind} #{pos}")
    } else {
        format!("{kind} \"{id}\"")
    }
}

fn required_id(errors: &mut Vec<Finding>, ent: &str, id: &Option<String>) -> String {
    match id {
        Some(id) => id.clone(),
        None => {
            errors.push(finding(ent, "id", "is missing"));
            String::new()
        }
    }
}

fn check_id(errors: &mut Vec<Finding>, ent: &str, id: &str, seen: &mut HashSet<String>) {
    if id.is_empty() {
        errors.push(finding(ent, "id", "must not be empty"));
    } else if !seen.insert(id.to_string()) {
        errors.push(finding(ent, "id", "duplicate id"));
    }
}

fn check_number(errors: &mut Vec<Finding>, ent: &str, field: &str, x: f64, positive: bool) {
    if !x.is_finite() {
        errors.push(finding(ent, field, format!("must be a finite number, got {x}")));
    } else if positive && x <= 0.0 {
        errors.push(finding(ent, field, format!("must be > 0, got {x}")));
    } else if !positive && x < 0.0 {
        errors.push(finding(ent, field, format!("must be >= 0, got {x}")));
    }
}

fn unknown_fields(errors: &mut Vec<Finding>, ent: &str, extra: &BTreeMap<String, Value>) {
    for key in extra.keys() {
        errors.push(finding(ent, key, "unknown field"));
    }
}
