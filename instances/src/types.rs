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
    /// The day's `name`; a solution names its instance by it.
    pub name: String,
    /// The objective weights, defaults filled in where the file omits them.
    pub objective: Objective,
    /// The user cohorts, in file order; edges and selectors refer to them by index.
    pub segments: Vec<Segment>,
    /// The creators of organic items, in file order (empty when the file lists none).
    pub creators: Vec<Creator>,
    /// The advertisers' campaigns, in file order (empty when the file lists none).
    pub campaigns: Vec<Campaign>,
    /// The content, organic items and ads, in file order.
    pub items: Vec<Item>,
    /// The (segment, item) pairs that may be served, one variable `x_e` (impressions) each; a plan lists impressions in this order.
    pub edges: Vec<Edge>,
    /// The rules of the file's `constraints` list, in file order.
    pub constraints: Vec<Constraint>,
    /// What each edge's engagement rests on (`n`, `engagement_lcb`, `engagement_ucb`, written by
    /// `agora estimate`): empty when no edge of the file carries those fields, else one entry per
    /// edge in edge order. Read it through [`Instance::evidence`], which also answers for edges
    /// appended later (what-if items, new uploads): they have no logged rounds.
    pub evidence: Vec<Evidence>,
}

/// What an edge's `engagement` rests on when it was estimated from logged feedback: the number of
/// logged rounds and a 95% interval (agora's addition to the edge, see docs/estimates.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// `n`: logged rounds in which the edge's item was shown to the segment (0: never logged).
    pub n: u64,
    /// `engagement_lcb`: the lower end of the 95% interval of the edge's engagement.
    pub lcb: f64,
    /// `engagement_ucb`: the upper end of the 95% interval of the edge's engagement.
    pub ucb: f64,
}

/// Which engagement of an edge the objective uses (`objective.engagement_estimate`, agora's
/// addition): the point estimate, or an end of its interval, to plan under uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngagementEstimate {
    /// `point`: the edge's `engagement` (the default, and the only choice of version 1's spec).
    #[default]
    Point,
    /// `pessimistic`: the interval's lower end `engagement_lcb`: edges with little evidence pay for it.
    Pessimistic,
    /// `optimistic`: the interval's upper end `engagement_ucb`: optimism in the face of uncertainty.
    Optimistic,
}

impl EngagementEstimate {
    /// The name in the file format.
    pub fn as_str(self) -> &'static str {
        match self {
            EngagementEstimate::Point => "point",
            EngagementEstimate::Pessimistic => "pessimistic",
            EngagementEstimate::Optimistic => "optimistic",
        }
    }

    /// Every choice, for error messages and parsing.
    pub const ALL: [EngagementEstimate; 3] = [EngagementEstimate::Point, EngagementEstimate::Pessimistic, EngagementEstimate::Optimistic];

    /// The choice named `s` in the file format, if any.
    pub fn parse(s: &str) -> Option<EngagementEstimate> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Objective weights (spec section 3). `engagement` and `revenue` default to 1, the rest to 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// `w_engagement`: the weight of predicted engagement, `engagement_e * x_e`.
    pub engagement: f64,
    /// `w_quality`: the weight of item quality per impression, `quality_i * x_e`.
    pub quality: f64,
    /// `w_revenue`: the weight of revenue (currency), `price_e * x_e`.
    pub revenue: f64,
    /// `w_integrity_risk`: the weight subtracted per expected policy-breaking impression, `risk_i * x_e`.
    pub integrity_risk: f64,
    /// `rho`: the weight of the quadratic term; 0 makes the model an LP.
    pub regularization: f64,
    /// Which engagement of each edge the objective uses (point unless the file says otherwise).
    pub engagement_estimate: EngagementEstimate,
}

impl Default for Objective {
    fn default() -> Self {
        Objective { engagement: 1.0, quality: 0.0, revenue: 1.0, integrity_risk: 0.0, regularization: 0.0, engagement_estimate: EngagementEstimate::Point }
    }
}

/// A cohort of users; `supply` is the impressions it will see today.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Unique id, as written in the file.
    pub id: String,
    /// Impressions the segment will see today (> 0): the bound of its `supply[s]` row.
    pub supply: f64,
    /// Labels that `{"tag": t}` segment selectors match (empty when the file gives none).
    pub tags: Vec<String>,
}

/// A producer of organic content.
#[derive(Debug, Clone, PartialEq)]
pub struct Creator {
    /// Unique id, as written in the file.
    pub id: String,
    /// `new`, `small`, `established`, ...; `default` when the file gives none.
    pub group: String,
}

/// An advertiser's campaign with a daily budget (currency).
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Unique id, as written in the file.
    pub id: String,
    /// Daily budget (currency, >= 0): bounds the campaign's spend `sum price_e x_e` in its `budget[a]` row.
    pub budget: f64,
}

/// Who an item belongs to: organic items have a creator, ads a campaign (indices into the
/// instance's `creators` / `campaigns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An organic item's creator, by index into `creators`.
    Creator(usize),
    /// An ad's campaign, by index into `campaigns`.
    Campaign(usize),
}

/// Organic content or an ad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// Content from a creator; its edges have price 0.
    Organic,
    /// Content paid for by an advertiser's campaign.
    Ad,
}

impl ItemKind {
    /// The kind's name in the file format (`{"kind": ...}` selectors): `organic` or `ad`.
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
    /// Unique id, as written in the file.
    pub id: String,
    /// The creator (organic item) or campaign (ad) the item belongs to.
    pub owner: Owner,
    /// Topic label, matched by `topic` selectors and grouped by `topic_cap` rows.
    pub topic: String,
    /// Quality in [0, 1]: the item's `quality` objective term per impression and, for an organic item, its merit in `exposure_parity`.
    pub quality: f64,
    /// Probability that an impression breaks policy.
    pub risk: f64,
    /// Whether the item counts as fresh for `freshness_floor` rows.
    pub fresh: bool,
    /// Bound on the item's impressions across all segments.
    pub cap: Option<f64>,
}

impl Item {
    /// Organic when the item has a creator, ad when it has a campaign.
    pub fn kind(&self) -> ItemKind {
        match self.owner {
            Owner::Creator(_) => ItemKind::Organic,
            Owner::Campaign(_) => ItemKind::Ad,
        }
    }
    /// The index of the item's creator; `None` for an ad.
    pub fn creator(&self) -> Option<usize> {
        match self.owner {
            Owner::Creator(c) => Some(c),
            Owner::Campaign(_) => None,
        }
    }
    /// The index of the item's campaign; `None` for an organic item.
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
    /// Index into the instance's `segments`.
    pub segment: usize,
    /// Index into the instance's `items`.
    pub item: usize,
    /// Predicted user value per impression.
    pub engagement: f64,
    /// Expected revenue per impression (0 for organic items).
    pub price: f64,
    /// Bound on this edge's impressions `x_e` (> 0); `None` when unbounded.
    pub cap: Option<f64>,
}

/// A named rule from the instance's `constraints` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// Unique name; the constraint's rows are named `NAME` or `NAME[...]` after it.
    pub name: String,
    /// When set, the rule is soft: violating it by `v` costs `penalty * v` in the objective.
    pub penalty: Option<f64>,
    /// The constraint's type and the fields of that type.
    pub kind: ConstraintKind,
}

/// The constraint types of spec section 3, with their fields.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    /// `ad_load`: in each selected segment, ad impressions are at most `max_share * T_s`.
    AdLoad {
        /// The segments it applies to, one row `NAME[s]` each.
        segments: SegmentSelector,
        /// The largest share of a segment's impressions that may be ads, in [0, 1].
        max_share: f64,
    },
    /// `revenue_floor`: total ad revenue `sum price_e x_e` is at least `min` (one row).
    RevenueFloor {
        /// The least revenue (currency, >= 0).
        min: f64,
    },
    /// `exposure_floor`: the impressions of the selected items in the selected segments are at least `min` (one row).
    ExposureFloor {
        /// The items counted.
        items: ItemSelector,
        /// The segments counted (all when the file omits `segments`).
        segments: SegmentSelector,
        /// The least impressions (>= 0).
        min: f64,
    },
    /// `exposure_cap`: the impressions of the selected items in the selected segments are at most `max` (one row).
    ExposureCap {
        /// The items counted.
        items: ItemSelector,
        /// The segments counted (all when the file omits `segments`).
        segments: SegmentSelector,
        /// The most impressions (>= 0).
        max: f64,
    },
    /// `integrity_cap`: in each selected segment, expected policy-breaking impressions `sum risk_i x_e` are at most `max_share * T_s`.
    IntegrityCap {
        /// The segments it applies to, one row `NAME[s]` each.
        segments: SegmentSelector,
        /// The largest expected share of a segment's impressions that break policy, in [0, 1].
        max_share: f64,
    },
    /// `topic_cap`: in each selected segment, each topic's impressions are at most `max_share * T_s`.
    TopicCap {
        /// The segments it applies to, one row `NAME[s,t]` per topic with an edge there.
        segments: SegmentSelector,
        /// The largest share of a segment's impressions any one topic may take, in [0, 1].
        max_share: f64,
    },
    /// `freshness_floor`: in each selected segment, impressions of fresh items are at least `min_share * T_s`.
    FreshnessFloor {
        /// The segments it applies to, one row `NAME[s]` each.
        segments: SegmentSelector,
        /// The least share of a segment's impressions that must go to fresh items, in [0, 1].
        min_share: f64,
    },
    /// `exposure_floor` for the unproven (agora's addition): in each selected segment, every edge
    /// with fewer than `max_n` logged rounds gets at least `min_share * T_s` impressions.
    ExplorationFloor {
        /// The segments it applies to, one row `NAME[s,i]` per edge of theirs with `n < max_n`.
        segments: SegmentSelector,
        /// The least share of its segment's impressions each such edge gets, in [0, 1].
        min_share: f64,
        /// Edges with fewer logged rounds than this are explored (edges without `n` have 0).
        max_n: u64,
    },
    /// `exposure_parity`: each listed creator group's organic impressions per unit of merit are at least `1 - tolerance` times every other's.
    ExposureParity {
        /// The creator groups compared (at least 2 distinct), one row `NAME[g,h]` per ordered pair.
        groups: Vec<String>,
        /// The allowed relative shortfall, in [0, 1).
        tolerance: f64,
    },
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
            ConstraintKind::ExplorationFloor { .. } => "exploration_floor",
            ConstraintKind::ExposureParity { .. } => "exposure_parity",
        }
    }

    /// Every constraint type this version understands.
    pub const TYPE_NAMES: [&'static str; 9] =
        ["ad_load", "revenue_floor", "exposure_floor", "exposure_cap", "integrity_cap", "topic_cap", "freshness_floor", "exploration_floor", "exposure_parity"];

    /// The name of the field whose value the rule's shadow price differentiates against.
    pub fn parameter_field(&self) -> &'static str {
        match self {
            ConstraintKind::AdLoad { .. } | ConstraintKind::IntegrityCap { .. } | ConstraintKind::TopicCap { .. } => "max_share",
            ConstraintKind::RevenueFloor { .. } | ConstraintKind::ExposureFloor { .. } => "min",
            ConstraintKind::ExposureCap { .. } => "max",
            ConstraintKind::FreshnessFloor { .. } | ConstraintKind::ExplorationFloor { .. } => "min_share",
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
    /// `{"creator": id}`: the organic items of that creator.
    Creator(String),
    /// `{"creator_group": g}`: the organic items of creators in group `g`.
    CreatorGroup(String),
    /// `{"campaign": id}`: the ads of that campaign.
    Campaign(String),
    /// `{"topic": t}`: the items (organic and ads) whose topic is `t`.
    Topic(String),
    /// `{"kind": "ad"}` or `{"kind": "organic"}`: every item of that kind.
    Kind(ItemKind),
    /// `{"ids": [..]}`: the items with these ids.
    Ids(Vec<String>),
}

impl Instance {
    /// The edge between each `(segment id, item id)` pair, `None` where there is none (or an id
    /// is unknown). The pairs are indexed, not the day's edges, whose ids are each looked up
    /// once: finding a plan's few thousand entries in a day of 10^7 edges builds no index of the
    /// day's ids.
    pub fn edges_of(&self, pairs: &[(&str, &str)]) -> Vec<Option<usize>> {
        let segment_of: rustc_hash::FxHashMap<&str, u32> = self.segments.iter().enumerate().map(|(s, seg)| (seg.id.as_str(), s as u32)).collect();
        let item_of: rustc_hash::FxHashMap<&str, u32> = self.items.iter().enumerate().map(|(i, item)| (item.id.as_str(), i as u32)).collect();
        let keys: Vec<Option<(u32, u32)>> = pairs.iter().map(|(s, i)| Some((*segment_of.get(s)?, *item_of.get(i)?))).collect();
        let mut edge_of: rustc_hash::FxHashMap<(u32, u32), usize> = keys.iter().flatten().map(|&k| (k, usize::MAX)).collect();
        if !edge_of.is_empty() {
            for (e, edge) in self.edges.iter().enumerate() {
                if let Some(slot) = edge_of.get_mut(&(edge.segment as u32, edge.item as u32)) {
                    *slot = e;
                }
            }
        }
        keys.iter().map(|k| k.and_then(|k| edge_of.get(&k).copied().filter(|&e| e != usize::MAX))).collect()
    }

    /// The day without its edges: segments, creators, campaigns, items and constraints only
    /// (cheap beside a 10^7-edge day's edges; what columnar files and content hashes write).
    pub fn without_edges(&self) -> Instance {
        Instance {
            name: self.name.clone(),
            objective: self.objective,
            segments: self.segments.clone(),
            creators: self.creators.clone(),
            campaigns: self.campaigns.clone(),
            items: self.items.clone(),
            edges: Vec::new(),
            constraints: self.constraints.clone(),
            evidence: Vec::new(),
        }
    }

    /// What edge `e`'s engagement rests on: its [`Evidence`] when the day has some, else no
    /// logged rounds and the point estimate as both ends of the interval.
    pub fn evidence(&self, e: usize) -> Evidence {
        self.evidence.get(e).copied().unwrap_or_else(|| {
            let g = self.edges[e].engagement;
            Evidence { n: 0, lcb: g, ucb: g }
        })
    }

    /// The rows of an `exploration_floor`: `(segment, edge)` for every edge of a selected segment
    /// with fewer than `max_n` logged rounds, segments in instance order, then edges in instance
    /// order (the order of the rows `NAME[s,i]`).
    pub fn explored_edges(&self, segments: &SegmentSelector, max_n: u64) -> Vec<(usize, usize)> {
        let mut picked = vec![false; self.segments.len()];
        for s in self.select_segments(segments) {
            picked[s] = true;
        }
        let mut out: Vec<(usize, usize)> =
            (0..self.edges.len()).filter(|&e| picked[self.edges[e].segment] && self.evidence(e).n < max_n).map(|e| (self.edges[e].segment, e)).collect();
        out.sort_by_key(|&(s, e)| (s, e));
        out
    }

    /// `engagement_e` as the objective reads it: the point estimate or an end of its interval,
    /// as `objective.engagement_estimate` says. Everything that values a plan's engagement
    /// (the objective, its terms, frontiers) goes through here.
    pub fn planned_engagement(&self, e: usize) -> f64 {
        match self.objective.engagement_estimate {
            EngagementEstimate::Point => self.edges[e].engagement,
            EngagementEstimate::Pessimistic => self.evidence(e).lcb,
            EngagementEstimate::Optimistic => self.evidence(e).ucb,
        }
    }

    /// Indices of the segments `sel` picks, in instance order.
    pub fn select_segments(&self, sel: &SegmentSelector) -> Vec<usize> {
        match sel {
            SegmentSelector::All => (0..self.segments.len()).collect(),
            SegmentSelector::Ids(ids) => {
                let mut picked: Vec<usize> = (0..self.segments.len()).filter(|&s| ids.iter().any(|id| *id == self.segments[s].id)).collect();
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
        self.shape_with_edges(self.edges.len())
    }

    /// [`Instance::shape`] with the day's edge count given (a shard holds only some of them).
    pub fn shape_with_edges(&self, edges: usize) -> String {
        format!(
            "{} segments, {} creators, {} campaigns, {} items, {} edges, {} constraints",
            self.segments.len(),
            self.creators.len(),
            self.campaigns.len(),
            self.items.len(),
            edges,
            self.constraints.len()
        )
    }

    /// Whether edge `e` shows an ad.
    pub fn is_ad_edge(&self, e: usize) -> bool {
        self.items[self.edges[e].item].kind() == ItemKind::Ad
    }
}

#[cfg(test)]
mod tests {
    /// Each pair finds its edge, or none: unknown ids, known ids without an edge between them; a
    /// pair listed twice finds its edge twice.
    #[test]
    fn pairs_of_ids_find_their_edges() {
        let day = crate::generate(crate::Size::Tiny, 1);
        let id = |e: usize| (day.segments[day.edges[e].segment].id.as_str(), day.items[day.edges[e].item].id.as_str());
        let (s0, i0) = id(0);
        let unlinked =
            day.items.iter().map(|i| i.id.as_str()).find(|&i| !(0..day.edges.len()).any(|e| id(e) == (s0, i))).expect("an item without an edge to the segment");
        let pairs = [id(3), ("no-such-segment", i0), (s0, "no-such-item"), (s0, unlinked), id(0), id(3)];
        assert_eq!(day.edges_of(&pairs), vec![Some(3), None, None, None, Some(0), Some(3)]);
        assert_eq!(day.edges_of(&[]), Vec::<Option<usize>>::new());
    }
}
