//! The deviations an audit tries: changed copies of a day, each a move a creator could make.
//!
//! A [`Deviation`] names its move by ids (so a trial record can be replayed on the day it came
//! from, as the tests' independent re-solves do) and [`Deviation::apply`] makes the changed day.
//! Every deviation keeps the day's edges in order and appends any new ones, which is what lets
//! [`agora_solver::Resolver`] re-solve it from the day's basis.

use serde::{Deserialize, Serialize};

use agora_instances::{Constraint, ConstraintKind, Creator, Instance, Item, ItemSelector, Owner};

/// A move a creator can make, by ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Deviation {
    /// Every edge of `creator`'s items gains `delta` of engagement (its interval too, when the day
    /// plans on one).
    RaiseEngagement {
        /// The creator's id.
        creator: String,
        /// The engagement added per impression.
        delta: f64,
    },
    /// `creator` opens the account `clone` in group `group` and moves every other one of its
    /// items there ([`split_creator`]).
    Split {
        /// The creator's id.
        creator: String,
        /// The new account's id.
        clone: String,
        /// The new account's group.
        group: String,
    },
    /// `creator` relabels its item `item` to topic `topic`.
    RelabelTopic {
        /// The creator's id.
        creator: String,
        /// The item's id.
        item: String,
        /// The new topic.
        topic: String,
    },
    /// `creator` uploads `copy`, a near-duplicate of its item `item`: the same attributes and cap,
    /// an edge to every segment the original reaches, at `factor` times its engagement.
    Duplicate {
        /// The creator's id.
        creator: String,
        /// The original item's id.
        item: String,
        /// The copy's id.
        copy: String,
        /// The copy's engagement relative to the original's, per edge.
        factor: f64,
    },
    /// `creator` moves to creator group `group`.
    MoveGroup {
        /// The creator's id.
        creator: String,
        /// The group it moves to.
        group: String,
    },
}

/// Why a deviation does not fit a day.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviationError {
    /// The deviation names a creator the day does not have.
    #[error("the day has no creator \"{0}\"")]
    UnknownCreator(String),
    /// The deviation names an item the day does not have, or not one of the creator's.
    #[error("creator \"{creator}\" has no item \"{item}\"")]
    UnknownItem {
        /// The creator's id.
        creator: String,
        /// The item's id.
        item: String,
    },
    /// A split of a creator with fewer than two items.
    #[error("creator \"{0}\" has fewer than two items to split between two accounts")]
    TooFewItems(String),
}

/// A deviation applied: the changed day, the accounts of the deviating creator in it, and the
/// day's edge each of its edges stands for (a copy's edges stand for the original's).
#[derive(Debug, Clone)]
pub struct Applied {
    /// The changed day.
    pub day: Instance,
    /// The deviating creator, then its new account where it opened one.
    pub accounts: Vec<usize>,
    /// For each edge of `day`, the day's edge it stands for.
    pub counterpart: Vec<usize>,
    /// The edges of the deviating accounts in `day` (found once: a trial asks several times).
    edges: Vec<usize>,
}

impl Applied {
    fn new(day: Instance, accounts: Vec<usize>, counterpart: Vec<usize>) -> Applied {
        let edges = edges_of_creators(&day, &accounts);
        Applied { day, accounts, counterpart, edges }
    }

    /// As [`Deviation::apply`] gives it, the deviating accounts' `edges` in `day` known (the
    /// creator's edges in the day, then every appended edge: a deviation appends edges for the
    /// creator's items only).
    pub(super) fn with_edges(day: Instance, accounts: Vec<usize>, counterpart: Vec<usize>, edges: Vec<usize>) -> Applied {
        debug_assert_eq!(edges, edges_of_creators(&day, &accounts));
        Applied { day, accounts, counterpart, edges }
    }

    /// The edges of the deviating accounts in the changed day.
    pub fn edges(&self) -> Vec<usize> {
        self.edges.clone()
    }

    /// The changed day, given back (to [`Deviation::undo`] it).
    pub fn into_day(self) -> Instance {
        self.day
    }
}

impl Deviation {
    /// The deviating creator's id.
    pub fn creator(&self) -> &str {
        match self {
            Deviation::RaiseEngagement { creator, .. }
            | Deviation::Split { creator, .. }
            | Deviation::RelabelTopic { creator, .. }
            | Deviation::Duplicate { creator, .. }
            | Deviation::MoveGroup { creator, .. } => creator,
        }
    }

    /// The engagement raise, for the deviations that have one.
    pub fn delta(&self) -> Option<f64> {
        match self {
            Deviation::RaiseEngagement { delta, .. } => Some(*delta),
            _ => None,
        }
    }

    /// The deviation in words.
    pub fn describe(&self) -> String {
        match self {
            Deviation::RaiseEngagement { creator, delta } => format!("creator {creator} raises engagement by {}", crate::format::num(*delta)),
            Deviation::Split { creator, clone, group } => format!("creator {creator} moves every other item to a second account {clone} (group {group})"),
            Deviation::RelabelTopic { creator, item, topic } => format!("creator {creator} relabels item {item} as topic {topic}"),
            Deviation::Duplicate { creator, item, copy, factor } => {
                format!("creator {creator} uploads {copy}, a near-duplicate of {item} at {}% of its engagement", crate::format::num(100.0 * factor))
            }
            Deviation::MoveGroup { creator, group } => format!("creator {creator} moves to group {group}"),
        }
    }

    /// The changed day.
    pub fn apply(&self, inst: &Instance) -> Result<Applied, DeviationError> {
        let mut day = inst.clone();
        let (accounts, counterpart) = self.apply_to(inst, &mut day)?;
        Ok(Applied::new(day, accounts, counterpart))
    }

    /// Changes `day`, a copy of `inst`, into the changed day (where a trial's day is kept and
    /// changed back with [`Deviation::undo`], a copy costs more than the trial's formulation);
    /// returns the deviating accounts and each edge's counterpart, as in [`Applied`]. `day` is
    /// unchanged on an error.
    pub fn apply_to(&self, inst: &Instance, day: &mut Instance) -> Result<(Vec<usize>, Vec<usize>), DeviationError> {
        let c = creator_index(inst, self.creator())?;
        let every_edge = || (0..inst.edges.len()).collect();
        Ok(match self {
            Deviation::RaiseEngagement { delta, .. } => {
                raise_in(inst, day, c, *delta);
                (vec![c], every_edge())
            }
            Deviation::Split { group, .. } => {
                let clone = split_in(inst, day, c, group).ok_or_else(|| DeviationError::TooFewItems(self.creator().into()))?;
                (vec![c, clone], every_edge())
            }
            Deviation::RelabelTopic { item, topic, .. } => {
                let i = item_of(inst, c, item)?;
                day.items[i].topic = topic.clone();
                (vec![c], every_edge())
            }
            Deviation::Duplicate { item, copy, factor, .. } => {
                let i = item_of(inst, c, item)?;
                (vec![c], duplicate_in(inst, day, i, copy, *factor))
            }
            Deviation::MoveGroup { group, .. } => {
                day.creators[c].group = group.clone();
                (vec![c], every_edge())
            }
        })
    }

    /// Changes `day`, this deviation applied to `inst` ([`Deviation::apply_to`]), back into
    /// `inst`: what it appended dropped, what it changed copied back.
    pub fn undo(&self, inst: &Instance, day: &mut Instance) {
        day.edges.truncate(inst.edges.len());
        day.evidence.truncate(inst.evidence.len());
        day.items.truncate(inst.items.len());
        day.creators.truncate(inst.creators.len());
        day.constraints.truncate(inst.constraints.len());
        let Ok(c) = creator_index(inst, self.creator()) else { return };
        match self {
            Deviation::RaiseEngagement { .. } => {
                for e in edges_of_creators(inst, &[c]) {
                    day.edges[e] = inst.edges[e];
                    if let Some(v) = inst.evidence.get(e) {
                        day.evidence[e] = *v;
                    }
                }
            }
            Deviation::Split { .. } => items_of(inst, c).into_iter().for_each(|i| day.items[i].owner = inst.items[i].owner),
            Deviation::RelabelTopic { item, .. } => {
                if let Ok(i) = item_of(inst, c, item) {
                    day.items[i].topic.clone_from(&inst.items[i].topic);
                }
            }
            Deviation::Duplicate { .. } => {}
            Deviation::MoveGroup { .. } => day.creators[c].group.clone_from(&inst.creators[c].group),
        }
    }
}

fn creator_index(inst: &Instance, id: &str) -> Result<usize, DeviationError> {
    inst.creators.iter().position(|c| c.id == id).ok_or_else(|| DeviationError::UnknownCreator(id.into()))
}

fn item_of(inst: &Instance, c: usize, id: &str) -> Result<usize, DeviationError> {
    (0..inst.items.len())
        .find(|&i| inst.items[i].id == id && inst.items[i].owner == Owner::Creator(c))
        .ok_or_else(|| DeviationError::UnknownItem { creator: inst.creators[c].id.clone(), item: id.into() })
}

/// Organic items of creator `c`, in instance order.
pub fn items_of(inst: &Instance, c: usize) -> Vec<usize> {
    (0..inst.items.len()).filter(|&i| inst.items[i].owner == Owner::Creator(c)).collect()
}

/// Edge indices of the items of `creators`.
pub fn edges_of_creators(inst: &Instance, creators: &[usize]) -> Vec<usize> {
    (0..inst.edges.len()).filter(|&e| inst.items[inst.edges[e].item].creator().is_some_and(|c| creators.contains(&c))).collect()
}

/// The day with `delta` added to the engagement of every edge of creator `c`'s items (and to
/// both ends of its interval, where the day has evidence): the creator made all of its content
/// more engaging by the same amount.
pub fn raise_engagement(inst: &Instance, c: usize, delta: f64) -> Instance {
    let mut out = inst.clone();
    raise_in(inst, &mut out, c, delta);
    out
}

fn raise_in(inst: &Instance, out: &mut Instance, c: usize, delta: f64) {
    for e in edges_of_creators(inst, &[c]) {
        out.edges[e].engagement += delta;
        if let Some(v) = out.evidence.get_mut(e) {
            v.lcb += delta;
            v.ucb += delta;
        }
    }
}

/// A Sybil split: creator `c` opens a second account in group `clone_group` and moves every other
/// one of its items there. Rules written for `c` alone (an `exposure_floor` or `exposure_cap`
/// whose items are `{"creator": c}`) are a per-creator policy, so the clone gets its own copy.
/// Returns the new day and the clone's index, or `None` when `c` has fewer than two items.
pub fn split_creator(inst: &Instance, c: usize, clone_group: &str) -> Option<(Instance, usize)> {
    let mut out = inst.clone();
    let clone = split_in(inst, &mut out, c, clone_group)?;
    Some((out, clone))
}

fn split_in(inst: &Instance, out: &mut Instance, c: usize, clone_group: &str) -> Option<usize> {
    let items = items_of(inst, c);
    if items.len() < 2 {
        return None;
    }
    let id = clone_id(inst, c);
    let clone = out.creators.len();
    out.creators.push(Creator { id: id.clone(), group: clone_group.to_string() });
    for &i in items.iter().skip(1).step_by(2) {
        out.items[i].owner = Owner::Creator(clone);
    }
    for k in &inst.constraints {
        if let Some(copy) = per_creator_copy(k, &inst.creators[c].id, &id) {
            let name = unused_id(&format!("{}~sybil", k.name), |s| out.constraints.iter().any(|x| x.name == s));
            out.constraints.push(Constraint { name, ..copy });
        }
    }
    Some(clone)
}

/// The id [`split_creator`] gives creator `c`'s second account.
pub fn clone_id(inst: &Instance, c: usize) -> String {
    unused_id(&format!("{}~sybil", inst.creators[c].id), |s| inst.creators.iter().any(|x| x.id == s))
}

/// The id a near-duplicate of item `i` gets.
pub fn copy_id(inst: &Instance, i: usize) -> String {
    unused_id(&format!("{}~dup", inst.items[i].id), |s| inst.items.iter().any(|x| x.id == s))
}

/// The day with `copy`, a copy of item `i` (same owner, topic, quality, risk, freshness and
/// cap), appended with an edge to every segment `i` reaches at `factor` times its engagement (same
/// price and edge cap). Returns, per edge, the day's edge it stands for.
/// (`out` is a copy of `inst`.)
fn duplicate_in(inst: &Instance, out: &mut Instance, i: usize, copy: &str, factor: f64) -> Vec<usize> {
    let new = out.items.len();
    out.items.push(Item { id: copy.to_string(), ..inst.items[i].clone() });
    let mut counterpart: Vec<usize> = (0..inst.edges.len()).collect();
    for e in (0..inst.edges.len()).filter(|&e| inst.edges[e].item == i) {
        let mut edge = inst.edges[e];
        edge.item = new;
        edge.engagement *= factor;
        out.edges.push(edge);
        if !out.evidence.is_empty() {
            // A new upload has no logged rounds; its interval is its point estimate.
            let g = out.edges.last().expect("just pushed").engagement;
            out.evidence.push(agora_instances::Evidence { n: 0, lcb: g, ucb: g });
        }
        counterpart.push(e);
    }
    counterpart
}

/// The creator ids that per-creator rules (floors and caps on `{"creator": id}`) name.
pub fn creators_with_own_rules(inst: &Instance) -> Vec<usize> {
    (0..inst.creators.len()).filter(|&c| inst.constraints.iter().any(|k| per_creator_copy(k, &inst.creators[c].id, "").is_some())).collect()
}

/// `k` re-aimed at creator `to`, when `k` is a floor or cap on creator `from` alone.
fn per_creator_copy(k: &Constraint, from: &str, to: &str) -> Option<Constraint> {
    let aimed = |items: &ItemSelector| matches!(items, ItemSelector::Creator(id) if id == from);
    let kind = match &k.kind {
        ConstraintKind::ExposureFloor { items, segments, min } if aimed(items) => {
            ConstraintKind::ExposureFloor { items: ItemSelector::Creator(to.into()), segments: segments.clone(), min: *min }
        }
        ConstraintKind::ExposureCap { items, segments, max } if aimed(items) => {
            ConstraintKind::ExposureCap { items: ItemSelector::Creator(to.into()), segments: segments.clone(), max: *max }
        }
        _ => return None,
    };
    Some(Constraint { kind, ..k.clone() })
}

/// Whether a rule of the day reads items' topics (a topic cap, or a `{"topic": t}` selector).
pub fn rules_read_topics(inst: &Instance) -> bool {
    inst.constraints.iter().any(|k| match &k.kind {
        ConstraintKind::TopicCap { .. } => true,
        ConstraintKind::ExposureFloor { items, .. } | ConstraintKind::ExposureCap { items, .. } => matches!(items, ItemSelector::Topic(_)),
        _ => false,
    })
}

/// Whether a rule of the day reads creator groups (a parity rule, or a `{"creator_group": g}`
/// selector).
pub fn rules_read_groups(inst: &Instance) -> bool {
    inst.constraints.iter().any(|k| match &k.kind {
        ConstraintKind::ExposureParity { .. } => true,
        ConstraintKind::ExposureFloor { items, .. } | ConstraintKind::ExposureCap { items, .. } => matches!(items, ItemSelector::CreatorGroup(_)),
        _ => false,
    })
}

/// The creator groups a rule names or a creator is in, sorted.
pub fn groups(inst: &Instance) -> Vec<String> {
    let mut out: Vec<String> = inst.creators.iter().map(|c| c.group.clone()).collect();
    for k in &inst.constraints {
        match &k.kind {
            ConstraintKind::ExposureParity { groups, .. } => out.extend(groups.iter().cloned()),
            ConstraintKind::ExposureFloor { items: ItemSelector::CreatorGroup(g), .. }
            | ConstraintKind::ExposureCap { items: ItemSelector::CreatorGroup(g), .. } => out.push(g.clone()),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `base`, or `base` with a numeric suffix, whichever `taken` does not claim.
fn unused_id(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}{n}");
        n += 1;
    }
    id
}
