//! From a solved day to a serving artifact, after checking the plan independently: export
//! refuses a solution that is not optimal, that names another instance, whose plan fails the
//! spec's feasibility check, whose duals have the wrong sign, or whose objective or pacing does
//! not match its own plan.

use agora_solver::Columns as _;
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use std::collections::HashMap;

use agora_instances::{plan_violations, Instance};
use agora_solver::{edge_value, Formulation, RowKind, Sense, SolutionFile, Status};

use agora_serving::artifact::*;
use agora_serving::Parts;
use agora_solver::pacing;

/// The relative tolerance of export's feasibility check ([`plan_violations`]).
pub const FEASIBILITY_TOLERANCE: f64 = 1e-6;

/// Options of [`build`].
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// When serving may start using the artifact (UTC `YYYY-MM-DDTHH:MM:SSZ`); default unbounded.
    pub valid_from: Option<String>,
    /// When serving must stop using it; default unbounded.
    pub valid_to: Option<String>,
    /// The creation time written to the manifest; default now.
    pub created_at: Option<String>,
}

/// Why a solution cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The solution's status is not `optimal`.
    #[error("the solution's status is {0}, not optimal: only an optimal plan may be exported")]
    NotOptimal(Status),
    /// The solution is of another instance, or of another version of it (its recorded content hash
    /// differs); the message says which.
    #[error("{0}")]
    OtherInstance(String),
    /// A plan entry names an edge the instance does not have.
    #[error("plan entry {segment} -> {item}: no such edge in the instance")]
    UnknownEdge {
        /// The entry's segment id.
        segment: String,
        /// The entry's item id.
        item: String,
    },
    /// A plan entry's edge is listed twice.
    #[error("plan entry {segment} -> {item}: listed twice")]
    DuplicateEdge {
        /// The entry's segment id.
        segment: String,
        /// The entry's item id.
        item: String,
    },
    /// The plan breaks a hard row or a bound by more than the relative tolerance (soft rows may be
    /// violated: they are paid for).
    #[error("the plan fails the feasibility check (relative tolerance {tolerance:e}) on {} row(s): {}", violations.len(), violations.iter().take(5).cloned().collect::<Vec<_>>().join("; "))]
    Infeasible {
        /// The relative tolerance of the check ([`FEASIBILITY_TOLERANCE`]).
        tolerance: f64,
        /// Every violation, in words, naming its row.
        violations: Vec<String>,
    },
    /// A row of the instance's model is missing from the solution's `constraints`.
    #[error("constraint row {0}: missing from the solution")]
    MissingRow(String),
    /// A row's dual has the wrong sign: negative on a `<=` row or positive on a `>=` row.
    #[error("constraint row {name}: dual {dual} has the wrong sign for a {sense} row")]
    DualSign {
        /// The row's spec name.
        name: String,
        /// `<=` or `>=`.
        sense: &'static str,
        /// The dual the solution gives.
        dual: f64,
    },
    /// A dual, shadow price or planned impression count is not finite.
    #[error("{what}: {value} is not a finite number")]
    NotFinite {
        /// Which number, in words.
        what: String,
        /// Its value.
        value: f64,
    },
    /// The solution's objective does not match the one recomputed from its plan.
    #[error("the solution's objective {reported} does not match its plan's, {recomputed}")]
    Objective {
        /// The objective in the solution.
        reported: f64,
        /// The objective of the plan, recomputed from the instance (penalties included).
        recomputed: f64,
    },
    /// A campaign has no entry in the solution's `pacing`.
    #[error("campaign {0}: missing from the solution's pacing")]
    MissingPacing(String),
    /// A campaign's multiplier differs by more than 1e-6 from the one recomputed from the plan and its
    /// budget dual.
    #[error("campaign {campaign}: the solution's multiplier {reported} does not match its plan's, {recomputed}")]
    Pacing {
        /// The campaign's id.
        campaign: String,
        /// The multiplier in the solution.
        reported: f64,
        /// The multiplier recomputed from the plan.
        recomputed: f64,
    },
    /// The validity window is malformed: a time not written `YYYY-MM-DDTHH:MM:SSZ`, or a start not
    /// before the end.
    #[error("validity window: {0}")]
    Validity(String),
}

/// A checked export: the artifact's small tables, and each edge's plan and dual adjustment, its
/// ids and value read from the instance when a writer asks for the edge ([`EdgeRows`]): what
/// `agora export` streams to the artifact's per-edge file without holding its rows.
pub struct Export<'a> {
    inst: &'a Instance,
    /// `manifest.json` (its `files` filled in when written).
    pub manifest: Manifest,
    /// `pacing.csv`.
    pub pacing: Vec<PacingRow>,
    /// `adjustments.csv`.
    pub adjustments: Vec<AdjustmentRow>,
    /// `segments.csv`.
    pub segments: Vec<SegmentRow>,
    /// Each edge's `sum_r dual_r a_re` over every row but the budgets.
    adjustment: Vec<f64>,
    /// Each edge's value, `c_e`.
    value: Vec<f64>,
    /// Each edge's planned impressions.
    x: Vec<f64>,
    /// The items' ids end to end (item `i`'s ends at `item_end[i]`) and their campaigns
    /// (`u32::MAX`: organic): what a row reads of its item, a tenth of the items' size, so that
    /// writing edges in no item order meets fewer cache misses.
    item_ids: String,
    item_end: Vec<u32>,
    item_campaign: Vec<u32>,
}

/// [`Export`]'s compact copy of the items' ids and campaigns.
fn item_ids(inst: &Instance) -> (String, Vec<u32>, Vec<u32>) {
    let mut ids = String::with_capacity(inst.items.iter().map(|i| i.id.len()).sum());
    let mut end = Vec::with_capacity(inst.items.len());
    for item in &inst.items {
        ids.push_str(&item.id);
        end.push(u32::try_from(ids.len()).expect("the item ids of a day fit in 4 GB"));
    }
    let campaign = inst.items.iter().map(|i| i.campaign().map_or(u32::MAX, |a| a as u32)).collect();
    (ids, end, campaign)
}

impl EdgeRows for Export<'_> {
    fn len(&self) -> usize {
        self.inst.edges.len()
    }
    fn row(&self, e: usize) -> EdgeRef<'_> {
        let inst = self.inst;
        let edge = &inst.edges[e];
        let start = if edge.item == 0 { 0 } else { self.item_end[edge.item - 1] as usize };
        let campaign = self.item_campaign[edge.item];
        EdgeRef {
            segment: &inst.segments[edge.segment].id,
            item: &self.item_ids[start..self.item_end[edge.item] as usize],
            campaign: (campaign != u32::MAX).then(|| inst.campaigns[campaign as usize].id.as_str()),
            value: self.value[e],
            price: edge.price,
            adjustment: self.adjustment[e],
            rate: self.x[e] / inst.segments[edge.segment].supply,
        }
    }
}

impl Export<'_> {
    /// The artifact's parts, its per-edge file written as `format` ([`agora_serving::write_parts`]).
    pub fn parts(&self, format: EdgesFormat) -> Parts<'_, Self> {
        Parts { manifest: &self.manifest, pacing: &self.pacing, adjustments: &self.adjustments, segments: &self.segments, edges: self, format }
    }

    /// The edges the plan serves (a positive rate).
    pub fn planned_edges(&self) -> usize {
        self.x.iter().filter(|&&x| x > 0.0).count()
    }

    /// The artifact in memory, its edges as rows.
    pub fn into_artifact(self) -> Artifact {
        let edges = (0..self.inst.edges.len()).map(|e| self.row(e).to_row()).collect();
        Artifact { manifest: self.manifest, pacing: self.pacing, adjustments: self.adjustments, segments: self.segments, edges }
    }
}

/// Builds the artifact of solution `sol` of instance `inst`, whose file's bytes hash to
/// `content_hash` ([`content_hash`]), in memory ([`check`], then [`Export::into_artifact`]).
pub fn build(inst: &Instance, content_hash: &str, sol: &SolutionFile, opts: &ExportOptions) -> Result<Artifact, ExportError> {
    check(inst, content_hash, sol, opts).map(Export::into_artifact)
}

/// Checks solution `sol` of instance `inst` for export and computes what the artifact holds.
/// The day's columns are generated from the instance ([`Formulation`]), never stored as a
/// matrix: an export costs a pass over the edges beside loading the day.
pub fn check<'a>(inst: &'a Instance, content_hash: &str, sol: &SolutionFile, opts: &ExportOptions) -> Result<Export<'a>, ExportError> {
    if sol.status != Status::Optimal {
        return Err(ExportError::NotOptimal(sol.status));
    }
    for t in [&opts.valid_from, &opts.valid_to].into_iter().flatten() {
        if !is_utc_time(t) {
            return Err(ExportError::Validity(format!("\"{t}\" is not a UTC time written YYYY-MM-DDTHH:MM:SSZ")));
        }
    }
    if let (Some(from), Some(to)) = (&opts.valid_from, &opts.valid_to) {
        if from >= to {
            return Err(ExportError::Validity(format!("it starts at {from}, not before it ends at {to}")));
        }
    }
    // The instance's content hash (a pass over the whole day) on one thread, the rest on the
    // others; a solution of another instance is refused whatever else is wrong with it.
    let (same_instance, export) = rayon::join(|| sol.check_instance(inst), || checked(inst, content_hash, sol, opts));
    same_instance.map_err(ExportError::OtherInstance)?;
    export
}

/// [`check`] once the solution's status and the validity window are known good.
fn checked<'a>(inst: &'a Instance, content_hash: &str, sol: &SolutionFile, opts: &ExportOptions) -> Result<Export<'a>, ExportError> {
    let x = plan_vector(inst, sol)?;
    let model = Formulation::new(inst);
    let rows = model.rows();
    let entries: HashMap<&str, &agora_solver::ConstraintEntry> = sol.constraints.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut dual = Vec::with_capacity(rows.len());
    for meta in rows {
        let entry = entries.get(meta.name.as_str()).ok_or_else(|| ExportError::MissingRow(meta.name.clone()))?;
        finite(&format!("constraint row {} dual", meta.name), entry.dual)?;
        finite(&format!("constraint row {} shadow_price", meta.name), entry.shadow_price)?;
        let wrong = match meta.sense {
            Sense::Le => entry.dual < 0.0,
            Sense::Ge => entry.dual > 0.0,
        };
        if wrong {
            return Err(ExportError::DualSign { name: meta.name.clone(), sense: meta.sense.symbol(), dual: entry.dual });
        }
        dual.push(entry.dual);
    }

    // Feasibility, with soft rows allowed the violation they pay for.
    let mut padded = x.clone();
    padded.resize(model.n_cols(), 0.0);
    let act = model.activities(&padded);
    let mut penalties = 0.0;
    for (r, meta) in rows.iter().enumerate() {
        if let Some(p) = meta.penalty {
            let v = match meta.sense {
                Sense::Le => act[r] - meta.rhs,
                Sense::Ge => meta.rhs - act[r],
            };
            penalties += p * v.max(0.0);
        }
    }
    let violations = hard_violations(inst, rows, &x, FEASIBILITY_TOLERANCE);
    if !violations.is_empty() {
        return Err(ExportError::Infeasible { tolerance: FEASIBILITY_TOLERANCE, violations });
    }
    let t = agora_solver::terms(inst, &model, &padded);
    drop(padded);
    let recomputed = t.total() - penalties;
    let scale = t.engagement.abs() + t.quality.abs() + t.revenue.abs() + t.integrity_risk.abs() + t.regularization.abs() + penalties.abs();
    // Written so that a NaN objective fails too.
    let matches = (sol.objective - recomputed).abs() <= FEASIBILITY_TOLERANCE * scale.max(1.0);
    if !matches {
        return Err(ExportError::Objective { reported: sol.objective, recomputed });
    }

    // Pacing, recomputed from the plan and the budget duals.
    let mut spend = vec![0.0; inst.campaigns.len()];
    let mut value = vec![0.0; inst.campaigns.len()];
    // A zero adds nothing to a sum: only the planned edges are looked up.
    for (e, edge) in inst.edges.iter().enumerate().filter(|&(e, _)| x[e] != 0.0) {
        if let Some(a) = inst.items[edge.item].campaign() {
            spend[a] += edge.price * x[e];
            value[a] += edge_value(inst, e) * x[e];
        }
    }
    let budget_dual = |id: &str| entries.get(format!("budget[{id}]").as_str()).map_or(0.0, |c| c.dual);
    let pacing_of: HashMap<&str, &agora_solver::PacingEntry> = sol.pacing.iter().rev().map(|p| (p.campaign.as_str(), p)).collect();
    let mut multipliers = Vec::with_capacity(inst.campaigns.len());
    let mut pacing_rows = Vec::with_capacity(inst.campaigns.len());
    for (a, camp) in inst.campaigns.iter().enumerate() {
        let entry = pacing_of.get(camp.id.as_str()).ok_or_else(|| ExportError::MissingPacing(camp.id.clone()))?;
        let mu = budget_dual(&camp.id);
        let m = pacing::multiplier(mu, spend[a], value[a]);
        let matches = (entry.multiplier - m).abs() <= 1e-6;
        if !matches {
            return Err(ExportError::Pacing { campaign: camp.id.clone(), reported: entry.multiplier, recomputed: m });
        }
        multipliers.push(m);
        pacing_rows.push(PacingRow { campaign: camp.id.clone(), multiplier: m, budget: camp.budget, planned_spend: spend[a], budget_dual: mu });
    }

    let adjustments = rows
        .iter()
        .zip(&dual)
        .map(|(meta, &y)| AdjustmentRow {
            name: meta.name.clone(),
            kind: meta.kind.to_string(),
            sense: meta.sense.symbol().to_string(),
            scope: scope(inst, meta),
            dual: y,
            shadow_price: entries[meta.name.as_str()].shadow_price,
            units: units(meta.kind).to_string(),
        })
        .collect();

    let (adjustment, value, best, scale) = per_edge(inst, &model, &dual, &multipliers);
    let score = |e: usize| {
        let m = model.edge_campaign(e).map_or(1.0, |a| multipliers[a]);
        agora_serving::score::score(value[e], adjustment[e], m)
    };
    // Per segment: the plan's impressions (summed in edge order) and the widest gap below the
    // best score of a planned edge.
    let ns = inst.segments.len();
    let (mut served, mut gap) = (vec![0.0; ns], vec![0.0f64; ns]);
    for (e, edge) in inst.edges.iter().enumerate().filter(|&(e, _)| x[e] != 0.0) {
        served[edge.segment] += x[e];
        if x[e] > 0.0 {
            gap[edge.segment] = gap[edge.segment].max(best[edge.segment] - score(e));
        }
    }
    let mut segments = Vec::with_capacity(ns);
    for (s, seg) in inst.segments.iter().enumerate() {
        let unserved_rate = (1.0 - served[s] / seg.supply).max(0.0);
        let unserved_rate = if unserved_rate < 1e-12 { 0.0 } else { unserved_rate };
        let unserved_score = -entries.get(format!("supply[{}]", seg.id).as_str()).map_or(0.0, |c| c.dual);
        let mut gap = gap[s];
        if unserved_rate > 0.0 && best[s].is_finite() {
            gap = gap.max(best[s] - unserved_score);
        }
        segments.push(SegmentRow { segment: seg.id.clone(), supply: seg.supply, unserved_rate, unserved_score, epsilon: gap + 1e-9 * scale[s] });
    }

    let cert = sol.certificate.as_ref();
    let manifest = Manifest {
        schema: SERVING_SCHEMA.to_string(),
        instance: InstanceRef { name: inst.name.clone(), content_hash: content_hash.to_string() },
        backend: sol.backend.clone().unwrap_or_else(|| "unknown".to_string()),
        status: Status::Optimal.as_str().to_string(),
        objective: sol.objective,
        tolerances: Tolerances {
            feasibility: FEASIBILITY_TOLERANCE,
            primal_residual: cert.map(|c| c.primal_residual),
            dual_residual: cert.map(|c| c.dual_residual),
            gap: cert.map(|c| c.gap),
        },
        validity: Validity { from: opts.valid_from.clone(), to: opts.valid_to.clone() },
        created_at: opts.created_at.clone().unwrap_or_else(now_utc),
        score_rule: SCORE_RULE.to_string(),
        files: Vec::new(),
    };
    let (item_ids, item_end, item_campaign) = item_ids(inst);
    Ok(Export { inst, manifest, pacing: pacing_rows, adjustments, segments, adjustment, value, x, item_ids, item_end, item_campaign })
}

/// The independent feasibility check's violations of plan `x` ([`plan_violations`]) on the
/// hard rows: a soft row of `rows` (the day's model's) may be violated, at its penalty.
pub(crate) fn hard_violations(inst: &Instance, rows: &[agora_solver::RowMeta], x: &[f64], tolerance: f64) -> Vec<String> {
    let soft: Vec<String> = rows.iter().filter(|m| m.penalty.is_some()).map(|m| format!("{}: ", m.name)).collect();
    plan_violations(inst, x, tolerance).into_iter().filter(|v| !soft.iter().any(|n| v.starts_with(n.as_str()))).collect()
}

/// Each edge's dual adjustment (`sum_r dual_r a_re` over every row but the budgets, which the
/// multiplier replaces; its entries generated and summed in row order, as a stored column's
/// would be) and value, and per segment the best score and the largest `|value|` (at least 1):
/// one pass over the edges, split among rayon's threads.
fn per_edge(inst: &Instance, model: &Formulation, dual: &[f64], multipliers: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    const CHUNK: usize = 1 << 14;
    let counted: Vec<bool> = model.rows().iter().map(|m| m.kind != RowKind::Budget).collect();
    let (mut adjustment, mut value) = (vec![0.0; model.n_edges()], vec![0.0; model.n_edges()]);
    // Each chunk's runs of one segment: (segment, best score, largest |value|).
    let runs: Vec<Vec<(usize, f64, f64)>> = adjustment
        .par_chunks_mut(CHUNK)
        .zip(value.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(c, (adj, val))| {
            let start = c * CHUNK;
            let mut runs: Vec<(usize, f64, f64)> = Vec::new();
            model.visit(start..start + adj.len(), |e| {
                let mut sum = 0.0;
                model.for_each_entry(e, |r, a| {
                    if counted[r] {
                        sum += dual[r] * a;
                    }
                });
                // The column's cost is the edge's value (the one formula, from the item's packed facts).
                let v = model.cost(e);
                let (edge, k) = (&inst.edges[e], e - start);
                (adj[k], val[k]) = (sum, v);
                let m = model.edge_campaign(e).map_or(1.0, |a| multipliers[a]);
                let score = agora_serving::score::score(v, sum, m);
                match runs.last_mut() {
                    Some(run) if run.0 == edge.segment => (run.1, run.2) = (run.1.max(score), run.2.max(v.abs())),
                    _ => runs.push((edge.segment, score, v.abs())),
                }
            });
            runs
        })
        .collect();
    let ns = inst.segments.len();
    let (mut best, mut scale) = (vec![f64::NEG_INFINITY; ns], vec![1.0f64; ns]);
    for (s, b, v) in runs.into_iter().flatten() {
        (best[s], scale[s]) = (best[s].max(b), scale[s].max(v));
    }
    (adjustment, value, best, scale)
}

fn finite(what: &str, value: f64) -> Result<(), ExportError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ExportError::NotFinite { what: what.to_string(), value })
    }
}

/// The plan as impressions per edge, in instance edge order ([`plan_edges`]).
fn plan_vector(inst: &Instance, sol: &SolutionFile) -> Result<Vec<f64>, ExportError> {
    let mut x = vec![0.0; inst.edges.len()];
    for (p, e) in sol.plan.iter().zip(plan_edges(inst, sol)?) {
        x[e] = p.impressions;
    }
    Ok(x)
}

/// The instance edge of each of the solution's plan entries, in plan order
/// ([`Instance::edges_of`]): an error for an entry of no edge, an edge listed twice, or
/// impressions that are not finite, the first bad entry in plan order named.
pub fn plan_edges(inst: &Instance, sol: &SolutionFile) -> Result<Vec<usize>, ExportError> {
    let pairs: Vec<(&str, &str)> = sol.plan.iter().map(|p| (p.segment.as_str(), p.item.as_str())).collect();
    let mut seen = FxHashSet::default();
    sol.plan
        .iter()
        .zip(inst.edges_of(&pairs))
        .map(|(p, e)| {
            let e = e.ok_or_else(|| ExportError::UnknownEdge { segment: p.segment.clone(), item: p.item.clone() })?;
            if !seen.insert(e) {
                return Err(ExportError::DuplicateEdge { segment: p.segment.clone(), item: p.item.clone() });
            }
            finite(&format!("plan entry {} -> {} impressions", p.segment, p.item), p.impressions)?;
            Ok(e)
        })
        .collect()
}

/// What a row is scoped to: `segment:ID`, `campaign:ID`, `item:ID` or `day`.
fn scope(inst: &Instance, meta: &agora_solver::RowMeta) -> String {
    let inner = |prefix: &str| meta.name.strip_prefix(prefix).and_then(|s| s.strip_suffix(']')).unwrap_or_default().to_string();
    match (meta.kind, meta.segment) {
        (_, Some(s)) => format!("segment:{}", inst.segments[s].id),
        (RowKind::Budget, _) => format!("campaign:{}", inner("budget[")),
        (RowKind::ItemCap, _) => format!("item:{}", inner("item_cap[")),
        _ => "day".to_string(),
    }
}

/// The units of a row's dual: objective units per unit of the row's left-hand side.
fn units(kind: RowKind) -> &'static str {
    match kind {
        RowKind::Budget | RowKind::RevenueFloor => "objective per currency",
        RowKind::IntegrityCap => "objective per risk-weighted impression",
        RowKind::ExposureParity => "objective per merit-weighted impression",
        _ => "objective per impression",
    }
}
