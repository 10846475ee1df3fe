//! Before/after checks of what a test leaves behind: this process's open fds, the bpf(2) calls
//! this thread made, and the maps the kernel holds.
//!
//! Kernel map ids are global: other processes on the machine (another `cargo test`, say) create
//! and free maps while a test runs, so "the set of map ids is unchanged" cannot be asserted
//! naively. [`traceless`] makes it exact instead: it creates a throw-away map just before and
//! just after the operation and, since the kernel hands out ids in increasing order, sees
//! whether *any* map was created in between (by anyone). If one was, the window is not clean
//! and the (side-effect free, failing) operation is run again; in a clean window the id sets
//! before and after are compared exactly. The other two checks — fds and this thread's bpf(2)
//! call count ([`bpfmaps::syscall_count`]) — are exact whatever other processes do.
//!
//! Callers hold `common::serial()`: fds and map ids are process-wide.
#![allow(dead_code, reason = "each test binary uses only some of these helpers")]

use std::collections::BTreeSet;
use std::fmt::Debug;

use bpfmaps::{Map, MapSpec, MapType};

use crate::common;

/// How often [`traceless`] retries an operation whose window other processes disturbed.
const TRIES: usize = 200;

/// The id a new map gets now (a throw-away 1-slot array, created and closed).
pub fn probe_id() -> u32 {
    Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))
        .expect("probe map")
        .id()
        .get()
}

/// What the process and the kernel held at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub fds: BTreeSet<i32>,
    pub ids: BTreeSet<u32>,
}

impl Snapshot {
    pub fn take() -> Snapshot {
        Snapshot {
            fds: common::open_fds(),
            ids: common::map_ids(),
        }
    }
}

/// Runs `op` — an operation that must fail without leaving anything behind — and checks that
/// it did: the same fds are open after it, it made exactly `calls` bpf(2) calls on this thread,
/// and no map was created by anyone while it ran (so the kernel's map ids are the same before
/// and after, compared exactly). Returns what `op` returned.
///
/// `op` must be repeatable: it is run again when another process created a map during the
/// window. After [`TRIES`] disturbed windows the id comparison is given up with a note (the
/// fd and call checks have still been made every time).
#[track_caller]
pub fn traceless<T: Debug>(what: &str, calls: u64, op: impl FnMut() -> T) -> T {
    traceless_creating(what, calls, 0, op)
}

/// As [`traceless`], for an operation that creates exactly `maps` maps of its own on the way
/// and must close them all before it returns (the template map of a failing outer create).
#[track_caller]
pub fn traceless_creating<T: Debug>(
    what: &str,
    calls: u64,
    maps: u32,
    mut op: impl FnMut() -> T,
) -> T {
    // How many more maps than expected each window saw.
    let mut extras = BTreeSet::new();
    for _ in 0..TRIES {
        let first_probe = probe_id();
        let before = Snapshot::take();
        let start = bpfmaps::syscall_count();
        let value = op();
        let made = bpfmaps::syscall_count() - start;
        let after = Snapshot::take();
        let last_probe = probe_id();

        assert_eq!(
            after.fds, before.fds,
            "{what}: open fds changed (returned {value:?})"
        );
        assert_eq!(
            made, calls,
            "{what}: expected {calls} bpf(2) calls, made {made} (returned {value:?})"
        );
        if last_probe == first_probe + 1 + maps {
            // Between the two probes no map was created but the operation's own: the sets
            // must be equal, except for maps of other processes freed meanwhile.
            let appeared: Vec<_> = after.ids.difference(&before.ids).collect();
            assert!(
                appeared.is_empty(),
                "{what}: map ids appeared: {appeared:?}"
            );
            return value;
        }
        assert!(
            last_probe > first_probe + 1 + maps,
            "{what}: fewer maps created than the {maps} expected"
        );
        extras.insert(last_probe - first_probe - 1 - maps);
    }
    // Other processes create maps at their own pace; the same surplus in every window is the
    // operation's own doing.
    assert!(
        extras.len() > 1,
        "{what}: every run created {extras:?} map(s) more than the {maps} expected"
    );
    eprintln!(
        "note: {what}: other processes kept creating maps; map ids compared only through fds \
         and bpf(2) call counts"
    );
    op()
}

/// Asserts that `fds` are exactly the fds open now.
#[track_caller]
pub fn assert_fds(what: &str, fds: &BTreeSet<i32>) {
    let now = common::open_fds();
    let leaked: Vec<_> = now.difference(fds).collect();
    let closed: Vec<_> = fds.difference(&now).collect();
    assert!(
        leaked.is_empty() && closed.is_empty(),
        "{what}: fds left open {leaked:?}, fds closed that were open {closed:?}"
    );
}

/// An fd number that is not open, and can never be: above the largest `fs.nr_open` the kernel
/// allows (2,147,483,584 on 64-bit), so no file can have it. For tests of a caller handing over
/// an fd that was closed.
#[expect(
    unsafe_code,
    reason = "the only way to hold a closed fd is to make a BorrowedFd from a number"
)]
pub fn closed_fd() -> std::os::fd::BorrowedFd<'static> {
    const NEVER_OPEN: i32 = i32::MAX - 1;
    // SAFETY: `BorrowedFd` asks for an open fd, and this one is closed on purpose: it models a
    // caller whose fd was closed under it. No file can ever be open at this number (see
    // above), so it cannot alias anything; the crate only hands it to `readlink` of
    // /proc/self/fd/N and to bpf(2), which fail with ENOENT and EBADF and never close it.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(NEVER_OPEN) }
}
