//! `map_ops`: a short sequence of map-in-map operations, run against the real kernel and
//! against a model in plain Rust; every result must be the one the model predicts.
//!
//! The model knows the kernel's rules for map-in-map (see `/work/shared/KERNEL-FACTS.md` and
//! the crate's docs): which inner maps fit a template, array bounds, hash capacity and update
//! modes, how batches stop part-way. It is written without looking at what the crate returns,
//! so a disagreement is a bug in the crate, in the model, or a kernel that behaves otherwise;
//! the panic message shows the operation, both answers, and the whole sequence so far.
//!
//! At the end every handle is dropped and the process must hold exactly the BPF fds it held
//! before.
//!
//! Input format (see [`decode`]): two bytes of setup, then up to [`MAX_OPS`] operations, each
//! an opcode byte and its operands. Outer maps hold at most 4 slots: each insert or delete
//! waits for an RCU grace period, so small maps keep an execution near a tenth of a second.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use bpfmaps::{Errno, Error, Map, MapFlags, MapId, MapInfo, MapSpec, MapType, OuterMap};
use bpfmaps::{UpdateFlags, UpdateMode};

use super::input::Input;

/// Operations decoded from one input, at most.
pub const MAX_OPS: usize = 32;
/// Map handles the sequence holds at once, at most (the oldest is dropped for a new one).
pub const MAX_HANDLES: usize = 6;
/// Entries of one batch operation, at most.
pub const MAX_BATCH: usize = 4;

/// The outer map and its template, from the first two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// `ARRAY_OF_MAPS` or `HASH_OF_MAPS`.
    pub outer_type: MapType,
    /// The outer map's `max_entries`, 1 to 4.
    pub outer_max: u32,
    /// `BPF_F_NO_PREALLOC` on a hash of maps.
    pub no_prealloc: bool,
    /// Whether the handle keeps a registry ([`OuterMap::with_registry`]).
    pub registry: bool,
    /// The inner template.
    pub template: Shape,
}

/// What the kernel compares of an inner map, as the model knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The type.
    pub map_type: MapType,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// Creation flags.
    pub flags: MapFlags,
}

impl Shape {
    fn spec(&self) -> MapSpec {
        MapSpec::new(
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
        )
        .with_flags(self.flags)
    }

    fn of_info(info: &MapInfo) -> Shape {
        Shape {
            map_type: info.map_type(),
            key_size: info.key_size(),
            value_size: info.value_size(),
            max_entries: info.max_entries(),
            flags: info.flags() - info.map_type().implied_flags(),
        }
    }
}

/// One operation. Small numbers are indexes into the menus below, reduced when decoded;
/// keys and handle indexes are reduced when run, against the setup and the handles held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// [`OuterMap::new_inner`].
    NewInner,
    /// [`OuterMap::new_inner_sized`] with [`SIZES`]`[i]` (or the template's own size).
    NewInnerSized(u8),
    /// [`Map::create`] with a spec from the menus, which may not fit the template or may not
    /// be creatable at all.
    Create {
        /// Index into [`TYPES`].
        ty: u8,
        /// Index into [`KEY_SIZES`].
        key: u8,
        /// Index into [`VALUE_SIZES`].
        value: u8,
        /// Index into [`SIZES`].
        max: u8,
        /// Index into [`FLAGS`].
        flags: u8,
    },
    /// Drops a handle.
    Drop(u8),
    /// [`OuterMap::insert_with`].
    Insert {
        /// The slot.
        key: u8,
        /// The handle inserted.
        handle: u8,
        /// Index into [`MODES`].
        mode: u8,
    },
    /// The outer map inserted into itself: refused as nesting.
    InsertSelf(u8),
    /// [`OuterMap::lookup`].
    Lookup(u8),
    /// [`OuterMap::get`]; the opened map becomes a handle.
    Get(u8),
    /// [`OuterMap::remove`].
    Remove(u8),
    /// [`OuterMap::iter`].
    Iter,
    /// [`OuterMap::lookup_all`].
    LookupAll,
    /// [`OuterMap::insert_batch_with`].
    InsertBatch {
        /// `(slot, handle)` pairs.
        entries: Vec<(u8, u8)>,
        /// Index into [`MODES`].
        mode: u8,
    },
    /// [`OuterMap::remove_batch`] (keys made distinct: an array of maps deletes them from
    /// several threads at once, and a duplicate would make the errno a race).
    RemoveBatch(Vec<u8>),
    /// [`OuterMap::lookup_batch`] walked to the end in chunks of `1 + n`.
    LookupBatch(u8),
    /// [`Map::from_id`] of a handle's id; the opened map becomes a handle.
    FromId(u8),
}

/// Inner types [`Op::Create`] picks from: two that can be inner maps, one the crate refuses
/// as inner (`PROG_ARRAY`), one [`Map::create`] refuses outright.
pub const TYPES: [MapType; 4] = [
    MapType::ARRAY,
    MapType::HASH,
    MapType::PROG_ARRAY,
    MapType::ARRAY_OF_MAPS,
];
/// Key sizes of [`Op::Create`].
pub const KEY_SIZES: [u32; 2] = [4, 8];
/// Value sizes of [`Op::Create`] (0 is refused by the kernel).
pub const VALUE_SIZES: [u32; 4] = [4, 8, 16, 0];
/// `max_entries` of [`Op::Create`] and [`Op::NewInnerSized`] (0 is refused by the kernel).
pub const SIZES: [u32; 5] = [1, 2, 3, 4, 0];
/// Flags of [`Op::Create`].
pub const FLAGS: [MapFlags; 3] = [
    MapFlags::empty(),
    MapFlags::INNER_MAP,
    MapFlags::NO_PREALLOC,
];
/// Update modes.
pub const MODES: [UpdateMode; 3] = [UpdateMode::Any, UpdateMode::NoExist, UpdateMode::Exist];

const OPCODES: u8 = 15;

/// The next byte as an index below `n` (a menu has at most a few entries).
fn small(input: &mut Input<'_>, n: usize) -> u8 {
    input.pick(n) as u8
}

/// The setup and operations an input describes.
///
/// Byte 0: bit 0 hash of maps (else array of maps), bits 1–2 outer `max_entries - 1`, bit 3
/// registry, bit 4 `BPF_F_NO_PREALLOC` (hash only). Byte 1: bits 0–1 the template kind
/// (ARRAY, ARRAY with `BPF_F_INNER_MAP`, HASH, HASH with `BPF_F_NO_PREALLOC`), bits 2–3 value
/// size (4, 8, 16, 4), bits 4–5 `max_entries` (1, 2, 4, 3), bit 6 an 8-byte key (hash only).
/// Then each operation: an opcode byte (modulo 15, in the order of [`Op`]'s variants) and its
/// operands, one byte each; a batch has a count byte (modulo 5) first.
pub fn decode(data: &[u8]) -> (Setup, Vec<Op>) {
    let mut input = Input::new(data);
    let (a, b) = (input.byte_or_zero(), input.byte_or_zero());
    let hash_outer = a & 1 != 0;
    let (template_type, template_flags) = match b & 3 {
        0 => (MapType::ARRAY, MapFlags::empty()),
        1 => (MapType::ARRAY, MapFlags::INNER_MAP),
        2 => (MapType::HASH, MapFlags::empty()),
        _ => (MapType::HASH, MapFlags::NO_PREALLOC),
    };
    let setup = Setup {
        outer_type: if hash_outer {
            MapType::HASH_OF_MAPS
        } else {
            MapType::ARRAY_OF_MAPS
        },
        outer_max: u32::from((a >> 1) & 3) + 1,
        no_prealloc: hash_outer && a & 0x10 != 0,
        registry: a & 8 != 0,
        template: Shape {
            map_type: template_type,
            key_size: if template_type == MapType::HASH && b & 0x40 != 0 {
                8
            } else {
                4
            },
            value_size: [4, 8, 16, 4][usize::from((b >> 2) & 3)],
            max_entries: [1, 2, 4, 3][usize::from((b >> 4) & 3)],
            flags: template_flags,
        },
    };
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS {
        let Some(code) = input.byte() else { break };
        let op = match code % OPCODES {
            0 => Op::NewInner,
            1 => Op::NewInnerSized(small(&mut input, SIZES.len() + 1)),
            2 => Op::Create {
                ty: small(&mut input, TYPES.len()),
                key: small(&mut input, KEY_SIZES.len()),
                value: small(&mut input, VALUE_SIZES.len()),
                max: small(&mut input, SIZES.len()),
                flags: small(&mut input, FLAGS.len()),
            },
            3 => Op::Drop(input.byte_or_zero()),
            4 => Op::Insert {
                key: input.byte_or_zero(),
                handle: input.byte_or_zero(),
                mode: small(&mut input, MODES.len()),
            },
            5 => Op::InsertSelf(input.byte_or_zero()),
            6 => Op::Lookup(input.byte_or_zero()),
            7 => Op::Get(input.byte_or_zero()),
            8 => Op::Remove(input.byte_or_zero()),
            9 => Op::Iter,
            10 => Op::LookupAll,
            11 => {
                let n = input.pick(MAX_BATCH + 1);
                let entries = (0..n)
                    .map(|_| (input.byte_or_zero(), input.byte_or_zero()))
                    .collect();
                Op::InsertBatch {
                    entries,
                    mode: input.pick(MODES.len()) as u8,
                }
            }
            12 => {
                let n = input.pick(MAX_BATCH + 1);
                Op::RemoveBatch((0..n).map(|_| input.byte_or_zero()).collect())
            }
            13 => Op::LookupBatch(input.byte_or_zero()),
            _ => Op::FromId(input.byte_or_zero()),
        };
        ops.push(op);
    }
    (setup, ops)
}

/// The bytes [`decode`] reads as `setup` bytes `(a, b)` and `ops`: for writing seeds.
pub fn encode(setup: [u8; 2], ops: &[Op]) -> Vec<u8> {
    let mut out = setup.to_vec();
    for op in ops {
        match op {
            Op::NewInner => out.push(0),
            Op::NewInnerSized(n) => out.extend([1, *n]),
            Op::Create {
                ty,
                key,
                value,
                max,
                flags,
            } => out.extend([2, *ty, *key, *value, *max, *flags]),
            Op::Drop(h) => out.extend([3, *h]),
            Op::Insert { key, handle, mode } => out.extend([4, *key, *handle, *mode]),
            Op::InsertSelf(k) => out.extend([5, *k]),
            Op::Lookup(k) => out.extend([6, *k]),
            Op::Get(k) => out.extend([7, *k]),
            Op::Remove(k) => out.extend([8, *k]),
            Op::Iter => out.push(9),
            Op::LookupAll => out.push(10),
            Op::InsertBatch { entries, mode } => {
                out.extend([11, entries.len() as u8]);
                entries.iter().for_each(|&(k, h)| out.extend([k, h]));
                out.push(*mode);
            }
            Op::RemoveBatch(keys) => {
                out.extend([12, keys.len() as u8]);
                out.extend(keys);
            }
            Op::LookupBatch(n) => out.extend([13, *n]),
            Op::FromId(h) => out.extend([14, *h]),
        }
    }
    out
}

/// What an operation gives, reduced to what the model can predict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Success, with the value read (if any) in a comparable form.
    Ok(String),
    /// [`Error::Refused`]: refused before the syscall.
    Refused,
    /// [`Error::InnerMismatch`]: an inner map that does not fit the template.
    Mismatch,
    /// [`Error::Syscall`] with this errno.
    Sys(Errno),
    /// [`Error::Batch`]: `done` elements processed, then this errno.
    Batch {
        /// Elements done before the failure.
        done: usize,
        /// The failure.
        errno: Errno,
    },
    /// Any other error (the model never predicts one).
    Other(String),
}

fn answer_of(e: &Error) -> Answer {
    match e {
        Error::Refused { .. } => Answer::Refused,
        Error::InnerMismatch { .. } => Answer::Mismatch,
        Error::Syscall(s) => Answer::Sys(s.errno),
        Error::Batch { done, source, .. } => Answer::Batch {
            done: *done,
            errno: source.errno,
        },
        other => Answer::Other(format!("{other:?}")),
    }
}

fn ok() -> Answer {
    Answer::Ok(String::new())
}

/// What the model has in each slot: the inner map's id and shape.
type Slots = BTreeMap<u32, (MapId, Shape)>;

/// A possible answer of an operation, with the slots it leaves.
type Outcome = (Answer, Slots);

/// The model's state: what is in each slot.
#[derive(Debug, Clone, Default)]
struct Model {
    slots: Slots,
}

/// A handle the sequence holds: the real map and the shape the model gave it.
struct Handle {
    map: Map,
    shape: Shape,
}

struct Run {
    setup: Setup,
    outer: OuterMap,
    handles: Vec<Handle>,
    model: Model,
    trace: String,
}

/// The target's body: decode, run against the kernel and the model, check no fd leaked.
///
/// # Panics
///
/// On any disagreement, with the operation, both answers and the sequence so far; if the
/// process cannot create maps at all (run it as root, or skip it: see `tests/fuzz_replay.rs`).
pub fn run(data: &[u8]) {
    let (setup, ops) = decode(data);
    let before = open_fds();
    {
        let mut run = Run::start(setup);
        for (i, op) in ops.iter().enumerate() {
            let _ = writeln!(run.trace, "    #{i}: {op:?}");
            run.step(i, op);
        }
        // Every handle, and the outer map with whatever it holds, is dropped here.
    }
    let after = open_fds();
    assert_eq!(
        before, after,
        "map_ops: fds open before {before:?} and after {after:?} differ\n  setup: {setup:?}\n  \
         ops: {ops:?}"
    );
}

/// The BPF fds (maps, BTF, …) this process holds, from `/proc/self/fd`: other fds come and go
/// with the fuzzer's or the test harness's own work on other threads.
fn open_fds() -> BTreeSet<(u32, String)> {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            let target = target.to_string_lossy().into_owned();
            target.starts_with("anon_inode:bpf").then_some((fd, target))
        })
        .collect()
}

fn update_flags(mode: UpdateMode) -> UpdateFlags {
    match mode {
        UpdateMode::Any => UpdateFlags::ANY,
        UpdateMode::NoExist => UpdateFlags::NOEXIST,
        UpdateMode::Exist => UpdateFlags::EXIST,
    }
}

impl Run {
    fn start(setup: Setup) -> Run {
        let outer_spec = match setup.outer_type {
            MapType::HASH_OF_MAPS => {
                let spec = MapSpec::hash_of_maps(4, setup.outer_max);
                if setup.no_prealloc {
                    spec.with_flags(MapFlags::NO_PREALLOC)
                } else {
                    spec
                }
            }
            _ => MapSpec::array_of_maps(setup.outer_max),
        };
        let outer = OuterMap::create(&outer_spec, &setup.template.spec())
            .unwrap_or_else(|e| panic!("map_ops: cannot create the outer map {setup:?}: {e}"));
        let outer = if setup.registry {
            outer.with_registry()
        } else {
            outer
        };
        Run {
            setup,
            outer,
            handles: Vec::new(),
            model: Model::default(),
            trace: String::new(),
        }
    }

    fn is_array(&self) -> bool {
        self.setup.outer_type == MapType::ARRAY_OF_MAPS
    }

    /// A key byte as a slot: arrays get indexes up to two past the end, hashes twice as many
    /// keys as they can hold.
    fn key(&self, raw: u8) -> u32 {
        let range = if self.is_array() {
            self.setup.outer_max + 2
        } else {
            self.setup.outer_max * 2 + 1
        };
        u32::from(raw) % range
    }

    fn handle(&self, raw: u8) -> Option<usize> {
        (!self.handles.is_empty()).then(|| usize::from(raw) % self.handles.len())
    }

    fn push(&mut self, map: Map, shape: Shape) {
        if self.handles.len() == MAX_HANDLES {
            self.handles.remove(0);
        }
        self.handles.push(Handle { map, shape });
    }

    fn compare(&self, i: usize, op: &Op, expected: &Answer, got: &Answer) {
        if expected != got {
            panic!(
                "map_ops: the kernel and the model disagree\n  op #{i}: {op:?}\n  model \
                 expected: {expected:?}\n  crate returned: {got:?}\n  setup: {:?}\n  model \
                 slots: {:?}\n  sequence:\n{}",
                self.setup, self.model.slots, self.trace
            );
        }
    }

    /// Compares a result; on success the caller's summary of the value is compared too.
    fn check<T>(
        &self,
        i: usize,
        op: &Op,
        expected: Answer,
        got: &Result<T, Error>,
        show: impl Fn(&T) -> String,
    ) {
        let got = match got {
            Ok(v) => Answer::Ok(show(v)),
            Err(e) => answer_of(e),
        };
        self.compare(i, op, &expected, &got);
    }

    /// Whether the kernel would create a map of this shape, as far as the crate or the kernel
    /// refuses it.
    fn expect_create(shape: &Shape) -> Result<(), Answer> {
        if shape.map_type.is_outer() {
            return Err(Answer::Refused);
        }
        if shape.flags.contains(MapFlags::INNER_MAP) && shape.map_type != MapType::ARRAY {
            return Err(Answer::Refused);
        }
        let einval = Err(Answer::Sys(Errno::EINVAL));
        if shape.value_size == 0 || shape.max_entries == 0 {
            return einval;
        }
        let array = matches!(shape.map_type, MapType::ARRAY | MapType::PROG_ARRAY);
        if array && (shape.key_size != 4 || shape.flags.contains(MapFlags::NO_PREALLOC)) {
            return einval;
        }
        if shape.map_type == MapType::PROG_ARRAY && shape.value_size != 4 {
            return einval;
        }
        Ok(())
    }

    /// Whether an inner map of this shape fits the template, written from the kernel's rule:
    /// type, sizes and flags equal, and `max_entries` too for an array template without
    /// `BPF_F_INNER_MAP`; `PROG_ARRAY` is no inner map at all.
    fn expect_fits(&self, inner: &Shape) -> Result<(), Answer> {
        let t = &self.setup.template;
        if inner.map_type == MapType::PROG_ARRAY {
            return Err(Answer::Refused);
        }
        if (
            inner.map_type,
            inner.key_size,
            inner.value_size,
            inner.flags,
        ) != (t.map_type, t.key_size, t.value_size, t.flags)
        {
            return Err(Answer::Mismatch);
        }
        let fixed = t.map_type == MapType::ARRAY && !t.flags.contains(MapFlags::INNER_MAP);
        if fixed && inner.max_entries != t.max_entries {
            return Err(Answer::Mismatch);
        }
        Ok(())
    }

    /// The kernel's answer to one update of slot `key` (the inner map already fits), applied
    /// to `slots` when it succeeds.
    fn expect_update(
        &self,
        slots: &mut Slots,
        key: u32,
        value: (MapId, Shape),
        mode: UpdateMode,
    ) -> Result<(), Errno> {
        if self.is_array() {
            // fd arrays take BPF_ANY only, then check the index.
            if mode != UpdateMode::Any {
                return Err(Errno::EINVAL);
            }
            if key >= self.setup.outer_max {
                return Err(Errno::E2BIG);
            }
        } else {
            let present = slots.contains_key(&key);
            match mode {
                UpdateMode::NoExist if present => return Err(Errno::EEXIST),
                UpdateMode::Exist if !present => return Err(Errno::ENOENT),
                _ => {}
            }
            if !present && slots.len() >= self.setup.outer_max as usize {
                return Err(Errno::E2BIG);
            }
        }
        slots.insert(key, value);
        Ok(())
    }

    /// The kernel's answer to deleting slot `key`, applied to the model.
    fn expect_delete(&mut self, key: u32) -> Result<(), Errno> {
        if self.is_array() && key >= self.setup.outer_max {
            return Err(Errno::E2BIG);
        }
        match self.model.slots.remove(&key) {
            Some(_) => Ok(()),
            None => Err(Errno::ENOENT),
        }
    }

    /// `BPF_MAP_UPDATE_BATCH` (arrays of maps): the elements in order, up to the first
    /// failure, which is reported with the number done before it.
    fn expect_batch_update(&self, values: &[(u32, (MapId, Shape))], mode: UpdateMode) -> Outcome {
        let mut slots = self.model.slots.clone();
        for (done, &(key, value)) in values.iter().enumerate() {
            if let Err(errno) = self.expect_update(&mut slots, key, value, mode) {
                return (Answer::Batch { done, errno }, slots);
            }
        }
        (ok(), slots)
    }

    /// The kernel's batch update takes no `BPF_NOEXIST` or `BPF_EXIST`, so for those the crate
    /// issues single updates from several threads at once: every element is tried, the first
    /// failure in element order is reported with the number of successes. Which new keys of a
    /// hash get its last free places is a race: every possibility is returned.
    fn expect_parallel_updates(
        &self,
        values: &[(u32, (MapId, Shape))],
        mode: UpdateMode,
    ) -> Vec<Outcome> {
        let present = |k: &u32| self.model.slots.contains_key(k);
        // Per element: decided by its mode alone, or a new key that needs a free place.
        let mut fixed: Vec<Option<Result<(), Errno>>> = Vec::new();
        let mut new_keys = Vec::new();
        for (i, &(key, value)) in values.iter().enumerate() {
            if self.is_array() {
                // Array slots are independent of each other.
                let mut scratch = self.model.slots.clone();
                fixed.push(Some(self.expect_update(&mut scratch, key, value, mode)));
                continue;
            }
            let key = &key;
            fixed.push(match mode {
                UpdateMode::NoExist if present(key) => Some(Err(Errno::EEXIST)),
                UpdateMode::Exist if !present(key) => Some(Err(Errno::ENOENT)),
                _ if present(key) => Some(Ok(())),
                _ => {
                    new_keys.push(i);
                    None
                }
            });
        }
        let free = (self.setup.outer_max as usize).saturating_sub(self.model.slots.len());
        let winners = free.min(new_keys.len());
        let mut outcomes = Vec::new();
        for mask in 0u32..(1 << new_keys.len()) {
            if mask.count_ones() as usize != winners {
                continue;
            }
            let mut results = fixed.clone();
            for (bit, &i) in new_keys.iter().enumerate() {
                results[i] = Some(if mask & (1 << bit) != 0 {
                    Ok(())
                } else {
                    Err(Errno::E2BIG)
                });
            }
            let mut slots = self.model.slots.clone();
            let mut done = 0;
            let mut first = None;
            for (result, &(key, value)) in results.iter().zip(values) {
                match result {
                    Some(Ok(())) => {
                        done += 1;
                        slots.insert(key, value);
                    }
                    Some(Err(errno)) => first = first.or(Some(*errno)),
                    None => unreachable!("every element was decided"),
                }
            }
            let answer = match first {
                None => ok(),
                Some(errno) => Answer::Batch { done, errno },
            };
            outcomes.push((answer, slots));
        }
        outcomes
    }

    /// Several outcomes give the crate's answer: the kernel's slots for `keys` say which
    /// happened (and must be one of them).
    fn settle_race(
        &self,
        i: usize,
        op: &Op,
        outcomes: &[Outcome],
        got: &Answer,
        keys: &[u32],
    ) -> Slots {
        let kernel: Vec<Option<MapId>> = keys
            .iter()
            .map(|k| self.outer.lookup(k).expect("lookup after a batch"))
            .collect();
        let found = outcomes.iter().find(|(answer, slots)| {
            answer == got
                && keys
                    .iter()
                    .zip(&kernel)
                    .all(|(k, id)| slots.get(k).map(|s| s.0) == *id)
        });
        match found {
            Some((_, slots)) => slots.clone(),
            None => {
                let expected = Answer::Other(format!("slots {keys:?} as in one of {outcomes:?}"));
                self.compare(i, op, &expected, &Answer::Other(format!("{kernel:?}")));
                unreachable!("compare panics on a difference");
            }
        }
    }

    fn slots_text(&self) -> String {
        format!(
            "{:?}",
            self.model
                .slots
                .iter()
                .map(|(k, (id, _))| (*k, *id))
                .collect::<Vec<_>>()
        )
    }

    /// Checks that an opened map is the one the model has at that id, with that shape.
    fn check_opened(&self, i: usize, op: &Op, map: &Map, id: MapId, shape: &Shape) {
        let got = Answer::Ok(format!("{:?} {:?}", map.id(), Shape::of_info(map.info())));
        let expected = Answer::Ok(format!("{id:?} {shape:?}"));
        self.compare(i, op, &expected, &got);
    }

    fn step(&mut self, i: usize, op: &Op) {
        match op {
            Op::NewInner => {
                let got = self.outer.new_inner("");
                self.check(i, op, ok(), &got, |_| String::new());
                if let Ok(map) = got {
                    self.push(map, self.setup.template);
                }
            }
            Op::NewInnerSized(n) => {
                let t = self.setup.template;
                let size = SIZES.get(usize::from(*n)).copied().unwrap_or(t.max_entries);
                let fixed = t.map_type == MapType::ARRAY && !t.flags.contains(MapFlags::INNER_MAP);
                let shape = Shape {
                    max_entries: size,
                    ..t
                };
                let expected = if fixed && size != t.max_entries {
                    Answer::Refused
                } else {
                    Self::expect_create(&shape).err().unwrap_or_else(ok)
                };
                let got = self.outer.new_inner_sized("", size);
                self.check(i, op, expected, &got, |_| String::new());
                if let Ok(map) = got {
                    self.push(map, shape);
                }
            }
            Op::Create {
                ty,
                key,
                value,
                max,
                flags,
            } => {
                let shape = Shape {
                    map_type: TYPES[usize::from(*ty) % TYPES.len()],
                    key_size: KEY_SIZES[usize::from(*key) % KEY_SIZES.len()],
                    value_size: VALUE_SIZES[usize::from(*value) % VALUE_SIZES.len()],
                    max_entries: SIZES[usize::from(*max) % SIZES.len()],
                    flags: FLAGS[usize::from(*flags) % FLAGS.len()],
                };
                let expected = Self::expect_create(&shape).err().unwrap_or_else(ok);
                let got = Map::create(&shape.spec());
                self.check(i, op, expected, &got, |_| String::new());
                if let Ok(map) = got {
                    self.push(map, shape);
                }
            }
            Op::Drop(h) => {
                if let Some(h) = self.handle(*h) {
                    self.handles.remove(h);
                }
            }
            Op::Insert { key, handle, mode } => {
                let Some(h) = self.handle(*handle) else {
                    return;
                };
                let key = self.key(*key);
                let mode = MODES[usize::from(*mode) % MODES.len()];
                let handle = &self.handles[h];
                let value = (handle.map.id(), handle.shape);
                let mut slots = self.model.slots.clone();
                let expected = match self.expect_fits(&handle.shape) {
                    Err(refused) => refused,
                    Ok(()) => match self.expect_update(&mut slots, key, value, mode) {
                        Ok(()) => ok(),
                        Err(errno) => Answer::Sys(errno),
                    },
                };
                let got = self
                    .outer
                    .insert_with(&key, &handle.map, update_flags(mode));
                self.check(i, op, expected, &got, |_| String::new());
                self.model.slots = slots;
            }
            Op::InsertSelf(k) => {
                let key = self.key(*k);
                let got = self.outer.insert(&key, &self.outer);
                self.check(i, op, Answer::Refused, &got, |_| String::new());
            }
            Op::Lookup(k) => {
                let key = self.key(*k);
                let expected = Answer::Ok(format!("{:?}", self.model.slots.get(&key).map(|s| s.0)));
                let got = self.outer.lookup(&key);
                self.check(i, op, expected, &got, |id| format!("{id:?}"));
            }
            Op::Get(k) => {
                let key = self.key(*k);
                let slot = self.model.slots.get(&key).copied();
                let expected = Answer::Ok(format!("{}", slot.is_some()));
                let got = self.outer.get(&key);
                self.check(i, op, expected, &got, |m| format!("{}", m.is_some()));
                if let (Ok(Some(map)), Some((id, shape))) = (got, slot) {
                    self.check_opened(i, op, &map, id, &shape);
                    self.push(map, shape);
                }
            }
            Op::Remove(k) => {
                let key = self.key(*k);
                let expected = match self.expect_delete(key) {
                    Ok(()) => Answer::Ok("true".into()),
                    Err(Errno::ENOENT) => Answer::Ok("false".into()),
                    Err(errno) => Answer::Sys(errno),
                };
                let got = self.outer.remove(&key);
                self.check(i, op, expected, &got, |b| b.to_string());
            }
            Op::Iter => {
                let got: Result<Vec<(u32, MapId)>, Error> = self.outer.iter::<u32>().collect();
                self.check_listing(i, op, got);
            }
            Op::LookupAll => {
                let got = self.outer.lookup_all::<u32>();
                self.check_listing(i, op, got);
            }
            Op::InsertBatch { entries, mode } => {
                if self.handles.is_empty() {
                    return;
                }
                let mode = MODES[usize::from(*mode) % MODES.len()];
                let mut picked: Vec<(u32, usize)> = entries
                    .iter()
                    .map(|&(k, h)| (self.key(k), usize::from(h) % self.handles.len()))
                    .collect();
                if mode != UpdateMode::Any {
                    // Concurrent single updates (below): a key given twice would race.
                    let mut seen = BTreeSet::new();
                    picked.retain(|&(k, _)| seen.insert(k));
                }
                let values: Vec<(u32, (MapId, Shape))> = picked
                    .iter()
                    .map(|&(k, h)| (k, (self.handles[h].map.id(), self.handles[h].shape)))
                    .collect();
                let refusal = picked
                    .iter()
                    .find_map(|&(_, h)| self.expect_fits(&self.handles[h].shape).err());
                // Each possible answer with the slots it leaves.
                let outcomes = match refusal {
                    Some(refused) => vec![(refused, self.model.slots.clone())],
                    None if mode == UpdateMode::Any => {
                        vec![self.expect_batch_update(&values, mode)]
                    }
                    None => self.expect_parallel_updates(&values, mode),
                };
                let keys: Vec<u32> = picked.iter().map(|p| p.0).collect();
                let inners: Vec<&Map> = picked.iter().map(|p| &self.handles[p.1].map).collect();
                let got = self
                    .outer
                    .insert_batch_with(&keys, &inners, update_flags(mode));
                let got = match &got {
                    Ok(()) => ok(),
                    Err(e) => answer_of(e),
                };
                let mut fitting = outcomes.iter().filter(|(answer, _)| *answer == got);
                let slots = match (fitting.next(), fitting.next()) {
                    (Some((_, slots)), None) => slots.clone(),
                    (Some(_), Some(_)) => self.settle_race(i, op, &outcomes, &got, &keys),
                    (None, _) => {
                        let answers: Vec<_> = outcomes.iter().map(|o| &o.0).collect();
                        let expected = Answer::Other(format!("one of {answers:?}"));
                        self.compare(i, op, &expected, &got);
                        unreachable!("compare panics on a difference");
                    }
                };
                self.model.slots = slots;
            }
            Op::RemoveBatch(raw) => {
                let mut keys: Vec<u32> = Vec::new();
                for &k in raw {
                    let key = self.key(k);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                let expected = if self.is_array() {
                    // Every key is tried (from several threads); the first failure in key
                    // order is reported with the number of successes.
                    let results: Vec<_> = keys.iter().map(|&k| self.expect_delete(k)).collect();
                    let done = results.iter().filter(|r| r.is_ok()).count();
                    match results.iter().find_map(|r| r.err()) {
                        None => ok(),
                        Some(errno) => Answer::Batch { done, errno },
                    }
                } else {
                    // BPF_MAP_DELETE_BATCH stops at the first key it cannot delete.
                    let mut answer = ok();
                    for (done, &k) in keys.iter().enumerate() {
                        if let Err(errno) = self.expect_delete(k) {
                            answer = Answer::Batch { done, errno };
                            break;
                        }
                    }
                    answer
                };
                let got = self.outer.remove_batch(&keys);
                self.check(i, op, expected, &got, |_| String::new());
            }
            Op::LookupBatch(n) => {
                // A hash batch must have room for a whole bucket (else ENOSPC, which the model
                // cannot predict): never less than the map's capacity.
                let chunk = if self.is_array() {
                    1 + usize::from(*n) % MAX_BATCH
                } else {
                    (1 + usize::from(*n) % MAX_BATCH).max(self.setup.outer_max as usize)
                };
                let got = self.lookup_batch_walk(chunk);
                self.check_listing(i, op, got);
            }
            Op::FromId(h) => {
                let Some(h) = self.handle(*h) else { return };
                let (id, shape) = (self.handles[h].map.id(), self.handles[h].shape);
                let got = Map::from_id(id);
                self.check(i, op, ok(), &got, |_| String::new());
                if let Ok(map) = got {
                    self.check_opened(i, op, &map, id, &shape);
                    self.push(map, shape);
                }
            }
        }
    }

    fn lookup_batch_walk(&self, chunk: usize) -> Result<Vec<(u32, MapId)>, Error> {
        let mut cursor = self.outer.as_map().batch_cursor();
        let mut keys = vec![0u32; chunk];
        let mut ids = vec![None; chunk];
        let mut out = Vec::new();
        // Each call returns at least one entry until the end, so this many calls suffice.
        for _ in 0..=self.setup.outer_max as usize + 2 {
            if cursor.is_done() {
                return Ok(out);
            }
            let n = self.outer.lookup_batch(&mut cursor, &mut keys, &mut ids)?;
            for (k, id) in keys[..n].iter().zip(&ids[..n]) {
                out.push((*k, id.expect("lookup_batch gave an empty slot")));
            }
        }
        panic!("map_ops: lookup_batch in chunks of {chunk} does not finish: {out:?}");
    }

    fn check_listing(&self, i: usize, op: &Op, got: Result<Vec<(u32, MapId)>, Error>) {
        let got = got.map(|mut v| {
            v.sort();
            v
        });
        self.check(i, op, Answer::Ok(self.slots_text()), &got, |v| {
            format!("{v:?}")
        });
    }
}
