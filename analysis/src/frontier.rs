//! A frontier's files: `frontier.json` (`agora.frontier/v1`), `frontier.csv` (the same numbers,
//! one row per point), `frontier.svg` (the curve, or one curve per value of the first
//! parameter of a grid) and `index.html` (all of it as one page), written together into a
//! directory atomically by [`write_dir`].
//!
//! Points that are not optimal have no values: `null` in JSON, empty cells in CSV, and in the
//! chart red crosses on the bottom axis, listed in the legend, never a point of the curve.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use agora_instances::{ConstraintKind, Instance, Param};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use agora_instances::csv::write_record;
use agora_solver::frontier::{Frontier, Point, FRONTIER_SCHEMA};
use agora_solver::{Status, Terms};

/// The `agora.frontier/v1` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierFile {
    /// Always `agora.frontier/v1`.
    pub schema: String,
    /// The name of the instance swept.
    pub instance: String,
    /// The swept parameters (one or two), in sweep order.
    pub sweeps: Vec<SweepEntry>,
    /// Row-major over the grid: the last sweep varies fastest.
    pub points: Vec<PointEntry>,
    /// Index into `points` of the knee; `null` for grids and curves without one.
    pub knee: Option<usize>,
}

/// A sweep of the frontier file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepEntry {
    /// The parameter's spec name, as the user wrote it.
    pub param: String,
    /// The first value.
    pub from: f64,
    /// The last value.
    pub to: f64,
    /// How many evenly spaced values, both ends included.
    pub points: usize,
}

/// A point of the frontier file. Numbers are `null` unless `status` is `optimal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointEntry {
    /// The value of every swept parameter, by its name.
    pub values: BTreeMap<String, f64>,
    /// How the point's solve ended.
    pub status: Status,
    /// The optimum, penalties included.
    pub objective: Option<f64>,
    /// The objective's signed terms at the point's plan.
    pub terms: Option<Terms>,
    /// The plan metrics of the point's plan.
    pub metrics: Option<MetricsEntry>,
    /// d(optimum)/d(parameter) for every swept parameter, by its name (objective units per unit of the
    /// parameter).
    pub shadow_prices: BTreeMap<String, Option<f64>>,
    /// Pareto-efficient among the frontier's optimal points (false unless optimal).
    pub efficient: bool,
    /// Solved from the previous point's basis (agora's addition).
    pub hot_start: bool,
    /// Iterations of the backend (agora's addition).
    pub iterations: u64,
    /// Why the status is not optimal (agora's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For an infeasible point, the rules that conflict there (agora's addition; absent when
    /// none were computed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflict: Vec<String>,
}

/// The plan metrics of a point (docs/model.md, "Plan metrics").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricsEntry {
    /// Ad impressions over all impressions (0 for an empty plan).
    pub ad_load: f64,
    /// Sum of price x impressions over ad edges (currency per day, before the revenue weight).
    pub revenue: f64,
    /// Organic impressions of creators in group `new` over all organic impressions.
    pub new_creator_share: f64,
    /// Gini coefficient of every creator's organic impressions (0: perfect equality).
    pub creator_gini: f64,
}

/// A frontier's outputs (the solver computes the [`Frontier`]; this crate writes it).
pub trait FrontierOutput {
    /// The `agora.frontier/v1` file of this frontier.
    fn to_file(&self) -> FrontierFile;
    /// `frontier.json`.
    fn to_json(&self) -> String;
    /// `frontier.csv`: a header, then one row per point; cells of a point that is not optimal
    /// are empty.
    fn to_csv(&self) -> String;
    /// `frontier.svg`: the optimum against the (last) swept parameter.
    fn to_svg(&self, inst: &Instance) -> io::Result<String>;
    /// Every file of the frontier directory as `(file name, text)`, in the order of
    /// [`FRONTIER_FILES`]; `index.html` is the chart and the points' table as one self-contained
    /// page, built from the same value as `frontier.json` ([`crate::html`]). The file value and
    /// the chart are made once, for the files and for the page.
    fn files(&self, inst: &Instance) -> io::Result<Vec<(&'static str, String)>>;
}

/// The files of a frontier directory.
pub const FRONTIER_FILES: [&str; 4] = ["frontier.json", "frontier.csv", "frontier.svg", "index.html"];

impl FrontierOutput for Frontier {
    fn to_file(&self) -> FrontierFile {
        let names: Vec<&str> = self.sweeps.iter().map(|s| s.name.as_str()).collect();
        FrontierFile {
            schema: FRONTIER_SCHEMA.to_string(),
            instance: self.instance.clone(),
            sweeps: self.sweeps.iter().map(|s| SweepEntry { param: s.name.clone(), from: s.from, to: s.to, points: s.points }).collect(),
            points: self
                .points
                .iter()
                .map(|p| PointEntry {
                    values: names.iter().map(|n| n.to_string()).zip(p.values.iter().copied()).collect(),
                    status: p.status,
                    objective: p.objective,
                    terms: p.terms,
                    metrics: p.metrics.map(|m| MetricsEntry {
                        ad_load: m.ad_load,
                        revenue: m.revenue,
                        new_creator_share: m.new_creator_share,
                        creator_gini: m.creator_gini,
                    }),
                    shadow_prices: names.iter().map(|n| n.to_string()).zip(p.shadow_prices.iter().copied()).collect(),
                    efficient: p.efficient,
                    hot_start: p.hot_start,
                    iterations: p.iterations,
                    message: p.message.clone(),
                    conflict: p.conflict.clone(),
                })
                .collect(),
            knee: self.knee,
        }
    }

    /// `frontier.json`.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file()).expect("frontier files serialise")
    }

    /// `frontier.csv`: a header, then one row per point; cells of a point that is not optimal
    /// are empty.
    fn to_csv(&self) -> String {
        let mut header: Vec<String> = self.sweeps.iter().map(|s| s.name.clone()).collect();
        header.extend(["status", "objective"].map(String::from));
        header.extend(["engagement", "quality", "revenue", "integrity_risk", "regularization", "penalties"].map(|t| format!("term.{t}")));
        header.extend(["ad_load", "revenue", "new_creator_share", "creator_gini"].map(|m| format!("metric.{m}")));
        header.extend(self.sweeps.iter().map(|s| format!("shadow_price[{}]", s.name)));
        header.extend(["efficient", "knee", "hot_start"].map(String::from));
        let mut out = String::new();
        write_record(&mut out, &header);
        for (i, p) in self.points.iter().enumerate() {
            let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            let mut row: Vec<String> = p.values.iter().map(|v| v.to_string()).collect();
            row.push(p.status.as_str().to_string());
            row.push(num(p.objective));
            let t = p.terms.map(|t| [t.engagement, t.quality, t.revenue, t.integrity_risk, t.regularization, t.penalties]);
            for k in 0..6 {
                row.push(num(t.map(|t| t[k])));
            }
            let m = p.metrics;
            row.push(num(m.map(|m| m.ad_load)));
            row.push(num(m.map(|m| m.revenue)));
            row.push(num(m.map(|m| m.new_creator_share)));
            row.push(num(m.map(|m| m.creator_gini)));
            row.extend(p.shadow_prices.iter().map(|&s| num(s)));
            row.push(p.efficient.to_string());
            row.push((self.knee == Some(i)).to_string());
            row.push(p.hot_start.to_string());
            write_record(&mut out, &row);
        }
        out
    }

    /// `frontier.svg`: the optimum against the (last) swept parameter.
    fn to_svg(&self, inst: &Instance) -> io::Result<String> {
        let mut buf = String::new();
        draw(self, inst, &mut buf).map_err(|e| io::Error::other(format!("cannot draw the chart: {e}")))?;
        Ok(buf)
    }

    fn files(&self, inst: &Instance) -> io::Result<Vec<(&'static str, String)>> {
        let file = self.to_file();
        let doc = serde_json::to_value(&file).map_err(io::Error::other)?;
        let svg = self.to_svg(inst)?;
        let page = page(&doc, &svg);
        let json = serde_json::to_string_pretty(&file).expect("frontier files serialise");
        Ok(vec![(FRONTIER_FILES[0], json), (FRONTIER_FILES[1], self.to_csv()), (FRONTIER_FILES[2], svg), (FRONTIER_FILES[3], page)])
    }
}

/// The frontier's page: headline figures, the knee in words, the chart, every point.
fn page(doc: &serde_json::Value, svg: &str) -> String {
    use crate::html::{escape, num, pointer_key, text, Fmt, Page, Table};
    let params: Vec<String> = doc["sweeps"].as_array().map_or(Vec::new(), |s| s.iter().filter_map(|s| s["param"].as_str().map(String::from)).collect());
    let points = doc["points"].as_array().map_or(0, |p| p.len());
    let optimal = doc["points"].as_array().map_or(0, |p| p.iter().filter(|p| p["status"] == "optimal").count());
    let mut p = Page::new(
        &format!("agora frontier: {}", doc["instance"].as_str().unwrap_or("")),
        &format!("The optimum of <b>{}</b> as {} (agora.frontier/v1).", text(doc, "/instance"), escape(&params.join(" and "))),
    );
    let mut cards = vec![("points", points.to_string()), ("optimal points", optimal.to_string())];
    let knee = doc["knee"].as_u64().map(|k| k as usize);
    if let Some(k) = knee {
        cards.push(("objective at the knee", num(doc, &format!("/points/{k}/objective"), Fmt::Number)));
    }
    p.cards(&cards);
    p.section("curve", "Frontier");
    let mut words = Vec::new();
    if let Some(k) = knee {
        let at: Vec<String> =
            params.iter().map(|n| format!("{} = {}", escape(n), num(doc, &format!("/points/{k}/values/{}", pointer_key(n)), Fmt::Number))).collect();
        words.push(format!(
            "The knee (where the curve bends most: beyond it each step buys less) is at {}, objective {}.",
            at.join(", "),
            num(doc, &format!("/points/{k}/objective"), Fmt::Number)
        ));
    }
    if optimal < points {
        words.push(format!(
            "{} of {points} points are not optimal (infeasible or failed): they have no values and are red crosses on the chart.",
            points - optimal
        ));
    }
    if !words.is_empty() {
        p.bullets(&words);
    }
    p.figure("frontier.svg", svg, "The optimum against the swept parameter; efficient points marked, the knee labelled.");
    p.section("points", "Points");
    let mut header: Vec<String> = params.clone();
    header.extend(["status", "objective", "revenue", "ad load", "new-creator share", "creator Gini"].map(String::from));
    header.extend(params.iter().map(|n| format!("d objective / d {n}")));
    header.extend(["efficient", "hot start"].map(String::from));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let numeric: Vec<bool> = header.iter().map(|h| !matches!(h.as_str(), "status" | "efficient" | "hot start")).collect();
    let mut t = Table::new(&header_refs, &numeric);
    for k in 0..points {
        let mut row: Vec<String> = params.iter().map(|n| num(doc, &format!("/points/{k}/values/{}", pointer_key(n)), Fmt::Number)).collect();
        row.push(text(doc, &format!("/points/{k}/status")));
        row.push(num(doc, &format!("/points/{k}/objective"), Fmt::Number));
        row.push(num(doc, &format!("/points/{k}/metrics/revenue"), Fmt::Number));
        row.push(num(doc, &format!("/points/{k}/metrics/ad_load"), Fmt::Percent));
        row.push(num(doc, &format!("/points/{k}/metrics/new_creator_share"), Fmt::Percent));
        row.push(num(doc, &format!("/points/{k}/metrics/creator_gini"), Fmt::Number));
        row.extend(params.iter().map(|n| num(doc, &format!("/points/{k}/shadow_prices/{}", pointer_key(n)), Fmt::Number)));
        row.push(if knee == Some(k) { "knee".into() } else { text(doc, &format!("/points/{k}/efficient")) });
        row.push(text(doc, &format!("/points/{k}/hot_start")));
        t.row(row);
    }
    p.table(&t);
    p.finish()
}

/// The unit of a parameter, for axis labels.
pub fn unit(inst: &Instance, p: &Param) -> &'static str {
    match p {
        Param::Supply(_) | Param::ItemCap(_) => "impressions/day",
        Param::Budget(_) => "currency/day",
        Param::Objective(_) => "weight",
        Param::Constraint(_, "penalty") => "objective units per unit of violation",
        Param::Constraint(_, "max_share" | "min_share") => "share, 0-1",
        Param::Constraint(_, "tolerance") => "fraction, 0-1",
        Param::Constraint(k, _) => match inst.constraints[*k].kind {
            ConstraintKind::RevenueFloor { .. } => "currency/day",
            _ => "impressions/day",
        },
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(f: &Frontier, inst: &Instance, buf: &mut String) -> DrawResult {
    let xs = f.sweeps.last().expect("a frontier has a sweep");
    let (x0, x1) = (xs.from.min(xs.to), xs.from.max(xs.to));
    let ys: Vec<f64> = f.points.iter().filter_map(|p| p.objective).collect();
    let (mut y0, mut y1) = ys.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &y| (lo.min(y), hi.max(y)));
    if ys.is_empty() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.08).max(1e-6 * y1.abs().max(1.0));
    let (y0, y1) = (y0 - pad, y1 + pad);

    let root = SVGBackend::with_string(buf, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = if ys.is_empty() { format!("{}: no sweep point is feasible", f.instance) } else { format!("{}: optimum along {}", f.instance, xs.name) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .margin_right(45)
        .x_label_area_size(55)
        .y_label_area_size(95)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart.configure_mesh().x_desc(format!("{} ({})", xs.name, unit(inst, &xs.param))).y_desc("optimal objective (objective units/day)").draw()?;

    // One curve per value of the first parameter of a grid, else one curve.
    let per_curve = if f.sweeps.len() == 2 { f.sweeps[1].points } else { f.points.len() };
    for (c, curve) in f.points.chunks(per_curve).enumerate() {
        let color = TAB10[c % TAB10.len()];
        let label = if f.sweeps.len() == 2 { format!("{} = {}", f.sweeps[0].name, fmt_num(curve[0].values[0])) } else { "optimum".to_string() };
        let x = |p: &Point| *p.values.last().expect("a point has values");
        // Lines join consecutive optimal points only: a gap of infeasible points breaks them.
        let mut first = true;
        for run in curve.split(|p| p.objective.is_none()).filter(|r| !r.is_empty()) {
            let s = chart.draw_series(LineSeries::new(run.iter().map(|p| (x(p), p.objective.unwrap_or_default())), color.stroke_width(2)))?;
            if first {
                s.label(label.clone()).legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 20, ly)], color.stroke_width(2)));
                first = false;
            }
        }
        chart.draw_series(curve.iter().filter_map(|p| {
            let y = p.objective?;
            let style = if p.efficient { color.filled() } else { WHITE.filled() };
            Some(Circle::new((x(p), y), 4, style))
        }))?;
        chart.draw_series(curve.iter().filter_map(|p| Some(Circle::new((x(p), p.objective?), 4, color.stroke_width(1)))))?;
    }

    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("filled marker: Pareto-efficient; hollow: dominated")
        .legend(|(lx, ly)| Circle::new((lx + 10, ly), 4, BLACK.filled()));
    let bad: Vec<&Point> = f.points.iter().filter(|p| p.objective.is_none()).collect();
    if !bad.is_empty() {
        let mut statuses: Vec<&str> = bad.iter().map(|p| p.status.as_str()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let at = |p: &&Point| (*p.values.last().expect("a point has values"), y0);
        chart
            .draw_series(bad.iter().map(|p| Cross::new(at(p), 7, RED.stroke_width(2))))?
            .label(format!("{}: no value ({} points)", statuses.join(", "), bad.len()))
            .legend(|(lx, ly)| Cross::new((lx + 10, ly), 5, RED.stroke_width(2)));
    }
    if let Some(k) = f.knee {
        let p = &f.points[k];
        let y = p.objective.expect("the knee is an optimal point");
        chart
            .draw_series(std::iter::once(Circle::new((p.values[0], y), 9, RGBColor(230, 120, 0).stroke_width(3))))?
            .label(format!("knee: {} = {}", xs.name, fmt_num(p.values[0])))
            .legend(|(lx, ly)| Circle::new((lx + 10, ly), 5, RGBColor(230, 120, 0).stroke_width(2)));
    }
    chart.configure_series_labels().position(legend_corner(f)).background_style(WHITE.mix(0.85)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// The legend goes in the upper right unless the curve ends high there.
fn legend_corner(f: &Frontier) -> SeriesLabelPosition {
    let ys: Vec<(f64, f64)> = f.points.iter().filter_map(|p| Some((*p.values.last()?, p.objective?))).collect();
    let right = ys.iter().max_by(|a, b| a.0.total_cmp(&b.0));
    let left = ys.iter().min_by(|a, b| a.0.total_cmp(&b.0));
    match (left, right) {
        (Some(l), Some(r)) if r.1 > l.1 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::UpperRight,
    }
}

/// Matplotlib's "tab10" colours: distinct and dark enough on white.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Writes `frontier.json`, `frontier.csv`, `frontier.svg` and `index.html` as the directory `dir`, atomically
/// ([`agora_instances::write_dir_atomic`]). An existing `dir` is replaced only when it holds
/// nothing but these files (a previous run's output).
pub fn write_dir(f: &Frontier, inst: &Instance, dir: &Path) -> io::Result<()> {
    agora_instances::write_dir_atomic(dir, &f.files(inst)?, agora_instances::ExistingDir::ReplaceIfOnly(&FRONTIER_FILES))
}
