//! The knee of a one-parameter frontier, after Kneedle (Satopaa et al., 2011): the optimal
//! point farthest from the chord joining the first and last optimal points, once both axes
//! (parameter value and objective) are scaled to [0, 1].
//!
//! There is no knee (`None`) with fewer than 3 optimal points, when the objective does not
//! change, or when the curve is straight (every point within 1e-6 of the chord in scaled units).

use super::Point;

/// Index into `points` (sweep order) of the knee.
pub fn knee(points: &[Point]) -> Option<usize> {
    let curve: Vec<(usize, f64, f64)> = points.iter().enumerate().filter_map(|(i, p)| Some((i, *p.values.first()?, p.objective?))).collect();
    knee_of(&curve)
}

/// The knee of `(index, x, y)` triples, given in order along the curve.
pub fn knee_of(curve: &[(usize, f64, f64)]) -> Option<usize> {
    if curve.len() < 3 {
        return None;
    }
    let (lo_x, hi_x) = curve.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, x, _)| (lo.min(x), hi.max(x)));
    let (lo_y, hi_y) = curve.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, _, y)| (lo.min(y), hi.max(y)));
    if hi_x <= lo_x || hi_y - lo_y <= 1e-12 * hi_y.abs().max(lo_y.abs()).max(1.0) {
        return None;
    }
    let scale = |&(i, x, y): &(usize, f64, f64)| (i, (x - lo_x) / (hi_x - lo_x), (y - lo_y) / (hi_y - lo_y));
    let pts: Vec<(usize, f64, f64)> = curve.iter().map(scale).collect();
    let (_, x0, y0) = pts[0];
    let (_, x1, y1) = pts[pts.len() - 1];
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len = (dx * dx + dy * dy).sqrt();
    if len == 0.0 {
        return None;
    }
    let (best, dist) =
        pts.iter()
            .map(|&(i, x, y)| (i, ((x - x0) * dy - (y - y0) * dx).abs() / len))
            .fold((None, 0.0), |(bi, bd), (i, d)| if d > bd { (Some(i), d) } else { (bi, bd) });
    if dist < 1e-6 {
        None
    } else {
        best
    }
}

#[cfg(test)]
mod tests {
    use super::knee_of;

    #[test]
    fn knee_of_hand_drawn_curves() {
        // Rises steeply to x = 1, then flat: the corner is the knee.
        let c = [(0, 0.0, 0.0), (1, 1.0, 9.0), (2, 2.0, 9.5), (3, 3.0, 10.0), (4, 4.0, 10.0)];
        assert_eq!(knee_of(&c), Some(1));
        // Flat, then falling (a floor becoming expensive): the corner at x = 3.
        let c = [(0, 0.0, 10.0), (1, 1.0, 10.0), (2, 2.0, 9.9), (3, 3.0, 9.8), (4, 4.0, 0.0)];
        assert_eq!(knee_of(&c), Some(3));
        // A straight line has no knee, nor has a curve of two points or a constant one.
        let c = [(0, 0.0, 1.0), (1, 1.0, 2.0), (2, 2.0, 3.0)];
        assert_eq!(knee_of(&c), None);
        assert_eq!(knee_of(&c[..2]), None);
        assert_eq!(knee_of(&[(0, 0.0, 5.0), (1, 1.0, 5.0), (2, 2.0, 5.0)]), None);
        // Indices are carried through (points 1 and 3 were infeasible and left out).
        let c = [(0, 0.0, 0.0), (2, 1.0, 9.0), (4, 2.0, 10.0)];
        assert_eq!(knee_of(&c), Some(2));
    }
}
