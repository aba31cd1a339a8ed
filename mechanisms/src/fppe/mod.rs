//! First-price pacing equilibrium (FPPE) of a budgeted market, computed from its Eisenberg-Gale
//! style convex program (Conitzer, Kroer, Panigrahi, Schrijvers, Stier-Moses, Sodomka,
//! Wilkens, "Pacing Equilibrium in First-Price Auction Markets", EC 2019):
//!
//! ```text
//! maximise    sum_i B_i log(u_i) - sum_i d_i
//! subject to  u_i <= sum_j v_ij x_ij + d_i      (bidder i's utility: goods plus unspent money)
//!             sum_i x_ij <= s_j                  (supply of good j; dual = price p_j)
//!             x >= 0, d >= 0
//! ```
//!
//! At the optimum the pacing multiplier of bidder i is `a_i = B_i / u_i` (at most 1, and equal
//! to 1 where `d_i > 0`), the price of good j is the dual of its supply row and equals the
//! highest paced bid `max_i a_i v_ij`, and bidder i spends `B_i - d_i`. Multipliers, prices and
//! revenue are unique; the allocation (and so the split of spend among unpaced bidders who tie)
//! is not.
//!
//! The program goes to Clarabel as a conic program: `B_i log(u_i)` becomes `B_i t_i` with
//! `(t_i, 1, u_i)` in the exponential cone `{(x, y, z): y exp(x / y) <= z, y > 0}`, i.e.
//! `t_i <= log(u_i)`. Only pairs with `v_ij > 0` get an allocation variable: a good nobody
//! values has no supply row and price 0, and a bidder who values nothing keeps its budget.
//!
//! Accuracy. The objective is flat at its optimum, so the interior point pins multipliers and
//! prices down only to about the square root of its duality gap: about 1e-5 relative at
//! tolerance 1e-9 (tighter tolerances end in "almost solved"). The answer is therefore polished
//! (`fppe_polish`): the structure of the equilibrium (who ties for what) is read off the
//! interior point, the exact equilibrium with that structure is rebuilt, and it is returned only
//! if it meets the definition ([`crate::fppe::check`]) at 1e-9. Otherwise the interior point's
//! answer is returned if it meets the definition at 1e-3, marked [`Precision::InteriorPoint`].
//! On random markets (up to 50 x 50, values and budgets spanning up to 8 orders of magnitude)
//! every answer seen was polished, a few after a retry with other settings.
//!
//! ```
//! use agora_mechanisms::{fppe, fppe::report as fppe_report, market::Market};
//! let market = Market::from_values(&[vec![2.0, 2.0], vec![2.0, 4.0]], &[2.0, 1.0]).unwrap();
//! let result = fppe::solve(&market).unwrap();
//! assert!((result.multipliers[0] - 0.75).abs() < 1e-9 && (result.revenue - 3.0).abs() < 1e-9);
//! println!("{}", fppe_report::summary(&result, &market));
//! let json = fppe_report::to_json(&result, &market); // agora.fppe/v1
//! # assert!(json.contains("agora.fppe/v1"));
//! ```

pub mod check;
mod polish;
mod program;
pub mod report;

use agora_instances::{Bulleted, Finding};
use clarabel::solver::SolverStatus;
use serde::{Deserialize, Serialize};

use crate::market::Market;
use check::Violation;
use polish::{polish, READINGS};

/// Where an interior-point solve ended, as data. Only [`SolveStatus::Optimal`] yields an
/// equilibrium: `AlmostOptimal` met only Clarabel's reduced tolerances, which is not enough to
/// trust the recovered prices to the documented tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SolveStatus {
    /// Clarabel solved the program to its tolerances.
    Optimal,
    /// Clarabel met only its reduced tolerances ("almost solved").
    AlmostOptimal,
    /// Clarabel found the program primal infeasible.
    PrimalInfeasible,
    /// Clarabel found the program dual infeasible (unbounded).
    DualInfeasible,
    /// Primal infeasible to Clarabel's reduced tolerances only.
    AlmostPrimalInfeasible,
    /// Dual infeasible to Clarabel's reduced tolerances only.
    AlmostDualInfeasible,
    /// Clarabel reached its iteration limit.
    IterationLimit,
    /// Clarabel reached its time limit.
    TimeLimit,
    /// Clarabel hit a numerical error.
    NumericalError,
    /// Clarabel stopped making progress.
    InsufficientProgress,
    /// The solver did not run, or was stopped by a callback.
    NotRun,
}

impl From<SolverStatus> for SolveStatus {
    fn from(s: SolverStatus) -> Self {
        match s {
            SolverStatus::Solved => SolveStatus::Optimal,
            SolverStatus::AlmostSolved => SolveStatus::AlmostOptimal,
            SolverStatus::PrimalInfeasible => SolveStatus::PrimalInfeasible,
            SolverStatus::DualInfeasible => SolveStatus::DualInfeasible,
            SolverStatus::AlmostPrimalInfeasible => SolveStatus::AlmostPrimalInfeasible,
            SolverStatus::AlmostDualInfeasible => SolveStatus::AlmostDualInfeasible,
            SolverStatus::MaxIterations => SolveStatus::IterationLimit,
            SolverStatus::MaxTime => SolveStatus::TimeLimit,
            SolverStatus::NumericalError => SolveStatus::NumericalError,
            SolverStatus::InsufficientProgress => SolveStatus::InsufficientProgress,
            SolverStatus::Unsolved | SolverStatus::CallbackTerminated => SolveStatus::NotRun,
        }
    }
}

impl std::fmt::Display for SolveStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        f.write_str(&s)
    }
}

/// Knobs of the solve. The defaults suit markets whose budgets and values span a few orders of
/// magnitude; other settings must give the same multipliers, prices and revenue (they are
/// unique), which the tests check.
#[derive(Debug, Clone, PartialEq)]
pub struct FppeOptions {
    /// Clarabel's absolute and relative duality-gap tolerance and its feasibility tolerance.
    pub tolerance: f64,
    /// If an attempt fails (Clarabel stops short of optimal, the duals disagree with the
    /// definition, or the answer cannot be polished), try again with other settings: a
    /// shorter step (0.9), no equilibration, no normalisation, per-bidder units, tolerance
    /// 1e-8, in that order. Every answer is verified against the definition, so retrying never
    /// lowers the accuracy promised; it matters for markets whose budgets or values span many
    /// orders of magnitude (about 2% of random markets spanning 6 orders fail the first attempt,
    /// none of 1000 failed them all).
    pub retry: bool,
    /// Interior-point iteration limit.
    pub max_iter: u32,
    /// Clarabel's Ruiz equilibration of the constraint matrix.
    pub equilibrate: bool,
    /// Divide budgets and values by the largest budget before solving (and multiply prices and
    /// spend back). The FPPE is invariant under a common rescaling of money, and Clarabel's
    /// fixed absolute tolerances behave best on numbers near 1.
    pub normalise: bool,
    /// Measure each bidder's utility in units of its own budget in the cone rows (the row then
    /// holds `1 / a_i`), which helps when budgets span many orders of magnitude.
    pub per_bidder_units: bool,
    /// Clarabel's maximum interior-point step fraction.
    pub max_step_fraction: f64,
    /// The double-check of the interior-point answer: each supply-row dual must be within
    /// `price_tolerance * price_scale(j)` of the highest paced bid `max_i a_i v_ij` (with the
    /// multipliers read from the primal); see [`price_scale`]. An unpolished answer must meet
    /// the whole definition ([`crate::fppe::check`]) at this tolerance. The
    /// default 1e-3 leaves a margin over the interior point's inherent error (see
    /// the polishing step): about 1e-5, at worst 5e-5 on random markets.
    pub price_tolerance: f64,
    /// Rebuild an exact equilibrium from the interior point's answer (see
    /// the polishing step).
    pub polish: bool,
    /// The tolerance at which a polished answer must meet the FPPE definition
    /// ([`crate::fppe::check`]) to be returned instead of the interior point's.
    pub polish_tolerance: f64,
}

impl Default for FppeOptions {
    fn default() -> Self {
        FppeOptions {
            tolerance: 1e-9,
            retry: true,
            max_iter: 200,
            equilibrate: true,
            normalise: true,
            per_bidder_units: false,
            max_step_fraction: 0.99,
            price_tolerance: 1e-3,
            polish: true,
            polish_tolerance: 1e-9,
        }
    }
}

/// An FPPE. Vectors are indexed like the market's bidders (`multipliers`, `spend`) and goods
/// (`prices`); `shares[i][j]` is the fraction of good j's supply that bidder i gets.
#[derive(Debug, Clone, PartialEq)]
pub struct FppeResult {
    /// Pacing multipliers `a_i = B_i / u_i`, in (0, 1].
    pub multipliers: Vec<f64>,
    /// Price per unit of each good (the supply rows' duals).
    pub prices: Vec<f64>,
    /// What each bidder pays: `sum_j p_j s_j shares[i][j]`.
    pub spend: Vec<f64>,
    /// `sum_j p_j s_j` (goods with a positive price are sold out).
    pub revenue: f64,
    /// Fractions of each good's supply; one of possibly many optimal allocations.
    pub shares: Vec<Vec<f64>>,
    /// Always [`SolveStatus::Optimal`] in a returned result; kept for reports.
    pub status: SolveStatus,
    /// Whether the numbers are the polished exact equilibrium or the interior point's.
    pub precision: Precision,
    /// Interior-point iterations used (by the attempt that produced the answer).
    pub iterations: u32,
    /// Solves run to get the answer (more than 1 when retries were needed).
    pub attempts: u32,
    /// The largest `|dual price - reported price| / price_scale(j)` over goods (for an unpolished
    /// answer, the reported price is compared with the highest paced bid instead): how far
    /// the interior point's duals are from the answer (at most `price_tolerance`).
    pub price_discrepancy: f64,
}

impl FppeResult {
    /// Whether bidder i is paced, i.e. its multiplier is below `1 - tol`.
    pub fn is_paced(&self, i: usize, tol: f64) -> bool {
        self.multipliers[i] < 1.0 - tol
    }

    /// The fraction of good j's supply that is sold.
    pub fn sold(&self, j: usize) -> f64 {
        self.shares.iter().map(|row| row[j]).sum()
    }
}

/// How exact an [`FppeResult`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// Rebuilt from the interior point's structure and verified against the FPPE definition at
    /// `polish_tolerance` (1e-9 by default).
    Polished,
    /// Read straight off the interior point; meets the definition at `price_tolerance` (1e-3 by
    /// default), typically to about 1e-5.
    InteriorPoint,
}

/// Why no FPPE was returned.
#[derive(Debug, thiserror::Error)]
pub enum FppeError {
    /// The market fails validation; every finding is listed.
    #[error("invalid market: {} error(s):\n{}", .0.len(), Bulleted(.0))]
    InvalidMarket(Vec<Finding>),
    /// Clarabel refused the conic program at setup.
    #[error("Clarabel rejected the problem: {0}")]
    Setup(String),
    /// The program is always feasible and bounded for a valid market, so any status but
    /// `Optimal` is numerical trouble; retrying with other [`FppeOptions`] may help.
    #[error("Clarabel stopped with status {status} after {iterations} iterations")]
    NotSolved {
        /// Where Clarabel stopped.
        status: SolveStatus,
        /// Interior-point iterations run.
        iterations: u32,
    },
    /// The supply-row dual of a good disagrees with the FPPE definition of its price.
    #[error(
        "good \"{good}\": dual price {dual_price} differs from the highest paced bid {paced_bid} by more than {tolerance} x its price \
         scale"
    )]
    PriceMismatch {
        /// The good's id.
        good: String,
        /// Its price from the supply row's dual.
        dual_price: f64,
        /// The highest paced bid `max_i a_i v_ij` for it.
        paced_bid: f64,
        /// The relative tolerance (`price_tolerance`), applied to the good's [`price_scale`].
        tolerance: f64,
    },
    /// Polishing failed and the interior point's answer misses the FPPE definition.
    #[error("the solver's answer is not an FPPE at tolerance {tolerance}:\n{}", listed(violations))]
    NotAnEquilibrium {
        /// The tolerance the definition was checked at (`price_tolerance`).
        tolerance: f64,
        /// Every way the answer misses the definition.
        violations: Vec<Violation>,
    },
}

/// One violation per line, indented.
fn listed(violations: &[Violation]) -> String {
    violations.iter().map(|v| format!("  - {v}")).collect::<Vec<_>>().join("\n")
}

/// Computes the FPPE with default options.
pub fn solve(market: &Market) -> Result<FppeResult, FppeError> {
    solve_with(market, &FppeOptions::default())
}

/// Computes the FPPE of a market: validates it, solves the conic program with Clarabel,
/// recovers multipliers from the primal and prices from the supply rows' duals, double-checks
/// the two against each other, and polishes the answer into an exact equilibrium (falling back
/// to the interior point's answer, checked against the definition at `price_tolerance`, if
/// polishing fails). With `options.retry`, failed or unpolished attempts are retried with other
/// settings; the first polished answer wins, then the first unpolished one, then the first
/// attempt's error.
pub fn solve_with(market: &Market, options: &FppeOptions) -> Result<FppeResult, FppeError> {
    market.validate().map_err(FppeError::InvalidMarket)?;
    let retries = if options.retry {
        vec![
            FppeOptions { max_step_fraction: 0.9, ..options.clone() },
            FppeOptions { equilibrate: !options.equilibrate, ..options.clone() },
            FppeOptions { normalise: !options.normalise, ..options.clone() },
            FppeOptions { per_bidder_units: !options.per_bidder_units, ..options.clone() },
            FppeOptions { tolerance: 1e-8, ..options.clone() },
        ]
    } else {
        Vec::new()
    };
    let mut outcome = attempt_once(market, options);
    for (k, retry) in retries.iter().enumerate() {
        if matches!(&outcome, Ok(r) if r.precision == Precision::Polished || !options.polish) {
            break;
        }
        let next = attempt_once(market, retry).map(|r| FppeResult { attempts: k as u32 + 2, ..r });
        outcome = match (outcome, next) {
            (_, Ok(r)) if r.precision == Precision::Polished => Ok(r),
            (Ok(earlier), _) => Ok(earlier),
            (Err(_), Ok(r)) => Ok(r),
            (Err(first), Err(_)) => Err(first),
        };
    }
    outcome
}

/// One solve, double-check and polish with fixed settings.
fn attempt_once(market: &Market, options: &FppeOptions) -> Result<FppeResult, FppeError> {
    let raw = program::solve(market, options)?;
    let n = market.bidders.len();
    let m = market.goods.len();

    // Double-check the duals against the FPPE definition p_j = max_i a_i v_ij, with the
    // multipliers read from the primal: two independent readings of the same prices.
    let mut price_discrepancy: f64 = 0.0;
    for (j, &dual_price) in raw.prices.iter().enumerate() {
        if market.top_value(j) == 0.0 {
            continue;
        }
        let paced_bid = (0..n).map(|i| raw.multipliers[i] * market.value(i, j)).fold(0.0, f64::max);
        let gap = (dual_price - paced_bid).abs() / price_scale(market, j);
        if gap > options.price_tolerance {
            return Err(FppeError::PriceMismatch { good: market.goods[j].id.clone(), dual_price, paced_bid, tolerance: options.price_tolerance });
        }
        price_discrepancy = price_discrepancy.max(gap);
    }
    let spend: Vec<f64> = (0..n).map(|i| (0..m).map(|j| raw.prices[j] * market.goods[j].supply * raw.shares[i][j]).sum()).collect();
    let unpolished = FppeResult {
        revenue: revenue_of(market, &raw.prices),
        multipliers: raw.multipliers,
        prices: raw.prices,
        spend,
        shares: raw.shares,
        status: raw.status,
        precision: Precision::InteriorPoint,
        iterations: raw.iterations,
        attempts: 1,
        price_discrepancy,
    };

    if options.polish {
        for reading in READINGS {
            let p = polish(market, &unpolished.multipliers, &unpolished.shares, reading);
            let price_discrepancy =
                (0..m).filter(|&j| market.top_value(j) > 0.0).map(|j| (unpolished.prices[j] - p.prices[j]).abs() / price_scale(market, j)).fold(0.0, f64::max);
            let candidate = FppeResult {
                revenue: revenue_of(market, &p.prices),
                multipliers: p.multipliers,
                prices: p.prices,
                spend: p.spend,
                shares: p.shares,
                status: unpolished.status,
                precision: Precision::Polished,
                iterations: unpolished.iterations,
                attempts: 1,
                price_discrepancy,
            };
            if price_discrepancy <= options.price_tolerance && check::check(market, &candidate, options.polish_tolerance).is_empty() {
                return Ok(candidate);
            }
        }
    }
    let violations = check::check(market, &unpolished, options.price_tolerance);
    if violations.is_empty() {
        Ok(unpolished)
    } else {
        Err(FppeError::NotAnEquilibrium { tolerance: options.price_tolerance, violations })
    }
}

/// The scale against which good j's price is checked: its top value (multipliers are at most
/// 1), or 1e-4 of the largest budget per unit of supply if that is larger. Clarabel's
/// tolerances are absolute in money normalised by the largest budget, so a good worth far less
/// than the budgets is priced no more precisely than that.
pub fn price_scale(market: &Market, j: usize) -> f64 {
    let money = market.bidders.iter().map(|b| b.budget).fold(0.0, f64::max);
    market.top_value(j).max(1e-4 * money / market.goods[j].supply)
}

fn revenue_of(market: &Market, prices: &[f64]) -> f64 {
    market.goods.iter().zip(prices).map(|(g, p)| p * g.supply).sum()
}
