//! The columns of a diagnosis' LPs over a day's generated columns: the day's edges at no cost,
//! its rows with some switched off or moved, some edge caps lifted, and extra columns that
//! carry the objective (a phase one's elastic columns, the smallest relaxation's knobs). Sifting
//! solves them as it solves the day ([`crate::sifting`]), so an infeasible 10^7-edge day is
//! explained without its matrix.

use std::borrow::Cow;

use crate::ir::{model_of, Columns, Duals, Model, RowMeta, Sense};

/// A column past the edges (lower bound 0): an elastic column or a relaxation's knob.
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    /// Its entries, rows ascending.
    pub entries: Vec<(u32, f64)>,
    /// Its cost (the objective is maximised: a penalty is negative).
    pub cost: f64,
    /// Its upper bound.
    pub upper: f64,
}

/// A day's edges (from `inner`) at cost 0 under `rows`, with the caps of `caps_off` lifted and
/// `extra` columns after the edges.
pub(crate) struct Altered<'a, C: Columns + ?Sized> {
    inner: &'a C,
    rows: Vec<RowMeta>,
    /// The edges whose cap is lifted, ascending.
    caps_off: &'a [usize],
    extra: Vec<Extra>,
    /// What no plan's objective exceeds, if known ([`Columns::objective_bound`]).
    bound: Option<f64>,
}

impl<'a, C: Columns + ?Sized> Altered<'a, C> {
    /// `rows` are the day's rows as this LP has them (same order and entries; a row switched
    /// off has an infinite right-hand side). An extra column that is a row's slack is named by
    /// that row's `slack` and `penalty`, so that sifting gives the row no artificial.
    pub fn new(inner: &'a C, rows: Vec<RowMeta>, caps_off: &'a [usize], extra: Vec<Extra>) -> Self {
        debug_assert_eq!(rows.len(), inner.n_rows());
        Altered { inner, rows, caps_off, extra, bound: None }
    }

    /// The same LP, known never to exceed `bound` (a phase one: 0).
    pub fn bounded_by(self, bound: f64) -> Self {
        Altered { bound: Some(bound), ..self }
    }
}

/// A row's right-hand side when it is switched off: it then bounds nothing.
pub(crate) fn off_rhs(sense: Sense) -> f64 {
    match sense {
        Sense::Le => f64::INFINITY,
        Sense::Ge => f64::NEG_INFINITY,
    }
}

impl<C: Columns + ?Sized> Columns for Altered<'_, C> {
    fn n_edges(&self) -> usize {
        self.inner.n_edges()
    }
    fn n_cols(&self) -> usize {
        self.inner.n_edges() + self.extra.len()
    }
    fn rows(&self) -> &[RowMeta] {
        &self.rows
    }
    #[inline]
    fn cost(&self, j: usize) -> f64 {
        j.checked_sub(self.inner.n_edges()).map_or(0.0, |k| self.extra[k].cost)
    }
    fn quad(&self, _: usize) -> f64 {
        0.0
    }
    fn lower(&self, _: usize) -> f64 {
        0.0
    }
    #[inline]
    fn upper(&self, j: usize) -> f64 {
        match j.checked_sub(self.inner.n_edges()) {
            Some(k) => self.extra[k].upper,
            None if self.caps_off.binary_search(&j).is_ok() => f64::INFINITY,
            None => self.inner.upper(j),
        }
    }
    fn is_qp(&self) -> bool {
        false
    }
    #[inline]
    fn for_each_entry(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        match j.checked_sub(self.inner.n_edges()) {
            Some(k) => self.extra[k].entries.iter().for_each(|&(r, a)| f(r as usize, a)),
            None => self.inner.for_each_entry(j, f),
        }
    }
    fn supply_row(&self, j: usize) -> Option<usize> {
        (j < self.inner.n_edges()).then(|| self.inner.supply_row(j)).flatten()
    }
    fn model(&self) -> Cow<'_, Model> {
        Cow::Owned(model_of(self))
    }
    /// The extra columns carry the objective: their largest cost.
    fn cost_scale(&self) -> Option<f64> {
        Some(self.extra.iter().map(|e| e.cost.abs()).fold(1e-12, f64::max))
    }
    fn objective_bound(&self) -> Option<f64> {
        self.bound
    }
    fn touch(&self, cols: &[usize]) {
        let n = self.inner.n_edges();
        if cols.iter().all(|&j| j < n) {
            self.inner.touch(cols);
        }
    }
    fn duals<'y>(&self, y: &'y [f64]) -> Duals<'y> {
        self.inner.duals(y)
    }
    #[inline]
    fn dual_terms(&self, j: usize, y: &Duals) -> (f64, f64) {
        if j < self.inner.n_edges() {
            self.inner.dual_terms(j, y)
        } else {
            self.dual_terms_by_entry(j, y.y)
        }
    }
}
