//! [`LoadOptions`]: what the caller changes about an object's maps before loading them.

use std::collections::{BTreeSet, HashMap};
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use crate::{MapFlags, MapSpec};

/// What happens to the declared slots of an outer map that is reused from an existing pin.
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
    pub fn new() -> LoadOptions<'a> {
        LoadOptions::default()
    }

    /// Pins maps that ask for it under `dir` (which must be on a bpffs mount):
    /// `LIBBPF_PIN_BY_NAME` at `dir/NAME`, iproute2's `PIN_GLOBAL_NS` at `dir/tc/globals/NAME`.
    pub fn pin_root(mut self, dir: impl AsRef<Path>) -> LoadOptions<'a> {
        self.pin_root = Some(dir.as_ref().to_owned());
        self
    }

    /// What to do with the declared slots of an outer map reused from a pin.
    pub fn reuse(mut self, reuse: Reuse) -> LoadOptions<'a> {
        self.reuse = reuse;
        self
    }

    /// Creates map `map` with `max_entries` instead of the object's value.
    pub fn max_entries(mut self, map: &str, max_entries: u32) -> LoadOptions<'a> {
        self.overrides
            .entry(map.to_owned())
            .or_default()
            .max_entries = Some(max_entries);
        self
    }

    /// Creates map `map` with these flags instead of the object's.
    pub fn flags(mut self, map: &str, flags: MapFlags) -> LoadOptions<'a> {
        self.overrides.entry(map.to_owned()).or_default().flags = Some(flags);
        self
    }

    /// Creates map `map` on NUMA node `node` (sets `BPF_F_NUMA_NODE`).
    pub fn numa_node(mut self, map: &str, node: u32) -> LoadOptions<'a> {
        self.overrides.entry(map.to_owned()).or_default().numa_node = Some(node);
        self
    }

    /// Gives outer map `map` this inner template (replacing the object's, or supplying one an
    /// object without an inner definition lacks).
    pub fn template(mut self, map: &str, spec: MapSpec) -> LoadOptions<'a> {
        self.templates
            .insert(map.to_owned(), TemplateOverride::Spec(spec));
        self
    }

    /// Gives outer map `map` an existing map as its inner template, borrowed for the load.
    pub fn template_map(mut self, map: &str, template: BorrowedFd<'a>) -> LoadOptions<'a> {
        self.templates
            .insert(map.to_owned(), TemplateOverride::Map(template));
        self
    }

    /// Does not create map `map` (a slot that names it is then refused).
    pub fn skip(mut self, map: &str) -> LoadOptions<'a> {
        self.skip.insert(map.to_owned());
        self
    }

    /// Creates every map without BTF, even if the object has it.
    pub fn without_btf(mut self) -> LoadOptions<'a> {
        self.without_btf = true;
        self
    }
}
