//! Sharded loads: each of N ranks keeps only the edges of its segments (`Deal::rank_of`), from inline JSON, CSV and Parquet edges alike; the shards together are the day, and
//! every rank reports the same errors.

use std::path::{Path, PathBuf};

use agora_instances::columnar::{save_columnar_as, EdgesFormat};
use agora_instances::{generate, load, load_with, save, Evidence, Instance, LoadError, ReadOptions, Shard, Size};

fn sharded(rank: usize, ranks: usize) -> ReadOptions {
    ReadOptions { shard: Some(Shard { rank, ranks }), ..ReadOptions::default() }
}

/// `day` written inline, with a CSV edges file and with a Parquet one, in `dir`.
fn written(day: &Instance, dir: &Path) -> Vec<PathBuf> {
    let json = dir.join("inline.json");
    save(day, &json).unwrap();
    let (csv, pq) = (dir.join("csv.json"), dir.join("pq.json"));
    save_columnar_as(day, &csv, EdgesFormat::Csv).unwrap();
    save_columnar_as(day, &pq, EdgesFormat::Parquet).unwrap();
    vec![json, csv, pq]
}

/// Loads every shard of `path` for 1 to 4 ranks and checks that together they are the full load.
fn check_shards(path: &Path) {
    let full = load(path).unwrap();
    assert!(full.shard.is_none(), "an unsharded load has no shard");
    let full = full.instance;
    for ranks in 1..=4 {
        let mut union: Vec<(usize, agora_instances::Edge, Option<Evidence>)> = Vec::new();
        for rank in 0..ranks {
            let v = load_with(path, &sharded(rank, ranks)).unwrap();
            let what = format!("{}, rank {rank} of {ranks}", path.display());
            let kept = v.shard.expect("a sharded load says what it kept");
            let inst = v.instance;
            assert_eq!(inst.without_edges(), full.without_edges(), "{what}: every rank has the small tables whole");
            assert_eq!(kept.day_edges, full.edges.len(), "{what}");
            assert_eq!(kept.ids.len(), inst.edges.len(), "{what}");
            assert!(kept.ids.windows(2).all(|w| w[0] < w[1]), "{what}: ids in day order");
            assert!(inst.edges.iter().all(|e| kept.rank_of(e.segment, ranks) == rank), "{what}: only owned edges");
            assert_eq!(inst.evidence.len(), if full.evidence.is_empty() { 0 } else { inst.edges.len() }, "{what}");
            for (k, e) in inst.edges.iter().enumerate() {
                union.push((kept.ids[k], *e, inst.evidence.get(k).copied()));
            }
        }
        union.sort_by_key(|u| u.0);
        assert!(union.iter().map(|u| u.0).eq(0..full.edges.len()), "{}, {ranks} ranks: every edge once", path.display());
        assert!(union.iter().map(|u| u.1).eq(full.edges.iter().copied()), "{}, {ranks} ranks", path.display());
        let evidence: Vec<Evidence> = union.iter().filter_map(|u| u.2).collect();
        assert_eq!(evidence, full.evidence, "{}, {ranks} ranks", path.display());
    }
}

#[test]
fn the_shards_of_a_day_are_the_day_from_inline_csv_and_parquet_edges() {
    let dir = tempfile::tempdir().unwrap();
    let mut day = generate(Size::Small, 5);
    // Caps on some edges: the nullable column.
    for (k, e) in day.edges.iter_mut().enumerate() {
        e.cap = (k % 5 == 0).then_some(50.0 + k as f64);
    }
    for path in written(&day, dir.path()) {
        assert_eq!(load(&path).unwrap().instance, day);
        check_shards(&path);
    }
}

#[test]
fn the_shards_of_a_day_with_evidence_are_the_day_and_rank_0_hashes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut day = generate(Size::Small, 6);
    day.evidence = (0..day.edges.len()).map(|e| Evidence { n: e as u64 % 7, lcb: day.edges[e].engagement * 0.5, ucb: day.edges[e].engagement * 1.5 }).collect();
    for path in written(&day, dir.path()) {
        assert_eq!(load(&path).unwrap().instance, day);
        check_shards(&path);
    }
}

/// A day with two segments; `s1` (index 1) is rank 1's of 2.
const HEAD: &str = r#"{"schema": "agora.instance/v1", "name": "d", "edges_file": "day.edges.csv",
  "segments": [{"id": "s0", "supply": 100}, {"id": "s1", "supply": 50}, {"id": "s2", "supply": 50}, {"id": "s3", "supply": 50}],
  "creators": [{"id": "c"}], "campaigns": [{"id": "a", "budget": 1}],
  "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "ad", "campaign": "a", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}]}"#;

fn write(dir: &Path, csv: &str) -> PathBuf {
    std::fs::write(dir.join("day.edges.csv"), csv).unwrap();
    let path = dir.join("day.json");
    std::fs::write(&path, HEAD).unwrap();
    path
}

#[test]
fn a_bad_cell_in_another_ranks_segment_is_reported_by_every_rank() {
    let dir = tempfile::tempdir().unwrap();
    // s3 is rank 1's of 2 (`Shard::rank_of`), s0 rank 0's.
    let path = write(dir.path(), "segment,item,engagement,price\ns0,i,0.1,\ns3,ad,oops,0.2\ns0,ad,0.3,0.1\n");
    let whole = load(&path).unwrap_err().to_string();
    assert!(whole.contains("line 3, field \"engagement\": not a number: \"oops\""), "{whole}");
    for rank in 0..2 {
        assert_eq!(load_with(&path, &sharded(rank, 2)).unwrap_err().to_string(), whole, "rank {rank} of 2");
    }
}

#[test]
fn a_duplicate_edge_is_reported_by_its_segments_rank_by_its_day_indices() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "segment,item,engagement\ns0,i,0.1\ns3,i,0.1\ns3,ad,0.2\ns0,ad,0.3\ns3,ad,0.4\n");
    let whole = load(&path).unwrap_err().to_string();
    assert!(whole.contains("duplicate edge s3 -> ad (edges #2 and #4)"), "{whole}");
    assert_eq!(load_with(&path, &sharded(1, 2)).unwrap_err().to_string(), whole);
    // Rank 0 holds none of segment s3's edges, so it cannot see the pair.
    let rank0 = load_with(&path, &sharded(0, 2)).unwrap();
    assert_eq!(rank0.shard.unwrap().ids, [0, 3]);
}

#[test]
fn a_shard_no_process_could_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "segment,item,engagement\ns0,i,0.1\n");
    for (rank, ranks) in [(0, 0), (2, 2), (5, 3)] {
        let err = load_with(&path, &sharded(rank, ranks)).unwrap_err();
        assert!(matches!(err, LoadError::Refused { .. }), "rank {rank} of {ranks}: {err}");
        assert!(err.to_string().contains(&format!("cannot load shard {rank} of {ranks} ranks")), "{err}");
    }
    assert!(!Shard { rank: 0, ranks: 0 }.owns(3), "no ranks own nothing, without dividing by zero");
    assert!((3..=6).all(|s| Shard { rank: 1, ranks: 3 }.owns(s)) && !Shard { rank: 1, ranks: 3 }.owns(7));
}

#[test]
fn segments_are_dealt_round_robin_with_rank_0_taking_three_quarters_of_a_share() {
    assert!((0..10).all(|s| Shard::rank_of(s, 1) == 0));
    for ranks in [2usize, 3, 4, 7] {
        let slots = 4 * ranks - 1;
        let mut count = vec![0usize; ranks];
        for s in 0..slots * 100 {
            let r = Shard::rank_of(s, ranks);
            count[r] += 1;
            assert!((0..ranks).all(|k| Shard { rank: k, ranks }.owns(s) == (k == r)));
        }
        assert_eq!(count[0], 300, "{ranks} ranks: {count:?}");
        assert!(count[1..].iter().all(|&c| c == 400), "{ranks} ranks: {count:?}");
    }
    assert!(!Shard { rank: 0, ranks: 0 }.owns(0));
}
