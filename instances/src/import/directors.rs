//! MovieLens-100k with its knowledge graph (`agora import movielens DIR --creators directors`):
//! the day of issue 33, built from the recbole 1.2.1 sample's five files (`ml-100k.user`,
//! `.item`, `.inter`, and `.link` and `.kg`, which link films to Freebase entities and list their
//! relations). Where [`super::movielens`] invents catalog lines and synthetic ads, this day takes
//! the films' directors as creators and their production companies as advertisers. Every choice
//! is documented on docs/formats.md ("MovieLens-100k with directors") and repeated here.
//!
//! - **Segments**: user cohorts, age band (under 18 `teen`, 18-24 `young`, 25-34, 35-44, 45 and
//!   over) x gender x occupation group (`student`; `tech`: engineer, programmer, technician,
//!   scientist; `arts`: artist, writer, entertainment; `other`), kept when the cohort gave at
//!   least [`MIN_COHORT_RATINGS`] ratings. Supply: 50 impressions per rating.
//! - **Items**: the films with at least one rating; topic the first genre, quality the mean
//!   rating / 5, fresh when released in 1997 or later. Risk by content rating (`film.film.rating`,
//!   first listed): 0.04 for the one, among the four most common, with the smallest share of
//!   Children's or Animation films; 0.002 for other rated films; 0.01 for unrated ones.
//! - **Ads**: the 25 production companies that are listed first (`film.film.production_companies`)
//!   on the most films (ties: the company seen first in film order) are campaigns; a film listing
//!   any of them is an ad of the first of them it lists. Price 0.002 + 0.004 x quality; a
//!   campaign's budget is 0.0008 x the sum over its edges of price x the segment's supply.
//! - **Creators**: every other film is organic, made by its director (`film.film.directed_by`,
//!   first listed); a film without one is its own creator. Group by the creator's organic films:
//!   `new` (1), `small` (2-3), `established` (4 and more).
//! - **Edges**: a kept cohort and a film its users rated at least [`MIN_PAIR_RATINGS`] times;
//!   engagement 0.5 x (the cohort's ratings of 4 or 5 of the film) / (the cohort's users) + 0.001.
//! - **Objective and rules**: engagement 1, quality 0.02, revenue 20, integrity risk 1; ad load
//!   15% everywhere; teen integrity 0.4%; soft: topic cap 35% (penalty 0.05), young freshness
//!   floor 25% (0.2), new-creator exposure 8% of all supply (0.1), parity new vs established
//!   (tolerance 0.3, penalty 0.02), revenue floor 60% of all budgets (40).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::movielens::{bad_line, read_table};
use crate::types::*;
use crate::LoadError;

/// A cohort becomes a segment when its users gave at least this many ratings.
pub const MIN_COHORT_RATINGS: usize = 200;

/// A cohort and a film need this many ratings between them for an edge.
pub const MIN_PAIR_RATINGS: usize = 2;

/// How many production companies become campaigns.
pub const CAMPAIGNS: usize = 25;

/// The relations of the knowledge graph the day reads, head = film.
const DIRECTED_BY: &str = "film.film.directed_by";
const CONTENT_RATING: &str = "film.film.rating";
const PRODUCED_BY: &str = "film.film.production_companies";

const BANDS: [&str; 5] = ["under18", "18-24", "25-34", "35-44", "45plus"];

/// A cohort: age band (an index into [`BANDS`]), gender, occupation group.
type Cohort = (usize, String, &'static str);

/// The index in [`BANDS`] of an age.
fn band(age: u32) -> usize {
    match age {
        0..=17 => 0,
        18..=24 => 1,
        25..=34 => 2,
        35..=44 => 3,
        _ => 4,
    }
}

fn occupation_group(occupation: &str) -> &'static str {
    match occupation {
        "student" => "student",
        "engineer" | "programmer" | "technician" | "scientist" => "tech",
        "artist" | "writer" | "entertainment" => "arts",
        _ => "other",
    }
}

/// A film as the `.item` file and the knowledge graph describe it.
struct Film {
    number: String,
    genres: Vec<String>,
    year: Option<u32>,
    /// Entity id from `.link`, if linked.
    entity: Option<String>,
}

/// Per film entity, the tails of each relation the day reads, in file order.
#[derive(Default)]
struct Graph {
    directors: HashMap<String, String>,
    ratings: HashMap<String, String>,
    companies: HashMap<String, Vec<String>>,
}

fn read_graph(dir: &Path, opts: &crate::ReadOptions) -> Result<Graph, LoadError> {
    let mut g = Graph::default();
    for (k, row) in read_table(dir, "ml-100k.kg", opts)?.into_iter().enumerate() {
        let [head, relation, tail] =
            <[String; 3]>::try_from(row).map_err(|_| bad_line(dir, "ml-100k.kg", k, "", "expected head_id, relation_id, tail_id".into()))?;
        // Directors and companies become creator and campaign ids: refused here, with their line,
        // if they cannot be ids.
        let id_of = |prefix: &str| super::checked_id(format!("{prefix}-{tail}"), &dir.join("ml-100k.kg"), k + 2, "tail_id");
        match relation.as_str() {
            DIRECTED_BY => {
                id_of("director")?;
                g.directors.entry(head).or_insert(tail);
            }
            CONTENT_RATING => {
                g.ratings.entry(head).or_insert(tail);
            }
            PRODUCED_BY => {
                id_of("company")?;
                g.companies.entry(head).or_default().push(tail)
            }
            _ => {}
        }
    }
    Ok(g)
}

/// The files of `dir` the importer reads.
pub const FILES: [&str; 5] = ["ml-100k.user", "ml-100k.item", "ml-100k.inter", "ml-100k.link", "ml-100k.kg"];

/// Reads the five files of the sample from `dir` and builds the day (default read options).
pub fn import(dir: &Path) -> Result<Instance, LoadError> {
    import_with(dir, &crate::ReadOptions::default())
}

/// [`import`], reading the files under `opts` (regular files within the input limit).
pub fn import_with(dir: &Path, opts: &crate::ReadOptions) -> Result<Instance, LoadError> {
    let bad = |name: &str, line: usize, field: &str, message: String| bad_line(dir, name, line, field, message);
    let users = read_table(dir, "ml-100k.user", opts)?;
    let items = read_table(dir, "ml-100k.item", opts)?;
    let inter = read_table(dir, "ml-100k.inter", opts)?;
    let links = read_table(dir, "ml-100k.link", opts)?;
    let graph = read_graph(dir, opts)?;

    // Cohorts, keyed (band, gender, group) so that segments come in band order.
    let mut cohort_of: HashMap<String, Cohort> = HashMap::new();
    let mut cohort_users: BTreeMap<Cohort, usize> = BTreeMap::new();
    for (k, u) in users.iter().enumerate() {
        let (Some(id), Some(age), Some(gender), Some(occ)) = (u.first(), u.get(1), u.get(2), u.get(3)) else {
            return Err(bad("ml-100k.user", k, "", "expected user_id, age, gender, occupation".into()));
        };
        let age: u32 = age.trim().parse().map_err(|_| bad("ml-100k.user", k, "age", format!("not a number: \"{}\"", crate::limits::excerpt(age))))?;
        let key = (band(age), gender.trim().to_lowercase(), occupation_group(occ.trim()));
        *cohort_users.entry(key.clone()).or_default() += 1;
        if cohort_of.insert(id.clone(), key).is_some() {
            let first = users.iter().position(|r| r.first() == Some(id)).unwrap_or(k);
            return Err(super::duplicate(&dir.join("ml-100k.user"), k + 2, "user_id", id, first + 2));
        }
    }

    let mut entity_of: HashMap<String, String> = HashMap::new();
    for (k, l) in links.iter().enumerate() {
        let (Some(item), Some(entity)) = (l.first(), l.get(1)) else {
            return Err(bad("ml-100k.link", k, "", "expected item_id, entity_id".into()));
        };
        entity_of.insert(item.clone(), entity.clone());
    }
    let mut film_index: HashMap<String, usize> = HashMap::new();
    let mut films: Vec<Film> = Vec::new();
    for (k, f) in items.iter().enumerate() {
        let Some(number) = f.first() else { return Err(bad("ml-100k.item", k, "item_id", "is missing".into())) };
        if film_index.insert(number.clone(), films.len()).is_some() {
            let first = items.iter().position(|r| r.first() == Some(number)).unwrap_or(k);
            return Err(super::duplicate(&dir.join("ml-100k.item"), k + 2, "item_id", number, first + 2));
        }
        super::checked_id(format!("film-{number}"), &dir.join("ml-100k.item"), k + 2, "item_id")?;
        films.push(Film {
            number: number.clone(),
            genres: f.get(3).map(|g| g.split_whitespace().map(str::to_string).collect()).unwrap_or_default(),
            year: f.get(2).and_then(|y| y.trim().parse().ok()),
            entity: entity_of.get(number).cloned(),
        });
    }

    // Ratings: per cohort, per film, per (cohort, film): count, and the pair's ratings of 4 or 5.
    let mut cohort_ratings: HashMap<Cohort, usize> = HashMap::new();
    let mut film_ratings = vec![(0usize, 0.0f64); films.len()];
    let mut pair: HashMap<(Cohort, usize), (usize, usize)> = HashMap::new();
    for (k, r) in inter.iter().enumerate() {
        let (Some(u), Some(f), Some(v)) = (r.first(), r.get(1), r.get(2)) else {
            return Err(bad("ml-100k.inter", k, "", "expected user_id, item_id, rating".into()));
        };
        let c = cohort_of.get(u).ok_or_else(|| bad("ml-100k.inter", k, "user_id", format!("unknown user \"{}\"", crate::limits::excerpt(u))))?;
        let i = *film_index.get(f).ok_or_else(|| bad("ml-100k.inter", k, "item_id", format!("unknown film \"{}\"", crate::limits::excerpt(f))))?;
        let v: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| (1.0..=5.0).contains(v))
            .ok_or_else(|| bad("ml-100k.inter", k, "rating", format!("must be a number from 1 to 5, got \"{}\"", crate::limits::excerpt(v))))?;
        *cohort_ratings.entry(c.clone()).or_default() += 1;
        film_ratings[i].0 += 1;
        film_ratings[i].1 += v;
        let e = pair.entry((c.clone(), i)).or_default();
        e.0 += 1;
        e.1 += usize::from(v >= 4.0);
    }

    // Segments.
    let kept: Vec<(&Cohort, usize)> =
        cohort_users.keys().filter_map(|c| cohort_ratings.get(c).filter(|&&n| n >= MIN_COHORT_RATINGS).map(|&n| (c, n))).collect();
    let segments: Vec<Segment> = kept
        .iter()
        .map(|((b, gender, group), n)| Segment {
            id: format!("{}-{gender}-{group}", BANDS[*b]),
            supply: 50.0 * *n as f64,
            tags: match b {
                0 => vec!["teen".to_string()],
                1 => vec!["young".to_string()],
                _ => Vec::new(),
            },
        })
        .collect();
    let segment_of: HashMap<&Cohort, usize> = kept.iter().enumerate().map(|(s, (c, _))| (*c, s)).collect();

    // The rated films are the items, in file order.
    let rated: Vec<usize> = (0..films.len()).filter(|&i| film_ratings[i].0 > 0).collect();
    let quality = |i: usize| film_ratings[i].1 / film_ratings[i].0 as f64 / 5.0;
    let entity = |i: usize| films[i].entity.as_deref();

    // Risk: the adult content rating is the one of the four most common with the smallest share
    // of Children's or Animation films.
    let mut rating_films: Vec<(String, usize, usize)> = Vec::new(); // (rating, films, children's films)
    for &i in &rated {
        let Some(r) = entity(i).and_then(|e| graph.ratings.get(e)) else { continue };
        let kids = films[i].genres.iter().any(|g| g == "Children's" || g == "Animation");
        match rating_films.iter_mut().find(|(name, _, _)| name == r) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += usize::from(kids);
            }
            None => rating_films.push((r.clone(), 1, usize::from(kids))),
        }
    }
    // Stable: ties keep the rating seen first.
    rating_films.sort_by_key(|r| std::cmp::Reverse(r.1));
    let adult: Option<String> =
        rating_films.iter().take(4).min_by(|a, b| (a.2 as f64 / a.1 as f64).total_cmp(&(b.2 as f64 / b.1 as f64))).map(|(name, _, _)| name.clone());
    let risk = |i: usize| match entity(i).and_then(|e| graph.ratings.get(e)) {
        None => 0.01,
        Some(r) if Some(r) == adult.as_ref() => 0.04,
        Some(_) => 0.002,
    };

    // Campaigns: the companies listed first on the most films.
    let mut first_listed: Vec<(String, usize)> = Vec::new();
    for &i in &rated {
        let Some(c) = entity(i).and_then(|e| graph.companies.get(e)).and_then(|cs| cs.first()) else { continue };
        match first_listed.iter_mut().find(|(name, _)| name == c) {
            Some(entry) => entry.1 += 1,
            None => first_listed.push((c.clone(), 1)),
        }
    }
    first_listed.sort_by_key(|c| std::cmp::Reverse(c.1));
    first_listed.truncate(CAMPAIGNS);
    let campaign_index: HashMap<&str, usize> = first_listed.iter().enumerate().map(|(a, (c, _))| (c.as_str(), a)).collect();
    let campaign_of = |i: usize| entity(i).and_then(|e| graph.companies.get(e)).and_then(|cs| cs.iter().find_map(|c| campaign_index.get(c.as_str()).copied()));

    // Creators: each organic film's director, or the film itself.
    let creator_key = |i: usize| match entity(i).and_then(|e| graph.directors.get(e)) {
        Some(d) => format!("director-{d}"),
        None => format!("unknown-director-of-film-{}", films[i].number),
    };
    let mut creator_films: BTreeMap<String, usize> = BTreeMap::new();
    for &i in rated.iter().filter(|&&i| campaign_of(i).is_none()) {
        *creator_films.entry(creator_key(i)).or_default() += 1;
    }
    let creator_index: HashMap<&str, usize> = creator_films.keys().enumerate().map(|(c, k)| (k.as_str(), c)).collect();
    let creators: Vec<Creator> = creator_films
        .iter()
        .map(|(id, &n)| Creator {
            id: id.clone(),
            group: match n {
                1 => "new",
                2 | 3 => "small",
                _ => "established",
            }
            .into(),
        })
        .collect();

    let mut item_of = vec![usize::MAX; films.len()];
    let items: Vec<Item> = rated
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            item_of[i] = k;
            Item {
                id: format!("film-{}", films[i].number),
                owner: match campaign_of(i) {
                    Some(a) => Owner::Campaign(a),
                    None => Owner::Creator(creator_index[creator_key(i).as_str()]),
                },
                topic: films[i].genres.first().map_or_else(|| "unknown".to_string(), |g| g.to_lowercase()),
                quality: quality(i),
                risk: risk(i),
                fresh: films[i].year.is_some_and(|y| y >= 1997),
                cap: None,
            }
        })
        .collect();

    // Edges, by segment then film; budgets from the ads' edges.
    let mut edges: Vec<Edge> = Vec::new();
    for ((c, i), &(n, liked)) in &pair {
        let Some(&s) = segment_of.get(c) else { continue };
        if n < MIN_PAIR_RATINGS {
            continue;
        }
        let price = if campaign_of(*i).is_some() { 0.002 + 0.004 * quality(*i) } else { 0.0 };
        let engagement = 0.5 * liked as f64 / cohort_users[c] as f64 + 0.001;
        edges.push(Edge { segment: s, item: item_of[*i], engagement, price, cap: None });
    }
    edges.sort_by_key(|e| (e.segment, e.item));
    // Summed in edge order, so that the budgets do not depend on the hash map's.
    let mut budgets = vec![0.0; first_listed.len()];
    for e in &edges {
        if let Owner::Campaign(a) = items[e.item].owner {
            budgets[a] += 0.0008 * e.price * segments[e.segment].supply;
        }
    }
    let campaigns: Vec<Campaign> = first_listed.iter().zip(&budgets).map(|((c, _), &budget)| Campaign { id: format!("company-{c}"), budget }).collect();

    let total_supply: f64 = segments.iter().map(|s| s.supply).sum();
    let total_budget: f64 = budgets.iter().sum();
    let all = SegmentSelector::All;
    let constraints = vec![
        Constraint { name: "ad-load".into(), penalty: None, kind: ConstraintKind::AdLoad { segments: all.clone(), max_share: 0.15 } },
        Constraint {
            name: "teen-integrity".into(),
            penalty: None,
            kind: ConstraintKind::IntegrityCap { segments: SegmentSelector::Tag("teen".into()), max_share: 0.004 },
        },
        Constraint { name: "topic-cap".into(), penalty: Some(0.05), kind: ConstraintKind::TopicCap { segments: all.clone(), max_share: 0.35 } },
        Constraint {
            name: "young-freshness".into(),
            penalty: Some(0.2),
            kind: ConstraintKind::FreshnessFloor { segments: SegmentSelector::Tag("young".into()), min_share: 0.25 },
        },
        Constraint {
            name: "new-creators".into(),
            penalty: Some(0.1),
            kind: ConstraintKind::ExposureFloor { segments: all, items: ItemSelector::CreatorGroup("new".into()), min: 0.08 * total_supply },
        },
        Constraint {
            name: "creator-parity".into(),
            penalty: Some(0.02),
            kind: ConstraintKind::ExposureParity { groups: vec!["new".into(), "established".into()], tolerance: 0.3 },
        },
        Constraint { name: "revenue-floor".into(), penalty: Some(40.0), kind: ConstraintKind::RevenueFloor { min: 0.6 * total_budget } },
    ];
    // What an import writes passes `agora validate`, or the import fails (issue 32).
    super::validated(
        Instance {
            name: "movielens-100k-directors".into(),
            objective: Objective {
                engagement: 1.0,
                quality: 0.02,
                revenue: 20.0,
                integrity_risk: 1.0,
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
