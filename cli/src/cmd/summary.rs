//! The planner-readable summary that `agora solve` prints.

use std::fmt::Write;

use agora_instances::{ConstraintKind, Instance};
use agora_solver::{PacingEntry, RowReport, Solution, SolutionFile};

/// What one unit of a row's parameter is, in words.
fn unit_of(inst: &Instance, row: &RowReport) -> &'static str {
    match (row.parameter.0, row.constraint.map(|k| &inst.constraints[k].kind)) {
        ("supply", _) => "impression of supply",
        ("budget", _) => "currency unit of budget",
        ("cap", _) => "impression of item cap",
        ("min", Some(ConstraintKind::RevenueFloor { .. })) => "currency unit of revenue floor",
        ("min", _) => "impression of floor",
        ("max", _) => "impression of cap",
        ("max_share", _) => "percentage point of max_share",
        ("min_share", _) => "percentage point of min_share",
        ("tolerance", _) => "percentage point of tolerance",
        _ => "unit",
    }
}

/// Shadow price per unit as printed: share and tolerance parameters are quoted per percentage
/// point (the derivative divided by 100), the rest per unit.
fn per_unit(row: &RowReport) -> f64 {
    match row.parameter.0 {
        "max_share" | "min_share" | "tolerance" => row.shadow_price / 100.0,
        _ => row.shadow_price,
    }
}

fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1e6 || x.abs() < 1e-3 {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

/// Renders the summary; `top` bounds the number of binding rows listed.
pub fn render(inst: &Instance, day_edges: usize, sol: &Solution, file: &SolutionFile, top: usize) -> String {
    let pacing = &file.pacing[..];
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "instance   {}  ({})", inst.name, inst.shape_with_edges(day_edges));
    let _ =
        writeln!(w, "status     {}  (backend {}, {} iterations, {:.3} s)", sol.status.as_str().to_uppercase(), sol.backend, sol.iterations, sol.solve_seconds);
    if let Some(m) = &sol.message {
        let _ = writeln!(w, "message    {m}");
    }
    if !sol.status.is_optimal() {
        return out;
    }
    if let Some(c) = &sol.certificate {
        let _ = writeln!(w, "check      primal residual {:.1e}, dual residual {:.1e}, gap {:.1e}", c.primal_residual, c.dual_residual, c.gap);
    }
    let t = sol.terms;
    let _ = writeln!(w, "\nobjective  {}", num(sol.objective));
    for (name, v) in [
        ("engagement", t.engagement),
        ("quality", t.quality),
        ("revenue", t.revenue),
        ("integrity_risk", t.integrity_risk),
        ("regularization", t.regularization),
        ("penalties", t.penalties),
    ] {
        if v != 0.0 {
            let _ = writeln!(w, "  {name:<16} {:>14}", num(v));
        }
    }
    let served: f64 = file.plan.iter().map(|p| p.impressions).sum();
    let supply: f64 = inst.segments.iter().map(|s| s.supply).sum();
    let _ = writeln!(w, "  impressions served {} of {} supply ({:.1}%)", num(served), num(supply), 100.0 * served / supply.max(1e-300));

    // Interior-point duals of slack rows are tiny but not 0: binding means at the bound with a
    // dual that matters.
    let mut binding: Vec<&RowReport> = sol.rows.iter().filter(|r| (r.is_binding(1e-6) && r.dual.abs() > 1e-9) || r.violation > 0.0).collect();
    binding.sort_by(|a, b| b.shadow_price.abs().total_cmp(&a.shadow_price.abs()));
    let _ = writeln!(w, "\nbinding rules ({} of {} rows), by |shadow price|; the objective changes by this much per unit:", binding.len(), sol.rows.len());
    for r in binding.iter().take(top) {
        let soft = if r.violation > 0.0 { format!("  [soft: violated by {}]", num(r.violation)) } else { String::new() };
        let _ = writeln!(w, "  {:<40} {:>+14} per {}{soft}", r.name, num(per_unit(r)), unit_of(inst, r));
    }
    if binding.len() > top {
        let _ = writeln!(w, "  ... and {} more (see --out FILE)", binding.len() - top);
    }
    let paced: Vec<&PacingEntry> = pacing.iter().filter(|p| p.multiplier < 1.0).collect();
    let _ = writeln!(w, "\ncampaigns  {} of {} paced (budget binding)", paced.len(), pacing.len());
    for p in paced.iter().take(top) {
        let _ =
            writeln!(w, "  {:<24} multiplier {:.4}  spend {} of {}  budget dual {}", p.campaign, p.multiplier, num(p.spend), num(p.budget), num(p.budget_dual));
    }
    out
}
