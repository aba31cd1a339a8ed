//! A real day from MovieLens-100k (`agora import movielens DIR --out day.json`): the ratings,
//! films and users of the 100,000-rating sample that the recbole 1.2.1 wheel ships under
//! `recbole/dataset_example/ml-100k/` (`ml-100k.inter`, `.item`, `.user`; `scripts/fetch-data.sh`
//! fetches and unpacks it). Every modelling choice is documented on docs/formats.md
//! ("MovieLens-100k") and repeated here where the code makes it.
//!
//! - **Segments**: users by age band (under 18: `teen`; 18-24, 25-34, 35-49, 50 and over) x gender
//!   x occupation group (`student`; `technical`: engineer, programmer, scientist, technician;
//!   `other`): up to 30 segments, tagged `teen`/`adult`. A segment's supply is 100 impressions
//!   per rating its users gave.
//! - **Items and creators**: every film is an organic item; its creator is its "catalog line",
//!   the films sharing first genre and release year (group `new` for 1998 releases, the sample's
//!   latest year; `established` for lines with at least 1,000 ratings; `small` otherwise). Topic:
//!   the first genre. Quality: (mean rating - 1) / 4. Risk: 0.2 for Horror and Crime, 0 otherwise.
//!   Fresh: released in 1997 or 1998.
//! - **Edges**: a segment and a film whose users rated it at least `MIN_RATINGS` times; engagement
//!   0.1 x the segment's mean rating of it / 5.
//! - **Ads** (MovieLens has none, so they are synthetic and say so in their ids): 25 campaigns,
//!   one ad each, on every segment, price 0.005 per impression, engagement 0.002, budgets of
//!   100 to 580 (8,500 in all; the 10% ad load allows about 5,000 of revenue).
//! - **Rules**: ad load 10%; teen integrity (risk share at most 1% in teen segments); topic
//!   diversity (at most 40% per topic, soft, penalty 0.05); freshness floor (10%, soft, 0.05);
//!   new-creator floor (2% of supply, soft, 0.05); creator parity (tolerance 0.5, soft, 0.05);
//!   revenue floor (40% of the ads' total budget, 3,400).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::types::*;
use crate::validate::Finding;
use crate::LoadError;

/// A film needs this many ratings from a segment's users for an edge between them.
pub const MIN_RATINGS: usize = 3;

/// The files of `dir` the importer reads.
pub const FILES: [&str; 3] = ["ml-100k.user", "ml-100k.item", "ml-100k.inter"];

/// Reads one of the sample's tab-separated files under `opts` (a regular file within the input
/// limit): its rows after the header line, each split into fields. The files are Latin-1 (film
/// titles); every byte is one character.
pub(super) fn read_table(dir: &Path, name: &str, opts: &crate::ReadOptions) -> Result<Vec<Vec<String>>, LoadError> {
    let path = dir.join(name);
    let bytes = crate::read_input_bytes(&path, opts)?;
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let rows: Vec<Vec<String>> = text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split('\t').map(str::to_string).collect()).collect();
    if rows.is_empty() {
        return Err(LoadError::Invalid {
            path,
            errors: vec![Finding { entity: "file".into(), field: String::new(), message: "has no rows after its header".into() }],
        });
    }
    Ok(rows)
}

/// The error for row `line` (0-based, after the header) of file `name`: it names the file, the
/// line as an editor counts it and the field.
pub(super) fn bad_line(dir: &Path, name: &str, line: usize, field: &str, message: String) -> LoadError {
    LoadError::Invalid { path: dir.join(name), errors: vec![Finding { entity: format!("line {}", line + 2), field: field.into(), message }] }
}

/// Reads `ml-100k.inter`, `.item` and `.user` from `dir` and builds the day (default read
/// options).
pub fn import(dir: &Path) -> Result<Instance, LoadError> {
    import_with(dir, &crate::ReadOptions::default())
}

/// [`import`], reading the files under `opts` (regular files within the input limit).
pub fn import_with(dir: &Path, opts: &crate::ReadOptions) -> Result<Instance, LoadError> {
    let read = |name: &str| read_table(dir, name, opts);
    let bad = |name: &str, line: usize, field: &str, message: String| bad_line(dir, name, line, field, message);
    let users = read(FILES[0])?;
    let films = read(FILES[1])?;
    let ratings = read(FILES[2])?;
    // Rows are numbered from the header's line: row k is line k + 2.
    let line = |k: usize| k + 2;

    // Segments.
    let mut seg_of_user: HashMap<String, usize> = HashMap::new();
    let mut seg_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut seg_keys: Vec<(String, bool)> = Vec::new();
    for (k, u) in users.iter().enumerate() {
        let (Some(id), Some(age), Some(gender), Some(occ)) = (u.first(), u.get(1), u.get(2), u.get(3)) else {
            return Err(bad("ml-100k.user", k, "", "expected user_id, age, gender, occupation".into()));
        };
        let age: u32 = age.trim().parse().map_err(|_| bad("ml-100k.user", k, "age", format!("not a number: \"{}\"", crate::limits::excerpt(age))))?;
        let band = match age {
            0..=17 => "teen",
            18..=24 => "18-24",
            25..=34 => "25-34",
            35..=49 => "35-49",
            _ => "50plus",
        };
        let group = match occ.as_str() {
            "student" => "student",
            "engineer" | "programmer" | "scientist" | "technician" => "technical",
            _ => "other",
        };
        let key = format!("{band}-{}-{group}", gender.to_lowercase());
        let s = *seg_index.entry(key.clone()).or_insert_with(|| {
            seg_keys.push((key, band == "teen"));
            seg_keys.len() - 1
        });
        if seg_of_user.insert(id.clone(), s).is_some() {
            let first = users.iter().position(|r| r.first() == Some(id)).unwrap_or(k);
            return Err(super::duplicate(&dir.join(FILES[0]), line(k), "user_id", id, line(first)));
        }
    }

    // Films, creators (catalog lines) and topics.
    struct Film {
        id: String,
        line: String,
        topic: String,
        year: String,
    }
    let mut film_index: HashMap<String, usize> = HashMap::new();
    let mut film_list: Vec<Film> = Vec::new();
    for (k, f) in films.iter().enumerate() {
        let Some(id) = f.first() else { return Err(bad("ml-100k.item", k, "item_id", "is missing".into())) };
        let year = f.get(2).map(|y| y.trim().to_string()).unwrap_or_default();
        let topic = f.get(3).and_then(|g| g.split_whitespace().next()).unwrap_or("unknown").to_lowercase();
        if let Some(&first) = film_index.get(id) {
            return Err(super::duplicate(&dir.join(FILES[1]), line(k), "item_id", id, line(first)));
        }
        let item_id = super::checked_id(format!("film-{id}"), &dir.join(FILES[1]), line(k), "item_id")?;
        film_index.insert(id.clone(), film_list.len());
        film_list.push(Film { id: item_id, line: format!("line-{topic}-{}", if year.is_empty() { "unknown" } else { &year }), topic, year });
    }

    // Ratings: per (segment, film) count and sum; per film mean; per segment count.
    let mut pair: HashMap<(usize, usize), (usize, f64)> = HashMap::new();
    let mut film_sum = vec![(0usize, 0.0f64); film_list.len()];
    let mut seg_count = vec![0usize; seg_keys.len()];
    for (k, r) in ratings.iter().enumerate() {
        let (Some(u), Some(f), Some(v)) = (r.first(), r.get(1), r.get(2)) else {
            return Err(bad("ml-100k.inter", k, "", "expected user_id, item_id, rating".into()));
        };
        let s = *seg_of_user.get(u).ok_or_else(|| bad("ml-100k.inter", k, "user_id", format!("unknown user \"{}\"", crate::limits::excerpt(u))))?;
        let i = *film_index.get(f).ok_or_else(|| bad("ml-100k.inter", k, "item_id", format!("unknown film \"{}\"", crate::limits::excerpt(f))))?;
        let v: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| (1.0..=5.0).contains(v))
            .ok_or_else(|| bad("ml-100k.inter", k, "rating", format!("must be a number from 1 to 5, got \"{}\"", crate::limits::excerpt(v))))?;
        let e = pair.entry((s, i)).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += v;
        film_sum[i].0 += 1;
        film_sum[i].1 += v;
        seg_count[s] += 1;
    }

    let segments: Vec<Segment> = seg_keys
        .iter()
        .enumerate()
        .map(|(s, (key, teen))| Segment {
            id: key.clone(),
            supply: 100.0 * seg_count[s].max(1) as f64,
            tags: vec![if *teen { "teen" } else { "adult" }.to_string()],
        })
        .collect();
    let mut line_ratings: BTreeMap<String, usize> = BTreeMap::new();
    for (i, f) in film_list.iter().enumerate() {
        *line_ratings.entry(f.line.clone()).or_default() += film_sum[i].0;
    }
    let creator_of: HashMap<String, usize> = line_ratings.keys().enumerate().map(|(c, l)| (l.clone(), c)).collect();
    let creators: Vec<Creator> = line_ratings
        .iter()
        .map(|(line, &n)| {
            let group = if line.ends_with("-1998") {
                "new"
            } else if n >= 1000 {
                "established"
            } else {
                "small"
            };
            Creator { id: line.clone(), group: group.into() }
        })
        .collect();
    let mut items: Vec<Item> = film_list
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (n, sum) = film_sum[i];
            let mean = if n > 0 { sum / n as f64 } else { 3.0 };
            Item {
                id: f.id.clone(),
                owner: Owner::Creator(creator_of[&f.line]),
                topic: f.topic.clone(),
                quality: ((mean - 1.0) / 4.0).clamp(0.0, 1.0),
                risk: if matches!(f.topic.as_str(), "horror" | "crime") { 0.2 } else { 0.0 },
                fresh: f.year == "1997" || f.year == "1998",
                cap: None,
            }
        })
        .collect();
    let mut edges: Vec<Edge> = pair
        .iter()
        .filter(|(_, &(n, _))| n >= MIN_RATINGS)
        .map(|(&(s, i), &(n, sum))| Edge { segment: s, item: i, engagement: 0.1 * (sum / n as f64) / 5.0, price: 0.0, cap: None })
        .collect();
    edges.sort_by_key(|e| (e.segment, e.item));

    // Synthetic ads.
    let campaigns: Vec<Campaign> = (0..25).map(|a| Campaign { id: format!("synthetic-campaign-{a:02}"), budget: 100.0 + 20.0 * a as f64 }).collect();
    for a in 0..campaigns.len() {
        items.push(Item {
            id: format!("synthetic-ad-{a:02}"),
            owner: Owner::Campaign(a),
            topic: "ad".into(),
            quality: 0.5,
            risk: 0.0,
            fresh: false,
            cap: None,
        });
        let i = items.len() - 1;
        for s in 0..segments.len() {
            edges.push(Edge { segment: s, item: i, engagement: 0.002, price: 0.005, cap: None });
        }
    }
    let total_supply: f64 = segments.iter().map(|s| s.supply).sum();
    let total_budget: f64 = campaigns.iter().map(|c| c.budget).sum();
    let soft = Some(0.05);
    let all = SegmentSelector::All;
    let constraints = vec![
        Constraint { name: "ad-load".into(), penalty: None, kind: ConstraintKind::AdLoad { segments: all.clone(), max_share: 0.1 } },
        Constraint {
            name: "teen-integrity".into(),
            penalty: None,
            kind: ConstraintKind::IntegrityCap { segments: SegmentSelector::Tag("teen".into()), max_share: 0.01 },
        },
        Constraint { name: "topic-diversity".into(), penalty: soft, kind: ConstraintKind::TopicCap { segments: all.clone(), max_share: 0.4 } },
        Constraint { name: "freshness".into(), penalty: soft, kind: ConstraintKind::FreshnessFloor { segments: all.clone(), min_share: 0.1 } },
        Constraint {
            name: "new-creators".into(),
            penalty: soft,
            kind: ConstraintKind::ExposureFloor { segments: all, items: ItemSelector::CreatorGroup("new".into()), min: (0.02 * total_supply).round() },
        },
        Constraint {
            name: "creator-parity".into(),
            penalty: soft,
            kind: ConstraintKind::ExposureParity { groups: vec!["new".into(), "small".into(), "established".into()], tolerance: 0.5 },
        },
        Constraint { name: "revenue-floor".into(), penalty: None, kind: ConstraintKind::RevenueFloor { min: (0.4 * total_budget).round() } },
    ];
    super::validated(
        Instance {
            name: "movielens-100k".into(),
            objective: Objective {
                engagement: 1.0,
                quality: 0.001,
                revenue: 20.0,
                integrity_risk: 0.05,
                regularization: 0.0,
                engagement_estimate: EngagementEstimate::Point,
            },
            segments,
            creators,
            campaigns,
            items,
            edges,
            constraints,
            evidence: Vec::new(),
        },
        dir,
    )
}
