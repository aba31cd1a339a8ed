//! Incentive audit of a day's plan: does the plan reward what it should, and can it be gamed?
//!
//! [`audit`] solves the day, then re-solves it under randomised deviations and checks:
//!
//! | property | claim | deviation |
//! |---|---|---|
//! | `budget_feasibility` | no campaign spends above its budget, in any plan the audit computes | every re-solve below |
//! | `creator_monotonicity` | a creator that raises the engagement of all its edges by the same amount never loses exposure | `+delta` on one creator's edges |
//! | `sybil_same_group` | splitting a creator into two accounts of its own group gains it no exposure | move every other item to a clone; per-creator rules copied to it |
//! | `sybil_new_account` | the same, when the second account counts as a `new` creator (fresh accounts are new) | as above, clone in group `new` |
//!
//! Why these claims are the right ones: by revealed preference, if the objective of a set of edges
//! rises by the same `delta` on each edge, any optimum before (`x`) and after (`x'`) satisfy
//! `delta * (S(x') - S(x)) >= 0`, with `S` the set's total exposure; so the additive raise is
//! guaranteed monotone for LPs and QPs alike (a proportional raise is not: it shifts exposure
//! towards the creator's best items, and the total may fall). A split within the group changes the
//! model only by relabelling, unless a rule is written per creator: then the clone gets a rule of
//! its own and the pair may gain. A split into the `new` group moves merit and exposure into the
//! new-creator rules, which may also pay.
//!
//! LP optima are often not unique, so Sybil gains are measured on the optimal face
//! ([`agora_solver::optimal_face_extreme`]): the gain is the smallest exposure the pair can get after
//! the split minus the largest the creator could get before. A positive gain is guaranteed by the
//! model, whichever optimal plan a backend returns.

mod deviations;

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use agora_instances::{metrics, Instance, Owner};
use agora_solver::{formulate, optimal_face_extreme, FaceEnd, Model, Settings, Solution, SolveError, Status};

pub use deviations::{creators_with_own_rules, raise_engagement, split_creator};

use crate::format::{num, round, table};

/// The `schema` string of the audit's JSON output.
pub const AUDIT_SCHEMA: &str = "agora.audit/v1";

/// How an audit runs. Defaults: 8 trials per property, seed 1, default solver settings.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Deviations tried per property (creators are drawn without repetition where possible).
    pub trials: usize,
    /// Seed of the deviations drawn; the same seed gives the same audit.
    pub seed: u64,
    /// Solver settings of every solve.
    pub settings: Settings,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { trials: 8, seed: 1, settings: Settings::default() }
    }
}

/// Whether a property held on every deviation tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every deviation judged stayed within the property's tolerance.
    Holds,
    /// At least one deviation violated the property by more than its tolerance.
    Fails,
    /// Nothing could be judged: the day offers nothing to try (no campaigns, no creator with two
    /// items, ...) or every deviation left it infeasible.
    NotApplicable,
}

impl Verdict {
    /// The verdict as the text table shows it: `holds`, `fails` or `n/a`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::NotApplicable => "n/a",
        }
    }
}

/// One property's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The property's name (`budget_feasibility`, `creator_monotonicity`, `sybil_same_group`,
    /// `sybil_new_account`).
    pub property: &'static str,
    /// Whether the property held on every deviation judged.
    pub verdict: Verdict,
    /// Deviations tried and solved to optimality.
    pub trials: usize,
    /// Deviations after which the day was infeasible (a split copies per-creator floors and moves
    /// merit between groups, which can leave no feasible plan); they are not judged.
    pub infeasible: usize,
    /// The largest violation found, in `unit` (0 when none).
    pub worst_violation: f64,
    /// The violation that counts as numerical noise rather than a failure, in `unit`.
    pub tolerance: f64,
    /// The unit of `worst_violation` and `tolerance`: `of budget` (a fraction) or `impressions`.
    pub unit: &'static str,
    /// The deviation behind the worst violation, in words.
    pub witness: Option<String>,
}

/// An audit of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// Always [`AUDIT_SCHEMA`].
    pub schema: &'static str,
    /// The name of the audited instance.
    pub instance: String,
    /// The seed the deviations were drawn from.
    pub seed: u64,
    /// One check per property: `budget_feasibility`, `creator_monotonicity`, `sybil_same_group`, `sybil_new_account`.
    pub checks: Vec<Check>,
}

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A solve could not run.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The day itself, or a deviation of it, ended without an optimum (a deviation that leaves the day
    /// infeasible is counted, not an error).
    #[error("{what} ended {status}, so there is no plan to audit")]
    NotOptimal {
        /// Which solve: `the day` or the deviation, in words.
        what: String,
        /// How it ended.
        status: Status,
    },
}

impl Audit {
    /// True when no property fails.
    pub fn all_hold(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fails)
    }

    /// The check of `property`, if the audit ran it.
    pub fn check(&self, property: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.property == property)
    }

    /// A plain-text table: property, verdict, trials, worst violation, witness.
    pub fn table(&self) -> String {
        let mut rows = vec![vec!["property".into(), "verdict".into(), "trials".into(), "worst violation".into(), "witness".into()]];
        for c in &self.checks {
            rows.push(vec![
                c.property.into(),
                c.verdict.as_str().into(),
                if c.infeasible > 0 { format!("{} (+{} infeasible)", c.trials, c.infeasible) } else { c.trials.to_string() },
                format!("{} {}", num(c.worst_violation), c.unit),
                c.witness.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        table(&rows)
    }

    /// The `agora.audit/v1` JSON document.
    pub fn to_json(&self) -> String {
        let mut copy = self.clone();
        for c in &mut copy.checks {
            c.worst_violation = round(c.worst_violation);
            c.tolerance = round(c.tolerance);
        }
        serde_json::to_string_pretty(&copy).expect("an audit serialises") + "\n"
    }
}

/// Runs every check on `inst`. The day itself must solve to optimality. A deviation that leaves the
/// day infeasible is counted, not judged; one that ends at a limit or numerical error is an error.
pub fn audit(inst: &Instance, cfg: &AuditConfig) -> Result<Audit, AuditError> {
    let base = solve_optimal(inst, &cfg.settings, "the day")?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut budgets = BudgetCheck::new(inst, &base, "the day's plan");
    let monotone = creator_monotonicity(inst, &base, cfg, &mut rng, &mut budgets)?;
    let mut before = MostBefore { model: formulate(inst), most: HashMap::new() };
    let same = sybil(inst, &base, cfg, &mut rng, &mut budgets, &mut before, SybilKind::SameGroup)?;
    let fresh = sybil(inst, &base, cfg, &mut rng, &mut budgets, &mut before, SybilKind::NewAccount)?;
    Ok(Audit { schema: AUDIT_SCHEMA, instance: inst.name.clone(), seed: cfg.seed, checks: vec![budgets.finish(), monotone, same, fresh] })
}

fn solve_optimal(inst: &Instance, settings: &Settings, what: &str) -> Result<Solution, AuditError> {
    let sol = agora_solver::solve(inst, settings)?;
    if sol.status != Status::Optimal {
        return Err(AuditError::NotOptimal { what: what.to_string(), status: sol.status });
    }
    Ok(sol)
}

/// Solves a deviated day: `None` when the deviation made it infeasible.
fn solve_deviation(inst: &Instance, settings: &Settings, what: &str) -> Result<Option<Solution>, AuditError> {
    match solve_optimal(inst, settings, what) {
        Err(AuditError::NotOptimal { status: Status::Infeasible, .. }) => Ok(None),
        other => other.map(Some),
    }
}

/// The trial closest to failing a property: the largest `violation - tolerance` seen.
struct Worst {
    trials: usize,
    infeasible: usize,
    excess: f64,
    violation: f64,
    tolerance: f64,
    witness: Option<String>,
}

impl Worst {
    fn new() -> Worst {
        Worst { trials: 0, infeasible: 0, excess: f64::NEG_INFINITY, violation: 0.0, tolerance: 0.0, witness: None }
    }

    /// Records one trial: its violation (negative when the property holds with room to spare),
    /// the tolerance it is judged against, and what was tried.
    fn offer(&mut self, violation: f64, tolerance: f64, witness: impl FnOnce() -> String) {
        self.trials += 1;
        if violation - tolerance > self.excess {
            self.excess = violation - tolerance;
            self.violation = violation.max(0.0);
            self.tolerance = tolerance;
            self.witness = Some(witness());
        }
    }

    fn check(self, property: &'static str, unit: &'static str) -> Check {
        let verdict = if self.trials == 0 {
            Verdict::NotApplicable
        } else if self.excess > 0.0 {
            Verdict::Fails
        } else {
            Verdict::Holds
        };
        Check {
            property,
            verdict,
            trials: self.trials,
            infeasible: self.infeasible,
            worst_violation: self.violation,
            tolerance: self.tolerance,
            unit,
            witness: self.witness,
        }
    }
}

/// Spend against budget over every plan the audit computes.
struct BudgetCheck(Worst);

impl BudgetCheck {
    fn new(inst: &Instance, base: &Solution, what: &str) -> BudgetCheck {
        let mut b = BudgetCheck(Worst::new());
        b.observe(inst, base, what);
        b
    }

    /// The largest relative overspend `(spend - budget) / max(budget, 1)` in `sol`.
    fn observe(&mut self, inst: &Instance, sol: &Solution, what: &str) {
        let spend = sol.campaign_spend(inst);
        let over = |a: usize| (spend[a] - inst.campaigns[a].budget) / inst.campaigns[a].budget.max(1.0);
        let Some(a) = (0..spend.len()).max_by(|&a, &b| over(a).total_cmp(&over(b))) else { return };
        // The backends' primal feasibility tolerance is 1e-7 per row; allow ten times that.
        self.0.offer(over(a), 1e-6, || {
            format!("{what}: campaign {} spends {} of a budget of {}", inst.campaigns[a].id, num(spend[a]), num(inst.campaigns[a].budget))
        });
    }

    fn finish(self) -> Check {
        self.0.check("budget_feasibility", "of budget")
    }
}

/// Creators with at least one organic edge.
fn creators_on_edges(inst: &Instance) -> Vec<usize> {
    let mut seen = vec![false; inst.creators.len()];
    for edge in &inst.edges {
        if let Owner::Creator(c) = inst.items[edge.item].owner {
            seen[c] = true;
        }
    }
    (0..seen.len()).filter(|&c| seen[c]).collect()
}

/// Up to `n` of `pool`, drawn without repetition, the `first` ones (in order) ahead of the rest.
fn draw(pool: Vec<usize>, first: &[usize], n: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut rest: Vec<usize> = pool.into_iter().filter(|c| !first.contains(c)).collect();
    rest.shuffle(rng);
    first.iter().copied().chain(rest).take(n).collect()
}

fn creator_monotonicity(inst: &Instance, base: &Solution, cfg: &AuditConfig, rng: &mut StdRng, budgets: &mut BudgetCheck) -> Result<Check, AuditError> {
    let creators = draw(creators_on_edges(inst), &[], cfg.trials, rng);
    let organic: Vec<f64> = inst.edges.iter().filter(|e| inst.items[e.item].creator().is_some()).map(|e| e.engagement).collect();
    let scale = organic.iter().sum::<f64>() / organic.len().max(1) as f64;
    let before = metrics::creator_exposure(inst, &base.impressions);
    let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
    let mut worst = Worst::new();
    for &c in &creators {
        // A raise of 10% to 100% of the mean organic engagement (or an absolute 0.1 when it is 0).
        let delta = if scale > 0.0 { scale * rng.random_range(0.1..1.0) } else { 0.1 };
        let day = raise_engagement(inst, c, delta);
        let what = format!("creator {} raises engagement by {}", inst.creators[c].id, num(delta));
        let Some(after_sol) = solve_deviation(&day, &cfg.settings, &what)? else {
            worst.infeasible += 1;
            continue;
        };
        budgets.observe(&day, &after_sol, &what);
        let after = metrics::creator_exposure(&day, &after_sol.impressions)[c];
        // Both plans are optimal only to the objective accuracy eps of the backends, so revealed
        // preference guarantees w * delta * (after - before) >= -2 eps, not >= 0.
        let eps = 1e-7 * base.objective.abs().max(after_sol.objective.abs()).max(1.0);
        let gain_rate = inst.objective.engagement * delta;
        let tol = if gain_rate > 0.0 { 2.0 * eps / gain_rate } else { 0.0 } + 1e-9 * supply;
        worst.offer(before[c] - after, tol, || format!("{what}: exposure {} -> {}", num(before[c]), num(after)));
    }
    Ok(worst.check("creator_monotonicity", "impressions"))
}

#[derive(Clone, Copy)]
enum SybilKind {
    SameGroup,
    NewAccount,
}

/// The most exposure each creator could get on the day's optimal face, found once per creator
/// for both Sybil checks.
struct MostBefore {
    model: Model,
    most: HashMap<usize, f64>,
}

impl MostBefore {
    fn get(&mut self, inst: &Instance, base: &Solution, c: usize, settings: &Settings) -> Result<f64, AuditError> {
        if let Some(&v) = self.most.get(&c) {
            return Ok(v);
        }
        let v = exposure_extreme(inst, &self.model, base, &[c], FaceEnd::Most, settings)?;
        self.most.insert(c, v);
        Ok(v)
    }
}

#[allow(clippy::too_many_arguments)]
fn sybil(
    inst: &Instance,
    base: &Solution,
    cfg: &AuditConfig,
    rng: &mut StdRng,
    budgets: &mut BudgetCheck,
    before: &mut MostBefore,
    kind: SybilKind,
) -> Result<Check, AuditError> {
    let property = match kind {
        SybilKind::SameGroup => "sybil_same_group",
        SybilKind::NewAccount => "sybil_new_account",
    };
    let splittable: Vec<usize> = creators_on_edges(inst)
        .into_iter()
        .filter(|&c| deviations::items_of(inst, c).len() >= 2)
        .filter(|&c| matches!(kind, SybilKind::SameGroup) || inst.creators[c].group != metrics::NEW_CREATOR_GROUP)
        .collect();
    // Creators named by their own rules are where a split most plausibly pays: try them first.
    let own = creators_with_own_rules(inst);
    let first: Vec<usize> = own.into_iter().filter(|c| splittable.contains(c)).collect();
    let creators = draw(splittable, &first, cfg.trials, rng);
    let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
    let mut worst = Worst::new();
    for &c in &creators {
        let group = match kind {
            SybilKind::SameGroup => inst.creators[c].group.clone(),
            SybilKind::NewAccount => metrics::NEW_CREATOR_GROUP.to_string(),
        };
        let Some((day, clone)) = split_creator(inst, c, &group) else { continue };
        let what = format!("creator {} splits into two accounts (second in group {group})", inst.creators[c].id);
        let Some(after_sol) = solve_deviation(&day, &cfg.settings, &what)? else {
            worst.infeasible += 1;
            continue;
        };
        budgets.observe(&day, &after_sol, &what);
        let most_before = before.get(inst, base, c, &cfg.settings)?;
        let least_after = exposure_extreme(&day, &formulate(&day), &after_sol, &[c, clone], FaceEnd::Least, &cfg.settings)?;
        let tol = 1e-6 * most_before.max(1.0) + 1e-9 * supply;
        worst.offer(least_after - most_before, tol, || format!("{what}: exposure at most {} before, at least {} after", num(most_before), num(least_after)));
    }
    Ok(worst.check(property, "impressions"))
}

/// The least or most exposure (`end`) `creators` get over the optimal face (the plan's value
/// for a QP).
fn exposure_extreme(inst: &Instance, model: &Model, sol: &Solution, creators: &[usize], end: FaceEnd, settings: &Settings) -> Result<f64, AuditError> {
    let edges = deviations::edges_of_creators(inst, creators);
    let w: Vec<(usize, f64)> = edges.iter().map(|&e| (e, 1.0)).collect();
    let at_plan: f64 = edges.iter().map(|&e| sol.impressions[e]).sum();
    // The face is measured by a second LP; the plan itself lies on it.
    Ok(match (optimal_face_extreme(model, &w, end, settings)?, end) {
        (Some(v), FaceEnd::Least) => v.min(at_plan),
        (Some(v), FaceEnd::Most) => v.max(at_plan),
        (None, _) => at_plan,
    })
}
