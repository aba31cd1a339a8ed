//! The formulation (`Formulation`, whose columns are generated per edge, and `formulate`, which
//! writes them into the model IR) against a reference written the other way round: row by row,
//! straight from spec section 3, as agora formulated days before columns were generated. Every
//! row's meta, every column's cost, bounds and entries must agree exactly, on the example day,
//! generated days of every preset size, days with every constraint type (exploration floors,
//! parity, exposure rules, soft rows), the real MovieLens day when fetched, and random days; and
//! a day solved over its generated columns answers as over the stored matrix, to the bit.

use std::collections::BTreeMap;
use std::sync::Arc;

use agora_instances::{generate, Constraint, ConstraintKind, Instance, ItemKind, SegmentSelector, Size};
use agora_solver::{
    formulate, solve, solve_model, BackendChoice, Columns, FirstOrderMethod, Formulation, Matrix, Model, ParamVec, RowKind, RowMeta, Sense, Settings,
    SparseVec, Status,
};
use proptest::prelude::*;

/// Asserts that two models are the same model: rows (their parameter vectors as entry lists),
/// columns and entries, bit for bit.
fn assert_same(got: &Model, want: &Model, what: &str) {
    assert_eq!(got.n_edges, want.n_edges, "{what}: edges");
    assert_eq!(got.rows.len(), want.rows.len(), "{what}: rows");
    for (g, w) in got.rows.iter().zip(&want.rows) {
        let strip = |m: &RowMeta| RowMeta { da: ParamVec::default(), dquad: ParamVec::default(), ..m.clone() };
        assert_eq!(strip(g), strip(w), "{what}: row {}", w.name);
        assert_eq!(g.da.iter().collect::<Vec<_>>(), w.da.iter().collect::<Vec<_>>(), "{what}: da of {}", w.name);
        assert_eq!(g.dquad.iter().collect::<Vec<_>>(), w.dquad.iter().collect::<Vec<_>>(), "{what}: dquad of {}", w.name);
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got.cost), bits(&want.cost), "{what}: costs");
    assert_eq!(bits(&got.quad), bits(&want.quad), "{what}: quadratic terms");
    assert_eq!(bits(&got.lower), bits(&want.lower), "{what}: lower bounds");
    assert_eq!(bits(&got.upper), bits(&want.upper), "{what}: upper bounds");
    assert_eq!(got.matrix.shape(), want.matrix.shape(), "{what}: matrix shape");
    assert_eq!(got.matrix.indptr().raw_storage(), want.matrix.indptr().raw_storage(), "{what}: column pointers");
    assert_eq!(got.matrix.indices(), want.matrix.indices(), "{what}: row indices");
    assert_eq!(bits(got.matrix.data()), bits(want.matrix.data()), "{what}: values");
}

/// The formulation against the reference, and the generated columns' own accessors against
/// the materialised model's.
fn check(inst: &Instance, what: &str) {
    let want = reference_formulate(inst);
    let day = Formulation::new(inst);
    let got = formulate(inst);
    assert_same(&got, &want, what);
    assert_eq!(Columns::is_qp(&day), want.is_qp(), "{what}: is_qp");
    for j in 0..want.n_cols() {
        let mut entries = Vec::new();
        day.for_each_entry(j, |r, a| entries.push((r, a)));
        let mut stored = Vec::new();
        want.for_each_entry(j, |r, a| stored.push((r, a)));
        assert_eq!(entries, stored, "{what}: column {j}");
        assert_eq!(day.supply_row(j), Columns::supply_row(&want, j), "{what}: supply row of column {j}");
    }
    same_dual_terms(&day, what);
}

/// A formulation's dual terms (a share block's rows read at once from the segment's sums)
/// against the same terms summed entry by entry, at duals of both signs and many sizes, with
/// zeros among them.
fn same_dual_terms(day: &Formulation, what: &str) {
    for k in 0..3u64 {
        let y: Vec<f64> = (0..day.n_rows() as u64)
            .map(|r| {
                let h = (r * 2_654_435_761 + k * 40_503) % 1009;
                if h % 5 == 0 {
                    0.0
                } else {
                    (h as f64 - 504.0) * 1e-3 * 10f64.powi((h % 7) as i32 - 3)
                }
            })
            .collect();
        let duals = day.duals(&y);
        for j in 0..day.n_cols() {
            let (aty, mag) = day.dual_terms(j, &duals);
            let (aty_entries, mag_entries) = day.dual_terms_by_entry(j, &y);
            let tol = 1e-12 * (1.0 + mag_entries);
            assert!(
                (aty - aty_entries).abs() <= tol && (mag - mag_entries).abs() <= tol,
                "{what}: column {j}: dual terms ({aty}, {mag}), entry by entry ({aty_entries}, {mag_entries})"
            );
        }
    }
}

#[test]
fn share_rows_at_the_edges_of_their_range_read_as_their_entries() {
    // Shares of 0 and 1 drop a block's off-pick or on-pick coefficients (below 1e-12); a share
    // of 1e-13 is dropped too, 1e-11 kept.
    for share in [0.0, 1e-13, 1e-11, 0.5, 1.0 - 1e-13, 1.0] {
        let mut day = with_every_type(generate(Size::Tiny, 3));
        for (name, kind) in [
            ("topics", ConstraintKind::TopicCap { segments: SegmentSelector::All, max_share: share }),
            ("ads", ConstraintKind::AdLoad { segments: SegmentSelector::All, max_share: share }),
            ("explore_all", ConstraintKind::ExplorationFloor { segments: SegmentSelector::All, min_share: share, max_n: 3 }),
        ] {
            day.constraints.push(Constraint { name: name.into(), penalty: Some(1.0), kind });
        }
        check(&day, &format!("tiny seed 3, shares {share}"));
    }
}

/// `inst` with one constraint of every type the generator leaves out or rarely writes: an
/// exploration floor over two segments (every edge is unproven on a generated day), soft and
/// hard exposure rules, a soft share row, a parity constraint over the day's creator groups.
fn with_every_type(inst: Instance) -> Instance {
    agora_instances::with_every_rule_kind(inst)
}

#[test]
fn the_example_day_formulates_as_the_reference_does() {
    let day = agora_instances::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance;
    check(&day, "example day");
    check(&with_every_type(day), "example day with every constraint type");
}

#[test]
fn generated_days_of_every_preset_formulate_as_the_reference_does() {
    for (size, seeds) in [(Size::Tiny, 0..6u64), (Size::Small, 0..3), (Size::Medium, 0..1)] {
        for seed in seeds {
            let day = generate(size, seed);
            check(&day, &format!("{size:?} seed {seed}"));
            check(&with_every_type(day), &format!("{size:?} seed {seed} with every constraint type"));
        }
    }
    let mut ridge = generate(Size::Small, 7);
    ridge.objective.regularization = 0.5;
    check(&ridge, "small seed 7 with a ridge");
}

#[test]
fn the_movielens_day_formulates_as_the_reference_does() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ml-100k");
    if !std::path::Path::new(path).exists() {
        eprintln!("skipped: scripts/fetch-data.sh fetches MovieLens-100k");
        return;
    }
    let day = agora_instances::import::movielens::import(std::path::Path::new(path)).unwrap();
    check(&day, "MovieLens-100k");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_days_formulate_as_the_reference_does(seed in 0u64..1_000_000, rho in prop_oneof![Just(0.0), 0.01f64..5.0], every_type: bool) {
        let mut day = generate(Size::Tiny, seed);
        day.objective.regularization = rho;
        let day = if every_type { with_every_type(day) } else { day };
        check(&day, &format!("tiny seed {seed}"));
    }
}

/// Solves `inst` twice with `settings`: over its generated columns (`solve`, what `agora solve`
/// does) and over the stored matrix (`solve_model` of `formulate`); the answers must be the same
/// to the bit: plan, objective, every row's activity, dual and shadow price.
fn same_answer_both_ways(inst: &Instance, settings: &Settings, what: &str) {
    let generated = solve(inst, settings).unwrap();
    let stored = solve_model(inst, &formulate(inst), settings).unwrap();
    assert_eq!(generated.status, Status::Optimal, "{what}: {:?}", generated.message);
    assert_eq!(generated.status, stored.status, "{what}");
    assert_eq!(generated.objective.to_bits(), stored.objective.to_bits(), "{what}: objective");
    assert_eq!(generated.impressions, stored.impressions, "{what}: plan");
    assert_eq!(generated.rows.len(), stored.rows.len(), "{what}: rows");
    for (g, s) in generated.rows.iter().zip(&stored.rows) {
        assert_eq!(
            (g.activity.to_bits(), g.dual.to_bits(), g.shadow_price.to_bits()),
            (s.activity.to_bits(), s.dual.to_bits(), s.shadow_price.to_bits()),
            "{what}: row {}",
            s.name
        );
    }
    // The certificate's dual side reads a generated day's share rows from their sums
    // (`Columns::dual_terms`), the stored matrix entry by entry: the same residuals to rounding.
    let (g, s) = (generated.certificate.as_ref().expect("an optimum's certificate"), stored.certificate.as_ref().expect("an optimum's certificate"));
    assert_eq!(g.primal_residual.to_bits(), s.primal_residual.to_bits(), "{what}: primal residual");
    assert!((g.dual_residual - s.dual_residual).abs() <= 1e-14, "{what}: dual residuals {} and {}", g.dual_residual, s.dual_residual);
    assert!((g.gap - s.gap).abs() <= 1e-14, "{what}: gaps {} and {}", g.gap, s.gap);
    assert_eq!(g.worst_row, s.worst_row, "{what}: worst row");
    assert_eq!(generated.pacing, stored.pacing, "{what}: pacing");
}

#[test]
fn pdhg_over_generated_columns_answers_as_over_the_stored_matrix() {
    let pdhg = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Pdhg, ..Settings::default() };
    for (seed, rho) in [(3, 0.0), (5, 0.5)] {
        let mut day = generate(Size::Small, seed);
        day.objective.regularization = rho;
        same_answer_both_ways(&day, &pdhg, &format!("small seed {seed} rho {rho}, PDHG"));
    }
}

#[test]
fn sifting_over_generated_columns_answers_as_over_the_stored_matrix() {
    let sifting = Settings { backend: BackendChoice::FirstOrder, first_order_method: FirstOrderMethod::Sifting, ..Settings::default() };
    for (size, seed, rho) in [(Size::Small, 3, 0.0), (Size::Medium, 1, 0.0), (Size::Small, 5, 0.5)] {
        let mut day = generate(size, seed);
        day.objective.regularization = rho;
        same_answer_both_ways(&day, &sifting, &format!("{size:?} seed {seed} rho {rho}, sifting"));
        if size == Size::Small {
            // (An exploration floor on a generated day explores every edge of its segments: a
            // medium day's would be millions of entries.)
            same_answer_both_ways(&with_every_type(day), &sifting, &format!("{size:?} seed {seed} rho {rho} with every type, sifting"));
        }
    }
}

// ---- the reference: the row-wise formulation agora used before its columns were generated ----

pub fn reference_formulate(inst: &Instance) -> Model {
    // The rows are generated twice: once to count each column's entries and keep the rows' meta,
    // once to place the entries. Keeping every row's entries between the two (as a row-major
    // copy) would double the formulation's peak: 2.6 GB more on the 10^7-edge day.
    let mut seg_edges = vec![Vec::new(); inst.segments.len()];
    for (e, edge) in inst.edges.iter().enumerate() {
        seg_edges[edge.segment].push(e as u32);
    }
    let seg_edges: Vec<Arc<[u32]>> = seg_edges.into_iter().map(Arc::from).collect();
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
    seg_edges: Vec<Arc<[u32]>>,
    pass: Pass,
    n_slacks: usize,
}

impl<'a> Builder<'a> {
    fn new(inst: &'a Instance, seg_edges: Vec<Arc<[u32]>>, pass: Pass) -> Self {
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
            let coefs: SparseVec = self.seg_edges[s].iter().map(|&e| (e as usize, 1.0)).collect();
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
        let coefs: SparseVec = edges.iter().map(|&e| e as usize).map(|e| (e, pick(e) - share)).filter(|&(_, v)| v.abs() > 1e-12).collect();
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
                        let t = topic_of[inst.edges[e as usize].item];
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
        cost.push(agora_solver::edge_value(inst, e));
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

#[test]
fn a_run_of_exposure_rules_formulates_as_the_reference_does() {
    // Eight or more consecutive exposure rules are indexed by item (an experiment's joint day
    // caps every capped edge with one): floors and caps on ids, topics, groups and segments, in
    // a run among other rules, and a run of one-item caps at the end.
    let mut day = with_every_type(generate(Size::Small, 2));
    let seg = |k: usize| day.segments[k % day.segments.len()].id.clone();
    let item = |k: usize| day.items[(k * 37) % day.items.len()].id.clone();
    let topic = day.items[0].topic.clone();
    let mut rules = Vec::new();
    for k in 0..12 {
        let (items, segments) = match k % 4 {
            0 => (agora_instances::ItemSelector::Ids(vec![item(k), item(k + 1)]), SegmentSelector::All),
            1 => (agora_instances::ItemSelector::Topic(topic.clone()), SegmentSelector::Ids(vec![seg(k)])),
            2 => (agora_instances::ItemSelector::Ids(vec![item(k)]), SegmentSelector::Ids(vec![seg(k), seg(k + 3)])),
            _ => (agora_instances::ItemSelector::CreatorGroup("new".into()), SegmentSelector::Ids(vec![seg(k)])),
        };
        let kind =
            if k % 3 == 0 { ConstraintKind::ExposureFloor { items, segments, min: 1.0 } } else { ConstraintKind::ExposureCap { items, segments, max: 1e9 } };
        rules.push(Constraint { name: format!("exposure-{k}"), penalty: (k % 2 == 0).then_some(0.5), kind });
    }
    let at = day.constraints.len() / 2;
    day.constraints.splice(at..at, rules.iter().cloned());
    check(&day, "small seed 2 with a run of exposure rules inside");
    day.constraints.extend(rules.into_iter().map(|r| Constraint { name: format!("{}-end", r.name), ..r }));
    check(&day, "small seed 2 with runs of exposure rules inside and at the end");
}
