//! `cargo bench --bench map_ops`: every element operation of the crate against the bare
//! `bpf(2)` call doing the same work, interleaved in one process.
//!
//! Each measurement alternates a pass through the crate with a pass through the raw baseline
//! (`common::raw`) for many rounds; the table shows the median ns per operation of each side,
//! the median of the per-round ratios crate/raw, and the crate's bpf(2) calls and heap
//! allocations per operation. Arguments that do not start with `-` select measurements by name.

mod common;

use std::hint::black_box;
use std::os::fd::{AsFd, AsRawFd};

use bpfmaps::{Map, MapId, MapSpec, MapType, OuterMap, UpdateFlags};
use common::raw::{self, CreateAttr, RawMap};
use common::report::{ctx, measure, paired, Pair, Report};

/// Entries of the main hash map.
const N: u32 = 65536;
/// Elements per batch call.
const BATCH: usize = 4096;
/// Operations per pass of the per-element measurements.
const PASS: u32 = 2048;
/// Rounds (pairs of passes) of the per-element measurements: four sweeps over the keys.
const ROUNDS: usize = 64;
/// Rounds of the measurements whose pass walks the whole map.
const WALK_ROUNDS: usize = 11;
/// `BPF_ANY`.
const ANY: u64 = 0;

fn main() -> std::process::ExitCode {
    common::report::run("bpfmaps map operations vs raw bpf(2)", |report| {
        hash_ops(report)?;
        iteration(report)?;
        batches(report)?;
        outer_ops(report)?;
        growth(report)?;
        Ok(())
    })
}

/// A HASH of u32 → u64 with room for `entries`, filled with keys `0..entries`.
fn filled_hash(name: &str, entries: u32) -> Result<Map, String> {
    let spec = MapSpec::new(MapType::HASH, 4, 8, entries)
        .with_name(name)
        .map_err(ctx("name"))?;
    let map = Map::create(&spec).map_err(ctx("create hash"))?;
    fill(&map, entries, 0)?;
    Ok(map)
}

/// Sets keys `0..entries` to `key + salt` with batch updates.
fn fill(map: &Map, entries: u32, salt: u64) -> Result<(), String> {
    let mut keys = Vec::with_capacity(BATCH);
    let mut values = Vec::with_capacity(BATCH);
    let mut k = 0;
    while k < entries {
        keys.clear();
        values.clear();
        let end = entries.min(k + BATCH as u32);
        keys.extend(k..end);
        values.extend((k..end).map(|k| u64::from(k) + salt));
        map.put_batch(&keys, &values, UpdateFlags::ANY)
            .map_err(ctx("fill"))?;
        k = end;
    }
    Ok(())
}

fn missing(k: u32) -> String {
    format!("key {k} is missing")
}

fn errno(what: &str) -> impl FnOnce(i32) -> String + '_ {
    move |e| format!("{what}: {}", std::io::Error::from_raw_os_error(e))
}

/// The keys of pass `pass`: one chunk of `0..N`, the next one for the next pass.
fn chunk(pass: usize) -> std::ops::Range<u32> {
    let chunks = (N / PASS) as usize;
    let start = (pass % chunks) as u32 * PASS;
    start..start + PASS
}

fn hash_ops(report: &mut Report) -> Result<(), String> {
    report.section(&format!(
        "HASH u32 -> u64, {N} entries, one call per element ({PASS} per pass, {ROUNDS} rounds)"
    ));
    let map = filled_hash("bench_hash", N)?;
    let raw = RawMap::<u32, u64>::of(&map)?;
    let ops = u64::from(PASS);

    if report.wants("hash_lookup") {
        let (c, r) = paired(
            ROUNDS,
            ops,
            |_| Ok(()),
            |p| {
                let mut sum = 0u64;
                for k in chunk(p) {
                    match map.get::<u32, u64>(&k) {
                        Ok(Some(v)) => sum = sum.wrapping_add(v),
                        Ok(None) => return Err(missing(k)),
                        Err(e) => return Err(format!("get: {e}")),
                    }
                }
                black_box(sum);
                Ok(())
            },
            |p| {
                let mut sum = 0u64;
                for k in chunk(p) {
                    let mut v = 0u64;
                    raw.lookup(&k, &mut v).map_err(errno("lookup"))?;
                    sum = sum.wrapping_add(v);
                }
                black_box(sum);
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("hash_lookup", &c, &r, true));
    }

    if report.wants("hash_lookup_bytes") {
        let (c, r) = paired(
            ROUNDS,
            ops,
            |_| Ok(()),
            |p| {
                let mut value = [0u8; 8];
                for k in chunk(p) {
                    if !map
                        .lookup(&k.to_ne_bytes(), &mut value)
                        .map_err(ctx("lookup"))?
                    {
                        return Err(missing(k));
                    }
                    black_box(&value);
                }
                Ok(())
            },
            |p| {
                let mut v = 0u64;
                for k in chunk(p) {
                    raw.lookup(&k, &mut v).map_err(errno("lookup"))?;
                    black_box(&v);
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("hash_lookup_bytes", &c, &r, true));
    }

    if report.wants("hash_update") {
        let (c, r) = paired(
            ROUNDS,
            ops,
            |_| Ok(()),
            |p| {
                for k in chunk(p) {
                    map.put(&k, &(u64::from(k) * 3), UpdateFlags::ANY)
                        .map_err(ctx("put"))?;
                }
                Ok(())
            },
            |p| {
                for k in chunk(p) {
                    raw.update(&k, &(u64::from(k) * 3), ANY)
                        .map_err(errno("update"))?;
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("hash_update", &c, &r, true));
    }

    if report.wants("hash_delete") {
        // Each pass deletes its chunk; the chunk is put back (untimed, one batch) before it.
        let keys: Vec<u32> = (0..N).collect();
        let values: Vec<u64> = (0..N).map(u64::from).collect();
        let (c, r) = paired(
            ROUNDS,
            ops,
            |p| {
                let range = chunk(p);
                let (lo, hi) = (range.start as usize, range.end as usize);
                map.put_batch(&keys[lo..hi], &values[lo..hi], UpdateFlags::ANY)
                    .map_err(ctx("refill"))
            },
            |p| {
                for k in chunk(p) {
                    if !map.remove(&k).map_err(ctx("remove"))? {
                        return Err(missing(k));
                    }
                }
                Ok(())
            },
            |p| {
                for k in chunk(p) {
                    raw.delete(&k).map_err(errno("delete"))?;
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("hash_delete", &c, &r, true));
    }
    Ok(())
}

fn iteration(report: &mut Report) -> Result<(), String> {
    report.section(&format!("iteration over a {N}-entry HASH (GET_NEXT_KEY)"));
    let map = filled_hash("bench_iter", N)?;
    let raw = RawMap::<u32, u64>::of(&map)?;
    let ops = u64::from(N);
    let expect = |n: u32| {
        if n == N {
            Ok(())
        } else {
            Err(format!("walk saw {n} keys, not {N}"))
        }
    };

    if report.wants("iter_keys") {
        let (c, r) = paired(
            WALK_ROUNDS,
            ops,
            |_| Ok(()),
            |_| {
                let mut n = 0;
                for key in map.keys::<u32>() {
                    black_box(key.map_err(ctx("keys"))?);
                    n += 1;
                }
                expect(n)
            },
            |_| {
                let mut n = 0;
                let mut key = 0u32;
                let mut next = 0u32;
                let mut first = true;
                loop {
                    let prev = if first { None } else { Some(&key) };
                    match raw.next_key(prev, &mut next) {
                        Ok(()) => {}
                        Err(libc::ENOENT) => break,
                        Err(e) => return Err(errno("next_key")(e)),
                    }
                    first = false;
                    key = black_box(next);
                    n += 1;
                }
                expect(n)
            },
        )?;
        report.pair(Pair::from_samples("iter_keys", &c, &r, true));
    }

    if report.wants("iter_entries") {
        let (c, r) = paired(
            WALK_ROUNDS,
            ops,
            |_| Ok(()),
            |_| {
                let mut n = 0;
                for entry in map.iter::<u32, u64>() {
                    black_box(entry.map_err(ctx("iter"))?);
                    n += 1;
                }
                expect(n)
            },
            |_| {
                let mut n = 0;
                let mut key = 0u32;
                let mut next = 0u32;
                let mut first = true;
                loop {
                    let prev = if first { None } else { Some(&key) };
                    match raw.next_key(prev, &mut next) {
                        Ok(()) => {}
                        Err(libc::ENOENT) => break,
                        Err(e) => return Err(errno("next_key")(e)),
                    }
                    first = false;
                    key = next;
                    let mut v = 0u64;
                    raw.lookup(&key, &mut v).map_err(errno("lookup"))?;
                    black_box((key, v));
                    n += 1;
                }
                expect(n)
            },
        )?;
        report.pair(Pair::from_samples("iter_entries", &c, &r, true));
    }
    Ok(())
}

fn batches(report: &mut Report) -> Result<(), String> {
    report.section(&format!(
        "batch operations on a {N}-entry HASH, {BATCH} elements per call (per element)"
    ));
    let map = filled_hash("bench_batch", N)?;
    let raw = RawMap::<u32, u64>::of(&map)?;
    let ops = u64::from(N);
    let keys: Vec<u32> = (0..N).collect();
    let values: Vec<u64> = (0..N).map(|k| u64::from(k) ^ 0x5a5a).collect();

    if report.wants("batch_update") {
        let (c, r) = paired(
            WALK_ROUNDS,
            ops,
            |_| Ok(()),
            |_| {
                for (k, v) in keys.chunks(BATCH).zip(values.chunks(BATCH)) {
                    map.put_batch(k, v, UpdateFlags::ANY)
                        .map_err(ctx("put_batch"))?;
                }
                Ok(())
            },
            |_| {
                for (k, v) in keys.chunks(BATCH).zip(values.chunks(BATCH)) {
                    let n = raw
                        .update_batch(k, v)
                        .map_err(|(e, _)| errno("update_batch")(e))?;
                    if n as usize != k.len() {
                        return Err(format!("update_batch wrote {n} of {}", k.len()));
                    }
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("batch_update", &c, &r, true));
    }

    if report.wants("batch_lookup") {
        let mut cursor = map.batch_cursor();
        let mut out_k = vec![0u32; BATCH];
        let mut out_v = vec![0u64; BATCH];
        let mut raw_k = vec![0u32; BATCH];
        let mut raw_v = vec![0u64; BATCH];
        let expect = |n: usize| {
            if n == N as usize {
                Ok(())
            } else {
                Err(format!("batch walk saw {n} elements, not {N}"))
            }
        };
        let (c, r) = paired(
            WALK_ROUNDS,
            ops,
            |_| Ok(()),
            |_| {
                cursor.reset();
                let mut n = 0;
                while !cursor.is_done() {
                    n += map
                        .get_batch(&mut cursor, &mut out_k, &mut out_v)
                        .map_err(ctx("get_batch"))?;
                }
                black_box((&out_k, &out_v));
                expect(n)
            },
            |_| {
                let mut n = 0;
                let (mut pos, mut out) = (0u32, 0u32);
                let mut first = true;
                loop {
                    let in_batch = if first { None } else { Some(&pos) };
                    match raw.lookup_batch(in_batch, &mut out, &mut raw_k, &mut raw_v) {
                        Ok(got) => n += got as usize,
                        Err((libc::ENOENT, got)) => {
                            n += got as usize;
                            break;
                        }
                        Err((e, _)) => return Err(errno("lookup_batch")(e)),
                    }
                    first = false;
                    pos = out;
                }
                black_box((&raw_k, &raw_v));
                expect(n)
            },
        )?;
        report.pair(Pair::from_samples("batch_lookup", &c, &r, true));
    }

    // Batch against one call per element, both through the crate.
    for (batch, single) in [
        ("batch_update", "hash_update"),
        ("batch_lookup", "hash_lookup"),
    ] {
        if let (Some(b), Some(s)) = (report.find(batch), report.find(single)) {
            println!(
                "  {batch}: {:.1}x faster per element than {single}",
                s.crate_ns / b.crate_ns
            );
        }
    }
    Ok(())
}

fn outer_ops(report: &mut Report) -> Result<(), String> {
    report.section("ARRAY_OF_MAPS (inner: ARRAY u32 -> u64, 16 entries)");
    let inner_spec = MapSpec::new(MapType::ARRAY, 4, 8, 16);
    let outer_spec = MapSpec::array_of_maps(64)
        .with_name("bench_outer")
        .map_err(ctx("name"))?;
    let outer = OuterMap::create(&outer_spec, &inner_spec).map_err(ctx("create outer"))?;
    let raw = RawMap::<u32, u32>::of(outer.as_map())?;
    let inners = (0..16)
        .map(|i| outer.new_inner(&format!("bench_in{i}")))
        .collect::<Result<Vec<Map>, _>>()
        .map_err(ctx("new_inner"))?;

    // Insert and delete: each waits for an RCU grace period (milliseconds, and variable), so
    // few of them, and every crate operation is timed right next to the raw one it is compared
    // with: crate insert into slot 32, raw insert into slot 33, then the two deletes (order
    // swapped every other pair).
    if report.wants("outer_insert") || report.wants("outer_delete") {
        const PAIRS: usize = 16;
        let (mut ci, mut ri, mut cd, mut rd) = (vec![], vec![], vec![], vec![]);
        let raw_fd = inners[1].as_fd().as_raw_fd() as u32;
        for pair in 0..=PAIRS {
            let crate_insert = || {
                measure(1, || {
                    outer.insert(&32u32, &inners[0]).map_err(ctx("insert"))
                })
            };
            let raw_insert = || {
                measure(1, || {
                    raw.update(&33u32, &raw_fd, ANY)
                        .map_err(errno("outer update"))
                })
            };
            let crate_delete = || {
                measure(1, || match outer.remove(&32u32) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("slot 32 was empty".into()),
                    Err(e) => Err(format!("remove: {e}")),
                })
            };
            let raw_delete = || measure(1, || raw.delete(&33u32).map_err(errno("outer delete")));
            let (a, b, c, d) = if pair % 2 == 0 {
                let a = crate_insert()?;
                let b = raw_insert()?;
                let c = crate_delete()?;
                (a, b, c, raw_delete()?)
            } else {
                let b = raw_insert()?;
                let a = crate_insert()?;
                let d = raw_delete()?;
                (a, b, crate_delete()?, d)
            };
            // Pair 0 is the warm-up.
            if pair > 0 {
                ci.push(a);
                ri.push(b);
                cd.push(c);
                rd.push(d);
            }
        }
        report.pair(Pair::from_samples("outer_insert", &ci, &ri, true));
        report.pair(Pair::from_samples("outer_delete", &cd, &rd, true));
    }

    // Slots 0..16 hold the inner maps for the lookups and opens.
    let slots: Vec<u32> = (0..16).collect();
    outer
        .insert_batch(&slots, &inners)
        .map_err(ctx("insert_batch"))?;
    let ids: Vec<MapId> = inners.iter().map(Map::id).collect();

    if report.wants("outer_lookup") {
        const L: u32 = 2048;
        let (c, r) = paired(
            ROUNDS,
            u64::from(L),
            |_| Ok(()),
            |_| {
                for i in 0..L {
                    let id = outer.lookup(&(i % 16)).map_err(ctx("outer lookup"))?;
                    if id.is_none() {
                        return Err(format!("slot {} is empty", i % 16));
                    }
                    black_box(id);
                }
                Ok(())
            },
            |_| {
                let mut id = 0u32;
                for i in 0..L {
                    raw.lookup(&(i % 16), &mut id)
                        .map_err(errno("outer lookup"))?;
                    black_box(id);
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("outer_lookup_id", &c, &r, true));
    }

    const O: usize = 1024;
    if report.wants("open_by_id") {
        let (c, r) = paired(
            ROUNDS,
            O as u64,
            |_| Ok(()),
            |_| {
                for i in 0..O {
                    let map = Map::from_id(ids[i % 16]).map_err(ctx("from_id"))?;
                    black_box(&map);
                }
                Ok(())
            },
            |_| {
                for i in 0..O {
                    let fd = raw::open_by_id(ids[i % 16].get()).map_err(errno("fd_by_id"))?;
                    black_box(&fd);
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("open_by_id", &c, &r, false));

        // The same against a baseline that makes the same calls: GET_FD_BY_ID, then
        // OBJ_GET_INFO_BY_FD (which the crate makes to learn the key and value sizes it checks
        // every element operation against), then close.
        let (c, r) = paired(
            ROUNDS,
            O as u64,
            |_| Ok(()),
            |_| {
                for i in 0..O {
                    let map = Map::from_id(ids[i % 16]).map_err(ctx("from_id"))?;
                    black_box(&map);
                }
                Ok(())
            },
            |_| {
                let mut info = raw::MapInfoBuf::default();
                for i in 0..O {
                    let fd = raw::open_by_id(ids[i % 16].get()).map_err(errno("fd_by_id"))?;
                    raw::info(fd.as_fd(), &mut info).map_err(errno("info"))?;
                    black_box((&fd, &info));
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("open_by_id_same_calls", &c, &r, false));
    }

    if report.wants("outer_get") {
        let (c, r) = paired(
            ROUNDS,
            O as u64,
            |_| Ok(()),
            |_| {
                for i in 0..O {
                    let map = outer.get(&((i % 16) as u32)).map_err(ctx("outer get"))?;
                    if map.is_none() {
                        return Err(format!("slot {} is empty", i % 16));
                    }
                    black_box(&map);
                }
                Ok(())
            },
            |_| {
                let mut info = raw::MapInfoBuf::default();
                for i in 0..O {
                    let mut id = 0u32;
                    raw.lookup(&((i % 16) as u32), &mut id)
                        .map_err(errno("outer lookup"))?;
                    let fd = raw::open_by_id(id).map_err(errno("fd_by_id"))?;
                    raw::info(fd.as_fd(), &mut info).map_err(errno("info"))?;
                    black_box((&fd, &info));
                }
                Ok(())
            },
        )?;
        report.pair(Pair::from_samples("outer_get_same_calls", &c, &r, false));
    }

    outer.remove_batch(&slots).map_err(ctx("remove_batch"))?;
    drop(inners);

    // The whole life of an inner map: create, insert, drop our fd, delete the slot. Two grace
    // periods each; one crate cycle next to one raw cycle, order swapped every other pair.
    if report.wants("inner_cycle") {
        const PAIRS: usize = 16;
        let template = CreateAttr::new(MapType::ARRAY, 4, 8, 16, "bench_cycle");
        let crate_cycle = || {
            measure(1, || {
                let inner = outer.new_inner("bench_cycle").map_err(ctx("new_inner"))?;
                outer.insert(&40u32, &inner).map_err(ctx("insert"))?;
                drop(inner);
                match outer.remove(&40u32) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("slot 40 was empty".into()),
                    Err(e) => Err(format!("remove: {e}")),
                }
            })
        };
        let raw_cycle = || {
            measure(1, || {
                let inner = raw::create(&template).map_err(errno("create inner"))?;
                let fd = inner.as_raw_fd() as u32;
                raw.update(&41u32, &fd, ANY)
                    .map_err(errno("outer update"))?;
                drop(inner);
                raw.delete(&41u32).map_err(errno("outer delete"))
            })
        };
        let (mut c, mut r) = (vec![], vec![]);
        for pair in 0..=PAIRS {
            let (a, b) = if pair % 2 == 0 {
                let a = crate_cycle()?;
                (a, raw_cycle()?)
            } else {
                let b = raw_cycle()?;
                (crate_cycle()?, b)
            };
            if pair > 0 {
                c.push(a);
                r.push(b);
            }
        }
        report.pair(Pair::from_samples("inner_cycle", &c, &r, false));
    }
    Ok(())
}

/// Lookup and update cost against the number of entries.
fn growth(report: &mut Report) -> Result<(), String> {
    report.section(
        "growth: HASH u32 -> u64 at 1K, 64K and 1M entries (2048 ops per pass, 48 rounds)",
    );
    const OPS: u32 = 2048;
    for (label, entries) in [("1k", 1u32 << 10), ("64k", 1 << 16), ("1m", 1 << 20)] {
        let lookup = format!("grow_lookup_{label}");
        let update = format!("grow_update_{label}");
        if !report.wants(&lookup) && !report.wants(&update) {
            continue;
        }
        let map = filled_hash(&format!("bench_grow_{label}"), entries)?;
        let raw = RawMap::<u32, u64>::of(&map)?;
        // Keys spread over the whole map: an odd stride visits every residue.
        let key = |i: u32| i.wrapping_mul(2_654_435_761) & (entries - 1);
        // Pass p takes the p-th run of OPS indexes.
        let pass = |p: usize| {
            let start = (p as u32).wrapping_mul(OPS);
            start..start + OPS
        };
        if report.wants(&lookup) {
            let (c, r) = paired(
                48,
                u64::from(OPS),
                |_| Ok(()),
                |p| {
                    for i in pass(p) {
                        let k = key(i);
                        if map.get::<u32, u64>(&k).map_err(ctx("get"))?.is_none() {
                            return Err(missing(k));
                        }
                    }
                    Ok(())
                },
                |p| {
                    let mut v = 0u64;
                    for i in pass(p) {
                        raw.lookup(&key(i), &mut v).map_err(errno("lookup"))?;
                        black_box(v);
                    }
                    Ok(())
                },
            )?;
            report.pair(Pair::from_samples(&lookup, &c, &r, true));
        }
        if report.wants(&update) {
            let (c, r) = paired(
                48,
                u64::from(OPS),
                |_| Ok(()),
                |p| {
                    for i in pass(p) {
                        map.put(&key(i), &u64::from(i), UpdateFlags::ANY)
                            .map_err(ctx("put"))?;
                    }
                    Ok(())
                },
                |p| {
                    for i in pass(p) {
                        raw.update(&key(i), &u64::from(i), ANY)
                            .map_err(errno("update"))?;
                    }
                    Ok(())
                },
            )?;
            report.pair(Pair::from_samples(&update, &c, &r, true));
        }
    }
    Ok(())
}
