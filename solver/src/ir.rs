//! The model IR: the one representation of an optimisation problem that every backend reads.
//!
//! Maximise `cost . x - 1/2 * sum_j quad_j x_j^2` subject to `lower <= x <= upper` and one row
//! per spec row, `a_r . x <sense> rhs_r`. Columns `0..n_edges` are the instance's edges in
//! instance order; soft rows' slacks follow. Each row carries its [`RowMeta`]: spec name, type,
//! and how the user's parameter enters it, from which shadow prices are computed the same way
//! for every row and every backend ([`crate::shadow`]).

use std::sync::Arc;

use sprs::CsMatI;

/// `<=` or `>=`; equality rows do not occur in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// `<=`: the activity is at most the right-hand side.
    Le,
    /// `>=`: the activity is at least the right-hand side.
    Ge,
}

impl Sense {
    /// The sense as written in files: `<=` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Sense::Le => "<=",
            Sense::Ge => ">=",
        }
    }
}

/// A sparse vector over the model's columns.
pub type SparseVec = Vec<(usize, f64)>;

/// The constraint matrix: compressed sparse columns with `u32` row indices (a day has far
/// fewer than 2^32 rows; `usize` indices cost 4 more bytes per entry, 650 MB on the 10^7-edge
/// day's 162 million entries) and `usize` column pointers (entries may exceed 2^32).
pub type Matrix = CsMatI<f64, u32, usize>;

/// How a row's parameter moves a vector over the columns (its coefficients, or the objective's
/// quadratic diagonal): an explicit list, or one value on a shared list of columns. A share row
/// moves by `-1` on every edge of its segment, and a segment has a dozen share rows: they share
/// one list instead of holding a copy each (on the 10^7-edge day, 176 bytes per edge).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamVec {
    /// An explicit list of `(column, value)` entries.
    Sparse(SparseVec),
    /// One value on every column of a shared list.
    Uniform {
        /// The columns, shared between the rows that move the same way (`u32`: a day's columns
        /// number under 2^32, and the lists of a 10^7-edge day took 160 MB as `usize`).
        cols: Arc<[u32]>,
        /// The value on each of those columns.
        value: f64,
    },
}

impl Default for ParamVec {
    fn default() -> Self {
        ParamVec::Sparse(Vec::new())
    }
}

impl From<SparseVec> for ParamVec {
    fn from(v: SparseVec) -> Self {
        ParamVec::Sparse(v)
    }
}

impl ParamVec {
    /// The entries `(column, value)`.
    pub fn iter(&self) -> ParamVecIter<'_> {
        match self {
            ParamVec::Sparse(v) => ParamVecIter::Sparse(v.iter()),
            ParamVec::Uniform { cols, value } => ParamVecIter::Uniform(cols.iter(), *value),
        }
    }
    /// The number of `(column, value)` entries.
    pub fn len(&self) -> usize {
        match self {
            ParamVec::Sparse(v) => v.len(),
            ParamVec::Uniform { cols, .. } => cols.len(),
        }
    }
    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The iterator of [`ParamVec::iter`].
pub enum ParamVecIter<'a> {
    /// Over an explicit list.
    Sparse(std::slice::Iter<'a, (usize, f64)>),
    /// Over a shared column list, with its one value.
    Uniform(std::slice::Iter<'a, u32>, f64),
}

impl Iterator for ParamVecIter<'_> {
    type Item = (usize, f64);
    #[inline]
    fn next(&mut self) -> Option<(usize, f64)> {
        match self {
            ParamVecIter::Sparse(it) => it.next().copied(),
            ParamVecIter::Uniform(it, v) => it.next().map(|&c| (c as usize, *v)),
        }
    }
}

/// What a row is: one of the always-present rows, a row of an instance constraint of that
/// type, or a row agora adds for its own purposes. Written in files as the spec's `type`
/// string ([`RowKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// `supply[s]`: a segment's impressions.
    Supply,
    /// `budget[a]`: a campaign's spend.
    Budget,
    /// `item_cap[i]`: an item's impressions.
    ItemCap,
    /// `ad_load`: a segment's ad impressions at most `max_share` of its impressions.
    AdLoad,
    /// `revenue_floor`: ad revenue (price x impressions) at least `min`.
    RevenueFloor,
    /// `exposure_floor`: impressions of the selected items in the selected segments at least `min`.
    ExposureFloor,
    /// `exposure_cap`: impressions of the selected items in the selected segments at most `max`.
    ExposureCap,
    /// `integrity_cap`: a segment's risk-weighted impressions at most `max_share` of its impressions.
    IntegrityCap,
    /// `topic_cap`: a topic's impressions in a segment at most `max_share` of the segment's impressions.
    TopicCap,
    /// `freshness_floor`: a segment's impressions of fresh items at least `min_share` of its impressions.
    FreshnessFloor,
    /// `exploration_floor`: an edge with few logged rounds gets at least `min_share` of its segment's impressions.
    ExplorationFloor,
    /// `exposure_parity`: one creator group's organic exposure per unit of merit at least `1 - tolerance`
    /// times another's.
    ExposureParity,
}

impl RowKind {
    /// The kind of the rows an instance constraint formulates to.
    pub fn of_constraint(kind: &agora_instances::ConstraintKind) -> RowKind {
        use agora_instances::ConstraintKind as K;
        match kind {
            K::AdLoad { .. } => RowKind::AdLoad,
            K::RevenueFloor { .. } => RowKind::RevenueFloor,
            K::ExposureFloor { .. } => RowKind::ExposureFloor,
            K::ExposureCap { .. } => RowKind::ExposureCap,
            K::IntegrityCap { .. } => RowKind::IntegrityCap,
            K::TopicCap { .. } => RowKind::TopicCap,
            K::FreshnessFloor { .. } => RowKind::FreshnessFloor,
            K::ExplorationFloor { .. } => RowKind::ExplorationFloor,
            K::ExposureParity { .. } => RowKind::ExposureParity,
        }
    }

    /// The spec's `type` string: `supply`, `budget`, `item_cap` or the constraint's type.
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Supply => "supply",
            RowKind::Budget => "budget",
            RowKind::ItemCap => "item_cap",
            RowKind::AdLoad => "ad_load",
            RowKind::RevenueFloor => "revenue_floor",
            RowKind::ExposureFloor => "exposure_floor",
            RowKind::ExposureCap => "exposure_cap",
            RowKind::IntegrityCap => "integrity_cap",
            RowKind::TopicCap => "topic_cap",
            RowKind::FreshnessFloor => "freshness_floor",
            RowKind::ExplorationFloor => "exploration_floor",
            RowKind::ExposureParity => "exposure_parity",
        }
    }
}

impl std::fmt::Display for RowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything about a row except its coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct RowMeta {
    /// The spec's row name: `supply[s]`, `budget[a]`, `item_cap[i]`, `NAME`, `NAME[s]`,
    /// `NAME[s,t]`, `NAME[g,h]`.
    pub name: String,
    /// What the row is.
    pub kind: RowKind,
    /// Index of the instance constraint the row came from (`None` for the always-present rows).
    pub constraint: Option<usize>,
    /// The segment the row is scoped to, where it has one.
    pub segment: Option<usize>,
    /// Whether the row is `<=` or `>=`.
    pub sense: Sense,
    /// The right-hand side.
    pub rhs: f64,
    /// The parameter the user wrote for this row (`supply`, `budget`, `cap`, `min`, `max`,
    /// `max_share`, `min_share`, `tolerance`) and its value.
    pub parameter: (&'static str, f64),
    /// `d a / d theta`: how the row's coefficients move with the parameter (empty for plain bounds).
    pub da: ParamVec,
    /// `d rhs / d theta`.
    pub db: f64,
    /// `d quad / d theta`: how the objective's quadratic diagonal moves with the parameter
    /// (a segment's supply divides the regularisation of its edges).
    pub dquad: ParamVec,
    /// The column of this row's slack when the row is soft.
    pub slack: Option<usize>,
    /// The soft row's penalty per unit of violation.
    pub penalty: Option<f64>,
}

impl RowMeta {
    /// The row without its parameter vectors (`da`, `dquad`) and slack column: what a row's
    /// sense, right-hand side and name are needed for (a restricted QP, a row sent to another
    /// process) without copying a parity row's vector of millions of edges.
    pub fn without_vectors(&self) -> RowMeta {
        RowMeta {
            name: self.name.clone(),
            kind: self.kind,
            constraint: self.constraint,
            segment: self.segment,
            sense: self.sense,
            rhs: self.rhs,
            parameter: self.parameter,
            da: ParamVec::default(),
            db: self.db,
            dquad: ParamVec::default(),
            slack: None,
            penalty: self.penalty,
        }
    }
}

/// A formulated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The first `n_edges` columns are the instance's edges.
    pub n_edges: usize,
    /// Linear objective coefficients (maximisation).
    pub cost: Vec<f64>,
    /// Diagonal of the quadratic term: the objective subtracts `1/2 quad_j x_j^2`.
    pub quad: Vec<f64>,
    /// Lower bounds of the columns (0 for edges and slacks).
    pub lower: Vec<f64>,
    /// `f64::INFINITY` where a column has no upper bound.
    pub upper: Vec<f64>,
    /// The constraint matrix, rows x columns, compressed sparse columns.
    pub matrix: Matrix,
    /// Row metadata, in model order (one per row of `matrix`).
    pub rows: Vec<RowMeta>,
}

impl Model {
    /// The number of columns (edges, then slacks).
    pub fn n_cols(&self) -> usize {
        self.cost.len()
    }
    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }
    /// True when the objective has a quadratic term.
    pub fn is_qp(&self) -> bool {
        self.quad.iter().any(|&q| q != 0.0)
    }

    /// The same rows and bounds without an objective (costs and the quadratic term zeroed): the
    /// model of "is there a plan at all".
    pub fn feasibility(&self) -> Model {
        let mut m = self.clone();
        m.cost.iter_mut().for_each(|c| *c = 0.0);
        m.quad.iter_mut().for_each(|q| *q = 0.0);
        m
    }

    /// This model with `cols` appended: each new column's entries (row, value; rows ascending),
    /// linear cost, lower and upper bound, with no quadratic term.
    pub fn with_columns(&self, cols: impl IntoIterator<Item = (Vec<(u32, f64)>, f64, f64, f64)>) -> Model {
        let mut m = self.clone();
        let (mut indptr, mut indices, mut data) = (self.matrix.indptr().raw_storage().to_vec(), self.matrix.indices().to_vec(), self.matrix.data().to_vec());
        for (entries, cost, lower, upper) in cols {
            for (r, v) in entries {
                indices.push(r);
                data.push(v);
            }
            indptr.push(indices.len());
            m.cost.push(cost);
            m.quad.push(0.0);
            m.lower.push(lower);
            m.upper.push(upper);
        }
        m.matrix = Matrix::new_csc((self.n_rows(), m.cost.len()), indptr, indices, data);
        m
    }
}

/// A dual vector (one value per row, maximisation convention) made ready by a model's
/// [`Columns::duals`] for its [`Columns::dual_terms`]: beside `y`, sums over groups of rows
/// that a column enters with one coefficient but one (a [`crate::Formulation`]'s share rows:
/// an edge is in every topic row of its segment, all but one at `-share`, so its terms there
/// are `y_own - share * sum_r y_r`, read from the segment's sums instead of a dozen entries).
pub struct Duals<'y> {
    /// The duals, by row.
    pub y: &'y [f64],
    /// The model's sums over `y` (empty for a model that reads entries one by one).
    pub(crate) sums: Vec<(f64, f64)>,
}

impl<'y> Duals<'y> {
    /// `y` without sums: every column's terms are read entry by entry.
    pub fn plain(y: &'y [f64]) -> Duals<'y> {
        Duals { y, sums: Vec::new() }
    }
}

/// A model's columns as the methods that sweep them read them: column by column, each one's
/// cost, quadratic diagonal, bounds and `(row, value)` entries, over the model's rows.
///
/// Two kinds of model have them: the [`Model`] IR, whose matrix is stored, and a day's
/// [`crate::Formulation`], which generates each column's entries from the instance when asked
/// (nothing stored per edge). Pricing, the certificate and a solution's sums read either, so a
/// day that sifting solves is never stored as a matrix (docs/model.md, "Formulation").
pub trait Columns: Sync {
    /// The edge columns are `0..n_edges`; soft rows' slacks follow.
    fn n_edges(&self) -> usize;
    /// The number of columns (edges, then slacks).
    fn n_cols(&self) -> usize;
    /// Row metadata, in model order.
    fn rows(&self) -> &[RowMeta];
    /// Column `j`'s linear objective coefficient (maximisation).
    fn cost(&self, j: usize) -> f64;
    /// Column `j`'s quadratic diagonal: the objective subtracts `1/2 quad_j x_j^2`.
    fn quad(&self, j: usize) -> f64;
    /// Column `j`'s lower bound.
    fn lower(&self, j: usize) -> f64;
    /// Column `j`'s upper bound (`f64::INFINITY` when it has none).
    fn upper(&self, j: usize) -> f64;
    /// True when the objective has a quadratic term.
    fn is_qp(&self) -> bool;
    /// Calls `f(row, value)` for every entry of column `j`, rows ascending.
    fn for_each_entry(&self, j: usize, f: impl FnMut(usize, f64));
    /// The supply row edge column `j` sits in, if any.
    fn supply_row(&self, j: usize) -> Option<usize> {
        let mut found = None;
        self.for_each_entry(j, |r, _| {
            if found.is_none() && self.rows()[r].kind == RowKind::Supply {
                found = Some(r);
            }
        });
        found
    }
    /// The whole model as the IR: borrowed when it is one, materialised otherwise (what a
    /// whole-model solve needs: HiGHS or Clarabel on every column, PDHG's store, a KKT polish).
    fn model(&self) -> std::borrow::Cow<'_, Model>;

    /// The size of cost that sifting's big-M artificials are measured against, when it is not
    /// the largest edge cost: a model whose edges cost nothing and whose other columns carry the
    /// objective (a diagnosis' elastic LP, `crate::diagnose`) says how large those costs are.
    fn cost_scale(&self) -> Option<f64> {
        None
    }

    /// Whether the rows and bounds admit a plan, by a phase one sifted over these columns, for
    /// columns that can say (a day's formulation: `crate::diagnose::sifted::admits_plan`);
    /// `None` otherwise. What a sifted solve that could not serve a floor asks before handing
    /// the whole matrix to HiGHS.
    fn admits_plan(&self, _settings: &crate::settings::ValidSettings) -> Result<Option<bool>, crate::status::SolveError> {
        Ok(None)
    }

    /// An upper bound on the objective that some plans may reach (a phase one's 0: no row
    /// violated), when the model knows one: a restricted optimum that reaches it is optimal
    /// without pricing the other columns.
    fn objective_bound(&self) -> Option<f64> {
        None
    }

    /// Brings what columns `cols` read into the cache ahead of a pass over them (stored columns:
    /// nothing to do; see [`Columns::visit`]).
    fn touch(&self, _cols: &[usize]) {}

    /// Calls `f(j)` for every column `j` of `cols`, in order, a batch at a time, each batch
    /// [`touch`](Columns::touch)ed first: how every pass over many columns goes through them.
    #[inline]
    fn visit(&self, cols: impl IntoIterator<Item = usize>, mut f: impl FnMut(usize)) {
        const BATCH: usize = 64;
        let mut batch = [0usize; BATCH];
        let mut n = 0;
        for j in cols {
            batch[n] = j;
            n += 1;
            if n == BATCH {
                self.touch(&batch);
                batch.iter().for_each(|&j| f(j));
                n = 0;
            }
        }
        self.touch(&batch[..n]);
        batch[..n].iter().for_each(|&j| f(j));
    }

    /// The number of rows.
    fn n_rows(&self) -> usize {
        self.rows().len()
    }

    /// `A x`, the row activities (slacks included).
    fn activities(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_rows()];
        self.visit((0..self.n_cols().min(x.len())).filter(|&j| x[j] != 0.0), |j| self.for_each_entry(j, |r, a| out[r] += a * x[j]));
        out
    }

    /// `y` (one dual per row) made ready for [`Columns::dual_terms`] over many columns.
    fn duals<'y>(&self, y: &'y [f64]) -> Duals<'y> {
        Duals::plain(y)
    }

    /// Column `j`'s `a_j . y` and `sum_r |a_rj y_r|` (the size of its terms): what a reduced cost
    /// and its scale are made of, in pricing and in the check alike. `y` is this model's
    /// [`Columns::duals`]; a model may read several rows' terms at once from its sums, and then
    /// agrees with [`Columns::dual_terms_by_entry`] to rounding (tests/formulation.rs).
    #[inline]
    fn dual_terms(&self, j: usize, y: &Duals) -> (f64, f64) {
        self.dual_terms_by_entry(j, y.y)
    }

    /// [`Columns::dual_terms`] summed entry by entry.
    #[inline]
    fn dual_terms_by_entry(&self, j: usize, y: &[f64]) -> (f64, f64) {
        let (mut aty, mut mag) = (0.0, 0.0);
        self.for_each_entry(j, |r, a| {
            aty += a * y[r];
            mag += (a * y[r]).abs();
        });
        (aty, mag)
    }

    /// The objective at `x`.
    fn objective(&self, x: &[f64]) -> f64 {
        // A plan is sparse: an unserved column adds nothing, and a generated column's cost reads
        // its item (a cache miss per edge of a large day).
        x.iter().enumerate().take(self.n_cols()).filter(|(_, &x)| x != 0.0).map(|(j, &x)| self.cost(j) * x - 0.5 * self.quad(j) * x * x).sum()
    }
}

/// The [`Model`] IR of any columns: every column's entries counted, then written with its cost
/// and bounds in column order (sequential writes into arrays allocated once).
pub fn model_of<C: Columns + ?Sized>(c: &C) -> Model {
    let n_cols = c.n_cols();
    let mut indptr = Vec::with_capacity(n_cols + 1);
    indptr.push(0usize);
    let mut nnz = 0usize;
    c.visit(0..n_cols, |j| {
        c.for_each_entry(j, |_, _| nnz += 1);
        indptr.push(nnz);
    });
    let (mut indices, mut data) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    let (mut cost, mut quad, mut lower, mut upper) =
        (Vec::with_capacity(n_cols), Vec::with_capacity(n_cols), Vec::with_capacity(n_cols), Vec::with_capacity(n_cols));
    c.visit(0..n_cols, |j| {
        c.for_each_entry(j, |r, a| {
            indices.push(r as u32);
            data.push(a);
        });
        cost.push(c.cost(j));
        quad.push(c.quad(j));
        lower.push(c.lower(j));
        upper.push(c.upper(j));
    });
    let matrix = Matrix::new_csc((c.n_rows(), n_cols), indptr, indices, data);
    Model { n_edges: c.n_edges(), cost, quad, lower, upper, matrix, rows: c.rows().to_vec() }
}

impl Columns for Model {
    fn n_edges(&self) -> usize {
        self.n_edges
    }
    fn n_cols(&self) -> usize {
        self.cost.len()
    }
    fn rows(&self) -> &[RowMeta] {
        &self.rows
    }
    fn cost(&self, j: usize) -> f64 {
        self.cost[j]
    }
    fn quad(&self, j: usize) -> f64 {
        self.quad[j]
    }
    fn lower(&self, j: usize) -> f64 {
        self.lower[j]
    }
    fn upper(&self, j: usize) -> f64 {
        self.upper[j]
    }
    fn is_qp(&self) -> bool {
        Model::is_qp(self)
    }
    #[inline]
    fn for_each_entry(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        let (indptr, indices, data) = (self.matrix.indptr(), self.matrix.indices(), self.matrix.data());
        let range = indptr.outer_inds_sz(j);
        for (r, &a) in indices[range.clone()].iter().zip(&data[range]) {
            f(*r as usize, a);
        }
    }
    fn model(&self) -> std::borrow::Cow<'_, Model> {
        std::borrow::Cow::Borrowed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::RowKind;

    #[test]
    fn row_kinds_are_written_as_the_spec_type_strings() {
        for name in agora_instances::ConstraintKind::TYPE_NAMES {
            let kind: RowKind = serde_json::from_value(serde_json::Value::String(name.into())).unwrap();
            assert_eq!(kind.as_str(), name);
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
        }
        for kind in [RowKind::Supply, RowKind::Budget, RowKind::ItemCap] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.to_string());
        }
    }
}
