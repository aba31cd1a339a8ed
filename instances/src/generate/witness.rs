//! The witness plan, and the budgets, caps and rules set with a margin around it (why every
//! generated day is feasible).

use super::*;

impl Draft {
    /// Builds the witness plan: organic impressions by iterative proportional fitting (each
    /// segment's organic share split evenly across its topics, each item's total proportional to
    /// its quality, so that creator groups get exposure in proportion to merit), then ads up to
    /// most of the ad load.
    pub(super) fn witness(&self, cfg: &GenerateConfig) -> Vec<f64> {
        let (ns, nt, ni) = (self.segments.len(), cfg.topics, self.items.len());
        let ad_share = 0.9 * cfg.ad_load;
        let organic = |e: &Edge| self.items[e.item].kind() == ItemKind::Organic;

        let mut has_ads = vec![false; ns];
        let mut cell_has = vec![false; ns * nt];
        for e in &self.edges {
            if organic(e) {
                cell_has[e.segment * nt + self.item_topic[e.item]] = true;
            } else {
                has_ads[e.segment] = true;
            }
        }
        let mut cell_target = vec![0.0; ns * nt];
        for s in 0..ns {
            let k = cell_has[s * nt..(s + 1) * nt].iter().filter(|&&h| h).count() as f64;
            let organic_mass = FILL * self.segments[s].supply * if has_ads[s] { 1.0 - ad_share } else { 1.0 };
            for t in 0..nt {
                if cell_has[s * nt + t] {
                    cell_target[s * nt + t] = organic_mass / k;
                }
            }
        }
        let total: f64 = cell_target.iter().sum();
        let merit: f64 = self.items.iter().filter(|i| i.kind() == ItemKind::Organic).map(|i| i.quality).sum();
        let item_target: Vec<f64> = self.items.iter().map(|i| i.quality * total / merit).collect();

        // Start from a preference for fresh and safe items (much safer for teens): fitting keeps
        // these preferences within each segment and topic.
        let mut x: Vec<f64> = self
            .edges
            .iter()
            .map(|e| {
                if !organic(e) {
                    return 0.0;
                }
                let item = &self.items[e.item];
                let aversion = if self.seg_teen[e.segment] { 200.0 } else { 20.0 };
                (if item.fresh { 1.5 } else { 1.0 }) / (1.0 + aversion * item.risk)
            })
            .collect();
        let mut sums_item = vec![0.0; ni];
        let mut sums_cell = vec![0.0; ns * nt];
        for _ in 0..IPF_ROUNDS {
            sums_item.iter_mut().for_each(|v| *v = 0.0);
            for (e, &xe) in self.edges.iter().zip(&x) {
                sums_item[e.item] += xe;
            }
            for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
                if *xe > 0.0 {
                    *xe *= item_target[e.item] / sums_item[e.item];
                }
            }
            // Ending each round on the segment side makes every segment's organic total exact.
            sums_cell.iter_mut().for_each(|v| *v = 0.0);
            for (e, &xe) in self.edges.iter().zip(&x) {
                if organic(e) {
                    sums_cell[e.segment * nt + self.item_topic[e.item]] += xe;
                }
            }
            for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
                if *xe > 0.0 {
                    let c = e.segment * nt + self.item_topic[e.item];
                    *xe *= cell_target[c] / sums_cell[c];
                }
            }
        }

        // The fitting need not converge: scale the over-exposed creator groups down until every
        // group's exposure per unit of merit is within half the parity tolerance of the lowest.
        let mut exposure = [0.0; GROUPS.len()];
        let mut group_merit = [0.0; GROUPS.len()];
        for (e, &xe) in self.edges.iter().zip(&x) {
            if let Some(c) = self.items[e.item].creator() {
                exposure[self.creator_group[c]] += xe;
            }
        }
        for item in &self.items {
            if let Some(c) = item.creator() {
                group_merit[self.creator_group[c]] += item.quality;
            }
        }
        let ratio: Vec<f64> = (0..GROUPS.len()).map(|g| exposure[g] / group_merit[g]).collect();
        let limit = ratio.iter().copied().fold(f64::INFINITY, f64::min) / (1.0 - cfg.parity_tolerance / 2.0);
        for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
            if let Some(c) = self.items[e.item].creator() {
                let g = self.creator_group[c];
                if ratio[g] > limit {
                    *xe *= limit / ratio[g];
                }
            }
        }

        // Ads take `ad_share` of each segment's served impressions, split by price.
        let mut organic_total = vec![0.0; ns];
        let mut price_total = vec![0.0; ns];
        for (e, &xe) in self.edges.iter().zip(&x) {
            if organic(e) {
                organic_total[e.segment] += xe;
            } else {
                price_total[e.segment] += e.price;
            }
        }
        for (e, xe) in self.edges.iter().zip(x.iter_mut()) {
            if !organic(e) {
                let ads = ad_share / (1.0 - ad_share) * organic_total[e.segment];
                *xe = ads * e.price / price_total[e.segment];
            }
        }
        x
    }

    /// Draws budgets around what each campaign spends in the witness (then trims the witness's
    /// ads to fit them), and puts caps on some items and edges above their witness impressions.
    pub(super) fn budgets_and_caps(&mut self, cfg: &GenerateConfig, rng: &mut StdRng, witness: &mut [f64]) {
        let na = self.campaigns.len();
        let mut spend = vec![0.0; na];
        for (e, &xe) in self.edges.iter().zip(&*witness) {
            if let Some(a) = self.items[e.item].campaign() {
                spend[a] += e.price * xe;
            }
        }
        // Half the campaigns tight, half loose, in random order.
        let mut tight: Vec<bool> = (0..na).map(|a| a % 2 == 0).collect();
        tight.shuffle(rng);
        let mut trim = vec![1.0; na];
        for a in 0..na {
            let (lo, hi) = if tight[a] { TIGHT_BUDGET } else { LOOSE_BUDGET };
            let budget = round_sig((spend[a] * rng.random_range(lo..hi)).max(0.01), 3);
            self.campaigns[a].budget = budget;
            if spend[a] > 0.95 * budget {
                trim[a] = 0.95 * budget / spend[a];
            }
        }
        for (e, xe) in self.edges.iter().zip(witness.iter_mut()) {
            if let Some(a) = self.items[e.item].campaign() {
                *xe *= trim[a];
            }
        }

        let mut item_total = vec![0.0; self.items.len()];
        for (e, &xe) in self.edges.iter().zip(&*witness) {
            item_total[e.item] += xe;
        }
        let n_capped = (cfg.item_cap_share * self.items.len() as f64).round() as usize;
        for i in index::sample(rng, self.items.len(), n_capped) {
            let cap = item_total[i] * rng.random_range(1.2..2.5);
            self.items[i].cap = Some(round_sig_up(cap.max(1.0), 3));
        }
        let n_capped = (cfg.edge_cap_share * self.edges.len() as f64).round() as usize;
        for e in index::sample(rng, self.edges.len(), n_capped) {
            let cap = witness[e] * rng.random_range(1.2..2.5);
            self.edges[e].cap = Some(round_sig_up(cap.max(1.0), 3));
        }
    }

    /// One constraint of each type, set around the witness's value.
    pub(super) fn constraints(&self, cfg: &GenerateConfig, x: &[f64]) -> Vec<Constraint> {
        let (ns, nt) = (self.segments.len(), cfg.topics);
        let mut served = vec![0.0; ns];
        let mut risky = vec![0.0; ns];
        let mut fresh = vec![0.0; ns];
        let mut by_topic = vec![0.0; ns * nt];
        let mut revenue = 0.0;
        let mut new_exposure = 0.0;
        // The soft cap limits the most engaging topic in the region of the largest segment.
        let biggest = (0..ns).max_by(|&a, &b| self.segments[a].supply.total_cmp(&self.segments[b].supply)).expect("segments >= 1");
        let region = self.seg_region[biggest];
        let mut hot_exposure = 0.0;
        for (e, &xe) in self.edges.iter().zip(x) {
            let item = &self.items[e.item];
            let s = e.segment;
            served[s] += xe;
            risky[s] += item.risk * xe;
            if item.fresh {
                fresh[s] += xe;
            }
            by_topic[s * nt + self.item_topic[e.item]] += xe;
            revenue += e.price * xe;
            if item.creator().is_some_and(|c| self.creator_group[c] == NEW) {
                new_exposure += xe;
            }
            if self.item_topic[e.item] == self.hot_topic && self.seg_region[s] == region {
                hot_exposure += xe;
            }
        }
        let teen_risk = (0..ns).filter(|&s| self.seg_teen[s]).map(|s| risky[s] / served[s]).fold(0.0, f64::max);
        let all_risk = (0..ns).map(|s| risky[s] / served[s]).fold(0.0, f64::max);
        let fresh_min = (0..ns).map(|s| fresh[s] / served[s]).fold(f64::INFINITY, f64::min);
        let topic_max = (0..ns * nt).map(|c| by_topic[c] / served[c / nt]).fold(0.0, f64::max);

        let ff = cfg.floor_fraction;
        let share_cap = |v: f64| round_sig_up(v * CAP_MARGIN, 3).min(1.0);
        let hard = |name: &str, kind: ConstraintKind| Constraint { name: name.to_string(), penalty: None, kind };
        vec![
            hard("ad-load", ConstraintKind::AdLoad { segments: SegmentSelector::All, max_share: cfg.ad_load }),
            hard("revenue-floor", ConstraintKind::RevenueFloor { min: round_sig_down(ff * revenue, 3) }),
            hard(
                "new-creator-exposure",
                ConstraintKind::ExposureFloor {
                    items: ItemSelector::CreatorGroup(GROUPS[NEW].to_string()),
                    segments: SegmentSelector::All,
                    min: round_sig_down(ff * new_exposure, 3),
                },
            ),
            Constraint {
                name: format!("{}-{}-exposure-cap", TOPICS[self.hot_topic], REGIONS[region].0),
                penalty: Some(cfg.soft_penalty),
                kind: ConstraintKind::ExposureCap {
                    items: ItemSelector::Topic(TOPICS[self.hot_topic].to_string()),
                    segments: SegmentSelector::Tag(REGIONS[region].0.to_string()),
                    max: round_sig_up(hot_exposure * CAP_MARGIN, 3),
                },
            },
            hard("teen-integrity", ConstraintKind::IntegrityCap { segments: SegmentSelector::Tag("teen".into()), max_share: share_cap(teen_risk) }),
            hard("integrity", ConstraintKind::IntegrityCap { segments: SegmentSelector::All, max_share: share_cap(all_risk) }),
            hard(
                "topic-diversity",
                ConstraintKind::TopicCap { segments: SegmentSelector::All, max_share: share_cap(topic_max).max(round_sig_up(1.5 / nt as f64, 3)).min(1.0) },
            ),
            hard("freshness", ConstraintKind::FreshnessFloor { segments: SegmentSelector::All, min_share: round_decimal(ff * fresh_min, 3, Direction::Down) }),
            hard("creator-parity", ConstraintKind::ExposureParity { groups: GROUPS.iter().map(|g| g.to_string()).collect(), tolerance: cfg.parity_tolerance }),
        ]
    }
}
