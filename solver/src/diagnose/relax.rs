//! The smallest relaxation: an elastic LP over the relaxable parameters, built from the row
//! meta's derivatives, then scaled to the exact boundary of feasibility by re-solves.
//!
//! A parameter `theta_p` moved by `t` in its loosening direction `sigma_p` (+1 when raising it
//! loosens, a cap; -1 when lowering does, a floor) moves each of its rows `a x <= b` to
//! `(a + sigma t da) x <= b + sigma t db`. With `da = 0` (supplies, budgets, caps, floors) that is
//! linear in `t`: the elastic LP adds one column `delta_p >= 0` per parameter with the entry
//! `-sigma db` on each of its rows (so a `<=` row gains room as `delta_p` grows) and minimises
//! `sum_p w_p delta_p / scale_p`. A share row (`da = -1` on its segment's edges) or a parity row
//! moves by `t (da . x)`, which depends on the plan: the LP uses `da . x` at a reference plan
//! (each segment's supply spread over its edges, then the elastic LP's own plan, twice), so its
//! answer is exact only up to that estimate. The answer is therefore scaled, as one vector, to the
//! boundary of feasibility by re-solves of the relaxed day: the reported relaxation makes the
//! day feasible, and 0.99 times it does not (feasibility only grows as parameters loosen).
//!
//! Weights and scales (docs/diagnose.md): every weight is 1; a share or tolerance's scale is one
//! percentage point (0.01), a quantity's (a floor, a cap, a budget, a supply) 1% of its value
//! (at least 0.01), so that relaxing a share by a point and a floor by 1% cost the same.
//! Supplies are physical limits and relaxed only when asked.

use std::collections::HashMap;

use agora_instances::{Instance, Param};

use super::columns::Extra;
use super::rules::{ElasticOptimum, Tests};
use super::ParamChange;
use crate::formulate::Formulation;
use crate::ir::{Columns, RowKind, RowMeta, Sense};
use crate::settings::{BackendChoice, ValidSettings};
use crate::status::{SolveError, Status};

/// How far inside the feasible side the reported relaxation sits, relative to its move.
const MARGIN: f64 = 1e-6;

/// A relaxation and the optimum of the relaxed day.
#[derive(Debug, Clone, PartialEq)]
pub struct Relaxation {
    /// The parameters changed, in the order of the day's rules.
    pub changes: Vec<ParamChange>,
    /// The relaxed day's optimum (`None` when its solve did not end optimal).
    pub objective: Option<f64>,
}

/// A relaxable parameter and its rows.
#[derive(Debug, Clone)]
struct Knob {
    param: Param,
    /// +1 when raising the parameter loosens its rows, -1 when lowering does.
    sigma: f64,
    rows: Vec<usize>,
    from: f64,
    scale: f64,
    /// How far it may move before leaving its valid range.
    max_delta: f64,
}

impl Knob {
    /// How far the parameter moves, signed, at `t` times its elastic move `delta` (within its
    /// valid range).
    fn step(&self, delta: f64, t: f64) -> f64 {
        self.sigma * (t * delta).min(self.max_delta)
    }
}

/// Share-like fields live in [0, 1]; their unit of change is a percentage point.
fn is_share(field: &str) -> bool {
    matches!(field, "max_share" | "min_share" | "tolerance")
}

fn knobs(inst: &Instance, rows: &[RowMeta], relax_physical: bool) -> Vec<Knob> {
    let campaign: HashMap<String, usize> = inst.campaigns.iter().enumerate().map(|(a, c)| (format!("budget[{}]", c.id), a)).collect();
    let item: HashMap<String, usize> = inst.items.iter().enumerate().map(|(i, it)| (format!("item_cap[{}]", it.id), i)).collect();
    let mut out: Vec<Knob> = Vec::new();
    let mut index: HashMap<Param, usize> = HashMap::new();
    for (r, meta) in rows.iter().enumerate() {
        let param = match (meta.kind, meta.constraint) {
            (RowKind::Supply, _) if relax_physical => meta.segment.map(Param::Supply),
            (RowKind::Budget, _) => campaign.get(&meta.name).map(|&a| Param::Budget(a)),
            (RowKind::ItemCap, _) => item.get(&meta.name).map(|&i| Param::ItemCap(i)),
            (_, Some(k)) if meta.slack.is_none() => Some(Param::Constraint(k, meta.parameter.0)),
            _ => None,
        };
        let Some(param) = param else { continue };
        let Some(raise) = param.loosens_when_raised(inst) else { continue };
        if let Some(&j) = index.get(&param) {
            out[j].rows.push(r);
            continue;
        }
        let from = param.get(inst);
        let field = meta.parameter.0;
        let sigma = if raise { 1.0 } else { -1.0 };
        let scale = if is_share(field) { 0.01 } else { 0.01 * from.abs().max(1.0) };
        let max_delta = match (is_share(field), raise) {
            // A tolerance stays below 1, a share at most 1; nothing goes below 0.
            (true, true) if field == "tolerance" => (1.0 - 1e-6 - from).max(0.0),
            (true, true) => (1.0 - from).max(0.0),
            (false, true) => agora_instances::limits::MAX_QUANTITY - from,
            (_, false) => from.max(0.0),
        };
        index.insert(param.clone(), out.len());
        out.push(Knob { param, sigma, rows: vec![r], from, scale, max_delta });
    }
    out
}

/// The reference plan the first elastic LP estimates `da . x` at: each segment's supply spread
/// evenly over its edges (within their caps).
fn spread_plan(inst: &Instance, tests: &impl Tests) -> Vec<f64> {
    let mut count = vec![0usize; inst.segments.len()];
    for e in &inst.edges {
        count[e.segment] += 1;
    }
    inst.edges.iter().enumerate().map(|(j, e)| (inst.segments[e.segment].supply / count[e.segment] as f64).min(tests.edge_upper(j))).collect()
}

/// The elastic LP's columns: one per knob, minimising the weighted sum of the knobs' moves; `x`
/// is the plan at which share and parity rows' `da . x` is estimated.
fn elastic_columns(rows: &[RowMeta], knobs: &[Knob], x: &[f64]) -> Vec<Extra> {
    let mut extra: Vec<Extra> = knobs
        .iter()
        .map(|k| {
            let mut entries: Vec<(u32, f64)> = Vec::new();
            for &r in &k.rows {
                let meta = &rows[r];
                let dax: f64 = meta.da.iter().map(|(j, v)| v * x.get(j).copied().unwrap_or(0.0)).sum();
                // Moving theta by sigma t moves the row's activity minus its bound by sigma t (da.x - db).
                let c = k.sigma * (dax - meta.db);
                // Only the loosening side counts: a `<=` row needs a negative entry, a `>=` row a positive one.
                let loosens = match meta.sense {
                    Sense::Le => c < 0.0,
                    Sense::Ge => c > 0.0,
                };
                if loosens && c.abs() > 1e-12 {
                    entries.push((r as u32, c));
                }
            }
            entries.sort_by_key(|&(r, _)| r);
            Extra { entries, cost: -1.0 / k.scale, upper: k.max_delta }
        })
        .collect();
    // The rows' duals at the optimum are the knobs' prices per unit of row they relax, from
    // 5e-8 up (a floor of 1.8e9 moved at 1% of it per unit): below the simplex's dual tolerance
    // (1e-7), where sifting's restricted LPs stopped 3% short of the smallest move (the 10^5-edge
    // day with its floor raised fiftyfold). The objective is scaled, the optimum unchanged, so
    // that the cheapest price is 1.
    let cheapest = (extra.iter())
        .filter_map(|c| {
            let size = c.entries.iter().map(|e| e.1.abs()).fold(0.0, f64::max);
            (size > 0.0).then(|| c.cost.abs() / size)
        })
        .fold(f64::INFINITY, f64::min);
    if cheapest.is_finite() && cheapest > 0.0 {
        extra.iter_mut().for_each(|c| c.cost /= cheapest);
    }
    extra
}

/// `inst` with every knob moved by `t` times its elastic move (within its range).
fn relaxed(inst: &Instance, knobs: &[Knob], delta: &[f64], t: f64) -> Instance {
    let mut out = inst.clone();
    for (k, &d) in knobs.iter().zip(delta) {
        if d > 0.0 {
            k.param.set(&mut out, k.from + k.step(d, t));
        }
    }
    out
}

/// Whether some knob with a non-zero move is on a row whose coefficients move with it.
fn moves_coefficients(rows: &[RowMeta], knobs: &[Knob], delta: &[f64]) -> bool {
    knobs.iter().zip(delta).any(|(k, &d)| d > 0.0 && k.rows.iter().any(|&r| !rows[r].da.is_empty()))
}

/// The smallest relaxation of `inst`'s relaxable parameters that makes it feasible, or `None`
/// when no change of them can.
///
/// `tests` are the day's feasibility tests (every rule switched back on here): when the
/// relaxation moves only right-hand sides (no share or parity parameter), its feasibility tests
/// are re-solves of them with moved right-hand sides instead of solves of the relaxed day.
pub fn smallest(inst: &Instance, relax_physical: bool, tests: &mut impl Tests) -> Result<Option<Boundary>, SolveError> {
    let knobs = knobs(inst, tests.day_rows(), relax_physical);
    if knobs.is_empty() {
        return Ok(None);
    }
    let mut x = spread_plan(inst, tests);
    let mut delta = vec![0.0; knobs.len()];
    // Two rounds: the second estimates share rows' da.x at the first round's plan (needed only
    // when the first moved a share or parity parameter).
    for round in 0..2 {
        if round == 1 && !moves_coefficients(tests.day_rows(), &knobs, &delta) {
            break;
        }
        let answer = tests.elastic(elastic_columns(tests.day_rows(), &knobs, &x))?;
        let Some(ElasticOptimum { plan, extra: moves }) = answer else {
            if round == 0 {
                return Ok(None);
            }
            break;
        };
        delta = moves.iter().map(|&d| if d > 1e-9 { d } else { 0.0 }).collect();
        x = plan;
    }
    for k in 0..tests.rules().len() {
        tests.set(k, true)?;
    }
    let hot = !moves_coefficients(tests.day_rows(), &knobs, &delta);
    let mut feasible = |t: f64| -> Result<bool, SolveError> {
        if !hot {
            return tests.feasible_day(&relaxed(inst, &knobs, &delta, t));
        }
        // Only right-hand sides move: the day's tests, with the rows moved.
        tests.reset_rhs()?;
        let mut moves: Vec<(usize, f64)> = Vec::new();
        for (k, &d) in knobs.iter().zip(&delta) {
            if d > 0.0 {
                let step = k.step(d, t);
                let rows = tests.day_rows();
                moves.extend(k.rows.iter().map(|&r| (r, rows[r].rhs + step * rows[r].db)));
            }
        }
        for (r, rhs) in moves {
            tests.set_rhs(r, rhs)?;
        }
        let f = tests.feasible();
        tests.reset_rhs()?;
        f
    };
    // The boundary along the elastic answer: the smallest t with the day feasible at t delta.
    // Start a hair inside the feasible side: exactly at the boundary a simplex run may end
    // without a verdict.
    let mut hi = 1.0 + MARGIN;
    // Each knob stops at the end of its range and the others go on, so the search may go as far
    // as the knob that ends last (the first to end once stopped it all: an elastic answer that
    // moved `explore.min_share` to 0 and missed the boundary by its estimate found no relaxation).
    let t_max = knobs.iter().zip(&delta).filter(|(_, &d)| d > 0.0).map(|(k, &d)| k.max_delta / d).fold(0.0, f64::max).max(1.0);
    while !feasible(hi)? {
        if hi >= t_max {
            return Ok(None);
        }
        hi = (hi * 2.0).min(t_max);
    }
    // The reported point sits a hair (1e-6 of the move) inside the feasible side, so that the
    // relaxed day solves with its objective too; 0.99 of it must still be infeasible.
    let mut lo = 0.0;
    let mut t = hi * (1.0 + MARGIN);
    while feasible(0.99 * t)? {
        hi = 0.99 * t;
        while lo < 0.995 * hi {
            let mid = 0.5 * (lo + hi);
            if feasible(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        t = hi * (1.0 + MARGIN);
    }
    let moves = knobs.into_iter().zip(delta).filter(|(_, d)| *d > 0.0).map(|(knob, delta)| Move { knob, delta }).collect();
    // The last feasible test was at most this relaxed: its plan is feasible at `t`.
    Ok(Some(Boundary { moves, t, plan: tests.feasible_plan() }))
}

/// A knob and its move in the elastic answer.
#[derive(Debug, Clone)]
struct Move {
    knob: Knob,
    delta: f64,
}

/// The smallest relaxation found, at the boundary of feasibility: the knobs' moves and how far
/// along them (`t`); [`solve_relaxed`] solves the relaxed day.
#[derive(Debug, Clone)]
pub struct Boundary {
    moves: Vec<Move>,
    t: f64,
    /// A plan of the relaxed day, when the tests kept one: (edge, impressions) of its positive
    /// edges.
    plan: Option<Vec<(u32, f64)>>,
}

impl Boundary {
    /// Sets every knob of `inst` `t` times along its move (within its range).
    fn set(&self, inst: &mut Instance, t: f64) {
        for m in &self.moves {
            m.knob.param.set(inst, m.knob.from + m.knob.step(m.delta, t));
        }
    }
}

/// The relaxed day's optimum: `inst` is relaxed in place, solved (sifting over generated columns
/// where the settings sift: no copy of a 10^7-edge day), and put back as it was.
pub fn solve_relaxed(inst: &mut Instance, boundary: &Boundary, settings: &ValidSettings) -> Result<Relaxation, SolveError> {
    let mut t = boundary.t;
    boundary.set(inst, t);
    let solve = |inst: &Instance| {
        let f = Formulation::new(inst);
        match &boundary.plan {
            // Sifting starts from a plan the feasibility tests found: its first working set
            // serves every floor, with no artificial to price out.
            Some(plan) if settings.backend.resolve_for(&f) == BackendChoice::FirstOrder => {
                let mut x = vec![0.0; f.n_cols()];
                plan.iter().for_each(|&(e, v)| x[e as usize] = v);
                let warm = crate::WarmStart { x: Some(x), y: None, basis: None };
                crate::solve_model_warm(inst, &f, &crate::first_order_settings(settings), Some(&warm))
            }
            _ => crate::solve_model(inst, &f, settings),
        }
    };
    let mut sol = solve(inst);
    // At the boundary a full solve may still read the day as infeasible by its tolerances: step
    // a little further in (1e-4 of the move at most, thrice).
    for _ in 0..3 {
        if !matches!(&sol, Ok(s) if s.status != Status::Optimal) {
            break;
        }
        t *= 1.0 + 1e-4;
        boundary.set(inst, t);
        sol = solve(inst);
    }
    let changes = boundary.moves.iter().map(|m| ParamChange { param: m.knob.param.name(inst), from: m.knob.from, to: m.knob.param.get(inst) }).collect();
    // Each knob's `from` is its value in the day.
    boundary.moves.iter().for_each(|m| m.knob.param.set(inst, m.knob.from));
    let sol = sol?;
    Ok(Relaxation { changes, objective: (sol.status == Status::Optimal).then_some(sol.objective) })
}
