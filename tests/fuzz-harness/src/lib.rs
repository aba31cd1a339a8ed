//! What each fuzz target does with one input. Every function takes arbitrary bytes, hands them to
//! one of agora's readers and checks what must hold whatever the bytes: no panic, no hang, and
//! for an input that reads, that it writes back and reads the same. The cargo-fuzz targets in
//! `fuzz/fuzz_targets/` (nightly) call these; so does the seeded mutation smoke test in
//! `tests/tests/mutation_smoke.rs` (stable, in every CI run).

#![warn(missing_docs)]

use std::path::Path;

// The settings parser, compiled from the solver's own source files so that fuzzing it does not
// build HiGHS (a C++ build of minutes under the fuzzer's flags). Same files, same code.
#[allow(dead_code, missing_docs)]
#[path = "../../../solver/src/ir.rs"]
mod ir;
#[allow(dead_code, missing_docs)]
#[path = "../../../solver/src/observe.rs"]
mod observe;
#[allow(dead_code, missing_docs)]
#[path = "../../../solver/src/settings.rs"]
mod settings;
#[allow(dead_code, missing_docs)]
#[path = "../../../solver/src/status.rs"]
mod status;

/// A small valid day the edges targets (CSV and Parquet) read their edges for.
pub const DAY: &str = r#"{"schema": "agora.instance/v1", "name": "fuzz",
  "segments": [{"id": "s1", "supply": 1000}, {"id": "s,2", "supply": 500, "tags": ["teen"]}],
  "creators": [{"id": "c1", "group": "new"}], "campaigns": [{"id": "a1", "budget": 10}],
  "items": [{"id": "i1", "creator": "c1", "topic": "t", "quality": 0.5, "risk": 0.1, "fresh": true},
            {"id": "ad", "campaign": "a1", "topic": "t", "quality": 0.2, "risk": 0.0, "fresh": false}],
  "edges_file": "fuzz.edges.csv", "constraints": []}"#;

/// An instance file: if it validates, it writes back to JSON that validates to the same day.
pub fn instance_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A name in the fuzzer's own directory: an edges_file resolves there and stays confined.
    let path = Path::new("fuzz-corpus/day.json");
    if let Ok(v) = agora_instances::parse_str(text, path) {
        let again = agora_instances::parse_str(&agora_instances::to_json(&v.instance), path).expect("a validated day writes back to a valid file");
        assert_eq!(again.instance, v.instance, "a validated day round-trips");
        let _ = agora_instances::content_hash(&v.instance);
    }
}

/// An edges CSV for [`DAY`]: reading never panics; every edge read is one of the day's.
pub fn edges_csv(data: &[u8]) {
    let inst = fuzz_day();
    if let Ok(edges) = agora_instances::columnar::read_edges_from(data, Path::new("fuzz.edges.csv"), &inst) {
        for e in edges {
            assert!(e.segment < inst.segments.len() && e.item < inst.items.len());
            assert!(e.engagement.is_finite() && e.engagement >= 0.0 && e.price >= 0.0);
        }
    }
}

/// A settings file: if it parses, its values pass validation and serialise back to the same.
pub fn settings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(s) = settings::Settings::from_json(text) {
        s.validate().expect("parsed settings are valid");
        let back = settings::Settings::from_json(&serde_json::to_string(&s).unwrap()).expect("settings round-trip");
        assert_eq!(back, s);
    }
}

/// A market file (`agora.market/v1`): reading never panics.
pub fn market(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = agora_mechanisms::market::parse_str(text, Path::new("market.json"));
}

/// An auction file (`agora.auction/v1`): reading never panics.
pub fn auction(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = agora_mechanisms::auction::file::parse_str(text, Path::new("auction.json"));
}

/// A serving artifact: the first byte picks one of its files, the rest replaces that file's
/// bytes, and the manifest and checksums are rewritten to match, so the reader's parsing and
/// cross-checks (not only its checksum test) see the input. `seed` is a valid artifact's
/// directory; `scratch` a directory the artifact is written to.
pub fn artifact(data: &[u8], seed: &Path, scratch: &Path) {
    use sha2::{Digest, Sha256};
    let Some((&pick, body)) = data.split_first() else { return };
    let names = agora_serving::artifact::DATA_FILES;
    let name = names[pick as usize % names.len()];
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).unwrap();
    for n in names {
        std::fs::copy(seed.join(n), scratch.join(n)).unwrap();
    }
    std::fs::write(scratch.join(name), body).unwrap();
    let hex = |b: &[u8]| Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(seed.join(agora_serving::artifact::MANIFEST)).unwrap()).unwrap();
    if let Some(files) = manifest["files"].as_array_mut() {
        for f in files {
            if f["name"] == name {
                f["sha256"] = hex(body).into();
                f["bytes"] = body.len().into();
            }
        }
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    std::fs::write(scratch.join(agora_serving::artifact::MANIFEST), &manifest_bytes).unwrap();
    let mut sums = format!("{}  {}\n", hex(&manifest_bytes), agora_serving::artifact::MANIFEST);
    for n in names {
        sums.push_str(&format!("{}  {n}\n", hex(&std::fs::read(scratch.join(n)).unwrap())));
    }
    std::fs::write(scratch.join(agora_serving::artifact::CHECKSUMS), sums).unwrap();
    if let Ok(a) = agora_serving::read_dir(scratch) {
        // What the reader accepts, the score rule can be built from.
        let _ = agora_serving::ServingRule::new(&a);
    }
}

/// The validated day of [`DAY`] (its edges are what a target reads).
fn fuzz_day() -> agora_instances::Instance {
    let file: agora_instances::InstanceFile = serde_json::from_str(DAY).expect("the fuzz day parses");
    file.validate().expect("the fuzz day validates").instance
}

/// A Parquet edges file for [`DAY`], footer and pages included: reading never panics nor
/// allocates what the file only declares; every edge read is one of the day's, valid.
pub fn parquet_edges(data: &[u8]) {
    let inst = fuzz_day();
    if let Ok((edges, evidence)) = agora_instances::columnar::parquet::read_edges_parquet_bytes(data, Path::new("fuzz.edges.parquet"), &inst) {
        assert!(evidence.is_empty() || evidence.len() == edges.len());
        for e in &edges {
            assert!(e.segment < inst.segments.len() && e.item < inst.items.len());
            assert!(e.engagement.is_finite() && e.engagement >= 0.0 && e.price >= 0.0);
            assert!(e.cap.is_none_or(|c| c.is_finite() && c > 0.0));
        }
        for v in &evidence {
            assert!(v.lcb.is_finite() && v.ucb.is_finite() && v.lcb <= v.ucb);
        }
    }
}

/// A log's rounds are what the format allows, and it writes back to CSV that reads the same.
fn check_logs(logs: &agora_instances::logs::Logs) {
    for r in &logs.rounds {
        assert!((r.segment as usize) < logs.segments.len() && (r.item as usize) < logs.items.len());
        assert!(r.reward.is_finite() && r.reward >= 0.0);
        assert!(r.propensity > 0.0 && r.propensity <= 1.0);
    }
    let again =
        agora_instances::logs::Logs::read_from(logs.to_csv().as_bytes(), Path::new("again.logs.csv")).expect("a log read writes back to a log that reads");
    assert_eq!(&again, logs, "a log round-trips through CSV");
}

/// A logs CSV (`agora.logs/v1`): reading never panics; what reads round-trips.
pub fn logs_csv(data: &[u8]) {
    if let Ok(logs) = agora_instances::logs::Logs::read_from(data, Path::new("fuzz.logs.csv")) {
        check_logs(&logs);
    }
}

/// A Parquet log, read by the edges' typed reader: reading never panics; what reads round-trips.
pub fn logs_parquet(data: &[u8]) {
    if let Ok(logs) = agora_instances::logs::Logs::read_parquet_bytes(data, Path::new("fuzz.logs.parquet")) {
        check_logs(&logs);
    }
}

// The horizon's dynamics and policy files, compiled from the analysis crate's own source files
// (which use only agora-instances and serde), so that fuzzing them does not build the solver.
#[allow(dead_code, missing_docs)]
#[path = "../../../analysis/src/horizon/dynamics.rs"]
mod dynamics;
#[allow(dead_code, missing_docs)]
#[path = "../../../analysis/src/horizon/policy.rs"]
mod policy;

/// A horizon dynamics file (`Dynamics::load`, from a file in `scratch`): what loads is valid and
/// serialises back to the same.
pub fn dynamics(data: &[u8], scratch: &Path) {
    std::fs::create_dir_all(scratch).unwrap();
    let path = scratch.join("dynamics.json");
    std::fs::write(&path, data).unwrap();
    if let Ok(d) = dynamics::Dynamics::load(&path) {
        d.validate().expect("a loaded dynamics file is valid");
        let back: dynamics::Dynamics = serde_json::from_str(&serde_json::to_string(&d).unwrap()).expect("dynamics serialise");
        assert_eq!(back, d, "dynamics round-trip");
    }
}

/// The bundled example day, which policies are applied to.
fn example_day() -> &'static agora_instances::Instance {
    static DAY: std::sync::OnceLock<agora_instances::Instance> = std::sync::OnceLock::new();
    DAY.get_or_init(|| {
        agora_instances::parse_str(include_str!("../../../instances/example-day.json"), Path::new("example-day.json")).expect("the example day").instance
    })
}

/// A horizon policy file (`Policy::resolve`, from a file in `scratch`): what resolves has the
/// policy schema, serialises back to the same, and applies to the example day without a panic.
pub fn policy(data: &[u8], scratch: &Path) {
    std::fs::create_dir_all(scratch).unwrap();
    let path = scratch.join("policy.json");
    std::fs::write(&path, data).unwrap();
    if let Ok(p) = policy::Policy::resolve(path.to_str().unwrap()) {
        assert_eq!(p.schema, policy::POLICY_SCHEMA);
        let back: policy::Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).expect("policies serialise");
        assert_eq!(back, p, "policies round-trip");
        let _ = p.apply(example_day());
    }
}

// The experiment's change files, compiled from the analysis crate's own source file (which uses
// only agora-instances, serde and serde_json).
#[allow(dead_code, missing_docs)]
#[path = "../../../analysis/src/experiment/change.rs"]
mod change;

/// An experiment's treatment file (`Treatment::load` for the example day, from a file in
/// `scratch`: an `agora.change/v1` file, or a whole day): the day it makes passes the instance
/// validator and writes back to the same day.
pub fn change(data: &[u8], scratch: &Path) {
    std::fs::create_dir_all(scratch).unwrap();
    let path = scratch.join("change.json");
    std::fs::write(&path, data).unwrap();
    if let Ok(t) = change::Treatment::load(&path, example_day(), &agora_instances::ReadOptions::default()) {
        let again = agora_instances::parse_str(&agora_instances::to_json(&t.day), &path).expect("a treated day is a valid day");
        assert_eq!(again.instance, t.day, "a treated day round-trips");
    }
}
