//! The day's hard rules in the planner's vocabulary, and the feasibility tests a diagnosis runs
//! with some of them switched off ([`Tests`]): on a live HiGHS model of the whole matrix
//! ([`Live`], hot-started re-solves) or by sifting over generated columns
//! ([`super::sifted::Sifted`], warm-started phase-one LPs).

use agora_instances::Instance;

use super::columns::{off_rhs, Extra};
use crate::backends::highs::{load, map_status, Highs};
use crate::backends::highs_raw;
use crate::backends::Backend;
use crate::ir::{Columns, Model, RowKind, RowMeta, Sense};
use crate::settings::ValidSettings;
use crate::status::{SolveError, Status};

/// A hard rule: every row of one instance constraint, one built-in row, or one edge cap.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The constraint's name, or the built-in row's name (`supply[SEG]`, `budget[CAMPAIGN]`,
    /// `item_cap[ITEM]`), or `cap[SEG,ITEM]` for an edge cap.
    pub name: String,
    /// The constraint's type, or `supply`, `budget`, `item_cap`, `cap`.
    pub kind: String,
    /// Its rows in the model.
    pub rows: Vec<usize>,
    /// Its columns whose upper bound it is (an edge cap).
    pub cols: Vec<usize>,
    /// The index of the instance constraint it is, `None` for a built-in rule.
    pub constraint: Option<usize>,
}

/// The hard rules of `model` (formulated from `inst`): instance constraints without a penalty
/// first, in instance order, then supplies, budgets, item caps and edge caps. Soft rules are not
/// rules here: their slack always lets them hold.
pub fn hard_rules<C: Columns + ?Sized>(inst: &Instance, model: &C) -> Vec<Rule> {
    let mut rules: Vec<Rule> = inst
        .constraints
        .iter()
        .enumerate()
        .filter(|(_, c)| c.penalty.is_none())
        .map(|(k, c)| Rule { name: c.name.clone(), kind: c.kind.type_name().to_string(), rows: Vec::new(), cols: Vec::new(), constraint: Some(k) })
        .collect();
    for (r, meta) in model.rows().iter().enumerate() {
        match (meta.kind, meta.constraint) {
            (RowKind::Supply | RowKind::Budget | RowKind::ItemCap, _) => {
                rules.push(Rule { name: meta.name.clone(), kind: meta.kind.as_str().to_string(), rows: vec![r], cols: Vec::new(), constraint: None })
            }
            (_, Some(k)) if meta.slack.is_none() => {
                if let Some(rule) = rules.iter_mut().find(|x| x.constraint == Some(k)) {
                    rule.rows.push(r);
                }
            }
            _ => {}
        }
    }
    for (e, edge) in inst.edges.iter().enumerate() {
        if model.upper(e).is_finite() {
            let name = format!("cap[{},{}]", inst.segments[edge.segment].id, inst.items[edge.item].id);
            rules.push(Rule { name, kind: "cap".into(), rows: Vec::new(), cols: vec![e], constraint: None });
        }
    }
    rules
}

/// The optimum of an elastic LP ([`Tests::elastic`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticOptimum {
    /// Each edge's impressions.
    pub plan: Vec<f64>,
    /// Each extra column's value, in the order given.
    pub extra: Vec<f64>,
}

/// Feasibility tests of a day whose hard rules are each on or off: what a conflict's deletion
/// filter and a relaxation's boundary search ask, whichever way the day is solved.
pub trait Tests {
    /// The hard rules, indexed as [`Tests::set`] takes them.
    fn rules(&self) -> &[Rule];
    /// The day's rows, with their parameter derivatives.
    fn day_rows(&self) -> &[RowMeta];
    /// Edge `e`'s cap in the day.
    fn edge_upper(&self, e: usize) -> f64;
    /// Whether rule `k` is on.
    fn is_on(&self, k: usize) -> bool;
    /// Switches rule `k` on (its bounds as the day has them) or off (to infinity).
    fn set(&mut self, k: usize, on: bool) -> Result<(), SolveError>;
    /// Whether the rules now on admit a plan.
    fn feasible(&mut self) -> Result<bool, SolveError>;
    /// How much each rule weighs in the certificate of the last test that found the rules on
    /// infeasible (`None` without one): which built-in rules take part in the conflict.
    fn weights(&self) -> Option<Vec<f64>>;
    /// Sets row `r`'s right-hand side to `rhs`, until [`Tests::reset_rhs`].
    fn set_rhs(&mut self, r: usize, rhs: f64) -> Result<(), SolveError>;
    /// Puts back every right-hand side [`Tests::set_rhs`] moved.
    fn reset_rhs(&mut self) -> Result<(), SolveError>;
    /// The elastic LP of the smallest relaxation: the day's rows with every rule on (soft rows
    /// free) and the `extra` columns, maximised; its optimum, or `None` when it is infeasible.
    fn elastic(&self, extra: Vec<Extra>) -> Result<Option<ElasticOptimum>, SolveError>;
    /// Whether `inst` (the day with some parameters moved) admits a plan, tested the same way.
    fn feasible_day(&self, inst: &Instance) -> Result<bool, SolveError>;
    /// The plan of the last test that found the rules on feasible, as (edge, impressions) for
    /// its positive edges, where the tests keep one: a start for the relaxed day's solve.
    fn feasible_plan(&self) -> Option<Vec<(u32, f64)>> {
        None
    }
    /// The name of the backend that runs the tests (for errors).
    fn backend(&self) -> &'static str;
}

/// A feasibility model (the day's rows and bounds, no objective) kept alive in HiGHS, with each
/// rule on or off.
pub struct Live {
    /// The feasibility model with every rule on (costs and the quadratic term zeroed).
    model: Model,
    rules: Vec<Rule>,
    off: Vec<bool>,
    hm: Option<highs::Model>,
    settings: ValidSettings,
    /// The dual ray of the last infeasible solve, when HiGHS gave one.
    ray: Option<Vec<f64>>,
    /// Right-hand sides moved by [`Live::set_rhs`], with their day values, last first.
    moved: Vec<(usize, f64)>,
}

impl Live {
    /// The live model of `model`'s hard rules, every rule on.
    pub fn new(inst: &Instance, model: &Model, settings: &ValidSettings) -> Result<Live, SolveError> {
        let feas = model.feasibility();
        let mut hm = load(&feas, settings)?;
        // No presolve: infeasibility found by presolve comes without a dual ray, and the
        // re-solves are hot-started from the last basis anyway.
        hm.try_set_option("presolve", "off").map_err(|_| SolveError::Backend { backend: "highs", reason: "HiGHS refused presolve = off".into() })?;
        let rules = hard_rules(inst, model);
        let off = vec![false; rules.len()];
        Ok(Live { model: feas, rules, off, hm: Some(hm), settings: settings.clone(), ray: None, moved: Vec::new() })
    }

    /// The feasibility model as it now is (rules off at infinity), for a cold solve.
    fn current(&self) -> Model {
        let mut m = self.model.clone();
        for (rule, _) in self.rules.iter().zip(&self.off).filter(|(_, &off)| off) {
            for &r in &rule.rows {
                m.rows[r].rhs = off_rhs(m.rows[r].sense);
            }
            for &j in &rule.cols {
                m.upper[j] = f64::INFINITY;
            }
        }
        m
    }
}

impl Tests for Live {
    fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn day_rows(&self) -> &[RowMeta] {
        &self.model.rows
    }

    fn edge_upper(&self, e: usize) -> f64 {
        self.model.upper[e]
    }

    fn is_on(&self, k: usize) -> bool {
        !self.off[k]
    }

    fn set(&mut self, k: usize, on: bool) -> Result<(), SolveError> {
        if self.off[k] != on {
            return Ok(());
        }
        self.off[k] = !on;
        let hm = self.hm.as_mut().expect("the live model is present between solves");
        let raw = |e: highs_raw::RawError| SolveError::Backend { backend: "highs", reason: e.to_string() };
        for &r in &self.rules[k].rows {
            let meta = &self.model.rows[r];
            let (lo, hi) = if on { row_bounds(meta.sense, meta.rhs) } else { (f64::NEG_INFINITY, f64::INFINITY) };
            highs_raw::change_row_bounds(hm, r, lo, hi).map_err(raw)?;
        }
        for &j in &self.rules[k].cols {
            let hi = if on { self.model.upper[j] } else { f64::INFINITY };
            highs_raw::change_col_bounds(hm, j, self.model.lower[j], hi).map_err(raw)?;
        }
        Ok(())
    }

    /// A run HiGHS does not settle is decided by a phase-one LP ([`phase_one`]); a model neither
    /// settles is an error.
    fn feasible(&mut self) -> Result<bool, SolveError> {
        let mut hm = self.hm.take().expect("the live model is present between solves");
        let _ = hm.try_set_option("presolve", "off");
        let mut solved = hm.solve();
        if !matches!(map_status(solved.status()), Status::Optimal | Status::Infeasible) {
            // Near the boundary of feasibility the hot-started simplex may end without a verdict
            // (HiGHS' "Unknown"); a run through HiGHS' presolve usually settles it, far cheaper
            // than the cold retries below.
            let mut hm: highs::Model = solved.into();
            let _ = hm.try_set_option("presolve", "on");
            solved = hm.solve();
        }
        let status = map_status(solved.status());
        self.ray = match status {
            Status::Infeasible => highs_raw::dual_ray(&solved, self.model.n_rows()).ok().flatten(),
            _ => None,
        };
        self.hm = Some(solved.into());
        match status {
            Status::Optimal => Ok(true),
            Status::Infeasible => Ok(false),
            _ => phase_one(&self.current(), &self.settings),
        }
    }

    /// A rule's weight is its rows' largest entry in HiGHS' dual ray, or for an edge cap the
    /// edge's entry of `A' ray` (the cap binds where that is non-zero).
    fn weights(&self) -> Option<Vec<f64>> {
        let ray = self.ray.as_deref()?;
        let m = &self.model;
        Some(rule_weights(&self.rules, |r| ray[r], |j| m.matrix.outer_view(j).map_or(0.0, |c| c.iter().map(|(r, a)| a * ray[r]).sum::<f64>())))
    }

    fn set_rhs(&mut self, r: usize, rhs: f64) -> Result<(), SolveError> {
        let (lo, hi) = row_bounds(self.model.rows[r].sense, rhs);
        self.moved.push((r, self.model.rows[r].rhs));
        self.model.rows[r].rhs = rhs;
        let hm = self.hm.as_mut().expect("the live model is present between solves");
        highs_raw::change_row_bounds(hm, r, lo, hi).map_err(|e| SolveError::Backend { backend: "highs", reason: e.to_string() })
    }

    fn reset_rhs(&mut self) -> Result<(), SolveError> {
        while let Some((r, rhs)) = self.moved.pop() {
            let (lo, hi) = row_bounds(self.model.rows[r].sense, rhs);
            self.model.rows[r].rhs = rhs;
            let hm = self.hm.as_mut().expect("the live model is present between solves");
            highs_raw::change_row_bounds(hm, r, lo, hi).map_err(|e| SolveError::Backend { backend: "highs", reason: e.to_string() })?;
        }
        Ok(())
    }

    fn elastic(&self, extra: Vec<Extra>) -> Result<Option<ElasticOptimum>, SolveError> {
        let e = self.model.with_columns(extra.into_iter().map(|c| (c.entries, c.cost, 0.0, c.upper)));
        let r = Highs.solve(&e, &self.settings)?;
        match r.status {
            // The extra columns follow the edges and the soft rows' slacks.
            Status::Optimal => Ok(Some(ElasticOptimum { plan: r.x[..self.model.n_edges].to_vec(), extra: r.x[self.model.n_cols()..].to_vec() })),
            Status::Infeasible => Ok(None),
            other => Err(SolveError::Backend { backend: "highs", reason: format!("the elastic LP ended {other}") }),
        }
    }

    fn feasible_day(&self, inst: &Instance) -> Result<bool, SolveError> {
        phase_one(&crate::formulate::formulate(inst), &self.settings)
    }

    fn backend(&self) -> &'static str {
        "highs"
    }
}

/// Each rule's weight in a certificate: the largest `|value|` over its rows (`row(r)`) and its
/// capped columns (`col(j)`, a column's reduced-cost term `a_j . y`).
pub(crate) fn rule_weights(rules: &[Rule], row: impl Fn(usize) -> f64, col: impl Fn(usize) -> f64) -> Vec<f64> {
    rules
        .iter()
        .map(|rule| {
            let rows = rule.rows.iter().map(|&r| row(r).abs()).fold(0.0, f64::max);
            let cols = rule.cols.iter().map(|&j| col(j).abs()).fold(0.0, f64::max);
            rows.max(cols)
        })
        .collect()
}

/// A row's bounds in HiGHS' form: `<=` rows bounded above by `rhs`, `>=` rows below.
fn row_bounds(sense: Sense, rhs: f64) -> (f64, f64) {
    match sense {
        Sense::Le => (f64::NEG_INFINITY, rhs),
        Sense::Ge => (rhs, f64::INFINITY),
    }
}

/// Whether `model`'s rows and bounds admit a plan, decided by a phase-one LP: every hard row
/// gets an artificial column that relaxes it, and the LP minimises their sum, each scaled by its
/// row's size. That LP always has an optimum, so HiGHS settles it even where a feasibility run
/// ends without a verdict (near the boundary of feasibility, HiGHS' "Unknown"); the day is
/// feasible when no row needs more than 1e-7 of its size.
pub fn phase_one(model: &Model, settings: &ValidSettings) -> Result<bool, SolveError> {
    let n = model.n_cols();
    let hard: Vec<(usize, f64)> =
        model.rows.iter().enumerate().filter(|(_, m)| m.slack.is_none() && m.rhs.is_finite()).map(|(r, m)| (r, m.rhs.abs().max(1.0))).collect();
    let p = model.feasibility().with_columns(hard.iter().map(|&(r, scale)| {
        let a = match model.rows[r].sense {
            Sense::Le => -1.0,
            Sense::Ge => 1.0,
        };
        (vec![(r as u32, a)], -1.0 / scale, 0.0, f64::INFINITY)
    }));
    let scales: Vec<f64> = hard.iter().map(|&(_, s)| s).collect();
    let r = Highs.solve(&p, settings)?;
    match r.status {
        Status::Optimal => Ok(r.x[n..].iter().zip(&scales).all(|(a, s)| *a <= 1e-7 * s)),
        other => Err(SolveError::Backend { backend: "highs", reason: format!("the phase-one LP of a feasibility test ended {other}") }),
    }
}
