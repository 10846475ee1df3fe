//! The leak test: thousands of inner maps created, inserted, opened and removed, one at a time
//! and in batches; afterwards this process has exactly the fds it had before, and none of the
//! maps exists any more in the kernel (walked with `BPF_MAP_GET_NEXT_ID`, after forcing the RCU
//! grace periods that free inner maps).
//!
//! Its own binary with a single test, so nothing else in the process opens fds or creates maps
//! meanwhile. The times printed are for information; nothing here asserts on time.
//!
//! Cost: every single update or delete of an outer map waits for an RCU grace period in the
//! kernel (about 8 and 12 ms here), so the 1,000 single cycles would take about 24 s one after
//! the other; four threads share their grace periods and take about a quarter of that. A batch
//! pays one grace period for its 1,000 maps.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use bpfmaps::{Map, MapId, MapSpec, MapType, OuterMap, UpdateFlags};

const SINGLE_CYCLES: u32 = 1_000;
const THREADS: u32 = 4;
const SLOTS_PER_THREAD: u32 = 4;
const BATCHED: u32 = 10_000;
const BATCH: u32 = 1_000;
const ARRAY_BATCH: u32 = 256;

/// Raises the soft limit on open files to hold one batch of inner maps at once (1,000 fds,
/// above the common default of 1,024 once the harness's own are counted).
#[expect(unsafe_code, reason = "getrlimit/setrlimit through libc")]
fn allow_open_files(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, exclusively borrowed `rlimit` for the call to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(ret, 0, "getrlimit: {}", std::io::Error::last_os_error());
    if limit.rlim_cur >= wanted {
        return;
    }
    assert!(
        limit.rlim_max >= wanted,
        "the hard limit on open files ({}) is below the {wanted} this test needs",
        limit.rlim_max
    );
    limit.rlim_cur = wanted;
    // SAFETY: `limit` is a valid `rlimit`, read by the call only.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(ret, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Thread `t`'s share of the single cycles, on its own slots; returns the inner maps' ids.
fn single_cycles(outer: &OuterMap, t: u32) -> Vec<u32> {
    let mut ids = Vec::new();
    for i in (t..SINGLE_CYCLES).step_by(THREADS as usize) {
        let slot = t * SLOTS_PER_THREAD + i % SLOTS_PER_THREAD;
        let inner = outer.new_inner("leak_cycle").unwrap();
        inner.put(&0u32, &i, UpdateFlags::ANY).unwrap();
        outer.insert(&slot, &inner).unwrap();
        let id = inner.id();
        drop(inner);
        assert_eq!(outer.lookup(&slot).unwrap(), Some(id), "cycle {i}");
        let opened = outer.get(&slot).unwrap().expect("just inserted");
        assert_eq!(opened.id(), id);
        assert_eq!(opened.get::<u32, u32>(&0).unwrap(), Some(i), "cycle {i}");
        drop(opened);
        assert!(outer.remove(&slot).unwrap(), "cycle {i}");
        ids.push(id.get());
    }
    ids
}

#[test]
fn no_fd_and_no_map_outlives_its_use() {
    let _guard = common::serial();
    require_kernel!();
    allow_open_files(u64::from(BATCH) + 256);
    let fds_before = common::open_fds();
    let mut ids: BTreeSet<u32> = BTreeSet::new();
    let all = Instant::now();

    // 1. Single cycles: create inner → insert → drop → lookup → open → use → delete, each
    //    through the one-element API. They run from THREADS threads, each on its own slots,
    //    so that the grace periods of their updates and deletes overlap (one thread alone
    //    measured 24 ms a cycle here, 24 s in all).
    let start = Instant::now();
    {
        let outer = OuterMap::create(
            &MapSpec::array_of_maps(THREADS * SLOTS_PER_THREAD)
                .with_name("leak_single")
                .unwrap(),
            &MapSpec::new(MapType::HASH, 4, 4, 4),
        )
        .unwrap();
        ids.insert(outer.id().get());
        let per_thread: Vec<Vec<u32>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let outer = &outer;
                    scope.spawn(move || single_cycles(outer, t))
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        for id in per_thread.into_iter().flatten() {
            assert!(ids.insert(id), "id {id} handed out twice");
        }
        assert_eq!(outer.iter::<u32>().count(), 0);
    }
    let single = start.elapsed();
    assert_eq!(
        common::open_fds(),
        fds_before,
        "fds after the single cycles"
    );

    // 2. Batches on a hash of maps, whose kernel delete batch is used: 10 × 1,000.
    let start = Instant::now();
    {
        let outer = OuterMap::create(
            &MapSpec::hash_of_maps(4, BATCHED)
                .with_name("leak_batch")
                .unwrap(),
            &MapSpec::new(MapType::ARRAY, 4, 4, 1),
        )
        .unwrap();
        ids.insert(outer.id().get());
        let mut inserted: BTreeSet<(u32, MapId)> = BTreeSet::new();
        for b in 0..BATCHED / BATCH {
            let keys: Vec<u32> = (b * BATCH..(b + 1) * BATCH).collect();
            let inners: Vec<Map> = keys
                .iter()
                .map(|_| outer.new_inner("leak_batch_in"))
                .collect::<Result<_, _>>()
                .unwrap();
            outer.insert_batch(&keys, &inners).unwrap();
            for (k, m) in keys.iter().zip(&inners) {
                assert!(ids.insert(m.id().get()));
                inserted.insert((*k, m.id()));
            }
        }
        let found: BTreeSet<(u32, MapId)> =
            outer.lookup_all::<u32>().unwrap().into_iter().collect();
        assert_eq!(found.len(), BATCHED as usize);
        assert_eq!(found, inserted);
        // A sample opened and used.
        for key in [0u32, 4_321, BATCHED - 1] {
            let inner = outer.get(&key).unwrap().unwrap();
            inner.put(&0u32, &key, UpdateFlags::ANY).unwrap();
        }
        for b in 0..BATCHED / BATCH {
            let keys: Vec<u32> = (b * BATCH..(b + 1) * BATCH).collect();
            outer.remove_batch(&keys).unwrap();
        }
        assert!(outer.lookup_all::<u32>().unwrap().is_empty());
    }
    let batched = start.elapsed();

    // 3. One batch round on an array of maps: no kernel delete batch, concurrent single
    //    deletes instead.
    let start = Instant::now();
    {
        let outer = OuterMap::create(
            &MapSpec::array_of_maps(ARRAY_BATCH)
                .with_name("leak_array")
                .unwrap(),
            &MapSpec::new(MapType::ARRAY, 4, 4, 1),
        )
        .unwrap();
        ids.insert(outer.id().get());
        let keys: Vec<u32> = (0..ARRAY_BATCH).collect();
        let inners: Vec<Map> = keys
            .iter()
            .map(|_| outer.new_inner("leak_array_in"))
            .collect::<Result<_, _>>()
            .unwrap();
        outer.insert_batch(&keys, &inners).unwrap();
        ids.extend(inners.iter().map(|m| m.id().get()));
        drop(inners);
        assert_eq!(
            outer.lookup_all::<u32>().unwrap().len(),
            ARRAY_BATCH as usize
        );
        outer.remove_batch(&keys).unwrap();
        assert!(outer.lookup_all::<u32>().unwrap().is_empty());
    }
    let array = start.elapsed();

    // Nothing left: the same fds, and none of the maps.
    let fds_after = common::open_fds();
    assert_eq!(fds_after, fds_before, "open fds before and after");
    let start = Instant::now();
    let left = common::wait_gone(&ids);
    let gone = start.elapsed();
    assert!(
        left.is_empty(),
        "{} of {} maps still exist, e.g. {:?}",
        left.len(),
        ids.len(),
        left.iter().take(10).collect::<Vec<_>>()
    );
    assert_eq!(
        ids.len(),
        (SINGLE_CYCLES + BATCHED + ARRAY_BATCH + 3) as usize
    );
    eprintln!(
        "leak test: {SINGLE_CYCLES} single cycles {single:.2?}; {BATCHED} maps in batches of \
         {BATCH} (hash of maps) {batched:.2?}; {ARRAY_BATCH} (array of maps, fallback) \
         {array:.2?}; until all {} ids were gone {gone:.2?}; total {:.2?}",
        ids.len(),
        all.elapsed()
    );
}
