//! A constraint's fields and selectors, checked against the day it belongs to.

use std::collections::HashSet;

use serde_json::Value;

use super::{Report, Rule};
use crate::file::*;
use crate::types::*;

/// Which optional fields each constraint type reads (beyond `name`, `type` and `penalty`).
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "ad_load" | "integrity_cap" | "topic_cap" => &["segments", "max_share"],
        "revenue_floor" => &["min"],
        "exposure_floor" => &["items", "segments", "min"],
        "exposure_cap" => &["items", "segments", "max"],
        "freshness_floor" => &["segments", "min_share"],
        "exploration_floor" => &["segments", "min_share", "max_n"],
        "exposure_parity" => &["groups", "tolerance"],
        _ => &[],
    }
}

fn present_fields(c: &ConstraintFile) -> Vec<&'static str> {
    let mut v = Vec::new();
    if c.segments.is_some() {
        v.push("segments");
    }
    if c.items.is_some() {
        v.push("items");
    }
    if c.max_share.is_some() {
        v.push("max_share");
    }
    if c.min_share.is_some() {
        v.push("min_share");
    }
    if c.max_n.is_some() {
        v.push("max_n");
    }
    if c.min.is_some() {
        v.push("min");
    }
    if c.max.is_some() {
        v.push("max");
    }
    if c.groups.is_some() {
        v.push("groups");
    }
    if c.tolerance.is_some() {
        v.push("tolerance");
    }
    v
}

pub(super) fn validate_constraint(rep: &mut Report, ent: &str, c: &ConstraintFile, inst: &Instance) -> Option<Constraint> {
    let name = rep.id(ent, "name", &c.name);
    let kind_name = match &c.kind {
        None => {
            rep.error(ent, "type", format!("is missing (one of: {})", ConstraintKind::TYPE_NAMES.join(", ")));
            return None;
        }
        Some(k) if !ConstraintKind::TYPE_NAMES.contains(&k.as_str()) => {
            rep.error(ent, "type", format!("unknown constraint type \"{k}\" (one of: {})", ConstraintKind::TYPE_NAMES.join(", ")));
            return None;
        }
        Some(k) => k.as_str(),
    };
    let allowed = fields_of(kind_name);
    for f in present_fields(c) {
        if !allowed.contains(&f) {
            rep.error(ent, f, format!("is not a field of type \"{kind_name}\" (its fields: {})", allowed.join(", ")));
        }
    }
    for key in c.extra.keys() {
        rep.error(ent, key, format!("unknown field (type \"{kind_name}\" has: {}, penalty)", allowed.join(", ")));
    }
    let penalty = c.penalty.map(|p| rep.check(ent, "penalty", p, Rule::Positive));
    let seg = |rep: &mut Report| parse_segments(rep, ent, c.segments.as_ref(), inst);
    let kind = match kind_name {
        "ad_load" => ConstraintKind::AdLoad { segments: seg(rep), max_share: rep.number(ent, "max_share", c.max_share, Rule::Unit) },
        "integrity_cap" => ConstraintKind::IntegrityCap { segments: seg(rep), max_share: rep.number(ent, "max_share", c.max_share, Rule::Unit) },
        "topic_cap" => ConstraintKind::TopicCap { segments: seg(rep), max_share: rep.number(ent, "max_share", c.max_share, Rule::Unit) },
        "freshness_floor" => ConstraintKind::FreshnessFloor { segments: seg(rep), min_share: rep.number(ent, "min_share", c.min_share, Rule::Unit) },
        "exploration_floor" => {
            let (segments, min_share) = (seg(rep), rep.number(ent, "min_share", c.min_share, Rule::Unit));
            let max_n = match c.max_n {
                None => {
                    rep.error(ent, "max_n", "is missing (a whole number >= 1: edges with fewer logged rounds are explored)");
                    1
                }
                Some(m) => super::whole_number(rep, ent, "max_n", m, 1),
            };
            ConstraintKind::ExplorationFloor { segments, min_share, max_n }
        }
        "revenue_floor" => ConstraintKind::RevenueFloor { min: rep.number(ent, "min", c.min, Rule::NonNegative) },
        // Every field is checked before giving up on a bad selector, so that all errors show.
        "exposure_floor" => {
            let items = parse_items(rep, ent, c.items.as_ref(), inst);
            let (segments, min) = (seg(rep), rep.number(ent, "min", c.min, Rule::NonNegative));
            ConstraintKind::ExposureFloor { items: items?, segments, min }
        }
        "exposure_cap" => {
            let items = parse_items(rep, ent, c.items.as_ref(), inst);
            let (segments, max) = (seg(rep), rep.number(ent, "max", c.max, Rule::NonNegative));
            ConstraintKind::ExposureCap { items: items?, segments, max }
        }
        "exposure_parity" => {
            let groups = c.groups.clone().unwrap_or_default();
            let distinct: HashSet<&String> = groups.iter().collect();
            if c.groups.is_none() {
                rep.error(ent, "groups", "is missing (a list of at least 2 creator groups)");
            } else if distinct.len() < 2 || distinct.len() != groups.len() {
                rep.error(ent, "groups", format!("must list at least 2 distinct creator groups, got {groups:?}"));
            }
            for g in &groups {
                let has_items = inst.items.iter().any(|i| i.creator().is_some_and(|k| inst.creators.get(k).is_some_and(|c| c.group == *g)));
                if !has_items {
                    rep.warn(ent, "groups", format!("group \"{g}\" has no organic items: its merit is 0 and its rows are vacuous"));
                }
            }
            ConstraintKind::ExposureParity { groups, tolerance: rep.number(ent, "tolerance", c.tolerance, Rule::HalfOpenUnit) }
        }
        _ => unreachable!("type names checked above"),
    };
    Some(Constraint { name, penalty, kind })
}

fn parse_segments(rep: &mut Report, ent: &str, v: Option<&Value>, inst: &Instance) -> SegmentSelector {
    let sel = match v {
        None => SegmentSelector::All,
        Some(Value::String(s)) if s == "*" => SegmentSelector::All,
        Some(Value::Array(a)) => {
            let mut ids = Vec::new();
            for x in a {
                match x.as_str() {
                    Some(id) => ids.push(id.to_string()),
                    None => rep.error(ent, "segments", format!("a segment list holds ids (strings), got {x}")),
                }
            }
            for id in &ids {
                if !inst.segments.iter().any(|s| s.id == *id) {
                    rep.warn(ent, "segments", format!("unknown segment \"{id}\" in the list, ignored"));
                }
            }
            SegmentSelector::Ids(ids)
        }
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("tag") => match o["tag"].as_str() {
            Some(t) => SegmentSelector::Tag(t.to_string()),
            None => {
                rep.error(ent, "segments", "\"tag\" must be a string");
                SegmentSelector::All
            }
        },
        Some(other) => {
            rep.error(ent, "segments", format!("unknown segment selector {other} (use \"*\", a list of ids or {{\"tag\": t}})"));
            return SegmentSelector::All;
        }
    };
    if inst.select_segments(&sel).is_empty() {
        rep.warn(ent, "segments", "selects no segment");
    }
    sel
}

const ITEM_SELECTOR_KEYS: &str = "creator, creator_group, campaign, topic, kind, ids";

fn parse_items(rep: &mut Report, ent: &str, v: Option<&Value>, inst: &Instance) -> Option<ItemSelector> {
    let Some(v) = v else {
        rep.error(ent, "items", format!("is missing (an object with one of: {ITEM_SELECTOR_KEYS})"));
        return None;
    };
    let Some(o) = v.as_object().filter(|o| o.len() == 1) else {
        rep.error(ent, "items", format!("must be an object with exactly one of: {ITEM_SELECTOR_KEYS}; got {v}"));
        return None;
    };
    let (key, val) = o.iter().next().expect("one entry");
    let text = |rep: &mut Report| -> Option<String> {
        match val.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                rep.error(ent, "items", format!("\"{key}\" must be a string, got {val}"));
                None
            }
        }
    };
    let sel = match key.as_str() {
        "creator" => ItemSelector::Creator(text(rep)?),
        "creator_group" => ItemSelector::CreatorGroup(text(rep)?),
        "campaign" => ItemSelector::Campaign(text(rep)?),
        "topic" => ItemSelector::Topic(text(rep)?),
        "kind" => match text(rep)?.as_str() {
            "ad" => ItemSelector::Kind(ItemKind::Ad),
            "organic" => ItemSelector::Kind(ItemKind::Organic),
            other => {
                rep.error(ent, "items", format!("\"kind\" is \"ad\" or \"organic\", got \"{other}\""));
                return None;
            }
        },
        "ids" => {
            let Some(a) = val.as_array() else {
                rep.error(ent, "items", format!("\"ids\" must be a list of item ids, got {val}"));
                return None;
            };
            let mut ids = Vec::new();
            for x in a {
                match x.as_str() {
                    Some(s) => ids.push(s.to_string()),
                    None => rep.error(ent, "items", format!("\"ids\" holds strings, got {x}")),
                }
            }
            ItemSelector::Ids(ids)
        }
        other => {
            rep.error(ent, "items", format!("unknown item selector key \"{other}\" (one of: {ITEM_SELECTOR_KEYS})"));
            return None;
        }
    };
    // Owners may be unresolved when the file had other errors; only look when they are sound.
    let owners_ok = inst.items.iter().all(|i| match i.owner {
        Owner::Creator(c) => c < inst.creators.len(),
        Owner::Campaign(a) => a < inst.campaigns.len(),
    });
    if owners_ok && !(0..inst.items.len()).any(|i| inst.item_matches(&sel, i)) {
        rep.warn(ent, "items", format!("selects no item ({key} {val})"));
    }
    Some(sel)
}
