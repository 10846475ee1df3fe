//! One outer map shared by several threads (by `&`, in `std::thread::scope`), inserting,
//! looking up, opening and removing at once; then the final state is checked, and that nothing
//! leaked (fds, and the ids of every inner map ever made). And the crate's own threads: the
//! per-element fallbacks of outer batches beyond their thread bound, and loads that fill
//! declared slots from several callers at once.
//!
//! Every test holds `common::serial()`.

mod common;
mod state;

use std::collections::{BTreeMap, BTreeSet};

use bpfmaps::loader::{self, LoadOptions};
use bpfmaps::{Map, MapId, MapSpec, MapType, OuterMap, UpdateFlags};

/// The handles are shareable between threads: checked at compile time.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Map>();
    send_sync::<OuterMap>();
    send_sync::<bpfmaps::MapInfo>();
    send_sync::<bpfmaps::LoadedBtf>();
};

const THREADS: u32 = 4;
const KEYS: u32 = 64;

/// Checks that whatever is in slot `key` now is a map made for that slot.
fn check_slot(outer: &OuterMap, key: u32) {
    if let Some(map) = outer.get(&key).unwrap() {
        assert_eq!(
            map.get::<u32, u32>(&0).unwrap(),
            Some(key),
            "slot {key} holds map {} made for another slot",
            map.id()
        );
    }
}

/// Thread `t`'s work on the keys it owns (`k % THREADS == t`): insert a map for each, replace
/// it with another, then remove the odd ones — reading its neighbours' slots all along. Returns
/// every inner id it made, and the id it left in each slot.
fn worker(outer: &OuterMap, t: u32) -> (Vec<u32>, BTreeMap<u32, MapId>) {
    let own: Vec<u32> = (0..KEYS).filter(|k| k % THREADS == t).collect();
    let mut made = Vec::new();
    let mut left = BTreeMap::new();
    for round in 0..2 {
        for &key in &own {
            let inner = outer.new_inner(&format!("thr{t}_{round}")).unwrap();
            inner.put(&0u32, &key, UpdateFlags::ANY).unwrap();
            outer.insert(&key, &inner).unwrap();
            made.push(inner.id().get());
            left.insert(key, inner.id());
            drop(inner);
            assert_eq!(outer.lookup(&key).unwrap(), left.get(&key).copied());
            check_slot(outer, (key + 1) % KEYS);
        }
    }
    for &key in own.iter().filter(|k| *k % 2 == 1) {
        assert!(outer.remove(&key).unwrap());
        left.remove(&key);
        check_slot(outer, (key + 3) % KEYS);
    }
    (made, left)
}

#[test]
fn threads_insert_look_up_and_remove_on_one_hash_of_maps() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &MapSpec::hash_of_maps(4, KEYS)
            .with_name("thr_hash")
            .unwrap(),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap()
    .with_registry();

    let results: Vec<(Vec<u32>, BTreeMap<u32, MapId>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let outer = &outer;
                scope.spawn(move || worker(outer, t))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let mut ids: BTreeSet<u32> = BTreeSet::new();
    let mut expected: BTreeMap<u32, MapId> = BTreeMap::new();
    for (made, left) in results {
        for id in made {
            assert!(ids.insert(id), "id {id} made twice");
        }
        expected.extend(left);
    }
    assert_eq!(ids.len(), (2 * KEYS) as usize);
    // The even slots hold the second map made for them; the odd slots are empty.
    assert_eq!(expected.len(), (KEYS / 2) as usize);
    let found: BTreeMap<u32, MapId> = outer.iter::<u32>().collect::<Result<_, _>>().unwrap();
    assert_eq!(found, expected);
    for key in 0..KEYS {
        check_slot(&outer, key);
    }
    // The registry kept exactly the maps still in the outer map.
    assert_eq!(outer.registered(), expected.len());

    ids.insert(outer.id().get());
    drop(outer);
    assert_released("after the outer map dropped", &fds, &ids);
}

#[test]
fn threads_batch_on_one_array_of_maps() {
    let _guard = common::serial();
    require_kernel!();
    const PER_THREAD: u32 = 32;
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(THREADS * PER_THREAD)
            .with_name("thr_array")
            .unwrap(),
        &MapSpec::new(MapType::HASH, 4, 4, 2),
    )
    .unwrap();

    let made: Vec<Vec<(u32, MapId)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let outer = &outer;
                scope.spawn(move || {
                    let keys: Vec<u32> = (t * PER_THREAD..(t + 1) * PER_THREAD).collect();
                    let inners: Vec<Map> = keys
                        .iter()
                        .map(|_| outer.new_inner("thr_batch").unwrap())
                        .collect();
                    for (key, inner) in keys.iter().zip(&inners) {
                        inner.put(&0u32, key, UpdateFlags::ANY).unwrap();
                    }
                    outer.insert_batch(&keys, &inners).unwrap();
                    let made: Vec<(u32, MapId)> = keys
                        .iter()
                        .copied()
                        .zip(inners.iter().map(Map::id))
                        .collect();
                    drop(inners);
                    // Others' slots come and go meanwhile: every filled slot read is consistent.
                    for (key, id) in outer.lookup_all::<u32>().unwrap() {
                        if key / PER_THREAD == t {
                            assert!(made.contains(&(key, id)));
                        }
                    }
                    // Remove the first half of this thread's slots (the array's fallback:
                    // concurrent single deletes, here from several callers at once).
                    outer
                        .remove_batch(&keys[..(PER_THREAD / 2) as usize])
                        .unwrap();
                    made
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let mut ids: BTreeSet<u32> = made.iter().flatten().map(|(_, id)| id.get()).collect();
    assert_eq!(ids.len(), (THREADS * PER_THREAD) as usize);
    let expected: Vec<(u32, MapId)> = made
        .into_iter()
        .flat_map(|m| m.into_iter().skip((PER_THREAD / 2) as usize))
        .collect();
    let mut found = outer.lookup_all::<u32>().unwrap();
    found.sort();
    assert_eq!(found, expected);
    for (key, _) in &found {
        check_slot(&outer, *key);
    }
    ids.insert(outer.id().get());
    drop(outer);
    assert_released("after the outer map dropped", &fds, &ids);
}

/// The per-element fallbacks of outer batches with more slots than their thread bound (32):
/// single updates for `NOEXIST` (into a `HASH_OF_MAPS`: an array of maps takes only
/// `BPF_ANY`), single deletes for an `ARRAY_OF_MAPS` (it has no batch delete). Every slot is
/// filled, then emptied, and every call made on the crate's threads is credited to the caller.
#[test]
fn fallbacks_beyond_the_thread_bound_fill_and_empty_every_slot() {
    let _guard = common::serial();
    require_kernel!();
    const SLOTS: u32 = 100;
    let fds = common::open_fds();
    let template = MapSpec::new(MapType::HASH, 4, 4, 1);
    let hash = OuterMap::create(
        &MapSpec::hash_of_maps(4, SLOTS)
            .with_name("thr_fb_hash")
            .unwrap(),
        &template,
    )
    .unwrap();
    let array = OuterMap::create(
        &MapSpec::array_of_maps(SLOTS)
            .with_name("thr_fb_array")
            .unwrap(),
        &template,
    )
    .unwrap();
    let inners: Vec<Map> = (0..SLOTS)
        .map(|_| hash.new_inner("thr_fb_in").unwrap())
        .collect();
    let keys: Vec<u32> = (0..SLOTS).collect();
    let expected: Vec<(u32, MapId)> = keys
        .iter()
        .copied()
        .zip(inners.iter().map(Map::id))
        .collect();
    let sorted = |outer: &OuterMap| {
        let mut found = outer.lookup_all::<u32>().unwrap();
        found.sort();
        found
    };

    let before = bpfmaps::syscall_count();
    hash.insert_batch_with(&keys, &inners, UpdateFlags::NOEXIST)
        .unwrap();
    // One info query per inner map, then one update per slot from the fallback's threads.
    assert_eq!(bpfmaps::syscall_count() - before, 2 * u64::from(SLOTS));
    assert_eq!(sorted(&hash), expected);

    array.insert_batch(&keys, &inners).unwrap();
    assert_eq!(sorted(&array), expected);
    let before = bpfmaps::syscall_count();
    array.remove_batch(&keys).unwrap();
    assert_eq!(
        bpfmaps::syscall_count() - before,
        u64::from(SLOTS),
        "one delete per slot"
    );
    assert_eq!(array.lookup_all::<u32>().unwrap(), Vec::new());

    let mut ids: BTreeSet<u32> = inners.iter().map(|m| m.id().get()).collect();
    ids.extend([hash.id().get(), array.id().get()]);
    drop(inners);
    drop((hash, array));
    assert_released("after the maps dropped", &fds, &ids);
}

/// Several loads at once, each filling the declared slots of its 20 outer maps from its own
/// threads: every declared slot holds its own load's inner map.
#[test]
fn loads_from_several_threads_fill_every_declared_slot() {
    let _guard = common::serial();
    require_kernel!();
    const LOADS: usize = 3;
    let fds = common::open_fds();
    let object = bpfmaps::elf::BpfObject::open(common::fixture("load_20x5.bpf.o")).unwrap();
    let loaded: Vec<loader::LoadedObject> = std::thread::scope(|scope| {
        let loads: Vec<_> = (0..LOADS)
            .map(|_| scope.spawn(|| loader::load(&object, &LoadOptions::new()).unwrap()))
            .collect();
        loads.into_iter().map(|l| l.join().unwrap()).collect()
    });

    let mut ids = BTreeSet::new();
    for loaded in &loaded {
        let mut outers = 0;
        for entry in loaded.entries() {
            ids.insert(entry.map().as_map().id().get());
            let slots = entry.filled_slots();
            if slots.is_empty() {
                continue;
            }
            outers += 1;
            assert_eq!(slots.len(), 5, "{}", entry.name());
            let outer = loaded.outer(entry.name()).unwrap();
            for (slot, inner) in slots {
                assert_eq!(
                    outer.lookup(slot).unwrap(),
                    Some(loaded.map(inner).unwrap().id()),
                    "{} slot {slot}",
                    entry.name()
                );
            }
        }
        assert_eq!(outers, 20);
    }
    assert_eq!(ids.len(), LOADS * 20 * 6, "every load made its own maps");
    drop(loaded);
    assert_released("after the loads dropped", &fds, &ids);
}

/// After `what`: the fds open are those of `fds`, and the maps `ids` are gone.
fn assert_released(what: &str, fds: &BTreeSet<i32>, ids: &BTreeSet<u32>) {
    state::assert_fds(what, fds);
    let left = common::wait_gone(ids);
    assert!(left.is_empty(), "{what}: maps still alive: {left:?}");
}
