//! `agora solve`: solve a day, print a planner's summary, write `agora.solution/v1`.

use std::path::PathBuf;

use agora_solver::memory::MemoryPath;
use agora_solver::{BackendChoice, FirstOrderMethod};

use agora_instances::output::Gate;

use super::{err, load_validated, positive_seconds, settings_from, summary, usage, warm, write_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora solve instances/example-day.json --out solution.json\n  agora solve day2.json --backend first-order --warm-start day1-solution.json\n\nExit status: 0 optimal, 1 error, 2 usage, 3 not optimal (infeasible, time limit, ...).";

/// Arguments of `agora solve`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.instance/v1 file.
    instance: PathBuf,
    /// Where to write the solution file (written atomically).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Backend: highs, clarabel, auto or first-order.
    #[arg(long)]
    backend: Option<BackendChoice>,
    /// The first-order backend's method: auto (sifting), sifting or pdhg; implies
    /// --backend first-order (docs/backends.md).
    #[arg(long)]
    method: Option<FirstOrderMethod>,
    /// Wall-clock limit in seconds (positive).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    time_limit: Option<f64>,
    /// A JSON settings file (docs/settings.md); command-line flags override it.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// How many binding rules and paced campaigns to list.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Start the first-order backend from an earlier agora.solution/v1 file (its plan and
    /// duals); implies --backend first-order.
    #[arg(long, value_name = "SOLUTION")]
    warm_start: Option<PathBuf>,
    /// Print the backend's log and agora's own (sifting rounds, PDHG restarts) to standard error.
    #[arg(long)]
    verbose: bool,
    /// Print the wall time of each phase (load and validate, formulate, solve, outputs, write)
    /// to standard error, as one `timings:` line (benches/whole_process.sh reads it); with
    /// --distributed, also every process's peak memory and the bytes sent per pricing round.
    #[arg(long)]
    timings: bool,
    /// Solve by sifting over the processes of an MPI job, each holding the edges of its share
    /// of the segments: `mpirun -n 4 agora solve day.json --distributed --out sol.json`
    /// (docs/distributed.md). Needs agora built with the cargo feature `mpi`.
    #[arg(long)]
    distributed: bool,
    #[command(flatten)]
    tables: super::tables::TableArgs,
}

/// Runs `agora solve`.
pub fn run(a: Args) -> Result<(), Failure> {
    if let (Some(m), Some(b)) = (a.method, a.backend) {
        if b != BackendChoice::FirstOrder {
            return Err(usage(format!(
                "--method {} applies to the first-order backend, not --backend {}: drop one of them",
                format!("{m:?}").to_lowercase(),
                format!("{b:?}").to_lowercase()
            )));
        }
    }
    let backend = a.backend.or(a.method.map(|_| BackendChoice::FirstOrder));
    let mut settings = settings_from(a.settings.as_deref(), backend, a.time_limit).map_err(err)?;
    if let Some(m) = a.method {
        settings.first_order_method = m;
    }
    settings.verbose |= a.verbose;
    if a.distributed {
        if a.warm_start.is_some() {
            return Err(usage("--warm-start does not apply to --distributed: a distributed solve starts from zero duals".into()));
        }
        if let Some(b @ (BackendChoice::Highs | BackendChoice::Clarabel)) = a.backend {
            return Err(usage(format!(
                "--backend {} does not apply to --distributed, which runs the first-order backend (sifting, or --method pdhg)",
                format!("{b:?}").to_lowercase()
            )));
        }
        return super::distributed::solve(&a.instance, a.out.as_deref(), &settings, a.top, a.timings);
    }
    let mut laps = super::Laps::start();
    let day = load_validated(&a.instance)?;
    laps.lap("load+validate");
    let mut inst = day.instance;
    let sol = match &a.warm_start {
        Some(w) => {
            // A warm start runs the first-order backend.
            let path = if settings.first_order_method == FirstOrderMethod::Pdhg { MemoryPath::Pdhg } else { MemoryPath::Sifting };
            super::guard_memory(&a.instance, inst.edges.len(), path)?;
            warm::solve(&inst, &mut settings, backend, w)?
        }
        None => {
            // The rows, and what generates each column: the matrix itself is written only if
            // the backend reads it whole (not for sifting, `auto`'s choice for large days).
            let day = agora_solver::Formulation::new(&inst);
            super::guard_memory(&a.instance, inst.edges.len(), MemoryPath::of_solve(&day, &settings))?;
            laps.lap("formulate");
            agora_solver::solve_model(&inst, &day, &settings).map_err(|e| err(e.into()))?
        }
    };
    laps.lap("solve");
    // An infeasible day is explained in the file and the summary, unless turned off.
    let (file, undiagnosed) = sol.to_file_explained_in_place(&mut inst, &settings);
    if let Some(e) = undiagnosed {
        eprintln!("warning: the day is infeasible and could not be diagnosed: {e}");
    }
    print!("{}", summary::render(&inst, inst.edges.len(), &sol, &file, a.top));
    if let Some(d) = &file.diagnosis {
        print!("\n{}", d.summary());
    }
    laps.lap("outputs");
    write_out(a.out.as_deref(), &file.to_json())?;
    a.tables.write(&inst, &file)?;
    laps.lap("write");
    if a.timings {
        laps.print(inst.edges.len());
    }
    if !sol.status.is_optimal() {
        return Err(not_optimal(&sol));
    }
    Ok(())
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.instance);
        self.settings.iter().chain(&self.warm_start).for_each(|p| _ = gate.input(p));
        self.out.iter().for_each(|p| _ = gate.output_file(p));
        self.tables.declare(gate);
    }
}

/// Exit 3: the solve ended without an optimum, and why.
pub(super) fn not_optimal(sol: &agora_solver::Solution) -> Failure {
    let why = sol.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
    Failure(3, anyhow::anyhow!("the solve ended {}: the plan is not trustworthy{why}", sol.status))
}
