//! From a backend's answer to the spec's solution (section 4): plan, terms, every row's
//! activity, slack, violation, dual and shadow price, after the independent check.

use agora_instances::{Instance, Param, INSTANCE_SCHEMA};
use serde::{Deserialize, Serialize};

use crate::backends::BackendResult;
use crate::certificate::{certify_at, row_terms, Certificate};
use crate::ir::{Model, RowKind, Sense};
use crate::shadow::shadow_price;
use crate::status::Status;

/// A row whose slack exceeds this share of its size is clearly off its bound: its dual is 0.
pub const CLEARLY_SLACK: f64 = 1e-3;

/// The `schema` string of solution files.
pub const SOLUTION_SCHEMA: &str = "agora.solution/v1";

/// Signed contributions to the objective; they add up to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    /// `w_engagement * sum engagement_e x_e`.
    pub engagement: f64,
    /// `w_quality * sum quality_i x_e`.
    pub quality: f64,
    /// `w_revenue * sum price_e x_e`.
    pub revenue: f64,
    /// `-w_integrity_risk * sum risk_i x_e` (never positive).
    pub integrity_risk: f64,
    /// `-(rho/2) * sum x_e^2 / supply_s(e)` (never positive).
    pub regularization: f64,
    /// `-sum penalty * violation` over soft rows (never positive).
    pub penalties: f64,
}

impl Terms {
    /// The sum of the terms: the objective.
    pub fn total(&self) -> f64 {
        self.engagement + self.quality + self.revenue + self.integrity_risk + self.regularization + self.penalties
    }
}

/// One row of the model at the solution.
#[derive(Debug, Clone, PartialEq)]
pub struct RowReport {
    /// The row's spec name (`supply[s]`, `budget[a]`, `NAME[s]`, ...).
    pub name: String,
    /// What the row is.
    pub kind: RowKind,
    /// Index of the instance constraint the row came from.
    pub constraint: Option<usize>,
    /// Whether the row is `<=` or `>=`.
    pub sense: Sense,
    /// Left-hand side at the plan (soft slack excluded).
    pub activity: f64,
    /// Right-hand side.
    pub bound: f64,
    /// How far the row is from binding (0 when binding or violated).
    pub slack: f64,
    /// By how much the plan exceeds the row (a soft row's slack; ~0 for hard rows).
    pub violation: f64,
    /// d(objective)/d(rhs), maximisation sign convention.
    pub dual: f64,
    /// d(objective)/d(the user's parameter).
    pub shadow_price: f64,
    /// The parameter's field name and value.
    pub parameter: (&'static str, f64),
}

impl RowReport {
    /// Binding: the row is at its bound (slack within `tol` relative to the row's size).
    pub fn is_binding(&self, tol: f64) -> bool {
        self.slack <= tol * self.bound.abs().max(self.activity.abs()).max(1.0)
    }
}

/// A solved (or unsolved) day.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The name of the instance solved.
    pub instance: String,
    /// How the solve ended; only [`Status::Optimal`] carries a trustworthy plan.
    pub status: Status,
    /// The backend that produced the answer.
    pub backend: &'static str,
    /// Objective at the plan, penalties included (0 unless optimal).
    pub objective: f64,
    /// The objective's signed terms at the plan (all 0 unless optimal).
    pub terms: Terms,
    /// Impressions per edge, in instance edge order (empty unless optimal).
    pub impressions: Vec<f64>,
    /// Every row, in model order (empty unless optimal).
    pub rows: Vec<RowReport>,
    /// The independent check of the backend's answer.
    pub certificate: Option<Certificate>,
    /// Iterations of the backend's main method.
    pub iterations: u64,
    /// Wall-clock seconds in the backend.
    pub solve_seconds: f64,
    /// Why the status is not optimal, or what the backend said.
    pub message: Option<String>,
    /// One pacing entry per campaign, in instance order ([`crate::pacing`]; empty unless optimal).
    pub pacing: Vec<PacingEntry>,
}

impl Solution {
    /// Checks and post-processes a backend's answer. A result the check rejects is reported as
    /// `numerical_error`, never as optimal.
    pub fn from_backend(inst: &Instance, model: &Model, raw: BackendResult, backend: &'static str, check_tolerance: f64, solve_seconds: f64) -> Solution {
        let mut sol = Solution {
            instance: inst.name.clone(),
            status: raw.status,
            backend,
            objective: 0.0,
            terms: Terms::default(),
            impressions: Vec::new(),
            rows: Vec::new(),
            certificate: None,
            iterations: raw.iterations,
            solve_seconds,
            message: raw.detail.clone(),
            pacing: Vec::new(),
        };
        if raw.status != Status::Optimal {
            return sol;
        }
        let mut x = raw.x;
        // Impressions below 1e-9 of the segment's supply count as 0 (spec section 4).
        for (e, edge) in inst.edges.iter().enumerate() {
            if x[e] < 1e-9 * inst.segments[edge.segment].supply {
                x[e] = 0.0;
            }
        }
        // Interior-point answers sit up to their tolerance outside simple bounds: project onto
        // them (the rows are then judged at the projected plan).
        for ((v, &lo), &hi) in x.iter_mut().zip(&model.lower).zip(&model.upper) {
            *v = v.clamp(lo, hi);
        }
        let act = model.activities(&x);
        // Each row's size, for the check and for complementary slackness below (a share row's
        // activity is a small difference of large terms).
        let terms_size = row_terms(model, &x);
        let cert = certify_at(model, &x, &raw.row_duals, &act, &terms_size);
        sol.certificate = Some(cert.clone());
        if !cert.passes(check_tolerance) || x.iter().chain(&raw.row_duals).any(|v| !v.is_finite()) {
            sol.status = Status::NumericalError;
            sol.message = Some(format!(
                "the backend reported optimal but agora's check rejects the answer (tolerance {check_tolerance:e}): \
                 primal residual {:.3e}{}, dual residual {:.3e}, gap {:.3e}",
                cert.primal_residual,
                cert.worst_row.as_deref().map(|r| format!(" at row {r}")).unwrap_or_default(),
                cert.dual_residual,
                cert.gap
            ));
            return sol;
        }

        sol.rows = model
            .rows
            .iter()
            .enumerate()
            .map(|(r, meta)| {
                // Activity is the row's left-hand side without its soft slack.
                let activity = act[r] - meta.slack.map_or(0.0, |c| x[c] * if meta.sense == Sense::Le { -1.0 } else { 1.0 });
                let (slack, violation) = match meta.sense {
                    Sense::Le => ((meta.rhs - activity).max(0.0), (activity - meta.rhs).max(0.0)),
                    Sense::Ge => ((activity - meta.rhs).max(0.0), (meta.rhs - activity).max(0.0)),
                };
                // Rounding noise (relative 1e-9) is not a violation, nor a slack worth reporting.
                let noise = 1e-9 * meta.rhs.abs().max(activity.abs()).max(1.0);
                let (slack, violation) = (if slack <= noise { 0.0 } else { slack }, if violation <= noise { 0.0 } else { violation });
                // The certificate bounded any wrong-signed dual by the tolerance: clip it.
                let dual = match meta.sense {
                    Sense::Le => raw.row_duals[r].max(0.0),
                    Sense::Ge => raw.row_duals[r].min(0.0),
                };
                // Complementary slackness, enforced: a row clearly off its bound (slack above 0.1%
                // of the row's size, max(1, |rhs|, sum |a x|), or 100 times the check tolerance if
                // larger) has dual exactly
                // 0. A vertex solution (HiGHS, sifting) has that already; an interior point leaves
                // ~1e-9 there, which would price a slack rule and throttle an unspent campaign.
                // Nearer its bound an interior point's dual can be real (a QP row within 1e-5 of
                // binding), so it stays (docs/model.md).
                let clearly_slack = slack > CLEARLY_SLACK.max(100.0 * check_tolerance) * meta.rhs.abs().max(terms_size[r]).max(1.0);
                let dual = if clearly_slack { 0.0 } else { dual };
                RowReport {
                    name: meta.name.clone(),
                    kind: meta.kind,
                    constraint: meta.constraint,
                    sense: meta.sense,
                    activity,
                    bound: meta.rhs,
                    slack,
                    violation,
                    dual,
                    shadow_price: shadow_price(meta, &x, dual),
                    parameter: meta.parameter,
                }
            })
            .collect();
        sol.terms = terms(inst, model, &x);
        sol.objective = sol.terms.total();
        x.truncate(model.n_edges);
        sol.impressions = x;
        sol.pacing = crate::pacing::pacing(inst, &sol);
        sol
    }

    /// The row with this spec name.
    pub fn row(&self, name: &str) -> Option<&RowReport> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// The rows whose parameter is `p`: one for a supply, budget or item cap, every row of the
    /// constraint for a constraint's field; none for objective weights and penalties.
    pub fn rows_of<'a>(&'a self, inst: &Instance, p: &Param) -> Vec<&'a RowReport> {
        let name = match p {
            Param::Supply(s) => format!("supply[{}]", inst.segments[*s].id),
            Param::Budget(a) => format!("budget[{}]", inst.campaigns[*a].id),
            Param::ItemCap(i) => format!("item_cap[{}]", inst.items[*i].id),
            Param::Constraint(k, field) if *field != "penalty" => {
                return self.rows.iter().filter(|r| r.constraint == Some(*k)).collect();
            }
            _ => return Vec::new(),
        };
        self.rows.iter().filter(|r| r.name == name).collect()
    }

    /// d(optimum)/d(p) for a parameter that sets rows: the sum of its rows' shadow prices
    /// (moving a constraint's field moves all of its rows). `None` for objective weights and
    /// penalties, which set no row.
    pub fn shadow_price_of(&self, inst: &Instance, p: &Param) -> Option<f64> {
        p.loosens_when_raised(inst)?;
        Some(self.rows_of(inst, p).iter().map(|r| r.shadow_price).sum())
    }

    /// Spend of every campaign in the plan (sum of price x impressions over its ad edges).
    pub fn campaign_spend(&self, inst: &Instance) -> Vec<f64> {
        let mut spend = vec![0.0; inst.campaigns.len()];
        for (e, edge) in inst.edges.iter().enumerate() {
            if let (Some(a), Some(&x)) = (inst.items[edge.item].campaign(), self.impressions.get(e)) {
                spend[a] += edge.price * x;
            }
        }
        spend
    }

    /// [`Solution::to_file`], with an infeasible day explained in the file's `diagnosis` (what
    /// `agora solve` writes) unless `settings.diagnose_infeasible` is off. A diagnosis that
    /// cannot be made leaves the file without one and is returned beside it, for a warning.
    pub fn to_file_explained(&self, inst: &Instance, settings: &crate::Settings) -> (SolutionFile, Option<crate::SolveError>) {
        let mut file = self.to_file(inst);
        if self.status != Status::Infeasible || !settings.diagnose_infeasible {
            return (file, None);
        }
        let ds = crate::DiagnoseSettings { solve: settings.clone(), ..Default::default() };
        match crate::diagnose(inst, &ds) {
            Ok(d) if !d.feasible => {
                file.diagnosis = Some(d);
                (file, None)
            }
            Ok(_) => (file, None),
            Err(e) => (file, Some(e)),
        }
    }

    /// The spec's complete solution file (section 4), pacing included.
    pub fn to_file(&self, inst: &Instance) -> SolutionFile {
        let plan = self
            .impressions
            .iter()
            .enumerate()
            .filter(|(_, &x)| x > 0.0)
            .map(|(e, &x)| PlanEntry {
                segment: inst.segments[inst.edges[e].segment].id.clone(),
                item: inst.items[inst.edges[e].item].id.clone(),
                impressions: x,
            })
            .collect();
        let constraints = self
            .rows
            .iter()
            .map(|r| ConstraintEntry {
                name: r.name.clone(),
                kind: r.kind,
                activity: r.activity,
                bound: r.bound,
                slack: r.slack,
                violation: r.violation,
                dual: r.dual,
                shadow_price: r.shadow_price,
                sense: Some(r.sense.symbol().to_string()),
                constraint: r.constraint.map(|k| inst.constraints[k].name.clone()),
                parameter: Some(r.parameter.0.to_string()),
            })
            .collect();
        SolutionFile {
            schema: SOLUTION_SCHEMA.to_string(),
            instance: self.instance.clone(),
            status: self.status,
            objective: self.objective,
            terms: self.terms,
            plan,
            constraints,
            pacing: self.pacing.clone(),
            backend: Some(self.backend.to_string()),
            certificate: self.certificate.clone(),
            message: self.message.clone(),
            instance_schema: Some(INSTANCE_SCHEMA.to_string()),
            instance_hash: Some(agora_instances::content_hash(inst)),
            diagnosis: None,
        }
    }
}

/// The objective's terms at `x` (edges then slacks), per spec section 4.
pub fn terms(inst: &Instance, model: &Model, x: &[f64]) -> Terms {
    let w = inst.objective;
    let mut t = Terms::default();
    for (e, edge) in inst.edges.iter().enumerate() {
        let xe = x[e];
        if xe == 0.0 {
            continue;
        }
        let item = &inst.items[edge.item];
        t.engagement += w.engagement * inst.planned_engagement(e) * xe;
        t.quality += w.quality * item.quality * xe;
        t.revenue += w.revenue * edge.price * xe;
        t.integrity_risk -= w.integrity_risk * item.risk * xe;
        t.regularization -= 0.5 * w.regularization * xe * xe / inst.segments[edge.segment].supply;
    }
    for meta in &model.rows {
        if let (Some(c), Some(p)) = (meta.slack, meta.penalty) {
            t.penalties -= p * x[c];
        }
    }
    t
}

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
    /// Always [`SOLUTION_SCHEMA`].
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
