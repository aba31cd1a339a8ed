//! The simulation's three policies: `exported` (the score rule over the artifact), and the
//! baselines `no_pacing` and `online_dual`.

use agora_instances::Instance;
use agora_solver::{edge_value, Columns as _, Formulation, RowKind, Sense};

use crate::simulate::World;
use agora_serving::{Choice, ServingRule};

/// A serving policy: chooses an edge (instance index) for an opportunity in segment `s`, among
/// the edges `world` says are eligible, or none; then learns what was served.
pub(crate) trait Policy {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize>;
    fn served(&mut self, _e: Option<usize>, _world: &World) {}
}

/// The score rule over the artifact ([`ServingRule`]), translated to instance indices.
pub(crate) struct Exported {
    pub rule: ServingRule,
    /// Artifact segment index of each instance segment.
    pub segment: Vec<usize>,
    /// Instance edge index of each artifact edge.
    pub edge: Vec<usize>,
}

impl Policy for Exported {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let edge = &self.edge;
        match self.rule.choose(self.segment[s], |j| world.eligible(edge[j])) {
            Choice::Edge(j) => Some(edge[j]),
            Choice::Unserved => None,
        }
    }
}

/// Serves the eligible edge of the highest raw value `c_e` (ties: the first in instance order);
/// ads drop out when their campaign cannot pay.
pub(crate) struct NoPacing {
    pub value: Vec<f64>,
}

impl Policy for NoPacing {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let mut best = None;
        let mut best_value = f64::NEG_INFINITY;
        for &e in &world.seg_edges[s] {
            if self.value[e] > best_value && world.eligible(e) {
                best_value = self.value[e];
                best = Some(e);
            }
        }
        best
    }
}

/// Dual mirror descent (Balseiro, Lu and Mirrokni 2020) with the Euclidean mirror map: every
/// row but the supplies (which serving meets by construction) gets a dual `mu_r >= 0`, starting at
/// 0. An opportunity goes to the eligible edge maximising `c_e - q_e x_e - sum_r mu_r sigma_r a_re`
/// (`sigma_r` = 1 on `<=` rows, -1 on `>=` rows; `q_e x_e` is the marginal regularisation at the
/// impressions `x_e` served so far, `q_e = rho / supply_s`, 0 on LP days), or to nobody if every
/// such score is negative.
/// After each opportunity, with `g_r` the row's use by the served impressions and `b_r / N` its
/// per-opportunity allowance,
///
/// `mu_r <- clamp(mu_r + eta * (vbar / s_r^2) * sigma_r * (g_r - b_r / N), 0, penalty_r)`,
///
/// where `eta = 1 / sqrt(N)`, `s_r` is the most one opportunity can use of row `r` and `vbar` the
/// most one opportunity can be worth: the update is the textbook step on the row normalised to
/// use at most 1 per opportunity and the objective normalised to at most 1, so no step size is
/// tuned per instance. Soft rows' duals stop at their penalty; rows with no edge are left out.
pub(crate) struct OnlineDual {
    value: Vec<f64>,
    quad: Vec<f64>,
    /// The rows each edge uses: (dual index, sigma_r * a_re).
    edge_start: Vec<usize>,
    edge_rows: Vec<(usize, f64)>,
    /// Per dual: step factor `eta * vbar / s_r^2`, allowance `sigma_r * b_r / N`, upper bound.
    step: Vec<f64>,
    allowance: Vec<f64>,
    cap: Vec<f64>,
    mu: Vec<f64>,
    /// Duals whose allowance is not 0: they move at every opportunity.
    dense: Vec<usize>,
    k: f64,
}

impl OnlineDual {
    pub fn new(inst: &Instance, model: &Formulation, arrivals: usize, k: f64) -> Self {
        let n = arrivals as f64;
        let meta = model.rows();
        let rows: Vec<usize> = (0..meta.len()).filter(|&r| meta[r].kind != RowKind::Supply).collect();
        let mut dual_of = vec![usize::MAX; meta.len()];
        for (d, &r) in rows.iter().enumerate() {
            dual_of[r] = d;
        }
        let sigma: Vec<f64> = rows.iter().map(|&r| if meta[r].sense == Sense::Le { 1.0 } else { -1.0 }).collect();
        let mut s_max = vec![0.0f64; rows.len()];
        // Each edge's rows, its column's entries generated in row order (as a stored column's).
        let mut edge_start = vec![0];
        let mut edge_rows = Vec::new();
        for j in 0..model.n_edges() {
            model.for_each_entry(j, |r, a| {
                let d = dual_of[r];
                if d != usize::MAX {
                    edge_rows.push((d, sigma[d] * a));
                    s_max[d] = s_max[d].max(a.abs() * k);
                }
            });
            edge_start.push(edge_rows.len());
        }
        let value: Vec<f64> = (0..inst.edges.len()).map(|e| edge_value(inst, e)).collect();
        let vbar = value.iter().fold(0.0f64, |m, v| m.max(v.abs())) * k;
        let eta = 1.0 / n.sqrt();
        let step: Vec<f64> = s_max.iter().map(|&s| if s > 0.0 { eta * vbar / (s * s) } else { 0.0 }).collect();
        let allowance: Vec<f64> = rows.iter().zip(&sigma).map(|(&r, sg)| sg * meta[r].rhs / n).collect();
        let cap: Vec<f64> = rows.iter().map(|&r| meta[r].penalty.unwrap_or(f64::INFINITY)).collect();
        let dense = (0..rows.len()).filter(|&d| allowance[d] != 0.0 && step[d] > 0.0).collect();
        let quad = (0..model.n_edges()).map(|j| model.quad(j)).collect();
        OnlineDual { value, quad, edge_start, edge_rows, step, allowance, cap, mu: vec![0.0; rows.len()], dense, k }
    }

    fn score(&self, e: usize, x: f64) -> f64 {
        let used: f64 = self.edge_rows[self.edge_start[e]..self.edge_start[e + 1]].iter().map(|&(d, a)| self.mu[d] * a).sum();
        self.value[e] - self.quad[e] * x - used
    }
}

impl Policy for OnlineDual {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let mut best = None;
        let mut best_score = 0.0;
        for &e in &world.seg_edges[s] {
            if world.eligible(e) {
                let sc = self.score(e, world.x[e]);
                if sc > best_score || (best.is_none() && sc == best_score) {
                    best_score = sc;
                    best = Some(e);
                }
            }
        }
        best
    }

    fn served(&mut self, e: Option<usize>, _world: &World) {
        if let Some(e) = e {
            for &(d, a) in &self.edge_rows[self.edge_start[e]..self.edge_start[e + 1]] {
                self.mu[d] += self.step[d] * a * self.k;
            }
        }
        for &d in &self.dense {
            self.mu[d] = (self.mu[d] - self.step[d] * self.allowance[d]).clamp(0.0, self.cap[d]);
        }
        if let Some(e) = e {
            for &(d, _) in &self.edge_rows[self.edge_start[e]..self.edge_start[e + 1]] {
                self.mu[d] = self.mu[d].clamp(0.0, self.cap[d]);
            }
        }
    }
}
