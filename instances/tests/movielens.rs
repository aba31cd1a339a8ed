//! `agora import movielens`: every modelling choice checked on a hand-made sample in the
//! MovieLens-100k format (tests/fixtures/ml-mini), and the real sample (fetched by
//! scripts/fetch-data.sh, which `make test` runs) validated.

use std::path::Path;

use agora_instances::import::movielens::import;
use agora_instances::{ConstraintKind, Owner};

fn fixture() -> agora_instances::Instance {
    import(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ml-mini")).unwrap()
}

#[test]
fn segments_supplies_items_and_edges_follow_the_documented_choices() {
    let d = fixture();
    // Users 1, 2: teen, female, student; users 3, 4: 25-34, male, technical.
    let seg: Vec<(&str, f64, &str)> = d.segments.iter().map(|s| (s.id.as_str(), s.supply, s.tags[0].as_str())).collect();
    assert_eq!(seg, [("teen-f-student", 600.0, "teen"), ("25-34-m-technical", 600.0, "adult")]);
    // Film 1 (1998, Drama) is its own new catalog line; films 2 and 3 (1994, Horror) share one.
    let creators: Vec<(&str, &str)> = d.creators.iter().map(|c| (c.id.as_str(), c.group.as_str())).collect();
    assert_eq!(creators, [("line-drama-1998", "new"), ("line-horror-1994", "small")]);
    let film1 = &d.items[0];
    assert_eq!((film1.id.as_str(), film1.topic.as_str(), film1.fresh, film1.risk), ("film-1", "drama", true, 0.0));
    // Film 1's ratings: 5, 3, 4, 2, 5: mean 3.8, quality (3.8 - 1) / 4 = 0.7.
    assert!((film1.quality - 0.7).abs() < 1e-12);
    assert_eq!(d.items[1].owner, Owner::Creator(1));
    assert_eq!((d.items[1].risk, d.items[1].fresh), (0.2, false));
    // Edges need 3 ratings from the segment: teen/film 1 has 3 (5, 3, 5): engagement 0.1 x 4.333 / 5.
    let organic: Vec<(usize, usize, f64)> = d.edges.iter().filter(|e| e.price == 0.0).map(|e| (e.segment, e.item, e.engagement)).collect();
    assert_eq!(organic.len(), 1, "{organic:?}");
    assert_eq!((organic[0].0, organic[0].1), (0, 0));
    assert!((organic[0].2 - 0.1 * (13.0 / 3.0) / 5.0).abs() < 1e-12);
    // 25 synthetic campaigns, one ad each, on every segment.
    assert_eq!(d.campaigns.len(), 25);
    assert!(d.campaigns[0].id.starts_with("synthetic-"));
    assert_eq!(d.edges.iter().filter(|e| e.price > 0.0).count(), 25 * 2);
    let types: Vec<&str> = d.constraints.iter().map(|c| c.kind.type_name()).collect();
    assert_eq!(types, ["ad_load", "integrity_cap", "topic_cap", "freshness_floor", "exposure_floor", "exposure_parity", "revenue_floor"]);
    assert!(matches!(d.constraints[6].kind, ConstraintKind::RevenueFloor { min } if min == 3400.0));
    // It is a valid day: its file reads back to the same day.
    let back = agora_instances::parse_str(&agora_instances::to_json(&d), Path::new("d.json")).unwrap().instance;
    assert_eq!(back, d);
}

#[test]
fn a_bad_file_names_its_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["ml-100k.user", "ml-100k.item", "ml-100k.inter"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ml-mini").join(f), dir.path().join(f)).unwrap();
    }
    let inter = dir.path().join("ml-100k.inter");
    let mut text = std::fs::read_to_string(&inter).unwrap();
    text.push_str("1\t1\tnine\t13\n");
    std::fs::write(&inter, text).unwrap();
    let e = import(dir.path()).unwrap_err().to_string();
    assert!(e.contains("ml-100k.inter") && e.contains("line 14") && e.contains("rating"), "{e}");
    let e = import(&dir.path().join("missing")).unwrap_err().to_string();
    assert!(e.contains("cannot read"), "{e}");
}

/// The real sample: 943 users, 1,682 films, 100,000 ratings.
#[test]
fn the_real_movielens_sample_makes_a_valid_day() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(dir.join("ml-100k.inter").is_file(), "{} is missing: run scripts/fetch-data.sh (make test does)", dir.display());
    let d = import(&dir).unwrap();
    assert_eq!(d.items.len(), 1682 + 25);
    assert_eq!(d.segments.iter().map(|s| s.supply).sum::<f64>(), 100.0 * 100_000.0);
    assert!(d.segments.len() >= 20 && d.edges.len() > 5000, "{}", d.shape());
    agora_instances::parse_str(&agora_instances::to_json(&d), Path::new("d.json")).unwrap();
}
