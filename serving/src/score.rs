//! The score rule `agora.score/v1`: how serving turns an opportunity's candidate edges and the
//! artifact into a choice. docs/serving.md ("The score rule") is the normative statement
//! for serving engineers; this is the reference implementation a serving system can link.
//!
//! For an opportunity in segment `s` and the candidate edges that are eligible (the item and the
//! edge have impressions left under their caps, the ad's campaign can still pay its price):
//!
//! 1. Score every eligible edge: `score_e = m_a * value_e - adjustment_e` for an ad of campaign
//!    `a` (multiplier `m_a` from `pacing.csv`), `value_e - adjustment_e` for organic content.
//!    Leaving the opportunity unserved scores `unserved_score_s`.
//! 2. The band: `best` is the highest eligible score; the band holds the eligible edges with a
//!    planned `rate_e > 0` and `score_e >= best - epsilon_s`, and "unserved" when
//!    `unserved_rate_s > 0` and `unserved_score_s >= best - epsilon_s`.
//! 3. If the band has positive total weight `W` (weights `rate_e`, `unserved_rate_s`), choose by
//!    smooth weighted round-robin: every band member's credit grows by its weight, the member with
//!    the most credit is chosen (ties: the first in `edges.csv` order, "unserved" last), and its
//!    credit drops by `W`. Credits start at 0 and live per edge (and per segment for "unserved");
//!    members outside the band keep theirs unchanged.
//! 4. Otherwise (no planned edge eligible) choose the best-scoring eligible edge (ties: first in
//!    file order), or leave the opportunity unserved if its score is below `unserved_score_s`.
//!
//! Why rates and not scores alone: at an LP optimum every edge a segment serves has the same
//! dual-adjusted score (its reduced value is zero), so an argmax serves one edge and cannot split
//! a segment among several items as the plan does. The band identifies the edges the plan
//! considers optimal; the planned rates break the tie, and round-robin keeps each segment's mix
//! within about one opportunity of the plan's. The dual adjustments and multipliers decide
//! everything the plan did not foresee (step 4, and candidates scoring above the band).

use std::collections::HashMap;

use crate::artifact::Artifact;

/// The score of an edge of value `value` (objective units per impression), dual adjustment
/// `adjustment` and multiplier `multiplier` (1 for organic items).
pub fn score(value: f64, adjustment: f64, multiplier: f64) -> f64 {
    multiplier * value - adjustment
}

/// A choice of the score rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The edge at this index of the artifact's `edges`.
    Edge(usize),
    /// Leave the opportunity unserved.
    Unserved,
}

/// The score rule over a loaded artifact, with its round-robin state.
#[derive(Debug, Clone)]
pub struct ServingRule {
    segment_index: HashMap<String, usize>,
    /// Artifact edge indices grouped by segment: segment `s` owns `order[start[s]..start[s+1]]`.
    start: Vec<usize>,
    order: Vec<usize>,
    score: Vec<f64>,
    rate: Vec<f64>,
    epsilon: Vec<f64>,
    unserved_rate: Vec<f64>,
    unserved_score: Vec<f64>,
    credit: Vec<f64>,
    unserved_credit: Vec<f64>,
}

impl ServingRule {
    /// The rule over a validated artifact ([`crate::read_dir`] checks that every edge's
    /// segment and campaign is known).
    ///
    /// # Panics
    /// If an edge names a segment or campaign the artifact does not list.
    pub fn new(a: &Artifact) -> Self {
        let segment_index: HashMap<String, usize> = a.segments.iter().enumerate().map(|(s, r)| (r.segment.clone(), s)).collect();
        let multiplier: HashMap<&str, f64> = a.pacing.iter().map(|p| (p.campaign.as_str(), p.multiplier)).collect();
        let seg_of: Vec<usize> = a.edges.iter().map(|e| segment_index[&e.segment]).collect();
        let mut start = vec![0; a.segments.len() + 1];
        for &s in &seg_of {
            start[s + 1] += 1;
        }
        for s in 0..a.segments.len() {
            start[s + 1] += start[s];
        }
        let mut fill = start.clone();
        let mut order = vec![0; a.edges.len()];
        for (j, &s) in seg_of.iter().enumerate() {
            order[fill[s]] = j;
            fill[s] += 1;
        }
        let score = a.edges.iter().map(|e| score(e.value, e.adjustment, e.campaign.as_deref().map_or(1.0, |c| multiplier[c]))).collect();
        ServingRule {
            segment_index,
            start,
            order,
            score,
            rate: a.edges.iter().map(|e| e.rate).collect(),
            epsilon: a.segments.iter().map(|s| s.epsilon).collect(),
            unserved_rate: a.segments.iter().map(|s| s.unserved_rate).collect(),
            unserved_score: a.segments.iter().map(|s| s.unserved_score).collect(),
            credit: vec![0.0; a.edges.len()],
            unserved_credit: vec![0.0; a.segments.len()],
        }
    }

    /// The index of segment `id` in the artifact's `segments`.
    pub fn segment(&self, id: &str) -> Option<usize> {
        self.segment_index.get(id).copied()
    }

    /// The artifact edge indices of segment `s`, in file order.
    pub fn edges_of(&self, s: usize) -> &[usize] {
        &self.order[self.start[s]..self.start[s + 1]]
    }

    /// The score of artifact edge `e`.
    pub fn score_of(&self, e: usize) -> f64 {
        self.score[e]
    }

    /// Chooses for an opportunity in segment `s`; `eligible(e)` tells whether artifact edge `e`
    /// can be served now. Allocates nothing.
    pub fn choose(&mut self, s: usize, eligible: impl Fn(usize) -> bool) -> Choice {
        let (lo, hi) = (self.start[s], self.start[s + 1]);
        let mut best = f64::NEG_INFINITY;
        let mut best_edge = None;
        for &e in &self.order[lo..hi] {
            if self.score[e] > best && eligible(e) {
                best = self.score[e];
                best_edge = Some(e);
            }
        }
        let Some(best_edge) = best_edge else {
            return Choice::Unserved;
        };
        let floor = best - self.epsilon[s];
        let unserved_in = self.unserved_rate[s] > 0.0 && self.unserved_score[s] >= floor;
        let mut total = if unserved_in { self.unserved_rate[s] } else { 0.0 };
        for &e in &self.order[lo..hi] {
            if self.rate[e] > 0.0 && self.score[e] >= floor && eligible(e) {
                total += self.rate[e];
            }
        }
        if total <= 0.0 {
            return if best < self.unserved_score[s] { Choice::Unserved } else { Choice::Edge(best_edge) };
        }
        let mut pick = Choice::Unserved;
        let mut most = f64::NEG_INFINITY;
        for &e in &self.order[lo..hi] {
            if self.rate[e] > 0.0 && self.score[e] >= floor && eligible(e) {
                self.credit[e] += self.rate[e];
                if self.credit[e] > most {
                    most = self.credit[e];
                    pick = Choice::Edge(e);
                }
            }
        }
        if unserved_in {
            self.unserved_credit[s] += self.unserved_rate[s];
            if self.unserved_credit[s] > most {
                pick = Choice::Unserved;
            }
        }
        match pick {
            Choice::Edge(e) => self.credit[e] -= total,
            Choice::Unserved => self.unserved_credit[s] -= total,
        }
        pick
    }
}
