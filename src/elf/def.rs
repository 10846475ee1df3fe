//! What an object file says about its maps: [`MapDef`] and its parts.

use core::fmt;

use crate::{MapFlags, MapSpec, MapType};

/// Where a map definition was written.
///
/// ```
/// use bpfmaps::elf::{BpfObject, DefSource, LegacyLayout};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let btf = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
/// assert_eq!(btf.map("outer").unwrap().source, DefSource::Btf);
/// let legacy = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_libbpf.bpf.o"))?;
/// assert_eq!(
///     legacy.map("legacy_outer").unwrap().source,
///     DefSource::Legacy(LegacyLayout::Libbpf)
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefSource {
    /// A BTF-defined map in the `.maps` section (`__uint`, `__type`, `__array`).
    Btf,
    /// A legacy definition in the `maps` section.
    Legacy(LegacyLayout),
}

/// The layouts of legacy `maps` section entries, told apart by their size.
///
/// ```
/// use bpfmaps::elf::{BpfObject, DefSource, LegacyLayout};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_iproute2.bpf.o"))?;
/// let DefSource::Legacy(layout) = obj.maps()[0].source else { panic!("not a legacy map") };
/// assert_eq!(layout, LegacyLayout::Iproute2);
/// // Every entry of a `maps` section has the same layout.
/// assert!(obj.maps().iter().all(|m| m.source == DefSource::Legacy(layout)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyLayout {
    /// libbpf's `struct bpf_map_def`, 20 bytes: type, key_size, value_size, max_entries,
    /// map_flags.
    Libbpf,
    /// samples/bpf's 28 bytes: libbpf's five fields, then `inner_map_idx` and `numa_node`.
    Samples,
    /// iproute2's `struct bpf_elf_map`, 36 bytes: type, size_key, size_value, max_elem, flags,
    /// `id`, `pinning`, `inner_id`, `inner_idx`.
    Iproute2,
}

impl LegacyLayout {
    /// The size of one entry.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, LegacyLayout};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// assert_eq!(LegacyLayout::Samples.entry_size(), 28);
    /// // legacy_libbpf.bpf.o's `maps` section holds three 20-byte entries, back to back.
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_libbpf.bpf.o"))?;
    /// let size = LegacyLayout::Libbpf.entry_size() as u64;
    /// let placed: Vec<(u64, u64)> = obj.maps().iter().map(|m| (m.offset, m.size)).collect();
    /// assert_eq!(placed, [(0, size), (size, size), (2 * size, size)]);
    /// # Ok(()) }
    /// ```
    pub const fn entry_size(self) -> usize {
        match self {
            LegacyLayout::Libbpf => 20,
            LegacyLayout::Samples => 28,
            LegacyLayout::Iproute2 => 36,
        }
    }

    /// The layout whose entries are `size` bytes.
    ///
    /// ```
    /// use bpfmaps::elf::LegacyLayout;
    /// for layout in [LegacyLayout::Libbpf, LegacyLayout::Samples, LegacyLayout::Iproute2] {
    ///     assert_eq!(LegacyLayout::from_entry_size(layout.entry_size()), Some(layout));
    /// }
    /// // Entries of 24 bytes are no layout this parser knows.
    /// assert_eq!(LegacyLayout::from_entry_size(24), None);
    /// ```
    pub const fn from_entry_size(size: usize) -> Option<LegacyLayout> {
        match size {
            20 => Some(LegacyLayout::Libbpf),
            28 => Some(LegacyLayout::Samples),
            36 => Some(LegacyLayout::Iproute2),
            _ => None,
        }
    }
}

/// How an object asks for a map to be pinned.
///
/// ```
/// use bpfmaps::elf::{BpfObject, Pinning};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
/// assert_eq!(obj.map("pinned_hash").unwrap().attrs.pinning, Pinning::ByName);
/// assert_eq!(obj.map("not_pinned").unwrap().attrs.pinning, Pinning::None);
/// let tc = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_iproute2.bpf.o"))?;
/// assert_eq!(tc.map("elf_outer").unwrap().attrs.pinning, Pinning::GlobalNs);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Pinning {
    /// Not pinned.
    #[default]
    None,
    /// `LIBBPF_PIN_BY_NAME`: at `<pin root>/<map name>`.
    ByName,
    /// iproute2's `PIN_GLOBAL_NS`: at `<pin root>/tc/globals/<map name>`.
    GlobalNs,
    /// A mode this loader does not support (iproute2's `PIN_OBJECT_NS`, custom modes, …),
    /// with its number.
    Unsupported(u32),
}

impl Pinning {
    /// Where a map named `name` is pinned, relative to the pin root.
    ///
    /// ```
    /// use bpfmaps::elf::Pinning;
    /// assert_eq!(Pinning::ByName.relative_path("flows").as_deref(), Some("flows"));
    /// assert_eq!(
    ///     Pinning::GlobalNs.relative_path("flows").as_deref(),
    ///     Some("tc/globals/flows")
    /// );
    /// assert_eq!(Pinning::None.relative_path("flows"), None);
    /// assert_eq!(Pinning::Unsupported(1).relative_path("flows"), None);
    /// ```
    pub fn relative_path(self, name: &str) -> Option<String> {
        match self {
            Pinning::ByName => Some(name.to_owned()),
            Pinning::GlobalNs => Some(format!("tc/globals/{name}")),
            Pinning::None | Pinning::Unsupported(_) => None,
        }
    }

    /// The number the object used for this mode.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, Pinning};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let tc = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_iproute2.bpf.o"))?;
    /// // The iproute2 entry's `pinning` word is 2 (PIN_GLOBAL_NS).
    /// assert_eq!(tc.map("elf_outer").unwrap().attrs.pinning.as_raw(), 2);
    /// assert_eq!(Pinning::ByName.as_raw(), 1); // LIBBPF_PIN_BY_NAME
    /// // A mode this loader does not support keeps its number (iproute2's PIN_OBJECT_NS is 1).
    /// assert_eq!(Pinning::Unsupported(1).as_raw(), 1);
    /// # Ok(()) }
    /// ```
    pub fn as_raw(self) -> u32 {
        match self {
            Pinning::None => 0,
            Pinning::ByName => 1,
            Pinning::GlobalNs => 2,
            Pinning::Unsupported(n) => n,
        }
    }
}

/// The attributes a definition gives a map (or an inner template).
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::{MapFlags, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
/// let flows = &obj.map("flows").unwrap().attrs;
/// assert_eq!(
///     (flows.map_type, flows.key_size, flows.value_size, flows.max_entries),
///     (MapType::HASH_OF_MAPS, 8, 4, 128)
/// );
/// assert_eq!(flows.flags, MapFlags::NO_PREALLOC);
/// assert_ne!(flows.btf_key_type_id, 0); // `__type(key, struct flow_key)`
/// // A map of maps' inner template is a `MapAttrs` too.
/// let inner = flows.inner.as_deref().unwrap();
/// assert_eq!((inner.map_type, inner.max_entries), (MapType::DEVMAP, 64));
/// assert!(inner.inner.is_none() && !inner.has_values);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapAttrs {
    /// The type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes (4 for a map of maps that does not say).
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: MapFlags,
    /// NUMA node (meaningful with `BPF_F_NUMA_NODE`).
    pub numa_node: u32,
    /// `map_extra`.
    pub map_extra: u64,
    /// Pinning asked for.
    pub pinning: Pinning,
    /// BTF type id of the key (`__type(key, …)`), 0 if none.
    pub btf_key_type_id: u32,
    /// BTF type id of the value (`__type(value, …)`), 0 if none.
    pub btf_value_type_id: u32,
    /// The inner template (`__array(values, …)`, or the legacy inner index), for a map of maps.
    pub inner: Option<Box<MapAttrs>>,
    /// Whether the definition declares `values` (for an inner definition: nesting).
    pub has_values: bool,
}

impl MapAttrs {
    pub(crate) fn new(map_type: MapType) -> MapAttrs {
        MapAttrs {
            map_type,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            flags: MapFlags::empty(),
            numa_node: 0,
            map_extra: 0,
            pinning: Pinning::None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            inner: None,
            has_values: false,
        }
    }

    /// The spec that creates a map with these attributes (no name, no BTF ids).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::{Map, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let attrs = &obj.map("in0").unwrap().attrs;
    /// let spec = attrs.to_spec();
    /// assert_eq!(
    ///     (spec.map_type(), spec.key_size(), spec.value_size(), spec.max_entries()),
    ///     (MapType::ARRAY, 4, 8, 8)
    /// );
    /// // No name and no BTF type ids, though the definition has them (`__type`).
    /// assert!(spec.name().as_str().is_empty());
    /// assert_eq!(spec.btf_type_ids(), (0, 0));
    /// assert_ne!(attrs.btf_value_type_id, 0);
    /// let map = Map::create(&spec)?;
    /// assert_eq!((map.map_type(), map.max_entries()), (MapType::ARRAY, 8));
    /// # Ok(()) }
    /// ```
    pub fn to_spec(&self) -> MapSpec {
        let mut spec = MapSpec::new(
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
        )
        .with_flags(self.flags)
        .with_map_extra(self.map_extra);
        if self.flags.contains(MapFlags::NUMA_NODE) {
            spec = spec.with_numa_node(self.numa_node);
        }
        spec
    }
}

impl fmt::Display for MapAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} key {} value {} max_entries {} flags {:#x}",
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
            self.flags.bits()
        )?;
        if self.map_extra != 0 {
            write!(f, " map_extra {}", self.map_extra)?;
        }
        Ok(())
    }
}

/// A declared slot of a map of maps: the inner map at `index` (`.values = { [index] = &map }`).
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// // `.values = { [1] = &a, [5] = &b, [7] = &c }`
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sparse_values.bpf.o"))?;
/// let outer = obj.map("sparse_outer").unwrap();
/// let slots: Vec<(u32, &str)> = outer.slots.iter().map(|s| (s.index, s.map.as_str())).collect();
/// assert_eq!(slots, [(1, "a"), (5, "b"), (7, "c")]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The slot (array index, or 4-byte key of a hash of maps).
    pub index: u32,
    /// The name of the inner map, another map of the object.
    pub map: String,
}

/// One map as an object file defines it.
///
/// ```
/// use bpfmaps::elf::{BpfObject, DefSource};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
/// let def = obj.map("outer_devs").unwrap();
/// assert_eq!((def.name.as_str(), def.source), ("outer_devs", DefSource::Btf));
/// assert_eq!((def.offset, def.size), (0x40, 40));
/// assert_eq!((def.attrs.max_entries, def.slots.len()), (256, 2));
/// // A legacy map of maps names the entry that is its template.
/// let samples = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_samples.bpf.o"))?;
/// let outer = samples.map("samples_hash_outer").unwrap();
/// assert_eq!(outer.inner_from.as_deref(), Some("samples_template"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapDef {
    /// The map's name (its symbol).
    pub name: String,
    /// Which section and layout defined it.
    pub source: DefSource,
    /// Its attributes.
    pub attrs: MapAttrs,
    /// For a legacy map of maps, the map whose definition is the template.
    pub inner_from: Option<String>,
    /// The declared slots, sorted by index.
    pub slots: Vec<Slot>,
    /// The symbol's offset in its section.
    pub offset: u64,
    /// The symbol's size.
    pub size: u64,
}

impl MapDef {
    /// Whether this is a map of maps.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// let outers: Vec<&str> =
    ///     obj.maps().iter().filter(|m| m.is_outer()).map(|m| m.name.as_str()).collect();
    /// assert_eq!(outers, ["outer_devs", "flows"]);
    /// # Ok(()) }
    /// ```
    pub fn is_outer(&self) -> bool {
        self.attrs.map_type.is_outer()
    }
}

/// The longest map name an object may give: `NAME_MAX`, since a map's name is also the file
/// name of its pin. Checked before a name is copied, so that an object cannot make the parser
/// hold (number of maps × name length) bytes with names that overlap in its string table.
pub(crate) const MAX_MAP_NAME: usize = 255;

/// Refuses a map name longer than [`MAX_MAP_NAME`], naming the map by its first bytes.
pub(crate) fn check_map_name(name: &str) -> Result<(), super::ObjectError> {
    if name.len() <= MAX_MAP_NAME {
        return Ok(());
    }
    let mut shown = 32;
    while !name.is_char_boundary(shown) {
        shown -= 1;
    }
    Err(super::ObjectError::Map {
        map: format!("{}…", &name[..shown]),
        problem: format!(
            "its name is {} bytes; a map's name is at most {MAX_MAP_NAME} bytes (it is also the \
             file name of its pin)",
            name.len()
        ),
    })
}
