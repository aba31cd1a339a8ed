//! Creator monotonicity along the audit's own perturbations, and why the audit raises every edge
//! of a creator: hand-built days where raising one item lowers its creator's total.

use std::path::Path;

use agora_instances::{generate_day, parse_str, Instance, Size};
use agora_mechanisms::audit::{audit, raise_engagement, AuditConfig, Margins};
use agora_solver::{formulate, optimal_face_extreme, solve, FaceEnd, Resolver, Settings, Status};
use proptest::prelude::*;

fn parse(text: &str) -> Instance {
    parse_str(text, Path::new("day.json")).expect("a valid day").instance
}

/// Creator `c`'s impressions in plan `x`.
fn exposure(inst: &Instance, x: &[f64], c: usize) -> f64 {
    inst.edges.iter().zip(x).filter(|(e, _)| inst.items[e.item].creator() == Some(c)).map(|(_, x)| x).sum()
}

/// The least and most impressions creator `c` gets over `inst`'s optimal plans (a QP's one plan).
fn range(inst: &Instance, c: usize) -> (f64, f64) {
    let sol = solve(inst, &Settings::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal);
    let at = exposure(inst, &sol.impressions, c);
    let model = formulate(inst);
    let w: Vec<(usize, f64)> = (0..inst.edges.len()).filter(|&e| inst.items[inst.edges[e].item].creator() == Some(c)).map(|e| (e, 1.0)).collect();
    let end = |e| optimal_face_extreme(&model, &w, e, &Settings::default()).unwrap().unwrap_or(at);
    (end(FaceEnd::Least).min(at), end(FaceEnd::Most).max(at))
}

/// Every edge of `item` gains `delta` of engagement.
fn raise_item(inst: &Instance, item: &str, delta: f64) -> Instance {
    let i = inst.items.iter().position(|it| it.id == item).unwrap();
    let mut out = inst.clone();
    out.edges.iter_mut().filter(|e| e.item == i).for_each(|e| e.engagement += delta);
    out
}

/// Parity with tolerance 0 between two groups of equal merit: E_g = E_h. Creator c (group g) has
/// j in s1, beside o1 of group h (engagement 1), and k alone in s2 (engagement 0.5).
///
/// Before (j at 0): every impression of c needs one of o1's, and s1 holds j + o1 <= 10. k is
/// worth 1.5 per unit of s1 used (its own 0.5 plus o1's 1), j 0.5 (o1's 1 over the 2 units of
/// s1 that j and its o1 take): k = o1 = 10, j = 0; c has 10. Raise j alone by 2.5: j is now worth
/// (2.5 + 1) / 2 = 1.75 per unit of s1, above k's 1.5: j = o1 = 5, k = 0; c has 5. Raising every
/// edge of c by 2.5 instead makes k worth (3 + 1) / 1 = 4 against j's 1.75: c keeps its 10.
const PARITY_DAY: &str = r#"{"schema": "agora.instance/v1", "name": "item-raise-under-parity",
    "segments": [{"id": "s1", "supply": 10}, {"id": "s2", "supply": 10}],
    "creators": [{"id": "c", "group": "g"}, {"id": "o", "group": "h"}],
    "items": [
        {"id": "j", "creator": "c", "topic": "t", "quality": 0.25, "risk": 0, "fresh": false},
        {"id": "k", "creator": "c", "topic": "t", "quality": 0.25, "risk": 0, "fresh": false},
        {"id": "o1", "creator": "o", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}],
    "edges": [
        {"segment": "s1", "item": "j", "engagement": 0, "price": 0},
        {"segment": "s1", "item": "o1", "engagement": 1, "price": 0},
        {"segment": "s2", "item": "k", "engagement": 0.5, "price": 0}],
    "constraints": [{"name": "parity", "type": "exposure_parity", "groups": ["g", "h"], "tolerance": 0}]}"#;

/// An integrity cap of 10% in one segment of 10: risk-weighted impressions at most 0.1 T. c has j
/// (risk 0.5, engagement 0) and k (risk 0.1, engagement 2), o has a riskless item (engagement 1).
///
/// k's risk equals the share, so it never binds the cap: before, k takes all 10; c has 10. Raise
/// j alone by 10: the row reads o >= 4 j (0.5 j + 0.1 k <= 0.1 (j + k + o)), and the objective
/// over k's 2 per impression is 8 per j minus 1 per o: j = 2, o = 8, k = 0 (28 against k's 20);
/// c has 2. Raised on every edge by 10, k is worth 12 and c keeps its 10.
const INTEGRITY_DAY: &str = r#"{"schema": "agora.instance/v1", "name": "item-raise-under-an-integrity-cap",
    "segments": [{"id": "s", "supply": 10}],
    "creators": [{"id": "c", "group": "g"}, {"id": "o", "group": "g"}],
    "items": [
        {"id": "j", "creator": "c", "topic": "t", "quality": 0, "risk": 0.5, "fresh": false},
        {"id": "k", "creator": "c", "topic": "t", "quality": 0, "risk": 0.1, "fresh": false},
        {"id": "q", "creator": "o", "topic": "t", "quality": 0, "risk": 0, "fresh": false}],
    "edges": [
        {"segment": "s", "item": "j", "engagement": 0, "price": 0},
        {"segment": "s", "item": "k", "engagement": 2, "price": 0},
        {"segment": "s", "item": "q", "engagement": 1, "price": 0}],
    "constraints": [{"name": "integrity", "type": "integrity_cap", "segments": "*", "max_share": 0.1}]}"#;

#[test]
fn under_parity_raising_one_item_can_lower_its_creators_total() {
    let day = parse(PARITY_DAY);
    assert_eq!(range(&day, 0), (10.0, 10.0));
    let (least, most) = range(&raise_item(&day, "j", 2.5), 0);
    assert!((least - 5.0).abs() < 1e-6 && (most - 5.0).abs() < 1e-6, "{least}..{most}");
    let (least, _) = range(&raise_engagement(&day, 0, 2.5), 0);
    assert!((least - 10.0).abs() < 1e-6, "{least}");
}

#[test]
fn under_an_integrity_cap_raising_one_item_can_lower_its_creators_total() {
    let day = parse(INTEGRITY_DAY);
    assert_eq!(range(&day, 0), (10.0, 10.0));
    let (least, most) = range(&raise_item(&day, "j", 10.0), 0);
    assert!((least - 2.0).abs() < 1e-6 && (most - 2.0).abs() < 1e-6, "{least}..{most}");
    let (least, _) = range(&raise_engagement(&day, 0, 10.0), 0);
    assert!((least - 10.0).abs() < 1e-6, "{least}");
}

#[test]
fn the_audit_raises_every_edge_so_both_days_hold() {
    for text in [PARITY_DAY, INTEGRITY_DAY] {
        let day = parse(text);
        let report = audit(&day, &AuditConfig::default()).unwrap();
        let check = report.check("creator_monotonicity").unwrap();
        assert_eq!(check.verdict, agora_mechanisms::audit::Verdict::Holds, "{}", report.table());
        assert!(check.trials > 0);
    }
}

/// For every creator the audit draws on `inst`, the raises it tries ([`Margins::raises`]), each
/// solved cold and independently: the creator's exposure never falls from one raise to the next
/// (0 first), up to what the backends' accuracy allows (revealed preference: `w (d2 - d1)` times
/// the change is at least `-2 eps`).
fn monotone_along_the_audits_raises(inst: &Instance, seed: u64) -> Result<(), TestCaseError> {
    let w = inst.objective.engagement;
    let report = audit(inst, &AuditConfig { trials: 3, seed, ..AuditConfig::default() }).unwrap();
    let (resolver, base) = Resolver::new(inst, &Settings::default()).unwrap();
    let margins = Margins::of(inst, resolver.model(), &base);
    let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
    for t in report.trials_of("creator_monotonicity") {
        let c = inst.creators.iter().position(|x| x.id == t.creator).unwrap();
        let mut last = (0.0, exposure(inst, &solve(inst, &Settings::default()).unwrap().impressions, c), base.objective);
        for delta in margins.raises(c, w) {
            let day = raise_engagement(inst, c, delta);
            let sol = solve(&day, &Settings::default()).unwrap();
            prop_assert_eq!(sol.status, Status::Optimal);
            let now = exposure(&day, &sol.impressions, c);
            let eps = 1e-7 * last.2.abs().max(sol.objective.abs()).max(1.0);
            let tol = 2.0 * eps / (w * (delta - last.0)) + 1e-9 * supply;
            prop_assert!(now >= last.1 - tol, "creator {}: raise {} gives {} after {} at raise {}", t.creator, delta, now, last.1, last.0);
            last = (delta, now, sol.objective);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Generated days carry every rule type (parity, topic caps, floors, integrity caps, ...).
    #[test]
    fn exposure_never_falls_along_the_audits_raises_on_lp_days(seed in 0u64..100_000, audit_seed in 0u64..1000) {
        monotone_along_the_audits_raises(&generate_day(Size::Tiny, seed, 0.0), audit_seed)?;
    }

    #[test]
    fn exposure_never_falls_along_the_audits_raises_on_qp_days(seed in 0u64..100_000, audit_seed in 0u64..1000) {
        monotone_along_the_audits_raises(&generate_day(Size::Tiny, seed, 0.5), audit_seed)?;
    }
}
