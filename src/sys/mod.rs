//! The one module that talks to the kernel: `bpf(2)`, `fcntl(2)`, `statfs(2)`, `mount(2)`, and
//! the byte views of plain-old-data values.
//!
//! # Safety contract
//!
//! Every `unsafe` block of the crate is in this module and its child `pod`. What they rely on:
//!
//! - **Attribute structs** ([`attr`]) are `repr(C)`, hold only integers, have no implicit padding
//!   and are zero-initialised; the size passed to the kernel never exceeds `size_of` the struct.
//! - **Pointers the kernel reads or writes** come from slices borrowed for the duration of the
//!   call, and every length the kernel will trust is checked against the slice first: the key and
//!   value lengths of a map come from [`MapFd`], which records the kernel's own `key_size` and the
//!   value length the kernel copies (`bpf_map_value_size()`: per-CPU maps copy
//!   `round_up(value_size, 8) × possible CPUs`) for the very fd it owns. A map's key and value
//!   sizes never change after creation, and the fd cannot be swapped for another while the
//!   `MapFd` owns it, so the check made here holds for the kernel's copy.
//! - **File descriptors** the kernel returns are wrapped in an `OwnedFd` before anything else
//!   happens, so each is closed exactly once; an fd numbered 0, 1 or 2 is first moved above 2.

#![allow(unsafe_code)]

pub(crate) mod attr;
pub(crate) mod pod;

use core::mem::size_of;
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use self::attr::{
    BpfMapInfo, BtfLoadAttr, IdAttr, InfoAttr, MapBatchAttr, MapCreateAttr, MapElemAttr, ObjAttr,
};
use crate::command::Command;
use crate::errno::Errno;

/// `bpf(cmd, attr, size)`, retried on `EINTR`.
///
/// `T` must be one of the attribute structs of [`attr`] and `size` at most `size_of::<T>()`.
fn bpf<T>(cmd: Command, attr: &mut T, size: usize) -> Result<libc::c_long, Errno> {
    debug_assert!(size <= size_of::<T>());
    let size = size.min(size_of::<T>());
    loop {
        crate::stats::count_call();
        // SAFETY: `attr` is a live, exclusively borrowed `repr(C)` attribute struct of at least
        // `size` bytes (clamped above); the kernel reads and writes at most `size` bytes of it.
        // Any pointer stored inside it was checked by the caller in this module against the
        // lengths the kernel will use (see the module's contract).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd.as_raw() as libc::c_long,
                attr as *mut T as *mut libc::c_void,
                size as libc::c_uint,
            )
        };
        if ret >= 0 {
            return Ok(ret);
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// Takes ownership of an fd the kernel just returned, moving it above 2 if needed.
fn own_fd(ret: libc::c_long) -> Result<OwnedFd, Errno> {
    let raw = RawFd::try_from(ret).map_err(|_| Errno::EOVERFLOW)?;
    // SAFETY: `raw` was returned by a successful bpf(2) call that creates a new fd: nothing else
    // in this process owns it, and it is wrapped exactly once, here.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    if raw > 2 {
        return Ok(fd);
    }
    // A closed stdin/stdout/stderr was reused for a BPF object: keep it out of 0..=2, where
    // a later `inner_map_fd = 0` or a write to stdout would silently pick it up.
    // `try_clone_to_owned` is `fcntl(F_DUPFD_CLOEXEC, 3)`; `fd` is closed when it drops here.
    fd.try_clone()
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)))
}

/// The value of a raw fd for an attribute field (`__u32` in the kernel ABI).
fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    // A `BorrowedFd` is never negative, so this is lossless.
    fd.as_raw_fd() as u32
}

/// A pointer to a slice's data as the kernel's `__aligned_u64`, or 0 for an empty slice.
fn ptr_u64(bytes: &[u8]) -> u64 {
    if bytes.is_empty() {
        0
    } else {
        bytes.as_ptr() as u64
    }
}

fn mut_ptr_u64(bytes: &mut [u8]) -> u64 {
    if bytes.is_empty() {
        0
    } else {
        bytes.as_mut_ptr() as u64
    }
}

/// `BPF_MAP_CREATE`.
pub(crate) fn map_create(attr: &MapCreateAttr) -> Result<OwnedFd, Errno> {
    let mut attr = *attr;
    let ret = bpf(Command::MAP_CREATE, &mut attr, MapCreateAttr::SIZE)?;
    own_fd(ret)
}

/// `BPF_MAP_GET_NEXT_ID`: the first map id above `start`, or `None` at the end.
pub(crate) fn map_get_next_id(start: u32) -> Result<Option<u32>, Errno> {
    let mut attr = IdAttr {
        id: start,
        ..IdAttr::default()
    };
    match bpf(Command::MAP_GET_NEXT_ID, &mut attr, IdAttr::NEXT_ID_SIZE) {
        Ok(_) => Ok(Some(attr.next_id)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `BPF_MAP_GET_FD_BY_ID`.
pub(crate) fn map_get_fd_by_id(id: u32, open_flags: u32) -> Result<OwnedFd, Errno> {
    let mut attr = IdAttr {
        id,
        next_id: 0,
        open_flags,
    };
    // Without open flags, pass only `map_id`: the prefix filled, which every kernel knows
    // (`open_flags` came in 4.15).
    let size = if open_flags == 0 {
        IdAttr::ID_SIZE
    } else {
        IdAttr::FD_BY_ID_SIZE
    };
    let ret = bpf(Command::MAP_GET_FD_BY_ID, &mut attr, size)?;
    own_fd(ret)
}

/// `BPF_BTF_GET_FD_BY_ID` (`btf_id` shares `map_id`'s place in the attr). No open flags.
pub(crate) fn btf_get_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    let mut attr = IdAttr {
        id,
        next_id: 0,
        open_flags: 0,
    };
    let ret = bpf(Command::BTF_GET_FD_BY_ID, &mut attr, IdAttr::ID_SIZE)?;
    own_fd(ret)
}

/// `BPF_OBJ_GET_INFO_BY_FD` for a map. Fails with `EINVAL` if the fd is a BPF object of
/// another kind, `EBADF` if it is not a BPF object at all.
pub(crate) fn map_info(fd: BorrowedFd<'_>) -> Result<BpfMapInfo, Errno> {
    let mut info = BpfMapInfo::default();
    let mut attr = InfoAttr {
        bpf_fd: fd_u32(fd),
        info_len: size_of::<BpfMapInfo>() as u32,
        info: &mut info as *mut BpfMapInfo as u64,
    };
    // The kernel writes at most `info_len` bytes (an older kernel fewer: the rest stays zero).
    // It answers for any BPF object, so callers holding an fd of unknown origin check that it
    // is a map first (`crate::fdkind`).
    bpf(Command::OBJ_GET_INFO_BY_FD, &mut attr, InfoAttr::SIZE)?;
    Ok(info)
}

/// `BPF_OBJ_PIN`.
pub(crate) fn obj_pin(fd: BorrowedFd<'_>, path: &CStr) -> Result<(), Errno> {
    let mut attr = ObjAttr {
        pathname: path.as_ptr() as u64,
        bpf_fd: fd_u32(fd),
        file_flags: 0,
    };
    bpf(Command::OBJ_PIN, &mut attr, ObjAttr::SIZE).map(drop)
}

/// `BPF_OBJ_GET`.
pub(crate) fn obj_get(path: &CStr, file_flags: u32) -> Result<OwnedFd, Errno> {
    let mut attr = ObjAttr {
        pathname: path.as_ptr() as u64,
        bpf_fd: 0,
        file_flags,
    };
    let ret = bpf(Command::OBJ_GET, &mut attr, ObjAttr::SIZE)?;
    own_fd(ret)
}

/// `BPF_BTF_LOAD`, with an optional verifier log buffer (level 1 when given).
pub(crate) fn btf_load(data: &[u8], log: Option<&mut [u8]>) -> Result<OwnedFd, Errno> {
    let btf_size = u32::try_from(data.len()).map_err(|_| Errno::E2BIG)?;
    let mut attr = BtfLoadAttr {
        btf: ptr_u64(data),
        btf_size,
        ..BtfLoadAttr::default()
    };
    if let Some(log) = log {
        // The kernel writes at most `btf_log_size` bytes: the slice's length, capped.
        attr.btf_log_size = u32::try_from(log.len()).unwrap_or(u32::MAX);
        attr.btf_log_buf = mut_ptr_u64(log);
        attr.btf_log_level = u32::from(attr.btf_log_size != 0);
    }
    let ret = bpf(Command::BTF_LOAD, &mut attr, BtfLoadAttr::SIZE)?;
    own_fd(ret)
}

/// The magic number of the filesystem holding `path` (`statfs(2)`'s `f_type`).
pub(crate) fn statfs_type(path: &CStr) -> Result<i64, Errno> {
    // SAFETY: `statfs` is plain old data; all-zero is a valid value.
    let mut buf: libc::statfs = unsafe { core::mem::zeroed() };
    loop {
        // SAFETY: `path` is NUL-terminated and `buf` is a valid, exclusively borrowed `statfs`.
        let ret = unsafe { libc::statfs(path.as_ptr(), &mut buf) };
        if ret == 0 {
            return Ok(buf.f_type as i64);
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// `mount("bpf", path, "bpf", 0, NULL)`.
pub(crate) fn mount_bpffs(path: &CStr) -> Result<(), Errno> {
    const BPF: &CStr = c"bpf";
    // SAFETY: every string is NUL-terminated and outlives the call; no data pointer is passed.
    let ret = unsafe {
        libc::mount(
            BPF.as_ptr(),
            path.as_ptr(),
            BPF.as_ptr(),
            0,
            core::ptr::null(),
        )
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// `umount2(path, MNT_DETACH)`.
pub(crate) fn unmount(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let ret = unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
    if ret == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

/// Whether `/proc/self/fd/N` for `fd` reads `anon_inode:bpf-map`, with no heap allocation
/// (`readlink(2)` into stack buffers): the fast path of `crate::fdkind::check_map` for every
/// outer-map insert. `None` if the link cannot be read (no `/proc`).
pub(crate) fn fd_is_bpf_map_link(fd: BorrowedFd<'_>) -> Option<bool> {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    const MAP: &[u8] = b"anon_inode:bpf-map";
    // The prefix, at most 10 digits of a non-negative `i32`, and the NUL.
    let mut path = [0u8; 32];
    path[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 10];
    let mut n = fd.as_raw_fd().unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (i, d) in digits[..len].iter().rev().enumerate() {
        path[PREFIX.len() + i] = *d;
    }
    // A link longer than the buffer is truncated by readlink, but then it is not `MAP` either.
    let mut target = [0u8; 64];
    // SAFETY: `path` is NUL-terminated (zeroed, and at most 24 of its 32 bytes written above);
    // `target` is a live, exclusively borrowed buffer of `target.len()` bytes, the most readlink
    // writes.
    let ret = unsafe {
        libc::readlink(
            path.as_ptr().cast(),
            target.as_mut_ptr().cast(),
            target.len(),
        )
    };
    let got = usize::try_from(ret).ok()?;
    Some(target.get(..got) == Some(MAP))
}

/// Maps a whole file read-only, for parsing.
pub(crate) fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and lives only while the caller parses it. If another
    // process rewrites the file meanwhile, the parser sees changed bytes, which it treats as
    // untrusted like any others (every offset is checked); if the file is truncated, reads past
    // the new end raise SIGBUS — the known limit of mapping files, accepted for object files
    // that this crate only reads.
    unsafe { memmap2::Mmap::map(file) }
}

/// How many elements a failed batch command processed, from the `count` the kernel left in the
/// attribute (`requested` on entry).
///
/// The kernel writes `count` back only once it has started on the elements, and it stops at the
/// first element it cannot process, so a failure that leaves `count` at `requested` happened
/// before the first element (flags it refuses, a type without that batch command): nothing was
/// processed, not everything.
fn batch_done(reported: u32, requested: u32) -> u32 {
    if reported >= requested {
        0
    } else {
        reported
    }
}

/// An owned map fd together with the element lengths the kernel uses for it.
///
/// The only way to make one is [`MapFd::new`], which asks the kernel about this very fd, so the
/// element operations below can check every slice against the lengths the kernel will copy.
#[derive(Debug)]
pub(crate) struct MapFd {
    fd: OwnedFd,
    key_len: usize,
    /// What one element's value occupies in userspace, `None` for a per-CPU map when the number
    /// of possible CPUs is unknown and for a type the crate does not know (value operations then
    /// fail with `ENODEV`; `Map` refuses them first with a typed error).
    value_len: Option<usize>,
}

impl MapFd {
    /// Takes ownership of `fd`, which must be a BPF map; returns the kernel's info about it.
    pub(crate) fn new(fd: OwnedFd) -> Result<(MapFd, BpfMapInfo), (OwnedFd, Errno)> {
        let info = match map_info(fd.as_fd()) {
            Ok(info) => info,
            Err(e) => return Err((fd, e)),
        };
        let value_len = crate::cpus::user_value_len(info.map_type, info.value_size);
        let map = MapFd {
            fd,
            key_len: info.key_size as usize,
            value_len,
        };
        Ok((map, info))
    }

    /// The key length the kernel copies.
    pub(crate) fn key_len(&self) -> usize {
        self.key_len
    }

    /// The value length the kernel copies for one element, if known.
    pub(crate) fn value_len(&self) -> Option<usize> {
        self.value_len
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    fn check_key(&self, key: &[u8]) -> Result<(), Errno> {
        if key.len() == self.key_len {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    fn check_value(&self, value_len: usize) -> Result<(), Errno> {
        match self.value_len {
            Some(len) if len == value_len => Ok(()),
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::ENODEV),
        }
    }

    fn elem_attr(&self, key: &[u8], value: u64, flags: u64) -> MapElemAttr {
        MapElemAttr {
            map_fd: fd_u32(self.fd.as_fd()),
            _pad0: 0,
            key: ptr_u64(key),
            value_or_next_key: value,
            flags,
        }
    }

    /// `BPF_MAP_LOOKUP_ELEM`.
    pub(crate) fn lookup(&self, key: &[u8], value: &mut [u8], flags: u64) -> Result<(), Errno> {
        self.check_key(key)?;
        self.check_value(value.len())?;
        let mut attr = self.elem_attr(key, mut_ptr_u64(value), flags);
        bpf(Command::MAP_LOOKUP_ELEM, &mut attr, MapElemAttr::SIZE).map(drop)
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`.
    pub(crate) fn lookup_and_delete(
        &self,
        key: &[u8],
        value: &mut [u8],
        flags: u64,
    ) -> Result<(), Errno> {
        self.check_key(key)?;
        self.check_value(value.len())?;
        let mut attr = self.elem_attr(key, mut_ptr_u64(value), flags);
        bpf(
            Command::MAP_LOOKUP_AND_DELETE_ELEM,
            &mut attr,
            MapElemAttr::SIZE,
        )
        .map(drop)
    }

    /// `BPF_MAP_UPDATE_ELEM`.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        self.check_key(key)?;
        self.check_value(value.len())?;
        let mut attr = self.elem_attr(key, ptr_u64(value), flags);
        bpf(Command::MAP_UPDATE_ELEM, &mut attr, MapElemAttr::SIZE).map(drop)
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        self.check_key(key)?;
        let mut attr = self.elem_attr(key, 0, 0);
        bpf(
            Command::MAP_DELETE_ELEM,
            &mut attr,
            MapElemAttr::DELETE_SIZE,
        )
        .map(drop)
    }

    /// `BPF_MAP_GET_NEXT_KEY`: the key after `key`, or the first key when `key` is `None`.
    pub(crate) fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        if let Some(key) = key {
            self.check_key(key)?;
        }
        self.check_key(next)?;
        let mut attr = self.elem_attr(key.unwrap_or(&[]), mut_ptr_u64(next), 0);
        bpf(
            Command::MAP_GET_NEXT_KEY,
            &mut attr,
            MapElemAttr::NEXT_KEY_SIZE,
        )
        .map(drop)
    }

    /// `BPF_MAP_FREEZE`.
    pub(crate) fn freeze(&self) -> Result<(), Errno> {
        let mut attr = self.elem_attr(&[], 0, 0);
        bpf(Command::MAP_FREEZE, &mut attr, MapElemAttr::FREEZE_SIZE).map(drop)
    }

    /// Length of the opaque batch position (`in_batch`/`out_batch`): the hash maps use a `u32`
    /// bucket index, the generic implementation a key.
    pub(crate) fn batch_token_len(&self) -> usize {
        self.key_len.max(size_of::<u32>())
    }

    fn check_batch(&self, count: u32, keys: usize, values: Option<usize>) -> Result<(), Errno> {
        let n = count as usize;
        let key_bytes = n.checked_mul(self.key_len).ok_or(Errno::E2BIG)?;
        if keys < key_bytes {
            return Err(Errno::EINVAL);
        }
        if let Some(values) = values {
            let value_len = self.value_len.ok_or(Errno::ENODEV)?;
            let value_bytes = n.checked_mul(value_len).ok_or(Errno::E2BIG)?;
            if values < value_bytes {
                return Err(Errno::EINVAL);
            }
        }
        Ok(())
    }

    /// `BPF_MAP_LOOKUP_BATCH` or `BPF_MAP_LOOKUP_AND_DELETE_BATCH`. `count` is the capacity on
    /// entry and the number of elements written on return, also when an error is returned.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lookup_batch(
        &self,
        and_delete: bool,
        in_batch: Option<&[u8]>,
        out_batch: &mut [u8],
        keys: &mut [u8],
        values: &mut [u8],
        count: &mut u32,
        elem_flags: u64,
    ) -> Result<(), Errno> {
        let token = self.batch_token_len();
        if in_batch.is_some_and(|b| b.len() < token) || out_batch.len() < token {
            return Err(Errno::EINVAL);
        }
        self.check_batch(*count, keys.len(), Some(values.len()))?;
        let mut attr = MapBatchAttr {
            in_batch: in_batch.map_or(0, ptr_u64),
            out_batch: mut_ptr_u64(out_batch),
            keys: mut_ptr_u64(keys),
            values: mut_ptr_u64(values),
            count: *count,
            map_fd: fd_u32(self.fd.as_fd()),
            elem_flags,
            flags: 0,
        };
        let cmd = if and_delete {
            Command::MAP_LOOKUP_AND_DELETE_BATCH
        } else {
            Command::MAP_LOOKUP_BATCH
        };
        let ret = bpf(cmd, &mut attr, MapBatchAttr::SIZE);
        // The kernel reports how many elements it copied even when it fails part-way; never
        // believe more than was asked for. `ENOENT` is the end of the walk, whose last batch
        // may be full.
        *count = match ret {
            Ok(_) | Err(Errno::ENOENT) => attr.count.min(*count),
            Err(_) => batch_done(attr.count, *count),
        };
        ret.map(drop)
    }

    /// `BPF_MAP_UPDATE_BATCH`. `count` is the number to write on entry and the number written on
    /// return, also when an error is returned.
    pub(crate) fn update_batch(
        &self,
        keys: &[u8],
        values: &[u8],
        count: &mut u32,
        elem_flags: u64,
    ) -> Result<(), Errno> {
        self.check_batch(*count, keys.len(), Some(values.len()))?;
        let mut attr = MapBatchAttr {
            keys: ptr_u64(keys),
            values: ptr_u64(values),
            count: *count,
            map_fd: fd_u32(self.fd.as_fd()),
            elem_flags,
            ..MapBatchAttr::default()
        };
        let ret = bpf(Command::MAP_UPDATE_BATCH, &mut attr, MapBatchAttr::SIZE);
        *count = match ret {
            Ok(_) => attr.count.min(*count),
            Err(_) => batch_done(attr.count, *count),
        };
        ret.map(drop)
    }

    /// `BPF_MAP_DELETE_BATCH`, with the same `count` convention as [`MapFd::update_batch`].
    pub(crate) fn delete_batch(
        &self,
        keys: &[u8],
        count: &mut u32,
        elem_flags: u64,
    ) -> Result<(), Errno> {
        self.check_batch(*count, keys.len(), None)?;
        let mut attr = MapBatchAttr {
            keys: ptr_u64(keys),
            count: *count,
            map_fd: fd_u32(self.fd.as_fd()),
            elem_flags,
            ..MapBatchAttr::default()
        };
        let ret = bpf(Command::MAP_DELETE_BATCH, &mut attr, MapBatchAttr::SIZE);
        *count = match ret {
            Ok(_) => attr.count.min(*count),
            Err(_) => batch_done(attr.count, *count),
        };
        ret.map(drop)
    }
}

impl AsFd for MapFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpf_map_link_without_allocating() {
        let file = std::fs::File::open("/proc/self/status").expect("open");
        assert_eq!(fd_is_bpf_map_link(file.as_fd()), Some(false));
        if !crate::probe::can_create_maps() {
            return;
        }
        let fd = map_create(&attr::MapCreateAttr {
            map_type: crate::MapType::ARRAY.as_raw(),
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            ..Default::default()
        })
        .expect("create");
        assert_eq!(fd_is_bpf_map_link(fd.as_fd()), Some(true));
    }
}
