//! The ranked policies choose exactly as the scans they replaced: every segment's edges read
//! for every opportunity, in instance order, with the reference score rule
//! ([`ServingRule::choose`]). Same stream, same served impressions, bit for bit.

use proptest::prelude::*;

use agora_instances::{generate, with_budgets_scaled, with_every_rule_kind, Size};
use agora_solver::{edge_value, solve, Formulation, Settings, Status};

use super::*;
use crate::export::{build, ExportOptions};
use crate::simulate::{replay, SimulationConfig, World};

/// The exported policy by [`ServingRule::choose`], every segment edge looked at.
struct ScanExported(Exported);

impl Policy for ScanExported {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let Exported { rule, segment, edge, .. } = &mut self.0;
        let to_instance = |j: usize| edge.as_ref().map_or(j, |edge| edge[j]);
        match rule.choose(segment[s], |j| world.eligible(to_instance(j))) {
            Choice::Edge(j) => Some(to_instance(j)),
            Choice::Unserved => None,
        }
    }
}

/// `no_pacing` as a scan: the first eligible edge of highest value, in instance order.
struct ScanNoPacing(Vec<f64>);

impl Policy for ScanNoPacing {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let mut best = None;
        let mut best_value = f64::NEG_INFINITY;
        for &e in world.edges_of(s) {
            if self.0[e] > best_value && world.eligible(e) {
                best_value = self.0[e];
                best = Some(e);
            }
        }
        best
    }
}

/// `online_dual` as a scan of every eligible edge's score, in instance order, stepping every
/// dual at every opportunity.
struct ScanOnlineDual<'a>(OnlineDual<'a>);

impl Policy for ScanOnlineDual<'_> {
    fn choose(&mut self, s: usize, world: &World) -> Option<usize> {
        let mut best = None;
        let mut best_score = 0.0;
        for &e in world.edges_of(s) {
            if world.eligible(e) {
                let sc = self.0.score(e, world.x[e]);
                if sc > best_score || (best.is_none() && sc == best_score) {
                    best_score = sc;
                    best = Some(e);
                }
            }
        }
        best
    }
    fn served(&mut self, e: Option<usize>, _world: &World) {
        self.0.served_every_dual(e);
    }
}

/// The served impressions of `policy` over the stream of `config`.
fn served(world: &mut World, config: &SimulationConfig, policy: &mut dyn Policy) -> Vec<f64> {
    replay(config, world, policy);
    world.x.clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// On tiny and small days, LP and QP, with and without every kind of rule, with budgets tight or loose and streams short or long
    /// enough to exhaust them, each ranked policy serves what its scan serves.
    #[test]
    fn ranked_policies_serve_as_their_scans(
        day in 0u64..10_000,
        small in any::<bool>(),
        every_kind in any::<bool>(),
        tightness in 0.02f64..1.0,
        rho in prop_oneof![Just(0.0), 0.01f64..2.0],
        arrivals in 1usize..3000,
        seed in any::<u64>(),
    ) {
        let mut inst = with_budgets_scaled(generate(if small { Size::Small } else { Size::Tiny }, day), tightness);
        if every_kind {
            inst = with_every_rule_kind(inst);
        }
        inst.objective.regularization = rho;
        let sol = solve(&inst, &Settings::default()).unwrap();
        prop_assume!(sol.status == Status::Optimal);
        let artifact = build(&inst, &agora_serving::content_hash(b"day"), &sol.to_file(&inst), &ExportOptions::default()).unwrap();
        let config = SimulationConfig { arrivals, seed };
        let total: f64 = inst.segments.iter().map(|s| s.supply).sum();
        let k = total / arrivals as f64;
        let mut world = World::new(&inst, k);
        let model = Formulation::new(&inst);

        let ranked = served(&mut world, &config, &mut crate::simulate::exported_policy(&inst, &artifact).unwrap());
        let scanned = served(&mut world, &config, &mut ScanExported(crate::simulate::exported_policy(&inst, &artifact).unwrap()));
        prop_assert_eq!(ranked, scanned, "exported");

        let value: Vec<f64> = (0..inst.edges.len()).map(|e| edge_value(&inst, e)).collect();
        let mut no_pacing = NoPacing::new(&world, &value);
        let ranked = served(&mut world, &config, &mut no_pacing);
        let scanned = served(&mut world, &config, &mut ScanNoPacing(value.clone()));
        prop_assert_eq!(ranked, scanned, "no_pacing");

        let (mut lazy, mut scan) = (OnlineDual::new(&model, value.clone(), &world, arrivals, k), ScanOnlineDual(OnlineDual::new(&model, value, &world, arrivals, k)));
        let ranked = served(&mut world, &config, &mut lazy);
        let scanned = served(&mut world, &config, &mut scan);
        prop_assert_eq!(ranked, scanned, "online_dual");
    }
}
