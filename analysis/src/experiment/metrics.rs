//! What an experiment measures: the report's metrics of a plan on a day, each an additive sum
//! over edges (which a design scales from its arms' fractions) or a ratio (which it compares
//! arm to arm).

use agora_instances::metrics::NEW_CREATOR_GROUP;
use agora_instances::metrics::{gini, ratio};
use agora_instances::{Instance, ItemKind};
use agora_solver::{edge_terms, Terms};

/// How a design turns its arms' values of a metric into an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// A sum over edges (impressions, engagement, spend, the objective): arm values are scaled
    /// by the arm's share of the randomised units, `T / f - C / (1 - f)`.
    Sum,
    /// A ratio or a distribution's shape (a share, a Gini coefficient): `T - C`, unscaled.
    Ratio,
}

/// Which units a metric's value belongs to, for a design that randomises creators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Units {
    /// Every creator: the metric is over organic items.
    Creators,
    /// The creators of one group.
    Group(String),
    /// Not attributable to creators (ads, the whole objective): a creator-split cannot
    /// estimate it.
    Market,
}

/// One metric: its name, how arms combine, whose units it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// `objective`, `term.engagement`, `exposure.new`, `spend.CAMPAIGN`, ...
    pub name: String,
    /// Sum or ratio.
    pub aggregate: Aggregate,
    /// Whose units.
    pub units: Units,
}

/// The metrics of a day, in output order: the objective and its terms; engagement, organic
/// engagement, revenue and impressions; creator exposure by group; the new-creator share and the
/// creators' Gini coefficient; each campaign's impressions and spend.
pub fn metrics_of(day: &Instance) -> Vec<Metric> {
    let m = |name: &str, aggregate, units| Metric { name: name.to_string(), aggregate, units };
    let mut out = vec![
        m("objective", Aggregate::Sum, Units::Market),
        m("term.engagement", Aggregate::Sum, Units::Market),
        m("term.quality", Aggregate::Sum, Units::Market),
        m("term.revenue", Aggregate::Sum, Units::Market),
        m("term.integrity_risk", Aggregate::Sum, Units::Market),
        m("term.regularization", Aggregate::Sum, Units::Market),
        m("term.penalties", Aggregate::Sum, Units::Market),
        m("engagement", Aggregate::Sum, Units::Market),
        m("organic_engagement", Aggregate::Sum, Units::Creators),
        m("revenue", Aggregate::Sum, Units::Market),
        m("impressions", Aggregate::Sum, Units::Market),
    ];
    for g in groups(day) {
        out.push(m(&format!("exposure.{g}"), Aggregate::Sum, Units::Group(g)));
    }
    out.push(m("new_creator_share", Aggregate::Ratio, Units::Creators));
    out.push(m("creator_gini", Aggregate::Ratio, Units::Creators));
    for c in &day.campaigns {
        out.push(m(&format!("impressions.{}", c.id), Aggregate::Sum, Units::Market));
    }
    for c in &day.campaigns {
        out.push(m(&format!("spend.{}", c.id), Aggregate::Sum, Units::Market));
    }
    out
}

/// The day's creator groups, sorted.
pub fn groups(day: &Instance) -> Vec<String> {
    let mut g: Vec<String> = day.creators.iter().map(|c| c.group.clone()).collect();
    g.sort();
    g.dedup();
    g
}

/// The value of every metric of [`metrics_of`] for plan `x` on `day`, counting only the edges
/// `scope` keeps and the creators `creators` keeps (for the ratios), with `penalties` (the soft
/// rows' cost, which belongs to rows, not edges) added to the objective.
pub fn measure(day: &Instance, x: &[f64], scope: &dyn Fn(usize) -> bool, creators: &dyn Fn(usize) -> bool, penalties: f64) -> Vec<f64> {
    let mut terms = Terms { penalties, ..Terms::default() };
    let (mut engagement, mut organic, mut revenue, mut impressions) = (0.0, 0.0, 0.0, 0.0);
    let mut exposure = vec![0.0; day.creators.len()];
    let mut spend = vec![0.0; day.campaigns.len()];
    let mut ad_impressions = vec![0.0; day.campaigns.len()];
    for (e, edge) in day.edges.iter().enumerate() {
        let xe = x[e];
        if xe == 0.0 || !scope(e) {
            continue;
        }
        edge_terms(day, e, xe, &mut terms);
        engagement += edge.engagement * xe;
        impressions += xe;
        let item = &day.items[edge.item];
        match item.kind() {
            ItemKind::Ad => {
                revenue += edge.price * xe;
                if let Some(a) = item.campaign() {
                    spend[a] += edge.price * xe;
                    ad_impressions[a] += xe;
                }
            }
            ItemKind::Organic => {
                organic += edge.engagement * xe;
                if let Some(c) = item.creator() {
                    exposure[c] += xe;
                }
            }
        }
    }
    let mut out = vec![
        terms.total(),
        terms.engagement,
        terms.quality,
        terms.revenue,
        terms.integrity_risk,
        terms.regularization,
        terms.penalties,
        engagement,
        organic,
        revenue,
        impressions,
    ];
    for g in groups(day) {
        out.push(day.creators.iter().zip(&exposure).filter(|(c, _)| c.group == g).map(|(_, v)| v).sum());
    }
    let kept: Vec<f64> = (0..day.creators.len()).filter(|&c| creators(c)).map(|c| exposure[c]).collect();
    let new: f64 = (0..day.creators.len()).filter(|&c| creators(c) && day.creators[c].group == NEW_CREATOR_GROUP).map(|c| exposure[c]).sum();
    out.push(ratio(new, kept.iter().sum()));
    out.push(gini(&kept));
    out.extend(ad_impressions);
    out.extend(spend);
    out
}
