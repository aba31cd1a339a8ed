//! Polishing an interior-point FPPE into an exact one.
//!
//! The FPPE program's objective `sum_i B_i log u_i - sum_i d_i` is flat at its optimum (an
//! error e in u moves the objective by O(e^2)), so an interior-point method that stops at a
//! duality gap g pins multipliers and prices down only to about sqrt(g): 1e-5 relative at
//! Clarabel's tolerance 1e-9, and tighter tolerances end in "almost solved". The combinatorial
//! structure of the equilibrium is, however, clear from such an answer, and it determines the
//! exact equilibrium:
//!
//! * who ties for which good (bidders whose paced bid is within a factor `1 - eta` of the top,
//!   optionally only those the interior point gives a visible share) links bidders into
//!   components in which all multipliers are fixed up to one common factor
//!   (`a_i v_ij = a_k v_kj` whenever i and k tie for j);
//! * in a component of paced bidders only, every bidder spends its whole budget on goods of the
//!   component, all of which are sold out, so `sum_j p_j s_j = sum_i B_i` over the component
//!   fixes the factor, and every multiplier is below 1; a component with an unpaced bidder has
//!   its largest multiplier at 1 and spends at most its budgets. So the factor is the smaller of
//!   the two candidates, and nobody's pacing needs to be guessed;
//! * an allocation is then a flow of money from goods (each must raise `p_j s_j`) to the
//!   bidders who tie for them (each takes at most `B_i`, paced bidders exactly `B_i`): a maximum
//!   flow that saturates the paced bidders first finds one.
//!
//! The caller checks the result against the definition ([`crate::fppe::check`]) at a tight
//! tolerance and falls back to the interior-point answer if the structure was misread.

use std::collections::VecDeque;

use crate::market::Market;

/// An exact candidate: multipliers, per-unit prices, shares of each good's supply, spend.
pub(crate) struct Polished {
    pub multipliers: Vec<f64>,
    pub prices: Vec<f64>,
    pub shares: Vec<Vec<f64>>,
    pub spend: Vec<f64>,
}

/// How to read the structure off an approximate answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// Bidders whose paced bid is within a factor `1 - eta` of a good's top paced bid tie for
    /// it.
    pub eta: f64,
    /// ... provided the approximate allocation gives them at least this share of the good. A
    /// near-tie that the interior point does not allocate is likelier a non-tie than a tie that
    /// matters (a tie that carries no share in the equilibrium can be dropped harmlessly).
    pub min_share: f64,
}

/// Readings tried in turn. The interior point's relative error is about 1e-5 at the default
/// tolerance (5e-5 at worst seen), so `eta = 1e-4` usually reads the structure right; near-ties
/// between 1e-5 and 1e-3 need the share filter, and sloppier or sharper solves the others.
pub(crate) const READINGS: [Reading; 7] = [
    Reading { eta: 1e-4, min_share: 0.0 },
    Reading { eta: 1e-3, min_share: 1e-4 },
    Reading { eta: 1e-3, min_share: 1e-6 },
    Reading { eta: 1e-3, min_share: 0.0 },
    Reading { eta: 1e-5, min_share: 0.0 },
    Reading { eta: 1e-2, min_share: 1e-3 },
    Reading { eta: 1e-6, min_share: 0.0 },
];

/// Rebuilds an exact FPPE from approximate multipliers and shares, reading ties as `reading`
/// says. The candidate is exact if the structure was read right; the caller checks.
pub(crate) fn polish(market: &Market, approx: &[f64], approx_shares: &[Vec<f64>], reading: Reading) -> Polished {
    let eta = reading.eta;
    let n = market.bidders.len();
    let m = market.goods.len();
    let v = |i: usize, j: usize| market.value(i, j);

    // Who ties for the top paced bid on each good.
    let mut winners: Vec<Vec<usize>> = vec![Vec::new(); m];
    let mut goods_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (j, tied) in winners.iter_mut().enumerate() {
        let best = (0..n).map(|i| approx[i] * v(i, j)).fold(0.0, f64::max);
        if best <= 0.0 {
            continue;
        }
        for i in 0..n {
            if v(i, j) > 0.0 && approx[i] * v(i, j) >= (1.0 - eta) * best && approx_shares[i][j] >= reading.min_share {
                tied.push(i);
                goods_of[i].push(j);
            }
        }
    }

    // Walk each component, expressing multipliers and prices relative to its first bidder.
    let mut ratio = vec![f64::NAN; n]; // a_i / lambda
    let mut price_ratio = vec![f64::NAN; m]; // p_j / lambda
    let mut multipliers = vec![1.0; n];
    for root in 0..n {
        if !ratio[root].is_nan() {
            continue;
        }
        ratio[root] = 1.0;
        let (mut bidders, mut goods) = (vec![root], Vec::new());
        let mut queue = VecDeque::from([root]);
        while let Some(i) = queue.pop_front() {
            for &j in &goods_of[i] {
                if !price_ratio[j].is_nan() {
                    continue;
                }
                price_ratio[j] = ratio[i] * v(i, j);
                goods.push(j);
                for &k in &winners[j] {
                    if ratio[k].is_nan() {
                        ratio[k] = price_ratio[j] / v(k, j);
                        bidders.push(k);
                        queue.push_back(k);
                    }
                }
            }
        }
        if goods.is_empty() {
            continue; // wins nothing, spends nothing: unpaced (multiplier stays 1)
        }
        // The common factor is the smaller of the one that makes the component's bidders spend
        // exactly their budgets and the one that lifts its largest multiplier to 1: with all
        // bidders paced the first holds and keeps every multiplier below 1; with an unpaced
        // bidder the second holds and its bidders spend at most their budgets.
        let top_ratio = bidders.iter().map(|&i| ratio[i]).fold(0.0, f64::max);
        let budgets: f64 = bidders.iter().map(|&i| market.bidders[i].budget).sum();
        let money: f64 = goods.iter().map(|&j| price_ratio[j] * market.goods[j].supply).sum();
        if budgets / money * top_ratio < 1.0 {
            let lambda = budgets / money;
            for &i in &bidders {
                multipliers[i] = lambda * ratio[i];
            }
        } else {
            // Dividing (rather than scaling by 1 / top_ratio) makes the top multiplier exactly
            // 1, so that the flow below treats that bidder as unpaced.
            for &i in &bidders {
                multipliers[i] = ratio[i] / top_ratio;
            }
        }
    }
    let prices: Vec<f64> = (0..m).map(|j| (0..n).map(|i| multipliers[i] * v(i, j)).fold(0.0, f64::max)).collect();

    // Money flows source -> good j (cap p_j s_j) -> tied bidder -> sink (cap B_i).
    let source = 0;
    let good_node = |j: usize| 1 + j;
    let bidder_node = |i: usize| 1 + m + i;
    let sink = 1 + m + n;
    let mut net = FlowNetwork::new(sink + 1);
    let money: f64 = (0..m).map(|j| prices[j] * market.goods[j].supply).sum();
    let mut edge_of = Vec::new();
    for j in 0..m {
        if prices[j] > 0.0 {
            net.add_edge(source, good_node(j), prices[j] * market.goods[j].supply);
            for &i in &winners[j] {
                edge_of.push((i, j, net.add_edge(good_node(j), bidder_node(i), f64::INFINITY)));
            }
        }
    }
    // Paced bidders must spend their whole budget: route money to them first. Augmenting paths
    // end at the sink, so the flow into it along an edge never decreases afterwards.
    let paced: Vec<bool> = multipliers.iter().map(|&a| a < 1.0 - 1e-12).collect();
    let sink_edges: Vec<usize> = (0..n).map(|i| net.add_edge(bidder_node(i), sink, 0.0)).collect();
    let eps = 1e-15 * money.max(1.0);
    for pass in [true, false] {
        for i in 0..n {
            if paced[i] == pass {
                net.set_capacity(sink_edges[i], market.bidders[i].budget);
            }
        }
        net.max_flow(source, sink, eps);
    }

    let mut shares = vec![vec![0.0; m]; n];
    let mut spend = vec![0.0; n];
    for (i, j, e) in edge_of {
        let f = net.flow(e);
        shares[i][j] = f / (prices[j] * market.goods[j].supply);
        spend[i] += f;
    }
    Polished { multipliers, prices, shares, spend }
}

/// A small Edmonds-Karp max-flow network over f64 capacities.
struct FlowNetwork {
    /// Edges in pairs: edge e and its reverse e ^ 1.
    to: Vec<usize>,
    cap: Vec<f64>,
    flow: Vec<f64>,
    adj: Vec<Vec<usize>>,
}

impl FlowNetwork {
    fn new(nodes: usize) -> Self {
        FlowNetwork { to: Vec::new(), cap: Vec::new(), flow: Vec::new(), adj: vec![Vec::new(); nodes] }
    }

    fn add_edge(&mut self, from: usize, to: usize, cap: f64) -> usize {
        let e = self.to.len();
        self.to.extend([to, from]);
        self.cap.extend([cap, 0.0]);
        self.flow.extend([0.0, 0.0]);
        self.adj[from].push(e);
        self.adj[to].push(e + 1);
        e
    }

    fn set_capacity(&mut self, e: usize, cap: f64) {
        self.cap[e] = cap;
    }

    fn flow(&self, e: usize) -> f64 {
        self.flow[e]
    }

    fn residual(&self, e: usize) -> f64 {
        self.cap[e] - self.flow[e]
    }

    /// Augments along shortest paths until none carries more than `eps`.
    fn max_flow(&mut self, s: usize, t: usize, eps: f64) {
        loop {
            let mut via = vec![usize::MAX; self.adj.len()];
            let mut queue = VecDeque::from([s]);
            let mut reached = false;
            'bfs: while let Some(u) = queue.pop_front() {
                for &e in &self.adj[u] {
                    let w = self.to[e];
                    if w != s && via[w] == usize::MAX && self.residual(e) > eps {
                        via[w] = e;
                        if w == t {
                            reached = true;
                            break 'bfs;
                        }
                        queue.push_back(w);
                    }
                }
            }
            if !reached {
                return;
            }
            let mut push = f64::INFINITY;
            let mut w = t;
            while w != s {
                let e = via[w];
                push = push.min(self.residual(e));
                w = self.to[e ^ 1];
            }
            let mut w = t;
            while w != s {
                let e = via[w];
                self.flow[e] += push;
                self.flow[e ^ 1] -= push;
                w = self.to[e ^ 1];
            }
        }
    }
}
