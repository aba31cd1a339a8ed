//! Addressing the numbers of an instance by name, for sweeps and finite-difference checks:
//! `supply[SEGMENT]`, `budget[CAMPAIGN]`, `cap[ITEM]`, `objective.WEIGHT` and `NAME.FIELD` for a
//! constraint's numeric field (`min`, `max`, `max_share`, `min_share`, `tolerance`, `penalty`).

use std::fmt;

use crate::types::{ConstraintKind, Instance};

/// A number in an instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Param {
    /// `supply[SEGMENT]`: a segment's supply (impressions), by index into `segments`.
    Supply(usize),
    /// `budget[CAMPAIGN]`: a campaign's daily budget (currency), by index into `campaigns`.
    Budget(usize),
    /// `cap[ITEM]`: an item's cap (impressions), by index into `items`; only items with a cap have one.
    ItemCap(usize),
    /// An objective weight: `engagement`, `quality`, `revenue`, `integrity_risk`, `regularization`.
    Objective(&'static str),
    /// Constraint index and field name.
    Constraint(usize, &'static str),
}

const WEIGHTS: [&str; 5] = ["engagement", "quality", "revenue", "integrity_risk", "regularization"];

impl Param {
    /// Whether raising the parameter loosens (`Some(true)`) or tightens (`Some(false)`) its rows;
    /// `None` for objective weights and penalties.
    pub fn loosens_when_raised(&self, inst: &Instance) -> Option<bool> {
        match self {
            Param::Supply(_) | Param::Budget(_) | Param::ItemCap(_) => Some(true),
            Param::Objective(_) => None,
            Param::Constraint(k, field) => match (*field, &inst.constraints[*k].kind) {
                ("penalty", _) => None,
                ("min", _) | ("min_share", _) => Some(false),
                ("max", _) | ("max_share", _) | ("tolerance", _) => Some(true),
                _ => None,
            },
        }
    }

    /// The spec name of the parameter.
    pub fn name(&self, inst: &Instance) -> String {
        match self {
            Param::Supply(s) => format!("supply[{}]", inst.segments[*s].id),
            Param::Budget(a) => format!("budget[{}]", inst.campaigns[*a].id),
            Param::ItemCap(i) => format!("cap[{}]", inst.items[*i].id),
            Param::Objective(w) => format!("objective.{w}"),
            Param::Constraint(k, f) => format!("{}.{f}", inst.constraints[*k].name),
        }
    }

    /// Resolves a name; the error lists the valid names.
    pub fn parse(inst: &Instance, text: &str) -> Result<Param, ParamError> {
        let bracket = |prefix: &str| -> Option<&str> { text.strip_prefix(prefix)?.strip_prefix('[')?.strip_suffix(']') };
        let found = if let Some(id) = bracket("supply") {
            inst.segments.iter().position(|s| s.id == id).map(Param::Supply)
        } else if let Some(id) = bracket("budget") {
            inst.campaigns.iter().position(|a| a.id == id).map(Param::Budget)
        } else if let Some(id) = bracket("cap") {
            inst.items.iter().position(|i| i.id == id && i.cap.is_some()).map(Param::ItemCap)
        } else if let Some(w) = text.strip_prefix("objective.") {
            WEIGHTS.iter().find(|x| **x == w).map(|w| Param::Objective(w))
        } else if let Some((name, field)) = text.rsplit_once('.') {
            inst.constraints.iter().position(|c| c.name == name).and_then(|k| {
                fields(&inst.constraints[k].kind, inst.constraints[k].penalty.is_some()).into_iter().find(|f| *f == field).map(|f| Param::Constraint(k, f))
            })
        } else {
            None
        };
        found.ok_or_else(|| ParamError { given: text.to_string(), valid: Param::all(inst).iter().map(|p| p.name(inst)).collect() })
    }

    /// Every addressable parameter of the instance.
    pub fn all(inst: &Instance) -> Vec<Param> {
        let mut v: Vec<Param> = (0..inst.segments.len()).map(Param::Supply).collect();
        v.extend((0..inst.campaigns.len()).map(Param::Budget));
        v.extend((0..inst.items.len()).filter(|&i| inst.items[i].cap.is_some()).map(Param::ItemCap));
        v.extend(WEIGHTS.iter().map(|w| Param::Objective(w)));
        for (k, c) in inst.constraints.iter().enumerate() {
            v.extend(fields(&c.kind, c.penalty.is_some()).into_iter().map(|f| Param::Constraint(k, f)));
        }
        v
    }

    /// The parameter's current value (`0` for an item cap that is absent).
    pub fn get(&self, inst: &Instance) -> f64 {
        match self {
            Param::Supply(s) => inst.segments[*s].supply,
            Param::Budget(a) => inst.campaigns[*a].budget,
            Param::ItemCap(i) => inst.items[*i].cap.unwrap_or(0.0),
            Param::Objective(w) => match *w {
                "engagement" => inst.objective.engagement,
                "quality" => inst.objective.quality,
                "revenue" => inst.objective.revenue,
                "integrity_risk" => inst.objective.integrity_risk,
                _ => inst.objective.regularization,
            },
            Param::Constraint(k, "penalty") => inst.constraints[*k].penalty.unwrap_or(0.0),
            Param::Constraint(k, _) => match &inst.constraints[*k].kind {
                ConstraintKind::AdLoad { max_share: v, .. }
                | ConstraintKind::IntegrityCap { max_share: v, .. }
                | ConstraintKind::TopicCap { max_share: v, .. }
                | ConstraintKind::FreshnessFloor { min_share: v, .. }
                | ConstraintKind::ExplorationFloor { min_share: v, .. }
                | ConstraintKind::RevenueFloor { min: v }
                | ConstraintKind::ExposureFloor { min: v, .. }
                | ConstraintKind::ExposureCap { max: v, .. }
                | ConstraintKind::ExposureParity { tolerance: v, .. } => *v,
            },
        }
    }

    /// Sets the parameter. Ranges are not checked here: validate the result where it matters.
    pub fn set(&self, inst: &mut Instance, value: f64) {
        if let Some(s) = slot(inst, self) {
            *s = value;
        }
    }
}

fn fields(kind: &ConstraintKind, soft: bool) -> Vec<&'static str> {
    let mut v = vec![kind.parameter_field()];
    if soft {
        v.push("penalty");
    }
    v
}

fn slot<'a>(inst: &'a mut Instance, p: &Param) -> Option<&'a mut f64> {
    match p {
        Param::Supply(s) => inst.segments.get_mut(*s).map(|s| &mut s.supply),
        Param::Budget(a) => inst.campaigns.get_mut(*a).map(|a| &mut a.budget),
        Param::ItemCap(i) => inst.items.get_mut(*i).and_then(|i| i.cap.as_mut()),
        Param::Objective(w) => Some(match *w {
            "engagement" => &mut inst.objective.engagement,
            "quality" => &mut inst.objective.quality,
            "revenue" => &mut inst.objective.revenue,
            "integrity_risk" => &mut inst.objective.integrity_risk,
            _ => &mut inst.objective.regularization,
        }),
        Param::Constraint(k, field) => {
            let c = inst.constraints.get_mut(*k)?;
            if *field == "penalty" {
                return c.penalty.as_mut();
            }
            match &mut c.kind {
                ConstraintKind::AdLoad { max_share: v, .. }
                | ConstraintKind::IntegrityCap { max_share: v, .. }
                | ConstraintKind::TopicCap { max_share: v, .. }
                | ConstraintKind::FreshnessFloor { min_share: v, .. }
                | ConstraintKind::ExplorationFloor { min_share: v, .. }
                | ConstraintKind::RevenueFloor { min: v }
                | ConstraintKind::ExposureFloor { min: v, .. }
                | ConstraintKind::ExposureCap { max: v, .. }
                | ConstraintKind::ExposureParity { tolerance: v, .. } => Some(v),
            }
        }
    }
}

/// An unknown parameter name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The name as given.
    pub given: String,
    /// Every valid parameter name of the instance, in [`Param::all`] order.
    pub valid: Vec<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown parameter \"{}\"; valid parameters: {}", self.given, self.valid.join(", "))
    }
}

impl std::error::Error for ParamError {}
