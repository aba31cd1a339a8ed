//! `agora._agora`: the native half of the `agora` Python package (docs/python.md).
//!
//! The Python half (`python/agora/`) turns pandas frames into `agora.instance/v1` documents and
//! the JSON outputs back into frames; this half does the work, with the same code paths as the
//! `agora` binary: the same loader and validator, `solve`, the frontier, the report, the
//! diagnosis, the export, the estimators and the horizon. Every output crosses as the JSON text
//! the CLI writes, so the two cannot drift apart.
//!
//! Long calls release the GIL and run on a worker thread while the calling thread waits, every
//! 50 ms taking the GIL back to run Python's signal handlers (Ctrl-C raises `KeyboardInterrupt`:
//! the worker is told to stop through [`Observer::interrupted`] and joined first) and to report
//! progress to a callback. Errors become the exceptions of `agora.errors`, carrying the file, the
//! entity and the field that the CLI's messages name.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use agora_analysis::frontier::FrontierOutput;
use agora_analysis::horizon::{Dynamics, HorizonConfig, HorizonError, Policy, WarmCounts};
use agora_analysis::offpolicy::{self, EstimateSettings, Estimator, Prior};
use agora_analysis::report::{Profile, ReportSettings};
use agora_instances::logs::Logs;
use agora_instances::{LoadError, ReadOptions};
use agora_solver::frontier::{FrontierError, FrontierSettings, Sweep};
use agora_solver::{BackendChoice, DiagnoseSettings, Observer, Settings, SolutionFile, SolveError};

/// How often a waiting call takes the GIL back (signals, progress).
const POLL: Duration = Duration::from_millis(50);

/// Raises `agora.errors.CLASS(*args)`.
fn raise<'py, A: pyo3::call::PyCallArgs<'py>>(py: Python<'py>, class: &str, args: A) -> PyErr {
    let made = py.import("agora.errors").and_then(|m| m.getattr(class)).and_then(|c| c.call1(args));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// A loading error as `ValidationError(message, file, findings)` (or `OSError` for I/O).
fn load_error(py: Python<'_>, e: LoadError) -> PyErr {
    let message = e.to_string();
    match e {
        LoadError::Io { .. } => PyOSError::new_err(message),
        LoadError::Invalid { path, errors } => {
            let findings: Vec<(String, String, String)> = errors.into_iter().map(|f| (f.entity, f.field, f.message)).collect();
            raise(py, "ValidationError", (message, path.display().to_string(), findings))
        }
        LoadError::Syntax { ref path, line, column, .. } => {
            let findings = vec![(format!("line {line}, column {column}"), String::new(), message.clone())];
            raise(py, "ValidationError", (message.clone(), path.display().to_string(), findings))
        }
        LoadError::Refused { ref path, .. } => {
            raise(py, "ValidationError", (message.clone(), path.display().to_string(), Vec::<(String, String, String)>::new()))
        }
    }
}

/// A solve error as `SettingsError(message, field)`, `KeyboardInterrupt` or `SolveError(message)`.
fn solve_error(py: Python<'_>, e: SolveError) -> PyErr {
    match e {
        SolveError::Settings { ref field, .. } => raise(py, "SettingsError", (e.to_string(), field.clone())),
        SolveError::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err("interrupted"),
        e => raise(py, "SolveError", (e.to_string(),)),
    }
}

/// Any other refusal (a solution of another day, a plan that breaks a rule, ...), with its context.
fn refused(py: Python<'_>, context: &str, e: impl std::fmt::Display) -> PyErr {
    raise(py, "RefusedError", (format!("{context}: {e}"),))
}

/// A day loaded into agora: the validated instance and the hash of the bytes it came from.
#[pyclass(frozen, name = "Instance", module = "agora._agora")]
pub struct PyInstance {
    inner: Arc<agora_instances::Instance>,
    /// `sha256:` of the file's bytes (what an exported artifact's manifest records).
    file_hash: String,
    /// Where it came from: a path, `<frames>`, `generated`.
    source: String,
    warnings: Vec<String>,
}

impl PyInstance {
    fn parse(py: Python<'_>, text: String, source: &Path) -> PyResult<PyInstance> {
        let parsed = py.detach(|| agora_instances::parse_str_with(&text, source, &ReadOptions::default()));
        let v = parsed.map_err(|e| load_error(py, e))?;
        Ok(PyInstance {
            inner: Arc::new(v.instance),
            file_hash: agora_serving::content_hash(text.as_bytes()),
            source: source.display().to_string(),
            warnings: v.warnings.iter().map(|w| w.to_string()).collect(),
        })
    }

    fn of(inst: agora_instances::Instance, source: &str) -> PyInstance {
        let text = agora_instances::to_json(&inst);
        PyInstance { inner: Arc::new(inst), file_hash: agora_serving::content_hash(text.as_bytes()), source: source.into(), warnings: Vec::new() }
    }
}

#[pymethods]
impl PyInstance {
    /// Loads and validates an `agora.instance/v1` file (and its columnar edges file, if any).
    #[staticmethod]
    fn from_json(py: Python<'_>, path: PathBuf) -> PyResult<PyInstance> {
        let text = agora_instances::read_input(&path, &ReadOptions::default()).map_err(|e| load_error(py, e))?;
        PyInstance::parse(py, text, &path)
    }

    /// Validates an `agora.instance/v1` document given as text; `source` names it in errors.
    #[staticmethod]
    #[pyo3(signature = (text, source = "<frames>"))]
    fn from_json_text(py: Python<'_>, text: String, source: &str) -> PyResult<PyInstance> {
        PyInstance::parse(py, text, Path::new(source))
    }

    /// A generated day (`agora generate`): size tiny, small, medium, large or huge.
    #[staticmethod]
    #[pyo3(signature = (size = "small", seed = 1))]
    fn generate(size: &str, seed: u64) -> PyResult<PyInstance> {
        let size = agora_instances::Size::from_str(size).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        Ok(PyInstance::of(agora_instances::generate(size, seed), "generated"))
    }

    /// The instance's `name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Where the instance came from.
    #[getter]
    fn source(&self) -> String {
        self.source.clone()
    }

    /// Warnings of the validator (selectors that match nothing, unknown fields).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// (segments, items, edges, constraints).
    #[getter]
    fn shape(&self) -> (usize, usize, usize, usize) {
        let i = &self.inner;
        (i.segments.len(), i.items.len(), i.edges.len(), i.constraints.len())
    }

    /// The instance's content hash (recorded in its solution files).
    #[getter]
    fn content_hash(&self) -> String {
        agora_instances::content_hash(&self.inner)
    }

    /// The instance as `agora.instance/v1` JSON text (edges inline).
    fn to_json(&self) -> String {
        agora_instances::to_json(&self.inner)
    }

    fn __repr__(&self) -> String {
        let (s, i, e, c) = self.shape();
        format!("<agora.Instance {:?}: {s} segments, {i} items, {e} edges, {c} rules>", self.inner.name)
    }
}

/// Progress and interruption between the calling Python thread and a worker.
#[derive(Default)]
struct Watch {
    done: AtomicU64,
    stop: AtomicBool,
}

impl Observer for Watch {
    fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Runs `work` on a worker thread with the GIL released; meanwhile runs Python's signal handlers
/// and calls `progress(done, total)` when the count moves. A Python exception there (Ctrl-C's
/// `KeyboardInterrupt`, or the callback's own) stops the worker and is raised once it returns.
fn run_watched<R: Send>(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>, total: u64, work: impl FnOnce(&Arc<Watch>) -> R + Send) -> PyResult<R> {
    // Shared (not borrowed) so that settings can hold it as their `Arc<dyn Observer>`.
    let watch = Arc::new(Watch::default());
    let progress: Option<Py<PyAny>> = progress.filter(|p| !p.is_none()).map(|p| p.clone().unbind());
    let (result, pending) = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<()>();
            let watch = &watch;
            let worker = scope.spawn(move || {
                let r = work(watch);
                let _ = tx.send(());
                r
            });
            let mut pending: Option<PyErr> = None;
            let mut reported = u64::MAX;
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(POLL) {
                if pending.is_some() {
                    continue;
                }
                let outcome = Python::attach(|py| -> PyResult<()> {
                    py.check_signals()?;
                    let done = watch.done.load(Ordering::Relaxed);
                    if let Some(cb) = &progress {
                        if done != reported {
                            cb.call1(py, (done, total))?;
                            reported = done;
                        }
                    }
                    Ok(())
                });
                if let Err(e) = outcome {
                    watch.stop.store(true, Ordering::Relaxed);
                    pending = Some(e);
                }
            }
            (worker.join(), pending)
        })
    });
    if let Some(e) = pending {
        return Err(e);
    }
    if let Some(cb) = &progress {
        cb.call1(py, (watch.done.load(Ordering::Relaxed), total))?;
    }
    result.map_err(|panic| {
        let what = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
        PyRuntimeError::new_err(format!("agora failed unexpectedly (a bug; please report it): {what}"))
    })
}

/// Settings from a JSON document (docs/settings.md), with `backend` and `time_limit` on top.
fn settings_of(py: Python<'_>, json: Option<&str>, backend: Option<&str>, time_limit: Option<f64>) -> PyResult<Settings> {
    let mut s = match json {
        Some(text) => Settings::from_json(text).map_err(|e| solve_error(py, e))?,
        None => Settings::default(),
    };
    if let Some(b) = backend {
        s.backend = BackendChoice::from_str(b).map_err(|e| raise(py, "SettingsError", (format!("invalid settings: backend: {e}"), "backend")))?;
    }
    if let Some(t) = time_limit {
        s.time_limit = Some(t);
    }
    s.validate().map_err(|e| solve_error(py, e))?;
    Ok(s)
}

/// Reads a solution file's text (from `Solution.to_json()`), naming its fields in errors.
fn solution_of(py: Python<'_>, json: &str) -> PyResult<SolutionFile> {
    agora_instances::parse_json_with(json, Path::new("<solution>"), |f: SolutionFile| Ok(f)).map_err(|e| load_error(py, e))
}

/// Writes `files` as the directory `out`, atomically; an existing directory is replaced only
/// when it holds nothing but such files (as the CLI does).
fn write_dir<N: AsRef<str>>(out: &Path, files: &[(N, String)]) -> PyResult<()> {
    let names: Vec<&str> = files.iter().map(|f| f.0.as_ref()).collect();
    agora_instances::write_dir_atomic(out, files, agora_instances::ExistingDir::ReplaceIfOnly(&names))
        .map_err(|e| PyOSError::new_err(format!("{}: cannot write: {e}", out.display())))
}

/// The text of the file `name` among a directory's `files`.
fn file_text(files: &[(&str, String)], name: &str) -> String {
    files.iter().find(|f| f.0 == name).map(|f| f.1.clone()).unwrap_or_default()
}

/// The plan and rows tables of a solution of `instance` (its `agora.solution/v1` text), as the
/// bytes of two Parquet files: what `agora solve --out-plan --out-rows` writes.
#[pyfunction]
fn solution_tables<'py>(py: Python<'py>, instance: &PyInstance, solution: &str) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let sol = solution_of(py, solution)?;
    let inst = &instance.inner;
    let (plan, rows) = py
        .detach(|| {
            let plan = agora_analysis::tables::plan_table(inst, &sol, Vec::new())?;
            let rows = agora_analysis::tables::rows_table(&sol, Vec::new())?;
            Ok::<_, agora_analysis::tables::TablesError>((plan, rows))
        })
        .map_err(|e| refused(py, "solution", e))?;
    Ok((PyBytes::new(py, &plan), PyBytes::new(py, &rows)))
}

/// Solves a day; returns its `agora.solution/v1` text (an infeasible day explained, as the CLI does).
#[pyfunction]
#[pyo3(signature = (instance, settings = None, backend = None, time_limit = None))]
fn solve(py: Python<'_>, instance: &PyInstance, settings: Option<&str>, backend: Option<&str>, time_limit: Option<f64>) -> PyResult<String> {
    let s = settings_of(py, settings, backend, time_limit)?;
    let inst = instance.inner.clone();
    let out = run_watched(py, None, 0, |watch| -> Result<(String, Option<String>), SolveError> {
        let valid = s.clone().validated()?.observed_by(watch.clone());
        let sol = agora_solver::solve(&inst, &valid)?;
        let (file, undiagnosed) = sol.to_file_explained(&inst, &s);
        Ok((file.to_json(), undiagnosed.map(|e| e.to_string())))
    })?;
    let (json, undiagnosed) = out.map_err(|e| solve_error(py, e))?;
    if let Some(e) = undiagnosed {
        PyErr::warn(
            py,
            &py.get_type::<pyo3::exceptions::PyUserWarning>(),
            &std::ffi::CString::new(format!("the day is infeasible and could not be diagnosed: {e}")).unwrap_or_default(),
            1,
        )?;
    }
    Ok(json)
}

/// Sweeps one or two parameters (`agora frontier`); returns `(frontier.json, index.html)` and
/// writes the directory `out` when given.
#[pyfunction]
#[pyo3(signature = (instance, sweeps, points, settings = None, backend = None, time_limit = None, hot_start = true, progress = None, out = None))]
fn frontier(
    py: Python<'_>,
    instance: &PyInstance,
    sweeps: Vec<String>,
    points: Vec<usize>,
    settings: Option<&str>,
    backend: Option<&str>,
    time_limit: Option<f64>,
    hot_start: bool,
    progress: Option<&Bound<'_, PyAny>>,
    out: Option<PathBuf>,
) -> PyResult<(String, String)> {
    let solve = settings_of(py, settings, backend, time_limit)?;
    if points.len() != 1 && points.len() != sweeps.len() {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "give one points count for all sweeps or one per sweep ({} sweeps, {} counts)",
            sweeps.len(),
            points.len()
        )));
    }
    let inst = instance.inner.clone();
    let parsed = sweeps.iter().enumerate().map(|(k, s)| Sweep::parse(&inst, s, points[k.min(points.len() - 1)])).collect::<Result<Vec<_>, _>>();
    let parsed = parsed.map_err(|e| refused(py, &instance.source, e))?;
    // More than frontier::MAX_POINTS is refused by frontier::run, before any solve.
    let total = parsed.iter().fold(1u64, |t, s| t.saturating_mul(s.points as u64));
    let fs = FrontierSettings { solve, hot_start, ..FrontierSettings::default() };
    let f = run_watched(py, progress, total, |watch| agora_solver::frontier::run(&inst, &parsed, &fs, watch.as_ref()))?;
    let f = f.map_err(|e| match e {
        FrontierError::Solve(SolveError::Interrupted) => pyo3::exceptions::PyKeyboardInterrupt::new_err("interrupted"),
        e => refused(py, &instance.source, e),
    })?;
    let files = f.files(&inst).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    if let Some(out) = out {
        write_dir(&out, &files)?;
    }
    Ok((file_text(&files, "frontier.json"), file_text(&files, "index.html")))
}

/// The ecosystem report of an optimal solution (`agora report`); returns `(report.json,
/// index.html)` and writes the directory `out` (JSON, charts, page) when given.
#[pyfunction]
#[pyo3(signature = (instance, solution, settings = None, backend = None, gap_profile = "mean", rule_prices = true, out = None))]
fn report(
    py: Python<'_>,
    instance: &PyInstance,
    solution: &str,
    settings: Option<&str>,
    backend: Option<&str>,
    gap_profile: &str,
    rule_prices: bool,
    out: Option<PathBuf>,
) -> PyResult<(String, String)> {
    let solve = settings_of(py, settings, backend, None)?;
    let file = solution_of(py, solution)?;
    let gap_profile = Profile::from_str(gap_profile).map_err(pyo3::exceptions::PyValueError::new_err)?;
    let rs = ReportSettings { solve, gap_profile, skip_constraint_prices: !rule_prices, ..ReportSettings::default() };
    let inst = instance.inner.clone();
    let built = run_watched(py, None, 0, |_| agora_analysis::report::build(&inst, &file, &rs).and_then(|r| r.files()))?;
    let files = built.map_err(|e| refused(py, "solution", e))?;
    if let Some(out) = out {
        write_dir(&out, &files)?;
    }
    Ok((file_text(&files, "report.json"), file_text(&files, "index.html")))
}

/// Why a day is infeasible (`agora diagnose`); returns the `agora.diagnosis/v1` text.
#[pyfunction]
#[pyo3(signature = (instance, settings = None, backend = None, relax_physical = false))]
fn diagnose(py: Python<'_>, instance: &PyInstance, settings: Option<&str>, backend: Option<&str>, relax_physical: bool) -> PyResult<String> {
    let solve = settings_of(py, settings, backend, None)?;
    let ds = DiagnoseSettings { solve, relax_physical, ..DiagnoseSettings::default() };
    let inst = instance.inner.clone();
    let d = run_watched(py, None, 0, |_| agora_solver::diagnose(&inst, &ds))?;
    Ok(d.map_err(|e| solve_error(py, e))?.to_json())
}

/// Exports an optimal solution to a serving artifact directory (`agora export`), its per-edge
/// file `edges.csv` or (`format = "parquet"`) `edges.parquet`.
#[pyfunction]
#[pyo3(signature = (instance, solution, out, format = "csv"))]
fn export(py: Python<'_>, instance: &PyInstance, solution: &str, out: PathBuf, format: &str) -> PyResult<()> {
    let format = match format {
        "csv" => agora_serving::EdgesFormat::Csv,
        "parquet" => agora_serving::EdgesFormat::Parquet,
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("format \"{other}\": expected csv or parquet"))),
    };
    let file = solution_of(py, solution)?;
    let export = agora_analysis::check_export(&instance.inner, &instance.file_hash, &file, &agora_analysis::ExportOptions::default())
        .map_err(|e| refused(py, "solution", e))?;
    py.detach(|| agora_serving::write_parts(&export.parts(format), &out))
        .map_err(|e| PyOSError::new_err(format!("{}: export failed, nothing was written: {e}", out.display())))
}

/// Per-edge engagement from logged feedback (`agora estimate`): the day with estimates.
#[pyfunction]
#[pyo3(signature = (logs, instance, estimator = "snips", prior = "empirical-bayes"))]
fn estimate(py: Python<'_>, logs: PathBuf, instance: &PyInstance, estimator: &str, prior: &str) -> PyResult<PyInstance> {
    let estimator = Estimator::from_str(estimator).map_err(pyo3::exceptions::PyValueError::new_err)?;
    let prior = Prior::from_str(prior).map_err(pyo3::exceptions::PyValueError::new_err)?;
    if estimator == Estimator::Dr {
        return Err(pyo3::exceptions::PyValueError::new_err("estimator dr needs a reward model, which is what estimate computes: use ips or snips"));
    }
    let read = Logs::read(&logs, &ReadOptions::default()).map_err(|e| load_error(py, e))?;
    let inst = instance.inner.clone();
    let (estimated, _, _) =
        offpolicy::estimate(&inst, &read, &EstimateSettings { estimator, prior }).map_err(|e| refused(py, &logs.display().to_string(), e))?;
    Ok(PyInstance::of(estimated, &format!("estimated from {}", logs.display())))
}

/// Off-policy value of a plan (or the uniform policy) on logs (`agora evaluate`): the
/// `agora.evaluation/v1` text.
#[pyfunction]
#[pyo3(signature = (solution, logs, instance, estimator = "snips"))]
fn evaluate(py: Python<'_>, solution: Option<&str>, logs: PathBuf, instance: &PyInstance, estimator: &str) -> PyResult<String> {
    let estimator = Estimator::from_str(estimator).map_err(pyo3::exceptions::PyValueError::new_err)?;
    let read = Logs::read(&logs, &ReadOptions::default()).map_err(|e| load_error(py, e))?;
    let inst = &instance.inner;
    let policy = match solution {
        None => offpolicy::Policy::uniform(inst),
        Some(text) => {
            let file = solution_of(py, text)?;
            let plan = agora_analysis::report::check_solution(inst, &file, 1e-6).map_err(|e| refused(py, "solution", e))?;
            offpolicy::Policy::from_plan(inst, &plan.x, "plan")
        }
    };
    let ev = offpolicy::evaluate(inst, &read, &policy, estimator).map_err(|e| refused(py, &logs.display().to_string(), e))?;
    serde_json::to_string_pretty(&ev).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// A rule change tested before launch (`agora experiment`): `treatment` is the JSON text of an
/// `agora.change/v1` file or of a whole changed day. Returns `(experiment.json, index.html)` and
/// writes the directory `out` when given.
#[pyfunction]
#[pyo3(signature = (instance, treatment, designs, fraction = 0.5, creators = None, days = 28, warm_up = 14, block = 7, burn_in = 1, arrivals = None, replicas = 20, seed = 1, settings = None, out = None))]
fn experiment(
    py: Python<'_>,
    instance: &PyInstance,
    treatment: &str,
    designs: Vec<String>,
    fraction: f64,
    creators: Option<Vec<String>>,
    days: usize,
    warm_up: usize,
    block: usize,
    burn_in: usize,
    arrivals: Option<usize>,
    replicas: usize,
    seed: u64,
    settings: Option<&str>,
    out: Option<PathBuf>,
) -> PyResult<(String, String)> {
    use agora_analysis::experiment::{self, Design, ExperimentConfig, NoiseConfig, SwitchbackConfig, Treatment};
    let settings = settings_of(py, settings, None, None)?;
    let control = &instance.inner;
    let treat = Treatment::parse(treatment, Path::new("<treatment>"), control, &ReadOptions::default()).map_err(|e| load_error(py, e))?;
    let designs = designs.iter().map(|d| Design::from_str(d)).collect::<Result<Vec<_>, _>>().map_err(|e| refused(py, "designs", e))?;
    let cfg = ExperimentConfig {
        designs,
        fraction,
        noise: arrivals.map(|arrivals| NoiseConfig { arrivals, replicas }),
        switchback: SwitchbackConfig { days, warm_up, block, burn_in, dynamics: Dynamics::default() },
        treated_creators: creators,
        seed,
        settings,
        ..ExperimentConfig::default()
    };
    let e = py.detach(|| experiment::run(control, &treat, &cfg)).map_err(|e| refused(py, &instance.source, e))?;
    let files = e.files().map_err(PyRuntimeError::new_err)?;
    if let Some(out) = out {
        let names = agora_analysis::experiment::output::EXPERIMENT_FILES;
        agora_instances::write_dir_atomic(&out, &files, agora_instances::ExistingDir::ReplaceIfOnly(&names))
            .map_err(|e| PyOSError::new_err(format!("{}: cannot write: {e}", out.display())))?;
    }
    Ok((file_text(&files, "experiment.json"), file_text(&files, "index.html")))
}

/// Many days of what rules do to creators and users (`agora horizon`); returns
/// `(horizon.json, index.html)` and writes the directory `out` when given. Each policy is
/// `("spec", NAME_OR_PATH)` (a built-in or a policy file, as on the command line) or
/// `("json", TEXT)` (an `agora.policy/v1` document); `dynamics` likewise `("spec", "off" or a
/// path)` or `("json", TEXT)`, `None` for the defaults. `warm_start` is an `agora.logs/v1` file
/// the learning policies start from, through `warm_start_estimator` and `warm_start_prior`.
#[pyfunction]
#[pyo3(signature = (instance, days, policies, replicas = 1, seed = 1, discount = 0.99, settings = None, progress = None, out = None, dynamics = None, warm_start = None, warm_start_estimator = "snips", warm_start_prior = "empirical-bayes"))]
fn horizon(
    py: Python<'_>,
    instance: &PyInstance,
    days: usize,
    policies: Vec<(String, String)>,
    replicas: usize,
    seed: u64,
    discount: f64,
    settings: Option<&str>,
    progress: Option<&Bound<'_, PyAny>>,
    out: Option<PathBuf>,
    dynamics: Option<(String, String)>,
    warm_start: Option<PathBuf>,
    warm_start_estimator: &str,
    warm_start_prior: &str,
) -> PyResult<(String, String)> {
    let settings = settings_of(py, settings, None, None)?;
    let pols = policies
        .iter()
        .enumerate()
        .map(|(k, (kind, text))| match kind.as_str() {
            "json" => Policy::from_json(text, Path::new(&format!("policies[{k}]"))),
            _ => Policy::resolve(text),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| load_error(py, e))?;
    let dynamics = match dynamics {
        None => Dynamics::default(),
        Some((kind, text)) => match (kind.as_str(), text.as_str()) {
            ("spec", "off") => Dynamics::off(),
            ("json", _) => {
                agora_instances::parse_json_with(&text, Path::new("dynamics"), |d: Dynamics| d.validate().map(|_| d)).map_err(|e| load_error(py, e))?
            }
            _ => Dynamics::load(Path::new(&text)).map_err(|e| load_error(py, e))?,
        },
    };
    let inst = instance.inner.clone();
    let warm_start = match warm_start {
        None => None,
        Some(path) => {
            let estimator = Estimator::from_str(warm_start_estimator).map_err(pyo3::exceptions::PyValueError::new_err)?;
            let prior = Prior::from_str(warm_start_prior).map_err(pyo3::exceptions::PyValueError::new_err)?;
            if estimator == Estimator::Dr {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "warm_start_estimator dr needs a reward model, which is what the warm start estimates: use ips or snips",
                ));
            }
            if !pols.iter().any(|p| p.engagement.learns()) {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "warm_start is for learning policies, and none of these learns (greedy, lcb, ucb, thompson, or a policy's \"engagement\")",
                ));
            }
            let logs = Logs::read(&path, &ReadOptions::default()).map_err(|e| load_error(py, e))?;
            let w = WarmCounts::from_logs(&inst, &logs, &EstimateSettings { estimator, prior }, &path.display().to_string())
                .map_err(|e| refused(py, &path.display().to_string(), e))?;
            Some(w)
        }
    };
    let cfg = HorizonConfig { days, seed, replicas, discount, dynamics, settings, warm_start, ..HorizonConfig::default() };
    // Days, replicas and the discount are checked by horizon::run (its bounds are the CLI's).
    let total = agora_analysis::horizon::days_to_solve(&inst, &pols, days, replicas);
    let h = run_watched(py, progress, total, |watch| agora_analysis::horizon::run(&inst, &pols, &cfg, watch.as_ref()))?;
    let h = h.map_err(|e| match e {
        HorizonError::Solve { source: SolveError::Interrupted, .. } => pyo3::exceptions::PyKeyboardInterrupt::new_err("interrupted"),
        e => refused(py, &instance.source, e),
    })?;
    let files = h.files().map_err(PyRuntimeError::new_err)?;
    if let Some(out) = out {
        write_dir(&out, &files)?;
    }
    Ok((file_text(&files, "horizon.json"), file_text(&files, "index.html")))
}

/// The native module.
#[pymodule]
fn _agora(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyInstance>()?;
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(solution_tables, m)?)?;
    m.add_function(wrap_pyfunction!(frontier, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(export, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(horizon, m)?)?;
    m.add_function(wrap_pyfunction!(experiment, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
