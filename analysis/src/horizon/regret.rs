//! What a served plan is worth against what the day allowed: regret, rule violations and the
//! price of an exploration floor, all under the true engagement.
//!
//! - The **benchmark** of a day is the day as the policy makes it, planned on the true
//!   engagement (`engagement_estimate: point`) with its `exploration_floor` rules dropped: a
//!   planner who knows the engagement has nothing to explore. Its optimum is the day's best.
//! - A plan **earns** the benchmark's objective at the plan: every edge's value at the true
//!   engagement, less the quadratic term and each soft rule's penalty for its violation.
//! - **Regret** is the optimum minus what the served plan earns (objective units; clicks on a day
//!   whose objective is engagement alone).
//! - **Violations** count the rows of the policy's rules, as the day states them and at the true
//!   values, that the plan breaks (soft rules excepted: breaking them is paid for in the
//!   objective).
//! - The **floor cost** of a day is what its `exploration_floor` rules cost the day's plan to first
//!   order: minus each one's shadow price (of its `min_share`) times its `min_share`.

use agora_instances::{ConstraintKind, EngagementEstimate, Instance, Param};
use agora_solver::{Columns, Solution};

/// The benchmark of the policy's day `day` (module docs).
pub fn benchmark_day(day: &Instance) -> Instance {
    let mut bench = day.clone();
    bench.constraints.retain(|c| !matches!(c.kind, ConstraintKind::ExplorationFloor { .. }));
    bench.objective.engagement_estimate = EngagementEstimate::Point;
    bench
}

/// The objective of `day` (formulated as `model`) at plan `x` (impressions per edge): the edges'
/// terms at the day's point engagement, less each soft row's penalty times its violation.
pub fn plan_value<C: Columns + ?Sized>(model: &C, x: &[f64]) -> f64 {
    let n = model.n_edges().min(x.len());
    let edges: f64 = (0..n).map(|j| model.cost(j) * x[j] - 0.5 * model.quad(j) * x[j] * x[j]).sum();
    let act = model.activities(&x[..n]);
    let penalties: f64 = model
        .rows()
        .iter()
        .zip(&act)
        .filter_map(|(row, &a)| {
            let p = row.penalty?;
            let violation = match row.sense {
                agora_solver::Sense::Ge => (row.rhs - a).max(0.0),
                agora_solver::Sense::Le => (a - row.rhs).max(0.0),
            };
            Some(p * violation)
        })
        .sum();
    edges - penalties
}

/// The rows of `rules`' hard rules (and its always-present rows) that `x` breaks, by the
/// independent check (`agora_instances::feasibility`, 1e-6 relative).
pub fn violations(rules: &Instance, x: &[f64]) -> usize {
    let mut hard = rules.clone();
    hard.constraints.retain(|c| c.penalty.is_none());
    agora_instances::plan_violations(&hard, x, 1e-6).len()
}

/// The day's floor cost (module docs) from the solution `sol` of `day`.
pub fn floor_cost(day: &Instance, sol: &Solution) -> f64 {
    day.constraints
        .iter()
        .enumerate()
        .filter_map(|(k, c)| match c.kind {
            ConstraintKind::ExplorationFloor { min_share, .. } => sol.shadow_price_of(day, &Param::Constraint(k, "min_share")).map(|p| -p * min_share),
            _ => None,
        })
        .sum()
}

/// Whether `day` has an `exploration_floor` rule.
pub fn has_exploration_floor(day: &Instance) -> bool {
    day.constraints.iter().any(|c| matches!(c.kind, ConstraintKind::ExplorationFloor { .. }))
}
