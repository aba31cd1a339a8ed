//! Content gaps: what a new organic item of a topic would be worth in a segment, priced with the
//! plan's duals.
//!
//! For each segment `s` and each topic `t` of the instance's organic items, a hypothetical
//! organic item of topic `t` with one edge to `s` is added to a copy of the instance. Its
//! attributes are means over the *basis* edges (see [`Basis`]), plain or weighted by the plan's
//! impressions (see [`Profile`]): engagement is the mean edge engagement, quality and risk the
//! mean of the edges' items, and it is fresh when at least half of the (weighted) basis edges'
//! items are. Its price is 0 (organic), it has no cap, and it belongs to a
//! hypothetical creator of its own group, which no rule names: `creator`, `creator_group` and
//! `ids` selectors never pick it, so it enters no parity row and changes no group's merit;
//! `topic` and `kind: organic` selectors do pick it.
//!
//! The copy is formulated by the one formulation code, so the item's column `a_j` carries exactly
//! the coefficients the spec gives it (supply 1, ad load `-max_share`, every topic row of the
//! segment `1{t'=t} - max_share`, integrity `risk - max_share`, freshness `1{fresh} - min_share`,
//! the exposure floors and caps whose selectors pick it). Its value per impression is its reduced
//! cost at the plan's duals `y` (maximisation convention):
//!
//! `value = c_j - sum_r y_r a_rj`,
//!
//! the derivative of the optimum in a small cap on the new item's impressions when it is
//! positive (the optimum does not move when it is negative). Under regularisation (`rho > 0`) the
//! item's quadratic term has zero slope at zero impressions, so the formula is the same. Rows that
//! exist only because of the new item (a topic row of a topic new to the segment) have dual 0:
//! they are slack at the plan whenever the segment is served and `max_share > 0`; otherwise the
//! gap carries a caveat. All hypothetical items go into one copy at once; each column is what it
//! would be alone, since the items share no row they would not each create.

use agora_solver::Columns as _;
use std::collections::{HashMap, HashSet};

use agora_instances::{Creator, Edge, Instance, Item, ItemKind, Owner};
use agora_solver::{Formulation, Sense};

/// Where a hypothetical item's attributes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The segment's own organic edges of the topic.
    Segment,
    /// No such edge: the organic edges of the topic in segments sharing a tag with the segment.
    Neighbours,
    /// Neither: the topic's organic edges in every segment.
    AllSegments,
}

impl Basis {
    /// The basis as reports write it: `segment`, `neighbours` or `all_segments`.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Segment => "segment",
            Basis::Neighbours => "neighbours",
            Basis::AllSegments => "all_segments",
        }
    }
}

/// Which statistic of the basis edges a hypothetical item takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The plain mean over the basis edges: a typical item of the topic. Default.
    #[default]
    Mean,
    /// The mean over the basis edges weighted by the plan's impressions: more of what the plan
    /// shows. Falls back to the plain mean where the plan serves none of the basis edges.
    Served,
}

impl Profile {
    /// Every profile's name, as `from_str` accepts it.
    pub const NAMES: [&'static str; 2] = ["mean", "served"];
    /// The profile as reports write it: `mean` or `served`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Mean => "mean",
            Profile::Served => "served",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mean" => Ok(Profile::Mean),
            "served" => Ok(Profile::Served),
            _ => Err(format!("unknown gap profile \"{s}\" (one of: {})", Self::NAMES.join(", "))),
        }
    }
}

/// A new organic item of `topic`, shown in `segment`, that does not exist yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothetical {
    /// Segment index.
    pub segment: usize,
    /// The topic of the new item.
    pub topic: String,
    /// Mean engagement of the basis edges.
    pub engagement: f64,
    /// Mean quality of the basis edges' items.
    pub quality: f64,
    /// Mean risk of the basis edges' items.
    pub risk: f64,
    /// At least half of the basis edges' items are fresh.
    pub fresh: bool,
    /// Which edges the attributes were averaged over.
    pub basis: Basis,
    /// How many edges the means are over.
    pub basis_edges: usize,
    /// The statistic the attributes are (`Served` falls back to `Mean` where nothing is served).
    pub profile: Profile,
}

/// The value of one hypothetical item.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Segment id.
    pub segment: String,
    /// The topic of the new item.
    pub topic: String,
    /// Reduced cost at the plan's duals: objective units per impression of the new item.
    pub value: f64,
    /// The item's objective coefficient `c_j`.
    pub objective_coefficient: f64,
    /// Organic edges of the topic the segment already has.
    pub existing_edges: usize,
    /// The hypothetical item priced.
    pub item: Hypothetical,
    /// The rows that price the item most, `(row, y_r a_rj)`, largest magnitude first (at most 3).
    pub priced_rows: Vec<(String, f64)>,
    /// Set when the duals cannot price the item (a row it creates binds at the plan).
    pub caveat: Option<String>,
}

/// One hypothetical item per segment and organic topic (topics of organic items with an edge,
/// in first-seen edge order), segments in instance order, with attributes by `profile` (the
/// plan `x` weighs the edges for [`Profile::Served`]).
pub fn hypothetical_items(inst: &Instance, x: &[f64], profile: Profile) -> Vec<Hypothetical> {
    let mut topics: Vec<&str> = Vec::new();
    // by_topic[t][s]: organic edges of topic t in segment s.
    let mut by_topic: Vec<Vec<Vec<usize>>> = Vec::new();
    for (e, edge) in inst.edges.iter().enumerate() {
        let item = &inst.items[edge.item];
        if item.kind() != ItemKind::Organic {
            continue;
        }
        let t = match topics.iter().position(|&t| t == item.topic) {
            Some(t) => t,
            None => {
                topics.push(&item.topic);
                by_topic.push(vec![Vec::new(); inst.segments.len()]);
                topics.len() - 1
            }
        };
        by_topic[t][edge.segment].push(e);
    }
    let mut out = Vec::with_capacity(inst.segments.len() * topics.len());
    for (s, seg) in inst.segments.iter().enumerate() {
        for (t, topic) in topics.iter().enumerate() {
            let per_seg = &by_topic[t];
            let (basis, edges): (Basis, Vec<usize>) = if !per_seg[s].is_empty() {
                (Basis::Segment, per_seg[s].clone())
            } else {
                let neighbours: Vec<usize> = (0..inst.segments.len())
                    .filter(|&o| o != s && inst.segments[o].tags.iter().any(|tag| seg.tags.contains(tag)))
                    .flat_map(|o| per_seg[o].iter().copied())
                    .collect();
                if neighbours.is_empty() {
                    (Basis::AllSegments, per_seg.iter().flatten().copied().collect())
                } else {
                    (Basis::Neighbours, neighbours)
                }
            };
            let served: f64 = edges.iter().map(|&e| x[e]).sum();
            let (weight, used): (Box<dyn Fn(usize) -> f64>, Profile) = if profile == Profile::Served && served > 0.0 {
                (Box::new(|e: usize| x[e] / served), Profile::Served)
            } else {
                let n = edges.len() as f64;
                (Box::new(move |_| 1.0 / n), Profile::Mean)
            };
            let mean = |f: &dyn Fn(usize) -> f64| edges.iter().map(|&e| weight(e) * f(e)).sum::<f64>();
            let fresh_share = mean(&|e| if inst.items[inst.edges[e].item].fresh { 1.0 } else { 0.0 });
            out.push(Hypothetical {
                segment: s,
                topic: topic.to_string(),
                engagement: mean(&|e| inst.edges[e].engagement),
                quality: mean(&|e| inst.items[inst.edges[e].item].quality),
                risk: mean(&|e| inst.items[inst.edges[e].item].risk),
                fresh: fresh_share >= 0.5,
                basis,
                profile: used,
                basis_edges: edges.len(),
            });
        }
    }
    out
}

/// A name not in `taken`: `base`, else `base~2`, `base~3`, ...
fn fresh_name(base: String, taken: impl Fn(&str) -> bool) -> String {
    let mut name = base.clone();
    let mut k = 2;
    while taken(name.as_str()) {
        name = format!("{base}~{k}");
        k += 1;
    }
    name
}

/// A copy of `inst` with the hypothetical `items` added: one new creator in a group no creator
/// of `inst` has and no rule names, then one item and one edge per hypothetical. The edge of
/// `items[k]` is `inst.edges.len() + k`.
pub fn with_hypotheticals(inst: &Instance, items: &[Hypothetical]) -> Instance {
    let mut out = inst.clone();
    add_hypotheticals(&mut out, items);
    out
}

/// Adds the hypothetical `items` to `out` in place, as [`with_hypotheticals`] adds them to a
/// copy; [`remove_hypotheticals`] takes them out again.
fn add_hypotheticals(out: &mut Instance, items: &[Hypothetical]) {
    let (creator_id, group, names) = {
        let inst = &*out;
        let mut taken: HashSet<&str> = inst.creators.iter().map(|c| c.group.as_str()).collect();
        for c in &inst.constraints {
            if let agora_instances::ConstraintKind::ExposureParity { groups, .. } = &c.kind {
                taken.extend(groups.iter().map(String::as_str));
            }
        }
        let group = fresh_name("hypothetical".into(), |n| taken.contains(n));
        let creator_ids: HashSet<&str> = inst.creators.iter().map(|c| c.id.as_str()).collect();
        let creator_id = fresh_name("hypothetical-creator".into(), |n| creator_ids.contains(n));
        // The day's ids are indexed once; each new id is taken as it is made.
        let day_ids: HashSet<&str> = inst.items.iter().map(|i| i.id.as_str()).collect();
        let mut made: HashSet<String> = HashSet::new();
        let mut names = Vec::with_capacity(items.len());
        for h in items {
            let id = fresh_name(format!("hypothetical:{}:{}", inst.segments[h.segment].id, h.topic), |n| day_ids.contains(n) || made.contains(n));
            made.insert(id.clone());
            names.push(id);
        }
        (creator_id, group, names)
    };
    let creator = out.creators.len();
    out.creators.push(Creator { id: creator_id, group });
    for (h, id) in items.iter().zip(names) {
        let item = out.items.len();
        out.items.push(Item { id, owner: Owner::Creator(creator), topic: h.topic.clone(), quality: h.quality, risk: h.risk, fresh: h.fresh, cap: None });
        out.edges.push(Edge { segment: h.segment, item, engagement: h.engagement, price: 0.0, cap: None });
    }
}

/// Takes the day's hypothetical items out again: `n` is the day's (creators, items, edges)
/// before [`add_hypotheticals`].
fn remove_hypotheticals(inst: &mut Instance, n: (usize, usize, usize)) {
    inst.creators.truncate(n.0);
    inst.items.truncate(n.1);
    inst.edges.truncate(n.2);
}

/// Every segment x topic gap of plan `x` (impressions per edge of `inst`) at the row duals
/// `duals` (by row name, maximisation convention), items profiled by `profile`, best first.
pub fn gaps(inst: &Instance, x: &[f64], duals: &HashMap<String, f64>, profile: Profile) -> Vec<Gap> {
    gaps_in_place(&mut inst.clone(), x, duals, profile)
}

/// [`gaps`] with the hypothetical items added to `inst` itself and taken out again (no copy of
/// the day: a 10^7-edge day's is 0.7 GB); `inst` is left as it was.
pub fn gaps_in_place(inst: &mut Instance, x: &[f64], duals: &HashMap<String, f64>, profile: Profile) -> Vec<Gap> {
    let n = (inst.creators.len(), inst.items.len(), inst.edges.len());
    let items = hypothetical_items(inst, x, profile);
    add_hypotheticals(inst, &items);
    let out = gaps_of(inst, n.2, items, x, duals);
    remove_hypotheticals(inst, n);
    out
}

/// The gaps of `items`, added to the day `inst` after its first `n0` edges.
fn gaps_of(inst: &Instance, n0: usize, items: Vec<Hypothetical>, x: &[f64], duals: &HashMap<String, f64>) -> Vec<Gap> {
    // The columns generated, not the whole matrix written (a 10^7-edge day's is 4 GB).
    let model = Formulation::new(inst);
    // Row activities at the plan, the new items and every soft slack at 0.
    let mut x_ext = vec![0.0; model.n_cols()];
    x_ext[..n0].copy_from_slice(&x[..n0]);
    let act = model.activities(&x_ext);
    let mut counts: HashMap<(usize, &str), usize> = HashMap::new();
    for e in &inst.edges[..n0] {
        let item = &inst.items[e.item];
        if item.kind() == ItemKind::Organic {
            *counts.entry((e.segment, item.topic.as_str())).or_default() += 1;
        }
    }
    let existing: Vec<usize> = items.iter().map(|h| counts.get(&(h.segment, h.topic.as_str())).copied().unwrap_or(0)).collect();
    let mut out: Vec<Gap> = items
        .into_iter()
        .enumerate()
        .map(|(k, h)| {
            let j = n0 + k;
            let mut priced = Vec::new();
            let mut caveat = None;
            model.for_each_entry(j, |r, a| {
                let meta = &model.rows()[r];
                match duals.get(&meta.name) {
                    Some(&y) if y * a != 0.0 => priced.push((meta.name.clone(), y * a)),
                    Some(_) => {}
                    None => {
                        let slack = match meta.sense {
                            Sense::Le => meta.rhs - act[r],
                            Sense::Ge => act[r] - meta.rhs,
                        };
                        if slack <= 1e-9 * meta.rhs.abs().max(act[r].abs()).max(1.0) && caveat.is_none() {
                            caveat = Some(format!("row {} exists only with the new item and binds at the plan: the duals do not price it", meta.name));
                        }
                    }
                }
            });
            let c = model.cost(j);
            let value = c - priced.iter().map(|p| p.1).sum::<f64>();
            priced.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            priced.truncate(3);
            Gap {
                segment: inst.segments[h.segment].id.clone(),
                topic: h.topic.clone(),
                value,
                objective_coefficient: c,
                existing_edges: existing[k],
                item: h,
                priced_rows: priced,
                caveat,
            }
        })
        .collect();
    out.sort_by(|a, b| b.value.total_cmp(&a.value));
    out
}
