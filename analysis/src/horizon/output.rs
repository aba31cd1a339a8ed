//! A horizon's files: `horizon.json` (`agora.horizon/v1`), `horizon.csv` (one row per policy and
//! day, the means over replicas), line charts (`active_creators.svg`, `engagement.svg`,
//! `catalog.svg`), and the summary that answers "which policy wins over N days, by how much, and
//! what it costs on day 1".

use std::fmt::Write as _;

use plotters::prelude::*;
use serde_json::{json, Value};

use super::run::METRICS;
use super::{Horizon, PolicyResult, Stat, HORIZON_SCHEMA};

/// The files of a horizon directory (`cumulative_regret.svg` only when a policy learns).
pub const HORIZON_FILES: [&str; 7] =
    ["horizon.json", "horizon.csv", "active_creators.svg", "engagement.svg", "catalog.svg", "cumulative_regret.svg", "index.html"];

/// The per-run totals, in this order.
pub const TOTALS: [&str; 7] =
    ["cumulative_engagement", "discounted_engagement", "cumulative_revenue", "discounted_revenue", "creators_retained", "day1_objective", "warm_starts"];

fn totals(p: &PolicyResult, discount: f64) -> Vec<[f64; 7]> {
    p.runs
        .iter()
        .map(|r| {
            let mut t = [0.0; 7];
            for (d, rec) in r.days.iter().enumerate() {
                let f = discount.powi(d as i32);
                t[0] += rec[1];
                t[1] += f * rec[1];
                t[2] += rec[2];
                t[3] += f * rec[2];
                t[6] += rec[12];
            }
            t[4] = if r.initial_creators > 0 { r.retained as f64 / r.initial_creators as f64 } else { 0.0 };
            t[5] = r.days.first().map_or(0.0, |rec| rec[0]);
            t
        })
        .collect()
}

/// Days every replica of `p` completed.
pub(super) fn completed(p: &PolicyResult) -> usize {
    p.runs.iter().map(|r| r.days.len()).min().unwrap_or(0)
}

/// Metric `m` of day `d` of `p`, over replicas.
fn stat(p: &PolicyResult, d: usize, m: usize) -> Stat {
    Stat::of(&p.runs.iter().map(|r| r.days[d][m]).collect::<Vec<_>>())
}

impl Horizon {
    /// The `agora.horizon/v1` document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("horizons serialise")
    }

    /// The document `horizon.json` is written from (and `index.html` built from).
    fn to_value(&self) -> Value {
        let policies: Vec<Value> = self
            .policies
            .iter()
            .map(|p| {
                let n = completed(p);
                let series: serde_json::Map<String, Value> = METRICS
                    .iter()
                    .enumerate()
                    .map(|(m, name)| {
                        let s: Vec<Stat> = (0..n).map(|d| stat(p, d, m)).collect();
                        (name.to_string(), json!({"mean": s.iter().map(|x| x.mean).collect::<Vec<_>>(), "ci95": s.iter().map(|x| x.ci95).collect::<Vec<_>>()}))
                    })
                    .collect();
                let t = totals(p, self.discount);
                let tot: serde_json::Map<String, Value> =
                    TOTALS.iter().enumerate().map(|(k, name)| (name.to_string(), json!(Stat::of(&t.iter().map(|x| x[k]).collect::<Vec<_>>())))).collect();
                let mut prices: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
                for r in &p.runs {
                    for (k, v) in &r.rule_prices {
                        prices.entry(k.clone()).or_default().push(*v);
                    }
                }
                let prices: serde_json::Map<String, Value> = prices.into_iter().map(|(k, v)| (k, json!(Stat::of(&v)))).collect();
                let stopped: Vec<Value> = p
                    .runs
                    .iter()
                    .enumerate()
                    .filter_map(|(r, run)| run.stopped.as_ref().map(|st| json!({"replica": r, "day": st.day, "status": st.status, "message": st.message})))
                    .collect();
                let mut v = json!({"name": p.name, "days_completed": n, "series": series, "totals": tot, "rule_prices": prices, "stopped": stopped});
                if let (true, Value::Object(m)) = (self.learning, &mut v) {
                    super::regret_report::add_policy(p, m);
                }
                v
            })
            .collect();
        let mut doc = json!({
            "schema": HORIZON_SCHEMA,
            "instance": self.instance,
            "days": self.days,
            "seed": self.seed,
            "replicas": self.policies.first().map_or(0, |p| p.runs.len()),
            "discount": self.discount,
            "dynamics": self.dynamics,
            "policies": policies,
            "summary": self.summary(),
        });
        if let (true, Value::Object(m)) = (self.learning, &mut doc) {
            super::regret_report::add_top(self, m);
        }
        doc
    }

    /// `horizon.csv`: `policy,day,` then the means of [`METRICS`].
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header = vec!["policy".to_string(), "day".to_string()];
        header.extend(METRICS.iter().map(|m| m.to_string()));
        if self.learning {
            super::regret_report::csv_header(&mut header);
        }
        agora_instances::csv::write_record(&mut out, &header);
        for p in &self.policies {
            for d in 0..completed(p) {
                let mut row = vec![p.name.clone(), d.to_string()];
                row.extend((0..METRICS.len()).map(|m| stat(p, d, m).mean.to_string()));
                if self.learning {
                    super::regret_report::csv_row(p, d, &mut row);
                }
                agora_instances::csv::write_record(&mut out, &row);
            }
        }
        out
    }

    /// Which policy wins over the horizon (discounted engagement), by how much, what it costs on
    /// day 1, and how many creators each keeps; with 95% intervals over replicas.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let rows: Vec<(String, Vec<Stat>)> = self
            .policies
            .iter()
            .map(|p| {
                let t = totals(p, self.discount);
                (p.name.clone(), (0..TOTALS.len()).map(|k| Stat::of(&t.iter().map(|x| x[k]).collect::<Vec<_>>())).collect())
            })
            .collect();
        let _ = writeln!(
            s,
            "{} days of \"{}\", {} replica(s), discount {} a day:",
            self.days,
            self.instance,
            self.policies.first().map_or(0, |p| p.runs.len()),
            self.discount
        );
        let _ = writeln!(s, "{:<20} {:>24} {:>24} {:>18} {:>16}", "policy", "cum. engagement", "disc. engagement", "creators kept", "day-1 objective");
        for (name, t) in &rows {
            let _ = writeln!(
                s,
                "{name:<20} {:>24} {:>24} {:>18} {:>16}",
                pm(t[0], 1.0),
                pm(t[1], 1.0),
                format!("{:.1}% ± {:.1}", 100.0 * t[4].mean, 100.0 * t[4].ci95),
                format!("{:.2}", t[5].mean)
            );
        }
        for p in &self.policies {
            for (r, run) in p.runs.iter().enumerate() {
                if let Some(st) = &run.stopped {
                    let why = st.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
                    let _ = writeln!(s, "note: {} replica {r} stopped on day {}: the day's solve ended {}{why}", p.name, st.day, st.status);
                }
            }
        }
        if rows.len() >= 2 {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| rows[b].1[1].mean.total_cmp(&rows[a].1[1].mean));
            let (w, r) = (&rows[order[0]], &rows[order[1]]);
            let gain = w.1[1].mean - r.1[1].mean;
            let _ = writeln!(
                s,
                "\"{}\" wins on discounted engagement by {:.2} ({:.2}% of \"{}\"); on day 1 it {} {:.2} of objective; it keeps {:.1}% of the creators against {:.1}%.",
                w.0,
                gain,
                100.0 * gain / r.1[1].mean.abs().max(1e-300),
                r.0,
                if w.1[5].mean <= r.1[5].mean { "costs" } else { "gains" },
                (w.1[5].mean - r.1[5].mean).abs(),
                100.0 * w.1[4].mean,
                100.0 * r.1[4].mean
            );
        }
        if self.learning {
            super::regret_report::summary(self, &mut s);
        }
        s
    }

    /// Every file of the horizon directory as `(file name, text)`, in the order of
    /// [`HORIZON_FILES`] (what `agora horizon --out` and the Python package write).
    /// The document and the charts are made once, for the JSON and for the page.
    pub fn files(&self) -> Result<Vec<(&'static str, String)>, String> {
        let doc = self.to_value();
        let charts = self.charts()?;
        let page = self.page(&doc, &charts);
        let mut files = vec![(HORIZON_FILES[0], serde_json::to_string_pretty(&doc).expect("horizons serialise")), (HORIZON_FILES[1], self.to_csv())];
        for (name, svg) in charts {
            let name = HORIZON_FILES.iter().find(|f| **f == name).ok_or_else(|| format!("unlisted chart {name}"))?;
            files.push((name, svg));
        }
        files.push((HORIZON_FILES[6], page));
        Ok(files)
    }

    /// `index.html`: the summary, the charts and the totals per policy as one self-contained
    /// page, built from `doc`, the document of `horizon.json` ([`crate::html`]).
    fn page(&self, doc: &Value, charts: &[(String, String)]) -> String {
        use crate::html::{escape, num, pointer_key, text, Fmt, Page, Table};
        let mut p = Page::new(
            &format!("agora horizon: {}", self.instance),
            &format!(
                "{} days of <b>{}</b>, {} replica(s), discount {} a day (agora.horizon/v1).",
                num(doc, "/days", Fmt::Number),
                text(doc, "/instance"),
                num(doc, "/replicas", Fmt::Number),
                num(doc, "/discount", Fmt::Number)
            ),
        );
        p.section("summary", "Which policy wins");
        p.raw(&format!("<pre>{}</pre>", text(doc, "/summary")));
        let mut t = Table::new(
            &["policy", "days", "cum. engagement", "± 95%", "disc. engagement", "± 95%", "cum. revenue", "creators kept", "day-1 objective"],
            &[false, true, true, true, true, true, true, true, true],
        );
        for (k, pol) in self.policies.iter().enumerate() {
            let tot = |name: &str, field: &str, fmt: Fmt| num(doc, &format!("/policies/{k}/totals/{name}/{field}"), fmt);
            t.row(vec![
                escape(&pol.name),
                num(doc, &format!("/policies/{k}/days_completed"), Fmt::Number),
                tot("cumulative_engagement", "mean", Fmt::Number),
                tot("cumulative_engagement", "ci95", Fmt::Number),
                tot("discounted_engagement", "mean", Fmt::Number),
                tot("discounted_engagement", "ci95", Fmt::Number),
                tot("cumulative_revenue", "mean", Fmt::Number),
                tot("creators_retained", "mean", Fmt::Percent),
                tot("day1_objective", "mean", Fmt::Number),
            ]);
        }
        p.table(&t);
        if self.learning {
            super::regret_report::page(self, doc, &mut p);
        }
        p.section("charts", "Day by day");
        for (file, svg) in charts {
            p.figure(file, svg, "Mean over replicas, one line per policy.");
        }
        let rules: Vec<(usize, String)> = self
            .policies
            .iter()
            .enumerate()
            .flat_map(|(k, _)| doc["policies"][k]["rule_prices"].as_object().map(|m| m.keys().map(|r| (k, r.clone())).collect::<Vec<_>>()).unwrap_or_default())
            .collect();
        if !rules.is_empty() {
            p.section("rules", "Rule prices over the horizon");
            let mut t = Table::new(&["policy", "rule", "mean price", "± 95%"], &[false, false, true, true]);
            for (k, r) in rules {
                t.row(vec![
                    escape(&self.policies[k].name),
                    escape(&r),
                    num(doc, &format!("/policies/{k}/rule_prices/{}/mean", pointer_key(&r)), Fmt::Number),
                    num(doc, &format!("/policies/{k}/rule_prices/{}/ci95", pointer_key(&r)), Fmt::Number),
                ]);
            }
            p.table(&t);
        }
        p.finish()
    }

    /// The charts: (file name, SVG), one line per policy, means over replicas (the cumulative
    /// regret's when a policy learns).
    pub fn charts(&self) -> Result<Vec<(String, String)>, String> {
        let mut charts = [
            ("active_creators.svg", 3, "Active creators", "creators"),
            ("engagement.svg", 1, "Engagement per day", "engagement (sum of engagement x impressions)"),
            ("catalog.svg", 6, "Catalog size", "organic items of active creators"),
        ]
        .iter()
        .map(|&(file, m, title, unit)| {
            let series: Vec<(String, Vec<f64>)> =
                self.policies.iter().map(|p| (p.name.clone(), (0..completed(p)).map(|d| stat(p, d, m).mean).collect())).collect();
            line_chart(title, unit, &series).map(|svg| (file.to_string(), svg))
        })
        .collect::<Result<Vec<_>, String>>()?;
        if self.learning {
            charts.push(super::regret_report::chart(self)?);
        }
        Ok(charts)
    }
}

fn pm(s: Stat, scale: f64) -> String {
    if s.ci95 > 0.0 {
        format!("{:.1} ± {:.1}", s.mean * scale, s.ci95 * scale)
    } else {
        format!("{:.1}", s.mean * scale)
    }
}

/// A line chart of `series` (name, value per day) against the day.
pub(super) fn line_chart(title: &str, unit: &str, series: &[(String, Vec<f64>)]) -> Result<String, String> {
    let days = series.iter().map(|s| s.1.len()).max().unwrap_or(1).max(2);
    let (lo, hi) = series.iter().flat_map(|s| s.1.iter().copied()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo.min(0.0), if hi > lo { hi * 1.05 } else { lo + 1.0 }) } else { (0.0, 1.0) };
    let colors = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(255, 127, 14)];
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..(days - 1) as f64, lo..hi)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_desc("day").y_desc(unit).draw().map_err(|e| e.to_string())?;
        for (k, (name, values)) in series.iter().enumerate() {
            let c = colors[k % colors.len()];
            chart
                .draw_series(LineSeries::new(values.iter().enumerate().map(|(d, &v)| (d as f64, v)), c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}
