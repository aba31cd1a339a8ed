//! Infeasible days explained (`agora diagnose`, `agora.diagnosis/v1`): which rules conflict, and
//! the smallest change of the planner's parameters that makes the day feasible.
//!
//! - [`rules`]: the day's hard rules in the planner's vocabulary (an instance constraint by its
//!   name with all its rows; the built-in rows `supply[SEG]`, `budget[CAMPAIGN]`, `item_cap[ITEM]`;
//!   edge caps `cap[SEG,ITEM]`) and a live feasibility model on which a rule is switched off by
//!   setting its bounds to infinity and back, each test a hot-started HiGHS re-solve;
//! - [`conflict`]: an irreducible conflict: a deletion filter over the instance constraints, then
//!   the built-in rules the infeasibility certificate (HiGHS' dual ray) touches, each confirmed by
//!   relaxing it alone;
//! - [`relax`]: the smallest relaxation, an elastic LP built from the row meta's derivatives
//!   (`d a / d theta`, `d b / d theta`), whose answer is then scaled to the exact boundary of
//!   feasibility by re-solves of the relaxed day.
//!
//! Statuses are data here too: an infeasible day is a successful diagnosis; only a failure to
//! solve at all is an error. See docs/diagnose.md for the definitions and a worked example.

pub mod columns;
pub mod conflict;
pub mod relax;
pub mod rules;
pub mod sifted;

use agora_instances::Instance;
use serde::{Deserialize, Serialize};

use crate::formulate::{formulate, Formulation};
use crate::settings::{BackendChoice, Settings, ToValid, ValidSettings, AUTO_HIGHS_LP_EDGES};
use crate::status::{SolveError, Status};
use rules::Tests;

/// The `schema` string of diagnosis files.
pub const DIAGNOSIS_SCHEMA: &str = "agora.diagnosis/v1";

/// A rule of the conflict, in the planner's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRule {
    /// The instance constraint's `name`, or a built-in rule's row name (`supply[SEG]`,
    /// `budget[CAMPAIGN]`, `item_cap[ITEM]`, `cap[SEG,ITEM]`).
    pub rule: String,
    /// The constraint's `type`, or `supply`, `budget`, `item_cap`, `cap`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether a re-solve confirmed the rule a member (dropping or relaxing it alone makes the
    /// conflict feasible): always for instance constraints; `false` for a built-in rule the
    /// infeasibility certificate names past [`DiagnoseSettings::max_builtin_checks`]. Files
    /// written before this field listed only tested rules, so it reads as `true` when absent.
    #[serde(default = "tested_when_absent")]
    pub tested: bool,
}

fn tested_when_absent() -> bool {
    true
}

/// One parameter's change in the smallest relaxation, named as frontiers name parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamChange {
    /// `supply[SEG]`, `budget[CAMPAIGN]`, `cap[ITEM]`, `NAME.min`, `NAME.max`, `NAME.max_share`,
    /// `NAME.min_share` or `NAME.tolerance`.
    pub param: String,
    /// The value in the day.
    pub from: f64,
    /// The value that, with the other changes, makes the day feasible.
    pub to: f64,
}

/// A soft rule that pays a penalty at the optimum of a feasible day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PenaltyPaid {
    /// The constraint's name.
    pub rule: String,
    /// The constraint's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The summed violation of its rows, in the rows' units.
    pub violation: f64,
    /// Objective units paid: penalty x violation.
    pub cost: f64,
}

/// An `agora.diagnosis/v1` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Always [`DIAGNOSIS_SCHEMA`].
    pub schema: String,
    /// The instance's name.
    pub instance: String,
    /// Whether the day has a feasible plan.
    pub feasible: bool,
    /// An irreducible set of conflicting rules (empty on a feasible day).
    pub conflict: Vec<ConflictRule>,
    /// The smallest change of relaxable parameters that makes the day feasible (empty on a
    /// feasible day, or when no change of the relaxable parameters can).
    pub relaxation: Vec<ParamChange>,
    /// The optimum of the day with the relaxation applied (`null` without a relaxation).
    pub relaxed_objective: Option<f64>,
    /// On a feasible day, the soft rules that pay penalties at its optimum: what binds.
    #[serde(default)]
    pub penalties: Vec<PenaltyPaid>,
    /// A sentence for people: what conflicts and what would fix it, or why nothing could.
    pub message: String,
}

impl Diagnosis {
    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("diagnoses serialise")
    }

    /// A planner's reading of the diagnosis: the conflicting rules, then the relaxation.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.feasible {
            let _ = writeln!(s, "\"{}\" is feasible: no rule conflicts.", self.instance);
            if self.penalties.is_empty() {
                let _ = writeln!(s, "No soft rule pays a penalty at the optimum.");
            } else {
                let _ = writeln!(s, "Soft rules paying penalties at the optimum:");
                for p in &self.penalties {
                    let _ = writeln!(s, "  {} ({}): violated by {}, costing {} objective units", p.rule, p.kind, num(p.violation), num(p.cost));
                }
            }
            return s;
        }
        let _ = writeln!(s, "\"{}\" is infeasible. Conflicting rules (drop or relax any one and the rest can hold together):", self.instance);
        for c in self.conflict.iter().filter(|c| c.tested) {
            let _ = writeln!(s, "  - {} ({})", c.rule, c.kind);
        }
        if let Some(folded) = untested_summary(&self.conflict) {
            let _ = writeln!(s, "  - {folded}");
        }
        if self.relaxation.is_empty() {
            let _ = writeln!(s, "{}", self.message);
        } else {
            let _ = writeln!(s, "Smallest relaxation that makes the day feasible:");
            for r in &self.relaxation {
                let _ = writeln!(s, "  {}: {} -> {}", r.param, num(r.from), num(r.to));
            }
            if let Some(o) = self.relaxed_objective {
                let _ = writeln!(s, "Optimum of the relaxed day: {}", num(o));
            }
        }
        s
    }
}

/// The conflict's untested rules folded into one phrase: how many, of which types; `None` when
/// every rule was tested.
fn untested_summary(conflict: &[ConflictRule]) -> Option<String> {
    let untested: Vec<&ConflictRule> = conflict.iter().filter(|c| !c.tested).collect();
    if untested.is_empty() {
        return None;
    }
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for c in &untested {
        match kinds.iter_mut().find(|(k, _)| *k == c.kind) {
            Some(entry) => entry.1 += 1,
            None => kinds.push((&c.kind, 1)),
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    Some(format!(
        "{} more built-in rule(s) the infeasibility certificate names, not tested one by one ({}; each in the diagnosis file's \"conflict\")",
        untested.len(),
        kinds.join(", ")
    ))
}

fn num(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e9) {
        format!("{x:.4e}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// What a diagnosis may change and how hard it looks.
#[derive(Debug, Clone)]
pub struct DiagnoseSettings {
    /// The solver settings of every solve (the backend of the relaxed day's optimum; the
    /// feasibility tests always use HiGHS' simplex, hot-started).
    pub solve: Settings,
    /// Whether physical limits (segment supplies) may be relaxed; by default they may not.
    pub relax_physical: bool,
    /// At most this many built-in rules are tested for membership in the conflict (each one a
    /// re-solve), the ones the infeasibility certificate weighs most first; the others it names
    /// are in the conflict with `tested: false`.
    pub max_builtin_checks: usize,
}

impl Default for DiagnoseSettings {
    fn default() -> Self {
        DiagnoseSettings { solve: Settings::default(), relax_physical: false, max_builtin_checks: 16 }
    }
}

/// How a diagnosis tests feasibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestPath {
    /// A live HiGHS model of the whole matrix, hot-started ([`rules::Live`]).
    WholeMatrix,
    /// Phase-one LPs sifted over generated columns, warm-started ([`sifted::Sifted`]).
    Sifted,
}

impl TestPath {
    /// The path for a day of `n_edges` edges under `settings`: sifted where the solve sifts (the
    /// first-order backend; `auto` from [`AUTO_HIGHS_LP_EDGES`] edges, since every feasibility
    /// test is an LP whatever the day's objective), the whole matrix otherwise.
    pub fn for_day(n_edges: usize, settings: &ValidSettings) -> TestPath {
        match settings.backend {
            BackendChoice::FirstOrder => TestPath::Sifted,
            BackendChoice::Auto if n_edges >= AUTO_HIGHS_LP_EDGES => TestPath::Sifted,
            _ => TestPath::WholeMatrix,
        }
    }
}

/// Diagnoses `inst`: on an infeasible day its conflict and smallest relaxation, on a feasible
/// one the soft rules that pay penalties. The feasibility tests take the path
/// [`TestPath::for_day`] chooses; the relaxed day is solved on a copy of `inst`
/// ([`diagnose_in_place`] needs none).
pub fn diagnose(inst: &Instance, settings: &DiagnoseSettings) -> Result<Diagnosis, SolveError> {
    let solve = settings.solve.to_valid()?;
    let explored = explore(inst, settings, &solve)?;
    let relaxed_settings = relaxed_day_settings(inst, &solve);
    finish(inst.name.clone(), settings, explored, |b| relax::solve_relaxed(&mut inst.clone(), b, &relaxed_settings))
}

/// [`diagnose`], solving the relaxed day in `inst` itself and putting it back as it was: a
/// 10^7-edge day is diagnosed without a second copy of its edges (what `agora diagnose` does).
pub fn diagnose_in_place(inst: &mut Instance, settings: &DiagnoseSettings) -> Result<Diagnosis, SolveError> {
    let solve = settings.solve.to_valid()?;
    let explored = explore(inst, settings, &solve)?;
    let relaxed_settings = relaxed_day_settings(inst, &solve);
    let name = inst.name.clone();
    finish(name, settings, explored, |b| relax::solve_relaxed(inst, b, &relaxed_settings))
}

/// The settings the relaxed day is solved with: on the sifted path, with every core for pricing
/// (as the tests before it had: the diagnosis is one chain of solves).
fn relaxed_day_settings(inst: &Instance, solve: &ValidSettings) -> ValidSettings {
    match TestPath::for_day(inst.edges.len(), solve) {
        TestPath::Sifted => sifted::chain_settings(solve),
        TestPath::WholeMatrix => solve.clone(),
    }
}

/// What the feasibility tests found: a feasible day's diagnosis, or an infeasible day's conflict
/// and the boundary of its smallest relaxation (the relaxed day not yet solved).
enum Explored {
    Feasible(Diagnosis),
    Infeasible { conflict: Vec<ConflictRule>, boundary: Option<relax::Boundary> },
}

/// The feasibility tests of `inst` on the path [`TestPath::for_day`] chooses.
fn explore(inst: &Instance, settings: &DiagnoseSettings, solve: &ValidSettings) -> Result<Explored, SolveError> {
    match TestPath::for_day(inst.edges.len(), solve) {
        TestPath::WholeMatrix => {
            let model = formulate(inst);
            let live = rules::Live::new(inst, &model, solve)?;
            explore_with(inst, settings, solve, live, |s| crate::solve_model(inst, &model, s))
        }
        TestPath::Sifted => explore_with(inst, settings, solve, sifted::Sifted::new(inst, solve), |s| crate::solve_model(inst, &Formulation::new(inst), s)),
    }
}

/// The diagnosis without a name: the schema and the instance's name, nothing found yet.
fn blank(instance: String) -> Diagnosis {
    Diagnosis {
        schema: DIAGNOSIS_SCHEMA.to_string(),
        instance,
        feasible: true,
        conflict: Vec::new(),
        relaxation: Vec::new(),
        relaxed_objective: None,
        penalties: Vec::new(),
        message: String::new(),
    }
}

/// [`explore`] with the feasibility tests `tests` of `inst`; `solve_day` solves the day itself
/// (when it is feasible).
fn explore_with(
    inst: &Instance,
    settings: &DiagnoseSettings,
    solve: &ValidSettings,
    mut tests: impl Tests,
    solve_day: impl FnOnce(&ValidSettings) -> Result<crate::Solution, SolveError>,
) -> Result<Explored, SolveError> {
    if tests.feasible()? {
        let sol = solve_day(solve)?;
        let penalties = if sol.status == Status::Optimal { penalties_paid(inst, &sol) } else { Vec::new() };
        let message = match sol.status {
            Status::Optimal if penalties.is_empty() => "the day is feasible and no soft rule pays a penalty".to_string(),
            Status::Optimal => format!("the day is feasible; {} soft rule(s) pay penalties at the optimum", penalties.len()),
            other => format!("the day is feasible, but its solve ended {other}"),
        };
        return Ok(Explored::Feasible(Diagnosis { penalties, message, ..blank(inst.name.clone()) }));
    }
    let found = conflict::find(&mut tests, settings.max_builtin_checks)?;
    let conflict = conflict_rules(&tests, &found);
    let boundary = relax::smallest(inst, settings.relax_physical, &mut tests)?;
    Ok(Explored::Infeasible { conflict, boundary })
}

/// The diagnosis of what [`explore`] found for the instance named `instance`, the relaxed day
/// solved by `relaxed`.
fn finish(
    instance: String,
    settings: &DiagnoseSettings,
    explored: Explored,
    relaxed: impl FnOnce(&relax::Boundary) -> Result<relax::Relaxation, SolveError>,
) -> Result<Diagnosis, SolveError> {
    let (members, boundary) = match explored {
        Explored::Feasible(d) => return Ok(d),
        Explored::Infeasible { conflict, boundary } => (conflict, boundary),
    };
    let relaxation = boundary.as_ref().map(relaxed).transpose()?;
    let mut names: Vec<String> = members.iter().filter(|c| c.tested).map(|c| c.rule.clone()).collect();
    names.extend(untested_summary(&members));
    let message = match &relaxation {
        Some(r) => format!(
            "infeasible: {} conflict; the smallest relaxation changes {} parameter(s): {}",
            names.join(", "),
            r.changes.len(),
            r.changes.iter().map(|c| format!("{} {} -> {}", c.param, num(c.from), num(c.to))).collect::<Vec<_>>().join(", ")
        ),
        None => format!(
            "infeasible: {} conflict; no change of the relaxable parameters makes the day feasible{}",
            names.join(", "),
            if settings.relax_physical { "" } else { " (supplies are physical limits and not relaxed; allow it with --relax-physical)" }
        ),
    };
    Ok(Diagnosis {
        feasible: false,
        conflict: members,
        relaxation: relaxation.as_ref().map(|r| r.changes.clone()).unwrap_or_default(),
        relaxed_objective: relaxation.and_then(|r| r.objective),
        message,
        ..blank(instance)
    })
}

/// The conflict of `inst` alone (no relaxation): empty on a feasible day; its untested rules
/// (past `max_builtin_checks`) last. What a frontier reports for its infeasible points.
pub fn conflict_of(inst: &Instance, settings: &(impl ToValid + ?Sized), max_builtin_checks: usize) -> Result<Vec<ConflictRule>, SolveError> {
    let solve = settings.to_valid()?;
    fn of(mut tests: impl Tests, max_builtin_checks: usize) -> Result<Vec<ConflictRule>, SolveError> {
        if tests.feasible()? {
            return Ok(Vec::new());
        }
        let found = conflict::find(&mut tests, max_builtin_checks)?;
        Ok(conflict_rules(&tests, &found))
    }
    match TestPath::for_day(inst.edges.len(), &solve) {
        TestPath::WholeMatrix => of(rules::Live::new(inst, &formulate(inst), &solve)?, max_builtin_checks),
        TestPath::Sifted => of(sifted::Sifted::new(inst, &solve), max_builtin_checks),
    }
}

/// The whole conflict in the planner's words: the tested members, then the untested rules.
fn conflict_rules(live: &impl Tests, found: &conflict::Found) -> Vec<ConflictRule> {
    let rules = live.rules();
    let rule = |k: usize, tested: bool| ConflictRule { rule: rules[k].name.clone(), kind: rules[k].kind.clone(), tested };
    found.members.iter().map(|&k| rule(k, true)).chain(found.untested.iter().map(|&k| rule(k, false))).collect()
}

/// The soft rules with a violation at the solution's optimum, by constraint.
fn penalties_paid(inst: &Instance, sol: &crate::Solution) -> Vec<PenaltyPaid> {
    let mut out: Vec<PenaltyPaid> = Vec::new();
    for r in sol.rows.iter().filter(|r| r.violation > 0.0) {
        let Some(k) = r.constraint else { continue };
        let c = &inst.constraints[k];
        let Some(p) = c.penalty else { continue };
        match out.iter_mut().find(|e| e.rule == c.name) {
            Some(e) => {
                e.violation += r.violation;
                e.cost += p * r.violation;
            }
            None => out.push(PenaltyPaid { rule: c.name.clone(), kind: c.kind.type_name().to_string(), violation: r.violation, cost: p * r.violation }),
        }
    }
    out
}
