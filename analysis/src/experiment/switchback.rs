//! The switchback: the whole market alternates the rule sets in blocks of days over a horizon
//! (`agora horizon`'s dynamics: creators churn and upload, users tire), the first days of each
//! block a burn-in left out of the estimate. The market first runs `warm_up` days under the
//! control rules (an experiment starts on a market in its usual state, not on day 0's fresh
//! one). Its target is the long-run effect (the rules' effect once the market has adapted): from
//! the same warmed-up market, the control rules and the treatment's each run the experiment's
//! days on the same random draws, and the effect is their mean difference over the second half.
//! Short blocks see the market as the other rule set left it (carryover); long ones approach the
//! long run.

use agora_instances::Instance;

use super::metrics::{self, Metric};
use super::noise::{power, Noise};
use super::{Design, DesignResult, ExperimentConfig, ExperimentError, Treatment};
use crate::horizon::{run_policy, DayRules, Dynamics, HorizonConfig, HorizonError};
use agora_solver::Silent;

/// The switchback's horizon.
#[derive(Debug, Clone)]
pub struct SwitchbackConfig {
    /// Days of the experiment (at least two blocks), after the warm-up.
    pub days: usize,
    /// Days under the control rules before the experiment starts.
    pub warm_up: usize,
    /// Days per block.
    pub block: usize,
    /// Days at the start of each block left out of the estimate.
    pub burn_in: usize,
    /// The transitions between days.
    pub dynamics: Dynamics,
}

impl Default for SwitchbackConfig {
    fn default() -> Self {
        SwitchbackConfig { days: 28, warm_up: 14, block: 7, burn_in: 1, dynamics: Dynamics::default() }
    }
}

/// A day's rules: the control's, the treatment's, or one of them by block.
struct Schedule<'a> {
    change: &'a super::ChangeFile,
    /// Days under control before the experiment.
    warm_up: usize,
    /// `None`: always control; `Some(0)`: always treatment; `Some(L)`: blocks of `L` days,
    /// control first.
    block: Option<usize>,
    name: String,
}

impl Schedule<'_> {
    fn treated(&self, t: usize) -> bool {
        if t < self.warm_up {
            return false;
        }
        match self.block {
            None => false,
            Some(0) => true,
            Some(l) => ((t - self.warm_up) / l) % 2 == 1,
        }
    }
}

impl DayRules for Schedule<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn apply_on(&self, t: usize, inst: &Instance) -> Result<Instance, String> {
        if !self.treated(t) {
            return Ok(inst.clone());
        }
        self.change.apply(inst).map_err(|e| format!("the change on day {t}: {}", agora_instances::Bulleted(&e)))
    }
}

/// Runs the switchback (and both rule sets over the whole horizon, its target).
/// Refuses a switchback that cannot run on `control`: fewer than two blocks, a burn-in that
/// fills a block, a horizon whose catalog would outgrow the machine. Checked before any solve.
pub fn check(control: &Instance, sb: &SwitchbackConfig) -> Result<(), ExperimentError> {
    if sb.block == 0 || sb.days < 2 * sb.block || sb.burn_in >= sb.block {
        return Err(ExperimentError::Config(format!(
            "a switchback needs at least two blocks of at least one day after the burn-in: --days {} --block {} --burn-in {}",
            sb.days, sb.block, sb.burn_in
        )));
    }
    sb.dynamics.check_tractable(control, sb.warm_up + sb.days).map_err(|e| ExperimentError::Horizon(HorizonError::Config(e)))
}

pub fn run(control: &Instance, treatment: &Treatment, metrics: &[Metric], cfg: &ExperimentConfig) -> Result<DesignResult, ExperimentError> {
    let sb = &cfg.switchback;
    let Some(change) = &treatment.change else {
        return Ok(super::unsupported(
            Design::Switchback,
            "a switchback applies the change to each simulated day, which needs an agora.change/v1 file, not a whole day".into(),
            metrics,
        ));
    };
    check(control, sb)?;
    let total = sb.warm_up + sb.days;
    let hcfg = HorizonConfig {
        days: total,
        seed: cfg.seed,
        replicas: 1,
        discount: 1.0,
        dynamics: sb.dynamics.clone(),
        settings: cfg.settings.clone(),
        ..HorizonConfig::default()
    };
    // Each run's metrics per day of the experiment (the warm-up left out).
    let daily = |block: Option<usize>, name: &str| -> Result<Vec<Vec<f64>>, ExperimentError> {
        let schedule = Schedule { change, warm_up: sb.warm_up, block, name: name.into() };
        let run = run_policy(control, &schedule, &hcfg, 0, true, &Silent)?;
        if let Some(st) = run.stopped {
            return Err(ExperimentError::NotOptimal {
                arm: "switchback's",
                status: st.status,
                message: format!("{name}: day {}: {}", st.day, st.message.unwrap_or_default()),
            });
        }
        Ok(run.instances.iter().zip(&run.plans).skip(sb.warm_up).map(|(d, x)| by_name(metrics, d, x)).collect())
    };
    let all_c = daily(None, "control")?;
    let all_t = daily(Some(0), "treatment")?;
    let switched = daily(Some(sb.block), "switchback")?;
    let half = sb.days / 2;

    let long_run: Vec<f64> = (0..metrics.len()).map(|k| (half..sb.days).map(|t| all_t[t][k] - all_c[t][k]).sum::<f64>() / (sb.days - half) as f64).collect();
    // Blocks after their burn-in: their means, control and treatment alternating.
    let blocks: Vec<(bool, Vec<f64>)> = (0..sb.days.div_ceil(sb.block))
        .filter_map(|b| {
            let days: Vec<usize> = (b * sb.block + sb.burn_in..((b + 1) * sb.block).min(sb.days)).collect();
            (!days.is_empty())
                .then(|| (b % 2 == 1, (0..metrics.len()).map(|k| days.iter().map(|&t| switched[t][k]).sum::<f64>() / days.len() as f64).collect()))
        })
        .collect();
    let mean_of = |treated: bool, k: usize| {
        let v: Vec<f64> = blocks.iter().filter(|b| b.0 == treated).map(|b| b.1[k]).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let arms: Vec<Option<(f64, f64)>> = (0..metrics.len()).map(|k| Some((mean_of(true, k), mean_of(false, k)))).collect();
    let estimates: Vec<Option<f64>> = arms.iter().map(|a| a.map(|(t, c)| t - c)).collect();
    // Noise from the days themselves: the spread of the block pairs' differences.
    let pairs: Vec<Vec<f64>> = blocks.chunks(2).filter(|p| p.len() == 2).map(|p| (0..metrics.len()).map(|k| p[1].1[k] - p[0].1[k]).collect()).collect();
    let noise = (0..metrics.len())
        .map(|k| {
            if pairs.len() < 2 {
                return None;
            }
            let d: Vec<f64> = pairs.iter().map(|p| p[k]).collect();
            let mean = d.iter().sum::<f64>() / d.len() as f64;
            let sd = (d.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
            let se = sd / (d.len() as f64).sqrt();
            estimates[k].map(|e| Noise { std_error: se, power: power(e, se) })
        })
        .collect();
    Ok(DesignResult {
        design: Design::Switchback,
        unsupported: None,
        arms,
        estimates,
        noise,
        shared_binding: Vec::new(),
        note: format!(
            "{} days in blocks of {} (control first) after {} days under control, the first {} day(s) of each block left out; the target is the long-run effect over days {}..{} of the experiment",
            sb.days,
            sb.block,
            sb.warm_up,
            sb.burn_in,
            half + 1,
            sb.days
        ),
        seconds: 0.0,
        long_run: Some(long_run),
    })
}

/// The metrics of plan `x` on a simulated day, in `metrics`' order (a group or campaign the day
/// lacks counts 0).
fn by_name(metrics: &[Metric], day: &Instance, x: &[f64]) -> Vec<f64> {
    let names = metrics::metrics_of(day);
    let values = metrics::measure(day, x, &|_| true, &|_| true, 0.0);
    metrics.iter().map(|m| names.iter().position(|n| n.name == m.name).map_or(0.0, |k| values[k])).collect()
}
