//! Ecosystem reports of a solved day: the `agora.report/v1` file, its tables and its charts.
//!
//! A report reads an instance and an optimal `agora.solution/v1` of it, and gives
//!
//! * `overall` and `segments`: the plan's ecosystem metrics ([`agora_instances::EcosystemMetrics`]);
//! * `binding_rules`: the rows with a non-zero dual and their shadow prices, as the solution gives them;
//! * `constraint_prices`: for each instance constraint, the optimum of the day re-solved without it
//!   and the difference, the price of that rule ([`constraint_prices`]);
//! * `gaps`: for each segment and topic, the value per impression of a new organic item of that
//!   topic shown there, priced with the solution's duals ([`gaps`]), best first;
//! * charts (SVG): the Lorenz curve of creator exposure, each segment's topic mix, the shadow prices
//!   of binding rows and the prices of the rules ([`charts`]);
//! * `incentives`, when an incentive audit of the day is given ([`Report::with_audit`]): its
//!   checks and trials ([`incentives`]).
//!
//! Formulas and the gap assumptions are in docs/reports.md.

pub mod charts;
pub mod constraint_prices;
pub mod gaps;
pub mod html;
pub mod incentives;
pub mod tables;

use std::collections::HashMap;

use agora_instances::csv;
use agora_instances::metrics::creator_exposure;
use agora_instances::{EcosystemMetrics, Instance};
use agora_solver::{Columns as _, Formulation, RowKind, Settings, SolutionFile, SolveError, Status, SOLUTION_SCHEMA};

use serde_json::{json, Value};

use agora_mechanisms::format::round;
pub use constraint_prices::ConstraintPrice;
pub use gaps::{Basis, Gap, Hypothetical, Profile};

/// The `schema` string of report files.
pub const REPORT_SCHEMA: &str = "agora.report/v1";

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The solution file's `schema` is not `agora.solution/v1`.
    #[error("schema is \"{0}\", expected \"{SOLUTION_SCHEMA}\"")]
    Schema(String),
    /// The solution is of another instance, or of another version of it (its recorded content hash
    /// differs); the message says which.
    #[error("{0}")]
    OtherInstance(String),
    /// The solution's status is not `optimal`.
    #[error("the solution's status is {0}: only optimal plans are reported")]
    NotOptimal(Status),
    /// A plan entry names an edge the instance does not have.
    #[error("plan[{index}]: the instance has no edge from segment \"{segment}\" to item \"{item}\"")]
    UnknownEdge {
        /// The entry's position in `plan` (from 0).
        index: usize,
        /// The entry's segment id.
        segment: String,
        /// The entry's item id.
        item: String,
    },
    /// A plan entry's edge is listed twice.
    #[error("plan[{index}]: edge \"{segment}\" -> \"{item}\" is listed twice")]
    DuplicateEdge {
        /// The position in `plan` of the second listing (from 0).
        index: usize,
        /// The entry's segment id.
        segment: String,
        /// The entry's item id.
        item: String,
    },
    /// A plan entry's impressions are negative or not finite.
    #[error("plan[{index}].impressions: {value} is not a non-negative number")]
    BadImpressions {
        /// The entry's position in `plan` (from 0).
        index: usize,
        /// The impressions it gives.
        value: f64,
    },
    /// The plan breaks a hard rule or a bound beyond the feasibility tolerance.
    #[error("the plan breaks the instance's rules ({count} violations), first: {first}")]
    Infeasible {
        /// How many violations.
        count: usize,
        /// The first violation, in words.
        first: String,
    },
    /// A row of the instance's model is missing from the solution's `constraints`.
    #[error("constraints: no row \"{0}\": the solution does not come from this instance's model")]
    MissingRow(String),
    /// A row's dual has the wrong sign for its sense (beyond 1e-9), or is not finite.
    #[error("constraints[{index}] (\"{name}\").dual: {value} has the wrong sign for a {sense} row")]
    DualSign {
        /// The row's position in `constraints` (from 0).
        index: usize,
        /// The row's spec name.
        name: String,
        /// `<=` or `>=`.
        sense: &'static str,
        /// The dual the solution gives.
        value: f64,
    },
    /// A re-solve behind `constraint_prices` could not run.
    #[error("re-solve failed: {0}")]
    Solve(#[from] SolveError),
    /// An SVG chart could not be drawn.
    #[error("chart {chart}: {reason}")]
    Chart {
        /// The chart's file name.
        chart: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// How a report is made.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// Settings of the re-solves behind `constraint_prices` (default: [`Settings::default`], the
    /// same as a fresh `agora solve`).
    pub solve: Settings,
    /// Relative tolerance of the plan's independent feasibility check. Default 1e-6.
    pub feasibility_tolerance: f64,
    /// Skip the re-solves (`constraint_prices` is then empty). Default false.
    pub skip_constraint_prices: bool,
    /// The attributes of the gaps' hypothetical items. Default [`Profile::Mean`].
    pub gap_profile: Profile,
    /// Rule re-solves run at once. Default: the machine's available parallelism.
    pub parallelism: usize,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            solve: Settings::default(),
            feasibility_tolerance: 1e-6,
            skip_constraint_prices: false,
            gap_profile: Profile::Mean,
            parallelism: agora_solver::available_parallelism(),
        }
    }
}

/// An optimal plan read from a solution file, checked against its instance.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPlan {
    /// Impressions per edge, in instance edge order.
    pub x: Vec<f64>,
    /// Every row's dual by row name (maximisation convention).
    pub duals: HashMap<String, f64>,
    /// The solution's objective.
    pub objective: f64,
}

/// Reads the plan and the duals of `file`, refusing a file of another instance, a non-optimal
/// status, a plan entry that names no edge, a plan that breaks a hard rule (checked independently
/// by [`plan_violations`]; soft rules may be violated at their penalty), and a row list that does not cover this instance's model.
pub fn check_solution(inst: &Instance, file: &SolutionFile, feasibility_tolerance: f64) -> Result<CheckedPlan, ReportError> {
    if file.schema != SOLUTION_SCHEMA {
        return Err(ReportError::Schema(file.schema.clone()));
    }
    file.check_instance(inst).map_err(ReportError::OtherInstance)?;
    if !file.status.is_optimal() {
        return Err(ReportError::NotOptimal(file.status));
    }
    // The plan's entries found in the day (no index of the day's edges).
    let pairs: Vec<(&str, &str)> = file.plan.iter().map(|p| (p.segment.as_str(), p.item.as_str())).collect();
    let mut x = vec![0.0; inst.edges.len()];
    let mut seen = vec![false; inst.edges.len()];
    for (index, (p, e)) in file.plan.iter().zip(inst.edges_of(&pairs)).enumerate() {
        let e = e.ok_or_else(|| ReportError::UnknownEdge { index, segment: p.segment.clone(), item: p.item.clone() })?;
        if seen[e] {
            return Err(ReportError::DuplicateEdge { index, segment: p.segment.clone(), item: p.item.clone() });
        }
        if !(p.impressions.is_finite() && p.impressions >= 0.0) {
            return Err(ReportError::BadImpressions { index, value: p.impressions });
        }
        seen[e] = true;
        x[e] = p.impressions;
    }
    // Soft rules may be violated by design (the objective pays for it): check the hard ones.
    let model = Formulation::new(inst);
    let violations = crate::export::hard_violations(inst, model.rows(), &x, feasibility_tolerance);
    if let Some(first) = violations.first() {
        return Err(ReportError::Infeasible { count: violations.len(), first: first.clone() });
    }
    let mut duals = HashMap::with_capacity(file.constraints.len());
    for (index, c) in file.constraints.iter().enumerate() {
        // Rounding noise aside, a maximisation's duals are >= 0 on <= rows and <= 0 on >= rows.
        let sense = c.sense.as_deref().unwrap_or("");
        let wrong = (sense == "<=" && c.dual < -1e-9) || (sense == ">=" && c.dual > 1e-9) || !c.dual.is_finite();
        if wrong {
            return Err(ReportError::DualSign { index, name: c.name.clone(), sense: if sense == "<=" { "<=" } else { ">=" }, value: c.dual });
        }
        duals.insert(c.name.clone(), c.dual);
    }
    for row in model.rows() {
        if !duals.contains_key(&row.name) {
            return Err(ReportError::MissingRow(row.name.clone()));
        }
    }
    Ok(CheckedPlan { x, duals, objective: file.objective })
}

/// A row with a non-zero dual, as the solution reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRow {
    /// The row's spec name.
    pub name: String,
    /// What the row is.
    pub kind: RowKind,
    /// The field the shadow price differentiates against (`supply`, `budget`, `cap`, `min`,
    /// `max`, `max_share`, `min_share`, `tolerance`).
    pub parameter: String,
    /// d(objective)/d(rhs), non-zero, maximisation sign convention: `>= 0` on `<=` rows, `<= 0` on `>=` rows.
    pub dual: f64,
    /// d(objective) / d(parameter), objective units per unit of the parameter.
    pub shadow_price: f64,
}

impl BindingRow {
    /// Share and tolerance parameters live in [0, 1]: their prices read better per percentage point.
    pub fn per_point(&self) -> bool {
        matches!(self.parameter.as_str(), "max_share" | "min_share" | "tolerance")
    }
    /// The shadow price in the unit [`BindingRow::unit`] names.
    pub fn display_price(&self) -> f64 {
        if self.per_point() {
            self.shadow_price / 100.0
        } else {
            self.shadow_price
        }
    }
    /// "per impression", "per currency unit", "per point of max_share", ...
    pub fn unit(&self) -> String {
        match self.parameter.as_str() {
            "supply" | "cap" => "per impression".into(),
            "budget" => "per currency unit".into(),
            "min" | "max" if self.kind == RowKind::RevenueFloor => "per currency unit".into(),
            "min" | "max" => "per impression".into(),
            p if self.per_point() => format!("per point of {p}"),
            p => format!("per unit of {p}"),
        }
    }
}

/// A report of one solved day.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The name of the instance reported on.
    pub instance: String,
    /// The solution's objective.
    pub objective: f64,
    /// The plan's ecosystem metrics, overall and per segment.
    pub metrics: EcosystemMetrics,
    /// Organic impressions per creator, in instance order (the Lorenz curve's data).
    pub creator_exposure: Vec<f64>,
    /// The rows with a non-zero dual, in solution order.
    pub binding_rules: Vec<BindingRow>,
    /// For each instance constraint, the optimum without it and what it costs (empty when skipped).
    pub constraint_prices: Vec<ConstraintPrice>,
    /// The profile the gaps' items were built with.
    pub gap_profile: Profile,
    /// Best first.
    pub gaps: Vec<Gap>,
    /// An incentive audit of the same day, when one was given.
    pub incentives: Option<agora_mechanisms::audit::Audit>,
}

/// Makes the report of `file`, an `agora.solution/v1` of `inst`.
pub fn build(inst: &Instance, file: &SolutionFile, settings: &ReportSettings) -> Result<Report, ReportError> {
    build_in_place(&mut inst.clone(), file, settings)
}

/// [`build`] on `inst` itself: the rule prices (one at a time when `settings.parallelism` is
/// one) and the gaps change the day in place and change it back, so the report holds no copy of
/// it (`agora report` on a day too large for two); `inst` is left as it was.
pub fn build_in_place(inst: &mut Instance, file: &SolutionFile, settings: &ReportSettings) -> Result<Report, ReportError> {
    let plan = check_solution(inst, file, settings.feasibility_tolerance)?;
    let metrics = EcosystemMetrics::of(inst, &plan.x);
    let binding_rules = file
        .constraints
        .iter()
        .filter(|c| c.dual != 0.0)
        .map(|c| BindingRow {
            name: c.name.clone(),
            kind: c.kind,
            parameter: c.parameter.clone().unwrap_or_else(|| "rhs".into()),
            dual: c.dual,
            shadow_price: c.shadow_price,
        })
        .collect();
    let start = constraint_prices::Start::FromSolution;
    let constraint_prices = if settings.skip_constraint_prices {
        Vec::new()
    } else if settings.parallelism <= 1 {
        constraint_prices::constraint_prices_in_place(inst, file, &settings.solve, start)?
    } else {
        constraint_prices::constraint_prices(inst, file, &settings.solve, settings.parallelism, start)?
    };
    let gaps = gaps::gaps_in_place(inst, &plan.x, &plan.duals, settings.gap_profile);
    Ok(Report {
        instance: inst.name.clone(),
        objective: plan.objective,
        creator_exposure: creator_exposure(inst, &plan.x),
        metrics,
        binding_rules,
        constraint_prices,
        gap_profile: settings.gap_profile,
        gaps,
        incentives: None,
    })
}

/// The chart files of a report: `(file name, SVG text)`.
pub const CHART_FILES: [&str; 4] = ["lorenz.svg", "topic_mix.svg", "shadow_prices.svg", "rule_prices.svg"];

/// Every file of a report directory, in the order [`Report::files`] writes them: `report.json`,
/// the charts ([`CHART_FILES`]), `index.html`, and the two long tables whole as CSV
/// (`binding_rules.csv`, `gaps.csv`: the page shows their top rows). An existing directory is replaced only when it
/// holds nothing else.
pub const REPORT_FILES: [&str; 8] =
    ["report.json", CHART_FILES[0], CHART_FILES[1], CHART_FILES[2], CHART_FILES[3], "index.html", "binding_rules.csv", "gaps.csv"];

impl Report {
    /// The report with `audit`, an `agora.audit/v2` of `inst` (the same instance, by name and
    /// content hash), as its incentive section.
    pub fn with_audit(self, inst: &Instance, audit: agora_mechanisms::audit::Audit) -> Result<Report, ReportError> {
        incentives::check_audit(inst, &audit)?;
        Ok(Report { incentives: Some(audit), ..self })
    }

    /// The `agora.report/v1` JSON (numbers rounded to 12 significant digits).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("reports serialise")
    }

    fn to_value(&self) -> Value {
        let m = &self.metrics;
        let r = round;
        let opt = |v: Option<f64>| v.map(round);
        let overall = json!({
            "impressions": r(m.plan.impressions),
            "engagement": r(m.engagement),
            "quality": r(m.quality),
            "revenue": r(m.plan.revenue),
            "rpm": r(m.rpm),
            "ad_load": r(m.plan.ad_load),
            "freshness_share": r(m.freshness_share),
            "integrity_rate": r(m.integrity_rate),
            "new_creator_share": r(m.plan.new_creator_share),
            "creator_gini": r(m.plan.creator_gini),
            "creator_hhi": r(m.creator_hhi),
            "creator_entropy": r(m.creator_entropy_bits),
            "effective_catalog_size": r(m.effective_catalog_size),
            "coverage": r(m.coverage),
            "zero_exposure_creators": r(m.zero_exposure_creators),
            "group_share": m.group_share.iter().map(|(g, v)| (g.clone(), json!(r(*v)))).collect::<serde_json::Map<_, _>>(),
            "budget_utilisation": r(m.budget_utilisation),
            "budgets": m.budgets.iter().map(|b| json!({"campaign": b.campaign, "budget": r(b.budget), "spend": r(b.spend), "utilisation": r(b.utilisation)})).collect::<Vec<_>>(),
            "floors": m.floors.iter().map(|f| json!({"name": f.name, "type": f.kind, "min": r(f.min), "achieved": r(f.achieved), "attainment": r(f.attainment)})).collect::<Vec<_>>(),
        });
        let segments: Vec<Value> = m
            .segments
            .iter()
            .map(|s| {
                json!({
                    "segment": s.segment,
                    "supply": r(s.supply),
                    "impressions": r(s.impressions),
                    "ad_load": r(s.ad_load),
                    "freshness_share": r(s.freshness_share),
                    "integrity_rate": r(s.integrity_rate),
                    "integrity_cap": opt(s.integrity_cap),
                    "topic_entropy": r(s.topic_entropy_bits),
                    "largest_topic": s.largest_topic.as_ref().map(|t| t.0.clone()),
                    "largest_topic_share": opt(s.largest_topic.as_ref().map(|t| t.1)),
                    "topic_mix": s.topic_mix.iter().filter(|(_, v)| *v > 0.0).map(|(t, v)| (t.clone(), json!(r(v / s.impressions)))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect();
        let binding: Vec<Value> = self
            .binding_rules
            .iter()
            .map(|b| json!({"row": b.name, "type": b.kind, "parameter": b.parameter, "dual": r(b.dual), "shadow_price": r(b.shadow_price)}))
            .collect();
        let prices: Vec<Value> = self
            .constraint_prices
            .iter()
            .map(|c| {
                json!({"name": c.name, "type": c.kind, "status": c.status.as_str(), "objective_without": opt(c.objective_without), "price": opt(c.price),
                       "seconds": r(c.seconds), "warm_start": c.warm_start})
            })
            .collect();
        let gaps: Vec<Value> = self
            .gaps
            .iter()
            .enumerate()
            .map(|(k, g)| {
                json!({
                    "rank": k + 1,
                    "segment": g.segment,
                    "topic": g.topic,
                    "value": r(g.value),
                    "objective_coefficient": r(g.objective_coefficient),
                    "existing_edges": g.existing_edges,
                    "basis": g.item.basis.as_str(),
                    "basis_edges": g.item.basis_edges,
                    "profile": g.item.profile.as_str(),
                    "engagement": r(g.item.engagement),
                    "quality": r(g.item.quality),
                    "risk": r(g.item.risk),
                    "fresh": g.item.fresh,
                    "priced_rows": g.priced_rows.iter().map(|(n, v)| json!({"row": n, "contribution": r(*v)})).collect::<Vec<_>>(),
                    "caveat": g.caveat,
                })
            })
            .collect();
        let mut doc = json!({
            "schema": REPORT_SCHEMA,
            "instance": self.instance,
            "objective": r(self.objective),
            "overall": overall,
            "segments": segments,
            "binding_rules": binding,
            "constraint_prices": prices,
            "gap_profile": self.gap_profile.as_str(),
            "gaps": gaps,
            "charts": CHART_FILES,
        });
        if let Some(audit) = &self.incentives {
            doc["incentives"] = incentives::value(audit);
        }
        doc
    }

    /// Every file of the report directory as `(file name, text)`: `report.json`, the charts,
    /// `index.html` (what `agora report --out` and the Python package write).
    /// `index.html` is the report as one self-contained page ([`html::page`]), built from the
    /// same value as `report.json`, made once for both.
    pub fn files(&self) -> Result<Vec<(&'static str, String)>, ReportError> {
        let value = self.to_value();
        let charts = self.charts()?;
        let page = html::page(&value, &charts);
        let mut files = vec![(REPORT_FILES[0], serde_json::to_string_pretty(&value).expect("reports serialise"))];
        files.extend(charts);
        files.push((REPORT_FILES[5], page));
        files.push((REPORT_FILES[6], self.binding_rules_csv()));
        files.push((REPORT_FILES[7], self.gaps_csv()));
        Ok(files)
    }

    /// `binding_rules.csv`: every row with a non-zero dual, in solution order.
    fn binding_rules_csv(&self) -> String {
        let mut out = String::new();
        csv::write_record(&mut out, &["name", "type", "parameter", "dual", "shadow_price"]);
        for b in &self.binding_rules {
            csv::write_record(&mut out, &[b.name.clone(), b.kind.to_string(), b.parameter.clone(), format!("{}", b.dual), format!("{}", b.shadow_price)]);
        }
        out
    }

    /// `gaps.csv`: every gap, best first.
    fn gaps_csv(&self) -> String {
        let mut out = String::new();
        csv::write_record(&mut out, &["rank", "segment", "topic", "value", "objective_coefficient", "existing_edges", "held_back_most_by", "caveat"]);
        for (k, g) in self.gaps.iter().enumerate() {
            let held = g.priced_rows.first().map(|r| r.0.clone()).unwrap_or_default();
            let row = [
                (k + 1).to_string(),
                g.segment.clone(),
                g.topic.clone(),
                format!("{}", g.value),
                format!("{}", g.objective_coefficient),
                g.existing_edges.to_string(),
                held,
                g.caveat.clone().unwrap_or_default(),
            ];
            csv::write_record(&mut out, &row);
        }
        out
    }

    /// Every chart as `(file name, SVG text)`, in the order of [`CHART_FILES`].
    pub fn charts(&self) -> Result<Vec<(&'static str, String)>, ReportError> {
        Ok(vec![
            (CHART_FILES[0], charts::lorenz(&self.creator_exposure)?),
            (CHART_FILES[1], charts::topic_mix(&self.metrics.segments)?),
            (CHART_FILES[2], charts::shadow_prices(&self.binding_rules)?),
            (CHART_FILES[3], charts::rule_prices(&self.constraint_prices)?),
        ])
    }
}
