//! What-if runs along tradeoff frontiers: sweep one parameter (an epsilon-constraint curve, or a
//! weighted-sum curve for an objective weight) or two (a grid), solving the day at every point.
//!
//! Consecutive points of a chain hot-start HiGHS from the previous basis ([`sweep`]); every
//! point, hot or cold, goes through [`Solution::from_backend`](crate::Solution::from_backend)
//! and its independent check. Each optimal point reports its objective, terms, plan metrics and
//! the derivative of the optimum with respect to every swept parameter; [`pareto`] marks the
//! efficient points and [`knee`] finds the knee of a one-parameter curve. [`output`] writes
//! `frontier.json`, `frontier.csv` and `frontier.svg`.
//!
//! ```no_run
//! use agora_solver::frontier::{self, FrontierSettings, Sweep};
//! let day = agora_instances::load("instances/example-day.json").unwrap().instance;
//! let sweep = Sweep::parse(&day, "revenue-floor.min=0..800", 9).unwrap();
//! let f = frontier::run(&day, &[sweep], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
//! for p in &f.points {
//!     println!("{:?} {} {:?}", p.values, p.status, p.objective);
//! }
//! ```

pub mod knee;
pub mod pareto;
pub mod sweep;

use agora_instances::{Instance, InstanceFile, Param, ParamError, PlanMetrics};

use crate::observe::Observer;
use crate::settings::Settings;
use crate::solution::Terms;
use crate::status::{SolveError, Status};

/// The `schema` string of frontier files.
pub const FRONTIER_SCHEMA: &str = "agora.frontier/v1";

/// One swept parameter: `points` evenly spaced values from `from` to `to`, both included.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The parameter swept.
    pub param: Param,
    /// The parameter's spec name, as the user wrote it.
    pub name: String,
    /// The first value.
    pub from: f64,
    /// The last value.
    pub to: f64,
    /// How many evenly spaced values, at least 2.
    pub points: usize,
}

impl Sweep {
    /// Parses `PARAM=FROM..TO` against `inst`, with `points` values (at least 2).
    pub fn parse(inst: &Instance, spec: &str, points: usize) -> Result<Sweep, FrontierError> {
        let bad = |reason: &str| FrontierError::BadSweep { spec: spec.to_string(), reason: reason.to_string() };
        let (name, range) = spec.split_once('=').ok_or_else(|| bad("expected PARAM=FROM..TO, e.g. ad-load.max_share=0.1..0.3"))?;
        let (from, to) = range.split_once("..").ok_or_else(|| bad("the range must be FROM..TO, e.g. 0.1..0.3"))?;
        let number = |t: &str, which: &str| -> Result<f64, FrontierError> {
            t.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(&format!("{which} \"{t}\" is not a finite number")))
        };
        let (from, to) = (number(from, "FROM")?, number(to, "TO")?);
        let param = Param::parse(inst, name.trim())?;
        Sweep::new(inst, param, from, to, points)
    }

    /// A sweep of `param` over `from..=to`, checked: `points >= 2`, `from != to`, and both ends
    /// valid values of the parameter (the instance's own validation judges them).
    pub fn new(inst: &Instance, param: Param, from: f64, to: f64, points: usize) -> Result<Sweep, FrontierError> {
        let name = param.name(inst);
        if points < 2 {
            return Err(FrontierError::BadSweep { spec: name, reason: format!("--points must be at least 2, got {points}") });
        }
        if !(from.is_finite() && to.is_finite()) || from == to {
            return Err(FrontierError::BadSweep { spec: name, reason: format!("FROM and TO must be finite and differ, got {from}..{to}") });
        }
        // Every field's valid range is an interval, so checking both ends checks every point. A
        // parameter is never an edge's, so the day is judged without its edges (a 10^7-edge
        // day's validation and copy took a fifth of a frontier).
        let head = inst.without_edges();
        for v in [from, to] {
            let mut probe = head.clone();
            param.set(&mut probe, v);
            if let Err(findings) = InstanceFile::from(&probe).validate() {
                let reason = findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ");
                return Err(FrontierError::BadValue { param: name, value: v, reason });
            }
        }
        Ok(Sweep { param, name, from, to, points })
    }

    /// The swept values, `from` first and `to` exactly last.
    pub fn values(&self) -> Vec<f64> {
        let n = self.points - 1;
        (0..=n).map(|i| if i == n { self.to } else { self.from + (self.to - self.from) * i as f64 / n as f64 }).collect()
    }
}

/// How a frontier is run.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierSettings {
    /// Settings of every solve. `threads` is forced to 1 inside a sweep: agora parallelises
    /// over chains instead. Default: [`Settings::default`].
    pub solve: Settings,
    /// Re-solve consecutive points of a chain from the previous HiGHS basis. Applies to LPs
    /// solved by HiGHS (backend `highs` or `auto`); QPs and Clarabel always solve cold.
    /// Default true.
    pub hot_start: bool,
    /// Most chains a one-parameter sweep is split into, to run in parallel (each chain starts
    /// cold). `None`: the rayon pool's thread count, with chains of at least 4 points.
    /// Default `None`.
    pub max_chains: Option<usize>,
}

impl Default for FrontierSettings {
    fn default() -> Self {
        FrontierSettings { solve: Settings::default(), hot_start: true, max_chains: None }
    }
}

/// One point of a frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The value of every swept parameter, in sweep order.
    pub values: Vec<f64>,
    /// How the point's solve ended.
    pub status: Status,
    /// Why the status is not optimal, or what the backend said.
    pub message: Option<String>,
    /// The optimum (`None` unless optimal).
    pub objective: Option<f64>,
    /// The objective's signed terms at the point's plan (`None` unless optimal).
    pub terms: Option<Terms>,
    /// The plan metrics of the point's plan (`None` unless optimal).
    pub metrics: Option<PlanMetrics>,
    /// d(optimum)/d(parameter) for every swept parameter, in sweep order (`None` unless optimal).
    pub shadow_prices: Vec<Option<f64>>,
    /// Pareto-efficient among the frontier's optimal points ([`pareto`]); false unless optimal.
    pub efficient: bool,
    /// Solved from the previous point's basis.
    pub hot_start: bool,
    /// Iterations of the backend's main method for this point.
    pub iterations: u64,
    /// Wall-clock seconds of the point's solve in the backend.
    pub solve_seconds: f64,
    /// The unweighted criteria [`pareto`] compares (`None` unless optimal).
    pub criteria: Option<pareto::Criteria>,
    /// For an infeasible point, the rules of its conflict ([`crate::diagnose`]); empty otherwise,
    /// or when `diagnose_infeasible` is off.
    pub conflict: Vec<String>,
}

/// A computed frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    /// The name of the instance swept.
    pub instance: String,
    /// The swept parameters (one or two), in sweep order.
    pub sweeps: Vec<Sweep>,
    /// Row-major over the grid: the last sweep varies fastest.
    pub points: Vec<Point>,
    /// Index into `points` of the knee of a one-parameter sweep ([`knee`]).
    pub knee: Option<usize>,
}

/// Something prevented a frontier run.
#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    /// A sweep does not parse, or is degenerate (fewer than 2 points, ends equal or not finite).
    #[error("bad sweep \"{spec}\": {reason}")]
    BadSweep {
        /// The sweep as written (or the parameter's name when the sweep was built directly).
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The sweep names a parameter the instance does not have.
    #[error(transparent)]
    UnknownParam(#[from] ParamError),
    /// An end of the sweep is not a valid value of its parameter (the instance's validation rejects it).
    #[error("sweep value {value} of {param} is invalid: {reason}")]
    BadValue {
        /// The parameter's spec name.
        param: String,
        /// The rejected value.
        value: f64,
        /// The validation's findings, joined by `; `.
        reason: String,
    },
    /// Not one or two sweeps, or the same parameter swept twice.
    #[error("{0}")]
    Sweeps(String),
    /// A point could not be solved at all (e.g. invalid settings).
    #[error(transparent)]
    Solve(#[from] SolveError),
}

/// The most points one frontier solves (each point is a solve of the day).
pub const MAX_POINTS: usize = 100_000;

/// Runs the frontier of `sweeps` (one or two, at most [`MAX_POINTS`] points) on `inst`. `observer` advances by one per solved
/// point, from any thread.
pub fn run(inst: &Instance, sweeps: &[Sweep], settings: &FrontierSettings, observer: &dyn Observer) -> Result<Frontier, FrontierError> {
    run_in_place(&mut inst.clone(), sweeps, settings, observer)
}

/// Whether the points of `sweeps` on `inst` are sifted, each from its neighbour (see
/// docs/frontiers.md, "Reusing work"): what a caller guarding memory needs to know.
pub fn is_sifted(inst: &Instance, sweeps: &[Sweep], settings: &FrontierSettings) -> bool {
    sweep::sifted(inst, sweeps, settings)
}

/// [`run`] on `inst` itself: a sweep of one chain (a sifted curve) moves the day's parameters
/// point by point and puts them back, so no copy of the day is made (`agora frontier` on a large
/// day); `inst` is left as it was.
pub fn run_in_place(inst: &mut Instance, sweeps: &[Sweep], settings: &FrontierSettings, observer: &dyn Observer) -> Result<Frontier, FrontierError> {
    if sweeps.is_empty() || sweeps.len() > 2 {
        return Err(FrontierError::Sweeps(format!("give one or two sweeps, got {}", sweeps.len())));
    }
    if sweeps.len() == 2 && sweeps[0].param == sweeps[1].param {
        return Err(FrontierError::Sweeps(format!("{} is swept twice", sweeps[0].name)));
    }
    let asked: u128 = sweeps.iter().map(|s| s.points as u128).product();
    if asked > MAX_POINTS as u128 {
        return Err(FrontierError::Sweeps(format!("the frontier asked for {asked} points, each a solve of the day; the limit is {MAX_POINTS}")));
    }
    // Chains run in parallel, one HiGHS thread each; a sifted sweep is one chain of warm points
    // on every thread (sweep::sifted).
    let sifted = sweep::sifted(inst, sweeps, settings);
    let threads = if sifted { crate::available_parallelism() } else { 1 };
    let solve = Settings { threads, ..settings.solve.clone() }.validated()?;
    let mut points = sweep::solve_grid(inst, sweeps, settings, &solve, sifted, observer)?;
    if solve.diagnose_infeasible {
        // Each infeasible point's day is the caller's with the point's values set, and put back
        // (no copy of a large day: its conflict is sifted over generated columns).
        let params: Vec<Param> = sweeps.iter().map(|s| s.param.clone()).collect();
        for p in points.iter_mut().filter(|p| p.status == Status::Infeasible) {
            let conflict = sweep::put_back(inst, &params, |day| {
                params.iter().zip(&p.values).for_each(|(param, &v)| param.set(day, v));
                crate::diagnose::conflict_of(day, &solve, 16)
            });
            p.conflict = conflict?.into_iter().map(|c| c.rule).collect();
        }
    }
    pareto::mark_efficient(&mut points);
    let knee = if sweeps.len() == 1 { knee::knee(&points) } else { None };
    Ok(Frontier { instance: inst.name.clone(), sweeps: sweeps.to_vec(), points, knee })
}
