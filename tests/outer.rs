//! `OuterMap` against the running kernel: creation from a spec or a borrowed template, every
//! refusal made before the syscall (proven: no bpf(2) call, no fd, no map id), inner maps that
//! always fit, the checks of inserted maps, lookups that give ids and opens that give owned
//! handles, iteration, batches on both outer types, the registry, reopening, and the seed's
//! walkthrough.
//!
//! Every test holds `common::serial()`: several compare fds and map ids before and after, so
//! no other test of this binary may create maps or fds meanwhile.

mod common;
mod handmade_btf;
mod state;

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd};

use bpfmaps::{
    Errno, Error, InnerMismatch, InnerShape, LoadedBtf, Map, MapFlags, MapId, MapSpec, MapType,
    OpenFlags, OuterMap, Pod, Refusal, UpdateFlags,
};

fn named(spec: MapSpec, name: &str) -> MapSpec {
    spec.with_name(name).expect("valid name")
}

/// The ids of `maps`.
fn ids_of<'a>(maps: impl IntoIterator<Item = &'a Map>) -> BTreeSet<u32> {
    maps.into_iter().map(|m| m.id().get()).collect()
}

/// Asserts that none of `ids` exists any more, once the kernel has had its grace periods.
#[track_caller]
fn assert_gone(ids: &BTreeSet<u32>) {
    let left = common::wait_gone(ids);
    assert!(left.is_empty(), "maps still alive: {left:?}");
}

#[test]
fn create_from_a_spec_template() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let template = MapSpec::new(MapType::HASH, 4, 8, 16)
        .with_flags(MapFlags::NO_PREALLOC)
        .with_name("o_tmpl_name")
        .unwrap();

    for outer_spec in [
        named(MapSpec::array_of_maps(8), "o_spec_arr"),
        named(MapSpec::hash_of_maps(4, 8), "o_spec_hash"),
    ] {
        let outer = OuterMap::create(&outer_spec, &template).unwrap();
        // One fd: the template map the crate made was closed before create returned.
        state::assert_fds("after create", &{
            let mut f = fds.clone();
            f.insert(outer.as_fd().as_raw_fd());
            f
        });
        let info = outer.info();
        assert_eq!(info.map_type(), outer_spec.map_type());
        assert_eq!(
            (info.key_size(), info.value_size(), info.max_entries()),
            (4, 4, 8)
        );
        assert_eq!(info.name(), outer_spec.name());
        assert_eq!(outer.id(), info.id());
        assert_eq!(outer.as_map().id(), info.id());
        // The template is remembered without its name (inner maps get their own).
        let remembered = outer.template().unwrap();
        assert_eq!(
            remembered,
            &template.clone().with_map_name(Default::default())
        );

        let inner = outer.new_inner("o_spec_in").unwrap();
        assert_eq!(inner.info().name().as_str(), "o_spec_in");
        assert_eq!(inner.info().flags(), MapFlags::NO_PREALLOC);
        outer.insert(&1u32, &inner).unwrap();
        assert_eq!(outer.lookup(&1u32).unwrap(), Some(inner.id()));
        let ids = ids_of([&inner, outer.as_map()]);
        drop((inner, outer));
        state::assert_fds("after drop", &fds);
        assert_gone(&ids);
    }
}

#[test]
fn create_from_a_borrowed_map_template() {
    let _guard = common::serial();
    require_kernel!();
    let template = Map::create(
        &MapSpec::new(MapType::LRU_HASH, 8, 16, 32)
            .with_name("o_borrowed_t")
            .unwrap()
            .with_flags(MapFlags::NO_COMMON_LRU),
    )
    .unwrap();
    let outer =
        OuterMap::create(&named(MapSpec::array_of_maps(4), "o_borrowed"), &template).unwrap();
    // The template is borrowed for the call only.
    let template_info = *template.info();
    drop(template);

    // What the crate remembers is what the kernel reported about the template.
    let remembered = outer.template().unwrap();
    assert_eq!(remembered.map_type(), MapType::LRU_HASH);
    assert_eq!(
        (
            remembered.key_size(),
            remembered.value_size(),
            remembered.max_entries()
        ),
        (8, 16, 32)
    );
    assert_eq!(remembered.flags(), MapFlags::NO_COMMON_LRU);
    let inner = outer.new_inner("o_borrowed_in").unwrap();
    assert_eq!(
        InnerShape::of_info(inner.info()),
        InnerShape::of_info(&template_info)
    );
    outer.insert(&0u32, &inner).unwrap();
    inner.put(&1u64, &[7u32; 4], UpdateFlags::ANY).unwrap();
    let opened = outer.get(&0u32).unwrap().unwrap();
    assert_eq!(opened.get::<u64, [u32; 4]>(&1).unwrap(), Some([7; 4]));

    // A BorrowedFd works as a template as well.
    let t2 = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 2)).unwrap();
    let outer2 = OuterMap::create(&MapSpec::hash_of_maps(2, 4), t2.as_fd()).unwrap();
    assert_eq!(outer2.template().unwrap().map_type(), MapType::ARRAY);
    // So does anything that lends a map's fd, an OwnedFd among them.
    let owned: std::os::fd::OwnedFd = t2.into_fd();
    let outer3 = OuterMap::create(&MapSpec::array_of_maps(2), &owned).unwrap();
    assert_eq!(outer3.template().unwrap().map_type(), MapType::ARRAY);
}

#[test]
fn every_refusal_comes_before_the_syscall() {
    let _guard = common::serial();
    require_kernel!();
    let aom = MapSpec::array_of_maps(4);
    let hash = MapSpec::new(MapType::HASH, 4, 4, 4);
    // Maps used as borrowed templates, made before the checks start.
    let outer = OuterMap::create(&aom, &hash).unwrap();
    let prog_array = Map::create(&MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4)).unwrap();

    let refused = |what: &str, calls: u64, op: &dyn Fn() -> bpfmaps::Result<OuterMap>| {
        let err = state::traceless(what, calls, || op().map(drop).unwrap_err());
        match err {
            Error::Refused { refusal, .. } => refusal,
            other => panic!("{what}: expected Error::Refused, got {other:?}"),
        }
    };

    assert_eq!(
        refused("outer spec as template", 0, &|| OuterMap::create(
            &aom, &aom
        )),
        Refusal::NestedOuter
    );
    assert_eq!(
        refused("hash of maps spec as template", 0, &|| {
            OuterMap::create(&aom, &MapSpec::hash_of_maps(4, 4))
        }),
        Refusal::NestedOuter
    );
    // A borrowed template is asked about once (BPF_OBJ_GET_INFO_BY_FD), then refused.
    assert_eq!(
        refused("outer map as template", 1, &|| OuterMap::create(
            &aom,
            outer.as_map()
        )),
        Refusal::NestedOuter
    );
    assert_eq!(
        refused("PROG_ARRAY spec as template", 0, &|| {
            OuterMap::create(&aom, &MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4))
        }),
        Refusal::InnerTypeUnsupported(MapType::PROG_ARRAY)
    );
    assert_eq!(
        refused("PROG_ARRAY map as template", 1, &|| OuterMap::create(
            &aom,
            &prog_array
        )),
        Refusal::InnerTypeUnsupported(MapType::PROG_ARRAY)
    );
    assert_eq!(
        refused("CGROUP_STORAGE as template", 0, &|| {
            OuterMap::create(&aom, &MapSpec::new(MapType::CGROUP_STORAGE, 8, 8, 0))
        }),
        Refusal::InnerTypeUnsupported(MapType::CGROUP_STORAGE)
    );
    assert_eq!(
        refused("outer value size 8", 0, &|| {
            OuterMap::create(&MapSpec::new(MapType::ARRAY_OF_MAPS, 4, 8, 4), &hash)
        }),
        Refusal::OuterValueSize(8)
    );
    assert_eq!(
        refused("hash of maps value size 0", 0, &|| {
            OuterMap::create(&MapSpec::new(MapType::HASH_OF_MAPS, 4, 0, 4), &hash)
        }),
        Refusal::OuterValueSize(0)
    );
    assert_eq!(
        refused("array of maps key 8", 0, &|| {
            OuterMap::create(&MapSpec::new(MapType::ARRAY_OF_MAPS, 8, 4, 4), &hash)
        }),
        Refusal::OuterArrayKeySize(8)
    );
    assert_eq!(
        refused("BPF_F_INNER_MAP on a hash template", 0, &|| {
            OuterMap::create(&aom, &hash.clone().with_flags(MapFlags::INNER_MAP))
        }),
        Refusal::InnerMapFlagNotArray(MapType::HASH)
    );
    assert_eq!(
        refused("BPF_F_INNER_MAP on the outer map", 0, &|| {
            OuterMap::create(&aom.clone().with_flags(MapFlags::INNER_MAP), &hash)
        }),
        Refusal::InnerMapFlagNotArray(MapType::ARRAY_OF_MAPS)
    );
    assert_eq!(
        refused("BTF ids on the outer spec", 0, &|| {
            OuterMap::create(&aom.clone().with_btf_type_ids(1, 2), &hash)
        }),
        Refusal::OuterBtfIds
    );
    assert_eq!(
        refused("a vmlinux value type id on the outer spec", 0, &|| {
            OuterMap::create(&aom.clone().with_btf_vmlinux_value_type_id(7), &hash)
        }),
        Refusal::OuterBtfIds
    );
    // BTF ids with no BTF object would make the kernel read btf_fd 0 as fd 0.
    assert_eq!(
        refused("a template spec with BTF ids but no BTF", 0, &|| {
            OuterMap::create(&aom, &hash.clone().with_btf_type_ids(1, 2))
        }),
        Refusal::BtfIdsWithoutBtf
    );
    let err = state::traceless("Map::create with BTF ids but no BTF", 0, || {
        Map::create(&hash.clone().with_btf_type_ids(1, 2)).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::BtfIdsWithoutBtf,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        refused("a hash as the outer spec", 0, &|| OuterMap::create(
            &hash, &hash
        )),
        Refusal::NotOuter(MapType::HASH)
    );
    for outer_type in [MapType::ARRAY_OF_MAPS, MapType::HASH_OF_MAPS] {
        let err = state::traceless("Map::create of an outer type", 0, || {
            Map::create(&MapSpec::new(outer_type, 4, 4, 4)).unwrap_err()
        });
        assert!(
            matches!(
                err,
                Error::Refused {
                    refusal: Refusal::OuterNeedsTemplate,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    // Writing an outer map through the byte API would take an fd number: refused.
    let err = state::traceless("byte update of an outer map", 0, || {
        outer
            .as_map()
            .update(&0u32.to_ne_bytes(), &3u32.to_ne_bytes(), UpdateFlags::ANY)
            .unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::OuterWriteNeedsMap,
                ..
            }
        ),
        "{err:?}"
    );
    let err = state::traceless("batch update of an outer map", 0, || {
        outer
            .as_map()
            .put_batch(&[0u32], &[3u32], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");

    // The messages say what is wrong and what to do.
    let err = OuterMap::create(
        &named(MapSpec::new(MapType::ARRAY_OF_MAPS, 4, 8, 4), "o_bad_value"),
        &hash,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'o_bad_value': an outer map's value_size must be 4 (an fd goes in, an id comes out), \
         not 8"
    );
    let err = OuterMap::create(
        &aom,
        &named(MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4), "o_progs"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'o_progs': a prog_array map cannot be an inner map: the kernel has no inner-map support \
         for it"
    );
    let err = Map::create(&named(MapSpec::array_of_maps(4), "o_no_tmpl")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "'o_no_tmpl': an outer map needs an inner template: create it with OuterMap::create"
    );
}

/// The templates `new_inner` is exercised with: one of each shape the kernel treats differently.
fn inner_templates() -> Vec<(&'static str, MapSpec)> {
    vec![
        ("devmap", MapSpec::new(MapType::DEVMAP, 4, 4, 64)),
        ("devmap_hash", MapSpec::new(MapType::DEVMAP_HASH, 4, 4, 8)),
        (
            "hash_noprealloc",
            MapSpec::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::NO_PREALLOC),
        ),
        (
            "array_inner_map",
            MapSpec::new(MapType::ARRAY, 4, 8, 16).with_flags(MapFlags::INNER_MAP),
        ),
        (
            "array_numa",
            MapSpec::new(MapType::ARRAY, 4, 8, 16).with_numa_node(0),
        ),
        ("lru_hash", MapSpec::new(MapType::LRU_HASH, 4, 8, 16)),
        ("percpu_array", MapSpec::new(MapType::PERCPU_ARRAY, 4, 8, 4)),
        ("percpu_hash", MapSpec::new(MapType::PERCPU_HASH, 4, 12, 4)),
        ("ringbuf", MapSpec::new(MapType::RINGBUF, 0, 0, 4096)),
        (
            "bloom",
            MapSpec::new(MapType::BLOOM_FILTER, 0, 4, 64).with_map_extra(3),
        ),
        ("queue", MapSpec::new(MapType::QUEUE, 0, 4, 8)),
        ("stack", MapSpec::new(MapType::STACK, 0, 8, 8)),
        (
            "lpm_trie",
            MapSpec::new(MapType::LPM_TRIE, 8, 8, 16).with_flags(MapFlags::NO_PREALLOC),
        ),
        // The kernel does not keep BPF_F_RDONLY in the map's flags (it makes the fd
        // read-only): new_inner's maps must still be accepted.
        (
            "hash_rdonly",
            MapSpec::new(MapType::HASH, 4, 4, 4).with_flags(MapFlags::RDONLY),
        ),
        (
            "hash_wronly",
            MapSpec::new(MapType::HASH, 4, 4, 4).with_flags(MapFlags::WRONLY),
        ),
        (
            "hash_rdonly_prog",
            MapSpec::new(MapType::HASH, 4, 4, 4).with_flags(MapFlags::RDONLY_PROG),
        ),
    ]
}

#[test]
fn new_inner_is_always_accepted() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let mut ids = BTreeSet::new();
    for (what, template) in inner_templates() {
        for outer_spec in [MapSpec::array_of_maps(4), MapSpec::hash_of_maps(4, 4)] {
            let outer =
                OuterMap::create(&outer_spec, &template).unwrap_or_else(|e| panic!("{what}: {e}"));
            let inner = outer
                .new_inner(&format!("o_{}", &what[..what.len().min(13)]))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            // The crate's view of the template and the kernel's view of the inner map agree.
            assert_eq!(
                InnerShape::of_spec(&template),
                InnerShape::of_info(inner.info()),
                "{what}"
            );
            outer
                .check_inner(inner.info())
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            outer
                .insert(&2u32, &inner)
                .unwrap_or_else(|e| panic!("{what} in {}: {e}", outer_spec.map_type()));
            assert_eq!(outer.lookup(&2u32).unwrap(), Some(inner.id()), "{what}");
            if template.map_type() == MapType::DEVMAP {
                // The kernel adds BPF_F_RDONLY_PROG to device maps by itself.
                assert_eq!(inner.info().flags(), MapFlags::RDONLY_PROG);
            }
            if template.map_type() == MapType::BLOOM_FILTER {
                assert_eq!(inner.info().map_extra(), 3);
            }
            ids.extend(ids_of([&inner, outer.as_map()]));
        }
    }
    state::assert_fds("after the inner maps dropped", &fds);
    assert_gone(&ids);
}

#[test]
fn new_inner_sized_follows_the_kernel_rules() {
    let _guard = common::serial();
    require_kernel!();
    // ARRAY without BPF_F_INNER_MAP: the kernel compares max_entries, so another size is refused.
    let fixed = OuterMap::create(
        &named(MapSpec::array_of_maps(4), "o_fixed"),
        &MapSpec::new(MapType::ARRAY, 4, 8, 16),
    )
    .unwrap();
    let err = state::traceless("another size of a fixed array", 0, || {
        fixed.new_inner_sized("o_fixed_32", 32).unwrap_err()
    });
    match &err {
        Error::Refused {
            refusal:
                Refusal::InnerMaxEntriesFixed {
                    map_type,
                    template,
                    asked,
                },
            ..
        } => assert_eq!((*map_type, *template, *asked), (MapType::ARRAY, 16, 32)),
        other => panic!("expected InnerMaxEntriesFixed, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "'o_fixed' (id {}): inner array maps must have the template's max_entries 16, not 32 \
             (give the template BPF_F_INNER_MAP to allow other sizes)",
            fixed.id()
        )
    );
    // The template's own size is fine.
    let same = fixed.new_inner_sized("o_fixed_16", 16).unwrap();
    fixed.insert(&0u32, &same).unwrap();

    // ARRAY with BPF_F_INNER_MAP: any size.
    let flexible = OuterMap::create(
        &MapSpec::array_of_maps(4),
        &MapSpec::new(MapType::ARRAY, 4, 8, 16).with_flags(MapFlags::INNER_MAP),
    )
    .unwrap();
    for (slot, size) in [(0u32, 1u32), (1, 16), (2, 1000)] {
        let inner = flexible.new_inner_sized("o_flex", size).unwrap();
        assert_eq!(inner.max_entries(), size);
        assert_eq!(inner.info().flags(), MapFlags::INNER_MAP);
        flexible.insert(&slot, &inner).unwrap();
        assert_eq!(flexible.lookup(&slot).unwrap(), Some(inner.id()));
    }

    // HASH: the kernel never compares max_entries.
    let hashes = OuterMap::create(
        &MapSpec::hash_of_maps(4, 4),
        &MapSpec::new(MapType::HASH, 4, 8, 16),
    )
    .unwrap();
    for (slot, size) in [(0u32, 1u32), (1, 4096)] {
        let inner = hashes.new_inner_sized("o_hash_sized", size).unwrap();
        hashes.insert(&slot, &inner).unwrap();
    }
}

#[test]
fn insert_of_a_mismatching_map_names_the_field() {
    let _guard = common::serial();
    require_kernel!();
    let outer = OuterMap::create(
        &named(MapSpec::hash_of_maps(4, 8), "o_mismatch"),
        &MapSpec::new(MapType::HASH, 4, 8, 16),
    )
    .unwrap();
    let cases = [
        (
            MapSpec::new(MapType::HASH, 4, 16, 16),
            InnerMismatch::Field {
                field: "value_size",
                inner: 16,
                template: 8,
            },
            "inner map value_size 16 does not match the template's 8",
        ),
        (
            MapSpec::new(MapType::HASH, 8, 8, 16),
            InnerMismatch::Field {
                field: "key_size",
                inner: 8,
                template: 4,
            },
            "inner map key_size 8 does not match the template's 4",
        ),
        (
            MapSpec::new(MapType::LRU_HASH, 4, 8, 16),
            InnerMismatch::MapType {
                inner: MapType::LRU_HASH,
                template: MapType::HASH,
            },
            "inner map type lru_hash does not match the template's hash",
        ),
        (
            MapSpec::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::NO_PREALLOC),
            InnerMismatch::Flags {
                inner: 1,
                template: 0,
            },
            "inner map map_flags 0x1 does not match the template's 0x0 (the kernel compares them \
             exactly, BPF_F_INNER_MAP and BPF_F_NUMA_NODE included)",
        ),
    ];
    for (spec, mismatch, text) in cases {
        let inner = Map::create(&spec).unwrap();
        // One bpf(2) call: the inner map's info; then the refusal.
        let err = state::traceless(text, 1, || outer.insert(&1u32, &inner).unwrap_err());
        match &err {
            Error::InnerMismatch {
                outer: o,
                mismatch: m,
            } => {
                assert_eq!(*m, mismatch);
                assert_eq!(o.id, Some(outer.id()));
            }
            other => panic!("expected InnerMismatch, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("outer map 'o_mismatch' (id {}): {text}", outer.id())
        );
        assert_eq!(outer.lookup(&1u32).unwrap(), None, "nothing inserted");
    }

    // An array template also fixes max_entries.
    let arrays = OuterMap::create(
        &MapSpec::array_of_maps(2),
        &MapSpec::new(MapType::ARRAY, 4, 4, 8),
    )
    .unwrap();
    let bigger = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 9)).unwrap();
    let err = arrays.insert(&0u32, &bigger).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("inner map max_entries 9 does not match the template's 8"),
        "{err}"
    );
    // An outer map can never go into an outer map.
    let err = state::traceless("outer map as inner", 1, || {
        arrays.insert(&0u32, outer.as_map()).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::NestedOuter,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn insert_of_a_closed_or_non_map_fd_is_not_a_map() {
    let _guard = common::serial();
    require_kernel!();
    let outer = OuterMap::create(
        &named(MapSpec::array_of_maps(2), "o_notamap"),
        &MapSpec::new(MapType::ARRAY, 4, 4, 2),
    )
    .unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    // /proc/self/fd tells it is not a map: no bpf(2) call at all.
    let err = state::traceless("a file as inner map", 0, || {
        outer.insert(&0u32, &file).unwrap_err()
    });
    assert!(matches!(err, Error::NotAMap { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "inner map fd {} for outer map 'o_notamap' (id {}) is not a BPF map: it is /dev/null",
            file.as_raw_fd(),
            outer.id()
        )
    );
    // A closed fd: /proc cannot tell, the kernel's EBADF says it.
    let closed = state::closed_fd();
    let err = state::traceless("a closed fd as inner map", 1, || {
        outer.insert(&0u32, closed).unwrap_err()
    });
    assert!(matches!(err, Error::NotAMap { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "inner map fd {} for outer map 'o_notamap' (id {}) is not a BPF map: \
             BPF_OBJ_GET_INFO_BY_FD failed: EBADFD (File descriptor in bad state): the fd is not \
             open",
            closed.as_raw_fd(),
            outer.id()
        )
    );
    // A BPF object that is not a map (BTF).
    let (blob, _, _) = handmade_btf::storage_btf();
    let btf = LoadedBtf::load(&blob).unwrap();
    let err = state::traceless("a BTF fd as inner map", 0, || {
        outer.insert(&0u32, &btf).unwrap_err()
    });
    assert!(
        matches!(&err, Error::NotAMap { detail, .. } if detail == "it is anon_inode:btf"),
        "{err:?}"
    );
    assert_eq!(outer.lookup(&0u32).unwrap(), None);
}

#[test]
fn lookup_gives_an_id_and_get_an_owned_handle() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &named(MapSpec::array_of_maps(4), "o_lookup"),
        &MapSpec::new(MapType::HASH, 4, 8, 8),
    )
    .unwrap();
    let inner = outer.new_inner("o_lookup_in").unwrap();
    inner.put(&1u32, &11u64, UpdateFlags::ANY).unwrap();
    outer.insert(&3u32, &inner).unwrap();
    let inner_id = inner.id();
    drop(inner); // the outer map keeps the inner map alive

    assert_eq!(outer.lookup(&0u32).unwrap(), None, "empty slot");
    let id = outer.lookup(&3u32).unwrap().unwrap();
    assert_eq!(id, inner_id);
    assert_eq!(outer.lookup_bytes(&3u32.to_ne_bytes()).unwrap(), Some(id));
    assert!(outer.get(&0u32).unwrap().is_none());
    {
        let opened = outer.get(&3u32).unwrap().unwrap();
        assert_eq!(opened.id(), id);
        assert_eq!(opened.info().name().as_str(), "o_lookup_in");
        assert_eq!(opened.get::<u32, u64>(&1).unwrap(), Some(11));
        opened.put(&2u32, &22u64, UpdateFlags::ANY).unwrap();
        // The same map, opened again, sees the write.
        let again = outer.get_bytes(&3u32.to_ne_bytes()).unwrap().unwrap();
        assert_eq!(again.get::<u32, u64>(&2).unwrap(), Some(22));
        assert_ne!(again.as_fd().as_raw_fd(), opened.as_fd().as_raw_fd());
    }
    // The id is a name: it can be opened directly too.
    assert_eq!(
        Map::from_id(id).unwrap().get::<u32, u64>(&2).unwrap(),
        Some(22)
    );

    assert!(outer.remove(&3u32).unwrap());
    assert!(!outer.remove(&3u32).unwrap(), "already empty");
    assert!(!outer.remove_bytes(&3u32.to_ne_bytes()).unwrap());
    assert_eq!(outer.lookup(&3u32).unwrap(), None);
    assert!(outer.get(&3u32).unwrap().is_none());
    // A key outside the array.
    let err = outer.remove(&4u32).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::E2BIG));
    // A key of the wrong size: refused before the syscall.
    let err = state::traceless("lookup with an 8-byte key", 0, || {
        outer.lookup(&3u64).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Size {
                expected: 4,
                got: 8,
                ..
            }
        ),
        "{err:?}"
    );

    let outer_id = outer.id();
    drop(outer);
    state::assert_fds("after drop", &fds);
    assert_gone(&[outer_id.get(), inner_id.get()].into());
}

#[test]
fn insert_replaces_and_the_replaced_map_is_freed() {
    let _guard = common::serial();
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::hash_of_maps(4, 4),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let first = outer.new_inner("o_first").unwrap();
    let first_id = first.id().get();
    outer.insert(&9u32, &first).unwrap();
    drop(first);
    let second = outer.new_inner("o_second").unwrap();
    outer.insert(&9u32, &second).unwrap();
    assert_eq!(outer.lookup(&9u32).unwrap(), Some(second.id()));
    // Nothing else referred to the first map: it is gone.
    assert_gone(&[first_id].into());
    // NOEXIST refuses a filled slot; EXIST an empty one.
    let third = outer.new_inner("o_third").unwrap();
    let err = outer
        .insert_with(&9u32, &third, UpdateFlags::NOEXIST)
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    let err = outer
        .insert_with(&10u32, &third, UpdateFlags::EXIST)
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    outer
        .insert_with(&9u32, &third, UpdateFlags::EXIST)
        .unwrap();
    assert_eq!(outer.lookup(&9u32).unwrap(), Some(third.id()));
}

#[test]
fn iter_yields_filled_slots_and_skips_empty_ones() {
    let _guard = common::serial();
    require_kernel!();
    let inner_spec = MapSpec::new(MapType::ARRAY, 4, 4, 1);
    let array = OuterMap::create(&MapSpec::array_of_maps(8), &inner_spec).unwrap();
    let mut expected = Vec::new();
    for slot in [1u32, 4, 6] {
        let inner = array.new_inner("o_iter").unwrap();
        array.insert(&slot, &inner).unwrap();
        expected.push((slot, inner.id()));
    }
    let walked: Vec<(u32, MapId)> = array.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(walked, expected);
    // The underlying walk does visit all 8 indexes.
    assert_eq!(array.as_map().keys::<u32>().count(), 8);

    let hash = OuterMap::create(&MapSpec::hash_of_maps(8, 8), &inner_spec).unwrap();
    let mut expected = BTreeSet::new();
    for key in [5u64, 1 << 40, 77] {
        let inner = hash.new_inner("o_iter_h").unwrap();
        hash.insert(&key, &inner).unwrap();
        expected.insert((key, inner.id()));
    }
    let walked: BTreeSet<(u64, MapId)> = hash.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(walked, expected);

    // Removing during the walk.
    let mut removed = 0;
    for entry in hash.iter::<u64>() {
        let (key, _) = entry.unwrap();
        assert!(hash.remove(&key).unwrap());
        removed += 1;
    }
    assert_eq!(removed, 3);
    assert_eq!(hash.iter::<u64>().count(), 0);
}

/// Inserts, reads back in small batches, reads all, removes half with `remove_batch`, checks.
fn exercise_batches(outer: &OuterMap, n: u32) {
    let keys: Vec<u32> = (0..n).collect();
    let inners: Vec<Map> = keys
        .iter()
        .map(|_| outer.new_inner("o_batch").unwrap())
        .collect();
    let expected: Vec<(u32, MapId)> = keys
        .iter()
        .copied()
        .zip(inners.iter().map(Map::id))
        .collect();
    outer.insert_batch(&keys, &inners).unwrap();
    let ids = ids_of(&inners);
    drop(inners);

    // Small steps of the lookup batch until the cursor is done.
    let mut cursor = outer.as_map().batch_cursor();
    let (mut k, mut v) = ([0u32; 10], [None; 10]);
    let mut got = BTreeSet::new();
    while !cursor.is_done() {
        let count = outer.lookup_batch(&mut cursor, &mut k, &mut v).unwrap();
        for i in 0..count {
            assert!(got.insert((k[i], v[i].expect("filled slots only"))));
        }
    }
    assert_eq!(got, expected.iter().copied().collect());
    let mut all = outer.lookup_all::<u32>().unwrap();
    all.sort();
    assert_eq!(all, expected);

    // Remove the first half.
    let half = (n / 2) as usize;
    outer.remove_batch(&keys[..half]).unwrap();
    let mut left = outer.lookup_all::<u32>().unwrap();
    left.sort();
    assert_eq!(left, expected[half..]);
    // Removing an empty slot among filled ones: an error that counts the others.
    let err = outer
        .remove_batch(&[keys[half], keys[0], keys[half + 1]])
        .unwrap_err();
    match &err {
        Error::Batch {
            requested, source, ..
        } => {
            assert_eq!(*requested, 3);
            assert_eq!(source.errno, Errno::ENOENT);
        }
        other => panic!("expected a batch error, got {other:?}"),
    }
    // Then everything.
    let rest: Vec<u32> = outer
        .lookup_all::<u32>()
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    outer.remove_batch(&rest).unwrap();
    assert!(outer.lookup_all::<u32>().unwrap().is_empty());
    assert_gone(&ids);
}

#[test]
fn batches_on_an_array_of_maps_fall_back_to_concurrent_single_deletes() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &named(MapSpec::array_of_maps(100), "o_batch_arr"),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap();
    // The kernel has no delete batch for an array of maps: that is why the fallback exists.
    let err = outer.as_map().remove_batch(&[0u32]).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOTSUPP));
    assert!(matches!(err, Error::Batch { done: 0, .. }), "{err:?}");
    exercise_batches(&outer, 100);
    drop(outer);
    state::assert_fds("after drop", &fds);
}

#[test]
fn batches_on_a_hash_of_maps_use_the_kernel_delete_batch() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &named(MapSpec::hash_of_maps(4, 128), "o_batch_hash"),
        &MapSpec::new(MapType::ARRAY, 4, 8, 2),
    )
    .unwrap();
    exercise_batches(&outer, 100);
    // The kernel stops a delete batch at the first missing key, after the ones before it.
    let keys = [1u32, 2, 3];
    let inners: Vec<Map> = keys
        .iter()
        .map(|_| outer.new_inner("o_b").unwrap())
        .collect();
    outer.insert_batch(&keys, &inners).unwrap();
    let err = outer.remove_batch(&[1u32, 2, 50, 3]).unwrap_err();
    assert!(
        matches!(&err, Error::Batch { done: 2, requested: 4, source } if source.errno == Errno::ENOENT),
        "{err:?}"
    );
    assert_eq!(outer.lookup_all::<u32>().unwrap().len(), 1);
    drop((inners, outer));
    state::assert_fds("after drop", &fds);
}

#[test]
fn insert_batch_checks_every_inner_map_before_the_syscall() {
    let _guard = common::serial();
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::hash_of_maps(4, 8),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap();
    let good = outer.new_inner("o_good").unwrap();
    let bad = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 4)).unwrap();
    let good2 = outer.new_inner("o_good2").unwrap();
    let inners = [&good, &bad, &good2];
    // One info query per inner map, then the refusal; nothing is inserted.
    let err = state::traceless("a batch with one mismatching map", 3, || {
        outer.insert_batch(&[1u32, 2, 3], &inners).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::InnerMismatch {
                mismatch: InnerMismatch::Field {
                    field: "value_size",
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(outer.lookup_all::<u32>().unwrap().is_empty());
    // Slices of different lengths.
    let err = state::traceless("3 keys, 2 maps", 0, || {
        outer.insert_batch(&[1u32, 2, 3], &inners[..2]).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::BatchLengths { keys: 3, values: 2 },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_kernel_refusal_in_a_batch_inserts_nothing_else() {
    let _guard = common::serial();
    require_kernel!();
    // Opened by id while empty, the handle does not know the template: the kernel is the one
    // to refuse the mismatching map. The batch stops there; it must not fall back to single
    // updates, which would insert the map after it.
    let created = OuterMap::create(
        &MapSpec::hash_of_maps(4, 8),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap();
    let good = created.new_inner("o_good").unwrap();
    let bad = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 4)).unwrap();
    let opened = OuterMap::from_map(Map::from_id(created.id()).unwrap()).unwrap();
    assert!(opened.template().is_none());
    let err = state::traceless("a batch the kernel refuses at its first map", 3, || {
        opened.insert_batch(&[1u32, 2], &[&bad, &good]).unwrap_err()
    });
    match &err {
        Error::Batch {
            done: 0,
            requested: 2,
            source,
        } => {
            assert_eq!(source.cmd, bpfmaps::Command::MAP_UPDATE_BATCH, "{err}");
            assert_eq!(source.errno, Errno::EINVAL, "{err}");
        }
        other => panic!("expected a batch error, got {other:?}"),
    }
    assert!(
        created.lookup_all::<u32>().unwrap().is_empty(),
        "nothing inserted"
    );
}

#[test]
fn insert_batch_with_a_mode_falls_back_to_single_updates() {
    let _guard = common::serial();
    require_kernel!();
    // The kernel's update batch takes no BPF_NOEXIST/BPF_EXIST; OuterMap then inserts slot by
    // slot, which honours the mode.
    let outer = OuterMap::create(
        &MapSpec::hash_of_maps(4, 8),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let inners: Vec<Map> = (0..4).map(|_| outer.new_inner("o_mode").unwrap()).collect();
    outer
        .insert_batch_with(&[1u32, 2], &inners[..2], UpdateFlags::NOEXIST)
        .unwrap();
    assert_eq!(outer.lookup(&2u32).unwrap(), Some(inners[1].id()));
    let err = outer
        .insert_batch_with(&[2u32], &inners[2..3], UpdateFlags::NOEXIST)
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    assert_eq!(
        outer.lookup(&2u32).unwrap(),
        Some(inners[1].id()),
        "unchanged"
    );
    let err = outer
        .insert_batch_with(&[3u32], &inners[3..], UpdateFlags::EXIST)
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    outer
        .insert_batch_with(&[1u32], &inners[3..], UpdateFlags::EXIST)
        .unwrap();
    assert_eq!(outer.lookup(&1u32).unwrap(), Some(inners[3].id()));
}

#[test]
fn the_registry_opens_what_this_handle_inserted() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let outer = OuterMap::create(
        &named(MapSpec::array_of_maps(8), "o_registry"),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap()
    .with_registry();
    assert_eq!(outer.registered(), 0);
    let mut ids = BTreeSet::new();
    for slot in 0..3u32 {
        let inner = outer.new_inner("o_reg").unwrap();
        inner.put(&0u32, &slot, UpdateFlags::ANY).unwrap();
        outer.insert(&slot, &inner).unwrap();
        ids.insert(inner.id().get());
    }
    assert_eq!(outer.registered(), 3);
    // The registry holds one fd per map (and nothing else stays open).
    assert_eq!(common::open_fds().len(), fds.len() + 1 + 3);
    for slot in 0..3u32 {
        let opened = outer.get(&slot).unwrap().unwrap();
        assert_eq!(opened.get::<u32, u32>(&0).unwrap(), Some(slot));
    }

    // A map inserted through a read-only fd comes back read-only from the registry, where
    // BPF_MAP_GET_FD_BY_ID would give a read-write fd: proof that `get` used the registry.
    let inner = outer.new_inner("o_reg_ro").unwrap();
    let ro = Map::from_id_with(inner.id(), OpenFlags::READ_ONLY).unwrap();
    ids.insert(inner.id().get());
    drop(inner);
    outer.insert(&5u32, &ro).unwrap();
    drop(ro);
    let opened = outer.get(&5u32).unwrap().unwrap();
    assert_eq!(
        opened
            .put(&1u32, &1u32, UpdateFlags::ANY)
            .unwrap_err()
            .errno(),
        Some(Errno::EPERM)
    );
    drop(opened);
    assert_eq!(outer.registered(), 4);

    // Overwriting a slot forgets the map it held; removing forgets too.
    let replacement = outer.new_inner("o_reg_new").unwrap();
    ids.insert(replacement.id().get());
    outer.insert(&0u32, &replacement).unwrap();
    drop(replacement);
    assert_eq!(outer.registered(), 4);
    assert!(outer.remove(&1u32).unwrap());
    assert_eq!(outer.registered(), 3);
    outer.remove_batch(&[0u32, 2]).unwrap();
    assert_eq!(outer.registered(), 1);
    // Batch inserts register too.
    let batch: Vec<Map> = (0..2)
        .map(|_| outer.new_inner("o_reg_b").unwrap())
        .collect();
    ids.extend(ids_of(&batch));
    outer.insert_batch(&[6u32, 7], &batch).unwrap();
    drop(batch);
    assert_eq!(outer.registered(), 3);
    assert_eq!(common::open_fds().len(), fds.len() + 1 + 3);

    // Without a registry nothing is kept.
    let plain = OuterMap::create(
        &MapSpec::array_of_maps(1),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap();
    let inner = plain.new_inner("o_noreg").unwrap();
    plain.insert(&0u32, &inner).unwrap();
    drop(inner);
    assert_eq!(plain.registered(), 0);
    ids.extend(ids_of([plain.as_map(), outer.as_map()]));
    drop((plain, outer));
    state::assert_fds("after the registry dropped", &fds);
    assert_gone(&ids);
}

#[test]
fn from_map_learns_the_template_from_an_entry() {
    let _guard = common::serial();
    require_kernel!();
    let template = MapSpec::new(MapType::DEVMAP, 4, 4, 64);
    let outer = OuterMap::create(&named(MapSpec::array_of_maps(16), "o_learn"), &template).unwrap();
    let inner = outer.new_inner("o_learn_in").unwrap();
    outer.insert(&9u32, &inner).unwrap();

    let reopened = OuterMap::from_id(outer.id()).unwrap();
    assert_eq!(reopened.id(), outer.id());
    // Learnt from slot 9, without the flag the kernel adds to device maps.
    assert_eq!(reopened.template(), Some(&template));
    let fresh = reopened.new_inner("o_learnt").unwrap();
    reopened.insert(&10u32, &fresh).unwrap();
    assert_eq!(outer.lookup(&10u32).unwrap(), Some(fresh.id()));
    let err = reopened
        .insert(
            &11u32,
            Map::create(&MapSpec::new(MapType::DEVMAP, 4, 8, 64)).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::InnerMismatch { .. }), "{err:?}");

    // From the Map itself.
    let as_map = Map::from_id(outer.id()).unwrap();
    let learnt = OuterMap::from_map(as_map).unwrap();
    assert_eq!(learnt.template(), Some(&template));

    // An empty outer map teaches nothing: new_inner is refused, inserts are checked by the
    // kernel alone.
    let empty = OuterMap::create(&MapSpec::hash_of_maps(4, 4), &template).unwrap();
    let reopened = OuterMap::from_id(empty.id()).unwrap();
    assert_eq!(reopened.template(), None);
    let err = state::traceless("new_inner without a template", 0, || {
        reopened.new_inner("o_unknown").unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::TemplateUnknown,
                ..
            }
        ),
        "{err:?}"
    );
    let wrong = Map::create(&MapSpec::new(MapType::DEVMAP, 4, 8, 64)).unwrap();
    let err = reopened.insert(&1u32, &wrong).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    assert!(
        err.to_string().ends_with(
            "failed: EINVAL (Invalid argument): the inner map does not match the outer map's \
             template (type, key_size, value_size, map_flags, and max_entries for arrays)"
        ),
        "{err}"
    );
    reopened.insert(&1u32, &inner).unwrap();

    // A map that is not an outer map.
    let err = OuterMap::from_map(inner.try_clone().unwrap()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::NotOuter(MapType::DEVMAP),
                ..
            }
        ),
        "{err:?}"
    );
    // with_template: a template given by the caller, checked first.
    let given =
        OuterMap::from_map_with_template(Map::from_id(empty.id()).unwrap(), template.clone())
            .unwrap();
    assert_eq!(given.template(), Some(&template));
    let err = OuterMap::from_map_with_template(
        Map::from_id(empty.id()).unwrap(),
        MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
}

#[test]
fn from_pin_reopens_an_outer_map() {
    let _guard = common::serial();
    require_kernel!();
    let fs = common::TempBpffs::new("outer_pin");
    let path = fs.path().join("outer");
    let outer = OuterMap::create(
        &named(MapSpec::hash_of_maps(4, 4), "o_pinned"),
        &MapSpec::new(MapType::QUEUE, 0, 4, 8),
    )
    .unwrap();
    let inner = outer.new_inner("o_pinned_in").unwrap();
    inner.put(&(), &5u32, UpdateFlags::ANY).unwrap();
    outer.insert(&1u32, &inner).unwrap();
    outer.as_map().pin(&path).unwrap();
    let (outer_id, inner_id) = (outer.id(), inner.id());
    drop((outer, inner));

    let reopened = OuterMap::from_pin(&path).unwrap();
    assert_eq!(reopened.id(), outer_id);
    assert_eq!(
        reopened.template(),
        Some(&MapSpec::new(MapType::QUEUE, 0, 4, 8))
    );
    assert_eq!(reopened.lookup(&1u32).unwrap(), Some(inner_id));
    let opened = reopened.get(&1u32).unwrap().unwrap();
    assert_eq!(opened.take::<(), u32>(&()).unwrap(), Some(5));
    drop((opened, reopened));
    std::fs::remove_file(&path).unwrap();
    drop(fs);
    assert_gone(&[outer_id.get(), inner_id.get()].into());
}

/// The seed walkthrough: an array of 256 device maps.
#[test]
fn seed_walkthrough_array_of_devmaps() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let devmap = MapSpec::new(MapType::DEVMAP, 4, 4, 64);
    let outer =
        OuterMap::create(&named(MapSpec::array_of_maps(256), "outer_devs"), &devmap).unwrap();
    assert_eq!(outer.info().max_entries(), 256);

    // Create the inner maps and insert them; each handle is dropped at once.
    let mut ids = BTreeSet::new();
    for slot in [0u32, 1, 255] {
        let inner = outer.new_inner(&format!("devs_{slot}")).unwrap();
        assert_eq!(inner.info().flags(), MapFlags::RDONLY_PROG);
        outer.insert(&slot, &inner).unwrap();
        ids.insert(inner.id().get());
    }
    state::assert_fds("the outer map's fd only", &{
        let mut f = fds.clone();
        f.insert(outer.as_fd().as_raw_fd());
        f
    });

    // Look up → id → open → use → drop.
    for slot in [0u32, 1, 255] {
        let id = outer.lookup(&slot).unwrap().expect("filled");
        assert!(ids.contains(&id.get()));
        let devs = Map::from_id(id).unwrap();
        assert_eq!(devs.map_type(), MapType::DEVMAP);
        // A device map's value is an ifindex: 1 is the loopback.
        devs.put(&7u32, &1u32, UpdateFlags::ANY).unwrap();
        assert_eq!(devs.get::<u32, u32>(&7).unwrap(), Some(1));
        assert_eq!(devs.get::<u32, u32>(&8).unwrap(), None);
        // An ifindex that names no device is refused by the kernel.
        assert_eq!(
            devs.put(&8u32, &0x7fff_fff0u32, UpdateFlags::ANY)
                .unwrap_err()
                .errno(),
            Some(Errno::EINVAL)
        );
    }
    assert_eq!(
        outer
            .iter::<u32>()
            .map(|e| e.unwrap().0)
            .collect::<Vec<_>>(),
        [0, 1, 255]
    );

    // Delete.
    for slot in [0u32, 1, 255] {
        assert!(outer.remove(&slot).unwrap());
    }
    assert_eq!(outer.iter::<u32>().count(), 0);
    ids.insert(outer.id().get());
    drop(outer);
    state::assert_fds("nothing left open", &fds);
    assert_gone(&ids);
}

/// The seed's flow key.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FlowKey {
    ifindex: u32,
    queue: u32,
}

#[expect(
    unsafe_code,
    reason = "Pod is an unsafe marker trait; its conditions are checked below"
)]
// SAFETY: two `u32`s in a `repr(C)` struct: 8 bytes, 4-aligned, no padding anywhere; every bit
// pattern is a valid value; no pointers, references or fds.
unsafe impl Pod for FlowKey {}

/// The seed's hash of maps: a struct key and BPF_F_NO_PREALLOC.
#[test]
fn seed_hash_of_maps_with_a_struct_key() {
    let _guard = common::serial();
    require_kernel!();
    let fds = common::open_fds();
    let spec = named(MapSpec::hash_of_maps(8, 128), "flows").with_flags(MapFlags::NO_PREALLOC);
    let outer = OuterMap::create(&spec, &MapSpec::new(MapType::DEVMAP, 4, 4, 64)).unwrap();
    assert_eq!(outer.info().flags(), MapFlags::NO_PREALLOC);
    assert_eq!(outer.info().key_size(), 8);

    let mut ids = BTreeSet::new();
    let keys: Vec<FlowKey> = (0..4)
        .map(|q| FlowKey {
            ifindex: 1,
            queue: q,
        })
        .collect();
    for key in &keys {
        let inner = outer.new_inner("flow_devs").unwrap();
        inner.put(&0u32, &1u32, UpdateFlags::ANY).unwrap();
        outer.insert(key, &inner).unwrap();
        ids.insert(inner.id().get());
    }
    let mut walked: Vec<FlowKey> = outer.iter::<FlowKey>().map(|e| e.unwrap().0).collect();
    walked.sort();
    assert_eq!(walked, keys);
    let mut all = outer.lookup_all::<FlowKey>().unwrap();
    all.sort();
    assert_eq!(all.iter().map(|e| e.0).collect::<Vec<_>>(), keys);

    let opened = outer.get(&keys[2]).unwrap().unwrap();
    assert_eq!(opened.get::<u32, u32>(&0).unwrap(), Some(1));
    drop(opened);
    assert_eq!(
        outer
            .lookup(&FlowKey {
                ifindex: 2,
                queue: 0
            })
            .unwrap(),
        None
    );
    // The wrong key type is a size error, before the syscall.
    let err = state::traceless("a 4-byte key for a struct-keyed map", 0, || {
        outer.lookup(&1u32).unwrap_err()
    });
    assert!(
        matches!(
            err,
            Error::Size {
                expected: 8,
                got: 4,
                ..
            }
        ),
        "{err:?}"
    );

    assert!(outer.remove(&keys[0]).unwrap());
    outer.remove_batch(&keys[1..]).unwrap();
    assert!(outer.lookup_all::<FlowKey>().unwrap().is_empty());
    ids.insert(outer.id().get());
    drop(outer);
    state::assert_fds("nothing left open", &fds);
    assert_gone(&ids);
}

#[test]
fn template_of_a_spec_with_a_read_only_fd_flag_still_accepts_its_inner_maps() {
    let _guard = common::serial();
    require_kernel!();
    // Regression: BPF_F_RDONLY in a template spec is not kept by the kernel in the map's flags.
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(2),
        &MapSpec::new(MapType::HASH, 4, 4, 4).with_flags(MapFlags::RDONLY),
    )
    .unwrap();
    let inner = outer.new_inner("o_ro_tmpl").unwrap();
    assert_eq!(inner.info().flags(), MapFlags::empty());
    // The new map's fd is read-only, as asked.
    assert_eq!(
        inner
            .put(&1u32, &1u32, UpdateFlags::ANY)
            .unwrap_err()
            .errno(),
        Some(Errno::EPERM)
    );
    outer.insert(&0u32, &inner).unwrap();
    // A map made without the flag fits as well: the kernel compares the same flags.
    let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 4)).unwrap();
    outer.insert(&1u32, &plain).unwrap();
    assert_eq!(outer.lookup_all::<u32>().unwrap().len(), 2);
}

#[test]
fn new_inner_of_a_template_with_a_spin_lock_carries_its_btf() {
    let _guard = common::serial();
    require_kernel!();
    // The kernel compares the BTF-described special fields of inner maps (here a spin lock):
    // an inner map created without BTF is refused by a template created with it.
    let (blob, types) = handmade_btf::spin_lock_btf();
    let btf = LoadedBtf::load(&blob).unwrap();
    let spec = MapSpec::new(MapType::HASH, 4, 8, 8).with_btf_type_ids(types.int, types.value);
    let template = Map::create_with_btf(&spec, &btf).unwrap();
    drop(btf);
    let outer = OuterMap::create(&MapSpec::array_of_maps(2), &template).unwrap();
    drop(template);

    let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 8)).unwrap();
    let err = outer.insert(&0u32, &plain).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL), "{err}");

    for inner in [
        outer.new_inner("o_locked").unwrap(),
        outer.new_inner_sized("o_locked16", 16).unwrap(),
    ] {
        assert_eq!(inner.info().btf_type_ids(), (types.int, types.value));
        outer.insert(&1u32, &inner).unwrap();
        assert_eq!(outer.lookup(&1u32).unwrap(), Some(inner.id()));
        inner
            .put(&3u32, &[0u32, 9], UpdateFlags::ANY.with_lock())
            .unwrap();
    }

    // Opened again by id, the handle learns the template, BTF included, from an inner map.
    let reopened = OuterMap::from_id(outer.id()).unwrap();
    let more = reopened.new_inner("o_locked2").unwrap();
    assert_eq!(more.info().btf_type_ids(), (types.int, types.value));
    reopened.insert(&0u32, &more).unwrap();
}
