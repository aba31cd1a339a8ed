//! The price of each rule: the optimum of the day re-solved without it, minus the plan's optimum.
//!
//! Where a shadow price is the derivative of the optimum in a rule's parameter, this is the whole
//! cost of the rule: what the objective would gain if the rule were dropped altogether. Each
//! re-solve uses the same settings as a fresh solve (so the same backend); a soft rule dropped
//! takes its penalty with it.

use agora_instances::Instance;
use agora_solver::{solve, Settings, SolveError, Status};
use rayon::prelude::*;

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
}

/// A copy of `inst` without its constraint `k`.
pub fn without_constraint(inst: &Instance, k: usize) -> Instance {
    let mut out = inst.clone();
    out.constraints.remove(k);
    out
}

/// Re-solves `inst` once per constraint, without it, and prices each against `objective`.
/// `parallelism` re-solves run at once (each with `settings.threads` backend threads); the
/// result is the same, in constraint order, whatever `parallelism`.
pub fn constraint_prices(inst: &Instance, objective: f64, settings: &Settings, parallelism: usize) -> Result<Vec<ConstraintPrice>, SolveError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(parallelism.max(1))
        .build()
        .map_err(|e| SolveError::Threads { threads: parallelism, reason: e.to_string() })?;
    // Each backend model is built, solved and dropped inside the thread that runs its re-solve.
    pool.install(|| {
        inst.constraints
            .par_iter()
            .enumerate()
            .map(|(k, c)| {
                let sol = solve(&without_constraint(inst, k), settings)?;
                let objective_without = sol.status.is_optimal().then_some(sol.objective);
                Ok(ConstraintPrice {
                    name: c.name.clone(),
                    kind: c.kind.type_name(),
                    status: sol.status,
                    objective_without,
                    price: objective_without.map(|o| o - objective),
                })
            })
            .collect()
    })
}
