//! A seeded generator of realistic, feasible days.
//!
//! [`generate`] builds a day of one of four preset [`Size`]s; [`generate_with`] takes a
//! [`GenerateConfig`] for custom days (tests use it for small ones). Both are reproducible: the
//! same configuration and seed give the same instance, bit for bit, on a given platform.
//!
//! # What the days look like
//!
//! - Segment supplies follow a Zipf law; every segment is tagged with an age band (`teen` or
//!   `adult`) and a region (`us`, `eu`, `apac`, `latam`).
//! - Creators belong to the groups `new`, `small` and `established` and have a power-law
//!   popularity: popular creators publish more items, their items reach more segments and engage
//!   more. Engagement per impression is lognormal (order 0.01 to 0.1), ad prices too (order 0.001
//!   to 0.01 currency per impression).
//! - Item risk is mostly 0 or small, with a few borderline items (0.1 to 0.3) that engage more.
//!   Fresh items engage a little less (cold start), which is what makes freshness floors bite.
//! - Every constraint type of the spec appears: `ad-load` (all segments), `revenue-floor`,
//!   `new-creator-exposure` (an exposure floor on the `new` group), a soft exposure cap on the
//!   most engaging topic in one region (`{topic}-{region}-exposure-cap`, with a penalty),
//!   `teen-integrity` (segments tagged `teen`) and `integrity` (all segments), `topic-diversity`,
//!   `freshness` and `creator-parity` (groups new, small, established).
//!
//! # Why the days are feasible
//!
//! The generator first builds a *witness*: an explicit plan that spreads each segment's supply
//! over its edges (balanced across topics, proportional to item quality, parity-fair across creator
//! groups, ads within the ad load and the budgets). Every cap, floor and share is then set with a
//! margin around the witness's own value, so the witness satisfies every row and the day is
//! feasible by construction; [`generate_witnessed`] returns it for tests. The optimum, which
//! concentrates impressions on the most engaging edges, is far from this even spread, so caps,
//! floors and some budgets bind there. Every variable is bounded by a segment supply, so the
//! optimum is bounded.

use std::fmt;
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::seq::{index, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, LogNormal, Pareto};

use crate::types::*;

mod draft;
mod rounding;
#[cfg(test)]
mod tests;
mod witness;

use rounding::*;

/// The preset sizes of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Size {
    /// 30 to 80 edges: small enough to read and to check by hand.
    Tiny,
    /// 2,000 to 5,000 edges.
    Small,
    /// 50,000 to 100,000 edges.
    Medium,
    /// More than a million edges.
    Large,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 4] = [Size::Tiny, Size::Small, Size::Medium, Size::Large];
    /// The names [`Size::from_str`] accepts, in the order of [`Size::ALL`].
    pub const NAMES: [&'static str; 4] = ["tiny", "small", "medium", "large"];

    /// The size's name, as accepted by [`Size::from_str`].
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown [`Size`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown size \"{0}\" (valid sizes: {names})", names = Size::NAMES.join(", "))]
pub struct UnknownSize(pub String);

impl FromStr for Size {
    type Err = UnknownSize;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::NAMES.iter().position(|n| *n == s).map(|k| Size::ALL[k]).ok_or_else(|| UnknownSize(s.to_string()))
    }
}

/// The knobs of the generator. Start from [`GenerateConfig::for_size`] and change what you need;
/// [`generate_with`] panics on values outside the documented ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Goes into the instance name, `generated-{label}-seed{seed}`.
    pub label: String,
    /// Number of user segments (>= 1).
    pub segments: usize,
    /// Number of creators (>= 3, so that every creator group has one).
    pub creators: usize,
    /// Number of ad campaigns (>= 1). Every campaign gets at least one ad item with edges.
    pub campaigns: usize,
    /// Mean number of organic items per creator (> 0); every creator has at least one, and
    /// popular creators have more.
    pub items_per_creator: f64,
    /// Mean number of ad items per campaign (> 0); every campaign has at least one.
    pub ads_per_campaign: f64,
    /// Number of topics, 1 to 8, taken in order from recipes, home, fashion, travel, diy, beauty,
    /// fitness, art.
    pub topics: usize,
    /// Mean number of segments an organic item of an average creator can be shown to (> 0);
    /// items of popular creators reach more. Every segment also gets at least one risk-free
    /// organic item per topic and one fresh organic item, whatever this says.
    pub organic_degree: f64,
    /// Mean number of segments an ad item targets (> 0).
    pub ad_degree: f64,
    /// Supply of the largest segment, in impressions (> 0).
    pub max_supply: f64,
    /// Zipf exponent of segment supplies: the segment of rank `r` has about
    /// `max_supply * r^-supply_zipf` impressions (>= 0).
    pub supply_zipf: f64,
    /// Probability that a segment is tagged `teen` (in [0, 1]); at least one segment always is,
    /// and when there are two or more segments at least one is not.
    pub teen_share: f64,
    /// Share of items with an impression cap (in [0, 1]).
    pub item_cap_share: f64,
    /// Share of edges with an impression cap (in [0, 1]).
    pub edge_cap_share: f64,
    /// `max_share` of the `ad_load` constraint, in (0, 1).
    pub ad_load: f64,
    /// `tolerance` of the `exposure_parity` constraint, in (0, 1).
    pub parity_tolerance: f64,
    /// Where floors sit relative to the witness's value (in (0, 1]): the revenue floor, the
    /// exposure floor of new creators and the freshness share are this fraction of what the
    /// witness achieves. Higher is tighter; 1 would leave the witness no slack at all.
    pub floor_fraction: f64,
    /// Objective weight of revenue (the engagement weight is 1).
    pub revenue_weight: f64,
    /// Objective `regularization` (rho, >= 0): 0 makes the day an LP, > 0 a QP.
    pub regularization: f64,
    /// Penalty per impression of the soft `exposure_cap` constraint (> 0).
    pub soft_penalty: f64,
}

impl GenerateConfig {
    /// The configuration [`generate`] uses for `size`.
    pub fn for_size(size: Size) -> Self {
        let base = GenerateConfig {
            label: size.name().to_string(),
            segments: 4,
            creators: 6,
            campaigns: 2,
            items_per_creator: 2.0,
            ads_per_campaign: 1.5,
            topics: 4,
            organic_degree: 2.0,
            ad_degree: 2.0,
            max_supply: 100_000.0,
            supply_zipf: 0.9,
            teen_share: 0.25,
            item_cap_share: 0.05,
            edge_cap_share: 0.02,
            ad_load: 0.2,
            parity_tolerance: 0.4,
            floor_fraction: 0.75,
            revenue_weight: 10.0,
            regularization: 0.0,
            soft_penalty: 0.02,
        };
        match size {
            Size::Tiny => base,
            Size::Small => GenerateConfig {
                segments: 24,
                creators: 150,
                campaigns: 8,
                items_per_creator: 3.0,
                ads_per_campaign: 4.0,
                topics: 6,
                organic_degree: 6.0,
                ad_degree: 6.0,
                max_supply: 2_000_000.0,
                ..base
            },
            Size::Medium => GenerateConfig {
                segments: 80,
                creators: 2_000,
                campaigns: 30,
                items_per_creator: 4.0,
                ads_per_campaign: 8.0,
                topics: 8,
                organic_degree: 6.5,
                ad_degree: 12.0,
                max_supply: 10_000_000.0,
                ..base
            },
            Size::Large => GenerateConfig {
                segments: 300,
                creators: 20_000,
                campaigns: 120,
                items_per_creator: 5.0,
                ads_per_campaign: 10.0,
                topics: 8,
                organic_degree: 8.0,
                ad_degree: 25.0,
                max_supply: 50_000_000.0,
                item_cap_share: 0.02,
                edge_cap_share: 0.005,
                ..base
            },
        }
    }

    /// The `large` preset scaled to about `edges` edges (within some 20%: edges come from random
    /// degrees): items (creators, campaigns) scale with `edges`, segments with its square root, so
    /// segments grow too without thinning out. `for_edges(10_000_000)` is the 10^7-edge day of the
    /// first-order backend's benchmark (about 1,000 segments of 10^4 edges each).
    pub fn for_edges(edges: usize) -> Self {
        // The large preset makes about 1.24 million edges.
        let large = GenerateConfig::for_size(Size::Large);
        let f = edges as f64 / 1.24e6;
        GenerateConfig {
            label: format!("edges{edges}"),
            segments: ((large.segments as f64 * f.sqrt()).round() as usize).max(1),
            creators: ((large.creators as f64 * f).round() as usize).max(GROUPS.len()),
            campaigns: ((large.campaigns as f64 * f).round() as usize).max(1),
            ..large
        }
    }

    fn check(&self) {
        assert!(self.segments >= 1, "GenerateConfig::segments must be >= 1");
        assert!(self.creators >= GROUPS.len(), "GenerateConfig::creators must be >= 3 (one per creator group)");
        assert!(self.campaigns >= 1, "GenerateConfig::campaigns must be >= 1");
        assert!((1..=TOPICS.len()).contains(&self.topics), "GenerateConfig::topics must be in 1..=8");
        for (name, v) in [
            ("items_per_creator", self.items_per_creator),
            ("ads_per_campaign", self.ads_per_campaign),
            ("organic_degree", self.organic_degree),
            ("ad_degree", self.ad_degree),
            ("max_supply", self.max_supply),
            ("soft_penalty", self.soft_penalty),
        ] {
            assert!(v.is_finite() && v > 0.0, "GenerateConfig::{name} must be > 0, got {v}");
        }
        for (name, v) in [("teen_share", self.teen_share), ("item_cap_share", self.item_cap_share), ("edge_cap_share", self.edge_cap_share)] {
            assert!((0.0..=1.0).contains(&v), "GenerateConfig::{name} must be in [0, 1], got {v}");
        }
        assert!(self.ad_load > 0.0 && self.ad_load < 1.0, "GenerateConfig::ad_load must be in (0, 1)");
        assert!(self.parity_tolerance > 0.0 && self.parity_tolerance < 1.0, "GenerateConfig::parity_tolerance must be in (0, 1)");
        assert!(self.floor_fraction > 0.0 && self.floor_fraction <= 1.0, "GenerateConfig::floor_fraction must be in (0, 1]");
        assert!(self.supply_zipf.is_finite() && self.supply_zipf >= 0.0, "GenerateConfig::supply_zipf must be >= 0");
        assert!(self.revenue_weight.is_finite(), "GenerateConfig::revenue_weight must be finite");
        assert!(self.regularization.is_finite() && self.regularization >= 0.0, "GenerateConfig::regularization must be >= 0");
    }
}

impl Default for GenerateConfig {
    /// The `small` preset.
    fn default() -> Self {
        GenerateConfig::for_size(Size::Small)
    }
}

/// A generated day and a feasible plan for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The day.
    pub instance: Instance,
    /// Impressions per edge (same order as `instance.edges`) of a plan that satisfies every row of
    /// the model, soft constraints included. Its objective value is a lower bound on the optimum.
    pub witness: Vec<f64>,
}

/// `inst` with every campaign's budget and the revenue floor scaled by `factor` (the floor
/// shrinks with the budgets, so that a day that was feasible stays so): the budget-tight days of
/// the serving tests.
pub fn with_budgets_scaled(mut inst: Instance, factor: f64) -> Instance {
    for c in &mut inst.campaigns {
        c.budget *= factor;
    }
    for c in &mut inst.constraints {
        if let crate::ConstraintKind::RevenueFloor { min } = &mut c.kind {
            *min *= factor;
        }
    }
    inst
}

/// `inst` with the rule variants the generator does not write: an exploration floor on two
/// segments, a soft exposure-parity rule over every creator group, a soft freshness floor and an
/// ad-load cap on one segment. What the tests that must meet every kind of row add to a
/// generated day (each a row kind, a soft row's slack, a segment-scoped selector).
pub fn with_every_rule_kind(mut inst: Instance) -> Instance {
    let seg = |k: usize| inst.segments[k % inst.segments.len()].id.clone();
    let mut groups: Vec<String> = inst.creators.iter().map(|c| c.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let (s0, s1) = (seg(0), seg(1));
    let extra = [
        ("explore", None, ConstraintKind::ExplorationFloor { segments: SegmentSelector::Ids(vec![s0.clone(), s1]), min_share: 0.001, max_n: 5 }),
        ("parity_soft", Some(3.0), ConstraintKind::ExposureParity { groups, tolerance: 0.2 }),
        ("fresh_soft", Some(2.0), ConstraintKind::FreshnessFloor { segments: SegmentSelector::All, min_share: 0.3 }),
        ("ads_here", None, ConstraintKind::AdLoad { segments: SegmentSelector::Ids(vec![s0]), max_share: 0.25 }),
    ];
    for (name, penalty, kind) in extra {
        inst.constraints.push(Constraint { name: name.into(), penalty, kind });
    }
    inst
}

/// Generates a day of the preset `size`; the instance is named `generated-{size}-seed{seed}`.
///
/// ```
/// use agora_instances::{generate, Size};
/// let day = generate(Size::Tiny, 7);
/// assert_eq!(day.name, "generated-tiny-seed7");
/// assert_eq!(day, generate(Size::Tiny, 7));
/// ```
pub fn generate(size: Size, seed: u64) -> Instance {
    generate_with(&GenerateConfig::for_size(size), seed)
}

/// Generates a day from a custom configuration.
///
/// # Panics
/// If a field of `config` is outside its documented range.
pub fn generate_with(config: &GenerateConfig, seed: u64) -> Instance {
    generate_witnessed(config, seed).instance
}

/// Generates a day of the preset `size` with the objective's regularisation `rho` (0: an LP):
/// the one day-builder the tests and benchmarks share.
pub fn generate_day(size: Size, seed: u64, regularization: f64) -> Instance {
    let mut cfg = GenerateConfig::for_size(size);
    cfg.regularization = regularization;
    generate_with(&cfg, seed)
}

/// Generates a day and returns it with the feasible plan its bounds were built around.
///
/// # Panics
/// If a field of `config` is outside its documented range.
pub fn generate_witnessed(config: &GenerateConfig, seed: u64) -> Generated {
    config.check();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draft = Draft::new(config, &mut rng);
    let mut witness = draft.witness(config);
    draft.budgets_and_caps(config, &mut rng, &mut witness);
    let constraints = draft.constraints(config, &witness);
    let instance = Instance {
        name: format!("generated-{}-seed{seed}", config.label),
        objective: Objective {
            engagement: 1.0,
            quality: 0.001,
            revenue: config.revenue_weight,
            integrity_risk: 0.05,
            regularization: config.regularization,
            engagement_estimate: EngagementEstimate::Point,
        },
        segments: draft.segments,
        creators: draft.creators,
        campaigns: draft.campaigns,
        items: draft.items,
        edges: draft.edges,
        constraints,
        evidence: Vec::new(),
    };
    Generated { instance, witness }
}

const TOPICS: [&str; 8] = ["recipes", "home", "fashion", "travel", "diy", "beauty", "fitness", "art"];

/// Region tag, probability, price multiplier (advertisers pay more in richer markets).
const REGIONS: [(&str, f64, f64); 4] = [("us", 0.35, 1.4), ("eu", 0.3, 1.0), ("apac", 0.2, 0.7), ("latam", 0.15, 0.6)];

const GROUPS: [&str; 3] = ["new", "small", "established"];
const NEW: usize = 0;

/// How the creator groups differ.
struct GroupProfile {
    /// Probability that a creator is in the group.
    share: f64,
    /// Scale of the Pareto popularity.
    popularity: f64,
    /// Beta parameters of item quality.
    quality: (f64, f64),
    /// Probability that an item is fresh.
    fresh: f64,
}

const PROFILES: [GroupProfile; 3] = [
    GroupProfile { share: 0.3, popularity: 0.4, quality: (3.0, 3.0), fresh: 0.5 },
    GroupProfile { share: 0.4, popularity: 1.0, quality: (4.0, 3.0), fresh: 0.3 },
    GroupProfile { share: 0.3, popularity: 3.0, quality: (5.0, 2.5), fresh: 0.2 },
];

/// Share of each segment's supply the witness fills, so that supply rows keep some slack.
const FILL: f64 = 0.98;
/// Rounds of iterative proportional fitting in the witness.
const IPF_ROUNDS: usize = 12;
/// Margin of caps and share caps above the witness's value.
const CAP_MARGIN: f64 = 1.05;
/// Budgets are drawn as these multiples of the spend the witness would reach without them: tight
/// ones bind at the optimum, loose ones mostly do not.
const TIGHT_BUDGET: (f64, f64) = (0.2, 0.6);
const LOOSE_BUDGET: (f64, f64) = (1.2, 2.5);

/// The day under construction, with the latent traits the instance does not record.
struct Draft {
    segments: Vec<Segment>,
    seg_teen: Vec<bool>,
    seg_region: Vec<usize>,
    creators: Vec<Creator>,
    creator_group: Vec<usize>,
    campaigns: Vec<Campaign>,
    items: Vec<Item>,
    item_topic: Vec<usize>,
    /// Topic most engaging on average: the soft exposure cap limits it.
    hot_topic: usize,
    edges: Vec<Edge>,
}

fn lognormal(median: f64, sigma: f64) -> LogNormal<f64> {
    LogNormal::new(median.ln(), sigma).expect("valid lognormal")
}

/// Number of digits to print indices below `n` with, at least `min`.
fn width(n: usize, min: usize) -> usize {
    n.saturating_sub(1).max(1).to_string().len().max(min)
}

fn pick_weighted(rng: &mut StdRng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut u = rng.random::<f64>() * total;
    let mut last = 0;
    for (k, w) in weights.enumerate() {
        if u < w {
            return k;
        }
        u -= w;
        last = k;
    }
    last
}
