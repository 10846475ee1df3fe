//! Shared helpers for the kernel-facing integration tests.
//!
//! Every test that needs `bpf(2)` starts with `require_kernel!()`: where the kernel cannot be
//! used (no privilege, no bpf(2)), the test prints why and returns — unless
//! `BPFMAPS_REQUIRE_KERNEL=1` is set (as `.ci/run` sets it), in which case it fails.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Returns from the calling test (after printing why) if the kernel cannot create maps here;
/// panics instead under `BPFMAPS_REQUIRE_KERNEL=1`.
#[macro_export]
macro_rules! require_kernel {
    () => {
        if let Some(reason) = $crate::common::kernel_unavailable() {
            if $crate::common::kernel_required() {
                panic!("BPFMAPS_REQUIRE_KERNEL=1 but the kernel cannot be used: {reason}");
            }
            eprintln!("skipped: {reason}");
            return;
        }
    };
}

/// Why the kernel cannot be used for map tests here, if it cannot.
pub fn kernel_unavailable() -> Option<String> {
    bpfmaps::probe::map_create_error().map(|errno| {
        format!("bpf(BPF_MAP_CREATE) is not allowed here ({errno}); run as root to test")
    })
}

/// Whether `BPFMAPS_REQUIRE_KERNEL=1` is set.
pub fn kernel_required() -> bool {
    std::env::var_os("BPFMAPS_REQUIRE_KERNEL").is_some_and(|v| v == "1")
}

/// The fds open in this process now (`/proc/self/fd`), without the one used to read it.
pub fn open_fds() -> BTreeSet<i32> {
    let mut fds = BTreeSet::new();
    let dir = std::fs::read_dir("/proc/self/fd").expect("read /proc/self/fd");
    for entry in dir.flatten() {
        if let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() {
            fds.insert(fd);
        }
    }
    // The directory's own fd was open during the walk and is closed now.
    fds.retain(|fd| Path::new(&format!("/proc/self/fd/{fd}")).exists());
    fds
}

/// The ids of every map in the kernel now.
pub fn map_ids() -> BTreeSet<u32> {
    bpfmaps::map_ids()
        .map(|id| id.expect("walk map ids").get())
        .collect()
}

/// The file names of the committed fixture objects (`*.bpf.o`) that `keep` accepts, sorted.
pub fn fixture_names(keep: impl Fn(&str) -> bool) -> Vec<String> {
    let dir = std::fs::read_dir(fixture("")).expect("fixtures dir");
    let mut names: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bpf.o") && keep(n))
        .collect();
    names.sort();
    names
}

/// The path of a committed fixture object.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh bpffs mounted on a temporary directory, unmounted (and removed) on drop.
pub struct TempBpffs {
    dir: PathBuf,
}

impl TempBpffs {
    pub fn new(tag: &str) -> TempBpffs {
        let dir = std::env::temp_dir().join(format!(
            "bpfmaps-test-{}-{}-{}",
            tag,
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).expect("create bpffs mount point");
        bpfmaps::pin::mount_bpffs(&dir).expect("mount bpffs");
        TempBpffs { dir }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempBpffs {
    fn drop(&mut self) {
        let _ = bpfmaps::pin::unmount(&self.dir);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Forces RCU grace periods the way the kernel's selftests do before checking that freed maps
/// are gone: throw-away updates of a scratch outer map, each of which waits for a grace period
/// in the kernel, so inner maps released before them get freed.
pub fn force_grace_periods() {
    use bpfmaps::{MapSpec, MapType, OuterMap};
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(1),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .expect("scratch outer map");
    for _ in 0..2 {
        let inner = outer.new_inner("").expect("scratch inner map");
        outer.insert(&0u32, &inner).expect("scratch insert");
    }
    outer.remove(&0u32).expect("scratch delete");
    drop(outer);
    // The map freeing itself runs from a workqueue after the grace period.
    std::thread::sleep(std::time::Duration::from_millis(50));
}

/// Waits (up to a few seconds, forcing grace periods) until none of `ids` exists any more;
/// returns those that still do.
///
/// This is an "eventually gone" check, not "gone after the first two forced grace periods":
/// the kernel frees a map from a workqueue after its last reference goes, and on a busy
/// machine that can take more than one round. A map we leaked keeps its id for good, so it
/// still fails every round.
pub fn wait_gone(ids: &BTreeSet<u32>) -> BTreeSet<u32> {
    let mut left = ids.clone();
    for _ in 0..40 {
        force_grace_periods();
        let now = map_ids();
        left.retain(|id| now.contains(id));
        if left.is_empty() {
            break;
        }
    }
    left
}

/// Serialises the tests of one binary that look at process-wide state (open fds, the kernel's
/// map ids): each such test holds this guard for its whole run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}
