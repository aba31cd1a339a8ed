//! The spec's solution file (section 4): its plan, constraint and pacing entries, as written and
//! read back, and the check that a file belongs to a day.

use agora_instances::Instance;
use serde::{Deserialize, Serialize};

use super::Terms;
use crate::certificate::Certificate;
use crate::ir::RowKind;
use crate::status::Status;

/// A plan entry of the solution file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    /// The segment's id.
    pub segment: String,
    /// The item's id.
    pub item: String,
    /// Impressions of the item planned in the segment (agora writes only positive ones).
    pub impressions: f64,
}

/// A row of the solution file's `constraints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintEntry {
    /// The row's spec name.
    pub name: String,
    /// The row's spec `type`: `supply`, `budget`, `item_cap` or its constraint's type.
    #[serde(rename = "type")]
    pub kind: RowKind,
    /// Left-hand side at the plan (soft slack excluded).
    pub activity: f64,
    /// Right-hand side.
    pub bound: f64,
    /// How far the row is from binding (0 when binding or violated).
    pub slack: f64,
    /// By how much the plan exceeds the row (a soft row's slack; ~0 for hard rows).
    pub violation: f64,
    /// d(objective)/d(rhs), maximisation sign convention: `>= 0` on `<=` rows, `<= 0` on `>=` rows.
    pub dual: f64,
    /// d(optimum)/d(the row's parameter), in objective units per unit of the parameter.
    pub shadow_price: f64,
    /// `<=` or `>=` (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sense: Option<String>,
    /// The instance constraint's name, for rows that came from one (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The field `shadow_price` differentiates against (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// A campaign's pacing entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacingEntry {
    /// The campaign's id.
    pub campaign: String,
    /// The campaign's daily budget (currency per day).
    pub budget: f64,
    /// The campaign's spend in the plan, sum of price x impressions over its ad edges (currency per day).
    pub spend: f64,
    /// The dual of the campaign's `budget[a]` row (objective units per unit of currency; `>= 0`, 0 when
    /// the budget is slack).
    pub budget_dual: f64,
    /// The factor serving applies to the campaign's bids, in `[0.001, 1]`; exactly 1 when `budget_dual`
    /// is 0 (docs/pacing.md).
    pub multiplier: f64,
}

/// The `agora.solution/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolutionFile {
    /// Always [`super::SOLUTION_SCHEMA`].
    pub schema: String,
    /// The name of the instance solved.
    pub instance: String,
    /// How the solve ended; only `optimal` carries a trustworthy plan.
    pub status: Status,
    /// Objective at the plan, penalties included (0 unless optimal).
    pub objective: f64,
    /// The objective's signed terms; they add up to `objective`.
    pub terms: Terms,
    /// Every edge with positive impressions, in instance edge order (empty unless optimal).
    pub plan: Vec<PlanEntry>,
    /// Every model row, in model order (empty unless optimal).
    pub constraints: Vec<ConstraintEntry>,
    /// One entry per campaign, in instance order (empty unless optimal).
    pub pacing: Vec<PacingEntry>,
    /// The backend that produced the solution (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// agora's independent check of the answer (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Why the status is not optimal (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The schema of the instance solved (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_schema: Option<String>,
    /// Why an infeasible day is infeasible ([`crate::diagnose`]; agora's addition): the
    /// conflicting rules and the smallest relaxation. Absent on other days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<crate::diagnose::Diagnosis>,
    /// The content hash of the instance solved ([`agora_instances::content_hash`]; agora's
    /// addition): reports, exports and warm starts refuse or flag a solution of another day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_hash: Option<String>,
}

impl SolutionFile {
    /// Whether this is a solution of `inst`: the same name and, when the file records one, the
    /// same content hash. The error says what differs.
    pub fn check_instance(&self, inst: &Instance) -> Result<(), String> {
        if self.instance != inst.name {
            return Err(format!("the solution is of instance \"{}\", not \"{}\"", self.instance, inst.name));
        }
        if let Some(recorded) = &self.instance_hash {
            let actual = agora_instances::content_hash(inst);
            if *recorded != actual {
                return Err(format!(
                    "the solution is of another version of instance \"{}\": it records content hash {recorded}, the instance given hashes to {actual} (solve the day again)",
                    inst.name
                ));
            }
        }
        Ok(())
    }

    /// The file as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("solution files serialise")
    }
}
