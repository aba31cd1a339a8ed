//! The report's SVG charts, drawn with `plotters` (SVG backend only).
//!
//! * [`lorenz`]: the Lorenz curve of creator exposure (creators sorted by organic impressions,
//!   cumulative share of creators against cumulative share of impressions, both in percent), with
//!   the line of equality;
//! * [`topic_mix`]: one stacked bar per segment, each topic's share of the segment's impressions
//!   in percent (ads included, as in the topic caps);
//! * [`shadow_prices`]: the shadow prices of the rows with a non-zero dual, one bar each, in
//!   objective units per unit of the row's parameter (per percentage point for shares), the unit
//!   written in each bar's label;
//! * [`rule_prices`]: the price of each rule (objective units lost to it, from re-solves).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use agora_instances::metrics::SegmentMetrics;

use super::{BindingRow, ConstraintPrice, ReportError};

const SIZE: (u32, u32) = (900, 600);
/// At most this many bars in one chart (the largest, by magnitude or impressions).
pub const MAX_BARS: usize = 30;

fn chart_error(chart: &'static str) -> impl Fn(String) -> ReportError {
    move |reason| ReportError::Chart { chart, reason }
}

/// The right end of segment `i` of `n` on a segmented axis built from `0..=n-1`.
fn seg_end(i: usize, n: usize) -> SegmentValue<i32> {
    if i + 1 < n {
        SegmentValue::Exact(i as i32 + 1)
    } else {
        SegmentValue::Last
    }
}

/// The Lorenz curve of `exposure` (organic impressions per creator).
pub fn lorenz(exposure: &[f64]) -> Result<String, ReportError> {
    let err = chart_error("lorenz.svg");
    let mut sorted = exposure.to_vec();
    sorted.sort_by(f64::total_cmp);
    let total: f64 = sorted.iter().sum();
    let n = sorted.len().max(1) as f64;
    let mut points = vec![(0.0, 0.0)];
    let mut cum = 0.0;
    for (k, v) in sorted.iter().enumerate() {
        cum += v;
        points.push((100.0 * (k + 1) as f64 / n, if total > 0.0 { 100.0 * cum / total } else { 0.0 }));
    }
    let gini = agora_instances::metrics::gini(exposure);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Lorenz curve of creator exposure", ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..100f64, 0f64..100f64)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("creators, least exposed first (% of creators)")
            .y_desc("cumulative organic impressions (%)")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let grey = RGBColor(150, 150, 150);
        chart
            .draw_series(LineSeries::new(vec![(0.0, 0.0), (100.0, 100.0)], grey.stroke_width(1)))
            .map_err(|e| err(e.to_string()))?
            .label("perfect equality")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(format!("plan (creator Gini {gini:.3}, {} creators)", exposure.len()))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(buf)
}

/// One stacked horizontal bar per segment (at most [`MAX_BARS`], the most served), each topic's
/// share of the segment's impressions; the legend to the right.
pub fn topic_mix(segments: &[SegmentMetrics]) -> Result<String, ReportError> {
    let err = chart_error("topic_mix.svg");
    let mut shown: Vec<&SegmentMetrics> = segments.iter().filter(|s| s.impressions > 0.0).collect();
    if shown.len() > MAX_BARS {
        shown.sort_by(|a, b| b.impressions.total_cmp(&a.impressions));
        shown.truncate(MAX_BARS);
    }
    let n = shown.len().max(1);
    let topics: Vec<String> = segments.first().map(|s| s.topic_mix.iter().map(|t| t.0.clone()).collect()).unwrap_or_default();
    // Colours follow the topics' alphabetical order, as in the HTML report's swatches.
    let mut alphabetical = topics.clone();
    alphabetical.sort();
    let labels: Vec<String> = shown.iter().map(|s| s.segment.clone()).collect();
    let caption =
        if shown.len() < segments.len() { format!("Topic mix of the {} most served segments", shown.len()) } else { "Topic mix per segment".to_string() };
    let legend_width = 180;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (SIZE.0 + legend_width, SIZE.1)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let (left, right) = root.split_horizontally(SIZE.0);
        let mut chart = ChartBuilder::on(&left)
            .caption(caption, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(160)
            .build_cartesian_2d(0f64..100f64, (0..n as i32 - 1).into_segmented())
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("share of the segment's impressions (%)")
            .y_desc("segment")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let mut base = vec![0.0; shown.len()];
        for (t, topic) in topics.iter().enumerate() {
            let color = topic_color(alphabetical.binary_search(topic).unwrap_or(t));
            let bars: Vec<Rectangle<(f64, SegmentValue<i32>)>> = shown
                .iter()
                .enumerate()
                .filter(|(_, s)| s.topic_mix[t].1 > 0.0)
                .map(|(i, s)| {
                    let share = 100.0 * s.topic_mix[t].1 / s.impressions;
                    let mut r = Rectangle::new([(base[i], SegmentValue::Exact(i as i32)), (base[i] + share, seg_end(i, n))], color.filled());
                    r.set_margin(3, 3, 0, 0);
                    base[i] += share;
                    r
                })
                .collect();
            chart.draw_series(bars).map_err(|e| err(e.to_string()))?;
            // The legend: one swatch and name per topic, beside the chart.
            let y = 60 + 22 * t as i32;
            right.draw(&Rectangle::new([(10, y), (24, y + 14)], color.filled())).map_err(|e| err(e.to_string()))?;
            right.draw(&Text::new(topic.clone(), (32, y), ("sans-serif", 14))).map_err(|e| err(e.to_string()))?;
        }
        right.draw(&Text::new("topic", (10, 36), ("sans-serif", 16))).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(buf)
}

/// The colour of topic number `t` in the instance's alphabetically sorted topic list: the topic-mix chart and
/// the HTML report's swatches take it from here, so one topic keeps one colour on the page.
pub fn topic_color(t: usize) -> RGBColor {
    let (r, g, b) = TOPIC_COLORS[t % TOPIC_COLORS.len()];
    RGBColor(r, g, b)
}

/// A colour-blind-safe qualitative palette (Okabe-Ito, then Tableau's), distinct on white.
const TOPIC_COLORS: [(u8, u8, u8); 16] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (100, 100, 100),
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (156, 117, 95),
];

/// A bar's value as printed beside it: four significant digits, exact zero as "0".
pub fn bar_label(v: f64) -> String {
    let v = v + 0.0;
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.decimals$}")
}

/// Horizontal bars `(label, value)`, the first item at the top; bars at or above 0 blue, below
/// red, each with its value printed at its end (so a zero or tiny bar still reads). The value
/// axis spans the data plus room for the printed values, never a fixed half-empty range.
fn bars(chart_name: &'static str, caption: &str, x_desc: &str, items: &[(String, f64)]) -> Result<String, ReportError> {
    let err = chart_error(chart_name);
    let n = items.len().max(1);
    let lo = items.iter().map(|i| i.1).fold(0.0, f64::min);
    let hi = items.iter().map(|i| i.1).fold(0.0, f64::max);
    // Room for the value printed beyond each bar's end: about a sixth of the span on each side used.
    let pad = 0.18 * (hi - lo).max(1e-12);
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, if hi > 0.0 || lo == 0.0 { hi + pad } else { 0.0 });
    // Segment 0 is drawn at the bottom: item k goes to segment n-1-k so the list reads top down.
    let at = |k: usize| n - 1 - k;
    let labels: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
    let label_width = 8 * labels.iter().map(|l| l.chars().count()).max().unwrap_or(10).clamp(10, 60) as u32;
    let height = (SIZE.1).max(110 + 24 * n as u32);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(label_width)
            .build_cartesian_2d(lo..hi, (0..n as i32 - 1).into_segmented())
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(n - 1 - *i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_formatter(&|v| bar_label(*v))
            .x_desc(x_desc)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let rects = items.iter().enumerate().map(|(k, (_, v))| {
            let color = if *v >= 0.0 { BLUE.mix(0.7) } else { RED.mix(0.7) };
            let i = at(k);
            let mut r = Rectangle::new([(0.0, SegmentValue::Exact(i as i32)), (*v, seg_end(i, n))], color.filled());
            r.set_margin(2, 2, 0, 0);
            r
        });
        chart.draw_series(rects).map_err(|e| err(e.to_string()))?;
        let style = TextStyle::from(("sans-serif", 12)).color(&BLACK);
        let values = items.iter().enumerate().map(|(k, (_, v))| {
            let pos = if *v >= 0.0 { Pos::new(HPos::Left, VPos::Center) } else { Pos::new(HPos::Right, VPos::Center) };
            Text::new(format!(" {} ", bar_label(*v)), (*v, SegmentValue::CenterOf(at(k) as i32)), style.pos(pos))
        });
        chart.draw_series(values).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(buf)
}

/// The shadow prices of the rows with a non-zero dual (at most [`MAX_BARS`], largest magnitude
/// first), each labelled with its unit.
pub fn shadow_prices(rows: &[BindingRow]) -> Result<String, ReportError> {
    let mut items: Vec<(String, f64)> = rows.iter().map(|r| (format!("{} ({})", r.name, r.unit()), r.display_price())).collect();
    items.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    items.truncate(MAX_BARS);
    bars(
        "shadow_prices.svg",
        "Shadow prices of binding rows: objective gained per unit of the rule's parameter",
        "objective units per unit of the row's parameter (the unit is in each label; shares per percentage point)",
        &items,
    )
}

/// The price of each rule (objective units the day loses to it), largest first.
pub fn rule_prices(prices: &[ConstraintPrice]) -> Result<String, ReportError> {
    // A price within solver noise of zero (|price| <= 1e-9 of the optimum's scale) is a rule that
    // costs nothing today: it is drawn as 0, not as a sliver of either sign.
    let scale = prices.iter().filter_map(|p| p.objective_without).fold(1.0, |m: f64, v| m.max(v.abs()));
    let mut items: Vec<(String, f64)> = prices
        .iter()
        .filter_map(|p| {
            let v = p.price?;
            Some((format!("{} ({})", p.name, p.kind), if v.abs() <= 1e-9 * scale { 0.0 } else { v }))
        })
        .collect();
    items.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    items.truncate(MAX_BARS);
    bars(
        "rule_prices.svg",
        "Price of each rule: objective lost to it (re-solve without the rule)",
        "objective units gained by dropping the rule (0: the rule costs nothing today)",
        &items,
    )
}
