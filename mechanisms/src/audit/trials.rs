//! Running the trials: each property's creators drawn at the margin, each deviation re-solved
//! from the day's basis, judged, and explained.

use std::collections::HashMap;

use agora_instances::{metrics, Instance, Owner};
use agora_solver::{Columns, FaceEnd, Formulation, Resolver, Solution, Status};

use super::deviations::{self, clone_id, copy_id, Applied, Deviation};
use super::explain::{explain, intent, Intent};
use super::margin::{Class, Margins};
use super::{AuditConfig, AuditError, Check, Outcome, Trial, Verdict};
use crate::format::num;

/// A near-duplicate's engagement, relative to the original's.
pub const DUPLICATE_FACTOR: f64 = 0.99;

/// Rules listed per explained trial.
const EXPLAINED: usize = 3;

/// Everything the trials share: the day, its live solve, its margins.
pub(super) struct Run<'a> {
    pub inst: &'a Instance,
    pub cfg: &'a AuditConfig,
    pub resolver: Resolver,
    pub base: Solution,
    pub margins: Margins,
    pub budgets: Worst,
    /// The most exposure each creator can have on the day's optimal face, found once.
    most_before: HashMap<usize, f64>,
    /// The day's duals by row name.
    duals: HashMap<String, f64>,
    pub trials: Vec<Trial>,
    supply: f64,
    /// A copy of the day that each deviation changes and changes back ([`Run::apply`]).
    scratch: Option<Instance>,
    /// Each creator's edges in the day.
    edges_of: Vec<Vec<usize>>,
}

impl<'a> Run<'a> {
    pub fn new(inst: &'a Instance, cfg: &'a AuditConfig) -> Result<Run<'a>, AuditError> {
        let (resolver, base) = Resolver::new(inst, &cfg.settings)?;
        if base.status != Status::Optimal {
            return Err(AuditError::NotOptimal { what: "the day".into(), status: base.status });
        }
        let margins = Margins::of(inst, resolver.model(), &base);
        let supply = inst.segments.iter().map(|s| s.supply).sum();
        let duals = base.rows.iter().map(|r| (r.name.clone(), r.dual)).collect();
        let mut run = Run {
            duals,
            inst,
            cfg,
            resolver,
            base,
            margins,
            budgets: Worst::new(),
            most_before: HashMap::new(),
            trials: Vec::new(),
            supply,
            scratch: None,
            edges_of: {
                let mut of = vec![Vec::new(); inst.creators.len()];
                for (e, edge) in inst.edges.iter().enumerate() {
                    if let Owner::Creator(c) = inst.items[edge.item].owner {
                        of[c].push(e);
                    }
                }
                of
            },
        };
        let base = run.base.clone();
        run.observe_budgets(inst, &base, "the day's plan");
        Ok(run)
    }

    /// `work` on `dev` applied to the copy of the day the trials share, which is changed back
    /// after, whatever `work` returns.
    fn with_applied<R>(&mut self, dev: &Deviation, work: impl FnOnce(&mut Self, &Applied) -> R) -> R {
        let mut day = self.scratch.take().unwrap_or_else(|| self.inst.clone());
        let (accounts, counterpart) = dev.apply_to(self.inst, &mut day).expect("made for this day");
        let edges = self.edges_of[accounts[0]].iter().copied().chain(self.inst.edges.len()..day.edges.len()).collect();
        let applied = Applied::with_edges(day, accounts, counterpart, edges);
        let out = work(self, &applied);
        let mut day = applied.into_day();
        dev.undo(self.inst, &mut day);
        debug_assert!(day == *self.inst, "{} changed back is the day", dev.describe());
        self.scratch = Some(day);
        out
    }

    /// Edge `e`'s reduced cost in formulation `f` (of a changed day) at the day's duals, matched
    /// by row name (a row the day lacks at 0).
    fn reduced_at_day_duals(&self, f: &Formulation, e: usize) -> f64 {
        let mut d = f.cost(e);
        f.for_each_entry(e, |r, a| d -= a * self.duals.get(f.rows()[r].name.as_str()).copied().unwrap_or(0.0));
        d
    }

    /// The largest relative overspend `(spend - budget) / max(budget, 1)` in `sol`.
    fn observe_budgets(&mut self, day: &Instance, sol: &Solution, what: &str) {
        let spend = sol.campaign_spend(day);
        let over = |a: usize| (spend[a] - day.campaigns[a].budget) / day.campaigns[a].budget.max(1.0);
        let Some(a) = (0..spend.len()).max_by(|&a, &b| over(a).total_cmp(&over(b))) else { return };
        // The backends' primal feasibility tolerance is 1e-7 per row; allow ten times that.
        self.budgets.offer(over(a), 1e-6, || {
            format!("{what}: campaign {} spends {} of a budget of {}", day.campaigns[a].id, num(spend[a]), num(day.campaigns[a].budget))
        });
    }

    /// Whether `after`, a plan of a deviated day (the day's edges first, then any appended),
    /// differs from the day's plan by more than rounding: impressions moved beyond 1e-7 of the
    /// day's supply.
    fn plan_moved(&self, after: &[f64]) -> bool {
        let x = &self.base.impressions;
        let moved: f64 = after.iter().enumerate().map(|(e, &v)| (v - x.get(e).copied().unwrap_or(0.0)).abs()).sum();
        moved > 1e-7 * self.supply.max(1.0)
    }

    /// Creators with at least one organic edge.
    fn on_edges(&self) -> Vec<usize> {
        let mut seen = vec![false; self.inst.creators.len()];
        for edge in &self.inst.edges {
            if let Owner::Creator(c) = self.inst.items[edge.item].owner {
                seen[c] = true;
            }
        }
        (0..seen.len()).filter(|&c| seen[c]).collect()
    }

    /// `creator_monotonicity`: each of `creators` (drawn by the caller) raises the engagement of
    /// every one of its edges by the amount that carries it across its margin
    /// ([`Margins::raises`]), more if the plan does not move. The objective weighs engagement.
    pub fn monotonicity(&mut self, creators: Vec<usize>) -> Result<Check, AuditError> {
        let property = "creator_monotonicity";
        let w = self.inst.objective.engagement;
        let mut worst = Worst::new();
        let mut smallest: Option<f64> = None;
        for c in creators {
            let before = self.margins.exposure[c];
            let raises = self.margins.raises(c, w);
            for (k, &delta) in raises.iter().enumerate() {
                let dev = Deviation::RaiseEngagement { creator: self.inst.creators[c].id.clone(), delta };
                let what = dev.describe();
                let (edges, solved) = self.with_applied(&dev, |run, applied| {
                    let edges = applied.edges();
                    let solved = run.resolver.solve(&applied.day, &edges).map(|v| (v.solution().clone(), v.hot()));
                    (edges, solved)
                });
                let (sol, hot) = solved?;
                if sol.status != Status::Optimal {
                    // Engagement is in the objective only: the raised day has the day's plans.
                    return Err(AuditError::NotOptimal { what, status: sol.status });
                }
                // (A raise changes engagement only: the day's prices and budgets are the raised day's.)
                let inst = self.inst;
                self.observe_budgets(inst, &sol, &what);
                let after: f64 = edges.iter().map(|&e| sol.impressions[e]).sum();
                // A raise moves the plan where it moves the creator: the rest follows.
                let moved = self.plan_moved(&sol.impressions) && (after - before).abs() > 1e-6 * before.max(1.0);
                if !moved && k + 1 < raises.len() {
                    continue;
                }
                // Both plans are optimal only to the objective accuracy eps of the backends, so
                // revealed preference guarantees w * delta * (after - before) >= -2 eps, not >= 0.
                let eps = 1e-7 * self.base.objective.abs().max(sol.objective.abs()).max(1.0);
                let tol = 2.0 * eps / (w * delta) + 1e-9 * self.supply;
                let violation = before - after;
                worst.offer(violation, tol, || format!("{what}: exposure {} -> {}", num(before), num(after)));
                if moved {
                    smallest = Some(smallest.map_or(delta, |s: f64| s.min(delta)));
                }
                let outcome = if violation > tol { Outcome::Violation } else { Outcome::Holds };
                self.trials.push(Trial::new(
                    property,
                    self.inst,
                    c,
                    self.margins.class[c],
                    dev,
                    before,
                    Some(after),
                    after - before,
                    moved,
                    outcome,
                    Vec::new(),
                    hot,
                ));
                break;
            }
        }
        let mut check = worst.check(property, "impressions");
        check.non_trivial = self.count_non_trivial(property);
        check.smallest_perturbation = smallest;
        Ok(check)
    }

    fn count_non_trivial(&self, property: &str) -> usize {
        self.trials.iter().filter(|t| t.property == property && t.non_trivial).count()
    }

    /// One deviation property: `make(c)` is creator `c`'s deviation (`None`: it has none), tried
    /// for up to `trials` creators in `order` (drawn by the caller class by class, `first` ahead
    /// of their class, the day's `far` creators last). Creators whose deviation carries them
    /// across their margin at the day's duals ([`Run::promising`]) are tried first; at most
    /// `4 * trials` deviations are looked at.
    pub fn deviations(
        &mut self,
        property: &'static str,
        order: Vec<usize>,
        first: &[usize],
        make: &dyn Fn(&mut Run, usize) -> Option<Deviation>,
    ) -> Result<Check, AuditError> {
        let mut worst = Worst::new();
        let (mut intended, mut losses, mut tried, mut looked_at) = (0, 0, 0, 0);
        let mut record = |run: &mut Run, trial: Trial| {
            let what = trial.deviation.describe();
            match trial.outcome {
                Outcome::Infeasible => worst.infeasible += 1,
                Outcome::LoopholeGain => {
                    let gain = trial.change;
                    let why = trial.explained_by.first().map(|r| format!(" (paid by {})", r.rule)).unwrap_or_default();
                    worst.offer(gain, 0.0, || format!("{what}: gains {} impressions{why}", num(gain)));
                }
                outcome => {
                    intended += usize::from(outcome == Outcome::IntendedGain);
                    losses += usize::from(outcome == Outcome::Loss);
                    worst.offer(0.0, 0.0, || format!("{what}: no loophole gain"));
                }
            }
            run.trials.push(trial);
        };
        // Deviations that carry their creator across the margin first, each tried as soon as it
        // is found (with the formulation that judged it), then (when too few do: a rule may move
        // the plan through other creators' columns, as a copy's merit does in a parity rule) the
        // others, each in drawing order.
        let mut others = Vec::new();
        for c in order {
            if tried == self.cfg.trials || looked_at == 4 * self.cfg.trials.max(1) + first.len() {
                break;
            }
            let Some(dev) = make(self, c) else { continue };
            looked_at += 1;
            let trial = self.with_applied(&dev, |run, applied| {
                let f = Formulation::new(&applied.day);
                run.promising(applied, &f).then(|| run.deviation_trial(property, c, dev.clone(), applied, &f))
            });
            match trial {
                Some(trial) => {
                    tried += 1;
                    record(self, trial?);
                }
                None => others.push((c, dev)),
            }
        }
        for (c, dev) in others {
            if tried == self.cfg.trials {
                break;
            }
            tried += 1;
            let trial = self.with_applied(&dev, |run, applied| run.deviation_trial(property, c, dev.clone(), applied, &Formulation::new(&applied.day)));
            record(self, trial?);
        }
        let mut check = worst.check(property, "impressions");
        if check.verdict == Verdict::Holds && intended > 0 {
            check.verdict = Verdict::Intended;
        }
        check.non_trivial = self.count_non_trivial(property);
        check.intended_gains = intended;
        check.losses = losses;
        check.loophole_gains = self.trials.iter().filter(|t| t.property == property && t.outcome == Outcome::LoopholeGain).count();
        Ok(check)
    }

    /// Whether a deviation `applied` carries the creator across its margin, judged at the day's
    /// duals (rows the deviation adds at 0): it changes the reduced cost of an edge the plan
    /// serves, or gives an edge the plan does not serve a positive one (it would enter).
    fn promising(&self, applied: &Applied, f: &Formulation) -> bool {
        applied.edges().into_iter().any(|e| {
            let d = self.reduced_at_day_duals(f, e);
            if e < self.inst.edges.len() && self.base.impressions[e] > 0.0 {
                (d - self.margins.reduced[e]).abs() > 1e-6 * self.margins.band
            } else {
                d > 1e-6 * self.margins.band
            }
        })
    }

    /// Re-solves one deviation and judges it: a gain at the plans is confirmed on the optimal
    /// faces (the least the deviating accounts get after, against the most the creator could get
    /// before), then explained and classified.
    /// `f` is the deviated day's formulation.
    fn deviation_trial(&mut self, property: &'static str, c: usize, dev: Deviation, applied: &Applied, f: &Formulation) -> Result<Trial, AuditError> {
        let edges = applied.edges();
        let what = dev.describe();
        let before = self.margins.exposure[c];
        // A creator far from the day's margin that its deviation brings to it is there by a rule.
        let class = match self.margins.class[c] {
            Class::Far => Class::MarginRow,
            k => k,
        };
        let tol = 1e-6 * before.max(1.0) + 1e-9 * self.supply;
        let w: Vec<(usize, f64)> = edges.iter().map(|&e| (e, 1.0)).collect();
        let (sol, hot, least_after) = {
            let mut v = self.resolver.solve_formulated(&applied.day, f, &edges)?;
            let sol = v.solution().clone();
            let after = edges.iter().map(|&e| sol.impressions.get(e).copied().unwrap_or(0.0)).sum::<f64>();
            let least = if sol.status == Status::Optimal && after - before > tol { v.face_extreme_formulated(f, &w, FaceEnd::Least)? } else { None };
            (sol, v.hot(), least)
        };
        match sol.status {
            Status::Optimal => {}
            Status::Infeasible => {
                return Ok(Trial::new(property, self.inst, c, class, dev, before, None, 0.0, false, Outcome::Infeasible, Vec::new(), hot));
            }
            status => return Err(AuditError::NotOptimal { what, status }),
        }
        self.observe_budgets(&applied.day, &sol, &what);
        let after: f64 = edges.iter().map(|&e| sol.impressions[e]).sum();
        let moved = self.plan_moved(&sol.impressions);
        if after - before > tol {
            let least_after = least_after.map_or(after, |v| v.min(after));
            let most_before = self.most_before(c)?;
            let gain = least_after - most_before;
            if gain > tol {
                let why = explain(self.resolver.model(), &self.base, applied, f, &sol, 1.0, EXPLAINED);
                let outcome = match intent(self.inst, &dev, &why) {
                    Intent::Intended => Outcome::IntendedGain,
                    Intent::Loophole => Outcome::LoopholeGain,
                };
                return Ok(Trial::new(property, self.inst, c, class, dev, before, Some(after), gain, moved, outcome, why, hot));
            }
            return Ok(Trial::new(property, self.inst, c, class, dev, before, Some(after), gain.max(0.0), moved, Outcome::Holds, Vec::new(), hot));
        }
        if after - before < -tol {
            let why = explain(self.resolver.model(), &self.base, applied, f, &sol, -1.0, EXPLAINED);
            return Ok(Trial::new(property, self.inst, c, class, dev, before, Some(after), after - before, moved, Outcome::Loss, why, hot));
        }
        Ok(Trial::new(property, self.inst, c, class, dev, before, Some(after), after - before, moved, Outcome::Holds, Vec::new(), hot))
    }

    fn most_before(&mut self, c: usize) -> Result<f64, AuditError> {
        if let Some(&v) = self.most_before.get(&c) {
            return Ok(v);
        }
        let w: Vec<(usize, f64)> = self.edges_of[c].iter().map(|&e| (e, 1.0)).collect();
        let at_plan = self.margins.exposure[c];
        let v = self.resolver.face_extreme(&w, FaceEnd::Most)?.map_or(at_plan, |v| v.max(at_plan));
        self.most_before.insert(c, v);
        Ok(v)
    }

    /// Creator `c`'s item a deviation should move: its most exposed one, else the one with the
    /// edge nearest to entering (the highest reduced cost).
    pub fn key_item(&self, c: usize) -> Option<usize> {
        let mut served: HashMap<usize, f64> = HashMap::new();
        let mut nearest: Option<(f64, usize)> = None;
        for (e, edge) in self.edges_of[c].iter().map(|&e| (e, &self.inst.edges[e])) {
            if self.base.impressions[e] > 0.0 {
                *served.entry(edge.item).or_insert(0.0) += self.base.impressions[e];
            }
            if nearest.is_none_or(|(d, i)| self.margins.reduced[e] > d || (self.margins.reduced[e] == d && edge.item < i)) {
                nearest = Some((self.margins.reduced[e], edge.item));
            }
        }
        let most = served.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        most.map(|(i, _)| i).or(nearest.map(|(_, i)| i))
    }

    /// The least crowded topic for item `i` other than its own: the fewest planned impressions
    /// over the segments `i` reaches (ties by name).
    pub fn quiet_topic(&self, i: usize) -> Option<String> {
        let segments: Vec<bool> = {
            let mut s = vec![false; self.inst.segments.len()];
            self.inst.edges.iter().filter(|e| e.item == i).for_each(|e| s[e.segment] = true);
            s
        };
        let mut load: HashMap<&str, f64> = self.inst.items.iter().filter(|it| it.creator().is_some()).map(|it| (it.topic.as_str(), 0.0)).collect();
        for (e, edge) in self.inst.edges.iter().enumerate() {
            if segments[edge.segment] {
                if let Some(l) = load.get_mut(self.inst.items[edge.item].topic.as_str()) {
                    *l += self.base.impressions[e];
                }
            }
        }
        let own = self.inst.items[i].topic.as_str();
        load.into_iter().filter(|(t, _)| *t != own).min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0))).map(|(t, _)| t.to_string())
    }

    /// The group creator `c` is best off in, other than its own, at the day's duals: the one
    /// where its best edge's reduced cost is highest (`None` when the day has no other group).
    pub fn favoured_group(&mut self, c: usize) -> Option<String> {
        let own = &self.inst.creators[c].group;
        let mut best: Option<(f64, String)> = None;
        for g in deviations::groups(self.inst).into_iter().filter(|g| g != own) {
            let dev = Deviation::MoveGroup { creator: self.inst.creators[c].id.clone(), group: g.clone() };
            let value = self.with_applied(&dev, |run, applied| {
                let f = Formulation::new(&applied.day);
                run.edges_of[c].iter().map(|&e| run.reduced_at_day_duals(&f, e)).fold(f64::NEG_INFINITY, f64::max)
            });
            if best.as_ref().is_none_or(|(v, _)| value > *v) {
                best = Some((value, g));
            }
        }
        best.map(|(_, g)| g)
    }

    /// The deviations of the four properties beyond monotonicity, for creator `c`.
    pub fn split(&self, c: usize, group: &str) -> Option<Deviation> {
        (deviations::items_of(self.inst, c).len() >= 2).then(|| Deviation::Split {
            creator: self.inst.creators[c].id.clone(),
            clone: clone_id(self.inst, c),
            group: group.to_string(),
        })
    }

    pub fn relabel(&self, c: usize) -> Option<Deviation> {
        let i = self.key_item(c)?;
        let topic = self.quiet_topic(i)?;
        Some(Deviation::RelabelTopic { creator: self.inst.creators[c].id.clone(), item: self.inst.items[i].id.clone(), topic })
    }

    pub fn duplicate(&self, c: usize) -> Option<Deviation> {
        let i = self.key_item(c)?;
        Some(Deviation::Duplicate {
            creator: self.inst.creators[c].id.clone(),
            item: self.inst.items[i].id.clone(),
            copy: copy_id(self.inst, i),
            factor: DUPLICATE_FACTOR,
        })
    }

    pub fn move_group(&mut self, c: usize) -> Option<Deviation> {
        let group = self.favoured_group(c)?;
        Some(Deviation::MoveGroup { creator: self.inst.creators[c].id.clone(), group })
    }

    /// Creators a split into a `new` account applies to: not `new` already.
    pub fn not_new(&self) -> Vec<usize> {
        self.on_edges().into_iter().filter(|&c| self.inst.creators[c].group != metrics::NEW_CREATOR_GROUP).collect()
    }

    pub fn pool(&self) -> Vec<usize> {
        self.on_edges()
    }
}

/// The trial closest to failing a property: the largest `violation - tolerance` seen.
pub(super) struct Worst {
    pub trials: usize,
    pub infeasible: usize,
    excess: f64,
    violation: f64,
    tolerance: f64,
    witness: Option<String>,
}

impl Worst {
    pub fn new() -> Worst {
        Worst { trials: 0, infeasible: 0, excess: f64::NEG_INFINITY, violation: 0.0, tolerance: 0.0, witness: None }
    }

    /// `self`, then `later`'s trials, as if they had been offered after `self`'s.
    pub fn then(mut self, later: Worst) -> Worst {
        self.trials += later.trials;
        self.infeasible += later.infeasible;
        if later.excess > self.excess {
            (self.excess, self.violation, self.tolerance, self.witness) = (later.excess, later.violation, later.tolerance, later.witness);
        }
        self
    }

    /// Records one trial: its violation (negative when the property holds with room to spare),
    /// the tolerance it is judged against, and what was tried.
    pub fn offer(&mut self, violation: f64, tolerance: f64, witness: impl FnOnce() -> String) {
        self.trials += 1;
        if violation - tolerance > self.excess {
            self.excess = violation - tolerance;
            self.violation = violation.max(0.0);
            self.tolerance = tolerance;
            self.witness = Some(witness());
        }
    }

    pub fn check(self, property: &str, unit: &str) -> Check {
        let verdict = if self.trials == 0 {
            Verdict::NotApplicable
        } else if self.excess > 0.0 {
            Verdict::Fails
        } else {
            Verdict::Holds
        };
        Check {
            property: property.to_string(),
            verdict,
            trials: self.trials,
            non_trivial: 0,
            infeasible: self.infeasible,
            smallest_perturbation: None,
            intended_gains: 0,
            loophole_gains: 0,
            losses: 0,
            worst_violation: self.violation,
            tolerance: self.tolerance,
            unit: unit.to_string(),
            witness: self.witness,
            note: None,
        }
    }
}
