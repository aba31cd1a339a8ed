use std::path::Path;

use agora_instances::logs::{Logs, Round};
use agora_instances::Instance;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn day(segments: &[(&str, f64)], items: &[&str], engagement: &[&[f64]]) -> Instance {
    let segs: Vec<String> = segments.iter().map(|(id, supply)| format!(r#"{{"id": "{id}", "supply": {supply}}}"#)).collect();
    let its: Vec<String> =
        items.iter().map(|id| format!(r#"{{"id": "{id}", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}}"#)).collect();
    let mut edges = Vec::new();
    for (s, row) in engagement.iter().enumerate() {
        for (i, &g) in row.iter().enumerate() {
            edges.push(format!(r#"{{"segment": "{}", "item": "{}", "engagement": {g}}}"#, segments[s].0, items[i]));
        }
    }
    let text = format!(
        r#"{{"schema": "agora.instance/v1", "name": "d", "creators": [{{"id": "c"}}], "segments": [{}], "items": [{}], "edges": [{}]}}"#,
        segs.join(","),
        its.join(","),
        edges.join(",")
    );
    agora_instances::parse_str(&text, Path::new("d.json")).unwrap().instance
}

fn logs(text: &str) -> Logs {
    Logs::read_from(text.as_bytes(), Path::new("l.csv")).unwrap()
}

const HAND: &str = "segment,item,reward,propensity\ns,a,1,0.5\ns,a,0,0.5\ns,b,1,0.25\ns,b,0,0.75\n";

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn ips_snips_and_dr_values_by_hand() {
    let d = day(&[("s", 100.0)], &["a", "b"], &[&[0.1, 0.2]]);
    let l = logs(HAND);
    let pi = Policy::from_plan(&d, &[75.0, 25.0], "plan");
    close(pi.prob[0], 0.75);
    // w = 0.75/0.5, 0.75/0.5, 0.25/0.25, 0.25/0.75 = 1.5, 1.5, 1, 1/3.
    let ips = evaluate(&d, &l, &pi, Estimator::Ips).unwrap();
    close(ips.value, 2.5 / 4.0);
    // y = 1.5, 0, 1, 0: sample variance 1.6875 / 3, over n = 4.
    close(ips.std_error, 0.375);
    close(ips.ci95[0], 0.625 - Z95 * 0.375);
    close(ips.effective_sample_size, (13.0f64 / 3.0).powi(2) / (4.5 + 1.0 + 1.0 / 9.0));
    close(ips.max_weight, 1.5);
    close(ips.logged_mean_reward, 0.5);
    let snips = evaluate(&d, &l, &pi, Estimator::Snips).unwrap();
    close(snips.value, 2.5 / (13.0 / 3.0));
    let v: f64 = 2.5 / (13.0 / 3.0);
    let num = 2.25 * (1.0 - v) * (1.0 - v) + 2.25 * v * v + (1.0 - v) * (1.0 - v) + v * v / 9.0;
    close(snips.std_error, num.sqrt() / (13.0 / 3.0));
    // DR: model value 0.75 * 0.1 + 0.25 * 0.2 = 0.125, plus w (r - q) per round.
    let dr = evaluate(&d, &l, &pi, Estimator::Dr).unwrap();
    close(dr.value, (0.125 + 1.5 * 0.9 + 0.125 - 1.5 * 0.1 + 0.125 + 0.8 + 0.125 - 0.2 / 3.0) / 4.0);
}

#[test]
fn per_edge_estimates_by_hand() {
    let d = day(&[("s", 100.0)], &["a", "b", "c"], &[&[0.1, 0.2, 0.3]]);
    let l = logs(HAND);
    let none = |estimator| EstimateSettings { estimator, prior: Prior::None };
    let (out, est, summary) = estimate(&d, &l, &none(Estimator::Snips)).unwrap();
    // a: weights 2, 2 with rewards 1, 0: m = 0.5, var = (4 * 0.25 * 2) / 16.
    close(est[0].engagement, 0.5);
    close(est[0].evidence.ucb, 0.5 + Z95 * (0.125f64).sqrt());
    assert_eq!(est[0].evidence.n, 2);
    // b: weights 4 and 4/3 with rewards 1, 0: m = 4 / (16/3) = 0.75.
    close(est[1].engagement, 0.75);
    close(est[1].evidence.lcb, (0.75 - Z95 * (2.0f64 / (256.0 / 9.0)).sqrt()).max(0.0));
    // c: never logged: the day's engagement, the whole reward range.
    assert_eq!((est[2].engagement, est[2].evidence.n, est[2].evidence.lcb, est[2].evidence.ucb), (0.3, 0, 0.0, 1.0));
    assert_eq!((summary.edges_logged, summary.edges_unlogged, summary.outside_day), (2, 1, 0));
    assert_eq!(out.edges[1].engagement, 0.75);
    assert_eq!(out.evidence.len(), 3);
    let (_, ips, _) = estimate(&d, &l, &none(Estimator::Ips)).unwrap();
    // a: y = 2, 0, 0, 0 over the segment's 4 rounds: m = 0.5, var = (4 - 4 * 0.25) / (4 * 3).
    close(ips[0].engagement, 0.5);
    close(ips[0].evidence.ucb, 0.5 + Z95 * 0.25f64.sqrt());
    // b: y = 0, 0, 4, 0: m = 1, var = (16 - 4) / 12.
    close(ips[1].engagement, 1.0);
    assert!(estimate(&d, &l, &EstimateSettings { estimator: Estimator::Dr, prior: Prior::None }).is_err());
}

#[test]
fn logs_of_another_day_and_unsupported_policies_are_refused() {
    let d = day(&[("s", 100.0)], &["a", "b"], &[&[0.1, 0.2]]);
    let other = logs("segment,item,reward,propensity\nx,a,1,0.5\n");
    assert!(matches!(Linked::new(&d, &other), Err(OffPolicyError::NoOverlap { .. })));
    let only_b = Policy::from_plan(&d, &[0.0, 10.0], "b only");
    assert!(matches!(evaluate(&d, &logs("segment,item,reward,propensity\ns,a,1,0.5\n"), &only_b, Estimator::Snips), Err(OffPolicyError::NoSupport)));
}

/// A synthetic world: segment probabilities, true click rates, a logging policy.
struct World {
    seg_p: Vec<f64>,
    q: Vec<Vec<f64>>,
    logging: Vec<Vec<f64>>,
}

impl World {
    fn logs(&self, rounds: usize, rng: &mut StdRng) -> Logs {
        let n_items = self.q[0].len();
        let mut l = Logs {
            segments: (0..self.seg_p.len()).map(|s| format!("s{s}")).collect(),
            items: (0..n_items).map(|i| format!("i{i}")).collect(),
            rounds: Vec::with_capacity(rounds),
        };
        let draw = |p: &[f64], rng: &mut StdRng| {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            for (k, &v) in p.iter().enumerate() {
                acc += v;
                if u < acc {
                    return k;
                }
            }
            p.len() - 1
        };
        for _ in 0..rounds {
            let s = draw(&self.seg_p, rng);
            let i = draw(&self.logging[s], rng);
            let reward = if rng.random::<f64>() < self.q[s][i] { 1.0 } else { 0.0 };
            l.rounds.push(Round { segment: s as u32, item: i as u32, reward, propensity: self.logging[s][i], position: None });
        }
        l
    }

    fn day(&self, model_bias: f64) -> Instance {
        let segs: Vec<(String, f64)> = (0..self.seg_p.len()).map(|s| (format!("s{s}"), 1000.0)).collect();
        let items: Vec<String> = (0..self.q[0].len()).map(|i| format!("i{i}")).collect();
        let rows: Vec<Vec<f64>> = self.q.iter().map(|r| r.iter().map(|v| v + model_bias).collect()).collect();
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let sr: Vec<(&str, f64)> = segs.iter().map(|(a, b)| (a.as_str(), *b)).collect();
        let ir: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        day(&sr, &ir, &refs)
    }
}

fn world() -> World {
    World {
        seg_p: vec![0.5, 0.3, 0.2],
        q: vec![vec![0.10, 0.30, 0.20, 0.45], vec![0.25, 0.15, 0.40, 0.10], vec![0.35, 0.20, 0.12, 0.30]],
        logging: vec![vec![0.4, 0.3, 0.2, 0.1], vec![0.1, 0.4, 0.3, 0.2], vec![0.2, 0.1, 0.4, 0.3]],
    }
}

#[test]
fn policy_value_intervals_cover_the_truth_at_their_stated_rate() {
    let w = world();
    // The reward model DR uses is off by +0.05 everywhere: DR stays unbiased.
    let d = w.day(0.05);
    let x = [10.0, 20.0, 30.0, 40.0, 40.0, 30.0, 20.0, 10.0, 25.0, 25.0, 25.0, 25.0];
    let pi = Policy::from_plan(&d, &x, "plan");
    let truth: f64 = (0..3).map(|s| w.seg_p[s] * (0..4).map(|i| pi.prob[s * 4 + i] * w.q[s][i]).sum::<f64>()).sum();
    let seeds = 400;
    for est in [Estimator::Ips, Estimator::Snips, Estimator::Dr] {
        let mut covered = 0;
        for seed in 0..seeds {
            let l = w.logs(2000, &mut StdRng::seed_from_u64(seed));
            let ev = evaluate(&d, &l, &pi, est).unwrap();
            covered += (ev.ci95[0] <= truth && truth <= ev.ci95[1]) as usize;
        }
        let rate = covered as f64 / seeds as f64;
        // 400 draws of a 95% event: 2.5 standard deviations either side is [0.923, 0.977].
        assert!((0.92..=0.98).contains(&rate), "{}: coverage {rate}", est.as_str());
    }
}

#[test]
fn edge_intervals_without_a_prior_cover_at_their_stated_rate() {
    let w = world();
    let d = w.day(0.0);
    for estimator in [Estimator::Ips, Estimator::Snips] {
        let (mut covered, mut total) = (0, 0);
        for seed in 0..200 {
            let l = w.logs(5000, &mut StdRng::seed_from_u64(1000 + seed));
            let (_, est, _) = estimate(&d, &l, &EstimateSettings { estimator, prior: Prior::None }).unwrap();
            for (e, edge) in d.edges.iter().enumerate() {
                let q = w.q[edge.segment][edge.item];
                covered += (est[e].evidence.lcb <= q && q <= est[e].evidence.ucb) as usize;
                total += 1;
            }
        }
        let rate = covered as f64 / total as f64;
        assert!((0.92..=0.975).contains(&rate), "{}: coverage {rate}", estimator.as_str());
    }
}

#[test]
fn empirical_bayes_shrinks_sparse_edges_and_its_intervals_cover() {
    // 5 segments x 40 items, true click rates from Beta(4, 16) (mean 0.2), a uniform logging
    // policy and about 20 rounds per edge: raw rates are noisy, the prior is learnable.
    let mut rng = StdRng::seed_from_u64(7);
    let beta = rand_distr::Beta::new(4.0, 16.0).unwrap();
    let (mut covered, mut total, mut se_raw, mut se_eb) = (0, 0, 0.0, 0.0);
    let mut kappas = Vec::new();
    for seed in 0..30 {
        let q: Vec<Vec<f64>> = (0..5).map(|_| (0..40).map(|_| rand_distr::Distribution::sample(&beta, &mut rng)).collect()).collect();
        let w = World { seg_p: vec![0.2; 5], q, logging: vec![vec![1.0 / 40.0; 40]; 5] };
        let d = w.day(0.0);
        let l = w.logs(4000, &mut StdRng::seed_from_u64(seed));
        let (_, est, summary) = estimate(&d, &l, &EstimateSettings::default()).unwrap();
        kappas.push(summary.kappa.unwrap());
        for (e, edge) in d.edges.iter().enumerate() {
            let truth = w.q[edge.segment][edge.item];
            covered += (est[e].evidence.lcb <= truth && truth <= est[e].evidence.ucb) as usize;
            total += 1;
            se_eb += (est[e].engagement - truth).powi(2);
            se_raw += (est[e].raw.unwrap_or(0.2) - truth).powi(2);
        }
    }
    let rate = covered as f64 / total as f64;
    assert!((0.92..=0.985).contains(&rate), "coverage {rate}, kappas {kappas:?}");
    assert!(se_eb < 0.7 * se_raw, "shrinkage should cut the squared error: {se_eb} vs {se_raw}");
    // Beta(4, 16) has kappa = 20; the moment fit should land near it on average.
    let mean_kappa = kappas.iter().sum::<f64>() / kappas.len() as f64;
    assert!((10.0..40.0).contains(&mean_kappa), "kappa {mean_kappa}");
}
