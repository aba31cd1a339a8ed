//! The draft of a day: segments, creators, items, edges and their latent traits.

use super::*;

impl Draft {
    pub(super) fn new(cfg: &GenerateConfig, rng: &mut StdRng) -> Draft {
        let nt = cfg.topics;

        // Segments: Zipf supplies by a shuffled rank, so ids say nothing about size.
        let ns = cfg.segments;
        let mut ranks: Vec<usize> = (1..=ns).collect();
        ranks.shuffle(rng);
        let noise = lognormal(1.0, 0.15);
        let mut seg_teen: Vec<bool> = (0..ns).map(|_| rng.random_bool(cfg.teen_share)).collect();
        if !seg_teen.iter().any(|&t| t) {
            seg_teen[rng.random_range(0..ns)] = true;
        }
        if ns >= 2 && seg_teen.iter().all(|&t| t) {
            seg_teen[rng.random_range(0..ns)] = false;
        }
        let seg_region: Vec<usize> = (0..ns).map(|_| pick_weighted(rng, REGIONS.iter().map(|r| r.1))).collect();
        let w = width(ns, 3);
        let segments = (0..ns)
            .map(|s| {
                let supply = cfg.max_supply * (ranks[s] as f64).powf(-cfg.supply_zipf) * noise.sample(rng);
                Segment {
                    id: format!("seg-{s:0w$}"),
                    supply: round_sig(supply.max(100.0), 3),
                    tags: vec![REGIONS[seg_region[s]].0.to_string(), if seg_teen[s] { "teen" } else { "adult" }.to_string()],
                }
            })
            .collect();

        // Creators: one of each group at least, then by the group shares.
        let nc = cfg.creators;
        let mut creator_group: Vec<usize> = (0..nc).map(|c| if c < GROUPS.len() { c } else { pick_weighted(rng, PROFILES.iter().map(|p| p.share)) }).collect();
        creator_group.shuffle(rng);
        let pareto = Pareto::new(1.0, 1.3).expect("valid pareto");
        let creator_pop: Vec<f64> = creator_group.iter().map(|&g| (PROFILES[g].popularity * pareto.sample(rng)).min(1000.0)).collect();
        let creator_topic: Vec<usize> = (0..nc).map(|_| rng.random_range(0..nt)).collect();
        let w = width(nc, 4);
        let creators = (0..nc).map(|c| Creator { id: format!("cr-{c:0w$}"), group: GROUPS[creator_group[c]].to_string() }).collect();
        // Normalisers so that the configured means hold whatever the popularity draws.
        let mean_pop_items = creator_pop.iter().map(|p| p.powf(0.3)).sum::<f64>() / nc as f64;
        let mean_pop_degree = creator_pop.iter().map(|p| p.sqrt()).sum::<f64>() / nc as f64;

        // Campaigns: budgets come once the witness knows what each could spend.
        let na = cfg.campaigns;
        let w = width(na, 2);
        let campaigns = (0..na).map(|a| Campaign { id: format!("camp-{a:0w$}"), budget: 0.0 }).collect();
        let campaign_price: Vec<f64> = (0..na).map(|_| lognormal(0.008, 0.5).sample(rng)).collect();

        // Item counts, topped up so every topic can have an organic item.
        let count_noise = lognormal(1.0, 0.4);
        let mut per_creator: Vec<usize> = (0..nc)
            .map(|c| {
                let n = cfg.items_per_creator * (creator_pop[c].powf(0.3) / mean_pop_items) * count_noise.sample(rng);
                (n.round() as usize).max(1)
            })
            .collect();
        while per_creator.iter().sum::<usize>() < nt {
            per_creator[rng.random_range(0..nc)] += 1;
        }
        let per_campaign: Vec<usize> = (0..na).map(|_| ((cfg.ads_per_campaign * count_noise.sample(rng)).round() as usize).max(1)).collect();

        let n_organic: usize = per_creator.iter().sum();
        let n_items = n_organic + per_campaign.iter().sum::<usize>();
        let mut items = Vec::with_capacity(n_items);
        let mut item_topic = Vec::with_capacity(n_items);
        let mut item_appeal = Vec::with_capacity(n_items);
        let mut item_pop = Vec::with_capacity(n_items);
        let appeal = lognormal(1.0, 0.35);
        let betas: Vec<Beta<f64>> = PROFILES.iter().map(|p| Beta::new(p.quality.0, p.quality.1).expect("valid beta")).collect();
        for c in 0..nc {
            let g = creator_group[c];
            for _ in 0..per_creator[c] {
                let topic = if rng.random_bool(0.7) { creator_topic[c] } else { rng.random_range(0..nt) };
                let risk = draw_risk(rng, 0.06);
                let fresh = rng.random_bool(PROFILES[g].fresh);
                // Borderline content engages more, fresh content has no track record yet.
                let a = appeal.sample(rng) * if risk >= 0.1 { 1.5 } else { 1.0 } * if fresh { 0.85 } else { 1.0 };
                items.push(Item {
                    id: String::new(),
                    owner: Owner::Creator(c),
                    topic: String::new(),
                    quality: round_dp(betas[g].sample(rng).clamp(0.05, 1.0), 2),
                    risk,
                    fresh,
                    cap: None,
                });
                item_topic.push(topic);
                item_appeal.push(a);
                item_pop.push(creator_pop[c]);
            }
        }
        let ad_quality: Beta<f64> = Beta::new(4.0, 3.0).expect("valid beta");
        for (a, &n) in per_campaign.iter().enumerate() {
            for _ in 0..n {
                let risk = if rng.random_bool(0.5) { 0.0 } else { round_sig(lognormal(0.004, 0.6).sample(rng).min(0.05), 2) };
                items.push(Item {
                    id: String::new(),
                    owner: Owner::Campaign(a),
                    topic: String::new(),
                    quality: round_dp(ad_quality.sample(rng).clamp(0.05, 1.0), 2),
                    risk,
                    fresh: rng.random_bool(0.3),
                    cap: None,
                });
                item_topic.push(rng.random_range(0..nt));
                item_appeal.push(appeal.sample(rng));
                item_pop.push(1.0);
            }
        }

        // Every topic needs a risk-free organic item (so every segment can get one of each topic
        // and integrity caps are satisfiable), and some organic item must be fresh. Topics first:
        // a topic without items borrows one from the most crowded topic, which has at least two
        // since n_organic >= nt.
        let mut counts = vec![0usize; nt];
        for &t in &item_topic[..n_organic] {
            counts[t] += 1;
        }
        for t in 0..nt {
            if counts[t] == 0 {
                let donor = (0..nt).max_by_key(|&u| counts[u]).expect("topics >= 1");
                let donors: Vec<usize> = (0..n_organic).filter(|&i| item_topic[i] == donor).collect();
                item_topic[donors[rng.random_range(0..donors.len())]] = t;
                counts[donor] -= 1;
                counts[t] += 1;
            }
        }
        for t in 0..nt {
            let of_topic: Vec<usize> = (0..n_organic).filter(|&i| item_topic[i] == t).collect();
            if of_topic.iter().all(|&i| items[i].risk > 0.0) {
                items[of_topic[rng.random_range(0..of_topic.len())]].risk = 0.0;
            }
        }
        if !items[..n_organic].iter().any(|i| i.fresh) {
            items[rng.random_range(0..n_organic)].fresh = true;
        }
        let w = width(n_items, 5);
        for (k, item) in items.iter_mut().enumerate() {
            item.id = format!("item-{k:0w$}");
            item.topic = TOPICS[item_topic[k]].to_string();
        }

        // Which segments each item reaches: a popularity-driven number of random segments, then
        // the coverage every segment needs.
        let degree_noise = lognormal(1.0, 0.3);
        let mut reach: Vec<Vec<usize>> = (0..n_items)
            .map(|i| {
                let mean = if i < n_organic { cfg.organic_degree * item_pop[i].sqrt() / mean_pop_degree } else { cfg.ad_degree };
                let d = ((mean * degree_noise.sample(rng)).round() as usize).clamp(1, ns);
                index::sample(rng, ns, d).into_vec()
            })
            .collect();
        let mut safe_by_topic: Vec<Vec<usize>> = vec![Vec::new(); nt];
        let mut fresh_organic = Vec::new();
        for i in 0..n_organic {
            if items[i].risk == 0.0 {
                safe_by_topic[item_topic[i]].push(i);
            }
            if items[i].fresh {
                fresh_organic.push(i);
            }
        }
        for s in 0..ns {
            for pool in safe_by_topic.iter().chain(std::iter::once(&fresh_organic)) {
                let i = pool[rng.random_range(0..pool.len())];
                if !reach[i].contains(&s) {
                    reach[i].push(s);
                }
            }
        }

        let topic_mult: Vec<f64> = (0..nt).map(|_| lognormal(1.0, 0.3).sample(rng)).collect();
        let hot_topic = (0..nt).max_by(|&a, &b| topic_mult[a].total_cmp(&topic_mult[b])).expect("topics >= 1");
        let affinity: Vec<f64> = (0..ns * nt).map(|_| lognormal(1.0, 0.3).sample(rng)).collect();
        let edge_noise = lognormal(1.0, 0.25);
        let price_noise = lognormal(1.0, 0.2);
        let mut edges = Vec::with_capacity(reach.iter().map(Vec::len).sum());
        for (i, segs) in reach.iter().enumerate() {
            let t = item_topic[i];
            for &s in segs {
                let aff = affinity[s * nt + t];
                let (engagement, price) = match items[i].owner {
                    Owner::Creator(_) => {
                        let e = 0.03 * topic_mult[t] * item_pop[i].powf(0.2) * item_appeal[i] * aff * edge_noise.sample(rng);
                        (e, 0.0)
                    }
                    Owner::Campaign(a) => {
                        let e = 0.012 * item_appeal[i] * aff * edge_noise.sample(rng);
                        let value = REGIONS[seg_region[s]].2 * if seg_teen[s] { 0.7 } else { 1.0 };
                        let p = campaign_price[a] * value * price_noise.sample(rng);
                        (e, round_sig(p.max(1e-5), 3))
                    }
                };
                edges.push(Edge { segment: s, item: i, engagement: round_sig(engagement.clamp(1e-4, 0.9), 3), price, cap: None });
            }
        }
        drop(reach);
        edges.sort_unstable_by_key(|e| (e.segment, e.item));

        Draft { segments, seg_teen, seg_region, creators, creator_group, campaigns, items, item_topic, hot_topic, edges }
    }
}
