//! Counting `bpf(2)` calls, so benchmarks and tests can check that an operation makes no call
//! it does not need.
//!
//! The count is per thread (a thread-local cell: no atomic, nothing shared, about a cycle per
//! call). Work the crate spreads over threads of its own (slot filling, the batch fallbacks)
//! is credited back to the thread that asked for it when those threads are joined.

use std::cell::Cell;

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

/// The number of `bpf(2)` calls this thread has made through the crate (each `EINTR` retry
/// counts), including calls made for it by threads the crate spawned and joined.
///
/// ```
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// use bpfmaps::{Map, MapSpec, MapType};
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
/// let before = bpfmaps::syscall_count();
/// map.get::<u32, u32>(&1)?;
/// assert_eq!(bpfmaps::syscall_count() - before, 1);
/// # Ok(()) }
/// ```
pub fn syscall_count() -> u64 {
    CALLS.with(Cell::get)
}

pub(crate) fn count_call() {
    CALLS.with(|c| c.set(c.get().wrapping_add(1)));
}

/// Adds calls made by a joined helper thread to this thread's count.
pub(crate) fn credit(calls: u64) {
    CALLS.with(|c| c.set(c.get().wrapping_add(calls)));
}

/// Runs `f` and returns its result with the number of calls it made on this thread.
pub(crate) fn measured<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = syscall_count();
    let r = f();
    (r, syscall_count().wrapping_sub(before))
}
