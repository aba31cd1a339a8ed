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
use agora_serving::artifact::Manifest;
use agora_serving::{Artifact, ArtifactHead, EdgeRef, EdgeRows as _, RuleBuilder, Visit};

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
    /// The artifact directory could not be read, or is not a valid artifact.
    #[error(transparent)]
    Artifact(#[from] agora_serving::ReadError),
}

/// Checks that the artifact of `manifest` was exported for the instance file whose name is
/// `name` and whose content hash is `content_hash`.
pub fn check_instance(manifest: &Manifest, name: &str, content_hash: &str) -> Result<(), SimulateError> {
    let i = &manifest.instance;
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
    /// Segment `s`'s edges, in instance order: `segment_edges[segment_start[s]..segment_start[s + 1]]`.
    pub segment_start: Vec<usize>,
    pub segment_edges: Vec<usize>,
    pub x: Vec<f64>,
    spend: Vec<f64>,
    item_total: Vec<f64>,
}

impl<'a> World<'a> {
    pub(crate) fn new(inst: &'a Instance, k: f64) -> Self {
        let (segment_start, segment_edges) = agora_instances::grouping::group_by(inst.segments.len(), inst.edges.len(), |e| inst.edges[e].segment);
        World {
            inst,
            k,
            segment_start,
            segment_edges,
            x: vec![0.0; inst.edges.len()],
            spend: vec![0.0; inst.campaigns.len()],
            item_total: vec![0.0; inst.items.len()],
        }
    }

    /// Segment `s`'s edges, in instance order.
    pub fn edges_of(&self, s: usize) -> &[usize] {
        &self.segment_edges[self.segment_start[s]..self.segment_start[s + 1]]
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
    Ok(run(inst, exported_policy(inst, artifact)?, artifact.manifest.objective, config, &mut |_| {}))
}

/// The exported policy of `artifact` over `inst`'s edges.
pub(crate) fn exported_policy(inst: &Instance, artifact: &Artifact) -> Result<Exported, SimulateError> {
    let mut reading = Reading::new(inst, Some(RuleBuilder::new(&artifact.pacing, &artifact.segments)));
    let edges: &[agora_serving::artifact::EdgeRow] = &artifact.edges;
    (0..edges.len()).for_each(|k| reading.edge(edges.row(k)));
    reading.finish()
}

/// Simulates a day of `inst` served from the artifact in directory `dir`, which must have been
/// exported for the instance file whose content hash is `content_hash`. The artifact is read
/// streaming ([`agora_serving::read_dir_with`]): of each edge only what the score rule needs is
/// kept, never its ids. `lap(phase)` is called as each phase ends: `read artifact`, then each
/// policy's name (its setup, its replay and its report).
pub fn simulate_dir(
    inst: &Instance,
    dir: &std::path::Path,
    content_hash: &str,
    config: &SimulationConfig,
    lap: &mut dyn FnMut(&'static str),
) -> Result<SimulationReport, SimulateError> {
    if config.arrivals == 0 {
        return Err(SimulateError::NoArrivals);
    }
    let mut reading = Reading::new(inst, None);
    let head = agora_serving::read_dir_with(dir, &mut reading)?;
    check_instance(&head.manifest, &inst.name, content_hash)?;
    let exported = reading.finish()?;
    lap("read artifact");
    Ok(run(inst, exported, head.manifest.objective, config, lap))
}

/// The three policies over the same stream; `plan` is the plan's objective.
fn run(inst: &Instance, exported: Exported, plan: f64, config: &SimulationConfig, lap: &mut dyn FnMut(&'static str)) -> SimulationReport {
    // The day's columns generated, never its whole matrix.
    let model = Formulation::new(inst);
    let total: f64 = inst.segments.iter().map(|s| s.supply).sum();
    let k = total / config.arrivals as f64;
    // One world, reset for each policy in turn.
    let mut world = World::new(inst, k);
    let run = |world: &mut World, policy: &mut dyn Policy| {
        replay(config, world, policy);
        report(inst, &model, plan, &mut world.x)
    };
    let exported = run(&mut world, &mut { exported });
    lap("exported");
    let value: Vec<f64> = (0..inst.edges.len()).map(|e| edge_value(inst, e)).collect();
    let mut no_pacing = NoPacing::new(&world, &value);
    let no_pacing = run(&mut world, &mut no_pacing);
    lap("no_pacing");
    let mut online_dual = OnlineDual::new(&model, value, &world, config.arrivals, k);
    let online_dual = run(&mut world, &mut online_dual);
    lap("online_dual");
    SimulationReport {
        schema: SIMULATION_SCHEMA.to_string(),
        arrivals: config.arrivals,
        plan: PlanObjective { objective: plan },
        exported,
        baselines: Baselines { no_pacing, online_dual },
    }
}

/// An artifact's edges read for the exported policy: the score rule built an edge at a time, and
/// each edge matched to the instance's. An export writes the edges in the instance's order, and
/// then edge k is edge k, matched by position; from the first edge out of place on, the ids of
/// the rest are kept and looked up at the end.
struct Reading<'a> {
    inst: &'a Instance,
    rule: Option<RuleBuilder>,
    /// Edges read.
    count: usize,
    /// The ids of the edges from the first out of place on (`out_from`), if any.
    out_from: Option<usize>,
    out_of_place: Vec<(String, String)>,
}

impl<'a> Reading<'a> {
    fn new(inst: &'a Instance, rule: Option<RuleBuilder>) -> Self {
        Reading { inst, rule, count: 0, out_from: None, out_of_place: Vec::new() }
    }

    /// The exported policy, or why the artifact does not fit the instance.
    fn finish(self) -> Result<Exported, SimulateError> {
        let Reading { inst, rule, count, out_from, out_of_place } = self;
        let rule = rule.expect("the head is read before any edge").finish();
        let segment = inst
            .segments
            .iter()
            .map(|s| rule.segment(&s.id).ok_or_else(|| SimulateError::Mismatch(format!("segment {} is not in the artifact", s.id))))
            .collect::<Result<Vec<_>, _>>()?;
        if count != inst.edges.len() {
            return Err(SimulateError::Mismatch(format!("{count} edges in the artifact, {} in the instance", inst.edges.len())));
        }
        let ranking = rule.ranking();
        let Some(from) = out_from else {
            return Ok(Exported { rule, ranking, segment, edge: None });
        };
        let pairs: Vec<(&str, &str)> = out_of_place.iter().map(|(s, i)| (s.as_str(), i.as_str())).collect();
        let found = inst.edges_of(&pairs);
        let mut edge: Vec<usize> = (0..from).collect();
        for ((s, i), e) in pairs.iter().zip(found) {
            edge.push(e.ok_or_else(|| SimulateError::Mismatch(format!("edge {s} -> {i} is not in the instance")))?);
        }
        Ok(Exported { rule, ranking, segment, edge: Some(edge) })
    }
}

impl Visit for Reading<'_> {
    fn head(&mut self, head: &ArtifactHead) {
        self.rule = Some(RuleBuilder::new(&head.pacing, &head.segments));
    }

    fn edge(&mut self, e: EdgeRef<'_>) {
        self.rule.as_mut().expect("the head is read before any edge").push(&e);
        let k = self.count;
        self.count += 1;
        let inst = self.inst;
        let in_place = || inst.edges.get(k).is_some_and(|own| inst.segments[own.segment].id == e.segment && inst.items[own.item].id == e.item);
        if self.out_from.is_none() && in_place() {
            return;
        }
        self.out_from.get_or_insert(k);
        self.out_of_place.push((e.segment.to_string(), e.item.to_string()));
    }
}

/// Replays the seeded stream of opportunities under `policy` from an empty `world`, which ends
/// holding the served impressions per edge.
pub(crate) fn replay(config: &SimulationConfig, world: &mut World, policy: &mut dyn Policy) {
    let inst = world.inst;
    world.x.fill(0.0);
    world.spend.fill(0.0);
    world.item_total.fill(0.0);
    let mut cumulative = Vec::with_capacity(inst.segments.len());
    let mut acc = 0.0;
    for s in &inst.segments {
        acc += s.supply;
        cumulative.push(acc);
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    for _ in 0..config.arrivals {
        let u = rng.random::<f64>() * acc;
        let s = cumulative.partition_point(|&c| c <= u).min(inst.segments.len() - 1);
        let e = policy.choose(s, world);
        if let Some(e) = e {
            world.serve(e);
        }
        policy.served(e, world);
    }
}

/// The objective, spend and rows of served impressions `x` (padded with the model's slack
/// columns at 0 while the rows are computed, then cut back: no copy of a 10^7-edge plan).
fn report(inst: &Instance, model: &Formulation, plan: f64, x: &mut Vec<f64>) -> PolicyReport {
    let edges = x.len();
    x.resize(model.n_cols(), 0.0);
    let padded = &x[..];
    let act = model.activities(padded);
    let mut objective = agora_solver::terms(inst, model, padded).total();
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
    x.truncate(edges);
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
