//! Every operation of `Map`, against the running kernel: creation from a spec (every attribute),
//! from a pin, an id and an fd; element operations on bytes and typed values with every update
//! mode and `BPF_F_LOCK`; per-CPU values; queues and stacks; iteration, also while deleting;
//! batches; freezing; pinning; what `MapInfo` reports; and the text of the errors.
//!
//! Tests here run in parallel and make no before/after comparison of process-wide state; the
//! "refused before the syscall" checks use this thread's bpf(2) call count, which other threads
//! cannot disturb.

mod common;
mod handmade_btf;

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use bpfmaps::{
    Errno, Error, LoadedBtf, Map, MapFlags, MapId, MapInfo, MapSpec, MapType, NameError, OpenFlags,
    Refusal, SizeKind, UpdateFlags,
};

/// A fresh map, named.
fn new_map(map_type: MapType, key: u32, value: u32, max: u32, name: &str) -> Map {
    Map::create(
        &MapSpec::new(map_type, key, value, max)
            .with_name(name)
            .expect("valid name"),
    )
    .expect("create map")
}

/// The bpf(2) calls this thread makes while running `f`, and what `f` returned.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = bpfmaps::syscall_count();
    let value = f();
    (value, bpfmaps::syscall_count() - before)
}

/// The prefix every message about `map` starts with: "map 'name' (id N)".
fn label(map: &Map) -> String {
    format!("map '{}' (id {})", map.info().name(), map.id())
}

#[test]
fn create_reports_every_spec_attribute() {
    require_kernel!();
    let spec = MapSpec::new(MapType::HASH, 4, 8, 32)
        .with_name("m_attrs")
        .unwrap()
        .with_flags(MapFlags::NO_PREALLOC);
    let map = Map::create(&spec).unwrap();
    let info = map.info();
    assert_eq!(info.map_type(), MapType::HASH);
    assert_eq!(
        (info.key_size(), info.value_size(), info.max_entries()),
        (4, 8, 32)
    );
    assert_eq!(info.flags(), MapFlags::NO_PREALLOC);
    assert_eq!(info.name().as_str(), "m_attrs");
    assert_eq!(info.ifindex(), 0);
    assert_eq!(info.btf_id(), 0);
    assert_eq!(info.btf_type_ids(), (0, 0));
    assert_eq!(info.btf_vmlinux_value_type_id(), 0);
    assert_eq!(info.map_extra(), 0);
    // The accessors of `Map` read the same info.
    assert_eq!(
        (
            map.map_type(),
            map.key_size(),
            map.value_size(),
            map.max_entries()
        ),
        (MapType::HASH, 4, 8, 32)
    );
    assert_eq!(map.value_len().unwrap(), 8);
    assert_eq!(map.id(), info.id());
    // Asking the kernel again gives the same answer.
    assert_eq!(MapInfo::from_fd(&map).unwrap(), *info);
    assert_eq!(
        info.label().to_string(),
        format!("'m_attrs' (id {})", map.id())
    );

    // Offload to a device: the spec carries the ifindex to the kernel, which refuses a device
    // that cannot take maps (the loopback) with EOPNOTSUPP.
    let offloaded = spec.clone().with_ifindex(1);
    assert_eq!(offloaded.ifindex(), 1);
    let err = Map::create(&offloaded).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EOPNOTSUPP));
    // The same spec without the device: every other attribute is kept as given.
    assert_eq!(offloaded.with_ifindex(0), spec);
}

#[test]
fn map_ids_walk_contains_every_created_map() {
    require_kernel!();
    let maps: Vec<Map> = (0..5)
        .map(|i| new_map(MapType::ARRAY, 4, 4, 1, &format!("m_ids{i}")))
        .collect();
    let ids = bpfmaps::map_ids()
        .collect::<Result<BTreeSet<MapId>, _>>()
        .unwrap();
    for m in &maps {
        assert!(ids.contains(&m.id()), "{} missing from the id walk", m.id());
    }
    // Ids are distinct and increasing in creation order (the kernel allocates them cyclically).
    let mine: Vec<u32> = maps.iter().map(|m| m.id().get()).collect();
    assert!(mine.windows(2).all(|w| w[0] < w[1]), "{mine:?}");
}

#[test]
fn numa_node_sets_the_flag_and_is_checked_by_the_kernel() {
    require_kernel!();
    let spec = MapSpec::new(MapType::ARRAY, 4, 4, 4)
        .with_name("m_numa")
        .unwrap()
        .with_numa_node(0);
    assert!(spec.flags().contains(MapFlags::NUMA_NODE));
    assert_eq!(spec.numa_node(), 0);
    let map = Map::create(&spec).unwrap();
    assert_eq!(map.info().flags(), MapFlags::NUMA_NODE);

    // A node that does not exist: the kernel's EINVAL, with the command and the map named.
    let bad = MapSpec::new(MapType::ARRAY, 4, 4, 4)
        .with_name("m_numa_bad")
        .unwrap()
        .with_numa_node(4095);
    let err = Map::create(&bad).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    assert_eq!(
        err.to_string(),
        "BPF_MAP_CREATE on map 'm_numa_bad' failed: EINVAL (Invalid argument): the kernel \
         refused this combination of type, sizes, max_entries and flags"
    );
}

#[test]
fn bloom_filter_takes_map_extra() {
    require_kernel!();
    let spec = MapSpec::new(MapType::BLOOM_FILTER, 0, 4, 64)
        .with_name("m_bloom")
        .unwrap()
        .with_map_extra(5);
    assert_eq!(spec.map_extra(), 5);
    let map = Map::create(&spec).unwrap();
    assert_eq!(map.info().map_extra(), 5);
    assert_eq!(map.key_size(), 0);

    // A bloom filter is pushed to with an empty key and "looked up" by value.
    map.update(&[], &7u32.to_ne_bytes(), UpdateFlags::ANY)
        .unwrap();
    let mut probe = 7u32.to_ne_bytes();
    assert!(map.lookup(&[], &mut probe).unwrap(), "7 was pushed");
    let mut probe = 8u32.to_ne_bytes();
    assert!(
        !map.lookup(&[], &mut probe).unwrap(),
        "8 was not (a false positive here has odds of about 1e-10)"
    );

    // More than 15 hash functions: refused by the kernel.
    let err = Map::create(&spec.clone().with_map_extra(16)).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    // map_extra on a type that has no use for it: refused too.
    let err = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 4).with_map_extra(1)).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
}

#[test]
fn names_are_checked_and_truncated_only_on_request() {
    require_kernel!();
    let long = "m_a_name_that_is_too_long";
    let err = MapSpec::new(MapType::ARRAY, 4, 4, 1)
        .with_name(long)
        .unwrap_err();
    assert_eq!(
        err,
        NameError::TooLong {
            name: long.to_owned(),
            len: long.len()
        }
    );
    assert_eq!(
        err.to_string(),
        "map name \"m_a_name_that_is_too_long\" is 25 bytes; the kernel keeps at most 15 (use \
         MapName::truncated to cut it)"
    );
    // The error converts into the crate's error.
    assert!(matches!(Error::from(err), Error::Name(_)));

    let spec = MapSpec::new(MapType::ARRAY, 4, 4, 1)
        .with_name_truncated(long)
        .unwrap();
    assert_eq!(spec.name().as_str(), "m_a_name_that_i");
    let map = Map::create(&spec).unwrap();
    assert_eq!(map.info().name().as_str(), "m_a_name_that_i");

    // Exactly 15 bytes is kept whole.
    let map = map_named_exactly("m_exactly_15by_");
    assert_eq!(map.info().name().as_str(), "m_exactly_15by_");

    // A byte the kernel refuses is refused here, truncated or not.
    assert!(matches!(
        MapSpec::new(MapType::ARRAY, 4, 4, 1).with_name("m-dash"),
        Err(NameError::BadByte {
            at: 1,
            byte: '-',
            ..
        })
    ));
    assert!(matches!(
        MapSpec::new(MapType::ARRAY, 4, 4, 1).with_name_truncated("m-dash_and_more_bytes"),
        Err(NameError::BadByte { at: 1, .. })
    ));
}

fn map_named_exactly(name: &str) -> Map {
    assert_eq!(name.len(), 15);
    new_map(MapType::ARRAY, 4, 4, 1, name)
}

#[test]
fn pin_then_open_from_the_pin() {
    require_kernel!();
    let fs = common::TempBpffs::new("maps_pin");
    let path = fs.path().join("pinned");
    let map = new_map(MapType::HASH, 4, 4, 8, "m_pin");
    map.put(&1u32, &10u32, UpdateFlags::ANY).unwrap();
    map.pin(&path).unwrap();

    let opened = Map::from_pin(&path).unwrap();
    assert_eq!(opened.id(), map.id());
    assert_eq!(opened.info(), map.info());
    assert_ne!(opened.as_fd().as_raw_fd(), map.as_fd().as_raw_fd());
    assert_eq!(opened.get::<u32, u32>(&1).unwrap(), Some(10));
    // Writes through either handle are seen through the other: one map.
    opened.put(&2u32, &20u32, UpdateFlags::ANY).unwrap();
    assert_eq!(map.get::<u32, u32>(&2).unwrap(), Some(20));

    // Opened read-only from the pin: reads work, writes are EPERM.
    let ro = Map::from_pin_with(&path, OpenFlags::READ_ONLY).unwrap();
    assert_eq!(ro.get::<u32, u32>(&1).unwrap(), Some(10));
    let err = ro.put(&3u32, &30u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));

    // The pin outlives every handle.
    let id = map.id();
    drop((map, opened, ro));
    let again = Map::from_pin(&path).unwrap();
    assert_eq!(again.id(), id);
    assert_eq!(again.get::<u32, u32>(&2).unwrap(), Some(20));

    // Pinning twice at one path: EEXIST, with the path and the reason in the message.
    let err = again.pin(&path).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_OBJ_PIN on {} failed: EEXIST (File exists): something is already pinned at \
             this path",
            path.display()
        )
    );

    // Unpinning is removing the file; then the path names nothing.
    std::fs::remove_file(&path).unwrap();
    let err = Map::from_pin(&path).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
}

#[test]
fn pin_outside_bpffs_is_refused_before_the_syscall() {
    require_kernel!();
    let dir = std::env::temp_dir().join(format!("bpfmaps-not-bpffs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = new_map(MapType::ARRAY, 4, 4, 1, "m_pin_tmp");
    let path = dir.join("pinned");
    let (err, calls) = counted(|| map.pin(&path).unwrap_err());
    assert_eq!(calls, 0, "no bpf(2) call for a path outside bpffs");
    match &err {
        Error::NotBpffs { path: p } => assert_eq!(p, &dir),
        other => panic!("expected NotBpffs, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not on a bpffs mount (mount one with `mount -t bpf bpf DIR`)",
            dir.display()
        )
    );
    assert!(!path.exists());
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn from_pin_of_a_missing_path_is_enoent() {
    require_kernel!();
    let fs = common::TempBpffs::new("maps_nopin");
    let path = fs.path().join("nothing_here");
    let err = Map::from_pin(&path).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_OBJ_GET on {} failed: ENOENT (No such file or directory): nothing is pinned at \
             this path",
            path.display()
        )
    );
}

#[test]
fn from_id_opens_the_same_map_read_write_read_only_or_write_only() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 8, "m_by_id");
    map.put(&1u32, &100u32, UpdateFlags::ANY).unwrap();

    let rw = Map::from_id(map.id()).unwrap();
    assert_eq!(rw.info(), map.info());
    rw.put(&2u32, &200u32, UpdateFlags::ANY).unwrap();
    assert_eq!(map.get::<u32, u32>(&2).unwrap(), Some(200));

    let ro = Map::from_id_with(map.id(), OpenFlags::READ_ONLY).unwrap();
    assert_eq!(ro.get::<u32, u32>(&1).unwrap(), Some(100));
    let err = ro.put(&3u32, &300u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_UPDATE_ELEM on {} failed: EPERM (Operation not permitted): the map or this \
             fd is read-only (frozen, BPF_F_RDONLY, or opened read-only), or the process lacks \
             CAP_BPF",
            label(&map)
        )
    );
    assert_eq!(ro.remove(&1u32).unwrap_err().errno(), Some(Errno::EPERM));

    let wo = Map::from_id_with(map.id(), OpenFlags::WRITE_ONLY).unwrap();
    wo.put(&4u32, &400u32, UpdateFlags::ANY).unwrap();
    let err = wo.get::<u32, u32>(&4).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert!(
        err.to_string().starts_with(&format!(
            "BPF_MAP_LOOKUP_ELEM on {} failed: EPERM",
            label(&map)
        )),
        "{err}"
    );
    assert_eq!(map.get::<u32, u32>(&4).unwrap(), Some(400));
}

#[test]
fn from_id_of_an_id_that_does_not_exist_is_enoent() {
    require_kernel!();
    // Ids are handed out in increasing order from 1 up to INT_MAX: this one is far beyond
    // any the kernel has reached.
    let id = MapId::new(0x7fff_fff0).unwrap();
    assert!(!common::map_ids().contains(&id.get()));
    let err = Map::from_id(id).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert_eq!(
        err.to_string(),
        "BPF_MAP_GET_FD_BY_ID on map id 2147483632 failed: ENOENT (No such file or directory): \
         no map has this id (any more)"
    );
}

#[test]
fn fd_from_id_makes_one_call_and_its_fd_opens_the_same_map_with_its_access_mode() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 8, "m_fd_by_id");
    map.put(&1u32, &100u32, UpdateFlags::ANY).unwrap();

    let (fd, calls) = counted(|| Map::fd_from_id(map.id(), OpenFlags::READ_ONLY).unwrap());
    assert_eq!(calls, 1, "GET_FD_BY_ID alone");
    assert_ne!(fd.as_raw_fd(), map.as_fd().as_raw_fd());
    // The fd is the map's, opened read-only: a handle made of it reads and cannot write.
    let ro = Map::from_fd(fd).unwrap();
    assert_eq!(ro.info(), map.info());
    assert_eq!(ro.get::<u32, u32>(&1).unwrap(), Some(100));
    let err = ro.put(&2u32, &1u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));

    let missing = MapId::new(0x7fff_fff1).unwrap();
    assert!(!common::map_ids().contains(&missing.get()));
    let (err, calls) = counted(|| Map::fd_from_id(missing, OpenFlags::READ_WRITE).unwrap_err());
    assert_eq!(calls, 1);
    assert_eq!(
        err.to_string(),
        "BPF_MAP_GET_FD_BY_ID on map id 2147483633 failed: ENOENT (No such file or directory): \
         no map has this id (any more)"
    );
}

#[test]
fn from_fd_takes_over_an_owned_map_fd_and_refuses_other_fds() {
    require_kernel!();
    let map = new_map(MapType::ARRAY, 4, 8, 2, "m_from_fd");
    map.put(&1u32, &5u64, UpdateFlags::ANY).unwrap();
    let info = *map.info();
    let fd: OwnedFd = map.into_fd();
    let raw = fd.as_raw_fd();
    let again = Map::from_fd(fd).unwrap();
    assert_eq!(*again.info(), info);
    assert_eq!(again.as_fd().as_raw_fd(), raw, "the same fd, not a copy");
    assert_eq!(again.get::<u32, u64>(&1).unwrap(), Some(5));
    // `From<Map> for OwnedFd` too.
    let fd = OwnedFd::from(again);
    assert_eq!(Map::from_fd(fd).unwrap().id(), info.id());

    let file = std::fs::File::open("/dev/null").unwrap();
    let err = Map::from_fd(OwnedFd::from(file)).unwrap_err();
    assert!(matches!(err, Error::NotAMap { .. }), "{err:?}");
    assert_eq!(err.to_string(), "the fd is not a BPF map: it is /dev/null");
}

#[test]
fn try_clone_is_an_independent_handle_on_the_same_map() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 4, "m_clone");
    let clone = map.try_clone().unwrap();
    assert_eq!(clone.info(), map.info());
    assert_ne!(clone.as_fd().as_raw_fd(), map.as_fd().as_raw_fd());
    map.put(&1u32, &1u32, UpdateFlags::ANY).unwrap();
    drop(map);
    // The clone's fd keeps the map alive and usable.
    assert_eq!(clone.get::<u32, u32>(&1).unwrap(), Some(1));
    clone.put(&2u32, &2u32, UpdateFlags::ANY).unwrap();
    assert_eq!(clone.keys::<u32>().count(), 2);
}

#[test]
fn byte_operations() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 8, 8, "m_bytes");
    let key = 7u32.to_ne_bytes();
    let mut value = [0xaau8; 8];

    assert!(!map.lookup(&key, &mut value).unwrap(), "empty map");
    assert_eq!(value, [0xaa; 8], "untouched when the key is missing");
    assert!(!map.next_key(None, &mut [0u8; 4]).unwrap(), "no first key");

    map.update(&key, &42u64.to_ne_bytes(), UpdateFlags::ANY)
        .unwrap();
    assert!(map.lookup(&key, &mut value).unwrap());
    assert_eq!(u64::from_ne_bytes(value), 42);

    let mut next = [0u8; 4];
    assert!(map.next_key(None, &mut next).unwrap());
    assert_eq!(next, key);
    assert!(
        !map.next_key(Some(&key), &mut next).unwrap(),
        "one key only"
    );

    let mut taken = [0u8; 8];
    assert!(map.lookup_and_delete(&key, &mut taken).unwrap());
    assert_eq!(u64::from_ne_bytes(taken), 42);
    assert!(!map.lookup_and_delete(&key, &mut taken).unwrap());
    assert!(!map.lookup(&key, &mut value).unwrap());

    map.update(&key, &1u64.to_ne_bytes(), UpdateFlags::ANY)
        .unwrap();
    assert!(map.delete(&key).unwrap());
    assert!(
        !map.delete(&key).unwrap(),
        "deleting a missing key is Ok(false)"
    );
}

#[test]
fn typed_operations() {
    require_kernel!();
    let map = new_map(MapType::HASH, 8, 16, 8, "m_typed");
    let key = 0x0102_0304_0506_0708u64;
    assert_eq!(map.get::<u64, [u32; 4]>(&key).unwrap(), None);
    map.put(&key, &[1u32, 2, 3, 4], UpdateFlags::ANY).unwrap();
    assert_eq!(map.get::<u64, [u32; 4]>(&key).unwrap(), Some([1, 2, 3, 4]));
    // The typed and byte views agree.
    let mut bytes = [0u8; 16];
    assert!(map.lookup(&key.to_ne_bytes(), &mut bytes).unwrap());
    assert_eq!(&bytes[..4], &1u32.to_ne_bytes());
    assert_eq!(map.take::<u64, [u32; 4]>(&key).unwrap(), Some([1, 2, 3, 4]));
    assert_eq!(map.take::<u64, [u32; 4]>(&key).unwrap(), None);
    map.put(&key, &[9u32; 4], UpdateFlags::ANY).unwrap();
    assert!(map.remove(&key).unwrap());
    assert!(!map.remove(&key).unwrap());
}

#[test]
fn update_modes_any_noexist_exist() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 8, "m_modes");
    // ANY creates and replaces.
    map.put(&1u32, &10u32, UpdateFlags::ANY).unwrap();
    map.put(&1u32, &11u32, UpdateFlags::ANY).unwrap();
    assert_eq!(map.get::<u32, u32>(&1).unwrap(), Some(11));

    // NOEXIST creates only.
    map.put(&2u32, &20u32, UpdateFlags::NOEXIST).unwrap();
    let err = map.put(&2u32, &21u32, UpdateFlags::NOEXIST).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_UPDATE_ELEM on {} failed: EEXIST (File exists): the key already exists \
             (BPF_NOEXIST was asked)",
            label(&map)
        )
    );
    assert_eq!(map.get::<u32, u32>(&2).unwrap(), Some(20), "unchanged");

    // EXIST replaces only.
    map.put(&2u32, &22u32, UpdateFlags::EXIST).unwrap();
    assert_eq!(map.get::<u32, u32>(&2).unwrap(), Some(22));
    let err = map.put(&3u32, &30u32, UpdateFlags::EXIST).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_UPDATE_ELEM on {} failed: ENOENT (No such file or directory): the key does \
             not exist (BPF_EXIST was asked)",
            label(&map)
        )
    );
    assert_eq!(map.get::<u32, u32>(&3).unwrap(), None);

    // Full: E2BIG.
    let small = new_map(MapType::HASH, 4, 4, 1, "m_full");
    small.put(&1u32, &1u32, UpdateFlags::ANY).unwrap();
    let err = small.put(&2u32, &2u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::E2BIG));

    // An array's elements always exist: NOEXIST always fails, EXIST always works in range.
    let array = new_map(MapType::ARRAY, 4, 4, 2, "m_modes_arr");
    array.put(&1u32, &5u32, UpdateFlags::EXIST).unwrap();
    let err = array.put(&0u32, &5u32, UpdateFlags::NOEXIST).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    let err = array.put(&2u32, &5u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::E2BIG), "index out of range");
    let err = array.remove(&0u32).unwrap_err();
    assert_eq!(
        err.errno(),
        Some(Errno::EINVAL),
        "array elements cannot be deleted"
    );
}

#[test]
fn f_lock_updates_and_lookups_with_a_handmade_spin_lock_btf() {
    require_kernel!();
    let (blob, types) = handmade_btf::spin_lock_btf();
    let btf = LoadedBtf::load(&blob).unwrap();
    let spec = MapSpec::new(MapType::HASH, 4, 8, 8)
        .with_name("m_locked")
        .unwrap()
        .with_btf_type_ids(types.int, types.value);
    let map = Map::create_with_btf(&spec, &btf).unwrap();
    assert_ne!(map.info().btf_id(), 0);
    assert_eq!(map.info().btf_type_ids(), (types.int, types.value));
    // The BTF object may go: the map holds it.
    drop(btf);

    // [lock, count]: the kernel never copies the lock word from or to userspace.
    map.put(&1u32, &[0xdead_u32, 5], UpdateFlags::ANY.with_lock())
        .unwrap();
    assert_eq!(map.get::<u32, [u32; 2]>(&1).unwrap(), Some([0, 5]));
    map.put(&1u32, &[0xbeef_u32, 6], UpdateFlags::EXIST.with_lock())
        .unwrap();
    let mut value = [0xffu8; 8];
    assert!(map.lookup_locked(&1u32.to_ne_bytes(), &mut value).unwrap());
    assert_eq!(value[..4], [0, 0, 0, 0], "the lock word reads as 0");
    assert_eq!(value[4..], 6u32.to_ne_bytes());
    // The mode still applies under the lock.
    let err = map
        .put(&2u32, &[0u32, 1], UpdateFlags::EXIST.with_lock())
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    let err = map
        .put(&1u32, &[0u32, 1], UpdateFlags::NOEXIST.with_lock())
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST));

    // A map whose value holds a spin lock cannot be frozen.
    assert_eq!(map.freeze().unwrap_err().errno(), Some(Errno::ENOTSUPP));

    // BPF_F_LOCK on a map without a spin lock: EINVAL from the kernel.
    let plain = new_map(MapType::HASH, 4, 8, 8, "m_unlocked");
    let err = plain
        .put(&1u32, &[0u32, 1], UpdateFlags::ANY.with_lock())
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    let err = plain
        .lookup_locked(&1u32.to_ne_bytes(), &mut [0u8; 8])
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
}

#[test]
fn wrong_sizes_are_refused_before_any_syscall() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 8, 8, "m_sizes");
    let check = |err: Error, what: SizeKind, expected: usize, got: usize| match err {
        Error::Size {
            map: label,
            what: w,
            expected: e,
            got: g,
        } => {
            assert_eq!((w, e, g), (what, expected, got));
            assert_eq!(label.id, Some(map.id()));
        }
        other => panic!("expected Error::Size, got {other:?}"),
    };
    let k = [0u8; 4];
    let (errs, calls) = counted(|| {
        vec![
            (
                map.lookup(&[0u8; 3], &mut [0u8; 8]).unwrap_err(),
                SizeKind::Key,
                4,
                3,
            ),
            (
                map.lookup(&k, &mut [0u8; 9]).unwrap_err(),
                SizeKind::Value,
                8,
                9,
            ),
            (
                map.update(&[0u8; 5], &[0u8; 8], UpdateFlags::ANY)
                    .unwrap_err(),
                SizeKind::Key,
                4,
                5,
            ),
            (
                map.update(&k, &[0u8; 4], UpdateFlags::ANY).unwrap_err(),
                SizeKind::Value,
                8,
                4,
            ),
            (map.delete(&[]).unwrap_err(), SizeKind::Key, 4, 0),
            (
                map.lookup_and_delete(&k, &mut [0u8; 7]).unwrap_err(),
                SizeKind::Value,
                8,
                7,
            ),
            (
                map.next_key(Some(&[0u8; 8]), &mut [0u8; 4]).unwrap_err(),
                SizeKind::Key,
                4,
                8,
            ),
            (
                map.next_key(None, &mut [0u8; 2]).unwrap_err(),
                SizeKind::Key,
                4,
                2,
            ),
            (map.get::<u64, u64>(&0).unwrap_err(), SizeKind::Key, 4, 8),
            (map.get::<u32, u32>(&0).unwrap_err(), SizeKind::Value, 8, 4),
            (
                map.put(&0u32, &0u16, UpdateFlags::ANY).unwrap_err(),
                SizeKind::Value,
                8,
                2,
            ),
            (map.remove(&0u8).unwrap_err(), SizeKind::Key, 4, 1),
            (
                map.take::<u32, [u8; 16]>(&0).unwrap_err(),
                SizeKind::Value,
                8,
                16,
            ),
            (
                map.put_batch(&[0u64], &[0u64], UpdateFlags::ANY)
                    .unwrap_err(),
                SizeKind::Key,
                4,
                8,
            ),
            (
                map.put_batch(&[0u32], &[0u32], UpdateFlags::ANY)
                    .unwrap_err(),
                SizeKind::Value,
                8,
                4,
            ),
            (map.remove_batch(&[0u16]).unwrap_err(), SizeKind::Key, 4, 2),
            (
                map.get_batch(&mut map.batch_cursor(), &mut [0u32; 4], &mut [0u32; 4])
                    .unwrap_err(),
                SizeKind::Value,
                8,
                4,
            ),
            (
                map.keys::<u64>().next().unwrap().unwrap_err(),
                SizeKind::Key,
                4,
                8,
            ),
        ]
    });
    assert_eq!(calls, 0, "every size error comes before the syscall");
    for (err, what, expected, got) in errs {
        check(err, what, expected, got);
    }
    let err = map.lookup(&[0u8; 3], &mut [0u8; 8]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: key of 3 bytes given, the map's keys are 4 bytes",
            label(&map)
        )
    );
    let err = map.update(&k, &[0u8; 16], UpdateFlags::ANY).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: value of 16 bytes given, the map's values are 8 bytes",
            label(&map)
        )
    );
    // Batch slices of different lengths: refused before the syscall as well.
    let (err, calls) = counted(|| {
        map.put_batch(&[1u32, 2], &[1u64], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::BatchLengths { keys: 2, values: 1 },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn per_cpu_values_are_one_per_possible_cpu_eight_byte_aligned() {
    require_kernel!();
    let cpus = bpfmaps::possible_cpus().expect("possible CPUs");

    // value_size 4: each CPU's value sits in an 8-byte slot.
    let array = new_map(MapType::PERCPU_ARRAY, 4, 4, 2, "m_pcpu_arr");
    assert_eq!(array.value_len().unwrap(), 8 * cpus);
    let values: Vec<u32> = (0..cpus as u32).map(|c| 100 + c).collect();
    array.put_per_cpu(&1u32, &values, UpdateFlags::ANY).unwrap();
    assert_eq!(
        array.get_per_cpu::<u32, u32>(&1).unwrap(),
        Some(values.clone())
    );
    let mut bytes = vec![0xffu8; 8 * cpus];
    assert!(array.lookup(&1u32.to_ne_bytes(), &mut bytes).unwrap());
    for (cpu, slot) in bytes.chunks_exact(8).enumerate() {
        assert_eq!(slot[..4], (100 + cpu as u32).to_ne_bytes(), "CPU {cpu}");
        assert_eq!(slot[4..], [0; 4], "CPU {cpu}: padding");
    }
    // Untouched elements read as zero on every CPU.
    assert_eq!(
        array.get_per_cpu::<u32, u32>(&0).unwrap(),
        Some(vec![0; cpus])
    );

    // value_size 12: 16-byte slots; written as bytes, read typed.
    let hash = new_map(MapType::PERCPU_HASH, 4, 12, 4, "m_pcpu_hash");
    assert_eq!(hash.value_len().unwrap(), 16 * cpus);
    let mut bytes = vec![0u8; 16 * cpus];
    for (cpu, slot) in bytes.chunks_exact_mut(16).enumerate() {
        for (i, word) in slot[..12].chunks_exact_mut(4).enumerate() {
            word.copy_from_slice(&((cpu * 10 + i) as u32).to_ne_bytes());
        }
    }
    hash.update(&7u32.to_ne_bytes(), &bytes, UpdateFlags::ANY)
        .unwrap();
    let got = hash.get_per_cpu::<u32, [u32; 3]>(&7).unwrap().unwrap();
    assert_eq!(got.len(), cpus);
    for (cpu, v) in got.iter().enumerate() {
        let c = cpu as u32 * 10;
        assert_eq!(*v, [c, c + 1, c + 2], "CPU {cpu}");
    }
    assert_eq!(hash.get_per_cpu::<u32, [u32; 3]>(&8).unwrap(), None);

    // One CPU's value through the byte API is a size error: the kernel copies all of them.
    let err = hash
        .lookup(&7u32.to_ne_bytes(), &mut [0u8; 12])
        .unwrap_err();
    assert!(
        matches!(err, Error::Size { what: SizeKind::Value, expected, got: 12, .. } if expected == 16 * cpus),
        "{err:?}"
    );
    // Too few values for put_per_cpu.
    let (err, calls) = counted(|| {
        hash.put_per_cpu(&7u32, &[[0u32; 3]], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
    assert!(
        matches!(
            err,
            Error::Size {
                what: SizeKind::Value,
                ..
            }
        ),
        "{err:?}"
    );
    // A value type of another size.
    let err = hash.get_per_cpu::<u32, u64>(&7).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Size {
                expected: 12,
                got: 8,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn per_cpu_access_to_a_map_that_is_not_per_cpu_is_refused() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 4, "m_not_pcpu");
    let (err, calls) = counted(|| map.get_per_cpu::<u32, u32>(&1).unwrap_err());
    assert_eq!(calls, 0);
    // The sizes match; what is wrong is the type, and the message must not claim otherwise.
    assert_eq!(
        err.to_string(),
        format!(
            "'m_not_pcpu' (id {}): hash maps have no per-CPU value operation",
            map.id()
        )
    );
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::Unsupported {
                    map_type: MapType::HASH,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    let (err, calls) = counted(|| {
        map.put_per_cpu(&1u32, &[1u32, 2], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
}

#[test]
fn queue_and_stack_take_an_empty_key() {
    require_kernel!();
    let queue = new_map(MapType::QUEUE, 0, 8, 3, "m_queue");
    assert_eq!(queue.get::<(), u64>(&()).unwrap(), None, "empty: peek");
    assert_eq!(queue.take::<(), u64>(&()).unwrap(), None, "empty: pop");
    for v in [1u64, 2, 3] {
        queue.put(&(), &v, UpdateFlags::ANY).unwrap();
    }
    // Full: ANY fails, EXIST pushes out the oldest.
    let err = queue.put(&(), &4u64, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::E2BIG));
    queue.put(&(), &4u64, UpdateFlags::EXIST).unwrap();
    assert_eq!(
        queue.get::<(), u64>(&()).unwrap(),
        Some(2),
        "peek does not pop"
    );
    assert_eq!(queue.take::<(), u64>(&()).unwrap(), Some(2));
    assert_eq!(queue.take::<(), u64>(&()).unwrap(), Some(3));
    // The byte API with an empty key.
    let mut v = [0u8; 8];
    assert!(queue.lookup_and_delete(&[], &mut v).unwrap());
    assert_eq!(u64::from_ne_bytes(v), 4);
    assert!(!queue.lookup_and_delete(&[], &mut v).unwrap());

    let stack = new_map(MapType::STACK, 0, 4, 4, "m_stack");
    for v in [1u32, 2, 3] {
        stack.put(&(), &v, UpdateFlags::ANY).unwrap();
    }
    assert_eq!(stack.get::<(), u32>(&()).unwrap(), Some(3));
    assert_eq!(stack.take::<(), u32>(&()).unwrap(), Some(3));
    assert_eq!(stack.take::<(), u32>(&()).unwrap(), Some(2));
    assert_eq!(stack.take::<(), u32>(&()).unwrap(), Some(1));
    assert_eq!(stack.take::<(), u32>(&()).unwrap(), None);

    // A queue has no keys to walk: the kernel says EINVAL and the walk ends with that error.
    let mut keys = queue.keys::<()>();
    let err = keys.next().unwrap().unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    assert!(
        err.to_string().starts_with(&format!(
            "BPF_MAP_GET_NEXT_KEY on {} failed: EINVAL",
            label(&queue)
        )),
        "{err}"
    );
    assert!(keys.next().is_none());
    // A queue element cannot be deleted by key.
    assert!(queue.remove(&()).is_err());
}

/// A hash map holding `n` keys `k` → `k * 10`.
fn filled_hash(name: &str, n: u32) -> Map {
    let map = new_map(MapType::HASH, 4, 8, 2 * n, name);
    for k in 0..n {
        map.put(&k, &(u64::from(k) * 10), UpdateFlags::ANY).unwrap();
    }
    map
}

#[test]
fn keys_entries_and_key_cursor_walk_every_element_once() {
    require_kernel!();
    let map = filled_hash("m_walk", 50);
    let keys: Vec<u32> = map.keys::<u32>().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys.len(), 50);
    assert_eq!(
        keys.iter().copied().collect::<BTreeSet<_>>(),
        (0..50).collect()
    );

    let entries: Vec<(u32, u64)> = map.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(entries.len(), 50);
    assert!(entries.iter().all(|&(k, v)| v == u64::from(k) * 10));
    // The same order as the key walk.
    assert_eq!(entries.iter().map(|e| e.0).collect::<Vec<_>>(), keys);

    let mut cursor = map.key_cursor();
    let mut walked = Vec::new();
    while let Some(key) = cursor.next_key().unwrap() {
        walked.push(u32::from_ne_bytes(key.try_into().unwrap()));
    }
    assert_eq!(walked, keys);
    assert!(cursor.next_key().unwrap().is_none(), "stays at the end");

    // An array walks every index, in order.
    let array = new_map(MapType::ARRAY, 4, 4, 6, "m_walk_arr");
    array.put(&3u32, &33u32, UpdateFlags::ANY).unwrap();
    let keys: Vec<u32> = array.keys::<u32>().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys, (0..6).collect::<Vec<_>>());
    let entries: Vec<(u32, u32)> = array.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(entries[3], (3, 33));
    assert_eq!(entries[0], (0, 0));

    // An empty map walks nothing.
    let empty = new_map(MapType::HASH, 4, 4, 4, "m_walk_empty");
    assert_eq!(empty.keys::<u32>().count(), 0);
    assert!(empty.key_cursor().next_key().unwrap().is_none());
}

#[test]
fn deleting_each_key_as_it_is_yielded() {
    require_kernel!();
    // keys()
    let map = filled_hash("m_del_keys", 100);
    let mut seen = Vec::new();
    for key in map.keys::<u32>() {
        let key = key.unwrap();
        assert!(
            map.remove(&key).unwrap(),
            "{key} was in the map when yielded"
        );
        seen.push(key);
    }
    assert_eq!(seen.len(), 100, "no key skipped or repeated");
    assert_eq!(
        seen.iter().copied().collect::<BTreeSet<_>>(),
        (0..100).collect()
    );
    assert_eq!(map.keys::<u32>().count(), 0);

    // iter()
    let map = filled_hash("m_del_iter", 100);
    let mut seen = BTreeSet::new();
    for entry in map.iter::<u32, u64>() {
        let (key, value) = entry.unwrap();
        assert_eq!(value, u64::from(key) * 10);
        assert!(map.remove(&key).unwrap());
        assert!(seen.insert(key), "{key} yielded twice");
    }
    assert_eq!(seen, (0..100).collect());

    // key_cursor()
    let map = filled_hash("m_del_cursor", 100);
    let mut cursor = map.key_cursor();
    let mut seen = BTreeSet::new();
    while let Some(key) = cursor.next_key().unwrap() {
        assert!(map.delete(key).unwrap());
        assert!(seen.insert(u32::from_ne_bytes(key.try_into().unwrap())));
    }
    assert_eq!(seen, (0..100).collect());
    assert!(map.keys::<u32>().next().is_none());
}

#[test]
fn deleting_the_next_key_ahead_during_a_walk() {
    require_kernel!();
    // The kernel's order, learnt first; then at each yielded key, that key and the one after it
    // in that order are deleted. The kernel restarts a walk from the first key when the
    // current one is gone; the walk must still end, visit no key twice and leave the map empty.
    let map = filled_hash("m_del_ahead", 100);
    let order: Vec<u32> = map.keys::<u32>().collect::<Result<_, _>>().unwrap();
    let after = |k: u32| {
        let i = order.iter().position(|&o| o == k).unwrap();
        order.get(i + 1).copied()
    };

    // keys(): every key is yielded once, in order; those deleted ahead were already fetched
    // and are yielded anyway (their removal then finds nothing).
    let mut yielded = Vec::new();
    for key in map.keys::<u32>() {
        let key = key.unwrap();
        map.remove(&key).unwrap();
        if let Some(next) = after(key) {
            map.remove(&next).unwrap();
        }
        yielded.push(key);
    }
    assert_eq!(yielded, order);
    assert_eq!(map.keys::<u32>().count(), 0);

    // iter(): an entry deleted ahead is skipped (its lookup finds nothing), so every other
    // key of the order is yielded, each still present when yielded.
    let map = filled_hash("m_del_ahead2", 100);
    let order: Vec<u32> = map.keys::<u32>().collect::<Result<_, _>>().unwrap();
    let after = |k: u32| {
        let i = order.iter().position(|&o| o == k).unwrap();
        order.get(i + 1).copied()
    };
    let mut deleted = BTreeSet::new();
    let mut yielded = Vec::new();
    for entry in map.iter::<u32, u64>() {
        let (key, value) = entry.unwrap();
        assert!(
            !deleted.contains(&key),
            "{key} was yielded after its deletion"
        );
        assert_eq!(value, u64::from(key) * 10);
        for k in std::iter::once(key).chain(after(key)) {
            map.remove(&k).unwrap();
            deleted.insert(k);
        }
        yielded.push(key);
    }
    let expected: Vec<u32> = order.iter().copied().step_by(2).collect();
    assert_eq!(yielded, expected);
    assert_eq!(map.keys::<u32>().count(), 0);
}

#[test]
fn batch_update_lookup_in_small_steps_take_and_delete() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 8, 256, "m_batch");
    let keys: Vec<u32> = (0..100).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) << 32 | 7).collect();
    map.put_batch(&keys, &values, UpdateFlags::ANY).unwrap();
    assert_eq!(map.keys::<u32>().count(), 100);
    // The kernel takes no BPF_NOEXIST/BPF_EXIST in a batch: refused before the syscall.
    for mode in [UpdateFlags::NOEXIST, UpdateFlags::EXIST] {
        let (err, calls) = counted(|| map.put_batch(&keys[..1], &values[..1], mode).unwrap_err());
        assert_eq!(calls, 0);
        assert!(
            matches!(
                err,
                Error::Refused {
                    refusal: Refusal::Unsupported {
                        map_type: MapType::HASH,
                        ..
                    },
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "'m_batch' (id {}): hash maps have no batch update with BPF_NOEXIST or \
                 BPF_EXIST operation",
                map.id()
            )
        );
    }

    // A buffer of 7 over several calls, until the cursor says the walk is done.
    let mut cursor = map.batch_cursor();
    let (mut k, mut v) = ([0u32; 7], [0u64; 7]);
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    while !cursor.is_done() {
        let n = map.get_batch(&mut cursor, &mut k, &mut v).unwrap();
        assert!(n <= 7);
        for i in 0..n {
            assert_eq!(v[i], u64::from(k[i]) << 32 | 7);
            assert!(seen.insert(k[i]), "{} returned twice", k[i]);
        }
        calls += 1;
        assert!(calls <= 100, "the walk does not end");
    }
    assert_eq!(seen, keys.iter().copied().collect());
    assert!(
        calls >= 100 / 7,
        "{calls} calls for 100 elements 7 at a time"
    );
    // At the end, further calls return nothing; reset starts over.
    assert_eq!(map.get_batch(&mut cursor, &mut k, &mut v).unwrap(), 0);
    cursor.reset();
    assert!(map.get_batch(&mut cursor, &mut k, &mut v).unwrap() > 0);

    // remove_batch deletes the listed keys in one call.
    map.remove_batch(&keys[..50]).unwrap();
    assert_eq!(map.keys::<u32>().count(), 50);
    assert_eq!(map.get::<u32, u64>(&10).unwrap(), None);
    // A missing key stops the kernel there: the error says how many went first.
    let err = map.remove_batch(&[60u32, 61, 10, 62]).unwrap_err();
    match &err {
        Error::Batch {
            done,
            requested,
            source,
        } => {
            assert_eq!((*done, *requested), (2, 4));
            assert_eq!(source.errno, Errno::ENOENT);
        }
        other => panic!("expected a batch error, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with(&format!(
            "BPF_MAP_DELETE_BATCH on {} failed: ENOENT",
            label(&map)
        )) && err.to_string().ends_with("(after 2 of 4 elements)"),
        "{err}"
    );
    assert_eq!(map.keys::<u32>().count(), 48);

    // take_batch copies and deletes, until the map is empty.
    let mut cursor = map.batch_cursor();
    let mut taken = BTreeSet::new();
    while !cursor.is_done() {
        let n = map.take_batch(&mut cursor, &mut k, &mut v).unwrap();
        for i in 0..n {
            assert_eq!(v[i], u64::from(k[i]) << 32 | 7);
            taken.insert(k[i]);
        }
    }
    assert_eq!(taken.len(), 48);
    assert_eq!(map.keys::<u32>().count(), 0);
}

#[test]
fn batch_lookup_of_an_array_in_small_steps() {
    require_kernel!();
    let map = new_map(MapType::ARRAY, 4, 4, 20, "m_batch_arr");
    let keys: Vec<u32> = (0..20).collect();
    let values: Vec<u32> = keys.iter().map(|k| k * k).collect();
    map.put_batch(&keys, &values, UpdateFlags::ANY).unwrap();
    let mut cursor = map.batch_cursor();
    let (mut k, mut v) = ([0u32; 7], [0u32; 7]);
    let mut sizes = Vec::new();
    let mut got = Vec::new();
    while !cursor.is_done() {
        let n = map.get_batch(&mut cursor, &mut k, &mut v).unwrap();
        sizes.push(n);
        got.extend(k[..n].iter().copied().zip(v[..n].iter().copied()));
    }
    assert_eq!(sizes, [7, 7, 6]);
    assert_eq!(got, keys.iter().map(|&k| (k, k * k)).collect::<Vec<_>>());
    // Arrays have no batch delete: the kernel refuses it before the first element.
    let err = map.remove_batch(&[0u32, 1]).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOTSUPP));
    assert!(
        matches!(
            err,
            Error::Batch {
                done: 0,
                requested: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_DELETE_BATCH on {} failed: ENOTSUPP (Operation is not supported \
             (kernel-internal ENOTSUPP)): this map type has no batch delete (ARRAY_OF_MAPS and \
             arrays do not) (after 0 of 2 elements)",
            label(&map)
        )
    );
}

#[test]
fn a_frozen_map_reads_but_refuses_writes() {
    require_kernel!();
    let map = new_map(MapType::HASH, 4, 4, 4, "m_frozen");
    map.put(&1u32, &1u32, UpdateFlags::ANY).unwrap();
    map.freeze().unwrap();
    assert_eq!(map.get::<u32, u32>(&1).unwrap(), Some(1));
    assert_eq!(map.keys::<u32>().count(), 1);
    let err = map.put(&1u32, &2u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_UPDATE_ELEM on {} failed: EPERM (Operation not permitted): the map or this \
             fd is read-only (frozen, BPF_F_RDONLY, or opened read-only), or the process lacks \
             CAP_BPF",
            label(&map)
        )
    );
    assert_eq!(map.remove(&1u32).unwrap_err().errno(), Some(Errno::EPERM));
    assert_eq!(
        map.put_batch(&[2u32], &[2u32], UpdateFlags::ANY)
            .unwrap_err()
            .errno(),
        Some(Errno::EPERM)
    );
    // Every handle on the map sees it frozen.
    let other = Map::from_id(map.id()).unwrap();
    assert_eq!(
        other
            .put(&3u32, &3u32, UpdateFlags::ANY)
            .unwrap_err()
            .errno(),
        Some(Errno::EPERM)
    );
    // Freezing twice: the kernel sees the frozen map's fd as read-only and says EPERM.
    let err = map.freeze().unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_FREEZE on {} failed: EPERM (Operation not permitted): the map is already \
             frozen, or this fd is read-only",
            label(&map)
        )
    );
}

#[test]
fn error_messages_name_the_command_the_map_and_the_errno() {
    require_kernel!();
    // Unnamed maps are named by their id.
    let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
    let err = map.put(&5u32, &0u32, UpdateFlags::ANY).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_MAP_UPDATE_ELEM on map id {} failed: E2BIG (Argument list too long): the map \
             is full (max_entries reached), or the array index is out of range",
            map.id()
        )
    );
    match &err {
        Error::Syscall(e) => {
            assert_eq!(e.cmd, bpfmaps::Command::MAP_UPDATE_ELEM);
            assert_eq!(e.errno, Errno::E2BIG);
            assert!(e.hint().is_some());
        }
        other => panic!("expected a syscall error, got {other:?}"),
    }
    // A create the kernel refuses names the spec's name, the command and the errno.
    let err = Map::create(
        &MapSpec::new(MapType::HASH, 0, 4, 4)
            .with_name("m_zero_key")
            .unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("BPF_MAP_CREATE on map 'm_zero_key' failed: EINVAL (Invalid argument)"),
        "{err}"
    );
}

#[test]
fn fd_values_are_written_as_borrowed_fds_never_as_integers() {
    require_kernel!();
    let perf = new_map(MapType::PERF_EVENT_ARRAY, 4, 4, 2, "m_perf");
    // An integer where the kernel reads an fd number: refused before the syscall.
    let (err, calls) = counted(|| {
        perf.update(&0u32.to_ne_bytes(), &1u32.to_ne_bytes(), UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::FdValueNeedsFd(MapType::PERF_EVENT_ARRAY),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Map::update_fd"), "{err}");
    let (err, calls) = counted(|| perf.put(&0u32, &1u32, UpdateFlags::ANY).unwrap_err());
    assert_eq!(calls, 0);
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    let (err, calls) = counted(|| {
        perf.put_batch(&[0u32], &[1u32], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");

    // A borrowed fd of the wrong kind reaches the kernel, which refuses it.
    let file = std::fs::File::open("/proc/self/status").unwrap();
    let err = perf.update_fd(&0u32, &file, UpdateFlags::ANY).unwrap_err();
    assert!(err.errno().is_some(), "{err:?}");
    assert!(perf.keys::<u32>().count() <= 2);

    // Sockets go into socket maps, as 4 or 8 bytes; lookups answer with a cookie (8 bytes).
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let sockets = new_map(MapType::SOCKMAP, 4, 8, 2, "m_sockets");
    sockets.update_fd(&1u32, &socket, UpdateFlags::ANY).unwrap();
    let cookie = sockets.get::<u32, u64>(&1).unwrap().expect("a cookie");
    assert_ne!(cookie, 0);
    assert_eq!(sockets.get::<u32, u64>(&0).unwrap(), None);
    let narrow = new_map(MapType::SOCKMAP, 4, 4, 2, "m_sockets4");
    narrow.update_fd(&0u32, &socket, UpdateFlags::ANY).unwrap();
    let err = narrow
        .update_fd(&0u32, &socket, UpdateFlags::NOEXIST)
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    assert!(narrow.remove(&0u32).unwrap());
    // A socket map holds no fd of ours: closing the socket takes it out of the map.
    drop(socket);
    assert_eq!(sockets.get::<u32, u64>(&1).unwrap(), None);

    // update_fd is only for fd maps, and not for outer maps (OuterMap::insert checks the
    // inner map against the template).
    let hash = new_map(MapType::HASH, 4, 4, 2, "m_not_fds");
    let (err, calls) = counted(|| hash.update_fd(&0u32, &file, UpdateFlags::ANY).unwrap_err());
    assert_eq!(calls, 0);
    assert!(
        matches!(
            err,
            Error::Refused {
                refusal: Refusal::Unsupported { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let outer = bpfmaps::OuterMap::create(&MapSpec::array_of_maps(2), &hash).unwrap();
    let (err, calls) = counted(|| {
        outer
            .as_map()
            .update_fd(&0u32, &hash, UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(calls, 0);
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
}
