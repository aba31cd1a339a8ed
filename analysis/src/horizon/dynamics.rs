//! `agora.dynamics/v1`: how a day's plan changes tomorrow's day. Every parameter has a default
//! and a documented range (docs/horizon.md), and every transition can be switched off.

use std::path::Path;

use agora_instances::Finding;
use serde::{Deserialize, Serialize};

/// The `schema` string of dynamics files.
pub const DYNAMICS_SCHEMA: &str = "agora.dynamics/v1";

/// Creators whose trailing organic exposure is low leave, with their items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Churn {
    /// Whether creators churn.
    pub enabled: bool,
    /// Days of the trailing mean of a creator's organic impressions (1..=90).
    pub window: usize,
    /// A creator whose trailing mean is below this many impressions per day is at risk (>= 0).
    pub threshold: f64,
    /// The daily probability that a creator at risk leaves ([0, 1]).
    pub rate: f64,
}

/// Active creators upload items at a rate that grows with their exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Uploads {
    /// Whether creators upload.
    pub enabled: bool,
    /// Uploads per day of a creator without exposure ([0, 10]).
    pub base: f64,
    /// Extra uploads per day per unit of `ln(1 + E / scale)` ([0, 10]).
    pub elasticity: f64,
    /// The exposure scale `scale` of that logarithm, impressions per day (> 0).
    pub scale: f64,
    /// Standard deviation of a new item's quality around its creator's mean ([0, 1]).
    pub quality_sd: f64,
    /// Log-normal sigma of a new edge's engagement around the creator's mean ([0, 2]).
    pub engagement_sigma: f64,
}

/// How long a new item counts as fresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Freshness {
    /// Whether items age (off: every item keeps its day-0 freshness).
    pub enabled: bool,
    /// Days a new item is fresh (1..=365).
    pub days: u32,
}

/// New creators join, in group `new`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Joins {
    /// Whether creators join.
    pub enabled: bool,
    /// New creators per day (Poisson mean, [0, 1000]).
    pub rate: f64,
    /// Segments a new creator's first item reaches (>= 1).
    pub reach: usize,
}

/// An edge's engagement tires with the share of its segment's impressions it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fatigue {
    /// Whether engagement tires.
    pub enabled: bool,
    /// The factor falls by `rate x share` a day ([0, 1]).
    pub rate: f64,
    /// And recovers by `recovery x (1 - factor)` a day ([0, 1]).
    pub recovery: f64,
    /// The factor never falls below this ((0, 1]).
    pub floor: f64,
}

/// Users come more when a segment's plan engages them more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Users {
    /// Whether supply responds.
    pub enabled: bool,
    /// Supply moves by `elasticity x (epi / epi_0 - 1)` a day ([0, 10]).
    pub elasticity: f64,
    /// ... clipped to at most this relative change a day ([0, 1]).
    pub max_change: f64,
}

/// An `agora.dynamics/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dynamics {
    /// Always [`DYNAMICS_SCHEMA`].
    pub schema: String,
    /// Creator churn.
    pub churn: Churn,
    /// Creator uploads.
    pub uploads: Uploads,
    /// Item freshness.
    pub freshness: Freshness,
    /// New creators.
    pub joins: Joins,
    /// Engagement fatigue.
    pub fatigue: Fatigue,
    /// User supply.
    pub users: Users,
}

impl Default for Churn {
    fn default() -> Self {
        Churn { enabled: true, window: 7, threshold: 50.0, rate: 0.1 }
    }
}
impl Default for Uploads {
    fn default() -> Self {
        Uploads { enabled: true, base: 0.02, elasticity: 0.1, scale: 1000.0, quality_sd: 0.05, engagement_sigma: 0.3 }
    }
}
impl Default for Freshness {
    fn default() -> Self {
        Freshness { enabled: true, days: 3 }
    }
}
impl Default for Joins {
    fn default() -> Self {
        Joins { enabled: true, rate: 0.5, reach: 3 }
    }
}
impl Default for Fatigue {
    fn default() -> Self {
        Fatigue { enabled: true, rate: 0.5, recovery: 0.1, floor: 0.2 }
    }
}
impl Default for Users {
    fn default() -> Self {
        Users { enabled: true, elasticity: 0.5, max_change: 0.02 }
    }
}
impl Default for Dynamics {
    fn default() -> Self {
        Dynamics {
            schema: DYNAMICS_SCHEMA.to_string(),
            churn: Churn::default(),
            uploads: Uploads::default(),
            freshness: Freshness::default(),
            joins: Joins::default(),
            fatigue: Fatigue::default(),
            users: Users::default(),
        }
    }
}

impl Dynamics {
    /// Every transition switched off: each day is the first day again.
    pub fn off() -> Dynamics {
        let mut d = Dynamics::default();
        d.churn.enabled = false;
        d.uploads.enabled = false;
        d.freshness.enabled = false;
        d.joins.enabled = false;
        d.fatigue.enabled = false;
        d.users.enabled = false;
        d
    }

    /// Every value in its range; each error names its field.
    pub fn validate(&self) -> Result<(), Vec<Finding>> {
        let mut errors = Vec::new();
        let mut check = |field: &str, v: f64, lo: f64, hi: f64, open_lo: bool| {
            let ok = v.is_finite() && (if open_lo { v > lo } else { v >= lo }) && v <= hi;
            if !ok {
                let lo_b = if open_lo { "(" } else { "[" };
                errors.push(Finding { entity: "dynamics".into(), field: field.into(), message: format!("must be in {lo_b}{lo}, {hi}], got {v}") });
            }
        };
        if self.schema != DYNAMICS_SCHEMA {
            check("schema", f64::NAN, 0.0, 0.0, false);
        }
        check("churn.window", self.churn.window as f64, 1.0, 90.0, false);
        check("churn.threshold", self.churn.threshold, 0.0, 1e12, false);
        check("churn.rate", self.churn.rate, 0.0, 1.0, false);
        check("uploads.base", self.uploads.base, 0.0, 10.0, false);
        check("uploads.elasticity", self.uploads.elasticity, 0.0, 10.0, false);
        check("uploads.scale", self.uploads.scale, 0.0, 1e12, true);
        check("uploads.quality_sd", self.uploads.quality_sd, 0.0, 1.0, false);
        check("uploads.engagement_sigma", self.uploads.engagement_sigma, 0.0, 2.0, false);
        check("freshness.days", self.freshness.days as f64, 1.0, 365.0, false);
        check("joins.rate", self.joins.rate, 0.0, 1000.0, false);
        check("joins.reach", self.joins.reach as f64, 1.0, 1e6, false);
        check("fatigue.rate", self.fatigue.rate, 0.0, 1.0, false);
        check("fatigue.recovery", self.fatigue.recovery, 0.0, 1.0, false);
        check("fatigue.floor", self.fatigue.floor, 0.0, 1.0, true);
        check("users.elasticity", self.users.elasticity, 0.0, 10.0, false);
        check("users.max_change", self.users.max_change, 0.0, 1.0, false);
        if let Some(e) = errors.iter_mut().find(|e| e.field == "schema") {
            e.message = format!("must be \"{DYNAMICS_SCHEMA}\", got \"{}\"", agora_instances::limits::excerpt(&self.schema));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Reads and validates a dynamics file (default read options).
    pub fn load(path: &Path) -> Result<Dynamics, agora_instances::LoadError> {
        Dynamics::load_with(path, &agora_instances::ReadOptions::default())
    }

    /// [`Dynamics::load`], reading under `opts` (a regular file within the input limit).
    pub fn load_with(path: &Path, opts: &agora_instances::ReadOptions) -> Result<Dynamics, agora_instances::LoadError> {
        let text = agora_instances::read_input(path, opts)?;
        agora_instances::parse_json_with(&text, path, |d: Dynamics| d.validate().map(|_| d))
    }

    /// An upper bound of how large the day grows over `days` days under these dynamics, from
    /// day 0 `inst`: new creators at `joins.rate` a day (each an item on `joins.reach`
    /// segments), and uploads at their most, every creator uploading `base + elasticity
    /// ln(1 + E / scale)` items a day with the day's whole supply `S` shared among the `C`
    /// creators (the sum is largest when shared evenly: `C (base + elasticity ln(1 + S / (C
    /// scale)))`), each upload an edge on every segment. Churn is left out (it only shrinks).
    pub fn projected_growth(&self, inst: &agora_instances::Instance, days: usize) -> Growth {
        let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
        let n_seg = inst.segments.len().max(1) as f64;
        let (mut creators, mut edges, mut uploads_per_day) = (inst.creators.len() as f64, inst.edges.len() as f64, 0.0);
        for _ in 0..days {
            if self.uploads.enabled && creators > 0.0 {
                let per_creator = self.uploads.base + self.uploads.elasticity * (1.0 + supply / (creators * self.uploads.scale)).ln();
                uploads_per_day = creators * per_creator;
                edges += uploads_per_day * n_seg;
            }
            if self.joins.enabled {
                creators += self.joins.rate;
                edges += self.joins.rate * (self.joins.reach as f64).min(n_seg);
            }
            if edges > 1e15 {
                break;
            }
        }
        Growth { creators, edges, uploads_per_day }
    }

    /// Refuses dynamics that would grow `inst` past [`MAX_DAY_EDGES`] within `days` days, with
    /// the projection and the way out.
    pub fn check_tractable(&self, inst: &agora_instances::Instance, days: usize) -> Result<(), String> {
        let g = self.projected_growth(inst, days);
        if g.edges <= MAX_DAY_EDGES {
            return Ok(());
        }
        Err(format!(
            "dynamics: by day {days} the day could grow to about {:.0} creators (joins {} a day) uploading up to {:.0} items a day, up to {:.2e} edges, past the {MAX_DAY_EDGES:.0e} edges a horizon's day may have (each day is a solve: the run would take hours); lower joins.rate or uploads.elasticity, raise uploads.scale, or simulate fewer days (docs/horizon.md, \"Limits\")",
            g.creators,
            if self.joins.enabled { self.joins.rate } else { 0.0 },
            g.uploads_per_day,
            g.edges
        ))
    }
}

/// How large a horizon's day may grow ([`Dynamics::projected_growth`]): its last day's creators
/// and edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// Creators on the last day (joins added, churn left out).
    pub creators: f64,
    /// Edges on the last day, at most.
    pub edges: f64,
    /// Items uploaded on the last day, at most.
    pub uploads_per_day: f64,
}

/// The most edges a horizon's day may grow to: each day of the simulation is a solve, and a day
/// of 2 x 10^6 edges takes 10 s or more to solve, so a run of hundreds of such days per policy and
/// replica takes hours. Settings whose [`Dynamics::projected_growth`] passes this are refused
/// before the first day (docs/horizon.md, "Limits").
pub const MAX_DAY_EDGES: f64 = 2e6;
