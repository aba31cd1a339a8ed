//! The price of each rule: the optimum of the day re-solved without it, minus the plan's optimum.
//!
//! Where a shadow price is the derivative of the optimum in a rule's parameter, this is the whole
//! cost of the rule: what the objective would gain if the rule were dropped altogether. Each
//! re-solve uses the same settings as a fresh solve (so the same backend); a soft rule dropped
//! takes its penalty with it.
//!
//! A re-solve the first-order backend runs (sifting: `auto` on a day of 5,000 edges or more)
//! starts from the day's solution ([`Start::FromSolution`]): its plan, still feasible once a rule
//! is dropped, and its duals for the rows that remain, through the same matching by names as
//! `agora solve --warm-start`. The day's columns are generated for it, never stored. Each price
//! records how long its re-solve took and whether it was warm-started.

use std::time::Instant;

use agora_instances::{Constraint, Instance};
use agora_solver::{solve_model, solve_model_warm, BackendChoice, Columns as _, Formulation, Settings, SolutionFile, SolveError, Status, WarmStart};

/// Where each rule's re-solve starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From scratch, as a fresh `agora solve` of the day without the rule.
    Cold,
    /// From the day's solution, when the re-solve is sifted (otherwise cold).
    FromSolution,
}

/// What one rule costs.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintPrice {
    /// The constraint's name.
    pub name: String,
    /// The constraint's type.
    pub kind: &'static str,
    /// Status of the re-solve without the rule.
    pub status: Status,
    /// The optimum without the rule (`None` unless the re-solve is optimal).
    pub objective_without: Option<f64>,
    /// `objective_without - objective`: objective units the rule costs (`>= 0` up to solver
    /// tolerance, since dropping a rule only relaxes the day).
    pub price: Option<f64>,
    /// Wall seconds of the re-solve (formulation included).
    pub seconds: f64,
    /// Whether the re-solve started from the day's solution.
    pub warm_start: bool,
}

/// A copy of `inst` without its constraint `k`.
pub fn without_constraint(inst: &Instance, k: usize) -> Instance {
    let mut out = inst.clone();
    out.constraints.remove(k);
    out
}

/// Re-solves `inst` once per constraint, without it, and prices each against `from`, the
/// day's optimal solution, starting where `start` says. `parallelism` re-solves run at once
/// (each with `settings.threads` backend threads); the result is the same, in constraint order,
/// whatever `parallelism`, apart from the seconds.
pub fn constraint_prices(
    inst: &Instance,
    from: &SolutionFile,
    settings: &Settings,
    parallelism: usize,
    start: Start,
) -> Result<Vec<ConstraintPrice>, SolveError> {
    let price = |k: usize| -> Result<ConstraintPrice, SolveError> {
        let clock = Instant::now();
        let day = without_constraint(inst, k);
        price_without(&day, &inst.constraints[k], from, settings, start, clock)
    };
    // `parallelism` threads, each re-solving its share of the rules one after another: exactly
    // that many re-solves (and copies of the day) at a time, each timed alone. (A rayon pool
    // would start another rule on a thread whose re-solve waits on its backend's own pool.)
    let n = inst.constraints.len();
    let workers = parallelism.clamp(1, n.max(1));
    let mut out: Vec<Option<Result<ConstraintPrice, SolveError>>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|w| scope.spawn(move || (w..n).step_by(workers).map(|k| (k, price(k))).collect::<Vec<_>>())).collect();
        for h in handles {
            for (k, r) in h.join().expect("a rule's re-solve does not panic") {
                out[k] = Some(r);
            }
        }
    });
    out.into_iter().map(|r| r.expect("every rule is priced")).collect()
}

/// [`constraint_prices`] one rule at a time on `inst` itself: each rule is taken out of the day,
/// priced and put back (no copy of the day: a 10^7-edge day's is 0.7 GB); `inst` is left as it was.
pub fn constraint_prices_in_place(inst: &mut Instance, from: &SolutionFile, settings: &Settings, start: Start) -> Result<Vec<ConstraintPrice>, SolveError> {
    let mut out = Vec::with_capacity(inst.constraints.len());
    for k in 0..inst.constraints.len() {
        let clock = Instant::now();
        let rule = inst.constraints.remove(k);
        let priced = price_without(inst, &rule, from, settings, start, clock);
        inst.constraints.insert(k, rule);
        out.push(priced?);
    }
    Ok(out)
}

/// The price of `rule`, re-solving `day`, the day without it; `clock` started with the work.
fn price_without(
    day: &Instance,
    rule: &Constraint,
    from: &SolutionFile,
    settings: &Settings,
    start: Start,
    clock: Instant,
) -> Result<ConstraintPrice, SolveError> {
    let model = Formulation::new(day);
    let sifted = settings.backend.resolve_for(&model) == BackendChoice::FirstOrder;
    let warm_start = start == Start::FromSolution && sifted && model.n_cols() > 0;
    let sol = if warm_start {
        let (warm, _) = WarmStart::from_solution_file(day, &model, from);
        solve_model_warm(day, &model, settings, Some(&warm))?
    } else {
        solve_model(day, &model, settings)?
    };
    let objective_without = sol.status.is_optimal().then_some(sol.objective);
    Ok(ConstraintPrice {
        name: rule.name.clone(),
        kind: rule.kind.type_name(),
        status: sol.status,
        objective_without,
        price: objective_without.map(|o| o - from.objective),
        seconds: clock.elapsed().as_secs_f64(),
        warm_start,
    })
}
