//! [`LoadOptions`]: what the caller changes about an object's maps before loading them.

use std::collections::{BTreeSet, HashMap};
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use crate::{MapFlags, MapSpec};

/// What happens to the declared slots of an outer map that is reused from an existing pin.
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// use bpfmaps::loader::{load, LoadOptions, Reuse};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// // A fresh bpffs to pin into (a program would use a directory under /sys/fs/bpf).
/// let root = std::env::temp_dir().join(format!("bpfmaps-doc-reuse-{}", std::process::id()));
/// std::fs::create_dir_all(&root).unwrap();
/// bpfmaps::pin::mount_bpffs(&root)?;
/// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
/// let options = LoadOptions::new().pin_root(&root);
/// let first = load(&object, &options)?;
/// // Someone puts their own map into declared slot 0 of the pinned outer map.
/// let outer = first.outer("pinned_outer").unwrap();
/// let mine = outer.new_inner("mine")?;
/// outer.insert(&0u32, &mine)?;
/// // Keep (the default) leaves it there, and gives it as the object's `pin_in0`.
/// let kept = load(&object, &options.clone().reuse(Reuse::Keep))?;
/// assert_eq!(kept.map("pin_in0").unwrap().id(), mine.id());
/// // Overwrite puts a fresh `pin_in0` in its place.
/// let overwritten = load(&object, &options.reuse(Reuse::Overwrite))?;
/// let fresh = overwritten.map("pin_in0").unwrap().id();
/// assert_ne!(fresh, mine.id());
/// assert_eq!(overwritten.outer("pinned_outer").unwrap().lookup(&0u32)?, Some(fresh));
/// # bpfmaps::pin::unmount(&root)?;
/// # std::fs::remove_dir(&root).unwrap();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reuse {
    /// Leave the pinned outer map's contents as they are: a declared inner map whose slot is
    /// filled is bound to the map found there (opened by id); a declared slot that is empty is
    /// filled with a freshly created map. Nothing created is left outside the outer map.
    #[default]
    Keep,
    /// Put freshly created inner maps into every declared slot, replacing what is there.
    Overwrite,
}

/// An inner template given by the caller for an outer map.
#[derive(Debug, Clone)]
pub(crate) enum TemplateOverride<'a> {
    Spec(MapSpec),
    Map(BorrowedFd<'a>),
}

/// Per-map changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct MapOverride {
    pub(crate) max_entries: Option<u32>,
    pub(crate) flags: Option<MapFlags>,
    pub(crate) numa_node: Option<u32>,
}

/// How to load an object: where to pin, what to do with existing pins, and per-map changes
/// (max_entries, flags, NUMA node, inner templates, maps to skip).
///
/// Per-map options are checked against the object when it is loaded (or checked): one that
/// names a map the object does not have, or a template for a map that is not a map of maps,
/// is refused with [`Rule::UnusedOption`] rather than ignored.
///
/// [`Rule::UnusedOption`]: crate::elf::Rule::UnusedOption
///
/// ```
/// use bpfmaps::loader::{LoadOptions, Reuse};
/// use bpfmaps::{MapSpec, MapType};
/// let options = LoadOptions::new()
///     .pin_root("/sys/fs/bpf/myapp")
///     .reuse(Reuse::Overwrite)
///     .max_entries("flows", 4096)
///     .template("legacy_outer", MapSpec::new(MapType::ARRAY, 4, 4, 16))
///     .skip("debug_stats");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct LoadOptions<'a> {
    pub(crate) pin_root: Option<PathBuf>,
    pub(crate) reuse: Reuse,
    pub(crate) overrides: HashMap<String, MapOverride>,
    pub(crate) templates: HashMap<String, TemplateOverride<'a>>,
    /// Ordered: a load asks it once per map of the object, and a few string comparisons
    /// cost less than hashing the name.
    pub(crate) skip: BTreeSet<String>,
    pub(crate) without_btf: bool,
}

impl<'a> LoadOptions<'a> {
    /// Defaults: no pin root (an object that asks for pinning is refused), keep what reused
    /// outer maps hold, load the object's BTF.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::Error;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// // The defaults give no pin root, so an object that asks for pinning is refused (before
    /// // anything is created).
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
    /// let err = load(&object, &LoadOptions::new()).unwrap_err();
    /// assert!(matches!(
    ///     &err,
    ///     Error::Object(ObjectError::Rule { map, rule: Rule::NoPinRoot }) if map == "pinned_outer"
    /// ), "{err}");
    /// # Ok(()) }
    /// ```
    pub fn new() -> LoadOptions<'a> {
        LoadOptions::default()
    }

    /// Pins maps that ask for it under `dir` (which must be on a bpffs mount):
    /// `LIBBPF_PIN_BY_NAME` at `dir/NAME`, iproute2's `PIN_GLOBAL_NS` at `dir/tc/globals/NAME`.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::OuterMap;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A fresh bpffs to pin into (a program would use a directory under /sys/fs/bpf).
    /// let root = std::env::temp_dir().join(format!("bpfmaps-doc-pin-root-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// bpfmaps::pin::mount_bpffs(&root)?;
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new().pin_root(&root))?;
    /// drop(loaded);
    /// // The pins outlive the load's handles: the outer map still holds its declared inner maps.
    /// assert!(root.join("pinned_hash").exists() && !root.join("not_pinned").exists());
    /// let outer = OuterMap::from_pin(root.join("pinned_outer"))?;
    /// assert!(outer.lookup(&0u32)?.is_some() && outer.lookup(&2u32)?.is_some());
    /// # bpfmaps::pin::unmount(&root)?;
    /// # std::fs::remove_dir(&root).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn pin_root(mut self, dir: impl AsRef<Path>) -> LoadOptions<'a> {
        self.pin_root = Some(dir.as_ref().to_owned());
        self
    }

    /// What to do with the declared slots of an outer map reused from a pin.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions, Reuse};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A fresh bpffs to pin into (a program would use a directory under /sys/fs/bpf).
    /// let root = std::env::temp_dir().join(format!("bpfmaps-doc-reuse-fn-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// bpfmaps::pin::mount_bpffs(&root)?;
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
    /// let options = LoadOptions::new().pin_root(&root);
    /// let _first = load(&object, &options)?;
    /// // The outer map is found pinned; with Overwrite its declared slots get fresh maps again.
    /// let again = load(&object, &options.reuse(Reuse::Overwrite))?;
    /// let outer = again.entry("pinned_outer").unwrap();
    /// assert!(outer.reused());
    /// let filled: Vec<u32> = outer.filled_slots().iter().map(|(slot, _)| *slot).collect();
    /// assert_eq!(filled, [0, 2]);
    /// # bpfmaps::pin::unmount(&root)?;
    /// # std::fs::remove_dir(&root).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn reuse(mut self, reuse: Reuse) -> LoadOptions<'a> {
        self.reuse = reuse;
        self
    }

    /// Creates map `map` with `max_entries` instead of the object's value.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
    /// use bpfmaps::loader::{check, load, LoadOptions};
    /// use bpfmaps::Error;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// assert_eq!(object.map("stats").unwrap().attrs.max_entries, 4);
    /// let loaded = load(&object, &LoadOptions::new().max_entries("stats", 16))?;
    /// assert_eq!(loaded.map("stats").unwrap().max_entries(), 16);
    /// // A name the object does not have is refused, not ignored.
    /// let err = check(&object, &LoadOptions::new().max_entries("stat", 16)).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::Object(ObjectError::Rule { rule: Rule::UnusedOption { option: "max_entries", .. }, .. })
    /// ));
    /// # Ok(()) }
    /// ```
    pub fn max_entries(mut self, map: &str, max_entries: u32) -> LoadOptions<'a> {
        self.overrides
            .entry(map.to_owned())
            .or_default()
            .max_entries = Some(max_entries);
        self
    }

    /// Creates map `map` with these flags instead of the object's.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::MapFlags;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plain_fields.bpf.o"))?;
    /// assert_eq!(object.map("sized_hash").unwrap().attrs.flags, MapFlags::empty());
    /// let options = LoadOptions::new().flags("sized_hash", MapFlags::NO_PREALLOC);
    /// let loaded = load(&object, &options)?;
    /// assert_eq!(loaded.map("sized_hash").unwrap().info().flags(), MapFlags::NO_PREALLOC);
    /// # Ok(()) }
    /// ```
    pub fn flags(mut self, map: &str, flags: MapFlags) -> LoadOptions<'a> {
        self.overrides.entry(map.to_owned()).or_default().flags = Some(flags);
        self
    }

    /// Creates map `map` on NUMA node `node` (sets `BPF_F_NUMA_NODE`).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::MapFlags;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plain_fields.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new().numa_node("sized_hash", 0))?;
    /// assert_eq!(loaded.map("sized_hash").unwrap().info().flags(), MapFlags::NUMA_NODE);
    /// # Ok(()) }
    /// ```
    pub fn numa_node(mut self, map: &str, node: u32) -> LoadOptions<'a> {
        self.overrides.entry(map.to_owned()).or_default().numa_node = Some(node);
        self
    }

    /// Gives outer map `map` this inner template (replacing the object's, or supplying one an
    /// object without an inner definition lacks).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{check, load, LoadOptions};
    /// use bpfmaps::{MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // legacy_libbpf's 20-byte definitions cannot say what `legacy_outer`'s inner maps are.
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_libbpf.bpf.o"))?;
    /// assert!(check(&object, &LoadOptions::new()).is_err());
    /// let options = LoadOptions::new().template("legacy_outer", MapSpec::new(MapType::ARRAY, 4, 4, 16));
    /// let loaded = load(&object, &options)?;
    /// let outer = loaded.outer("legacy_outer").unwrap();
    /// let inner = outer.new_inner("from_template")?;
    /// assert_eq!((inner.map_type(), inner.max_entries()), (MapType::ARRAY, 16));
    /// outer.insert(&0u32, &inner)?;
    /// # Ok(()) }
    /// ```
    pub fn template(mut self, map: &str, spec: MapSpec) -> LoadOptions<'a> {
        self.templates
            .insert(map.to_owned(), TemplateOverride::Spec(spec));
        self
    }

    /// Gives outer map `map` an existing map as its inner template, borrowed for the load.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, LoadOptions};
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let template = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 32))?;
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_libbpf.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new().template_map("legacy_outer", template.as_fd()))?;
    /// // The template is an inner map of the kind the outer map takes.
    /// let outer = loaded.outer("legacy_outer").unwrap();
    /// outer.insert(&0u32, &template)?;
    /// assert_eq!(outer.lookup(&0u32)?, Some(template.id()));
    /// # Ok(()) }
    /// ```
    pub fn template_map(mut self, map: &str, template: BorrowedFd<'a>) -> LoadOptions<'a> {
        self.templates
            .insert(map.to_owned(), TemplateOverride::Map(template));
        self
    }

    /// Does not create map `map` (a slot that names it is then refused).
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
    /// use bpfmaps::loader::{check, load, LoadOptions};
    /// use bpfmaps::Error;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// let loaded = load(&object, &LoadOptions::new().skip("stats"))?;
    /// assert!(loaded.map("stats").is_none());
    /// assert_eq!(loaded.entries().len(), 4);
    /// // `devs_b` fills slot 1 of `outer_devs`: skipping it is refused.
    /// let err = check(&object, &LoadOptions::new().skip("devs_b")).unwrap_err();
    /// assert!(matches!(
    ///     &err,
    ///     Error::Object(ObjectError::Rule { rule: Rule::SlotMapMissing { index: 1, inner }, .. })
    ///         if inner == "devs_b"
    /// ), "{err}");
    /// # Ok(()) }
    /// ```
    pub fn skip(mut self, map: &str) -> LoadOptions<'a> {
        self.skip.insert(map.to_owned());
        self
    }

    /// Creates every map without BTF, even if the object has it.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::loader::{load, BtfStatus, LoadOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
    /// assert!(object.has_btf());
    /// let loaded = load(&object, &LoadOptions::new().without_btf())?;
    /// assert_eq!(*loaded.btf_status(), BtfStatus::Disabled);
    /// assert!(loaded.entries().iter().all(|e| !e.with_btf() && e.map().as_map().info().btf_id() == 0));
    /// # Ok(()) }
    /// ```
    pub fn without_btf(mut self) -> LoadOptions<'a> {
        self.without_btf = true;
        self
    }
}
