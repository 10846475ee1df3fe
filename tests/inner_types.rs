//! The crate's static tables about map types, proven against the running kernel:
//!
//! - `MapType::refused_as_inner()`: for every type that can be created here, an outer map is
//!   created with a map of that type as its template through a *raw* `bpf(2)` call (the
//!   crate's `OuterMap::create` would refuse before asking), and the kernel's verdict must be
//!   the table's.
//! - `InnerShape::fixes_max_entries()`: for every accepted type, an inner map with another
//!   `max_entries` is inserted with a raw update; the kernel accepts it exactly when the table
//!   says the size is free.
//! - `MapType::implied_flags()` and `InnerShape::of_spec`: a map created with flags F reports
//!   F plus the implied flags (and without `BPF_F_RDONLY`/`BPF_F_WRONLY`, which only shape the
//!   fd).
//!
//! Every test holds `common::serial()` (they create many maps; none compares global state, but
//! the binary keeps the rule).

mod common;
mod handmade_btf;

use std::fmt::Write as _;
use std::os::fd::{AsFd, OwnedFd};

use bpfmaps::{Errno, InnerShape, LoadedBtf, MapFlags, MapInfo, MapSpec, MapType};

/// The raw `bpf(2)` calls of this file: its own attribute structs, so that nothing of the
/// crate's checking stands between the test and the kernel.
mod raw {
    #![expect(
        unsafe_code,
        reason = "raw bpf(2) calls, to ask the kernel what the crate would refuse to ask"
    )]

    use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

    use bpfmaps::Errno;

    /// `union bpf_attr` for `BPF_MAP_CREATE`, up to `map_extra`.
    #[repr(C)]
    #[derive(Clone, Copy, Default, Debug)]
    pub struct MapCreate {
        pub map_type: u32,
        pub key_size: u32,
        pub value_size: u32,
        pub max_entries: u32,
        pub map_flags: u32,
        pub inner_map_fd: u32,
        pub numa_node: u32,
        pub map_name: [u8; 16],
        pub map_ifindex: u32,
        pub btf_fd: u32,
        pub btf_key_type_id: u32,
        pub btf_value_type_id: u32,
        pub btf_vmlinux_value_type_id: u32,
        pub map_extra: u64,
    }

    /// `union bpf_attr` for `BPF_MAP_UPDATE_ELEM`.
    #[repr(C)]
    #[derive(Clone, Copy, Default, Debug)]
    struct MapElem {
        map_fd: u32,
        _pad: u32,
        key: u64,
        value: u64,
        flags: u64,
    }

    const BPF_MAP_CREATE: libc::c_long = 0;
    const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;

    fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> Result<libc::c_long, Errno> {
        // SAFETY: `attr` is a live, exclusively borrowed `repr(C)` struct of exactly the size
        // passed, made of integers only (explicit padding, no implicit padding); the kernel
        // reads and writes within it. The pointers inside it are set by the callers below from
        // slices that outlive this call, with lengths they checked.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd,
                attr as *mut T as *mut libc::c_void,
                size_of::<T>() as libc::c_uint,
            )
        };
        if ret < 0 {
            Err(Errno::from_raw(
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            ))
        } else {
            Ok(ret)
        }
    }

    /// `BPF_MAP_CREATE` as given.
    pub fn map_create(attr: &MapCreate) -> Result<OwnedFd, Errno> {
        let mut attr = *attr;
        let fd = bpf(BPF_MAP_CREATE, &mut attr)?;
        // SAFETY: a successful BPF_MAP_CREATE returns a new fd that nothing else owns; it is
        // wrapped once, here.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    /// `BPF_MAP_UPDATE_ELEM` of an outer map: `key` → the fd `inner`.
    pub fn outer_update(
        outer: BorrowedFd<'_>,
        key: u32,
        inner: BorrowedFd<'_>,
    ) -> Result<(), Errno> {
        let key = key.to_ne_bytes();
        let value = (inner.as_raw_fd() as u32).to_ne_bytes();
        let mut attr = MapElem {
            map_fd: outer.as_raw_fd() as u32,
            key: key.as_ptr() as u64,
            value: value.as_ptr() as u64,
            ..MapElem::default()
        };
        // The kernel reads 4 bytes at `key` (the outer map's key_size, 4 for the array of maps
        // made below) and 4 at `value`.
        bpf(BPF_MAP_UPDATE_ELEM, &mut attr).map(drop)
    }

    #[test]
    fn layouts_match_the_kernel_abi() {
        assert_eq!(size_of::<MapCreate>(), 72);
        assert_eq!(core::mem::offset_of!(MapCreate, map_name), 28);
        assert_eq!(core::mem::offset_of!(MapCreate, btf_fd), 48);
        assert_eq!(core::mem::offset_of!(MapCreate, map_extra), 64);
        assert_eq!(size_of::<MapElem>(), 32);
        assert_eq!(core::mem::offset_of!(MapElem, flags), 24);
    }
}

/// One map to create: a spec, and what a spec cannot say.
struct Case {
    spec: MapSpec,
    /// Needs the test's BTF object (local storage).
    btf: bool,
    /// `btf_vmlinux_value_type_id` (struct_ops).
    vmlinux_value_type_id: u32,
    /// Another valid `max_entries` for the type, if it has one.
    other_max_entries: Option<u32>,
    /// Whether a failure to create it fails the test. The others are skipped, with the reason
    /// printed: types newer than Linux 5.15 (bloom filter, user ring buffer, cgroup storage by
    /// id, arena) and types that depend on the kernel's configuration (XDP sockets, reuseport,
    /// BPF LSM, struct_ops). On the 6.18 kernel these tests were written on, all are created.
    core: bool,
}

impl Case {
    fn new(spec: MapSpec, other: Option<u32>) -> Case {
        Case {
            spec,
            btf: false,
            vmlinux_value_type_id: 0,
            other_max_entries: other,
            core: true,
        }
    }

    fn optional(mut self) -> Case {
        self.core = false;
        self
    }

    fn attr(&self, btf: &LoadedBtf, max_entries: u32) -> raw::MapCreate {
        use std::os::fd::AsRawFd;
        let s = &self.spec;
        let (key_id, value_id) = s.btf_type_ids();
        raw::MapCreate {
            map_type: s.map_type().as_raw(),
            key_size: s.key_size(),
            value_size: s.value_size(),
            max_entries,
            map_flags: s.flags().bits(),
            numa_node: s.numa_node(),
            btf_fd: if self.btf {
                btf.as_fd().as_raw_fd() as u32
            } else {
                0
            },
            btf_key_type_id: key_id,
            btf_value_type_id: value_id,
            btf_vmlinux_value_type_id: self.vmlinux_value_type_id,
            map_extra: s.map_extra(),
            ..raw::MapCreate::default()
        }
    }

    fn create(&self, btf: &LoadedBtf) -> Result<OwnedFd, Errno> {
        raw::map_create(&self.attr(btf, self.spec.max_entries()))
    }
}

/// The id of `bpf_struct_ops_tcp_congestion_ops` in the kernel's BTF and its size, for a
/// struct_ops map.
fn tcp_congestion_ops_value() -> Option<(u32, u32)> {
    use bpfmaps::btf::{Btf, Kind};
    let data = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
    let btf = Btf::parse(&data).ok()?;
    let id = btf.find_by_name(Kind::Struct, "bpf_struct_ops_tcp_congestion_ops")?;
    Some((id.get(), btf.size_of(id).ok()?))
}

/// A map of every type this crate knows, as the kernel wants it created.
fn every_type(storage_key: u32, storage_value: u32) -> Vec<Case> {
    use MapType as T;
    let s = MapSpec::new;
    let storage = |t| Case {
        spec: s(t, 4, 8, 0)
            .with_flags(MapFlags::NO_PREALLOC)
            .with_btf_type_ids(storage_key, storage_value),
        btf: true,
        vmlinux_value_type_id: 0,
        // Local storage is sized by its owners: max_entries must be 0.
        other_max_entries: None,
        core: true,
    };
    let mut cases = vec![
        Case::new(s(T::HASH, 4, 8, 4), Some(8)),
        Case::new(s(T::ARRAY, 4, 8, 4), Some(8)),
        Case::new(
            s(T::ARRAY, 4, 8, 4).with_flags(MapFlags::INNER_MAP),
            Some(8),
        ),
        Case::new(s(T::PROG_ARRAY, 4, 4, 4), Some(8)),
        Case::new(s(T::PERF_EVENT_ARRAY, 4, 4, 4), Some(8)),
        Case::new(s(T::PERCPU_HASH, 4, 8, 4), Some(8)),
        Case::new(s(T::PERCPU_ARRAY, 4, 8, 4), Some(8)),
        Case::new(s(T::STACK_TRACE, 4, 64, 4), Some(8)),
        Case::new(s(T::CGROUP_ARRAY, 4, 4, 4), Some(8)),
        Case::new(s(T::LRU_HASH, 4, 8, 4), Some(8)),
        Case::new(s(T::LRU_PERCPU_HASH, 4, 8, 4), Some(8)),
        Case::new(
            s(T::LPM_TRIE, 8, 8, 4).with_flags(MapFlags::NO_PREALLOC),
            Some(8),
        ),
        Case::new(s(T::DEVMAP, 4, 4, 4), Some(8)),
        Case::new(s(T::SOCKMAP, 4, 4, 4), Some(8)),
        Case::new(s(T::CPUMAP, 4, 4, 1), Some(2)),
        Case::new(s(T::XSKMAP, 4, 4, 4), Some(8)).optional(),
        Case::new(s(T::SOCKHASH, 4, 4, 4), Some(8)),
        // Key: the 8-byte cgroup inode id form of `struct bpf_cgroup_storage_key`.
        Case::new(s(T::CGROUP_STORAGE, 8, 8, 0), None),
        Case::new(s(T::REUSEPORT_SOCKARRAY, 4, 4, 4), Some(8)).optional(),
        Case::new(s(T::PERCPU_CGROUP_STORAGE, 8, 8, 0), None),
        Case::new(s(T::QUEUE, 0, 4, 4), Some(8)),
        Case::new(s(T::STACK, 0, 4, 4), Some(8)),
        storage(T::SK_STORAGE),
        Case::new(s(T::DEVMAP_HASH, 4, 4, 4), Some(8)),
        Case::new(s(T::RINGBUF, 0, 0, 4096), Some(8192)),
        storage(T::INODE_STORAGE).optional(),
        storage(T::TASK_STORAGE),
        Case::new(s(T::BLOOM_FILTER, 0, 4, 16).with_map_extra(3), Some(32)).optional(),
        Case::new(s(T::USER_RINGBUF, 0, 0, 4096), Some(8192)).optional(),
        storage(T::CGRP_STORAGE).optional(),
        Case::new(s(T::ARENA, 0, 0, 4).with_flags(MapFlags::MMAPABLE), Some(8)).optional(),
    ];
    if let Some((id, size)) = tcp_congestion_ops_value() {
        cases.push(Case {
            spec: s(T::STRUCT_OPS, 4, size, 1),
            // The value's type is the kernel's, but the kernel still wants a BTF object of the
            // caller's (any will do), or it answers EINVAL.
            btf: true,
            vmlinux_value_type_id: id,
            // A struct_ops map holds exactly one value.
            other_max_entries: None,
            core: false,
        });
    }
    cases
}

/// The local-storage BTF: (blob handle, key type id, value type id).
fn storage_btf() -> (LoadedBtf, u32, u32) {
    let (blob, key, value) = handmade_btf::storage_btf();
    (
        LoadedBtf::load(&blob).expect("load the storage BTF"),
        key,
        value,
    )
}

/// `BPF_MAP_CREATE` of a 1-slot array of maps with `template` as its inner template.
fn outer_with_template(template: &OwnedFd) -> Result<OwnedFd, Errno> {
    use std::os::fd::AsRawFd;
    raw::map_create(&raw::MapCreate {
        map_type: MapType::ARRAY_OF_MAPS.as_raw(),
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        inner_map_fd: template.as_raw_fd() as u32,
        ..raw::MapCreate::default()
    })
}

#[test]
fn refused_as_inner_and_fixes_max_entries_match_the_kernel() {
    let _guard = common::serial();
    require_kernel!();
    let (btf, key, value) = storage_btf();
    let mut report = String::new();
    let mut skipped = Vec::new();
    let mut checked = Vec::new();
    for case in every_type(key, value) {
        let t = case.spec.map_type();
        let what = format!("{t} (flags {:?})", case.spec.flags());
        let template = match case.create(&btf) {
            Ok(fd) => fd,
            Err(errno) if !case.core => {
                skipped.push(format!("{what}: cannot be created here ({errno})"));
                continue;
            }
            Err(errno) => panic!("{what}: BPF_MAP_CREATE failed: {errno}"),
        };
        let info = MapInfo::from_fd(&template).unwrap();

        // Is it accepted as an inner template?
        let verdict = outer_with_template(&template);
        let kernel_refuses = verdict.is_err();
        assert_eq!(
            kernel_refuses,
            t.refused_as_inner(),
            "{what}: the kernel says {verdict:?}, MapType::refused_as_inner() says {}",
            t.refused_as_inner()
        );
        // The crate's own check of an existing map agrees.
        assert_eq!(
            InnerShape::of_info(&info).inner_refusal().is_some(),
            kernel_refuses,
            "{what}: InnerShape::inner_refusal"
        );
        let outer = match verdict {
            Err(errno) => {
                // Types without inner-map support: the kernel-internal ENOTSUPP.
                assert_eq!(errno, Errno::ENOTSUPP, "{what}");
                writeln!(report, "{what}: refused as inner template ({errno:?})").unwrap();
                checked.push(t);
                continue;
            }
            Ok(outer) => outer,
        };

        // A second map like the template is accepted...
        let same = case.create(&btf).unwrap();
        raw::outer_update(outer.as_fd(), 0, same.as_fd())
            .unwrap_or_else(|e| panic!("{what}: a map like the template was refused: {e}"));
        // ...and one of another size exactly when the size is free.
        let fixes = InnerShape::of_info(&info).fixes_max_entries();
        let line = match case.other_max_entries {
            None => format!("{what}: accepted; only one max_entries is valid"),
            Some(other) => {
                let resized = raw::map_create(&case.attr(&btf, other))
                    .unwrap_or_else(|e| panic!("{what} with max_entries {other}: {e}"));
                let accepted = raw::outer_update(outer.as_fd(), 0, resized.as_fd());
                assert_eq!(
                    accepted.is_ok(),
                    !fixes,
                    "{what}: max_entries {} → {other}: the kernel says {accepted:?}, \
                     InnerShape::fixes_max_entries() says {fixes}",
                    case.spec.max_entries()
                );
                if let Err(errno) = accepted {
                    assert_eq!(errno, Errno::EINVAL, "{what}");
                }
                format!(
                    "{what}: accepted; another max_entries {}",
                    if fixes { "refused" } else { "accepted" }
                )
            }
        };
        writeln!(report, "{line}").unwrap();
        checked.push(t);
    }

    // The outer types themselves: refused (one level of nesting), with EINVAL.
    let array = Case::new(MapSpec::new(MapType::ARRAY, 4, 4, 1), None)
        .create(&btf)
        .unwrap();
    for outer_type in [MapType::ARRAY_OF_MAPS, MapType::HASH_OF_MAPS] {
        use std::os::fd::AsRawFd;
        assert!(outer_type.refused_as_inner());
        let outer = raw::map_create(&raw::MapCreate {
            map_type: outer_type.as_raw(),
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            inner_map_fd: array.as_raw_fd() as u32,
            ..raw::MapCreate::default()
        })
        .unwrap();
        assert_eq!(
            outer_with_template(&outer).unwrap_err(),
            Errno::EINVAL,
            "{outer_type} as template"
        );
        writeln!(report, "{outer_type}: refused as inner template (EINVAL)").unwrap();
        checked.push(outer_type);
    }
    // UNSPEC cannot even be created.
    assert!(MapType::UNSPEC.refused_as_inner());
    assert!(raw::map_create(&raw::MapCreate::default()).is_err());
    checked.push(MapType::UNSPEC);

    // Every type the crate knows was checked or skipped with a reason.
    let missing: Vec<_> = MapType::KNOWN
        .iter()
        .filter(|t| {
            !checked.contains(t)
                && !skipped
                    .iter()
                    .any(|s| s.starts_with(t.name().unwrap_or("")))
        })
        .collect();
    eprintln!("{report}");
    for s in &skipped {
        eprintln!("skipped: {s}");
    }
    assert!(missing.is_empty(), "types not checked: {missing:?}");
}

#[test]
fn created_flags_are_reported_with_the_implied_ones() {
    let _guard = common::serial();
    require_kernel!();
    let (btf, key, value) = storage_btf();
    let mut cases = every_type(key, value);
    // More flags on the types that take them.
    let more = |spec: MapSpec, flags: MapFlags| Case::new(spec.with_flags(flags), None);
    cases.extend([
        more(
            MapSpec::new(MapType::HASH, 4, 8, 4),
            MapFlags::NO_PREALLOC | MapFlags::ZERO_SEED | MapFlags::RDONLY_PROG,
        ),
        more(
            MapSpec::new(MapType::ARRAY, 4, 8, 4),
            MapFlags::MMAPABLE | MapFlags::INNER_MAP | MapFlags::WRONLY_PROG,
        ),
        more(
            MapSpec::new(MapType::LRU_HASH, 4, 8, 4),
            MapFlags::NO_COMMON_LRU,
        ),
        more(
            MapSpec::new(MapType::PERF_EVENT_ARRAY, 4, 4, 4),
            MapFlags::PRESERVE_ELEMS,
        ),
        Case::new(
            MapSpec::new(MapType::DEVMAP, 4, 4, 4).with_numa_node(0),
            None,
        ),
        Case::new(MapSpec::new(MapType::HASH, 4, 8, 4).with_numa_node(0), None),
        // The fd-access flags: not kept in the map's flags.
        more(MapSpec::new(MapType::HASH, 4, 8, 4), MapFlags::RDONLY),
        more(MapSpec::new(MapType::ARRAY, 4, 8, 4), MapFlags::WRONLY),
        more(MapSpec::new(MapType::DEVMAP, 4, 4, 4), MapFlags::RDONLY),
    ]);
    let fd_access = MapFlags::RDONLY | MapFlags::WRONLY;
    let mut checked = 0;
    for case in cases {
        let t = case.spec.map_type();
        let flags = case.spec.flags();
        let fd = match case.create(&btf) {
            Ok(fd) => fd,
            Err(_) if !case.core => continue,
            Err(errno) => panic!("{t} with {flags:?}: {errno}"),
        };
        let info = MapInfo::from_fd(&fd).unwrap();
        if !flags.intersects(fd_access) {
            assert_eq!(
                info.flags(),
                flags | t.implied_flags(),
                "{t}: created with {flags:?}"
            );
        }
        // What the crate expects of any map made from the spec is what the kernel reports.
        assert_eq!(
            InnerShape::of_spec(&case.spec),
            InnerShape::of_info(&info),
            "{t}: created with {flags:?}"
        );
        assert_eq!(info.flags() & fd_access, MapFlags::empty(), "{t}");
        checked += 1;
    }
    eprintln!("{checked} maps created and checked");
}

#[test]
fn implied_flags_are_refused_when_asked_for() {
    let _guard = common::serial();
    require_kernel!();
    // The kernel adds BPF_F_RDONLY_PROG to device maps and refuses it from userspace: a spec
    // must leave it out, and a template learnt from a map's info takes it out.
    let (btf, _, _) = storage_btf();
    for t in MapType::KNOWN {
        let implied = t.implied_flags();
        if implied.is_empty() {
            continue;
        }
        let case = Case::new(MapSpec::new(*t, 4, 4, 4).with_flags(implied), None);
        assert_eq!(
            case.create(&btf).unwrap_err(),
            Errno::EINVAL,
            "{t} created with its implied flags {implied:?}"
        );
    }
}
