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

use bpfmaps::{Map, MapId, MapSpec, MapType, OpenFlags, OuterMap, UpdateFlags};
use common::raw::{self, CreateAttr, RawMap};
use common::report::{ctx, human, measure, paired, Pair, Report, Sample};

/// Entries of the main hash map.
const N: u32 = 65536;
/// Elements per batch call.
const BATCH: usize = 4096;
/// Operations per pass of the per-element measurements: short (~0.1 ms), so that a pass is
/// seldom interrupted by other processes, and the passes of a round run close together.
const PASS: u32 = 256;
/// Rounds (pairs of passes) of the per-element measurements: two sweeps over the keys.
const ROUNDS: usize = 512;
/// Whole walks of the map for the iteration measurements.
const WALKS: usize = 2;
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

/// Measures `name` — a crate pass against a raw pass of `ops` operations each, [`ROUNDS`]
/// rounds, nothing to prepare between passes — if the filter asks for it.
fn measure_pair(
    report: &mut Report,
    name: &str,
    ops: u64,
    element_op: bool,
    crate_pass: impl FnMut(usize) -> Result<(), String>,
    raw_pass: impl FnMut(usize) -> Result<(), String>,
) -> Result<(), String> {
    if report.wants(name) {
        let (c, r) = paired(ROUNDS, ops, |_| Ok(()), crate_pass, raw_pass)?;
        report.pair(Pair::from_samples(name, &c, &r, element_op));
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

    measure_pair(
        report,
        "hash_lookup",
        ops,
        true,
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

    measure_pair(
        report,
        "hash_lookup_bytes",
        ops,
        true,
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

    measure_pair(
        report,
        "hash_update",
        ops,
        true,
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

/// Keys per timed segment of a walk.
const SEGMENT: usize = 256;

/// Walks the map `walks` times through the crate and through raw calls side by side: a
/// segment of `steps` steps of one walk, timed, then a segment of the other (which one goes
/// first alternates). Each step returns the elements it visited, 0 at the end of its walk; the
/// pairs of segments are the samples.
///
/// The raw walk runs `offset` steps (untimed) ahead and starts again when it reaches the end,
/// so the two walks never read the same part of the map one right after the other: the second
/// would find it warm in the cache.
fn side_by_side<A, B>(
    walks: usize,
    steps: usize,
    offset: usize,
    mut start_crate: impl FnMut() -> A,
    mut start_raw: impl FnMut() -> B,
    mut step_crate: impl FnMut(&mut A) -> Result<u64, String>,
    mut step_raw: impl FnMut(&mut B) -> Result<u64, String>,
) -> Result<(Vec<Sample>, Vec<Sample>), String> {
    let (mut cs, mut rs) = (Vec::new(), Vec::new());
    let (mut total_c, mut total_r) = (0, 0);
    for walk in 0..walks {
        let mut a = start_crate();
        let mut b = start_raw();
        for _ in 0..offset {
            if step_raw(&mut b)? == 0 {
                return Err("the map is smaller than the walks' offset".into());
            }
        }
        for i in 0.. {
            let mut crate_segment = || -> Result<Sample, String> {
                let mut visited = 0;
                let mut sample = measure(1, || {
                    for _ in 0..steps {
                        match step_crate(&mut a)? {
                            0 => break,
                            n => visited += n,
                        }
                    }
                    Ok(())
                })?;
                sample.ops = visited;
                Ok(sample)
            };
            let mut raw_segment = || -> Result<Sample, String> {
                let mut visited = 0;
                let mut sample = measure(1, || {
                    for _ in 0..steps {
                        visited += match step_raw(&mut b)? {
                            0 => {
                                b = start_raw();
                                step_raw(&mut b)?
                            }
                            n => n,
                        };
                    }
                    Ok(())
                })?;
                sample.ops = visited;
                Ok(sample)
            };
            let (c, r) = if (walk + i) % 2 == 0 {
                let c = crate_segment()?;
                (c, raw_segment()?)
            } else {
                let r = raw_segment()?;
                (crate_segment()?, r)
            };
            if c.ops == 0 {
                break;
            }
            total_c += c.ops;
            total_r += r.ops;
            cs.push(c);
            rs.push(r);
        }
    }
    // Batches end at bucket boundaries, so the raw walk may be a little ahead; key walks
    // visit exactly as many keys on both sides.
    if total_r * 10 < total_c * 9 || total_r * 10 > total_c * 11 {
        return Err(format!(
            "the walks disagree: {total_c} elements through the crate, {total_r} raw"
        ));
    }
    Ok((cs, rs))
}

/// A raw `GET_NEXT_KEY` walk.
struct RawWalk {
    key: u32,
    started: bool,
    done: bool,
}

impl RawWalk {
    fn new() -> RawWalk {
        RawWalk {
            key: 0,
            started: false,
            done: false,
        }
    }

    fn next(&mut self, raw: &RawMap<'_, u32, u64>) -> Result<Option<u32>, String> {
        if self.done {
            return Ok(None);
        }
        let mut next = 0u32;
        let prev = if self.started { Some(&self.key) } else { None };
        match raw.next_key(prev, &mut next) {
            Ok(()) => {
                self.started = true;
                self.key = next;
                Ok(Some(next))
            }
            Err(libc::ENOENT) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => Err(errno("next_key")(e)),
        }
    }
}

fn iteration(report: &mut Report) -> Result<(), String> {
    report.section(&format!(
        "iteration over a {N}-entry HASH (GET_NEXT_KEY), timed in segments of {SEGMENT} keys"
    ));
    let map = filled_hash("bench_iter", N)?;
    let raw = RawMap::<u32, u64>::of(&map)?;
    let check = |n: usize| {
        let seen = n as u64 * SEGMENT as u64 / WALKS as u64;
        if seen == u64::from(N) {
            Ok(())
        } else {
            Err(format!("a walk saw {seen} keys, not {N}"))
        }
    };

    if report.wants("iter_keys") {
        let (c, r) = side_by_side(
            WALKS,
            SEGMENT,
            N as usize / 2,
            || map.keys::<u32>(),
            RawWalk::new,
            |keys| match keys.next() {
                Some(Ok(key)) => {
                    black_box(key);
                    Ok(1)
                }
                Some(Err(e)) => Err(format!("keys: {e}")),
                None => Ok(0),
            },
            |walk| match walk.next(&raw)? {
                Some(key) => {
                    black_box(key);
                    Ok(1)
                }
                None => Ok(0),
            },
        )?;
        check(c.len())?;
        report.pair(Pair::from_samples("iter_keys", &c, &r, true));
    }

    if report.wants("iter_entries") {
        let (c, r) = side_by_side(
            WALKS,
            SEGMENT,
            N as usize / 2,
            || map.iter::<u32, u64>(),
            RawWalk::new,
            |entries| match entries.next() {
                Some(Ok(entry)) => {
                    black_box(entry);
                    Ok(1)
                }
                Some(Err(e)) => Err(format!("iter: {e}")),
                None => Ok(0),
            },
            |walk| match walk.next(&raw)? {
                Some(key) => {
                    let mut v = 0u64;
                    raw.lookup(&key, &mut v).map_err(errno("lookup"))?;
                    black_box((key, v));
                    Ok(1)
                }
                None => Ok(0),
            },
        )?;
        check(c.len())?;
        report.pair(Pair::from_samples("iter_entries", &c, &r, true));
    }
    Ok(())
}

fn batches(report: &mut Report) -> Result<(), String> {
    report.section(&format!(
        "batch operations on a {N}-entry HASH, {BATCH} elements per call (per element; \
         one call per pass)"
    ));
    let map = filled_hash("bench_batch", N)?;
    let raw = RawMap::<u32, u64>::of(&map)?;
    let keys: Vec<u32> = (0..N).collect();
    let values: Vec<u64> = (0..N).map(|k| u64::from(k) ^ 0x5a5a).collect();
    let chunks = N as usize / BATCH;
    let range = |p: usize| {
        let lo = (p % chunks) * BATCH;
        lo..lo + BATCH
    };

    if report.wants("batch_update") {
        let (c, r) = paired(
            64,
            BATCH as u64,
            |_| Ok(()),
            |p| {
                map.put_batch(&keys[range(p)], &values[range(p)], UpdateFlags::ANY)
                    .map_err(ctx("put_batch"))
            },
            |p| {
                let n = raw
                    .update_batch(&keys[range(p)], &values[range(p)])
                    .map_err(|(e, _)| errno("update_batch")(e))?;
                if n as usize == BATCH {
                    Ok(())
                } else {
                    Err(format!("update_batch wrote {n} of {BATCH}"))
                }
            },
        )?;
        report.pair(Pair::from_samples("batch_update", &c, &r, true));
    }

    if report.wants("batch_lookup") {
        // Whole walks, the crate's and the raw one call by call side by side.
        struct RawBatch {
            pos: u32,
            started: bool,
            done: bool,
            keys: Vec<u32>,
            values: Vec<u64>,
        }
        let mut cursor = map.batch_cursor();
        let mut out_k = vec![0u32; BATCH];
        let mut out_v = vec![0u64; BATCH];
        let (c, r) = side_by_side(
            8,
            1,
            N as usize / BATCH / 2,
            || (),
            || RawBatch {
                pos: 0,
                started: false,
                done: false,
                keys: vec![0; BATCH],
                values: vec![0; BATCH],
            },
            |()| {
                if cursor.is_done() {
                    cursor.reset();
                    return Ok(0);
                }
                let n = map
                    .get_batch(&mut cursor, &mut out_k, &mut out_v)
                    .map_err(ctx("get_batch"))?;
                black_box((&out_k, &out_v));
                Ok(n as u64)
            },
            |b| {
                if b.done {
                    return Ok(0);
                }
                let mut out = 0u32;
                let in_batch = if b.started { Some(&b.pos) } else { None };
                let n = match raw.lookup_batch(in_batch, &mut out, &mut b.keys, &mut b.values) {
                    Ok(n) => n,
                    Err((libc::ENOENT, n)) => {
                        b.done = true;
                        n
                    }
                    Err((e, _)) => return Err(errno("lookup_batch")(e)),
                };
                b.started = true;
                b.pos = out;
                black_box((&b.keys, &b.values));
                Ok(u64::from(n))
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
        const L: u32 = 256;
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

    // Opening by id. `Map::from_id` makes two calls: GET_FD_BY_ID, then OBJ_GET_INFO_BY_FD for
    // the key and value sizes its element operations check against; its baseline makes the
    // same two (and reads what the crate keeps of the info: type, id, sizes, flags, name), as
    // raw code must before it can trust sizes it did not declare itself. `Map::fd_from_id` is
    // the open alone, against the bare open.
    const O: usize = 128;
    let from_id = |_| {
        for i in 0..O {
            let map = Map::from_id(ids[i % 16]).map_err(ctx("from_id"))?;
            black_box(&map);
        }
        Ok(())
    };
    let raw_open_and_info = |_| {
        let mut info = raw::MapInfoBuf::default();
        for i in 0..O {
            let fd = raw::open_by_id(ids[i % 16].get()).map_err(errno("fd_by_id"))?;
            raw::info(fd.as_fd(), &mut info).map_err(errno("info"))?;
            black_box((&fd, info[..5].iter().fold(0, |a, w| a ^ w)));
        }
        Ok(())
    };
    let raw_open = |_| {
        for i in 0..O {
            let fd = raw::open_by_id(ids[i % 16].get()).map_err(errno("fd_by_id"))?;
            black_box(&fd);
        }
        Ok(())
    };
    measure_pair(
        report,
        "open_fd_by_id",
        O as u64,
        false,
        |_| {
            for i in 0..O {
                let fd = Map::fd_from_id(ids[i % 16], OpenFlags::READ_WRITE)
                    .map_err(ctx("fd_from_id"))?;
                black_box(&fd);
            }
            Ok(())
        },
        raw_open,
    )?;
    if report.wants("open_by_id") {
        let (c, r) = paired(ROUNDS, O as u64, |_| Ok(()), from_id, raw_open_and_info)?;
        report.pair(Pair::from_samples("open_by_id", &c, &r, false));

        // Not a target: the handle against the bare open, which shows what the info query
        // costs.
        let (c, r) = paired(ROUNDS, O as u64, |_| Ok(()), from_id, raw_open)?;
        let mut pair = Pair::from_samples("open_by_id_vs_bare_open", &c, &r, false);
        pair.ratio_target = false;
        let extra = pair.crate_ns - pair.raw_ns;
        report.pair(pair);
        println!(
            "{:<32}the handle's info query (OBJ_GET_INFO_BY_FD): {} of it",
            "",
            human(extra)
        );
    }

    measure_pair(
        report,
        "outer_get",
        O as u64,
        false,
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
                black_box((&fd, info[..5].iter().fold(0, |a, w| a ^ w)));
            }
            Ok(())
        },
    )?;

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
        "growth: HASH u32 -> u64 at 1K, 64K and 1M entries (256 ops per pass, 256 rounds)",
    );
    const OPS: u32 = 256;
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
                256,
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
                256,
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
