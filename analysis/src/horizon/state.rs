//! The state a day's plan changes: who creates, what they have made, how engaging each edge
//! still is and how many users come; and the transitions of `agora.dynamics/v1`.
//!
//! Creators who leave stay in the instance's creator list (so that indices and selectors stay
//! valid) but lose every edge of their items; new items and creators are appended.

// The transitions index several parallel per-creator arrays (exposure, history, flags) at once.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeSet;

use agora_instances::metrics::creator_exposure;
use agora_instances::{Creator, Edge, Instance, Item, ItemKind, Owner};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal, Poisson};

use super::dynamics::Dynamics;

/// What one transition did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Events {
    /// Creators who left.
    pub churned: usize,
    /// Creators who joined.
    pub joined: usize,
    /// Items uploaded by creators already there.
    pub uploaded: usize,
    /// Items of the creators who left.
    pub items_lost: usize,
}

/// The state of the marketplace on one day.
#[derive(Debug, Clone)]
pub struct World {
    /// The day's instance before a policy's edits (supplies, edges and engagement as they now are).
    pub inst: Instance,
    /// Each edge's engagement when rested.
    base: Vec<f64>,
    /// Each edge's fatigue factor in (0, 1].
    factor: Vec<f64>,
    /// Days since each item was uploaded (day-0 items count from 0).
    age: Vec<u32>,
    /// Whether each creator is still there.
    active: Vec<bool>,
    /// Each creator's organic impressions on the last days, latest last.
    history: Vec<Vec<f64>>,
    /// Each segment's engagement per impression on day 0.
    epi0: Option<Vec<f64>>,
    /// A counter for new ids.
    next: usize,
}

impl World {
    /// Day 0: the instance as given, every creator active, every edge rested.
    pub fn new(inst: Instance) -> World {
        let base = inst.edges.iter().map(|e| e.engagement).collect();
        World {
            factor: vec![1.0; inst.edges.len()],
            age: vec![0; inst.items.len()],
            active: vec![true; inst.creators.len()],
            history: vec![Vec::new(); inst.creators.len()],
            base,
            epi0: None,
            next: 0,
            inst,
        }
    }

    /// Creators still there.
    pub fn active_creators(&self) -> usize {
        self.active.iter().filter(|&&a| a).count()
    }

    /// Organic items of the creators still there: the catalog.
    pub fn catalog(&self) -> usize {
        self.inst.items.iter().filter(|it| matches!(it.owner, Owner::Creator(c) if self.active[c])).count()
    }

    /// Whether creator `c` is still there.
    pub fn is_active(&self, c: usize) -> bool {
        self.active[c]
    }

    /// Tomorrow, given today's plan `x` (impressions per edge of `self.inst`).
    pub fn step(&mut self, x: &[f64], d: &Dynamics, rng: &mut StdRng) -> Events {
        let mut ev = Events::default();
        let inst = &mut self.inst;
        let exposure = creator_exposure(inst, x);
        for (c, h) in self.history.iter_mut().enumerate() {
            h.push(exposure[c]);
            let keep = d.churn.window.max(1);
            if h.len() > keep {
                h.remove(0);
            }
        }
        let mut served = vec![0.0; inst.segments.len()];
        let mut engaged = vec![0.0; inst.segments.len()];
        for (e, edge) in inst.edges.iter().enumerate() {
            served[edge.segment] += x[e];
            engaged[edge.segment] += x[e] * edge.engagement;
        }
        if d.fatigue.enabled {
            for (e, edge) in inst.edges.iter_mut().enumerate() {
                let share = if served[edge.segment] > 0.0 { x[e] / served[edge.segment] } else { 0.0 };
                let f = self.factor[e] * (1.0 - d.fatigue.rate * share) + d.fatigue.recovery * (1.0 - self.factor[e]);
                self.factor[e] = f.clamp(d.fatigue.floor, 1.0);
                edge.engagement = self.base[e] * self.factor[e];
            }
        }
        let epi: Vec<f64> = served.iter().zip(&engaged).map(|(&s, &g)| if s > 0.0 { g / s } else { 0.0 }).collect();
        let epi0 = self.epi0.get_or_insert_with(|| epi.clone()).clone();
        if d.users.enabled {
            for (s, seg) in inst.segments.iter_mut().enumerate() {
                if epi0[s] > 0.0 {
                    let change = (d.users.elasticity * (epi[s] / epi0[s] - 1.0)).clamp(-d.users.max_change, d.users.max_change);
                    seg.supply = (seg.supply * (1.0 + change)).clamp(1.0, agora_instances::limits::MAX_QUANTITY);
                }
            }
        }
        for a in self.age.iter_mut() {
            *a += 1;
        }
        if d.freshness.enabled {
            for (i, item) in inst.items.iter_mut().enumerate() {
                item.fresh = item.fresh && self.age[i] < d.freshness.days;
            }
        }
        // Churn: one draw per creator in creator order, whatever the policy (common random numbers).
        let mut leaving = vec![false; self.active.len()];
        for c in 0..self.active.len() {
            let u: f64 = rng.random();
            if !d.churn.enabled || !self.active[c] {
                continue;
            }
            let h = &self.history[c];
            let mean = h.iter().sum::<f64>() / h.len().max(1) as f64;
            if mean < d.churn.threshold && u < d.churn.rate {
                leaving[c] = true;
            }
        }
        // Each creator's items, and each item's edges: built once a day, so that the day's work
        // grows with the catalog, not with creators times the catalog.
        let mut items_of: Vec<Vec<usize>> = vec![Vec::new(); inst.creators.len()];
        for (i, it) in inst.items.iter().enumerate() {
            if let Owner::Creator(c) = it.owner {
                items_of[c].push(i);
            }
        }
        for (c, &l) in leaving.iter().enumerate() {
            if l {
                self.active[c] = false;
                ev.churned += 1;
                ev.items_lost += items_of[c].len();
            }
        }
        let keep: Vec<bool> = inst.edges.iter().map(|e| !matches!(inst.items[e.item].owner, Owner::Creator(c) if leaving[c])).collect();
        // Evidence, where the day has some, stays with its edge (edges appended later have none).
        if !inst.evidence.is_empty() {
            let kept = keep[..inst.evidence.len().min(keep.len())].to_vec();
            inst.evidence.truncate(kept.len());
            retain(&mut inst.evidence, &kept);
        }
        retain(&mut inst.edges, &keep);
        retain(&mut self.base, &keep);
        retain(&mut self.factor, &keep);

        let topics: Vec<String> = inst.items.iter().map(|i| i.topic.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let organic: Vec<f64> = inst.edges.iter().filter(|e| inst.items[e.item].kind() == ItemKind::Organic).map(|e| e.engagement).collect();
        let mean_engagement = if organic.is_empty() { 0.01 } else { organic.iter().sum::<f64>() / organic.len() as f64 };
        let creators_before = inst.creators.len();
        if d.uploads.enabled {
            let mut edges_of: Vec<Vec<usize>> = vec![Vec::new(); inst.items.len()];
            for (e, edge) in inst.edges.iter().enumerate() {
                edges_of[edge.item].push(e);
            }
            for c in 0..creators_before {
                let lambda = d.uploads.base + d.uploads.elasticity * (1.0 + exposure[c] / d.uploads.scale).ln();
                let k = if lambda > 0.0 { Poisson::new(lambda).map(|p| p.sample(rng) as usize).unwrap_or(0) } else { 0 };
                if !self.active[c] || k == 0 {
                    continue;
                }
                // The creator's items as of the day's start (its uploads of today are not
                // templates for today's others), in item order as before.
                let own: Vec<usize> = items_of[c].clone();
                if own.is_empty() {
                    continue;
                }
                let own_edges = || own.iter().flat_map(|&i| edges_of[i].iter().map(|&e| &inst.edges[e]));
                let segs: BTreeSet<usize> = own_edges().map(|e| e.segment).collect();
                let mut own_edge_ids: Vec<usize> = own.iter().flat_map(|&i| edges_of[i].iter().copied()).collect();
                own_edge_ids.sort_unstable();
                let own_eng: Vec<f64> = own_edge_ids.iter().map(|&e| inst.edges[e].engagement).collect();
                let eng = if own_eng.is_empty() { mean_engagement } else { own_eng.iter().sum::<f64>() / own_eng.len() as f64 };
                let q = own.iter().map(|&i| inst.items[i].quality).sum::<f64>() / own.len() as f64;
                let risk = own.iter().map(|&i| inst.items[i].risk).sum::<f64>() / own.len() as f64;
                for _ in 0..k {
                    let topic = inst.items[*own.choose(rng).expect("own is not empty")].topic.clone();
                    let noise = Normal::new(0.0, d.uploads.quality_sd.max(1e-12)).map(|n| n.sample(rng)).unwrap_or(0.0);
                    self.next += 1;
                    let item = Item {
                        id: format!("{}-u{}", inst.creators[c].id, self.next),
                        owner: Owner::Creator(c),
                        topic,
                        quality: (q + noise).clamp(0.0, 1.0),
                        risk,
                        fresh: true,
                        cap: None,
                    };
                    let i = push_item(inst, &mut self.age, item);
                    for &s in &segs {
                        let e = eng * LogNormal::new(0.0, d.uploads.engagement_sigma.max(1e-12)).map(|l| l.sample(rng)).unwrap_or(1.0);
                        push_edge(inst, &mut self.base, &mut self.factor, Edge { segment: s, item: i, engagement: e, price: 0.0, cap: None });
                    }
                    ev.uploaded += 1;
                }
            }
        }
        if d.joins.enabled && d.joins.rate > 0.0 {
            let k = Poisson::new(d.joins.rate).map(|p| p.sample(rng) as usize).unwrap_or(0);
            let quality = inst.items.iter().map(|i| i.quality).sum::<f64>() / inst.items.len().max(1) as f64;
            for _ in 0..k {
                self.next += 1;
                let c = inst.creators.len();
                inst.creators.push(Creator { id: format!("joined-{}", self.next), group: "new".into() });
                self.active.push(true);
                self.history.push(Vec::new());
                let topic = topics.choose(rng).cloned().unwrap_or_else(|| "general".into());
                let i = push_item(
                    inst,
                    &mut self.age,
                    Item { id: format!("joined-{}-i", self.next), owner: Owner::Creator(c), topic, quality, risk: 0.0, fresh: true, cap: None },
                );
                let n_seg = inst.segments.len();
                for s in rand::seq::index::sample(rng, n_seg, d.joins.reach.min(n_seg)).into_iter() {
                    let e = mean_engagement * LogNormal::new(0.0, d.uploads.engagement_sigma.max(1e-12)).map(|l| l.sample(rng)).unwrap_or(1.0);
                    push_edge(inst, &mut self.base, &mut self.factor, Edge { segment: s, item: i, engagement: e, price: 0.0, cap: None });
                }
                ev.joined += 1;
            }
        }
        ev
    }
}

fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

fn push_item(inst: &mut Instance, age: &mut Vec<u32>, item: Item) -> usize {
    inst.items.push(item);
    age.push(0);
    inst.items.len() - 1
}

fn push_edge(inst: &mut Instance, base: &mut Vec<f64>, factor: &mut Vec<f64>, edge: Edge) {
    base.push(edge.engagement);
    factor.push(1.0);
    inst.edges.push(edge);
}
