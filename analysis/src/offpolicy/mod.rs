//! Off-policy estimates from logged feedback (`agora.logs/v1`): what each edge's engagement is,
//! with an interval ([`estimate`]), and what a plan's click-through will be before it is served
//! ([`evaluate`]). The method, the formulas and the choices are on docs/estimates.md.
//!
//! Logged rewards are biased toward what the logging policy liked to show. Inverse propensity
//! scoring undoes that: a round that showed item `a` with probability `p` stands for `1 / p`
//! rounds. agora's segments are its contexts; a round is linked to the day by its segment and
//! item ids ([`Linked`]).

pub mod estimate;
pub mod evaluate;

use std::collections::HashMap;

use agora_instances::logs::Logs;
use agora_instances::Instance;

pub use estimate::{estimate, EdgeEstimate, EstimateSettings, EstimateSummary, Prior};
pub use evaluate::{evaluate, Evaluation, Policy, EVALUATION_SCHEMA};

/// The two-sided 95% normal quantile.
pub const Z95: f64 = 1.959963984540054;

/// How rewards are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Inverse propensity scoring: the mean of `w r` over rounds (unbiased, high variance).
    Ips,
    /// Self-normalised IPS: `sum w r / sum w` (slightly biased, much lower variance).
    Snips,
    /// Doubly robust (evaluation only): the day's engagement as a reward model, IPS on its errors.
    Dr,
}

impl Estimator {
    /// The name on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Estimator::Ips => "ips",
            Estimator::Snips => "snips",
            Estimator::Dr => "dr",
        }
    }
}

impl std::str::FromStr for Estimator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ips" => Ok(Estimator::Ips),
            "snips" => Ok(Estimator::Snips),
            "dr" => Ok(Estimator::Dr),
            _ => Err(format!("unknown estimator \"{s}\" (ips, snips, dr)")),
        }
    }
}

/// Why logs cannot be used with a day.
#[derive(Debug, thiserror::Error)]
pub enum OffPolicyError {
    /// No round of the log is in a segment of the day.
    #[error("no logged round is in a segment of day \"{day}\" (the log names {segments} segments, e.g. \"{example}\")")]
    NoOverlap {
        /// The day's name.
        day: String,
        /// How many segments the log names.
        segments: usize,
        /// One of them.
        example: String,
    },
    /// The policy gives probability 0 to every logged choice: no round says anything about it.
    #[error("the policy never shows what the log shows (every importance weight is 0): the log cannot evaluate it")]
    NoSupport,
    /// The estimator does not apply here.
    #[error("{0}")]
    Unsupported(String),
    /// An estimate overflowed: it is refused rather than written as NaN, inf or null.
    #[error("{0}")]
    NotFinite(String),
}

/// A logged round placed in the day: its segment, item and edge indices where the day has them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkedRound {
    /// The day's segment, if it has the round's.
    pub segment: Option<usize>,
    /// The day's edge (segment, item), if it has it.
    pub edge: Option<usize>,
    /// The reward.
    pub reward: f64,
    /// The logging policy's probability of the choice.
    pub propensity: f64,
}

/// A log placed in a day.
#[derive(Debug, Clone)]
pub struct Linked {
    /// Every round, in log order.
    pub rounds: Vec<LinkedRound>,
    /// Rounds in each of the day's segments.
    pub per_segment: Vec<usize>,
    /// Rounds whose segment the day does not have.
    pub outside_day: usize,
    /// Rounds in a day segment whose item has no edge there.
    pub off_edges: usize,
    /// The largest reward logged (what normalises rewards into [0, 1] for the prior).
    pub max_reward: f64,
}

impl Linked {
    /// Links `logs` to `inst` by ids; an error when no round is in one of the day's segments.
    pub fn new(inst: &Instance, logs: &Logs) -> Result<Linked, OffPolicyError> {
        let seg_index: HashMap<&str, usize> = inst.segments.iter().enumerate().map(|(k, s)| (s.id.as_str(), k)).collect();
        let item_index: HashMap<&str, usize> = inst.items.iter().enumerate().map(|(k, i)| (i.id.as_str(), k)).collect();
        let edge_index: HashMap<(usize, usize), usize> = inst.edges.iter().enumerate().map(|(e, edge)| ((edge.segment, edge.item), e)).collect();
        let seg_of: Vec<Option<usize>> = logs.segments.iter().map(|s| seg_index.get(s.as_str()).copied()).collect();
        let item_of: Vec<Option<usize>> = logs.items.iter().map(|i| item_index.get(i.as_str()).copied()).collect();
        let mut out =
            Linked { rounds: Vec::with_capacity(logs.rounds.len()), per_segment: vec![0; inst.segments.len()], outside_day: 0, off_edges: 0, max_reward: 0.0 };
        for r in &logs.rounds {
            let segment = seg_of[r.segment as usize];
            let edge = match (segment, item_of[r.item as usize]) {
                (Some(s), Some(i)) => edge_index.get(&(s, i)).copied(),
                _ => None,
            };
            match segment {
                None => out.outside_day += 1,
                Some(s) => {
                    out.per_segment[s] += 1;
                    if edge.is_none() {
                        out.off_edges += 1;
                    }
                }
            }
            out.max_reward = out.max_reward.max(r.reward);
            out.rounds.push(LinkedRound { segment, edge, reward: r.reward, propensity: r.propensity });
        }
        if out.outside_day == out.rounds.len() {
            return Err(OffPolicyError::NoOverlap {
                day: inst.name.clone(),
                segments: logs.segments.len(),
                example: logs.segments.first().cloned().unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
