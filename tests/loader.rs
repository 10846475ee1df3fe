//! Loading the fixture objects into the real kernel.
//!
//! Every test here holds `common::serial()`: several compare the kernel's map ids and this
//! process's open fds before and after, which only means something if no other test of this
//! binary runs meanwhile. Other processes (other test binaries, other users of the machine)
//! may create maps at the same time, so "no map left behind" is checked on the ids that
//! appeared, carry one of the object's map names and are not held open by another process;
//! open fds and pins are checked exactly.
//!
//! What every map and slot should be comes from the README table (`tests/expected`).

mod common;
mod expected;
mod patch;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::path::Path;

use bpfmaps::elf::{BpfObject, ObjectError, Rule};
use bpfmaps::loader::{self, BtfStatus, LoadOptions, LoadedMap, LoadedObject, Origin, Reuse};
use bpfmaps::{
    Error, InnerMismatch, Map, MapFlags, MapId, MapInfo, MapSpec, MapType, OuterMap, UpdateFlags,
};
use common::{fixture, map_ids, open_fds, serial, wait_gone, TempBpffs};
use expected::{Attrs, Expected};

fn open(name: &str) -> BpfObject {
    BpfObject::open(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The kernel's name of a map: the first 15 bytes of the object's.
fn kernel_name(name: &str) -> &str {
    &name[..name.len().min(15)]
}

/// The options every valid fixture needs: a pin root (pinning, legacy_iproute2) and a template
/// for legacy_libbpf's outer map.
fn options_for<'a>(file: &str, root: &Path) -> LoadOptions<'a> {
    let options = LoadOptions::new().pin_root(root);
    if file == "legacy_libbpf.bpf.o" {
        options.template("legacy_outer", legacy_template())
    } else {
        options
    }
}

fn legacy_template() -> MapSpec {
    MapSpec::new(MapType::ARRAY, 4, 4, 4)
}

/// Checks a map's info against a line of the table (sizes, type, flags as the kernel reports
/// them, map_extra).
fn assert_attrs(what: &str, info: &MapInfo, want: &Attrs) {
    assert_eq!(info.map_type(), want.map_type, "{what}: type");
    assert_eq!(info.key_size(), want.key_size, "{what}: key_size");
    assert_eq!(info.value_size(), want.value_size, "{what}: value_size");
    assert_eq!(info.max_entries(), want.max_entries, "{what}: max_entries");
    let flags = MapFlags::from_bits_retain(want.flags) | want.map_type.implied_flags();
    assert_eq!(info.flags(), flags, "{what}: flags");
    assert_eq!(info.map_extra(), want.map_extra, "{what}: map_extra");
}

/// A key that no declared slot uses, for an outer map with `key_size`-byte keys.
fn free_key(e: &Expected, key_size: u32) -> Vec<u8> {
    let used: BTreeSet<u32> = e.slots.iter().map(|(i, _)| *i).collect();
    if e.attrs.map_type == MapType::ARRAY_OF_MAPS {
        let free = (0..e.attrs.max_entries)
            .find(|i| !used.contains(i))
            .expect("a free slot");
        free.to_ne_bytes().to_vec()
    } else if key_size == 4 {
        (1000..)
            .find(|i| !used.contains(i))
            .unwrap_or(1000u32)
            .to_ne_bytes()
            .to_vec()
    } else {
        vec![0xab; key_size as usize]
    }
}

/// The keys of the filled slots of an outer map, as u32 (4-byte keys) or none for other sizes
/// (where the map must be empty).
fn filled_keys(outer: &OuterMap) -> BTreeSet<u32> {
    let map = outer.as_map();
    let mut cursor = map.key_cursor();
    let mut value = [0u8; 4];
    let mut keys = BTreeSet::new();
    while let Some(key) = cursor.next_key().expect("walk keys") {
        let key = key.to_vec();
        if map.lookup(&key, &mut value).expect("lookup") {
            assert_eq!(key.len(), 4, "a filled slot with a {}-byte key", key.len());
            keys.insert(u32::from_ne_bytes(key[..4].try_into().unwrap()));
        }
    }
    keys
}

/// Checks one loaded object against the table: every map's info, every slot, the template,
/// new_inner + insert, and the BTF ids. `btf` says whether the maps should carry BTF.
fn assert_loaded(file: &str, obj: &BpfObject, loaded: &LoadedObject, btf: bool) {
    let want = expected::maps(file);
    let names: Vec<&str> = loaded.entries().iter().map(|e| e.name()).collect();
    let want_names: Vec<&str> = want.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, want_names, "{file}: the maps, in the object's order");
    let by_name: BTreeMap<&str, &Expected> = want.iter().map(|e| (e.name.as_str(), e)).collect();
    for e in &want {
        let what = format!("{file}: {}", e.name);
        let entry = loaded.entry(&e.name).expect("entry");
        let map = entry.map().as_map();
        let info = map.info();
        assert_attrs(&what, info, &e.attrs);
        assert_eq!(info.name().as_str(), kernel_name(&e.name), "{what}: name");
        // The handle's info is what the kernel says now.
        assert_eq!(MapInfo::from_fd(map).expect("info"), *info, "{what}");
        assert!(!entry.reused(), "{what}: nothing was pinned before");

        // BTF: maps declared with `__type` (of a type that takes BTF) carry the object's type
        // ids; outer maps never do.
        let def = obj.map(&e.name).expect("def");
        let declared = (def.attrs.btf_key_type_id, def.attrs.btf_value_type_id);
        let takes_btf = [
            MapType::HASH,
            MapType::ARRAY,
            MapType::PERCPU_ARRAY,
            MapType::PERCPU_HASH,
            MapType::LRU_HASH,
            MapType::BLOOM_FILTER,
        ]
        .contains(&e.attrs.map_type);
        if btf && takes_btf && declared != (0, 0) {
            assert_eq!(info.btf_type_ids(), declared, "{what}: BTF ids");
            assert_ne!(info.btf_id(), 0, "{what}: BTF object");
            assert!(entry.with_btf(), "{what}");
        } else {
            assert_eq!(info.btf_type_ids(), (0, 0), "{what}: BTF ids");
            assert_eq!(info.btf_id(), 0, "{what}: BTF object");
            assert!(!entry.with_btf(), "{what}");
        }

        if !e.is_outer() {
            assert!(matches!(entry.map(), LoadedMap::Plain(_)), "{what}");
            assert!(loaded.outer(&e.name).is_none(), "{what}");
            assert!(entry.filled_slots().is_empty(), "{what}");
            continue;
        }
        let outer = loaded.outer(&e.name).expect("an outer handle");
        assert!(matches!(entry.map(), LoadedMap::Outer(_)), "{what}");
        // The template the handle knows is the table's.
        let template = outer.template().expect("template known");
        let want_template = e.inner.clone().unwrap_or_else(|| {
            let t = legacy_template();
            Attrs {
                map_type: t.map_type(),
                key_size: t.key_size(),
                value_size: t.value_size(),
                max_entries: t.max_entries(),
                flags: 0,
                map_extra: 0,
                pinning: 0,
            }
        });
        assert_eq!(
            (
                template.map_type(),
                template.key_size(),
                template.value_size()
            ),
            (
                want_template.map_type,
                want_template.key_size,
                want_template.value_size
            ),
            "{what}: template"
        );
        assert_eq!(template.max_entries(), want_template.max_entries, "{what}");
        assert_eq!(template.flags().bits(), want_template.flags, "{what}");
        assert_eq!(template.map_extra(), want_template.map_extra, "{what}");

        // Every declared slot holds the declared inner map.
        for (slot, inner_name) in &e.slots {
            let inner = loaded.map(inner_name).expect("declared inner map loaded");
            let key = slot.to_ne_bytes();
            assert_eq!(
                outer.lookup_bytes(&key).expect("lookup"),
                Some(inner.id()),
                "{what}: slot {slot} → {inner_name}"
            );
            let opened = outer.get_bytes(&key).expect("get").expect("filled");
            assert_eq!(opened.info(), inner.info(), "{what}: slot {slot}");
            assert_attrs(
                &format!("{what}: slot {slot}"),
                opened.info(),
                &by_name[inner_name.as_str()].attrs,
            );
        }
        let filled: Vec<(u32, String)> = entry.filled_slots().to_vec();
        assert_eq!(filled, e.slots, "{what}: filled_slots");
        // Undeclared slots are empty.
        let declared_keys: BTreeSet<u32> = e.slots.iter().map(|(i, _)| *i).collect();
        assert_eq!(filled_keys(outer), declared_keys, "{what}: filled slots");
        if e.attrs.map_type == MapType::ARRAY_OF_MAPS {
            for i in (0..e.attrs.max_entries).filter(|i| !declared_keys.contains(i)) {
                assert_eq!(outer.lookup(&i).expect("lookup"), None, "{what}: slot {i}");
            }
        }
        // An inner map made from the handle's template is accepted by the kernel.
        let extra = outer.new_inner("t_extra").expect("new_inner");
        let key = free_key(e, info.key_size());
        outer
            .insert_bytes(&key, extra.as_fd(), UpdateFlags::ANY)
            .unwrap_or_else(|err| panic!("{what}: insert new_inner: {err}"));
        assert_eq!(outer.lookup_bytes(&key).expect("lookup"), Some(extra.id()));
    }
}

/// Everything a load leaves behind, compared with what there was before.
struct Snapshot {
    fds: BTreeSet<i32>,
    ids: BTreeSet<u32>,
}

impl Snapshot {
    fn take() -> Snapshot {
        Snapshot {
            fds: open_fds(),
            ids: map_ids(),
        }
    }

    /// The maps that appeared since and exist now, among those named like one of `names`'
    /// kernel names. Unnamed maps and maps with other names are other processes'.
    fn new_named(&self, names: &[String]) -> Vec<(u32, String)> {
        let new: BTreeSet<u32> = map_ids().difference(&self.ids).copied().collect();
        named(&new, names)
    }

    /// As [`Snapshot::new_named`], after waiting for freed maps to go.
    fn ours_left(&self, names: &[String]) -> Vec<(u32, String)> {
        let new: BTreeSet<u32> = map_ids().difference(&self.ids).copied().collect();
        named(&wait_gone(&new), names)
    }

    /// Asserts that no fd is open that was not before, and no map of `names` was left.
    fn assert_nothing_left(&self, what: &str, names: &[String]) {
        assert_eq!(open_fds(), self.fds, "{what}: open fds");
        let left = self.ours_left(names);
        assert!(left.is_empty(), "{what}: maps left behind: {left:?}");
    }

    /// Asserts that no map id appeared at all (strict; for loads that make no syscall).
    fn assert_no_new_ids(&self, what: &str, names: &[String]) {
        assert_eq!(open_fds(), self.fds, "{what}: open fds");
        // Another process may have created maps meanwhile; ours would carry our names.
        let new = self.new_named(names);
        assert!(new.is_empty(), "{what}: maps created: {new:?}");
    }
}

/// Those of `ids` that still exist, carry one of `names`' kernel names, and are not held open
/// by another process (whose tests may load the same fixtures meanwhile).
fn named(ids: &BTreeSet<u32>, names: &[String]) -> Vec<(u32, String)> {
    let ours: BTreeSet<&str> = names.iter().map(|n| kernel_name(n)).collect();
    let found: Vec<(u32, String)> = ids
        .iter()
        .filter_map(|&id| {
            let map = Map::from_id(MapId::new(id)?).ok()?;
            let name = map.info().name().as_str().to_owned();
            ours.contains(name.as_str()).then_some((id, name))
        })
        .collect();
    if found.is_empty() {
        return found;
    }
    let elsewhere = held_by_other_processes();
    found
        .into_iter()
        .filter(|(id, _)| !elsewhere.contains(id))
        .collect()
}

/// The ids of the maps other processes hold an fd of (`map_id:` in `/proc/PID/fdinfo/FD`).
fn held_by_other_processes() -> BTreeSet<u32> {
    let me = std::process::id().to_string();
    let mut ids = BTreeSet::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return ids;
    };
    for proc_entry in procs.flatten() {
        let pid = proc_entry.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fdinfo")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(info) = std::fs::read_to_string(fd.path()) else {
                continue;
            };
            let id: Option<u32> = info
                .lines()
                .find_map(|l| l.strip_prefix("map_id:"))
                .and_then(|v| v.trim().parse().ok());
            ids.extend(id);
        }
    }
    ids
}

fn names_of(obj: &BpfObject) -> Vec<String> {
    obj.maps().iter().map(|m| m.name.clone()).collect()
}

/// Every id of a loaded object, inner maps in slots included.
fn ids_of(loaded: &LoadedObject) -> BTreeSet<u32> {
    let mut ids = BTreeSet::new();
    for entry in loaded.entries() {
        ids.insert(entry.map().as_map().id().get());
        if let Some(outer) = loaded.outer(entry.name()) {
            let mut cursor = outer.as_map().key_cursor();
            while let Some(key) = cursor.next_key().expect("walk") {
                if let Some(id) = outer.lookup_bytes(key).expect("lookup") {
                    ids.insert(id.get());
                }
            }
        }
    }
    ids
}

/// Loads a valid fixture, checks it against the table, drops it and checks that nothing is
/// left: no fd, no map, no pin.
fn load_valid(file: &str) {
    let _serial = serial();
    require_kernel!();
    let obj = open(file);
    let root = TempBpffs::new("valid");
    let files_before = listing(root.path());
    let before = Snapshot::take();
    let loaded = loader::load(&obj, &options_for(file, root.path()))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(*loaded.btf_status(), BtfStatus::Loaded, "{file}");
    assert_loaded(file, &obj, &loaded, true);
    let ids = ids_of(&loaded);
    // Pins: only what the object asks for.
    let pinned: Vec<String> = loaded
        .entries()
        .iter()
        .filter_map(|e| {
            e.pin_path()
                .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
        })
        .collect();
    for entry in loaded.entries() {
        if let Some(path) = entry.pin_path() {
            let map = Map::from_pin(path).expect("open pin");
            assert_eq!(
                map.id(),
                entry.map().as_map().id(),
                "{file}: {}",
                entry.name()
            );
        }
    }
    let want_pins: Vec<String> = match file {
        "pinning.bpf.o" => vec!["pinned_outer".into(), "pinned_hash".into()],
        "legacy_iproute2.bpf.o" => vec!["tc/globals/elf_outer".into()],
        _ => vec![],
    };
    assert_eq!(pinned, want_pins, "{file}: pins");
    // Nothing else appeared under the pin root (but the directories of tc/globals).
    let mut want_files: BTreeSet<String> = want_pins.iter().cloned().collect();
    if file == "legacy_iproute2.bpf.o" {
        want_files.extend(["tc".to_owned(), "tc/globals".to_owned()]);
    }
    let new_files: BTreeSet<String> = listing(root.path())
        .difference(&files_before)
        .cloned()
        .collect();
    assert_eq!(new_files, want_files, "{file}: files under the pin root");
    // Unpin, drop, and everything is gone.
    for entry in loaded.entries() {
        if let Some(path) = entry.pin_path() {
            std::fs::remove_file(path).expect("unpin");
        }
    }
    drop(loaded);
    assert_eq!(open_fds(), before.fds, "{file}: fds after drop");
    let left = wait_gone(&ids);
    assert!(
        left.is_empty(),
        "{file}: maps still there after drop: {left:?}"
    );
}

macro_rules! valid {
    ($($test:ident => $file:literal,)*) => {$(
        #[test]
        fn $test() {
            load_valid($file);
        }
    )*};
}

valid! {
    load_seed_devmap => "seed_devmap.bpf.o",
    load_dense_values => "dense_values.bpf.o",
    load_sparse_values => "sparse_values.bpf.o",
    load_hash_of_maps => "hash_of_maps.bpf.o",
    load_anon_inner => "anon_inner.bpf.o",
    load_inner_map_flag => "inner_map_flag.bpf.o",
    load_inner_types => "inner_types.bpf.o",
    load_pinning => "pinning.bpf.o",
    load_legacy_libbpf => "legacy_libbpf.bpf.o",
    load_legacy_samples => "legacy_samples.bpf.o",
    load_legacy_iproute2 => "legacy_iproute2.bpf.o",
    load_outer_first => "outer_first.bpf.o",
    load_load_1x100 => "load_1x100.bpf.o",
    load_load_20x5 => "load_20x5.bpf.o",
    load_many_maps => "many_maps.bpf.o",
    load_plain_fields => "plain_fields.bpf.o",
}

#[test]
fn big_endian_is_refused_before_the_kernel() {
    let _serial = serial();
    require_kernel!();
    let obj = open("big_endian.bpf.o");
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new()).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls);
    assert!(
        matches!(err, Error::Object(ObjectError::WrongByteOrder { .. })),
        "{err:?}"
    );
    before.assert_no_new_ids("big_endian", &names_of(&obj));
}

#[test]
fn without_btf_creates_every_map_without_type_ids() {
    let _serial = serial();
    require_kernel!();
    for file in [
        "seed_devmap.bpf.o",
        "inner_types.bpf.o",
        "plain_fields.bpf.o",
        "dense_values.bpf.o",
    ] {
        let obj = open(file);
        let loaded = loader::load(&obj, &LoadOptions::new().without_btf()).expect("load");
        assert_eq!(*loaded.btf_status(), BtfStatus::Disabled, "{file}");
        assert_loaded(file, &obj, &loaded, false);
    }
    // An object without `.BTF` gives Absent. Every fixture has one, so hide it: rename the
    // section of a legacy object (whose maps do not need it).
    let mut d = patch::bytes("legacy_samples.bpf.o");
    patch::rename_section(&mut d, ".BTF", ".XTF");
    let obj = BpfObject::parse(&d).expect("parse");
    assert!(!obj.has_btf());
    let loaded = loader::load(&obj, &LoadOptions::new()).expect("load");
    assert_eq!(*loaded.btf_status(), BtfStatus::Absent);
    assert_loaded("legacy_samples.bpf.o", &obj, &loaded, false);
}

#[test]
fn btf_with_datasec_already_fixed_loads_identically() {
    let _serial = serial();
    require_kernel!();
    for file in [
        "seed_devmap.bpf.o",
        "inner_types.bpf.o",
        "sparse_values.bpf.o",
    ] {
        let fixed = BpfObject::parse(&patch::with_fixed_datasec(file)).expect("parse");
        let loaded = loader::load(&fixed, &LoadOptions::new()).expect("load fixed");
        assert_eq!(*loaded.btf_status(), BtfStatus::Loaded, "{file}");
        assert_loaded(file, &fixed, &loaded, true);
        // And the same type ids as the object as clang wrote it.
        let original = open(file);
        let plain = loader::load(&original, &LoadOptions::new()).expect("load original");
        for entry in plain.entries() {
            let a = entry.map().as_map().info();
            let b = loaded.map(entry.name()).unwrap().info();
            assert_eq!(
                a.btf_type_ids(),
                b.btf_type_ids(),
                "{file}: {}",
                entry.name()
            );
        }
    }
}

#[test]
fn a_btf_the_kernel_refuses_falls_back_to_maps_without_btf() {
    let _serial = serial();
    require_kernel!();
    // A VAR named `st@ts` is not a C identifier: BPF_BTF_LOAD refuses the BTF.
    let mut d = patch::bytes("seed_devmap.bpf.o");
    assert!(patch::rename(&mut d, "stats", "st@ts") >= 2);
    let obj = BpfObject::parse(&d).expect("parse");
    let loaded = loader::load(&obj, &LoadOptions::new()).expect("load");
    match loaded.btf_status() {
        BtfStatus::Refused(why) => assert!(why.contains("BTF"), "{why}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    for entry in loaded.entries() {
        let info = entry.map().as_map().info();
        assert_eq!(info.btf_type_ids(), (0, 0), "{}", entry.name());
        assert!(!entry.with_btf());
    }
    // The kernel name replaces what it would refuse.
    assert_eq!(loaded.map("st@ts").unwrap().info().name().as_str(), "st_ts");
}

// ---------------------------------------------------------------------------------------------
// Options.

#[test]
fn max_entries_override() {
    let _serial = serial();
    require_kernel!();
    let obj = open("seed_devmap.bpf.o");
    let options = LoadOptions::new()
        .max_entries("stats", 32)
        .max_entries("flows", 64)
        .max_entries("outer_devs", 8)
        // DEVMAP inner maps may differ from the template in size.
        .max_entries("devs_a", 128);
    let loaded = loader::load(&obj, &options).expect("load");
    let max = |name: &str| loaded.map(name).unwrap().max_entries();
    assert_eq!(
        (
            max("stats"),
            max("flows"),
            max("outer_devs"),
            max("devs_a"),
            max("devs_b")
        ),
        (32, 64, 8, 128, 64)
    );
    // The template is still the object's.
    let outer = loaded.outer("outer_devs").unwrap();
    assert_eq!(outer.template().unwrap().max_entries(), 64);
    assert_eq!(
        outer.lookup(&0u32).unwrap(),
        Some(loaded.map("devs_a").unwrap().id())
    );

    // An ARRAY inner map of a template without BPF_F_INNER_MAP must keep the template's size:
    // refused before the kernel.
    let obj = open("dense_values.bpf.o");
    let options = LoadOptions::new().max_entries("in0", 16);
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &options).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls, "no bpf(2) call");
    match &err {
        Error::Object(ObjectError::Rule {
            map,
            rule:
                Rule::InnerMismatch {
                    index: 0,
                    inner,
                    mismatch:
                        InnerMismatch::Field {
                            field: "max_entries",
                            inner: 16,
                            template: 8,
                        },
                },
        }) => assert_eq!((map.as_str(), inner.as_str()), ("outer", "in0")),
        other => panic!("expected InnerMismatch, got {other:?}"),
    }
    before.assert_no_new_ids("in0 resized", &names_of(&obj));

    // With BPF_F_INNER_MAP on the template it may differ.
    let obj = open("inner_map_flag.bpf.o");
    let loaded = loader::load(&obj, &LoadOptions::new().max_entries("flex_4", 128)).expect("load");
    let outer = loaded.outer("flex_outer").unwrap();
    let slot0 = outer.get(&0u32).unwrap().unwrap();
    assert_eq!(slot0.max_entries(), 128);
    assert_eq!(slot0.id(), loaded.map("flex_4").unwrap().id());
}

#[test]
fn flags_override() {
    let _serial = serial();
    require_kernel!();
    let obj = open("plain_fields.bpf.o");
    let options = LoadOptions::new().flags("sized_hash", MapFlags::NO_PREALLOC);
    let loaded = loader::load(&obj, &options).expect("load");
    assert_eq!(
        loaded.map("sized_hash").unwrap().info().flags(),
        MapFlags::NO_PREALLOC
    );
    assert_eq!(
        loaded.map("numa_hash").unwrap().info().flags(),
        MapFlags::NUMA_NODE
    );

    // Flags of an outer map: the hash of maps without its NO_PREALLOC.
    let obj = open("seed_devmap.bpf.o");
    let loaded =
        loader::load(&obj, &LoadOptions::new().flags("flows", MapFlags::empty())).expect("load");
    assert_eq!(
        loaded.map("flows").unwrap().info().flags(),
        MapFlags::empty()
    );

    // A declared inner map whose flags no longer match its template: refused before the kernel.
    let obj = open("inner_types.bpf.o");
    let options = LoadOptions::new().flags("inner_hash_noprealloc", MapFlags::empty());
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &options).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls, "no bpf(2) call");
    assert!(
        matches!(
            &err,
            Error::Object(ObjectError::Rule {
                rule: Rule::InnerMismatch {
                    mismatch: InnerMismatch::Flags {
                        inner: 0,
                        template: 1
                    },
                    ..
                },
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("outer_hash_noprealloc"), "{err}");

    // BPF_F_INNER_MAP on a plain HASH: refused before the kernel.
    let obj = open("plain_fields.bpf.o");
    let err = loader::load(
        &obj,
        &LoadOptions::new().flags("sized_hash", MapFlags::INNER_MAP),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Object(ObjectError::Rule { map, rule: Rule::Refused(_) }) if map == "sized_hash"),
        "{err:?}"
    );
}

#[test]
fn numa_node_override() {
    let _serial = serial();
    require_kernel!();
    // BPF_F_NUMA_NODE on a plain hash, and on an outer map (whose inner maps need not share it).
    let obj = open("plain_fields.bpf.o");
    let options = LoadOptions::new()
        .numa_node("sized_hash", 0)
        .numa_node("explicit_value_size_outer", 0);
    let loaded = loader::load(&obj, &options).expect("load");
    assert_eq!(
        loaded.map("sized_hash").unwrap().info().flags(),
        MapFlags::NUMA_NODE
    );
    assert_eq!(
        loaded.map("numa_hash").unwrap().info().flags(),
        MapFlags::NUMA_NODE
    );
    let outer = loaded.outer("explicit_value_size_outer").unwrap();
    assert_eq!(outer.info().flags(), MapFlags::NUMA_NODE);
    let inner = outer.new_inner("numa_in").unwrap();
    assert_eq!(inner.info().flags(), MapFlags::empty());
    outer.insert(&1u32, &inner).expect("insert");
}

#[test]
fn skip() {
    let _serial = serial();
    require_kernel!();
    let obj = open("seed_devmap.bpf.o");
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let all = loader::load(&obj, &LoadOptions::new()).expect("load");
    let all_calls = bpfmaps::syscall_count() - calls;
    drop(all);
    let calls = bpfmaps::syscall_count();
    let loaded = loader::load(&obj, &LoadOptions::new().skip("stats")).expect("load");
    let skip_calls = bpfmaps::syscall_count() - calls;
    assert!(loaded.entry("stats").is_none());
    assert_eq!(loaded.entries().len(), 4);
    // `stats` was not created: one create and one info query fewer.
    assert_eq!(all_calls - skip_calls, 2);
    drop(loaded);
    before.assert_nothing_left("skip stats", &names_of(&obj));

    // A skipped map that a slot names.
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new().skip("devs_b")).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls, "no bpf(2) call");
    match &err {
        Error::Object(ObjectError::Rule {
            map,
            rule: Rule::SlotMapMissing { index: 1, inner },
        }) => {
            assert_eq!((map.as_str(), inner.as_str()), ("outer_devs", "devs_b"));
        }
        other => panic!("expected SlotMapMissing, got {other:?}"),
    }
    assert!(err.to_string().contains("devs_b"), "{err}");
    before.assert_no_new_ids("skip devs_b", &names_of(&obj));

    // Skipping the outer map too loads the rest.
    let loaded =
        loader::load(&obj, &LoadOptions::new().skip("devs_b").skip("outer_devs")).expect("load");
    let names: Vec<&str> = loaded.entries().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["devs_a", "flows", "stats"]);
}

#[test]
fn template_for_legacy_libbpf() {
    let _serial = serial();
    require_kernel!();
    let obj = open("legacy_libbpf.bpf.o");
    // Without a template: refused, with nothing made.
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new()).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls);
    assert!(
        matches!(&err, Error::Object(ObjectError::Rule { map, rule: Rule::NoTemplate }) if map == "legacy_outer"),
        "{err:?}"
    );

    let spec = MapSpec::new(MapType::HASH, 4, 8, 32);
    let loaded = loader::load(
        &obj,
        &LoadOptions::new().template("legacy_outer", spec.clone()),
    )
    .expect("load");
    let outer = loaded.outer("legacy_outer").unwrap();
    let template = outer.template().unwrap();
    assert_eq!(
        (
            template.map_type(),
            template.key_size(),
            template.value_size(),
            template.max_entries()
        ),
        (MapType::HASH, 4, 8, 32)
    );
    // The kernel took the caller's template: through a handle that does not know it (opened
    // while the map is empty), the kernel itself refuses a map of another shape.
    let unchecked = OuterMap::from_map(outer.as_map().try_clone().unwrap()).unwrap();
    assert!(unchecked.template().is_none());
    let other = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 32)).unwrap();
    let err = unchecked.insert(&6u32, &other).unwrap_err();
    assert_eq!(err.errno(), Some(bpfmaps::Errno::EINVAL), "{err}");
    // The loaded handle knows the template: it refuses before the kernel, and new_inner fits.
    let err = outer.insert(&6u32, &other).unwrap_err();
    assert!(matches!(err, Error::InnerMismatch { .. }), "{err:?}");
    let inner = outer.new_inner("legacy_in").unwrap();
    assert_eq!(
        (inner.map_type(), inner.value_size(), inner.max_entries()),
        (MapType::HASH, 8, 32)
    );
    outer.insert(&5u32, &inner).expect("insert");
    assert_eq!(unchecked.lookup(&5u32).unwrap(), Some(inner.id()));
}

#[test]
fn template_map_borrowed() {
    let _serial = serial();
    require_kernel!();
    let template = Map::create(
        &MapSpec::new(MapType::ARRAY, 4, 16, 8)
            .with_name("borrowed_tmpl")
            .unwrap(),
    )
    .unwrap();
    let obj = open("legacy_libbpf.bpf.o");
    let before = open_fds();
    {
        let options = LoadOptions::new().template_map("legacy_outer", template.as_fd());
        let loaded = loader::load(&obj, &options).expect("load");
        let outer = loaded.outer("legacy_outer").unwrap();
        let inner = outer.new_inner("from_borrowed").unwrap();
        assert_eq!(
            (inner.map_type(), inner.value_size(), inner.max_entries()),
            (MapType::ARRAY, 16, 8)
        );
        outer.insert(&0u32, &inner).expect("insert");
        // The borrowed map was only the template: no slot holds it.
        assert_eq!(outer.iter::<u32>().count(), 1);
        assert_ne!(outer.lookup(&0u32).unwrap(), Some(template.id()));
    }
    // The caller's map is still the caller's: open, same id, and no fd was left.
    assert_eq!(MapInfo::from_fd(&template).unwrap().id(), template.id());
    assert_eq!(open_fds(), before);

    // A borrowed template replaces the object's, and is checked against the declared slots:
    // anon_outer's slot 0 holds an ARRAY k=4 v=4 max=4.
    let obj = open("anon_inner.bpf.o");
    let options = LoadOptions::new().template_map("anon_outer", template.as_fd());
    let calls = bpfmaps::syscall_count();
    let err = loader::check(&obj, &options).unwrap_err();
    // Asking the kernel about the template is the only call.
    assert_eq!(bpfmaps::syscall_count() - calls, 1);
    assert!(
        matches!(&err, Error::Object(ObjectError::Rule { map, rule: Rule::InnerMismatch { index: 0, .. } }) if map == "anon_outer"),
        "{err:?}"
    );
    let fits = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 99)).unwrap();
    let options = LoadOptions::new().template_map("anon_outer_empty", fits.as_fd());
    let loaded = loader::load(&obj, &options).expect("load");
    let outer = loaded.outer("anon_outer_empty").unwrap();
    assert_eq!(outer.template().unwrap().max_entries(), 99);
    let inner = outer.new_inner("x").unwrap();
    outer.insert(&1u32, &inner).expect("insert");
    // An outer map as template is refused before the kernel.
    let nested = OuterMap::create(
        &MapSpec::array_of_maps(1),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let options = LoadOptions::new().template_map("anon_outer_empty", nested.as_fd());
    assert!(matches!(
        loader::check(&obj, &options),
        Err(Error::Object(ObjectError::Rule {
            rule: Rule::Refused(_),
            ..
        }))
    ));
}

#[test]
fn options_that_would_be_ignored_are_refused() {
    let _serial = serial();
    require_kernel!();
    let obj = open("seed_devmap.bpf.o");
    let fd_template = Map::create(&MapSpec::new(MapType::DEVMAP, 4, 4, 64)).unwrap();
    let spec = MapSpec::new(MapType::DEVMAP, 4, 4, 64);
    let not_in_object = "the object has no map of that name";
    let not_outer = "it is not a map of maps, so it has no inner template";
    let cases: Vec<(&str, LoadOptions<'_>, &str, &str, &str)> = vec![
        (
            "max_entries",
            LoadOptions::new().max_entries("flow", 8),
            "flow",
            "max_entries",
            not_in_object,
        ),
        (
            "flags",
            LoadOptions::new().flags("nope", MapFlags::NO_PREALLOC),
            "nope",
            "flags",
            not_in_object,
        ),
        (
            "numa_node",
            LoadOptions::new().numa_node("nope", 0),
            "nope",
            "numa_node",
            not_in_object,
        ),
        (
            "template",
            LoadOptions::new().template("outer_dev", spec.clone()),
            "outer_dev",
            "template",
            not_in_object,
        ),
        (
            "template_map",
            LoadOptions::new().template_map("nope", fd_template.as_fd()),
            "nope",
            "template_map",
            not_in_object,
        ),
        (
            "skip",
            LoadOptions::new().skip("stat"),
            "stat",
            "skip",
            not_in_object,
        ),
        (
            "template on a plain map",
            LoadOptions::new().template("devs_a", spec.clone()),
            "devs_a",
            "template",
            not_outer,
        ),
        (
            "template_map on a plain map",
            LoadOptions::new().template_map("stats", fd_template.as_fd()),
            "stats",
            "template_map",
            not_outer,
        ),
        // Valid options alongside do not hide the bad one; of two bad ones the first name is
        // reported.
        (
            "two bad",
            LoadOptions::new()
                .max_entries("stats", 8)
                .skip("zz_missing")
                .max_entries("aa_missing", 8),
            "aa_missing",
            "max_entries",
            not_in_object,
        ),
    ];
    for (what, options, want_map, want_option, want_problem) in &cases {
        let checked = loader::check(&obj, options).unwrap_err();
        let err = state::traceless(what, 0, || loader::load(&obj, options).unwrap_err());
        match &err {
            Error::Object(ObjectError::Rule {
                map,
                rule: Rule::UnusedOption { option, problem },
            }) => {
                assert_eq!(map, want_map, "{what}");
                assert_eq!(option, want_option, "{what}");
                assert_eq!(problem, want_problem, "{what}");
            }
            other => panic!("{what}: expected UnusedOption, got {other:?}"),
        }
        assert_eq!(err.to_string(), checked.to_string(), "{what}");
        assert_eq!(
            err.to_string(),
            format!("map '{want_map}': LoadOptions::{want_option} names it, but {want_problem}"),
            "{what}"
        );
    }
    // The caller's template map is untouched and still open.
    assert_eq!(
        MapInfo::from_fd(&fd_template).unwrap().id(),
        fd_template.id()
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals: the same error as `check`, and nothing made.

const REFUSALS: &[&str] = &[
    "refuse_nested.bpf.o",
    "refuse_prog_array_inner.bpf.o",
    "refuse_storage_inner.bpf.o",
    "refuse_values_on_plain.bpf.o",
    "refuse_slot_out_of_range.bpf.o",
    "refuse_no_inner.bpf.o",
    "refuse_inner_mismatch_value.bpf.o",
    "refuse_inner_mismatch_type.bpf.o",
    "refuse_inner_mismatch_entries.bpf.o",
    "refuse_inner_mismatch_key.bpf.o",
    "refuse_inner_mismatch_flags.bpf.o",
    "refuse_hash_slot_key.bpf.o",
    "refuse_pinned_inner.bpf.o",
    "refuse_outer_value_size.bpf.o",
    "refuse_inner_map_flag_on_hash.bpf.o",
];

#[test]
fn refusal_fixtures_create_nothing() {
    let _serial = serial();
    require_kernel!();
    for file in REFUSALS {
        let obj = open(file);
        let checked = match loader::check(&obj, &LoadOptions::new()) {
            Err(Error::Object(e @ ObjectError::Rule { .. })) => e,
            other => panic!("{file}: check gave {other:?}"),
        };
        let before = Snapshot::take();
        let calls = bpfmaps::syscall_count();
        let err = loader::load(&obj, &LoadOptions::new()).unwrap_err();
        assert_eq!(
            bpfmaps::syscall_count(),
            calls,
            "{file}: a bpf(2) call was made"
        );
        match err {
            Error::Object(e) => assert_eq!(e, checked, "{file}"),
            other => panic!("{file}: load gave {other:?}"),
        }
        before.assert_no_new_ids(file, &names_of(&obj));
    }
}

// ---------------------------------------------------------------------------------------------
// Failures part-way: nothing left behind.

/// Every path under `dir`, relative to it (a fresh bpffs also holds the kernel's own
/// `maps.debug` and `progs.debug`).
fn listing(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() {
                todo.push(path);
            }
        }
    }
    out
}

#[test]
fn a_failure_at_the_last_outer_map_leaves_nothing() {
    let _serial = serial();
    require_kernel!();
    // seed_devmap creates devs_a, devs_b, stats, outer_devs (and its template), then flows'
    // template, then flows — which the kernel refuses with max_entries 0.
    let obj = open("seed_devmap.bpf.o");
    let before = Snapshot::take();
    let err = loader::load(&obj, &LoadOptions::new().max_entries("flows", 0)).unwrap_err();
    match &err {
        Error::Load { map, source } => {
            assert_eq!(map, "flows");
            assert_eq!(source.errno(), Some(bpfmaps::Errno::EINVAL), "{source}");
        }
        other => panic!("expected Load, got {other:?}"),
    }
    assert!(err.to_string().contains("flows"), "{err}");
    before.assert_nothing_left("flows max 0", &names_of(&obj));
}

#[test]
fn a_failure_at_a_late_plain_map_leaves_nothing() {
    let _serial = serial();
    require_kernel!();
    // many_maps: the 300 plain maps come last in the object; the last one fails.
    let obj = open("many_maps.bpf.o");
    let before = Snapshot::take();
    let err = loader::load(&obj, &LoadOptions::new().max_entries("m_299", 0)).unwrap_err();
    assert!(
        matches!(&err, Error::Load { map, .. } if map == "m_299"),
        "{err:?}"
    );
    before.assert_nothing_left("m_299 max 0", &names_of(&obj));
}

#[test]
fn a_pinned_map_whose_name_has_a_dot_is_refused_before_the_kernel() {
    let _serial = serial();
    require_kernel!();
    // pinning.bpf.o with `pinned_hash` renamed `pinned.hash`: bpffs refuses the name (EPERM,
    // when the path is looked up as when it is pinned), so the load is refused before bpf(2).
    let mut d = patch::bytes("pinning.bpf.o");
    assert!(patch::rename(&mut d, "pinned_hash", "pinned.hash") >= 2);
    let obj = BpfObject::parse(&d).expect("parse");
    assert!(obj.map("pinned.hash").is_some());
    let root = TempBpffs::new("pindot");
    let pins_before = listing(root.path());
    let options = LoadOptions::new().pin_root(root.path());
    let checked = loader::check(&obj, &options).unwrap_err();
    let err = state::traceless("dotted pin name", 0, || {
        loader::load(&obj, &options).unwrap_err()
    });
    match &err {
        Error::Object(ObjectError::Rule {
            map,
            rule: Rule::PinNameDot,
        }) => assert_eq!(map, "pinned.hash"),
        other => panic!("expected PinNameDot, got {other:?}"),
    }
    assert_eq!(err.to_string(), checked.to_string());
    let text = err.to_string();
    assert!(
        text.starts_with("map 'pinned.hash': ") && text.contains("contains `.`"),
        "{text}"
    );
    assert_eq!(listing(root.path()), pins_before);
    // Without a pin the name is harmless: the same object loads once nothing asks for a pin
    // under that name (here: the map is skipped).
    let loaded = loader::load(&obj, &options.clone().skip("pinned.hash")).expect("load");
    assert!(loaded.entry("pinned_outer").unwrap().pin_path().is_some());
    drop(loaded);
    std::fs::remove_file(root.path().join("pinned_outer")).unwrap();

    // What the kernel says when asked anyway, and the hint that now names both causes.
    let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
    let err = map.pin(root.path().join("a.b")).unwrap_err();
    assert_eq!(err.errno(), Some(bpfmaps::Errno::EPERM), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("BPF_OBJ_PIN") && text.contains("bpffs mount") && text.contains("`.`"),
        "{text}"
    );
}

/// A mount made for a test, detached on drop.
struct Mount(std::path::PathBuf);

impl Mount {
    /// `mount ARGS… DIR`, detached on drop.
    fn new(args: &[&str], dir: &Path) -> Mount {
        run_mount(args, dir);
        Mount(dir.to_owned())
    }
}

/// `mount ARGS… DIR`.
fn run_mount(args: &[&str], dir: &Path) {
    let status = std::process::Command::new("mount")
        .args(args)
        .arg(dir)
        .status()
        .expect("run mount");
    assert!(status.success(), "mount {args:?} {}", dir.display());
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = bpfmaps::pin::unmount(&self.0);
    }
}

#[test]
fn a_failure_while_pinning_removes_the_directories_it_made() {
    let _serial = serial();
    require_kernel!();
    // legacy_iproute2 pins elf_outer at root/tc/globals/elf_outer. With a tmpfs on root/tc,
    // every check passes (nothing is there yet), the maps are created and the slot filled,
    // the load creates root/tc/globals, and then the pin is refused: not on bpffs.
    let obj = open("legacy_iproute2.bpf.o");
    let root = TempBpffs::new("tcdirs");
    let tc = root.path().join("tc");
    std::fs::create_dir(&tc).unwrap();
    let _tmpfs = Mount::new(&["-t", "tmpfs", "tmpfs"], &tc);
    let files_before = listing(root.path());
    assert!(files_before.contains("tc"));
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).unwrap_err();
    assert!(
        bpfmaps::syscall_count() - calls > 4,
        "the maps were created first"
    );
    match &err {
        Error::Load { map, source } => {
            assert_eq!(map, "elf_outer");
            assert!(
                matches!(&**source, Error::NotBpffs { path } if *path == tc.join("globals")),
                "{source:?}"
            );
        }
        other => panic!("expected Load, got {other:?}"),
    }
    // tc/globals was made by the load and is gone again; tc (not the load's) stays.
    assert_eq!(listing(root.path()), files_before);
    assert!(tc.is_dir());
    before.assert_nothing_left("tc on tmpfs", &names_of(&obj));

    // Without the obstacle the same load makes tc and tc/globals, and pins.
    drop(_tmpfs);
    std::fs::remove_dir(&tc).unwrap();
    let loaded = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).expect("load");
    assert!(root.path().join("tc/globals/elf_outer").exists());
    drop(loaded);
}

#[test]
fn a_failure_while_pinning_under_tc_globals_leaves_nothing() {
    let _serial = serial();
    require_kernel!();
    // legacy_iproute2 pins at root/tc/globals/elf_outer; a map pinned at root/tc blocks it.
    let obj = open("legacy_iproute2.bpf.o");
    let root = TempBpffs::new("tcfail");
    let blocker = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
    blocker.pin(root.path().join("tc")).unwrap();
    let pins_before = listing(root.path());
    let before = Snapshot::take();
    let err = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).unwrap_err();
    assert!(
        matches!(&err, Error::Load { map, .. } if map == "elf_outer"),
        "{err:?}"
    );
    assert_eq!(listing(root.path()), pins_before);
    before.assert_nothing_left("tc blocked", &names_of(&obj));
}

// ---------------------------------------------------------------------------------------------
// Pinning.

#[test]
fn pinning_by_name() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("pin");
    let loaded = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).expect("load");
    for name in ["pinned_hash", "pinned_outer"] {
        let path = root.path().join(name);
        assert_eq!(loaded.entry(name).unwrap().pin_path(), Some(path.as_path()));
        let pinned = Map::from_pin(&path).expect("from_pin");
        assert_eq!(pinned.id(), loaded.map(name).unwrap().id());
    }
    assert!(!root.path().join("not_pinned").exists());
    assert_eq!(loaded.entry("not_pinned").unwrap().pin_path(), None);
    // The pinned outer map, opened from its pin, holds the declared inner maps.
    let outer = OuterMap::from_pin(root.path().join("pinned_outer")).unwrap();
    assert_eq!(
        outer.lookup(&0u32).unwrap(),
        Some(loaded.map("pin_in0").unwrap().id())
    );
    assert_eq!(
        outer.lookup(&2u32).unwrap(),
        Some(loaded.map("pin_in2").unwrap().id())
    );
}

#[test]
fn pinning_iproute2_global_ns() {
    let _serial = serial();
    require_kernel!();
    let obj = open("legacy_iproute2.bpf.o");
    let root = TempBpffs::new("tc");
    let loaded = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).expect("load");
    let path = root.path().join("tc/globals/elf_outer");
    assert_eq!(
        loaded.entry("elf_outer").unwrap().pin_path(),
        Some(path.as_path())
    );
    let pinned = OuterMap::from_pin(&path).expect("from_pin");
    assert_eq!(pinned.id(), loaded.map("elf_outer").unwrap().id());
    // iproute2's rule: elf_inner (id 1, inner_idx 0) sits in slot 0.
    assert_eq!(
        pinned.lookup(&0u32).unwrap(),
        Some(loaded.map("elf_inner").unwrap().id())
    );
    assert!(!root.path().join("tc/globals/elf_inner").exists());
    assert!(!root.path().join("tc/globals/elf_hash").exists());
}

/// Slot → id of an outer map.
fn slots(outer: &OuterMap) -> BTreeMap<u32, u32> {
    outer
        .iter::<u32>()
        .map(|r| r.unwrap())
        .map(|(k, id)| (k, id.get()))
        .collect()
}

#[test]
fn a_second_load_keeps_what_the_pins_hold() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("keep");
    let options = LoadOptions::new().pin_root(root.path());
    let first = loader::load(&obj, &options).expect("first load");
    let id = |l: &LoadedObject, n: &str| l.map(n).unwrap().id().get();
    let original = slots(first.outer("pinned_outer").unwrap());
    assert_eq!(
        original,
        BTreeMap::from([(0, id(&first, "pin_in0")), (2, id(&first, "pin_in2"))])
    );

    let before = Snapshot::take();
    let second = loader::load(&obj, &options.clone().reuse(Reuse::Keep)).expect("second load");
    for name in ["pinned_hash", "pinned_outer"] {
        assert!(second.entry(name).unwrap().reused(), "{name}");
        assert_eq!(id(&second, name), id(&first, name), "{name}");
    }
    // The declared inner maps were found in the kept slots, not created; `not_pinned` is new.
    for name in ["pin_in0", "pin_in2"] {
        assert_eq!(
            second.entry(name).unwrap().origin(),
            Origin::InSlot,
            "{name}"
        );
        assert!(second.entry(name).unwrap().reused(), "{name}");
    }
    assert_eq!(
        second.entry("not_pinned").unwrap().origin(),
        Origin::Created
    );
    // The slots still hold the original inner maps, and the result's declared inner maps ARE
    // those maps.
    let outer = second.outer("pinned_outer").unwrap();
    assert_eq!(slots(outer), original);
    assert_eq!(id(&second, "pin_in0"), id(&first, "pin_in0"));
    assert_eq!(id(&second, "pin_in2"), id(&first, "pin_in2"));
    assert!(second
        .entry("pinned_outer")
        .unwrap()
        .filled_slots()
        .is_empty());
    // No fresh pin_in0/pin_in2 was made (only not_pinned is new).
    let new: Vec<String> = map_ids()
        .difference(&before.ids)
        .filter_map(|&i| Map::from_id(MapId::new(i)?).ok())
        .map(|m| m.info().name().as_str().to_owned())
        .filter(|n| n.starts_with("pin") || n == "not_pinned")
        .collect();
    assert_eq!(new, ["not_pinned"]);
    // The template of the reused outer map is the object's.
    let inner = outer.new_inner("kept_extra").unwrap();
    outer.insert(&1u32, &inner).expect("insert");
}

#[test]
fn a_second_load_fills_an_emptied_slot_of_a_kept_outer() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("refill");
    let options = LoadOptions::new().pin_root(root.path());
    let first = loader::load(&obj, &options).expect("first load");
    let outer = first.outer("pinned_outer").unwrap();
    assert!(outer.remove(&2u32).unwrap());
    let kept0 = outer.lookup(&0u32).unwrap().unwrap();

    let second = loader::load(&obj, &options).expect("second load");
    let outer = second.outer("pinned_outer").unwrap();
    assert_eq!(outer.lookup(&0u32).unwrap(), Some(kept0));
    assert_eq!(second.map("pin_in0").unwrap().id(), kept0);
    let refilled = outer.lookup(&2u32).unwrap().expect("slot 2 filled again");
    assert_eq!(refilled, second.map("pin_in2").unwrap().id());
    assert_ne!(refilled, first.map("pin_in2").unwrap().id());
    let filled: Vec<(u32, String)> = second
        .entry("pinned_outer")
        .unwrap()
        .filled_slots()
        .to_vec();
    assert_eq!(filled, [(2, "pin_in2".to_owned())]);
}

#[test]
fn a_second_load_with_overwrite_puts_fresh_maps_in_the_slots() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("overwrite");
    let options = LoadOptions::new().pin_root(root.path());
    let first = loader::load(&obj, &options).expect("first load");
    let second = loader::load(&obj, &options.clone().reuse(Reuse::Overwrite)).expect("second load");
    assert!(second.entry("pinned_outer").unwrap().reused());
    assert_eq!(
        second.map("pinned_outer").unwrap().id(),
        first.map("pinned_outer").unwrap().id()
    );
    let outer = second.outer("pinned_outer").unwrap();
    for (slot, name) in [(0u32, "pin_in0"), (2, "pin_in2")] {
        let now = outer.lookup(&slot).unwrap().unwrap();
        assert_eq!(now, second.map(name).unwrap().id(), "{name}");
        assert_ne!(now, first.map(name).unwrap().id(), "{name}: a fresh map");
    }
    let filled: Vec<(u32, String)> = second
        .entry("pinned_outer")
        .unwrap()
        .filled_slots()
        .to_vec();
    assert_eq!(
        filled,
        [(0, "pin_in0".to_owned()), (2, "pin_in2".to_owned())]
    );
}

#[test]
fn a_pin_that_does_not_match_is_refused_and_creates_nothing() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("mismatch");
    // pinned_hash is HASH k=4 v=8 max=8; pin a HASH with 4-byte values there.
    let wrong = Map::create(
        &MapSpec::new(MapType::HASH, 4, 4, 8)
            .with_name("wrong")
            .unwrap(),
    )
    .unwrap();
    wrong.pin(root.path().join("pinned_hash")).unwrap();
    let before = Snapshot::take();
    let err = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).unwrap_err();
    match &err {
        Error::PinMismatch {
            map,
            field,
            path,
            detail,
        } => {
            assert_eq!((map.as_str(), *field), ("pinned_hash", "value_size"));
            assert_eq!(path, &root.path().join("pinned_hash"));
            assert!(
                detail.contains("value_size is 4 there, 8 in the object"),
                "{detail}"
            );
        }
        other => panic!("expected PinMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("pinned_hash"), "{err}");
    before.assert_nothing_left("pin mismatch", &names_of(&obj));
    assert!(!root.path().join("pinned_outer").exists());
    std::fs::remove_file(root.path().join("pinned_hash")).unwrap();

    // max_entries and type too.
    for (spec, field) in [
        (MapSpec::new(MapType::HASH, 4, 8, 9), "max_entries"),
        (MapSpec::new(MapType::LRU_HASH, 4, 8, 8), "type"),
        (
            MapSpec::new(MapType::HASH, 4, 8, 8).with_flags(MapFlags::NO_PREALLOC),
            "map_flags",
        ),
    ] {
        let wrong = Map::create(&spec).unwrap();
        wrong.pin(root.path().join("pinned_hash")).unwrap();
        let err = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).unwrap_err();
        assert!(
            matches!(&err, Error::PinMismatch { field: f, .. } if *f == field),
            "{field}: {err:?}"
        );
        std::fs::remove_file(root.path().join("pinned_hash")).unwrap();
    }

    // An outer map pinned with inner maps of another template.
    let other = OuterMap::create(
        &MapSpec::array_of_maps(4),
        &MapSpec::new(MapType::HASH, 4, 4, 2),
    )
    .unwrap();
    let inner = other.new_inner("other_in").unwrap();
    other.insert(&1u32, &inner).unwrap();
    other
        .as_map()
        .pin(root.path().join("pinned_outer"))
        .unwrap();
    let err = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).unwrap_err();
    match &err {
        Error::PinMismatch { map, field, .. } => {
            assert_eq!((map.as_str(), *field), ("pinned_outer", "inner map"))
        }
        other => panic!("expected PinMismatch, got {other:?}"),
    }
}

#[test]
fn pinning_needs_a_bpffs_pin_root() {
    let _serial = serial();
    require_kernel!();
    let obj = open("pinning.bpf.o");
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new()).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls);
    match &err {
        Error::Object(ObjectError::Rule {
            map,
            rule: Rule::NoPinRoot,
        }) => assert_eq!(map, "pinned_outer"),
        other => panic!("expected NoPinRoot, got {other:?}"),
    }
    assert!(err.to_string().contains("no pin root"), "{err}");
    // A directory that is not on bpffs.
    let dir = std::env::temp_dir().join(format!("bpfmaps-not-bpffs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let err = loader::load(&obj, &LoadOptions::new().pin_root(&dir)).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls);
    std::fs::remove_dir(&dir).unwrap();
    match &err {
        Error::NotBpffs { path } => assert_eq!(path, &dir),
        other => panic!("expected NotBpffs, got {other:?}"),
    }
    before.assert_no_new_ids("no pin root", &names_of(&obj));
    // An object that pins nothing needs no root.
    loader::load(&open("dense_values.bpf.o"), &LoadOptions::new()).expect("no pins, no root");
}

// ---------------------------------------------------------------------------------------------
// Cost.

#[test]
fn load_cost_in_syscalls() {
    let _serial = serial();
    require_kernel!();
    // Every call the work needs and no other: a create and an info query for each map the
    // load hands back (inner and outer maps), a create alone for each template (its fd goes
    // to the kernel once, then closes), one BTF_LOAD, one UPDATE_BATCH per outer map (made
    // from other threads and credited back). Nothing is probed.
    let needed = |maps: u64, templates: u64, outers: u64| 2 * maps + templates + 1 + outers;

    // load_1x100: 100 inner maps and the outer map; 100 single updates would need 99 more.
    let obj = open("load_1x100.bpf.o");
    let calls = bpfmaps::syscall_count();
    let loaded = loader::load(&obj, &LoadOptions::new()).expect("load");
    let used = bpfmaps::syscall_count() - calls;
    assert_eq!(used, needed(101, 1, 1), "load_1x100");
    assert_eq!(
        loaded.outer("outer_1x100").unwrap().iter::<u32>().count(),
        100
    );

    // load_20x5: 100 inner maps and 20 outer maps, each with its template.
    let obj = open("load_20x5.bpf.o");
    let calls = bpfmaps::syscall_count();
    let loaded = loader::load(&obj, &LoadOptions::new()).expect("load");
    let used = bpfmaps::syscall_count() - calls;
    assert_eq!(used, needed(120, 20, 20), "load_20x5");
    drop(loaded);
}

#[test]
fn loaded_object_hands_maps_over() {
    let _serial = serial();
    require_kernel!();
    let obj = open("seed_devmap.bpf.o");
    let mut loaded = loader::load(&obj, &LoadOptions::new()).expect("load");
    let outer_id = loaded.map("outer_devs").unwrap().id();
    let Some(LoadedMap::Outer(outer)) = loaded.take("outer_devs") else {
        panic!("outer_devs is an outer map");
    };
    assert_eq!(outer.id(), outer_id);
    assert!(loaded.entry("outer_devs").is_none());
    assert!(matches!(loaded.take("stats"), Some(LoadedMap::Plain(_))));
    assert!(loaded.take("stats").is_none());
    let entries = loaded.into_entries();
    let names: Vec<&str> = entries.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["devs_a", "devs_b", "flows"]);
    // The outer map outlives the rest of the result, and still holds its inner maps.
    let devs_a = entries[0].map().as_map().id();
    drop(entries);
    assert_eq!(outer.lookup(&0u32).unwrap(), Some(devs_a));
    let opened = outer.get(&0u32).unwrap().unwrap();
    assert_eq!(opened.map_type(), MapType::DEVMAP);
}

#[test]
fn a_failed_load_leaves_a_reused_outer_map_as_it_was() {
    let _serial = serial();
    require_kernel!();
    // First load: pinned_outer and pinned_hash are pinned.
    let obj = open("pinning.bpf.o");
    let root = TempBpffs::new("reusefail");
    let first = loader::load(&obj, &LoadOptions::new().pin_root(root.path())).expect("first");
    let outer = first.outer("pinned_outer").unwrap();
    assert!(outer.remove(&2u32).unwrap());
    let original = slots(outer);
    assert_eq!(original.len(), 1);
    // Second load through a read-only view of the same bpffs, with pinned_hash unpinned:
    // pinned_outer is found and reused (opening a pin reads only), and pinning pinned_hash
    // again fails (EROFS) after every map is created.
    std::fs::remove_file(root.path().join("pinned_hash")).unwrap();
    let view = root.path().with_extension("ro");
    std::fs::create_dir(&view).unwrap();
    let ro = Mount::new(&["--bind", root.path().to_str().unwrap()], &view);
    run_mount(&["-o", "remount,ro,bind"], &view);
    let options = LoadOptions::new().pin_root(&view);
    for reuse in [Reuse::Keep, Reuse::Overwrite] {
        let pins_before = listing(root.path());
        let err = loader::load(&obj, &options.clone().reuse(reuse)).unwrap_err();
        match &err {
            Error::Load { map, source } => {
                assert_eq!(map, "pinned_hash", "{reuse:?}");
                assert_eq!(
                    source.errno(),
                    Some(bpfmaps::Errno::from_raw(libc::EROFS)),
                    "{source}"
                );
            }
            other => panic!("{reuse:?}: expected Load, got {other:?}"),
        }
        assert_eq!(listing(root.path()), pins_before, "{reuse:?}");
        assert_eq!(
            slots(outer),
            original,
            "{reuse:?}: the pinned outer map was changed"
        );
    }
    drop(ro);
    let _ = std::fs::remove_dir(&view);
}

#[test]
fn a_map_name_cannot_lead_out_of_the_pin_root() {
    let _serial = serial();
    require_kernel!();
    // `pinned_hash` renamed `../pinned_h`: pinned under the root it would be root/../pinned_h.
    let mut d = patch::bytes("pinning.bpf.o");
    assert!(patch::rename(&mut d, "pinned_hash", "../pinned_h") >= 2);
    let obj = BpfObject::parse(&d).expect("parse");
    let bpffs = TempBpffs::new("escape");
    let root = bpffs.path().join("app");
    std::fs::create_dir(&root).unwrap();
    let before = Snapshot::take();
    let calls = bpfmaps::syscall_count();
    let result = loader::load(&obj, &LoadOptions::new().pin_root(&root));
    let escaped = bpffs.path().join("pinned_h").exists();
    assert!(!escaped, "a map was pinned outside the pin root");
    let err = result.unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), calls, "refused before bpf(2)");
    assert!(
        matches!(&err, Error::Object(ObjectError::Map { map, .. }) if map == "../pinned_h"),
        "{err:?}"
    );
    before.assert_no_new_ids("escape", &names_of(&obj));
}

/// pinning.bpf.o with `pinned_outer` turned into a HASH_OF_MAPS (its `__uint(type, 12)` made
/// 13; no other map of the object has 12 in a field).
fn pinning_with_hash_outer() -> BpfObject {
    let mut d = patch::bytes("pinning.bpf.o");
    assert_eq!(patch::set_uint(&mut d, 12, 13), 1);
    let obj = BpfObject::parse(&d).expect("parse");
    let outer = obj.map("pinned_outer").unwrap();
    assert_eq!(outer.attrs.map_type, MapType::HASH_OF_MAPS);
    assert_eq!(outer.attrs.max_entries, 4);
    obj
}

#[test]
fn a_failure_filling_a_reused_outer_map_puts_its_slots_back() {
    let _serial = serial();
    require_kernel!();
    let obj = pinning_with_hash_outer();
    let template = MapSpec::new(MapType::ARRAY, 4, 4, 2);
    for reuse in [Reuse::Keep, Reuse::Overwrite] {
        // A hash of maps of the object's shape pinned where pinned_outer goes, too full
        // for both of the load's declared slots (0 and 2).
        let root = TempBpffs::new("refill");
        let pinned = OuterMap::create(&MapSpec::hash_of_maps(4, 4), &template).unwrap();
        let keys: &[u32] = match reuse {
            Reuse::Keep => &[10, 11, 12],
            // Full: slot 0 is overwritten in place, then slot 2 does not fit.
            Reuse::Overwrite => &[0, 10, 11, 12],
        };
        let mut inners = Vec::new();
        for &k in keys {
            let inner = pinned.new_inner(&format!("keep_{k}")).unwrap();
            pinned.insert(&k, &inner).unwrap();
            inners.push(inner);
        }
        pinned
            .as_map()
            .pin(root.path().join("pinned_outer"))
            .unwrap();
        let original = slots(&pinned);
        let pins_before = listing(root.path());
        let before = Snapshot::take();
        let err =
            loader::load(&obj, &LoadOptions::new().pin_root(root.path()).reuse(reuse)).unwrap_err();
        assert!(
            matches!(&err, Error::Load { map, .. } if map == "pinned_outer"),
            "{reuse:?}: {err:?}"
        );
        assert_eq!(err.errno(), Some(bpfmaps::Errno::E2BIG), "{reuse:?}: {err}");
        // The pinned outer map holds what it held; pinned_hash (pinned by this load before
        // the failure) is unpinned again.
        assert_eq!(slots(&pinned), original, "{reuse:?}");
        assert_eq!(listing(root.path()), pins_before, "{reuse:?}");
        before.assert_nothing_left(&format!("{reuse:?}"), &names_of(&obj));
        drop(inners);
    }
}
