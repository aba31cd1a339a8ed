//! The audit's properties as jobs: each one's creators drawn up front, in the properties'
//! order, then the jobs run on `parallelism` workers, each with its own live model of the day
//! ([`Run`]), and their results put back in order. A job's result does not depend on the worker
//! that ran it (every re-solve starts from the day's basis, and every worker's day is solved
//! alike), so an audit is the same for any number of workers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use agora_instances::metrics::NEW_CREATOR_GROUP;

use super::deviations::Deviation;
use super::trials::{Run, Worst};
use super::{AuditConfig, AuditError, Check, Trial};

/// A creator's deviation, by property.
#[derive(Debug, Clone, Copy)]
pub(super) enum Make {
    /// A Sybil split into an account of the creator's own group.
    SplitOwnGroup,
    /// A Sybil split into an account of the `new` group.
    SplitNew,
    /// A key item relabelled to a quiet topic.
    Relabel,
    /// A near-duplicate of a key item.
    Duplicate,
    /// A move to the group the day's duals favour.
    MoveGroup,
}

impl Make {
    fn make(self, run: &mut Run, c: usize) -> Option<Deviation> {
        match self {
            Make::SplitOwnGroup => run.split(c, &run.inst.creators[c].group),
            Make::SplitNew => run.split(c, NEW_CREATOR_GROUP),
            Make::Relabel => run.relabel(c),
            Make::Duplicate => run.duplicate(c),
            Make::MoveGroup => run.move_group(c),
        }
    }
}

/// One property's work.
pub(super) enum Job {
    /// A check that needs no trial.
    Known(Check),
    /// `creator_monotonicity` over these creators.
    Monotonicity(Vec<usize>),
    /// A deviation property over creators in this order (`first`: ahead of their class).
    Deviations { property: &'static str, order: Vec<usize>, first: Vec<usize>, make: Make },
}

/// What a job found: its check, its trials, and the budgets its plans spent.
pub(super) struct Done {
    pub check: Check,
    pub trials: Vec<Trial>,
    pub budgets: Worst,
}

/// What the workers did besides the jobs: hot and cold re-solves.
pub(super) type Solves = (usize, usize);

/// Runs `jobs` on `parallelism` workers, `first` (the run that drew them) one of them; the others
/// solve the day for themselves. Results come back in the jobs' order; the first error in that
/// order is the audit's.
pub(super) fn run_all(
    first: Run,
    inst: &agora_instances::Instance,
    cfg: &AuditConfig,
    jobs: &[Job],
    parallelism: usize,
) -> Result<(Vec<Done>, Solves), AuditError> {
    let workers = parallelism.clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Done, AuditError>>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let work = |run: &mut Run| {
        while let Some(k) = Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&k| k < jobs.len()) {
            *slots[k].lock().expect("a job's slot") = Some(execute(run, &jobs[k]));
        }
    };
    let solves = std::thread::scope(|scope| -> Result<Solves, AuditError> {
        let others: Vec<_> = (1..workers)
            .map(|_| {
                scope.spawn(|| -> Result<Solves, AuditError> {
                    let mut run = Run::new(inst, cfg)?;
                    work(&mut run);
                    Ok(run.resolver.counts())
                })
            })
            .collect();
        let mut run = first;
        work(&mut run);
        let mut solves = run.resolver.counts();
        for other in others {
            // A worker that could not solve the day took no job: the others took them all.
            if let Ok((hot, cold)) = other.join().expect("an audit worker does not panic") {
                solves = (solves.0 + hot, solves.1 + cold);
            }
        }
        Ok(solves)
    })?;
    let done = slots.into_iter().map(|s| s.into_inner().expect("a job's slot").expect("every job ran")).collect::<Result<Vec<_>, _>>()?;
    Ok((done, solves))
}

fn execute(run: &mut Run, job: &Job) -> Result<Done, AuditError> {
    let before = std::mem::replace(&mut run.budgets, Worst::new());
    let check = match job {
        Job::Known(check) => Ok(check.clone()),
        Job::Monotonicity(creators) => run.monotonicity(creators.clone()),
        Job::Deviations { property, order, first, make } => run.deviations(property, order.clone(), first, &|r, c| make.make(r, c)),
    };
    let budgets = std::mem::replace(&mut run.budgets, before);
    Ok(Done { check: check?, trials: std::mem::take(&mut run.trials), budgets })
}
