//! How much memory a day takes on each solve path, and how much the machine has: the guard a
//! command runs after loading a day and before it allocates the bulk of the solve, so that a day
//! too big for the machine is refused with the estimate and the way out instead of ending in the
//! kernel's out-of-memory kill (docs/backends.md, "Memory").

use std::fmt;

use crate::settings::{BackendChoice, FirstOrderMethod, Settings};
use crate::Columns;

/// What holds a day's memory: a solve path, or a command that writes the day's whole matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryPath {
    /// Sifting over generated columns (`--backend first-order`, `auto` on large days).
    Sifting,
    /// PDHG (`--method pdhg`), its store built from generated columns.
    Pdhg,
    /// HiGHS on the whole model (the matrix written out, and HiGHS' own copy and factor);
    /// also what the commands that formulate the whole matrix and re-solve it take (a report,
    /// a frontier or a diagnosis of a small day, the audit).
    WholeHighs,
    /// Clarabel on the whole model (its KKT factorisation).
    WholeClarabel,
    /// The whole matrix written out without a solve (the serving simulation).
    WholeMatrix,
    /// The day's columns generated, a few numbers per edge beside the loaded day, no matrix and
    /// no solve (export).
    GeneratedColumns,
}

impl MemoryPath {
    /// Peak resident bytes per edge, the whole process (loading included), measured on the
    /// generated days of benches/RESULTS.md ("Whole process", "Memory"; rounded up): sifting
    /// 122-180 at 10^6-10^7 edges; PDHG's store and run about 100 on top of the 93 of the loaded
    /// day; HiGHS on the whole model 800-1,080 at 10^5-10^6; Clarabel 2.6 KB of heap per edge;
    /// the whole matrix alone (`agora export` at 10^7 edges) 510.
    pub fn bytes_per_edge(self) -> f64 {
        match self {
            MemoryPath::Sifting => 180.0,
            MemoryPath::Pdhg => 250.0,
            MemoryPath::WholeHighs => 1_100.0,
            MemoryPath::WholeClarabel => 3_000.0,
            MemoryPath::WholeMatrix => 550.0,
            MemoryPath::GeneratedColumns => 180.0,
        }
    }

    /// The path in the user's words.
    pub fn label(self) -> &'static str {
        match self {
            MemoryPath::Sifting => "sifting over generated columns",
            MemoryPath::Pdhg => "PDHG",
            MemoryPath::WholeHighs => "HiGHS on the whole matrix",
            MemoryPath::WholeClarabel => "Clarabel on the whole matrix",
            MemoryPath::WholeMatrix => "the whole matrix",
            MemoryPath::GeneratedColumns => "generated columns",
        }
    }

    /// The path a solve of `model` under `settings` takes first (`auto` resolved by the day's
    /// size, as `solve_model` resolves it).
    pub fn of_solve<C: Columns + ?Sized>(model: &C, settings: &Settings) -> MemoryPath {
        match settings.backend.resolve_for(model) {
            BackendChoice::FirstOrder if settings.backend == BackendChoice::Auto => MemoryPath::Sifting,
            BackendChoice::FirstOrder => match settings.first_order_method {
                FirstOrderMethod::Pdhg => MemoryPath::Pdhg,
                _ => MemoryPath::Sifting,
            },
            BackendChoice::Clarabel => MemoryPath::WholeClarabel,
            _ => MemoryPath::WholeHighs,
        }
    }
}

/// What every process holds whatever the day: code, thread stacks, the allocator's arenas.
pub const FIXED_BYTES: f64 = 40e6;

/// A day's estimated peak on a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// The path.
    pub path: MemoryPath,
    /// The day's edges.
    pub edges: usize,
    /// The estimated peak resident bytes.
    pub bytes: f64,
}

impl MemoryEstimate {
    /// The estimate for `edges` edges on `path`.
    pub fn of(edges: usize, path: MemoryPath) -> MemoryEstimate {
        MemoryEstimate { path, edges, bytes: FIXED_BYTES + path.bytes_per_edge() * edges as f64 }
    }
}

/// How much memory the process may use, and who says so.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryBudget {
    /// Bytes.
    pub bytes: f64,
    /// Where the figure comes from (`--memory-limit`, the cgroup's limit, `MemAvailable`).
    pub source: String,
}

impl MemoryBudget {
    /// What this process may use in all, as the machine stands now: what it holds already (its
    /// resident memory, the loaded day) plus the smallest room left: the cgroup's limit less its
    /// usage (v2 `memory.max`, v1 `memory.limit_in_bytes`), the kernel's `MemAvailable` and the
    /// address-space limit (`ulimit -v`) less the process's size. An estimate counts the whole
    /// process, loading included, so the room alone would count the loaded day twice. `None`
    /// where none can be read (not Linux).
    pub fn detected() -> Option<MemoryBudget> {
        Self::detected_from(|p: &str| std::fs::read_to_string(p).ok())
    }

    /// [`MemoryBudget::detected`] with `read` giving a file's text.
    fn detected_from(read: impl Fn(&str) -> Option<String>) -> Option<MemoryBudget> {
        let resident = read("/proc/self/status").as_deref().and_then(vm_rss).unwrap_or(0.0);
        let room = Self::smallest_room(read)?;
        Some(MemoryBudget { bytes: room.bytes + resident, source: format!("{} plus this process's resident memory", room.source) })
    }

    /// The smallest room left (see [`MemoryBudget::detected`]), `read` giving a file's text.
    fn smallest_room(read: impl Fn(&str) -> Option<String>) -> Option<MemoryBudget> {
        let available = read("/proc/meminfo").as_deref().and_then(meminfo_available).map(|b| MemoryBudget { bytes: b, source: "MemAvailable".into() });
        let cgroup = cgroup_room(read("/sys/fs/cgroup/memory.max"), read("/sys/fs/cgroup/memory.current"))
            .map(|b| MemoryBudget { bytes: b, source: "the cgroup's memory.max less its usage".into() })
            .or_else(|| {
                cgroup_room(read("/sys/fs/cgroup/memory/memory.limit_in_bytes"), read("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
                    .map(|b| MemoryBudget { bytes: b, source: "the cgroup's memory.limit_in_bytes less its usage".into() })
            });
        let address_space = address_space_room(read("/proc/self/limits"), read("/proc/self/status"))
            .map(|b| MemoryBudget { bytes: b, source: "the address-space limit (ulimit -v) less the process's size".into() });
        [available, cgroup, address_space].into_iter().flatten().min_by(|a, b| a.bytes.total_cmp(&b.bytes))
    }
}

/// The `field:` line of a /proc file that counts in kB (/proc/meminfo, /proc/self/status), in
/// bytes.
fn kb_field(text: &str, field: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `VmRSS` of /proc/self/status, in bytes.
fn vm_rss(text: &str) -> Option<f64> {
    kb_field(text, "VmRSS")
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn meminfo_available(text: &str) -> Option<f64> {
    kb_field(text, "MemAvailable")
}

/// This process's peak resident memory in bytes (`VmHWM` of /proc/self/status; 0 where there is
/// none), for a command's `--timings`.
pub fn peak_resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().as_deref().and_then(|s| kb_field(s, "VmHWM")).map_or(0, |b| b as u64)
}

/// A cgroup's limit less its usage; `None` without a limit (`max`, or v1's huge sentinel).
fn cgroup_room(limit: Option<String>, usage: Option<String>) -> Option<f64> {
    let limit: f64 = limit?.trim().parse().ok()?;
    if limit >= 1e18 {
        return None;
    }
    let usage: f64 = usage.and_then(|u| u.trim().parse().ok()).unwrap_or(0.0);
    Some((limit - usage).max(0.0))
}

/// The address-space limit (`Max address space` of /proc/self/limits) less the process's
/// `VmSize`; `None` when unlimited.
fn address_space_room(limits: Option<String>, status: Option<String>) -> Option<f64> {
    let limits = limits?;
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    let soft: f64 = line.trim_start_matches("Max address space").split_whitespace().next()?.parse().ok()?;
    let size = kb_field(&status?, "VmSize")?;
    Some((soft - size).max(0.0))
}

/// A day whose estimated peak on its path exceeds what the machine offers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct TooBig {
    /// The estimate.
    pub estimate: MemoryEstimate,
    /// What the machine offers.
    pub budget: MemoryBudget,
}

impl fmt::Display for TooBig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.estimate;
        write!(
            f,
            "a day of {} edges needs about {} on {} ({:.0} bytes per edge, benches/RESULTS.md), and this process may use {} ({}): refusing before it allocates them",
            e.edges,
            gb(e.bytes),
            e.path.label(),
            e.path.bytes_per_edge(),
            gb(self.budget.bytes),
            self.budget.source
        )?;
        let sifting = MemoryEstimate::of(e.edges, MemoryPath::Sifting);
        if e.path != MemoryPath::Sifting {
            write!(f, "; `agora solve --backend first-order` sifts it in about {}", gb(sifting.bytes))?;
        }
        write!(f, "; `mpirun -n P agora solve --distributed` spreads it over P processes or machines; --memory-limit BYTES overrides the figure")
    }
}

/// `bytes` in GB, two decimals.
fn gb(bytes: f64) -> String {
    format!("{:.2} GB", bytes / 1e9)
}

/// Refuses `estimate` when it exceeds `budget` (no budget: nothing known, nothing refused).
pub fn check(estimate: MemoryEstimate, budget: Option<&MemoryBudget>) -> Result<(), TooBig> {
    match budget {
        Some(b) if estimate.bytes > b.bytes => Err(TooBig { estimate, budget: b.clone() }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_the_smaller_of_the_cgroup_room_and_mem_available() {
        assert_eq!(meminfo_available("MemTotal: 100 kB\nMemAvailable:   2048 kB\n"), Some(2048.0 * 1024.0));
        assert_eq!(cgroup_room(Some("max\n".into()), Some("5".into())), None);
        assert_eq!(cgroup_room(Some("9223372036854771712\n".into()), None), None, "v1's sentinel is no limit");
        assert_eq!(cgroup_room(Some("1000\n".into()), Some("300\n".into())), Some(700.0));
        assert_eq!(cgroup_room(Some("1000\n".into()), Some("3000\n".into())), Some(0.0));
        let limits = |v: &str| {
            Some(format!("Limit                     Soft Limit           Hard Limit           Units\nMax address space         {v}            unlimited            bytes\n"))
        };
        assert_eq!(address_space_room(limits("unlimited"), Some("VmSize:\t  1000 kB\n".into())), None);
        assert_eq!(address_space_room(limits("4096000"), Some("VmSize:\t  1000 kB\n".into())), Some(4096000.0 - 1024000.0));
    }

    /// An estimate counts the whole process, the loaded day included: so does the budget, the
    /// room left plus what the process holds (10^8 edges loaded in 9 GB were refused against the
    /// 15 GB left of 24).
    #[test]
    fn the_budget_counts_what_the_process_holds_already() {
        let files = |p: &str| match p {
            "/proc/meminfo" => Some("MemTotal: 9000 kB\nMemAvailable:   2048 kB\n".to_string()),
            "/proc/self/status" => Some("VmSize:\t  5000 kB\nVmRSS:\t  1000 kB\n".to_string()),
            _ => None,
        };
        let b = MemoryBudget::detected_from(files).unwrap();
        assert_eq!(b.bytes, (2048.0 + 1000.0) * 1024.0);
        assert_eq!(b.source, "MemAvailable plus this process's resident memory");
        assert_eq!(MemoryBudget::detected_from(|_| None), None, "nothing known");
    }

    #[test]
    fn a_day_over_the_budget_is_refused_with_the_estimate_and_the_way_out() {
        let budget = MemoryBudget { bytes: 2e9, source: "--memory-limit".into() };
        // 10^7 edges: sifting 1.84 GB fits in 2 GB, HiGHS on the whole matrix (11 GB) does not.
        assert!(check(MemoryEstimate::of(10_000_000, MemoryPath::Sifting), Some(&budget)).is_ok());
        let e = check(MemoryEstimate::of(10_000_000, MemoryPath::WholeHighs), Some(&budget)).unwrap_err().to_string();
        assert!(e.contains("10000000 edges needs about 11.04 GB on HiGHS on the whole matrix"), "{e}");
        assert!(
            e.contains("2.00 GB (--memory-limit)") && e.contains("--backend first-order") && e.contains("about 1.84 GB") && e.contains("--distributed"),
            "{e}"
        );
        assert!(check(MemoryEstimate::of(10_000_000, MemoryPath::WholeHighs), None).is_ok(), "nothing known, nothing refused");
    }
}
