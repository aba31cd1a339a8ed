//! `agora solve --distributed`: the day solved by sifting over the processes of an MPI job,
//! each holding the edges of its share of the segments (docs/distributed.md). The root (rank 0)
//! prints the summary and writes the solution file; the other processes print nothing and leave
//! every message to it.

use std::path::Path;

use agora_solver::Settings;

use super::Failure;

#[cfg(not(feature = "mpi"))]
pub fn solve(_: &Path, _: Option<&Path>, _: &Settings, _: usize, _: bool) -> Result<(), Failure> {
    Err(super::usage(
        "--distributed needs agora built with MPI (cargo feature `mpi`; `make` builds it once `make deps` has installed MPICH): docs/distributed.md".into(),
    ))
}

#[cfg(feature = "mpi")]
pub fn solve(instance: &Path, out: Option<&Path>, settings: &Settings, top: usize, timings: bool) -> Result<(), Failure> {
    use std::time::Instant;

    use agora_instances::{load_with, ReadOptions, Shard};
    use agora_solver::distributed::{agree, mpi, solve_sharded, Comm};
    use agora_solver::memory::peak_resident_bytes;

    use super::{err, read_options, summary, write_out, Reported};

    let clock = Instant::now();
    let (_universe, comm) = mpi::init().ok_or_else(|| err(anyhow::anyhow!("MPI could not be started (it was started already)")))?;
    let root = comm.rank() == 0;
    // Every failure is agreed on by all processes; the root reports it.
    let fail = |message: String| if root { err(anyhow::anyhow!(message)) } else { Failure(1, Reported.into()) };

    let opts = ReadOptions { shard: Some(Shard { rank: comm.rank(), ranks: comm.size() }), ..read_options().clone() };
    let loaded = load_with(instance, &opts).map_err(|e| format!("{:#}", anyhow::Error::from(e)));
    let day = agree(&comm, loaded).map_err(fail)?;
    if root {
        super::print_warnings(instance, &day.warnings);
    }
    // The edges file the instance names is an input too: checked by the root, agreed by all.
    let checked = if root { super::paths::admit(&day.sources).map_err(|Failure(_, e)| format!("{e:#}")) } else { Ok(()) };
    agree(&comm, checked).map_err(fail)?;
    // Each process holds its shard's edges: its own memory is what each checks, all agree.
    let path = if settings.first_order_method == agora_solver::FirstOrderMethod::Pdhg {
        agora_solver::memory::MemoryPath::Pdhg
    } else {
        agora_solver::memory::MemoryPath::Sifting
    };
    let fits = super::guard_memory(instance, day.instance.edges.len(), path).map_err(|Failure(_, e)| format!("process {}: {e:#}", comm.rank()));
    agree(&comm, fits).map_err(fail)?;
    let shard = day.shard.as_ref().ok_or_else(|| fail("the load kept every edge, not a shard".into()))?;
    let inst = &day.instance;
    // No process read every edge: the root hashes them as the others send them.
    let hash = agora_solver::distributed::day_hash(&comm, inst, shard).map_err(fail)?;
    let load_seconds = clock.elapsed().as_secs_f64();
    // Every process's peak so far: what loading its shard cost (the rest is the solve's).
    let load_peaks = comm.gather(&peak_resident_bytes().to_le_bytes());
    // The row groups of a Parquet edges file each process decoded (each decodes those holding its segments).
    let groups_read = comm.gather(&(shard.groups_read as u64).to_le_bytes());

    let answer = solve_sharded(inst, shard, &comm, settings).map_err(|e| e.to_string());
    let answer = agree(&comm, answer).map_err(fail)?;
    let solve_seconds = clock.elapsed().as_secs_f64() - load_seconds;
    // Every process's peak resident memory, for --timings.
    let peaks = comm.gather(&peak_resident_bytes().to_le_bytes());
    let Some(d) = answer else {
        return Ok(());
    };
    let sol = &d.solution;
    let hash = hash.unwrap_or_default();
    let file = sol.file_with(inst, d.plan.clone(), hash);
    print!("{}", summary::render(inst, shard.day_edges, sol, &file, top));
    write_out(out, &file.to_json())?;
    if timings {
        // Each process's figure, as the `u64` it sent.
        let value = |b: &Vec<u8>| b.get(..8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes);
        let mb = |peaks: &[Vec<u8>]| -> Vec<String> { peaks.iter().map(|b| format!("{:.0} MB", value(b) as f64 / 1e6)).collect() };
        let (peaks, load_peaks) = (mb(&peaks), mb(&load_peaks));
        let groups_read: Vec<String> = groups_read.iter().map(|b| format!("{}/{}", value(b), shard.groups)).collect();
        let rounds: Vec<String> = d.stats.pricing_bytes.iter().map(|b| format!("{:.1}", *b as f64 / 1e6)).collect();
        eprintln!(
            "timings: {} edges, processes: {}, load+validate {load_seconds:.3} s, solve {solve_seconds:.3} s, total {:.3} s; peak memory per process {} (after loading {}); row groups decoded per process {}; MB per pricing round {}; setup {:.1} MB, finish {:.1} MB",
            shard.day_edges,
            comm.size(),
            clock.elapsed().as_secs_f64(),
            peaks.join(" "),
            load_peaks.join(" "),
            groups_read.join(" "),
            rounds.join(" "),
            d.stats.setup_bytes as f64 / 1e6,
            d.stats.finish_bytes as f64 / 1e6
        );
    }
    if !sol.status.is_optimal() {
        return Err(super::solve::not_optimal(sol));
    }
    Ok(())
}
