//! An allocation that fails is an error, never an abort: the binary's allocator forwards to the
//! system's, and where the system refuses (a process under `ulimit -v`, a cgroup's limit with
//! overcommit off), it says so and exits with status 1, as every other error does, instead of
//! Rust's default abort (SIGABRT, a core dump, no message a planner can act on). Outputs are
//! written through temporary files and renames, so nothing partial is left under an output's
//! name. The memory guard (`--memory-limit`, docs/backends.md "Memory") refuses days that would
//! come here before their bulk is allocated; this is the net under it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// The system allocator, with failures made exits.
pub struct ExitOnFailure;

/// Writes the message for a failed allocation of `size` bytes without allocating (the heap is
/// what failed), then exits 1.
fn refuse(size: usize) -> ! {
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    let mut n = size;
    loop {
        k -= 1;
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"error: out of memory: an allocation of ");
    let _ = err.write_all(&digits[k..]);
    let _ = err
        .write_all(b" bytes failed; the day needs more memory than this process may use (--memory-limit, docs/backends.md \"Memory\"); nothing was written\n");
    std::process::exit(1)
}

// A global allocator must implement the unsafe trait; it only forwards to `System` and turns a
// null (a refused allocation) into an exit.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for ExitOnFailure {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if p.is_null() {
            refuse(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if p.is_null() {
            refuse(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if q.is_null() {
            refuse(new);
        }
        q
    }
}

/// Makes glibc's malloc give blocks of 1 MiB and more back to the system when they are freed.
///
/// By default glibc serves blocks below its mmap threshold from its heaps (one per thread that
/// allocates, up to eight per core) and raises the threshold, up to 32 MiB, whenever a mapped
/// block is freed. A command that allocates and frees per-point vectors of that size on several
/// threads (a frontier at 10^7 edges: each point's formulation lists, sums and restricted LP)
/// then holds the freed blocks in those heaps, where they fragment: the 20-point frontier on the
/// 10^7-edge day peaked at 1.83 GB resident against 1.37 GB of live heap, and 1.43 GB with the
/// threshold fixed at 1 MiB, in the same time (benches/RESULTS.md, "Daily loop").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn return_large_blocks() {
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    /// glibc's `M_MMAP_THRESHOLD` (malloc.h).
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: `mallopt` sets one of malloc's tunables; it is called once, before any thread is
    // started, with a value glibc accepts (at most HEAP_MAX_SIZE / 2, 32 MiB on 64-bit).
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Other systems' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks() {}
