//! Incentive audit of a day's plan: does the plan reward what it should, and can it be gamed?
//!
//! [`audit`] solves the day once and keeps it live ([`agora_solver::Resolver`]), finds where its
//! plan can move ([`margin`]: creators with exposure, and creators at the margin of an edge or of
//! a binding floor, cap or parity row), and re-solves it from the day's basis under deviations of
//! creators drawn from those classes in turn:
//!
//! | property | claim | deviation |
//! |---|---|---|
//! | `budget_feasibility` | no campaign spends above its budget, in any plan the audit computes | every re-solve below |
//! | `creator_monotonicity` | a creator that raises the engagement of all its edges by the same amount never loses exposure | `+delta` on one creator's edges, `delta` the raise that carries its nearest edge across the margin |
//! | `sybil_same_group` | splitting a creator into two accounts of its own group gains it no exposure | every other item moves to a clone; per-creator rules copied to it |
//! | `sybil_new_account` | the same when the second account is a `new` creator (fresh accounts are new) | as above, clone in group `new` |
//! | `topic_relabel` | relabelling an item's topic gains nothing | the creator's key item relabelled to the least crowded topic of its segments |
//! | `near_duplicate` | uploading a near-duplicate gains nothing | a copy of the key item at 99% of its engagement |
//! | `group_move` | moving to another creator group gains nothing | the creator moves to the group where its edges are worth most at the day's duals |
//!
//! Why monotonicity is the right claim: by revealed preference, if the objective of a set of
//! edges rises by the same `delta` on each edge, any optimum before (`x`) and after (`x'`) satisfy
//! `delta * (S(x') - S(x)) >= 0`, with `S` the set's total exposure. No rule reads engagement, so
//! this holds whatever rules the day has, LP or QP. It is a claim about the creator's whole
//! content: raising one item only is not covered, and an integrity cap can make a creator's total
//! fall when one of its items improves (docs/markets.md).
//!
//! A deviation's gain is a finding, not automatically a failure: it is explained by the rules
//! whose prices pay it ([`explain`]), and it is `intended` when the rule paying is written for
//! what the deviation is (a floor for new creators paying a new account), a `loophole` otherwise.
//! Gains are measured on the optimal faces ([`agora_solver::optimal_face_extreme`]): the least the
//! deviating accounts get after, minus the most the creator could get before, so a gain holds
//! whichever optimal plan a backend returns.

pub mod deviations;
pub mod explain;
mod jobs;
pub mod margin;
mod output;
mod trials;

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use agora_instances::Instance;
use agora_solver::{Settings, SolveError, Status};

pub use deviations::{creators_with_own_rules, raise_engagement, split_creator, Applied, Deviation, DeviationError};
pub use explain::{Intent, RulePrice};
pub use margin::{Class, Margins};
pub use trials::DUPLICATE_FACTOR;

/// The `schema` string of the audit's JSON output.
pub const AUDIT_SCHEMA: &str = "agora.audit/v2";

/// The properties an audit checks, in order.
pub const PROPERTIES: [&str; 7] =
    ["budget_feasibility", "creator_monotonicity", "sybil_same_group", "sybil_new_account", "topic_relabel", "near_duplicate", "group_move"];

/// How an audit runs. Defaults: 8 trials per property, seed 1, default solver settings.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Deviations tried per property (creators drawn without repetition, class by class).
    pub trials: usize,
    /// Seed of the draws; the same seed gives the same audit.
    pub seed: u64,
    /// Solver settings of every solve.
    pub settings: Settings,
    /// Properties audited at once, each worker with its own live model of the day. Default:
    /// the machine's available parallelism. The audit is the same for any number.
    pub parallelism: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { trials: 8, seed: 1, settings: Settings::default(), parallelism: agora_solver::available_parallelism() }
    }
}

/// What a property's trials found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every trial stayed within the property's tolerance (or the property holds by construction).
    Holds,
    /// Some deviation gains, and the rules mean every gain found.
    Intended,
    /// A trial violated the property, or a deviation gains through a loophole.
    Fails,
    /// Nothing could be judged: the day offers nothing to try, no rule reads what the deviation
    /// changes, or every deviation left it infeasible.
    NotApplicable,
}

impl Verdict {
    /// The verdict as the text table shows it: `holds`, `intended`, `fails` or `n/a`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Intended => "intended",
            Verdict::Fails => "fails",
            Verdict::NotApplicable => "n/a",
        }
    }
}

/// How one trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Within the property: no exposure lost (monotonicity), no gain (a deviation).
    Holds,
    /// Monotonicity broken beyond the tolerance.
    Violation,
    /// The deviation gains, as the rules intend.
    IntendedGain,
    /// The deviation gains through a loophole.
    LoopholeGain,
    /// The deviation loses exposure.
    Loss,
    /// The deviated day has no plan (not judged).
    Infeasible,
}

impl Outcome {
    /// The outcome as written: `holds`, `violation`, `intended_gain`, `loophole_gain`, `loss`, `infeasible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Holds => "holds",
            Outcome::Violation => "violation",
            Outcome::IntendedGain => "intended_gain",
            Outcome::LoopholeGain => "loophole_gain",
            Outcome::Loss => "loss",
            Outcome::Infeasible => "infeasible",
        }
    }
}

/// One trial: a creator, its deviation, and what the plan did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// The property tried.
    pub property: String,
    /// The deviating creator's id.
    pub creator: String,
    /// Its class in the day's plan.
    pub class: Class,
    /// The deviation, by ids (replayable with [`Deviation::apply`]).
    pub deviation: Deviation,
    /// The engagement raise per impression (monotonicity), else `None`.
    pub perturbation: Option<f64>,
    /// The creator's impressions in the day's plan.
    pub exposure_before: f64,
    /// The deviating accounts' impressions in the deviated day's plan (`None`: infeasible).
    pub exposure_after: Option<f64>,
    /// The change judged: `exposure_after - exposure_before` at the plans; for a gain of a
    /// deviation, the gain on the optimal faces (least after minus most before).
    pub change: f64,
    /// The plan moved at the creator: its exposure changed by more than rounding.
    pub non_trivial: bool,
    /// How the trial ended.
    #[serde(rename = "verdict")]
    pub outcome: Outcome,
    /// The rules whose prices explain a gain or loss, largest first.
    pub explained_by: Vec<RulePrice>,
    /// Re-solved from the day's basis (false: solved cold).
    pub hot: bool,
}

impl Trial {
    #[allow(clippy::too_many_arguments)]
    fn new(
        property: &str,
        inst: &Instance,
        c: usize,
        class: Class,
        deviation: Deviation,
        before: f64,
        after: Option<f64>,
        change: f64,
        non_trivial: bool,
        outcome: Outcome,
        explained_by: Vec<RulePrice>,
        hot: bool,
    ) -> Trial {
        Trial {
            property: property.to_string(),
            creator: inst.creators[c].id.clone(),
            class,
            perturbation: deviation.delta(),
            deviation,
            exposure_before: before,
            exposure_after: after,
            change,
            non_trivial,
            outcome,
            explained_by,
            hot,
        }
    }
}

/// One property's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The property's name ([`PROPERTIES`]).
    pub property: String,
    /// What its trials found.
    pub verdict: Verdict,
    /// Trials solved to optimality and judged (every plan the audit computed, for budgets).
    pub trials: usize,
    /// Judged trials whose plan moved at the creator.
    pub non_trivial: usize,
    /// Deviations after which the day was infeasible (a split copies per-creator floors and moves
    /// merit between groups, which can leave no feasible plan); they are not judged.
    pub infeasible: usize,
    /// The smallest engagement raise that moved the plan (monotonicity).
    pub smallest_perturbation: Option<f64>,
    /// Trials that gained as the rules intend.
    pub intended_gains: usize,
    /// Trials that gained through a loophole.
    pub loophole_gains: usize,
    /// Trials that lost exposure.
    pub losses: usize,
    /// The largest violation (or loophole gain) found, in `unit` (0 when none).
    pub worst_violation: f64,
    /// The violation that counts as numerical noise rather than a failure, in `unit`.
    pub tolerance: f64,
    /// The unit of `worst_violation` and `tolerance`: `of budget` (a fraction) or `impressions`.
    pub unit: String,
    /// The trial behind the worst violation, in words.
    pub witness: Option<String>,
    /// Why the property holds without trials or does not apply.
    pub note: Option<String>,
}

impl Check {
    fn without_trials(property: &str, verdict: Verdict, note: &str) -> Check {
        let mut c = trials::Worst::new().check(property, "impressions");
        c.verdict = verdict;
        c.note = Some(note.to_string());
        c
    }

    /// A property nothing of the day can test.
    pub(crate) fn not_applicable(property: &str, note: &str) -> Check {
        Check::without_trials(property, Verdict::NotApplicable, note)
    }
}

/// How many creators each class holds, and the band that defines the margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    /// Creators with impressions in the plan.
    pub exposed: usize,
    /// Creators without, whose nearest edge is within the band.
    pub margin_edge: usize,
    /// Creators without, held out by a binding floor, cap or parity row.
    pub margin_row: usize,
    /// The others (never drawn).
    pub far: usize,
    /// The band, objective units per impression.
    pub band: f64,
}

/// How the audit's solves went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solves {
    /// Deviated days re-solved from the day's basis.
    pub hot: usize,
    /// Deviated days solved cold.
    pub cold: usize,
}

/// An audit of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    /// Always [`AUDIT_SCHEMA`].
    pub schema: String,
    /// The name of the audited instance.
    pub instance: String,
    /// The audited instance's content hash ([`agora_instances::content_hash`]).
    pub instance_hash: String,
    /// The seed the draws came from.
    pub seed: u64,
    /// The day's creators by class.
    pub classes: Classes,
    /// Hot and cold re-solves.
    pub solves: Solves,
    /// One check per property, in [`PROPERTIES`] order.
    pub checks: Vec<Check>,
    /// Every trial, property by property.
    pub trials: Vec<Trial>,
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
    /// True when no property fails (intended gains do not fail).
    pub fn all_hold(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fails)
    }

    /// The check of `property`, if the audit ran it.
    pub fn check(&self, property: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.property == property)
    }

    /// The trials of `property`.
    pub fn trials_of<'a>(&'a self, property: &'a str) -> impl Iterator<Item = &'a Trial> + 'a {
        self.trials.iter().filter(move |t| t.property == property)
    }
}

/// Runs every check on `inst`. The day itself must solve to optimality. A deviation that leaves the
/// day infeasible is counted, not judged; one that ends at a limit or numerical error is an error.
pub fn audit(inst: &Instance, cfg: &AuditConfig) -> Result<Audit, AuditError> {
    use jobs::{Job, Make};
    let mut run = trials::Run::new(inst, cfg)?;
    // Every property's creators drawn here, in the properties' order, whoever runs them.
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut jobs = Vec::new();
    jobs.push(if inst.objective.engagement > 0.0 {
        Job::Monotonicity(margin::draw(&run.pool(), &run.margins, &[], cfg.trials, false, &mut rng))
    } else {
        Job::Known(Check::not_applicable("creator_monotonicity", "the objective does not weigh engagement (w_engagement = 0): exposure cannot depend on it"))
    });
    let own = creators_with_own_rules(inst);
    let margins = &run.margins;
    let mut deviations = |property, pool: Vec<usize>, first: &[usize], make| Job::Deviations {
        property,
        order: margin::draw(&pool, margins, first, pool.len(), true, &mut rng),
        first: first.to_vec(),
        make,
    };
    jobs.push(if own.is_empty() {
        Job::Known(Check::without_trials(
            "sybil_same_group",
            Verdict::Holds,
            "by construction: no rule is written for one creator, so a split within its group relabels the model and changes nothing",
        ))
    } else {
        let pool: Vec<usize> = run.pool().into_iter().filter(|c| own.contains(c)).collect();
        deviations("sybil_same_group", pool, &own, Make::SplitOwnGroup)
    });
    jobs.push(deviations("sybil_new_account", run.not_new(), &own, Make::SplitNew));
    jobs.push(if deviations::rules_read_topics(inst) {
        deviations("topic_relabel", run.pool(), &[], Make::Relabel)
    } else {
        Job::Known(Check::not_applicable("topic_relabel", "no rule reads topics (no topic cap, no topic selector): a relabel changes nothing"))
    });
    jobs.push(deviations("near_duplicate", run.pool(), &[], Make::Duplicate));
    jobs.push(if deviations::rules_read_groups(inst) {
        deviations("group_move", run.pool(), &[], Make::MoveGroup)
    } else {
        Job::Known(Check::not_applicable("group_move", "no rule reads creator groups (no parity rule, no group selector): a move changes nothing"))
    });
    let counts = run.margins.counts();
    let band = run.margins.band;
    let day_budgets = std::mem::replace(&mut run.budgets, trials::Worst::new());
    let (done, (hot, cold)) = jobs::run_all(run, inst, cfg, &jobs, cfg.parallelism)?;
    let mut budgets = day_budgets;
    let (mut checks, mut trials) = (Vec::new(), Vec::new());
    for d in done {
        budgets = budgets.then(d.budgets);
        checks.push(d.check);
        trials.extend(d.trials);
    }
    checks.insert(0, budgets.check("budget_feasibility", "of budget"));
    Ok(Audit {
        schema: AUDIT_SCHEMA.to_string(),
        instance: inst.name.clone(),
        instance_hash: agora_instances::content_hash(inst),
        seed: cfg.seed,
        classes: Classes { exposed: counts[0].1, margin_edge: counts[1].1, margin_row: counts[2].1, far: counts[3].1, band },
        solves: Solves { hot, cold },
        checks,
        trials,
    })
}
