//! How long computations report to whoever watches them, without printing themselves: solver
//! log lines (what `verbose` asks for) and units of work done (a frontier's points). The CLI's
//! `--verbose` and progress bars implement [`Observer`]; a library user passes their own, or
//! none ([`Silent`]).

use std::fmt;

/// A sink for a computation's log lines and progress. Methods default to doing nothing.
pub trait Observer: Send + Sync {
    /// One line of a solver's log (sifting rounds, PDHG restarts, ...), formatted lazily.
    fn log(&self, _line: fmt::Arguments<'_>) {}
    /// `units` more units of work are done (a frontier counts points).
    fn advance(&self, _units: u64) {}
    /// Whether whoever watches asks the computation to stop (Ctrl-C in a notebook). Long loops
    /// ask between units of work (sifting rounds, PDHG iterations, frontier points, horizon
    /// days) and end with [`crate::SolveError::Interrupted`]; a single HiGHS or Clarabel call
    /// finishes first.
    fn interrupted(&self) -> bool {
        false
    }
}

/// Hears nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// Writes log lines to standard error (what `verbose: true` uses unless told otherwise).
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrLog;

impl Observer for StderrLog {
    fn log(&self, line: fmt::Arguments<'_>) {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<(Vec<String>, u64)>);

    impl Observer for Recorder {
        fn log(&self, line: fmt::Arguments<'_>) {
            self.0.lock().unwrap().0.push(line.to_string());
        }
        fn advance(&self, units: u64) {
            self.0.lock().unwrap().1 += units;
        }
    }

    #[test]
    fn an_observer_hears_lines_and_counts_units() {
        let r = Recorder::default();
        let o: &dyn Observer = &r;
        o.log(format_args!("round {}", 3));
        o.advance(2);
        o.advance(1);
        Silent.log(format_args!("nobody hears this"));
        let (lines, units) = &*r.0.lock().unwrap();
        assert_eq!(lines, &["round 3"]);
        assert_eq!(*units, 3);
    }
}
