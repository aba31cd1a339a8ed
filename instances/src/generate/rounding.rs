//! Item risk draws and the decimal rounding that makes generated numbers survive JSON.

use super::*;

/// Draws an item's risk: a third exactly 0, most small, a `borderline` share in [0.1, 0.3].
pub(super) fn draw_risk(rng: &mut StdRng, borderline: f64) -> f64 {
    let u = rng.random::<f64>();
    if u < 0.35 {
        0.0
    } else if u < 1.0 - borderline {
        round_sig(lognormal(0.008, 0.8).sample(rng).min(0.09), 2)
    } else {
        round_dp(rng.random_range(0.1..0.3), 2)
    }
}

/// Exact powers of ten: dividing an integer below 2^53 by one of them is correctly rounded, so
/// the numbers the generator writes survive a trip through JSON unchanged.
pub(super) const POW10: [f64; 23] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

#[derive(Clone, Copy)]
pub(super) enum Direction {
    Nearest,
    Up,
    Down,
}

/// `x` rounded to `decimals` places after the point (negative: before it), in `dir`.
pub(super) fn round_decimal(x: f64, decimals: i32, dir: Direction) -> f64 {
    let Some(&p) = POW10.get(decimals.unsigned_abs() as usize) else { return x };
    let to_int = |v: f64| if decimals >= 0 { v * p } else { v / p };
    let from_int = |n: f64| if decimals >= 0 { n / p } else { n * p };
    match dir {
        Direction::Nearest => from_int(to_int(x).round()),
        // The scaling itself rounds: step once more if that landed on the wrong side of `x`.
        Direction::Up => {
            let n = to_int(x).ceil();
            if from_int(n) < x {
                from_int(n + 1.0)
            } else {
                from_int(n)
            }
        }
        Direction::Down => {
            let n = to_int(x).floor();
            if from_int(n) > x {
                from_int(n - 1.0)
            } else {
                from_int(n)
            }
        }
    }
}

pub(super) fn sig_decimals(x: f64, digits: i32) -> i32 {
    digits - 1 - x.abs().log10().floor() as i32
}

pub(super) fn round_sig_dir(x: f64, digits: i32, dir: Direction) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    round_decimal(x, sig_decimals(x, digits), dir)
}

/// `x` to `digits` significant digits.
pub(super) fn round_sig(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Nearest)
}

/// `x` to `digits` significant digits, rounded up: for caps, which must stay above the witness.
pub(super) fn round_sig_up(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Up)
}

/// `x` to `digits` significant digits, rounded down: for floors, which must stay below the witness.
pub(super) fn round_sig_down(x: f64, digits: i32) -> f64 {
    round_sig_dir(x, digits, Direction::Down)
}

/// `x` to `decimals` places after the point.
pub(super) fn round_dp(x: f64, decimals: i32) -> f64 {
    round_decimal(x, decimals, Direction::Nearest)
}
