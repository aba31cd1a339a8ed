//! The Clarabel backend: interior point for the LP and the QP. Clarabel has no variable bounds,
//! so bounds become rows; its duals `z` are mapped back to the model's rows.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, SupportedConeT};

use crate::backend::{empty_result, Backend, BackendResult};
use crate::ir::{Model, Sense};
use crate::settings::Settings;
use crate::status::{SolveError, Status};

/// Clarabel: `min 1/2 x'Px + q'x  s.t.  Ax + s = b, s >= 0`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clarabel;

const NAME: &str = "clarabel";

/// Maps Clarabel's status without loss: "almost" outcomes are not optimal (the result keeps
/// Clarabel's own words and residuals in `detail`).
pub(crate) fn map_status(s: SolverStatus) -> Status {
    match s {
        SolverStatus::Solved => Status::Optimal,
        SolverStatus::PrimalInfeasible => Status::Infeasible,
        SolverStatus::DualInfeasible => Status::Unbounded,
        SolverStatus::MaxIterations => Status::IterationLimit,
        SolverStatus::MaxTime => Status::TimeLimit,
        _ => Status::NumericalError,
    }
}

impl Backend for Clarabel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn solve(&self, model: &Model, settings: &Settings) -> Result<BackendResult, SolveError> {
        if model.n_cols() == 0 {
            return Ok(empty_result(model));
        }
        let (n, m) = (model.n_cols(), model.n_rows());
        // Rows: the model's rows (>= rows negated), then x_j >= l_j as -x_j <= -l_j, then
        // x_j <= u_j for finite u_j.
        let upper_cols: Vec<usize> = (0..n).filter(|&j| model.upper[j].is_finite()).collect();
        let n_rows = m + n + upper_cols.len();
        let mut upper_row = vec![usize::MAX; n];
        for (k, &j) in upper_cols.iter().enumerate() {
            upper_row[j] = m + n + k;
        }
        let mut colptr = Vec::with_capacity(n + 1);
        let mut rowval = Vec::with_capacity(model.matrix.nnz() + n + upper_cols.len());
        let mut nzval = Vec::with_capacity(rowval.capacity());
        colptr.push(0);
        for (j, col) in model.matrix.outer_iterator().enumerate() {
            for (r, &a) in col.iter() {
                rowval.push(r);
                nzval.push(if model.rows[r].sense == Sense::Le { a } else { -a });
            }
            rowval.push(m + j);
            nzval.push(-1.0);
            if upper_row[j] != usize::MAX {
                rowval.push(upper_row[j]);
                nzval.push(1.0);
            }
            colptr.push(rowval.len());
        }
        let a = CscMatrix::new(n_rows, n, colptr, rowval, nzval);
        let mut b: Vec<f64> = model.rows.iter().map(|r| if r.sense == Sense::Le { r.rhs } else { -r.rhs }).collect();
        b.extend(model.lower.iter().map(|l| -l));
        b.extend(upper_cols.iter().map(|&j| model.upper[j]));

        let mut pcol = Vec::with_capacity(n + 1);
        let mut prow = Vec::new();
        let mut pval = Vec::new();
        pcol.push(0);
        for (j, &q) in model.quad.iter().enumerate() {
            if q != 0.0 {
                prow.push(j);
                pval.push(q);
            }
            pcol.push(prow.len());
        }
        let p = CscMatrix::new(n, n, pcol, prow, pval);
        let q: Vec<f64> = model.cost.iter().map(|c| -c).collect();
        let cones = [NonnegativeConeT(n_rows)];

        let mut builder = DefaultSettingsBuilder::default();
        builder
            .verbose(settings.verbose)
            .tol_feas(settings.primal_tolerance * 0.01)
            .tol_gap_abs(settings.dual_tolerance * 0.01)
            .tol_gap_rel(settings.dual_tolerance * 0.01)
            .max_threads(settings.threads as u32);
        if let Some(t) = settings.time_limit {
            builder.time_limit(t);
        }
        if let Some(k) = settings.iteration_limit {
            builder.max_iter(k.min(u32::MAX as u64) as u32);
        }
        let cs = builder.build().map_err(|e| SolveError::Settings(format!("Clarabel: {e}")))?;
        let cones: &[SupportedConeT<f64>] = &cones;
        let mut solver = DefaultSolver::new(&p, &q, &a, &b, cones, cs)
            .map_err(|e| SolveError::Backend { backend: NAME, reason: format!("Clarabel rejected the model: {e:?}") })?;
        solver.solve();
        let sol = &solver.solution;
        let status = map_status(sol.status);
        let row_duals = model.rows.iter().zip(&sol.z).map(|(r, &z)| if r.sense == Sense::Le { z } else { -z }).collect();
        let detail = (sol.status != SolverStatus::Solved).then(|| {
            format!("Clarabel status {:?} (primal residual {:.2e}, dual residual {:.2e}, objective {:.6e} vs dual {:.6e})", sol.status, sol.r_prim, sol.r_dual, -sol.obj_val, -sol.obj_val_dual)
        });
        let x = sol.x.clone();
        let objective = model.objective(&x);
        Ok(BackendResult { status, x, row_duals, objective, iterations: sol.iterations as u64, detail })
    }
}
