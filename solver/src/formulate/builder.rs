//! The making of a [`super::Formulation`]: each constraint's rows (names, senses, parameters and
//! how they move) and the block that places an edge in them.

use std::sync::Arc;

use agora_instances::{ConstraintKind, Instance, ItemKind, ItemSelector};

use super::{Bits, Block, PickKind, ShareRow};
use crate::ir::{ParamVec, RowKind, RowMeta, Sense};

/// Runs of at least [`EXPOSURE_RUN`] consecutive exposure blocks made one [`Block::Exposures`]:
/// an edge's pass over them then costs the rules of its item, not one test per rule. (A lone
/// rule keeps its bits: on the 10^7-edge day they stay in cache, an index by item would not.)
pub(super) fn index_exposure_runs(n_items: usize, blocks: Vec<Block>) -> Vec<Block> {
    const EXPOSURE_RUN: usize = 8;
    let mut out = Vec::with_capacity(blocks.len());
    let mut run: Vec<(u32, Bits, Vec<bool>)> = Vec::new();
    let flush = |run: &mut Vec<(u32, Bits, Vec<bool>)>, out: &mut Vec<Block>| {
        if run.len() < EXPOSURE_RUN {
            out.extend(run.drain(..).map(|(row, items, segments)| Block::Exposure { row, items, segments }));
            return;
        }
        let mut start = vec![0u32; n_items + 1];
        for (_, items, _) in run.iter() {
            items.ones().for_each(|i| start[i + 1] += 1);
        }
        for i in 0..n_items {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut rules = vec![(0u32, 0u32); start[n_items] as usize];
        for (k, (row, items, _)) in run.iter().enumerate() {
            for i in items.ones() {
                rules[next[i] as usize] = (*row, k as u32);
                next[i] += 1;
            }
        }
        let segments = run.drain(..).map(|(_, _, segments)| segments).collect();
        out.push(Block::Exposures { start, rules, segments });
    };
    for block in blocks {
        match block {
            Block::Exposure { row, items, segments } => run.push((row, items, segments)),
            other => {
                flush(&mut run, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Each segment's edges, in edge order (counted first: one allocation per segment).
fn edges_by_segment(inst: &Instance) -> Vec<Arc<[u32]>> {
    edges_by_class(inst.segments.len(), inst.edges.iter().map(|e| Some(e.segment)))
}

/// The edges of each of `n` classes, in edge order, from each edge's class (`None`: none). The
/// classes are counted first, so each list is allocated once at its size (a list grown by
/// doubling, then copied into its `Arc`, held up to three times its size).
fn edges_by_class(n: usize, class: impl Iterator<Item = Option<usize>> + Clone) -> Vec<Arc<[u32]>> {
    let mut count = vec![0usize; n];
    class.clone().flatten().for_each(|c| count[c] += 1);
    let mut out: Vec<Vec<u32>> = count.iter().map(|&k| Vec::with_capacity(k)).collect();
    for (e, c) in class.enumerate() {
        if let Some(c) = c {
            out[c].push(e as u32);
        }
    }
    out.into_iter().map(Arc::from).collect()
}

/// `name[a,b,...]`, a row's name (written out: `format!` cost a tenth of a formulation).
fn indexed_name(name: &str, index: &[&str]) -> String {
    let mut out = String::with_capacity(name.len() + 2 + index.iter().map(|s| s.len() + 1).sum::<usize>());
    out.push_str(name);
    out.push('[');
    for (k, part) in index.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(part);
    }
    out.push(']');
    out
}

/// Collects the rows' meta (names, senses, parameters and how they move) and the blocks.
pub(super) struct Builder<'a> {
    inst: &'a Instance,
    /// Edges of each segment (shared by the `da` of the segment's share rows).
    seg_edges: Vec<Arc<[u32]>>,
    pub(super) rows: Vec<RowMeta>,
    pub(super) slacks: Vec<(u32, f64)>,
    /// Each item's topic number, filled by the first topic cap.
    pub(super) topic_of: Vec<u32>,
    /// Sums the share blocks so far take in [`crate::ir::Duals`].
    pub(super) n_sums: usize,
    /// Item numbers by id, made for the first rule that lists items by id.
    item_ids: Option<rustc_hash::FxHashMap<&'a str, usize>>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(inst: &'a Instance) -> Builder<'a> {
        Builder { inst, seg_edges: edges_by_segment(inst), rows: Vec::new(), slacks: Vec::new(), topic_of: Vec::new(), n_sums: 0, item_ids: None }
    }

    /// [`Instance::select_items`], a list of ids looked up by id (an experiment's joint day
    /// caps each capped edge with a rule on its one or two items: comparing every item's id
    /// with each was a tenth of an experiment on a 10^5-edge day). Ids are unique in a day.
    fn select_items(&mut self, sel: &ItemSelector) -> Vec<bool> {
        let inst = self.inst;
        let ItemSelector::Ids(ids) = sel else { return inst.select_items(sel) };
        let index = self.item_ids.get_or_insert_with(|| inst.items.iter().enumerate().map(|(i, item)| (item.id.as_str(), i)).collect());
        let mut picked = vec![false; inst.items.len()];
        ids.iter().filter_map(|id| index.get(id.as_str())).for_each(|&i| picked[i] = true);
        picked
    }

    /// Appends a row; a soft row gets the next slack column, which relaxes it by its value:
    /// `a.x - v <= b`, or `a.x + v >= b`.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: String,
        kind: RowKind,
        constraint: Option<usize>,
        segment: Option<usize>,
        sense: Sense,
        rhs: f64,
        parameter: (&'static str, f64),
        da: ParamVec,
        db: f64,
        penalty: Option<f64>,
    ) {
        let row = self.rows.len();
        let slack = penalty.map(|_| {
            self.slacks.push((row as u32, if sense == Sense::Le { -1.0 } else { 1.0 }));
            self.inst.edges.len() + self.slacks.len() - 1
        });
        self.rows.push(RowMeta { name, kind, constraint, segment, sense, rhs, parameter, da, db, dquad: ParamVec::default(), slack, penalty });
    }

    /// `supply[s]`, `budget[a]`, `item_cap[i]`: returns the first budget row and each item's
    /// cap row.
    pub(super) fn always_present_rows(&mut self) -> (usize, Vec<u32>) {
        let inst = self.inst;
        let rho = inst.objective.regularization;
        for (s, seg) in inst.segments.iter().enumerate() {
            self.push(
                indexed_name("supply", &[&seg.id]),
                RowKind::Supply,
                None,
                Some(s),
                Sense::Le,
                seg.supply,
                ("supply", seg.supply),
                ParamVec::default(),
                1.0,
                None,
            );
            if rho > 0.0 {
                // quad_e = rho / supply_s, so d quad_e / d supply_s = -rho / supply_s^2.
                let d = -rho / (seg.supply * seg.supply);
                self.rows.last_mut().expect("just pushed").dquad = ParamVec::Uniform { cols: self.seg_edges[s].clone(), value: d };
            }
        }
        let budget_row = self.rows.len();
        for camp in &inst.campaigns {
            self.push(
                indexed_name("budget", &[&camp.id]),
                RowKind::Budget,
                None,
                None,
                Sense::Le,
                camp.budget,
                ("budget", camp.budget),
                ParamVec::default(),
                1.0,
                None,
            );
        }
        let mut cap_row = vec![u32::MAX; inst.items.len()];
        for (i, item) in inst.items.iter().enumerate() {
            if let Some(cap) = item.cap {
                cap_row[i] = self.rows.len() as u32;
                self.push(indexed_name("item_cap", &[&item.id]), RowKind::ItemCap, None, None, Sense::Le, cap, ("cap", cap), ParamVec::default(), 1.0, None);
            }
        }
        (budget_row, cap_row)
    }

    /// A block of share rows, one per `(segment, pick, name)` in row order (segments ascending):
    /// `sum_e (pick_e - share) x_e <sense> 0`, whose coefficients move by -1 per unit of share on
    /// every edge of the segment.
    #[allow(clippy::too_many_arguments)]
    fn share_rows(
        &mut self,
        k: usize,
        kind: RowKind,
        sense: Sense,
        field: &'static str,
        share: f64,
        penalty: Option<f64>,
        pick: PickKind,
        rows: Vec<(usize, usize, String)>,
    ) -> Block {
        let mut segment = vec![(0u32, 0u32); self.inst.segments.len()];
        let mut out = Vec::with_capacity(rows.len());
        for (s, of, name) in rows {
            if segment[s].1 == 0 {
                segment[s] = (out.len() as u32, out.len() as u32);
            }
            segment[s].1 += 1;
            out.push(ShareRow { row: self.rows.len() as u32, of });
            let da = ParamVec::Uniform { cols: self.seg_edges[s].clone(), value: -1.0 };
            self.push(name, kind, Some(k), Some(s), sense, 0.0, (field, share), da, 0.0, penalty);
        }
        let mut by_of = Vec::new();
        if matches!(pick, PickKind::Topic | PickKind::Edge) {
            by_of = out.clone();
            for &(a, b) in &segment {
                by_of[a as usize..b as usize].sort_unstable_by_key(|r| r.of);
            }
        }
        let sums = self.n_sums;
        self.n_sums += segment.len();
        Block::Share { share, pick, segment, rows: out, by_of, sums }
    }

    pub(super) fn constraint(&mut self, k: usize, cname: &str, penalty: Option<f64>, kind: &ConstraintKind) -> Block {
        let inst = self.inst;
        let ty = RowKind::of_constraint(kind);
        let per_segment = |segments| -> Vec<(usize, usize, String)> {
            inst.select_segments(segments).into_iter().map(|s| (s, 0, indexed_name(cname, &[&inst.segments[s].id]))).collect()
        };
        match kind {
            ConstraintKind::AdLoad { segments, max_share } => {
                self.share_rows(k, ty, Sense::Le, "max_share", *max_share, penalty, PickKind::Ad, per_segment(segments))
            }
            ConstraintKind::IntegrityCap { segments, max_share } => {
                self.share_rows(k, ty, Sense::Le, "max_share", *max_share, penalty, PickKind::Risk, per_segment(segments))
            }
            ConstraintKind::FreshnessFloor { segments, min_share } => {
                self.share_rows(k, ty, Sense::Ge, "min_share", *min_share, penalty, PickKind::Fresh, per_segment(segments))
            }
            ConstraintKind::TopicCap { segments, max_share } => {
                // Topics as numbers: comparing topic strings per edge and topic was 15% of
                // formulating the 10^7-edge day. Numbered in item order, named as written.
                // (Fx: a day's formulation is made per trial of an audit, SipHash was a third of this.)
                let mut names: Vec<&str> = Vec::new();
                let mut number: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
                let topic_of: Vec<u32> = inst
                    .items
                    .iter()
                    .map(|i| {
                        *number.entry(&i.topic).or_insert_with(|| {
                            names.push(&i.topic);
                            names.len() as u32 - 1
                        })
                    })
                    .collect();
                let mut rows = Vec::new();
                let mut seen = vec![false; names.len()];
                for s in inst.select_segments(segments) {
                    // Topics with an edge in this segment, in first-seen order for stable names.
                    let mut topics: Vec<u32> = Vec::new();
                    for &e in self.seg_edges[s].iter() {
                        let t = topic_of[inst.edges[e as usize].item];
                        if !seen[t as usize] {
                            seen[t as usize] = true;
                            topics.push(t);
                        }
                    }
                    for &t in &topics {
                        seen[t as usize] = false;
                        rows.push((s, t as usize, indexed_name(cname, &[&inst.segments[s].id, names[t as usize]])));
                    }
                }
                self.topic_of = topic_of;
                self.share_rows(k, ty, Sense::Le, "max_share", *max_share, penalty, PickKind::Topic, rows)
            }
            ConstraintKind::ExplorationFloor { segments, min_share, max_n } => {
                // x_e >= min_share * T_s, one row per unproven edge: a share row whose pick is
                // the edge itself. Dense in the segment (every edge carries -min_share), so a
                // segment with k unproven edges of m adds k * m entries.
                let rows = inst
                    .explored_edges(segments, *max_n)
                    .into_iter()
                    .map(|(s, e)| (s, e, indexed_name(cname, &[&inst.segments[s].id, &inst.items[inst.edges[e].item].id])))
                    .collect();
                self.share_rows(k, ty, Sense::Ge, "min_share", *min_share, penalty, PickKind::Edge, rows)
            }
            ConstraintKind::RevenueFloor { min } => {
                let row = self.rows.len() as u32;
                self.push(cname.to_string(), ty, Some(k), None, Sense::Ge, *min, ("min", *min), ParamVec::default(), 1.0, penalty);
                Block::Revenue { row }
            }
            ConstraintKind::ExposureFloor { items, segments, min } | ConstraintKind::ExposureCap { items, segments, max: min } => {
                let (sense, field) = if matches!(kind, ConstraintKind::ExposureFloor { .. }) { (Sense::Ge, "min") } else { (Sense::Le, "max") };
                let mut seg_mask = vec![false; inst.segments.len()];
                for s in inst.select_segments(segments) {
                    seg_mask[s] = true;
                }
                let row = self.rows.len() as u32;
                self.push(cname.to_string(), ty, Some(k), None, sense, *min, (field, *min), ParamVec::default(), 1.0, penalty);
                Block::Exposure { row, items: Bits::of(&self.select_items(items)), segments: seg_mask }
            }
            ConstraintKind::ExposureParity { groups, tolerance } => {
                // E_g: organic exposure of group g; M_g: the summed quality of g's organic items.
                let group_of_creator: Vec<u32> =
                    inst.creators.iter().map(|c| groups.iter().position(|g| *g == c.group).map_or(u32::MAX, |g| g as u32)).collect();
                // Each item's group (u32::MAX: none), read once: the edges are classed from this
                // table twice (counted, then filled) instead of reading each edge's item twice.
                let group_of_item: Vec<u32> = inst.items.iter().map(|i| i.creator().map_or(u32::MAX, |c| group_of_creator[c])).collect();
                let mut merit = vec![0.0; groups.len()];
                for (item, &g) in inst.items.iter().zip(&group_of_item) {
                    if item.kind() == ItemKind::Organic && g != u32::MAX {
                        merit[g as usize] += item.quality;
                    }
                }
                let group_of_edge = inst.edges.iter().map(|edge| Some(group_of_item[edge.item]).filter(|&g| g != u32::MAX).map(|g| g as usize));
                let group_edges = edges_by_class(groups.len(), group_of_edge);
                let first = self.rows.len() as u32;
                for g in 0..groups.len() {
                    for h in (0..groups.len()).filter(|&h| h != g) {
                        // M_h E_g - (1 - tol) M_g E_h >= 0; d/d tol moves h's coefficients by +M_g.
                        let da = ParamVec::Uniform { cols: group_edges[h].clone(), value: merit[g] };
                        let name = format!("{cname}[{},{}]", groups[g], groups[h]);
                        self.push(name, ty, Some(k), None, Sense::Ge, 0.0, ("tolerance", *tolerance), da, 0.0, penalty);
                    }
                }
                Block::Parity { first, group_of_creator, merit, tolerance: *tolerance }
            }
        }
    }
}
