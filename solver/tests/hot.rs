//! Variants of a day re-solved from the day's optimal basis ([`Resolver`]) against cold solves of
//! the same variants: every kind of edit a variant can need (costs, matrix entries, bounds,
//! appended rows and columns, rows and columns that disappear), on the example day and on
//! generated days (proptest), and the day restored after each.

use agora_instances::{generate_day, Constraint, ConstraintKind, Creator, Instance, ItemSelector, Owner, SegmentSelector, Size};
use agora_solver::{optimal_face_extreme, solve, FaceEnd, Resolver, Settings, Status};
use proptest::prelude::*;

fn example() -> Instance {
    agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance
}

/// The variants a test tries: `(what, day)`.
fn variants(inst: &Instance, k: usize) -> Vec<(String, Instance)> {
    let mut out = Vec::new();
    let organic: Vec<usize> = (0..inst.items.len()).filter(|&i| inst.items[i].creator().is_some()).collect();
    if organic.is_empty() {
        return out;
    }
    let item = organic[k % organic.len()];
    let creator = inst.items[item].creator().unwrap();

    // Costs: the creator's edges gain engagement.
    let mut v = inst.clone();
    for e in &mut v.edges {
        if inst.items[e.item].creator() == Some(creator) {
            e.engagement += 0.05 + 0.01 * k as f64;
        }
    }
    out.push(("engagement raised".into(), v));

    // Matrix entries, and rows appearing or vanishing: the item's topic relabelled.
    let topics: Vec<&String> = inst.items.iter().map(|i| &i.topic).collect();
    if let Some(t) = topics.iter().find(|t| ***t != inst.items[item].topic) {
        let mut v = inst.clone();
        v.items[item].topic = (*t).clone();
        out.push(("topic relabelled".into(), v));
    }
    let mut v = inst.clone();
    v.items[item].topic = "a-topic-of-its-own".into();
    out.push(("topic new to the day".into(), v));

    // Parity coefficients: the creator moves to another group.
    let mut v = inst.clone();
    v.creators[creator].group = if inst.creators[creator].group == "new" { "small".into() } else { "new".into() };
    out.push(("group moved".into(), v));

    // Appended columns (and exploration rows, where the day has them): a copy of the item.
    let mut v = inst.clone();
    let copy = v.items.len();
    let mut dup = inst.items[item].clone();
    dup.id = format!("{}~copy", dup.id);
    v.items.push(dup);
    for e in 0..inst.edges.len() {
        if inst.edges[e].item == item {
            let mut edge = inst.edges[e];
            edge.item = copy;
            edge.engagement *= 0.99;
            v.edges.push(edge);
        }
    }
    out.push(("item copied".into(), v));

    // An appended row: a floor on the creator's own items, after a split into a clone.
    let mut v = inst.clone();
    let clone = v.creators.len();
    v.creators.push(Creator { id: "clone".into(), group: "new".into() });
    v.items[item].owner = Owner::Creator(clone);
    v.constraints.push(Constraint {
        name: "clone-floor".into(),
        penalty: Some(0.5),
        kind: ConstraintKind::ExposureFloor { items: ItemSelector::Creator("clone".into()), segments: SegmentSelector::All, min: 10.0 },
    });
    out.push(("split with its own floor".into(), v));

    // Rows and a slack column vanishing: the last rule dropped; bounds: supply cut by a tenth.
    let mut v = inst.clone();
    v.constraints.pop();
    out.push(("last rule dropped".into(), v));
    let mut v = inst.clone();
    for s in &mut v.segments {
        s.supply *= 0.9;
    }
    out.push(("supply cut".into(), v));
    out
}

/// Hot and cold agree on each variant, hot runs really are hot, and the day comes back whole.
fn check_day(inst: &Instance, k: usize) {
    let settings = Settings::default();
    let (mut r, base) = Resolver::new(inst, &settings).unwrap();
    assert_eq!(base.status, Status::Optimal);
    assert!(r.is_hot());
    let cold_base = solve(inst, &settings).unwrap();
    assert!((base.objective - cold_base.objective).abs() <= 1e-7 * base.objective.abs().max(1.0));
    let mut hot = 0;
    for (what, v) in variants(inst, k) {
        let cold = solve(&v, &settings).unwrap();
        let variant = r.solve(&v, &[]).unwrap();
        let sol = variant.solution();
        assert_eq!(sol.status, cold.status, "{what}: {:?}", sol.message);
        // A variant with no plan is proved so cold (the working set's infeasibility proves nothing).
        assert!(variant.hot() || cold.status == Status::Infeasible, "{what}: solved cold");
        hot += usize::from(variant.hot());
        if sol.status == Status::Optimal {
            let tol = 1e-7 * cold.objective.abs().max(1.0);
            assert!((sol.objective - cold.objective).abs() <= tol, "{what}: hot {} against cold {}", sol.objective, cold.objective);
        }
    }
    // Every variant undone: the day re-solves in no pivots, to the same optimum.
    let again = r.solve(inst, &[]).unwrap();
    assert_eq!(again.solution().iterations, 0, "the day's basis was not restored");
    assert!((again.solution().objective - base.objective).abs() <= 1e-9 * base.objective.abs().max(1.0));
    drop(again);
    assert_eq!(r.counts().0, hot + 1);
}

#[test]
fn variants_of_the_example_day_match_cold_solves() {
    let inst = example();
    for k in 0..4 {
        check_day(&inst, k);
    }
}

#[test]
fn faces_match_the_cold_face_program() {
    let inst = example();
    let settings = Settings::default();
    let (mut r, _) = Resolver::new(&inst, &settings).unwrap();
    for c in 0..inst.creators.len() {
        let w: Vec<(usize, f64)> = (0..inst.edges.len()).filter(|&e| inst.items[inst.edges[e].item].creator() == Some(c)).map(|e| (e, 1.0)).collect();
        for end in [FaceEnd::Least, FaceEnd::Most] {
            let hot = r.face_extreme(&w, end).unwrap().unwrap();
            let cold = optimal_face_extreme(r.model(), &w, end, &settings).unwrap().unwrap();
            assert!((hot - cold).abs() <= 1e-6 * cold.abs().max(1.0), "creator {c} {end:?}: hot {hot}, cold {cold}");
        }
    }
    // On a variant too: the creator's items in a new account.
    let (what, v) = variants(&inst, 1).into_iter().find(|(w, _)| w == "split with its own floor").unwrap();
    let cold_model = agora_solver::formulate(&v);
    let mut variant = r.solve(&v, &[]).unwrap();
    let w: Vec<(usize, f64)> = (0..v.edges.len()).filter(|&e| v.items[v.edges[e].item].creator() == Some(v.creators.len() - 1)).map(|e| (e, 1.0)).collect();
    for end in [FaceEnd::Least, FaceEnd::Most] {
        let hot = variant.face_extreme(&v, &w, end).unwrap().unwrap();
        let cold = optimal_face_extreme(&cold_model, &w, end, &settings).unwrap().unwrap();
        assert!((hot - cold).abs() <= 1e-6 * cold.abs().max(1.0), "{what} {end:?}: hot {hot}, cold {cold}");
    }
}

#[test]
fn a_qp_day_solves_its_variants_cold() {
    let inst = generate_day(Size::Tiny, 3, 0.5);
    let (mut r, base) = Resolver::new(&inst, &Settings::default()).unwrap();
    assert_eq!(base.status, Status::Optimal);
    assert!(!r.is_hot());
    let (_, v) = variants(&inst, 0).remove(0);
    let variant = r.solve(&v, &[]).unwrap();
    assert!(!variant.hot());
    let cold = solve(&v, &Settings::default()).unwrap();
    assert!((variant.solution().objective - cold.objective).abs() <= 1e-9 * cold.objective.abs().max(1.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn variants_of_generated_days_match_cold_solves(seed in 0u64..100_000, k in 0usize..50) {
        let inst = generate_day(Size::Tiny, seed, 0.0);
        check_day(&inst, k);
    }
}
