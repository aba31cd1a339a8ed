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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<ObjectiveFile>,
    #[serde(default)]
    pub segments: Vec<SegmentFile>,
    #[serde(default)]
    pub creators: Vec<CreatorFile>,
    #[serde(default)]
    pub campaigns: Vec<CampaignFile>,
    #[serde(default)]
    pub items: Vec<ItemFile>,
    #[serde(default)]
    pub edges: Vec<EdgeFile>,
    /// A CSV file of edges, relative to the instance file, instead of inline `edges` (agora's
    /// addition for large days; see [`crate::columnar`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges_file: Option<String>,
    #[serde(default)]
    pub constraints: Vec<ConstraintFile>,
    /// Fields this version does not know; reported as warnings.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectiveFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity_risk: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regularization: Option<f64>,
    /// Unknown weights are errors: a misspelt weight would silently count as 0.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SegmentFile {
    pub id: Option<String>,
    pub supply: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreatorFile {
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CampaignFile {
    pub id: Option<String>,
    pub budget: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemFile {
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    pub topic: Option<String>,
    pub quality: Option<f64>,
    pub risk: Option<f64>,
    pub fresh: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EdgeFile {
    pub segment: Option<String>,
    pub item: Option<String>,
    pub engagement: Option<f64>,
    /// Defaults to 0 when absent (organic edges need not write it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
    /// Fields this version does not know; reported as warnings (one per field, with a count).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConstraintFile {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
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
                extra: BTreeMap::new(),
            }),
            segments: inst
                .segments
                .iter()
                .map(|s| SegmentFile { id: Some(s.id.clone()), supply: Some(s.supply), tags: s.tags.clone(), extra: BTreeMap::new() })
                .collect(),
            creators: inst
                .creators
                .iter()
                .map(|c| CreatorFile { id: Some(c.id.clone()), group: Some(c.group.clone()), extra: BTreeMap::new() })
                .collect(),
            campaigns: inst
                .campaigns
                .iter()
                .map(|a| CampaignFile { id: Some(a.id.clone()), budget: Some(a.budget), extra: BTreeMap::new() })
                .collect(),
            items: inst
                .items
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
            edges: inst
                .edges
                .iter()
                .map(|e| EdgeFile {
                    segment: Some(inst.segments[e.segment].id.clone()),
                    item: Some(inst.items[e.item].id.clone()),
                    engagement: Some(e.engagement),
                    price: Some(e.price),
                    cap: e.cap,
                    extra: BTreeMap::new(),
                })
                .collect(),
            edges_file: None,
            constraints: inst.constraints.iter().map(constraint_file).collect(),
            extra: BTreeMap::new(),
        }
    }
}

fn constraint_file(c: &Constraint) -> ConstraintFile {
    let mut f = ConstraintFile {
        name: Some(c.name.clone()),
        kind: Some(c.kind.type_name().to_string()),
        penalty: c.penalty,
        ..Default::default()
    };
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
        ConstraintKind::ExposureParity { groups, tolerance } => {
            f.groups = Some(groups.clone());
            f.tolerance = Some(*tolerance);
        }
    }
    f
}
