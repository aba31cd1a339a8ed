//! The edge store the first-order method sweeps: the model's edge columns regrouped by segment
//! block, cut into one chunk per thread, with only the rows that are dualised.
//!
//! A segment's supply row is not stored: it is handled exactly in the primal projection
//! ([`super::projection`]). Soft rows' slack columns are not stored either: a soft row's dual is
//! boxed by its penalty instead, which is the same problem (the slack is the row's violation).
//!
//! Layout per chunk, per stored column (edge): `u32` row indices and `f32` coefficients of its
//! dualised rows (CSC, no transpose: `A x` is a scatter into a per-chunk accumulator, `A' y` a
//! gather), `f32` cost, cap and diagonal step weight, a `u32` column pointer and the model
//! column it came from (`u32`); the quadratic coefficient `rho / supply` is stored once per
//! segment. About 20 bytes per edge plus 8 per stored coefficient.
//!
//! Why `f32` values: they halve the store, and they cannot make an answer wrong, only limit how
//! accurate it can get. The iteration solves the model with its data rounded to `f32` (relative
//! error 6e-8), but every candidate is judged by agora's certificate on the unscaled `f64` model,
//! so the rounding shows up as residuals of order 1e-7, below the smallest tolerance allowed
//! (1e-6). Iterates, duals, accumulators and everything the certificate computes are `f64`.
//!
//! The store is built from the model's columns ([`Columns`]: the IR's stored ones, or a day's
//! generated ones, so a day that PDHG solves is never stored as a matrix), so every row type the
//! formulation knows is covered without a second implementation of spec section 3.

use std::collections::HashMap;

use crate::ir::{Columns, RowKind, Sense};
use crate::status::SolveError;

/// A segment: a contiguous range of a chunk's columns and its supply.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub start: usize,
    pub end: usize,
    pub supply: f64,
    /// The model row of the segment's supply.
    pub row: usize,
    /// The quadratic coefficient of the segment's edges (`rho / supply`, the same for all).
    pub quad: f64,
    /// This segment's share rows: `chunk.wide[wide_start..wide_end]` (dualised row indices).
    pub wide_start: usize,
    pub wide_end: usize,
}

/// The columns one thread sweeps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunk {
    pub blocks: Vec<Block>,
    /// Model column of each local column.
    pub col: Vec<u32>,
    /// Costs, caps and step weights in `f32` (see the module docs).
    pub cost: Vec<f32>,
    pub upper: Vec<f32>,
    /// Diagonal preconditioner of the primal step (Ruiz then Pock-Chambolle).
    pub tau: Vec<f32>,
    /// Start of each local column's entries (length `n + 1`).
    pub colptr: Vec<u32>,
    pub rows: Vec<u32>,
    pub vals: Vec<f32>,
    /// Share rows of the chunk's blocks (see [`Block::wide_start`]).
    pub wide: Vec<u32>,
    /// Per local column: its pattern (entries shared by many edges, see [`Patterns`]).
    pub pat: Vec<u16>,
    pub patterns: Patterns,
    /// Length of the chunk's longest block (scratch size).
    pub max_block: usize,
}

impl Chunk {
    pub fn len(&self) -> usize {
        self.col.len()
    }
    /// The entries of local column `p`.
    #[inline]
    pub fn range(&self, p: usize) -> std::ops::Range<usize> {
        self.colptr[p] as usize..self.colptr[p + 1] as usize
    }
    /// Calls `f(dualised row, coefficient)` for every stored entry of local column `p`: its own,
    /// then its pattern's (two plain loops: a chained iterator measured about 3x slower here).
    #[inline(always)]
    pub fn for_each_entry(&self, p: usize, mut f: impl FnMut(usize, f64)) {
        for e in self.range(p) {
            f(self.rows[e] as usize, self.vals[e] as f64);
        }
        let q = self.pat[p] as usize;
        if q != 0 {
            let pt = &self.patterns;
            for e in pt.start[q] as usize..pt.start[q + 1] as usize {
                f(pt.rows[e] as usize, pt.vals[e] as f64);
            }
        }
    }
    pub fn bytes(&self) -> usize {
        self.blocks.len() * std::mem::size_of::<Block>()
            + self.col.len() * 4
            + (self.cost.len() + self.upper.len() + self.tau.len()) * 4
            + self.colptr.len() * 4
            + self.rows.len() * 4
            + self.vals.len() * 4
            + self.wide.len() * 4
            + self.pat.len() * 2
            + self.patterns.bytes()
    }
}

/// Entries many edges share exactly: an exposure floor's or cap's `1` on the edges it selects,
/// a parity row's merit on its groups' edges. A parity constraint over three groups puts four
/// entries on every organic edge, the same four for every edge of a group: stored once per
/// pattern, they cost an edge a `u16` instead of 32 bytes. Pattern 0 is empty.
#[derive(Debug, Clone)]
pub(crate) struct Patterns {
    pub start: Vec<u32>,
    pub rows: Vec<u32>,
    pub vals: Vec<f32>,
}

impl Default for Patterns {
    fn default() -> Self {
        Patterns { start: vec![0, 0], rows: Vec::new(), vals: Vec::new() }
    }
}

impl Patterns {
    fn bytes(&self) -> usize {
        self.start.len() * 4 + self.rows.len() * 8
    }
}

/// Row kinds whose entries go to [`Patterns`]: coefficients that depend on the item's group or
/// selection only, not on the edge's own numbers.
const PATTERN_KINDS: [RowKind; 3] = [RowKind::ExposureParity, RowKind::ExposureFloor, RowKind::ExposureCap];

/// A dualised row.
#[derive(Debug, Clone)]
pub(crate) struct DualRow {
    /// The model row.
    pub row: usize,
    pub sense: Sense,
    pub rhs: f64,
    /// Dual box: `[lo, hi]` (`[0, inf)` for hard `<=`, `[0, penalty]` for soft `<=`, ...).
    pub lo: f64,
    pub hi: f64,
    pub penalty: Option<f64>,
    /// The model column of the row's slack, when soft.
    pub slack: Option<usize>,
    /// Diagonal preconditioner of the dual step.
    pub sigma: f64,
}

/// The whole store.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub chunks: Vec<Chunk>,
    pub dual: Vec<DualRow>,
    /// Per dualised row: the share `theta` of a segment-wide share row (0 for other rows).
    pub theta: Vec<f64>,
    pub n_edges: usize,
    /// Row-scale floor of agora's certificate: 1e-4 of the model's largest rhs (at least 1).
    pub scale_floor: f64,
}

impl Store {
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::bytes).sum::<usize>() + self.dual.len() * (std::mem::size_of::<DualRow>() + 8)
    }
    pub fn nnz(&self) -> usize {
        self.chunks.iter().map(|c| c.vals.len()).sum()
    }
}

const BACKEND: &str = "first-order";

/// Builds the store: every edge column must lie in exactly one `supply` row (the formulation
/// guarantees it); `n_chunks` chunks of about equal work, cut at block boundaries.
///
/// Share rows (`sum_e (pick_e - theta) x_e <sense> 0` over a whole segment, recognised from
/// their meta: `d a / d theta = -1` on every edge of the segment) are stored as their `pick`
/// part only, nonzero entries; the `-theta T_s` part is applied per segment. A topic cap then
/// costs one entry per edge instead of one per topic.
pub(crate) fn build<C: Columns + ?Sized>(model: &C, n_chunks: usize) -> Result<Store, SolveError> {
    let mut store = build_unconditioned(model, n_chunks)?;
    precondition(&mut store, &crate::pdhg::Alone);
    Ok(store)
}

/// [`build`] without the step weights (every `tau` and `sigma` 1): a distributed solve renumbers
/// the store's rows into the day's ([`Store::globalise`]) before [`precondition`] reduces over
/// every process's columns.
pub(crate) fn build_unconditioned<C: Columns + ?Sized>(model: &C, n_chunks: usize) -> Result<Store, SolveError> {
    let n_edges = model.n_edges();
    let unsupported = |reason: String| SolveError::Unsupported { backend: BACKEND, reason };
    if n_edges > u32::MAX as usize || model.n_rows() > u32::MAX as usize {
        return Err(unsupported("more than 2^32 edges or rows".into()));
    }
    // Rows: supply rows become blocks, the others are dualised.
    let mut block_of_row = vec![u32::MAX; model.n_rows()];
    let mut dual_of_row = vec![u32::MAX; model.n_rows()];
    let mut supplies = Vec::new();
    let mut dual = Vec::new();
    for (r, meta) in model.rows().iter().enumerate() {
        if meta.kind == RowKind::Supply && meta.slack.is_none() && meta.sense == Sense::Le {
            block_of_row[r] = supplies.len() as u32;
            supplies.push((r, meta.rhs));
        } else {
            dual_of_row[r] = dual.len() as u32;
            let (lo, hi) = dual_box(meta.sense, meta.penalty);
            dual.push(DualRow { row: r, sense: meta.sense, rhs: meta.rhs, lo, hi, penalty: meta.penalty, slack: meta.slack, sigma: 1.0 });
        }
    }
    // Each edge column's block; slack columns must be exactly their soft row's slack.
    let mut block_of_col = vec![u32::MAX; n_edges];
    let mut nnz_of_col = vec![0u32; n_edges];
    // (Passes go through Columns::visit and stop at the first column they cannot store.)
    let mut problem: Option<String> = None;
    model.visit(0..n_edges, |j| {
        if problem.is_some() {
            return;
        }
        let mut not_one = false;
        model.for_each_entry(j, |r, a| {
            if block_of_row[r] != u32::MAX {
                not_one |= block_of_col[j] != u32::MAX || a != 1.0;
                block_of_col[j] = block_of_row[r];
            } else {
                nnz_of_col[j] += 1;
            }
        });
        problem = if not_one {
            Some(format!("column {j} is not in exactly one supply row with coefficient 1"))
        } else if block_of_col[j] == u32::MAX {
            Some(format!("edge column {j} is in no supply row"))
        } else if model.lower(j) != 0.0 {
            Some(format!("edge column {j} has a nonzero lower bound"))
        } else {
            None
        };
    });
    if let Some(why) = problem.take() {
        return Err(unsupported(why));
    }
    for d in &dual {
        if let Some(c) = d.slack {
            let mut entries = Vec::new();
            model.for_each_entry(c, |r, _| entries.push(r));
            if entries != [d.row] || model.quad(c) != 0.0 {
                return Err(unsupported(format!("slack column {c} is not a plain slack of row {}", model.rows()[d.row].name)));
            }
        }
    }
    let n_blocks = supplies.len();
    let mut block_len = vec![0usize; n_blocks];
    for &b in &block_of_col {
        block_len[b as usize] += 1;
    }
    // Segment-wide share rows, per block, and each one's position in its block's list.
    let mut theta = vec![0.0f64; dual.len()];
    let mut wide_of_block: Vec<Vec<u32>> = vec![Vec::new(); n_blocks];
    let mut wide_pos = vec![u32::MAX; dual.len()];
    let n_segs = model.rows().iter().filter_map(|r| r.segment).max().map_or(0, |s| s + 1);
    let mut block_of_seg = vec![u32::MAX; n_segs];
    for (b, &(r, _)) in supplies.iter().enumerate() {
        if let Some(seg) = model.rows()[r].segment {
            block_of_seg[seg] = b as u32;
        }
    }
    for (k, d) in dual.iter().enumerate() {
        let meta = &model.rows()[d.row];
        let Some(seg) = meta.segment else { continue };
        let b = block_of_seg[seg];
        if b == u32::MAX {
            continue;
        }
        let b = b as usize;
        if meta.db == 0.0 && meta.da.len() == block_len[b] && meta.da.iter().all(|(j, v)| v == -1.0 && block_of_col.get(j) == Some(&(b as u32))) {
            theta[k] = meta.parameter.1;
            wide_pos[k] = wide_of_block[b].len() as u32;
            wide_of_block[b].push(k as u32);
        }
    }
    let mut order: Vec<u32> = (0..n_edges as u32).collect();
    order.sort_by_key(|&j| block_of_col[j as usize]);
    // Chunk cut points at block boundaries, by work (entries + 1 per column).
    let work_total: usize = nnz_of_col.iter().map(|&n| n as usize + 1).sum();
    let n_chunks = n_chunks.max(1);
    let mut chunks: Vec<Chunk> = (0..n_chunks).map(|_| Chunk::default()).collect();
    let mut pos = 0usize;
    let mut done = 0usize;
    let mut k = 0usize;
    let mut pick: Vec<f64> = Vec::new();
    let pattern_row: Vec<bool> = dual.iter().map(|d| PATTERN_KINDS.contains(&model.rows()[d.row].kind)).collect();
    let mut patterns = Patterns::default();
    let mut pattern_of: HashMap<Vec<(u32, u32)>, u16> = HashMap::new();
    let mut key: Vec<(u32, u32)> = Vec::new();
    let mut pat_of_col = vec![0u16; n_edges];
    for (b, &len) in block_len.iter().enumerate() {
        while k + 1 < n_chunks && done >= (k + 1) * work_total / n_chunks {
            k += 1;
        }
        let ch = &mut chunks[k];
        if ch.colptr.is_empty() {
            ch.colptr.push(0);
        }
        let wide = &wide_of_block[b];
        let start = ch.col.len();
        let wide_start = ch.wide.len();
        ch.wide.extend_from_slice(wide);
        model.visit(order[pos..pos + len].iter().map(|&j| j as usize), |j| {
            if problem.is_some() {
                return;
            }
            ch.col.push(j as u32);
            ch.cost.push(model.cost(j) as f32);
            ch.upper.push(model.upper(j) as f32);
            if model.quad(j) != model.quad(order[pos] as usize) {
                problem = Some(format!("edge column {j}'s quadratic coefficient differs from its segment's"));
                return;
            }
            // pick = a + theta for the segment's share rows (theta where the model has no entry).
            pick.clear();
            pick.extend(wide.iter().map(|&w| theta[w as usize]));
            key.clear();
            model.for_each_entry(j, |r, a| {
                let d = dual_of_row[r];
                if d == u32::MAX {
                    return;
                }
                if pattern_row[d as usize] {
                    key.push((d, (a as f32).to_bits()));
                } else if wide_pos[d as usize] != u32::MAX {
                    pick[wide_pos[d as usize] as usize] += a;
                } else {
                    ch.rows.push(d);
                    ch.vals.push(a as f32);
                }
            });
            for (&w, &v) in wide.iter().zip(&pick) {
                if v != 0.0 {
                    ch.rows.push(w);
                    ch.vals.push(v as f32);
                }
            }
            if !key.is_empty() {
                let next = pattern_of.len() + 1;
                let id = match pattern_of.get(&key) {
                    Some(&id) => Some(id),
                    None if next <= u16::MAX as usize => {
                        for &(d, bits) in &key {
                            patterns.rows.push(d);
                            patterns.vals.push(f32::from_bits(bits));
                        }
                        patterns.start.push(patterns.rows.len() as u32);
                        pattern_of.insert(key.clone(), next as u16);
                        Some(next as u16)
                    }
                    // Too many distinct patterns: the entries stay the column's own.
                    None => None,
                };
                match id {
                    Some(id) => pat_of_col[j] = id,
                    None => {
                        for &(d, bits) in &key {
                            ch.rows.push(d);
                            ch.vals.push(f32::from_bits(bits));
                        }
                    }
                }
            }
            if ch.rows.len() > u32::MAX as usize {
                problem = Some("more than 2^32 entries in one chunk (use more threads)".into());
                return;
            }
            ch.colptr.push(ch.rows.len() as u32);
        });
        if let Some(why) = problem.take() {
            return Err(unsupported(why));
        }
        let quad = if len > 0 { model.quad(order[pos] as usize) } else { 0.0 };
        ch.blocks.push(Block { start, end: ch.col.len(), supply: supplies[b].1, row: supplies[b].0, quad, wide_start, wide_end: ch.wide.len() });
        ch.max_block = ch.max_block.max(len);
        pos += len;
        done += order[pos - len..pos].iter().map(|&j| nnz_of_col[j as usize] as usize + 1).sum::<usize>();
    }
    for ch in &mut chunks {
        if ch.colptr.is_empty() {
            ch.colptr.push(0);
        }
        ch.pat = ch.col.iter().map(|&j| pat_of_col[j as usize]).collect();
        ch.patterns = patterns.clone();
    }
    drop(pat_of_col);
    let scale_floor = 1e-4 * model.rows().iter().map(|r| r.rhs.abs()).fold(1.0, f64::max);
    for ch in &mut chunks {
        ch.tau = vec![1.0f32; ch.len()];
    }
    Ok(Store { chunks, dual, theta, n_edges, scale_floor })
}

impl Store {
    /// Renumbers a process's store into the day's: its model row `r` is the day's row
    /// `row_of[r]`, and `rows` are the day's rows (a soft row's `slack` numbered in the day).
    /// Every process then holds the day's dualised rows, in the same order, so that duals and
    /// row activities mean the same on all of them (docs/distributed.md).
    pub(crate) fn globalise(&mut self, row_of: &[usize], rows: &[crate::ir::RowMeta]) {
        let mut dual = Vec::new();
        let mut dual_of_row = vec![u32::MAX; rows.len()];
        for (g, meta) in rows.iter().enumerate() {
            if meta.kind == RowKind::Supply && meta.slack.is_none() && meta.sense == Sense::Le {
                continue;
            }
            dual_of_row[g] = dual.len() as u32;
            let (lo, hi) = dual_box(meta.sense, meta.penalty);
            dual.push(DualRow { row: g, sense: meta.sense, rhs: meta.rhs, lo, hi, penalty: meta.penalty, slack: meta.slack, sigma: 1.0 });
        }
        let map: Vec<u32> = self.dual.iter().map(|d| dual_of_row[row_of[d.row]]).collect();
        let mut theta = vec![0.0; dual.len()];
        for (k, &t) in self.theta.iter().enumerate() {
            theta[map[k] as usize] = t;
        }
        for ch in &mut self.chunks {
            for k in ch.rows.iter_mut().chain(ch.wide.iter_mut()).chain(ch.patterns.rows.iter_mut()) {
                *k = map[*k as usize];
            }
            for blk in &mut ch.blocks {
                blk.row = row_of[blk.row];
            }
        }
        self.scale_floor = 1e-4 * rows.iter().map(|r| r.rhs.abs()).fold(1.0, f64::max);
        self.dual = dual;
        self.theta = theta;
    }
}

/// A dualised row's dual box: `[0, inf)` for a hard `<=`, `[0, penalty]` for a soft one, and
/// the mirror for `>=`.
fn dual_box(sense: Sense, penalty: Option<f64>) -> (f64, f64) {
    match (sense, penalty) {
        (Sense::Le, None) => (0.0, f64::INFINITY),
        (Sense::Le, Some(p)) => (0.0, p),
        (Sense::Ge, None) => (f64::NEG_INFINITY, 0.0),
        (Sense::Ge, Some(p)) => (-p, 0.0),
    }
}

/// Ruiz equilibration (10 rounds, infinity norm) of the dualised matrix, then Pock-Chambolle
/// (alpha = 1) on the equilibrated matrix; the resulting diagonal step weights are stored in the
/// original variables, so that the projection keeps acting on the true supply set. With them
/// `|| Sigma^1/2 A T^1/2 ||_2 <= 1`, so any step pair with `tau * sigma < 1` converges.
pub(crate) fn precondition(store: &mut Store, red: &dyn crate::pdhg::Reduce) {
    let m = store.dual.len();
    let theta = &store.theta;
    let mut rscale = vec![1.0f64; m];
    // Start from each edge's segment supply: in units of its segment's supply every segment looks
    // alike, so small segments' rows do not lag behind large ones'.
    let mut cscale: Vec<Vec<f64>> = store
        .chunks
        .iter()
        .map(|c| {
            let mut v = vec![1.0; c.len()];
            for b in &c.blocks {
                v[b.start..b.end].iter_mut().for_each(|x| *x = b.supply);
            }
            v
        })
        .collect();
    // Entries: stored ones are `pick - theta`; a segment's share rows also hold `-theta` on the
    // edges they do not pick, bounded here by `theta` on every edge of the segment.
    let mut rmax = vec![0.0f64; m];
    for _ in 0..10 {
        rmax.iter_mut().for_each(|v| *v = 0.0);
        for (ch, cs) in store.chunks.iter().zip(cscale.iter_mut()) {
            for blk in &ch.blocks {
                let wide = &ch.wide[blk.wide_start..blk.wide_end];
                for p in blk.start..blk.end {
                    let mut cmax = 0.0f64;
                    ch.for_each_entry(p, |k_, v_| {
                        let k = k_;
                        let v = (rscale[k] * (v_ - theta[k]) * cs[p]).abs();
                        cmax = cmax.max(v);
                        rmax[k] = rmax[k].max(v);
                    });
                    for &k in wide {
                        let k = k as usize;
                        let v = (rscale[k] * theta[k] * cs[p]).abs();
                        cmax = cmax.max(v);
                        rmax[k] = rmax[k].max(v);
                    }
                    if cmax > 0.0 {
                        cs[p] /= cmax.sqrt();
                    }
                }
            }
        }
        // Rows span processes: their largest entry is over every process's columns.
        red.max(&mut rmax);
        for (r, &mx) in rscale.iter_mut().zip(&rmax) {
            if mx > 0.0 {
                *r /= mx.sqrt();
            }
        }
    }
    // Pock-Chambolle on upper bounds of the absolute row and column sums (still valid).
    let mut rsum = vec![0.0f64; m];
    for (ch, cs) in store.chunks.iter_mut().zip(&cscale) {
        for blk in &ch.blocks {
            let wide = &ch.wide[blk.wide_start..blk.wide_end];
            for p in blk.start..blk.end {
                let mut csum = 0.0;
                ch.for_each_entry(p, |k_, v_| {
                    let k = k_;
                    let v = (rscale[k] * (v_ - theta[k]) * cs[p]).abs();
                    csum += v;
                    rsum[k] += v;
                });
                for &k in wide {
                    let k = k as usize;
                    let v = (rscale[k] * theta[k] * cs[p]).abs();
                    csum += v;
                    rsum[k] += v;
                }
                // A column in no dualised row moves only within its segment: any weight is valid.
                ch.tau[p] = (if csum > 0.0 { cs[p] * cs[p] / csum } else { cs[p] * cs[p] }) as f32;
            }
        }
    }
    red.sum(&mut rsum);
    for (d, (&r, &s)) in store.dual.iter_mut().zip(rscale.iter().zip(&rsum)) {
        d.sigma = if s > 0.0 { r * r / s } else { r * r };
    }
}
