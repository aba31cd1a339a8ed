//! Long-horizon ecosystem dynamics (`agora horizon`, `agora.horizon/v1`): what today's rules do
//! to creators, catalog and users over many days.
//!
//! - [`dynamics`]: the transitions (`agora.dynamics/v1`): creator churn and uploads, freshness,
//!   new creators, engagement fatigue, user supply;
//! - [`policy`]: a policy's edits to each day's rules and weights, and what it plans on: the
//!   true engagement or one it learns (`agora.policy/v1`);
//! - [`learn`]: learning while planning (beliefs per edge, estimates, bounds, Thompson draws,
//!   the clicks a plan draws, a warm start from logs);
//! - [`regret`]: what a served plan earns under the true engagement against the day's optimum,
//!   the rules it breaks, and what an exploration floor costs;
//! - [`state`]: the state a plan changes, and one day's transition;
//! - [`run`]: the receding-horizon loop (each day built from the state, solved warm-started from
//!   yesterday's solution, its plan applied);
//! - [`output`]: `horizon.json`, `horizon.csv`, the charts and the summary; [`regret_report`]:
//!   their regret parts, when a policy learns.
//!
//! Policies run on common random numbers (day t of replica r draws from a stream seeded by the
//! seed, r and t, whatever the policy), so their differences are the policies'. See
//! docs/horizon.md for the model and a worked example.

pub mod dynamics;
pub mod learn;
pub mod output;
pub mod policy;
pub mod regret;
pub mod regret_report;
pub mod run;
pub mod state;

use agora_instances::Instance;
use agora_solver::Observer;

pub use dynamics::{Dynamics, DYNAMICS_SCHEMA};
pub use learn::{Belief, Learner, WarmCounts, WarmSummary};
pub use policy::{DayRules, Engagement, Policy, POLICY_SCHEMA};
pub use run::{run_policy, HorizonConfig, HorizonError, Run, Stopped, LEARNING_METRICS, METRICS};

/// The `schema` string of horizon files.
pub const HORIZON_SCHEMA: &str = "agora.horizon/v1";

/// A mean over replicas and the half-width of its 95% confidence interval (Student's t; 0 for a
/// single replica).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Stat {
    /// The mean over replicas.
    pub mean: f64,
    /// Half the width of the 95% interval around the mean.
    pub ci95: f64,
}

impl Stat {
    /// The statistic of `values` (one per replica).
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n.max(1) as f64;
        if n < 2 {
            return Stat { mean, ci95: 0.0 };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Stat { mean, ci95: t975(n - 1) * (var / n as f64).sqrt() }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
        2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    T.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// One policy over every replica.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyResult {
    /// The policy.
    pub name: String,
    /// What it planned on.
    pub engagement: Engagement,
    /// Every replica's run.
    pub runs: Vec<Run>,
    /// A learning policy whose day has an `exploration_floor`: the same policy without it, every
    /// replica on the same random numbers (what the floor saved is the difference in regret).
    pub without_floor: Option<Vec<Run>>,
}

/// A horizon: every policy over every replica.
#[derive(Debug, Clone, PartialEq)]
pub struct Horizon {
    /// The instance's name.
    pub instance: String,
    /// The configuration it ran with.
    pub days: usize,
    /// The seed of replica 0.
    pub seed: u64,
    /// The daily discount factor.
    pub discount: f64,
    /// The transitions.
    pub dynamics: Dynamics,
    /// One result per policy, in the order given.
    pub policies: Vec<PolicyResult>,
    /// Whether regret was measured (a policy learns): the files then carry it.
    pub learning: bool,
    /// Where the learning policies started from, if from logs.
    pub warm_start: Option<WarmSummary>,
}

/// The most days one horizon simulates (ten years).
pub const MAX_DAYS: usize = 3650;
/// The most replicas of one horizon.
pub const MAX_REPLICAS: usize = 1000;

/// Runs every policy for every replica on `inst` (1 to [`MAX_DAYS`] days, 1 to [`MAX_REPLICAS`]
/// replicas, a discount in (0, 1]); `observer` advances by one per solved day.
pub fn run(inst: &Instance, policies: &[Policy], cfg: &HorizonConfig, observer: &dyn Observer) -> Result<Horizon, HorizonError> {
    if !(1..=MAX_DAYS).contains(&cfg.days) {
        return Err(HorizonError::Config(format!("days {} is outside 1..={MAX_DAYS}", cfg.days)));
    }
    if !(1..=MAX_REPLICAS).contains(&cfg.replicas) {
        return Err(HorizonError::Config(format!("replicas {} is outside 1..={MAX_REPLICAS}", cfg.replicas)));
    }
    if !(cfg.discount > 0.0 && cfg.discount <= 1.0) {
        return Err(HorizonError::Config(format!("the discount factor must be in (0, 1], got {}", cfg.discount)));
    }
    cfg.dynamics.validate().map_err(|e| HorizonError::Config(format!("dynamics: {}", agora_instances::Bulleted(&e))))?;
    // Everything that can be known before the first day is checked before it: what each policy
    // sets, and how large the dynamics could grow the day.
    for p in policies {
        p.validate()
            .map_err(|e| HorizonError::Policy(format!("policy \"{}\":\n{}", agora_instances::limits::excerpt(&p.name), agora_instances::Bulleted(&e))))?;
        p.check_on(inst).map_err(HorizonError::Policy)?;
    }
    cfg.dynamics.check_tractable(inst, cfg.days).map_err(HorizonError::Config)?;
    let learning = policies.iter().any(|p| p.engagement.learns());
    let cfg = &HorizonConfig { track_regret: learning, ..cfg.clone() };
    // Every (policy, replica) run is independent: they run `cfg.parallelism` at once, and are
    // put back in order.
    let twins: Vec<Option<Policy>> = policies.iter().map(|p| floorless_twin(inst, p)).collect();
    let arms: Vec<&Policy> = policies.iter().chain(twins.iter().flatten()).collect();
    let jobs: Vec<(usize, usize)> = (0..arms.len()).flat_map(|a| (0..cfg.replicas).map(move |r| (a, r))).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.parallelism.max(1))
        .build()
        .map_err(|e| HorizonError::Config(format!("cannot start {} threads: {e}", cfg.parallelism)))?;
    let done: Vec<Run> = pool.install(|| {
        use rayon::prelude::*;
        jobs.par_iter().map(|&(a, r)| run_policy(inst, arms[a], cfg, r, false, observer)).collect::<Result<Vec<_>, _>>()
    })?;
    let mut runs = done.into_iter();
    let mut take = |n: usize| -> Vec<Run> { runs.by_ref().take(n).collect() };
    let mut own: Vec<Vec<Run>> = policies.iter().map(|_| take(cfg.replicas)).collect();
    let mut out = Vec::new();
    for (k, (p, twin)) in policies.iter().zip(&twins).enumerate() {
        let without_floor = twin.as_ref().map(|_| take(cfg.replicas));
        out.push(PolicyResult { name: p.name.clone(), engagement: p.engagement, runs: std::mem::take(&mut own[k]), without_floor });
    }
    Ok(Horizon {
        instance: inst.name.clone(),
        days: cfg.days,
        seed: cfg.seed,
        discount: cfg.discount,
        dynamics: cfg.dynamics.clone(),
        policies: out,
        learning,
        warm_start: cfg.warm_start.as_ref().filter(|_| learning).map(|w| w.summary.clone()),
    })
}

/// A learning policy whose day 0 has an `exploration_floor`, without it (every such rule
/// dropped): what the floor is measured against. `None` for other policies.
pub fn floorless_twin(inst: &Instance, p: &Policy) -> Option<Policy> {
    let day = p.apply(inst).ok()?;
    if !p.engagement.learns() || !regret::has_exploration_floor(&day) {
        return None;
    }
    let mut twin = p.clone();
    twin.name = format!("{} without exploration floor", p.name);
    twin.drop_types.push("exploration_floor".into());
    Some(twin)
}

/// Days a horizon solves (what its observer advances by): days x replicas for every policy, and
/// for every learning policy's twin without its exploration floor.
pub fn days_to_solve(inst: &Instance, policies: &[Policy], days: usize, replicas: usize) -> u64 {
    let runs = policies.iter().map(|p| if floorless_twin(inst, p).is_some() { 2 } else { 1 }).sum::<u64>();
    runs.saturating_mul(days as u64).saturating_mul(replicas as u64)
}
