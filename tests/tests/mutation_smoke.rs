//! The fuzz targets on stable, in every CI run: seeded byte-level mutations (flips, inserts,
//! deletes, splices of seed fragments) of a valid file for each reader (the Parquet, dynamics and
//! policy targets start from their cargo-fuzz seeds, `fuzz/seeds/TARGET/`), handed to the same
//! harness functions the cargo-fuzz targets call (`agora_fuzz_harness`). Nothing may panic; what
//! reads must round-trip. The long runs are `fuzz/run.sh` (nightly, libFuzzer); their figures
//! are in benches/RESULTS.md.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    /// Copies `len` bytes from `from` to `to` (keeps the text's own vocabulary: quotes, commas).
    Splice {
        from: usize,
        to: usize,
        len: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to JSON and CSV, and a few that do not.
    let byte =
        prop_oneof![Just(b'"'), Just(b','), Just(b'{'), Just(b'}'), Just(b'['), Just(b'\n'), Just(b'-'), Just(b'e'), Just(b'9'), Just(0xff), any::<u8>()];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(p, b)| Edit::Flip(p, b)),
        (any::<usize>(), byte).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(from, to, len)| Edit::Splice { from, to, len }),
    ]
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        if b.is_empty() {
            b.push(b'{');
        }
        let n = b.len();
        match *e {
            Edit::Flip(p, x) => b[p % n] = x,
            Edit::Insert(p, x) => b.insert(p % (n + 1), x),
            Edit::Delete(p, k) => {
                let p = p % n;
                b.drain(p..(p + k).min(n));
            }
            Edit::Splice { from, to, len } => {
                let from = from % n;
                let piece: Vec<u8> = b[from..(from + len).min(n)].to_vec();
                let to = to % (n + 1);
                b.splice(to..to, piece);
            }
        }
    }
    b
}

fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x61676f7261), failure_persistence: None, ..Config::default() }
}

fn example() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../instances/example-day.json")).unwrap()
}

const EDGES: &str = "segment,item,engagement,price,cap\ns1,i1,0.1,0,\n\"s,2\",ad,0.05,0.01,100\ns1,ad,0.02,0.003,\n";
const SETTINGS: &str = r#"{"backend": "first-order", "first_order_method": "pdhg", "threads": 2, "time_limit": 30, "first_order_tolerance": 1e-5}"#;
const MARKET: &str = r#"{"schema": "agora.market/v1", "goods": [{"id": "g1", "supply": 1}, {"id": "g2", "supply": 2}], "bidders": [{"id": "b1", "budget": 2, "values": {"g1": 2, "g2": 1}}, {"id": "b2", "budget": 1, "values": {"g2": 3}}]}"#;
const AUCTION: &str = r#"{"schema": "agora.auction/v1", "slots": [{"id": "top", "ctr": 0.3}, {"id": "side", "ctr": 0.1}], "reserve": 0.5, "bids": [{"bidder": "a", "bid": 3}, {"bidder": "b", "bid": 2, "value": 2.5}, {"bidder": "c", "bid": 1}]}"#;

/// The seeds of a fuzz target (`fuzz/seeds/TARGET/`), in name order.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds").join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

const LOGS: &str = "item,segment,reward,propensity,position,timestamp\na,s1,1,0.5,1,2019-11-24\nb,s1,0,0.25,2,\n\"a,x\",s2,0,1,,x\n";

#[test]
fn the_seeds_of_the_newer_parsers_read() {
    let inst = serde_json::from_str::<agora_instances::InstanceFile>(agora_fuzz_harness::DAY).unwrap().validate().unwrap().instance;
    let parquet = seeds("parquet_edges");
    assert!(parquet.len() >= 8);
    for seed in &parquet {
        let (edges, _) = agora_instances::columnar::parquet::read_edges_parquet_bytes(seed, Path::new("e.parquet"), &inst).unwrap();
        assert_eq!(edges.len(), 3);
    }
    for seed in seeds("logs_parquet") {
        assert!(agora_instances::logs::Logs::read_parquet_bytes(&seed, Path::new("l.parquet")).unwrap().rounds.len() >= 2);
    }
    assert_eq!(agora_instances::logs::Logs::read_from(LOGS.as_bytes(), Path::new("l.csv")).unwrap().rounds.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    for (k, seed) in seeds("dynamics").iter().enumerate() {
        let path = dir.path().join(format!("d{k}.json"));
        std::fs::write(&path, seed).unwrap();
        agora_analysis::horizon::Dynamics::load(&path).unwrap();
    }
    let example = agora_instances::parse_str(std::str::from_utf8(&example()).unwrap(), Path::new("d.json")).unwrap().instance;
    for (k, seed) in seeds("policy").iter().enumerate() {
        let path = dir.path().join(format!("p{k}.json"));
        std::fs::write(&path, seed).unwrap();
        agora_analysis::horizon::Policy::resolve(path.to_str().unwrap()).unwrap().apply(&example).unwrap();
    }
    for (k, seed) in seeds("change").iter().enumerate() {
        let path = dir.path().join(format!("c{k}.json"));
        std::fs::write(&path, seed).unwrap();
        let t = agora_analysis::experiment::Treatment::load(&path, &example, &Default::default()).unwrap();
        assert_ne!(t.day, example);
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn mutated_parquet_edges_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..8)) {
        let seeds = seeds("parquet_edges");
        agora_fuzz_harness::parquet_edges(&mutate(&seeds[pick % seeds.len()], &edits));
    }

    #[test]
    fn mutated_parquet_logs_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..8)) {
        let seeds = seeds("logs_parquet");
        agora_fuzz_harness::logs_parquet(&mutate(&seeds[pick % seeds.len()], &edits));
    }

    #[test]
    fn mutated_logs_csv_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        agora_fuzz_harness::logs_csv(&mutate(LOGS.as_bytes(), &edits));
    }

    #[test]
    fn mutated_dynamics_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
        let seeds = seeds("dynamics");
        let scratch = tempfile::tempdir().unwrap();
        agora_fuzz_harness::dynamics(&mutate(&seeds[pick % seeds.len()], &edits), scratch.path());
    }

    #[test]
    fn mutated_change_files_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
        let seeds = seeds("change");
        let scratch = tempfile::tempdir().unwrap();
        agora_fuzz_harness::change(&mutate(&seeds[pick % seeds.len()], &edits), scratch.path());
    }

    #[test]
    fn mutated_policies_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
        let seeds = seeds("policy");
        let scratch = tempfile::tempdir().unwrap();
        agora_fuzz_harness::policy(&mutate(&seeds[pick % seeds.len()], &edits), scratch.path());
    }
}

#[test]
fn the_seeds_read() {
    // The seeds are valid, so the mutations start from inputs that reach the deep checks.
    agora_instances::parse_str(std::str::from_utf8(&example()).unwrap(), Path::new("d.json")).unwrap();
    let inst = serde_json::from_str::<agora_instances::InstanceFile>(agora_fuzz_harness::DAY).unwrap().validate().unwrap().instance;
    assert_eq!(agora_instances::columnar::read_edges_from(EDGES.as_bytes(), Path::new("e.csv"), &inst).unwrap().len(), 3);
    agora_solver::Settings::from_json(SETTINGS).unwrap();
    agora_mechanisms::market::parse_str(MARKET, Path::new("m.json")).unwrap();
    agora_mechanisms::auction::file::parse_str(AUCTION, Path::new("a.json")).unwrap();
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn mutated_instances_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        agora_fuzz_harness::instance_json(&mutate(&example(), &edits));
    }

    #[test]
    fn mutated_edges_csv_never_panics(edits in prop::collection::vec(edit(), 1..8)) {
        agora_fuzz_harness::edges_csv(&mutate(EDGES.as_bytes(), &edits));
    }

    #[test]
    fn mutated_settings_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        agora_fuzz_harness::settings(&mutate(SETTINGS.as_bytes(), &edits));
    }

    #[test]
    fn mutated_markets_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        agora_fuzz_harness::market(&mutate(MARKET.as_bytes(), &edits));
    }

    #[test]
    fn mutated_auctions_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        agora_fuzz_harness::auction(&mutate(AUCTION.as_bytes(), &edits));
    }
}

/// A valid artifact of the example day, exported once for the artifact cases.
fn artifact_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let text = String::from_utf8(example()).unwrap();
        let inst = agora_instances::parse_str(&text, Path::new("d.json")).unwrap().instance;
        let sol = agora_solver::solve(&inst, &agora_solver::Settings::default()).unwrap();
        let a = agora_analysis::build(&inst, &agora_serving::content_hash(text.as_bytes()), &sol.to_file(&inst), &Default::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        agora_serving::write_dir(&a, &dir.path().join("art")).unwrap();
        dir
    })
    .path()
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn mutated_artifacts_never_panic(pick in any::<u8>(), edits in prop::collection::vec(edit(), 1..6)) {
        let seed = artifact_dir().join("art");
        let name = agora_serving::artifact::DATA_FILES[pick as usize % agora_serving::artifact::DATA_FILES.len()];
        let mut data = vec![pick];
        data.extend(mutate(&std::fs::read(seed.join(name)).unwrap(), &edits));
        let scratch = tempfile::tempdir().unwrap();
        agora_fuzz_harness::artifact(&data, &seed, &scratch.path().join("a"));
    }
}

/// Inputs the fuzzers found crashing, kept as files and replayed on stable.
#[test]
fn fuzz_regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let scratch = tempfile::tempdir().unwrap();
        match name.split_once('-').map_or("", |(target, _)| target) {
            "artifact" => agora_fuzz_harness::artifact(&data, &artifact_dir().join("art"), &scratch.path().join("a")),
            "parquet_edges" => agora_fuzz_harness::parquet_edges(&data),
            "logs_csv" => agora_fuzz_harness::logs_csv(&data),
            "logs_parquet" => agora_fuzz_harness::logs_parquet(&data),
            "dynamics" => agora_fuzz_harness::dynamics(&data, scratch.path()),
            "policy" => agora_fuzz_harness::policy(&data, scratch.path()),
            "change" => agora_fuzz_harness::change(&data, scratch.path()),
            _ => {}
        }
    }
}
