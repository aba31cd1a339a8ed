//! Myerson payments for single-parameter mechanisms.
//!
//! A bidder with a one-dimensional value faces an allocation rule `x(b)` (the quantity it gets,
//! e.g. a click-through rate, as a function of its own bid, everyone else's fixed). Myerson's
//! lemma: the mechanism is truthful if and only if `x` is non-decreasing and the payment is
//!
//! ```text
//! p(b) = b x(b) - integral_0^b x(z) dz        (with p(0) = 0)
//! ```
//!
//! For a piecewise-constant rule, which jumps by `x_k - x_{k-1}` at threshold `t_k`, the
//! integral collapses to `p(b) = sum_{t_k <= b} t_k (x_k - x_{k-1})`: each unit of allocation
//! costs the threshold bid at which it was gained. [`StepRule::payment`] uses that closed form;
//! [`payment`] integrates numerically for any monotone rule.

/// A single-parameter allocation rule: what a bidder gets as a function of its bid.
pub trait AllocationRule {
    /// The allocation at bid `b >= 0`; must be non-decreasing in `b` for truthful payments.
    fn allocation(&self, bid: f64) -> f64;
}

impl<F: Fn(f64) -> f64> AllocationRule for F {
    fn allocation(&self, bid: f64) -> f64 {
        self(bid)
    }
}

/// One jump of a piecewise-constant rule: from `threshold` on, the allocation is `level`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The bid from which this step's level applies (>= 0).
    pub threshold: f64,
    /// The allocation from `threshold` on (>= 0).
    pub level: f64,
}

/// A monotone piecewise-constant allocation rule: 0 below the first threshold, then the level
/// of the last step whose threshold the bid reaches. Ties at a threshold go the bidder's way,
/// which changes the allocation at that single bid but never a payment.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRule {
    steps: Vec<Step>,
}

/// Why steps do not form a monotone rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MyersonError {
    /// A threshold or level is negative or not finite.
    #[error("step {index}: threshold and level must be finite and >= 0, got threshold {threshold}, level {level}")]
    OutOfRange {
        /// The step's position in the list (from 0).
        index: usize,
        /// Its threshold.
        threshold: f64,
        /// Its level.
        level: f64,
    },
    /// A threshold is below the one before it.
    #[error("step {index}: thresholds must not decrease ({previous} then {threshold})")]
    UnsortedThresholds {
        /// The step's position in the list (from 0).
        index: usize,
        /// The previous step's threshold.
        previous: f64,
        /// This step's threshold.
        threshold: f64,
    },
    /// A level is below the one before it: the rule is not monotone.
    #[error("step {index}: the allocation must not decrease ({previous} then {level}); no payment makes such a rule truthful")]
    NotMonotone {
        /// The step's position in the list (from 0).
        index: usize,
        /// The previous step's level.
        previous: f64,
        /// This step's level.
        level: f64,
    },
}

impl StepRule {
    /// A rule from steps in increasing order of threshold with non-decreasing levels.
    pub fn new(steps: Vec<Step>) -> Result<StepRule, MyersonError> {
        let mut previous = Step { threshold: 0.0, level: 0.0 };
        for (index, s) in steps.iter().enumerate() {
            let ok = |x: f64| x.is_finite() && x >= 0.0;
            if !ok(s.threshold) || !ok(s.level) {
                return Err(MyersonError::OutOfRange { index, threshold: s.threshold, level: s.level });
            }
            if s.threshold < previous.threshold {
                return Err(MyersonError::UnsortedThresholds { index, previous: previous.threshold, threshold: s.threshold });
            }
            if s.level < previous.level {
                return Err(MyersonError::NotMonotone { index, previous: previous.level, level: s.level });
            }
            previous = *s;
        }
        Ok(StepRule { steps })
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The Myerson payment at bid `b`, in closed form: `sum_{t_k <= b} t_k (x_k - x_{k-1})`.
    pub fn payment(&self, bid: f64) -> f64 {
        let mut paid = 0.0;
        let mut level = 0.0;
        for s in self.steps.iter().take_while(|s| s.threshold <= bid) {
            paid += s.threshold * (s.level - level);
            level = s.level;
        }
        paid
    }
}

impl AllocationRule for StepRule {
    fn allocation(&self, bid: f64) -> f64 {
        self.steps.iter().take_while(|s| s.threshold <= bid).last().map_or(0.0, |s| s.level)
    }
}

/// The Myerson payment `b x(b) - integral_0^b x(z) dz` of any monotone rule, with the integral
/// taken by the midpoint rule over `pieces` equal pieces. For a rule with jumps the error is
/// at most (largest jump) x b / pieces per jump; smooth rules converge quadratically.
pub fn payment<R: AllocationRule + ?Sized>(rule: &R, bid: f64, pieces: usize) -> f64 {
    if bid <= 0.0 || pieces == 0 {
        return 0.0;
    }
    let h = bid / pieces as f64;
    let integral: f64 = (0..pieces).map(|k| rule.allocation((k as f64 + 0.5) * h)).sum::<f64>() * h;
    bid * rule.allocation(bid) - integral
}
