//! Bad input that reaches for the kernel: each case must give a typed error and leave nothing
//! behind — the same fds open, no map created (the kernel's map ids compared in a window where
//! no map was created by anyone), and exactly the bpf(2) calls expected (0 for what the crate
//! refuses itself).
//!
//! Every test holds `common::serial()`.

mod common;
mod handmade_btf;
mod state;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use bpfmaps::{
    Command, Errno, Error, LoadedBtf, Map, MapId, MapInfo, MapSpec, MapType, OpenFlags, OuterMap,
    SizeKind, UpdateFlags,
};

use state::traceless;

/// The errno of a failed bpf(2) call, and its command.
#[track_caller]
fn syscall(err: &Error) -> (Command, Errno) {
    match err {
        Error::Syscall(e) => (e.cmd, e.errno),
        Error::Batch { source, .. } => (source.cmd, source.errno),
        other => panic!("expected a failed bpf(2) call, got {other:?}"),
    }
}

#[track_caller]
fn assert_size(err: &Error, what: SizeKind, expected: usize, got: usize) {
    match err {
        Error::Size {
            what: w,
            expected: e,
            got: g,
            ..
        } => assert_eq!((*w, *e, *g), (what, expected, got), "{err}"),
        other => panic!("expected Error::Size, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_a_map(err: &Error, detail_starts: &str) {
    match err {
        Error::NotAMap { detail, .. } => {
            assert!(detail.starts_with(detail_starts), "{detail}")
        }
        other => panic!("expected Error::NotAMap, got {other:?}"),
    }
}

#[test]
fn wrong_key_and_value_sizes() {
    let _guard = common::serial();
    require_kernel!();
    let map = Map::create(&MapSpec::new(MapType::HASH, 8, 16, 8)).unwrap();
    let outer = OuterMap::create(
        &MapSpec::hash_of_maps(8, 8),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let inner = outer.new_inner("bad_size").unwrap();

    let err = traceless("short key", 0, || map.get::<u32, [u8; 16]>(&1).unwrap_err());
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("long value", 0, || {
        map.update(&[0; 8], &[0; 17], UpdateFlags::ANY).unwrap_err()
    });
    assert_size(&err, SizeKind::Value, 16, 17);
    let err = traceless("empty key delete", 0, || map.delete(&[]).unwrap_err());
    assert_size(&err, SizeKind::Key, 8, 0);
    let err = traceless("batch of wrong keys", 0, || {
        map.remove_batch(&[1u32, 2]).unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("outer insert with a short key", 0, || {
        outer.insert(&1u32, &inner).unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("outer batch insert with short keys", 0, || {
        outer.insert_batch(&[1u32], &[&inner]).unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("outer batch remove with short keys", 0, || {
        outer.remove_batch(&[1u32]).unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("outer lookup batch into short keys", 0, || {
        let mut cursor = outer.as_map().batch_cursor();
        outer
            .lookup_batch(&mut cursor, &mut [0u32; 4], &mut [None; 4])
            .unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 4);
    let err = traceless("outer get with a long key", 0, || {
        outer.get(&[0u8; 9]).map(drop).unwrap_err()
    });
    assert_size(&err, SizeKind::Key, 8, 9);
}

#[test]
fn closed_and_non_map_fds_as_templates() {
    let _guard = common::serial();
    require_kernel!();
    let aom = MapSpec::array_of_maps(2);
    let file = std::fs::File::open("/dev/null").unwrap();
    let (blob, _, _) = handmade_btf::storage_btf();
    let btf = LoadedBtf::load(&blob).unwrap();

    let err = traceless("a file as template", 0, || {
        OuterMap::create(&aom, file.as_fd()).map(drop).unwrap_err()
    });
    assert_not_a_map(&err, "it is /dev/null");
    let err = traceless("a BTF object as template", 0, || {
        OuterMap::create(&aom, btf.as_fd()).map(drop).unwrap_err()
    });
    assert_not_a_map(&err, "it is anon_inode:btf");
    // A closed fd: only the kernel can tell (BPF_OBJ_GET_INFO_BY_FD answers EBADFD).
    let err = traceless("a closed fd as template", 1, || {
        OuterMap::create(&aom, state::closed_fd())
            .map(drop)
            .unwrap_err()
    });
    assert_not_a_map(&err, "BPF_OBJ_GET_INFO_BY_FD failed: EBADF");
    // The same fds as the stdin of a process, where a naive loader would pass 0.
    let err = traceless("stdin as template", 0, || {
        OuterMap::create(&aom, std::io::stdin().as_fd())
            .map(drop)
            .unwrap_err()
    });
    assert!(matches!(err, Error::NotAMap { .. }), "{err:?}");
}

#[test]
fn closed_and_non_map_fds_as_inner_maps() {
    let _guard = common::serial();
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(4),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let good = outer.new_inner("bad_inner_ok").unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();

    let err = traceless("a file as inner map", 0, || {
        outer.insert(&0u32, &file).unwrap_err()
    });
    assert_not_a_map(&err, "it is /dev/null");
    let err = traceless("a closed fd as inner map", 1, || {
        outer.insert(&0u32, state::closed_fd()).unwrap_err()
    });
    assert_not_a_map(&err, "BPF_OBJ_GET_INFO_BY_FD failed: EBADF");
    // In a batch, after a good map: the good map is asked about (1 call), then the file is
    // refused, and nothing is inserted.
    let fds: [BorrowedFd<'_>; 2] = [good.as_fd(), file.as_fd()];
    let err = traceless("a file among inner maps", 1, || {
        outer.insert_batch(&[0u32, 1], &fds).unwrap_err()
    });
    assert_not_a_map(&err, "it is /dev/null");
    let fds: [BorrowedFd<'_>; 2] = [good.as_fd(), state::closed_fd()];
    let err = traceless("a closed fd among inner maps", 2, || {
        outer.insert_batch(&[0u32, 1], &fds).unwrap_err()
    });
    assert_not_a_map(&err, "BPF_OBJ_GET_INFO_BY_FD failed: EBADF");
    assert!(outer.lookup_all::<u32>().unwrap().is_empty());

    // Taking ownership of a non-map fd: refused, and the fd is closed (the fd check proves it).
    let err = traceless("Map::from_fd of a file", 0, || {
        let fd = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
        Map::from_fd(fd).map(drop).unwrap_err()
    });
    assert_not_a_map(&err, "it is /dev/null");
    let (blob, _, _) = handmade_btf::storage_btf();
    let btf = LoadedBtf::load(&blob).unwrap();
    let err = traceless("Map::from_fd of a BTF object", 0, || {
        let fd = btf.as_fd().try_clone_to_owned().unwrap();
        Map::from_fd(fd).map(drop).unwrap_err()
    });
    assert_not_a_map(&err, "it is anon_inode:btf");
    // MapInfo asks the kernel directly: EINVAL for a file, EBADFD for a closed fd.
    let err = traceless("MapInfo of a file", 1, || {
        MapInfo::from_fd(&file).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::OBJ_GET_INFO_BY_FD, Errno::EINVAL));
    let err = traceless("MapInfo of a closed fd", 1, || {
        MapInfo::from_fd(state::closed_fd()).unwrap_err()
    });
    assert!(
        matches!(syscall(&err).1, Errno::EBADF | Errno::EBADFD),
        "{err:?}"
    );
}

#[test]
fn ids_that_do_not_exist() {
    let _guard = common::serial();
    require_kernel!();
    let missing = MapId::new(0x7fff_fff0).unwrap();
    let err = traceless("Map::from_id", 1, || {
        Map::from_id(missing).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_GET_FD_BY_ID, Errno::ENOENT));
    let err = traceless("Map::from_id_with read-only", 1, || {
        Map::from_id_with(missing, OpenFlags::READ_ONLY)
            .map(drop)
            .unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_GET_FD_BY_ID, Errno::ENOENT));
    let err = traceless("Map::fd_from_id", 1, || {
        Map::fd_from_id(missing, OpenFlags::READ_WRITE)
            .map(drop)
            .unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_GET_FD_BY_ID, Errno::ENOENT));
    let err = traceless("OuterMap::from_id", 1, || {
        OuterMap::from_id(missing).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_GET_FD_BY_ID, Errno::ENOENT));
    // An id that existed: the map is gone once its last fd is closed.
    let id = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))
        .unwrap()
        .id();
    let err = traceless("a freed map's id", 1, || {
        Map::from_id(id).map(drop).unwrap_err()
    });
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    // Id 0 is not an id at all.
    assert_eq!(MapId::new(0), None);
}

#[test]
fn pin_paths_that_are_not_maps() {
    let _guard = common::serial();
    require_kernel!();
    let fs = common::TempBpffs::new("bad_pin");
    // Nothing pinned there.
    let nothing = fs.path().join("nothing");
    let err = traceless("nothing pinned", 1, || {
        Map::from_pin(&nothing).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::OBJ_GET, Errno::ENOENT));
    // A directory of the bpffs.
    let dir = fs.path().join("dir");
    std::fs::create_dir(&dir).unwrap();
    let err = traceless("a bpffs directory", 1, || {
        Map::from_pin(&dir).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::OBJ_GET, Errno::EACCES));
    // A regular file (bpffs holds none; one outside it).
    let file = std::env::temp_dir().join(format!("bpfmaps-bad-pin-{}", std::process::id()));
    std::fs::write(&file, b"not a map").unwrap();
    let err = traceless("a regular file", 1, || {
        Map::from_pin(&file).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::OBJ_GET, Errno::EACCES));
    let err = traceless("a regular file as outer map", 1, || {
        OuterMap::from_pin(&file).map(drop).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::OBJ_GET, Errno::EACCES));
    std::fs::remove_file(&file).unwrap();
    // A path with a NUL byte never reaches the kernel.
    let err = traceless("a NUL in the path", 0, || {
        Map::from_pin("/sys/fs/bpf/a\0b").map(drop).unwrap_err()
    });
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn pins_outside_bpffs() {
    let _guard = common::serial();
    require_kernel!();
    let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
    let tmp = std::env::temp_dir();
    let err = traceless("a pin under /tmp", 0, || {
        map.pin(tmp.join("bpfmaps-not-here")).unwrap_err()
    });
    assert!(
        matches!(&err, Error::NotBpffs { path } if *path == tmp),
        "{err:?}"
    );
    // A directory that does not exist: statfs's ENOENT, named with the path.
    let err = traceless("a pin in a missing directory", 0, || {
        map.pin("/nonexistent-bpfmaps-dir/pin").unwrap_err()
    });
    assert!(matches!(&err, Error::Io { .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    // A relative path is taken from the working directory (not a bpffs here).
    let err = traceless("a relative pin path", 0, || {
        map.pin("relative_pin").unwrap_err()
    });
    assert!(matches!(&err, Error::NotBpffs { .. }), "{err:?}");
    assert!(!std::path::Path::new("relative_pin").exists());
}

#[test]
fn frozen_read_only_and_write_only_maps() {
    let _guard = common::serial();
    require_kernel!();
    let frozen = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 4)).unwrap();
    frozen.put(&1u32, &10u32, UpdateFlags::ANY).unwrap();
    frozen.freeze().unwrap();
    // Reading a frozen map is allowed.
    assert_eq!(frozen.get::<u32, u32>(&1).unwrap(), Some(10));
    let mut cursor = frozen.batch_cursor();
    let (mut k, mut v) = ([0u32; 4], [0u32; 4]);
    assert_eq!(frozen.get_batch(&mut cursor, &mut k, &mut v).unwrap(), 1);
    // Writing it is not.
    let err = traceless("update of a frozen map", 1, || {
        frozen.put(&2u32, &20u32, UpdateFlags::ANY).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_UPDATE_ELEM, Errno::EPERM));
    let err = traceless("delete of a frozen map", 1, || {
        frozen.remove(&1u32).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_DELETE_ELEM, Errno::EPERM));
    let err = traceless("batch update of a frozen map", 1, || {
        frozen
            .put_batch(&[3u32], &[30u32], UpdateFlags::ANY)
            .unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_UPDATE_BATCH, Errno::EPERM));
    assert!(matches!(err, Error::Batch { done: 0, .. }), "{err:?}");
    let err = traceless("take from a frozen map", 1, || {
        frozen.take::<u32, u32>(&1).unwrap_err()
    });
    assert_eq!(
        syscall(&err),
        (Command::MAP_LOOKUP_AND_DELETE_ELEM, Errno::EPERM)
    );
    assert_eq!(frozen.get::<u32, u32>(&1).unwrap(), Some(10), "unchanged");

    // Opened read-only: written.
    let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 4)).unwrap();
    map.put(&1u32, &10u32, UpdateFlags::ANY).unwrap();
    let ro = Map::from_id_with(map.id(), OpenFlags::READ_ONLY).unwrap();
    assert_eq!(ro.get::<u32, u32>(&1).unwrap(), Some(10));
    let err = traceless("update through a read-only fd", 1, || {
        ro.put(&1u32, &11u32, UpdateFlags::ANY).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_UPDATE_ELEM, Errno::EPERM));
    let err = traceless("delete through a read-only fd", 1, || {
        ro.remove(&1u32).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_DELETE_ELEM, Errno::EPERM));
    // An outer map opened read-only refuses inserts.
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(2),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let inner = outer.new_inner("bad_ro_inner").unwrap();
    let ro_outer =
        OuterMap::from_map(Map::from_id_with(outer.id(), OpenFlags::READ_ONLY).unwrap()).unwrap();
    let err = traceless("insert through a read-only outer fd", 2, || {
        ro_outer.insert(&0u32, &inner).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_UPDATE_ELEM, Errno::EPERM));

    // Opened write-only: read.
    let wo = Map::from_id_with(map.id(), OpenFlags::WRITE_ONLY).unwrap();
    wo.put(&2u32, &20u32, UpdateFlags::ANY).unwrap();
    let err = traceless("lookup through a write-only fd", 1, || {
        wo.get::<u32, u32>(&1).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_LOOKUP_ELEM, Errno::EPERM));
    let err = traceless("key walk through a write-only fd", 1, || {
        wo.keys::<u32>().next().unwrap().unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_GET_NEXT_KEY, Errno::EPERM));
    let err = traceless("batch lookup through a write-only fd", 1, || {
        let mut cursor = wo.batch_cursor();
        wo.get_batch(&mut cursor, &mut [0u32; 2], &mut [0u32; 2])
            .unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_LOOKUP_BATCH, Errno::EPERM));
    assert!(matches!(err, Error::Batch { done: 0, .. }), "{err:?}");
    assert_eq!(map.get::<u32, u32>(&2).unwrap(), Some(20));
}

#[test]
fn kernel_refusals_of_a_create_or_an_update_leave_nothing() {
    let _guard = common::serial();
    require_kernel!();
    // The kernel refuses these creates: no fd, no map.
    for (what, spec) in [
        (
            "a hash with a 0-byte key",
            MapSpec::new(MapType::HASH, 0, 4, 4),
        ),
        (
            "an array of 0 entries",
            MapSpec::new(MapType::ARRAY, 4, 4, 0),
        ),
        (
            "an unknown type",
            MapSpec::new(MapType::from_raw(999), 4, 4, 4),
        ),
        (
            "an unknown flag",
            MapSpec::new(MapType::HASH, 4, 4, 4)
                .with_flags(bpfmaps::MapFlags::from_bits_retain(1 << 30)),
        ),
    ] {
        let err = traceless(what, 1, || Map::create(&spec).map(drop).unwrap_err());
        assert_eq!(
            syscall(&err),
            (Command::MAP_CREATE, Errno::EINVAL),
            "{what}"
        );
    }
    // An inner template the crate accepts but the kernel refuses: the template map the crate
    // made for the call is closed again (the fds check), and no outer map remains. (On EINVAL
    // the crate asks a cached probe whether the kernel has map-in-map at all: run it first, so
    // that the count is the create's own: template create (no info query: the template is
    // only handed to the kernel), outer create.)
    assert_eq!(bpfmaps::probe::map_in_map(), Ok(true));
    let err = state::traceless_creating("an outer map of 0 slots", 2, 1, || {
        OuterMap::create(
            &MapSpec::array_of_maps(0),
            &MapSpec::new(MapType::ARRAY, 4, 4, 1),
        )
        .map(drop)
        .unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_CREATE, Errno::EINVAL));
    // An index out of the outer array: E2BIG after the inner map's info.
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(2),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let inner = outer.new_inner("bad_index").unwrap();
    let err = traceless("slot 2 of 2", 2, || {
        outer.insert(&2u32, &inner).unwrap_err()
    });
    assert_eq!(syscall(&err), (Command::MAP_UPDATE_ELEM, Errno::E2BIG));
    assert!(outer.lookup_all::<u32>().unwrap().is_empty());
}

/// Moves stdin away and closes fd 0 for the duration of `f`, then puts it back.
#[expect(unsafe_code, reason = "closing and restoring fd 0 needs raw fd calls")]
fn with_fd0_closed<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: F_DUPFD_CLOEXEC makes a new fd (≥ 3) for whatever fd 0 is; nothing else owns it.
    let saved = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) };
    assert!(saved > 2, "stdin must be open to run this test");
    // SAFETY: fd 0 belongs to the process (std never closes it); closing it leaves no dangling
    // owner: std's Stdin reopens nothing and only this test, holding `serial()`, runs.
    assert_eq!(unsafe { libc::close(0) }, 0);
    let result = f();
    // SAFETY: `saved` is the fd made above; dup2 puts a copy back at 0, then `saved` is
    // closed exactly once.
    unsafe {
        assert_eq!(libc::dup2(saved, 0), 0);
        libc::close(saved);
    }
    result
}

/// Whether fd `fd` is open in this process.
fn is_open(fd: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists()
}

#[test]
fn a_closed_stdin_is_never_reused_for_a_map() {
    let _guard = common::serial();
    require_kernel!();
    let existing = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 4)).unwrap();
    let fds = common::open_fds();
    let (numbers, fd0_open) = with_fd0_closed(|| {
        let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
        let opened = Map::from_id(existing.id()).unwrap();
        let outer = OuterMap::create(
            &MapSpec::array_of_maps(1),
            &MapSpec::new(MapType::ARRAY, 4, 4, 1),
        )
        .unwrap();
        let inner = outer.new_inner("fd0_inner").unwrap();
        outer.insert(&0u32, &inner).unwrap();
        let got = outer.get(&0u32).unwrap().unwrap();
        let numbers: Vec<i32> = [
            map.as_fd(),
            opened.as_fd(),
            outer.as_fd(),
            inner.as_fd(),
            got.as_fd(),
        ]
        .iter()
        .map(|fd| fd.as_raw_fd())
        .collect();
        (numbers, is_open(0))
    });
    assert!(numbers.iter().all(|&fd| fd > 2), "fds {numbers:?}");
    assert!(!fd0_open, "fd 0 was taken while stdin was closed");
    assert_eq!(common::open_fds(), fds);
}
