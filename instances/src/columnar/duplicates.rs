//! Duplicate edges: the same (segment, item) pair listed twice in an edges file.

use super::Errors;
use crate::shard::EdgeSink;
use crate::types::{Edge, Instance};

/// Reports every (segment, item) pair listed twice among the edges `sink` kept, by sorting keys
/// rather than hashing 10^7 pairs, naming the edges by their index in the day. A shard's edges
/// are enough: a duplicate pair shares its segment, hence its shard.
///
/// Edges in strictly increasing (segment, item) order have no duplicate, and edges grouped by
/// segment can only repeat within their segment's run: so a file sorted by segment (as agora
/// writes them) is checked in one pass, or one segment's keys at a time, instead of with a
/// sorted copy of every key (16 bytes an edge: 1.6 GB at 10^8 edges, held beside the edges).
/// The same duplicates are reported in the same order either way.
pub(crate) fn check_duplicates(inst: &Instance, sink: &EdgeSink, errs: &mut Errors) {
    let edges = &sink.edges;
    if edges.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        return;
    }
    let runs: Vec<std::ops::Range<usize>> = if edges.windows(2).all(|w| w[0].segment <= w[1].segment) {
        edges.chunk_by(|a, b| a.segment == b.segment).scan(0, |at, run| Some(std::mem::replace(at, *at + run.len())..*at)).collect()
    } else {
        std::iter::once(0..edges.len()).collect()
    };
    let mut keys: Vec<(u64, u32)> = Vec::new();
    for run in runs {
        keys.clear();
        keys.extend(run.map(|k| (key(&edges[k]), k as u32)));
        keys.sort_unstable();
        for w in keys.windows(2) {
            if w[0].0 == w[1].0 {
                let e = &edges[w[1].1 as usize];
                let (first, second) = (sink.day_index(w[0].1 as usize), sink.day_index(w[1].1 as usize));
                errs.add(0, "", format!("duplicate edge {} -> {} (edges #{first} and #{second})", inst.segments[e.segment].id, inst.items[e.item].id));
            }
        }
    }
}

/// An edge's (segment, item) pair as one sortable number.
fn key(e: &Edge) -> u64 {
    ((e.segment as u64) << 32) | e.item as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every key of the edges sorted at once: the check before runs were taken one at a time.
    fn all_at_once(inst: &Instance, sink: &EdgeSink) -> Vec<String> {
        let mut keys: Vec<(u64, u32)> = sink.edges.iter().enumerate().map(|(k, e)| (key(e), k as u32)).collect();
        keys.sort_unstable();
        let mut out = Vec::new();
        for w in keys.windows(2) {
            if w[0].0 == w[1].0 {
                let e = &sink.edges[w[1].1 as usize];
                out.push(format!("duplicate edge {} -> {} (edges #{} and #{})", inst.segments[e.segment].id, inst.items[e.item].id, w[0].1, w[1].1));
            }
        }
        out
    }

    proptest! {
        /// Sorted, grouped by segment or in any order, the edges' duplicates are the ones (and
        /// in the order) a sort of every key finds.
        #[test]
        fn runs_find_the_duplicates_a_whole_sort_finds(pairs in prop::collection::vec((0usize..4, 0usize..6), 0..40), order in 0..3u8) {
            let mut inst = crate::generate(crate::Size::Small, 1);
            prop_assert!(inst.segments.len() >= 4 && inst.items.len() >= 6);
            let mut pairs = pairs;
            match order {
                0 => pairs.sort_unstable(),
                1 => pairs.sort_by_key(|p| p.0),
                _ => {}
            }
            inst.edges = pairs.iter().map(|&(segment, item)| Edge { segment, item, engagement: 0.1, price: 0.0, cap: None }).collect();
            let mut sink = EdgeSink::all();
            for e in &inst.edges {
                sink.push(*e, None);
            }
            let mut errs = Errors::default();
            check_duplicates(&inst, &sink, &mut errs);
            let found: Vec<String> = errs.list.iter().map(|f| f.message.clone()).collect();
            // At most 39 duplicates: fewer than the errors listed, so every one is.
            prop_assert_eq!(errs.count, found.len());
            prop_assert_eq!(found, all_at_once(&inst, &sink));
        }
    }
}
