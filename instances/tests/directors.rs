//! `agora import movielens --creators directors`: every choice checked on a sample written here
//! in the recbole format (five files), whose day follows from its construction by hand; the real
//! sample (fetched by scripts/fetch-data.sh, which `make test` runs) makes the documented day.

use std::fmt::Write as _;
use std::path::Path;

use agora_instances::import::directors::import;
use agora_instances::{ConstraintKind, Instance, ItemSelector, Owner, SegmentSelector};

/// The sample. Users: 1-5 under 18, female students (cohort T); 6-9 aged 20, male engineers, and
/// 11 (aged 22, a scientist, no ratings) (cohort Y, 5 users); 10 aged 60, a female writer
/// (cohort D). T rates films 1-40 (and user 1 films 41-46 once, user 2 film 46): 207 ratings;
/// Y films 1-50: 200; D films 1-60: 60, below 200, so D is no segment. User u rates film f
/// 1 + (u + f) % 5. Film f: released 1990 + f % 10 (film 60: no year), genres by its content
/// rating below, linked to entity m.fF for f < 50.
///
/// Knowledge graph: films 1-26 list company cF first; film 27 lists c26 then c3; film 28 c99
/// then c5. c26 is listed first twice, every other company once: the 25 campaigns are c26 and
/// c1-c24 (ties by first appearance, so c25 and c99 are out). Directors: d1 (films 1 and 25),
/// d2 (29, 30), d3 (31-34), d4 then d1 on film 35. Content ratings: r1 on films 1-10 (1-3
/// Children's), r2 on 11-18 (11 Animation), r3 on 19-23 (19 Children's), r4 on 24-27 (24
/// Children's), r5 on 28-30 (none: the smallest share, but fifth).
fn write_sample(dir: &Path) {
    let mut users = String::from("user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n");
    for u in 1..=5 {
        writeln!(users, "{u}\t16\tF\tstudent\t0").unwrap();
    }
    for u in 6..=9 {
        writeln!(users, "{u}\t20\tM\tengineer\t0").unwrap();
    }
    writeln!(users, "10\t60\tF\twriter\t0\n11\t22\tM\tscientist\t0").unwrap();
    let mut items = String::from("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n");
    for f in 1..=60 {
        let genres = if [1, 2, 3, 19, 24].contains(&f) {
            "Children's Comedy"
        } else if f == 11 {
            "Animation Drama"
        } else {
            "Drama Romance"
        };
        let year = if f == 60 { String::new() } else { (1990 + f % 10).to_string() };
        writeln!(items, "{f}\tFilm {f}\t{year}\t{genres}").unwrap();
    }
    let mut inter = String::from("user_id:token\titem_id:token\trating:float\ttimestamp:float\n");
    let mut rate = |u: u32, f: u32| writeln!(inter, "{u}\t{f}\t{}\t0", 1 + (u + f) % 5).unwrap();
    for (users, films) in [(1..=5, 1..=40), (6..=9, 1..=50), (10..=10, 1..=60)] {
        for u in users {
            for f in films.clone() {
                rate(u, f);
            }
        }
    }
    for f in 41..=46 {
        rate(1, f);
    }
    rate(2, 46);
    let mut link = String::from("item_id:token\tentity_id:token\n");
    for f in 1..50 {
        writeln!(link, "{f}\tm.f{f}").unwrap();
    }
    let mut kg = String::from("head_id:token\trelation_id:token\ttail_id:token\n");
    let mut fact = |f: u32, relation: &str, tail: &str| writeln!(kg, "m.f{f}\tfilm.film.{relation}\t{tail}").unwrap();
    for f in 1..=26 {
        fact(f, "production_companies", &format!("m.c{f}"));
    }
    fact(27, "production_companies", "m.c26");
    fact(27, "production_companies", "m.c3");
    fact(28, "production_companies", "m.c99");
    fact(28, "production_companies", "m.c5");
    for (films, director) in [(vec![1, 25], "m.d1"), (vec![29, 30], "m.d2"), (vec![31, 32, 33, 34], "m.d3"), (vec![35], "m.d4"), (vec![35], "m.d1")] {
        for f in films {
            fact(f, "directed_by", director);
        }
    }
    for (films, rating) in [(1..=10, "m.r1"), (11..=18, "m.r2"), (19..=23, "m.r3"), (24..=27, "m.r4"), (28..=30, "m.r5")] {
        for f in films {
            fact(f, "rating", rating);
            fact(f, "actor", "m.someone");
        }
    }
    for (name, text) in [("user", users), ("item", items), ("inter", inter), ("link", link), ("kg", kg)] {
        std::fs::write(dir.join(format!("ml-100k.{name}")), text).unwrap();
    }
}

fn sample() -> Instance {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    import(dir.path()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn segments_keep_cohorts_of_200_ratings_with_50_impressions_each() {
    let d = sample();
    let seg: Vec<(&str, f64, Vec<String>)> = d.segments.iter().map(|s| (s.id.as_str(), s.supply, s.tags.clone())).collect();
    assert_eq!(seg, [("under18-f-student", 50.0 * 207.0, vec!["teen".to_string()]), ("18-24-m-tech", 50.0 * 200.0, vec!["young".to_string()])]);
}

#[test]
fn items_have_the_documented_topic_quality_freshness_and_risk() {
    let d = sample();
    assert_eq!(d.items.len(), 60);
    let item = |f: u32| d.items.iter().find(|i| i.id == format!("film-{f}")).unwrap();
    // Film f's ratings: users 1-5 (f <= 40), 6-9 (f <= 50), 10, 1 (41-46) and 2 (46), each
    // 1 + (u + f) % 5.
    let quality = |f: u32| {
        let rated = |u: u32| u == 10 || (u <= 5 && f <= 40) || (6..=9).contains(&u) && f <= 50 || u == 1 && (41..=46).contains(&f) || u == 2 && f == 46;
        let raters: Vec<u32> = (1..=10).filter(|&u| rated(u)).collect();
        raters.iter().map(|&u| (1 + (u + f) % 5) as f64).sum::<f64>() / raters.len() as f64 / 5.0
    };
    for f in [1, 17, 45, 46, 60] {
        assert!(close(item(f).quality, quality(f)), "film {f}: {} against {}", item(f).quality, quality(f));
    }
    assert_eq!((item(1).topic.as_str(), item(11).topic.as_str(), item(12).topic.as_str()), ("children's", "animation", "drama"));
    assert_eq!((item(7).fresh, item(9).fresh, item(16).fresh, item(60).fresh), (true, true, false, false));
    // Among r1-r4 (the four most common) r2 has the smallest Children's or Animation share
    // (1 of 8); r5 (none of 3) is fifth.
    let risks: Vec<(u32, f64)> = [1, 11, 18, 19, 24, 28, 30, 31, 55].iter().map(|&f| (f, item(f).risk)).collect();
    assert_eq!(risks, [(1, 0.002), (11, 0.04), (18, 0.04), (19, 0.002), (24, 0.002), (28, 0.002), (30, 0.002), (31, 0.01), (55, 0.01)]);
}

#[test]
fn companies_listed_first_most_often_are_the_campaigns() {
    let d = sample();
    let ids: Vec<&str> = d.campaigns.iter().map(|c| c.id.as_str()).collect();
    let mut expected = vec!["company-m.c26".to_string()];
    expected.extend((1..=24).map(|k| format!("company-m.c{k}")));
    assert_eq!(ids, expected);
    let campaign_of = |f: u32| match d.items.iter().find(|i| i.id == format!("film-{f}")).unwrap().owner {
        Owner::Campaign(a) => Some(d.campaigns[a].id.as_str()),
        Owner::Creator(_) => None,
    };
    assert_eq!(campaign_of(1), Some("company-m.c1"));
    assert_eq!(campaign_of(24), Some("company-m.c24"));
    assert_eq!(campaign_of(25), None, "c25 is 26th");
    assert_eq!(campaign_of(26), Some("company-m.c26"));
    assert_eq!(campaign_of(27), Some("company-m.c26"), "its first listed campaign");
    assert_eq!(campaign_of(28), Some("company-m.c5"), "any listed company makes an ad");
    assert_eq!((1..=60).filter(|&f| campaign_of(f).is_some()).count(), 27);
    // Budget of c1: 0.0008 x price x supply over film 1's edges (both segments).
    let price1 = 0.002 + 0.004 * d.items[0].quality;
    assert!(close(d.campaigns[1].budget, 0.0008 * price1 * (10_350.0 + 10_000.0)), "{}", d.campaigns[1].budget);
}

#[test]
fn directors_are_the_creators_grouped_by_their_organic_films() {
    let d = sample();
    let creators: Vec<(&str, &str)> = d.creators.iter().map(|c| (c.id.as_str(), c.group.as_str())).collect();
    let mut expected: Vec<(String, &str)> =
        vec![("director-m.d1".into(), "new"), ("director-m.d2".into(), "small"), ("director-m.d3".into(), "established"), ("director-m.d4".into(), "new")];
    expected.extend((36..=60).map(|f| (format!("unknown-director-of-film-{f}"), "new")));
    assert_eq!(creators, expected.iter().map(|(id, g)| (id.as_str(), *g)).collect::<Vec<_>>());
    let creator_of = |f: u32| match d.items.iter().find(|i| i.id == format!("film-{f}")).unwrap().owner {
        Owner::Creator(c) => d.creators[c].id.as_str(),
        Owner::Campaign(_) => "",
    };
    assert_eq!((creator_of(25), creator_of(35), creator_of(36)), ("director-m.d1", "director-m.d4", "unknown-director-of-film-36"));
}

#[test]
fn edges_need_two_ratings_and_price_ads_by_quality() {
    let d = sample();
    // T: films 1-40 and 46; Y: films 1-50. Films 41-45 have one rating from T.
    assert_eq!(d.edges.len(), 41 + 50);
    let edge = |s: usize, f: u32| d.edges.iter().find(|e| e.segment == s && d.items[e.item].id == format!("film-{f}"));
    assert!(edge(0, 41).is_none() && edge(0, 46).is_some());
    // T (5 users): of u = 1..5, two have (u + f) % 5 in {3, 4}, a rating of 4 or 5.
    assert!(close(edge(0, 30).unwrap().engagement, 0.5 * 2.0 / 5.0 + 0.001));
    // Y (5 users, 4 raters 6..9): one such rating when f % 5 is 3 or 4, else two.
    assert!(close(edge(1, 33).unwrap().engagement, 0.5 * 1.0 / 5.0 + 0.001));
    assert!(close(edge(1, 30).unwrap().engagement, 0.5 * 2.0 / 5.0 + 0.001));
    let ad = edge(1, 27).unwrap();
    assert!(close(ad.price, 0.002 + 0.004 * d.items[ad.item].quality));
    assert_eq!(edge(1, 29).unwrap().price, 0.0);
}

#[test]
fn the_objective_and_rules_are_the_documented_ones() {
    let d = sample();
    let o = &d.objective;
    assert_eq!((o.engagement, o.quality, o.revenue, o.integrity_risk, o.regularization), (1.0, 0.02, 20.0, 1.0, 0.0));
    let total_budget: f64 = d.campaigns.iter().map(|c| c.budget).sum();
    let c: Vec<(&str, Option<f64>, &ConstraintKind)> = d.constraints.iter().map(|c| (c.name.as_str(), c.penalty, &c.kind)).collect();
    assert_eq!(c.len(), 7);
    assert!(matches!(c[0], ("ad-load", None, ConstraintKind::AdLoad { segments: SegmentSelector::All, max_share }) if *max_share == 0.15));
    assert!(
        matches!(c[1], ("teen-integrity", None, ConstraintKind::IntegrityCap { segments: SegmentSelector::Tag(t), max_share }) if t == "teen" && *max_share == 0.004)
    );
    assert!(matches!(c[2], ("topic-cap", Some(p), ConstraintKind::TopicCap { segments: SegmentSelector::All, max_share }) if p == 0.05 && *max_share == 0.35));
    assert!(
        matches!(c[3], ("young-freshness", Some(p), ConstraintKind::FreshnessFloor { segments: SegmentSelector::Tag(t), min_share }) if p == 0.2 && t == "young" && *min_share == 0.25)
    );
    assert!(
        matches!(c[4], ("new-creators", Some(p), ConstraintKind::ExposureFloor { items: ItemSelector::CreatorGroup(g), min, .. }) if p == 0.1 && g == "new" && close(*min, 0.08 * 20_350.0))
    );
    assert!(
        matches!(c[5], ("creator-parity", Some(p), ConstraintKind::ExposureParity { groups, tolerance }) if p == 0.02 && groups == &["new", "established"] && *tolerance == 0.3)
    );
    assert!(matches!(c[6], ("revenue-floor", Some(p), ConstraintKind::RevenueFloor { min }) if p == 40.0 && close(*min, 0.6 * total_budget)));
    // A valid day: its file reads back to the same day.
    let back = agora_instances::parse_str(&agora_instances::to_json(&d), Path::new("d.json")).unwrap().instance;
    assert_eq!(back, d);
}

#[test]
fn a_bad_line_names_its_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    let kg = dir.path().join("ml-100k.kg");
    let mut text = std::fs::read_to_string(&kg).unwrap();
    text.push_str("m.f1\tfilm.film.rating\n");
    std::fs::write(&kg, text).unwrap();
    let e = import(dir.path()).unwrap_err().to_string();
    assert!(e.contains("ml-100k.kg") && e.contains("head_id, relation_id, tail_id"), "{e}");
    std::fs::remove_file(dir.path().join("ml-100k.link")).unwrap();
    let e = import(dir.path()).unwrap_err().to_string();
    assert!(e.contains("ml-100k.link") && e.contains("cannot read"), "{e}");
}

/// The real sample makes the documented day: 30 segments, 844 creators, 25 campaigns, 1,682
/// films, 14,047 edges, supplies 11,550 to 539,200.
#[test]
fn the_real_sample_makes_the_documented_day() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ml-100k");
    assert!(dir.join("ml-100k.kg").is_file(), "{} is missing ml-100k.kg: run scripts/fetch-data.sh (make test does)", dir.display());
    let d = import(&dir).unwrap();
    assert_eq!((d.segments.len(), d.creators.len(), d.campaigns.len(), d.items.len(), d.edges.len()), (30, 844, 25, 1682, 14_047));
    let supplies: Vec<f64> = d.segments.iter().map(|s| s.supply).collect();
    assert_eq!(supplies.iter().cloned().fold(f64::INFINITY, f64::min), 11_550.0);
    assert_eq!(supplies.iter().cloned().fold(0.0, f64::max), 539_200.0);
    assert_eq!(supplies.iter().sum::<f64>(), 4_985_450.0);
    let groups = |g: &str| d.creators.iter().filter(|c| c.group == g).count();
    assert_eq!((groups("new"), groups("small"), groups("established")), (718, 118, 8));
    assert_eq!(d.items.iter().filter(|i| matches!(i.owner, Owner::Campaign(_))).count(), 665);
}
