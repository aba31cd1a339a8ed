//! Sharded loading, for a solve distributed over processes ("ranks"): every rank reads the day's
//! small tables whole but keeps only the edges of its own segments, filtering them as they are
//! read, so that no rank ever holds all the edges of an edges file. From a Parquet edges file
//! whose row groups say which segments they hold (dictionary-encoded ids), a rank decodes only
//! the row groups that hold its segments ([`Deal::by_groups`]).
//!
//! Every reader pushes each validated edge, in day order, into an [`EdgeSink`]; unsharded, the
//! sink only collects them. The day's content hash is not taken here: no rank need see every
//! edge, so a distributed solve gathers it (`agora_solver::distributed::day_hash`).

use std::path::Path;
use std::sync::Arc;

use crate::io::LoadError;
use crate::types::{Edge, Evidence, Instance};

/// Which process a load is for: rank `rank` of `ranks`. Which segments it keeps is the load's
/// [`Deal`], reported in [`ShardEdges::deal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This process's rank, in `0..ranks`.
    pub rank: usize,
    /// The number of processes the day's edges are shared among (at least 1).
    pub ranks: usize,
}

impl Shard {
    /// Whether this shard keeps the edges of segment `segment` (by index) under the round-robin
    /// deal ([`Deal::RoundRobin`]). A shard of 0 ranks owns nothing rather than dividing by zero;
    /// loading refuses it anyway.
    pub fn owns(&self, segment: usize) -> bool {
        self.ranks > 0 && Shard::rank_of(segment, self.ranks) == self.rank
    }

    /// The rank that keeps segment `segment` among `ranks` (at least 1) under the round-robin
    /// deal: slot `segment % (4 ranks - 1)`, slots 0 to 2 to rank 0, then four slots to each next
    /// rank.
    pub fn rank_of(segment: usize, ranks: usize) -> usize {
        slot_rank(segment % slots(ranks))
    }

    /// Refuses a shard no process could be: no ranks, or a rank outside them. `path` is the file
    /// being loaded, for the message.
    pub(crate) fn check(&self, path: &Path) -> Result<(), LoadError> {
        if self.ranks == 0 || self.rank >= self.ranks {
            return Err(LoadError::Refused {
                path: path.to_path_buf(),
                reason: format!(
                    "cannot load shard {} of {} ranks: a shard's rank must be below its number of ranks, which must be at least 1",
                    self.rank, self.ranks
                ),
            });
        }
        Ok(())
    }
}

/// The slots segments are dealt over among `ranks`: `4 ranks - 1`, three for rank 0 (the root of
/// a distributed solve also holds the restricted problems and what the other ranks send it, so it
/// takes three quarters of a share; docs/distributed.md measures why) and four for each other.
fn slots(ranks: usize) -> usize {
    4 * ranks.max(1) - 1
}

/// The rank of slot `slot` (see [`slots`]).
fn slot_rank(slot: usize) -> usize {
    if slot < 3 {
        0
    } else {
        (slot - 3) / 4 + 1
    }
}

/// How a load dealt the day's segments to ranks. Every rank of a load computes the same deal
/// from the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deal {
    /// Round-robin by segment index ([`Shard::rank_of`]): evenly spread whatever the file's
    /// order, so every rank reads the whole edges file. Inline edges, CSV, and Parquet files
    /// whose row groups do not say which segments they hold.
    RoundRobin,
    /// Each segment's rank, by segment index: contiguous runs of segments in the order the
    /// file's row groups hold them, cut so that each rank gets its share of the edges
    /// ([`Deal::by_groups`]). On a file sorted by segment, a rank's segments fill few row groups,
    /// and it decodes only those.
    Runs(Arc<[u32]>),
}

impl Deal {
    /// The rank that keeps segment `segment` among `ranks`.
    pub fn rank_of(&self, segment: usize, ranks: usize) -> usize {
        match self {
            Deal::RoundRobin => Shard::rank_of(segment, ranks),
            Deal::Runs(rank) => rank.get(segment).map_or(0, |&r| r as usize),
        }
    }

    /// Deals the `segments` segments of a day to `ranks` ranks from what its row groups hold:
    /// `groups[g]` is group `g`'s rows and the segments its rows name. A group's rows are
    /// counted evenly over its segments (a rank's exact count would need the group decoded).
    /// Segments are taken in the order they first appear (then by index; those of no group
    /// last) and cut where the running count crosses each rank's share, three quarters of one
    /// for rank 0 as in [`Shard::rank_of`]: so each rank's segments are one run of the file.
    pub(crate) fn by_groups(groups: &[(u64, Vec<usize>)], segments: usize, ranks: usize) -> Deal {
        let mut weight = vec![0.0f64; segments];
        let mut first = vec![usize::MAX; segments];
        for (g, (rows, held)) in groups.iter().enumerate() {
            for &s in held {
                weight[s] += *rows as f64 / held.len() as f64;
                first[s] = first[s].min(g);
            }
        }
        let mut order: Vec<usize> = (0..segments).collect();
        order.sort_by_key(|&s| (first[s], s));
        let total: f64 = weight.iter().sum();
        let slots = slots(ranks);
        let mut rank = vec![0u32; segments];
        let (mut before, mut last) = (0.0, 0usize);
        for s in order {
            // The rank whose share holds the segment's middle edge; never back to an earlier
            // rank, so that runs stay runs whatever the rounding.
            let middle = before + weight[s] / 2.0;
            before += weight[s];
            let slot = if total > 0.0 { ((middle / total * slots as f64) as usize).min(slots - 1) } else { 0 };
            last = last.max(slot_rank(slot));
            rank[s] = last as u32;
        }
        Deal::Runs(rank.into())
    }
}

/// What a sharded load kept of the day's edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardEdges {
    /// For each kept edge (in `instance.edges` order), its index in the whole day's edge order.
    pub ids: Vec<usize>,
    /// The number of edges of the whole day.
    pub day_edges: usize,
    /// How the day's segments were dealt: which rank keeps which segment's edges.
    pub deal: Deal,
    /// The row groups of a Parquet edges file this rank decoded (0 for other edges).
    pub groups_read: usize,
    /// The row groups of the Parquet edges file (0 for other edges).
    pub groups: usize,
    /// Whether the day has evidence (then every kept edge has its own): a rank that kept no edge
    /// knows it too.
    pub has_evidence: bool,
}

impl ShardEdges {
    /// The whole of `inst` as one process's shard (the one-process case of a distributed solve).
    pub fn whole(inst: &Instance) -> ShardEdges {
        ShardEdges {
            ids: (0..inst.edges.len()).collect(),
            day_edges: inst.edges.len(),
            deal: Deal::RoundRobin,
            groups_read: 0,
            groups: 0,
            has_evidence: !inst.evidence.is_empty(),
        }
    }

    /// The rank that keeps segment `segment`'s edges, among `ranks` (the load's).
    pub fn rank_of(&self, segment: usize, ranks: usize) -> usize {
        self.deal.rank_of(segment, ranks)
    }
}

/// Where a reader puts each validated edge, in day order: unsharded, every edge is kept; with a
/// [`Shard`], only the shard's edges (those of its segments under the sink's [`Deal`]), each with
/// its index in the day.
pub(crate) struct EdgeSink {
    shard: Option<Shard>,
    deal: Deal,
    /// The kept edges, in day order.
    pub(crate) edges: Vec<Edge>,
    /// The kept edges' evidence (empty when the day has none).
    pub(crate) evidence: Vec<Evidence>,
    /// With a shard, each kept edge's index in the day.
    ids: Vec<usize>,
    /// Edges of the day so far, kept, dropped or skipped unread.
    day_edges: usize,
    /// Row groups read and in the file, for [`ShardEdges`].
    groups_read: usize,
    groups: usize,
    /// Whether an edge with evidence has been seen (or the file's columns say the day has it).
    has_evidence: bool,
}

impl EdgeSink {
    /// A sink that keeps every edge.
    pub(crate) fn all() -> EdgeSink {
        EdgeSink::new(None)
    }

    /// A sink for `shard` (every edge when `None`), dealing segments round-robin until told
    /// otherwise ([`EdgeSink::deal`]).
    pub(crate) fn new(shard: Option<Shard>) -> EdgeSink {
        EdgeSink {
            shard,
            deal: Deal::RoundRobin,
            edges: Vec::new(),
            evidence: Vec::new(),
            ids: Vec::new(),
            day_edges: 0,
            groups_read: 0,
            groups: 0,
            has_evidence: false,
        }
    }

    /// The shard the sink keeps edges for (`None`: every edge).
    pub(crate) fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// Deals segments by `deal` from now on (before the first edge), for a file of `groups` row
    /// groups.
    pub(crate) fn deal(&mut self, deal: Deal, groups: usize) {
        self.deal = deal;
        self.groups = groups;
    }

    /// Room for `n` more edges, when every edge is kept (a shard's share is not known ahead). A
    /// hint: when the room cannot be had, the edges grow as they are pushed.
    pub(crate) fn reserve(&mut self, n: usize) {
        if self.shard.is_none() {
            let _ = self.edges.try_reserve(n);
        }
    }

    /// Says that the day has evidence columns, whether or not this sink keeps an edge.
    pub(crate) fn day_has_evidence(&mut self) {
        self.has_evidence = true;
    }

    /// The next `n` edges of the day, not read: a row group that holds none of the shard's
    /// segments.
    pub(crate) fn skip(&mut self, n: usize) {
        self.day_edges += n;
    }

    /// The day's next edge and its evidence (`None` when the day has none).
    pub(crate) fn push(&mut self, edge: Edge, evidence: Option<Evidence>) {
        let id = self.day_edges;
        self.day_edges += 1;
        self.has_evidence |= evidence.is_some();
        let Some(shard) = self.shard else {
            self.edges.push(edge);
            self.evidence.extend(evidence);
            return;
        };
        if self.deal.rank_of(edge.segment, shard.ranks) == shard.rank {
            self.edges.push(edge);
            self.evidence.extend(evidence);
            self.ids.push(id);
        }
    }

    /// The next edges of the day, collected apart in a sink of [`EdgeSink::all`] (a Parquet row
    /// group read on a thread of its own).
    pub(crate) fn append(&mut self, part: EdgeSink) {
        self.groups_read += 1;
        if self.shard.is_none() {
            self.day_edges += part.edges.len();
            self.has_evidence |= part.has_evidence;
            self.edges.extend(part.edges);
            self.evidence.extend(part.evidence);
            return;
        }
        // A part has evidence for every edge or for none.
        let mut evidence = part.evidence.into_iter();
        for e in part.edges {
            self.push(e, evidence.next());
        }
    }

    /// The day index of kept edge `k`.
    pub(crate) fn day_index(&self, k: usize) -> usize {
        if self.shard.is_some() {
            self.ids[k]
        } else {
            k
        }
    }

    /// The kept edges, their evidence and, with a shard, what the shard kept of the day.
    pub(crate) fn finish(self) -> (Vec<Edge>, Vec<Evidence>, Option<ShardEdges>) {
        let sharded = self.shard.is_some();
        let (edges, evidence, kept) = self.into_parts();
        (edges, evidence, sharded.then_some(kept))
    }

    /// [`EdgeSink::finish`], what was kept of the day given whether or not there is a shard.
    fn into_parts(self) -> (Vec<Edge>, Vec<Evidence>, ShardEdges) {
        let (mut edges, mut evidence, mut ids) = (self.edges, self.evidence, self.ids);
        if self.shard.is_some() {
            // A shard's share is not known ahead, so its vectors grew by doubling: up to 40% of a
            // 10^7-edge day's shard would be spare room, held through the whole solve.
            edges.shrink_to_fit();
            evidence.shrink_to_fit();
            ids.shrink_to_fit();
        }
        let kept =
            ShardEdges { ids, day_edges: self.day_edges, deal: self.deal, groups_read: self.groups_read, groups: self.groups, has_evidence: self.has_evidence };
        (edges, evidence, kept)
    }
}

/// Keeps only `shard`'s edges of a day read whole (inline JSON edges, which are parsed all at
/// once: at scale, an `edges_file` is the way to load a shard without holding every edge).
pub(crate) fn keep_shard(inst: &mut Instance, shard: Shard) -> ShardEdges {
    let edges = std::mem::take(&mut inst.edges);
    let mut evidence = std::mem::take(&mut inst.evidence).into_iter();
    let mut sink = EdgeSink::new(Some(shard));
    for e in edges {
        sink.push(e, evidence.next());
    }
    let (edges, evidence, kept) = sink.into_parts();
    inst.edges = edges;
    inst.evidence = evidence;
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: four segments, 5, 5, 10 and 10 edges; rank 0's share of two ranks is 3/7 of 30
    /// edges (12.9), so it gets the segments whose middle edge comes before (2.5 and 7.5), rank
    /// 1 the rest (15 and 25). A segment of no group goes last.
    #[test]
    fn segments_are_dealt_in_runs_by_their_edges() {
        let groups = [(10, vec![0, 1]), (10, vec![2]), (10, vec![3])];
        assert_eq!(Deal::by_groups(&groups, 4, 2), Deal::Runs(vec![0, 0, 1, 1].into()));
        assert_eq!(Deal::by_groups(&groups, 5, 2).rank_of(4, 2), 1, "a segment without edges goes to the last rank");
        assert_eq!(Deal::by_groups(&groups, 4, 1), Deal::Runs(vec![0; 4].into()));
        // In the order of the file, not of the segments' indices: 3 (middle edge 5) to rank 0,
        // then 2, 0 and 1 (15, 22.5, 27.5) to rank 1.
        let reversed = [(10, vec![3]), (10, vec![2]), (10, vec![0, 1])];
        assert_eq!(Deal::by_groups(&reversed, 4, 2), Deal::Runs(vec![1, 1, 1, 0].into()));
        assert_eq!(Deal::by_groups(&[], 3, 4), Deal::Runs(vec![0; 3].into()), "no edges: nothing to balance");
    }
}
