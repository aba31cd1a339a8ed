//! A plan's value estimated on logs before it is served (`agora evaluate`): the expected reward
//! per impression of the policy `pi(i | s) = x_e / T_s` (the plan's share of segment `s`'s
//! impressions that goes to item `i`), over the log's contexts.
//!
//! With `w_j = pi(a_j | s_j) / p_j` over the `n` rounds in the day's segments:
//! - IPS: `V = sum_j w_j r_j / n`, standard error `sd(w r) / sqrt(n)`;
//! - SNIPS: `V = sum_j w_j r_j / sum_j w_j`, standard error `sqrt(sum_j w_j^2 (r_j - V)^2) / sum_j w_j`;
//! - DR: `V = mean_j [sum_i pi(i | s_j) q(s_j, i) + w_j (r_j - q(s_j, a_j))]` with `q` the day's
//!   engagement (the reward model), standard error `sd / sqrt(n)`.
//!
//! The interval is `V +- 1.96 se`; the effective sample size `(sum w)^2 / sum w^2` says how many
//! rounds' worth of evidence the log holds about this policy. A segment the plan serves nothing
//! in shows nothing: its rounds have weight 0.

use serde::Serialize;

use agora_instances::logs::Logs;
use agora_instances::Instance;

use super::{Estimator, Linked, OffPolicyError, Z95};

/// The `schema` string of evaluation files.
pub const EVALUATION_SCHEMA: &str = "agora.evaluation/v1";

/// The policy evaluated: `pi(e)`, the probability of edge `e` within its segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// What it is, in words (`plan of solution.json`, `uniform`, ...).
    pub label: String,
    /// `pi(e)` per edge; each segment's entries sum to 1, or are all 0 where it shows nothing.
    pub prob: Vec<f64>,
}

impl Policy {
    /// The policy of a plan: `pi(e) = x_e / T_s`.
    pub fn from_plan(inst: &Instance, x: &[f64], label: impl Into<String>) -> Policy {
        Policy::from_weights(inst, x, label)
    }

    /// Every edge of a segment equally likely.
    pub fn uniform(inst: &Instance) -> Policy {
        Policy::from_weights(inst, &vec![1.0; inst.edges.len()], "uniform over each segment's edges")
    }

    /// The empirical action frequencies of a log (what its logging policy showed, per segment),
    /// restricted to the day's edges.
    pub fn empirical(inst: &Instance, logs: &Logs, label: impl Into<String>) -> Result<Policy, OffPolicyError> {
        let linked = Linked::new(inst, logs)?;
        let mut count = vec![0.0; inst.edges.len()];
        for e in linked.rounds.iter().filter_map(|r| r.edge) {
            count[e] += 1.0;
        }
        Ok(Policy::from_weights(inst, &count, label))
    }

    fn from_weights(inst: &Instance, w: &[f64], label: impl Into<String>) -> Policy {
        let mut total = vec![0.0; inst.segments.len()];
        for (edge, &v) in inst.edges.iter().zip(w) {
            total[edge.segment] += v;
        }
        let prob = inst.edges.iter().zip(w).map(|(edge, &v)| if total[edge.segment] > 0.0 { v / total[edge.segment] } else { 0.0 }).collect();
        Policy { label: label.into(), prob }
    }
}

/// `agora.evaluation/v1`: a policy's estimated value on a log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// [`EVALUATION_SCHEMA`].
    pub schema: String,
    /// The day's name.
    pub instance: String,
    /// The policy, in words.
    pub policy: String,
    /// `ips`, `snips` or `dr`.
    pub estimator: String,
    /// The estimated expected reward per impression.
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
    /// The 95% interval `value +- 1.96 std_error`.
    pub ci95: [f64; 2],
    /// `(sum w)^2 / sum w^2`.
    pub effective_sample_size: f64,
    /// Rounds used (those in the day's segments).
    pub rounds: usize,
    /// Rounds whose segment the day lacks (not used).
    pub rounds_outside_day: usize,
    /// Rounds in segments the policy shows nothing in.
    pub rounds_unserved: usize,
    /// The largest importance weight.
    pub max_weight: f64,
    /// The log's mean reward over the rounds used: the logging policy's own value.
    pub logged_mean_reward: f64,
}

/// Estimates `policy`'s value on `logs`.
pub fn evaluate(inst: &Instance, logs: &Logs, policy: &Policy, estimator: Estimator) -> Result<Evaluation, OffPolicyError> {
    let linked = Linked::new(inst, logs)?;
    let mut served = vec![false; inst.segments.len()];
    // Under DR, the reward model's value of the policy in each segment.
    let mut model_value = vec![0.0; inst.segments.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        served[edge.segment] |= policy.prob[e] > 0.0;
        model_value[edge.segment] += policy.prob[e] * edge.engagement;
    }
    let (mut n, mut unserved, mut logged) = (0usize, 0usize, 0.0);
    let (mut sw, mut sw2, mut swr, mut max_w) = (0.0, 0.0, 0.0, 0.0f64);
    // Per-round terms for the variance: (w, r, dr term).
    let mut terms: Vec<(f64, f64, f64)> = Vec::with_capacity(linked.rounds.len());
    for r in &linked.rounds {
        let Some(s) = r.segment else { continue };
        n += 1;
        logged += r.reward;
        if !served[s] {
            unserved += 1;
        }
        let (w, q) = match r.edge {
            Some(e) => (policy.prob[e] / r.propensity, inst.edges[e].engagement),
            None => (0.0, 0.0),
        };
        sw += w;
        sw2 += w * w;
        swr += w * r.reward;
        max_w = max_w.max(w);
        terms.push((w, r.reward, model_value[s] + w * (r.reward - q)));
    }
    if sw == 0.0 && estimator != Estimator::Dr {
        return Err(OffPolicyError::NoSupport);
    }
    let nf = n as f64;
    let sample_se = |ys: &mut dyn Iterator<Item = f64>| -> (f64, f64) {
        let v: Vec<f64> = ys.collect();
        let mean = v.iter().sum::<f64>() / nf;
        let ss: f64 = v.iter().map(|y| (y - mean) * (y - mean)).sum();
        (mean, if n > 1 { (ss / (nf - 1.0) / nf).sqrt() } else { 0.0 })
    };
    let (value, se) = match estimator {
        Estimator::Ips => sample_se(&mut terms.iter().map(|t| t.0 * t.1)),
        Estimator::Snips => {
            let v = swr / sw;
            let num: f64 = terms.iter().map(|(w, r, _)| w * w * (r - v) * (r - v)).sum();
            (v, num.sqrt() / sw)
        }
        Estimator::Dr => sample_se(&mut terms.iter().map(|t| t.2)),
    };
    // Refused, never printed as inf or NaN (the logs' floors make this unreachable from a file
    // agora reads: it guards what a caller builds in memory).
    if !(value.is_finite() && se.is_finite() && sw2.is_finite()) {
        return Err(OffPolicyError::NotFinite(format!(
            "the {} estimate is not finite (value {value}, std error {se}; largest weight {max_w}): the log's weights and rewards overflow",
            estimator.as_str()
        )));
    }
    Ok(Evaluation {
        schema: EVALUATION_SCHEMA.into(),
        instance: inst.name.clone(),
        policy: policy.label.clone(),
        estimator: estimator.as_str().into(),
        value,
        std_error: se,
        ci95: [value - Z95 * se, value + Z95 * se],
        effective_sample_size: if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 },
        rounds: n,
        rounds_outside_day: linked.outside_day,
        rounds_unserved: unserved,
        max_weight: max_w,
        logged_mean_reward: if n > 0 { logged / nf } else { 0.0 },
    })
}

impl Evaluation {
    /// The readable summary the command prints.
    pub fn summary(&self) -> String {
        format!(
            "{} on {} rounds of \"{}\" ({}):\n  value {:.6} per impression, 95% interval [{:.6}, {:.6}], std error {:.6}\n  effective sample size {:.1} (largest weight {:.2}); the log's own mean reward {:.6}\n{}",
            self.estimator,
            self.rounds,
            self.instance,
            self.policy,
            self.value,
            self.ci95[0],
            self.ci95[1],
            self.std_error,
            self.effective_sample_size,
            self.max_weight,
            self.logged_mean_reward,
            if self.rounds_outside_day + self.rounds_unserved > 0 {
                format!("  {} rounds outside the day's segments (not used), {} in segments the policy leaves unserved (weight 0)\n", self.rounds_outside_day, self.rounds_unserved)
            } else {
                String::new()
            }
        )
    }
}
