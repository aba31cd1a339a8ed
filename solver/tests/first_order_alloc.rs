//! The first-order backend allocates nothing per iteration: a run of 1,000 more iterations makes
//! no more heap allocations than a short one (its own binary, for the counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use agora_instances::{generate, Size};
use agora_solver::{first_order, formulate, BackendChoice, FirstOrderMethod, Settings};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// A counting allocator must implement the unsafe trait; it only forwards to `System`.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn iterations_allocate_nothing() {
    let model = formulate(&generate(Size::Small, 2));
    for threads in [1, 2] {
        let count = |iterations: u64| {
            let settings = Settings {
                backend: BackendChoice::FirstOrder,
                first_order_method: FirstOrderMethod::Pdhg,
                threads,
                iteration_limit: Some(iterations),
                ..Settings::default()
            };
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            let out = first_order::run(&model, &settings, None).unwrap();
            assert_eq!(out.stats.iterations, iterations, "the run must not end early");
            ALLOCATIONS.load(Ordering::Relaxed) - before
        };
        let (short, long) = (count(128), count(1_152));
        // Thread start-up varies by a few allocations between runs; 1,000 iterations with 16
        // residual checks and their restarts add none.
        assert!(long <= short + 8, "{threads} threads: {short} allocations for 128 iterations, {long} for 1152");
    }
}
