//! The FPPE convex program as a Clarabel conic program, and the reading of an equilibrium off
//! its solution.
//!
//! Clarabel minimises `q'x` subject to `A x + s = b`, `s` in a product of cones. Working in
//! shares `y_ij = x_ij / s_j` of each good's supply and in money divided by `scale` (see
//! `FppeOptions::normalise`), with `w_ij = v_ij s_j / scale` and `b_i = B_i / scale`:
//!
//! ```text
//! variables   t_i, d_i (one each per bidder), y_e (one per pair e = (i, j) with v_ij > 0)
//! minimise    - sum_i b_i t_i + sum_i d_i
//! rows        1 - sum_i y_ij  >= 0      one per good somebody values   (dual: price of the good)
//!             y_e             >= 0
//!             d_i             >= 0
//!             (t_i, 1, sum_j w_ij y_ij + d_i) in the exponential cone  (t_i <= log u_i)
//! ```
//!
//! With `FppeOptions::per_bidder_units`, bidder i's cone row and `d_i` are measured in units of
//! `b_i` instead: `(t_i, 1, sum_j w_ij y_ij / b_i + d_i)`, with `d_i` costing `b_i` (the same
//! program up to a constant; the row then holds `1 / a_i`).
//!
//! With Clarabel's sign conventions the dual `z` of a `>= 0` row is >= 0 and is the marginal
//! value of relaxing it; for a supply row that is the price of the whole good in solver money
//! (stationarity in `y_ij` gives `z_j >= a_i w_ij`, with equality where `y_ij > 0`).

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SupportedConeT};

use crate::fppe::{FppeError, FppeOptions, SolveStatus};
use crate::market::Market;

/// What the interior point says, in the caller's units: multipliers from the primal
/// (`a_i = B_i / u_i`), per-unit prices from the supply rows' duals, shares of supply.
pub(crate) struct RawSolution {
    pub multipliers: Vec<f64>,
    pub prices: Vec<f64>,
    pub shares: Vec<Vec<f64>>,
    pub status: SolveStatus,
    pub iterations: u32,
}

/// Builds and solves the program with the given settings. The market must be valid. Any status
/// but optimal is an error.
pub(crate) fn solve(market: &Market, options: &FppeOptions) -> Result<RawSolution, FppeError> {
    let n = market.bidders.len();
    let m = market.goods.len();
    let scale = if options.normalise { market.bidders.iter().map(|b| b.budget).fold(0.0, f64::max) } else { 1.0 };
    let budget: Vec<f64> = market.bidders.iter().map(|b| b.budget / scale).collect();
    // The money unit of each bidder's cone row: 1, or its own budget (then the row reads
    // u_i / B_i = 1 / a_i, and d_i is counted in units of B_i).
    let unit: Vec<f64> = if options.per_bidder_units { budget.clone() } else { vec![1.0; n] };

    let edges: Vec<Edge> = (0..n)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .filter(|&(i, j)| market.value(i, j) > 0.0)
        .map(|(i, j)| Edge { bidder: i, good: j, worth: market.value(i, j) * market.goods[j].supply / scale })
        .collect();
    // Only goods somebody values get a supply row; the others keep price 0.
    let mut supply_row = vec![None; m];
    let mut rows = 0;
    for e in &edges {
        if supply_row[e.good].is_none() {
            supply_row[e.good] = Some(rows);
            rows += 1;
        }
    }

    let t = |i: usize| i;
    let d = |i: usize| n + i;
    let y = |e: usize| 2 * n + e;
    let vars = 2 * n + edges.len();
    let mut q = vec![0.0; vars];
    for i in 0..n {
        q[t(i)] = -budget[i];
        q[d(i)] = unit[i];
    }

    // The nonnegative orthant first: supply rows, then y >= 0, then d >= 0.
    let mut tri = Triplets::default();
    let mut b = vec![1.0; rows];
    for (k, e) in edges.iter().enumerate() {
        tri.push(supply_row[e.good].expect("every valued good has a supply row"), y(k), 1.0);
    }
    for k in 0..edges.len() {
        tri.push(b.len(), y(k), -1.0);
        b.push(0.0);
    }
    for i in 0..n {
        tri.push(b.len(), d(i), -1.0);
        b.push(0.0);
    }
    let orthant = b.len();
    // Then one exponential cone per bidder: s = (t_i, 1, sum_j w_ij y_ij + d_i).
    let mut cone_row = Vec::with_capacity(n);
    for i in 0..n {
        let r = b.len();
        cone_row.push(r);
        tri.push(r, t(i), -1.0);
        tri.push(r + 2, d(i), -1.0);
        b.extend([0.0, 1.0, 0.0]);
    }
    for (k, e) in edges.iter().enumerate() {
        tri.push(cone_row[e.bidder] + 2, y(k), -e.worth / unit[e.bidder]);
    }
    let mut cones = vec![SupportedConeT::NonnegativeConeT(orthant)];
    cones.extend((0..n).map(|_| SupportedConeT::ExponentialConeT()));

    let a = tri.into_csc(b.len(), vars);
    let p = CscMatrix::zeros((vars, vars));
    let settings = DefaultSettings {
        verbose: false,
        max_iter: options.max_iter,
        tol_gap_abs: options.tolerance,
        tol_gap_rel: options.tolerance,
        tol_feas: options.tolerance,
        equilibrate_enable: options.equilibrate,
        max_step_fraction: options.max_step_fraction,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings).map_err(|e| FppeError::Setup(e.to_string()))?;
    solver.solve();
    let sol = &solver.solution;
    let status = SolveStatus::from(sol.status);
    if status != SolveStatus::Optimal {
        return Err(FppeError::NotSolved { status, iterations: sol.iterations });
    }

    // Interior points keep every y_e and d_i strictly positive; the clamps only guard against
    // round-off.
    let mut shares = vec![vec![0.0; m]; n];
    let mut utility: Vec<f64> = (0..n).map(|i| unit[i] * sol.x[d(i)].max(0.0)).collect();
    for (k, e) in edges.iter().enumerate() {
        let share = sol.x[y(k)].clamp(0.0, 1.0);
        shares[e.bidder][e.good] = share;
        utility[e.bidder] += e.worth * share;
    }
    // u_i >= B_i > 0 at the optimum (a_i <= 1); the cap absorbs round-off above 1.
    let multipliers = (0..n).map(|i| (budget[i] / utility[i]).min(1.0)).collect();
    let prices = (0..m)
        .map(|j| match supply_row[j] {
            // The dual prices the whole good in solver money: back to per unit, caller's money.
            Some(r) => sol.z[r].max(0.0) * scale / market.goods[j].supply,
            None => 0.0,
        })
        .collect();
    Ok(RawSolution { multipliers, prices, shares, status, iterations: sol.iterations })
}

/// A (bidder, good) pair with positive value: one allocation variable.
struct Edge {
    bidder: usize,
    good: usize,
    /// The bidder's value for the whole supply of the good, in solver money.
    worth: f64,
}

/// Sparse matrix entries, handed to Clarabel in column form.
#[derive(Default)]
struct Triplets {
    rows: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
}

impl Triplets {
    fn push(&mut self, row: usize, col: usize, val: f64) {
        self.rows.push(row);
        self.cols.push(col);
        self.vals.push(val);
    }

    fn into_csc(self, m: usize, n: usize) -> CscMatrix<f64> {
        CscMatrix::new_from_triplets(m, n, self.rows, self.cols, self.vals)
    }
}
