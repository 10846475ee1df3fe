//! Loading an object's maps into the kernel: inner templates, outer maps, declared inner maps,
//! filled slots and pins, in dependency order, all-or-nothing.
//!
//! [`load`] first checks everything that can be known without the kernel ([`ObjectError`]), so
//! a refused object creates no kernel object at all. Then it creates, in order: the plain maps
//! (declared inner maps among them), each outer map's template (closed right after) and the
//! outer map, then fills the declared slots — one batch update per outer map, the outer maps
//! from up to 32 parallel threads, so the whole load waits for about one RCU grace period
//! however many slots it fills (one more per further 32 outer maps) — then pins what asks to
//! be pinned, and last fills the declared slots of outer maps reused from existing pins. A
//! failure part-way drops every fd made so far (the kernel frees the maps), removes the pins
//! made so far and the directories made for them (iproute2's `tc/globals`), and puts back what
//! the slots of reused outer maps held: a failed load leaves the pin root as it found it.
//!
//! The order is not "template, outer map, its declared inner maps" per outer map: every plain
//! map comes first, in the object's order. Nothing depends on the other order — an outer map
//! only needs its template when it is created, and its declared inner maps only when its slots
//! are filled, after every map exists — and this one is simpler: one pass creates what has no
//! dependency (and a declared inner map named by two outer maps is created once), and a
//! template lives only for the one call that creates its outer map.
//!
//! # Limits
//!
//! - bpffs refuses file names containing `.` (EPERM): a map that asks to be pinned and has
//!   such a name is refused before anything is created ([`Rule::PinNameDot`]).
//! - The [`OuterMap`] of a loaded outer map keeps its template without BTF, so
//!   [`OuterMap::new_inner`] creates inner maps without BTF type ids. For values with special
//!   fields (a `bpf_spin_lock`, a timer) the kernel compares their BTF layout and would refuse
//!   such maps; create those inner maps with [`Map::create_with_btf`] instead.
//!
//! ```
//! use bpfmaps::elf::BpfObject;
//! use bpfmaps::loader::{load, LoadOptions};
//! # fn main() -> Result<(), bpfmaps::Error> {
//! # if bpfmaps::probe::doctest_skip() { return Ok(()) }
//! let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
//! let loaded = load(&object, &LoadOptions::new())?;
//! let outer = loaded.outer("outer_devs").unwrap();
//! let devs_a = loaded.map("devs_a").unwrap();
//! assert_eq!(outer.lookup(&0u32)?, Some(devs_a.id()));
//! // Inner maps made from the object's template are accepted.
//! let extra = outer.new_inner("devs_extra")?;
//! outer.insert(&2u32, &extra)?;
//! # Ok(()) }
//! ```
//!
//! [`ObjectError`]: crate::elf::ObjectError
//! [`Rule::PinNameDot`]: crate::elf::Rule::PinNameDot

mod options;
mod pins;
mod plan;

use std::collections::HashSet;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::options::{LoadOptions, Reuse};

use self::plan::{Plan, PlannedMap, PlannedTemplate};
use crate::btf::Btf;
use crate::elf::{BpfObject, ObjectError, Rule};
use crate::outer::InnerBtf;
use crate::{Error, LoadedBtf, Map, MapInfo, MapSpec, OuterMap, Result, UpdateFlags};

/// What became of the object's BTF.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, BtfStatus, LoadOptions};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_samples.bpf.o");
/// let object = BpfObject::open(path)?;
/// // This kernel takes the object's BTF (an older one may refuse it: `Refused`, and every map
/// // is then created without).
/// assert_eq!(*load(&object, &LoadOptions::new())?.btf_status(), BtfStatus::Loaded);
/// // The same object with its `.BTF` section renamed away.
/// let mut bytes = std::fs::read(path).unwrap();
/// let at = bytes.windows(5).position(|w| w == b".BTF\0").unwrap();
/// bytes[at + 1] = b'X';
/// let stripped = BpfObject::parse(&bytes)?;
/// assert_eq!(*load(&stripped, &LoadOptions::new())?.btf_status(), BtfStatus::Absent);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtfStatus {
    /// The object has no `.BTF` section.
    Absent,
    /// The caller asked for no BTF ([`LoadOptions::without_btf`]).
    Disabled,
    /// Loaded: maps declared with `__type` got BTF key/value type ids.
    Loaded,
    /// The kernel (or the fix-up before it) refused the BTF: every map was created without it.
    Refused(String),
}

/// A created (or reused) map of a loaded object.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, LoadOptions, LoadedMap};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
/// let mut loaded = load(&object, &LoadOptions::new())?;
/// let devs_b = loaded.map("devs_b").unwrap().id();
/// match loaded.take("outer_devs") {
///     Some(LoadedMap::Outer(outer)) => assert_eq!(outer.lookup(&1u32)?, Some(devs_b)),
///     other => panic!("not an outer map: {other:?}"),
/// }
/// assert!(matches!(loaded.take("stats"), Some(LoadedMap::Plain(_))));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadedMap {
    /// A map that is not a map of maps.
    Plain(Map),
    /// A map of maps, as an [`OuterMap`] that knows its template.
    Outer(OuterMap),
}

impl LoadedMap {
    /// The map, whatever its kind.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::MapType;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let types: Vec<MapType> = loaded.entries().iter().map(|e| e.map().as_map().map_type()).collect();
    /// assert_eq!(types, [
    ///     MapType::DEVMAP, MapType::DEVMAP, MapType::ARRAY_OF_MAPS, MapType::HASH_OF_MAPS,
    ///     MapType::PERCPU_ARRAY,
    /// ]);
    /// # Ok(()) }
    /// ```
    pub fn as_map(&self) -> &Map {
        match self {
            LoadedMap::Plain(map) => map,
            LoadedMap::Outer(outer) => outer.as_map(),
        }
    }
}

impl AsFd for LoadedMap {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_map().as_fd()
    }
}

/// Where a loaded map came from.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, LoadOptions, Origin};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// // A fresh bpffs to pin into (a program would use a directory under /sys/fs/bpf).
/// let root = std::env::temp_dir().join(format!("bpfmaps-doc-origin-{}", std::process::id()));
/// std::fs::create_dir_all(&root).unwrap();
/// bpfmaps::pin::mount_bpffs(&root)?;
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
/// let options = LoadOptions::new().pin_root(&root);
/// let first = load(&object, &options)?;
/// assert_eq!(first.entry("pinned_outer").unwrap().origin(), Origin::Created);
/// // A second load finds the pinned maps, and the inner maps in the pinned outer map's slots.
/// let second = load(&object, &options)?;
/// let origin = |name: &str| second.entry(name).unwrap().origin();
/// assert_eq!(origin("pinned_outer"), Origin::Pinned);
/// assert_eq!(origin("pin_in0"), Origin::InSlot);
/// assert_eq!(origin("not_pinned"), Origin::Created);
/// # bpfmaps::pin::unmount(&root)?;
/// # std::fs::remove_dir(&root).unwrap();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Created by this load.
    Created,
    /// Found pinned where the object asks it to be pinned, matching, and reused.
    Pinned,
    /// A declared inner map found in its slot of a reused outer map, kept there
    /// ([`Reuse::Keep`]) and opened by id rather than created.
    InSlot,
}

/// One map of a loaded object, with what the load did to it.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, LoadOptions};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
/// let loaded = load(&object, &LoadOptions::new())?;
/// let entry = loaded.entry("outer").unwrap();
/// assert_eq!(entry.name(), "outer");
/// assert!(!entry.reused() && entry.pin_path().is_none());
/// assert_eq!(entry.filled_slots().len(), 3);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LoadedEntry {
    name: String,
    map: LoadedMap,
    pin_path: Option<PathBuf>,
    origin: Origin,
    with_btf: bool,
    filled: Vec<(u32, String)>,
}

impl LoadedEntry {
    /// The object's name of the map (the kernel's may be truncated to 15 bytes).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/inner_types.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let entry = loaded.entry("outer_bloom_ulong").unwrap();
    /// assert_eq!(entry.name(), "outer_bloom_ulong");
    /// assert_eq!(entry.map().as_map().info().name().as_str(), "outer_bloom_ulo");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The map.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions, LoadedMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let LoadedMap::Outer(outer) = loaded.entry("outer").unwrap().map() else {
    ///     panic!("`outer` is a map of maps")
    /// };
    /// assert_eq!(outer.lookup(&0u32)?, Some(loaded.map("in0").unwrap().id()));
    /// # Ok(()) }
    /// ```
    pub fn map(&self) -> &LoadedMap {
        &self.map
    }
    /// Gives up the entry, returning the map.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions, LoadedMap};
    /// use bpfmaps::UpdateFlags;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let mut entries = load(&object, &LoadOptions::new())?.into_entries();
    /// let in0 = entries.remove(0);
    /// assert_eq!(in0.name(), "in0");
    /// let LoadedMap::Plain(map) = in0.into_map() else { panic!("`in0` is a plain map") };
    /// map.put(&1u32, &7u64, UpdateFlags::ANY)?;
    /// assert_eq!(map.get::<u32, u64>(&1)?, Some(7));
    /// # Ok(()) }
    /// ```
    pub fn into_map(self) -> LoadedMap {
        self.map
    }
    /// Where it is pinned, if it is.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::Map;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A fresh bpffs to pin into (a program would use a directory under /sys/fs/bpf).
    /// let root = std::env::temp_dir().join(format!("bpfmaps-doc-pin-path-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// bpfmaps::pin::mount_bpffs(&root)?;
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new().pin_root(&root))?;
    /// let entry = loaded.entry("pinned_hash").unwrap();
    /// let path = root.join("pinned_hash");
    /// assert_eq!(entry.pin_path(), Some(path.as_path()));
    /// assert_eq!(Map::from_pin(&path)?.id(), entry.map().as_map().id());
    /// assert_eq!(loaded.entry("not_pinned").unwrap().pin_path(), None);
    /// # bpfmaps::pin::unmount(&root)?;
    /// # std::fs::remove_dir(&root).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn pin_path(&self) -> Option<&Path> {
        self.pin_path.as_deref()
    }
    /// Whether it was found (pinned, or in a kept slot) rather than created.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // Nothing is pinned, so a load finds nothing to reuse: every map is created. (The
    /// // example of `Origin` shows a second load that reuses pinned maps.)
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert!(loaded.entries().iter().all(|e| !e.reused()));
    /// # Ok(()) }
    /// ```
    pub fn reused(&self) -> bool {
        self.origin != Origin::Created
    }
    /// Where it came from.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions, Origin};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // Without a pin root nothing can be found pinned: every map is created by this load.
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert!(loaded.entries().iter().all(|e| e.origin() == Origin::Created));
    /// # Ok(()) }
    /// ```
    pub fn origin(&self) -> Origin {
        self.origin
    }
    /// Whether it was created with BTF key/value type ids.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // `stats` is declared with `__type(key, …)` and `__type(value, …)`.
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let stats = loaded.entry("stats").unwrap();
    /// assert!(stats.with_btf());
    /// assert_ne!(stats.map().as_map().info().btf_id(), 0);
    /// let plain = load(&object, &LoadOptions::new().without_btf())?;
    /// assert!(!plain.entry("stats").unwrap().with_btf());
    /// # Ok(()) }
    /// ```
    pub fn with_btf(&self) -> bool {
        self.with_btf
    }
    /// The declared slots this load filled: `(slot, inner map name)`.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sparse_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let filled = loaded.entry("sparse_outer").unwrap().filled_slots();
    /// let filled: Vec<(u32, &str)> = filled.iter().map(|(slot, name)| (*slot, name.as_str())).collect();
    /// assert_eq!(filled, [(1, "a"), (5, "b"), (7, "c")]);
    /// assert!(loaded.entry("a").unwrap().filled_slots().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn filled_slots(&self) -> &[(u32, String)] {
        &self.filled
    }
}

/// The maps of a loaded object, by name, in the object's order.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, LoadOptions};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hash_of_maps.bpf.o"))?;
/// let loaded = load(&object, &LoadOptions::new())?;
/// assert_eq!(loaded.entries().len(), object.maps().len());
/// // A hash of maps with 4-byte keys: slot 7 is key 7.
/// let outer = loaded.outer("outer_hash").unwrap();
/// assert_eq!(outer.lookup(&7u32)?, Some(loaded.map("y").unwrap().id()));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LoadedObject {
    entries: Vec<LoadedEntry>,
    btf: BtfStatus,
}

impl LoadedObject {
    /// Every map, in the object's order.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // The outer map comes first in this object, before the inner maps it names.
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/outer_first.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// let names: Vec<&str> = loaded.entries().iter().map(|e| e.name()).collect();
    /// assert_eq!(names, ["outer_map", "first_in_a", "first_in_b"]);
    /// # Ok(()) }
    /// ```
    pub fn entries(&self) -> &[LoadedEntry] {
        &self.entries
    }
    /// The entry of map `name`.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert_eq!(loaded.entry("outer").unwrap().filled_slots().len(), 3);
    /// assert!(loaded.entry("in9").is_none());
    /// # Ok(()) }
    /// ```
    pub fn entry(&self, name: &str) -> Option<&LoadedEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
    /// Map `name` (for an outer map, its underlying map).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::MapType;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert_eq!(loaded.map("in0").unwrap().value_size(), 8);
    /// assert_eq!(loaded.map("outer").unwrap().map_type(), MapType::ARRAY_OF_MAPS);
    /// assert!(loaded.map("in9").is_none());
    /// # Ok(()) }
    /// ```
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.entry(name).map(|e| e.map.as_map())
    }
    /// Outer map `name`.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert!(loaded.outer("in0").is_none()); // a plain map
    /// let outer = loaded.outer("outer").unwrap();
    /// // It knows the object's inner template, and slot 3 is free for a map made from it.
    /// assert_eq!(outer.template().unwrap().max_entries(), 8);
    /// outer.insert(&3u32, &outer.new_inner("in3")?)?;
    /// # Ok(()) }
    /// ```
    pub fn outer(&self, name: &str) -> Option<&OuterMap> {
        match &self.entry(name)?.map {
            LoadedMap::Outer(outer) => Some(outer),
            LoadedMap::Plain(_) => None,
        }
    }
    /// Takes map `name` out of the result.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let mut loaded = load(&object, &LoadOptions::new())?;
    /// let in0 = loaded.take("in0").unwrap();
    /// assert!(loaded.map("in0").is_none() && loaded.take("in0").is_none());
    /// // Taken out of the result, not out of its slot.
    /// assert_eq!(loaded.outer("outer").unwrap().lookup(&0u32)?, Some(in0.as_map().id()));
    /// # Ok(()) }
    /// ```
    pub fn take(&mut self, name: &str) -> Option<LoadedMap> {
        let i = self.entries.iter().position(|e| e.name == name)?;
        Some(self.entries.remove(i).map)
    }
    /// Gives up the result, returning its entries.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let entries = load(&object, &LoadOptions::new())?.into_entries();
    /// let names: Vec<&str> = entries.iter().map(|e| e.name()).collect();
    /// assert_eq!(names, ["in0", "in1", "in2", "outer"]);
    /// # Ok(()) }
    /// ```
    pub fn into_entries(self) -> Vec<LoadedEntry> {
        self.entries
    }
    /// What became of the object's BTF.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, BtfStatus, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new())?;
    /// assert_eq!(*loaded.btf_status(), BtfStatus::Loaded);
    /// let without = load(&object, &LoadOptions::new().without_btf())?;
    /// assert_eq!(*without.btf_status(), BtfStatus::Disabled);
    /// # Ok(()) }
    /// ```
    pub fn btf_status(&self) -> &BtfStatus {
        &self.btf
    }
}

/// Checks an object's maps as [`load`] would before touching the kernel, without creating
/// anything (a caller's template map is asked about, nothing more). The byte order and the pin
/// root are not checked: they concern the host, not the object.
///
/// ```
/// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
/// use bpfmaps::loader::{check, LoadOptions};
/// use bpfmaps::{Error, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// // No kernel, no privilege needed.
/// check(&BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?, &LoadOptions::new())?;
/// let bad = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_values_on_plain.bpf.o"))?;
/// let err = check(&bad, &LoadOptions::new()).unwrap_err();
/// assert!(matches!(
///     &err,
///     Error::Object(ObjectError::Rule { map, rule: Rule::ValuesOnPlain(MapType::HASH) })
///         if map == "plain_with_values"
/// ), "{err}");
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// The first [`ObjectError`] (wrapped in [`Error::Object`]) that [`load`] would refuse with.
pub fn check(object: &BpfObject, options: &LoadOptions<'_>) -> Result<()> {
    plan::plan(object, options).map(drop)
}

fn no_pin_root(map: &str) -> Error {
    ObjectError::Rule {
        map: map.to_owned(),
        rule: Rule::NoPinRoot,
    }
    .into()
}

/// Loads the maps of `object` (see the module documentation for the order and guarantees).
///
/// ```
/// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
/// use bpfmaps::loader::{load, LoadOptions};
/// use bpfmaps::Error;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hash_of_maps.bpf.o"))?;
/// let loaded = load(&object, &LoadOptions::new())?;
/// let outer = loaded.outer("outer_hash").unwrap();
/// assert_eq!(outer.lookup(&3u32)?, Some(loaded.map("x").unwrap().id()));
/// // Refused before any syscall: `legacy_outer` has no inner template in the object.
/// let legacy = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_libbpf.bpf.o"))?;
/// assert!(matches!(
///     load(&legacy, &LoadOptions::new()),
///     Err(Error::Object(ObjectError::Rule { rule: Rule::NoTemplate, .. }))
/// ));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::Object`] for what is refused before any syscall (nothing is created);
/// [`Error::PinMismatch`] for an existing pin that does not match; [`Error::Load`] naming the
/// map for a failure while creating, filling or pinning (everything made so far is released).
pub fn load<'o>(object: &'o BpfObject, options: &LoadOptions<'o>) -> Result<LoadedObject> {
    object.check_byte_order()?;
    let plan = plan::plan(object, options)?;
    let root = pin_root(&plan, options)?;
    let mut handles: Vec<Option<Map>> = pins::existing(&plan, root)?;
    let reused: Vec<bool> = handles.iter().map(Option::is_some).collect();
    let (btf_status, btf) = load_btf(object, options);
    // Shared with the outer maps whose template was created with it (for `new_inner`).
    let btf = btf.map(Arc::new);
    // Slots of reused outer maps that are kept as they are, and the declared inner maps they
    // supply.
    // (A set: an outer map may declare very many slots, each looked up here.)
    let mut kept: Vec<HashSet<u32>> = vec![HashSet::new(); plan.maps.len()];
    if options.reuse == Reuse::Keep {
        bind_kept_slots(&plan, &mut handles, &mut kept)?;
    }
    let origins: Vec<Origin> = handles
        .iter()
        .zip(&reused)
        .map(|(handle, &reused)| match (handle, reused) {
            (_, true) => Origin::Pinned,
            (Some(_), false) => Origin::InSlot,
            (None, false) => Origin::Created,
        })
        .collect();
    let mut with_btf = vec![false; plan.maps.len()];
    for (i, planned) in plan.maps.iter().enumerate() {
        if handles[i].is_some() || planned.outer.is_some() {
            continue;
        }
        let (map, used_btf) = create(planned, &planned.spec, planned.btf_ids, btf.as_deref())?;
        with_btf[i] = used_btf;
        handles[i] = Some(map);
    }
    let mut outers: Vec<Option<OuterMap>> = (0..plan.maps.len()).map(|_| None).collect();
    for (i, planned) in plan.maps.iter().enumerate() {
        let Some(outer_plan) = &planned.outer else {
            continue;
        };
        let outer = match handles[i].take() {
            Some(existing) => {
                let template = template_spec(&outer_plan.template);
                OuterMap::from_map_with_template(existing, template)
                    .map_err(|e| load_error(planned, e))?
            }
            None => create_outer(planned, &outer_plan.template, btf.as_ref())?,
        };
        outers[i] = Some(outer);
    }
    // Fresh outer maps first, then the pins: a failure so far touches nothing that existed
    // before the load. The slots of reused outer maps (which other programs may be using) are
    // filled last, and put back as they were if that fails.
    let mut filled = fill_slots(
        &plan,
        &outers,
        &handles,
        &kept,
        &reused,
        options.reuse,
        false,
    )?;
    let mut to_pin: Vec<(&Map, PathBuf, &str)> = Vec::new();
    for (i, planned) in plan.maps.iter().enumerate() {
        let (Some(root), Some(rel), false) = (root, planned.pin.as_deref(), reused[i]) else {
            continue;
        };
        let map = match (&outers[i], &handles[i]) {
            (Some(outer), _) => outer.as_map(),
            (None, Some(map)) => map,
            (None, None) => continue,
        };
        to_pin.push((map, root.join(rel), planned.def.name.as_str()));
    }
    let pinned = pins::pin_all(&to_pin)?;
    let unpin = || pinned.undo();
    let previous = match previous_slots(&plan, &outers, &kept, &reused, options.reuse) {
        Ok(previous) => previous,
        Err(e) => {
            unpin();
            return Err(e);
        }
    };
    match fill_slots(
        &plan,
        &outers,
        &handles,
        &kept,
        &reused,
        options.reuse,
        true,
    ) {
        Ok(more) => {
            for (i, slots) in more.into_iter().enumerate() {
                if !slots.is_empty() {
                    filled[i] = slots;
                }
            }
        }
        Err(e) => {
            restore_slots(&outers, previous);
            unpin();
            return Err(e);
        }
    }
    drop(previous);
    drop(pinned);
    drop(to_pin);
    let mut entries = Vec::with_capacity(plan.maps.len());
    for (i, planned) in plan.maps.iter().enumerate() {
        let map = match outers[i].take() {
            Some(outer) => LoadedMap::Outer(outer),
            None => match handles[i].take() {
                Some(map) => LoadedMap::Plain(map),
                None => continue,
            },
        };
        let pin_path = match (root, planned.pin.as_deref()) {
            (Some(root), Some(rel)) => Some(root.join(rel)),
            _ => None,
        };
        entries.push(LoadedEntry {
            name: planned.def.name.clone(),
            map,
            pin_path,
            origin: origins[i],
            with_btf: with_btf[i],
            filled: filled[i]
                .iter()
                .map(|&(slot, target)| (slot, plan.maps[target].def.name.clone()))
                .collect(),
        });
    }
    Ok(LoadedObject {
        entries,
        btf: btf_status,
    })
}

fn load_error(planned: &PlannedMap<'_>, source: Error) -> Error {
    Error::Load {
        map: planned.def.name.clone(),
        source: Box::new(source),
    }
}

/// The pin root, checked to be on bpffs, if any planned map is pinned.
fn pin_root<'a>(plan: &Plan<'_>, options: &'a LoadOptions<'_>) -> Result<Option<&'a Path>> {
    let Some(first) = plan.maps.iter().find(|m| m.pin.is_some()) else {
        return Ok(None);
    };
    let root = options
        .pin_root
        .as_deref()
        .ok_or_else(|| no_pin_root(&first.def.name))?;
    if !crate::pin::is_bpffs(root)? {
        return Err(Error::NotBpffs {
            path: root.to_owned(),
        });
    }
    Ok(Some(root))
}

/// Loads the object's BTF with its DATASECs fixed; any failure means maps go without BTF.
fn load_btf(object: &BpfObject, options: &LoadOptions<'_>) -> (BtfStatus, Option<LoadedBtf>) {
    let Some(raw) = object.btf() else {
        return (BtfStatus::Absent, None);
    };
    if options.without_btf {
        return (BtfStatus::Disabled, None);
    }
    let fixed = Btf::parse(&raw.raw).and_then(|btf| {
        btf.to_kernel_bytes(
            &|section, var| {
                raw.placements
                    .get(section)
                    .and_then(|vars| vars.get(var))
                    .copied()
            },
            &|section| raw.section_sizes.get(section).copied(),
        )
    });
    let loaded = match fixed {
        Ok(bytes) => LoadedBtf::load(&bytes),
        Err(e) => return (BtfStatus::Refused(e.to_string()), None),
    };
    match loaded {
        Ok(btf) => (BtfStatus::Loaded, Some(btf)),
        Err(e) => (BtfStatus::Refused(e.to_string()), None),
    }
}

/// Creates a map, with BTF ids when the BTF is loaded and the definition has them; if the
/// kernel refuses the map with BTF, tries once more without (as other loaders do).
fn create(
    planned: &PlannedMap<'_>,
    spec: &MapSpec,
    btf_ids: (u32, u32),
    btf: Option<&LoadedBtf>,
) -> Result<(Map, bool)> {
    with_btf_or_without(planned, spec, btf_ids, btf, |spec, btf| match btf {
        Some(btf) => Map::create_with_btf(spec, btf),
        None => Map::create(spec),
    })
}

/// Runs `make` with the BTF and its type ids where the map can have them, and once more
/// without if the kernel refuses that; says whether the BTF was used.
fn with_btf_or_without<T>(
    planned: &PlannedMap<'_>,
    spec: &MapSpec,
    btf_ids: (u32, u32),
    btf: Option<&LoadedBtf>,
    make: impl Fn(&MapSpec, Option<&LoadedBtf>) -> Result<T>,
) -> Result<(T, bool)> {
    let wants_btf = btf_ids != (0, 0) && spec.map_type().takes_btf_ids();
    if let (Some(btf), true) = (btf, wants_btf) {
        let with_ids = spec.clone().with_btf_type_ids(btf_ids.0, btf_ids.1);
        if let Ok(made) = make(&with_ids, Some(btf)) {
            return Ok((made, true));
        }
    }
    let made = make(spec, None).map_err(|e| load_error(planned, e))?;
    Ok((made, false))
}

fn template_spec(template: &PlannedTemplate<'_>) -> MapSpec {
    match template {
        PlannedTemplate::Spec(spec, _) => spec.clone(),
        PlannedTemplate::Map(_, info) => spec_of(info),
    }
}

fn spec_of(info: &MapInfo) -> MapSpec {
    crate::outer::spec_of_info(info)
}

/// Creates the template (if from a spec), the outer map, and closes the template. An outer
/// map whose template got BTF keeps it, so that its `new_inner` creates inner maps the same way.
fn create_outer(
    planned: &PlannedMap<'_>,
    template: &PlannedTemplate<'_>,
    btf: Option<&Arc<LoadedBtf>>,
) -> Result<OuterMap> {
    match template {
        PlannedTemplate::Spec(spec, ids) => {
            // The template needs no handle: its fd goes to the kernel once, then closes.
            let (template, used_btf) =
                with_btf_or_without(planned, spec, *ids, btf.map(|b| &**b), |spec, btf| {
                    Map::create_fd(spec, btf.map(AsFd::as_fd))
                })?;
            let inner_btf = match (used_btf, btf) {
                (true, Some(btf)) => Some(InnerBtf::new(Arc::clone(btf), *ids)),
                _ => None,
            };
            OuterMap::create_known(&planned.spec, template.as_fd(), spec.clone(), inner_btf)
                .map_err(|e| load_error(planned, e))
        }
        PlannedTemplate::Map(fd, _) => {
            OuterMap::create(&planned.spec, *fd).map_err(|e| load_error(planned, e))
        }
    }
}

/// With [`Reuse::Keep`], binds each declared inner map of a reused outer map to the map found
/// in its slot (opened by id), and records those slots as kept.
fn bind_kept_slots(
    plan: &Plan<'_>,
    handles: &mut [Option<Map>],
    kept: &mut [HashSet<u32>],
) -> Result<()> {
    for (i, planned) in plan.maps.iter().enumerate() {
        let Some(outer_plan) = &planned.outer else {
            continue;
        };
        let Some(outer) = &handles[i] else { continue };
        let mut found = Vec::new();
        for &(slot, target) in &outer_plan.slots {
            let mut id = [0u8; 4];
            let key = slot.to_ne_bytes();
            if !outer
                .lookup(&key, &mut id)
                .map_err(|e| load_error(planned, e))?
            {
                continue;
            }
            kept[i].insert(slot);
            let Some(id) = crate::MapId::new(u32::from_ne_bytes(id)) else {
                continue;
            };
            if handles[target].is_none() {
                found.push((target, id));
            }
        }
        for (target, id) in found {
            if handles[target].is_none() {
                let map = Map::from_id(id).map_err(|e| load_error(&plan.maps[target], e))?;
                handles[target] = Some(map);
            }
        }
    }
    Ok(())
}

/// The declared slots this load writes into outer map `i`: all of them, except those of a
/// reused outer map that [`Reuse::Keep`] keeps.
fn slots_to_fill(
    plan: &Plan<'_>,
    i: usize,
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
) -> Vec<(u32, usize)> {
    let Some(outer_plan) = &plan.maps[i].outer else {
        return Vec::new();
    };
    outer_plan
        .slots
        .iter()
        .copied()
        .filter(|(slot, _)| !(reused[i] && reuse == Reuse::Keep && kept[i].contains(slot)))
        .collect()
}

/// What the slots of reused outer maps that this load is about to write hold now: for each,
/// `(outer, slot, the map there, opened)` — `None` for an empty slot. With [`Reuse::Keep`]
/// only empty slots are written, so nothing is asked of the kernel.
fn previous_slots(
    plan: &Plan<'_>,
    outers: &[Option<OuterMap>],
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
) -> Result<Vec<(usize, u32, Option<Map>)>> {
    let mut previous = Vec::new();
    for (i, planned) in plan.maps.iter().enumerate() {
        let (true, Some(outer)) = (reused[i], &outers[i]) else {
            continue;
        };
        for (slot, _) in slots_to_fill(plan, i, kept, reused, reuse) {
            let map = match reuse {
                Reuse::Keep => None,
                Reuse::Overwrite => outer
                    .get_bytes(&slot.to_ne_bytes())
                    .map_err(|e| load_error(planned, e))?,
            };
            previous.push((i, slot, map));
        }
    }
    Ok(previous)
}

/// Puts back what [`previous_slots`] found, as far as the kernel lets us (the load has failed
/// already; this is its clean-up).
fn restore_slots(outers: &[Option<OuterMap>], previous: Vec<(usize, u32, Option<Map>)>) {
    for (i, slot, map) in previous {
        let Some(outer) = &outers[i] else { continue };
        let key = slot.to_ne_bytes();
        let _ = match &map {
            Some(map) => outer.insert_bytes(&key, map.as_fd(), UpdateFlags::ANY),
            None => outer.remove_bytes(&key).map(drop),
        };
    }
}

/// Fills the declared slots of the fresh outer maps (`of_reused` false) or of the reused ones
/// (`of_reused` true): one batch per outer map, the outer maps from up to
/// [`MAX_THREADS`](crate::workers::MAX_THREADS) threads at once. Returns, per planned map, the `(slot, target)` pairs filled.
fn fill_slots(
    plan: &Plan<'_>,
    outers: &[Option<OuterMap>],
    handles: &[Option<Map>],
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
    of_reused: bool,
) -> Result<Vec<Vec<(u32, usize)>>> {
    let mut work: Vec<(usize, Vec<(u32, usize)>)> = Vec::new();
    for i in 0..plan.maps.len() {
        if reused[i] != of_reused {
            continue;
        }
        let slots = slots_to_fill(plan, i, kept, reused, reuse);
        if !slots.is_empty() {
            work.push((i, slots));
        }
    }
    let fill_one = |w: usize| -> Result<()> {
        let (i, slots) = &work[w];
        let outer = outers[*i]
            .as_ref()
            .expect("every outer map was created or reused");
        let keys: Vec<u32> = slots.iter().map(|&(slot, _)| slot).collect();
        let mut fds = Vec::with_capacity(slots.len());
        let mut infos = Vec::with_capacity(slots.len());
        for &(_, target) in slots {
            let map = handles[target]
                .as_ref()
                .expect("declared inner maps are never outer maps, so they were created");
            fds.push(map.as_fd());
            infos.push(*map.info());
        }
        outer
            .insert_batch_known(&keys, &fds, &infos, UpdateFlags::ANY)
            .map_err(|e| load_error(&plan.maps[*i], e))
    };
    let results: Vec<Result<()>> = crate::workers::run(
        work.len(),
        crate::workers::MAX_THREADS,
        fill_builder,
        fill_one,
    )
    .into_iter()
    .flat_map(|(len, done)| match done {
        Ok(done) => done,
        // Only reachable where panics unwind: the release profile has
        // `panic = "abort"`, so there a panicking job ends the process first. Tests
        // and debug builds unwind, and a panic in one share must still become an error
        // of each of its jobs after the other shares are done.
        Err(_) => (0..len).map(|_| Err(fill_panicked())).collect(),
    })
    .collect();
    for result in results {
        result?;
    }
    let mut filled = vec![Vec::new(); plan.maps.len()];
    for (i, slots) in work {
        filled[i] = slots;
    }
    Ok(filled)
}

/// The builder of a slot-filling thread.
fn fill_builder() -> std::thread::Builder {
    std::thread::Builder::new().name("bpfmaps-fill".to_owned())
}

/// The error of slot filling that panicked (on its own thread, or on the calling thread when
/// no thread could be spawned for it). Never built in release builds of this crate's binaries
/// (`panic = "abort"` in `[profile.release]`: the process aborts instead); it matters for
/// unwinding builds — tests, debug builds, and dependents whose own profile unwinds.
fn fill_panicked() -> Error {
    Error::Io {
        path: PathBuf::from("<slot filling thread>"),
        source: std::io::Error::other("a slot-filling thread panicked"),
    }
}
