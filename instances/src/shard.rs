//! Sharded loading, for a solve distributed over processes ("ranks"): every rank reads the day's
//! small tables whole but keeps only the edges of its own segments, filtering them as they are
//! read, so that no rank ever holds all the edges of an edges file.
//!
//! Every reader pushes each validated edge, in day order, into an [`EdgeSink`]; unsharded, the
//! sink only collects them.

use std::path::Path;

use crate::hash::ContentHasher;
use crate::io::LoadError;
use crate::types::{Edge, Evidence, Instance};

/// Which segments' edges a process keeps. Segments are dealt round-robin over `4 ranks - 1`
/// slots, three to rank 0 and four to every other rank ([`Shard::rank_of`]): rank 0 (the root of
/// a distributed solve) also holds the restricted problems and what the other ranks send it, so
/// it takes three quarters of a share (docs/distributed.md measures why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This process's rank, in `0..ranks`.
    pub rank: usize,
    /// The number of processes the day's edges are shared among (at least 1).
    pub ranks: usize,
}

impl Shard {
    /// Whether this shard keeps the edges of segment `segment` (by index). A shard of 0 ranks owns
    /// nothing rather than dividing by zero; loading refuses it anyway.
    pub fn owns(&self, segment: usize) -> bool {
        self.ranks > 0 && Shard::rank_of(segment, self.ranks) == self.rank
    }

    /// The rank that keeps segment `segment` among `ranks` (at least 1): slot `segment % (4 ranks
    /// - 1)`, slots 0 to 2 to rank 0, then four slots to each next rank.
    pub fn rank_of(segment: usize, ranks: usize) -> usize {
        let slot = segment % (4 * ranks.max(1) - 1);
        if slot < 3 {
            0
        } else {
            (slot - 3) / 4 + 1
        }
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

/// What a sharded load kept of the day's edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardEdges {
    /// For each kept edge (in `instance.edges` order), its index in the whole day's edge order.
    pub ids: Vec<usize>,
    /// The number of edges of the whole day.
    pub day_edges: usize,
    /// `content_hash` of the whole day (exactly what `content_hash(&full_instance)` gives), computed
    /// only on rank 0 (None elsewhere): it streams over every edge as it is read.
    ///
    /// The hash takes every edge's evidence after every edge, so for a day with evidence rank 0
    /// keeps the evidence of all the day's edges (24 bytes an edge) until the last edge is read.
    pub content_hash: Option<String>,
}

/// Where a reader puts each validated edge, in day order: unsharded, every edge is kept; with a
/// [`Shard`], only the shard's edges, each with its index in the day, and on rank 0 every edge
/// also feeds the day's content hash.
pub(crate) struct EdgeSink {
    shard: Option<Shard>,
    /// The kept edges, in day order.
    pub(crate) edges: Vec<Edge>,
    /// The kept edges' evidence (empty when the day has none).
    pub(crate) evidence: Vec<Evidence>,
    /// With a shard, each kept edge's index in the day.
    ids: Vec<usize>,
    /// Edges pushed so far, kept or not.
    day_edges: usize,
    /// Rank 0's hash of the whole day, fed as edges pass.
    hasher: Option<ContentHasher>,
    /// Rank 0's evidence of every edge of the day: the hash takes it after the last edge.
    day_evidence: Vec<Evidence>,
}

impl EdgeSink {
    /// A sink that keeps every edge (no shard, no hash).
    pub(crate) fn all() -> EdgeSink {
        EdgeSink { shard: None, edges: Vec::new(), evidence: Vec::new(), ids: Vec::new(), day_edges: 0, hasher: None, day_evidence: Vec::new() }
    }

    /// A sink for `shard` (every edge when `None`) of the day whose small tables are `head` (its
    /// edges and evidence are ignored): rank 0 hashes `head` now and the edges as they come.
    pub(crate) fn new(shard: Option<Shard>, head: &Instance) -> EdgeSink {
        let hasher = shard.filter(|s| s.rank == 0).map(|_| ContentHasher::head(head));
        EdgeSink { shard, hasher, ..EdgeSink::all() }
    }

    /// Room for `n` more edges, when every edge is kept (a shard's share is not known ahead). A
    /// hint: when the room cannot be had, the edges grow as they are pushed.
    pub(crate) fn reserve(&mut self, n: usize) {
        if self.shard.is_none() {
            let _ = self.edges.try_reserve(n);
        }
    }

    /// The day's next edge and its evidence (`None` when the day has none).
    pub(crate) fn push(&mut self, edge: Edge, evidence: Option<Evidence>) {
        let id = self.day_edges;
        self.day_edges += 1;
        let Some(shard) = self.shard else {
            self.edges.push(edge);
            self.evidence.extend(evidence);
            return;
        };
        if let Some(h) = &mut self.hasher {
            h.edge(&edge);
            self.day_evidence.extend(evidence);
        }
        if shard.owns(edge.segment) {
            self.edges.push(edge);
            self.evidence.extend(evidence);
            self.ids.push(id);
        }
    }

    /// The next edges of the day, collected apart in a sink of [`EdgeSink::all`] (a Parquet row
    /// group read on a thread of its own).
    pub(crate) fn append(&mut self, part: EdgeSink) {
        if self.shard.is_none() {
            self.day_edges += part.edges.len();
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
        let content_hash = self.hasher.map(|mut h| {
            for v in &self.day_evidence {
                h.evidence(v);
            }
            h.finish()
        });
        let (mut edges, mut evidence, mut ids) = (self.edges, self.evidence, self.ids);
        if self.shard.is_some() {
            // A shard's share is not known ahead, so its vectors grew by doubling: up to 40% of a
            // 10^7-edge day's shard would be spare room, held through the whole solve.
            edges.shrink_to_fit();
            evidence.shrink_to_fit();
            ids.shrink_to_fit();
        }
        (edges, evidence, ShardEdges { ids, day_edges: self.day_edges, content_hash })
    }
}

/// Keeps only `shard`'s edges of a day read whole (inline JSON edges, which are parsed all at
/// once: at scale, an `edges_file` is the way to load a shard without holding every edge).
pub(crate) fn keep_shard(inst: &mut Instance, shard: Shard) -> ShardEdges {
    let edges = std::mem::take(&mut inst.edges);
    let mut evidence = std::mem::take(&mut inst.evidence).into_iter();
    let mut sink = EdgeSink::new(Some(shard), inst);
    for e in edges {
        sink.push(e, evidence.next());
    }
    let (edges, evidence, kept) = sink.into_parts();
    inst.edges = edges;
    inst.evidence = evidence;
    kept
}
