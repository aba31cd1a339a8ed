//! Learning while planning: what a policy that does not know the true engagement plans each day
//! on, and how it learns from what it serves (docs/horizon.md, "Learning while planning").
//!
//! Each edge carries a Beta belief about its click rate, keyed by segment and item (which keep
//! their indices while the state changes: creators who leave keep their place, new items are
//! appended): `Beta(1, 1)`, or a warm start's posterior ([`WarmCounts`]), then `alpha += k` and
//! `beta += n - k` for each day's `n` impressions and `k` clicks. A click rate is the edge's
//! engagement divided by the horizon's click scale `R` ([`click_scale`]: 1, or day 0's largest
//! engagement when that is above 1), so that it is a probability.
//!
//! Each day the policy plans on, per edge, with `m = alpha / (alpha + beta)`:
//! - `greedy`: `m` (the posterior mean: `(1 + k) / (2 + n)` without a warm start);
//! - `lcb` / `ucb`: `m -/+ w`, clipped to [0, 1], with the empirical-Bernstein width
//!   `w = sqrt(2 m (1 - m) L / N) + 3 L / N`, `N = alpha + beta`, `L = ln(3 E t (t + 1) / 0.05)`
//!   for `E` edges on day `t` (from 1): a bound that holds with probability 0.95 for every edge
//!   and every day at once (Audibert, Munos and Szepesvari 2009, with the 0.05 shared out by a
//!   union bound over edges and days, `sum 1 / (t (t + 1)) = 1`);
//! - `thompson`: one draw from `Beta(alpha, beta)`.
//!
//! Clicks are drawn from the true engagement with the horizon's common random numbers: edge
//! `(s, i)` on day `t` of replica `r` draws one uniform `u` from a stream of the seed, `r`, `t`,
//! `s` and `i`, whatever the policy, and its clicks are the `u`-quantile of
//! `Binomial(n, p)` ([`binomial_quantile`]): two policies that serve an edge alike on a day see the
//! same clicks, and one that serves it more sees at least as many.

use std::collections::HashMap;

use agora_instances::logs::Logs;
use agora_instances::{EngagementEstimate, Evidence, Instance};
use rand::rngs::StdRng;
use rand_distr::Distribution;
use serde::Serialize;

use super::policy::Engagement;
use crate::offpolicy::{self, EstimateSettings, OffPolicyError, Prior};

/// What a policy believes about one edge's click rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Belief {
    /// `1 +` clicks (or the warm start's posterior `a`).
    pub alpha: f64,
    /// `1 +` impressions without a click (or the warm start's posterior `b`).
    pub beta: f64,
    /// Logged rounds of the warm start plus impressions served: the edge's `n`, which an
    /// `exploration_floor` reads.
    pub n: u64,
}

impl Default for Belief {
    fn default() -> Self {
        Belief { alpha: 1.0, beta: 1.0, n: 0 }
    }
}

impl Belief {
    /// The posterior mean `alpha / (alpha + beta)`.
    pub fn mean(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    /// The empirical-Bernstein interval `m -/+ w` (module docs) with log term `l`, clipped to [0, 1].
    pub fn bounds(&self, l: f64) -> (f64, f64) {
        let n = self.alpha + self.beta;
        let m = self.mean();
        let w = (2.0 * m * (1.0 - m) * l / n).sqrt() + 3.0 * l / n;
        ((m - w).max(0.0), (m + w).min(1.0))
    }
}

/// The log term `L = ln(3 E t (t + 1) / 0.05)` of day `day` (from 0) of a day with `edges` edges.
pub fn log_term(edges: usize, day: usize) -> f64 {
    let t = (day + 1) as f64;
    (3.0 * edges.max(1) as f64 * t * (t + 1.0) / 0.05).ln()
}

/// The horizon's click scale `R`: engagement over `R` is a click probability. 1 unless day 0
/// has an engagement above 1 (engagement on another scale than a click rate).
pub fn click_scale(inst: &Instance) -> f64 {
    inst.edges.iter().map(|e| e.engagement).fold(1.0, f64::max)
}

/// A learning policy's start: each edge's belief from logged feedback, through `agora
/// estimate`'s estimator and prior (the same for every learning policy of a horizon).
#[derive(Debug, Clone, PartialEq)]
pub struct WarmCounts {
    beliefs: HashMap<(usize, usize), Belief>,
    /// What the start was made from, for the horizon's files.
    pub summary: WarmSummary,
}

/// Where a warm start came from (written to `horizon.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarmSummary {
    /// The logs' file, as given.
    pub logs: String,
    /// `ips` or `snips`.
    pub estimator: &'static str,
    /// `empirical-bayes` or `none`.
    pub prior: &'static str,
    /// Rounds in the log.
    pub rounds: usize,
    /// Edges of day 0 with at least one logged round.
    pub edges_logged: usize,
    /// The empirical-Bayes prior's strength (pseudo-rounds), when that prior is used.
    pub kappa: Option<f64>,
}

impl WarmCounts {
    /// Each edge of `inst` (day 0) believed as `agora estimate` estimates it from `logs` under
    /// `settings`: an estimate `g` worth `S` rounds (the estimate's `strength`) becomes
    /// `Beta(q S, (1 - q) S)` with `q = g / R`, the empirical-Bayes posterior itself; without a
    /// prior, `Beta(1 + q S, 1 + (1 - q) S)` (the uniform prior of a cold start, updated by the
    /// `S` effective rounds). `n` is the edge's logged rounds. `source` names the logs.
    pub fn from_logs(inst: &Instance, logs: &Logs, settings: &EstimateSettings, source: &str) -> Result<WarmCounts, OffPolicyError> {
        let (_, estimates, summary) = offpolicy::estimate(inst, logs, settings)?;
        let scale = click_scale(inst);
        let base = if settings.prior == Prior::None { 1.0 } else { 0.0 };
        let beliefs = inst
            .edges
            .iter()
            .zip(&estimates)
            .map(|(edge, est)| {
                let q = (est.engagement / scale).clamp(0.0, 1.0);
                let s = est.strength.max(0.0);
                // A belief must stay a proper Beta (both parameters above 0).
                let belief = Belief { alpha: (base + q * s).max(1e-9), beta: (base + (1.0 - q) * s).max(1e-9), n: est.evidence.n };
                ((edge.segment, edge.item), belief)
            })
            .collect();
        let summary = WarmSummary {
            logs: source.to_string(),
            estimator: settings.estimator.as_str(),
            prior: match settings.prior {
                Prior::EmpiricalBayes => "empirical-bayes",
                Prior::None => "none",
            },
            rounds: summary.rounds,
            edges_logged: summary.edges_logged,
            kappa: summary.kappa,
        };
        Ok(WarmCounts { beliefs, summary })
    }

    /// A warm start from beliefs given directly, keyed by (segment, item) indices of day 0 (for
    /// tests and callers that hold counts rather than logs).
    pub fn from_beliefs(beliefs: HashMap<(usize, usize), Belief>, summary: WarmSummary) -> WarmCounts {
        WarmCounts { beliefs, summary }
    }

    /// The belief about edge (segment `s`, item `i`), if the start has one.
    pub fn belief(&self, s: usize, i: usize) -> Option<Belief> {
        self.beliefs.get(&(s, i)).copied()
    }
}

/// One learning policy's beliefs over a run.
#[derive(Debug, Clone)]
pub struct Learner {
    beliefs: HashMap<(usize, usize), Belief>,
    scale: f64,
}

impl Learner {
    /// A learner for a run from day 0 `inst`, starting from `warm` (else `Beta(1, 1)` everywhere).
    pub fn new(inst: &Instance, warm: Option<&WarmCounts>) -> Learner {
        Learner { beliefs: warm.map(|w| w.beliefs.clone()).unwrap_or_default(), scale: click_scale(inst) }
    }

    /// The belief about edge (segment `s`, item `i`).
    pub fn belief(&self, s: usize, i: usize) -> Belief {
        self.beliefs.get(&(s, i)).copied().unwrap_or_default()
    }

    /// The click scale `R`.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The day to plan on, day `t` (from 0): `truth` with each edge's engagement replaced by what
    /// `how` makes of its belief (times `R`), its evidence by the belief's `n` and interval, and
    /// the objective reading that engagement as it is (`engagement_estimate: point`). The rules
    /// are the truth's: no rule of agora.instance/v1 reads engagement (a test holds them to it),
    /// so the policy's optimism or pessimism reaches the objective only and never makes a plan
    /// that breaks a rule. `rng` draws Thompson's samples, in edge order.
    pub fn plan_day(&self, truth: &Instance, how: Engagement, t: usize, rng: &mut StdRng) -> Instance {
        let mut day = truth.clone();
        let l = log_term(day.edges.len(), t);
        let mut evidence = Vec::with_capacity(day.edges.len());
        for edge in day.edges.iter_mut() {
            let b = self.belief(edge.segment, edge.item);
            let (lo, hi) = b.bounds(l);
            let q = match how {
                Engagement::Oracle => edge.engagement / self.scale,
                Engagement::Greedy => b.mean(),
                Engagement::Lcb => lo,
                Engagement::Ucb => hi,
                Engagement::Thompson => rand_distr::Beta::new(b.alpha, b.beta).map(|d| d.sample(rng)).unwrap_or_else(|_| b.mean()),
            };
            edge.engagement = q * self.scale;
            evidence.push(Evidence { n: b.n, lcb: lo * self.scale, ucb: hi * self.scale });
        }
        day.evidence = evidence;
        day.objective.engagement_estimate = EngagementEstimate::Point;
        day
    }

    /// Learns from one day of `day` (its edges in order): `served[e]` impressions and `clicks[e]`
    /// clicks on edge `e`.
    pub fn observe(&mut self, day: &Instance, served: &[u64], clicks: &[u64]) {
        for ((edge, &n), &k) in day.edges.iter().zip(served).zip(clicks) {
            if n == 0 {
                continue;
            }
            let b = self.beliefs.entry((edge.segment, edge.item)).or_default();
            b.alpha += k as f64;
            b.beta += (n - k) as f64;
            b.n += n;
        }
    }
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Streams drawn from a day's seed, apart from the transitions' stream (so that adding a
/// learning policy changes no oracle policy's history).
const CLICKS: u64 = 0x636c_6963_6b73;
const THOMPSON: u64 = 0x7468_6f6d_7073_6f6e;

/// The seed of Thompson's draws on a day whose transitions are seeded by `day_seed`.
pub fn thompson_seed(day_seed: u64) -> u64 {
    mix(day_seed ^ THOMPSON)
}

/// The uniform in (0, 1) of edge (segment `s`, item `i`) on a day seeded by `day_seed`.
pub fn click_uniform(day_seed: u64, s: usize, i: usize) -> f64 {
    let h = mix(mix(mix(day_seed ^ CLICKS) ^ s as u64) ^ i as u64);
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// One day's impressions (the plan `x` rounded to whole impressions) and clicks per edge of
/// `truth`, drawn from its engagement over `scale` with the day's common random numbers.
pub fn draw_clicks(truth: &Instance, x: &[f64], scale: f64, day_seed: u64) -> (Vec<u64>, Vec<u64>) {
    let served: Vec<u64> = x.iter().map(|&v| if v > 0.0 { v.round() as u64 } else { 0 }).collect();
    let clicks = truth
        .edges
        .iter()
        .zip(&served)
        .map(|(edge, &n)| {
            if n == 0 {
                return 0;
            }
            let p = (edge.engagement / scale).clamp(0.0, 1.0);
            binomial_quantile(n, p, click_uniform(day_seed, edge.segment, edge.item))
        })
        .collect();
    (served, clicks)
}

/// The `u`-quantile of `Binomial(n, p)`: the least `k` with `P(X <= k) >= u`. Exact (a walk from
/// the mode over the probabilities, the mode's cumulative probability from the regularised
/// incomplete beta function) while the variance `n p (1 - p)` is below 10^6; above it, the
/// normal quantile, rounded (then off by less than 10^-3 of a standard deviation).
pub fn binomial_quantile(n: u64, p: f64, u: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let nf = n as f64;
    let var = nf * p * (1.0 - p);
    if var > 1e6 {
        let z = statrs::distribution::ContinuousCDF::inverse_cdf(&statrs::distribution::Normal::standard(), u.clamp(1e-300, 1.0 - 1e-16));
        return (nf * p + var.sqrt() * z).round().clamp(0.0, nf) as u64;
    }
    let mode = (((nf + 1.0) * p).floor() as u64).min(n);
    let ln_pmf = |k: u64| {
        let k = k as f64;
        statrs::function::gamma::ln_gamma(nf + 1.0) - statrs::function::gamma::ln_gamma(k + 1.0) - statrs::function::gamma::ln_gamma(nf - k + 1.0)
            + k * p.ln()
            + (nf - k) * (1.0 - p).ln()
    };
    // P(X <= mode) = I_{1-p}(n - mode, mode + 1).
    let mut cdf = if mode == n { 1.0 } else { statrs::function::beta::beta_reg(nf - mode as f64, mode as f64 + 1.0, 1.0 - p) };
    let mut pmf = ln_pmf(mode).exp();
    let mut k = mode;
    let ratio = p / (1.0 - p);
    if u <= cdf {
        // Walk down while P(X <= k - 1) = P(X <= k) - P(X = k) still reaches u.
        while k > 0 && cdf - pmf >= u && pmf > 0.0 {
            cdf -= pmf;
            pmf *= k as f64 / ((nf - k as f64 + 1.0) * ratio);
            k -= 1;
        }
    } else {
        while k < n && cdf < u {
            pmf *= (nf - k as f64) / (k as f64 + 1.0) * ratio;
            k += 1;
            cdf += pmf;
            if pmf <= 0.0 {
                break;
            }
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact quantile by summing the probabilities from 0 (small n only).
    fn quantile_by_sum(n: u64, p: f64, u: f64) -> u64 {
        let mut cdf = 0.0;
        for k in 0..=n {
            let ln = statrs::function::factorial::ln_binomial(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln();
            cdf += ln.exp();
            if cdf >= u {
                return k;
            }
        }
        n
    }

    #[test]
    fn the_quantile_walk_matches_the_sum_from_zero() {
        for &(n, p) in &[(1u64, 0.3), (10, 0.05), (400, 0.052), (400, 0.5), (1000, 0.02), (150, 0.9), (3000, 0.004)] {
            for j in 1..200 {
                let u = j as f64 / 200.0 - 0.001;
                assert_eq!(binomial_quantile(n, p, u), quantile_by_sum(n, p, u), "n {n} p {p} u {u}");
            }
        }
    }

    #[test]
    fn the_quantile_is_monotone_in_impressions_and_its_mean_is_n_p() {
        // Common random numbers: the same uniform, more impressions, never fewer clicks.
        for j in 0..50 {
            let u = click_uniform(7, j, 3);
            let mut last = 0;
            for n in (0..2000).step_by(37) {
                let k = binomial_quantile(n, 0.05, u);
                assert!(k >= last, "u {u}: {k} clicks at {n} impressions after {last}");
                last = k;
            }
        }
        // Over many uniforms the clicks average n p (the uniforms are uniform).
        let (n, p) = (400, 0.052);
        let draws: Vec<f64> = (0..20_000).map(|j| binomial_quantile(n, p, click_uniform(3, j, 1)) as f64).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd = (n as f64 * p * (1.0 - p) / draws.len() as f64).sqrt();
        assert!((mean - n as f64 * p).abs() < 4.0 * sd, "mean {mean} against {}", n as f64 * p);
        // Above the exact walk's range the normal quantile: its mean too.
        let big = binomial_quantile(1_000_000_000, 0.3, 0.5) as f64;
        assert!((big - 3e8).abs() <= 1.0);
    }

    #[test]
    fn bounds_hold_the_mean_and_narrow_with_evidence() {
        let b = Belief { alpha: 1.0 + 20.0, beta: 1.0 + 380.0, n: 400 };
        let l = log_term(10, 0);
        let (lo, hi) = b.bounds(l);
        assert!(lo < b.mean() && b.mean() < hi);
        // By hand: m = 21/402, N = 402, L = ln(3 * 10 * 1 * 2 / 0.05) = ln(1200).
        let m: f64 = 21.0 / 402.0;
        let w = (2.0 * m * (1.0 - m) * 1200f64.ln() / 402.0).sqrt() + 3.0 * 1200f64.ln() / 402.0;
        assert!((hi - (m + w)).abs() < 1e-15 && (lo - (m - w).max(0.0)).abs() < 1e-15);
        let more = Belief { alpha: 1.0 + 2000.0, beta: 1.0 + 38000.0, n: 40_000 };
        let (lo2, hi2) = more.bounds(l);
        assert!(hi2 - lo2 < (hi - lo) / 5.0);
    }
}
