//! The simulation's three policies: `exported` (the score rule over the artifact), and the
//! baselines `no_pacing` and `online_dual`.

use crate::simulate::World;
use agora_serving::{Choice, Ranking, ServingRule};

/// A serving policy: chooses an edge (instance index) for an opportunity in segment `s`, among
/// the edges `world` says are eligible, or none; then learns what was served.
pub(crate) trait Policy {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize>;
    fn served(&mut self, _e: Option<usize>, _world: &World) {}
}

/// The score rule over the artifact ([`ServingRule`]), translated to instance indices: the
/// rule's choice for a day whose eligibility only turns false ([`ServingRule::choose_monotone`]).
pub(crate) struct Exported {
    pub rule: ServingRule,
    pub ranking: Ranking,
    /// Artifact segment index of each instance segment.
    pub segment: Vec<usize>,
    /// Instance edge index of each artifact edge, or none when edge `k` is edge `k`.
    pub edge: Option<Vec<usize>>,
}

impl Policy for Exported {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let Exported { rule, ranking, segment, edge } = self;
        let to_instance = |j: usize| edge.as_ref().map_or(j, |edge| edge[j]);
        match rule.choose_monotone(segment[s], ranking, |j| world.eligible(to_instance(j))) {
            Choice::Edge(j) => Some(to_instance(j)),
            Choice::Unserved => None,
        }
    }
}

/// Serves the eligible edge of the highest raw value `c_e` (ties: the first in instance order);
/// ads drop out when their campaign cannot pay.
pub(crate) struct NoPacing {
    /// Each segment's edges ranked by value.
    ranking: Ranking,
}

impl NoPacing {
    pub fn new(world: &World, value: &[f64]) -> Self {
        NoPacing { ranking: Ranking::new(&world.segment_start, &world.segment_edges, |e| value[e]) }
    }
}

impl Policy for NoPacing {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        self.ranking.first_eligible(s, |e| world.eligible(e))
    }
}

mod online_dual;
pub(crate) use online_dual::OnlineDual;

#[cfg(test)]
mod tests;
