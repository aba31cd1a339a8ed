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
    /// Parameters set, named as frontiers name them (`NAME.min`, `objective.revenue`, ...). A
    /// name given twice is an error (JSON objects do not say which one wins).
    #[serde(default, deserialize_with = "agora_instances::unique_keys")]
    pub set: BTreeMap<String, f64>,
    /// What each day is planned on: the true engagement (`oracle`, the default) or an estimate
    /// learnt from what the policy served so far ([`Engagement`], docs/horizon.md "Learning
    /// while planning").
    #[serde(default, skip_serializing_if = "Engagement::is_oracle")]
    pub engagement: Engagement,
}

/// What a policy plans each day on (`engagement` of `agora.policy/v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engagement {
    /// The day's true engagement: the planner knows it (the horizon before learning).
    #[default]
    Oracle,
    /// The posterior mean of each edge's click rate (`k / n` with the prior).
    Greedy,
    /// Its lower 95% bound (empirical Bernstein, docs/horizon.md): pessimism, no exploration.
    Lcb,
    /// Its upper 95% bound: optimism in the face of uncertainty.
    Ucb,
    /// One draw per edge and day from its Beta posterior (Thompson sampling).
    Thompson,
}

impl Engagement {
    /// Every choice, in the order the docs list them.
    pub const ALL: [Engagement; 5] = [Engagement::Oracle, Engagement::Greedy, Engagement::Lcb, Engagement::Ucb, Engagement::Thompson];

    /// The name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Engagement::Oracle => "oracle",
            Engagement::Greedy => "greedy",
            Engagement::Lcb => "lcb",
            Engagement::Ucb => "ucb",
            Engagement::Thompson => "thompson",
        }
    }

    /// Whether the policy knows the true engagement (serde's `skip_serializing_if`).
    pub fn is_oracle(&self) -> bool {
        *self == Engagement::Oracle
    }

    /// Whether the policy learns engagement from what it serves.
    pub fn learns(self) -> bool {
        self != Engagement::Oracle
    }
}

/// What a horizon applies to each day's state before solving it: a policy's edits (the same
/// every day), or a schedule of rule sets (an experiment's switchback).
pub trait DayRules {
    /// The name outputs list.
    fn name(&self) -> &str;
    /// Day `t`'s instance from the state's day.
    fn apply_on(&self, t: usize, inst: &Instance) -> Result<Instance, String>;
    /// What each day is planned on: the true engagement unless the rules learn it.
    fn engagement(&self) -> Engagement {
        Engagement::Oracle
    }
}

impl DayRules for Policy {
    fn name(&self) -> &str {
        &self.name
    }
    fn apply_on(&self, _: usize, inst: &Instance) -> Result<Instance, String> {
        self.apply(inst)
    }
    fn engagement(&self) -> Engagement {
        self.engagement
    }
}

impl Policy {
    /// A built-in policy: `ecosystem` (the day's rules as they are), `engagement-only` (every
    /// ecosystem rule dropped), or `greedy`, `lcb`, `ucb`, `thompson` (the day's rules as they
    /// are, planned on engagement learnt that way).
    pub fn builtin(name: &str) -> Option<Policy> {
        let base = Policy {
            schema: POLICY_SCHEMA.into(),
            name: name.into(),
            drop: Vec::new(),
            drop_types: Vec::new(),
            set: BTreeMap::new(),
            engagement: Engagement::Oracle,
        };
        match name {
            "ecosystem" => Some(base),
            "engagement-only" => Some(Policy { drop_types: ECOSYSTEM_TYPES.iter().map(|s| s.to_string()).collect(), ..base }),
            _ => Engagement::ALL.into_iter().find(|e| e.learns() && e.as_str() == name).map(|engagement| Policy { engagement, ..base }),
        }
    }

    /// The built-in policies' names.
    pub const BUILTIN: [&'static str; 6] = ["ecosystem", "engagement-only", "greedy", "lcb", "ucb", "thompson"];

    /// A policy from the text of an `agora.policy/v1` file (what the Python package passes for a
    /// policy given as a dict); `source` names it in errors.
    pub fn from_json(text: &str, source: &Path) -> Result<Policy, agora_instances::LoadError> {
        agora_instances::parse_json_with(text, source, |p: Policy| p.validate().map(|_| p))
    }

    /// A built-in policy by name, or a policy file (read under the default read options).
    pub fn resolve(spec: &str) -> Result<Policy, agora_instances::LoadError> {
        Policy::resolve_with(spec, &agora_instances::ReadOptions::default())
    }

    /// [`Policy::resolve`], reading a file under `opts` (a regular file within the input limit).
    pub fn resolve_with(spec: &str, opts: &agora_instances::ReadOptions) -> Result<Policy, agora_instances::LoadError> {
        if let Some(p) = Policy::builtin(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        let text = agora_instances::read_input(path, opts)?;
        Policy::from_json(&text, path)
    }

    /// What a policy file must be by itself: its schema, a name that is an id (printable, at
    /// most 256 bytes: it is printed and written to CSV), known rule types; every error, each
    /// naming its field. What it sets is checked against a day by [`Policy::check_on`].
    pub fn validate(&self) -> Result<(), Vec<Finding>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| errors.push(Finding { entity: "policy".into(), field: field.into(), message });
        if self.schema != POLICY_SCHEMA {
            bad("schema", format!("must be \"{POLICY_SCHEMA}\", got \"{}\"", agora_instances::limits::excerpt(&self.schema)));
        }
        if let Some(why) = agora_instances::limits::id_problem(&self.name) {
            bad("name", why);
        } else if self.name.trim().is_empty() {
            bad("name", "is empty".into());
        }
        for t in &self.drop_types {
            if !agora_instances::ConstraintKind::TYPE_NAMES.contains(&t.as_str()) {
                bad(
                    "drop_types",
                    format!(
                        "unknown rule type \"{}\" (known: {})",
                        agora_instances::limits::excerpt(t),
                        agora_instances::ConstraintKind::TYPE_NAMES.join(", ")
                    ),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Checks the policy against day `inst`: what it drops exists, and the day it makes passes
    /// the instance validator (a supply set negative, a share set to 5, a negative
    /// regularisation are errors here, before any day is simulated, not a day 0 that ends
    /// infeasible or unbounded).
    pub fn check_on(&self, inst: &Instance) -> Result<(), String> {
        let day = self.apply(inst)?;
        agora_instances::InstanceFile::from(&day)
            .validate()
            .map(|_| ())
            .map_err(|e| format!("policy \"{}\": the day it makes is not valid:\n{}", self.name, agora_instances::Bulleted(&e)))
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
