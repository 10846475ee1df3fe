//! Parsing and pre-kernel checks of the fixture objects. No kernel is needed: these run
//! without privilege.
//!
//! Every expectation comes from the table in `tests/fixtures/README.md` (transcribed in
//! `tests/expected/mod.rs`), not from the parser's output.

mod common;
mod expected;
mod patch;

use bpfmaps::btf::{Btf, Endian, Type};
use bpfmaps::elf::{BpfObject, DefSource, LegacyLayout, ObjectError, ParseOptions, Pinning, Rule};
use bpfmaps::loader::{self, LoadOptions};
use bpfmaps::{Error, InnerMismatch, MapSpec, MapType, Refusal};
use common::fixture;
use patch::{
    bytes, e_shoff, rename_section, section, set_section_size, u64_at, with_fixed_datasec, Patch,
};

fn open(name: &str) -> BpfObject {
    BpfObject::open(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rendered(obj: &BpfObject) -> Vec<String> {
    obj.maps().iter().map(expected::render).collect()
}

fn object_error(result: Result<BpfObject, Error>, what: &str) -> ObjectError {
    match result {
        Err(Error::Object(e)) => e,
        Err(other) => panic!("{what}: expected Error::Object, got {other:?}"),
        Ok(obj) => panic!("{what}: parsed, with maps {:?}", rendered(&obj)),
    }
}

// ---------------------------------------------------------------------------------------------
// Valid objects: exactly the maps of the README table.

fn assert_table(file: &str) {
    let obj = open(file);
    let (got, want) = (rendered(&obj), expected::lines(file));
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want, "{file}");
    }
    assert_eq!(got.len(), want.len(), "{file}: number of maps");
    // Parsing from memory gives the same maps; only the name differs.
    let from_memory = BpfObject::parse(&bytes(file)).expect("parse from memory");
    assert_eq!(from_memory.maps(), obj.maps(), "{file}: open vs parse");
    assert_eq!(obj.name(), file);
    assert_eq!(from_memory.name(), "<memory>");
    // Every map can be found by name.
    for def in obj.maps() {
        assert_eq!(obj.map(&def.name), Some(def));
    }
    assert!(obj.warnings().is_empty(), "{file}: {:?}", obj.warnings());
    assert!(obj.has_btf(), "{file}: every fixture has .BTF");
}

#[test]
fn seed_devmap() {
    assert_table("seed_devmap.bpf.o");
}
#[test]
fn dense_values() {
    assert_table("dense_values.bpf.o");
}
#[test]
fn sparse_values() {
    assert_table("sparse_values.bpf.o");
}
#[test]
fn hash_of_maps() {
    assert_table("hash_of_maps.bpf.o");
}
#[test]
fn anon_inner() {
    assert_table("anon_inner.bpf.o");
}
#[test]
fn inner_map_flag() {
    assert_table("inner_map_flag.bpf.o");
}
#[test]
fn inner_types() {
    assert_table("inner_types.bpf.o");
}
#[test]
fn pinning() {
    assert_table("pinning.bpf.o");
    let obj = open("pinning.bpf.o");
    let pin = |name: &str| obj.map(name).unwrap().attrs.pinning;
    assert_eq!(pin("pinned_hash"), Pinning::ByName);
    assert_eq!(pin("pinned_outer"), Pinning::ByName);
    assert_eq!(pin("not_pinned"), Pinning::None);
    assert_eq!(
        Pinning::ByName.relative_path("pinned_hash").as_deref(),
        Some("pinned_hash")
    );
    assert_eq!(Pinning::None.relative_path("not_pinned"), None);
}
#[test]
fn outer_first() {
    assert_table("outer_first.bpf.o");
}
#[test]
fn plain_fields() {
    assert_table("plain_fields.bpf.o");
    let obj = open("plain_fields.bpf.o");
    // Sizes given as numbers carry no BTF type; `__type` does.
    let sized = &obj.map("sized_hash").unwrap().attrs;
    assert_eq!((sized.btf_key_type_id, sized.btf_value_type_id), (0, 0));
    let numa = &obj.map("numa_hash").unwrap().attrs;
    assert_ne!(numa.btf_key_type_id, 0);
    assert_ne!(numa.btf_value_type_id, 0);
    assert_eq!(numa.numa_node, 0);
    // The spec asks for the node only with BPF_F_NUMA_NODE.
    let spec = numa.to_spec();
    assert_eq!(spec.flags().bits(), 4);
    assert_eq!(spec.numa_node(), 0);
}
#[test]
fn load_1x100() {
    assert_table("load_1x100.bpf.o");
}
#[test]
fn load_20x5() {
    assert_table("load_20x5.bpf.o");
}
#[test]
fn many_maps() {
    assert_table("many_maps.bpf.o");
    let obj = open("many_maps.bpf.o");
    assert_eq!(obj.maps().len(), 340);
    assert_eq!(obj.maps().iter().map(|m| m.slots.len()).sum::<usize>(), 30);
}

#[test]
fn every_valid_fixture_is_in_the_list() {
    let objects = common::fixture_names(|n| !n.starts_with("refuse_"));
    let mut listed: Vec<String> = expected::VALID.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(objects, listed);
}

#[test]
fn btf_maps_come_from_btf_and_keep_their_type_ids() {
    for file in expected::VALID {
        let obj = open(file);
        for def in obj.maps() {
            if file.starts_with("legacy_") {
                continue;
            }
            assert_eq!(def.source, DefSource::Btf, "{file}: {}", def.name);
        }
    }
    // `__type(key, …)` / `__type(value, …)` give BTF ids; a ring buffer has neither.
    let obj = open("inner_types.bpf.o");
    let ringbuf = &obj.map("inner_ringbuf").unwrap().attrs;
    assert_eq!((ringbuf.btf_key_type_id, ringbuf.btf_value_type_id), (0, 0));
    let bloom = &obj.map("inner_bloom").unwrap().attrs;
    assert_eq!(bloom.btf_key_type_id, 0);
    assert_ne!(bloom.btf_value_type_id, 0);
    let seed = open("seed_devmap.bpf.o");
    let flows = &seed.map("flows").unwrap().attrs;
    assert_ne!(flows.btf_key_type_id, 0, "struct flow_key");
    assert!(flows.has_values);
    assert!(!seed.map("stats").unwrap().attrs.has_values);
}

// ---------------------------------------------------------------------------------------------
// Legacy layouts.

#[test]
fn legacy_libbpf() {
    assert_table("legacy_libbpf.bpf.o");
    let obj = open("legacy_libbpf.bpf.o");
    for def in obj.maps() {
        assert_eq!(def.source, DefSource::Legacy(LegacyLayout::Libbpf));
    }
    let outer = obj.map("legacy_outer").unwrap();
    assert_eq!(outer.inner_from, None);
    assert!(outer.attrs.inner.is_none());
}

#[test]
fn legacy_samples() {
    assert_table("legacy_samples.bpf.o");
    let obj = open("legacy_samples.bpf.o");
    for def in obj.maps() {
        assert_eq!(def.source, DefSource::Legacy(LegacyLayout::Samples));
        assert_eq!(def.attrs.numa_node, 0);
    }
    for outer in ["samples_hash_outer", "samples_array_outer"] {
        let def = obj.map(outer).unwrap();
        assert_eq!(
            def.inner_from.as_deref(),
            Some("samples_template"),
            "{outer}"
        );
        assert!(def.slots.is_empty(), "samples/bpf declares no slots");
    }
}

#[test]
fn legacy_iproute2() {
    assert_table("legacy_iproute2.bpf.o");
    let obj = open("legacy_iproute2.bpf.o");
    for def in obj.maps() {
        assert_eq!(def.source, DefSource::Legacy(LegacyLayout::Iproute2));
    }
    let outer = obj.map("elf_outer").unwrap();
    assert_eq!(outer.inner_from.as_deref(), Some("elf_inner"));
    assert_eq!(outer.attrs.pinning, Pinning::GlobalNs);
    assert_eq!(
        Pinning::GlobalNs.relative_path("elf_outer").as_deref(),
        Some("tc/globals/elf_outer")
    );
}

#[test]
fn legacy_layouts_know_their_entry_sizes() {
    for (layout, size) in [
        (LegacyLayout::Libbpf, 20),
        (LegacyLayout::Samples, 28),
        (LegacyLayout::Iproute2, 36),
    ] {
        assert_eq!(layout.entry_size(), size);
        assert_eq!(LegacyLayout::from_entry_size(size), Some(layout));
    }
    assert_eq!(LegacyLayout::from_entry_size(24), None);
}

/// Word `word` (0-based, 4 bytes each) of legacy entry `entry`.
fn legacy_word(d: &[u8], entry_size: usize, entry: usize, word: usize) -> usize {
    section(d, "maps").offset + entry * entry_size + 4 * word
}

#[test]
fn iproute2_slot_is_the_inner_maps_own_inner_idx() {
    // iproute2 puts the map whose `id` is the outer's `inner_id` at key = that map's own
    // `inner_idx` (word 8); the outer's `inner_idx` is not read.
    let mut d = bytes("legacy_iproute2.bpf.o");
    d.put_u32(legacy_word(&d, 36, 0, 8), 3);
    let obj = BpfObject::parse(&d).expect("parse");
    let slots: Vec<(u32, &str)> = obj
        .map("elf_outer")
        .unwrap()
        .slots
        .iter()
        .map(|s| (s.index, s.map.as_str()))
        .collect();
    assert_eq!(slots, [(3, "elf_inner")]);

    // The outer's own inner_idx does not move the slot.
    let mut d = bytes("legacy_iproute2.bpf.o");
    d.put_u32(legacy_word(&d, 36, 1, 8), 2);
    let obj = BpfObject::parse(&d).expect("parse");
    let slots: Vec<u32> = obj
        .map("elf_outer")
        .unwrap()
        .slots
        .iter()
        .map(|s| s.index)
        .collect();
    assert_eq!(slots, [0]);

    // inner_idx -1: a template, not put into the outer map.
    let mut d = bytes("legacy_iproute2.bpf.o");
    d.put_u32(legacy_word(&d, 36, 0, 8), u32::MAX);
    let obj = BpfObject::parse(&d).expect("parse");
    let outer = obj.map("elf_outer").unwrap();
    assert!(outer.slots.is_empty());
    assert_eq!(outer.inner_from.as_deref(), Some("elf_inner"));
}

#[test]
fn iproute2_inner_id_naming_no_map_is_refused() {
    let mut d = bytes("legacy_iproute2.bpf.o");
    d.put_u32(legacy_word(&d, 36, 1, 7), 7);
    let e = object_error(BpfObject::parse(&d), "inner_id 7");
    assert_eq!(
        e,
        ObjectError::Rule {
            map: "elf_outer".into(),
            rule: Rule::InnerIdMissing(7)
        }
    );
    assert!(
        e.to_string().contains("elf_outer") && e.to_string().contains("inner_id 7"),
        "{e}"
    );
}

#[test]
fn samples_inner_map_idx_is_an_entry_number() {
    // Point samples_hash_outer's inner_map_idx (word 5) at entry #3.
    let mut d = bytes("legacy_samples.bpf.o");
    d.put_u32(legacy_word(&d, 28, 1, 5), 3);
    let obj = BpfObject::parse(&d).expect("parse");
    let outer = obj.map("samples_hash_outer").unwrap();
    assert_eq!(outer.inner_from.as_deref(), Some("samples_numa_hash"));
    assert_eq!(
        expected::render_attrs(outer.attrs.inner.as_deref().unwrap()),
        "HASH(1) k=4 v=8 max=16 flags=4 extra=0 pin=0"
    );
    // An index past the last entry names no map.
    d.put_u32(legacy_word(&d, 28, 1, 5), 9);
    let e = object_error(BpfObject::parse(&d), "inner_map_idx 9");
    assert!(
        matches!(&e, ObjectError::Map { map, problem } if map == "samples_hash_outer" && problem.contains("inner_map_idx 9")),
        "{e:?}"
    );
}

#[test]
fn legacy_entries_of_an_unknown_size_are_refused() {
    // Shrink `maps` of the 20-byte object to 24 bytes: 3 symbols of 20 bytes no longer fit.
    let mut d = bytes("legacy_libbpf.bpf.o");
    let maps = section(&d, "maps");
    set_section_size(&mut d, maps, 24);
    let e = object_error(BpfObject::parse(&d), "short maps");
    assert!(
        matches!(&e, ObjectError::Map { .. } | ObjectError::Section { .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Slot arithmetic in `.rel.maps`.

/// The byte offset of field `field` (0 r_offset, 8 r_info) of relocation `index` of `.rel.maps`.
fn rel_field(d: &[u8], index: usize, field: usize) -> usize {
    section(d, ".rel.maps").offset + 16 * index + field
}

#[test]
fn a_relocation_between_slots_is_refused() {
    // pinning.bpf.o: pinned_outer @0x40, values at +32; row 0 is at 0x60 (slot 0).
    let mut d = bytes("pinning.bpf.o");
    assert_eq!(u64_at(&d, rel_field(&d, 0, 0)), 0x60);
    d.put_u64(rel_field(&d, 0, 0), 0x64);
    let e = object_error(BpfObject::parse(&d), "r_offset 0x64");
    assert!(
        matches!(&e, ObjectError::Reloc { index: 0, offset: 0x64, problem } if problem.contains("not a multiple of 8")),
        "{e:?}"
    );
    // Moving the row by 8 moves the slot: slot 1.
    d.put_u64(rel_field(&d, 0, 0), 0x68);
    let obj = BpfObject::parse(&d).expect("parse");
    let slots: Vec<(u32, &str)> = obj
        .map("pinned_outer")
        .unwrap()
        .slots
        .iter()
        .map(|s| (s.index, s.map.as_str()))
        .collect();
    assert_eq!(slots, [(1, "pin_in0"), (2, "pin_in2")]);
    // Before `values` (inside the `type` field): refused.
    d.put_u64(rel_field(&d, 0, 0), 0x48);
    let e = object_error(BpfObject::parse(&d), "r_offset 0x48");
    assert!(
        matches!(&e, ObjectError::Reloc { problem, .. } if problem.contains("before its `values`")),
        "{e:?}"
    );
    // Onto a slot another row already fills: the same slot declared twice.
    d.put_u64(rel_field(&d, 0, 0), 0x70);
    let e = object_error(BpfObject::parse(&d), "two rows at 0x70");
    assert_eq!(
        e,
        ObjectError::Rule {
            map: "pinned_outer".into(),
            rule: Rule::DuplicateSlot(2)
        }
    );
}

#[test]
fn a_relocation_of_another_type_or_symbol_is_refused() {
    let clean = bytes("pinning.bpf.o");
    // Type 3 (R_BPF_64_ABS32) instead of 2.
    let mut d = clean.clone();
    let info = u64_at(&d, rel_field(&d, 0, 8));
    d.put_u64(rel_field(&d, 0, 8), (info & !0xffff_ffff) | 3);
    let e = object_error(BpfObject::parse(&d), "type 3");
    assert!(
        matches!(&e, ObjectError::Reloc { index: 0, problem, .. } if problem.contains("relocation type 3")),
        "{e:?}"
    );
    // A symbol that is not a map of `.maps`: symbol 1 is the FILE symbol.
    let mut d = clean.clone();
    d.put_u64(rel_field(&d, 0, 8), (1 << 32) | 2);
    let e = object_error(BpfObject::parse(&d), "FILE symbol");
    assert!(matches!(&e, ObjectError::Reloc { index: 0, .. }), "{e:?}");
    // A symbol index past the table.
    let mut d = clean;
    d.put_u64(rel_field(&d, 1, 8), (999 << 32) | 2);
    let e = object_error(BpfObject::parse(&d), "symbol 999");
    assert!(
        matches!(&e, ObjectError::Reloc { index: 1, problem, .. } if problem.contains("999")),
        "{e:?}"
    );
}

#[test]
fn a_slot_with_an_addend_is_refused() {
    // pinning.bpf.o: slot 0 of pinned_outer is the word at 0x60 of `.maps`, relocated by row 0.
    // A non-zero word there is an implicit addend: `&pin_in0 + 8`, a pointer into a map.
    let mut d = bytes("pinning.bpf.o");
    let word = section(&d, ".maps").offset + 0x60;
    assert_eq!(u64_at(&d, word), 0);
    d.put_u64(word, 8);
    let e = object_error(BpfObject::parse(&d), "addend 8");
    assert!(
        matches!(&e, ObjectError::Reloc { index: 0, offset: 0x60, problem } if problem.contains("non-zero addend")),
        "{e:?}"
    );
}

#[test]
fn a_relocation_outside_every_map_is_refused() {
    let mut d = bytes("pinning.bpf.o");
    d.put_u64(rel_field(&d, 1, 0), 0x1000);
    let e = object_error(BpfObject::parse(&d), "r_offset 0x1000");
    assert!(
        matches!(
            &e,
            ObjectError::Reloc {
                index: 1,
                offset: 0x1000,
                ..
            }
        ),
        "{e:?}"
    );
    // Inside a map without `values`.
    d.put_u64(rel_field(&d, 1, 0), 0x80);
    let e = object_error(BpfObject::parse(&d), "r_offset 0x80");
    assert!(
        matches!(&e, ObjectError::Reloc { problem, .. } if problem.contains("pinned_hash") && problem.contains("no `values`")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Byte order.

#[test]
fn big_endian_parses_with_the_same_values() {
    assert_table("big_endian.bpf.o");
    let obj = open("big_endian.bpf.o");
    assert_eq!(obj.endian(), Endian::Big);
    assert_eq!(open("dense_values.bpf.o").endian(), Endian::Little);
}

#[test]
fn big_endian_is_refused_for_loading() {
    let obj = open("big_endian.bpf.o");
    let e = obj.check_byte_order().unwrap_err();
    assert_eq!(
        e,
        ObjectError::WrongByteOrder {
            object: "big",
            host: "little"
        }
    );
    assert!(
        e.to_string().contains("wrong byte order for this host"),
        "{e}"
    );
    assert!(open("seed_devmap.bpf.o").check_byte_order().is_ok());
    // `load` refuses it before any bpf(2) call, so this needs no privilege.
    let before = bpfmaps::syscall_count();
    let err = loader::load(&obj, &LoadOptions::new()).unwrap_err();
    assert_eq!(bpfmaps::syscall_count(), before, "no bpf(2) call");
    assert!(
        matches!(err, Error::Object(ObjectError::WrongByteOrder { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("wrong byte order for this host"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown fields.

#[test]
fn unknown_field_is_refused_naming_map_and_field() {
    let e = object_error(
        BpfObject::open(fixture("refuse_unknown_field.bpf.o")),
        "refuse_unknown_field",
    );
    assert_eq!(
        e,
        ObjectError::UnknownField {
            map: "frobnicated".into(),
            field: "frobnicate".into()
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("frobnicated") && text.contains("'frobnicate'"),
        "{text}"
    );
}

#[test]
fn relaxed_parse_skips_an_unknown_field_with_a_warning() {
    let relaxed = ParseOptions { relaxed: true };
    let obj =
        BpfObject::open_with(fixture("refuse_unknown_field.bpf.o"), relaxed).expect("relaxed");
    assert_eq!(
        rendered(&obj),
        ["frobnicated @0x0/40: HASH(1) k=4 v=4 max=4 flags=0 extra=0 pin=0"]
    );
    assert_eq!(obj.warnings().len(), 1, "{:?}", obj.warnings());
    let w = &obj.warnings()[0];
    assert!(w.contains("frobnicated") && w.contains("frobnicate"), "{w}");
    let from_bytes =
        BpfObject::parse_with(&bytes("refuse_unknown_field.bpf.o"), relaxed).expect("relaxed");
    assert_eq!(from_bytes.maps(), obj.maps());
    assert_eq!(from_bytes.warnings(), obj.warnings());
    // The relaxed object passes the load checks.
    loader::check(&obj, &LoadOptions::new()).expect("check");
    // A relaxed parse of a clean object warns about nothing.
    let clean = BpfObject::open_with(fixture("seed_devmap.bpf.o"), relaxed).expect("clean");
    assert!(clean.warnings().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The checks made before the kernel.

/// `loader::check` on `file` fails with `Error::Object(ObjectError::Rule { map, rule })`;
/// returns the rule after checking the map name and that the message names the map and says
/// `words`.
fn refused(file: &str, map: &str, words: &str) -> Rule {
    let obj = open(file);
    let before = bpfmaps::syscall_count();
    let err = loader::check(&obj, &LoadOptions::new()).unwrap_err();
    assert_eq!(
        bpfmaps::syscall_count(),
        before,
        "{file}: check made a bpf(2) call"
    );
    let text = err.to_string();
    assert!(text.contains(&format!("map '{map}'")), "{file}: {text}");
    assert!(text.contains(words), "{file}: {text:?} lacks {words:?}");
    match err {
        Error::Object(ObjectError::Rule { map: m, rule }) => {
            assert_eq!(m, map, "{file}");
            rule
        }
        other => panic!("{file}: expected a Rule, got {other:?}"),
    }
}

#[test]
fn refuse_nested() {
    let rule = refused("refuse_nested.bpf.o", "nested_outer", "multi-level nesting");
    assert_eq!(rule, Rule::Nested);
}

#[test]
fn refuse_prog_array_inner() {
    let rule = refused(
        "refuse_prog_array_inner.bpf.o",
        "prog_array_outer",
        "cannot be an inner map",
    );
    assert_eq!(rule, Rule::InnerUnsupported(MapType::PROG_ARRAY));
}

#[test]
fn refuse_storage_inner() {
    let rule = refused(
        "refuse_storage_inner.bpf.o",
        "storage_outer",
        "cannot be an inner map",
    );
    assert_eq!(rule, Rule::InnerUnsupported(MapType::CGROUP_STORAGE));
}

#[test]
fn refuse_values_on_plain() {
    let rule = refused(
        "refuse_values_on_plain.bpf.o",
        "plain_with_values",
        "declares `values`",
    );
    assert_eq!(rule, Rule::ValuesOnPlain(MapType::HASH));
}

#[test]
fn refuse_slot_out_of_range() {
    let rule = refused(
        "refuse_slot_out_of_range.bpf.o",
        "range_outer",
        "slot 6 is declared but the map has max_entries 4",
    );
    assert_eq!(
        rule,
        Rule::SlotOutOfRange {
            index: 6,
            max_entries: 4
        }
    );
    // The slot is read from the relocation at 0x68 = 0x20 + 24 + 8·6.
    let obj = open("refuse_slot_out_of_range.bpf.o");
    let def = obj.map("range_outer").unwrap();
    assert_eq!((def.offset, def.size), (0x20, 80));
    assert_eq!(def.slots.len(), 1);
    assert_eq!((def.slots[0].index, def.slots[0].map.as_str()), (6, "m"));
}

#[test]
fn refuse_no_inner() {
    let rule = refused(
        "refuse_no_inner.bpf.o",
        "no_inner_outer",
        "needs an inner template",
    );
    assert_eq!(rule, Rule::NoTemplate);
}

#[test]
fn refuse_inner_mismatch_value() {
    let rule = refused(
        "refuse_inner_mismatch_value.bpf.o",
        "value_mismatch_outer",
        "value_size 16 does not match the template's 8",
    );
    assert_eq!(
        rule,
        Rule::InnerMismatch {
            index: 0,
            inner: "value16_inner".into(),
            mismatch: InnerMismatch::Field {
                field: "value_size",
                inner: 16,
                template: 8
            }
        }
    );
}

#[test]
fn refuse_inner_mismatch_type() {
    let rule = refused(
        "refuse_inner_mismatch_type.bpf.o",
        "type_mismatch_outer",
        "declared inner map 'lru_inner'",
    );
    assert_eq!(
        rule,
        Rule::InnerMismatch {
            index: 0,
            inner: "lru_inner".into(),
            mismatch: InnerMismatch::MapType {
                inner: MapType::LRU_HASH,
                template: MapType::HASH
            }
        }
    );
}

#[test]
fn refuse_inner_mismatch_entries() {
    let rule = refused(
        "refuse_inner_mismatch_entries.bpf.o",
        "entries_mismatch_outer",
        "max_entries 16 does not match the template's 8",
    );
    assert_eq!(
        rule,
        Rule::InnerMismatch {
            index: 0,
            inner: "array16_inner".into(),
            mismatch: InnerMismatch::Field {
                field: "max_entries",
                inner: 16,
                template: 8
            }
        }
    );
}

#[test]
fn refuse_inner_mismatch_key() {
    let rule = refused(
        "refuse_inner_mismatch_key.bpf.o",
        "key_mismatch_outer",
        "key_size 8 does not match the template's 4",
    );
    assert_eq!(
        rule,
        Rule::InnerMismatch {
            index: 0,
            inner: "key8_inner".into(),
            mismatch: InnerMismatch::Field {
                field: "key_size",
                inner: 8,
                template: 4
            }
        }
    );
}

#[test]
fn refuse_inner_mismatch_flags() {
    let rule = refused(
        "refuse_inner_mismatch_flags.bpf.o",
        "flags_mismatch_outer",
        "map_flags 0x1 does not match the template's 0x0",
    );
    assert_eq!(
        rule,
        Rule::InnerMismatch {
            index: 0,
            inner: "noprealloc_inner".into(),
            mismatch: InnerMismatch::Flags {
                inner: 1,
                template: 0
            }
        }
    );
    // Both maps are what the table says: only the flags differ.
    let obj = open("refuse_inner_mismatch_flags.bpf.o");
    let inner = &obj.map("noprealloc_inner").unwrap().attrs;
    let template = obj
        .map("flags_mismatch_outer")
        .unwrap()
        .attrs
        .inner
        .as_deref()
        .unwrap();
    assert_eq!(
        (
            inner.map_type,
            inner.key_size,
            inner.value_size,
            inner.max_entries
        ),
        (
            template.map_type,
            template.key_size,
            template.value_size,
            template.max_entries
        )
    );
    assert_eq!((inner.flags.bits(), template.flags.bits()), (1, 0));
}

#[test]
fn refuse_hash_slot_key() {
    let rule = refused(
        "refuse_hash_slot_key.bpf.o",
        "key8_outer",
        "needs a 4-byte key, but the key is 8 bytes",
    );
    assert_eq!(rule, Rule::SlotKeySize(8));
}

#[test]
fn refuse_pinned_inner() {
    let rule = refused(
        "refuse_pinned_inner.bpf.o",
        "pinned_inner_outer",
        "asks for pinning",
    );
    assert_eq!(rule, Rule::PinnedInner);
}

#[test]
fn refuse_outer_value_size() {
    let rule = refused(
        "refuse_outer_value_size.bpf.o",
        "value_size_outer",
        "value_size must be 4",
    );
    assert_eq!(rule, Rule::Refused(Refusal::OuterValueSize(8)));
}

#[test]
fn refuse_inner_map_flag_on_hash() {
    let rule = refused(
        "refuse_inner_map_flag_on_hash.bpf.o",
        "flagged_hash_outer",
        "BPF_F_INNER_MAP is accepted only on array maps",
    );
    assert_eq!(
        rule,
        Rule::Refused(Refusal::InnerMapFlagNotArray(MapType::HASH))
    );
}

#[test]
fn every_refusal_fixture_parses() {
    // The objects are well-formed: the refusal comes from the checks, not from the parser
    // (except the unknown field, which the parser refuses by design).
    let mut n = 0;
    for name in common::fixture_names(|n| n.starts_with("refuse_")) {
        n += 1;
        if name == "refuse_unknown_field.bpf.o" {
            continue;
        }
        let obj = open(&name);
        assert!(
            loader::check(&obj, &LoadOptions::new()).is_err(),
            "{name} passed the checks"
        );
    }
    assert_eq!(n, 16);
}

#[test]
fn check_accepts_every_valid_fixture() {
    for file in expected::VALID {
        if *file == "legacy_libbpf.bpf.o" {
            continue;
        }
        let obj = open(file);
        let before = bpfmaps::syscall_count();
        loader::check(&obj, &LoadOptions::new()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            bpfmaps::syscall_count(),
            before,
            "{file}: check made a bpf(2) call"
        );
    }
}

#[test]
fn legacy_libbpf_needs_a_template_from_the_caller() {
    let obj = open("legacy_libbpf.bpf.o");
    match loader::check(&obj, &LoadOptions::new()) {
        Err(Error::Object(ObjectError::Rule {
            map,
            rule: Rule::NoTemplate,
        })) => {
            assert_eq!(map, "legacy_outer");
        }
        other => panic!("expected NoTemplate, got {other:?}"),
    }
    let with = LoadOptions::new().template("legacy_outer", MapSpec::new(MapType::ARRAY, 4, 4, 4));
    loader::check(&obj, &with).expect("with a template");
    // A template the kernel would refuse is refused by the check too.
    let outer = LoadOptions::new().template("legacy_outer", MapSpec::array_of_maps(4));
    match loader::check(&obj, &outer) {
        Err(Error::Object(ObjectError::Rule {
            map,
            rule: Rule::Refused(Refusal::NestedOuter),
        })) => {
            assert_eq!(map, "legacy_outer");
        }
        other => panic!("expected NestedOuter, got {other:?}"),
    }
    let prog =
        LoadOptions::new().template("legacy_outer", MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4));
    assert!(matches!(
        loader::check(&obj, &prog),
        Err(Error::Object(ObjectError::Rule { rule: Rule::Refused(Refusal::InnerTypeUnsupported(t)), .. })) if t == MapType::PROG_ARRAY
    ));
}

#[test]
fn a_caller_template_replaces_the_objects_and_is_checked_against_declared_slots() {
    // dense_values' slots hold ARRAY k=4 v=8 max=8; a template with value 16 no longer fits.
    let obj = open("dense_values.bpf.o");
    let opts = LoadOptions::new().template("outer", MapSpec::new(MapType::ARRAY, 4, 16, 8));
    match loader::check(&obj, &opts) {
        Err(Error::Object(ObjectError::Rule {
            map,
            rule: Rule::InnerMismatch {
                index: 0, inner, ..
            },
        })) => {
            assert_eq!((map.as_str(), inner.as_str()), ("outer", "in0"));
        }
        other => panic!("expected InnerMismatch, got {other:?}"),
    }
    // The same template as the object's passes.
    let same = LoadOptions::new().template("outer", MapSpec::new(MapType::ARRAY, 4, 8, 8));
    loader::check(&obj, &same).expect("same template");
}

#[test]
fn check_sees_the_callers_changes() {
    let obj = open("dense_values.bpf.o");
    // Skipping a declared inner map leaves its slot naming a map that is not loaded.
    match loader::check(&obj, &LoadOptions::new().skip("in1")) {
        Err(Error::Object(ObjectError::Rule {
            map,
            rule: Rule::SlotMapMissing { index: 1, inner },
        })) => {
            assert_eq!((map.as_str(), inner.as_str()), ("outer", "in1"));
        }
        other => panic!("expected SlotMapMissing, got {other:?}"),
    }
    // Skipping the outer map too is fine.
    loader::check(&obj, &LoadOptions::new().skip("in1").skip("outer")).expect("both skipped");
    // Shrinking the outer array below a declared slot.
    match loader::check(&obj, &LoadOptions::new().max_entries("outer", 2)) {
        Err(Error::Object(ObjectError::Rule {
            rule:
                Rule::SlotOutOfRange {
                    index: 2,
                    max_entries: 2,
                },
            ..
        })) => {}
        other => panic!("expected SlotOutOfRange, got {other:?}"),
    }
    // Resizing a declared ARRAY inner map whose template has no BPF_F_INNER_MAP.
    match loader::check(&obj, &LoadOptions::new().max_entries("in0", 16)) {
        Err(Error::Object(ObjectError::Rule {
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
        })) => {
            assert_eq!((map.as_str(), inner.as_str()), ("outer", "in0"));
        }
        other => panic!("expected InnerMismatch, got {other:?}"),
    }
    // With BPF_F_INNER_MAP on the template, inner arrays may be resized.
    let flex = open("inner_map_flag.bpf.o");
    loader::check(&flex, &LoadOptions::new().max_entries("flex_4", 128)).expect("flexible size");
}

#[test]
fn unsupported_pinning_is_refused() {
    // iproute2 PIN_OBJECT_NS (1) is not supported: patch elf_outer's pinning word (6).
    let mut d = bytes("legacy_iproute2.bpf.o");
    d.put_u32(legacy_word(&d, 36, 1, 6), 1);
    let obj = BpfObject::parse(&d).expect("parse");
    assert_eq!(
        obj.map("elf_outer").unwrap().attrs.pinning,
        Pinning::Unsupported(1)
    );
    match loader::check(&obj, &LoadOptions::new()) {
        Err(Error::Object(ObjectError::Rule {
            map,
            rule: Rule::PinningUnsupported(1),
        })) => {
            assert_eq!(map, "elf_outer");
        }
        other => panic!("expected PinningUnsupported, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Damaged input: typed errors, never a panic.

#[test]
fn every_truncation_of_small_objects_is_a_typed_error() {
    for file in ["legacy_libbpf.bpf.o", "pinning.bpf.o", "big_endian.bpf.o"] {
        let d = bytes(file);
        for len in 0..d.len() {
            match BpfObject::parse(&d[..len]) {
                Err(Error::Object(_)) => {}
                Err(other) => panic!("{file} cut at {len}: {other:?}"),
                Ok(_) => panic!("{file} cut at {len} parsed"),
            }
        }
    }
}

#[test]
fn truncations_at_interesting_offsets() {
    let d = bytes("pinning.bpf.o");
    let btf = section(&d, ".BTF");
    let maps = section(&d, ".maps");
    let cuts = [
        ("empty", 0),
        ("inside the ELF header", 10),
        ("at the end of the ELF header", 63),
        ("inside .maps", maps.offset + maps.size / 2),
        ("inside .BTF", btf.offset + btf.size / 2),
        ("inside the section headers", e_shoff(&d) + 64 * 3 + 7),
        ("one byte short", d.len() - 1),
    ];
    for (what, len) in cuts {
        let e = object_error(BpfObject::parse(&d[..len]), what);
        assert!(matches!(e, ObjectError::Elf(_)), "{what}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn a_btf_section_cut_short_is_a_btf_error() {
    // The section headers stay; `.BTF` claims fewer bytes than its header describes.
    let clean = bytes("pinning.bpf.o");
    let btf = section(&clean, ".BTF");
    for size in 0..btf.size {
        let mut d = clean.clone();
        set_section_size(&mut d, btf, size);
        let e = object_error(BpfObject::parse(&d), &format!(".BTF of {size} bytes"));
        assert!(
            matches!(e, ObjectError::Btf(_)),
            ".BTF of {size} bytes: {e:?}"
        );
    }
}

#[test]
fn a_maps_section_cut_short_names_the_map_outside_it() {
    let mut d = bytes("pinning.bpf.o");
    let maps = section(&d, ".maps");
    assert_eq!(maps.size, 0xc0);
    set_section_size(&mut d, maps, 0xb0);
    let e = object_error(BpfObject::parse(&d), ".maps of 0xb0 bytes");
    assert!(
        matches!(&e, ObjectError::Map { map, problem } if map == "not_pinned" && problem.contains("outside .maps")),
        "{e:?}"
    );
}

#[test]
fn a_legacy_maps_section_cut_short_is_refused() {
    let clean = bytes("legacy_iproute2.bpf.o");
    let maps = section(&clean, "maps");
    for size in 0..maps.size {
        let mut d = clean.clone();
        set_section_size(&mut d, maps, size);
        let e = object_error(BpfObject::parse(&d), &format!("maps of {size} bytes"));
        assert!(
            matches!(e, ObjectError::Map { .. } | ObjectError::Section { .. }),
            "maps of {size} bytes: {e:?}"
        );
    }
}

#[test]
fn a_section_past_the_end_of_the_file_is_refused() {
    let mut d = bytes("pinning.bpf.o");
    let btf = section(&d, ".BTF");
    d.put_u64(btf.header + 24, 1 << 40);
    let e = object_error(BpfObject::parse(&d), ".BTF offset 2^40");
    assert!(
        matches!(&e, ObjectError::Section { section, .. } if section == ".BTF"),
        "{e:?}"
    );
}

#[test]
fn non_elf_input_is_a_typed_error() {
    // A C source file.
    let e = object_error(BpfObject::open(fixture("seed_devmap.bpf.c")), "a .c file");
    assert!(matches!(e, ObjectError::Elf(_)), "{e:?}");
    // Nothing at all, from memory and from an empty file.
    assert!(matches!(
        BpfObject::parse(&[]),
        Err(Error::Object(ObjectError::Elf(_)))
    ));
    let empty = std::env::temp_dir().join(format!("bpfmaps-elf-empty-{}", std::process::id()));
    std::fs::write(&empty, b"").unwrap();
    let result = BpfObject::open(&empty);
    std::fs::remove_file(&empty).unwrap();
    assert!(
        matches!(result, Err(Error::Object(ObjectError::Elf(_)))),
        "{result:?}"
    );
    // A file that does not exist.
    match BpfObject::open(fixture("no_such.bpf.o")) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("no_such.bpf.o")),
        other => panic!("expected Io, got {other:?}"),
    }
    // A directory.
    assert!(BpfObject::open(fixture("")).is_err());
    // An ELF file for another machine (e_machine 62, x86-64).
    let mut d = bytes("dense_values.bpf.o");
    d[0x12..0x14].copy_from_slice(&62u16.to_le_bytes());
    assert_eq!(
        object_error(BpfObject::parse(&d), "x86-64"),
        ObjectError::NotBpf(62)
    );
    // A 32-bit ELF header.
    let mut d = bytes("dense_values.bpf.o");
    d[4] = 1;
    assert!(matches!(
        object_error(BpfObject::parse(&d), "ELFCLASS32"),
        ObjectError::Elf(_)
    ));
}

#[test]
fn a_fifo_or_a_device_is_refused_without_waiting() {
    let dir = std::env::temp_dir().join(format!("bpfmaps-elf-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("object.bpf.o");
    let _ = std::fs::remove_file(&fifo);
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    // Opening a FIFO with no writer blocks a plain open(2) for reading forever: run it on a
    // thread so that a regression fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(BpfObject::open(&path));
    });
    let result = rx.recv_timeout(std::time::Duration::from_secs(10));
    // With no writer ever, a thread stuck in open(2) can be released by opening for writing.
    if result.is_err() {
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    }
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    let result = result.expect("BpfObject::open on a FIFO did not return within 10 s");
    let e = object_error(result, "a FIFO");
    assert_eq!(
        e,
        ObjectError::NotAFile {
            path: fifo.clone(),
            kind: "FIFO"
        }
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: not a regular file but a FIFO",
            fifo.display()
        )),
        "{text}"
    );
    // A character device: refused the same way, without a read.
    let e = object_error(BpfObject::open("/dev/null"), "/dev/null");
    assert_eq!(
        e,
        ObjectError::NotAFile {
            path: "/dev/null".into(),
            kind: "character device"
        }
    );
    // A directory keeps its own error (EISDIR, naming the path).
    match BpfObject::open(fixture("")) {
        Err(Error::Io { path, source }) => {
            assert_eq!(path, fixture(""));
            assert_eq!(source.raw_os_error(), Some(libc::EISDIR));
        }
        other => panic!("expected Io EISDIR, got {other:?}"),
    }
}

#[test]
fn btf_maps_without_btf_are_refused() {
    // Rename `.BTF` so the parser does not find it: `.maps` cannot be read without it.
    let mut d = bytes("pinning.bpf.o");
    rename_section(&mut d, ".BTF", ".XTF");
    let e = object_error(BpfObject::parse(&d), "no .BTF");
    assert!(
        matches!(&e, ObjectError::Section { section, .. } if section == ".maps"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// BTF whose DATASEC is already fixed.

#[test]
fn btf_with_datasec_already_fixed_parses_identically() {
    for file in [
        "seed_devmap.bpf.o",
        "sparse_values.bpf.o",
        "outer_first.bpf.o",
        "inner_types.bpf.o",
        "pinning.bpf.o",
        "load_20x5.bpf.o",
    ] {
        let d = with_fixed_datasec(file);
        // The fixed object really has the offsets in its DATASEC now.
        let btf_sec = section(&d, ".BTF");
        let btf = Btf::parse(&d[btf_sec.offset..btf_sec.offset + btf_sec.size]).unwrap();
        let (_, datasec) = btf.datasec(".maps").unwrap();
        assert_eq!(datasec.size as usize, section(&d, ".maps").size);
        let offsets: Vec<u32> = datasec.entries.iter().map(|e| e.offset).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{file}: {offsets:?}"
        );
        for entry in &datasec.entries {
            let Type::Var(var) = btf.type_by_id(entry.type_id).unwrap() else {
                panic!("not a VAR")
            };
            let def = open(file).map(var.name).cloned().unwrap();
            assert_eq!(
                (entry.offset as u64, entry.size as u64),
                (def.offset, def.size)
            );
        }
        let fixed = BpfObject::parse(&d).expect("parse fixed");
        let original = open(file);
        assert_eq!(fixed.maps(), original.maps(), "{file}");
        loader::check(&fixed, &LoadOptions::new()).expect("check");
    }
}

#[test]
fn a_pinned_map_name_must_be_a_file_name() {
    // Symbol names come from the object: `../pinned_h` would pin outside the pin root, and
    // `pinned/hash` in a directory of its own. Both are refused before any syscall.
    for bad in ["../pinned_h", "pinned/hash", "/tmp/pinned"] {
        let mut d = bytes("pinning.bpf.o");
        assert!(patch::rename(&mut d, "pinned_hash", bad) >= 2, "{bad}");
        let obj = BpfObject::parse(&d).expect("parse");
        let err = loader::check(&obj, &LoadOptions::new()).unwrap_err();
        match &err {
            Error::Object(ObjectError::Map { map, problem }) => {
                assert_eq!(map, bad);
                assert!(problem.contains("not a file name"), "{problem}");
            }
            other => panic!("{bad}: expected ObjectError::Map, got {other:?}"),
        }
    }
    // Not pinned, the same name is only a name.
    let mut d = bytes("pinning.bpf.o");
    assert!(patch::rename(&mut d, "not_pinned", "../not_pin") >= 2);
    let obj = BpfObject::parse(&d).expect("parse");
    loader::check(&obj, &LoadOptions::new()).expect("an unpinned map may have any name");
}

#[test]
fn a_datasec_listing_one_map_twice_is_refused() {
    let mut d = bytes("hash_of_maps.bpf.o");
    let btf_sec = section(&d, ".BTF");
    let (first, entry_at) = {
        let btf = Btf::parse(&d[btf_sec.offset..btf_sec.offset + btf_sec.size]).expect("btf");
        let (id, datasec) = btf.datasec(".maps").expect(".maps DATASEC");
        assert!(datasec.entries.len() >= 2);
        // Entries follow the 12-byte type header: (type, offset, size), 4 bytes each.
        let at = btf_sec.offset + btf.type_offset(id).expect("record") + 12;
        (datasec.entries[0].type_id, at)
    };
    let first_name = {
        let obj = BpfObject::parse(&d).expect("the fixture parses");
        obj.maps()[0].name.clone()
    };
    d.put_u32(entry_at + 12, first.get());
    let err = BpfObject::parse(&d).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("map '{first_name}': defined twice")
    );
}
