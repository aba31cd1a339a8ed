//! Days the export and table tests share: the example day and generated days, each also with
//! a rule of every type the generator does not write, solved.

#![allow(dead_code)]

use agora_instances::{generate, Instance, Size};
use agora_solver::{solve, Settings, SolutionFile};

/// The bundled example day.
pub fn example() -> Instance {
    agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance
}

/// Optimally solved days: the example day, generated days of two sizes, each also with every
/// constraint type.
pub fn solved_days() -> Vec<(String, Instance, SolutionFile)> {
    let mut days = vec![("example".to_string(), example())];
    for (size, seed) in [(Size::Tiny, 0u64), (Size::Tiny, 1), (Size::Tiny, 2), (Size::Small, 0)] {
        days.push((format!("{size:?} {seed}"), generate(size, seed)));
    }
    let mut ridge = generate(Size::Tiny, 3);
    ridge.objective.regularization = 0.5;
    days.push(("tiny 3 with a ridge".to_string(), ridge));
    let every: Vec<(String, Instance)> = days.iter().map(|(n, d)| (format!("{n} with every type"), agora_instances::with_every_rule_kind(d.clone()))).collect();
    days.extend(every);
    let solved: Vec<(String, Instance, SolutionFile)> = days
        .into_iter()
        .filter_map(|(name, inst)| {
            let sol = solve(&inst, &Settings::default()).unwrap();
            sol.status.is_optimal().then(|| {
                let file = sol.to_file(&inst);
                (name, inst, file)
            })
        })
        .collect();
    assert!(solved.len() >= 8, "only {} of the days solve optimally", solved.len());
    solved
}
