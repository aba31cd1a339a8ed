//! What the distributed solve needs of a message-passing layer: a rank, a size, a broadcast from
//! the root and a gather to it, of bytes. MPI provides them ([`super::mpi`], feature `mpi`);
//! [`Solo`] is the one-process case, for running the same code in tests and without MPI.
//!
//! Every sum over processes is a gather to the root and a sum there in rank order, so a result
//! does not depend on the order messages arrive: a fixed number of processes gives bitwise the
//! same answer every run (docs/distributed.md).

/// Collective operations over a fixed group of processes. Every process must make the same
/// calls in the same order (as MPI's collectives require); the root is rank 0.
pub trait Comm {
    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// The root's `bytes` replace every other process's.
    fn broadcast(&self, bytes: &mut Vec<u8>);
    /// Every process's `bytes`, in rank order, at the root; empty elsewhere.
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
}

/// One process alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Solo;

impl Comm for Solo {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn broadcast(&self, _bytes: &mut Vec<u8>) {}
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
}

/// Counts the bytes a [`Comm`] moves: what the root sends in broadcasts (once per other
/// process) and receives in gathers.
pub(crate) struct Counted<'a> {
    pub comm: &'a dyn Comm,
    pub bytes: std::cell::Cell<u64>,
}

impl<'a> Counted<'a> {
    pub fn new(comm: &'a dyn Comm) -> Self {
        Counted { comm, bytes: std::cell::Cell::new(0) }
    }
}

impl Comm for Counted<'_> {
    fn rank(&self) -> usize {
        self.comm.rank()
    }
    fn size(&self) -> usize {
        self.comm.size()
    }
    fn broadcast(&self, bytes: &mut Vec<u8>) {
        self.comm.broadcast(bytes);
        self.bytes.set(self.bytes.get() + (bytes.len() as u64) * (self.comm.size() as u64 - 1));
    }
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let all = self.comm.gather(bytes);
        self.bytes.set(self.bytes.get() + all.iter().skip(1).map(|b| b.len() as u64).sum::<u64>());
        all
    }
}

/// Every process learns whether all succeeded: `Ok` everywhere when every process's `result` is
/// `Ok`, else, on every process, the lowest failing rank's message (prefixed with its rank when
/// there are several processes).
pub fn agree<T>(comm: &dyn Comm, result: Result<T, String>) -> Result<T, String> {
    let mine = match &result {
        Ok(_) => Vec::new(),
        Err(m) => [&[1u8][..], m.as_bytes()].concat(),
    };
    let all = comm.gather(&mine);
    let mut first = all
        .iter()
        .enumerate()
        .find(|(_, b)| !b.is_empty())
        .map(|(rank, b)| {
            let m = String::from_utf8_lossy(&b[1..]);
            if comm.size() > 1 {
                format!("process {rank} of {}: {m}", comm.size()).into_bytes()
            } else {
                m.into_owned().into_bytes()
            }
        })
        .map(|m| [&[1u8][..], &m].concat())
        .unwrap_or_default();
    comm.broadcast(&mut first);
    match (result, first.is_empty()) {
        (Ok(v), true) => Ok(v),
        (Err(m), true) => Err(m),
        (_, false) => Err(String::from_utf8_lossy(&first[1..]).into_owned()),
    }
}
