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

use agora_instances::{Instance, ItemKind, Objective};

use crate::ir::{Columns, Duals, Model, RowMeta};

mod builder;

use builder::{index_exposure_runs, Builder};

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
    /// The item numbers in the set, ascending (a word at a time: empty words cost one test).
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
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
    /// The campaign of edge `e`'s item, if it is an ad (from the item's packed facts).
    pub fn edge_campaign(&self, e: usize) -> Option<usize> {
        let facts = &self.items[self.inst.edges[e].item];
        facts.ad.then_some(facts.owner as usize)
    }

    /// The rows of `inst`'s model and what generates its columns: a pass over the edges (each
    /// segment's edges; a topic cap's topics) and over the items per constraint that selects them.
    pub fn new(inst: &'a Instance) -> Formulation<'a> {
        let mut b = Builder::new(inst);
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

    /// The [`Model`] IR of the same rows and columns ([`crate::ir::model_of`]).
    pub fn to_model(&self) -> Model {
        crate::ir::model_of(self)
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
    fn admits_plan(&self, settings: &crate::settings::ValidSettings) -> Result<Option<bool>, crate::status::SolveError> {
        crate::diagnose::sifted::admits_plan(self, settings).map(Some)
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
