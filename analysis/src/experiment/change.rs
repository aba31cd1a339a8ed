//! A change to test (`agora.change/v1`): what the treatment does to the control day. Either a
//! change file (rules added, removed or changed, parameters set or scaled by the names frontiers
//! use, edge prices and engagement), or a whole day file of the same segments, items and
//! campaigns (the changed day itself).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use agora_instances::{ConstraintFile, Finding, Instance, InstanceFile, LoadError, Param, ReadOptions};

/// The `schema` string of change files.
pub const CHANGE_SCHEMA: &str = "agora.change/v1";

/// True when `schema` names a change file of any version: such a file is read as a change, and
/// one of another version refused as such rather than as a day missing its segments.
pub fn is_change_schema(schema: &str) -> bool {
    schema.starts_with("agora.change/")
}

/// An `agora.change/v1` file. Edits apply in the order of the fields: `remove`, `add`, `set`,
/// `scale`, `edges`; the day they make must pass the instance validator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeFile {
    /// Always [`CHANGE_SCHEMA`].
    pub schema: String,
    /// The change's name, as outputs list it (an id: printable, at most 256 bytes).
    pub name: String,
    /// Constraints removed, by name.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Constraints added, as an instance file writes them.
    #[serde(default)]
    pub add: Vec<ConstraintFile>,
    /// Parameters set, named as frontiers name them (`NAME.min`, `budget[CAMPAIGN]`,
    /// `objective.revenue`, ...). A name given twice is an error.
    #[serde(default, deserialize_with = "agora_instances::unique_keys")]
    pub set: BTreeMap<String, f64>,
    /// Parameters multiplied by a factor, named as `set` names them.
    #[serde(default, deserialize_with = "agora_instances::unique_keys")]
    pub scale: BTreeMap<String, f64>,
    /// Edits of edges: every edge of `item` (in `segment`, or in every segment).
    #[serde(default)]
    pub edges: Vec<EdgeChange>,
}

/// An edit of the edges of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeChange {
    /// The item's id.
    pub item: String,
    /// A segment's id; absent: every segment the item has an edge in.
    #[serde(default)]
    pub segment: Option<String>,
    /// The new price per impression.
    #[serde(default)]
    pub price: Option<f64>,
    /// The price multiplied by this.
    #[serde(default)]
    pub price_scale: Option<f64>,
    /// The new engagement per impression.
    #[serde(default)]
    pub engagement: Option<f64>,
    /// The engagement multiplied by this.
    #[serde(default)]
    pub engagement_scale: Option<f64>,
}

/// A treatment: its name, the day it makes of the control day, and the change file when it
/// came from one (a switchback applies it to every simulated day).
#[derive(Debug, Clone)]
pub struct Treatment {
    /// The change's name.
    pub name: String,
    /// The treated day: the control day with the change applied.
    pub day: Instance,
    /// The change, when the treatment is a change file (not a whole day).
    pub change: Option<ChangeFile>,
}

impl ChangeFile {
    /// The control day with this change applied, checked by the instance validator. Every
    /// error names the field of the change (and, from the validator, the entity and field of the
    /// day it makes).
    pub fn apply(&self, control: &Instance) -> Result<Instance, Vec<Finding>> {
        let bad = |field: &str, message: String| vec![Finding { entity: "change".into(), field: field.into(), message }];
        if self.schema != CHANGE_SCHEMA {
            return Err(bad("schema", format!("must be \"{CHANGE_SCHEMA}\", got \"{}\"", agora_instances::limits::excerpt(&self.schema))));
        }
        if let Some(why) = agora_instances::limits::id_problem(&self.name) {
            return Err(bad("name", why));
        }
        // Rules removed and added at the file level: an added rule is written as the instance
        // file writes rules, and validated as one.
        let mut file = InstanceFile::from(&control.without_edges());
        for name in &self.remove {
            let before = file.constraints.len();
            file.constraints.retain(|c| c.name.as_deref() != Some(name.as_str()));
            if file.constraints.len() == before {
                return Err(bad("remove", format!("no constraint \"{}\" in the day", agora_instances::limits::excerpt(name))));
            }
        }
        file.constraints.extend(self.add.iter().cloned());
        let mut day = file.validate().map_err(|mut e| {
            for f in &mut e {
                f.entity = format!("the changed day: {}", f.entity);
            }
            e
        })?;
        day.instance.edges = control.edges.clone();
        day.instance.evidence = control.evidence.clone();
        let mut day = day.instance;
        for (name, &v) in &self.set {
            let p = Param::parse(&day, name).map_err(|e| bad("set", e.to_string()))?;
            p.set(&mut day, v);
        }
        for (name, &factor) in &self.scale {
            let p = Param::parse(&day, name).map_err(|e| bad("scale", e.to_string()))?;
            let v = p.get(&day);
            p.set(&mut day, v * factor);
        }
        for (k, e) in self.edges.iter().enumerate() {
            let field = format!("edges[{k}]");
            let Some(item) = day.items.iter().position(|i| i.id == e.item) else {
                return Err(bad(&field, format!("no item \"{}\" in the day", agora_instances::limits::excerpt(&e.item))));
            };
            let segment = match &e.segment {
                None => None,
                Some(s) => Some(
                    day.segments
                        .iter()
                        .position(|x| x.id == *s)
                        .ok_or_else(|| bad(&field, format!("no segment \"{}\" in the day", agora_instances::limits::excerpt(s))))?,
                ),
            };
            if e.price.is_some() && e.price_scale.is_some() || e.engagement.is_some() && e.engagement_scale.is_some() {
                return Err(bad(&field, "gives a value and a scale for the same field: give one".into()));
            }
            let mut touched = 0;
            for edge in day.edges.iter_mut().filter(|x| x.item == item && segment.is_none_or(|s| x.segment == s)) {
                touched += 1;
                edge.price = e.price.unwrap_or(edge.price) * e.price_scale.unwrap_or(1.0);
                edge.engagement = e.engagement.unwrap_or(edge.engagement) * e.engagement_scale.unwrap_or(1.0);
            }
            if touched == 0 {
                return Err(bad(&field, "matches no edge of the day".into()));
            }
        }
        // The day the change makes must be a valid day, as every day agora solves.
        InstanceFile::from(&day).validate().map_err(|mut e| {
            for f in &mut e {
                f.entity = format!("the changed day: {}", f.entity);
            }
            e
        })?;
        Ok(day)
    }
}

impl Treatment {
    /// The treatment `change` makes of `control`.
    pub fn of_change(control: &Instance, change: ChangeFile) -> Result<Treatment, Vec<Finding>> {
        let day = change.apply(control)?;
        Ok(Treatment { name: change.name.clone(), day, change: Some(change) })
    }

    /// Reads a treatment for `control`: an `agora.change/v1` file, or an instance file of the
    /// same segments, items and campaigns (told apart by its `schema`).
    pub fn load(path: &Path, control: &Instance, opts: &ReadOptions) -> Result<Treatment, LoadError> {
        Treatment::parse(&agora_instances::read_input(path, opts)?, path, control, opts)
    }

    /// [`Treatment::load`] of `text`, already read; `path` names it in messages and resolves a
    /// changed day's `edges_file`.
    pub fn parse(text: &str, path: &Path, control: &Instance, opts: &ReadOptions) -> Result<Treatment, LoadError> {
        let invalid = |errors| LoadError::Invalid { path: path.to_path_buf(), errors };
        let schema = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v.get("schema").and_then(|s| s.as_str()).map(str::to_string));
        // Any agora.change/ schema is read as a change (another version is refused by name),
        // everything else as a day.
        if schema.as_deref().is_some_and(is_change_schema) {
            let change: ChangeFile = agora_instances::parse_json_with(text, path, Ok)?;
            return Treatment::of_change(control, change).map_err(invalid);
        }
        let day = agora_instances::parse_str_with(text, path, opts)?.instance;
        Treatment::of_day(control, day).map_err(invalid)
    }

    /// A whole changed day as the treatment: it must have the control's segments, items and
    /// campaigns (same ids, same order), so that both arms speak of the same market.
    pub fn of_day(control: &Instance, day: Instance) -> Result<Treatment, Vec<Finding>> {
        let same = |what: &str, a: Vec<&str>, b: Vec<&str>| -> Result<(), Vec<Finding>> {
            if a == b {
                Ok(())
            } else {
                Err(vec![Finding {
                    entity: "day".into(),
                    field: what.into(),
                    message: format!("must be the control day's {what} (same ids, same order): an experiment compares two rule sets on one market"),
                }])
            }
        };
        same("segments", control.segments.iter().map(|s| s.id.as_str()).collect(), day.segments.iter().map(|s| s.id.as_str()).collect())?;
        same("items", control.items.iter().map(|s| s.id.as_str()).collect(), day.items.iter().map(|s| s.id.as_str()).collect())?;
        same("campaigns", control.campaigns.iter().map(|s| s.id.as_str()).collect(), day.campaigns.iter().map(|s| s.id.as_str()).collect())?;
        same("creators", control.creators.iter().map(|s| s.id.as_str()).collect(), day.creators.iter().map(|s| s.id.as_str()).collect())?;
        let pairs = |d: &Instance| d.edges.iter().map(|e| (e.segment, e.item)).collect::<Vec<_>>();
        if pairs(control) != pairs(&day) {
            return Err(vec![Finding {
                entity: "day".into(),
                field: "edges".into(),
                message: "must be the control day's edges (same segment and item pairs, same order); their values may change".into(),
            }]);
        }
        Ok(Treatment { name: day.name.clone(), day, change: None })
    }
}
