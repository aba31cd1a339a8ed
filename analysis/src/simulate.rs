//! A day of serving, simulated: a seeded stream of `N` impression opportunities, each in a segment
//! drawn in proportion to supply and standing for `total supply / N` impressions, served by a
//! policy among the eligible edges. An edge is eligible while its edge cap and its item's cap
//! have room for one more opportunity's impressions and, for an ad, while its campaign's remaining
//! budget covers their price; so no policy can overspend. The same stream is replayed for the
//! three policies: `exported` (the score rule over the artifact), `no_pacing` and `online_dual`
//! ([`super::policies`]).

use agora_solver::Columns as _;

use agora_instances::Instance;
use agora_solver::{edge_value, Formulation, RowKind, Sense};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::policies::{Exported, NoPacing, OnlineDual, Policy};
use agora_serving::Artifact;
use agora_serving::ServingRule;

/// The `schema` string of simulation reports.
pub const SIMULATION_SCHEMA: &str = "agora.simulation/v1";

/// Settings of [`simulate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulationConfig {
    /// Impression opportunities in the day (>= 1).
    pub arrivals: usize,
    /// Seeds the stream of opportunities; the same seed gives the same report.
    pub seed: u64,
}

/// `agora.simulation/v1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationReport {
    /// Always [`SIMULATION_SCHEMA`].
    pub schema: String,
    /// Impression opportunities simulated.
    pub arrivals: usize,
    /// The plan's objective, the yardstick of `retention`.
    pub plan: PlanObjective,
    /// What the exported policy (the score rule over the artifact) made of the day.
    pub exported: PolicyReport,
    /// The two baseline policies.
    pub baselines: Baselines,
}

/// The plan's objective, from the artifact's manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanObjective {
    /// The objective in the artifact's manifest.
    pub objective: f64,
}

/// The two baselines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baselines {
    /// `no_pacing`: the eligible edge of highest raw value, ignoring every rule but caps and budgets.
    pub no_pacing: PolicyReport,
    /// `online_dual`: dual mirror descent on every row but the supplies.
    pub online_dual: PolicyReport,
}

/// What one policy made of the day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyReport {
    /// The spec's objective at the served impressions (penalties of soft rows included).
    pub objective: f64,
    /// `objective / plan objective`.
    pub retention: f64,
    /// Every campaign's budget and realised spend, in instance order.
    pub campaigns: Vec<CampaignSpend>,
    /// Every row of the model, in model order, in the user's units.
    pub rows: Vec<RowOutcome>,
}

/// A campaign's budget and realised spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignSpend {
    /// The campaign's id.
    pub campaign: String,
    /// The campaign's daily budget (currency per day).
    pub budget: f64,
    /// What the policy spent on the campaign's ads over the day (currency).
    pub spend: f64,
}

/// Which side of a row's limit is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Limit {
    /// A `<=` row: at most its limit.
    Max,
    /// A `>=` row: at least its limit.
    Min,
}

/// A constraint row in the user's own units: a share row's limit is its share and `realised` the
/// realised share; a parity row's limit is `1 - tolerance` and `realised` the ratio
/// `(E_g / M_g) / (E_h / M_h)`; any other row's limit is its bound and `realised` its left-hand
/// side. A share or ratio over nothing served holds trivially and is reported at its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowOutcome {
    /// The row's spec name.
    pub name: String,
    /// `max` for `<=` rows, `min` for `>=` rows.
    pub kind: Limit,
    /// The user's limit: a share, `1 - tolerance` for a parity row, or the row's bound.
    pub limit: f64,
    /// What the policy achieved, in the same unit as `limit`.
    pub realised: f64,
}

impl RowOutcome {
    /// How far the row is beyond its limit, relative to the limit (0 when it holds): for a `max`
    /// row `(realised - limit) / |limit|`, for a `min` row `(limit - realised) / |limit|`; a limit
    /// of 0 divides by 1.
    pub fn excess(&self) -> f64 {
        let over = if self.kind == Limit::Max { self.realised - self.limit } else { self.limit - self.realised };
        over.max(0.0) / self.limit.abs().max(if self.limit == 0.0 { 1.0 } else { 0.0 })
    }
}

/// Why a simulation cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The artifact was exported for another instance file (name or content hash differ).
    #[error("the artifact was made for instance \"{artifact}\" ({artifact_hash}), not \"{instance}\" ({instance_hash})")]
    WrongInstance {
        /// The instance name in the artifact's manifest.
        artifact: String,
        /// The content hash in the artifact's manifest.
        artifact_hash: String,
        /// The name of the instance given.
        instance: String,
        /// The content hash of the instance file given.
        instance_hash: String,
    },
    /// The artifact's segments or edges do not match the instance's.
    #[error("the artifact and the instance disagree: {0}")]
    Mismatch(String),
    /// The number of arrivals is 0.
    #[error("--arrivals must be at least 1")]
    NoArrivals,
}

/// Checks that `artifact` was exported for the instance file whose name is `name` and whose
/// content hash is `content_hash`.
pub fn check_instance(artifact: &Artifact, name: &str, content_hash: &str) -> Result<(), SimulateError> {
    let i = &artifact.manifest.instance;
    if i.name != name || i.content_hash != content_hash {
        return Err(SimulateError::WrongInstance {
            artifact: i.name.clone(),
            artifact_hash: i.content_hash.clone(),
            instance: name.to_string(),
            instance_hash: content_hash.to_string(),
        });
    }
    Ok(())
}

/// The serving state of the day: what has been served and spent.
pub(crate) struct World<'a> {
    inst: &'a Instance,
    /// Impressions per opportunity.
    pub k: f64,
    pub seg_edges: Vec<Vec<usize>>,
    pub x: Vec<f64>,
    spend: Vec<f64>,
    item_total: Vec<f64>,
}

impl<'a> World<'a> {
    fn new(inst: &'a Instance, k: f64) -> Self {
        let mut seg_edges = vec![Vec::new(); inst.segments.len()];
        for (e, edge) in inst.edges.iter().enumerate() {
            seg_edges[edge.segment].push(e);
        }
        World { inst, k, seg_edges, x: vec![0.0; inst.edges.len()], spend: vec![0.0; inst.campaigns.len()], item_total: vec![0.0; inst.items.len()] }
    }

    /// Whether one more opportunity's impressions of edge `e` fit its caps and its budget.
    pub fn eligible(&self, e: usize) -> bool {
        let edge = &self.inst.edges[e];
        let item = &self.inst.items[edge.item];
        // Room with rounding: sums of k are exact to ~1e-15 relative.
        let fits = |used: f64, more: f64, limit: f64| used + more <= limit * (1.0 + 1e-12);
        edge.cap.is_none_or(|c| fits(self.x[e], self.k, c))
            && item.cap.is_none_or(|c| fits(self.item_total[edge.item], self.k, c))
            && item.campaign().is_none_or(|a| fits(self.spend[a], edge.price * self.k, self.inst.campaigns[a].budget))
    }

    fn serve(&mut self, e: usize) {
        let edge = &self.inst.edges[e];
        self.x[e] += self.k;
        self.item_total[edge.item] += self.k;
        if let Some(a) = self.inst.items[edge.item].campaign() {
            self.spend[a] += edge.price * self.k;
        }
    }
}

/// Simulates a day of `inst` served from `artifact` (check it is for `inst` with
/// [`check_instance`]) under the three policies.
pub fn simulate(inst: &Instance, artifact: &Artifact, config: &SimulationConfig) -> Result<SimulationReport, SimulateError> {
    if config.arrivals == 0 {
        return Err(SimulateError::NoArrivals);
    }
    let exported = exported_policy(inst, artifact)?;
    // The day's columns generated, never its whole matrix.
    let model = Formulation::new(inst);
    let total: f64 = inst.segments.iter().map(|s| s.supply).sum();
    let k = total / config.arrivals as f64;
    let plan = artifact.manifest.objective;
    let value: Vec<f64> = (0..inst.edges.len()).map(|e| edge_value(inst, e)).collect();
    let run = |policy: &mut dyn Policy| report(inst, &model, plan, &replay(inst, config, k, policy));
    let exported = run(&mut { exported });
    let no_pacing = run(&mut NoPacing { value });
    let online_dual = run(&mut OnlineDual::new(inst, &model, config.arrivals, k));
    Ok(SimulationReport {
        schema: SIMULATION_SCHEMA.to_string(),
        arrivals: config.arrivals,
        plan: PlanObjective { objective: plan },
        exported,
        baselines: Baselines { no_pacing, online_dual },
    })
}

fn exported_policy(inst: &Instance, artifact: &Artifact) -> Result<Exported, SimulateError> {
    let rule = ServingRule::new(artifact);
    let segment = inst
        .segments
        .iter()
        .map(|s| rule.segment(&s.id).ok_or_else(|| SimulateError::Mismatch(format!("segment {} is not in the artifact", s.id))))
        .collect::<Result<Vec<_>, _>>()?;
    if artifact.edges.len() != inst.edges.len() {
        return Err(SimulateError::Mismatch(format!("{} edges in the artifact, {} in the instance", artifact.edges.len(), inst.edges.len())));
    }
    // An export writes the edges in the instance's order: then edge k is edge k, and no index of
    // every edge's ids is needed.
    let same_order = artifact.edges.iter().zip(&inst.edges).all(|(a, e)| a.segment == inst.segments[e.segment].id && a.item == inst.items[e.item].id);
    if same_order {
        return Ok(Exported { rule, segment, edge: (0..inst.edges.len()).collect() });
    }
    let pairs: Vec<(&str, &str)> = artifact.edges.iter().map(|a| (a.segment.as_str(), a.item.as_str())).collect();
    let edge = artifact
        .edges
        .iter()
        .zip(inst.edges_of(&pairs))
        .map(|(a, e)| e.ok_or_else(|| SimulateError::Mismatch(format!("edge {} -> {} is not in the instance", a.segment, a.item))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Exported { rule, segment, edge })
}

/// Replays the seeded stream of opportunities under `policy`; returns the served impressions
/// per edge.
fn replay(inst: &Instance, config: &SimulationConfig, k: f64, policy: &mut dyn Policy) -> Vec<f64> {
    let mut cumulative = Vec::with_capacity(inst.segments.len());
    let mut acc = 0.0;
    for s in &inst.segments {
        acc += s.supply;
        cumulative.push(acc);
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut world = World::new(inst, k);
    for _ in 0..config.arrivals {
        let u = rng.random::<f64>() * acc;
        let s = cumulative.partition_point(|&c| c <= u).min(inst.segments.len() - 1);
        let e = policy.choose(s, &world);
        if let Some(e) = e {
            world.serve(e);
        }
        policy.served(e, &world);
    }
    world.x
}

/// The objective, spend and rows of served impressions `x`.
fn report(inst: &Instance, model: &Formulation, plan: f64, x: &[f64]) -> PolicyReport {
    let mut padded = x.to_vec();
    padded.resize(model.n_cols(), 0.0);
    let act = model.activities(&padded);
    let mut objective = agora_solver::terms(inst, model, &padded).total();
    let mut rows = Vec::with_capacity(model.rows().len());
    for (r, meta) in model.rows().iter().enumerate() {
        let over = match meta.sense {
            Sense::Le => act[r] - meta.rhs,
            Sense::Ge => meta.rhs - act[r],
        };
        if let Some(p) = meta.penalty {
            objective -= p * over.max(0.0);
        }
        let d: f64 = meta.da.iter().map(|(j, v)| v * padded[j]).sum();
        let (limit, realised) = match meta.kind {
            RowKind::AdLoad | RowKind::IntegrityCap | RowKind::TopicCap | RowKind::FreshnessFloor | RowKind::ExplorationFloor => {
                let share = meta.parameter.1;
                // The row is sum (pick - share) x <sense> 0 and d = -T_s.
                (share, if d < 0.0 { act[r] / -d + share } else { share })
            }
            RowKind::ExposureParity => {
                let floor = 1.0 - meta.parameter.1;
                // The row is M_h E_g - (1 - tol) M_g E_h >= 0 and d = M_g E_h.
                (floor, if d > 0.0 { act[r] / d + floor } else { floor })
            }
            _ => (meta.rhs, act[r]),
        };
        rows.push(RowOutcome { name: meta.name.clone(), kind: if meta.sense == Sense::Le { Limit::Max } else { Limit::Min }, limit, realised });
    }
    let mut spend = vec![0.0; inst.campaigns.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        if let Some(a) = inst.items[edge.item].campaign() {
            spend[a] += edge.price * x[e];
        }
    }
    let campaigns = inst.campaigns.iter().zip(spend).map(|(c, spend)| CampaignSpend { campaign: c.id.clone(), budget: c.budget, spend }).collect();
    PolicyReport { objective, retention: if plan != 0.0 { objective / plan } else { 0.0 }, campaigns, rows }
}

/// The rows of `policy` that a policy controls: rows of constraints without a penalty, budgets
/// and item caps. Supply rows are left out: their realised value is the random stream's traffic (a
/// segment drawn more often than its supply share gets more impressions), not a policy's choice.
pub fn hard_rows<'a>(inst: &'a Instance, policy: &'a PolicyReport) -> impl Iterator<Item = &'a RowOutcome> + 'a {
    let soft: Vec<&str> = inst.constraints.iter().filter(|c| c.penalty.is_some()).map(|c| c.name.as_str()).collect();
    let is_soft = move |name: &str| soft.iter().any(|s| name == *s || name.strip_prefix(s).is_some_and(|rest| rest.starts_with('[')));
    policy.rows.iter().filter(move |r| !r.name.starts_with("supply[") && !is_soft(&r.name))
}

/// The largest [`RowOutcome::excess`] over the [`hard_rows`] of `policy`, with the row's name.
pub fn worst_hard_row(inst: &Instance, policy: &PolicyReport) -> (f64, Option<String>) {
    let mut worst = (0.0, None);
    for r in hard_rows(inst, policy) {
        let ex = r.excess();
        if ex > worst.0 {
            worst = (ex, Some(r.name.clone()));
        }
    }
    worst
}

/// Whether any campaign spent above its budget (by more than rounding, 1e-9 relative).
pub fn overspends(policy: &PolicyReport) -> bool {
    policy.campaigns.iter().any(|c| c.spend > c.budget * (1.0 + 1e-9) + 1e-12)
}
