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
        Size::NAMES
            .iter()
            .position(|n| *n == s)
            .map(|k| Size::ALL[k])
            .ok_or_else(|| UnknownSize(s.to_string()))
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
        for (name, v) in [
            ("teen_share", self.teen_share),
            ("item_cap_share", self.item_cap_share),
            ("edge_cap_share", self.edge_cap_share),
        ] {
            assert!((0.0..=1.0).contains(&v), "GenerateConfig::{name} must be in [0, 1], got {v}");
        }
        assert!(self.ad_load > 0.0 && self.ad_load < 1.0, "GenerateConfig::ad_load must be in (0, 1)");
        assert!(
            self.parity_tolerance > 0.0 && self.parity_tolerance < 1.0,
            "GenerateConfig::parity_tolerance must be in (0, 1)"
        );
        assert!(self.floor_fraction > 0.0 && self.floor_fraction <= 1.0, "GenerateConfig::floor_fraction must be in (0, 1]");
        assert!(self.supply_zipf.is_finite() && self.supply_zipf >= 0.0, "GenerateConfig::supply_zipf must be >= 0");
        assert!(self.revenue_weight.is_finite(), "GenerateConfig::revenue_weight must be finite");
        assert!(
            self.regularization.is_finite() && self.regularization >= 0.0,
            "GenerateConfig::regularization must be >= 0"
        );
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
        },
        segments: draft.segments,
        creators: draft.creators,
        campaigns: draft.campaigns,
        items: draft.items,
        edges: draft.edges,
        constraints,
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

impl Draft {
    fn new(cfg: &GenerateConfig, rng: &mut StdRng) -> Draft {
        let nt = cfg.topics;

        // Segments: Zipf supplies by a shuffled rank, so ids say nothing about size.
        let ns = cfg.segments;
        let mut ranks: Vec<usize> = (1..=ns).collect();
        ranks.shuffle(rng);
        let noise = lognormal(1.0, 0.15);
        let mut seg_teen: Vec<bool> = (0..ns).map(|_| rng.random_bool(cfg.teen_share)).collect();
        if !seg_teen.iter().any(|&t| t) {
            seg_teen[rng.random_range(0..ns)] = true;
        }
        if ns >= 2 && seg_teen.iter().all(|&t| t) {
            seg_teen[rng.random_range(0..ns)] = false;
        }
        let seg_region: Vec<usize> = (0..ns).map(|_| pick_weighted(rng, REGIONS.iter().map(|r| r.1))).collect();
        let w = width(ns, 3);
        let segments = (0..ns)
            .map(|s| {
                let supply = cfg.max_supply * (ranks[s] as f64).powf(-cfg.supply_zipf) * noise.sample(rng);
                Segment {
                    id: format!("seg-{s:0w$}"),
                    supply: round_sig(supply.max(100.0), 3),
                    tags: vec![REGIONS[seg_region[s]].0.to_string(), if seg_teen[s] { "teen" } else { "adult" }.to_string()],
                }
            })
            .collect();

        // Creators: one of each group at least, then by the group shares.
        let nc = cfg.creators;
        let mut creator_group: Vec<usize> = (0..nc)
            .map(|c| if c < GROUPS.len() { c } else { pick_weighted(rng, PROFILES.iter().map(|p| p.share)) })
            .collect();
        creator_group.shuffle(rng);
        let pareto = Pareto::new(1.0, 1.3).expect("valid pareto");
        let creator_pop: Vec<f64> =
            creator_group.iter().map(|&g| (PROFILES[g].popularity * pareto.sample(rng)).min(1000.0)).collect();
        let creator_topic: Vec<usize> = (0..nc).map(|_| rng.random_range(0..nt)).collect();
        let w = width(nc, 4);
        let creators =
            (0..nc).map(|c| Creator { id: format!("cr-{c:0w$}"), group: GROUPS[creator_group[c]].to_string() }).collect();
        // Normalisers so that the configured means hold whatever the popularity draws.
        let mean_pop_items = creator_pop.iter().map(|p| p.powf(0.3)).sum::<f64>() / nc as f64;
        let mean_pop_degree = creator_pop.iter().map(|p| p.sqrt()).sum::<f64>() / nc as f64;

        // Campaigns: budgets come once the witness knows what each could spend.
        let na = cfg.campaigns;
        let w = width(na, 2);
        let campaigns = (0..na).map(|a| Campaign { id: format!("camp-{a:0w$}"), budget: 0.0 }).collect();
        let campaign_price: Vec<f64> = (0..na).map(|_| lognormal(0.008, 0.5).sample(rng)).collect();

        // Item counts, topped up so every topic can have an organic item.
        let count_noise = lognormal(1.0, 0.4);
        let mut per_creator: Vec<usize> = (0..nc)
            .map(|c| {
                let n = cfg.items_per_creator * (creator_pop[c].powf(0.3) / mean_pop_items) * count_noise.sample(rng);
                (n.round() as usize).max(1)
            })
            .collect();
        while per_creator.iter().sum::<usize>() < nt {
            per_creator[rng.random_range(0..nc)] += 1;
        }
        let per_campaign: Vec<usize> =
            (0..na).map(|_| ((cfg.ads_per_campaign * count_noise.sample(rng)).round() as usize).max(1)).collect();

        let n_organic: usize = per_creator.iter().sum();
        let n_items = n_organic + per_campaign.iter().sum::<usize>();
        let mut items = Vec::with_capacity(n_items);
        let mut item_topic = Vec::with_capacity(n_items);
        let mut item_appeal = Vec::with_capacity(n_items);
        let mut item_pop = Vec::with_capacity(n_items);
        let appeal = lognormal(1.0, 0.35);
        let betas: Vec<Beta<f64>> = PROFILES.iter().map(|p| Beta::new(p.quality.0, p.quality.1).expect("valid beta")).collect();
        for c in 0..nc {
            let g = creator_group[c];
            for _ in 0..per_creator[c] {
                let topic = if rng.random_bool(0.7) { creator_topic[c] } else { rng.random_range(0..nt) };
                let risk = draw_risk(rng, 0.06);
                let fresh = rng.random_bool(PROFILES[g].fresh);
                // Borderline content engages more, fresh content has no track record yet.
                let a = appeal.sample(rng) * if risk >= 0.1 { 1.5 } else { 1.0 } * if fresh { 0.85 } else { 1.0 };
                items.push(Item {
                    id: String::new(),
                    owner: Owner::Creator(c),
                    topic: String::new(),
                    quality: round_dp(betas[g].sample(rng).clamp(0.05, 1.0), 2),
                    risk,
                    fresh,
                    cap: None,
                });
                item_topic.push(topic);
                item_appeal.push(a);
                item_pop.push(creator_pop[c]);
            }
        }
        let ad_quality: Beta<f64> = Beta::new(4.0, 3.0).expect("valid beta");
        for (a, &n) in per_campaign.iter().enumerate() {
            for _ in 0..n {
                let risk = if rng.random_bool(0.5) { 0.0 } else { round_sig(lognormal(0.004, 0.6).sample(rng).min(0.05), 2) };
                items.push(Item {
                    id: String::new(),
                    owner: Owner::Campaign(a),
                    topic: String::new(),
                    quality: round_dp(ad_quality.sample(rng).clamp(0.05, 1.0), 2),
                    risk,
                    fresh: rng.random_bool(0.3),
                    cap: None,
                });
                item_topic.push(rng.random_range(0..nt));
                item_appeal.push(appeal.sample(rng));
                item_pop.push(1.0);
            }
        }

        // Every topic needs a risk-free organic item (so every segment can get one of each topic
        // and integrity caps are satisfiable), and some organic item must be fresh. Topics first:
        // a topic without items borrows one from the most crowded topic, which has at least two
        // since n_organic >= nt.
        let mut counts = vec![0usize; nt];
        for &t in &item_topic[..n_organic] {
            counts[t] += 1;
        }
        for t in 0..nt {
            if counts[t] == 0 {
                let donor = (0..nt).max_by_key(|&u| counts[u]).expect("topics >= 1");
                let donors: Vec<usize> = (0..n_organic).filter(|&i| item_topic[i] == donor).collect();
                item_topic[donors[rng.random_range(0..donors.len())]] = t;
                counts[donor] -= 1;
                counts[t] += 1;
            }
        }
        for t in 0..nt {
            let of_topic: Vec<usize> = (0..n_organic).filter(|&i| item_topic[i] == t).collect();
            if of_topic.iter().all(|&i| items[i].risk > 0.0) {
                items[of_topic[rng.random_range(0..of_topic.len())]].risk = 0.0;
            }
        }
        if !items[..n_organic].iter().any(|i| i.fresh) {
            items[rng.random_range(0..n_organic)].fresh = true;
        }
        let w = width(n_items, 5);
        for (k, item) in items.iter_mut().enumerate() {
            item.id = format!("item-{k:0w$}");
            item.topic = TOPICS[item_topic[k]].to_string();
        }

        // Which segments each item reaches: a popularity-driven number of random segments, then
        // the coverage every segment needs.
        let degree_noise = lognormal(1.0, 0.3);
        let mut reach: Vec<Vec<usize>> = (0..n_items)
            .map(|i| {
                let mean = if i < n_organic {
                    cfg.organic_degree * item_pop[i].sqrt() / mean_pop_degree
                } else {
                    cfg.ad_degree
                };
                let d = ((mean * degree_noise.sample(rng)).round() as usize).clamp(1, ns);
                index::sample(rng, ns, d).into_vec()
            })
            .collect();
        let mut safe_by_topic: Vec<Vec<usize>> = vec![Vec::new(); nt];
        let mut fresh_organic = Vec::new();
        for i in 0..n_organic {
            if items[i].risk == 0.0 {
                safe_by_topic[item_topic[i]].push(i);
            }
            if items[i].fresh {
                fresh_organic.push(i);
            }
        }
        for s in 0..ns {
            for pool in safe_by_topic.iter().chain(std::iter::once(&fresh_organic)) {
                let i = pool[rng.random_range(0..pool.len())];
                if !reach[i].contains(&s) {
                    reach[i].push(s);
                }
            }
        }

        let topic_mult: Vec<f64> = (0..nt).map(|_| lognormal(1.0, 0.3).sample(rng)).collect();
        let hot_topic = (0..nt).max_by(|&a, &b| topic_mult[a].total_cmp(&topic_mult[b])).expect("topics >= 1");
        let affinity: Vec<f64> = (0..ns * nt).map(|_| lognormal(1.0, 0.3).sample(rng)).collect();
        let edge_noise = lognormal(1.0, 0.25);
        let price_noise = lognormal(1.0, 0.2);
        let mut edges = Vec::with_capacity(reach.iter().map(Vec::len).sum());
        for (i, segs) in reach.iter().enumerate() {
            let t = item_topic[i];
            for &s in segs {
                let aff = affinity[s * nt + t];
                let (engagement, price) = match items[i].owner {
                    Owner::Creator(_) => {
                        let e = 0.03 * topic_mult[t] * item_pop[i].powf(0.2) * item_appeal[i] * aff * edge_noise.sample(rng);
                        (e, 0.0)
                    }
                    Owner::Campaign(a) => {
                        let e = 0.012 * item_appeal[i] * aff * edge_noise.sample(rng);
                        let value = REGIONS[seg_region[s]].2 * if seg_teen[s] { 0.7 } else { 1.0 };
                        let p = campaign_price[a] * value * price_noise.sample(rng);
                        (e, round_sig(p.max(1e-5), 3))
                    }
                };
                edges.push(Edge { segment: s, item: i, engagement: round_sig(engagement.clamp(1e-4, 0.9), 3), price, cap: None });
            }
        }
        drop(reach);
        edges.sort_unstable_by_key(|e| (e.segment, e.item));

        Draft { segments, seg_teen, seg_region, creators, creator_group, campaigns, items, item_topic, hot_topic, edges }
    }

    /// Builds the witness plan: organic impressions by iterative proportional fitting (each
    /// segment's organic share split evenly across its topics, each item's total proportional to
    /// its quality, so that creator groups get exposure in proportion to merit), then ads up to
    /// most of the ad load.
    fn witness(&self, cfg: &GenerateConfig) -> Vec<f64> {
        let (ns, nt, ni) = (self.segments.len(), cfg.topics, self.items.len());
        let ad_share = 0.9 * cfg.ad_load;
        let organic = |e: &Edge| self.items[e.item].kind() == ItemKind::Organic;

        let mut has_ads = vec![false; ns];
        let mut cell_has = vec![false; ns * nt];
        for e in &self.edges {
            if organic(e) {
                cell_has[e.segment * nt + self.item_topic[e.item]] = true;
            } else {
                has_ads[e.segment] = true;
            }
        }
        let mut cell_target = vec![0.0; ns * nt];
        for s in 0..ns {
            let k = cell_has[s * nt..(s + 1) * nt].iter().filter(|&&h| h).count() as f64;
            let organic_mass = FILL * self.segments[s].supply * if has_ads[s] { 1.0 - ad_share } else { 1.0 };
            for t in 0..nt {
                if cell_has[s * nt + t] {
                    cell_target[s * nt + t] = organic_mass / k;
                }
            }
        }
        let total: f64 = cell_target.iter().sum();
        let merit: f64 = self.items.iter().filter(|i| i.kind() == ItemKind::Organic).map(|i| i.quality).sum();
        let item_target: Vec<f64> = self.items.iter().map(|i| i.quality * total / merit).collect();

        // Start from a preference for fresh and safe items (much safer for teens): fitting keeps
        // these preferences within each segment and topic.
        let mut x: Vec<f64> = self
            .edges
            .iter()
            .map(|e| {
                if !organic(e) {
                    return 0.0;
                }
                let item = &self.items[e.item];
                let aversion = if self.seg_teen[e.segment] { 200.0 } else { 20.0 };
                (if item.fresh { 1.5 } else { 1.0 }) / (1.0 + aversion * item.risk)
            })
            .collect();
        let mut sums_item = vec![0.0; ni];
        let mut sums_cell = vec![0.0; ns * nt];
        for _ in 0..IPF_ROUNDS {
            sums_item.iter_mut().for_each(|v| *v = 0.0);
            for (e, &xe) in self.edges.iter().zip(&x) {
                sums_item[e.item] += xe;
            }
            for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
                if *xe > 0.0 {
                    *xe *= item_target[e.item] / sums_item[e.item];
                }
            }
            // Ending each round on the segment side makes every segment's organic total exact.
            sums_cell.iter_mut().for_each(|v| *v = 0.0);
            for (e, &xe) in self.edges.iter().zip(&x) {
                if organic(e) {
                    sums_cell[e.segment * nt + self.item_topic[e.item]] += xe;
                }
            }
            for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
                if *xe > 0.0 {
                    let c = e.segment * nt + self.item_topic[e.item];
                    *xe *= cell_target[c] / sums_cell[c];
                }
            }
        }

        // The fitting need not converge: scale the over-exposed creator groups down until every
        // group's exposure per unit of merit is within half the parity tolerance of the lowest.
        let mut exposure = [0.0; GROUPS.len()];
        let mut group_merit = [0.0; GROUPS.len()];
        for (e, &xe) in self.edges.iter().zip(&x) {
            if let Some(c) = self.items[e.item].creator() {
                exposure[self.creator_group[c]] += xe;
            }
        }
        for item in &self.items {
            if let Some(c) = item.creator() {
                group_merit[self.creator_group[c]] += item.quality;
            }
        }
        let ratio: Vec<f64> = (0..GROUPS.len()).map(|g| exposure[g] / group_merit[g]).collect();
        let limit = ratio.iter().copied().fold(f64::INFINITY, f64::min) / (1.0 - cfg.parity_tolerance / 2.0);
        for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
            if let Some(c) = self.items[e.item].creator() {
                let g = self.creator_group[c];
                if ratio[g] > limit {
                    *xe *= limit / ratio[g];
                }
            }
        }

        // Ads take `ad_share` of each segment's served impressions, split by price.
        let mut organic_total = vec![0.0; ns];
        let mut price_total = vec![0.0; ns];
        for (e, &xe) in self.edges.iter().zip(&x) {
            if organic(e) {
                organic_total[e.segment] += xe;
            } else {
                price_total[e.segment] += e.price;
            }
        }
        for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
            if !organic(e) {
                let ads = ad_share / (1.0 - ad_share) * organic_total[e.segment];
                *xe = ads * e.price / price_total[e.segment];
            }
        }
        x
    }

    /// Draws budgets around what each campaign spends in the witness (then trims the witness's
    /// ads to fit them), and puts caps on some items and edges above their witness impressions.
    fn budgets_and_caps(&mut self, cfg: &GenerateConfig, rng: &mut StdRng, witness: &mut [f64]) {
        let na = self.campaigns.len();
        let mut spend = vec![0.0; na];
        for (e, &xe) in self.edges.iter().zip(&*witness) {
            if let Some(a) = self.items[e.item].campaign() {
                spend[a] += e.price * xe;
            }
        }
        // Half the campaigns tight, half loose, in random order.
        let mut tight: Vec<bool> = (0..na).map(|a| a % 2 == 0).collect();
        tight.shuffle(rng);
        let mut trim = vec![1.0; na];
        for a in 0..na {
            let (lo, hi) = if tight[a] { TIGHT_BUDGET } else { LOOSE_BUDGET };
            let budget = round_sig((spend[a] * rng.random_range(lo..hi)).max(0.01), 3);
            self.campaigns[a].budget = budget;
            if spend[a] > 0.95 * budget {
                trim[a] = 0.95 * budget / spend[a];
            }
        }
        for (e, xe) in self.edges.iter().zip(witness.iter_mut()) {
            if let Some(a) = self.items[e.item].campaign() {
                *xe *= trim[a];
            }
        }

        let mut item_total = vec![0.0; self.items.len()];
        for (e, &xe) in self.edges.iter().zip(&*witness) {
            item_total[e.item] += xe;
        }
        let n_capped = (cfg.item_cap_share * self.items.len() as f64).round() as usize;
        for i in index::sample(rng, self.items.len(), n_capped) {
            let cap = item_total[i] * rng.random_range(1.2..2.5);
            self.items[i].cap = Some(round_sig_up(cap.max(1.0), 3));
        }
        let n_capped = (cfg.edge_cap_share * self.edges.len() as f64).round() as usize;
        for e in index::sample(rng, self.edges.len(), n_capped) {
            let cap = witness[e] * rng.random_range(1.2..2.5);
            self.edges[e].cap = Some(round_sig_up(cap.max(1.0), 3));
        }
    }

    /// One constraint of each type, set around the witness's value.
    fn constraints(&self, cfg: &GenerateConfig, x: &[f64]) -> Vec<Constraint> {
        let (ns, nt) = (self.segments.len(), cfg.topics);
        let mut served = vec![0.0; ns];
        let mut risky = vec![0.0; ns];
        let mut fresh = vec![0.0; ns];
        let mut by_topic = vec![0.0; ns * nt];
        let mut revenue = 0.0;
        let mut new_exposure = 0.0;
        // The soft cap limits the most engaging topic in the region of the largest segment.
        let biggest = (0..ns).max_by(|&a, &b| self.segments[a].supply.total_cmp(&self.segments[b].supply)).expect("segments >= 1");
        let region = self.seg_region[biggest];
        let mut hot_exposure = 0.0;
        for (e, &xe) in self.edges.iter().zip(x) {
            let item = &self.items[e.item];
            let s = e.segment;
            served[s] += xe;
            risky[s] += item.risk * xe;
            if item.fresh {
                fresh[s] += xe;
            }
            by_topic[s * nt + self.item_topic[e.item]] += xe;
            revenue += e.price * xe;
            if item.creator().is_some_and(|c| self.creator_group[c] == NEW) {
                new_exposure += xe;
            }
            if self.item_topic[e.item] == self.hot_topic && self.seg_region[s] == region {
                hot_exposure += xe;
            }
        }
        let teen_risk = (0..ns).filter(|&s| self.seg_teen[s]).map(|s| risky[s] / served[s]).fold(0.0, f64::max);
        let all_risk = (0..ns).map(|s| risky[s] / served[s]).fold(0.0, f64::max);
        let fresh_min = (0..ns).map(|s| fresh[s] / served[s]).fold(f64::INFINITY, f64::min);
        let topic_max = (0..ns * nt).map(|c| by_topic[c] / served[c / nt]).fold(0.0, f64::max);

        let ff = cfg.floor_fraction;
        let share_cap = |v: f64| round_sig_up(v * CAP_MARGIN, 3).min(1.0);
        let hard = |name: &str, kind: ConstraintKind| Constraint { name: name.to_string(), penalty: None, kind };
        vec![
            hard("ad-load", ConstraintKind::AdLoad { segments: SegmentSelector::All, max_share: cfg.ad_load }),
            hard("revenue-floor", ConstraintKind::RevenueFloor { min: round_sig_down(ff * revenue, 3) }),
            hard(
                "new-creator-exposure",
                ConstraintKind::ExposureFloor {
                    items: ItemSelector::CreatorGroup(GROUPS[NEW].to_string()),
                    segments: SegmentSelector::All,
                    min: round_sig_down(ff * new_exposure, 3),
                },
            ),
            Constraint {
                name: format!("{}-{}-exposure-cap", TOPICS[self.hot_topic], REGIONS[region].0),
                penalty: Some(cfg.soft_penalty),
                kind: ConstraintKind::ExposureCap {
                    items: ItemSelector::Topic(TOPICS[self.hot_topic].to_string()),
                    segments: SegmentSelector::Tag(REGIONS[region].0.to_string()),
                    max: round_sig_up(hot_exposure * CAP_MARGIN, 3),
                },
            },
            hard("teen-integrity", ConstraintKind::IntegrityCap { segments: SegmentSelector::Tag("teen".into()), max_share: share_cap(teen_risk) }),
            hard("integrity", ConstraintKind::IntegrityCap { segments: SegmentSelector::All, max_share: share_cap(all_risk) }),
            hard(
                "topic-diversity",
                ConstraintKind::TopicCap { segments: SegmentSelector::All, max_share: share_cap(topic_max).max(round_sig_up(1.5 / nt as f64, 3)).min(1.0) },
            ),
            hard("freshness", ConstraintKind::FreshnessFloor { segments: SegmentSelector::All, min_share: round_decimal(ff * fresh_min, 3, Direction::Down) }),
            hard(
                "creator-parity",
                ConstraintKind::ExposureParity {
                    groups: GROUPS.iter().map(|g| g.to_string()).collect(),
                    tolerance: cfg.parity_tolerance,
                },
            ),
        ]
    }
}

/// Draws an item's risk: a third exactly 0, most small, a `borderline` share in [0.1, 0.3].
fn draw_risk(rng: &mut StdRng, borderline: f64) -> f64 {
    let u = rng.random::<f64>();
    if u < 0.35 {
        0.0
    } else if u < 1.0 - borderline {
        round_sig(lognormal(0.008, 0.8).sample(rng).min(0.09), 2)
    } else {
        round_dp(rng.random_range(0.1..0.3), 2)
    }
}

/// Exact powers of ten: dividing an integer below 2^53 by one of them is correctly rounded, so
/// the numbers the generator writes survive a trip through JSON unchanged.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[derive(Clone, Copy)]
enum Direction {
    Nearest,
    Up,
    Down,
}

/// `x` rounded to `decimals` places after the point (negative: before it), in `dir`.
fn round_decimal(x: f64, decimals: i32, dir: Direction) -> f64 {
    let Some(&p) = POW10.get(decimals.unsigned_abs() as usize) else { return x };
    let to_int = |v: f64| if decimals >= 0 { v * p } else { v / p };
    let from_int = |n: f64| if decimals >= 0 { n / p } else { n * p };
    match dir {
        Direction::Nearest => from_int(to_int(x).round()),
        // The scaling itself rounds: step once more if that landed on the wrong side of `x`.
        Direction::Up => {
            let n = to_int(x).ceil();
            if from_int(n) < x { from_int(n + 1.0) } else { from_int(n) }
        }
        Direction::Down => {
            let n = to_int(x).floor();
            if from_int(n) > x { from_int(n - 1.0) } else { from_int(n) }
        }
    }
}

fn sig_decimals(x: f64, digits: i32) -> i32 {
    digits - 1 - x.abs().log10().floor() as i32
}

fn round_sig_dir(x: f64, digits: i32, dir: Direction) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    round_decimal(x, sig_decimals(x, digits), dir)
}

/// `x` to `digits` significant digits.
fn round_sig(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Nearest)
}

/// `x` to `digits` significant digits, rounded up: for caps, which must stay above the witness.
fn round_sig_up(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Up)
}

/// `x` to `digits` significant digits, rounded down: for floors, which must stay below the witness.
fn round_sig_down(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Down)
}

/// `x` to `decimals` places after the point.
fn round_dp(x: f64, decimals: i32) -> f64 {
    round_decimal(x, decimals, Direction::Nearest)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::{parse_str, plan_violations, to_json};

    fn type_names(inst: &Instance) -> HashSet<&'static str> {
        inst.constraints.iter().map(|c| c.kind.type_name()).collect()
    }

    /// The checks every generated day must pass, whatever its size.
    fn check_day(g: &Generated) {
        let inst = &g.instance;
        let back = parse_str(&to_json(inst), Path::new("generated.json")).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert!(back.instance == *inst, "the JSON round trip changed the instance");
        assert_eq!(type_names(inst).len(), ConstraintKind::TYPE_NAMES.len());
        assert!(inst.constraints.iter().any(|c| c.penalty.is_some()), "no soft constraint");
        let violations = plan_violations(inst, &g.witness, 1e-9);
        assert!(violations.is_empty(), "the witness violates {violations:?}");

        for (kind, ids) in [
            ("segment", inst.segments.iter().map(|s| &s.id).collect::<Vec<_>>()),
            ("creator", inst.creators.iter().map(|c| &c.id).collect()),
            ("campaign", inst.campaigns.iter().map(|a| &a.id).collect()),
            ("item", inst.items.iter().map(|i| &i.id).collect()),
            ("constraint", inst.constraints.iter().map(|c| &c.name).collect()),
        ] {
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "duplicate {kind} ids");
        }
        let mut pairs = HashSet::new();
        for (k, e) in inst.edges.iter().enumerate() {
            assert!(pairs.insert((e.segment, e.item)), "duplicate edge {k}");
            if !inst.is_ad_edge(k) {
                assert_eq!(e.price, 0.0, "organic edge {k} has a price");
            }
        }
        for s in 0..inst.segments.len() {
            let organic: Vec<&Item> = inst
                .edges
                .iter()
                .filter(|e| e.segment == s && inst.items[e.item].kind() == ItemKind::Organic)
                .map(|e| &inst.items[e.item])
                .collect();
            assert!(organic.iter().any(|i| i.risk == 0.0), "segment {s} has no risk-free organic item");
            assert!(organic.iter().any(|i| i.fresh), "segment {s} has no fresh organic item");
        }
        for a in 0..inst.campaigns.len() {
            assert!(
                inst.edges.iter().any(|e| inst.items[e.item].campaign() == Some(a)),
                "campaign {a} has no ad with edges"
            );
        }
        for c in &inst.constraints {
            if let ConstraintKind::TopicCap { max_share, .. } = c.kind {
                assert!(max_share > 1.0 / TOPICS.len() as f64, "topic cap {max_share} leaves no room");
            }
            if let ConstraintKind::ExposureParity { tolerance, .. } = c.kind {
                assert!((0.3..=0.5).contains(&tolerance));
            }
        }
    }

    #[test]
    fn size_names_parse_and_unknown_names_list_the_valid_ones() {
        for (size, name) in Size::ALL.iter().zip(Size::NAMES) {
            assert_eq!(name.parse::<Size>().unwrap(), *size);
            assert_eq!(size.to_string(), name);
        }
        let err = "huge".parse::<Size>().unwrap_err().to_string();
        assert_eq!(err, "unknown size \"huge\" (valid sizes: tiny, small, medium, large)");
        assert!("Tiny".parse::<Size>().is_err());
    }

    #[test]
    fn same_seed_same_day_other_seed_other_day() {
        for size in [Size::Tiny, Size::Small] {
            let a = generate(size, 7);
            assert_eq!(a, generate(size, 7));
            assert_eq!(a.name, format!("generated-{size}-seed7"));
            let b = generate(size, 8);
            assert_ne!(a.edges, b.edges);
        }
    }

    #[test]
    fn tiny_days_are_valid_and_feasible() {
        for seed in 0..40 {
            let g = generate_witnessed(&GenerateConfig::for_size(Size::Tiny), seed);
            check_day(&g);
            let n = g.instance.edges.len();
            assert!((30..=80).contains(&n), "seed {seed}: {n} edges");
        }
    }

    #[test]
    fn small_days_are_valid_and_feasible() {
        for seed in 0..3 {
            let g = generate_witnessed(&GenerateConfig::for_size(Size::Small), seed);
            check_day(&g);
            let n = g.instance.edges.len();
            assert!((2_000..=5_000).contains(&n), "seed {seed}: {n} edges");
        }
    }

    #[test]
    fn medium_day_is_valid_and_feasible() {
        let g = generate_witnessed(&GenerateConfig::for_size(Size::Medium), 1);
        check_day(&g);
        let n = g.instance.edges.len();
        assert!((50_000..=100_000).contains(&n), "{n} edges");
    }

    #[test]
    fn large_day_has_a_million_edges() {
        let start = std::time::Instant::now();
        let inst = generate(Size::Large, 1);
        let n = inst.edges.len();
        assert!(n >= 1_000_000, "{n} edges");
        eprintln!("large: {n} edges in {:.2?}", start.elapsed());
    }

    #[test]
    fn degenerate_configs_still_make_feasible_days() {
        let smallest = GenerateConfig {
            label: "smallest".into(),
            segments: 1,
            creators: 3,
            campaigns: 1,
            items_per_creator: 0.1,
            ads_per_campaign: 0.1,
            topics: 1,
            organic_degree: 0.1,
            ad_degree: 0.1,
            ..GenerateConfig::for_size(Size::Tiny)
        };
        for seed in 0..20 {
            check_day(&generate_witnessed(&smallest, seed));
        }
        let all_topics = GenerateConfig { segments: 2, topics: 8, item_cap_share: 1.0, edge_cap_share: 1.0, ..smallest };
        for seed in 0..20 {
            check_day(&generate_witnessed(&all_topics, seed));
        }
    }

    #[test]
    fn regularization_is_passed_through() {
        let cfg = GenerateConfig { regularization: 0.5, ..GenerateConfig::for_size(Size::Tiny) };
        assert_eq!(generate_with(&cfg, 1).objective.regularization, 0.5);
        assert_eq!(generate(Size::Tiny, 1).objective.regularization, 0.0);
    }

    #[test]
    #[should_panic(expected = "creators must be >= 3")]
    fn too_few_creators_panics() {
        generate_with(&GenerateConfig { creators: 2, ..GenerateConfig::for_size(Size::Tiny) }, 1);
    }

    #[test]
    fn rounding_goes_the_asked_way_and_survives_json() {
        for x in [0.123456789, 1234567.89, 9.99951e-5, 0.1 + 0.2, 2.5e-3, 123.0, 7.0 / 3.0] {
            let (near, up, down) = (round_sig(x, 3), round_sig_up(x, 3), round_sig_down(x, 3));
            assert!(down <= x && x <= up, "{x}: {down} {up}");
            assert!((near - x).abs() <= (up - down).abs());
            for v in [near, up, down] {
                assert_eq!(serde_json::from_str::<f64>(&serde_json::to_string(&v).unwrap()).unwrap(), v);
            }
        }
        assert_eq!(round_sig(0.0, 3), 0.0);
        assert_eq!(round_dp(0.456, 2), 0.46);
    }

    #[test]
    fn example_day_is_valid_and_uses_every_constraint_type() {
        let day = crate::load(concat!(env!("CARGO_MANIFEST_DIR"), "/example-day.json")).unwrap_or_else(|e| panic!("{e}"));
        assert!(day.warnings.is_empty(), "{:?}", day.warnings);
        let inst = &day.instance;
        assert_eq!(inst.name, "example-day");
        assert_eq!(type_names(inst).len(), ConstraintKind::TYPE_NAMES.len());
        assert!(inst.constraints.iter().any(|c| c.penalty.is_some()), "no soft constraint");
        let groups: HashSet<&str> = inst.creators.iter().map(|c| c.group.as_str()).collect();
        assert_eq!(groups, HashSet::from(["new", "small", "established"]));
    }
}
