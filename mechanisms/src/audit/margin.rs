//! Where the day's plan can move: each creator's exposure and margin, from the optimal plan and
//! its duals, and the trials drawn from the creators at it.
//!
//! An LP's plan is sparse: most creators get nothing, and nothing a trial does to them small
//! enough to stay realistic changes that. The audit therefore draws its creators from three
//! classes ([`Class`]), in turn, so that each is covered:
//!
//! - `exposed`: the creator has impressions in the plan;
//! - `margin_edge`: it has none, but one of its edges is within [`Margins::band`] of entering:
//!   its reduced cost `d_e = c_e - sum_r y_r a_re` (objective units per impression, `<= 0` off
//!   the plan) is at least `-band`;
//! - `margin_row`: it has none and is further out, but a binding floor, cap or parity row's price
//!   alone holds one of its edges out: without that row's term `y_r a_re` the edge would be within
//!   the band.
//!
//! The rest (`far`) are not drawn. The band is a tenth of the mean objective value of an
//! organic impression (`c_e` over organic edges).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use agora_instances::Instance;
use agora_solver::{Columns, Model, RowKind, Solution};

/// A creator's place relative to the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Impressions in the plan.
    Exposed,
    /// None, but an edge within the band of entering.
    MarginEdge,
    /// None, but a binding floor, cap or parity row's price holds an edge out.
    MarginRow,
    /// None, and nothing near.
    Far,
}

impl Class {
    /// The class as written in files: `exposed`, `margin_edge`, `margin_row`, `far`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Exposed => "exposed",
            Class::MarginEdge => "margin_edge",
            Class::MarginRow => "margin_row",
            Class::Far => "far",
        }
    }

    /// The classes trials are drawn from, in drawing order.
    pub const DRAWN: [Class; 3] = [Class::Exposed, Class::MarginEdge, Class::MarginRow];
}

/// The day's plan seen from its creators.
#[derive(Debug, Clone)]
pub struct Margins {
    /// Impressions per creator in the plan.
    pub exposure: Vec<f64>,
    /// Reduced cost per edge at the plan's duals (objective units per impression).
    pub reduced: Vec<f64>,
    /// Per creator: the smallest `-d_e` over its edges off the plan that can still grow (not at a
    /// cap): how much more an impression of it must be worth to enter. Infinite without one.
    pub gap: Vec<f64>,
    /// Per creator, its class.
    pub class: Vec<Class>,
    /// Per creator of class `margin_row`, the name of the row that holds it out.
    pub held_by: Vec<Option<String>>,
    /// The band, objective units per impression.
    pub band: f64,
}

/// Whether a row is a floor, cap or parity row (what `margin_row` looks for).
fn is_rule_row(kind: RowKind) -> bool {
    matches!(
        kind,
        RowKind::ExposureFloor
            | RowKind::ExposureCap
            | RowKind::ItemCap
            | RowKind::TopicCap
            | RowKind::FreshnessFloor
            | RowKind::IntegrityCap
            | RowKind::ExplorationFloor
            | RowKind::ExposureParity
    )
}

impl Margins {
    /// The margins of `base`, an optimal solution of `inst` whose model is `model`.
    pub fn of(inst: &Instance, model: &Model, base: &Solution) -> Margins {
        let y: Vec<f64> = base.rows.iter().map(|r| r.dual).collect();
        let n_creators = inst.creators.len();
        let exposure = agora_instances::metrics::creator_exposure(inst, &base.impressions);
        let duals = model.duals(&y);
        let reduced: Vec<f64> = (0..inst.edges.len()).map(|e| model.cost(e) - model.dual_terms(e, &duals).0).collect();
        let organic: Vec<usize> = (0..inst.edges.len()).filter(|&e| inst.items[inst.edges[e].item].creator().is_some()).collect();
        let mean = organic.iter().map(|&e| model.cost(e)).sum::<f64>() / organic.len().max(1) as f64;
        let mean_abs = organic.iter().map(|&e| model.cost(e).abs()).sum::<f64>() / organic.len().max(1) as f64;
        let band = 0.1 * if mean > 0.0 { mean } else { mean_abs.max(1e-9) };
        let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
        let served = |c: usize| exposure[c] > 1e-9 * supply.max(1.0);
        let mut gap = vec![f64::INFINITY; n_creators];
        let mut held: Vec<Option<(f64, usize)>> = vec![None; n_creators];
        for &e in &organic {
            let c = inst.items[inst.edges[e].item].creator().expect("organic");
            let at_cap = inst.edges[e].cap.is_some_and(|cap| base.impressions[e] >= cap);
            if base.impressions[e] > 0.0 || at_cap {
                continue;
            }
            let g = (-reduced[e]).max(0.0);
            gap[c] = gap[c].min(g);
            // The binding rule row whose price alone keeps the edge out beyond the band.
            model.for_each_entry(e, |r, a| {
                let charge = y[r] * a;
                if charge > 0.0 && is_rule_row(model.rows[r].kind) && g - charge <= band && held[c].is_none_or(|(best, _)| charge > best) {
                    held[c] = Some((charge, r));
                }
            });
        }
        let class = (0..n_creators)
            .map(|c| {
                if served(c) {
                    Class::Exposed
                } else if gap[c] <= band {
                    Class::MarginEdge
                } else if held[c].is_some() {
                    Class::MarginRow
                } else {
                    Class::Far
                }
            })
            .collect::<Vec<_>>();
        let held_by = (0..n_creators).map(|c| (class[c] == Class::MarginRow).then(|| model.rows[held[c].expect("held").1].name.clone())).collect();
        Margins { exposure, reduced, gap, class, held_by, band }
    }

    /// How many creators are in each class, in [`Class::DRAWN`] order then `far`.
    pub fn counts(&self) -> [(Class, usize); 4] {
        let n = |k: Class| self.class.iter().filter(|&&c| c == k).count();
        [(Class::Exposed, n(Class::Exposed)), (Class::MarginEdge, n(Class::MarginEdge)), (Class::MarginRow, n(Class::MarginRow)), (Class::Far, n(Class::Far))]
    }

    /// The engagement raises a monotonicity trial of creator `c` tries, in order, when the
    /// objective weighs engagement by `w` (> 0): first the raise that carries its nearest edge
    /// across the margin, `(1.05 gap + band / 100) / w` (the band over `w` for a creator with no
    /// edge off the plan), then four, sixteen and sixty-four times that, for a plan whose duals
    /// move with the raise.
    pub fn raises(&self, c: usize, w: f64) -> [f64; 4] {
        let first = if self.gap[c].is_finite() { (1.05 * self.gap[c] + 0.01 * self.band) / w } else { self.band / w };
        [first, 4.0 * first, 16.0 * first, 64.0 * first]
    }
}

/// Up to `n` of `pool` (creators), drawn without repetition class by class in turn (each class
/// shuffled by `rng`), the `first` ones ahead of their class; with `far`, the `far` class after
/// the others (shuffled too).
pub fn draw(pool: &[usize], margins: &Margins, first: &[usize], n: usize, far: bool, rng: &mut StdRng) -> Vec<usize> {
    let mut classes: Vec<Vec<usize>> = Class::DRAWN
        .iter()
        .map(|&k| {
            let mut v: Vec<usize> = pool.iter().copied().filter(|&c| margins.class[c] == k && !first.contains(&c)).collect();
            v.shuffle(rng);
            let mut front: Vec<usize> = first.iter().copied().filter(|&c| pool.contains(&c) && margins.class[c] == k).collect();
            front.append(&mut v);
            front.reverse();
            front
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n && classes.iter().any(|v| !v.is_empty()) {
        for v in classes.iter_mut() {
            if out.len() < n {
                if let Some(c) = v.pop() {
                    out.push(c);
                }
            }
        }
    }
    if far {
        let mut rest: Vec<usize> = pool.iter().copied().filter(|&c| margins.class[c] == Class::Far).collect();
        rest.shuffle(rng);
        out.extend(rest.into_iter().take(n - out.len()));
    }
    out
}
