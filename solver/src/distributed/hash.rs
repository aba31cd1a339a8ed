//! The day's content hash over the processes of a distributed solve. No process need read every
//! edge (a rank decodes only the row groups of its segments), so the root gathers the hashed
//! bytes of every edge, a window of the day at a time, and feeds them in day order into the
//! single-process hash (`agora_instances::ContentHasher`): the same `sha256:` as
//! `agora_instances::content_hash` of the whole day, with at most a window's bytes held.

use agora_instances::{edge_bytes, evidence_bytes, ContentHasher, Instance, ShardEdges};

use super::comm::Comm;

/// Edges of the day per gather: 2^18, about 12 MB at the root (40 or 24 bytes a record and an
/// 8-byte index), a few hundred gathers for 10^8 edges.
const WINDOW: usize = 1 << 18;

/// The content hash of the day whose shard this process holds (`inst`'s edges, numbered in the
/// day by `shard.ids`): `Some` at the root, `None` elsewhere. Every process must call it. An
/// error (at every process) when the shards do not hold every edge of the day exactly once.
pub fn day_hash(comm: &dyn Comm, inst: &Instance, shard: &ShardEdges) -> Result<Option<String>, String> {
    let mut hasher = (comm.rank() == 0).then(|| ContentHasher::head(inst));
    // Whether the day has evidence: every rank that read a row group knows it; all agree.
    let mut flag = vec![u8::from(shard.has_evidence)];
    let all = comm.gather(&flag);
    if comm.rank() == 0 {
        flag = vec![u8::from(all.iter().any(|b| b.first() == Some(&1)))];
    }
    comm.broadcast(&mut flag);
    let passes: &[Record] = if flag.first() == Some(&1) { &[Record::Edge, Record::Evidence] } else { &[Record::Edge] };
    let mut result = Ok(());
    for &record in passes {
        let mut next = 0usize;
        for start in (0..shard.day_edges).step_by(WINDOW) {
            let end = (start + WINDOW).min(shard.day_edges);
            let mine = window(inst, shard, record, &mut next, end);
            let parts = comm.gather(&mine);
            if let (Some(h), Ok(())) = (&mut hasher, &result) {
                result = feed(h, &parts, start..end, record.len());
            }
        }
    }
    let result = super::agree(comm, result.map_err(|m| format!("the day's content hash: {m}")));
    result.map(|()| hasher.map(ContentHasher::finish))
}

/// What a pass hashes of each edge.
#[derive(Debug, Clone, Copy)]
enum Record {
    Edge,
    Evidence,
}

impl Record {
    fn len(self) -> usize {
        match self {
            Record::Edge => 40,
            Record::Evidence => 24,
        }
    }
}

/// This process's edges from kept edge `next` up to day index `end` (not included): their count,
/// their day indices, then their records; `next` moves past them.
fn window(inst: &Instance, shard: &ShardEdges, record: Record, next: &mut usize, end: usize) -> Vec<u8> {
    let first = *next;
    while *next < shard.ids.len() && shard.ids[*next] < end {
        *next += 1;
    }
    let kept = first..*next;
    let mut out = Vec::with_capacity(8 + kept.len() * (8 + record.len()));
    out.extend_from_slice(&(kept.len() as u64).to_le_bytes());
    for k in kept.clone() {
        out.extend_from_slice(&(shard.ids[k] as u64).to_le_bytes());
    }
    for k in kept {
        match record {
            Record::Edge => out.extend_from_slice(&edge_bytes(&inst.edges[k])),
            Record::Evidence => out.extend_from_slice(&evidence_bytes(&inst.evidence[k])),
        }
    }
    out
}

/// Feeds the records of day indices `days` from every process's window (`parts`, each in day
/// order), merged into day order.
fn feed(h: &mut ContentHasher, parts: &[Vec<u8>], days: std::ops::Range<usize>, len: usize) -> Result<(), String> {
    // Each part: its count, its day indices, its records.
    let mut heads = Vec::with_capacity(parts.len());
    for (rank, p) in parts.iter().enumerate() {
        let n = p.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize);
        match n {
            Some(n) if p.len() == 8 + n * (8 + len) => heads.push((n, 0usize)),
            _ => return Err(format!("process {rank} sent a window of {} bytes", p.len())),
        }
    }
    let day_of = |rank: usize, k: usize| {
        let at = 8 + 8 * k;
        u64::from_le_bytes(parts[rank][at..at + 8].try_into().unwrap_or([0; 8])) as usize
    };
    for day in days {
        let owner = (0..parts.len()).find(|&r| heads[r].1 < heads[r].0 && day_of(r, heads[r].1) == day);
        let Some(r) = owner else {
            return Err(format!("no process holds edge {} of the day", day + 1));
        };
        let k = heads[r].1;
        let at = 8 + 8 * heads[r].0 + k * len;
        h.bytes(&parts[r][at..at + len]);
        heads[r].1 += 1;
    }
    match heads.iter().position(|&(n, k)| k < n) {
        Some(r) => Err(format!("process {r} holds an edge twice or out of its window")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributed::Solo;

    #[test]
    fn one_process_hashes_the_day_as_content_hash_does() {
        let mut day = agora_instances::generate(agora_instances::Size::Small, 3);
        let shard = ShardEdges::whole(&day);
        assert_eq!(day_hash(&Solo, &day, &shard).unwrap(), Some(agora_instances::content_hash(&day)));
        day.evidence = day.edges.iter().map(|e| agora_instances::Evidence { n: 3, lcb: e.engagement / 2.0, ucb: e.engagement * 2.0 }).collect();
        let shard = ShardEdges::whole(&day);
        assert_eq!(day_hash(&Solo, &day, &shard).unwrap(), Some(agora_instances::content_hash(&day)));
        let short = ShardEdges { day_edges: day.edges.len() + 1, ..shard };
        assert!(day_hash(&Solo, &day, &short).unwrap_err().contains("no process holds edge"), "a gap is an error, not another hash");
    }

    /// Three processes' windows, their edges interleaved edge by edge and in runs, merge into the
    /// day's hash; an edge held twice is an error.
    #[test]
    fn the_windows_of_several_processes_merge_in_day_order() {
        let day = agora_instances::generate(agora_instances::Size::Small, 5);
        let n = day.edges.len();
        for owner in [|k: usize| k % 3, |k: usize| (k * 3 / 1000).min(2)] {
            let shards: Vec<(Instance, ShardEdges)> = (0..3)
                .map(|r| {
                    let ids: Vec<usize> = (0..n).filter(|&k| owner(k) == r).collect();
                    let inst = Instance { edges: ids.iter().map(|&k| day.edges[k]).collect(), ..day.without_edges() };
                    let shard = ShardEdges { ids, ..ShardEdges::whole(&day) };
                    (inst, shard)
                })
                .collect();
            let mut h = ContentHasher::head(&day);
            let mut next = [0usize; 3];
            // Windows of 1,000 edges: several, the last one short.
            for start in (0..n).step_by(1000) {
                let end = (start + 1000).min(n);
                let parts: Vec<Vec<u8>> = shards.iter().zip(&mut next).map(|((i, s), k)| window(i, s, Record::Edge, k, end)).collect();
                feed(&mut h, &parts, start..end, 40).unwrap();
            }
            assert_eq!(h.finish(), agora_instances::content_hash(&day));
        }
        let (a, mut k) = (&day, 0);
        let whole = ShardEdges::whole(&day);
        let part = window(a, &whole, Record::Edge, &mut k, 10);
        let mut h = ContentHasher::head(&day);
        assert!(feed(&mut h, &[part.clone(), part], 0..10, 40).unwrap_err().contains("twice"));
    }
}
