//! Days shaped like the real one (issues 14 and 33): heavy-tailed supply, tiny prices with a large
//! revenue weight, every rule soft but the ad load, integrity and revenue floor, rho in
//! {0, 0.5, 5, 50}: `auto` never ends `numerical_error`, and neither does Clarabel chosen
//! explicitly: it ends as `auto` does (optimal or infeasible), at `auto`'s optimum.

use agora_instances::{generate_day, Size};
use agora_solver::{solve, BackendChoice, Settings, Status};
use proptest::prelude::*;

fn realish(seed: u64, rho: f64, small: bool) -> agora_instances::Instance {
    let mut d = generate_day(if small { Size::Small } else { Size::Tiny }, seed, rho);
    d.objective.revenue = 20.0;
    for e in d.edges.iter_mut() {
        e.price *= 0.5;
    }
    // Heavy-tailed supply: square the spread around the median.
    let mut supplies: Vec<f64> = d.segments.iter().map(|s| s.supply).collect();
    supplies.sort_by(f64::total_cmp);
    let median = supplies[supplies.len() / 2];
    for s in d.segments.iter_mut() {
        s.supply = (median * (s.supply / median).powi(2)).clamp(1e3, 5e6).round();
    }
    for c in d.constraints.iter_mut() {
        if !matches!(c.kind.type_name(), "ad_load" | "integrity_cap" | "revenue_floor") {
            c.penalty = Some(0.05);
        }
    }
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn auto_never_ends_in_a_numerical_error(seed in 0u64..100_000, k in 0usize..4, small in prop::bool::weighted(0.1)) {
        let rho = [0.0, 0.5, 5.0, 50.0][k];
        let d = realish(seed, rho, small);
        let sol = solve(&d, &Settings::default()).unwrap();
        prop_assert!(sol.status != Status::NumericalError, "seed {seed} rho {rho} small {small}: {:?}", sol.message);
    }

    #[test]
    fn clarabel_ends_as_auto_does(seed in 0u64..100_000, k in 0usize..4, small in prop::bool::weighted(0.1)) {
        let rho = [0.0, 0.5, 5.0, 50.0][k];
        let d = realish(seed, rho, small);
        let auto = solve(&d, &Settings::default()).unwrap();
        let clarabel = solve(&d, &Settings { backend: BackendChoice::Clarabel, ..Settings::default() }).unwrap();
        prop_assert_eq!(clarabel.status, auto.status, "seed {} rho {} small {}: {:?}", seed, rho, small, clarabel.message);
        if auto.status == Status::Optimal {
            let rel = (clarabel.objective - auto.objective).abs() / auto.objective.abs().max(1.0);
            prop_assert!(rel <= 1e-6, "seed {seed} rho {rho} small {small}: Clarabel's objective {} against auto's {} ({rel:e})", clarabel.objective, auto.objective);
        }
    }
}
