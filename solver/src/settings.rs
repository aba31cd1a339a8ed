//! One settings struct shared by every backend, with documented defaults and validation.

use serde::{Deserialize, Serialize};

use std::borrow::Cow;
use std::sync::Arc;

use crate::observe::{Observer, Silent, StderrLog};
use crate::status::SolveError;

/// Which backend solves the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// HiGHS: dual simplex for LPs (exact vertex duals), its active-set solver for QPs.
    Highs,
    /// Clarabel: interior point, LP and QP.
    Clarabel,
    /// Picks the fastest exact path by a rule measured on days of every size (benches/RESULTS.md,
    /// "auto"; [`BackendChoice::resolve_for`]): sifting for LPs of at least
    /// [`AUTO_HIGHS_LP_EDGES`] edges and HiGHS below; for QPs, sifting when the optimum is
    /// predicted to serve few edges, Clarabel otherwise; sifting for every day of at least
    /// [`AUTO_SIFTING_EDGES`] edges.
    #[default]
    Auto,
    /// agora's backend for days too large for the exact backends ([`crate::first_order`]):
    /// sifting (exact) or restarted PDHG over segment blocks (certified to
    /// `first_order_tolerance`); `first_order_method` chooses. `auto` picks it, with sifting, for
    /// days of at least [`AUTO_SIFTING_EDGES`] edges.
    FirstOrder,
}

impl BackendChoice {
    /// Every choice as `--backend` and settings files spell it.
    pub const NAMES: [&'static str; 4] = ["highs", "clarabel", "auto", "first-order"];

    /// The whole-model backend `auto` stands for, given whether the model has a quadratic term
    /// (what sifting's fallback and a tiny day use; [`BackendChoice::resolve_for`] is the full rule).
    ///
    /// LPs go to HiGHS: its dual simplex returns vertex solutions with exact duals, hot-starts
    /// re-solves, and is faster than Clarabel on every LP day measured (benches/RESULTS.md).
    /// QPs go to Clarabel: HiGHS' active-set QP solver stalls on agora's Hessian, whose diagonal
    /// `rho / supply` is tiny (1e-6..1e-5): on generated tiny day seed 52 with rho = 0.5 it ran
    /// millions of iterations without converging, where Clarabel needs about 20.
    pub fn resolve(self, is_qp: bool) -> BackendChoice {
        match self {
            BackendChoice::Auto if is_qp => BackendChoice::Clarabel,
            BackendChoice::Auto => BackendChoice::Highs,
            other => other,
        }
    }
}

/// Days with at least this many edges go to sifting under `auto`, LP or QP: from about this size
/// sifting beats HiGHS' simplex and Clarabel on the whole model by an order of magnitude and more
/// (benches/RESULTS.md, "First-order backend"). Below it the whole-model answers take a few
/// seconds at most and are the simpler path.
pub const AUTO_SIFTING_EDGES: usize = 100_000;

/// LPs below this many edges go to HiGHS under `auto`; from it, to sifting (benches/RESULTS.md,
/// "auto"): on the small day (3,882 edges) the two tie, and HiGHS' vertex comes without pricing
/// passes; from the MovieLens day (9,952 edges) on sifting is 3-4 times faster.
pub const AUTO_HIGHS_LP_EDGES: usize = 5_000;

/// QPs below this many edges go to Clarabel under `auto` whatever their spread: on tiny days an
/// interior point needs a millisecond, and sifting's first restricted problem is most of the day.
pub const AUTO_CLARABEL_QP_EDGES: usize = 1_000;

/// QPs whose predicted optimal support ([`predicted_support`]) is at most this fraction of the
/// edges go to sifting under `auto` (from [`AUTO_CLARABEL_QP_EDGES`] edges on); more spread-out
/// optima go to Clarabel, since sifting then grows its working set toward the whole model.
pub const AUTO_SIFTING_QP_SUPPORT: f64 = 0.25;

impl BackendChoice {
    /// [`BackendChoice::resolve`], with the measured rule (benches/RESULTS.md, "auto") for `auto`:
    /// - a day of at least [`AUTO_SIFTING_EDGES`] edges: sifting, LP or QP;
    /// - an LP: HiGHS below [`AUTO_HIGHS_LP_EDGES`] edges, sifting from there;
    /// - a QP: Clarabel below [`AUTO_CLARABEL_QP_EDGES`] edges or when its predicted support exceeds
    ///   [`AUTO_SIFTING_QP_SUPPORT`] of the edges, sifting otherwise.
    pub fn resolve_for<C: crate::ir::Columns + ?Sized>(self, model: &C) -> BackendChoice {
        if self != BackendChoice::Auto {
            return self;
        }
        let n = model.n_edges();
        if n >= AUTO_SIFTING_EDGES {
            return BackendChoice::FirstOrder;
        }
        if !model.is_qp() {
            return if n < AUTO_HIGHS_LP_EDGES { BackendChoice::Highs } else { BackendChoice::FirstOrder };
        }
        if n >= AUTO_CLARABEL_QP_EDGES && predicted_support(model) <= AUTO_SIFTING_QP_SUPPORT {
            BackendChoice::FirstOrder
        } else {
            BackendChoice::Clarabel
        }
    }
}

/// The fraction of edges a QP's optimum is predicted to serve: per segment, the optimum of
/// `sum_e c_e x_e - sum_e q_e x_e^2 / 2` under its supply row alone, where `q_e = rho / supply`
/// is the segment's, is `x_e = (c_e - lambda)+ / q_e` with the water level `lambda >= 0` at which
/// the segment's supply is used up (`sum_e (c_e - lambda)+ = rho`). The other rules move the
/// optimum, but the spread that decides between sifting and an interior point is already set here:
/// a large `rho` against the spread of the `c_e` serves almost every edge. An LP serves few edges
/// (a vertex): 0.
pub fn predicted_support<C: crate::ir::Columns + ?Sized>(model: &C) -> f64 {
    use crate::ir::RowKind;
    if !model.is_qp() || model.n_edges() == 0 {
        return 0.0;
    }
    // Each supply row's position among the supply rows (the segment), and each edge's segment.
    let mut segment_of_row = vec![usize::MAX; model.n_rows()];
    let mut supply = Vec::new();
    for (r, meta) in model.rows().iter().enumerate() {
        if meta.kind == RowKind::Supply {
            segment_of_row[r] = supply.len();
            supply.push(meta.rhs);
        }
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); supply.len()];
    let mut rho = vec![0.0; supply.len()];
    for e in 0..model.n_edges() {
        let Some(s) = model.supply_row(e).map(|r| segment_of_row[r]) else { continue };
        // q_e = rho / supply_s, so rho = q_e * supply_s.
        rho[s] = model.quad(e) * supply[s];
        let c = model.cost(e);
        if c > 0.0 {
            values[s].push(c);
        }
    }
    let mut served = 0usize;
    for (mut c, rho) in values.into_iter().zip(rho) {
        c.sort_by(|a, b| b.total_cmp(a));
        // The k best edges are served while the water level lambda_k = (sum of their c - rho) / k
        // stays below the k-th value; lambda is at least 0 (supply need not be used up).
        let mut sum = 0.0;
        let mut k = 0;
        for (j, &cj) in c.iter().enumerate() {
            sum += cj;
            let lambda = ((sum - rho) / (j + 1) as f64).max(0.0);
            if cj <= lambda {
                break;
            }
            k = j + 1;
        }
        served += k;
    }
    served as f64 / model.n_edges() as f64
}

impl std::str::FromStr for BackendChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "highs" => Ok(BackendChoice::Highs),
            "clarabel" => Ok(BackendChoice::Clarabel),
            "auto" => Ok(BackendChoice::Auto),
            "first-order" => Ok(BackendChoice::FirstOrder),
            _ => Err(format!("unknown backend \"{s}\" (one of: {})", Self::NAMES.join(", "))),
        }
    }
}

/// How the first-order backend solves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FirstOrderMethod {
    /// Sifting (see [`FirstOrderMethod::resolve`]).
    #[default]
    Auto,
    /// Restarted PDHG over segment blocks, certified to `first_order_tolerance` (LPs and QPs).
    Pdhg,
    /// Sifting: exact restricted problems over a working set of edges, priced by passes over all
    /// edges (LPs with HiGHS; QPs with HiGHS for their linear part, then Clarabel).
    Sifting,
}

impl FirstOrderMethod {
    /// Every method as settings files and the command line spell it.
    pub const NAMES: [&'static str; 3] = ["auto", "pdhg", "sifting"];

    /// The method `auto` stands for: sifting, for LPs and QPs. On every generated day measured it
    /// reached an exact optimum far sooner than PDHG reached 1e-4 (benches/RESULTS.md,
    /// "First-order backend"). PDHG stays for days whose optimum uses most edges (a large ridge
    /// spreads a QP's plan), where a working set would be the whole day.
    pub fn resolve(self) -> FirstOrderMethod {
        match self {
            FirstOrderMethod::Auto => FirstOrderMethod::Sifting,
            other => other,
        }
    }
}

impl std::str::FromStr for FirstOrderMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(FirstOrderMethod::Auto),
            "pdhg" => Ok(FirstOrderMethod::Pdhg),
            "sifting" => Ok(FirstOrderMethod::Sifting),
            _ => Err(format!("unknown first-order method \"{s}\" (one of: {})", Self::NAMES.join(", "))),
        }
    }
}

/// The machine's available parallelism (1 when it cannot be read): the default number of models
/// the commands that solve several side by side (report, horizon, experiment, audit) run at once.
pub fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Solver settings. Every field has a default; a settings file may give any subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Backend. Default `auto`.
    pub backend: BackendChoice,
    /// Wall-clock limit in seconds. Default: none.
    pub time_limit: Option<f64>,
    /// Iteration limit (simplex, interior-point or first-order iterations). Default: none.
    pub iteration_limit: Option<u64>,
    /// Threads a backend may use. Default 1: agora parallelises over models, not inside one.
    pub threads: usize,
    /// Primal feasibility tolerance handed to the backend. Default 1e-7.
    pub primal_tolerance: f64,
    /// Dual feasibility (optimality) tolerance handed to the backend. Default 1e-7.
    pub dual_tolerance: f64,
    /// Tolerance of agora's own check of every solution, relative to the row's scale
    /// (`max(|rhs|, sum |a_ij x_j|, 1e-4 max(1, max |rhs|))`, docs/model.md). Default 1e-6.
    pub check_tolerance: f64,
    /// Print the backend's log. Default false.
    pub verbose: bool,
    /// The first-order backend reports `optimal` only when its relative primal residual, dual
    /// residual and duality gap on the unscaled model are all at most this; it is also the
    /// tolerance of agora's check of its answers. Default 1e-4; valid range [1e-6, 1e-2].
    pub first_order_tolerance: f64,
    /// How the first-order backend solves: `auto` (sifting), `sifting` or `pdhg`. Default `auto`.
    pub first_order_method: FirstOrderMethod,
    /// Explain infeasible days: `agora solve` adds a diagnosis (the conflicting rules and the
    /// smallest relaxation) to the solution file of an infeasible day, and a frontier names the
    /// conflict of each infeasible point. Each costs a few extra solves; turn it off for huge
    /// days. Default true.
    pub diagnose_infeasible: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backend: BackendChoice::Auto,
            time_limit: None,
            iteration_limit: None,
            threads: 1,
            primal_tolerance: 1e-7,
            dual_tolerance: 1e-7,
            check_tolerance: 1e-6,
            verbose: false,
            first_order_tolerance: 1e-4,
            first_order_method: FirstOrderMethod::Auto,
            diagnose_infeasible: true,
        }
    }
}

impl Settings {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), SolveError> {
        let bad = |field: &str, reason: String| Err(SolveError::Settings { field: field.into(), reason });
        if let Some(t) = self.time_limit {
            if !(t.is_finite() && t > 0.0) {
                return bad("time_limit", format!("must be a positive number of seconds, got {t}"));
            }
        }
        if self.iteration_limit == Some(0) {
            return bad("iteration_limit", "must be at least 1".into());
        }
        if self.threads == 0 || self.threads > 1024 {
            return bad("threads", format!("must be between 1 and 1024, got {}", self.threads));
        }
        for (field, v) in [("primal_tolerance", self.primal_tolerance), ("dual_tolerance", self.dual_tolerance), ("check_tolerance", self.check_tolerance)] {
            if !(v.is_finite() && v > 0.0 && v <= 1e-2) {
                return bad(field, format!("must be in (0, 1e-2], got {v}"));
            }
        }
        let t = self.first_order_tolerance;
        if !(t.is_finite() && (1e-6..=1e-2).contains(&t)) {
            return bad("first_order_tolerance", format!("must be in [1e-6, 1e-2], got {t}"));
        }
        Ok(())
    }

    /// These settings, checked once: what every solve path takes. Log lines go to standard
    /// error when `verbose`, nowhere otherwise ([`ValidSettings::observed_by`] changes that).
    pub fn validated(self) -> Result<ValidSettings, SolveError> {
        self.validate()?;
        let observer: Arc<dyn Observer> = if self.verbose { Arc::new(StderrLog) } else { Arc::new(Silent) };
        Ok(ValidSettings { settings: self, observer })
    }

    /// Reads settings from JSON text; unknown fields are errors. A type error names the field.
    pub fn from_json(text: &str) -> Result<Settings, SolveError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let s: Settings = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "settings".to_string() } else { path };
            SolveError::Settings { field, reason: e.into_inner().to_string() }
        })?;
        agora_instances::json_end(de, text).map_err(|t| SolveError::Settings { field: "settings".into(), reason: t.to_string() })?;
        s.validate()?;
        Ok(s)
    }
}

/// [`Settings`] that passed [`Settings::validate`], with the [`Observer`] that hears the solve's
/// log. Solve paths take this type, so settings are checked once, where they enter, and a
/// backend cannot be handed an invalid value. Only fields without a range (the backend and the
/// first-order method) and the time left can change afterwards, through the methods below.
#[derive(Clone)]
pub struct ValidSettings {
    settings: Settings,
    observer: Arc<dyn Observer>,
}

impl ValidSettings {
    /// The settings themselves.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Who hears the solve's log lines.
    pub fn observer(&self) -> &dyn Observer {
        self.observer.as_ref()
    }

    /// The same settings, heard by `observer`.
    pub fn observed_by(mut self, observer: Arc<dyn Observer>) -> ValidSettings {
        self.observer = observer;
        self
    }

    /// These settings heard by the same observer as `other`.
    pub fn observed_by_like(self, other: &ValidSettings) -> ValidSettings {
        self.observed_by(other.observer.clone())
    }

    /// The same settings for another backend and first-order method.
    pub fn with_backend(&self, backend: BackendChoice, method: FirstOrderMethod) -> ValidSettings {
        let mut v = self.clone();
        v.settings.backend = backend;
        v.settings.first_order_method = method;
        v
    }

    /// The same settings with `threads` threads (kept within the valid 1..=1024).
    pub fn with_threads(&self, threads: usize) -> ValidSettings {
        let mut v = self.clone();
        v.settings.threads = threads.clamp(1, 1024);
        v
    }

    /// These settings with the backend's primal and dual tolerances divided by `factor` (the
    /// check's tolerance unchanged): a second run asked for a more accurate answer.
    pub fn tightened(&self, factor: f64) -> ValidSettings {
        let mut v = self.clone();
        v.settings.primal_tolerance /= factor;
        v.settings.dual_tolerance /= factor;
        v
    }

    /// The same settings with at most `seconds` of wall clock (at least a millisecond, so the
    /// limit stays valid when time has all but run out).
    pub fn with_time_left(&self, seconds: Option<f64>) -> ValidSettings {
        let mut v = self.clone();
        v.settings.time_limit = seconds.map(|s| if s.is_finite() { s.max(1e-3) } else { 1e-3 });
        v
    }
}

impl std::ops::Deref for ValidSettings {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        &self.settings
    }
}

impl std::fmt::Debug for ValidSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValidSettings").field(&self.settings).finish()
    }
}

/// What a solve entry point accepts: plain [`Settings`], checked on entry, or [`ValidSettings`],
/// already checked (then borrowed as they are).
pub trait ToValid {
    /// The checked settings.
    fn to_valid(&self) -> Result<Cow<'_, ValidSettings>, SolveError>;
}

impl ToValid for Settings {
    fn to_valid(&self) -> Result<Cow<'_, ValidSettings>, SolveError> {
        self.clone().validated().map(Cow::Owned)
    }
}

impl ToValid for ValidSettings {
    fn to_valid(&self) -> Result<Cow<'_, ValidSettings>, SolveError> {
        Ok(Cow::Borrowed(self))
    }
}

impl TryFrom<Settings> for ValidSettings {
    type Error = SolveError;
    fn try_from(s: Settings) -> Result<ValidSettings, SolveError> {
        s.validated()
    }
}
