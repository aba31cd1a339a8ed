//! An observer that asks a computation to stop ([`Observer::interrupted`], what Ctrl-C in the
//! Python package sets): sifting, PDHG and frontiers end with `SolveError::Interrupted`, never
//! with a status or a partial answer; an observer that never asks changes nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use agora_instances::{generate_day, Size};
use agora_solver::frontier::{self, FrontierError, FrontierSettings, Sweep};
use agora_solver::{solve, BackendChoice, FirstOrderMethod, Observer, Settings, SolveError};

/// Asks to stop once `after` units of work are done (0: at once).
struct StopAfter {
    after: u64,
    done: AtomicU64,
}

impl Observer for StopAfter {
    fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    fn interrupted(&self) -> bool {
        self.done.load(Ordering::Relaxed) >= self.after
    }
}

fn stop_after(after: u64) -> Arc<StopAfter> {
    Arc::new(StopAfter { after, done: AtomicU64::new(0) })
}

fn first_order(method: FirstOrderMethod, regularization: f64) -> (agora_instances::Instance, Settings) {
    let day = generate_day(Size::Small, 11, regularization);
    let settings = Settings { backend: BackendChoice::FirstOrder, first_order_method: method, ..Settings::default() };
    (day, settings)
}

#[test]
fn sifting_and_pdhg_stop_when_asked() {
    for (method, rho) in [(FirstOrderMethod::Sifting, 0.0), (FirstOrderMethod::Sifting, 0.5), (FirstOrderMethod::Pdhg, 0.0)] {
        let (day, settings) = first_order(method, rho);
        let asked = settings.clone().validated().unwrap().observed_by(stop_after(0));
        assert!(matches!(solve(&day, &asked), Err(SolveError::Interrupted)), "{method:?} rho {rho}");
        // The same solve, never asked: optimal.
        let never = settings.validated().unwrap().observed_by(stop_after(u64::MAX));
        assert!(solve(&day, &never).unwrap().status.is_optimal(), "{method:?} rho {rho}");
    }
}

#[test]
fn a_frontier_stops_between_points() {
    let day = generate_day(Size::Tiny, 5, 0.0);
    let sweep = Sweep::parse(&day, "objective.revenue=0..20", 9).unwrap();
    let fs = FrontierSettings::default();
    let stop = stop_after(3);
    match frontier::run(&day, std::slice::from_ref(&sweep), &fs, stop.as_ref()) {
        Err(FrontierError::Solve(SolveError::Interrupted)) => {}
        other => panic!("expected an interruption, got {:?}", other.map(|f| f.points.len())),
    }
    // Each chain asks before its next point: no more than 3 points plus one in flight per chain.
    assert!(stop.done.load(Ordering::Relaxed) < 9);
    let all = frontier::run(&day, &[sweep], &fs, stop_after(u64::MAX).as_ref()).unwrap();
    assert_eq!(all.points.len(), 9);
}
