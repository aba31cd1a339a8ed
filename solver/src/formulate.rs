//! Spec section 3: an [`Instance`] becomes a [`Model`] with one named row per spec row.

use std::collections::BTreeMap;
use std::sync::Arc;

use agora_instances::{ConstraintKind, Instance, ItemKind};

use crate::ir::{Matrix, Model, ParamVec, RowKind, RowMeta, Sense, SparseVec};

/// Builds the model of spec section 3 from a validated instance.
///
/// Row order: `supply[s]` for every segment, `budget[a]` for every campaign, `item_cap[i]` for
/// every capped item, then the rows of each constraint in instance order. Columns: one per edge,
/// in instance order, then one slack per soft row.
pub fn formulate(inst: &Instance) -> Model {
    // The rows are generated twice: once to count each column's entries and keep the rows' meta,
    // once to place the entries. Keeping every row's entries between the two (as a row-major
    // copy) would double the formulation's peak: 2.6 GB more on the 10^7-edge day.
    let mut seg_edges = vec![Vec::new(); inst.segments.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        seg_edges[edge.segment].push(e);
    }
    let seg_edges: Vec<Arc<[usize]>> = seg_edges.into_iter().map(Arc::from).collect();
    let n_edges = inst.edges.len();
    let mut count = Builder::new(inst, seg_edges.clone(), Pass::Count { counts: vec![0; n_edges + 1], metas: Vec::new() });
    count.all_rows();
    let Pass::Count { counts, metas } = count.pass else { unreachable!("the first pass counts") };
    let mut indptr = counts;
    for c in 0..indptr.len() - 1 {
        indptr[c + 1] += indptr[c];
    }
    let nnz = indptr[indptr.len() - 1];
    let mut fill = Builder::new(inst, seg_edges, Pass::Fill { next: indptr.clone(), indices: vec![0; nnz], data: vec![0.0; nnz], row: 0 });
    fill.all_rows();
    let Pass::Fill { indices, data, .. } = fill.pass else { unreachable!("the second pass fills") };
    finish(inst, metas, indptr, indices, data)
}

/// `c_e`: the objective's linear value of one impression of edge `e` (spec section 3).
pub fn edge_value(inst: &Instance, e: usize) -> f64 {
    let w = inst.objective;
    let edge = &inst.edges[e];
    let item = &inst.items[edge.item];
    w.engagement * inst.planned_engagement(e) + w.quality * item.quality + w.revenue * edge.price - w.integrity_risk * item.risk
}

/// Where the builder's rows go.
enum Pass {
    /// Counting: each column's number of entries at `counts[column + 1]` (slack columns are
    /// appended as soft rows appear), and every row's meta.
    Count { counts: Vec<usize>, metas: Vec<RowMeta> },
    /// Filling: each row's entries placed in their columns at `next[column]`, rows in order, so
    /// every column's row indices come out sorted.
    Fill { next: Vec<usize>, indices: Vec<u32>, data: Vec<f64>, row: u32 },
}

struct Builder<'a> {
    inst: &'a Instance,
    /// Edges of each segment (shared by the `da` of the segment's share rows).
    seg_edges: Vec<Arc<[usize]>>,
    pass: Pass,
    n_slacks: usize,
}

impl<'a> Builder<'a> {
    fn new(inst: &'a Instance, seg_edges: Vec<Arc<[usize]>>, pass: Pass) -> Self {
        Builder { inst, seg_edges, pass, n_slacks: 0 }
    }

    /// Every row of the model, in the documented order.
    fn all_rows(&mut self) {
        self.always_present_rows();
        for (k, c) in self.inst.constraints.iter().enumerate() {
            self.constraint_rows(k, &c.name, c.penalty, &c.kind);
        }
    }

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
        coefs: SparseVec,
        da: ParamVec,
        db: f64,
        penalty: Option<f64>,
    ) {
        let slack = penalty.map(|_| {
            self.n_slacks += 1;
            self.inst.edges.len() + self.n_slacks - 1
        });
        // The slack relaxes the row by its value: a.x - v <= b, or a.x + v >= b.
        let slack_entry = slack.map(|c| (c, if sense == Sense::Le { -1.0 } else { 1.0 }));
        let entries = coefs.iter().copied().chain(slack_entry);
        match &mut self.pass {
            Pass::Count { counts, metas } => {
                for (c, _) in entries {
                    if c + 1 >= counts.len() {
                        counts.resize(c + 2, 0);
                    }
                    counts[c + 1] += 1;
                }
                metas.push(RowMeta { name, kind, constraint, segment, sense, rhs, parameter, da, db, dquad: ParamVec::default(), slack, penalty });
            }
            Pass::Fill { next, indices, data, row } => {
                for (c, v) in entries {
                    indices[next[c]] = *row;
                    data[next[c]] = v;
                    next[c] += 1;
                }
                *row += 1;
            }
        }
    }

    fn always_present_rows(&mut self) {
        let inst = self.inst;
        let rho = inst.objective.regularization;
        for (s, seg) in inst.segments.iter().enumerate() {
            let coefs: SparseVec = self.seg_edges[s].iter().map(|&e| (e, 1.0)).collect();
            let name = format!("supply[{}]", seg.id);
            self.push(name, RowKind::Supply, None, Some(s), Sense::Le, seg.supply, ("supply", seg.supply), coefs, ParamVec::default(), 1.0, None);
            if rho > 0.0 {
                // quad_e = rho / supply_s, so d quad_e / d supply_s = -rho / supply_s^2.
                let d = -rho / (seg.supply * seg.supply);
                if let Pass::Count { metas, .. } = &mut self.pass {
                    metas.last_mut().expect("just pushed").dquad = ParamVec::Uniform { cols: self.seg_edges[s].clone(), value: d };
                }
            }
        }
        let mut camp_edges: Vec<SparseVec> = vec![Vec::new(); inst.campaigns.len()];
        let mut item_edges: Vec<SparseVec> = vec![Vec::new(); inst.items.len()];
        for (e, edge) in inst.edges.iter().enumerate() {
            if let Some(a) = inst.items[edge.item].campaign() {
                if edge.price != 0.0 {
                    camp_edges[a].push((e, edge.price));
                }
            }
            item_edges[edge.item].push((e, 1.0));
        }
        for (camp, coefs) in inst.campaigns.iter().zip(camp_edges) {
            let name = format!("budget[{}]", camp.id);
            self.push(name, RowKind::Budget, None, None, Sense::Le, camp.budget, ("budget", camp.budget), coefs, ParamVec::default(), 1.0, None);
        }
        for (item, coefs) in inst.items.iter().zip(item_edges) {
            if let Some(cap) = item.cap {
                let name = format!("item_cap[{}]", item.id);
                self.push(name, RowKind::ItemCap, None, None, Sense::Le, cap, ("cap", cap), coefs, ParamVec::default(), 1.0, None);
            }
        }
    }

    /// A share row of segment `s`: `sum_e (pick_e - share) x_e  <sense>  0`, whose coefficients
    /// move by -1 per unit of share on every edge of the segment.
    #[allow(clippy::too_many_arguments)]
    fn share_row(
        &mut self,
        k: usize,
        name: String,
        kind: RowKind,
        s: usize,
        sense: Sense,
        field: &'static str,
        share: f64,
        penalty: Option<f64>,
        pick: impl Fn(usize) -> f64,
    ) {
        let edges = &self.seg_edges[s];
        // Coefficients below 1e-12 are dropped (HiGHS is told to keep everything above), so that
        // agora's check judges exactly the model the backend solved.
        let coefs: SparseVec = edges.iter().map(|&e| (e, pick(e) - share)).filter(|&(_, v)| v.abs() > 1e-12).collect();
        let da = ParamVec::Uniform { cols: edges.clone(), value: -1.0 };
        self.push(name, kind, Some(k), Some(s), sense, 0.0, (field, share), coefs, da, 0.0, penalty);
    }

    fn constraint_rows(&mut self, k: usize, cname: &str, penalty: Option<f64>, kind: &ConstraintKind) {
        let inst = self.inst;
        let ty = RowKind::of_constraint(kind);
        match kind {
            ConstraintKind::AdLoad { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    let name = format!("{cname}[{}]", inst.segments[s].id);
                    let pick = |e: usize| if inst.is_ad_edge(e) { 1.0 } else { 0.0 };
                    self.share_row(k, name, ty, s, Sense::Le, "max_share", *max_share, penalty, pick);
                }
            }
            ConstraintKind::IntegrityCap { segments, max_share } => {
                for s in inst.select_segments(segments) {
                    let name = format!("{cname}[{}]", inst.segments[s].id);
                    let pick = |e: usize| inst.items[inst.edges[e].item].risk;
                    self.share_row(k, name, ty, s, Sense::Le, "max_share", *max_share, penalty, pick);
                }
            }
            ConstraintKind::TopicCap { segments, max_share } => {
                // Topics as numbers: comparing topic strings per edge and topic was 15% of
                // formulating the 10^7-edge day.
                let mut names: Vec<&str> = Vec::new();
                let topic_of: Vec<usize> = inst
                    .items
                    .iter()
                    .map(|i| match names.iter().position(|&t| t == i.topic) {
                        Some(t) => t,
                        None => {
                            names.push(&i.topic);
                            names.len() - 1
                        }
                    })
                    .collect();
                for s in inst.select_segments(segments) {
                    // Topics with an edge in this segment, in first-seen order for stable names.
                    let mut topics: Vec<usize> = Vec::new();
                    for &e in self.seg_edges[s].iter() {
                        let t = topic_of[inst.edges[e].item];
                        if !topics.contains(&t) {
                            topics.push(t);
                        }
                    }
                    for t in topics {
                        let name = format!("{cname}[{},{}]", inst.segments[s].id, names[t]);
                        let pick = |e: usize| if topic_of[inst.edges[e].item] == t { 1.0 } else { 0.0 };
                        self.share_row(k, name, ty, s, Sense::Le, "max_share", *max_share, penalty, pick);
                    }
                }
            }
            ConstraintKind::FreshnessFloor { segments, min_share } => {
                for s in inst.select_segments(segments) {
                    let name = format!("{cname}[{}]", inst.segments[s].id);
                    let pick = |e: usize| if inst.items[inst.edges[e].item].fresh { 1.0 } else { 0.0 };
                    self.share_row(k, name, ty, s, Sense::Ge, "min_share", *min_share, penalty, pick);
                }
            }
            ConstraintKind::ExplorationFloor { segments, min_share, max_n } => {
                // x_e >= min_share * T_s, one row per unproven edge: a share row whose pick is
                // the edge itself. Dense in the segment (every edge carries -min_share), so a
                // segment with k unproven edges of m adds k * m entries.
                for (s, e) in inst.explored_edges(segments, *max_n) {
                    let name = format!("{cname}[{},{}]", inst.segments[s].id, inst.items[inst.edges[e].item].id);
                    self.share_row(k, name, ty, s, Sense::Ge, "min_share", *min_share, penalty, |f| if f == e { 1.0 } else { 0.0 });
                }
            }
            ConstraintKind::RevenueFloor { min } => {
                let coefs: SparseVec =
                    (0..inst.edges.len()).filter(|&e| inst.is_ad_edge(e) && inst.edges[e].price != 0.0).map(|e| (e, inst.edges[e].price)).collect();
                self.push(cname.to_string(), ty, Some(k), None, Sense::Ge, *min, ("min", *min), coefs, ParamVec::default(), 1.0, penalty);
            }
            ConstraintKind::ExposureFloor { items, segments, min } | ConstraintKind::ExposureCap { items, segments, max: min } => {
                let (sense, field) = if matches!(kind, ConstraintKind::ExposureFloor { .. }) { (Sense::Ge, "min") } else { (Sense::Le, "max") };
                let item_mask = inst.select_items(items);
                let mut seg_mask = vec![false; inst.segments.len()];
                for s in inst.select_segments(segments) {
                    seg_mask[s] = true;
                }
                let coefs: SparseVec = inst.edges.iter().enumerate().filter(|(_, e)| item_mask[e.item] && seg_mask[e.segment]).map(|(e, _)| (e, 1.0)).collect();
                self.push(cname.to_string(), ty, Some(k), None, sense, *min, (field, *min), coefs, ParamVec::default(), 1.0, penalty);
            }
            ConstraintKind::ExposureParity { groups, tolerance } => {
                // E_g: organic exposure of group g; M_g: the summed quality of g's organic items.
                let group_of = |e: usize| -> Option<usize> {
                    let c = inst.items[inst.edges[e].item].creator()?;
                    groups.iter().position(|g| *g == inst.creators[c].group)
                };
                let merit: Vec<f64> = groups
                    .iter()
                    .map(|g| {
                        inst.items
                            .iter()
                            .filter(|i| i.kind() == ItemKind::Organic && i.creator().is_some_and(|c| inst.creators[c].group == *g))
                            .map(|i| i.quality)
                            .sum()
                    })
                    .collect();
                let mut group_edges: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                for e in 0..inst.edges.len() {
                    if let Some(g) = group_of(e) {
                        group_edges.entry(g).or_default().push(e);
                    }
                }
                let none = Vec::new();
                for g in 0..groups.len() {
                    for h in 0..groups.len() {
                        if g == h {
                            continue;
                        }
                        // M_h E_g - (1 - tol) M_g E_h >= 0; d/d tol moves h's coefficients by +M_g.
                        let eg = group_edges.get(&g).unwrap_or(&none);
                        let eh = group_edges.get(&h).unwrap_or(&none);
                        let mut coefs: SparseVec = Vec::with_capacity(eg.len() + eh.len());
                        coefs.extend(eg.iter().map(|&e| (e, merit[h])));
                        coefs.extend(eh.iter().map(|&e| (e, -(1.0 - tolerance) * merit[g])));
                        coefs.retain(|&(_, v)| v != 0.0);
                        let da: SparseVec = eh.iter().map(|&e| (e, merit[g])).collect();
                        let name = format!("{cname}[{},{}]", groups[g], groups[h]);
                        self.push(name, ty, Some(k), None, Sense::Ge, 0.0, ("tolerance", *tolerance), coefs, da.into(), 0.0, penalty);
                    }
                }
            }
        }
    }
}

/// The model from the rows' meta and the filled columns.
fn finish(inst: &Instance, metas: Vec<RowMeta>, indptr: Vec<usize>, indices: Vec<u32>, data: Vec<f64>) -> Model {
    let n_edges = inst.edges.len();
    let n_cols = indptr.len() - 1;
    let w = inst.objective;
    let mut cost = Vec::with_capacity(n_cols);
    let mut quad = Vec::with_capacity(n_cols);
    let mut upper = Vec::with_capacity(n_cols);
    for (e, edge) in inst.edges.iter().enumerate() {
        cost.push(edge_value(inst, e));
        quad.push(w.regularization / inst.segments[edge.segment].supply);
        upper.push(edge.cap.unwrap_or(f64::INFINITY));
    }
    // Slack columns, in the order their soft rows came.
    for p in metas.iter().filter_map(|m| m.penalty) {
        cost.push(-p);
        quad.push(0.0);
        upper.push(f64::INFINITY);
    }
    debug_assert_eq!(cost.len(), n_cols);
    let matrix = Matrix::new_csc((metas.len(), n_cols), indptr, indices, data);
    Model { n_edges, cost, quad, lower: vec![0.0; n_cols], upper, matrix, rows: metas }
}
