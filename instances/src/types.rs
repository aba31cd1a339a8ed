//! The validated data model of an `agora.instance/v1` day.
//!
//! Entities refer to each other by index (not by id string) once validated: an [`Edge`] holds the
//! indices of its segment and item, an [`Item`] the index of its creator or campaign. Ids are kept
//! on the entities for output. Build an [`Instance`] from a file with [`crate::load`], from a parsed
//! [`crate::InstanceFile`] with [`crate::InstanceFile::validate`], or with [`crate::generate`].

/// The `schema` string of version 1 instance files.
pub const INSTANCE_SCHEMA: &str = "agora.instance/v1";

/// A validated day: every reference resolves, every number is in range.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub objective: Objective,
    pub segments: Vec<Segment>,
    pub creators: Vec<Creator>,
    pub campaigns: Vec<Campaign>,
    pub items: Vec<Item>,
    pub edges: Vec<Edge>,
    pub constraints: Vec<Constraint>,
}

/// Objective weights (spec section 3). `engagement` and `revenue` default to 1, the rest to 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    pub engagement: f64,
    pub quality: f64,
    pub revenue: f64,
    pub integrity_risk: f64,
    /// `rho`: the weight of the quadratic term; 0 makes the model an LP.
    pub regularization: f64,
}

impl Default for Objective {
    fn default() -> Self {
        Objective { engagement: 1.0, quality: 0.0, revenue: 1.0, integrity_risk: 0.0, regularization: 0.0 }
    }
}

/// A cohort of users; `supply` is the impressions it will see today.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: String,
    pub supply: f64,
    pub tags: Vec<String>,
}

/// A producer of organic content.
#[derive(Debug, Clone, PartialEq)]
pub struct Creator {
    pub id: String,
    /// `new`, `small`, `established`, ...; `default` when the file gives none.
    pub group: String,
}

/// An advertiser's campaign with a daily budget (currency).
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: String,
    pub budget: f64,
}

/// Who an item belongs to: organic items have a creator, ads a campaign (indices into the
/// instance's `creators` / `campaigns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Creator(usize),
    Campaign(usize),
}

/// Organic content or an ad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Organic,
    Ad,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Organic => "organic",
            ItemKind::Ad => "ad",
        }
    }
}

/// A piece of content.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub owner: Owner,
    pub topic: String,
    pub quality: f64,
    /// Probability that an impression breaks policy.
    pub risk: f64,
    pub fresh: bool,
    /// Bound on the item's impressions across all segments.
    pub cap: Option<f64>,
}

impl Item {
    pub fn kind(&self) -> ItemKind {
        match self.owner {
            Owner::Creator(_) => ItemKind::Organic,
            Owner::Campaign(_) => ItemKind::Ad,
        }
    }
    pub fn creator(&self) -> Option<usize> {
        match self.owner {
            Owner::Creator(c) => Some(c),
            Owner::Campaign(_) => None,
        }
    }
    pub fn campaign(&self) -> Option<usize> {
        match self.owner {
            Owner::Campaign(a) => Some(a),
            Owner::Creator(_) => None,
        }
    }
}

/// "The item may be shown to the segment." Indices into `segments` and `items`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub segment: usize,
    pub item: usize,
    /// Predicted user value per impression.
    pub engagement: f64,
    /// Expected revenue per impression (0 for organic items).
    pub price: f64,
    pub cap: Option<f64>,
}

/// A named rule from the instance's `constraints` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub name: String,
    /// When set, the rule is soft: violating it by `v` costs `penalty * v` in the objective.
    pub penalty: Option<f64>,
    pub kind: ConstraintKind,
}

/// The constraint types of spec section 3, with their fields.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    AdLoad { segments: SegmentSelector, max_share: f64 },
    RevenueFloor { min: f64 },
    ExposureFloor { items: ItemSelector, segments: SegmentSelector, min: f64 },
    ExposureCap { items: ItemSelector, segments: SegmentSelector, max: f64 },
    IntegrityCap { segments: SegmentSelector, max_share: f64 },
    TopicCap { segments: SegmentSelector, max_share: f64 },
    FreshnessFloor { segments: SegmentSelector, min_share: f64 },
    ExposureParity { groups: Vec<String>, tolerance: f64 },
}

impl ConstraintKind {
    /// The spec's `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            ConstraintKind::AdLoad { .. } => "ad_load",
            ConstraintKind::RevenueFloor { .. } => "revenue_floor",
            ConstraintKind::ExposureFloor { .. } => "exposure_floor",
            ConstraintKind::ExposureCap { .. } => "exposure_cap",
            ConstraintKind::IntegrityCap { .. } => "integrity_cap",
            ConstraintKind::TopicCap { .. } => "topic_cap",
            ConstraintKind::FreshnessFloor { .. } => "freshness_floor",
            ConstraintKind::ExposureParity { .. } => "exposure_parity",
        }
    }

    /// Every constraint type this version understands.
    pub const TYPE_NAMES: [&'static str; 8] = [
        "ad_load",
        "revenue_floor",
        "exposure_floor",
        "exposure_cap",
        "integrity_cap",
        "topic_cap",
        "freshness_floor",
        "exposure_parity",
    ];

    /// The name of the field whose value the rule's shadow price differentiates against.
    pub fn parameter_field(&self) -> &'static str {
        match self {
            ConstraintKind::AdLoad { .. } | ConstraintKind::IntegrityCap { .. } | ConstraintKind::TopicCap { .. } => "max_share",
            ConstraintKind::RevenueFloor { .. } | ConstraintKind::ExposureFloor { .. } => "min",
            ConstraintKind::ExposureCap { .. } => "max",
            ConstraintKind::FreshnessFloor { .. } => "min_share",
            ConstraintKind::ExposureParity { .. } => "tolerance",
        }
    }
}

/// Which segments a rule applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentSelector {
    /// `"*"` or absent.
    All,
    /// A list of segment ids.
    Ids(Vec<String>),
    /// `{"tag": t}`: the segments carrying tag `t`.
    Tag(String),
}

/// Which items a rule applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemSelector {
    Creator(String),
    CreatorGroup(String),
    Campaign(String),
    Topic(String),
    Kind(ItemKind),
    Ids(Vec<String>),
}

impl Instance {
    /// Indices of the segments `sel` picks, in instance order.
    pub fn select_segments(&self, sel: &SegmentSelector) -> Vec<usize> {
        match sel {
            SegmentSelector::All => (0..self.segments.len()).collect(),
            SegmentSelector::Ids(ids) => {
                let mut picked: Vec<usize> = (0..self.segments.len())
                    .filter(|&s| ids.iter().any(|id| *id == self.segments[s].id))
                    .collect();
                picked.dedup();
                picked
            }
            SegmentSelector::Tag(t) => (0..self.segments.len()).filter(|&s| self.segments[s].tags.iter().any(|x| x == t)).collect(),
        }
    }

    /// Whether item `i` is picked by `sel`.
    pub fn item_matches(&self, sel: &ItemSelector, i: usize) -> bool {
        let item = &self.items[i];
        match sel {
            ItemSelector::Creator(id) => item.creator().is_some_and(|c| self.creators[c].id == *id),
            ItemSelector::CreatorGroup(g) => item.creator().is_some_and(|c| self.creators[c].group == *g),
            ItemSelector::Campaign(id) => item.campaign().is_some_and(|a| self.campaigns[a].id == *id),
            ItemSelector::Topic(t) => item.topic == *t,
            ItemSelector::Kind(k) => item.kind() == *k,
            ItemSelector::Ids(ids) => ids.contains(&item.id),
        }
    }

    /// A mask over items: `true` where `sel` picks the item.
    pub fn select_items(&self, sel: &ItemSelector) -> Vec<bool> {
        (0..self.items.len()).map(|i| self.item_matches(sel, i)).collect()
    }

    /// The day's size in words: `6 segments, 8 creators, 3 campaigns, 21 items, 86 edges, 9 constraints`.
    pub fn shape(&self) -> String {
        format!(
            "{} segments, {} creators, {} campaigns, {} items, {} edges, {} constraints",
            self.segments.len(),
            self.creators.len(),
            self.campaigns.len(),
            self.items.len(),
            self.edges.len(),
            self.constraints.len()
        )
    }

    /// Whether edge `e` shows an ad.
    pub fn is_ad_edge(&self, e: usize) -> bool {
        self.items[self.edges[e].item].kind() == ItemKind::Ad
    }
}
