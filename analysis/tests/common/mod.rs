//! Days the export and table tests share: the example day and generated days, each also with
//! a rule of every type the generator does not write, solved.

#![allow(dead_code)]

use agora_instances::{generate, Constraint, ConstraintKind, Instance, SegmentSelector, Size};
use agora_solver::{solve, Settings, SolutionFile};

/// The bundled example day.
pub fn example() -> Instance {
    agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance
}

/// `inst` with a rule of every type the generator does not write (soft ones among them).
pub fn with_every_type(mut inst: Instance) -> Instance {
    let seg = |k: usize| inst.segments[k % inst.segments.len()].id.clone();
    let mut groups: Vec<String> = inst.creators.iter().map(|c| c.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let (s0, s1) = (seg(0), seg(1));
    let extra = [
        ("explore", None, ConstraintKind::ExplorationFloor { segments: SegmentSelector::Ids(vec![s0.clone(), s1]), min_share: 0.001, max_n: 5 }),
        ("parity_soft", Some(3.0), ConstraintKind::ExposureParity { groups, tolerance: 0.2 }),
        ("fresh_soft", Some(2.0), ConstraintKind::FreshnessFloor { segments: SegmentSelector::All, min_share: 0.3 }),
        ("ads_here", None, ConstraintKind::AdLoad { segments: SegmentSelector::Ids(vec![s0]), max_share: 0.25 }),
    ];
    for (name, penalty, kind) in extra {
        inst.constraints.push(Constraint { name: name.into(), penalty, kind });
    }
    inst
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
    let every: Vec<(String, Instance)> = days.iter().map(|(n, d)| (format!("{n} with every type"), with_every_type(d.clone()))).collect();
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
