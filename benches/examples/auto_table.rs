//! The table `auto` is chosen from: every exact path on generated days of every size up to the
//! medium day and on the real MovieLens day, LP and QP (rho 0, 0.5, 5, 50), timed in one process,
//! each as a ratio to the fastest path on that day; then what `auto` picks and its ratio.
//!
//! ```text
//! cargo run --release -p agora-benches --example auto_table [-- REPEATS]
//! ```
//!
//! Paths: HiGHS (agora's `highs` backend: presolve off), HiGHS with its presolve on, Clarabel, and
//! sifting (the first-order backend's exact method). Each is run at least REPEATS times (default 3),
//! more while its runs total under 2 s (up to 25), once when a run takes over 5 s, and its median
//! wall time kept: formulation, solve and agora's certificate,
//! everything `agora_solver::solve` does. A path that does not end optimal, or whose objective is not
//! the others' to 1e-6 relative, is marked and not a candidate. HiGHS' QP runs get a 10 s limit (its
//! active-set method stalls on some of agora's QPs). The real day needs `scripts/fetch-data.sh`.
//! Results: benches/RESULTS.md, "auto".

use std::path::Path;
use std::time::Instant;

use agora_instances::{generate_day, Instance, Size};
use agora_solver::{formulate, highs_with_method, solve, BackendChoice, FirstOrderMethod, Settings, Status};

/// Only the predicted support is printed when this is set (no solves): `SUPPORT_ONLY=1`.
const SUPPORT_ONLY: &str = "SUPPORT_ONLY";

/// One exact path.
#[derive(Clone, Copy, PartialEq)]
enum Path_ {
    Highs,
    HighsPresolve,
    Clarabel,
    Sifting,
}

const PATHS: [Path_; 4] = [Path_::Highs, Path_::HighsPresolve, Path_::Clarabel, Path_::Sifting];

impl Path_ {
    fn name(self) -> &'static str {
        match self {
            Path_::Highs => "highs",
            Path_::HighsPresolve => "highs-presolve",
            Path_::Clarabel => "clarabel",
            Path_::Sifting => "sifting",
        }
    }
}

/// Runs `path` once: (seconds, optimal objective or None).
fn run(inst: &Instance, path: Path_) -> (f64, Option<f64>) {
    let qp = inst.objective.regularization > 0.0;
    let limit = if qp && matches!(path, Path_::Highs | Path_::HighsPresolve) { Some(10.0) } else { None };
    let t = Instant::now();
    let objective = match path {
        Path_::HighsPresolve => {
            let settings = Settings { time_limit: limit, ..Settings::default() };
            let model = formulate(inst);
            let r = highs_with_method(&model, &settings, "choose", &[("presolve", "on")]).expect("no solver error");
            // The same certificate the solve path applies.
            let sol = agora_solver::Solution::from_backend(inst, &model, r, "highs", settings.check_tolerance, 0.0);
            (sol.status == Status::Optimal).then_some(sol.objective)
        }
        _ => {
            let backend = match path {
                Path_::Highs => BackendChoice::Highs,
                Path_::Clarabel => BackendChoice::Clarabel,
                _ => BackendChoice::FirstOrder,
            };
            let settings = Settings { backend, time_limit: limit, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() };
            let sol = solve(inst, &settings).expect("no solver error");
            (sol.status == Status::Optimal).then_some(sol.objective)
        }
    };
    (t.elapsed().as_secs_f64(), objective)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let repeats: usize = std::env::args().nth(1).map(|s| s.parse().expect("REPEATS is a number")).unwrap_or(3);
    let mut days: Vec<(String, Instance)> = Vec::new();
    for size in [Size::Tiny, Size::Small, Size::Medium] {
        for rho in [0.0, 0.5, 5.0, 50.0] {
            days.push((format!("{size:?} rho {rho}").to_lowercase(), generate_day(size, 1, rho)));
        }
    }
    let ml = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    match agora_instances::import::movielens::import(&ml) {
        Ok(real) => {
            for rho in [0.0, 0.5, 5.0, 50.0] {
                let mut d = real.clone();
                d.objective.regularization = rho;
                days.push((format!("movielens rho {rho}"), d));
            }
        }
        Err(e) => eprintln!("skipping the real day ({e}): run scripts/fetch-data.sh"),
    }
    println!("| day | edges | predicted support | {} | auto picks | auto / fastest |", PATHS.map(|p| p.name()).join(" | "));
    println!("|---|---|---|{}---|---|", "---|".repeat(PATHS.len()));
    if std::env::var_os(SUPPORT_ONLY).is_some() {
        for (name, inst) in &days {
            println!("{name}: predicted support {:.3}", agora_solver::predicted_support(&formulate(inst)));
        }
        return;
    }
    for (name, inst) in &days {
        let mut times = Vec::new();
        for path in PATHS {
            let mut runs = Vec::new();
            let mut objective = None;
            // At least REPEATS runs, more while they total under 2 s (up to 25): fast days need
            // many runs for a stable median; a run over 5 s is timed once.
            while runs.len() < 25 && (runs.len() < repeats || runs.iter().sum::<f64>() < 2.0) {
                let (s, o) = run(inst, path);
                runs.push(s);
                objective = o;
                if s > 5.0 {
                    break;
                }
            }
            times.push((median(runs), objective));
        }
        // The reference optimum: the median of the optimal paths' objectives.
        let objs: Vec<f64> = times.iter().filter_map(|t| t.1).collect();
        let reference = median(objs.clone());
        let exact = |o: Option<f64>| o.is_some_and(|v| (v - reference).abs() <= 1e-6 * (1.0 + reference.abs()));
        let fastest = times.iter().filter(|t| exact(t.1)).map(|t| t.0).fold(f64::INFINITY, f64::min);
        let model = formulate(inst);
        let picked = match BackendChoice::Auto.resolve_for(&model) {
            BackendChoice::Highs => Path_::Highs,
            BackendChoice::Clarabel => Path_::Clarabel,
            _ => Path_::Sifting,
        };
        let auto_time = times[PATHS.iter().position(|&p| p == picked).unwrap()].0;
        let cells: Vec<String> =
            times.iter().map(|&(s, o)| if exact(o) { format!("{s:.3} s ({:.2}x)", s / fastest) } else { format!("{s:.3} s (not optimal)") }).collect();
        println!(
            "| {name} | {} | {:.3} | {} | {} | {:.2}x |",
            inst.edges.len(),
            agora_solver::predicted_support(&model),
            cells.join(" | "),
            picked.name(),
            auto_time / fastest
        );
    }
}
