//! Per-edge engagement from logs (`agora estimate`): for every edge `(s, i)` of the day, the value
//! of "always show `i` in `s`", estimated by IPS or SNIPS over the segment's logged rounds, with a
//! 95% interval and, by default, empirical-Bayes shrinkage toward the segment's and the item's
//! means for edges the log rarely shows.
//!
//! Per edge, over the rounds `j` of segment `s` (`n_s` of them), with `w_j = 1[a_j = i] / p_j`:
//! - IPS: `m = sum_j w_j r_j / n_s`, variance `sum_j (w_j r_j - m)^2 / (n_s (n_s - 1))`;
//! - SNIPS: `m = sum_j w_j r_j / sum_j w_j`, variance `sum_j w_j^2 (r_j - m)^2 / (sum_j w_j)^2`
//!   (the delta method);
//! - the edge's effective rounds `n' = (sum w)^2 / sum w^2` over the rounds that showed it.
//!
//! Without a prior the interval is `m +- 1.96 sd` (clipped at 0): fine where an edge has many
//! rounds and some rewards, degenerate where it has few (`[0, 0]` after 30 rounds without a
//! click). The empirical-Bayes prior fixes that. Rewards are scaled into [0, 1] by the largest
//! logged reward `R` (when it exceeds 1); each edge's evidence is `n'` rounds of mean `m / R`; its
//! prior is `Beta(kappa mu_e, kappa (1 - mu_e))` with `mu_e = mu_s mu_i / mu` (segment mean times
//! item mean over the global mean, the estimates' `n'`-weighted means) and `kappa` fitted by the
//! method of moments: for a beta-binomial, `E[(m - mu)^2 / (mu (1 - mu))] = phi + (1 - phi) / n'`
//! with `phi = 1 / (kappa + 1)`, and `kappa` kept in [1, 1e6]. The edge's engagement is the posterior mean and its interval the
//! posterior's 2.5% and 97.5% quantiles, times `R`.

use statrs::distribution::{Beta, ContinuousCDF};

use agora_instances::limits::MAX_PER_IMPRESSION;
use agora_instances::logs::Logs;
use agora_instances::{Evidence, Instance};

use super::{Estimator, Linked, OffPolicyError, Z95};

/// How sparse edges are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// Beta-binomial empirical Bayes toward segment x item means (the default).
    EmpiricalBayes,
    /// No shrinkage: the raw estimate and its normal interval; edges without rounds keep the
    /// day's engagement with the interval `[0, max(R, engagement)]`.
    None,
}

impl std::str::FromStr for Prior {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "empirical-bayes" => Ok(Prior::EmpiricalBayes),
            "none" => Ok(Prior::None),
            _ => Err(format!("unknown prior \"{s}\" (empirical-bayes, none)")),
        }
    }
}

/// What `agora estimate` is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimateSettings {
    /// IPS or SNIPS (DR needs a reward model, which is what is being estimated).
    pub estimator: Estimator,
    /// Shrinkage or none.
    pub prior: Prior,
}

impl Default for EstimateSettings {
    fn default() -> Self {
        EstimateSettings { estimator: Estimator::Snips, prior: Prior::EmpiricalBayes }
    }
}

/// One edge's estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeEstimate {
    /// The engagement written to the day (posterior mean, or the raw estimate).
    pub engagement: f64,
    /// The raw IPS/SNIPS estimate before shrinkage (`None` without rounds).
    pub raw: Option<f64>,
    /// The 95% interval and the logged rounds.
    pub evidence: Evidence,
    /// The rounds' worth of evidence behind `engagement`, in reward units scaled into [0, 1]:
    /// the Beta posterior's `a + b` (prior pseudo-rounds plus effective rounds) under the
    /// empirical-Bayes prior, the effective rounds `n'` without a prior (0 without rounds). What
    /// a learning horizon starts each edge's counts from (docs/horizon.md, "Warm start").
    pub strength: f64,
}

/// What the estimate did, for the command's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateSummary {
    /// Rounds in the log.
    pub rounds: usize,
    /// Rounds whose segment the day lacks (ignored).
    pub outside_day: usize,
    /// Rounds of day segments whose item has no edge there (they count in `n_s` only).
    pub off_edges: usize,
    /// Edges with at least one logged round.
    pub edges_logged: usize,
    /// Edges without.
    pub edges_unlogged: usize,
    /// The fitted prior strength `kappa` (pseudo-rounds), under the empirical-Bayes prior.
    pub kappa: Option<f64>,
    /// The reward scale `R`.
    pub reward_scale: f64,
    /// Edges whose engagement or interval exceeded what a day may hold
    /// ([`agora_instances::limits::MAX_PER_IMPRESSION`]) and were clipped to it.
    pub clipped: usize,
}

/// Sums over the rounds of one edge, and of its segment.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: u64,
    w: f64,
    w2: f64,
    wr: f64,
    w2r: f64,
    w2r2: f64,
}

/// Every edge's estimate, and the day with them written in (`engagement`, `evidence`).
pub fn estimate(inst: &Instance, logs: &Logs, settings: &EstimateSettings) -> Result<(Instance, Vec<EdgeEstimate>, EstimateSummary), OffPolicyError> {
    if settings.estimator == Estimator::Dr {
        return Err(OffPolicyError::Unsupported("the dr estimator needs a reward model, which is what estimate computes: use ips or snips".into()));
    }
    let linked = Linked::new(inst, logs)?;
    let mut sums = vec![Sums::default(); inst.edges.len()];
    for r in &linked.rounds {
        if let Some(e) = r.edge {
            let w = 1.0 / r.propensity;
            let s = &mut sums[e];
            s.n += 1;
            s.w += w;
            s.w2 += w * w;
            s.wr += w * r.reward;
            s.w2r += w * w * r.reward;
            s.w2r2 += w * w * r.reward * r.reward;
        }
    }
    let scale = linked.max_reward.max(1.0);
    // Raw estimates, their variances and effective rounds.
    let raw: Vec<Option<(f64, f64, f64)>> = inst
        .edges
        .iter()
        .zip(&sums)
        .map(|(edge, s)| {
            if s.n == 0 {
                return None;
            }
            let ess = s.w * s.w / s.w2;
            let (m, var) = match settings.estimator {
                Estimator::Ips => {
                    let ns = linked.per_segment[edge.segment] as f64;
                    let m = s.wr / ns;
                    // sum_j (y_j - m)^2 over all n_s rounds, y_j = w_j r_j (0 off the edge).
                    let ss = (s.w2r2 - ns * m * m).max(0.0);
                    (m, if ns > 1.0 { ss / (ns * (ns - 1.0)) } else { 0.0 })
                }
                _ => {
                    let m = s.wr / s.w;
                    (m, ((s.w2r2 - 2.0 * m * s.w2r + m * m * s.w2) / (s.w * s.w)).max(0.0))
                }
            };
            Some((m, var, ess))
        })
        .collect();

    let mut kappa = None;
    let estimates: Vec<EdgeEstimate> = match settings.prior {
        Prior::None => inst
            .edges
            .iter()
            .zip(&raw)
            .zip(&sums)
            .map(|((edge, r), s)| match r {
                Some((m, var, ess)) => {
                    let half = Z95 * var.sqrt();
                    EdgeEstimate { engagement: *m, raw: Some(*m), evidence: Evidence { n: s.n, lcb: (m - half).max(0.0), ucb: m + half }, strength: *ess }
                }
                None => EdgeEstimate {
                    engagement: edge.engagement,
                    raw: None,
                    evidence: Evidence { n: 0, lcb: 0.0, ucb: scale.max(edge.engagement) },
                    strength: 0.0,
                },
            })
            .collect(),
        Prior::EmpiricalBayes => {
            let prior_mean = prior_means(inst, &raw, scale);
            let k = fit_kappa(&raw, &prior_mean, scale);
            kappa = Some(k);
            inst.edges
                .iter()
                .enumerate()
                .map(|(e, _)| {
                    let mu = prior_mean[e];
                    let (succ, fail, raw_m) = match raw[e] {
                        Some((m, _, ess)) => {
                            let q = (m / scale).clamp(0.0, 1.0);
                            (ess * q, ess * (1.0 - q), Some(m))
                        }
                        None => (0.0, 0.0, None),
                    };
                    let (a, b) = (k * mu + succ, k * (1.0 - mu) + fail);
                    let mean = a / (a + b);
                    let (lo, hi) = beta_interval(a, b);
                    EdgeEstimate {
                        engagement: mean * scale,
                        raw: raw_m,
                        evidence: Evidence { n: sums[e].n, lcb: (lo * scale).min(mean * scale), ucb: (hi * scale).max(mean * scale) },
                        strength: a + b,
                    }
                })
                .collect()
        }
    };
    // What a day may hold: rewards up to 1e11 give estimates above the engagement limit, which
    // are clipped (and counted); anything not finite is an error, never a day with a NaN in it.
    let mut estimates = estimates;
    let mut clipped = 0;
    for (e, est) in estimates.iter_mut().enumerate() {
        let values = [est.engagement, est.evidence.lcb, est.evidence.ucb];
        if values.iter().any(|v| !v.is_finite()) {
            let edge = &inst.edges[e];
            return Err(OffPolicyError::NotFinite(format!(
                "the estimate of edge {} -> {} is not finite ({values:?}): the log's weights and rewards overflow",
                inst.segments[edge.segment].id, inst.items[edge.item].id
            )));
        }
        if values.iter().any(|&v| v > MAX_PER_IMPRESSION) {
            clipped += 1;
            est.engagement = est.engagement.min(MAX_PER_IMPRESSION);
            est.evidence.lcb = est.evidence.lcb.min(MAX_PER_IMPRESSION);
            est.evidence.ucb = est.evidence.ucb.min(MAX_PER_IMPRESSION);
        }
    }
    let mut day = inst.clone();
    for (edge, est) in day.edges.iter_mut().zip(&estimates) {
        edge.engagement = est.engagement;
    }
    day.evidence = estimates.iter().map(|e| e.evidence).collect();
    let edges_logged = sums.iter().filter(|s| s.n > 0).count();
    let summary = EstimateSummary {
        rounds: linked.rounds.len(),
        outside_day: linked.outside_day,
        off_edges: linked.off_edges,
        edges_logged,
        edges_unlogged: inst.edges.len() - edges_logged,
        kappa,
        reward_scale: scale,
        clipped,
    };
    Ok((day, estimates, summary))
}

/// Each edge's prior mean, in [0, 1] reward units: segment mean x item mean / global mean.
///
/// The means are weighted by effective rounds and taken without the edge's own rounds (so that
/// the prior does not already hold the evidence it is combined with, which makes intervals too
/// narrow). The segment and item means are themselves shrunk toward the global mean `g` by
/// `1 / g` pseudo-rounds (the rounds it takes to expect one reward): with rare clicks, an item
/// never clicked elsewhere is not evidence that its rate is 0. Kept inside (0, 1).
fn prior_means(inst: &Instance, raw: &[Option<(f64, f64, f64)>], scale: f64) -> Vec<f64> {
    let (mut seg, mut item) = (vec![(0.0, 0.0); inst.segments.len()], vec![(0.0, 0.0); inst.items.len()]);
    let mut all = (0.0, 0.0);
    let own = |r: &Option<(f64, f64, f64)>| r.map_or((0.0, 0.0), |(m, _, ess)| (ess * (m / scale).clamp(0.0, 1.0), ess));
    for (edge, r) in inst.edges.iter().zip(raw) {
        let (sum, weight) = own(r);
        for acc in [&mut seg[edge.segment], &mut item[edge.item], &mut all] {
            acc.0 += sum;
            acc.1 += weight;
        }
    }
    inst.edges
        .iter()
        .zip(raw)
        .map(|(edge, r)| {
            let (own_sum, own_weight) = own(r);
            let rest = |(sum, weight): (f64, f64)| ((sum - own_sum).max(0.0), (weight - own_weight).max(0.0));
            let (gs, gw) = rest(all);
            let global = if gw > 0.0 { gs / gw } else { 0.5 };
            if global <= 0.0 {
                return 1e-6;
            }
            let pseudo = 1.0 / global;
            let shrunk = |(sum, weight): (f64, f64)| (sum + pseudo * global) / (weight + pseudo);
            let mu = shrunk(rest(seg[edge.segment])) * shrunk(rest(item[edge.item])) / global;
            mu.clamp(1e-6, 1.0 - 1e-6)
        })
        .collect()
}

/// The prior strength `kappa` by the method of moments (see the module's docs), in [1, 1e6]: a
/// prior worth less than one round would leave a never-rewarded edge an interval of `[0, 0]`.
fn fit_kappa(raw: &[Option<(f64, f64, f64)>], prior_mean: &[f64], scale: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (r, &mu) in raw.iter().zip(prior_mean) {
        if let Some((m, _, ess)) = r {
            if *ess > 1.0 {
                let z = ((m / scale).clamp(0.0, 1.0) - mu).powi(2) / (mu * (1.0 - mu));
                num += ess * (z - 1.0 / ess);
                den += ess * (1.0 - 1.0 / ess);
            }
        }
    }
    if den <= 0.0 {
        return 1.0;
    }
    let phi = (num / den).clamp(1.0 / (1.0 + 1e6), 0.5);
    1.0 / phi - 1.0
}

/// The 2.5% and 97.5% quantiles of `Beta(a, b)`.
fn beta_interval(a: f64, b: f64) -> (f64, f64) {
    match Beta::new(a, b) {
        Ok(d) => (d.inverse_cdf(0.025), d.inverse_cdf(0.975)),
        Err(_) => (0.0, 1.0),
    }
}
