//! [`MapInfo`]: what the kernel reports about a map (`struct bpf_map_info`).

use core::fmt;
use std::os::fd::{AsFd, BorrowedFd};

use crate::error::{MapLabel, SyscallError, Target};
use crate::sys::attr::BpfMapInfo;
use crate::{Command, Error, MapFlags, MapId, MapName, MapType, Result};

/// What the kernel reports about a map, from `BPF_OBJ_GET_INFO_BY_FD`.
///
/// Every [`Map`](crate::Map) carries the info read when it was opened or created; the
/// properties it holds never change for the life of the map.
///
/// ```
/// use bpfmaps::{Map, MapInfo, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 2).with_name("doc_info")?)?;
/// let info = MapInfo::from_fd(&map)?;
/// assert_eq!(info, *map.info());
/// assert_eq!((info.map_type(), info.value_size(), info.name().as_str()),
///            (MapType::ARRAY, 8, "doc_info"));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapInfo {
    /// `raw.id`, checked non-zero.
    id: MapId,
    /// `raw.name`, read once: every error about the map names it, and element operations
    /// should carry no more than a copy of it on their error paths.
    name: MapName,
    /// The kernel's words as it wrote them: opening a map copies them once, and each other
    /// accessor converts its field when asked.
    raw: BpfMapInfo,
}

impl MapInfo {
    /// `bpf(BPF_OBJ_GET_INFO_BY_FD, fd)` — asks the kernel about the map behind `fd`.
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`] with `EBADFD` for a closed fd (the kernel's answer here), `EINVAL` for
    /// an fd that is not a BPF object. A BPF object of another kind (a program, BTF) is not detected here; the
    /// constructors of [`Map`](crate::Map) check that.
    pub fn from_fd(fd: impl AsFd) -> Result<MapInfo> {
        Self::query(fd.as_fd())
    }

    pub(crate) fn query(fd: BorrowedFd<'_>) -> Result<MapInfo> {
        let raw = crate::sys::map_info(fd)
            .map_err(|errno| SyscallError::new(Command::OBJ_GET_INFO_BY_FD, Target::None, errno))?;
        Self::from_raw(&raw)
    }

    pub(crate) fn from_raw(raw: &BpfMapInfo) -> Result<MapInfo> {
        let id = MapId::new(raw.id).ok_or_else(|| {
            Error::Syscall(SyscallError::new(
                Command::OBJ_GET_INFO_BY_FD,
                Target::None,
                crate::Errno::EINVAL,
            ))
        })?;
        Ok(MapInfo {
            id,
            name: MapName::from_kernel(&raw.name),
            raw: *raw,
        })
    }

    /// The map's id.
    pub fn id(&self) -> MapId {
        self.id
    }
    /// The type.
    pub fn map_type(&self) -> MapType {
        MapType::from_raw(self.raw.map_type)
    }
    /// The key size in bytes.
    pub fn key_size(&self) -> u32 {
        self.raw.key_size
    }
    /// The value size in bytes (one CPU's, for per-CPU maps).
    pub fn value_size(&self) -> u32 {
        self.raw.value_size
    }
    /// The maximum number of entries.
    pub fn max_entries(&self) -> u32 {
        self.raw.max_entries
    }
    /// The flags.
    pub fn flags(&self) -> MapFlags {
        MapFlags::from_bits_retain(self.raw.map_flags)
    }
    /// The name (at most 15 bytes).
    pub fn name(&self) -> MapName {
        self.name
    }
    /// The offload device, 0 if none.
    pub fn ifindex(&self) -> u32 {
        self.raw.ifindex
    }
    /// The id of the BTF object the map was created with, 0 if none.
    pub fn btf_id(&self) -> u32 {
        self.raw.btf_id
    }
    /// The BTF key and value type ids, 0 if none.
    pub fn btf_type_ids(&self) -> (u32, u32) {
        (self.raw.btf_key_type_id, self.raw.btf_value_type_id)
    }
    /// `btf_vmlinux_value_type_id` (struct_ops maps).
    pub fn btf_vmlinux_value_type_id(&self) -> u32 {
        self.raw.btf_vmlinux_value_type_id
    }
    /// `map_extra` (Linux 5.16): bloom filter hash count, and the like.
    pub fn map_extra(&self) -> u64 {
        self.raw.map_extra
    }

    /// How errors name this map.
    pub fn label(&self) -> MapLabel {
        MapLabel {
            name: self.name,
            id: Some(self.id),
            map_type: Some(self.map_type()),
        }
    }
}

impl fmt::Debug for MapInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapInfo")
            .field("id", &self.id)
            .field("map_type", &self.map_type())
            .field("key_size", &self.key_size())
            .field("value_size", &self.value_size())
            .field("max_entries", &self.max_entries())
            .field("flags", &self.flags())
            .field("name", &self.name())
            .field("ifindex", &self.ifindex())
            .field("btf_id", &self.btf_id())
            .field("btf_type_ids", &self.btf_type_ids())
            .field(
                "btf_vmlinux_value_type_id",
                &self.btf_vmlinux_value_type_id(),
            )
            .field("map_extra", &self.map_extra())
            .finish()
    }
}
