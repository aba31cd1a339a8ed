//! An estimate's noise from finite impressions: each design's plans served `replicas` times to
//! `arrivals` impression opportunities, the estimate taken on what was served, and its spread
//! across replicas the standard error; the power to detect the effect the exact plans show.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution};

use agora_instances::{Instance, ItemKind};

/// `--arrivals N --replicas R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseConfig {
    /// Impression opportunities of the whole market (both arms), each a `supply / N` share of
    /// its segment's impressions.
    pub arrivals: usize,
    /// Independent servings (at least 2).
    pub replicas: usize,
}

/// A metric's noise under a design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// The standard deviation of the estimate across the replicas.
    pub std_error: f64,
    /// The probability that a two-sided 5% test rejects "no effect" when the effect is the one
    /// the exact plans estimate (normal approximation): `Phi(|e| / se - 1.96) + Phi(-|e| / se -
    /// 1.96)`.
    pub power: f64,
}

/// The creators a creator-split treats: in each creator group of `n` creators, `round(f n)` of
/// them (at least one and at most `n - 1` where the group has two or more, so that each group
/// has both arms; a group of one is treated with probability `f`), drawn with `seed`.
pub fn draw_creators(day: &Instance, f: f64, seed: u64) -> Vec<bool> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6372_6561_746f_7273);
    let mut treated = vec![false; day.creators.len()];
    for g in super::metrics::groups(day) {
        let members: Vec<usize> = (0..day.creators.len()).filter(|&c| day.creators[c].group == g).collect();
        let n = members.len();
        let k = if n >= 2 { ((f * n as f64).round() as usize).clamp(1, n - 1) } else { usize::from(rng.random::<f64>() < f) };
        for i in rand::seq::index::sample(&mut rng, n, k.min(n)) {
            treated[members[i]] = true;
        }
    }
    treated
}

/// Serves `plans` (one per day of `days`) `cfg.replicas` times and returns, per metric, the
/// spread of `estimator`'s estimate and the power to detect `exact` (the estimate of the exact
/// plans).
pub fn simulate(
    days: &[Instance],
    plans: &[Vec<f64>],
    estimator: &dyn Fn(&[Vec<f64>]) -> super::ArmsAndEstimates,
    exact: &[Option<f64>],
    cfg: &NoiseConfig,
    seed: u64,
) -> Vec<Option<Noise>> {
    let total: f64 = days.iter().flat_map(|d| &d.segments).map(|s| s.supply).sum();
    let per_arrival = total / cfg.arrivals.max(1) as f64;
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); exact.len()];
    for r in 0..cfg.replicas {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(r as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let served: Vec<Vec<f64>> = days.iter().zip(plans).map(|(d, x)| serve(d, x, per_arrival, &mut rng)).collect();
        let (_, est) = estimator(&served);
        for (k, e) in est.iter().enumerate() {
            if let Some(v) = e {
                samples[k].push(*v);
            }
        }
    }
    samples
        .iter()
        .zip(exact)
        .map(|(s, e)| {
            let e = (*e)?;
            if s.len() < 2 {
                return None;
            }
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            let se = (s.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (s.len() - 1) as f64).sqrt();
            Some(Noise { std_error: se, power: power(e, se) })
        })
        .collect()
}

/// The power of a two-sided 5% z-test for an effect `e` with standard error `se`.
pub fn power(e: f64, se: f64) -> f64 {
    if se <= 0.0 {
        return if e != 0.0 { 1.0 } else { 0.05 };
    }
    let z = e.abs() / se;
    phi(z - 1.959_963_984_540_054) + phi(-z - 1.959_963_984_540_054)
}

/// The standard normal distribution function.
fn phi(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map(|n| n.cdf(z)).unwrap_or(0.5)
}

/// One serving of plan `x` on `day`: each segment's arrivals (its supply over `per_arrival`,
/// rounded at random) each shown an edge with probability `x_e / supply` (or nothing), counted
/// as `per_arrival` impressions; a campaign's impressions past its budget are not served (the
/// pacer stops it), the last ones first.
fn serve(day: &Instance, x: &[f64], per_arrival: f64, rng: &mut StdRng) -> Vec<f64> {
    let mut by_segment: Vec<Vec<usize>> = vec![Vec::new(); day.segments.len()];
    for (e, edge) in day.edges.iter().enumerate() {
        if x[e] > 0.0 {
            by_segment[edge.segment].push(e);
        }
    }
    let mut served = vec![0.0; day.edges.len()];
    for (s, edges) in by_segment.iter().enumerate() {
        let supply = day.segments[s].supply;
        let expected = supply / per_arrival;
        let mut left = expected.floor() as u64 + u64::from(rng.random::<f64>() < expected.fract());
        // Multinomial counts as successive binomials over the rest of the probability.
        let mut rest = 1.0;
        for &e in edges {
            let p = (x[e] / supply).clamp(0.0, 1.0);
            if left == 0 || rest <= 0.0 {
                break;
            }
            let q = (p / rest).clamp(0.0, 1.0);
            let k = Binomial::new(left, q).map(|b| b.sample(rng)).unwrap_or(0);
            served[e] = k as f64 * per_arrival;
            left -= k;
            rest -= p;
        }
    }
    // Budgets: a campaign's ads are served until its budget is spent.
    for (a, campaign) in day.campaigns.iter().enumerate() {
        let ads: Vec<usize> = (0..day.edges.len())
            .filter(|&e| day.items[day.edges[e].item].kind() == ItemKind::Ad && day.items[day.edges[e].item].campaign() == Some(a))
            .collect();
        let spend: f64 = ads.iter().map(|&e| served[e] * day.edges[e].price).sum();
        if spend > campaign.budget && spend > 0.0 {
            let keep = campaign.budget / spend;
            for &e in &ads {
                served[e] *= keep;
            }
        }
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_is_five_percent_at_no_effect_and_grows_with_it() {
        assert!((power(0.0, 1.0) - 0.05).abs() < 1e-9);
        assert!((power(1.959_963_984_540_054, 1.0) - 0.5).abs() < 0.001);
        assert!((power(2.8, 1.0) - 0.80).abs() < 0.002, "{}", power(2.8, 1.0));
        assert!(power(10.0, 1.0) > 0.999);
    }
}
