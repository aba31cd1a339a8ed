//! The `agora.instance/v1` file format: permissive serde types that mirror the JSON exactly, and
//! their conversion to and from the validated [`Instance`].
//!
//! Every field is optional here so that a file with several mistakes can be read whole and all of
//! its mistakes reported at once by [`InstanceFile::validate`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::types::*;

/// An instance file as written, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstanceFile {
    /// `schema`: must be `agora.instance/v1`; absence is an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `name`: the day's name; absence is an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `objective`: the weights; absent means every default (engagement and revenue 1, the rest 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<ObjectiveFile>,
    /// Required; `None` when the file has no `segments` key (one error, not one per reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<SegmentFile>>,
    /// `creators`; absent means none.
    #[serde(default)]
    pub creators: Vec<CreatorFile>,
    /// `campaigns`; absent means none.
    #[serde(default)]
    pub campaigns: Vec<CampaignFile>,
    /// Required; `None` when the file has no `items` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemFile>>,
    /// Required unless `edges_file` names the edges; `None` when the file has no `edges` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<EdgeFile>>,
    /// A CSV file of edges, relative to the instance file, instead of inline `edges` (agora's
    /// addition for large days; see [`crate::columnar`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges_file: Option<String>,
    /// `constraints`; absent means none.
    #[serde(default)]
    pub constraints: Vec<ConstraintFile>,
    /// Fields this version does not know; reported as warnings.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `objective` object: the objective's weights, each optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectiveFile {
    /// `engagement`: the weight of predicted engagement; absent means 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement: Option<f64>,
    /// `quality`: the weight of item quality; absent means 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<f64>,
    /// `revenue`: the weight of revenue; absent means 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<f64>,
    /// `integrity_risk`: the weight of expected policy-breaking impressions; absent means 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity_risk: Option<f64>,
    /// `regularization`: `rho` (>= 0), the weight of the quadratic term; absent means 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regularization: Option<f64>,
    /// `engagement_estimate`: `point`, `pessimistic` or `optimistic` (agora's addition: which end of
    /// each edge's engagement interval the objective uses); absent means `point`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement_estimate: Option<String>,
    /// Unknown weights are errors: a misspelt weight would silently count as 0.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `segments`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SegmentFile {
    /// `id`: unique among segments; absence is an error.
    pub id: Option<String>,
    /// `supply`: impressions the segment sees today (> 0); absence is an error.
    pub supply: Option<f64>,
    /// `tags`; absent means none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `creators`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreatorFile {
    /// `id`: unique among creators; absence is an error.
    pub id: Option<String>,
    /// `group`, such as `new`, `small` or `established`; absent means `"default"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `campaigns`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CampaignFile {
    /// `id`: unique among campaigns; absence is an error.
    pub id: Option<String>,
    /// `budget`: the daily budget (currency, >= 0); absence is an error.
    pub budget: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `items`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemFile {
    /// `id`: unique among items; absence is an error.
    pub id: Option<String>,
    /// `creator`: the id of the creator of an organic item; exactly one of `creator` and `campaign` must be given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// `campaign`: the id of the campaign of an ad; exactly one of `creator` and `campaign` must be given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `topic`; absence is an error.
    pub topic: Option<String>,
    /// `quality`, in [0, 1]; absence is an error.
    pub quality: Option<f64>,
    /// `risk`: the probability that an impression breaks policy, in [0, 1]; absence is an error.
    pub risk: Option<f64>,
    /// `fresh`; absence is an error (it does not mean `false`).
    pub fresh: Option<bool>,
    /// `cap`: the most impressions of the item across all segments (> 0); absent means no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of inline `edges`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EdgeFile {
    /// `segment`: the id of the segment; absence is an error.
    pub segment: Option<String>,
    /// `item`: the id of the item; absence is an error.
    pub item: Option<String>,
    /// `engagement`: predicted user value per impression (>= 0); absence is an error.
    pub engagement: Option<f64>,
    /// Defaults to 0 when absent (organic edges need not write it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// `cap`: the most impressions on this edge (> 0); absent means no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
    /// `n`: logged rounds behind `engagement` (a whole number >= 0; agora's addition, written by
    /// `agora estimate`); absent means 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<f64>,
    /// `engagement_lcb`: the lower end of engagement's 95% interval (<= `engagement`); absent means `engagement`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement_lcb: Option<f64>,
    /// `engagement_ucb`: the upper end of engagement's 95% interval (>= `engagement`); absent means `engagement`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement_ucb: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `constraints`: the fields its `type` has (any other is an error), the rest absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConstraintFile {
    /// `name`: unique among constraints, names its rows; absence is an error.
    pub name: Option<String>,
    /// `type`: one of [`ConstraintKind::TYPE_NAMES`]; absence is an error.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `segments`: a segment selector (`"*"`, a list of ids or `{"tag": t}`) as raw JSON; absent means every segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Value>,
    /// `items`: an item selector object as raw JSON; `exposure_floor` and `exposure_cap` require it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Value>,
    /// `max_share`, in [0, 1]; required by `ad_load`, `integrity_cap` and `topic_cap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
    /// `min_share`, in [0, 1]; required by `freshness_floor` and `exploration_floor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_share: Option<f64>,
    /// `max_n`: a whole number >= 1; required by `exploration_floor` (edges with fewer logged rounds are explored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_n: Option<f64>,
    /// `min` (>= 0; currency for `revenue_floor`, impressions for `exposure_floor`); required by both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// `max`: the most impressions (>= 0); required by `exposure_cap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// `groups`: at least 2 distinct creator groups; required by `exposure_parity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// `tolerance`, in [0, 1); required by `exposure_parity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// `penalty`: the objective's cost per unit of violation (> 0), making the rule soft; absent means hard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f64>,
    /// Fields no constraint type has: errors.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn segment_selector_value(sel: &SegmentSelector) -> Value {
    match sel {
        SegmentSelector::All => Value::from("*"),
        SegmentSelector::Ids(ids) => Value::from(ids.clone()),
        SegmentSelector::Tag(t) => serde_json::json!({ "tag": t }),
    }
}

fn item_selector_value(sel: &ItemSelector) -> Value {
    match sel {
        ItemSelector::Creator(x) => serde_json::json!({ "creator": x }),
        ItemSelector::CreatorGroup(x) => serde_json::json!({ "creator_group": x }),
        ItemSelector::Campaign(x) => serde_json::json!({ "campaign": x }),
        ItemSelector::Topic(x) => serde_json::json!({ "topic": x }),
        ItemSelector::Kind(k) => serde_json::json!({ "kind": k.as_str() }),
        ItemSelector::Ids(ids) => serde_json::json!({ "ids": ids }),
    }
}

impl From<&Instance> for InstanceFile {
    fn from(inst: &Instance) -> Self {
        InstanceFile::of(inst, true)
    }
}

impl InstanceFile {
    /// The file of `inst`, with its edges inline when `with_edges`, else none (the head: what the
    /// content hash serialises, without copying the day's edges away first).
    pub(crate) fn of(inst: &Instance, with_edges: bool) -> Self {
        let o = inst.objective;
        InstanceFile {
            schema: Some(INSTANCE_SCHEMA.to_string()),
            name: Some(inst.name.clone()),
            objective: Some(ObjectiveFile {
                engagement: Some(o.engagement),
                quality: Some(o.quality),
                revenue: Some(o.revenue),
                integrity_risk: Some(o.integrity_risk),
                regularization: Some(o.regularization),
                engagement_estimate: (o.engagement_estimate != EngagementEstimate::Point).then(|| o.engagement_estimate.as_str().to_string()),
                extra: BTreeMap::new(),
            }),
            segments: Some(
                inst.segments
                    .iter()
                    .map(|s| SegmentFile { id: Some(s.id.clone()), supply: Some(s.supply), tags: s.tags.clone(), extra: BTreeMap::new() })
                    .collect(),
            ),
            creators: inst.creators.iter().map(|c| CreatorFile { id: Some(c.id.clone()), group: Some(c.group.clone()), extra: BTreeMap::new() }).collect(),
            campaigns: inst.campaigns.iter().map(|a| CampaignFile { id: Some(a.id.clone()), budget: Some(a.budget), extra: BTreeMap::new() }).collect(),
            items: Some(
                inst.items
                    .iter()
                    .map(|i| ItemFile {
                        id: Some(i.id.clone()),
                        creator: i.creator().map(|c| inst.creators[c].id.clone()),
                        campaign: i.campaign().map(|a| inst.campaigns[a].id.clone()),
                        topic: Some(i.topic.clone()),
                        quality: Some(i.quality),
                        risk: Some(i.risk),
                        fresh: Some(i.fresh),
                        cap: i.cap,
                        extra: BTreeMap::new(),
                    })
                    .collect(),
            ),
            // The head has an empty edge list, not none: the content hash of every day was
            // defined on it so.
            edges: Some(if !with_edges {
                Vec::new()
            } else {
                inst.edges
                    .iter()
                    .enumerate()
                    .map(|(k, e)| {
                        let ev = (!inst.evidence.is_empty()).then(|| inst.evidence(k));
                        EdgeFile {
                            segment: Some(inst.segments[e.segment].id.clone()),
                            item: Some(inst.items[e.item].id.clone()),
                            engagement: Some(e.engagement),
                            price: Some(e.price),
                            cap: e.cap,
                            n: ev.map(|v| v.n as f64),
                            engagement_lcb: ev.map(|v| v.lcb),
                            engagement_ucb: ev.map(|v| v.ucb),
                            extra: BTreeMap::new(),
                        }
                    })
                    .collect()
            }),
            edges_file: None,
            constraints: inst.constraints.iter().map(constraint_file).collect(),
            extra: BTreeMap::new(),
        }
    }
}

fn constraint_file(c: &Constraint) -> ConstraintFile {
    let mut f = ConstraintFile { name: Some(c.name.clone()), kind: Some(c.kind.type_name().to_string()), penalty: c.penalty, ..Default::default() };
    match &c.kind {
        ConstraintKind::AdLoad { segments, max_share }
        | ConstraintKind::IntegrityCap { segments, max_share }
        | ConstraintKind::TopicCap { segments, max_share } => {
            f.segments = Some(segment_selector_value(segments));
            f.max_share = Some(*max_share);
        }
        ConstraintKind::RevenueFloor { min } => f.min = Some(*min),
        ConstraintKind::ExposureFloor { items, segments, min } => {
            f.items = Some(item_selector_value(items));
            f.segments = Some(segment_selector_value(segments));
            f.min = Some(*min);
        }
        ConstraintKind::ExposureCap { items, segments, max } => {
            f.items = Some(item_selector_value(items));
            f.segments = Some(segment_selector_value(segments));
            f.max = Some(*max);
        }
        ConstraintKind::FreshnessFloor { segments, min_share } => {
            f.segments = Some(segment_selector_value(segments));
            f.min_share = Some(*min_share);
        }
        ConstraintKind::ExplorationFloor { segments, min_share, max_n } => {
            f.segments = Some(segment_selector_value(segments));
            f.min_share = Some(*min_share);
            f.max_n = Some(*max_n as f64);
        }
        ConstraintKind::ExposureParity { groups, tolerance } => {
            f.groups = Some(groups.clone());
            f.tolerance = Some(*tolerance);
        }
    }
    f
}
