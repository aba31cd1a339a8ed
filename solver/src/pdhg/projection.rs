//! The per-segment subproblems of the first-order method, solved exactly.
//!
//! Both have the same shape: given per-edge `w_e`, weights `g_e > 0` and caps `u_e`, find the
//! smallest `lambda >= 0` such that `sum_e clamp(w_e - lambda g_e, 0, u_e) <= supply`.
//!
//! - The primal step's prox over `{0 <= x <= u, sum x <= supply}` in the diagonal metric of the
//!   preconditioned step sizes is exactly that, with `lambda` the step's supply multiplier.
//! - The dual bound of a segment for a QP (`max d.x - q/2 |x|^2` over the same set) is too, with
//!   `w = d / q`, `g = 1 / q`; `lambda` is then the segment's supply dual.
//!
//! The function `sum clamp(..)` is piecewise linear and nonincreasing in `lambda`: a bracketed
//! Newton iteration lands exactly once it is on the right piece (usually 1 to 3 evaluations when
//! started from the previous iteration's `lambda`), and falls back to bisection otherwise.

/// Finds `lambda` and overwrites `x` (which holds `w` on entry) with
/// `clamp(w - lambda g, 0, u)`. `guess` is a previous `lambda` to start from.
pub(crate) fn project_capped(x: &mut [f64], g: &[f64], u: &[f32], supply: f64, guess: f64) -> f64 {
    let eval = |x: &[f64], lam: f64| -> (f64, f64) {
        let mut s = 0.0;
        let mut slope = 0.0;
        for ((&w, &gi), &ui) in x.iter().zip(g).zip(u) {
            let ui = ui as f64;
            let v = w - lam * gi;
            if v <= 0.0 {
                continue;
            }
            if v >= ui {
                s += ui;
            } else {
                s += v;
                slope += gi;
            }
        }
        (s, slope)
    };
    // Start at the guess (the previous iteration's multiplier, usually exact or one Newton
    // step away); the bracket [lo, hi] grows from what the evaluations show.
    let mut lo = 0.0f64;
    let mut hi = f64::INFINITY;
    let mut lam = guess.max(0.0);
    let mut zero_tested = false;
    for _ in 0..200 {
        zero_tested |= lam == 0.0;
        let (s, slope) = eval(x, lam);
        if lam == 0.0 && s <= supply {
            break;
        }
        if (s - supply).abs() <= 1e-13 * supply {
            break;
        }
        if s > supply {
            lo = lam;
        } else {
            hi = lam;
        }
        if hi.is_finite() && hi - lo <= 1e-15 * hi {
            // The bracket closed: take its feasible end.
            lam = hi;
            break;
        }
        let newton = if slope > 0.0 { lam + (s - supply) / slope } else { f64::NAN };
        lam = if newton > lo && newton < hi {
            newton
        } else if !zero_tested && newton <= 0.0 {
            // The answer may be 0 itself.
            0.0
        } else {
            if hi == f64::INFINITY {
                // Past every breakpoint all of x is 0.
                hi = x.iter().zip(g).map(|(&w, &gi)| w / gi).fold(0.0f64, f64::max);
                if hi <= lo {
                    lam = hi;
                    break;
                }
            }
            0.5 * (lo + hi)
        };
    }
    for ((xv, &gi), &ui) in x.iter_mut().zip(g).zip(u) {
        *xv = (*xv - lam * gi).clamp(0.0, ui as f64);
    }
    lam
}

/// The supply dual of an LP segment and its contribution to the Lagrangian bound:
/// `min over lambda >= 0 of lambda * supply + sum_e u_e (d_e - lambda)^+`, where uncapped edges
/// force `lambda >= d_e`. `order` is scratch of the segment's length.
pub(crate) fn lp_block_dual(d: &[f64], u: &[f32], supply: f64, order: &mut Vec<u32>) -> (f64, f64) {
    let mut lam0 = 0.0f64;
    for (&de, &ue) in d.iter().zip(u) {
        if !ue.is_finite() {
            lam0 = lam0.max(de);
        }
    }
    order.clear();
    order.extend((0..d.len() as u32).filter(|&i| u[i as usize].is_finite() && d[i as usize] > lam0));
    order.sort_unstable_by(|&a, &b| d[b as usize].total_cmp(&d[a as usize]).then(a.cmp(&b)));
    let mut lam = lam0;
    let mut cum = 0.0;
    for &i in order.iter() {
        cum += u[i as usize] as f64;
        if cum > supply {
            lam = d[i as usize].max(lam0);
            break;
        }
    }
    let mut bound = lam * supply;
    for &i in order.iter() {
        let i = i as usize;
        bound += u[i] as f64 * (d[i] - lam).max(0.0);
    }
    (lam, bound)
}

/// The supply dual of a QP segment and its contribution to the Lagrangian bound:
/// `max over {0 <= x <= u, sum x <= supply} of d.x - 1/2 sum q_e x_e^2`. `w`, `g` are scratch of
/// the segment's length.
pub(crate) fn qp_block_dual(d: &[f64], q: f64, u: &[f32], supply: f64, w: &mut [f64], g: &mut [f64]) -> (f64, f64) {
    for k in 0..d.len() {
        w[k] = d[k] / q;
        g[k] = 1.0 / q;
    }
    let lam = project_capped(w, g, u, supply, 0.0);
    let mut bound = lam * supply;
    for k in 0..d.len() {
        let x = w[k];
        bound += (d[k] - lam) * x - 0.5 * q * x * x;
    }
    (lam, bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_matches_hand_computation() {
        // w = (3, 1, 2), unit weights, supply 3: lambda = 1 gives (2, 0, 1).
        let mut x = vec![3.0, 1.0, 2.0];
        let lam = project_capped(&mut x, &[1.0; 3], &[f32::INFINITY; 3], 3.0, 0.0);
        assert!((lam - 1.0).abs() < 1e-12, "{lam}");
        assert_eq!(x, vec![2.0, 0.0, 1.0]);
        // A cap of 1.5 on the first edge: 1.5 + (1 - l) + (2 - l) = 3 at l = 0.75.
        let mut x = vec![3.0, 1.0, 2.0];
        let lam = project_capped(&mut x, &[1.0; 3], &[1.5, f32::INFINITY, f32::INFINITY], 3.0, 0.9);
        assert!((lam - 0.75).abs() < 1e-12, "{lam}");
        assert!(x[0] == 1.5 && (x[1] - 0.25).abs() < 1e-12 && (x[2] - 1.25).abs() < 1e-12, "{x:?}");
        // Inside the set already: unchanged.
        let mut x = vec![0.5, -1.0, 1.0];
        assert_eq!(project_capped(&mut x, &[1.0; 3], &[1.0; 3], 3.0, 0.0), 0.0);
        assert_eq!(x, vec![0.5, 0.0, 1.0]);
    }

    #[test]
    fn lp_block_dual_is_the_knapsack_threshold() {
        // Capped edges worth 3, 2, 1 with caps 1 each, supply 1.5: the second edge is marginal.
        let mut order = Vec::new();
        let (lam, bound) = lp_block_dual(&[3.0, 2.0, 1.0], &[1.0, 1.0, 1.0], 1.5, &mut order);
        assert_eq!(lam, 2.0);
        assert_eq!(bound, 2.0 * 1.5 + 1.0); // = 3 * 1 + 2 * 0.5, the knapsack optimum
                                            // An uncapped edge worth 2.5 sets the floor.
        let (lam, bound) = lp_block_dual(&[3.0, 2.5, 1.0], &[1.0, f32::INFINITY, 1.0], 1.5, &mut order);
        assert_eq!(lam, 2.5);
        assert_eq!(bound, 2.5 * 1.5 + 0.5);
    }
}
