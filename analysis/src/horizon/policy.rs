//! A policy: the edits a planner makes to each day's rules and weights (`agora.policy/v1`).

use std::collections::BTreeMap;
use std::path::Path;

use agora_instances::{Finding, Instance, Param};
use serde::{Deserialize, Serialize};

/// The `schema` string of policy files.
pub const POLICY_SCHEMA: &str = "agora.policy/v1";

/// The rule types `engagement-only` drops: every ecosystem rule (creator floors and parity,
/// freshness, topic diversity, exposure caps); ad load, integrity and the revenue floor stay.
pub const ECOSYSTEM_TYPES: [&str; 5] = ["exposure_floor", "exposure_parity", "freshness_floor", "topic_cap", "exposure_cap"];

/// An `agora.policy/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Always [`POLICY_SCHEMA`].
    pub schema: String,
    /// The policy's name, as outputs list it.
    pub name: String,
    /// Constraints dropped by name.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Constraints dropped by type.
    #[serde(default)]
    pub drop_types: Vec<String>,
    /// Parameters set, named as frontiers name them (`NAME.min`, `objective.revenue`, ...).
    #[serde(default)]
    pub set: BTreeMap<String, f64>,
}

impl Policy {
    /// A built-in policy: `ecosystem` (the day's rules as they are) or `engagement-only` (every
    /// ecosystem rule dropped).
    pub fn builtin(name: &str) -> Option<Policy> {
        let base = Policy { schema: POLICY_SCHEMA.into(), name: name.into(), drop: Vec::new(), drop_types: Vec::new(), set: BTreeMap::new() };
        match name {
            "ecosystem" => Some(base),
            "engagement-only" => Some(Policy { drop_types: ECOSYSTEM_TYPES.iter().map(|s| s.to_string()).collect(), ..base }),
            _ => None,
        }
    }

    /// A built-in policy by name, or a policy file.
    pub fn resolve(spec: &str) -> Result<Policy, agora_instances::LoadError> {
        if let Some(p) = Policy::builtin(spec) {
            return Ok(p);
        }
        agora_instances::load_json_with(Path::new(spec), |p: Policy| {
            if p.schema != POLICY_SCHEMA {
                return Err(vec![Finding { entity: "policy".into(), field: "schema".into(), message: format!("must be \"{POLICY_SCHEMA}\"") }]);
            }
            Ok(p)
        })
    }

    /// The day `inst` under this policy. An unknown constraint or parameter name is an error
    /// naming it.
    pub fn apply(&self, inst: &Instance) -> Result<Instance, String> {
        let mut day = inst.clone();
        for name in &self.drop {
            if !day.constraints.iter().any(|c| &c.name == name) {
                return Err(format!("policy \"{}\": drop: no constraint \"{name}\"", self.name));
            }
        }
        day.constraints.retain(|c| !self.drop.contains(&c.name) && !self.drop_types.iter().any(|t| t == c.kind.type_name()));
        for (name, &v) in &self.set {
            let p = Param::parse(&day, name).map_err(|e| format!("policy \"{}\": set: {e}", self.name))?;
            p.set(&mut day, v);
        }
        Ok(day)
    }
}
