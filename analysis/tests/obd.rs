//! Off-policy estimates on the Open Bandit Dataset's sample (the obp 0.4.1 wheel's
//! obp/dataset/obd/, fetched into data/obd/ by scripts/fetch-data.sh, which `make test` runs):
//! the import, an on-policy identity, and each logging policy's value estimated from the other's
//! logs against its on-policy value (the figures are on docs/estimates.md).

use std::path::{Path, PathBuf};

use agora_analysis::offpolicy::{estimate, evaluate, EstimateSettings, Estimator, Policy, Prior};
use agora_instances::import::obd::{import, Imported, SegmentBy};

fn data(campaign: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/obd").join(campaign).join("all");
    assert!(dir.join("all.csv").exists(), "{} is missing: run scripts/fetch-data.sh (make test does)", dir.display());
    dir
}

fn both() -> (Imported, Imported) {
    (import(&data("random"), SegmentBy::Position).unwrap(), import(&data("bts"), SegmentBy::Position).unwrap())
}

#[test]
fn the_import_keeps_every_round_and_builds_the_documented_day() {
    let (random, bts) = both();
    for d in [&random, &bts] {
        assert_eq!(d.logs.rounds.len(), 10_000);
        assert_eq!(d.instance.segments.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["position-1", "position-2", "position-3"]);
        assert_eq!(d.instance.segments.iter().map(|s| s.supply).sum::<f64>(), 10_000.0);
        assert_eq!(d.instance.items.len(), 80);
    }
    // The random policy shows each of the 80 items with probability 1/80 in every position.
    assert!(random.logs.rounds.iter().all(|r| r.propensity == 0.0125));
    assert_eq!(random.instance.edges.len(), 240);
    // 38 and 42 clicks in 10,000 rounds.
    assert_eq!((random.logs.mean_reward(), bts.logs.mean_reward()), (0.0038, 0.0042));
    // One edge's engagement is its naive click rate.
    let e = &random.instance.edges[0];
    let (clicks, n) = random
        .logs
        .rounds
        .iter()
        .filter(|r| random.logs.segments[r.segment as usize] == "position-1" && random.logs.items[r.item as usize] == "item-0")
        .fold((0.0, 0.0), |(c, n), r| (c + r.reward, n + 1.0));
    assert_eq!(e.engagement, clicks / n);
    let by_feature = import(&data("random"), SegmentBy::UserFeature(0)).unwrap();
    assert!(by_feature.instance.segments.iter().all(|s| s.id.starts_with("uf0-")));
}

#[test]
fn on_policy_ips_is_the_mean_reward() {
    // The uniform policy evaluated on the uniform policy's own logs: every weight is 1.
    let (random, _) = both();
    let ev = evaluate(&random.instance, &random.logs, &Policy::uniform(&random.instance), Estimator::Ips).unwrap();
    assert!((ev.value - 0.0038).abs() < 1e-15, "{}", ev.value);
    assert!((ev.effective_sample_size - 10_000.0).abs() < 1e-6);
}

/// `policy`'s value estimated on `logs` by every estimator (with `model`'s engagement as DR's
/// reward model): each interval covers `truth` and each estimate is within 50% of it.
fn check_against(label: &str, model: &agora_instances::Instance, logs: &agora_instances::logs::Logs, policy: &Policy, truth: f64) {
    for est in [Estimator::Ips, Estimator::Snips, Estimator::Dr] {
        let ev = evaluate(model, logs, policy, est).unwrap();
        let rel = (ev.value - truth) / truth;
        eprintln!(
            "{label}, {}: {:.6} [{:.6}, {:.6}], relative error {rel:+.3}, ess {:.1}",
            est.as_str(),
            ev.value,
            ev.ci95[0],
            ev.ci95[1],
            ev.effective_sample_size
        );
        assert!(ev.ci95[0] <= truth && truth <= ev.ci95[1], "{label}, {}: {ev:?}", est.as_str());
        assert!(rel.abs() < 0.5, "{label}, {}: relative error {rel}", est.as_str());
    }
}

#[test]
fn each_logging_policy_estimated_from_the_others_logs() {
    let (random, bts) = both();
    // The uniform policy (the random day's edges: all 80 items per position) from the BTS logs.
    // DR's reward model is estimated from the same BTS logs.
    let (model, _, _) = estimate(&random.instance, &bts.logs, &EstimateSettings::default()).unwrap();
    check_against("uniform from bts", &model, &bts.logs, &Policy::uniform(&random.instance), random.logs.mean_reward());
    // BTS's action frequencies (its logging policy as a plan) from the random logs.
    let (model, _, _) = estimate(&random.instance, &random.logs, &EstimateSettings { estimator: Estimator::Snips, prior: Prior::None }).unwrap();
    let freq = Policy::empirical(&random.instance, &bts.logs, "bts").unwrap();
    check_against("bts from random", &model, &random.logs, &freq, bts.logs.mean_reward());
}
