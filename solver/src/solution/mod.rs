//! From a backend's answer to the spec's solution (section 4): plan, terms, every row's
//! activity, slack, violation, dual and shadow price, after the independent check.

use std::collections::HashMap;

use agora_instances::{Instance, Param, INSTANCE_SCHEMA};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::backends::BackendResult;
use crate::certificate::{certify_parts, clip_duals, Certificate, ColumnCheck, ColumnPass};
use crate::ir::{Columns, ParamVec, RowKind, RowMeta, Sense};
use crate::shadow::shadow_price_at;
use crate::status::Status;

mod file;
pub use file::{ConstraintEntry, PacingEntry, PlanEntry, SolutionFile};

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
    pub fn from_backend<C: Columns + ?Sized>(
        inst: &Instance,
        model: &C,
        raw: BackendResult,
        backend: &'static str,
        check_tolerance: f64,
        solve_seconds: f64,
    ) -> Solution {
        let sol = Solution {
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
        clean_plan(inst, model, &mut x, |e| e);
        let (y_clipped, _) = clip_duals(model.rows(), &raw.row_duals);
        let sums = PlanSums::of_model(inst, model, &x, &y_clipped, None, |j| j, model.n_cols(), SUMS_BLOCK);
        // A non-finite plan value makes the sums' objective, hence the check's gap, NaN: the
        // check rejects it.
        let sol = sol.assemble(inst, model.rows(), |c| x[c], &raw.row_duals, &sums, check_tolerance);
        if sol.status != Status::Optimal {
            return sol;
        }
        x.truncate(model.n_edges());
        Solution { impressions: x, ..sol }
    }

    /// Completes an optimal answer from the plan's sums over every column ([`PlanSums`]): the
    /// check, every row's report, the terms, the pacing. `x_of(c)` is the value of slack column
    /// `c`. A rejected answer comes back `numerical_error` with the check's figures. The caller
    /// sets `impressions`: the same for one process and for many (docs/distributed.md).
    pub(crate) fn assemble(
        mut self,
        inst: &Instance,
        rows: &[RowMeta],
        x_of: impl Fn(usize) -> f64,
        y: &[f64],
        sums: &PlanSums,
        check_tolerance: f64,
    ) -> Solution {
        let cert = certify_parts(rows, y, &sums.act, &sums.size, &sums.check);
        self.certificate = Some(cert.clone());
        if !cert.passes(check_tolerance) || y.iter().any(|v| !v.is_finite()) {
            self.status = Status::NumericalError;
            self.message = Some(format!(
                "the backend reported optimal but agora's check rejects the answer (tolerance {check_tolerance:e}): \
                 primal residual {:.3e}{}, dual residual {:.3e}, gap {:.3e}",
                cert.primal_residual,
                cert.worst_row.as_deref().map(|r| format!(" at row {r}")).unwrap_or_default(),
                cert.dual_residual,
                cert.gap
            ));
            return self;
        }
        self.rows = rows
            .iter()
            .enumerate()
            .map(|(r, meta)| {
                // Activity is the row's left-hand side without its soft slack.
                let activity = sums.act[r] - meta.slack.map_or(0.0, |c| x_of(c) * if meta.sense == Sense::Le { -1.0 } else { 1.0 });
                let (slack, violation) = match meta.sense {
                    Sense::Le => ((meta.rhs - activity).max(0.0), (activity - meta.rhs).max(0.0)),
                    Sense::Ge => ((activity - meta.rhs).max(0.0), (meta.rhs - activity).max(0.0)),
                };
                // Rounding noise (relative 1e-9) is not a violation, nor a slack worth reporting.
                let noise = 1e-9 * meta.rhs.abs().max(activity.abs()).max(1.0);
                let (slack, violation) = (if slack <= noise { 0.0 } else { slack }, if violation <= noise { 0.0 } else { violation });
                // The certificate bounded any wrong-signed dual by the tolerance: clip it.
                let dual = match meta.sense {
                    Sense::Le => y[r].max(0.0),
                    Sense::Ge => y[r].min(0.0),
                };
                // Complementary slackness, enforced: a row clearly off its bound (slack above 0.1%
                // of the row's size, max(1, |rhs|, sum |a x|), or 100 times the check tolerance if
                // larger) has dual exactly
                // 0. A vertex solution (HiGHS, sifting) has that already; an interior point leaves
                // ~1e-9 there, which would price a slack rule and throttle an unspent campaign.
                // Nearer its bound an interior point's dual can be real (a QP row within 1e-5 of
                // binding), so it stays (docs/model.md).
                let clearly_slack = slack > CLEARLY_SLACK.max(100.0 * check_tolerance) * meta.rhs.abs().max(sums.size[r]).max(1.0);
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
                    shadow_price: shadow_price_at(meta, sums.da_x[r], sums.dq_x2[r], dual),
                    parameter: meta.parameter,
                }
            })
            .collect();
        let mut terms = sums.terms;
        for meta in rows {
            if let (Some(c), Some(p)) = (meta.slack, meta.penalty) {
                terms.penalties -= p * x_of(c);
            }
        }
        self.terms = terms;
        self.objective = terms.total();
        self.pacing = crate::pacing::entries(inst, &self.rows, &sums.spend, &sums.value);
        self
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
        self.explained(self.to_file(inst), settings, |ds| crate::diagnose(inst, ds))
    }

    /// [`Solution::to_file_explained`], the relaxed day of the diagnosis solved in `inst` itself
    /// and put back ([`crate::diagnose_in_place`]): no copy of a large day.
    pub fn to_file_explained_in_place(&self, inst: &mut Instance, settings: &crate::Settings) -> (SolutionFile, Option<crate::SolveError>) {
        let file = self.to_file(inst);
        self.explained(file, settings, |ds| crate::diagnose_in_place(inst, ds))
    }

    /// `file` with the diagnosis `diagnose` makes of an infeasible day, as
    /// [`Solution::to_file_explained`] says.
    fn explained(
        &self,
        mut file: SolutionFile,
        settings: &crate::Settings,
        diagnose: impl FnOnce(&crate::DiagnoseSettings) -> Result<crate::Diagnosis, crate::SolveError>,
    ) -> (SolutionFile, Option<crate::SolveError>) {
        if self.status != Status::Infeasible || !settings.diagnose_infeasible {
            return (file, None);
        }
        let ds = crate::DiagnoseSettings { solve: settings.clone(), ..Default::default() };
        match diagnose(&ds) {
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
        self.file_with(inst, plan, agora_instances::content_hash(inst))
    }

    /// The solution file with its `plan` and the day's content hash given: what a distributed
    /// solve's root writes, which holds neither every edge nor their impressions. `inst` gives
    /// the constraints' names.
    pub fn file_with(&self, inst: &Instance, plan: Vec<PlanEntry>, instance_hash: String) -> SolutionFile {
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
            instance_hash: Some(instance_hash),
            diagnosis: None,
        }
    }
}

/// The objective's terms at `x` (edges then slacks), per spec section 4.
pub fn terms<C: Columns + ?Sized>(inst: &Instance, model: &C, x: &[f64]) -> Terms {
    let mut t = Terms::default();
    for (e, &xe) in x[..model.n_edges()].iter().enumerate() {
        edge_terms(inst, e, xe, &mut t);
    }
    for meta in model.rows() {
        if let (Some(c), Some(p)) = (meta.slack, meta.penalty) {
            t.penalties -= p * x[c];
        }
    }
    t
}

/// Edge `e`'s terms at `xe` impressions, added to `t` (penalties are rows', not edges').
pub fn edge_terms(inst: &Instance, e: usize, xe: f64, t: &mut Terms) {
    if xe == 0.0 {
        return;
    }
    let w = inst.objective;
    let edge = &inst.edges[e];
    let item = &inst.items[edge.item];
    t.engagement += w.engagement * inst.planned_engagement(e) * xe;
    t.quality += w.quality * item.quality * xe;
    t.revenue += w.revenue * edge.price * xe;
    t.integrity_risk -= w.integrity_risk * item.risk * xe;
    t.regularization -= 0.5 * w.regularization * xe * xe / inst.segments[edge.segment].supply;
}

/// A plan made presentable (spec section 4): impressions below 1e-9 of their segment's supply
/// count as 0, and every edge column is projected onto its bounds (interior-point answers sit up
/// to their tolerance outside them; the rows are then judged at the projected plan). Column `j`
/// of `model` is edge `edge_of(j)` of `inst`; slack columns are left as they are.
pub(crate) fn clean_plan<C: Columns + ?Sized>(inst: &Instance, model: &C, x: &mut [f64], edge_of: impl Fn(usize) -> usize) {
    for (j, v) in x[..model.n_edges()].iter_mut().enumerate() {
        if *v < 1e-9 * inst.segments[inst.edges[edge_of(j)].segment].supply {
            *v = 0.0;
        }
    }
    for (j, v) in x.iter_mut().enumerate().take(model.n_cols()) {
        *v = v.clamp(model.lower(j), model.upper(j));
    }
}

/// Columns per block of [`PlanSums::of_model`]'s parallel pass.
pub(crate) const SUMS_BLOCK: usize = 1 << 20;

#[cfg(test)]
mod blocks_test;

/// What a solution needs of a plan over a set of columns: per row its activity `A x`, its size
/// `sum |a x|`, `da . x` and `dquad . x^2` (for shadow prices); the edges' objective terms; each
/// campaign's spend and planned value; the check's part of the columns. Sums over disjoint sets
/// of columns add up ([`PlanSums::add`]): one process sums over all of a model's columns, many
/// processes each over their own and the sums are added (docs/distributed.md).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanSums {
    pub act: Vec<f64>,
    pub size: Vec<f64>,
    pub da_x: Vec<f64>,
    pub dq_x2: Vec<f64>,
    /// The edges' terms (`penalties` 0: slacks add theirs from the rows).
    pub terms: Terms,
    pub spend: Vec<f64>,
    pub value: Vec<f64>,
    pub check: ColumnCheck,
}

impl PlanSums {
    /// All zero, for `n_rows` rows and `n_campaigns` campaigns.
    pub fn zero(n_rows: usize, n_campaigns: usize) -> PlanSums {
        PlanSums::from_flat(n_rows, n_campaigns, &vec![0.0; PlanSums::flat_len(n_rows, n_campaigns)], [0.0; 2], None)
    }

    /// The length of [`PlanSums::to_flat`]'s sums for `n_rows` rows and `n_campaigns` campaigns.
    pub fn flat_len(n_rows: usize, n_campaigns: usize) -> usize {
        4 * n_rows + 2 * n_campaigns + 8
    }

    /// The sums as numbers: what adds up over processes (per row activity, size, `da . x`,
    /// `dquad . x^2`; per campaign spend and value; the terms; the check's dual bound and
    /// objective), and what is a maximum (the check's worst bound violation and unbounded
    /// reduced cost). The one place that lists the fields: zero, addition, the wire and the
    /// reductions of a distributed solve all go through it.
    pub fn to_flat(&self) -> (Vec<f64>, [f64; 2]) {
        let (t, c) = (&self.terms, &self.check);
        let mut sums: Vec<f64> = [&self.act, &self.size, &self.da_x, &self.dq_x2, &self.spend, &self.value].iter().flat_map(|v| v.iter().copied()).collect();
        sums.extend([t.engagement, t.quality, t.revenue, t.integrity_risk, t.regularization, t.penalties, c.dual_bound, c.objective]);
        (sums, [c.bound_violation, c.unbounded])
    }

    /// The sums [`PlanSums::to_flat`] gave, with the worst bound's column.
    pub fn from_flat(n_rows: usize, n_campaigns: usize, sums: &[f64], maxima: [f64; 2], worst_column: Option<usize>) -> PlanSums {
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            sums[at - n..at].to_vec()
        };
        let (act, size, da_x, dq_x2, spend, value) = (take(n_rows), take(n_rows), take(n_rows), take(n_rows), take(n_campaigns), take(n_campaigns));
        let r = take(8);
        PlanSums {
            act,
            size,
            da_x,
            dq_x2,
            terms: Terms { engagement: r[0], quality: r[1], revenue: r[2], integrity_risk: r[3], regularization: r[4], penalties: r[5] },
            spend,
            value,
            check: ColumnCheck { bound_violation: maxima[0], worst_column, unbounded: maxima[1], dual_bound: r[6], objective: r[7] },
        }
    }

    /// The sums over the first `n_cols` columns of `model` (its edges are `inst`'s, its slack
    /// columns follow) at plan `x` and clipped duals `y` (indexed by the rows' numbers in the
    /// sums). `row_of[r]` numbers model row `r` in the sums (None: the same) and `id_of(j)`
    /// names column `j` in the check; the sums have `y.len()` rows.
    /// The columns are summed in blocks of `block` ([`SUMS_BLOCK`] but in tests).
    #[allow(clippy::too_many_arguments)]
    pub fn of_model<C: Columns + ?Sized>(
        inst: &Instance,
        model: &C,
        x: &[f64],
        y: &[f64],
        row_of: Option<&[usize]>,
        id_of: impl Fn(usize) -> usize + Sync,
        n_cols: usize,
        block: usize,
    ) -> PlanSums {
        let row = |r: usize| row_of.map_or(r, |m| m[r]);
        // The duals in the model's own row numbers.
        let y_model: std::borrow::Cow<[f64]> = match row_of {
            Some(m) => m.iter().map(|&g| y[g]).collect(),
            None => y.into(),
        };
        // The columns' part, over fixed blocks of columns on the threads there are, added in
        // block order: the same bits for any number of threads (a day of at most one block is
        // summed as one pass). At 10^7 edges the pass took 0.7 s on one thread.
        let part = |cols: std::ops::Range<usize>| {
            let mut s = PlanSums::zero(y.len(), inst.campaigns.len());
            let (terms, spend, value) = (&mut s.terms, &mut s.spend, &mut s.value);
            let pass = ColumnPass::over(model, x, &y_model, y.len(), row_of, &id_of, cols, |j| {
                // (Only a served edge's item is read: reading every edge's would miss the cache for each.)
                if j < model.n_edges() && x[j] != 0.0 {
                    edge_terms(inst, j, x[j], terms);
                    if let Some(a) = inst.items[inst.edges[j].item].campaign() {
                        spend[a] += inst.edges[j].price * x[j];
                        value[a] += crate::formulate::edge_value(inst, j) * x[j];
                    }
                }
            });
            (s.act, s.size, s.check) = (pass.act, pass.size, pass.check);
            s
        };
        let blocks: Vec<std::ops::Range<usize>> = (0..n_cols).step_by(block).map(|a| a..a.saturating_add(block).min(n_cols)).collect();
        let mut s = match blocks.len() {
            0 | 1 => part(0..n_cols),
            _ => {
                let mut s = PlanSums::zero(y.len(), inst.campaigns.len());
                // A batch of blocks per round keeps as many parts alive as there are threads.
                for batch in blocks.chunks(rayon::current_num_threads().max(1)) {
                    let parts: Vec<PlanSums> = batch.par_iter().map(|b| part(b.clone())).collect();
                    parts.iter().for_each(|p| s.add(p));
                }
                s
            }
        };
        // A segment's share rows share one column list (`ParamVec::Uniform`): its sum of `x` is
        // taken once, not once per row (a dozen topic rows per segment on real days).
        let mut uniform: HashMap<*const u32, f64> = HashMap::new();
        for (r, meta) in model.rows().iter().enumerate() {
            let in_range = |&(j, _): &(usize, f64)| j < n_cols;
            s.da_x[row(r)] += match &meta.da {
                ParamVec::Uniform { cols, value } => {
                    *value
                        * *uniform.entry(cols.as_ptr()).or_insert_with(|| cols.iter().map(|&j| j as usize).filter(|&j| j < n_cols).map(|j| x[j]).sum::<f64>())
                }
                da => da.iter().filter(in_range).map(|(j, d)| d * x[j]).sum::<f64>(),
            };
            s.dq_x2[row(r)] += meta.dquad.iter().filter(in_range).map(|(j, d)| d * x[j] * x[j]).sum::<f64>();
        }
        s
    }

    /// Adds the sums over another, disjoint set of columns (the worst bound stays the first
    /// one's on a tie, as if the columns had been added in order).
    pub fn add(&mut self, other: &PlanSums) {
        let (mut sums, maxima) = self.to_flat();
        let (more, other_maxima) = other.to_flat();
        sums.iter_mut().zip(&more).for_each(|(u, v)| *u += v);
        let worst_column = if other_maxima[0] > maxima[0] { other.check.worst_column } else { self.check.worst_column };
        *self = PlanSums::from_flat(self.act.len(), self.spend.len(), &sums, [maxima[0].max(other_maxima[0]), maxima[1].max(other_maxima[1])], worst_column);
    }
}
