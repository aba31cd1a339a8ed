//! `PlanSums::of_model` sums a plan over blocks of columns on the threads there are, added in
//! block order. Its blocks hold 2^20 columns, so the days tests solve are one block; here the
//! blocks are made small, and the sums are checked against the one-pass sums (the same to
//! rounding) and across thread counts (the same bits).

use agora_instances::{generate_day, with_every_rule_kind, Size};
use proptest::prelude::*;

use super::PlanSums;
use crate::formulate::Formulation;
use crate::ir::Columns;
use crate::{solve, Settings, Status};

/// The sums at a day's optimum over blocks of `block` columns, on `threads` threads.
fn sums(day: &agora_instances::Instance, x: &[f64], y: &[f64], block: usize, threads: usize) -> PlanSums {
    let model = Formulation::new(day);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
    pool.install(|| PlanSums::of_model(day, &model, x, y, None, |j| j, model.n_cols(), block))
}

/// Equal to rounding at `scale`, the size of what was added up.
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-12 * scale.max(a.abs()).max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn sums_over_blocks_are_the_one_pass_sums(seed in 0u64..100_000, every_kind in any::<bool>(), block in 1usize..200) {
        let day = generate_day(Size::Tiny, seed, 0.0);
        let day = if every_kind { with_every_rule_kind(day) } else { day };
        let sol = solve(&day, &Settings::default()).expect("solves");
        prop_assume!(sol.status == Status::Optimal);
        let model = Formulation::new(&day);
        let mut x = sol.impressions.clone();
        x.resize(model.n_cols(), 0.0);
        for (meta, row) in model.rows().iter().zip(&sol.rows) {
            if let Some(c) = meta.slack {
                x[c] = row.violation;
            }
        }
        let y: Vec<f64> = sol.rows.iter().map(|r| r.dual).collect();
        let whole = sums(&day, &x, &y, usize::MAX, 1);
        let blocks = sums(&day, &x, &y, block, 2);
        let (a, a_max) = whole.to_flat();
        let (b, b_max) = blocks.to_flat();
        // A row's activity cancels (a share row's terms are whole segments, its bound 0): it is
        // measured against the row's size, the sum of its terms' magnitudes, as the check does.
        let n_rows = whole.act.len();
        for (k, (u, v)) in a.iter().zip(&b).enumerate() {
            let scale = if k < n_rows { whole.size[k] } else { 0.0 };
            prop_assert!(close(*u, *v, scale), "sum {k}: one pass {u}, blocks of {block} {v}");
        }
        prop_assert_eq!(a_max, b_max);
        prop_assert_eq!(whole.check.worst_column, blocks.check.worst_column);
        // The blocks' order, not the threads', fixes the rounding.
        let one_thread = sums(&day, &x, &y, block, 1);
        prop_assert_eq!(one_thread.to_flat(), blocks.to_flat());
    }
}
