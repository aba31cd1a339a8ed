//! Validation of an [`InstanceFile`] into an [`Instance`]: every mistake in the file is collected
//! and reported with the entity and the field it concerns.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use crate::file::*;
use crate::types::*;

mod constraint;
use constraint::validate_constraint;

/// One finding about an instance: which entity, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The entity, e.g. `segment "us-teen"`, `edge #4 (us-teen -> pin1)`, `constraint "ad-load"`.
    pub entity: String,
    /// The field, e.g. `supply`; empty where the finding concerns the entity as a whole.
    pub field: String,
    /// What is wrong, e.g. `must be > 0, got -3`.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.entity, self.message)
        } else {
            write!(f, "{}, field \"{}\": {}", self.entity, self.field, self.message)
        }
    }
}

/// A validated instance and the warnings its file raised (selectors that match nothing, unknown
/// top-level fields).
#[derive(Debug, Clone)]
pub struct Validated {
    /// The validated day.
    pub instance: Instance,
    /// What was ignored or assumed (unknown fields, defaults), one finding each.
    pub warnings: Vec<Finding>,
    /// Every file read to make the day (the instance file, its edges file), for output checks.
    pub sources: Vec<std::path::PathBuf>,
    /// What a sharded load ([`crate::ReadOptions::shard`]) kept of the day's edges: `instance`
    /// then holds only the shard's edges. `None` when every edge was loaded.
    pub shard: Option<crate::ShardEdges>,
}

#[derive(Default)]
struct Report {
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl Report {
    fn error(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, message: impl Into<String>) {
        self.errors.push(Finding { entity: entity.to_string(), field: field.to_string(), message: message.into() });
    }
    fn warn(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, message: impl Into<String>) {
        self.warnings.push(Finding { entity: entity.to_string(), field: field.to_string(), message: message.into() });
    }

    /// A required string field.
    fn string(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, v: &Option<String>) -> String {
        match v {
            Some(s) if !s.is_empty() => s.clone(),
            Some(_) => {
                self.error(entity, field, "must not be empty");
                String::new()
            }
            None => {
                self.error(entity, field, "is missing");
                String::new()
            }
        }
    }

    /// A required number that must satisfy `ok`, described by `rule` (e.g. "> 0").
    fn number(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, v: Option<f64>, rule: Rule) -> f64 {
        match v {
            None => {
                self.error(entity, field, format!("is missing (must be {})", rule.text()));
                0.0
            }
            Some(x) => self.check(entity, field, x, rule),
        }
    }

    fn check(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, x: f64, rule: Rule) -> f64 {
        let max = crate::limits::max_magnitude(field);
        if !x.is_finite() {
            self.error(entity, field, format!("must be a finite number, got {x}"));
        } else if !rule.holds(x) {
            self.error(entity, field, format!("must be {}, got {x}", rule.text()));
        } else if x.abs() > max {
            self.error(entity, field, format!("must be at most {max:e} in magnitude (docs/formats.md, \"Limits\"), got {x:e}"));
        }
        x
    }

    /// An id or name: present, not empty, printable and not too long.
    fn id(&mut self, entity: &(impl std::fmt::Display + ?Sized), field: &str, v: &Option<String>) -> String {
        let s = self.string(entity, field, v);
        if let Some(problem) = crate::limits::id_problem(&s) {
            self.error(entity, field, problem);
        }
        s
    }
}

/// The ranges the spec imposes on numbers.
#[derive(Clone, Copy)]
enum Rule {
    Positive,
    NonNegative,
    Unit,
    HalfOpenUnit,
    Finite,
}

impl Rule {
    fn holds(self, x: f64) -> bool {
        match self {
            Rule::Positive => x > 0.0,
            Rule::NonNegative => x >= 0.0,
            Rule::Unit => (0.0..=1.0).contains(&x),
            Rule::HalfOpenUnit => (0.0..1.0).contains(&x),
            Rule::Finite => true,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Rule::Positive => "> 0",
            Rule::NonNegative => ">= 0",
            Rule::Unit => "in [0, 1]",
            Rule::HalfOpenUnit => "in [0, 1)",
            Rule::Finite => "a finite number",
        }
    }
}

/// A count written as a JSON number (`3`, `3.0`, `1e6`): a whole number `>= min`.
fn whole_number(rep: &mut Report, entity: &str, field: &str, x: f64, min: u64) -> u64 {
    if !x.is_finite() || x.fract() != 0.0 || x < min as f64 || x > 9.0e15 {
        rep.error(entity, field, format!("must be a whole number >= {min}, got {x}"));
        return min;
    }
    x as u64
}

/// An entity as findings name it: `item "item-7"`, or `item #7` without an id. Written out only
/// when a finding is made: the 10^7-edge day's head has 883k items, each of which formatted its
/// name whether or not anything was wrong with it (5% of validating the head).
struct Quoted<'a> {
    kind: &'a str,
    id: &'a Option<String>,
    pos: usize,
}

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) if !id.is_empty() => write!(f, "{} \"{}\"", self.kind, crate::limits::excerpt(id)),
            _ => write!(f, "{} #{}", self.kind, self.pos),
        }
    }
}

fn quoted<'a>(kind: &'a str, id: &'a Option<String>, pos: usize) -> Quoted<'a> {
    Quoted { kind, id, pos }
}

/// Builds an id -> index map, reporting duplicates; references resolve to the first entity with
/// the id.
fn index_ids<'a>(rep: &mut Report, kind: &str, ids: impl Iterator<Item = &'a Option<String>>) -> FxHashMap<&'a str, usize> {
    let mut map: FxHashMap<&'a str, usize> = FxHashMap::default();
    for (pos, id) in ids.enumerate() {
        if let Some(id) = id {
            match map.entry(id.as_str()) {
                Entry::Occupied(first) => {
                    rep.error(&format!("{kind} \"{id}\""), "id", format!("duplicate id (at positions {} and {pos} of \"{kind}s\")", first.get()))
                }
                Entry::Vacant(slot) => {
                    slot.insert(pos);
                }
            }
        }
    }
    map
}

impl InstanceFile {
    /// Checks the file against the spec and resolves every reference. On failure, returns every
    /// error found (not only the first).
    pub fn validate(&self) -> Result<Validated, Vec<Finding>> {
        let mut rep = Report::default();
        match self.schema.as_deref() {
            Some(INSTANCE_SCHEMA) => {}
            Some(other) => rep.error("instance", "schema", format!("must be \"{INSTANCE_SCHEMA}\", got \"{other}\"")),
            None => rep.error("instance", "schema", format!("is missing (must be \"{INSTANCE_SCHEMA}\")")),
        }
        let name = rep.id("instance", "name", &self.name);
        // A missing list is one error, and references into it are not errors of their own.
        let required = |rep: &mut Report, field: &str, v: Option<usize>, what: &str| match v {
            None => rep.error("instance", field, format!("is missing (a list of the day's {what})")),
            Some(0) => rep.error("instance", field, format!("must not be empty (a day has at least one of its {what})")),
            Some(_) => {}
        };
        required(&mut rep, "segments", self.segments.as_ref().map(Vec::len), "segments");
        required(&mut rep, "items", self.items.as_ref().map(Vec::len), "items");
        if self.edges.is_none() && self.edges_file.is_none() {
            rep.error("instance", "edges", "is missing (write [] for a day without edges, or name an edges_file)");
        }
        let (segments_given, items_given) = (self.segments.is_some(), self.items.is_some());
        let in_segments: &[SegmentFile] = self.segments.as_deref().unwrap_or_default();
        let in_items: &[ItemFile] = self.items.as_deref().unwrap_or_default();
        let in_edges: &[EdgeFile] = self.edges.as_deref().unwrap_or_default();
        for key in self.extra.keys() {
            rep.warn("instance", key, "unknown field, ignored");
        }
        let objective = self.validate_objective(&mut rep);
        unknown_fields(&mut rep, "segment", in_segments.iter().map(|s| (&s.id, &s.extra)));
        unknown_fields(&mut rep, "creator", self.creators.iter().map(|c| (&c.id, &c.extra)));
        unknown_fields(&mut rep, "campaign", self.campaigns.iter().map(|a| (&a.id, &a.extra)));
        unknown_fields(&mut rep, "item", in_items.iter().map(|i| (&i.id, &i.extra)));
        unknown_fields(&mut rep, "edge", in_edges.iter().map(|e| (&None, &e.extra)));

        let seg_ids = index_ids(&mut rep, "segment", in_segments.iter().map(|s| &s.id));
        let creator_ids = index_ids(&mut rep, "creator", self.creators.iter().map(|c| &c.id));
        let campaign_ids = index_ids(&mut rep, "campaign", self.campaigns.iter().map(|a| &a.id));
        let item_ids = index_ids(&mut rep, "item", in_items.iter().map(|i| &i.id));

        let segments = in_segments
            .iter()
            .enumerate()
            .map(|(pos, s)| {
                let ent = quoted("segment", &s.id, pos);
                Segment { id: rep.id(&ent, "id", &s.id), supply: rep.number(&ent, "supply", s.supply, Rule::Positive), tags: s.tags.clone() }
            })
            .collect();
        let creators = self
            .creators
            .iter()
            .enumerate()
            .map(|(pos, c)| {
                let ent = quoted("creator", &c.id, pos);
                let group = match &c.group {
                    Some(g) if g.is_empty() => {
                        rep.error(&ent, "group", "must not be empty");
                        String::new()
                    }
                    Some(g) => {
                        if let Some(problem) = crate::limits::id_problem(g) {
                            rep.error(&ent, "group", problem);
                        }
                        g.clone()
                    }
                    None => "default".to_string(),
                };
                Creator { id: rep.id(&ent, "id", &c.id), group }
            })
            .collect();
        let campaigns = self
            .campaigns
            .iter()
            .enumerate()
            .map(|(pos, a)| {
                let ent = quoted("campaign", &a.id, pos);
                Campaign { id: rep.id(&ent, "id", &a.id), budget: rep.number(&ent, "budget", a.budget, Rule::NonNegative) }
            })
            .collect();
        let items: Vec<Item> = in_items
            .iter()
            .enumerate()
            .map(|(pos, i)| {
                let ent = quoted("item", &i.id, pos);
                let owner = match (&i.creator, &i.campaign) {
                    (Some(c), None) => match creator_ids.get(c.as_str()) {
                        Some(&k) => Owner::Creator(k),
                        None => {
                            rep.error(&ent, "creator", format!("unknown creator \"{c}\""));
                            Owner::Creator(usize::MAX)
                        }
                    },
                    (None, Some(a)) => match campaign_ids.get(a.as_str()) {
                        Some(&k) => Owner::Campaign(k),
                        None => {
                            rep.error(&ent, "campaign", format!("unknown campaign \"{a}\""));
                            Owner::Campaign(usize::MAX)
                        }
                    },
                    (Some(_), Some(_)) => {
                        rep.error(&ent, "creator", "an item has exactly one of \"creator\" or \"campaign\", this one has both");
                        Owner::Creator(usize::MAX)
                    }
                    (None, None) => {
                        rep.error(&ent, "creator", "an item has exactly one of \"creator\" or \"campaign\", this one has neither");
                        Owner::Creator(usize::MAX)
                    }
                };
                let fresh = i.fresh.unwrap_or_else(|| {
                    rep.error(&ent, "fresh", "is missing (must be true or false)");
                    false
                });
                Item {
                    id: rep.id(&ent, "id", &i.id),
                    owner,
                    topic: rep.id(&ent, "topic", &i.topic),
                    quality: rep.number(&ent, "quality", i.quality, Rule::Unit),
                    risk: rep.number(&ent, "risk", i.risk, Rule::Unit),
                    fresh,
                    cap: i.cap.map(|c| rep.check(&ent, "cap", c, Rule::Positive)),
                }
            })
            .collect();

        let mut seen_edges: HashMap<(usize, usize), usize> = HashMap::new();
        let mut edges = Vec::with_capacity(in_edges.len());
        // Evidence is kept for every edge, or for none when no edge of the file carries any.
        let any_evidence = in_edges.iter().any(|e| e.n.is_some() || e.engagement_lcb.is_some() || e.engagement_ucb.is_some());
        let mut evidence = Vec::new();
        for (pos, e) in in_edges.iter().enumerate() {
            let ent = format!(
                "edge #{pos} ({} -> {})",
                crate::limits::excerpt(e.segment.as_deref().unwrap_or("?")),
                crate::limits::excerpt(e.item.as_deref().unwrap_or("?"))
            );
            let segment = match &e.segment {
                None => {
                    rep.error(&ent, "segment", "is missing");
                    None
                }
                Some(s) => seg_ids.get(s.as_str()).copied().or_else(|| {
                    if segments_given {
                        rep.error(&ent, "segment", format!("unknown segment \"{}\"", crate::limits::excerpt(s)));
                    }
                    None
                }),
            };
            let item = match &e.item {
                None => {
                    rep.error(&ent, "item", "is missing");
                    None
                }
                Some(i) => item_ids.get(i.as_str()).copied().or_else(|| {
                    if items_given {
                        rep.error(&ent, "item", format!("unknown item \"{}\"", crate::limits::excerpt(i)));
                    }
                    None
                }),
            };
            let engagement = rep.number(&ent, "engagement", e.engagement, Rule::NonNegative);
            let price = rep.check(&ent, "price", e.price.unwrap_or(0.0), Rule::NonNegative);
            let cap = e.cap.map(|c| rep.check(&ent, "cap", c, Rule::Positive));
            let ev = any_evidence.then(|| edge_evidence(&mut rep, &ent, e, engagement));
            if let (Some(s), Some(i)) = (segment, item) {
                if let Some(first) = seen_edges.insert((s, i), pos) {
                    rep.error(&ent, "", format!("duplicate edge: edge #{first} already links this segment and item"));
                }
                // An item with both owners or none has no kind: its own error says so.
                let owner_given = in_items[i].creator.is_some() != in_items[i].campaign.is_some();
                if price > 0.0 && owner_given && items[i].kind() == ItemKind::Organic {
                    rep.error(&ent, "price", format!("must be 0 on an organic item's edge, got {price}"));
                }
                edges.push(Edge { segment: s, item: i, engagement, price, cap });
                evidence.extend(ev);
            }
        }

        let mut instance = Instance { name, objective, segments, creators, campaigns, items, edges, constraints: Vec::new(), evidence };
        let mut names = HashSet::new();
        for (pos, c) in self.constraints.iter().enumerate() {
            let ent = quoted("constraint", &c.name, pos);
            if let Some(n) = &c.name {
                if !names.insert(n.clone()) {
                    rep.error(&ent, "name", "duplicate constraint name");
                }
            }
            if let Some(con) = validate_constraint(&mut rep, &ent.to_string(), c, &instance) {
                instance.constraints.push(con);
            }
        }
        if rep.errors.is_empty() {
            Ok(Validated { instance, warnings: rep.warnings, sources: Vec::new(), shard: None })
        } else {
            Err(rep.errors)
        }
    }

    fn validate_objective(&self, rep: &mut Report) -> Objective {
        let mut o = Objective::default();
        if let Some(f) = &self.objective {
            let ent = "objective";
            for (field, v, slot) in [
                ("engagement", f.engagement, &mut o.engagement),
                ("quality", f.quality, &mut o.quality),
                ("revenue", f.revenue, &mut o.revenue),
                ("integrity_risk", f.integrity_risk, &mut o.integrity_risk),
            ] {
                if let Some(x) = v {
                    *slot = rep.check(ent, field, x, Rule::Finite);
                }
            }
            if let Some(x) = f.regularization {
                o.regularization = rep.check(ent, "regularization", x, Rule::NonNegative);
            }
            if let Some(name) = &f.engagement_estimate {
                match EngagementEstimate::parse(name) {
                    Some(e) => o.engagement_estimate = e,
                    None => rep.error(
                        ent,
                        "engagement_estimate",
                        format!("must be \"point\", \"pessimistic\" or \"optimistic\", got \"{}\"", crate::limits::excerpt(name)),
                    ),
                }
            }
            for key in f.extra.keys() {
                rep.error(ent, key, "unknown objective field (known: engagement, quality, revenue, integrity_risk, regularization, engagement_estimate)");
            }
        }
        o
    }
}

/// An edge's `n`, `engagement_lcb` and `engagement_ucb`, defaults filled in (no logged rounds,
/// the point estimate as both ends), with `lcb <= engagement <= ucb`.
fn edge_evidence(rep: &mut Report, ent: &str, e: &EdgeFile, engagement: f64) -> Evidence {
    let n = e.n.map(|x| whole_number(rep, ent, "n", x, 0)).unwrap_or(0);
    let lcb = e.engagement_lcb.map(|x| rep.check(ent, "engagement_lcb", x, Rule::NonNegative)).unwrap_or(engagement);
    let ucb = e.engagement_ucb.map(|x| rep.check(ent, "engagement_ucb", x, Rule::NonNegative)).unwrap_or(engagement);
    if lcb > engagement {
        rep.error(ent, "engagement_lcb", format!("must be <= engagement ({engagement}), got {lcb}"));
    }
    if ucb < engagement {
        rep.error(ent, "engagement_ucb", format!("must be >= engagement ({engagement}), got {ucb}"));
    }
    Evidence { n, lcb, ucb }
}

/// One warning per unknown field of a kind of entity, naming the first entity that has it and
/// how many do: a misspelt optional field (`"capp"` for `"cap"`) must not pass unnoticed, and a
/// million edges carrying an extra column must not print a million lines.
fn unknown_fields<'a>(rep: &mut Report, kind: &str, entities: impl Iterator<Item = (&'a Option<String>, &'a BTreeMap<String, serde_json::Value>)>) {
    let mut seen: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    for (pos, (id, extra)) in entities.enumerate() {
        for key in extra.keys() {
            let entry = seen.entry(key.as_str()).or_insert_with(|| (quoted(kind, id, pos).to_string(), 0));
            entry.1 += 1;
        }
    }
    for (key, (first, count)) in seen {
        let others = if count > 1 { format!(" (and {} more {kind}s)", count - 1) } else { String::new() };
        rep.warn(&first, key, format!("unknown field, ignored{others}"));
    }
}
