//! Feasibility tests by sifting over generated columns: a day too large for a whole-matrix
//! HiGHS model (10^7 edges) is diagnosed the way sifting solves it.
//!
//! A test is a **phase-one LP**: every hard row of an instance constraint that is on gets an
//! elastic column (the row's violation, at a cost of 1 per unit), the edges cost nothing, and
//! the LP minimises the total violation. Built-in rows (supplies, budgets, item caps) and edge
//! caps need none: the empty plan meets them. The rules on admit a plan exactly when no row
//! needs more than 1e-7 of its size. The LP always has a plan, so sifting needs no big-M
//! artificials and never hands the whole matrix to HiGHS. Each test starts from the previous
//! one's plan, duals and final restricted basis: a rule switched off or on is a few pivots.
//!
//! The certificate of an infeasible test is the phase one's optimal duals: dropping the rows
//! whose dual is 0, and lifting the caps whose edge's reduced cost is 0, leaves the same optimum
//! (complementary slackness), so the rest is still infeasible. A rule's weight is the largest
//! `|dual|` of its rows or `|a_j . y|` of its capped edges, as HiGHS' dual ray weighs them on
//! the whole matrix ([`super::rules::Live`]).

use agora_instances::Instance;

use super::columns::{off_rhs, Altered, Extra};
use super::rules::{hard_rules, rule_weights, ElasticOptimum, Rule, Tests};
use crate::backends::BackendResult;
use crate::first_order::{run_with, Certify, WarmStart};
use crate::formulate::Formulation;
use crate::ir::{Columns, RowMeta, Sense};
use crate::settings::{BackendChoice, FirstOrderMethod, ValidSettings};
use crate::sifting::WarmBasis;
use crate::status::{SolveError, Status};

/// A day's feasibility tests by sifted phase-one LPs, each warm-started from the last.
pub struct Sifted<'a> {
    f: Formulation<'a>,
    rules: Vec<Rule>,
    off: Vec<bool>,
    /// Each row's right-hand side now (the day's, or one moved by [`Tests::set_rhs`]).
    rhs: Vec<f64>,
    /// Rows moved by [`Tests::set_rhs`], with their day values, last first.
    moved: Vec<(usize, f64)>,
    /// The hard rows of instance constraints, ascending: the `k`-th has elastic column
    /// `n_edges + k` (always there, so that every test has the same columns).
    elastic_rows: Vec<usize>,
    /// Sifting's settings (the first-order backend's sifting, whatever the day's backend).
    settings: ValidSettings,
    /// The last test's plan, duals and basis.
    warm: Option<WarmStart>,
    /// The duals of the last test that found the rules on infeasible.
    certificate: Option<Vec<f64>>,
    /// The positive edges of the last test that found the rules on feasible.
    feasible_plan: Option<Vec<(u32, f64)>>,
}

/// A violation this small against its row's size counts as none (the whole-matrix phase one's
/// threshold, [`super::rules::phase_one`]).
const FEASIBLE_VIOLATION: f64 = 1e-7;

impl<'a> Sifted<'a> {
    /// The tests of `inst`'s hard rules, every rule on.
    pub fn new(inst: &'a Instance, settings: &ValidSettings) -> Sifted<'a> {
        let f = Formulation::new(inst);
        let rules = hard_rules(inst, &f);
        let off = vec![false; rules.len()];
        let rhs = f.rows().iter().map(|m| m.rhs).collect();
        let elastic_rows = elastic_rows(f.rows());
        let settings = chain_settings(settings).with_backend(BackendChoice::FirstOrder, FirstOrderMethod::Sifting);
        Sifted { f, rules, off, rhs, moved: Vec::new(), elastic_rows, settings, warm: None, certificate: None, feasible_plan: None }
    }

    /// The day's rows as an LP of the diagnosis has them ([`lp_rows`]): with `with_off`, the
    /// rows of rules switched off free; the others at their right-hand side now.
    fn rows(&self, with_off: bool) -> Vec<RowMeta> {
        let mut free = vec![false; self.f.n_rows()];
        if with_off {
            for rule in self.rules.iter().zip(&self.off).filter(|(_, &off)| off).map(|(r, _)| r) {
                rule.rows.iter().for_each(|&r| free[r] = true);
            }
        }
        lp_rows(self.f.rows(), |r| (!free[r]).then_some(self.rhs[r]))
    }
}

impl Tests for Sifted<'_> {
    fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn day_rows(&self) -> &[RowMeta] {
        self.f.rows()
    }

    fn edge_upper(&self, e: usize) -> f64 {
        self.f.upper(e)
    }

    fn is_on(&self, k: usize) -> bool {
        !self.off[k]
    }

    fn set(&mut self, k: usize, on: bool) -> Result<(), SolveError> {
        self.off[k] = !on;
        Ok(())
    }

    fn feasible(&mut self) -> Result<bool, SolveError> {
        let mut caps_off: Vec<usize> = self.rules.iter().zip(&self.off).filter(|(_, &off)| off).flat_map(|(r, _)| r.cols.iter().copied()).collect();
        caps_off.sort_unstable();
        let rows = self.rows(true);
        let (feasible, r, basis) = phase_one(&self.f, rows, &self.elastic_rows, &caps_off, &self.settings, self.warm.as_ref())?;
        self.certificate = (!feasible).then(|| r.row_duals.clone());
        if feasible {
            self.feasible_plan = Some(r.x[..self.f.n_edges()].iter().enumerate().filter(|(_, &v)| v > 0.0).map(|(e, &v)| (e as u32, v)).collect());
        }
        self.warm = Some(WarmStart { x: Some(r.x), y: Some(r.row_duals), basis });
        Ok(feasible)
    }

    fn weights(&self) -> Option<Vec<f64>> {
        let y = self.certificate.as_deref()?;
        let duals = self.f.duals(y);
        // An edge's cap binds where its reduced cost `0 - a_j . y` is positive (the edge would
        // take more); where it is not, the edge sits at 0 and its cap plays no part.
        Some(rule_weights(&self.rules, |r| y[r], |j| (-self.f.dual_terms(j, &duals).0).max(0.0)))
    }

    fn set_rhs(&mut self, r: usize, rhs: f64) -> Result<(), SolveError> {
        self.moved.push((r, self.rhs[r]));
        self.rhs[r] = rhs;
        Ok(())
    }

    fn reset_rhs(&mut self) -> Result<(), SolveError> {
        while let Some((r, rhs)) = self.moved.pop() {
            self.rhs[r] = rhs;
        }
        Ok(())
    }

    fn elastic(&self, extra: Vec<Extra>) -> Result<Option<ElasticOptimum>, SolveError> {
        let lp = Altered::new(&self.f, self.rows(false), &[], extra);
        let r = run_with(&lp, &self.settings, None, Certify::ByCaller)?.result;
        let n = self.f.n_edges();
        match r.status {
            Status::Optimal => Ok(Some(ElasticOptimum { plan: r.x[..n].to_vec(), extra: r.x[n..].to_vec() })),
            Status::Infeasible => Ok(None),
            other => Err(SolveError::Backend { backend: crate::first_order::NAME, reason: format!("the elastic LP ended {other}") }),
        }
    }

    fn feasible_day(&self, inst: &Instance) -> Result<bool, SolveError> {
        Sifted::new(inst, &self.settings).feasible()
    }

    fn backend(&self) -> &'static str {
        crate::first_order::NAME
    }

    fn feasible_plan(&self) -> Option<Vec<(u32, f64)>> {
        self.feasible_plan.clone()
    }
}

/// `settings` for a diagnosis' chain of sifted solves, each from the last: pricing may use every
/// core (as a sifted frontier's chain does).
pub(crate) fn chain_settings(settings: &ValidSettings) -> ValidSettings {
    settings.with_threads(settings.threads.max(crate::available_parallelism()))
}

/// `day`'s rows as an LP of the diagnosis has them: soft rows free (their slack makes them hold
/// whatever the plan), row `r` at right-hand side `rhs(r)` or free where that is `None`; no slack
/// columns of the day's own.
fn lp_rows(day: &[RowMeta], rhs: impl Fn(usize) -> Option<f64>) -> Vec<RowMeta> {
    (day.iter().enumerate())
        .map(|(r, meta)| {
            let mut m = meta.without_vectors();
            m.rhs = rhs(r).filter(|_| meta.slack.is_none()).unwrap_or_else(|| off_rhs(meta.sense));
            m.slack = None;
            m.penalty = None;
            m
        })
        .collect()
}

/// The rows a phase one of `rows` makes elastic: every hard row of an instance constraint, and
/// any other hard row the empty plan violates (built-in rows never are: their bounds are
/// non-negative).
fn elastic_rows(rows: &[RowMeta]) -> Vec<usize> {
    let violated_at_zero = |m: &RowMeta| match m.sense {
        Sense::Ge => m.rhs > 0.0,
        Sense::Le => m.rhs < 0.0,
    };
    rows.iter().enumerate().filter(|(_, m)| m.slack.is_none() && (m.constraint.is_some() || violated_at_zero(m))).map(|(r, _)| r).collect()
}

/// A phase-one LP over `model`'s edges under `rows` (the model's rows as the test has them: no
/// slacks of their own, rows switched off at infinity), with an elastic column on each of
/// `elastic` at a cost of 1 per unit and the caps of `caps_off` lifted, sifted from `warm`.
/// Returns whether no row needs more than 1e-7 of its size, the LP's answer and its final
/// basis.
fn phase_one<C: Columns + ?Sized>(
    model: &C,
    mut rows: Vec<RowMeta>,
    elastic: &[usize],
    caps_off: &[usize],
    settings: &ValidSettings,
    warm: Option<&WarmStart>,
) -> Result<(bool, BackendResult, Option<WarmBasis>), SolveError> {
    let n = model.n_edges();
    let extra: Vec<Extra> = (elastic.iter().enumerate())
        .map(|(k, &r)| {
            // The row's slack in the convention of a soft row's: it relaxes the row.
            rows[r].slack = Some(n + k);
            rows[r].penalty = Some(1.0);
            let a = if rows[r].sense == Sense::Le { -1.0 } else { 1.0 };
            Extra { entries: vec![(r as u32, a)], cost: -1.0, upper: f64::INFINITY }
        })
        .collect();
    let sizes: Vec<f64> = elastic.iter().map(|&r| rows[r].rhs).map(|b| if b.is_finite() { b.abs().max(1.0) } else { 1.0 }).collect();
    // The phase one maximises minus the violation: 0 is the best any plan does.
    let lp = Altered::new(model, rows, caps_off, extra).bounded_by(0.0);
    let out = run_with(&lp, settings, warm, Certify::ByCaller)?;
    let r = out.result;
    if r.status != Status::Optimal {
        return Err(SolveError::Backend { backend: crate::first_order::NAME, reason: format!("a phase-one LP ended {}", r.status) });
    }
    let feasible = sizes.iter().enumerate().all(|(k, &size)| r.x[n + k] <= FEASIBLE_VIOLATION * size);
    Ok((feasible, r, out.basis))
}

/// Whether a day's rows and bounds admit a plan, by a phase one sifted over its generated
/// columns (its soft rows free): what a sifted solve that could not serve a floor asks before
/// handing the whole matrix to HiGHS ([`crate::sifting`], through
/// [`Columns::admits_plan`]). A [`Formulation`] only: over any columns, the phase one's own
/// sifting would instantiate this for its columns, and those for theirs, without end.
pub(crate) fn admits_plan(day: &Formulation, settings: &ValidSettings) -> Result<bool, SolveError> {
    let rows = lp_rows(day.rows(), |r| Some(day.rows()[r].rhs));
    let elastic = elastic_rows(day.rows());
    Ok(phase_one(day, rows, &elastic, &[], settings, None)?.0)
}
