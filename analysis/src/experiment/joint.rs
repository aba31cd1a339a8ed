//! The days a design solves: the budget-split's scaled copies, and the one joint day of a
//! user-split (each segment in two arms, shared budgets and totals) or a creator-split (the
//! treatment's rules on the treated creators' items only). Each joint day remembers which arm
//! every edge and constraint belongs to, so an arm's metrics can be read off the joint plan.

use agora_instances::{Campaign, Constraint, ConstraintKind, Edge, Instance, InstanceFile, Item, ItemSelector, Owner, Segment, SegmentSelector};

/// An arm of a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// The control rules.
    Control,
    /// The treatment rules.
    Treatment,
}

impl Arm {
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Arm::Control => "#control",
            Arm::Treatment => "#treatment",
        }
    }
}

/// `day` at `f` of its size: every absolute limit (supplies, budgets, item and edge caps,
/// exposure floors and caps, the revenue floor) times `f`; shares, tolerances, prices and
/// weights as they are. An LP's optimum scales with its limits, so the optimum of this day is
/// `f` times the day's (the ridge term divides by the supply, which scales too: a QP's does as
/// well).
pub fn scaled(day: &Instance, f: f64) -> Instance {
    let mut d = day.clone();
    for s in &mut d.segments {
        s.supply *= f;
    }
    for a in &mut d.campaigns {
        a.budget *= f;
    }
    for i in &mut d.items {
        i.cap = i.cap.map(|c| c * f);
    }
    for e in &mut d.edges {
        e.cap = e.cap.map(|c| c * f);
    }
    for c in &mut d.constraints {
        match &mut c.kind {
            ConstraintKind::ExposureFloor { min: v, .. } | ConstraintKind::ExposureCap { max: v, .. } | ConstraintKind::RevenueFloor { min: v } => *v *= f,
            _ => {}
        }
    }
    d
}

/// A day made of two arms, with what each of its edges and constraints is.
#[derive(Debug, Clone)]
pub struct Joint {
    /// The day solved.
    pub day: Instance,
    /// Per edge of `day`: its arm (`None`: neither, as ads under a creator-split) and its edge in
    /// the arm's own day.
    pub edges: Vec<(Option<Arm>, usize)>,
    /// Per constraint of `day`: its arm, `None` when both arms share it.
    pub constraints: Vec<Option<Arm>>,
    /// Per creator, whether it is treated (a creator-split; empty otherwise).
    pub treated: Vec<bool>,
}

/// Why a design cannot test a change.
pub type Unsupported = String;

/// The user-split's joint day: every segment twice, `f` of its supply in the treatment arm and
/// `1 - f` in the control arm, each arm under its own rules; campaigns, items and constraints
/// the arms do not change are shared (one budget row, one pacing multiplier for both arms, as a
/// shared pacer converges to), those they change are one per arm at the arm's own absolute
/// limits (a floor on totals is then met in each arm).
pub fn user_split(control: &Instance, treat: &Instance, f: f64) -> Result<Joint, Unsupported> {
    if control.objective != treat.objective {
        return Err("the change alters the objective's weights, which one joint model cannot give each arm".into());
    }
    let arms = [(Arm::Control, control, 1.0 - f), (Arm::Treatment, treat, f)];
    let mut day = Instance {
        name: format!("{}#user-split", control.name),
        objective: control.objective,
        segments: Vec::new(),
        creators: control.creators.clone(),
        campaigns: Vec::new(),
        items: Vec::new(),
        edges: Vec::new(),
        constraints: Vec::new(),
        evidence: Vec::new(),
    };
    // Segments: one copy per arm, tagged with its arm.
    let mut seg_of = [Vec::new(), Vec::new()];
    for (a, (arm, d, share)) in arms.iter().enumerate() {
        for s in &d.segments {
            let mut tags = s.tags.clone();
            tags.push(format!("arm{}", arm.suffix()));
            seg_of[a].push(day.segments.len());
            day.segments.push(Segment { id: format!("{}{}", s.id, arm.suffix()), supply: s.supply * share, tags });
        }
    }
    // Campaigns: shared when both arms give them the same budget.
    let mut camp_of = [Vec::new(), Vec::new()];
    for (k, a) in control.campaigns.iter().enumerate() {
        let b = &treat.campaigns[k];
        if a.budget == b.budget {
            for m in &mut camp_of {
                m.push(day.campaigns.len());
            }
            day.campaigns.push(a.clone());
        } else {
            for (x, (arm, d, _)) in arms.iter().enumerate() {
                camp_of[x].push(day.campaigns.len());
                day.campaigns.push(Campaign { id: format!("{}{}", d.campaigns[k].id, arm.suffix()), budget: d.campaigns[k].budget });
            }
        }
    }
    // Items: shared when both arms have them alike and their campaign is shared.
    let mut item_of = [Vec::new(), Vec::new()];
    for (k, it) in control.items.iter().enumerate() {
        let other = &treat.items[k];
        let campaign_shared = it.campaign().is_none_or(|c| camp_of[0][c] == camp_of[1][c]);
        let owner = |x: usize, item: &Item| match item.owner {
            Owner::Campaign(c) => Owner::Campaign(camp_of[x][c]),
            o => o,
        };
        if it == other && campaign_shared {
            for m in &mut item_of {
                m.push(day.items.len());
            }
            day.items.push(Item { owner: owner(0, it), ..it.clone() });
        } else {
            for (x, (arm, d, _)) in arms.iter().enumerate() {
                let item = &d.items[k];
                item_of[x].push(day.items.len());
                day.items.push(Item { id: format!("{}{}", item.id, arm.suffix()), owner: owner(x, item), ..item.clone() });
            }
        }
    }
    // Edges: each arm's, from its own day; a cap on an edge is the edge's total, shared below.
    let mut edges = Vec::new();
    let mut shared_caps = Vec::new();
    for (x, (arm, d, _)) in arms.iter().enumerate() {
        for (e, edge) in d.edges.iter().enumerate() {
            let cap = match (edge.cap, arms[1 - x].1.edges[e].cap) {
                (Some(c), Some(o)) if c == o => {
                    if x == 0 {
                        shared_caps.push((e, c));
                    }
                    None
                }
                (c, _) => c,
            };
            day.edges.push(Edge { segment: seg_of[x][edge.segment], item: item_of[x][edge.item], cap, ..*edge });
            edges.push((Some(*arm), e));
        }
    }
    if !control.evidence.is_empty() || !treat.evidence.is_empty() {
        day.evidence = (0..control.edges.len()).map(|e| control.evidence(e)).chain((0..treat.edges.len()).map(|e| treat.evidence(e))).collect();
    }
    // Constraints: shared when alike in both arms, one per arm otherwise.
    let mut constraints = Vec::new();
    let names: Vec<&str> = control.constraints.iter().chain(&treat.constraints).map(|c| c.name.as_str()).fold(Vec::new(), |mut v, n| {
        if !v.contains(&n) {
            v.push(n);
        }
        v
    });
    let ids = Ids { segments: day.segments.iter().map(|s| s.id.clone()).collect(), items: day.items.iter().map(|i| i.id.clone()).collect(), seg_of, item_of };
    for name in names {
        let c = control.constraints.iter().find(|c| c.name == name);
        let t = treat.constraints.iter().find(|c| c.name == name);
        if let (Some(c), Some(t)) = (c, t) {
            if c == t {
                day.constraints.push(ids.remap(c, control, &[0, 1], None)?);
                constraints.push(None);
                continue;
            }
        }
        for (x, version) in [c, t].into_iter().enumerate() {
            if let Some(rule) = version {
                let (arm, d, _) = arms[x];
                day.constraints.push(ids.remap(rule, d, &[x], Some(arm))?);
                constraints.push(Some(arm));
            }
        }
    }
    let Ids { seg_of, item_of, .. } = ids;
    for (e, cap) in shared_caps {
        let edge = &control.edges[e];
        let segments = SegmentSelector::Ids((0..2).map(|x| day.segments[seg_of[x][edge.segment]].id.clone()).collect());
        let mut ids: Vec<String> = (0..2).map(|x| day.items[item_of[x][edge.item]].id.clone()).collect();
        ids.dedup();
        let name = format!("edge-cap#{}#{}", control.segments[edge.segment].id, control.items[edge.item].id);
        day.constraints.push(Constraint { name, penalty: None, kind: ConstraintKind::ExposureCap { items: ItemSelector::Ids(ids), segments, max: cap } });
        constraints.push(None);
    }
    checked(Joint { day, edges, constraints, treated: Vec::new() })
}

/// The joint day's ids, and where each arm's segments and items went.
struct Ids {
    segments: Vec<String>,
    items: Vec<String>,
    seg_of: [Vec<usize>; 2],
    item_of: [Vec<usize>; 2],
}

impl Ids {
    /// `rule` of `d`, in the joint day: its segments and items those of the arms `arms` (both:
    /// a shared rule), named with the arm's suffix (none when shared).
    fn remap(&self, rule: &Constraint, d: &Instance, arms: &[usize], arm: Option<Arm>) -> Result<Constraint, Unsupported> {
        let segments = |sel: &SegmentSelector| -> SegmentSelector {
            let picked = d.select_segments(sel);
            SegmentSelector::Ids(arms.iter().flat_map(|&x| picked.iter().map(move |&s| self.segments[self.seg_of[x][s]].clone())).collect())
        };
        let items = |sel: &ItemSelector| -> ItemSelector {
            let picked = d.select_items(sel);
            let mut joint: Vec<usize> = arms.iter().flat_map(|&x| (0..d.items.len()).filter(|&i| picked[i]).map(move |i| self.item_of[x][i])).collect();
            joint.sort_unstable();
            joint.dedup();
            ItemSelector::Ids(joint.into_iter().map(|i| self.items[i].clone()).collect())
        };
        use ConstraintKind::*;
        let kind = match &rule.kind {
            AdLoad { segments: s, max_share } => AdLoad { segments: segments(s), max_share: *max_share },
            IntegrityCap { segments: s, max_share } => IntegrityCap { segments: segments(s), max_share: *max_share },
            TopicCap { segments: s, max_share } => TopicCap { segments: segments(s), max_share: *max_share },
            FreshnessFloor { segments: s, min_share } => FreshnessFloor { segments: segments(s), min_share: *min_share },
            ExplorationFloor { segments: s, min_share, max_n } => ExplorationFloor { segments: segments(s), min_share: *min_share, max_n: *max_n },
            ExposureFloor { items: i, segments: s, min } => ExposureFloor { items: items(i), segments: segments(s), min: *min },
            ExposureCap { items: i, segments: s, max } => ExposureCap { items: items(i), segments: segments(s), max: *max },
            RevenueFloor { min } if arm.is_none() => RevenueFloor { min: *min },
            ExposureParity { groups, tolerance } if arm.is_none() => ExposureParity { groups: groups.clone(), tolerance: *tolerance },
            other => {
                return Err(format!(
                    "the change alters \"{}\" ({}), a rule on the whole market that one joint model cannot give each arm",
                    rule.name,
                    other.type_name()
                ))
            }
        };
        let suffix = arm.map_or("", Arm::suffix);
        Ok(Constraint { name: format!("{}{suffix}", rule.name), penalty: rule.penalty, kind })
    }
}

/// The joint day, if it passes the instance validator (it is built to; this is the check).
fn checked(joint: Joint) -> Result<Joint, Unsupported> {
    // The joint day is made of two validated days' entities, copied, remapped or scaled by a
    // fraction in (0, 1): what its making can break is uniqueness (an arm's suffixed id, or an
    // edge cap's rule name, may be taken already). The whole validation runs in debug builds,
    // where the tests run: in release it was a sixth of an experiment on a 10^5-edge day.
    fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), Unsupported> {
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                return Err(format!("the joint day has two {what} \"{id}\" (an arm's id or an edge cap's name is taken in the day)"));
            }
        }
        Ok(())
    }
    let day = &joint.day;
    unique("segments", day.segments.iter().map(|s| s.id.as_str()))?;
    unique("items", day.items.iter().map(|i| i.id.as_str()))?;
    unique("campaigns", day.campaigns.iter().map(|a| a.id.as_str()))?;
    unique("rules", day.constraints.iter().map(|c| c.name.as_str()))?;
    #[cfg(debug_assertions)]
    InstanceFile::from(day).validate().map_err(|e| format!("the joint day does not validate: {}", agora_instances::Bulleted(&e)))?;
    Ok(joint)
}

/// The creator-split's day: the control day, with the treatment's edge values and rules for the
/// treated creators' items only (`treated`, per creator). A change to anything that is not a
/// creator's (supplies, budgets, the objective, a rule on segments or the whole market) cannot
/// be given to some creators: that is an error.
pub fn creator_split(control: &Instance, treat: &Instance, treated: &[bool]) -> Result<Joint, Unsupported> {
    if control.objective != treat.objective {
        return Err("the change alters the objective's weights, which are the market's, not a creator's".into());
    }
    if control.segments != treat.segments || control.campaigns != treat.campaigns {
        return Err("the change alters supplies or budgets, which are the market's, not a creator's".into());
    }
    let of_treated = |i: usize| control.items[i].creator().is_some_and(|c| treated[c]);
    let mut day = control.clone();
    day.name = format!("{}#creator-split", control.name);
    for (i, item) in day.items.iter_mut().enumerate() {
        if of_treated(i) {
            *item = treat.items[i].clone();
        } else if *item != treat.items[i] {
            return Err(format!("the change alters item \"{}\", which no treated creator owns", item.id));
        }
    }
    let mut edges = Vec::with_capacity(day.edges.len());
    for (e, edge) in day.edges.iter_mut().enumerate() {
        if of_treated(edge.item) {
            *edge = treat.edges[e];
        } else if *edge != treat.edges[e] && control.items[edge.item].creator().is_none() {
            return Err(format!("the change alters edges of \"{}\", which no creator owns", control.items[edge.item].id));
        }
        let arm = match control.items[edge.item].creator() {
            Some(c) if treated[c] => Some(Arm::Treatment),
            Some(_) => Some(Arm::Control),
            None => None,
        };
        edges.push((arm, e));
    }
    // Rules: alike in both stay whole; a rule the change alters or adds applies, in the
    // treatment's version, to the treated creators' items, and in the control's to the rest.
    day.constraints.clear();
    let mut constraints = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for c in control.constraints.iter().chain(&treat.constraints) {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    for name in names {
        let c = control.constraints.iter().find(|c| c.name == name);
        let t = treat.constraints.iter().find(|c| c.name == name);
        if let (Some(c), Some(t)) = (c, t) {
            if c == t {
                day.constraints.push(c.clone());
                constraints.push(None);
                continue;
            }
        }
        for (version, arm) in [(c, Arm::Control), (t, Arm::Treatment)] {
            let Some(rule) = version else { continue };
            let keep = |i: usize| (arm == Arm::Treatment) == of_treated(i);
            let restricted = |sel: &ItemSelector| -> Vec<String> {
                let picked = control.select_items(sel);
                (0..control.items.len()).filter(|&i| picked[i] && keep(i)).map(|i| control.items[i].id.clone()).collect()
            };
            let kind = match &rule.kind {
                ConstraintKind::ExposureFloor { items, segments, min } => {
                    ConstraintKind::ExposureFloor { items: ItemSelector::Ids(restricted(items)), segments: segments.clone(), min: *min }
                }
                ConstraintKind::ExposureCap { items, segments, max } => {
                    ConstraintKind::ExposureCap { items: ItemSelector::Ids(restricted(items)), segments: segments.clone(), max: *max }
                }
                other => {
                    return Err(format!(
                        "the change alters \"{}\" ({}), a rule on segments or the whole market, not on creators' items",
                        rule.name,
                        other.type_name()
                    ))
                }
            };
            if matches!(&kind, ConstraintKind::ExposureFloor { items: ItemSelector::Ids(v), .. } | ConstraintKind::ExposureCap { items: ItemSelector::Ids(v), .. } if v.is_empty())
            {
                continue;
            }
            day.constraints.push(Constraint { name: format!("{}{}", rule.name, arm.suffix()), penalty: rule.penalty, kind });
            constraints.push(Some(arm));
        }
    }
    InstanceFile::from(&day).validate().map_err(|e| format!("the creator-split day does not validate: {}", agora_instances::Bulleted(&e)))?;
    Ok(Joint { day, edges, constraints, treated: treated.to_vec() })
}
