//! Sifting's restricted LPs hold only the rows their columns enter (and those a plan of zeros
//! violates), adding a row when its first column arrives (`solver/src/sifting/restricted.rs`).
//! The speed-up must not change the answer: on generated days with every rule kind, LP and QP,
//! sifting ends with the certified optimum of HiGHS (LPs) or Clarabel (QPs) on the whole model.

use agora_instances::{generate_day, with_every_rule_kind, Size};
use agora_solver::{solve, BackendChoice, FirstOrderMethod, Settings, Solution, Status};
use proptest::prelude::*;

fn sifting() -> Settings {
    Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() }
}

fn whole(backend: BackendChoice) -> Settings {
    Settings { backend, ..Settings::default() }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

/// Sifting's answer on `day` against the whole model's on `backend`: both optimal, sifting's
/// certified by agora's independent check, the objectives equal to `tol` relative.
fn agrees(day: &agora_instances::Instance, backend: BackendChoice, tol: f64) -> Result<Solution, TestCaseError> {
    let reference = solve(day, &whole(backend)).unwrap();
    prop_assume!(reference.status == Status::Optimal);
    let sifted = solve(day, &sifting()).unwrap();
    prop_assert_eq!(sifted.status, Status::Optimal, "{:?}", sifted.message);
    let cert = sifted.certificate.clone().expect("an optimal answer carries its certificate");
    prop_assert!(cert.passes(1e-6), "{cert:?}");
    prop_assert!(rel(sifted.objective, reference.objective) <= tol, "sifting {} against {}", sifted.objective, reference.objective);
    Ok(sifted)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// LP days, tiny and small, with and without every rule kind (floors, caps, parity, budgets,
    /// exploration, edge caps): the same optimum as HiGHS on every row and column.
    #[test]
    fn sifted_lp_days_end_at_highs_optimum(seed in 0u64..100_000, small in any::<bool>(), every_kind in any::<bool>()) {
        let day = generate_day(if small { Size::Small } else { Size::Tiny }, seed, 0.0);
        let day = if every_kind { with_every_rule_kind(day) } else { day };
        agrees(&day, BackendChoice::Highs, 1e-9)?;
    }

    /// QP days (ridge 0.5): the LP phase runs on the restricted LPs with rows held as needed,
    /// and the QP phase ends at Clarabel's optimum on the whole model.
    #[test]
    fn sifted_qp_days_end_at_clarabels_optimum(seed in 0u64..100_000, every_kind in any::<bool>()) {
        let day = generate_day(Size::Tiny, seed, 0.5);
        let day = if every_kind { with_every_rule_kind(day) } else { day };
        agrees(&day, BackendChoice::Clarabel, 1e-6)?;
    }
}
