//! The `online_dual` baseline: dual mirror descent, with an argmax that does not read a
//! segment's every edge at every opportunity.

use agora_solver::{Columns as _, Formulation, RowKind, Sense};

use super::Policy;
use crate::simulate::World;

/// Dual mirror descent (Balseiro, Lu and Mirrokni 2020) with the Euclidean mirror map: every
/// row but the supplies (which serving meets by construction) gets a dual `mu_r >= 0`, starting at
/// 0. An opportunity goes to the eligible edge maximising `c_e - q_e x_e - sum_r mu_r sigma_r a_re`
/// (`sigma_r` = 1 on `<=` rows, -1 on `>=` rows; `q_e x_e` is the marginal regularisation at the
/// impressions `x_e` served so far, `q_e = rho / supply_s`, 0 on LP days), or to nobody if every
/// such score is negative (ties: the first in instance order).
/// After each opportunity, with `g_r` the row's use by the served impressions and `b_r / N` its
/// per-opportunity allowance,
///
/// `mu_r <- clamp(mu_r + eta * (vbar / s_r^2) * sigma_r * (g_r - b_r / N), 0, penalty_r)`,
///
/// where `eta = 1 / sqrt(N)`, `s_r` is the most one opportunity can use of row `r` and `vbar` the
/// most one opportunity can be worth: the update is the textbook step on the row normalised to
/// use at most 1 per opportunity and the objective normalised to at most 1, so no step size is
/// tuned per instance. Soft rows' duals stop at their penalty; rows with no edge are left out.
///
/// The argmax is exact but lazy ([`Scores`]): each segment keeps its edges' scores as they were
/// when it last computed them all, highest first, and the most any score can have risen since
/// (from how far the duals of the segment's rows have moved); it computes scores down that list
/// only as far as one could still beat the best found. The rows of an edge are generated from
/// the model when it is scored, never stored (at 10^7 edges they would be a gigabyte).
pub(crate) struct OnlineDual<'a> {
    model: &'a Formulation<'a>,
    value: Vec<f64>,
    quad: Vec<f64>,
    /// The dual index of each model row (`usize::MAX` for supplies), and `sigma_r`.
    dual_of: Vec<usize>,
    sigma: Vec<f64>,
    scores: Scores,
    /// Per dual: step factor `eta * vbar / s_r^2`, allowance `sigma_r * b_r / N`, upper bound.
    step: Vec<f64>,
    allowance: Vec<f64>,
    cap: Vec<f64>,
    mu: Vec<f64>,
    /// The duals whose allowance is not 0 that can move at the next opportunity: those whose
    /// allowance pushes them up, and those above 0 (a dual at 0 pushed down stays at 0).
    moving: Vec<usize>,
    is_moving: Vec<bool>,
    k: f64,
    /// The model row of each dual, and the duals by model row (`sigma_r mu_r`; supplies 0),
    /// filled when a list is remade.
    row_of: Vec<usize>,
    y: Vec<f64>,
    /// A remade list's scores, before they are sorted into place.
    fresh: Vec<(f64, u32)>,
}

/// A segment's list is remade once the scores computed reading it reach this fraction of its
/// length (1/2): a remake reads its columns a batch at a time from the model's sums, cheaper
/// per edge than the walk's scores (on the 10^7-edge day at 10^6 arrivals, 17.6 s against
/// 19.6 s at 1/1, 18.2 s at 1/3 and 19.2 s at 1/4).
const REMAKE_AT: usize = 2;

/// Each segment's edges by their score as last computed, and how far each of the segment's
/// duals has moved since: the lazy argmax of [`OnlineDual`].
///
/// Between two computations, an edge's score rises by at most the sum over its rows `r` of
/// `(mu_r - mu_r^0)^+ max_e(-c_re)^+ + (mu_r^0 - mu_r)^+ max_e(c_re)^+` (`c_re = sigma_r a_re`,
/// maxima over the segment's edges, `mu^0` the duals when the scores were computed), since
/// `q_e x_e` only grows. Over the segment's edges that is at most the sum over its rows, except
/// that an edge enters one budget row (its campaign's) and one item cap row (its item's), so of
/// those only the largest term counts. Down the list, once a cached score plus that rise cannot
/// reach the best score found, no edge below can.
struct Scores {
    /// Segment `s`'s list is `cached[start[s]..start[s] + len[s]]`, (score, edge), highest
    /// score first, ties by edge; an edge the walk finds ineligible is dropped from the list
    /// (`start[s]` moves past it).
    start: Vec<usize>,
    len: Vec<usize>,
    cached: Vec<(f64, u32)>,
    /// Segment `s`'s rows: `rows[row_start[s]..row_start[s + 1]]`, each (dual, the largest
    /// `-c_re`, the largest `c_re`, each at least 0, whether it is a budget or item cap row),
    /// with the dual when the list was made.
    row_start: Vec<usize>,
    rows: Vec<(usize, f64, f64, Exclusive)>,
    made_at: Vec<f64>,
    /// Scores computed since the list was made; past `1 / REMAKE_AT` of the list's length, it
    /// is remade.
    spent: Vec<usize>,
    /// The largest size of a score's terms (`|c_e| + q_e x_e + sum_r |mu_r a_re|`) when the
    /// list was made: the scale of their rounding.
    size: Vec<f64>,
    /// Whether the list must be remade before it is read (at the start, every segment).
    stale: Vec<bool>,
}

/// Rows of which an edge enters at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exclusive {
    /// Not such a row.
    No,
    /// A campaign's budget: an edge enters its item's campaign's.
    Budget,
    /// An item's cap: an edge enters its item's.
    ItemCap,
}

impl Exclusive {
    fn of(kind: RowKind) -> Exclusive {
        match kind {
            RowKind::Budget => Exclusive::Budget,
            RowKind::ItemCap => Exclusive::ItemCap,
            _ => Exclusive::No,
        }
    }
}

impl<'a> OnlineDual<'a> {
    /// The policy over `model`'s day, whose edges' values (`agora_solver::edge_value`) are `value`.
    pub fn new(model: &'a Formulation<'a>, value: Vec<f64>, world: &World, arrivals: usize, k: f64) -> Self {
        let n = arrivals as f64;
        let meta = model.rows();
        let rows: Vec<usize> = (0..meta.len()).filter(|&r| meta[r].kind != RowKind::Supply).collect();
        let mut dual_of = vec![usize::MAX; meta.len()];
        for (d, &r) in rows.iter().enumerate() {
            dual_of[r] = d;
        }
        let sigma: Vec<f64> = rows.iter().map(|&r| if meta[r].sense == Sense::Le { 1.0 } else { -1.0 }).collect();
        let mut s_max = vec![0.0f64; rows.len()];
        // Per segment, each row its edges enter with the largest -c_re and c_re; `at[d]` is the
        // dual's place in the segment's list while the segment is read.
        let (mut row_start, mut seg_rows) = (vec![0], Vec::new());
        let mut at = vec![usize::MAX; rows.len()];
        let segments = world.segment_start.len() - 1;
        for s in 0..segments {
            let from = seg_rows.len();
            for &e in world.edges_of(s) {
                model.for_each_entry(e, |r, a| {
                    let d = dual_of[r];
                    if d != usize::MAX {
                        s_max[d] = s_max[d].max(a.abs() * k);
                        let c = sigma[d] * a;
                        if at[d] == usize::MAX {
                            at[d] = seg_rows.len();
                            seg_rows.push((d, 0.0, 0.0, Exclusive::of(meta[r].kind)));
                        }
                        let (_, down, up, _) = &mut seg_rows[at[d]];
                        *down = f64::max(*down, -c);
                        *up = f64::max(*up, c);
                    }
                });
            }
            seg_rows[from..].iter().for_each(|&(d, ..)| at[d] = usize::MAX);
            row_start.push(seg_rows.len());
        }
        let vbar = value.iter().fold(0.0f64, |m, v| m.max(v.abs())) * k;
        let eta = 1.0 / n.sqrt();
        let step: Vec<f64> = s_max.iter().map(|&s| if s > 0.0 { eta * vbar / (s * s) } else { 0.0 }).collect();
        let allowance: Vec<f64> = rows.iter().zip(&sigma).map(|(&r, sg)| sg * meta[r].rhs / n).collect();
        let cap: Vec<f64> = rows.iter().map(|&r| meta[r].penalty.unwrap_or(f64::INFINITY)).collect();
        let dense = |d: usize| allowance[d] != 0.0 && step[d] > 0.0;
        let moving: Vec<usize> = (0..rows.len()).filter(|&d| dense(d) && allowance[d] < 0.0).collect();
        let mut is_moving = vec![false; rows.len()];
        moving.iter().for_each(|&d| is_moving[d] = true);
        let quad = (0..model.n_edges()).map(|j| model.quad(j)).collect();
        let scores = Scores {
            start: world.segment_start[..segments].to_vec(),
            len: (0..segments).map(|s| world.edges_of(s).len()).collect(),
            cached: world.segment_edges.iter().map(|&e| (0.0, u32::try_from(e).expect("at most 2^32 edges"))).collect(),
            made_at: vec![0.0; seg_rows.len()],
            row_start,
            rows: seg_rows,
            spent: vec![0; segments],
            stale: vec![true; segments],
            size: vec![0.0; segments],
        };
        let (y, fresh) = (vec![0.0; meta.len()], Vec::with_capacity(world.segment_start.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)));
        OnlineDual { model, value, quad, dual_of, sigma, scores, step, allowance, cap, mu: vec![0.0; rows.len()], moving, is_moving, k, row_of: rows, y, fresh }
    }

    /// Calls `f(dual, sigma_r a_re)` for every row of edge `e` but its supply, in the column's
    /// row order.
    #[inline]
    fn for_each_dual(&self, e: usize, mut f: impl FnMut(usize, f64)) {
        self.model.for_each_entry(e, |r, a| {
            let d = self.dual_of[r];
            if d != usize::MAX {
                f(d, self.sigma[d] * a);
            }
        });
    }

    pub(super) fn score(&self, e: usize, x: f64) -> f64 {
        let mut used = 0.0;
        self.for_each_dual(e, |d, a| used += self.mu[d] * a);
        self.value[e] - self.quad[e] * x - used
    }

    /// Remakes segment `s`'s list: every edge it holds scored now, highest first. Eligibility
    /// is not asked here (it only turns false, and the walk drops an edge it finds ineligible);
    /// the scores are the columns' dual terms from the model's sums ([`Columns::dual_terms`]),
    /// a batch of columns read ahead at a time, as in pricing: equal to [`Self::score`]'s to
    /// rounding, which the walk's margin covers.
    fn remake(&mut self, s: usize, world: &World) {
        let y = &mut self.y;
        for (d, &r) in self.row_of.iter().enumerate() {
            y[r] = self.sigma[d] * self.mu[d];
        }
        let duals = self.model.duals(y);
        let at = self.scores.start[s];
        let list = &mut self.scores.cached[at..at + self.scores.len[s]];
        let fresh = &mut self.fresh;
        fresh.clear();
        let (value, quad) = (&self.value, &self.quad);
        let mut size = 0.0f64;
        self.model.visit(list.iter().map(|&(_, e)| e as usize), |e| {
            let (aty, mag) = self.model.dual_terms(e, &duals);
            let q = quad[e] * world.x[e];
            size = size.max(value[e].abs() + q + mag);
            fresh.push((value[e] - q - aty, e as u32));
        });
        self.scores.size[s] = size;
        list.copy_from_slice(fresh);
        list.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for k in self.scores.row_start[s]..self.scores.row_start[s + 1] {
            self.scores.made_at[k] = self.mu[self.scores.rows[k].0];
        }
        self.scores.spent[s] = 0;
        self.scores.stale[s] = false;
    }

    /// The most any of segment `s`'s scores can have risen since its list was made.
    fn rise(&self, s: usize) -> f64 {
        let sc = &self.scores;
        let (mut shared, mut budget, mut item_cap) = (0.0, 0.0f64, 0.0f64);
        for k in sc.row_start[s]..sc.row_start[s + 1] {
            let (d, down, up, exclusive) = sc.rows[k];
            let moved = self.mu[d] - sc.made_at[k];
            let rise = if moved > 0.0 { moved * down } else { -moved * up };
            match exclusive {
                Exclusive::No => shared += rise,
                Exclusive::Budget => budget = budget.max(rise),
                Exclusive::ItemCap => item_cap = item_cap.max(rise),
            }
        }
        shared + budget + item_cap
    }
}

impl Policy for OnlineDual<'_> {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        if self.scores.stale[s] {
            self.remake(s, world);
        }
        let (rise, size) = (self.rise(s), self.scores.size[s]);
        let at = self.scores.start[s];
        let mut best = None;
        let mut best_score = 0.0;
        let (mut spent, mut walked, mut dropped) = (0, 0, 0);
        for i in at..at + self.scores.len[s] {
            let (cached, e) = self.scores.cached[i];
            // The margin covers the rounding of scores computed at two times, and two ways,
            // against the bound: a score's rounding is relative to its terms, which can cancel.
            let reach = cached + rise;
            if reach + 1e-9 * (reach.abs() + rise + f64::abs(best_score) + size) < best_score {
                break;
            }
            walked += 1;
            let e = e as usize;
            if world.eligible(e) {
                spent += 1;
                let sc = self.score(e, world.x[e]);
                if sc > best_score || (sc == best_score && best.is_none_or(|b| e < b)) {
                    best_score = sc;
                    best = Some(e);
                }
            } else {
                // Marked, to be dropped below: an edge ineligible once stays so all day.
                self.scores.cached[i].0 = f64::NAN;
                dropped += 1;
            }
        }
        if dropped > 0 {
            // The walked part keeps its eligible edges, in order, at its end; the list starts
            // past the dropped ones.
            let part = &mut self.scores.cached[at..at + walked];
            let mut to = walked;
            for from in (0..walked).rev() {
                if !part[from].0.is_nan() {
                    to -= 1;
                    part[to] = part[from];
                }
            }
            self.scores.start[s] += dropped;
            self.scores.len[s] -= dropped;
        }
        // Once reading down the list has cost about as much as remaking it, it is remade.
        self.scores.spent[s] += spent;
        if self.scores.spent[s] * REMAKE_AT > self.scores.len[s] {
            self.scores.stale[s] = true;
        }
        best
    }

    fn served(&mut self, e: Option<usize>, _world: &World) {
        let mut mu = std::mem::take(&mut self.mu);
        let mut moving = std::mem::take(&mut self.moving);
        if let Some(e) = e {
            self.for_each_dual(e, |d, a| {
                mu[d] += self.step[d] * a * self.k;
                if !self.is_moving[d] && self.allowance[d] != 0.0 && self.step[d] > 0.0 {
                    moving.push(d);
                }
            });
            moving.iter().for_each(|&d| self.is_moving[d] = true);
        }
        // A dual at 0 whose allowance pushes it down stays at 0: it leaves the moving set.
        moving.retain(|&d| {
            mu[d] = (mu[d] - self.step[d] * self.allowance[d]).clamp(0.0, self.cap[d]);
            let keep = mu[d] > 0.0 || self.allowance[d] < 0.0;
            self.is_moving[d] = keep;
            keep
        });
        if let Some(e) = e {
            self.for_each_dual(e, |d, _| mu[d] = mu[d].clamp(0.0, self.cap[d]));
        }
        self.mu = mu;
        self.moving = moving;
    }
}

#[cfg(test)]
impl OnlineDual<'_> {
    /// The duals' update as first written: every dual whose allowance is not 0 stepped at every
    /// opportunity (the oracle of the moving set's).
    pub(super) fn served_every_dual(&mut self, e: Option<usize>) {
        let mut mu = std::mem::take(&mut self.mu);
        if let Some(e) = e {
            self.for_each_dual(e, |d, a| mu[d] += self.step[d] * a * self.k);
        }
        for d in (0..mu.len()).filter(|&d| self.allowance[d] != 0.0 && self.step[d] > 0.0) {
            mu[d] = (mu[d] - self.step[d] * self.allowance[d]).clamp(0.0, self.cap[d]);
        }
        if let Some(e) = e {
            self.for_each_dual(e, |d, _| mu[d] = mu[d].clamp(0.0, self.cap[d]));
        }
        self.mu = mu;
    }
}
