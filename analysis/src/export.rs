//! From a solved day to a serving artifact, after checking the plan independently: export
//! refuses a solution that is not optimal, that names another instance, whose plan fails the
//! spec's feasibility check, whose duals have the wrong sign, or whose objective or pacing does
//! not match its own plan.

use agora_solver::Columns as _;
use std::collections::HashMap;

use agora_instances::{plan_violations, Instance};
use agora_solver::{edge_value, formulate, RowKind, Sense, SolutionFile, Status};

use agora_serving::artifact::*;
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

/// Builds the artifact of solution `sol` of instance `inst`, whose file's bytes hash to
/// `content_hash` ([`content_hash`]).
pub fn build(inst: &Instance, content_hash: &str, sol: &SolutionFile, opts: &ExportOptions) -> Result<Artifact, ExportError> {
    if sol.status != Status::Optimal {
        return Err(ExportError::NotOptimal(sol.status));
    }
    sol.check_instance(inst).map_err(ExportError::OtherInstance)?;
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

    let x = plan_vector(inst, sol)?;
    let model = formulate(inst);
    let entries: HashMap<&str, &agora_solver::ConstraintEntry> = sol.constraints.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut dual = Vec::with_capacity(model.rows.len());
    for meta in &model.rows {
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
    let mut soft_names = Vec::new();
    for (r, meta) in model.rows.iter().enumerate() {
        if let Some(p) = meta.penalty {
            let v = match meta.sense {
                Sense::Le => act[r] - meta.rhs,
                Sense::Ge => meta.rhs - act[r],
            };
            penalties += p * v.max(0.0);
            soft_names.push(format!("{}: ", meta.name));
        }
    }
    let violations: Vec<String> =
        plan_violations(inst, &x, FEASIBILITY_TOLERANCE).into_iter().filter(|v| !soft_names.iter().any(|n| v.starts_with(n.as_str()))).collect();
    if !violations.is_empty() {
        return Err(ExportError::Infeasible { tolerance: FEASIBILITY_TOLERANCE, violations });
    }
    let t = agora_solver::terms(inst, &model, &padded);
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
    for (e, edge) in inst.edges.iter().enumerate() {
        if let Some(a) = inst.items[edge.item].campaign() {
            spend[a] += edge.price * x[e];
            value[a] += edge_value(inst, e) * x[e];
        }
    }
    let budget_dual = |id: &str| entries.get(format!("budget[{id}]").as_str()).map_or(0.0, |c| c.dual);
    let mut multipliers = Vec::with_capacity(inst.campaigns.len());
    let mut pacing_rows = Vec::with_capacity(inst.campaigns.len());
    for (a, camp) in inst.campaigns.iter().enumerate() {
        let entry = sol.pacing.iter().find(|p| p.campaign == camp.id).ok_or_else(|| ExportError::MissingPacing(camp.id.clone()))?;
        let mu = budget_dual(&camp.id);
        let m = pacing::multiplier(mu, spend[a], value[a]);
        let matches = (entry.multiplier - m).abs() <= 1e-6;
        if !matches {
            return Err(ExportError::Pacing { campaign: camp.id.clone(), reported: entry.multiplier, recomputed: m });
        }
        multipliers.push(m);
        pacing_rows.push(PacingRow { campaign: camp.id.clone(), multiplier: m, budget: camp.budget, planned_spend: spend[a], budget_dual: mu });
    }

    let adjustments = model
        .rows
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

    // Each edge's dual adjustment: every row but the budgets (which the multiplier replaces).
    let mut adjustment = vec![0.0; inst.edges.len()];
    for (j, col) in model.matrix.outer_iterator().enumerate().take(model.n_edges) {
        for (r, &a) in col.iter() {
            if model.rows[r].kind != RowKind::Budget {
                adjustment[j] += dual[r] * a;
            }
        }
    }
    let score: Vec<f64> = (0..inst.edges.len())
        .map(|e| {
            let m = inst.items[inst.edges[e].item].campaign().map_or(1.0, |a| multipliers[a]);
            agora_serving::score::score(edge_value(inst, e), adjustment[e], m)
        })
        .collect();

    let supply_dual: Vec<f64> = inst.segments.iter().map(|s| entries.get(format!("supply[{}]", s.id).as_str()).map_or(0.0, |c| c.dual)).collect();
    let mut seg_edges = vec![Vec::new(); inst.segments.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        seg_edges[edge.segment].push(e);
    }
    let mut segments = Vec::with_capacity(inst.segments.len());
    for (s, seg) in inst.segments.iter().enumerate() {
        let edges = &seg_edges[s];
        let served: f64 = edges.iter().map(|&e| x[e]).sum();
        let unserved_rate = (1.0 - served / seg.supply).max(0.0);
        let unserved_rate = if unserved_rate < 1e-12 { 0.0 } else { unserved_rate };
        let unserved_score = -supply_dual[s];
        let best = edges.iter().map(|&e| score[e]).fold(f64::NEG_INFINITY, f64::max);
        let mut gap = edges.iter().filter(|&&e| x[e] > 0.0).map(|&e| best - score[e]).fold(0.0, f64::max);
        if unserved_rate > 0.0 && best.is_finite() {
            gap = gap.max(best - unserved_score);
        }
        let scale = edges.iter().map(|&e| edge_value(inst, e).abs()).fold(1.0, f64::max);
        segments.push(SegmentRow { segment: seg.id.clone(), supply: seg.supply, unserved_rate, unserved_score, epsilon: gap + 1e-9 * scale });
    }

    let edges = inst
        .edges
        .iter()
        .enumerate()
        .map(|(e, edge)| EdgeRow {
            segment: inst.segments[edge.segment].id.clone(),
            item: inst.items[edge.item].id.clone(),
            campaign: inst.items[edge.item].campaign().map(|a| inst.campaigns[a].id.clone()),
            value: edge_value(inst, e),
            price: edge.price,
            adjustment: adjustment[e],
            rate: x[e] / inst.segments[edge.segment].supply,
        })
        .collect();

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
    Ok(Artifact { manifest, pacing: pacing_rows, adjustments, segments, edges })
}

fn finite(what: &str, value: f64) -> Result<(), ExportError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ExportError::NotFinite { what: what.to_string(), value })
    }
}

/// The plan as impressions per edge, in instance edge order.
fn plan_vector(inst: &Instance, sol: &SolutionFile) -> Result<Vec<f64>, ExportError> {
    let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(inst.edges.len());
    for (e, edge) in inst.edges.iter().enumerate() {
        index.insert((inst.segments[edge.segment].id.as_str(), inst.items[edge.item].id.as_str()), e);
    }
    let mut x = vec![0.0; inst.edges.len()];
    let mut seen = vec![false; inst.edges.len()];
    for p in &sol.plan {
        let e =
            *index.get(&(p.segment.as_str(), p.item.as_str())).ok_or_else(|| ExportError::UnknownEdge { segment: p.segment.clone(), item: p.item.clone() })?;
        if std::mem::replace(&mut seen[e], true) {
            return Err(ExportError::DuplicateEdge { segment: p.segment.clone(), item: p.item.clone() });
        }
        finite(&format!("plan entry {} -> {} impressions", p.segment, p.item), p.impressions)?;
        x[e] = p.impressions;
    }
    Ok(x)
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
