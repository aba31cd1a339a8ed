//! The iterate of restarted PDHG and its workspaces, allocated once per solve.
//!
//! Per chunk (one per thread): the current plan `x`, the running sum for the average iterate,
//! the plan at the last restart, each segment's last projection multiplier, one accumulator over
//! the dualised rows and scratch of the longest segment's length. Globally: duals `y`, their
//! running sum and restart point, and `A x` for the current and the average iterate. Nothing is
//! allocated per iteration.

use rayon::prelude::*;

use super::projection::{lp_block_dual, project_capped, qp_block_dual};
use super::termination::Residuals;
use super::Reduce;
use crate::first_order::store::{Block, Chunk, Store};
use crate::ir::Sense;

/// Which iterate to evaluate or restart to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Candidate {
    Current,
    Average,
}

#[derive(Debug, Clone)]
pub(crate) struct ChunkState {
    pub x: Vec<f64>,
    pub x_sum: Vec<f64>,
    pub x_restart: Vec<f64>,
    /// Per block: the last primal step's supply multiplier (warm start of the next projection).
    pub lam: Vec<f64>,
    /// Per block: the supply dual of the last evaluated candidate.
    pub lam_star: Vec<f64>,
    /// Over dualised rows: this chunk's part of `A x` (steps) or of the row terms (evaluations).
    pub acc: Vec<f64>,
    pub scratch_a: Vec<f64>,
    pub scratch_b: Vec<f64>,
    pub scratch_c: Vec<f64>,
    pub order: Vec<u32>,
    // Scalars of the last evaluation / restart.
    pub obj: f64,
    pub bound: f64,
    pub supply_res: f64,
    pub dx2: f64,
}

impl ChunkState {
    fn new(ch: &Chunk, m: usize) -> ChunkState {
        let nb = ch.blocks.len();
        ChunkState {
            x: vec![0.0; ch.len()],
            x_sum: vec![0.0; ch.len()],
            x_restart: vec![0.0; ch.len()],
            lam: vec![0.0; nb],
            lam_star: vec![0.0; nb],
            acc: vec![0.0; m],
            scratch_a: vec![0.0; ch.max_block],
            scratch_b: vec![0.0; ch.max_block],
            scratch_c: vec![0.0; ch.max_block],
            order: Vec::with_capacity(ch.max_block),
            obj: 0.0,
            bound: 0.0,
            supply_res: 0.0,
            dx2: 0.0,
        }
    }
    fn bytes(&self) -> usize {
        (self.x.len() * 3 + self.lam.len() * 2 + self.acc.len() + self.scratch_a.len() * 3) * 8 + self.order.capacity() * 4
    }
}

/// The whole iterate.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub chunks: Vec<ChunkState>,
    pub y: Vec<f64>,
    pub y_sum: Vec<f64>,
    pub y_restart: Vec<f64>,
    /// `A x` at the current iterate.
    pub ax: Vec<f64>,
    pub ax_sum: Vec<f64>,
    pub ax_new: Vec<f64>,
    /// The duals, `A x` and row terms of the last evaluated candidate.
    pub y_eval: Vec<f64>,
    pub ax_eval: Vec<f64>,
    pub terms: Vec<f64>,
    /// Iterations summed in the average.
    pub count: u64,
    /// Primal weight: `tau = eta / omega`, `sigma = eta * omega`.
    pub omega: f64,
    /// The candidate the `*_eval` buffers and `lam_star` hold.
    pub evaluated: Candidate,
    /// Reflected Halpern iteration with this reflection (`None`: plain PDHG with averaging).
    pub halpern: Option<f64>,
    /// Steps since the last restart (Halpern weights).
    pub k: u64,
    /// `A x` at the last restart (Halpern anchor).
    pub ax_restart: Vec<f64>,
    /// The model row with the worst primal residual at the last evaluation (`None`: a supply row
    /// or no violation).
    pub worst_row: Option<usize>,
}

impl State {
    /// Zero start, or the warm start's plan (projected onto each segment's set) and duals
    /// (clipped to their boxes), both given per stored column / dualised row.
    pub fn new(store: &Store, warm_x: Option<&[f64]>, warm_y: Option<&[f64]>, red: &dyn Reduce) -> State {
        let m = store.dual.len();
        let mut chunks: Vec<ChunkState> = store.chunks.iter().map(|c| ChunkState::new(c, m)).collect();
        if let Some(wx) = warm_x {
            for (ch, cs) in store.chunks.iter().zip(chunks.iter_mut()) {
                for p in 0..ch.len() {
                    cs.x[p] = wx[ch.col[p] as usize];
                }
                for (b, blk) in ch.blocks.iter().enumerate() {
                    let g = &mut cs.scratch_a[..blk.end - blk.start];
                    g.iter_mut().for_each(|v| *v = 1.0);
                    cs.lam[b] = 0.0;
                    project_capped(&mut cs.x[blk.start..blk.end], g, &ch.upper[blk.start..blk.end], blk.supply, 0.0);
                }
                cs.x_restart.copy_from_slice(&cs.x);
            }
        }
        let mut y = vec![0.0; m];
        if let Some(wy) = warm_y {
            for (k, d) in store.dual.iter().enumerate() {
                y[k] = wy[k].clamp(d.lo, d.hi);
            }
        }
        let mut st = State {
            chunks,
            y_sum: vec![0.0; m],
            y_restart: y.clone(),
            y,
            ax: vec![0.0; m],
            ax_sum: vec![0.0; m],
            ax_new: vec![0.0; m],
            y_eval: vec![0.0; m],
            ax_eval: vec![0.0; m],
            terms: vec![0.0; m],
            count: 0,
            omega: 1.0,
            evaluated: Candidate::Current,
            worst_row: None,
            halpern: None,
            k: 0,
            ax_restart: vec![0.0; m],
        };
        st.omega = initial_weight(store, red);
        st.compute_ax(store, red);
        st.ax_restart.copy_from_slice(&st.ax);
        st
    }

    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(ChunkState::bytes).sum::<usize>() + self.y.len() * 9 * 8
    }

    /// `ax = A x` from scratch (start and warm start).
    fn compute_ax(&mut self, store: &Store, red: &dyn Reduce) {
        let theta = &store.theta;
        store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| {
            cs.acc.iter_mut().for_each(|v| *v = 0.0);
            for blk in &ch.blocks {
                let mut served = 0.0;
                for p in blk.start..blk.end {
                    let xv = cs.x[p];
                    served += xv;
                    ch.for_each_entry(p, |k_, v_| {
                        cs.acc[k_] += v_ * xv;
                    });
                }
                for &k in &ch.wide[blk.wide_start..blk.wide_end] {
                    cs.acc[k as usize] -= theta[k as usize] * served;
                }
            }
        });
        reduce(&self.chunks, &mut self.ax);
        red.sum(&mut self.ax);
    }

    /// One PDHG iteration with primal step `tau` and dual step `sigma` (scalars times the
    /// diagonal preconditioners).
    pub fn step(&mut self, store: &Store, tau: f64, sigma: f64, red: &dyn Reduce) {
        if let Some(rho) = self.halpern {
            return self.halpern_step(store, tau, sigma, rho, red);
        }
        let (y, theta) = (&self.y, &store.theta);
        store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| primal_step(ch, cs, y, theta, tau));
        reduce(&self.chunks, &mut self.ax_new);
        red.sum(&mut self.ax_new);
        for (k, d) in store.dual.iter().enumerate() {
            let axbar = 2.0 * self.ax_new[k] - self.ax[k];
            let v = self.y[k] + sigma * d.sigma * (axbar - d.rhs);
            self.y[k] = v.clamp(d.lo, d.hi);
            self.y_sum[k] += self.y[k];
            self.ax[k] = self.ax_new[k];
            self.ax_sum[k] += self.ax_new[k];
        }
        self.count += 1;
    }

    /// One reflected Halpern step: `z <- (k+1)/(k+2) ((1+rho) T(z) - rho z) + 1/(k+2) z_restart`
    /// with `T` the PDHG step; `T(z)` is kept in the sum buffers (the `Average` candidate).
    fn halpern_step(&mut self, store: &Store, tau: f64, sigma: f64, rho: f64, red: &dyn Reduce) {
        let kk = self.k as f64;
        let (w1, w0) = ((kk + 1.0) / (kk + 2.0), 1.0 / (kk + 2.0));
        let (y, theta) = (&self.y, &store.theta);
        store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| halpern_primal(ch, cs, y, theta, tau, w1, w0, rho));
        reduce(&self.chunks, &mut self.ax_new);
        red.sum(&mut self.ax_new);
        for (k, d) in store.dual.iter().enumerate() {
            let axbar = 2.0 * self.ax_new[k] - self.ax[k];
            let yp = (self.y[k] + sigma * d.sigma * (axbar - d.rhs)).clamp(d.lo, d.hi);
            self.y_sum[k] = yp;
            self.ax_sum[k] = self.ax_new[k];
            self.y[k] = (w1 * ((1.0 + rho) * yp - rho * self.y[k]) + w0 * self.y_restart[k]).clamp(d.lo, d.hi);
            self.ax[k] = w1 * ((1.0 + rho) * self.ax_new[k] - rho * self.ax[k]) + w0 * self.ax_restart[k];
        }
        self.count = 1;
        self.k += 1;
    }

    /// Residuals of a candidate, with [`crate::certify`]'s definitions; leaves the candidate's
    /// duals in `y_eval`, `A x` in `ax_eval` and the segments' supply duals in `lam_star`.
    pub fn evaluate(&mut self, store: &Store, which: Candidate, red: &dyn Reduce) -> Residuals {
        let inv = if which == Candidate::Average && self.count > 0 { 1.0 / self.count as f64 } else { 1.0 };
        let avg = which == Candidate::Average && self.count > 0;
        self.evaluated = if avg { Candidate::Average } else { Candidate::Current };
        for k in 0..store.dual.len() {
            if avg {
                self.y_eval[k] = self.y_sum[k] * inv;
                self.ax_eval[k] = self.ax_sum[k] * inv;
            } else {
                self.y_eval[k] = self.y[k];
                self.ax_eval[k] = self.ax[k];
            }
        }
        let (y, theta) = (&self.y_eval, &store.theta);
        let floor = store.scale_floor;
        store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| evaluate_chunk(ch, cs, y, theta, avg, inv, floor));
        reduce(&self.chunks, &mut self.terms);
        red.sum(&mut self.terms);
        let mut sums = [0.0, 0.0];
        let mut primal = [0.0f64];
        for cs in &self.chunks {
            sums[0] += cs.obj;
            sums[1] += cs.bound;
            primal[0] = primal[0].max(cs.supply_res);
        }
        red.sum(&mut sums);
        red.max(&mut primal);
        let [mut obj, mut bound] = sums;
        let mut primal = primal[0];
        let mut dual = 0.0f64;
        let mut primal2 = 0.0f64;
        self.worst_row = None;
        for (k, d) in store.dual.iter().enumerate() {
            let act = self.ax_eval[k];
            let viol = match d.sense {
                Sense::Le => act - d.rhs,
                Sense::Ge => d.rhs - act,
            };
            match d.penalty {
                Some(p) => obj -= p * viol.max(0.0),
                None => {
                    let r = viol.max(0.0) / d.rhs.abs().max(self.terms[k]).max(floor);
                    primal2 += r * r;
                    if r > primal {
                        primal = r;
                        self.worst_row = Some(d.row);
                    }
                }
            }
            let yk = self.y_eval[k];
            let wrong = match d.sense {
                Sense::Le => (-yk).max(0.0),
                Sense::Ge => yk.max(0.0),
            };
            dual = dual.max(wrong / yk.abs().max(1.0));
            bound += yk * d.rhs;
        }
        let gap = (bound - obj) / obj.abs().max(1.0);
        Residuals { primal, dual, gap, objective: obj, bound, primal_l2: primal2.sqrt() }
    }

    /// Restarts at `which`; returns the primal and dual movement since the last restart (in the
    /// preconditioned norms) for the primal weight update.
    pub fn restart(&mut self, store: &Store, which: Candidate, red: &dyn Reduce) -> (f64, f64) {
        let avg = which == Candidate::Average && self.count > 0;
        let inv = if avg { 1.0 / self.count as f64 } else { 1.0 };
        store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| {
            let mut dx2 = 0.0;
            for p in 0..ch.len() {
                if avg {
                    cs.x[p] = cs.x_sum[p] * inv;
                }
                let dx = cs.x[p] - cs.x_restart[p];
                dx2 += dx * dx / ch.tau[p] as f64;
                cs.x_restart[p] = cs.x[p];
                cs.x_sum[p] = 0.0;
            }
            cs.dx2 = dx2;
        });
        let mut dx2 = [self.chunks.iter().map(|c| c.dx2).sum::<f64>()];
        red.sum(&mut dx2);
        let dx = dx2[0].sqrt();
        let mut dy2 = 0.0;
        for (k, d) in store.dual.iter().enumerate() {
            if avg {
                self.y[k] = self.y_sum[k] * inv;
                self.ax[k] = self.ax_sum[k] * inv;
            }
            let dy = self.y[k] - self.y_restart[k];
            dy2 += dy * dy / d.sigma;
            self.y_restart[k] = self.y[k];
            self.ax_restart[k] = self.ax[k];
            self.y_sum[k] = 0.0;
            self.ax_sum[k] = 0.0;
        }
        self.count = 0;
        self.k = 0;
        (dx, dy2.sqrt())
    }

    /// Estimates `|| Sigma^1/2 A T^1/2 ||_2` (at most 1 by construction) by `rounds` power
    /// iterations, using the sum buffers as scratch (they are zero before the first step).
    pub fn operator_norm(&mut self, store: &Store, rounds: usize, red: &dyn Reduce) -> f64 {
        for cs in self.chunks.iter_mut() {
            cs.x_sum.iter_mut().for_each(|v| *v = 1.0);
        }
        let mut norm = 1.0;
        for _ in 0..rounds {
            // u = Sigma^1/2 A T^1/2 v
            let theta = &store.theta;
            store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| {
                cs.acc.iter_mut().for_each(|v| *v = 0.0);
                for blk in &ch.blocks {
                    let mut total = 0.0;
                    for p in blk.start..blk.end {
                        let v = cs.x_sum[p] * (ch.tau[p] as f64).sqrt();
                        total += v;
                        ch.for_each_entry(p, |k_, v_| {
                            cs.acc[k_] += v_ * v;
                        });
                    }
                    for &k in &ch.wide[blk.wide_start..blk.wide_end] {
                        cs.acc[k as usize] -= theta[k as usize] * total;
                    }
                }
            });
            reduce(&self.chunks, &mut self.ax_new);
            red.sum(&mut self.ax_new);
            for ((u, d), su) in self.ax_new.iter_mut().zip(&store.dual).zip(self.y_eval.iter_mut()) {
                *u *= d.sigma.sqrt();
                // y_eval holds Sigma^1/2 u for the transpose product.
                *su = *u * d.sigma.sqrt();
            }
            let su = &self.y_eval;
            // v = T^1/2 A' Sigma^1/2 u, and its norm.
            store.chunks.par_iter().zip(self.chunks.par_iter_mut()).for_each(|(ch, cs)| {
                let mut n2 = 0.0;
                for blk in &ch.blocks {
                    let cb: f64 = ch.wide[blk.wide_start..blk.wide_end].iter().map(|&k| theta[k as usize] * su[k as usize]).sum();
                    for p in blk.start..blk.end {
                        let mut s = -cb;
                        ch.for_each_entry(p, |k_, v_| {
                            s += v_ * su[k_];
                        });
                        let v = s * (ch.tau[p] as f64).sqrt();
                        cs.x_sum[p] = v;
                        n2 += v * v;
                    }
                }
                cs.dx2 = n2;
            });
            let mut vn2 = [self.chunks.iter().map(|c| c.dx2).sum::<f64>()];
            red.sum(&mut vn2);
            let vn = vn2[0].sqrt();
            let un = self.ax_new.iter().map(|v| v * v).sum::<f64>().sqrt();
            if vn == 0.0 || un == 0.0 {
                norm = 0.0;
                break;
            }
            // |A'u| / |u| after normalising v: the estimate of the largest singular value.
            norm = vn / un;
            for cs in self.chunks.iter_mut() {
                cs.x_sum.iter_mut().for_each(|v| *v /= vn);
            }
        }
        for cs in self.chunks.iter_mut() {
            cs.x_sum.iter_mut().for_each(|v| *v = 0.0);
        }
        norm
    }

    /// True when every iterate value is finite.
    pub fn is_finite(&self, red: &dyn Reduce) -> bool {
        let mut bad = [f64::from(u8::from(!(self.y.iter().all(|v| v.is_finite()) && self.chunks.iter().all(|c| c.x.iter().all(|v| v.is_finite())))))];
        red.max(&mut bad);
        bad[0] == 0.0
    }
}

/// Sums the chunks' accumulators in chunk order (deterministic for a fixed chunking).
fn reduce(chunks: &[ChunkState], out: &mut [f64]) {
    out.copy_from_slice(&chunks[0].acc);
    for cs in &chunks[1..] {
        for (o, a) in out.iter_mut().zip(&cs.acc) {
            *o += a;
        }
    }
}

/// `x <- prox(x + tau T (c - A'y))` per segment, then this chunk's part of `A x` and the sum for
/// the average.
fn primal_step(ch: &Chunk, cs: &mut ChunkState, y: &[f64], theta: &[f64], tau: f64) {
    cs.acc.iter_mut().for_each(|v| *v = 0.0);
    for (b, blk) in ch.blocks.iter().enumerate() {
        let (lo, hi) = (blk.start, blk.end);
        cs.lam[b] = prox_block(ch, blk, y, theta, tau, &mut cs.x[lo..hi], &mut cs.scratch_a, cs.lam[b]);
        for p in lo..hi {
            cs.x_sum[p] += cs.x[p];
        }
        accumulate_block(ch, blk, theta, &cs.x[lo..hi], &mut cs.acc);
    }
}

/// The primal half of a Halpern step: `T(z)`'s plan into `x_sum` (and its `A x` into `acc`),
/// the Halpern combination into `x`.
#[allow(clippy::too_many_arguments)]
fn halpern_primal(ch: &Chunk, cs: &mut ChunkState, y: &[f64], theta: &[f64], tau: f64, w1: f64, w0: f64, rho: f64) {
    cs.acc.iter_mut().for_each(|v| *v = 0.0);
    for (b, blk) in ch.blocks.iter().enumerate() {
        let (lo, hi) = (blk.start, blk.end);
        cs.x_sum[lo..hi].copy_from_slice(&cs.x[lo..hi]);
        cs.lam[b] = prox_block(ch, blk, y, theta, tau, &mut cs.x_sum[lo..hi], &mut cs.scratch_a, cs.lam[b]);
        accumulate_block(ch, blk, theta, &cs.x_sum[lo..hi], &mut cs.acc);
        for p in lo..hi {
            cs.x[p] = w1 * ((1.0 + rho) * cs.x_sum[p] - rho * cs.x[p]) + w0 * cs.x_restart[p];
        }
    }
}

/// One segment block's primal prox in place: `x <- prox(x + tau T (c - A'y))`, projected onto
/// `{0 <= x <= cap, sum x <= supply}`. Returns the projection's multiplier (the next call's
/// warm start).
#[allow(clippy::too_many_arguments)]
fn prox_block(ch: &Chunk, blk: &Block, y: &[f64], theta: &[f64], tau: f64, x: &mut [f64], scratch: &mut [f64], lam: f64) -> f64 {
    let wide = &ch.wide[blk.wide_start..blk.wide_end];
    // The share rows' `-theta` on every edge of the segment, in A'y.
    let cb: f64 = wide.iter().map(|&k| theta[k as usize] * y[k as usize]).sum();
    for (i, p) in (blk.start..blk.end).enumerate() {
        let mut aty = -cb;
        ch.for_each_entry(p, |k_, v_| {
            aty += v_ * y[k_];
        });
        let t = tau * ch.tau[p] as f64;
        let denom = 1.0 + t * blk.quad;
        x[i] = (x[i] + t * (ch.cost[p] as f64 - aty)) / denom;
        scratch[i] = t / denom;
    }
    let n = blk.end - blk.start;
    project_capped(x, &scratch[..n], &ch.upper[blk.start..blk.end], blk.supply, lam)
}

/// Adds one segment block's plan `x` to the row activities `acc` (share rows' `-theta T_s`
/// included).
fn accumulate_block(ch: &Chunk, blk: &Block, theta: &[f64], x: &[f64], acc: &mut [f64]) {
    let mut served = 0.0;
    for (i, p) in (blk.start..blk.end).enumerate() {
        let xv = x[i];
        served += xv;
        if xv != 0.0 {
            ch.for_each_entry(p, |k_, v_| {
                acc[k_] += v_ * xv;
            });
        }
    }
    for &k in &ch.wide[blk.wide_start..blk.wide_end] {
        acc[k as usize] -= theta[k as usize] * served;
    }
}

/// One chunk's part of an evaluation: objective, row terms, supply residuals, and each segment's
/// supply dual and Lagrangian bound at the reduced costs `c - A'y`.
fn evaluate_chunk(ch: &Chunk, cs: &mut ChunkState, y: &[f64], theta: &[f64], avg: bool, inv: f64, floor: f64) {
    cs.acc.iter_mut().for_each(|v| *v = 0.0);
    let mut obj = 0.0;
    let mut bound = 0.0;
    let mut supply_res = 0.0f64;
    for (b, blk) in ch.blocks.iter().enumerate() {
        let wide = &ch.wide[blk.wide_start..blk.wide_end];
        let cb: f64 = wide.iter().map(|&k| theta[k as usize] * y[k as usize]).sum();
        let mut served = 0.0;
        for p in blk.start..blk.end {
            // Plans are >= 0 (projected, or averages of projected plans).
            let xv = if avg { cs.x_sum[p] * inv } else { cs.x[p] };
            let mut aty = -cb;
            ch.for_each_entry(p, |k_, v_| {
                let k = k_;
                let v = v_;
                aty += v * y[k];
                // |pick - theta| x, less the theta x every edge is credited with below.
                cs.acc[k] += ((v - theta[k]).abs() - theta[k]) * xv;
            });
            cs.scratch_a[p - blk.start] = ch.cost[p] as f64 - aty;
            obj += ch.cost[p] as f64 * xv - 0.5 * blk.quad * xv * xv;
            served += xv;
        }
        for &k in wide {
            cs.acc[k as usize] += theta[k as usize] * served;
        }
        supply_res = supply_res.max((served - blk.supply).max(0.0) / blk.supply.abs().max(served).max(floor));
        let n = blk.end - blk.start;
        let d = &cs.scratch_a[..n];
        let u = &ch.upper[blk.start..blk.end];
        let (lam, g) = if n == 0 {
            (0.0, 0.0)
        } else if blk.quad > 0.0 {
            qp_block_dual(d, blk.quad, u, blk.supply, &mut cs.scratch_b[..n], &mut cs.scratch_c[..n])
        } else {
            lp_block_dual(d, u, blk.supply, &mut cs.order)
        };
        cs.lam_star[b] = lam;
        bound += g;
    }
    cs.obj = obj;
    cs.bound = bound;
    cs.supply_res = supply_res;
}

/// PDLP's initial primal weight `|c| / |b|` in the preconditioned norms, with the size of the
/// plan that spreads each segment's supply evenly standing in for `|b|` (most dualised rows
/// have a zero right-hand side; the supplies set the plan's scale).
fn initial_weight(store: &Store, red: &dyn Reduce) -> f64 {
    let mut c2 = 0.0;
    let mut x2 = 0.0;
    for ch in &store.chunks {
        for blk in &ch.blocks {
            let n = (blk.end - blk.start).max(1) as f64;
            for p in blk.start..blk.end {
                let (t, c) = (ch.tau[p] as f64, ch.cost[p] as f64);
                c2 += t * c * c;
                let xg = (blk.supply / n).min(ch.upper[p] as f64);
                x2 += xg * xg / t;
            }
        }
    }
    let mut sums = [c2, x2];
    red.sum(&mut sums);
    let [c2, x2] = sums;
    if c2 > 0.0 && x2 > 0.0 {
        (c2 / x2).sqrt()
    } else {
        1.0
    }
}
