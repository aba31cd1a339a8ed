//! The columns sifting has taken in, in the order they came: the restricted problems' columns.
//! Slack columns first, then working edges. A column is copied here when it enters the working
//! set, so the restricted problems read no whole-day store: with one process the pool copies
//! columns of the day's model, with many (docs/distributed.md) it receives them from the
//! processes that hold them. Either way the restricted problems are built from the same data in
//! the same order.

use crate::ir::{Columns, Matrix, Model, RowMeta, Sense};
use crate::wire::{Reader, Writer};

/// A growing store of columns, each with its id in the day's model.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Pool {
    /// The column's number in the day's model (edges `0..n_edges`, then slacks).
    pub ids: Vec<usize>,
    pub cost: Vec<f64>,
    pub quad: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Column `k`'s entries are `rows[start[k]..start[k + 1]]`, `vals[..]` (rows ascending).
    pub start: Vec<usize>,
    pub rows: Vec<u32>,
    pub vals: Vec<f64>,
}

impl Pool {
    pub fn new() -> Pool {
        Pool { start: vec![0], ..Pool::default() }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Appends column `id`: its cost, quadratic diagonal, bounds and `(row, value)` entries.
    pub fn push(&mut self, id: usize, cost: f64, quad: f64, lower: f64, upper: f64, entries: impl IntoIterator<Item = (u32, f64)>) {
        self.ids.push(id);
        self.cost.push(cost);
        self.quad.push(quad);
        self.lower.push(lower);
        self.upper.push(upper);
        for (r, v) in entries {
            self.rows.push(r);
            self.vals.push(v);
        }
        self.start.push(self.rows.len());
    }

    /// Appends column `j` of `model`, as column `id`, its rows renumbered by `row_of` (None: as
    /// they are). (Its entries arrive through a callback, so they are copied in after an empty
    /// [`Pool::push`], which they then close.)
    pub fn push_model_column<C: Columns + ?Sized>(&mut self, model: &C, j: usize, id: usize, row_of: Option<&[usize]>) {
        self.push(id, model.cost(j), model.quad(j), model.lower(j), model.upper(j), []);
        model.for_each_entry(j, |r, a| {
            self.rows.push(row_of.map_or(r, |m| m[r]) as u32);
            self.vals.push(a);
        });
        *self.start.last_mut().expect("push added the column's end") = self.rows.len();
    }

    /// Appends every soft row's slack column (the row relaxed by the slack's value, at a cost of
    /// its penalty per unit), numbered as `RowMeta::slack` says.
    pub fn push_slacks(&mut self, rows: &[RowMeta]) {
        for (r, meta) in rows.iter().enumerate() {
            if let (Some(c), Some(p)) = (meta.slack, meta.penalty) {
                let a = if meta.sense == Sense::Le { -1.0 } else { 1.0 };
                self.push(c, -p, 0.0, 0.0, f64::INFINITY, [(r as u32, a)]);
            }
        }
    }

    /// Column `k`'s row numbers and values.
    pub fn entries(&self, k: usize) -> (&[u32], &[f64]) {
        let r = self.start[k]..self.start[k + 1];
        (&self.rows[r.clone()], &self.vals[r])
    }

    /// A model of `rows` whose columns are `prefix` (each `(row, value)`, a cost, no quadratic
    /// term, bounds `[0, inf)`) and then the pool's columns `cols`: what Clarabel solves.
    pub fn to_model(&self, rows: Vec<RowMeta>, prefix: &[((usize, f64), f64)], cols: std::ops::Range<usize>) -> Model {
        let n = prefix.len() + cols.len();
        let (mut cost, mut quad, mut lower, mut upper) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut indptr = Vec::with_capacity(n + 1);
        let (mut indices, mut data): (Vec<u32>, Vec<f64>) = (Vec::new(), Vec::new());
        indptr.push(0);
        for &((r, a), c) in prefix {
            cost.push(c);
            quad.push(0.0);
            lower.push(0.0);
            upper.push(f64::INFINITY);
            indices.push(r as u32);
            data.push(a);
            indptr.push(indices.len());
        }
        for k in cols {
            cost.push(self.cost[k]);
            quad.push(self.quad[k]);
            lower.push(self.lower[k]);
            upper.push(self.upper[k]);
            let (ix, vals) = self.entries(k);
            indices.extend_from_slice(ix);
            data.extend_from_slice(vals);
            indptr.push(indices.len());
        }
        let matrix = Matrix::new_csc((rows.len(), n), indptr, indices, data);
        Model { n_edges: n, cost, quad, lower, upper, matrix, rows }
    }

    /// The pool as bytes ([`crate::wire`]), for sending to another process.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(16 + self.len() * 48 + self.rows.len() * 12));
        w.u64(self.len() as u64).u64(self.rows.len() as u64);
        for k in 0..self.len() {
            w.u64(self.ids[k] as u64).f64(self.cost[k]).f64(self.quad[k]).f64(self.lower[k]).f64(self.upper[k]);
            w.u64((self.start[k + 1] - self.start[k]) as u64);
        }
        for &r in &self.rows {
            w.u32(r);
        }
        for &v in &self.vals {
            w.f64(v);
        }
        w.0
    }

    /// The pool [`Pool::to_bytes`] wrote; `None` when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Pool> {
        let mut rd = Reader::new(bytes);
        let (n, nnz) = (rd.usize()?, rd.usize()?);
        let mut pool = Pool::new();
        let mut counts = Vec::with_capacity(n);
        for _ in 0..n {
            pool.ids.push(rd.usize()?);
            pool.cost.push(rd.f64()?);
            pool.quad.push(rd.f64()?);
            pool.lower.push(rd.f64()?);
            pool.upper.push(rd.f64()?);
            counts.push(rd.usize()?);
        }
        for _ in 0..nnz {
            pool.rows.push(rd.u32()?);
        }
        for _ in 0..nnz {
            pool.vals.push(rd.f64()?);
        }
        for c in counts {
            pool.start.push(pool.start.last()? + c);
        }
        (rd.is_empty() && *pool.start.last()? == nnz).then_some(pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_survives_its_bytes_and_truncated_bytes_are_refused() {
        let mut pool = Pool::new();
        pool.push(7, 1.5, 0.25, 0.0, f64::INFINITY, [(0, 1.0), (3, -0.5)]);
        pool.push(2, -3.0, 0.0, 0.0, 4.0, []);
        pool.push(9, 0.0, 0.0, 0.0, 1.0, [(1, 2.0)]);
        let bytes = pool.to_bytes();
        assert_eq!(Pool::from_bytes(&bytes).as_ref(), Some(&pool));
        assert_eq!(pool.entries(0), (&[0u32, 3][..], &[1.0, -0.5][..]));
        assert_eq!(pool.entries(1).0.len(), 0);
        for cut in [0, 1, 8, bytes.len() - 1] {
            assert!(Pool::from_bytes(&bytes[..cut]).is_none(), "{cut} bytes");
        }
        assert!(Pool::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_none());
    }
}
