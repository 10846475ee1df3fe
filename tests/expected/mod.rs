//! The expected maps of every fixture object, transcribed from the table in
//! `tests/fixtures/README.md` (which was checked against the ELF three ways).
//!
//! One line per map, in ELF order, in the README's notation:
//!
//! `name @offset/size: TYPE(n) k=… v=… max=… flags=… extra=… pin=…; inner = TYPE(n) …; slots: i→name, …`
//!
//! `tests/elf.rs` renders each parsed `MapDef` in this notation and compares the strings;
//! `tests/loader.rs` reads the lines back into [`Expected`] and compares them with what the
//! kernel reports, so both test the same table.
#![allow(dead_code)]

use bpfmaps::elf::{MapAttrs, MapDef};
use bpfmaps::MapType;

/// Every valid fixture (the refusal objects are not here: they must not load).
pub const VALID: &[&str] = &[
    "seed_devmap.bpf.o",
    "dense_values.bpf.o",
    "sparse_values.bpf.o",
    "hash_of_maps.bpf.o",
    "anon_inner.bpf.o",
    "inner_map_flag.bpf.o",
    "inner_types.bpf.o",
    "pinning.bpf.o",
    "legacy_libbpf.bpf.o",
    "legacy_samples.bpf.o",
    "legacy_iproute2.bpf.o",
    "outer_first.bpf.o",
    "big_endian.bpf.o",
    "load_1x100.bpf.o",
    "load_20x5.bpf.o",
    "many_maps.bpf.o",
    "plain_fields.bpf.o",
];

/// The expected lines of fixture `file`, in ELF order.
pub fn lines(file: &str) -> Vec<String> {
    let fixed: &[&str] = match file {
        "seed_devmap.bpf.o" => &[
            "devs_a @0x0/32: DEVMAP(14) k=4 v=4 max=64 flags=0 extra=0 pin=0",
            "devs_b @0x20/32: DEVMAP(14) k=4 v=4 max=64 flags=0 extra=0 pin=0",
            "outer_devs @0x40/40: ARRAY_OF_MAPS(12) k=4 v=4 max=256 flags=0 extra=0 pin=0; inner = DEVMAP(14) k=4 v=4 max=64 flags=0 extra=0 pin=0; slots: 0→devs_a, 1→devs_b",
            "flows @0x68/32: HASH_OF_MAPS(13) k=8 v=4 max=128 flags=1 extra=0 pin=0; inner = DEVMAP(14) k=4 v=4 max=64 flags=0 extra=0 pin=0; slots: none",
            "stats @0x88/32: PERCPU_ARRAY(6) k=4 v=8 max=4 flags=0 extra=0 pin=0",
        ],
        "dense_values.bpf.o" => &[
            "in0 @0x0/32: ARRAY(2) k=4 v=8 max=8 flags=0 extra=0 pin=0",
            "in1 @0x20/32: ARRAY(2) k=4 v=8 max=8 flags=0 extra=0 pin=0",
            "in2 @0x40/32: ARRAY(2) k=4 v=8 max=8 flags=0 extra=0 pin=0",
            "outer @0x60/48: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=8 max=8 flags=0 extra=0 pin=0; slots: 0→in0, 1→in1, 2→in2",
        ],
        "sparse_values.bpf.o" => &[
            "a @0x0/32: HASH(1) k=4 v=4 max=32 flags=0 extra=0 pin=0",
            "b @0x20/32: HASH(1) k=4 v=4 max=32 flags=0 extra=0 pin=0",
            "c @0x40/32: HASH(1) k=4 v=4 max=32 flags=0 extra=0 pin=0",
            "sparse_outer @0x60/88: ARRAY_OF_MAPS(12) k=4 v=4 max=8 flags=0 extra=0 pin=0; inner = HASH(1) k=4 v=4 max=32 flags=0 extra=0 pin=0; slots: 1→a, 5→b, 7→c",
        ],
        "hash_of_maps.bpf.o" => &[
            "x @0x0/32: LRU_HASH(9) k=8 v=8 max=64 flags=0 extra=0 pin=0",
            "y @0x20/32: LRU_HASH(9) k=8 v=8 max=64 flags=0 extra=0 pin=0",
            "outer_hash @0x40/88: HASH_OF_MAPS(13) k=4 v=4 max=16 flags=0 extra=0 pin=0; inner = LRU_HASH(9) k=8 v=8 max=64 flags=0 extra=0 pin=0; slots: 3→x, 7→y",
        ],
        "anon_inner.bpf.o" => &[
            "anon_slot0 @0x0/32: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
            "anon_outer @0x20/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0; slots: 0→anon_slot0",
            "anon_outer_empty @0x40/24: HASH_OF_MAPS(13) k=4 v=4 max=8 flags=0 extra=0 pin=0; inner = HASH(1) k=4 v=8 max=16 flags=0 extra=0 pin=0; slots: none",
        ],
        "inner_map_flag.bpf.o" => &[
            "flex_4 @0x0/40: ARRAY(2) k=4 v=4 max=4 flags=4096 extra=0 pin=0",
            "flex_16 @0x28/40: ARRAY(2) k=4 v=4 max=16 flags=4096 extra=0 pin=0",
            "flex_64 @0x50/40: ARRAY(2) k=4 v=4 max=64 flags=4096 extra=0 pin=0",
            "flex_outer @0x78/48: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=4 max=8 flags=4096 extra=0 pin=0; slots: 0→flex_4, 1→flex_16, 2→flex_64",
        ],
        "inner_types.bpf.o" => &[
            "inner_ringbuf @0x0/16: RINGBUF(27) k=0 v=0 max=4096 flags=0 extra=0 pin=0",
            "outer_ringbuf @0x10/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = RINGBUF(27) k=0 v=0 max=4096 flags=0 extra=0 pin=0; slots: 0→inner_ringbuf",
            "inner_bloom @0x30/32: BLOOM_FILTER(30) k=0 v=4 max=256 flags=0 extra=3 pin=0",
            "outer_bloom @0x50/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = BLOOM_FILTER(30) k=0 v=4 max=256 flags=0 extra=3 pin=0; slots: 0→inner_bloom",
            "inner_bloom_ulong @0x70/32: BLOOM_FILTER(30) k=0 v=4 max=256 flags=0 extra=5 pin=0",
            "outer_bloom_ulong @0x90/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = BLOOM_FILTER(30) k=0 v=4 max=256 flags=0 extra=5 pin=0; slots: 0→inner_bloom_ulong",
            "inner_percpu_array @0xb0/32: PERCPU_ARRAY(6) k=4 v=8 max=4 flags=0 extra=0 pin=0",
            "outer_percpu_array @0xd0/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = PERCPU_ARRAY(6) k=4 v=8 max=4 flags=0 extra=0 pin=0; slots: 0→inner_percpu_array",
            "inner_lru_hash @0xf0/32: LRU_HASH(9) k=4 v=8 max=32 flags=0 extra=0 pin=0",
            "outer_lru_hash @0x110/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = LRU_HASH(9) k=4 v=8 max=32 flags=0 extra=0 pin=0; slots: 0→inner_lru_hash",
            "inner_hash_noprealloc @0x130/40: HASH(1) k=4 v=4 max=16 flags=1 extra=0 pin=0",
            "outer_hash_noprealloc @0x158/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = HASH(1) k=4 v=4 max=16 flags=1 extra=0 pin=0; slots: 0→inner_hash_noprealloc",
            "inner_queue @0x178/24: QUEUE(22) k=0 v=4 max=8 flags=0 extra=0 pin=0",
            "outer_queue @0x190/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = QUEUE(22) k=0 v=4 max=8 flags=0 extra=0 pin=0; slots: 0→inner_queue",
        ],
        "pinning.bpf.o" => &[
            "pin_in0 @0x0/32: ARRAY(2) k=4 v=4 max=2 flags=0 extra=0 pin=0",
            "pin_in2 @0x20/32: ARRAY(2) k=4 v=4 max=2 flags=0 extra=0 pin=0",
            "pinned_outer @0x40/56: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=1; inner = ARRAY(2) k=4 v=4 max=2 flags=0 extra=0 pin=0; slots: 0→pin_in0, 2→pin_in2",
            "pinned_hash @0x78/40: HASH(1) k=4 v=8 max=8 flags=0 extra=0 pin=1",
            "not_pinned @0xa0/32: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
        ],
        // Legacy layouts have no map_extra; only iproute2's has pinning (2 = PIN_GLOBAL_NS).
        "legacy_libbpf.bpf.o" => &[
            "legacy_hash @0x0/20: HASH(1) k=4 v=8 max=16 flags=0 extra=0 pin=0",
            "legacy_array @0x14/20: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
            "legacy_outer @0x28/20: ARRAY_OF_MAPS(12) k=4 v=4 max=8 flags=0 extra=0 pin=0; inner = none; slots: none",
        ],
        "legacy_samples.bpf.o" => &[
            "samples_template @0x0/28: ARRAY(2) k=4 v=8 max=4 flags=0 extra=0 pin=0",
            "samples_hash_outer @0x1c/28: HASH_OF_MAPS(13) k=4 v=4 max=8 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=8 max=4 flags=0 extra=0 pin=0; slots: none",
            "samples_array_outer @0x38/28: ARRAY_OF_MAPS(12) k=4 v=4 max=8 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=8 max=4 flags=0 extra=0 pin=0; slots: none",
            "samples_numa_hash @0x54/28: HASH(1) k=4 v=8 max=16 flags=4 extra=0 pin=0",
        ],
        "legacy_iproute2.bpf.o" => &[
            "elf_inner @0x0/36: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
            "elf_outer @0x24/36: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=2; inner = ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0; slots: 0→elf_inner",
            "elf_hash @0x48/36: HASH(1) k=4 v=8 max=8 flags=0 extra=0 pin=0",
        ],
        "outer_first.bpf.o" => &[
            "outer_map @0x0/40: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0; slots: 0→first_in_a, 1→first_in_b",
            "first_in_a @0x28/32: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
            "first_in_b @0x48/32: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
        ],
        "big_endian.bpf.o" => &[
            "be_inner @0x0/32: ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0",
            "be_outer @0x20/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=4 max=4 flags=0 extra=0 pin=0; slots: 0→be_inner",
            "be_hash @0x40/32: HASH(1) k=4 v=8 max=16 flags=0 extra=0 pin=0",
        ],
        "plain_fields.bpf.o" => &[
            "sized_hash @0x0/32: HASH(1) k=8 v=16 max=32 flags=0 extra=0 pin=0",
            "numa_hash @0x20/48: HASH(1) k=4 v=8 max=16 flags=4 extra=0 pin=0",
            "explicit_value_size_outer @0x50/32: ARRAY_OF_MAPS(12) k=4 v=4 max=2 flags=0 extra=0 pin=0; inner = ARRAY(2) k=4 v=4 max=2 flags=0 extra=0 pin=0; slots: none",
        ],
        "load_1x100.bpf.o" => return load_1x100(),
        "load_20x5.bpf.o" => return load_20x5(),
        "many_maps.bpf.o" => return many_maps(),
        other => panic!("no expected table for {other}"),
    };
    fixed.iter().map(|s| s.to_string()).collect()
}

const ARRAY_1: &str = "ARRAY(2) k=4 v=4 max=1 flags=0 extra=0 pin=0";

/// 14a: `slot_000`…`slot_099` at 32·i, then `outer_1x100` @0xc80/824 with slot i → `slot_iii`.
fn load_1x100() -> Vec<String> {
    let mut out: Vec<String> = (0..100)
        .map(|i| format!("slot_{i:03} @{:#x}/32: {ARRAY_1}", 32 * i))
        .collect();
    let slots: Vec<String> = (0..100).map(|i| format!("{i}→slot_{i:03}")).collect();
    out.push(format!(
        "outer_1x100 @0xc80/824: ARRAY_OF_MAPS(12) k=4 v=4 max=128 flags=0 extra=0 pin=0; \
         inner = {ARRAY_1}; slots: {}",
        slots.join(", ")
    ));
    out
}

/// 14b: for NN = 00..19, `in_NN_0..4` then `outer_NN` (64 bytes), group NN at 0xe0·NN.
fn load_20x5() -> Vec<String> {
    let mut out = Vec::new();
    for g in 0..20u64 {
        let base = 0xe0 * g;
        for i in 0..5u64 {
            out.push(format!("in_{g:02}_{i} @{:#x}/32: {ARRAY_1}", base + 32 * i));
        }
        let slots: Vec<String> = (0..5).map(|i| format!("{i}→in_{g:02}_{i}")).collect();
        out.push(format!(
            "outer_{g:02} @{:#x}/64: ARRAY_OF_MAPS(12) k=4 v=4 max=8 flags=0 extra=0 pin=0; \
             inner = {ARRAY_1}; slots: {}",
            base + 0xa0,
            slots.join(", ")
        ));
    }
    out
}

/// 14c: ten groups of `mm_in_o_0..2` + `mm_outer_o` (48 bytes, `mm_outer_0` @0x60), then
/// `m_000`…`m_299` from 0x5a0.
fn many_maps() -> Vec<String> {
    let mut out = Vec::new();
    let inner = "ARRAY(2) k=4 v=4 max=2 flags=0 extra=0 pin=0";
    for o in 0..10u64 {
        // A group: three 32-byte inner maps and a 48-byte outer map, 144 bytes.
        let base = 144 * o;
        for i in 0..3u64 {
            out.push(format!("mm_in_{o}_{i} @{:#x}/32: {inner}", base + 32 * i));
        }
        out.push(format!(
            "mm_outer_{o} @{:#x}/48: ARRAY_OF_MAPS(12) k=4 v=4 max=4 flags=0 extra=0 pin=0; \
             inner = {inner}; slots: 0→mm_in_{o}_0, 1→mm_in_{o}_1, 2→mm_in_{o}_2",
            base + 0x60
        ));
    }
    for i in 0..300u64 {
        let ty = ["HASH(1)", "ARRAY(2)", "LRU_HASH(9)", "PERCPU_HASH(5)"][(i % 4) as usize];
        let max = 16 * (1 + i % 8);
        out.push(format!(
            "m_{i:03} @{:#x}/32: {ty} k=4 v=8 max={max} flags=0 extra=0 pin=0",
            0x5a0 + 32 * i
        ));
    }
    out
}

/// `TYPE(n)` in the README's notation.
pub fn type_label(t: MapType) -> String {
    let name = t.name().map_or_else(|| "?".to_owned(), str::to_uppercase);
    format!("{name}({})", t.as_raw())
}

/// Attributes in the README's notation.
pub fn render_attrs(a: &MapAttrs) -> String {
    format!(
        "{} k={} v={} max={} flags={} extra={} pin={}",
        type_label(a.map_type),
        a.key_size,
        a.value_size,
        a.max_entries,
        a.flags.bits(),
        a.map_extra,
        a.pinning.as_raw()
    )
}

/// A parsed definition in the README's notation.
pub fn render(def: &MapDef) -> String {
    let mut s = format!(
        "{} @{:#x}/{}: {}",
        def.name,
        def.offset,
        def.size,
        render_attrs(&def.attrs)
    );
    if def.is_outer() {
        match &def.attrs.inner {
            Some(inner) => s += &format!("; inner = {}", render_attrs(inner)),
            None => s += "; inner = none",
        }
        if def.slots.is_empty() {
            s += "; slots: none";
        } else {
            let slots: Vec<String> = def
                .slots
                .iter()
                .map(|slot| format!("{}→{}", slot.index, slot.map))
                .collect();
            s += &format!("; slots: {}", slots.join(", "));
        }
    } else {
        assert!(
            def.attrs.inner.is_none() && def.slots.is_empty(),
            "{}: a plain map with an inner template or slots",
            def.name
        );
    }
    s
}

/// Attributes read back from the notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attrs {
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    pub map_extra: u64,
    pub pinning: u32,
}

/// One expected map, read back from its line.
#[derive(Debug, Clone)]
pub struct Expected {
    pub name: String,
    pub attrs: Attrs,
    /// `None` for plain maps and for an outer map whose template the caller gives.
    pub inner: Option<Attrs>,
    pub slots: Vec<(u32, String)>,
}

impl Expected {
    pub fn is_outer(&self) -> bool {
        self.attrs.map_type.is_outer()
    }
}

fn parse_attrs(text: &str) -> Attrs {
    let mut words = text.split_whitespace();
    let ty = words.next().expect("a type");
    let raw: u32 = ty[ty.find('(').expect("TYPE(n)") + 1..ty.len() - 1]
        .parse()
        .expect("type number");
    let mut field = |key: &str| -> u64 {
        let word = words.next().unwrap_or_else(|| panic!("{key} in {text}"));
        let (k, v) = word.split_once('=').expect("key=value");
        assert_eq!(k, key, "in {text}");
        v.parse().expect("a number")
    };
    let key_size = field("k") as u32;
    let value_size = field("v") as u32;
    let max_entries = field("max") as u32;
    let flags = field("flags") as u32;
    let map_extra = field("extra");
    let pinning = field("pin") as u32;
    Attrs {
        map_type: MapType::from_raw(raw),
        key_size,
        value_size,
        max_entries,
        flags,
        map_extra,
        pinning,
    }
}

/// Reads a line of the notation back.
pub fn parse_line(line: &str) -> Expected {
    let mut parts = line.split("; ");
    let head = parts.next().expect("a map");
    let (name_at, attrs) = head.split_once(": ").expect("name @off/size: attrs");
    let name = name_at.split(' ').next().expect("a name").to_owned();
    let mut expected = Expected {
        name,
        attrs: parse_attrs(attrs),
        inner: None,
        slots: Vec::new(),
    };
    for part in parts {
        if let Some(inner) = part.strip_prefix("inner = ") {
            if inner != "none" {
                expected.inner = Some(parse_attrs(inner));
            }
        } else if let Some(slots) = part.strip_prefix("slots: ") {
            if slots != "none" {
                for slot in slots.split(", ") {
                    let (i, m) = slot.split_once('→').expect("i→name");
                    expected
                        .slots
                        .push((i.parse().expect("slot"), m.to_owned()));
                }
            }
        } else {
            panic!("unexpected part {part:?} of {line}");
        }
    }
    expected
}

/// The expected maps of `file`, read back.
pub fn maps(file: &str) -> Vec<Expected> {
    lines(file).iter().map(|l| parse_line(l)).collect()
}
