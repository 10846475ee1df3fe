//! The baseline: `bpf(2)` called directly through `libc::syscall`, with this file's own
//! attribute structs (only the prefix of `union bpf_attr` each command needs), and a counting
//! global allocator.
//!
//! Nothing here uses the crate's `sys` module, so the baseline cannot inherit a cost from it.
//! The element helpers are what a careful C programmer would write: fill the struct, make the
//! call, read `errno` on failure — no retry loop, no size check per call.
//!
//! # Safety
//!
//! Soundness of the raw calls rests on one invariant: a [`RawMap<K, V>`] is only made by
//! [`RawMap::of`], which checks against the kernel's own info for the fd that `K` is exactly
//! `key_size` bytes and `V` exactly the value length the kernel copies (the map is neither
//! per-CPU nor an fd map read as anything but 4 bytes). Every pointer handed to the kernel is
//! then a reference to a `K` or `V` (or a slice of them, with the count taken from that slice),
//! live for the whole call.
#![allow(
    unsafe_code,
    reason = "the baseline calls bpf(2) itself, and the counting allocator wraps System"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::marker::PhantomData;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use bpfmaps::MapType;

// ---------------------------------------------------------------------------------------------
// Counting allocator.

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// `System`, counting every allocation (`alloc`, `alloc_zeroed`, `realloc`).
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, whose implementation
// upholds `GlobalAlloc`'s contract; the counter does not touch the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by this allocator, that is by `System`, with `layout`
        // (the caller's contract); the arguments are passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (the caller's contract).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations made so far by the whole process.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Commands and attribute structs (include/uapi/linux/bpf.h).

const MAP_CREATE: libc::c_long = 0;
const MAP_LOOKUP_ELEM: libc::c_long = 1;
const MAP_UPDATE_ELEM: libc::c_long = 2;
const MAP_DELETE_ELEM: libc::c_long = 3;
const MAP_GET_NEXT_KEY: libc::c_long = 4;
const MAP_GET_FD_BY_ID: libc::c_long = 14;
const OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const MAP_LOOKUP_BATCH: libc::c_long = 24;
const MAP_UPDATE_BATCH: libc::c_long = 26;

/// `BPF_MAP_CREATE`, up to `map_extra`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct CreateAttr {
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

impl CreateAttr {
    /// A map with these sizes, named with the first 15 bytes of `name`.
    pub fn new(map_type: MapType, key: u32, value: u32, max_entries: u32, name: &str) -> Self {
        let mut attr = CreateAttr {
            map_type: map_type.as_raw(),
            key_size: key,
            value_size: value,
            max_entries,
            ..CreateAttr::default()
        };
        let n = name.len().min(15);
        attr.map_name[..n].copy_from_slice(&name.as_bytes()[..n]);
        attr
    }
}

/// `BPF_MAP_*_ELEM` and `BPF_MAP_GET_NEXT_KEY`.
#[repr(C)]
struct ElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

/// `offsetofend(union bpf_attr, flags)`: lookup and update.
const ELEM_SIZE: usize = 32;
/// `offsetofend(union bpf_attr, key)`: all that `BPF_MAP_DELETE_ELEM` reads.
const DELETE_SIZE: usize = 16;
/// `offsetofend(union bpf_attr, next_key)`.
const NEXT_KEY_SIZE: usize = 24;

/// `BPF_MAP_*_BATCH`.
#[repr(C)]
struct BatchAttr {
    in_batch: u64,
    out_batch: u64,
    keys: u64,
    values: u64,
    count: u32,
    map_fd: u32,
    elem_flags: u64,
    flags: u64,
}

/// `BPF_MAP_GET_FD_BY_ID` (`map_id`, `next_id`, `open_flags`).
#[repr(C)]
struct IdAttr {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
#[repr(C)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// `bpf(cmd, attr, size)`; the errno on failure.
///
/// # Safety
///
/// `size <= size_of::<T>()`, `T` one of this file's attribute structs, and every pointer in
/// `attr` valid for what the kernel reads or writes through it for `cmd`.
unsafe fn bpf<T>(cmd: libc::c_long, attr: &mut T, size: usize) -> Result<libc::c_long, i32> {
    // SAFETY: `attr` is a live, exclusively borrowed struct of at least `size` bytes (the
    // caller's contract), and the pointers inside it are valid (also the caller's).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T as *mut libc::c_void,
            size as libc::c_uint,
        )
    };
    if ret < 0 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(ret)
    }
}

fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

fn owned(ret: libc::c_long) -> OwnedFd {
    // SAFETY: `ret` is the new fd a successful fd-creating bpf(2) command just returned:
    // nothing else in the process owns it, and it is wrapped exactly once, here.
    unsafe { OwnedFd::from_raw_fd(ret as i32) }
}

/// `BPF_MAP_CREATE`.
pub fn create(attr: &CreateAttr) -> Result<OwnedFd, i32> {
    let mut attr = *attr;
    // SAFETY: `CreateAttr` holds no pointer; the size is its own.
    let ret = unsafe { bpf(MAP_CREATE, &mut attr, size_of::<CreateAttr>()) }?;
    Ok(owned(ret))
}

/// `BPF_MAP_GET_FD_BY_ID` with no open flags (the fd is closed when dropped).
pub fn open_by_id(id: u32) -> Result<OwnedFd, i32> {
    let mut attr = IdAttr {
        id,
        next_id: 0,
        open_flags: 0,
    };
    // SAFETY: no pointer; the size is the struct's.
    let ret = unsafe { bpf(MAP_GET_FD_BY_ID, &mut attr, size_of::<IdAttr>()) }?;
    Ok(owned(ret))
}

/// `struct bpf_map_info` up to `map_extra` (88 bytes), as raw words.
pub type MapInfoBuf = [u64; 11];

/// `BPF_OBJ_GET_INFO_BY_FD` into `info`.
pub fn info(fd: BorrowedFd<'_>, info: &mut MapInfoBuf) -> Result<(), i32> {
    let mut attr = InfoAttr {
        bpf_fd: fd_u32(fd),
        info_len: size_of::<MapInfoBuf>() as u32,
        info: info.as_mut_ptr() as u64,
    };
    // SAFETY: the kernel writes at most `info_len` bytes, the size of the buffer `info` points
    // to, which is exclusively borrowed for the call.
    unsafe { bpf(OBJ_GET_INFO_BY_FD, &mut attr, size_of::<InfoAttr>()) }.map(drop)
}

// ---------------------------------------------------------------------------------------------
// Element operations on one map.

/// Plain integer types a key or value can be read into: every bit pattern is valid.
pub trait Plain: Copy + Default {}
impl Plain for u32 {}
impl Plain for u64 {}

/// A map fd whose key is a `K` and value a `V`, checked once against the kernel's info.
pub struct RawMap<'a, K: Plain, V: Plain> {
    fd: BorrowedFd<'a>,
    _types: PhantomData<(K, V)>,
}

impl<'a, K: Plain, V: Plain> RawMap<'a, K, V> {
    /// Checks that `map`'s keys are `K`-sized and its values `V`-sized as the kernel copies
    /// them (so neither per-CPU, nor fd maps with a `V` other than 4 bytes).
    pub fn of<F: AsFd>(map: &'a F) -> Result<Self, String> {
        let mut buf = MapInfoBuf::default();
        info(map.as_fd(), &mut buf).map_err(|e| format!("info: errno {e}"))?;
        // bpf_map_info: type, id, key_size, value_size (u32 each) are the first 16 bytes.
        let words = [
            buf[0] as u32,
            (buf[0] >> 32) as u32,
            buf[1] as u32,
            (buf[1] >> 32) as u32,
        ];
        let (map_type, key_size, value_size) = (MapType::from_raw(words[0]), words[2], words[3]);
        let value_len = if map_type.is_outer() { 4 } else { value_size };
        if map_type.is_per_cpu()
            || key_size as usize != size_of::<K>()
            || value_len as usize != size_of::<V>()
        {
            return Err(format!(
                "raw baseline: map of type {map_type} with key {key_size} and value {value_size} \
                 does not fit {}-byte keys and {}-byte values",
                size_of::<K>(),
                size_of::<V>()
            ));
        }
        Ok(RawMap {
            fd: map.as_fd(),
            _types: PhantomData,
        })
    }

    /// A map this code created itself, with `key_size` and `value_size` as it declared them
    /// (an outer map's value is the 4-byte fd): a loader knows its own maps' sizes, so no info
    /// query is made. Checked against `K` and `V` all the same.
    pub fn declared(fd: BorrowedFd<'a>, key_size: u32, value_size: u32) -> Result<Self, String> {
        if key_size as usize != size_of::<K>() || value_size as usize != size_of::<V>() {
            return Err(format!(
                "raw baseline: declared key {key_size} and value {value_size} do not fit \
                 {}-byte keys and {}-byte values",
                size_of::<K>(),
                size_of::<V>()
            ));
        }
        Ok(RawMap {
            fd,
            _types: PhantomData,
        })
    }

    fn elem(&self, key: u64, value: u64, flags: u64) -> ElemAttr {
        ElemAttr {
            map_fd: fd_u32(self.fd),
            _pad: 0,
            key,
            value,
            flags,
        }
    }

    /// `BPF_MAP_LOOKUP_ELEM`.
    pub fn lookup(&self, key: &K, value: &mut V) -> Result<(), i32> {
        let mut attr = self.elem(key as *const K as u64, value as *mut V as u64, 0);
        // SAFETY: `key` and `value` are references to a `K` and a `V`, exactly the map's key
        // and value lengths (checked in `RawMap::of`), live for the call.
        unsafe { bpf(MAP_LOOKUP_ELEM, &mut attr, ELEM_SIZE) }.map(drop)
    }

    /// `BPF_MAP_UPDATE_ELEM`.
    pub fn update(&self, key: &K, value: &V, flags: u64) -> Result<(), i32> {
        let mut attr = self.elem(key as *const K as u64, value as *const V as u64, flags);
        // SAFETY: as `lookup`; the kernel only reads through both pointers.
        unsafe { bpf(MAP_UPDATE_ELEM, &mut attr, ELEM_SIZE) }.map(drop)
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub fn delete(&self, key: &K) -> Result<(), i32> {
        let mut attr = self.elem(key as *const K as u64, 0, 0);
        // SAFETY: `key` is a `K`, the map's key length (checked in `RawMap::of`).
        unsafe { bpf(MAP_DELETE_ELEM, &mut attr, DELETE_SIZE) }.map(drop)
    }

    /// `BPF_MAP_GET_NEXT_KEY`; `ENOENT` after the last key.
    pub fn next_key(&self, key: Option<&K>, next: &mut K) -> Result<(), i32> {
        let key = key.map_or(0, |k| k as *const K as u64);
        let mut attr = self.elem(key, next as *mut K as u64, 0);
        // SAFETY: `key` (or NULL, for the first key) and `next` point to `K`s, the map's key
        // length (checked in `RawMap::of`).
        unsafe { bpf(MAP_GET_NEXT_KEY, &mut attr, NEXT_KEY_SIZE) }.map(drop)
    }

    /// `BPF_MAP_UPDATE_BATCH` of `keys.len()` elements; the count written, or the errno and it.
    pub fn update_batch(&self, keys: &[K], values: &[V]) -> Result<u32, (i32, u32)> {
        assert_eq!(keys.len(), values.len());
        let mut attr = BatchAttr {
            in_batch: 0,
            out_batch: 0,
            keys: keys.as_ptr() as u64,
            values: values.as_ptr() as u64,
            count: keys.len() as u32,
            map_fd: fd_u32(self.fd),
            elem_flags: 0,
            flags: 0,
        };
        // SAFETY: the kernel reads `count` keys and values, which is the length of both slices
        // (asserted), each element of the map's key or value length (`RawMap::of`).
        let ret = unsafe { bpf(MAP_UPDATE_BATCH, &mut attr, size_of::<BatchAttr>()) };
        match ret {
            Ok(_) => Ok(attr.count),
            Err(e) => Err((e, attr.count)),
        }
    }

    /// `BPF_MAP_LOOKUP_BATCH` into `keys`/`values` (room: the shorter); the count copied,
    /// `Err((ENOENT, count))` for the last batch. `in_batch` is `None` to start; `out_batch`
    /// receives the position (a `u32` bucket for hash maps, a key for arrays).
    pub fn lookup_batch(
        &self,
        in_batch: Option<&K>,
        out_batch: &mut K,
        keys: &mut [K],
        values: &mut [V],
    ) -> Result<u32, (i32, u32)> {
        assert!(
            size_of::<K>() >= size_of::<u32>(),
            "batch position is at least a u32"
        );
        let room = keys.len().min(values.len()) as u32;
        let mut attr = BatchAttr {
            in_batch: in_batch.map_or(0, |b| b as *const K as u64),
            out_batch: out_batch as *mut K as u64,
            keys: keys.as_mut_ptr() as u64,
            values: values.as_mut_ptr() as u64,
            count: room,
            map_fd: fd_u32(self.fd),
            elem_flags: 0,
            flags: 0,
        };
        // SAFETY: the kernel writes at most `count` keys and values, no more than either slice
        // holds, and a position of `max(key_size, 4)` bytes, which a `K` holds (asserted).
        let ret = unsafe { bpf(MAP_LOOKUP_BATCH, &mut attr, size_of::<BatchAttr>()) };
        let count = attr.count.min(room);
        match ret {
            Ok(_) => Ok(count),
            Err(e) => Err((e, count)),
        }
    }
}
