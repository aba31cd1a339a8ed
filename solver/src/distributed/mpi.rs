//! [`Comm`] over MPI (rsmpi on MPICH; cargo feature `mpi`).
//!
//! MPI counts elements in `int`s: a message is sent in pieces of at most `PIECE` bytes per
//! process, so neither a broadcast nor a gather is limited to 2 GiB.

use mpi::datatype::PartitionMut;
use mpi::environment::{Threading, Universe};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use super::comm::Comm;

/// The most bytes one process puts in one MPI call.
const PIECE: usize = 1 << 30;

/// The world communicator of an MPI job.
pub struct MpiComm {
    world: SimpleCommunicator,
}

/// Starts MPI (rayon's threads never call it: `Funneled`); `None` when it is already started.
/// Keep the [`Universe`] alive until the end: dropping it finalises MPI.
pub fn init() -> Option<(Universe, MpiComm)> {
    let (universe, _) = mpi::initialize_with_threading(Threading::Funneled)?;
    let world = universe.world();
    Some((universe, MpiComm { world }))
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn broadcast(&self, bytes: &mut Vec<u8>) {
        let root = self.world.process_at_rank(0);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(len as usize, 0);
        for piece in bytes.chunks_mut(PIECE) {
            root.broadcast_into(piece);
        }
    }

    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let root = self.world.process_at_rank(0);
        let size = self.size();
        let cap = (PIECE / size).max(1);
        // Rounds: every process sends up to `cap` bytes of what is left, until the longest is
        // done; the root says how many rounds that takes.
        let len = bytes.len() as u64;
        let mut lens = vec![0u64; if self.rank() == 0 { size } else { 0 }];
        if self.rank() == 0 {
            root.gather_into_root(&len, &mut lens[..]);
        } else {
            root.gather_into(&len);
        }
        let mut rounds = lens.iter().map(|&l| (l as usize).div_ceil(cap)).max().unwrap_or(0) as u64;
        root.broadcast_into(&mut rounds);
        let mut out: Vec<Vec<u8>> = lens.iter().map(|&l| Vec::with_capacity(l as usize)).collect();
        for k in 0..rounds as usize {
            let lo = (k * cap).min(bytes.len());
            let mine = &bytes[lo..(lo + cap).min(bytes.len())];
            if self.rank() == 0 {
                let counts: Vec<Count> = lens.iter().map(|&l| ((l as usize).saturating_sub(k * cap).min(cap)) as Count).collect();
                let displs: Vec<Count> = counts.iter().scan(0, |acc, &c| Some(std::mem::replace(acc, *acc + c))).collect();
                let mut buf = vec![0u8; counts.iter().map(|&c| c as usize).sum()];
                {
                    let mut partition = PartitionMut::new(&mut buf[..], counts.clone(), &displs[..]);
                    root.gather_varcount_into_root(mine, &mut partition);
                }
                for (p, (&c, &d)) in counts.iter().zip(&displs).enumerate() {
                    out[p].extend_from_slice(&buf[d as usize..(d + c) as usize]);
                }
            } else {
                root.gather_varcount_into(mine);
            }
        }
        out
    }
}
