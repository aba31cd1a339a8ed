//! The deviations an audit tries: changed copies of a day, each a move a creator could make.

use agora_instances::{Constraint, ConstraintKind, Creator, Instance, ItemSelector, Owner};

/// Organic items of creator `c`, in instance order.
pub fn items_of(inst: &Instance, c: usize) -> Vec<usize> {
    (0..inst.items.len()).filter(|&i| inst.items[i].owner == Owner::Creator(c)).collect()
}

/// Edge indices of creator `c`'s items.
pub fn edges_of_creators(inst: &Instance, creators: &[usize]) -> Vec<usize> {
    (0..inst.edges.len()).filter(|&e| inst.items[inst.edges[e].item].creator().is_some_and(|c| creators.contains(&c))).collect()
}

/// The day with `delta` added to the engagement of every edge of creator `c`'s items: the creator
/// made all of its content more engaging by the same amount.
pub fn raise_engagement(inst: &Instance, c: usize, delta: f64) -> Instance {
    let mut out = inst.clone();
    for e in edges_of_creators(inst, &[c]) {
        out.edges[e].engagement += delta;
    }
    out
}

/// A Sybil split: creator `c` opens a second account in group `clone_group` and moves every other
/// one of its items there. Rules written for `c` alone (an `exposure_floor` or `exposure_cap`
/// whose items are `{"creator": c}`) are a per-creator policy, so the clone gets its own copy.
/// Returns the new day and the clone's index, or `None` when `c` has fewer than two items.
pub fn split_creator(inst: &Instance, c: usize, clone_group: &str) -> Option<(Instance, usize)> {
    let items = items_of(inst, c);
    if items.len() < 2 {
        return None;
    }
    let mut out = inst.clone();
    let id = unused_id(&format!("{}~sybil", inst.creators[c].id), |s| inst.creators.iter().any(|x| x.id == s));
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
    Some((out, clone))
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
