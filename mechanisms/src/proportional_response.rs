//! Proportional-response dynamics for quasi-linear Fisher markets: an independent way to the
//! FPPE, used to cross-check the convex-program solver ([`crate::fppe`]).
//!
//! In a quasi-linear Fisher market each bidder splits its budget into bids `b_ij` on goods and
//! an unspent part `d_i`; a good's price is the sum of the bids on it and each bidder gets the
//! share `x_ij = b_ij / p_j`. The equilibria of this market are exactly the FPPE (Conitzer et
//! al., EC 2019, section 4), and proportional response (Gao and Kroer, "First-order methods for
//! large-scale market equilibrium computation", NeurIPS 2020) reaches them: every bidder
//! re-splits its budget in proportion to what each part earned it last round,
//!
//! ```text
//! u_i      = sum_j v_ij x_ij + d_i
//! b_ij    <- B_i v_ij x_ij / u_i
//! d_i     <- B_i d_i / u_i
//! ```
//!
//! which is mirror descent with the entropy on the quasi-linear Shmyrev program
//! `min sum_j p_j log p_j - sum_ij b_ij log v_ij + sum_i d_i`. The multipliers are
//! `a_i = min(1, B_i / u_i)`. The method needs no solver, but converges only sublinearly where
//! bidders tie, so it is a check, not the production path.

use agora_instances::{Bulleted, Finding};

use crate::market::Market;

/// When to stop iterating.
#[derive(Debug, Clone, PartialEq)]
pub struct PrOptions {
    /// Stop once the equilibrium gap (see [`PrResult::gap`]) is at most this.
    pub tolerance: f64,
    /// Stop after this many rounds regardless.
    pub max_iter: usize,
}

impl Default for PrOptions {
    fn default() -> Self {
        PrOptions { tolerance: 1e-9, max_iter: 200_000 }
    }
}

/// Where the dynamics stopped. Vectors are indexed like the market's bidders and goods.
#[derive(Debug, Clone, PartialEq)]
pub struct PrResult {
    /// `min(1, B_i / u_i)`.
    pub multipliers: Vec<f64>,
    /// Price per unit: the sum of the bids on the good over its supply.
    pub prices: Vec<f64>,
    /// The sum of a bidder's bids, `B_i - d_i`.
    pub spend: Vec<f64>,
    /// The sum of all bids.
    pub revenue: f64,
    /// Fractions of each good's supply.
    pub shares: Vec<Vec<f64>>,
    /// Rounds run.
    pub iterations: usize,
    /// The equilibrium gap at the end: the largest of the price gap
    /// `|p_j - max_i a_i v_ij| / max_i v_ij`, the losing-bidder gap
    /// `min(x_ij, (p_j - a_i v_ij) / max_i v_ij)` and the pacing gap `min(1 - a_i, d_i / B_i)`,
    /// over goods and bidders. All vanish exactly at an FPPE (goods are always sold out and
    /// budgets never exceeded under the dynamics).
    pub gap: f64,
    /// Whether the gap reached the tolerance.
    pub converged: bool,
}

/// Why the dynamics could not start.
#[derive(Debug, thiserror::Error)]
pub enum PrError {
    /// The market fails validation; every finding is listed.
    #[error("invalid market: {} error(s):\n{}", .0.len(), Bulleted(.0))]
    InvalidMarket(Vec<Finding>),
}

/// Runs proportional response from an even split of each budget over the goods the bidder
/// values and its unspent part.
pub fn proportional_response(market: &Market, options: &PrOptions) -> Result<PrResult, PrError> {
    market.validate().map_err(PrError::InvalidMarket)?;
    let n = market.bidders.len();
    let m = market.goods.len();
    let budget: Vec<f64> = market.bidders.iter().map(|b| b.budget).collect();
    // Values of whole goods, so that shares and whole-good prices are the unknowns.
    let worth: Vec<Vec<f64>> = (0..n).map(|i| (0..m).map(|j| market.value(i, j) * market.goods[j].supply).collect()).collect();
    let top: Vec<f64> = (0..m).map(|j| market.top_value(j)).collect();

    let mut bids = vec![vec![0.0; m]; n];
    let mut unspent = vec![0.0; n];
    for i in 0..n {
        let valued = worth[i].iter().filter(|&&w| w > 0.0).count();
        let part = budget[i] / (valued + 1) as f64;
        unspent[i] = part;
        for j in 0..m {
            if worth[i][j] > 0.0 {
                bids[i][j] = part;
            }
        }
    }

    let mut iterations = 0;
    loop {
        let whole_price: Vec<f64> = (0..m).map(|j| (0..n).map(|i| bids[i][j]).sum()).collect();
        let shares: Vec<Vec<f64>> = (0..n).map(|i| (0..m).map(|j| if bids[i][j] > 0.0 { bids[i][j] / whole_price[j] } else { 0.0 }).collect()).collect();
        let utility: Vec<f64> = (0..n).map(|i| (0..m).map(|j| worth[i][j] * shares[i][j]).sum::<f64>() + unspent[i]).collect();
        let multipliers: Vec<f64> = (0..n).map(|i| (budget[i] / utility[i]).min(1.0)).collect();
        let prices: Vec<f64> = (0..m).map(|j| whole_price[j] / market.goods[j].supply).collect();

        // Each condition of the definition in linear ("min") form: a product such as
        // x_ij (p_j - a_i v_ij) shrinks quadratically and would certify points far from the
        // equilibrium near ties.
        let mut price_gap: f64 = 0.0;
        let mut winner_gap: f64 = 0.0;
        for j in (0..m).filter(|&j| top[j] > 0.0) {
            let paced_bid = (0..n).map(|i| multipliers[i] * market.value(i, j)).fold(0.0, f64::max);
            price_gap = price_gap.max((prices[j] - paced_bid).abs() / top[j]);
            for i in 0..n {
                let shortfall = (prices[j] - multipliers[i] * market.value(i, j)).max(0.0) / top[j];
                winner_gap = winner_gap.max(shares[i][j].min(shortfall));
            }
        }
        let pacing_gap = (0..n).map(|i| (1.0 - multipliers[i]).min(unspent[i] / budget[i])).fold(0.0, f64::max);
        let gap = price_gap.max(winner_gap).max(pacing_gap);
        let converged = gap <= options.tolerance;
        if converged || iterations >= options.max_iter {
            let spend: Vec<f64> = (0..n).map(|i| bids[i].iter().sum()).collect();
            let revenue = whole_price.iter().sum();
            return Ok(PrResult { multipliers, prices, spend, revenue, shares, iterations, gap, converged });
        }

        for i in 0..n {
            let scale = budget[i] / utility[i];
            for j in 0..m {
                bids[i][j] = scale * worth[i][j] * shares[i][j];
            }
            unspent[i] *= scale;
        }
        iterations += 1;
    }
}
