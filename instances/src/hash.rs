//! The content hash of a day: what a solution records of the instance it solved, so that a
//! report, an export or a warm start can tell the solution's day from another day of the same
//! name.

use sha2::{Digest, Sha256};

use crate::file::InstanceFile;
use crate::types::{Edge, Evidence, Instance};

/// The hash as a sink of the head's JSON.
impl std::io::Write for ContentHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256:HEX` of the day's content, however its file was written (inline or columnar edges,
/// whitespace, key order): the canonical JSON of everything but the edges, then every edge's
/// segment and item index and the bits of its numbers. It streams over the edges, so a 10^7-edge
/// day hashes without a copy of them.
pub fn content_hash(inst: &Instance) -> String {
    let mut h = ContentHasher::head(inst);
    for e in &inst.edges {
        h.edge(e);
    }
    // Evidence only where the day has it, so that days without it keep their hashes.
    for v in &inst.evidence {
        h.evidence(v);
    }
    h.finish()
}

/// [`content_hash`] fed piece by piece, for whoever sees a day's edges as pieces (a distributed
/// solve gathers them from its processes): the head, then every edge in day order, then, when
/// the day has evidence, every edge's evidence in day order. Fed in any other order it hashes
/// another day.
pub struct ContentHasher(Sha256);

/// The bytes an edge adds to the hash: its segment and item index and the bits of its numbers.
pub fn edge_bytes(e: &Edge) -> [u8; 40] {
    let mut b = [0u8; 40];
    b[0..8].copy_from_slice(&(e.segment as u64).to_le_bytes());
    b[8..16].copy_from_slice(&(e.item as u64).to_le_bytes());
    b[16..24].copy_from_slice(&e.engagement.to_bits().to_le_bytes());
    b[24..32].copy_from_slice(&e.price.to_bits().to_le_bytes());
    b[32..40].copy_from_slice(&e.cap.map_or(u64::MAX, f64::to_bits).to_le_bytes());
    b
}

/// The bytes an edge's evidence adds to the hash, after every edge.
pub fn evidence_bytes(v: &Evidence) -> [u8; 24] {
    let mut b = [0u8; 24];
    b[0..8].copy_from_slice(&v.n.to_le_bytes());
    b[8..16].copy_from_slice(&v.lcb.to_bits().to_le_bytes());
    b[16..24].copy_from_slice(&v.ucb.to_bits().to_le_bytes());
    b
}

impl ContentHasher {
    /// Starts with everything of `inst` but its edges and evidence (which are ignored: feed them
    /// with [`ContentHasher::edge`] and [`ContentHasher::evidence`]).
    pub fn head(inst: &Instance) -> ContentHasher {
        let mut h = ContentHasher(Sha256::new());
        // Streamed into the hash: the head's JSON of a 10^7-edge day is 100 MB.
        serde_json::to_writer(&mut h, &InstanceFile::of(inst, false)).expect("instance files serialise");
        h
    }

    /// The next edge, in day order.
    pub fn edge(&mut self, e: &Edge) {
        self.0.update(edge_bytes(e));
    }

    /// The next edge's evidence, in day order, after every edge.
    pub fn evidence(&mut self, v: &Evidence) {
        self.0.update(evidence_bytes(v));
    }

    /// The next bytes, as [`edge_bytes`] and [`evidence_bytes`] give them (edges or evidence
    /// gathered from elsewhere).
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.update(b);
    }

    /// `sha256:HEX` of everything fed.
    pub fn finish(self) -> String {
        let digest = self.0.finalize();
        let mut out = String::with_capacity(71);
        out.push_str("sha256:");
        for b in digest {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, Size};

    #[test]
    fn the_hash_of_a_day_never_changes() {
        // Recorded by earlier versions in the solution files of cli/tests/malformed (tiny day,
        // seed 1): solutions on disk name their day by it, so a new way of computing it must give
        // the same value (streaming the head once dropped its empty edge list and broke this).
        assert_eq!(content_hash(&generate(Size::Tiny, 1)), "sha256:4e939c49c93ff7f3765fb6715973384117d9fff4318066fd980f78ef016c8c82");
    }

    #[test]
    fn the_hash_sees_every_number_and_only_the_content() {
        let day = generate(Size::Tiny, 3);
        let h = content_hash(&day);
        assert!(h.starts_with("sha256:") && h.len() == 71);
        assert_eq!(h, content_hash(&crate::parse_str(&crate::to_json(&day), std::path::Path::new("d.json")).unwrap().instance));
        let mut other = day.clone();
        other.objective.revenue += 1.0;
        assert_ne!(content_hash(&other), h);
        let mut other = day.clone();
        other.edges[0].engagement *= 1.0 + 1e-15;
        assert_ne!(content_hash(&other), h);
        let mut other = day.clone();
        other.evidence = (0..day.edges.len()).map(|e| day.evidence(e)).collect();
        let with_evidence = content_hash(&other);
        assert_ne!(with_evidence, h);
        other.evidence[0].n += 1;
        assert_ne!(content_hash(&other), with_evidence);
    }
}
