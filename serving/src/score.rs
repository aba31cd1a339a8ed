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

use rustc_hash::FxHashMap as HashMap;

use crate::artifact::{Artifact, EdgeRef, EdgeRow, EdgeRows as _, PacingRow, SegmentRow};

/// The score of an edge of value `value` (objective units per impression), dual adjustment
/// `adjustment` and multiplier `multiplier` (1 for organic items).
pub fn score(value: f64, adjustment: f64, multiplier: f64) -> f64 {
    multiplier * value - adjustment
}

/// A [`ServingRule`] built an edge at a time, as [`crate::reader::read_dir_with`] hands them on,
/// so that the artifact's edges need never be held as rows: per edge it keeps the segment, the
/// score and the planned rate.
#[derive(Debug, Clone)]
pub struct RuleBuilder {
    segment_index: HashMap<String, usize>,
    multiplier: HashMap<String, f64>,
    segment_of: Vec<u32>,
    score: Vec<f64>,
    rate: Vec<f64>,
    epsilon: Vec<f64>,
    unserved_rate: Vec<f64>,
    unserved_score: Vec<f64>,
}

impl RuleBuilder {
    /// A rule over the campaigns of `pacing` and the segments of `segments`, with no edge yet.
    pub fn new(pacing: &[PacingRow], segments: &[SegmentRow]) -> Self {
        RuleBuilder {
            segment_index: segments.iter().enumerate().map(|(s, r)| (r.segment.clone(), s)).collect(),
            multiplier: pacing.iter().map(|p| (p.campaign.clone(), p.multiplier)).collect(),
            segment_of: Vec::new(),
            score: Vec::new(),
            rate: Vec::new(),
            epsilon: segments.iter().map(|s| s.epsilon).collect(),
            unserved_rate: segments.iter().map(|s| s.unserved_rate).collect(),
            unserved_score: segments.iter().map(|s| s.unserved_score).collect(),
        }
    }

    /// Adds the artifact's next edge.
    ///
    /// # Panics
    /// If it names a segment or campaign the artifact does not list, or a segment past the
    /// 2^32-th.
    pub fn push(&mut self, e: &EdgeRef) {
        let s = self.segment_index[e.segment];
        self.segment_of.push(u32::try_from(s).expect("at most 2^32 segments"));
        self.score.push(score(e.value, e.adjustment, e.campaign.map_or(1.0, |c| self.multiplier[c])));
        self.rate.push(e.rate);
    }

    /// The rule over the edges added.
    pub fn finish(self) -> ServingRule {
        let RuleBuilder { segment_index, segment_of, score, rate, epsilon, unserved_rate, unserved_score, .. } = self;
        let segments = epsilon.len();
        let (start, order) = agora_instances::grouping::group_by(segments, segment_of.len(), |j| segment_of[j] as usize);
        drop(segment_of);
        let edges = score.len();
        ServingRule {
            segment_index,
            start,
            order,
            score,
            rate,
            credits: Credits { edge: vec![0.0; edges], unserved: vec![0.0; segments] },
            epsilon,
            unserved_rate,
            unserved_score,
            band: Vec::new(),
        }
    }
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
    credits: Credits,
    /// The band of [`Self::choose_monotone`]'s current choice (reused).
    band: Vec<usize>,
}

impl ServingRule {
    /// The rule over a validated artifact ([`crate::read_dir`] checks that every edge's
    /// segment and campaign is listed).
    ///
    /// # Panics
    /// If an edge names a segment or campaign the artifact does not list.
    pub fn new(a: &Artifact) -> Self {
        let mut rule = RuleBuilder::new(&a.pacing, &a.segments);
        let edges: &[EdgeRow] = &a.edges;
        (0..edges.len()).for_each(|k| rule.push(&edges.row(k)));
        rule.finish()
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
        let (rate, score, eligible) = (&self.rate, &self.score, &eligible);
        let band = self.order[lo..hi].iter().copied().filter(move |&e| rate[e] > 0.0 && score[e] >= floor && eligible(e));
        self.credits.decide(s, Best { edge: best_edge, score: best, floor }, (self.unserved_rate[s], self.unserved_score[s]), rate, band)
    }

    /// Every segment's edges ranked by score, for [`Self::choose_monotone`].
    pub fn ranking(&self) -> Ranking {
        Ranking::new(&self.start, &self.order, |e| self.score[e])
    }

    /// The choice of [`Self::choose`], with the same round-robin state, for a caller whose
    /// eligibility only ever turns false: a simulated day, where caps and budgets only fill up.
    /// Edges found ineligible are never looked at again, so a choice costs the band, not the
    /// segment. `ranking` is [`Self::ranking`] of this rule, kept between calls.
    pub fn choose_monotone(&mut self, s: usize, ranking: &mut Ranking, eligible: impl Fn(usize) -> bool) -> Choice {
        let Some(best_edge) = ranking.first_eligible(s, &eligible) else {
            return Choice::Unserved;
        };
        let best = self.score[best_edge];
        let floor = best - self.epsilon[s];
        let mut band = std::mem::take(&mut self.band);
        band.clear();
        for e in ranking.from_first(s) {
            // Below the band (or NaN, never in it): so is every edge ranked after.
            if matches!(self.score[e].partial_cmp(&floor), Some(std::cmp::Ordering::Less) | None) {
                break;
            }
            if self.rate[e] > 0.0 && eligible(e) {
                band.push(e);
            }
        }
        // In file order, as `choose` walks the band: the same sums, the same ties.
        band.sort_unstable();
        let choice = self.credits.decide(
            s,
            Best { edge: best_edge, score: best, floor },
            (self.unserved_rate[s], self.unserved_score[s]),
            &self.rate,
            band.iter().copied(),
        );
        self.band = band;
        choice
    }
}

/// Groups of indices (a segment's edges), each ranked by a key, highest first, ties by index
/// (as an argmax over the group in index order with `>` breaks them), and how far into each
/// group's ranking every member is known to be ineligible for good. For callers whose
/// eligibility only ever turns false (a simulated day: caps and budgets only fill up), the best
/// eligible member then costs the members that dropped out since the last call, not the group.
#[derive(Debug, Clone)]
pub struct Ranking {
    ranked: Vec<u32>,
    /// Per group, the position in `ranked` before which every member is ineligible for good.
    first: Vec<usize>,
    /// Per group, the end of its members whose key is above minus infinity: those after it are
    /// never picked (`key > best` from minus infinity is false for them).
    end: Vec<usize>,
}

impl Ranking {
    /// Group `g` holds `members[start[g]..start[g + 1]]`; each is ranked by `key`.
    ///
    /// # Panics
    /// If a member is 2^32 or more.
    pub fn new(start: &[usize], members: &[usize], key: impl Fn(usize) -> f64) -> Self {
        // -0 ranks as 0 (they compare equal under `>`, so the lower index wins between them);
        // NaN ranks with minus infinity, past the usable end.
        let rank_key = |e: usize| {
            let v = key(e);
            if v.is_nan() {
                f64::NEG_INFINITY
            } else {
                v + 0.0
            }
        };
        let mut ranked: Vec<u32> = Vec::with_capacity(members.len());
        let groups = start.len().saturating_sub(1);
        let (mut first, mut end) = (Vec::with_capacity(groups), Vec::with_capacity(groups));
        // Each group sorted on its keys read once (a comparator reading them would miss the
        // cache at every comparison of a 10^7-edge day's groups).
        let mut keyed: Vec<(f64, u32)> = Vec::new();
        for g in 0..groups {
            keyed.clear();
            keyed.extend(members[start[g]..start[g + 1]].iter().map(|&e| (rank_key(e), u32::try_from(e).expect("at most 2^32 members"))));
            keyed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            first.push(start[g]);
            end.push(start[g] + keyed.partition_point(|&(key, _)| key > f64::NEG_INFINITY));
            ranked.extend(keyed.iter().map(|&(_, e)| e));
        }
        Ranking { ranked, first, end }
    }

    /// The best-ranked member of group `g` that is `eligible`; the members ranked above it are
    /// skipped for good.
    pub fn first_eligible(&mut self, g: usize, eligible: impl Fn(usize) -> bool) -> Option<usize> {
        let mut p = self.first[g];
        while p < self.end[g] && !eligible(self.ranked[p] as usize) {
            p += 1;
        }
        self.first[g] = p;
        (p < self.end[g]).then(|| self.ranked[p] as usize)
    }

    /// Group `g`'s members from its first not known to be ineligible, in rank order.
    pub fn from_first(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        self.ranked[self.first[g]..self.end[g]].iter().map(|&e| e as usize)
    }
}

/// The best eligible edge of a choice and the band's lower end.
struct Best {
    edge: usize,
    score: f64,
    floor: f64,
}

/// The round-robin credits: per edge, and per segment for "unserved".
#[derive(Debug, Clone)]
struct Credits {
    edge: Vec<f64>,
    unserved: Vec<f64>,
}

impl Credits {
    /// Steps 2-4 of the rule for segment `s`, given its best eligible edge and the band's
    /// eligible planned edges `band` in file order; `unserved` is the segment's (rate, score).
    fn decide(&mut self, s: usize, best: Best, unserved: (f64, f64), rate: &[f64], band: impl Iterator<Item = usize> + Clone) -> Choice {
        let (unserved_rate, unserved_score) = unserved;
        let unserved_in = unserved_rate > 0.0 && unserved_score >= best.floor;
        let mut total = if unserved_in { unserved_rate } else { 0.0 };
        for e in band.clone() {
            total += rate[e];
        }
        if total <= 0.0 {
            return if best.score < unserved_score { Choice::Unserved } else { Choice::Edge(best.edge) };
        }
        let mut pick = Choice::Unserved;
        let mut most = f64::NEG_INFINITY;
        for e in band {
            self.edge[e] += rate[e];
            if self.edge[e] > most {
                most = self.edge[e];
                pick = Choice::Edge(e);
            }
        }
        if unserved_in {
            self.unserved[s] += unserved_rate;
            if self.unserved[s] > most {
                pick = Choice::Unserved;
            }
        }
        match pick {
            Choice::Edge(e) => self.edge[e] -= total,
            Choice::Unserved => self.unserved[s] -= total,
        }
        pick
    }
}
