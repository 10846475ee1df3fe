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
    /// ```
    /// use bpfmaps::{Errno, Map, MapInfo, MapSpec, MapType, OpenFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16).with_name("doc_from_fd")?)?;
    /// // Another fd on the same map gets the same answer.
    /// let fd = Map::fd_from_id(map.id(), OpenFlags::READ_ONLY)?;
    /// assert_eq!(MapInfo::from_fd(&fd)?, *map.info());
    /// // An fd that is not a BPF object.
    /// let file = std::fs::File::open("/dev/null").unwrap();
    /// assert_eq!(MapInfo::from_fd(&file).unwrap_err().errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
    /// let other = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
    /// assert_ne!(map.info().id(), other.info().id());
    /// // The id opens the same map again.
    /// assert_eq!(Map::from_id(map.info().id())?.info().id(), map.info().id());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> MapId {
        self.id
    }
    /// The type.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_HASH, 4, 8, 16))?;
    /// assert_eq!(map.info().map_type(), MapType::PERCPU_HASH);
    /// assert!(map.info().map_type().is_per_cpu());
    /// # Ok(()) }
    /// ```
    pub fn map_type(&self) -> MapType {
        MapType::from_raw(self.raw.map_type)
    }
    /// The key size in bytes.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 12, 8, 16))?;
    /// assert_eq!(map.info().key_size(), 12);
    /// // A queue has no keys.
    /// let queue = Map::create(&MapSpec::new(MapType::QUEUE, 0, 8, 16))?;
    /// assert_eq!(queue.info().key_size(), 0);
    /// # Ok(()) }
    /// ```
    pub fn key_size(&self) -> u32 {
        self.raw.key_size
    }
    /// The value size in bytes (one CPU's, for per-CPU maps).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_ARRAY, 4, 12, 4))?;
    /// // One CPU's value, not the buffer the byte API takes for all of them.
    /// assert_eq!(map.info().value_size(), 12);
    /// assert_eq!(map.value_len()?, 16 * bpfmaps::possible_cpus().unwrap());
    /// # Ok(()) }
    /// ```
    pub fn value_size(&self) -> u32 {
        self.raw.value_size
    }
    /// The maximum number of entries.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 100))?;
    /// assert_eq!(map.info().max_entries(), 100);
    /// assert_eq!(Map::from_id(map.id())?.info().max_entries(), 100);
    /// # Ok(()) }
    /// ```
    pub fn max_entries(&self) -> u32 {
        self.raw.max_entries
    }
    /// The flags.
    ///
    /// ```
    /// use bpfmaps::{Map, MapFlags, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::NO_PREALLOC);
    /// let map = Map::create(&spec)?;
    /// assert!(map.info().flags().contains(MapFlags::NO_PREALLOC));
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// assert!(!plain.info().flags().contains(MapFlags::NO_PREALLOC));
    /// # Ok(()) }
    /// ```
    pub fn flags(&self) -> MapFlags {
        MapFlags::from_bits_retain(self.raw.map_flags)
    }
    /// The name (at most 15 bytes).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::new(MapType::ARRAY, 4, 4, 1).with_name_truncated("doc_name_that_is_long")?;
    /// let map = Map::create(&spec)?;
    /// // What the kernel kept: the first 15 bytes.
    /// assert_eq!(map.info().name().as_str(), "doc_name_that_i");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> MapName {
        self.name
    }
    /// The offload device, 0 if none.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// assert_eq!(map.info().ifindex(), 0); // not offloaded to a device
    /// # Ok(()) }
    /// ```
    pub fn ifindex(&self) -> u32 {
        self.raw.ifindex
    }
    /// The id of the BTF object the map was created with, 0 if none.
    ///
    /// ```
    /// use bpfmaps::{LoadedBtf, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// # let mut raw = Vec::new(); // BTF holding one type, `int` (id 1), as in `LoadedBtf`'s example
    /// # raw.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    /// # raw.extend_from_slice(&[1, 0]);
    /// # for word in [24u32, 0, 16, 16, 5, 1, 1 << 24, 4, 32] {
    /// #     raw.extend_from_slice(&word.to_ne_bytes());
    /// # }
    /// # raw.extend_from_slice(b"\0int\0");
    /// let btf = LoadedBtf::load(&raw)?; // one type: `int`, id 1
    ///
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_type_ids(1, 1);
    /// let typed = Map::create_with_btf(&spec, &btf)?;
    /// assert_ne!(typed.info().btf_id(), 0);
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// assert_eq!(plain.info().btf_id(), 0);
    /// # Ok(()) }
    /// ```
    pub fn btf_id(&self) -> u32 {
        self.raw.btf_id
    }
    /// The BTF key and value type ids, 0 if none.
    ///
    /// ```
    /// use bpfmaps::{LoadedBtf, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// # let mut raw = Vec::new(); // BTF holding one type, `int` (id 1), as in `LoadedBtf`'s example
    /// # raw.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    /// # raw.extend_from_slice(&[1, 0]);
    /// # for word in [24u32, 0, 16, 16, 5, 1, 1 << 24, 4, 32] {
    /// #     raw.extend_from_slice(&word.to_ne_bytes());
    /// # }
    /// # raw.extend_from_slice(b"\0int\0");
    /// let btf = LoadedBtf::load(&raw)?; // one type: `int`, id 1
    ///
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_type_ids(1, 1);
    /// let typed = Map::create_with_btf(&spec, &btf)?;
    /// assert_eq!(typed.info().btf_type_ids(), (1, 1));
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// assert_eq!(plain.info().btf_type_ids(), (0, 0));
    /// # Ok(()) }
    /// ```
    pub fn btf_type_ids(&self) -> (u32, u32) {
        (self.raw.btf_key_type_id, self.raw.btf_value_type_id)
    }
    /// `btf_vmlinux_value_type_id` (struct_ops maps).
    ///
    /// ```
    /// use bpfmaps::{Errno, LoadedBtf, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// assert_eq!(plain.info().btf_vmlinux_value_type_id(), 0);
    /// # let mut raw = Vec::new(); // BTF holding one type, `int` (id 1), as in `LoadedBtf`'s example
    /// # raw.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    /// # raw.extend_from_slice(&[1, 0]);
    /// # for word in [24u32, 0, 16, 16, 5, 1, 1 << 24, 4, 32] {
    /// #     raw.extend_from_slice(&word.to_ne_bytes());
    /// # }
    /// # raw.extend_from_slice(b"\0int\0");
    /// let btf = LoadedBtf::load(&raw)?; // one type: `int`, id 1
    /// // The kernel takes the field only for struct_ops maps.
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_vmlinux_value_type_id(1);
    /// assert_eq!(Map::create_with_btf(&spec, &btf).unwrap_err().errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
    pub fn btf_vmlinux_value_type_id(&self) -> u32 {
        self.raw.btf_vmlinux_value_type_id
    }
    /// `map_extra` (Linux 5.16): bloom filter hash count, and the like.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A bloom filter with 3 hash functions.
    /// let spec = MapSpec::new(MapType::BLOOM_FILTER, 0, 4, 64).with_map_extra(3);
    /// assert_eq!(Map::create(&spec)?.info().map_extra(), 3);
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// assert_eq!(plain.info().map_extra(), 0);
    /// # Ok(()) }
    /// ```
    pub fn map_extra(&self) -> u64 {
        self.raw.map_extra
    }

    /// How errors name this map.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16).with_name("doc_label")?)?;
    /// let label = map.info().label();
    /// assert_eq!((label.id, label.map_type), (Some(map.id()), Some(MapType::HASH)));
    /// assert_eq!(label.to_string(), format!("'doc_label' (id {})", map.id()));
    /// // Errors about the map carry the same label.
    /// match map.get::<u64, u64>(&1) {
    ///     Err(Error::Size { map: named, .. }) => assert_eq!(named, label),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
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
