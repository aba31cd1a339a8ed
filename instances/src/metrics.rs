//! Ecosystem metrics of a plan: what a planner reads off a day besides its objective.
//!
//! A plan is the impressions per edge, in the instance's edge order (`x[e]` for `inst.edges[e]`).
//! Every metric here is a function of the instance and the plan alone, so a frontier point, a
//! report and a simulation compute them the same way. Formulas are in docs/model.md ("Plan metrics").

use crate::types::{ConstraintKind, Edge, Instance, ItemKind};

/// The creator group whose share of organic exposure `new_creator_share` measures.
pub const NEW_CREATOR_GROUP: &str = "new";

/// The headline metrics of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlanMetrics {
    /// All impressions served.
    pub impressions: f64,
    /// Ad impressions / all impressions (0 when nothing is served).
    pub ad_load: f64,
    /// Sum of `price * x` over ad edges (currency, before the revenue weight).
    pub revenue: f64,
    /// Impressions of items by creators in group `new` / organic impressions.
    pub new_creator_share: f64,
    /// Gini coefficient of organic impressions over every creator of the instance, zeros included.
    pub creator_gini: f64,
}

impl PlanMetrics {
    /// Computes the metrics of plan `x` (impressions per edge) on `inst`.
    ///
    /// # Panics
    /// If `x` is shorter than the instance's edge list (a programming error, not user input).
    pub fn of(inst: &Instance, x: &[f64]) -> PlanMetrics {
        assert!(x.len() >= inst.edges.len(), "plan has {} entries for {} edges", x.len(), inst.edges.len());
        let (mut total, mut ads, mut revenue) = (0.0, 0.0, 0.0);
        for (edge, &xe) in served(inst, x) {
            total += xe;
            if inst.items[edge.item].kind() == ItemKind::Ad {
                ads += xe;
                revenue += edge.price * xe;
            }
        }
        let exposure = creator_exposure(inst, x);
        let organic: f64 = exposure.iter().sum();
        let new: f64 = inst.creators.iter().zip(&exposure).filter(|(c, _)| c.group == NEW_CREATOR_GROUP).map(|(_, e)| e).sum();
        PlanMetrics { impressions: total, ad_load: ratio(ads, total), revenue, new_creator_share: ratio(new, organic), creator_gini: gini(&exposure) }
    }
}

/// The edges a plan serves (`x > 0`), with their impressions. The metrics are sums weighted by
/// impressions, so the unserved edges add nothing; skipping them skips reading their items,
/// a cache miss per edge of a large day's mostly unserved edges (a frontier point's metrics at
/// 10^7 edges read every edge's item three times).
fn served<'a>(inst: &'a Instance, x: &'a [f64]) -> impl Iterator<Item = (&'a Edge, &'a f64)> {
    inst.edges.iter().zip(x).filter(|(_, &xe)| xe != 0.0)
}

/// Organic impressions per creator, in the instance's creator order.
pub fn creator_exposure(inst: &Instance, x: &[f64]) -> Vec<f64> {
    let mut exposure = vec![0.0; inst.creators.len()];
    for (edge, &xe) in served(inst, x) {
        if let Some(c) = inst.items[edge.item].creator() {
            exposure[c] += xe;
        }
    }
    exposure
}

/// `num / den`, or 0 when `den` is 0 (an empty plan has no ad load, no share).
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// The Gini coefficient of non-negative `values`: `sum_i sum_j |v_i - v_j| / (2 n^2 mean)`.
///
/// 0 when all values are equal (or all zero, or there are none); `(n-1)/n` when one holds all.
/// Computed from the sorted values in O(n log n): `G = 2 sum_i i v_(i) / (n sum v) - (n+1)/n` with
/// ranks `i` from 1.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let sum: f64 = values.iter().sum();
    if n == 0 || sum <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted.iter().enumerate().map(|(i, v)| (i as f64 + 1.0) * v).sum();
    let nf = n as f64;
    (2.0 * weighted / (nf * sum) - (nf + 1.0) / nf).max(0.0)
}

/// Herfindahl-Hirschman index of the shares `values / sum(values)`: `sum share^2`, in (0, 1].
/// 0 when the total is 0.
pub fn hhi(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    values.iter().map(|v| (v / sum) * (v / sum)).sum()
}

/// Shannon entropy in bits of the shares `values / sum(values)` (zeros contribute nothing).
pub fn entropy_bits(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    -values.iter().filter(|&&v| v > 0.0).map(|v| v / sum * (v / sum).log2()).sum::<f64>()
}

/// `exp` of the Shannon entropy in nats of the shares `values / sum(values)` (= `2^entropy_bits`):
/// the number of equally exposed entries that would give the same entropy. 0 when the total is 0.
pub fn effective_number(values: &[f64]) -> f64 {
    if values.iter().sum::<f64>() <= 0.0 {
        return 0.0;
    }
    entropy_bits(values).exp2()
}

/// Organic impressions per item, in the instance's item order (0 for ads).
pub fn item_exposure(inst: &Instance, x: &[f64]) -> Vec<f64> {
    let mut exposure = vec![0.0; inst.items.len()];
    for (edge, &xe) in served(inst, x) {
        if inst.items[edge.item].kind() == ItemKind::Organic {
            exposure[edge.item] += xe;
        }
    }
    exposure
}

/// The distinct topics of the instance's items, in first-seen item order.
pub fn topics(inst: &Instance) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in &inst.items {
        if !out.contains(&item.topic) {
            out.push(item.topic.clone());
        }
    }
    out
}

/// A campaign's spend against its budget.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetUse {
    /// The campaign's id.
    pub campaign: String,
    /// The campaign's daily budget (currency).
    pub budget: f64,
    /// Sum of `price * x` over the campaign's ad edges.
    pub spend: f64,
    /// `spend / budget` (0 for a zero budget).
    pub utilisation: f64,
}

/// How far the plan meets a floor rule (`exposure_floor` or `revenue_floor`).
#[derive(Debug, Clone, PartialEq)]
pub struct FloorAttainment {
    /// The constraint's name.
    pub name: String,
    /// `exposure_floor` or `revenue_floor`.
    pub kind: &'static str,
    /// The floor's `min`.
    pub min: f64,
    /// The row's left-hand side at the plan (impressions, or currency for a revenue floor).
    pub achieved: f64,
    /// `achieved / min`; 1 when `min` is 0.
    pub attainment: f64,
}

/// Metrics of one segment's share of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMetrics {
    /// The segment's id.
    pub segment: String,
    /// The segment's supply (impressions per day).
    pub supply: f64,
    /// Impressions served in the segment (`T_s`).
    pub impressions: f64,
    /// Ad impressions / impressions.
    pub ad_load: f64,
    /// Impressions of fresh items / impressions.
    pub freshness_share: f64,
    /// `sum risk_i x_e / T_s`: expected policy-breaking impressions per impression.
    pub integrity_rate: f64,
    /// The tightest `max_share` of the integrity caps that select the segment, if any.
    pub integrity_cap: Option<f64>,
    /// Impressions per topic (ads included), in the order of [`topics`].
    pub topic_mix: Vec<(String, f64)>,
    /// Entropy in bits of the segment's topic shares.
    pub topic_entropy_bits: f64,
    /// The topic with the largest share of the segment's impressions and that share (`None` when
    /// nothing is served).
    pub largest_topic: Option<(String, f64)>,
}

/// Every ecosystem metric of a plan: the headline [`PlanMetrics`] and the rest a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct EcosystemMetrics {
    /// The headline metrics: impressions, ad load, revenue, new-creator share, creator Gini.
    pub plan: PlanMetrics,
    /// `sum engagement_e x_e` (before the objective's weight).
    pub engagement: f64,
    /// Impression-weighted mean quality: `sum quality_i x_e / sum x_e`.
    pub quality: f64,
    /// Revenue per 1000 impressions: `1000 * revenue / impressions`.
    pub rpm: f64,
    /// Impressions of fresh items / impressions.
    pub freshness_share: f64,
    /// `sum risk_i x_e / sum x_e`: expected policy-breaking impressions per impression.
    pub integrity_rate: f64,
    /// HHI of creators' shares of organic exposure.
    pub creator_hhi: f64,
    /// Entropy in bits of creators' shares of organic exposure.
    pub creator_entropy_bits: f64,
    /// [`effective_number`] of organic items' shares of organic exposure.
    pub effective_catalog_size: f64,
    /// Share of organic items with at least one impression.
    pub coverage: f64,
    /// Fraction of the instance's creators with no organic impression.
    pub zero_exposure_creators: f64,
    /// Each creator group's share of organic exposure, groups sorted by name.
    pub group_share: Vec<(String, f64)>,
    /// One entry per campaign, in instance order.
    pub budgets: Vec<BudgetUse>,
    /// Total spend / total budget (0 when every budget is 0).
    pub budget_utilisation: f64,
    /// One entry per `exposure_floor` and `revenue_floor` constraint, in instance order.
    pub floors: Vec<FloorAttainment>,
    /// One entry per segment, in instance order.
    pub segments: Vec<SegmentMetrics>,
}

impl EcosystemMetrics {
    /// Computes every metric of plan `x` (impressions per edge) on `inst`.
    ///
    /// # Panics
    /// If `x` is shorter than the instance's edge list (a programming error, not user input).
    pub fn of(inst: &Instance, x: &[f64]) -> EcosystemMetrics {
        let plan = PlanMetrics::of(inst, x);
        let topic_names = topics(inst);
        let topic_of: Vec<usize> = inst.items.iter().map(|i| topic_names.iter().position(|t| *t == i.topic).expect("listed")).collect();
        let ns = inst.segments.len();
        let (mut engagement, mut quality, mut fresh, mut risk) = (0.0, 0.0, 0.0, 0.0);
        let mut seg = vec![[0.0; 4]; ns]; // impressions, ads, fresh, risk
        let mut seg_topic = vec![vec![0.0; topic_names.len()]; ns];
        let mut spend = vec![0.0; inst.campaigns.len()];
        for (edge, &xe) in served(inst, x) {
            let item = &inst.items[edge.item];
            engagement += edge.engagement * xe;
            quality += item.quality * xe;
            risk += item.risk * xe;
            let s = &mut seg[edge.segment];
            s[0] += xe;
            s[3] += item.risk * xe;
            if item.fresh {
                fresh += xe;
                s[2] += xe;
            }
            if let Some(a) = item.campaign() {
                s[1] += xe;
                spend[a] += edge.price * xe;
            }
            seg_topic[edge.segment][topic_of[edge.item]] += xe;
        }
        let total = plan.impressions;

        let creators = creator_exposure(inst, x);
        let organic: f64 = creators.iter().sum();
        let items = item_exposure(inst, x);
        let organic_items: Vec<f64> = inst.items.iter().zip(&items).filter(|(i, _)| i.kind() == ItemKind::Organic).map(|(_, &v)| v).collect();
        let covered = organic_items.iter().filter(|&&v| v > 0.0).count();
        let zero = creators.iter().filter(|&&v| v <= 0.0).count();
        let mut groups: Vec<(String, f64)> = Vec::new();
        for (c, &e) in inst.creators.iter().zip(&creators) {
            match groups.iter_mut().find(|(g, _)| *g == c.group) {
                Some((_, v)) => *v += e,
                None => groups.push((c.group.clone(), e)),
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in &mut groups {
            *v = ratio(*v, organic);
        }

        let budgets: Vec<BudgetUse> = inst
            .campaigns
            .iter()
            .zip(&spend)
            .map(|(c, &sp)| BudgetUse { campaign: c.id.clone(), budget: c.budget, spend: sp, utilisation: ratio(sp, c.budget) })
            .collect();
        let total_budget: f64 = inst.campaigns.iter().map(|c| c.budget).sum();

        let floors = inst
            .constraints
            .iter()
            .filter_map(|c| {
                let (kind, min, achieved) = match &c.kind {
                    ConstraintKind::ExposureFloor { items, segments, min } => {
                        let im = inst.select_items(items);
                        let mut sm = vec![false; ns];
                        for s in inst.select_segments(segments) {
                            sm[s] = true;
                        }
                        let a: f64 = inst.edges.iter().zip(x).filter(|(e, _)| im[e.item] && sm[e.segment]).map(|(_, &v)| v).sum();
                        ("exposure_floor", *min, a)
                    }
                    ConstraintKind::RevenueFloor { min } => ("revenue_floor", *min, plan.revenue),
                    _ => return None,
                };
                let attainment = if min > 0.0 { achieved / min } else { 1.0 };
                Some(FloorAttainment { name: c.name.clone(), kind, min, achieved, attainment })
            })
            .collect();

        let mut caps: Vec<Option<f64>> = vec![None; ns];
        for c in &inst.constraints {
            if let ConstraintKind::IntegrityCap { segments, max_share } = &c.kind {
                for s in inst.select_segments(segments) {
                    caps[s] = Some(caps[s].map_or(*max_share, |m: f64| m.min(*max_share)));
                }
            }
        }
        let segments = inst
            .segments
            .iter()
            .enumerate()
            .map(|(s, sg)| {
                let [t, ads, fr, rk] = seg[s];
                let mix: Vec<(String, f64)> = topic_names.iter().cloned().zip(seg_topic[s].iter().copied()).collect();
                let largest = mix.iter().filter(|(_, v)| *v > 0.0).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(name, v)| (name.clone(), v / t));
                SegmentMetrics {
                    segment: sg.id.clone(),
                    supply: sg.supply,
                    impressions: t,
                    ad_load: ratio(ads, t),
                    freshness_share: ratio(fr, t),
                    integrity_rate: ratio(rk, t),
                    integrity_cap: caps[s],
                    topic_entropy_bits: entropy_bits(&seg_topic[s]),
                    topic_mix: mix,
                    largest_topic: largest,
                }
            })
            .collect();

        EcosystemMetrics {
            plan,
            engagement,
            quality: ratio(quality, total),
            rpm: 1000.0 * ratio(plan.revenue, total),
            freshness_share: ratio(fresh, total),
            integrity_rate: ratio(risk, total),
            creator_hhi: hhi(&creators),
            creator_entropy_bits: entropy_bits(&creators),
            effective_catalog_size: effective_number(&organic_items),
            coverage: ratio(covered as f64, organic_items.len() as f64),
            zero_exposure_creators: ratio(zero as f64, creators.len() as f64),
            group_share: groups,
            budget_utilisation: ratio(spend.iter().sum(), total_budget),
            budgets,
            floors,
            segments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_hand_computed_distributions() {
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
        assert!((gini(&[5.0, 5.0, 5.0]) - 0.0).abs() < 1e-15);
        // One of four holds everything: (n-1)/n.
        assert!((gini(&[0.0, 0.0, 7.0, 0.0]) - 0.75).abs() < 1e-15);
        // [1, 3]: sum |vi - vj| over ordered pairs = 4, 2 n^2 mean = 2*4*2 = 16 -> 0.25.
        assert!((gini(&[3.0, 1.0]) - 0.25).abs() < 1e-15);
        // [0, 1, 2]: pair sum = 2*(1+2+1) = 8, 2*9*1 = 18 -> 4/9.
        assert!((gini(&[2.0, 0.0, 1.0]) - 4.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn hhi_and_entropy_of_hand_computed_distributions() {
        assert!((hhi(&[1.0, 1.0, 1.0, 1.0]) - 0.25).abs() < 1e-15);
        assert!((hhi(&[0.0, 3.0]) - 1.0).abs() < 1e-15);
        assert!((entropy_bits(&[1.0, 1.0, 1.0, 1.0]) - 2.0).abs() < 1e-15);
        assert!((entropy_bits(&[0.0, 3.0]) - 0.0).abs() < 1e-15);
        // shares 1/2, 1/4, 1/4: 0.5*1 + 2*0.25*2 = 1.5 bits.
        assert!((entropy_bits(&[2.0, 1.0, 1.0]) - 1.5).abs() < 1e-15);
        assert_eq!(hhi(&[]), 0.0);
        assert_eq!(entropy_bits(&[0.0]), 0.0);
    }
}
