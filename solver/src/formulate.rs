//! Spec section 3: an [`Instance`] becomes its model, one named row per spec row and one column
//! per edge, then one slack column per soft row.
//!
//! [`Formulation`] is the model without a stored matrix: its rows, and per constraint the little
//! that generates any column's entries from the instance when asked (which rows of the edge's
//! segment it sits in, with what coefficient). Sifting prices and the certificate checks a day
//! straight from it, so the 10^7-edge day is never held as a matrix (about 2.3 GB there: 16
//! entries per edge, most of them a segment's share rows). [`formulate`] writes the same columns
//! into the [`Model`] IR for the backends that read a whole matrix, column by column, so the two
//! are one implementation of spec section 3.

use std::borrow::Cow;
use std::sync::Arc;

use agora_instances::{ConstraintKind, Instance, ItemKind, ItemSelector, Objective};

use crate::ir::{Columns, Duals, Matrix, Model, ParamVec, RowKind, RowMeta, Sense};

/// Builds the model of spec section 3 from a validated instance.
///
/// Row order: `supply[s]` for every segment, `budget[a]` for every campaign, `item_cap[i]` for
/// every capped item, then the rows of each constraint in instance order. Columns: one per edge,
/// in instance order, then one slack per soft row.
pub fn formulate(inst: &Instance) -> Model {
    Formulation::new(inst).to_model()
}

/// `c_e`: the objective's linear value of one impression of edge `e` (spec section 3).
pub fn edge_value(inst: &Instance, e: usize) -> f64 {
    let item = &inst.items[inst.edges[e].item];
    value_of(&inst.objective, inst.planned_engagement(e), item.quality, inst.edges[e].price, item.risk)
}

/// The objective's value of one impression with this planned engagement, item quality, price
/// and item risk: the one formula of `c_e`.
#[inline]
fn value_of(w: &Objective, engagement: f64, quality: f64, price: f64, risk: f64) -> f64 {
    w.engagement * engagement + w.quality * quality + w.revenue * price - w.integrity_risk * risk
}

/// What a column needs of its item, packed into 32 bytes (an [`agora_instances::Item`] is over
/// 100 with its strings) and aligned to them, so that one cache line holds all of it: pricing
/// reads it for every edge, in no useful order ([`Columns::touch`]).
#[derive(Clone, Copy)]
#[repr(align(32))]
struct ItemFacts {
    quality: f64,
    risk: f64,
    /// Its topic number (0 without a topic cap).
    topic: u32,
    /// Its `item_cap` row (`u32::MAX`: uncapped).
    cap_row: u32,
    /// Its campaign (an ad) or creator (organic).
    owner: u32,
    ad: bool,
    fresh: bool,
}

/// A day's model with its columns generated on demand ([`Columns`]): the rows, and per
/// constraint what places an edge in them. Holds no per-edge data but each segment's edge list
/// (shared by the share rows' parameter vectors, as in the IR).
pub struct Formulation<'a> {
    inst: &'a Instance,
    rows: Vec<RowMeta>,
    /// Per item, what its columns read of it.
    items: Vec<ItemFacts>,
    /// The row of `budget[0]`; campaign `a`'s is `budget_row + a`.
    budget_row: usize,
    /// Per constraint, in instance order: how an edge enters its rows.
    blocks: Vec<Block>,
    /// Per slack column (`n_edges + k`): its soft row and the slack's coefficient there.
    slacks: Vec<(u32, f64)>,
    /// The length of [`Duals::sums`]: a sum per share block and segment.
    n_sums: usize,
    qp: bool,
}

/// How an edge enters one constraint's rows. Every block's rows are contiguous and come in
/// constraint order, and each block yields an edge's entries with rows ascending, so a column's
/// entries come out sorted.
enum Block {
    /// Rows scoped to segments (`sum_e (pick_e - share) x_e <sense> 0`), one constraint's, so one
    /// share and one kind of pick for all (the loop over a segment's rows then branches once):
    /// segment `s`'s rows are `rows[segment[s].0..segment[s].1]`. A pick of one row per edge
    /// (topic, edge) keeps the same rows sorted by what they pick in `by_of` (same ranges), and
    /// the block's sums of the duals over segment `s`'s rows are `Duals::sums[sums + s]`.
    Share { share: f64, pick: PickKind, segment: Vec<(u32, u32)>, rows: Vec<ShareRow>, by_of: Vec<ShareRow>, sums: usize },
    /// `revenue_floor`: the price of every priced ad edge.
    Revenue { row: u32 },
    /// `exposure_floor` / `exposure_cap`: 1 on the edges of the selected items and segments
    /// (the items as bits: 110 KB for 883k items stays in cache, a byte each did not).
    Exposure { row: u32, items: Bits, segments: Vec<bool> },
    /// Consecutive `exposure_floor` / `exposure_cap` rules (an experiment's joint day caps each
    /// capped edge's total over both arms: hundreds of one-edge rules), indexed by item, so that
    /// an edge meets only the rules of its item: item `i`'s are `rules[start[i]..start[i + 1]]`,
    /// each a row and the index of its segments in `segments`, rows ascending.
    Exposures { start: Vec<u32>, rules: Vec<(u32, u32)>, segments: Vec<Vec<bool>> },
    /// `exposure_parity`: row `(g, h)` is `M_h E_g - (1 - tol) M_g E_h >= 0` for every ordered
    /// pair of distinct groups, `g` major, from row `first`.
    Parity { first: u32, group_of_creator: Vec<u32>, merit: Vec<f64>, tolerance: f64 },
}

/// A set of item numbers as bits.
struct Bits(Vec<u64>);

impl Bits {
    fn of(picked: &[bool]) -> Bits {
        let mut words = vec![0u64; picked.len().div_ceil(64)];
        for (i, _) in picked.iter().enumerate().filter(|(_, &p)| p) {
            words[i / 64] |= 1 << (i % 64);
        }
        Bits(words)
    }
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
}

/// A share row of one segment: its model row, and which topic (`topic_cap`) or edge
/// (`exploration_floor`) it picks.
#[derive(Clone, Copy)]
struct ShareRow {
    row: u32,
    of: usize,
}

/// What a share row picks: `pick_e` is 1 for an ad edge (`ad_load`), the item's risk
/// (`integrity_cap`), 1 for an item of the row's topic (`topic_cap`), 1 for a fresh item
/// (`freshness_floor`), 1 for the row's own edge (`exploration_floor`).
#[derive(Clone, Copy, PartialEq)]
enum PickKind {
    Ad,
    Risk,
    Topic,
    Fresh,
    Edge,
}

impl<'a> Formulation<'a> {
    /// The rows of `inst`'s model and what generates its columns: a pass over the edges (each
    /// segment's edges; a topic cap's topics) and over the items per constraint that selects them.
    pub fn new(inst: &'a Instance) -> Formulation<'a> {
        let seg_edges = edges_by_segment(inst);
        let mut b = Builder { inst, seg_edges, rows: Vec::new(), slacks: Vec::new(), topic_of: Vec::new(), n_sums: 0, item_ids: None };
        let (budget_row, cap_row) = b.always_present_rows();
        let blocks =
            index_exposure_runs(inst.items.len(), inst.constraints.iter().enumerate().map(|(k, c)| b.constraint(k, &c.name, c.penalty, &c.kind)).collect());
        let rho = inst.objective.regularization;
        let qp = rho != 0.0 && inst.edges.iter().any(|e| rho / inst.segments[e.segment].supply != 0.0);
        let items = (inst.items.iter().enumerate())
            .map(|(i, item)| ItemFacts {
                quality: item.quality,
                risk: item.risk,
                topic: b.topic_of.get(i).copied().unwrap_or(0),
                cap_row: cap_row[i],
                owner: item.campaign().or(item.creator()).unwrap_or(0) as u32,
                ad: item.kind() == ItemKind::Ad,
                fresh: item.fresh,
            })
            .collect();
        Formulation { inst, rows: b.rows, items, budget_row, blocks, slacks: b.slacks, n_sums: b.n_sums, qp }
    }

    /// The [`Model`] IR of the same rows and columns: every column's entries counted, then
    /// written with its cost and bounds in column order (sequential writes into arrays
    /// allocated once).
    pub fn to_model(&self) -> Model {
        let n_cols = self.n_cols();
        let mut indptr = Vec::with_capacity(n_cols + 1);
        indptr.push(0usize);
        let mut nnz = 0usize;
        self.visit(0..n_cols, |j| {
            self.for_each_entry(j, |_, _| nnz += 1);
            indptr.push(nnz);
        });
        let (mut indices, mut data) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        let (mut cost, mut quad, mut lower, mut upper) =
            (Vec::with_capacity(n_cols), Vec::with_capacity(n_cols), Vec::with_capacity(n_cols), Vec::with_capacity(n_cols));
        self.visit(0..n_cols, |j| {
            self.for_each_entry(j, |r, a| {
                indices.push(r as u32);
                data.push(a);
            });
            cost.push(self.cost(j));
            quad.push(self.quad(j));
            lower.push(self.lower(j));
            upper.push(self.upper(j));
        });
        let matrix = Matrix::new_csc((self.rows.len(), n_cols), indptr, indices, data);
        Model { n_edges: self.n_edges(), cost, quad, lower, upper, matrix, rows: self.rows.clone() }
    }
}

impl Columns for Formulation<'_> {
    fn n_edges(&self) -> usize {
        self.inst.edges.len()
    }
    fn n_cols(&self) -> usize {
        self.inst.edges.len() + self.slacks.len()
    }
    fn rows(&self) -> &[RowMeta] {
        &self.rows
    }
    #[inline]
    fn cost(&self, j: usize) -> f64 {
        match j.checked_sub(self.inst.edges.len()) {
            None => {
                let (edge, item) = (&self.inst.edges[j], &self.items[self.inst.edges[j].item]);
                value_of(&self.inst.objective, self.inst.planned_engagement(j), item.quality, edge.price, item.risk)
            }
            Some(k) => -self.rows[self.slacks[k].0 as usize].penalty.expect("a slack's row is soft"),
        }
    }
    #[inline]
    fn quad(&self, j: usize) -> f64 {
        match self.inst.edges.get(j) {
            Some(edge) => self.inst.objective.regularization / self.inst.segments[edge.segment].supply,
            None => 0.0,
        }
    }
    fn lower(&self, _: usize) -> f64 {
        0.0
    }
    #[inline]
    fn upper(&self, j: usize) -> f64 {
        self.inst.edges.get(j).and_then(|e| e.cap).unwrap_or(f64::INFINITY)
    }
    fn is_qp(&self) -> bool {
        self.qp
    }
    fn supply_row(&self, j: usize) -> Option<usize> {
        // supply[s] is row s.
        self.inst.edges.get(j).map(|e| e.segment)
    }
    fn model(&self) -> Cow<'_, Model> {
        Cow::Owned(self.to_model())
    }
    /// Reads the columns' items in one tight loop: the item table is read in no useful order (a
    /// segment's edges jump through it), and a loop that does nothing else keeps many of those
    /// cache misses in flight at once, where the entries' work between them would wait for each
    /// in turn (pricing the 10^7-edge day spent most of its time there: 2.4 s a pass without
    /// this, 1.2 s with it; benches/RESULTS.md, "Whole process").
    fn touch(&self, cols: &[usize]) {
        let mut any = 0u32;
        for &j in cols {
            if let Some(edge) = self.inst.edges.get(j) {
                any ^= self.items[edge.item].topic;
            }
        }
        std::hint::black_box(any);
    }

    #[inline]
    fn for_each_entry(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        let Some(edge) = self.inst.edges.get(j) else {
            let (row, a) = self.slacks[j - self.inst.edges.len()];
            return f(row as usize, a);
        };
        let item = &self.items[edge.item];
        self.fixed_entries(edge, item, &mut f);
        for block in &self.blocks {
            match block {
                Block::Share { share, pick, segment, rows, .. } => {
                    let rows = &rows[segment[edge.segment].0 as usize..segment[edge.segment].1 as usize];
                    let mut emit = |row: u32, pick: f64| {
                        // Coefficients below 1e-12 are dropped (HiGHS is told to keep everything
                        // above), so that agora's check judges exactly the model the backend solved.
                        let v = pick - share;
                        if kept(v) {
                            f(row as usize, v);
                        }
                    };
                    match pick {
                        PickKind::Ad | PickKind::Risk | PickKind::Fresh => rows.iter().for_each(|r| emit(r.row, pick.of_all(item))),
                        PickKind::Topic => rows.iter().for_each(|r| emit(r.row, one_if(item.topic as usize == r.of))),
                        PickKind::Edge => rows.iter().for_each(|r| emit(r.row, one_if(r.of == j))),
                    }
                }
                block => self.block_entries(block, edge, item, &mut f),
            }
        }
    }

    fn duals<'y>(&self, y: &'y [f64]) -> Duals<'y> {
        let mut sums = vec![(0.0, 0.0); self.n_sums];
        for block in &self.blocks {
            if let Block::Share { segment, rows, sums: at, .. } = block {
                for (s, &(a, b)) in segment.iter().enumerate() {
                    sums[at + s] = rows[a as usize..b as usize].iter().fold((0.0, 0.0), |(t, m), r| (t + y[r.row as usize], m + y[r.row as usize].abs()));
                }
            }
        }
        Duals { y, sums }
    }

    /// As [`Columns::for_each_entry`] would sum them, but each share block's rows read at once:
    /// an edge enters all of its segment's rows of a block at `pick - share`, and a topic or edge
    /// pick is 1 in one row and 0 in the others, so the block's terms are the segment's sums
    /// scaled, plus the one row's correction.
    #[inline]
    fn dual_terms(&self, j: usize, duals: &Duals) -> (f64, f64) {
        let y = duals.y;
        let (Some(edge), true) = (self.inst.edges.get(j), duals.sums.len() == self.n_sums) else { return self.dual_terms_by_entry(j, y) };
        let item = &self.items[edge.item];
        let (mut aty, mut mag) = (0.0, 0.0);
        let mut add = |r: usize, a: f64| {
            aty += a * y[r];
            mag += (a * y[r]).abs();
        };
        self.fixed_entries(edge, item, &mut add);
        let (mut share_aty, mut share_mag) = (0.0, 0.0);
        for block in &self.blocks {
            match block {
                Block::Share { share, pick, segment, by_of, sums, .. } => {
                    let (sum, abs) = duals.sums[sums + edge.segment];
                    match pick {
                        PickKind::Ad | PickKind::Risk | PickKind::Fresh => {
                            let v = pick.of_all(item) - share;
                            if kept(v) {
                                share_aty += v * sum;
                                share_mag += v.abs() * abs;
                            }
                        }
                        PickKind::Topic | PickKind::Edge => {
                            let of = if *pick == PickKind::Topic { item.topic as usize } else { j };
                            let rows = &by_of[segment[edge.segment].0 as usize..segment[edge.segment].1 as usize];
                            let own = rows.binary_search_by_key(&of, |r| r.of).ok().map(|k| y[rows[k].row as usize]);
                            let (other, one) = (-share, 1.0 - share);
                            let y_own = own.unwrap_or(0.0);
                            if kept(other) {
                                share_aty += other * (sum - y_own);
                                share_mag += other.abs() * (abs - y_own.abs()).max(0.0);
                            }
                            if let (Some(y_own), true) = (own, kept(one)) {
                                share_aty += one * y_own;
                                share_mag += (one * y_own).abs();
                            }
                        }
                    }
                }
                block => self.block_entries(block, edge, item, &mut add),
            }
        }
        (aty + share_aty, mag + share_mag)
    }
}

/// Whether a share row keeps coefficient `v` ([`Columns::for_each_entry`] of a formulation).
#[inline]
fn kept(v: f64) -> bool {
    v.abs() > 1e-12
}

#[inline]
fn one_if(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl PickKind {
    /// The pick of an item in every row of its segment (the kinds that pick the same in all).
    #[inline]
    fn of_all(self, item: &ItemFacts) -> f64 {
        match self {
            PickKind::Ad => one_if(item.ad),
            PickKind::Risk => item.risk,
            PickKind::Fresh => one_if(item.fresh),
            PickKind::Topic | PickKind::Edge => unreachable!("a pick of one row per edge"),
        }
    }
}

impl Formulation<'_> {
    /// An edge's entries outside the constraints' blocks: its supply row, its campaign's budget
    /// (a priced ad), its item's cap.
    #[inline]
    fn fixed_entries(&self, edge: &agora_instances::Edge, item: &ItemFacts, f: &mut impl FnMut(usize, f64)) {
        f(edge.segment, 1.0);
        if item.ad && edge.price != 0.0 {
            f(self.budget_row + item.owner as usize, edge.price);
        }
        if item.cap_row != u32::MAX {
            f(item.cap_row as usize, 1.0);
        }
    }

    /// An edge's entries in one block other than a share block.
    #[inline]
    fn block_entries(&self, block: &Block, edge: &agora_instances::Edge, item: &ItemFacts, f: &mut impl FnMut(usize, f64)) {
        match block {
            Block::Share { .. } => unreachable!("share blocks are read by the caller"),
            Block::Revenue { row } => {
                if item.ad && edge.price != 0.0 {
                    f(*row as usize, edge.price);
                }
            }
            Block::Exposure { row, items, segments } => {
                if items.get(edge.item) && segments[edge.segment] {
                    f(*row as usize, 1.0);
                }
            }
            Block::Exposures { start, rules, segments } => {
                for &(row, k) in &rules[start[edge.item] as usize..start[edge.item + 1] as usize] {
                    if segments[k as usize][edge.segment] {
                        f(row as usize, 1.0);
                    }
                }
            }
            Block::Parity { first, group_of_creator, merit, tolerance } => {
                if item.ad || group_of_creator[item.owner as usize] == u32::MAX {
                    return;
                }
                let g = group_of_creator[item.owner as usize] as usize;
                // Rows (a, b), a != b, a major: this edge is in (g, h) with M_h, and in
                // (h, g) with -(1 - tol) M_h; zero coefficients are left out.
                let n = merit.len();
                for a in 0..n {
                    for b in (0..n).filter(|&b| b != a) {
                        let v = if a == g {
                            merit[b]
                        } else if b == g {
                            -(1.0 - tolerance) * merit[a]
                        } else {
                            continue;
                        };
                        if v != 0.0 {
                            f(*first as usize + a * (n - 1) + if b < a { b } else { b - 1 }, v);
                        }
                    }
                }
            }
        }
    }
}

/// Runs of at least [`EXPOSURE_RUN`] consecutive exposure blocks made one [`Block::Exposures`]:
/// an edge's pass over them then costs the rules of its item, not one test per rule. (A lone
/// rule keeps its bits: on the 10^7-edge day they stay in cache, an index by item would not.)
fn index_exposure_runs(n_items: usize, blocks: Vec<Block>) -> Vec<Block> {
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
            (0..n_items).filter(|&i| items.get(i)).for_each(|i| start[i + 1] += 1);
        }
        for i in 0..n_items {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut rules = vec![(0u32, 0u32); start[n_items] as usize];
        for (k, (row, items, _)) in run.iter().enumerate() {
            for i in (0..n_items).filter(|&i| items.get(i)) {
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
fn edges_by_segment(inst: &Instance) -> Vec<Arc<[usize]>> {
    let mut count = vec![0usize; inst.segments.len()];
    inst.edges.iter().for_each(|e| count[e.segment] += 1);
    let mut out: Vec<Vec<usize>> = count.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (e, edge) in inst.edges.iter().enumerate() {
        out[edge.segment].push(e);
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
struct Builder<'a> {
    inst: &'a Instance,
    /// Edges of each segment (shared by the `da` of the segment's share rows).
    seg_edges: Vec<Arc<[usize]>>,
    rows: Vec<RowMeta>,
    slacks: Vec<(u32, f64)>,
    /// Each item's topic number, filled by the first topic cap.
    topic_of: Vec<u32>,
    /// Sums the share blocks so far take in [`Duals::sums`].
    n_sums: usize,
    /// Item numbers by id, made for the first rule that lists items by id.
    item_ids: Option<rustc_hash::FxHashMap<&'a str, usize>>,
}

impl<'a> Builder<'a> {
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
    fn always_present_rows(&mut self) -> (usize, Vec<u32>) {
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

    fn constraint(&mut self, k: usize, cname: &str, penalty: Option<f64>, kind: &ConstraintKind) -> Block {
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
                        let t = topic_of[inst.edges[e].item];
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
                    .map(|(s, e)| (s, e, format!("{cname}[{},{}]", inst.segments[s].id, inst.items[inst.edges[e].item].id)))
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
                let mut merit = vec![0.0; groups.len()];
                for item in inst.items.iter().filter(|i| i.kind() == ItemKind::Organic) {
                    if let Some(g) = item.creator().map(|c| group_of_creator[c]).filter(|&g| g != u32::MAX) {
                        merit[g as usize] += item.quality;
                    }
                }
                let mut group_edges: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
                for (e, edge) in inst.edges.iter().enumerate() {
                    if let Some(g) = inst.items[edge.item].creator().map(|c| group_of_creator[c]).filter(|&g| g != u32::MAX) {
                        group_edges[g as usize].push(e);
                    }
                }
                let group_edges: Vec<Arc<[usize]>> = group_edges.into_iter().map(Arc::from).collect();
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
