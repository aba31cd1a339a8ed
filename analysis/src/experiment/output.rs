//! An experiment's files: `experiment.json` (`agora.experiment/v1`), `experiment.csv`,
//! `estimates.svg` and `index.html`, and the summary the command prints, with the guidance: which
//! design is unbiased for this change on this day, and why.

use plotters::prelude::*;
use serde_json::{json, Map, Value};

use super::{Aggregate, Design, DesignResult, Experiment, Units, EXPERIMENT_SCHEMA};

/// The files of an experiment directory, in the order [`Experiment::files`] writes them.
pub const EXPERIMENT_FILES: [&str; 4] = ["experiment.json", "experiment.csv", "estimates.svg", "index.html"];

/// The summary prints at most this many headline metrics per table.
pub const SUMMARY_ROWS: usize = 12;

/// A relative bias below this counts as none (the solves' own accuracy).
pub const UNBIASED: f64 = 1e-6;

/// Up to `max` of `names`, then how many more.
pub fn list(names: &[&str], max: usize) -> String {
    let mut s = names.iter().take(max).map(|n| agora_instances::limits::excerpt(n)).collect::<Vec<_>>().join(", ");
    if names.len() > max {
        s.push_str(&format!(" and {} more", names.len() - max));
    }
    s
}

impl DesignResult {
    /// What this design's estimates are compared with: the one-day truth, or (a switchback) the
    /// long-run effect.
    pub fn target(&self, e: &Experiment, k: usize) -> f64 {
        match &self.long_run {
            Some(l) => l[k],
            None => e.truth.gte(k),
        }
    }

    /// The bias of metric `k`'s estimate, when there is one.
    pub fn bias(&self, e: &Experiment, k: usize) -> Option<f64> {
        self.estimates[k].map(|v| v - self.target(e, k))
    }

    /// The bias relative to the target's size; `None` where the target is 0 (a change that does
    /// not move the metric: the absolute bias is what there is to read).
    pub fn relative_bias(&self, e: &Experiment, k: usize) -> Option<f64> {
        let b = self.bias(e, k)?;
        let t = self.target(e, k);
        (t != 0.0).then(|| b / t.abs())
    }
}

impl Experiment {
    /// The metrics a planner reads first: those whose truth moved, and moved the same at every
    /// optimal plan ([`super::Truth::identified`]): the objective, engagement, revenue, exposure
    /// by group, a campaign's impressions and spend, in metric order.
    pub fn headline(&self) -> Vec<usize> {
        (0..self.metrics.len())
            .filter(|&k| {
                let m = &self.metrics[k].name;
                let moved = self.truth.gte(k) != 0.0 && self.truth.identified[k];
                moved
                    && (matches!(m.as_str(), "objective" | "engagement" | "revenue")
                        || ["exposure.", "impressions.", "spend."].iter().any(|p| m.starts_with(p)))
            })
            .collect()
    }

    /// Which design is unbiased for this change, and why, in a planner's words: one line per
    /// design, then the recommendation.
    pub fn guidance(&self) -> Vec<String> {
        let headline = self.headline();
        let mut lines = Vec::new();
        let mut best: Option<(f64, Design)> = None;
        for d in &self.designs {
            let name = d.design.as_str();
            if let Some(why) = &d.unsupported {
                lines.push(format!("{name} cannot test this change: {why}."));
                continue;
            }
            let worst = headline.iter().filter_map(|&k| d.relative_bias(self, k).map(|r| (r.abs(), k))).fold(None, |acc: Option<(f64, usize)>, (r, k)| {
                if acc.is_none_or(|(a, _)| r > a) {
                    Some((r, k))
                } else {
                    acc
                }
            });
            let target = if d.long_run.is_some() { "the long-run effect" } else { "the truth" };
            let estimated = headline.iter().any(|&k| d.estimates[k].is_some());
            let line = match worst {
                // A design that estimates none of the metrics that moved says nothing about them:
                // it is not a candidate.
                None if !headline.is_empty() && !estimated => {
                    lines.push(format!("{name} estimates none of the headline metrics this change moves."));
                    continue;
                }
                None => format!("{name}: the change moves no headline metric ({target} is 0 on all of them)."),
                Some((r, _)) if r <= UNBIASED => {
                    format!("{name} is unbiased for this change: every headline metric's estimate equals {target}{}.", why_unbiased(d))
                }
                Some((r, k)) => {
                    let m = &self.metrics[k].name;
                    let (est, tgt) = (d.estimates[k].unwrap_or(0.0), d.target(self, k));
                    let why = why_biased(self, d, k);
                    format!(
                        "{name} is biased: {m} is estimated at {} against {target} {} ({:+.1}%){why}.",
                        fmt(est),
                        fmt(tgt),
                        100.0 * r * (est - tgt).signum()
                    )
                }
            };
            lines.push(line);
            let score = worst.map_or(0.0, |w| w.0);
            if d.long_run.is_none() && best.is_none_or(|(b, _)| score < b) {
                best = Some((score, d.design));
            }
        }
        let tied: Vec<&str> =
            (0..self.metrics.len()).filter(|&k| self.truth.gte(k) != 0.0 && !self.truth.identified[k]).map(|k| self.metrics[k].name.as_str()).collect();
        if !tied.is_empty() {
            lines.push(format!(
                "Not judged: {} moved only by how the solver breaks ties between equally good plans (the day has several optima that split them differently), so no design can be right or wrong about {}.",
                list(&tied, 6),
                if tied.len() == 1 { "it" } else { "them" }
            ));
        }
        if let Some((score, design)) = best {
            let noisy = self.designs.iter().find(|d| d.design == design).and_then(|d| {
                let k = *headline.first()?;
                d.noise[k].map(|n| {
                    format!(
                        " With the simulated impressions its {} estimate has a standard error of {} (power {:.0}% for the effect found).",
                        self.metrics[k].name,
                        fmt(n.std_error),
                        100.0 * n.power
                    )
                })
            });
            lines.push(format!(
                "Use {}: its largest relative bias on a headline metric is {:.2}%.{}",
                design.as_str(),
                100.0 * score,
                noisy.unwrap_or_default()
            ));
        }
        lines
    }

    /// The document of `experiment.json`.
    pub fn to_value(&self) -> Value {
        let per_metric = |v: &dyn Fn(usize) -> f64| -> Value {
            Value::Object(self.metrics.iter().enumerate().map(|(k, m)| (m.name.clone(), json!(v(k)))).collect::<Map<_, _>>())
        };
        let designs: Vec<Value> = self
            .designs
            .iter()
            .map(|d| {
                let estimates: Vec<Value> = (0..self.metrics.len())
                    .filter(|&k| d.estimates[k].is_some())
                    .map(|k| {
                        json!({
                            "metric": self.metrics[k].name,
                            "target": d.target(self, k),
                            "estimate": d.estimates[k],
                            "bias": d.bias(self, k),
                            "relative_bias": d.relative_bias(self, k),
                            "treatment_arm": d.arms[k].map(|a| a.0),
                            "control_arm": d.arms[k].map(|a| a.1),
                            "std_error": d.noise[k].map(|n| n.std_error),
                            "power": d.noise[k].map(|n| n.power),
                        })
                    })
                    .collect();
                json!({
                    "design": d.design.as_str(),
                    "supported": d.unsupported.is_none(),
                    "unsupported": d.unsupported,
                    "note": d.note,
                    "target": if d.long_run.is_some() { "long-run effect" } else { "truth" },
                    "long_run": d.long_run.as_ref().map(|l| per_metric(&|k| l[k])),
                    "shared_binding": d.shared_binding.iter().map(|r| json!({"row": r.name, "dual": r.dual})).collect::<Vec<_>>(),
                    "seconds": d.seconds,
                    "estimates": estimates,
                })
            })
            .collect();
        json!({
            "schema": EXPERIMENT_SCHEMA,
            "instance": self.instance,
            "change": self.change,
            "fraction": self.fraction,
            "metrics": self.metrics.iter().map(|m| json!({
                "name": m.name,
                "aggregate": match m.aggregate { Aggregate::Sum => "sum", Aggregate::Ratio => "ratio" },
                "units": match &m.units { Units::Market => "market".to_string(), Units::Creators => "creators".to_string(), Units::Group(g) => format!("group:{g}") },
            })).collect::<Vec<_>>(),
            "truth": {
                "control": per_metric(&|k| self.truth.control[k]),
                "treatment": per_metric(&|k| self.truth.treatment[k]),
                "effect": per_metric(&|k| self.truth.gte(k)),
                "identified": Value::Object(self.metrics.iter().zip(&self.truth.identified).map(|(m, &i)| (m.name.clone(), json!(i))).collect::<Map<_, _>>()),
                "seconds": self.truth_seconds,
            },
            "designs": designs,
            "guidance": self.guidance(),
            "summary": self.summary(),
        })
    }

    /// `experiment.csv`: one row per design and metric it estimates.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("design,metric,target,estimate,bias,relative_bias,std_error,power,treatment_arm,control_arm,identified\n");
        let opt = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        for d in &self.designs {
            for k in 0..self.metrics.len() {
                let Some(est) = d.estimates[k] else { continue };
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\n",
                    d.design.as_str(),
                    agora_instances::csv::field(&self.metrics[k].name),
                    d.target(self, k),
                    est,
                    opt(d.bias(self, k)),
                    opt(d.relative_bias(self, k)),
                    opt(d.noise[k].map(|n| n.std_error)),
                    opt(d.noise[k].map(|n| n.power)),
                    opt(d.arms[k].map(|a| a.0)),
                    opt(d.arms[k].map(|a| a.1)),
                    self.truth.identified[k],
                ));
            }
        }
        out
    }

    /// The readable summary: the truth of the headline metrics, each design's estimates, the
    /// guidance.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "experiment of \"{}\" on \"{}\", {:.0}% treated",
            agora_instances::limits::excerpt(&self.change),
            agora_instances::limits::excerpt(&self.instance),
            100.0 * self.fraction
        );
        let all = self.headline();
        // The printed tables keep to the first rows; every metric is in experiment.json and .csv.
        let headline = &all[..all.len().min(SUMMARY_ROWS)];
        let _ = writeln!(s, "\n{:<24} {:>14} {:>14} {:>14}", "metric", "control", "treatment", "truth (GTE)");
        for &k in headline {
            let _ = writeln!(
                s,
                "{:<24} {:>14} {:>14} {:>14}",
                short(&self.metrics[k].name),
                fmt(self.truth.control[k]),
                fmt(self.truth.treatment[k]),
                fmt(self.truth.gte(k))
            );
        }
        for d in &self.designs {
            let _ = writeln!(s, "\n{}{}", d.design.as_str(), if d.note.is_empty() { String::new() } else { format!(": {}", d.note) });
            if let Some(why) = &d.unsupported {
                let _ = writeln!(s, "  cannot test this change: {why}");
                continue;
            }
            let _ = writeln!(s, "{:<24} {:>14} {:>14} {:>10} {:>12} {:>7}", "metric", "estimate", "bias", "rel. bias", "std error", "power");
            for &k in headline {
                let Some(est) = d.estimates[k] else { continue };
                let rel = d.relative_bias(self, k).map_or("-".into(), |r| format!("{:+.1}%", 100.0 * r));
                let (se, pw) = d.noise[k].map_or(("-".into(), "-".into()), |n| (fmt(n.std_error), format!("{:.0}%", 100.0 * n.power)));
                let _ = writeln!(
                    s,
                    "{:<24} {:>14} {:>14} {:>10} {:>12} {:>7}",
                    short(&self.metrics[k].name),
                    fmt(est),
                    fmt(d.bias(self, k).unwrap_or(0.0)),
                    rel,
                    se,
                    pw
                );
            }
            for r in d.shared_binding.iter().take(5) {
                let _ = writeln!(s, "  shared row binding: {} (dual {})", agora_instances::limits::excerpt(&r.name), fmt(r.dual));
            }
        }
        if all.len() > headline.len() {
            let _ = writeln!(s, "\n({} more headline metrics in experiment.csv)", all.len() - headline.len());
        }
        let _ = writeln!(s);
        for line in self.guidance() {
            let _ = writeln!(s, "{line}");
        }
        s
    }

    /// The directory's files (name, contents), in [`EXPERIMENT_FILES`]' order.
    pub fn files(&self) -> Result<Vec<(&'static str, String)>, String> {
        let doc = self.to_value();
        let chart = self.chart()?;
        let page = self.page(&doc, &chart);
        Ok(vec![
            (EXPERIMENT_FILES[0], serde_json::to_string_pretty(&doc).expect("experiments serialise")),
            (EXPERIMENT_FILES[1], self.to_csv()),
            (EXPERIMENT_FILES[2], chart),
            (EXPERIMENT_FILES[3], page),
        ])
    }

    /// `index.html`, built from `doc` (every number carries its place in `experiment.json`).
    fn page(&self, doc: &Value, chart: &str) -> String {
        use crate::html::{escape, num, pointer_key, text, Fmt, Page, Table};
        let mut p = Page::new(
            &format!("agora experiment: {}", self.change),
            &format!(
                "<b>{}</b> tested on <b>{}</b>, {} of the units treated (agora.experiment/v1).",
                escape(&self.change),
                escape(&self.instance),
                num(doc, "/fraction", Fmt::Percent)
            ),
        );
        p.section("guidance", "Which design to run");
        p.bullets(&(0..self.guidance().len()).map(|k| text(doc, &format!("/guidance/{k}"))).collect::<Vec<_>>());
        p.section("truth", "The truth: the whole market under each rule set");
        let mut t = Table::new(&["metric", "control", "treatment", "effect"], &[false, true, true, true]);
        for k in self.headline() {
            let key = pointer_key(&self.metrics[k].name);
            t.row(vec![
                escape(&self.metrics[k].name),
                num(doc, &format!("/truth/control/{key}"), Fmt::Number),
                num(doc, &format!("/truth/treatment/{key}"), Fmt::Number),
                num(doc, &format!("/truth/effect/{key}"), Fmt::Number),
            ]);
        }
        p.table(&t);
        p.section("estimates", "Each design's estimate against its target");
        p.figure(EXPERIMENT_FILES[2], chart, "Per headline metric: the target (black) and each design's estimate.");
        for (di, d) in self.designs.iter().enumerate() {
            p.paragraph(&format!("<b>{}</b>: {}", escape(d.design.as_str()), escape(d.unsupported.as_deref().unwrap_or(&d.note))));
            if d.unsupported.is_some() {
                continue;
            }
            let mut t =
                Table::new(&["metric", "target", "estimate", "bias", "relative bias", "std error", "power"], &[false, true, true, true, true, true, true]);
            let rows = doc["designs"][di]["estimates"].as_array().map(|a| a.len()).unwrap_or(0);
            for r in 0..rows {
                let at = |f: &str, fmt: Fmt| {
                    let path = format!("/designs/{di}/estimates/{r}/{f}");
                    if doc.pointer(&path).is_some_and(|v| v.is_null()) {
                        "-".to_string()
                    } else {
                        num(doc, &path, fmt)
                    }
                };
                t.row(vec![
                    text(doc, &format!("/designs/{di}/estimates/{r}/metric")),
                    at("target", Fmt::Number),
                    at("estimate", Fmt::Number),
                    at("bias", Fmt::Number),
                    at("relative_bias", Fmt::Percent),
                    at("std_error", Fmt::Number),
                    at("power", Fmt::Percent),
                ]);
            }
            p.table(&t);
        }
        p.finish()
    }

    /// `estimates.svg`: per headline metric (relative to its target), the target at 100% and each
    /// design's estimate as a bar.
    pub fn chart(&self) -> Result<String, String> {
        let headline = self.headline();
        let designs: Vec<&DesignResult> = self.designs.iter().filter(|d| d.unsupported.is_none()).collect();
        let rows: Vec<(String, Vec<Option<f64>>)> = headline
            .iter()
            .map(|&k| {
                let values = designs.iter().map(|d| {
                    let t = d.target(self, k);
                    d.estimates[k].filter(|_| t != 0.0).map(|e| 100.0 * e / t)
                });
                (short(&self.metrics[k].name), values.collect())
            })
            .collect();
        let n = rows.len().max(1);
        let (lo, hi) = rows.iter().flat_map(|r| r.1.iter().flatten().copied()).fold((0.0f64, 100.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let pad = 0.1 * (hi - lo).max(1.0);
        let colors = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];
        let height = 140 + 40 * n as u32 * designs.len().max(1) as u32 / 2;
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, (900, height.max(300))).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let mut chart = ChartBuilder::on(&root)
                .caption("Estimate as a percentage of its target", ("sans-serif", 20))
                .margin(20)
                .x_label_area_size(45)
                .y_label_area_size(170)
                .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n as f64)
                .map_err(|e| e.to_string())?;
            let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n * 2 + 1)
                .y_label_formatter(&|v| {
                    let k = v.floor() as usize;
                    if (v - k as f64 - 0.5).abs() < 0.26 && k < labels.len() {
                        labels[n - 1 - k].clone()
                    } else {
                        String::new()
                    }
                })
                .x_desc("% of the target (100% = unbiased)")
                .draw()
                .map_err(|e| e.to_string())?;
            let width = 0.8 / designs.len().max(1) as f64;
            for (j, d) in designs.iter().enumerate() {
                let c = colors[j % colors.len()];
                let bars = rows.iter().enumerate().filter_map(|(i, r)| {
                    let v = r.1[j]?;
                    let y0 = (n - 1 - i) as f64 + 0.1 + j as f64 * width;
                    Some(Rectangle::new([(0.0, y0), (v, y0 + width * 0.9)], c.mix(0.8).filled()))
                });
                chart
                    .draw_series(bars)
                    .map_err(|e| e.to_string())?
                    .label(d.design.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], c.filled()));
            }
            chart.draw_series(std::iter::once(PathElement::new(vec![(100.0, 0.0), (100.0, n as f64)], BLACK.stroke_width(2)))).map_err(|e| e.to_string())?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(buf)
    }
}

/// Why a design is unbiased, when it is by construction.
fn why_unbiased(d: &DesignResult) -> &'static str {
    match d.design {
        Design::BudgetSplit => " (each arm is the market at its fraction: the optimum scales with its limits)",
        Design::UserSplit if d.shared_binding.is_empty() => " (no row the arms share binds: they do not compete)",
        Design::UserSplit => " (the rows the arms share bind, but each arm takes its fraction of them)",
        _ => "",
    }
}

/// Why a design is off on metric `k`: the shared rows that bind (where the arms compete), and
/// which arm is off from its whole-market value.
fn why_biased(e: &Experiment, d: &DesignResult, k: usize) -> String {
    let mut why = String::new();
    if !d.shared_binding.is_empty() {
        let rows: Vec<&str> = d.shared_binding.iter().map(|r| r.name.as_str()).collect();
        why.push_str(&format!(": both arms draw on {}, binding in the joint plan, so what one arm takes there the other lacks", list(&rows, 3)));
    }
    if let (Some((t, c)), None, Design::UserSplit | Design::BudgetSplit) = (d.arms[k], &d.long_run, d.design) {
        let f = e.fraction;
        let (tc, cc) = (t / f - e.truth.treatment[k], c / (1.0 - f) - e.truth.control[k]);
        if e.metrics[k].aggregate == Aggregate::Sum {
            why.push_str(&format!("; scaled up, the treatment arm is off its whole-market value by {} and the control arm by {}", fmt(tc), fmt(cc)));
        }
    }
    if d.design == Design::CreatorSplit {
        why.push_str(
            ": the treated creators' gain is partly taken from the control creators in the same segments (spillover), which the comparison counts twice",
        );
    }
    if d.long_run.is_some() {
        why.push_str(": each block starts from the market the other rule set left (carryover); longer blocks approach the long run");
    }
    why
}

/// A number as the summary prints it.
fn fmt(v: f64) -> String {
    crate::html::format_number(v)
}

/// A metric's name cut to the summary's column.
fn short(name: &str) -> String {
    let e = agora_instances::limits::excerpt(name);
    if e.chars().count() > 24 {
        e.chars().take(23).collect::<String>() + "…"
    } else {
        e
    }
}
