//! Testing a rule change before launch (`agora experiment`, docs/experiments.md): the truth (the
//! global treatment effect, two whole-market solves) and what each experimental design would
//! estimate of it on this day (its bias), with, from the serving simulation's finite
//! impressions, each estimate's standard error and power.
//!
//! Every design is built from the same formulation (design notes, "Experiments"): a user-split
//! is one joint model with shared budget rows, a budget-split two scaled copies, a
//! creator-split one model with the treatment's rules on the treated creators' items, a
//! switchback a horizon whose days alternate the rule sets. A design's bias is read off exact
//! optima; its noise off simulated serving.

pub mod change;
mod identify;
mod joint;
mod metrics;
mod noise;
pub mod output;
mod switchback;

use std::collections::HashMap;
use std::time::Instant;

use agora_instances::Instance;
use agora_solver::{solve_model_warm, BackendChoice, Formulation, Settings, Solution, Status, WarmStart};

pub use change::{is_change_schema, ChangeFile, EdgeChange, Treatment, CHANGE_SCHEMA};
pub use identify::{IDENTIFIED_WITHIN, TIE_BREAK};
pub use joint::Arm;
pub use metrics::{Aggregate, Metric, Units};
pub use noise::{Noise, NoiseConfig};
pub use switchback::SwitchbackConfig;

use joint::Joint;

/// The `schema` string of experiment files.
pub const EXPERIMENT_SCHEMA: &str = "agora.experiment/v1";

/// An experimental design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Design {
    /// Users randomised: each segment's supply split `f` / `1 - f`, each arm under its rules,
    /// campaign budgets and unchanged totals shared (one pacer for both arms).
    UserSplit,
    /// The market split: two independent solves, each with its fraction of supply and of every
    /// absolute limit (budgets, floors, caps).
    BudgetSplit,
    /// Creators randomised: the treatment's rules for a fraction of creators only.
    CreatorSplit,
    /// Time randomised: blocks of days alternate the rule sets over a horizon.
    Switchback,
}

impl Design {
    /// The name the command line and the files use.
    pub fn as_str(self) -> &'static str {
        match self {
            Design::UserSplit => "user-split",
            Design::BudgetSplit => "budget-split",
            Design::CreatorSplit => "creator-split",
            Design::Switchback => "switchback",
        }
    }
}

impl std::str::FromStr for Design {
    type Err = String;
    fn from_str(s: &str) -> Result<Design, String> {
        [Design::UserSplit, Design::BudgetSplit, Design::CreatorSplit, Design::Switchback]
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown design \"{}\" (user-split, budget-split, creator-split, switchback)", agora_instances::limits::excerpt(s)))
    }
}

/// What an experiment is asked.
#[derive(Debug, Clone)]
pub struct ExperimentConfig {
    /// The designs to simulate.
    pub designs: Vec<Design>,
    /// The treated fraction `f` of the randomised units (users, the market, creators), in (0, 1).
    pub fraction: f64,
    /// Finite-impression serving (`--arrivals N --replicas R`): standard errors and power.
    pub noise: Option<NoiseConfig>,
    /// The switchback's horizon.
    pub switchback: SwitchbackConfig,
    /// The creators a creator-split treats, by id; `None`: a seeded draw of `fraction` of them.
    pub treated_creators: Option<Vec<String>>,
    /// The seed of the creator-split's draw and the serving simulation.
    pub seed: u64,
    /// How each day is solved.
    pub settings: Settings,
    /// Designs simulated at once (each is its own models). Default: the machine's available
    /// parallelism; the CLI lowers it to 1 when the memory guard refuses several at once.
    pub parallelism: usize,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig {
            designs: vec![Design::UserSplit, Design::BudgetSplit, Design::CreatorSplit],
            fraction: 0.5,
            noise: None,
            switchback: SwitchbackConfig::default(),
            treated_creators: None,
            seed: 1,
            settings: Settings::default(),
            parallelism: agora_solver::available_parallelism(),
        }
    }
}

/// Why an experiment could not be run (its statuses are data: a design that cannot test a change
/// says why in its result).
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// The control or the treated day did not solve to optimality: there is no truth to compare.
    #[error("the {arm} day ended {status}: an experiment needs both days' optima ({message})")]
    NotOptimal {
        /// Which day.
        arm: &'static str,
        /// How it ended.
        status: Status,
        /// What the solver said.
        message: String,
    },
    /// A solve failed.
    #[error(transparent)]
    Solve(#[from] agora_solver::SolveError),
    /// The switchback's horizon failed.
    #[error(transparent)]
    Horizon(#[from] crate::horizon::HorizonError),
}

/// The truth: both days solved whole, every metric's value under each and their difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Metric values on the control day.
    pub control: Vec<f64>,
    /// Metric values on the treated day.
    pub treatment: Vec<f64>,
    /// Per metric: whether the effect is the same at every optimal plan of the two days, as far
    /// as a re-solve under a perturbed objective tells ([`identify`]). A degenerate LP (two ads
    /// of equal value, two films of equal engagement) has many optimal plans that agree on the
    /// objective but not on how it is split; an effect on a campaign's spend there is the
    /// solver's tie-break, not the change's, and no design can be judged by it.
    pub identified: Vec<bool>,
}

/// A difference below this share of the values it is taken between is the solves' own
/// accuracy, not an effect: it counts as 0 (a change that does not move a metric has no
/// relative bias to speak of).
pub const NO_EFFECT: f64 = 1e-9;

impl Truth {
    /// The global treatment effect of metric `k` (0 when below [`NO_EFFECT`] of the values).
    pub fn gte(&self, k: usize) -> f64 {
        let (t, c) = (self.treatment[k], self.control[k]);
        if (t - c).abs() <= NO_EFFECT * t.abs().max(c.abs()).max(1.0) {
            0.0
        } else {
            t - c
        }
    }
}

/// A shared row of a joint design that binds: where the arms compete.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedRow {
    /// The row's name.
    pub name: String,
    /// Its dual: what one more unit of it is worth to the joint plan.
    pub dual: f64,
}

/// One design's result.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignResult {
    /// The design.
    pub design: Design,
    /// Why it cannot test this change, when it cannot (then nothing else is set).
    pub unsupported: Option<String>,
    /// Per metric: the arms' values (treatment, control), `None` where the design cannot
    /// attribute the metric to an arm.
    pub arms: Vec<Option<(f64, f64)>>,
    /// Per metric: the naive estimate.
    pub estimates: Vec<Option<f64>>,
    /// Per metric: standard error and power from the serving simulation.
    pub noise: Vec<Option<Noise>>,
    /// Shared rows that bind in the design's model (the arms compete there).
    pub shared_binding: Vec<SharedRow>,
    /// What the design did, in a sentence (the treated creators, the blocks).
    pub note: String,
    /// Wall seconds of the design's solves.
    pub seconds: f64,
    /// A switchback's target: the long-run effect of each metric (its bias is against this,
    /// not the one-day truth).
    pub long_run: Option<Vec<f64>>,
}

/// An experiment's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// The control day's name.
    pub instance: String,
    /// The change's name.
    pub change: String,
    /// The treated fraction.
    pub fraction: f64,
    /// The metrics, in order.
    pub metrics: Vec<Metric>,
    /// The truth.
    pub truth: Truth,
    /// Each design asked for.
    pub designs: Vec<DesignResult>,
    /// Wall seconds of the two whole-market solves.
    pub truth_seconds: f64,
}

/// Runs an experiment of `treatment` against `control`.
pub fn run(control: &Instance, treatment: &Treatment, cfg: &ExperimentConfig) -> Result<Experiment, ExperimentError> {
    if !(cfg.fraction > 0.0 && cfg.fraction < 1.0) {
        return Err(ExperimentError::Config(format!("the treated fraction must be in (0, 1), got {}", cfg.fraction)));
    }
    // Everything the configuration can get wrong is refused before the first solve.
    if cfg.designs.is_empty() {
        return Err(ExperimentError::Config("no design to simulate: name at least one of user-split, budget-split, creator-split, switchback".into()));
    }
    if cfg.designs.contains(&Design::Switchback) {
        switchback::check(control, &cfg.switchback)?;
    }
    let treated_creators = match &cfg.treated_creators {
        Some(ids) => {
            let mut t = vec![false; control.creators.len()];
            for id in ids {
                let c = control
                    .creators
                    .iter()
                    .position(|c| c.id == *id)
                    .ok_or_else(|| ExperimentError::Config(format!("no creator \"{}\" in the day", agora_instances::limits::excerpt(id))))?;
                t[c] = true;
            }
            Some(t)
        }
        None => None,
    };
    let treat = &treatment.day;
    let metrics = metrics::metrics_of(control);
    let clock = Instant::now();
    let c_sol = optimum(control, &cfg.settings, None, "control")?;
    let t_sol = optimum(treat, &cfg.settings, Some(c_sol.impressions.clone()), "treated")?;
    let (c_vals, t_vals) = (whole(control, &c_sol), whole(treat, &t_sol));
    let truth_solves = clock.elapsed().as_secs_f64();
    let truths = (&c_sol, &t_sol);
    // A design named twice runs once.
    let mut asked: Vec<Design> = Vec::new();
    for &design in &cfg.designs {
        if !asked.contains(&design) {
            asked.push(design);
        }
    }
    // Each design is its own models: they run `cfg.parallelism` at once, in the order asked,
    // beside the tie-broken re-solves that say which effects the truth identifies.
    let simulate = |design: Design| -> Result<DesignResult, ExperimentError> {
        let clock = Instant::now();
        let mut result = match design {
            Design::Switchback => switchback::run(control, treatment, &metrics, cfg)?,
            Design::BudgetSplit => {
                let served = budget_split(control, treat, truths, &metrics, cfg)?;
                let note = format!("two markets: {:.0}% and {:.0}% of every supply, budget, floor and cap", 100.0 * cfg.fraction, 100.0 * (1.0 - cfg.fraction));
                served.result(design, &metrics, cfg, note)
            }
            Design::UserSplit => match joint::user_split(control, treat, cfg.fraction) {
                Ok(j) => {
                    let note = format!("{:.0}% of every segment's users treated, budgets and unchanged totals shared", 100.0 * cfg.fraction);
                    match joint_design(design, j, control, treat, truths, &metrics, cfg)? {
                        Ok(served) => served.result(design, &metrics, cfg, note),
                        Err(why) => unsupported(design, why, &metrics),
                    }
                }
                Err(why) => unsupported(design, why, &metrics),
            },
            Design::CreatorSplit => {
                let treated = match &treated_creators {
                    Some(t) => t.clone(),
                    None => noise::draw_creators(control, cfg.fraction, cfg.seed),
                };
                match joint::creator_split(control, treat, &treated) {
                    Ok(j) => {
                        let names: Vec<&str> = control.creators.iter().zip(&treated).filter(|(_, &t)| t).map(|(c, _)| c.id.as_str()).collect();
                        let note = format!("{} of {} creators treated: {}", names.len(), control.creators.len(), output::list(&names, 8));
                        match joint_design(design, j, control, treat, truths, &metrics, cfg)? {
                            Ok(served) => served.result(design, &metrics, cfg, note),
                            Err(why) => unsupported(design, why, &metrics),
                        }
                    }
                    Err(why) => unsupported(design, why, &metrics),
                }
            }
        };
        result.seconds = clock.elapsed().as_secs_f64();
        Ok(result)
    };
    let identify = || {
        let clock = Instant::now();
        identify::identify(control, treat, (&c_sol, &t_sol), (&c_vals, &t_vals), &cfg.settings).map(|id| (id, clock.elapsed().as_secs_f64()))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.parallelism.clamp(1, asked.len() + 1))
        .build()
        .map_err(|e| ExperimentError::Config(format!("cannot start {} threads: {e}", cfg.parallelism)))?;
    let (identified, designs) = pool.install(|| {
        use rayon::prelude::*;
        rayon::join(identify, || asked.par_iter().map(|&d| simulate(d)).collect::<Result<Vec<_>, _>>())
    });
    let ((identified, identify_seconds), designs) = (identified?, designs?);
    // The truth's time: its two solves and the re-solves that break their ties.
    let truth_seconds = truth_solves + identify_seconds;
    let truth = Truth { control: c_vals, treatment: t_vals, identified };
    Ok(Experiment { instance: control.name.clone(), change: treatment.name.clone(), fraction: cfg.fraction, metrics, truth, designs, truth_seconds })
}

/// A start for the joint model's row duals: each arm's rows at the truth's duals of the same row
/// under that arm's rules (an LP's duals do not change when its limits are scaled by the arm's
/// fraction), shared rows at the control's.
fn joint_duals(model: &Formulation, (c_sol, t_sol): (&Solution, &Solution)) -> Vec<f64> {
    fn duals(sol: &Solution) -> HashMap<&str, f64> {
        sol.rows.iter().map(|r| (r.name.as_str(), r.dual)).collect()
    }
    let (c, t) = (duals(c_sol), duals(t_sol));
    agora_solver::Columns::rows(model)
        .iter()
        .map(|r| {
            let (of, name) = if r.name.contains(Arm::Treatment.suffix()) {
                (&t, r.name.replace(Arm::Treatment.suffix(), ""))
            } else {
                (&c, r.name.replace(Arm::Control.suffix(), ""))
            };
            of.get(name.as_str()).copied().filter(|d| d.is_finite()).unwrap_or(0.0)
        })
        .collect()
}

/// A design that cannot test the change, and why.
fn unsupported(design: Design, why: String, metrics: &[Metric]) -> DesignResult {
    DesignResult {
        design,
        unsupported: Some(why),
        arms: vec![None; metrics.len()],
        estimates: vec![None; metrics.len()],
        noise: vec![None; metrics.len()],
        shared_binding: Vec::new(),
        note: String::new(),
        seconds: 0.0,
        long_run: None,
    }
}

/// Solves `day`, from the plan `warm` where the path allows, and requires an optimum.
fn optimum(day: &Instance, settings: &Settings, warm: Option<Vec<f64>>, arm: &'static str) -> Result<Solution, ExperimentError> {
    let sol = solve(day, settings, warm.map(|x| WarmStart { x: Some(x), y: None, basis: None }))?;
    if sol.status != Status::Optimal {
        return Err(ExperimentError::NotOptimal { arm, status: sol.status, message: sol.message.unwrap_or_default() });
    }
    Ok(sol)
}

/// Solves `day` with `settings`; where `auto` or the first-order backend sifts, from `warm`
/// (a plan of the day's edges, padded with zero slacks).
fn solve(day: &Instance, settings: &Settings, warm: Option<WarmStart>) -> Result<Solution, agora_solver::SolveError> {
    solve_formulated(day, &Formulation::new(day), settings, warm)
}

/// [`solve`] with the day's formulation already built.
fn solve_formulated(day: &Instance, model: &Formulation, settings: &Settings, warm: Option<WarmStart>) -> Result<Solution, agora_solver::SolveError> {
    let sifts = settings.backend.resolve_for(model) == BackendChoice::FirstOrder;
    match warm {
        Some(mut w) if sifts => {
            if let Some(x) = &mut w.x {
                x.resize(agora_solver::Columns::n_cols(model), 0.0);
            }
            let settings = Settings { backend: BackendChoice::FirstOrder, ..settings.clone() };
            solve_model_warm(day, model, &settings, Some(&w))
        }
        _ => agora_solver::solve_model(day, model, settings),
    }
}

/// Every metric of a whole day's solution (its objective with its penalties).
fn whole(day: &Instance, sol: &Solution) -> Vec<f64> {
    metrics::measure(day, &sol.impressions, &|_| true, &|_| true, sol.terms.penalties)
}

/// What a design serves: its days and their optimal plans, and how its arms' values and
/// estimates follow from plans of those days (the optimal ones, or the serving simulation's).
struct Served {
    days: Vec<Instance>,
    plans: Vec<Vec<f64>>,
    estimator: Estimator,
    shared_binding: Vec<SharedRow>,
}

/// Per metric, the arms' values (treatment, control) and the naive estimate.
type ArmsAndEstimates = (Vec<Option<(f64, f64)>>, Vec<Option<f64>>);

/// How a design's arms' values and estimates follow from its days' plans.
type Estimator = Box<dyn Fn(&[Vec<f64>]) -> ArmsAndEstimates>;

impl Served {
    fn result(self, design: Design, metrics: &[Metric], cfg: &ExperimentConfig, note: String) -> DesignResult {
        let (arms, estimates) = (self.estimator)(&self.plans);
        let noise = match &cfg.noise {
            Some(n) => noise::simulate(&self.days, &self.plans, &*self.estimator, &estimates, n, cfg.seed),
            None => vec![None; metrics.len()],
        };
        DesignResult { design, unsupported: None, arms, estimates, noise, shared_binding: self.shared_binding, note, seconds: 0.0, long_run: None }
    }
}

/// The budget-split: each arm a whole day at its fraction, solved from the truth's plan at that
/// fraction.
fn budget_split(
    control: &Instance,
    treat: &Instance,
    (c_sol, t_sol): (&Solution, &Solution),
    metrics: &[Metric],
    cfg: &ExperimentConfig,
) -> Result<Served, ExperimentError> {
    let f = cfg.fraction;
    let arm = |day: &Instance, sol: &Solution, share: f64, name: &'static str| -> Result<(Instance, Solution), ExperimentError> {
        let d = joint::scaled(day, share);
        let s = optimum(&d, &cfg.settings, Some(sol.impressions.iter().map(|v| v * share).collect()), name)?;
        Ok((d, s))
    };
    let (td, ts) = arm(treat, t_sol, f, "budget-split treatment arm's")?;
    let (cd, cs) = arm(control, c_sol, 1.0 - f, "budget-split control arm's")?;
    let penalties = (ts.terms.penalties, cs.terms.penalties);
    let aggregates: Vec<Aggregate> = metrics.iter().map(|m| m.aggregate).collect();
    let days = vec![td, cd];
    let (tday, cday) = (days[0].clone(), days[1].clone());
    let estimator = move |plans: &[Vec<f64>]| -> ArmsAndEstimates {
        let tv = metrics::measure(&tday, &plans[0], &|_| true, &|_| true, penalties.0);
        let cv = metrics::measure(&cday, &plans[1], &|_| true, &|_| true, penalties.1);
        combine(&aggregates, &tv, &cv, f)
    };
    Ok(Served { days, plans: vec![ts.impressions, cs.impressions], estimator: Box::new(estimator), shared_binding: Vec::new() })
}

/// Arms' values side by side, and their naive estimates.
fn combine(aggregates: &[Aggregate], tv: &[f64], cv: &[f64], f: f64) -> ArmsAndEstimates {
    let arms: Vec<Option<(f64, f64)>> = tv.iter().zip(cv).map(|(&t, &c)| Some((t, c))).collect();
    let est = aggregates.iter().zip(&arms).map(|(&a, arm)| arm.map(|(t, c)| naive(a, t, c, f))).collect();
    (arms, est)
}

/// The naive estimate of an aggregate from its arms' values: `T / f - C / (1 - f)` for a sum,
/// `T - C` for a ratio.
pub fn naive(aggregate: Aggregate, t: f64, c: f64, f: f64) -> f64 {
    match aggregate {
        Aggregate::Sum => t / f - c / (1.0 - f),
        Aggregate::Ratio => t - c,
    }
}

/// A joint design (user-split, creator-split): the joint day solved from the truth's plans
/// (each arm's share of them), each arm's metrics read off its edges. A joint day with no
/// optimum (a hard floor each arm must meet at its absolute value on its share of the traffic)
/// is the design's own failure, said in its result: `Ok(Err(why))`.
fn joint_design(
    design: Design,
    j: Joint,
    control: &Instance,
    treat: &Instance,
    (c_sol, t_sol): (&Solution, &Solution),
    metrics: &[Metric],
    cfg: &ExperimentConfig,
) -> Result<Result<Served, String>, ExperimentError> {
    let f = cfg.fraction;
    let user = design == Design::UserSplit;
    let start: Vec<f64> = j
        .edges
        .iter()
        .map(|&(arm, e)| match (arm, user) {
            (Some(Arm::Treatment), true) => f * t_sol.impressions[e],
            (_, true) => (1.0 - f) * c_sol.impressions[e],
            (Some(Arm::Treatment), false) => t_sol.impressions[e],
            (_, false) => c_sol.impressions[e],
        })
        .collect();
    let model = Formulation::new(&j.day);
    // Started from the truth's plans and duals: 2,437 simplex iterations instead of 5,193 (the
    // plans alone) on the 10^5-edge day of benches/RESULTS.md.
    let y = Some(joint_duals(&model, (c_sol, t_sol)));
    let sol = solve_formulated(&j.day, &model, &cfg.settings, Some(WarmStart { x: Some(start), y, basis: None }))?;
    if sol.status != Status::Optimal {
        let rules: Vec<&str> = j.day.constraints.iter().zip(&j.constraints).filter(|(_, a)| a.is_some()).map(|(c, _)| c.name.as_str()).collect();
        let whose = if user { "on its share of the traffic" } else { "on its own creators' items" };
        return Ok(Err(format!(
            "its joint model ends {}: each arm must keep its own version of {} at its absolute value {whose}, which cannot be done; in practice such a rule is scaled to the arm's share, which is what a budget-split does",
            sol.status,
            output::list(&rules, 4)
        )));
    }
    // The rows the arms share: those with edges of both arms (a budget, a shared item's cap, a
    // total); where one binds, what one arm takes the other lacks.
    let mut touches = vec![0u8; agora_solver::Columns::n_rows(&model)];
    for (k, &(arm, _)) in j.edges.iter().enumerate() {
        let bit = match arm {
            Some(Arm::Control) => 1,
            Some(Arm::Treatment) => 2,
            None => 4,
        };
        agora_solver::Columns::for_each_entry(&model, k, |r, _| touches[r] |= bit);
    }
    let mut penalties = [0.0, 0.0];
    let mut shared_binding = Vec::new();
    for (r, row) in sol.rows.iter().enumerate() {
        let penalty = row.constraint.and_then(|c| j.day.constraints[c].penalty).unwrap_or(0.0);
        match row.constraint.and_then(|c| j.constraints[c]) {
            Some(Arm::Control) => penalties[0] -= penalty * row.violation,
            Some(Arm::Treatment) => penalties[1] -= penalty * row.violation,
            None => {}
        }
        let both = touches[r] & 3 == 3 || (touches[r] & 4 != 0 && touches[r] & 3 != 0);
        if both && row.dual.abs() > 1e-9 && row.is_binding(1e-7) {
            shared_binding.push(SharedRow { name: row.name.clone(), dual: row.dual });
        }
    }
    let aggregates: Vec<Aggregate> = metrics.iter().map(|m| m.aggregate).collect();
    let units: Vec<Units> = metrics.iter().map(|m| m.units.clone()).collect();
    let estimator: Estimator = if user {
        // Each arm's own day at its share of the supply: its metrics as the joint model saw it.
        let (cd, td) = (scaled_supply(control, 1.0 - f), scaled_supply(treat, f));
        let edges = j.edges.clone();
        Box::new(move |plans: &[Vec<f64>]| {
            let mut x = [vec![0.0; cd.edges.len()], vec![0.0; td.edges.len()]];
            for (k, &(arm, e)) in edges.iter().enumerate() {
                match arm {
                    Some(Arm::Control) => x[0][e] = plans[0][k],
                    Some(Arm::Treatment) => x[1][e] = plans[0][k],
                    None => {}
                }
            }
            let cv = metrics::measure(&cd, &x[0], &|_| true, &|_| true, penalties[0]);
            let tv = metrics::measure(&td, &x[1], &|_| true, &|_| true, penalties[1]);
            combine(&aggregates, &tv, &cv, f)
        })
    } else {
        let jj = j.clone();
        Box::new(move |plans: &[Vec<f64>]| creator_estimates(&jj, &plans[0], &aggregates, &units))
    };
    Ok(Ok(Served { days: vec![j.day], plans: vec![sol.impressions], estimator, shared_binding }))
}

/// `day` with every supply times `f` (a user-split arm's view of its own segments).
fn scaled_supply(day: &Instance, f: f64) -> Instance {
    let mut d = day.clone();
    for s in &mut d.segments {
        s.supply *= f;
    }
    d
}

/// A creator-split's arms and estimates: metrics counted over the treated and the control
/// creators' items, scaled by each metric's units (`N (mean_T - mean_C)` over the metric's `N`
/// creators, `n_T` of them treated); metrics of the market (ads, the objective) are not
/// estimated.
fn creator_estimates(j: &Joint, x: &[f64], aggregates: &[Aggregate], units: &[Units]) -> ArmsAndEstimates {
    let day = &j.day;
    let treated = &j.treated;
    let arm_of = |a: Arm| move |e: usize| j.edges[e].0 == Some(a);
    let tv = metrics::measure(day, x, &arm_of(Arm::Treatment), &|c| treated[c], 0.0);
    let cv = metrics::measure(day, x, &arm_of(Arm::Control), &|c| !treated[c], 0.0);
    let counted = |u: &Units, c: usize| match u {
        Units::Creators => true,
        Units::Group(g) => day.creators[c].group == *g,
        Units::Market => false,
    };
    let mut arms = Vec::new();
    let mut est = Vec::new();
    for (k, (aggregate, u)) in aggregates.iter().zip(units).enumerate() {
        let nt = (0..day.creators.len()).filter(|&c| treated[c] && counted(u, c)).count();
        let nc = (0..day.creators.len()).filter(|&c| !treated[c] && counted(u, c)).count();
        if *u == Units::Market || nt == 0 || nc == 0 {
            arms.push(None);
            est.push(None);
            continue;
        }
        arms.push(Some((tv[k], cv[k])));
        est.push(Some(match aggregate {
            Aggregate::Ratio => tv[k] - cv[k],
            Aggregate::Sum => (nt + nc) as f64 * (tv[k] / nt as f64 - cv[k] / nc as f64),
        }));
    }
    (arms, est)
}
