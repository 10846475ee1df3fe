//! [`MapSpec`]: what to ask `BPF_MAP_CREATE` for.

use crate::error::{MapLabel, Refusal};
use crate::sys::attr::MapCreateAttr;
use crate::{Error, MapFlags, MapName, MapType, NameError, Result};

/// The attributes of a map to create (`BPF_MAP_CREATE`).
///
/// Built in Rust with a constructor and `with_*` methods. A spec is plain data: it can be
/// checked, compared, cloned and reused. An outer map is created from a spec by
/// [`OuterMap::create`](crate::OuterMap::create), which also takes the inner template.
///
/// ```
/// use bpfmaps::{MapFlags, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let spec = MapSpec::new(MapType::HASH, 8, 16, 1024)
///     .with_name("flows")?
///     .with_flags(MapFlags::NO_PREALLOC);
/// assert_eq!(spec.key_size(), 8);
/// assert_eq!(spec.name().as_str(), "flows");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MapSpec {
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: MapFlags,
    numa_node: u32,
    name: MapName,
    ifindex: u32,
    map_extra: u64,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
}

impl MapSpec {
    /// A map of `map_type` with these sizes, no flags, no name.
    ///
    /// ```
    /// use bpfmaps::{Map, MapFlags, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::new(MapType::HASH, 4, 8, 32);
    /// assert_eq!(spec.flags(), MapFlags::empty());
    /// assert!(spec.name().is_empty());
    /// let map = Map::create(&spec)?;
    /// assert_eq!((map.key_size(), map.value_size(), map.max_entries()), (4, 8, 32));
    /// # Ok(()) }
    /// ```
    pub fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapSpec {
        MapSpec {
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: MapFlags::empty(),
            numa_node: 0,
            name: MapName::default(),
            ifindex: 0,
            map_extra: 0,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            btf_vmlinux_value_type_id: 0,
        }
    }

    /// An `ARRAY_OF_MAPS` of `max_entries` slots (key: a 4-byte index, value: 4 bytes).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::array_of_maps(8);
    /// assert_eq!(spec.map_type(), MapType::ARRAY_OF_MAPS);
    /// assert_eq!((spec.key_size(), spec.value_size(), spec.max_entries()), (4, 4, 8));
    /// ```
    pub fn array_of_maps(max_entries: u32) -> MapSpec {
        MapSpec::new(MapType::ARRAY_OF_MAPS, 4, 4, max_entries)
    }

    /// A `HASH_OF_MAPS` with keys of `key_size` bytes.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::hash_of_maps(8, 16);
    /// assert_eq!((spec.map_type(), spec.value_size()), (MapType::HASH_OF_MAPS, 4));
    /// let outer = OuterMap::create(&spec, &MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
    /// outer.insert(&0xdead_beef_u64, &outer.new_inner("doc_inner")?)?;
    /// assert!(outer.lookup(&0xdead_beef_u64)?.is_some());
    /// # Ok(()) }
    /// ```
    pub fn hash_of_maps(key_size: u32, max_entries: u32) -> MapSpec {
        MapSpec::new(MapType::HASH_OF_MAPS, key_size, 4, max_entries)
    }

    /// Named `name`.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8);
    /// assert_eq!(spec.clone().with_name("flows.v4")?.name().as_str(), "flows.v4");
    /// assert!(spec.clone().with_name("sixteen_bytes_xx").is_err()); // 16 bytes
    /// assert!(spec.with_name("tcp-flows").is_err()); // '-' is refused
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`NameError`] if `name` is longer than 15 bytes or holds a byte the kernel refuses. To
    /// cut a long name, use [`MapSpec::with_name_truncated`] — truncation is never silent.
    pub fn with_name(self, name: &str) -> Result<MapSpec, NameError> {
        Ok(self.with_map_name(MapName::new(name)?))
    }

    /// Named with the first 15 bytes of `name`.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_name_truncated("connection_tracker")?;
    /// assert_eq!(spec.name().as_str(), "connection_trac");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`NameError`] if the kept part holds a byte the kernel refuses.
    pub fn with_name_truncated(self, name: &str) -> Result<MapSpec, NameError> {
        Ok(self.with_map_name(MapName::truncated(name)?))
    }

    /// Named `name`.
    ///
    /// ```
    /// use bpfmaps::{MapName, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let name = MapName::new("shared")?;
    /// let spec = MapSpec::new(MapType::ARRAY, 4, 4, 8).with_map_name(name);
    /// assert_eq!(spec.name(), name);
    /// # Ok(()) }
    /// ```
    pub fn with_map_name(mut self, name: MapName) -> MapSpec {
        self.name = name;
        self
    }

    /// With these `map_flags` (replacing any set before).
    ///
    /// ```
    /// use bpfmaps::{MapFlags, MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8)
    ///     .with_flags(MapFlags::NO_PREALLOC)
    ///     .with_flags(MapFlags::ZERO_SEED);
    /// assert_eq!(spec.flags(), MapFlags::ZERO_SEED); // replaced, not added
    /// ```
    pub fn with_flags(mut self, flags: MapFlags) -> MapSpec {
        self.flags = flags;
        self
    }

    /// With `max_entries`.
    ///
    /// ```
    /// use bpfmaps::MapSpec;
    /// let spec = MapSpec::array_of_maps(4).with_max_entries(64);
    /// assert_eq!(spec.max_entries(), 64);
    /// assert_eq!(spec, MapSpec::array_of_maps(64));
    /// ```
    pub fn with_max_entries(mut self, max_entries: u32) -> MapSpec {
        self.max_entries = max_entries;
        self
    }

    /// Allocated on NUMA node `node` (sets `BPF_F_NUMA_NODE`).
    ///
    /// ```
    /// use bpfmaps::{Map, MapFlags, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_numa_node(0);
    /// assert!(spec.flags().contains(MapFlags::NUMA_NODE));
    /// assert_eq!(spec.numa_node(), 0);
    /// let map = Map::create(&spec)?;
    /// assert!(map.info().flags().contains(MapFlags::NUMA_NODE));
    /// # Ok(()) }
    /// ```
    pub fn with_numa_node(mut self, node: u32) -> MapSpec {
        self.numa_node = node;
        self.flags |= MapFlags::NUMA_NODE;
        self
    }

    /// With `map_extra` (the number of hash functions of a bloom filter, for instance).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A bloom filter (no keys) with 3 hash functions.
    /// let spec = MapSpec::new(MapType::BLOOM_FILTER, 0, 4, 100).with_map_extra(3);
    /// assert_eq!(spec.map_extra(), 3);
    /// assert_eq!(Map::create(&spec)?.info().map_extra(), 3);
    /// # Ok(()) }
    /// ```
    pub fn with_map_extra(mut self, map_extra: u64) -> MapSpec {
        self.map_extra = map_extra;
        self
    }

    /// Offloaded to the device `ifindex`.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // Ifindex 1 is the loopback device, which cannot hold offloaded maps.
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_ifindex(1);
    /// assert_eq!(spec.ifindex(), 1);
    /// assert!(Map::create(&spec).unwrap_err().errno().is_some());
    /// # Ok(()) }
    /// ```
    pub fn with_ifindex(mut self, ifindex: u32) -> MapSpec {
        self.ifindex = ifindex;
        self
    }

    /// With BTF type ids for key and value, in the BTF object given at creation
    /// ([`Map::create_with_btf`](crate::Map::create_with_btf)).
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, Refusal};
    /// let spec = MapSpec::new(MapType::HASH, 4, 8, 16).with_btf_type_ids(1, 2);
    /// assert_eq!(spec.btf_type_ids(), (1, 2));
    /// // Without a BTF object the ids mean nothing: refused before the syscall.
    /// let err = Map::create(&spec).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::BtfIdsWithoutBtf, .. }));
    /// ```
    pub fn with_btf_type_ids(mut self, key: u32, value: u32) -> MapSpec {
        self.btf_key_type_id = key;
        self.btf_value_type_id = value;
        self
    }

    /// With `btf_vmlinux_value_type_id` (struct_ops maps).
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, Refusal};
    /// let plain = MapSpec::new(MapType::STRUCT_OPS, 4, 64, 1);
    /// let spec = plain.clone().with_btf_vmlinux_value_type_id(42);
    /// assert_ne!(spec, plain);
    /// // The id refers to the kernel's BTF, which needs a BTF object at creation too.
    /// let err = Map::create(&spec).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::BtfIdsWithoutBtf, .. }));
    /// ```
    pub fn with_btf_vmlinux_value_type_id(mut self, id: u32) -> MapSpec {
        self.btf_vmlinux_value_type_id = id;
        self
    }

    /// The type.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// assert_eq!(MapSpec::hash_of_maps(8, 4).map_type(), MapType::HASH_OF_MAPS);
    /// assert!(MapSpec::array_of_maps(4).map_type().is_outer());
    /// ```
    pub fn map_type(&self) -> MapType {
        self.map_type
    }
    /// The key size in bytes.
    ///
    /// ```
    /// use bpfmaps::MapSpec;
    /// assert_eq!(MapSpec::hash_of_maps(16, 4).key_size(), 16);
    /// assert_eq!(MapSpec::array_of_maps(4).key_size(), 4);
    /// ```
    pub fn key_size(&self) -> u32 {
        self.key_size
    }
    /// The value size in bytes.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// assert_eq!(MapSpec::new(MapType::HASH, 4, 24, 8).value_size(), 24);
    /// assert_eq!(MapSpec::hash_of_maps(16, 4).value_size(), 4); // an outer map's value: a map
    /// ```
    pub fn value_size(&self) -> u32 {
        self.value_size
    }
    /// The maximum number of entries.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::ARRAY, 4, 4, 8);
    /// assert_eq!(spec.max_entries(), 8);
    /// assert_eq!(spec.with_max_entries(9).max_entries(), 9);
    /// ```
    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }
    /// The flags.
    ///
    /// ```
    /// use bpfmaps::{MapFlags, MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::ARRAY, 4, 4, 8).with_flags(MapFlags::INNER_MAP);
    /// assert_eq!(spec.flags(), MapFlags::INNER_MAP);
    /// assert_eq!(spec.with_numa_node(0).flags(), MapFlags::INNER_MAP | MapFlags::NUMA_NODE);
    /// ```
    pub fn flags(&self) -> MapFlags {
        self.flags
    }
    /// The NUMA node (meaningful with [`MapFlags::NUMA_NODE`]).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8);
    /// assert_eq!(spec.numa_node(), 0);
    /// assert_eq!(spec.with_numa_node(1).numa_node(), 1);
    /// ```
    pub fn numa_node(&self) -> u32 {
        self.numa_node
    }
    /// The name.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8);
    /// assert!(spec.name().is_empty());
    /// assert_eq!(spec.with_name("flows")?.name().as_str(), "flows");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> MapName {
        self.name
    }
    /// `map_extra`.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::BLOOM_FILTER, 0, 4, 100);
    /// assert_eq!(spec.map_extra(), 0);
    /// assert_eq!(spec.with_map_extra(5).map_extra(), 5);
    /// ```
    pub fn map_extra(&self) -> u64 {
        self.map_extra
    }
    /// The device ifindex (0: not offloaded).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8);
    /// assert_eq!(spec.ifindex(), 0);
    /// assert_eq!(spec.with_ifindex(3).ifindex(), 3);
    /// ```
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }
    /// The BTF key and value type ids (0: none).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::HASH, 4, 8, 16);
    /// assert_eq!(spec.btf_type_ids(), (0, 0));
    /// assert_eq!(spec.with_btf_type_ids(3, 7).btf_type_ids(), (3, 7));
    /// ```
    pub fn btf_type_ids(&self) -> (u32, u32) {
        (self.btf_key_type_id, self.btf_value_type_id)
    }

    /// Whether any BTF type id is set (key, value or vmlinux value): such a spec needs a BTF
    /// object at creation.
    pub(crate) fn has_btf_ids(&self) -> bool {
        self.btf_key_type_id != 0
            || self.btf_value_type_id != 0
            || self.btf_vmlinux_value_type_id != 0
    }

    /// The label errors use for a map made from this spec.
    pub(crate) fn label(&self) -> MapLabel {
        MapLabel {
            name: self.name,
            id: None,
            map_type: Some(self.map_type),
        }
    }

    pub(crate) fn refuse(&self, refusal: Refusal) -> Error {
        Error::Refused {
            map: self.label(),
            refusal,
        }
    }

    /// The checks every spec passes before `BPF_MAP_CREATE`, whatever its type.
    pub(crate) fn check_common(&self) -> Result<()> {
        if self.flags.contains(MapFlags::INNER_MAP) && self.map_type != MapType::ARRAY {
            return Err(self.refuse(Refusal::InnerMapFlagNotArray(self.map_type)));
        }
        Ok(())
    }

    /// The checks for an outer map's own spec.
    pub(crate) fn check_outer(&self) -> Result<()> {
        if !self.map_type.is_outer() {
            return Err(self.refuse(Refusal::NotOuter(self.map_type)));
        }
        if self.value_size != 4 {
            return Err(self.refuse(Refusal::OuterValueSize(self.value_size)));
        }
        if self.map_type == MapType::ARRAY_OF_MAPS && self.key_size != 4 {
            return Err(self.refuse(Refusal::OuterArrayKeySize(self.key_size)));
        }
        if self.has_btf_ids() {
            return Err(self.refuse(Refusal::OuterBtfIds));
        }
        self.check_common()
    }

    /// The checks for a spec used as (or for) an inner map.
    pub(crate) fn check_inner(&self) -> Result<()> {
        if self.map_type.is_outer() {
            return Err(self.refuse(Refusal::NestedOuter));
        }
        if self.map_type.refused_as_inner() {
            return Err(self.refuse(Refusal::InnerTypeUnsupported(self.map_type)));
        }
        self.check_common()
    }

    /// The attribute struct for `BPF_MAP_CREATE` (without inner map or BTF fd).
    pub(crate) fn to_attr(&self) -> MapCreateAttr {
        MapCreateAttr {
            map_type: self.map_type.as_raw(),
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            map_flags: self.flags.bits(),
            inner_map_fd: 0,
            numa_node: if self.flags.contains(MapFlags::NUMA_NODE) {
                self.numa_node
            } else {
                0
            },
            map_name: self.name.to_kernel(),
            map_ifindex: self.ifindex,
            btf_fd: 0,
            btf_key_type_id: self.btf_key_type_id,
            btf_value_type_id: self.btf_value_type_id,
            btf_vmlinux_value_type_id: self.btf_vmlinux_value_type_id,
            map_extra: self.map_extra,
        }
    }
}
