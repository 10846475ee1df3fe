//! [`OuterMap`]: a map of maps (`ARRAY_OF_MAPS`, `HASH_OF_MAPS`).

mod batch;
mod registry;
mod template;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

pub(crate) use self::template::{spec_of_info, InnerBtf};
pub use self::template::{InnerShape, InnerTemplate};

use self::registry::Registry;
use crate::error::{MapLabel, Refusal};
use crate::map::{Entries, RawFdU32};
use crate::sys::pod::bytes_of;
use crate::{Command, Errno, Error, Map, MapId, MapInfo, MapSpec, Pod, Result, UpdateFlags};

/// An outer map: an `ARRAY_OF_MAPS` or `HASH_OF_MAPS`, whose values are other maps.
///
/// The handle remembers the inner template's properties, so that
/// - [`OuterMap::new_inner`] creates inner maps the kernel is guaranteed to accept,
/// - [`OuterMap::insert`] checks an inner map against the template before the syscall and names
///   the property that differs,
/// - the asymmetry of the kernel's interface (an *fd* goes in, an *id* comes out) never reaches
///   the caller as integers: inserts borrow the inner map (`impl AsFd`), lookups return a
///   [`MapId`], and [`OuterMap::get`] returns an owned [`Map`].
///
/// Each userspace insert or delete waits in the kernel for an RCU grace period (milliseconds);
/// the batch methods ([`OuterMap::insert_batch`], [`OuterMap::remove_batch`]) wait once for the
/// whole batch.
///
/// ```
/// use bpfmaps::{MapSpec, MapType, OuterMap, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let inner_spec = MapSpec::new(MapType::ARRAY, 4, 8, 16);
/// let outer = OuterMap::create(&MapSpec::array_of_maps(8).with_name("doc_outer")?, &inner_spec)?;
///
/// let inner = outer.new_inner("doc_inner")?;
/// inner.put(&0u32, &42u64, UpdateFlags::ANY)?;
/// outer.insert(&3u32, &inner)?;
/// drop(inner); // the outer map keeps the inner map alive; no fd is left open
///
/// let id = outer.lookup(&3u32)?.expect("slot 3 is filled");
/// let opened = outer.get(&3u32)?.expect("slot 3 is filled"); // a new owned fd
/// assert_eq!(opened.id(), id);
/// assert_eq!(opened.get::<u32, u64>(&0)?, Some(42));
/// assert!(outer.remove(&3u32)?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OuterMap {
    map: Map,
    template: Option<MapSpec>,
    /// The template's BTF, where it had BTF types: inner maps are created with it.
    inner_btf: Option<InnerBtf>,
    registry: Option<Registry>,
}

impl OuterMap {
    /// `bpf(BPF_MAP_CREATE, spec, inner_map_fd)` — creates an outer map with the given inner
    /// template: a [`MapSpec`] (the crate creates the template map, passes it and closes it) or
    /// a borrowed map (`&Map`, `&OwnedFd`, any `&impl AsFd` or `BorrowedFd`), held only for
    /// the call.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // The template given as an existing map, borrowed for the call.
    /// let template = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8).with_name("doc_outer")?, &template)?;
    /// drop(template);
    /// assert_eq!(outer.template().map(|t| t.value_size()), Some(8));
    /// outer.insert(&1u32, &outer.new_inner("doc_inner")?)?;
    /// assert!(outer.lookup(&1u32)?.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Refused before any syscall, with [`Error::Refused`]: a `spec` that is not an outer type,
    /// an outer `value_size` other than 4, an `ARRAY_OF_MAPS` key that is not 4 bytes, BTF ids on
    /// the outer spec, an outer map or a type without inner-map support (such as `PROG_ARRAY`)
    /// as template, `BPF_F_INNER_MAP` on a non-array template. [`Error::NotSupported`] if the
    /// kernel lacks map-in-map; [`Error::Syscall`] for other kernel refusals.
    ///
    /// # File descriptor cost
    ///
    /// One fd, owned by the returned handle; a template created from a spec is closed before
    /// this returns. A borrowed template with BTF key/value types costs one more: the handle
    /// opens that BTF by id (`BPF_BTF_GET_FD_BY_ID`, with `CAP_SYS_ADMIN`) and keeps it, so
    /// that [`OuterMap::new_inner`] can create inner maps with it.
    ///
    /// # Kernel
    ///
    /// Linux 4.12 (both outer types); a template with `BPF_F_INNER_MAP`, 5.10; inner maps of
    /// other sizes than the template's, for types other than arrays, 5.10.
    pub fn create<'a>(spec: &MapSpec, template: impl Into<InnerTemplate<'a>>) -> Result<OuterMap> {
        spec.check_outer()?;
        match template.into() {
            InnerTemplate::Spec(inner) => {
                inner.check_inner()?;
                let template = Map::create_fd(inner, None)?;
                let map = Self::create_outer(spec, template.as_fd())?;
                // `template` drops here: the kernel has copied what it needs.
                Ok(Self::new(
                    map,
                    Some(inner.clone().with_map_name(Default::default())),
                    None,
                ))
            }
            InnerTemplate::Map(fd) => {
                let info = inner_info(fd, spec.label())?;
                if let Some(refusal) = InnerShape::of_info(&info).inner_refusal() {
                    return Err(Error::Refused {
                        map: info.label(),
                        refusal,
                    });
                }
                let map = Self::create_outer(spec, fd)?;
                Ok(Self::new(
                    map,
                    Some(spec_of_info(&info)),
                    InnerBtf::of_info(&info),
                ))
            }
        }
    }

    /// Creates an outer map from a template map whose info the caller holds (the loader's
    /// own template, and the BTF it was created with): no info query. The caller has checked
    /// `spec` and the template.
    pub(crate) fn create_known(
        spec: &MapSpec,
        template: BorrowedFd<'_>,
        keep: MapSpec,
        inner_btf: Option<InnerBtf>,
    ) -> Result<OuterMap> {
        spec.check_outer()?;
        let map = Self::create_outer(spec, template)?;
        Ok(Self::new(map, Some(keep), inner_btf))
    }

    fn create_outer(spec: &MapSpec, template: BorrowedFd<'_>) -> Result<Map> {
        let mut attr = spec.to_attr();
        attr.inner_map_fd = template.as_raw_fd_u32();
        Map::create_raw(spec, attr)
    }

    fn new(map: Map, template: Option<MapSpec>, inner_btf: Option<InnerBtf>) -> OuterMap {
        OuterMap {
            map,
            template,
            inner_btf,
            registry: None,
        }
    }

    /// An outer map from an opened [`Map`] (by id or pin). The kernel does not report an outer
    /// map's template, so it is learnt from the first inner map found in the map, if there is
    /// one and it can be opened; otherwise [`OuterMap::template`] is `None` and inserts are
    /// checked by the kernel alone.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, OuterMap, Refusal};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// outer.insert(&0u32, &outer.new_inner("doc_inner")?)?;
    /// // The template is learnt from the inner map in slot 0.
    /// let opened = OuterMap::from_map(Map::from_id(outer.id())?)?;
    /// assert_eq!(opened.template(), outer.template());
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// let err = OuterMap::from_map(plain).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::NotOuter(MapType::HASH), .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] if `map` is not an outer map.
    pub fn from_map(map: Map) -> Result<OuterMap> {
        if !map.map_type().is_outer() {
            return Err(Error::Refused {
                map: map.label(),
                refusal: Refusal::NotOuter(map.map_type()),
            });
        }
        let mut outer = Self::new(map, None, None);
        if let Some(inner) = outer.first_inner() {
            outer.template = Some(spec_of_info(inner.info()));
            outer.inner_btf = InnerBtf::of_info(inner.info());
        }
        Ok(outer)
    }

    /// An outer map from an opened [`Map`] whose template you know (for instance from the
    /// object file that declared it).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let inner_spec = MapSpec::new(MapType::ARRAY, 4, 8, 16);
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &inner_spec)?;
    /// // Empty, so an open by id cannot learn the template; give it.
    /// assert!(OuterMap::from_id(outer.id())?.template().is_none());
    /// let opened = OuterMap::from_map_with_template(Map::from_id(outer.id())?, inner_spec)?;
    /// opened.insert(&2u32, &opened.new_inner("doc_inner")?)?;
    /// assert!(outer.lookup(&2u32)?.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] if `map` is not an outer map or `template` cannot be a template.
    pub fn from_map_with_template(map: Map, template: MapSpec) -> Result<OuterMap> {
        if !map.map_type().is_outer() {
            return Err(Error::Refused {
                map: map.label(),
                refusal: Refusal::NotOuter(map.map_type()),
            });
        }
        template.check_inner()?;
        Ok(Self::new(map, Some(template), None))
    }

    /// Opens the outer map pinned at `path` ([`Map::from_pin`] then [`OuterMap::from_map`]).
    ///
    /// ```
    /// use bpfmaps::{pin, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-outer-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).expect("mount point");
    /// pin::mount_bpffs(&dir)?;
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// outer.insert(&1u32, &outer.new_inner("doc_inner")?)?;
    /// outer.as_map().pin(dir.join("outer"))?;
    /// let opened = OuterMap::from_pin(dir.join("outer"))?;
    /// assert_eq!(opened.id(), outer.id());
    /// assert_eq!(opened.template(), outer.template());
    /// pin::unmount(&dir)?;
    /// # std::fs::remove_dir(&dir).expect("mount point removed");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As both.
    ///
    /// # File descriptor cost
    ///
    /// One fd, owned by the handle; learning the template opens (and closes) one inner map,
    /// and keeps one more fd if that map has BTF types (see [`OuterMap::create`]).
    pub fn from_pin(path: impl AsRef<Path>) -> Result<OuterMap> {
        Self::from_map(Map::from_pin(path)?)
    }

    /// Opens the outer map with this id ([`Map::from_id`] then [`OuterMap::from_map`]).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// outer.insert(&3u32, &outer.new_inner("doc_inner")?)?;
    /// let opened = OuterMap::from_id(outer.id())?;
    /// assert_eq!(opened.lookup(&3u32)?, outer.lookup(&3u32)?);
    /// assert!(opened.template().is_some()); // learnt from slot 3
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As both.
    ///
    /// # File descriptor cost
    ///
    /// As [`OuterMap::from_pin`].
    pub fn from_id(id: MapId) -> Result<OuterMap> {
        Self::from_map(Map::from_id(id)?)
    }

    /// The first inner map of an opened outer map, among the first [`LEARN_LIMIT`] keys: what
    /// its template is learnt from.
    fn first_inner(&self) -> Option<Map> {
        let mut cursor = self.map.key_cursor();
        let mut id = [0u8; 4];
        for _ in 0..LEARN_LIMIT {
            let key = cursor.next_key().ok()??;
            if self.map.lookup(key, &mut id).ok()? {
                return Map::from_id(MapId::new(u32::from_ne_bytes(id))?).ok();
            }
        }
        None
    }

    /// Keeps, from now on, an fd of every map this handle inserts, so that [`OuterMap::get`]
    /// returns them by duplicating that fd instead of `BPF_MAP_GET_FD_BY_ID` (which needs
    /// `CAP_SYS_ADMIN`). An entry is dropped when this handle removes or overwrites its slot.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?
    ///     .with_registry();
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&0u32, &inner)?;
    /// assert_eq!(outer.registered(), 1);
    /// // Opened from the registry's fd, not by id.
    /// assert_eq!(outer.get(&0u32)?.expect("slot 0 is filled").id(), inner.id());
    /// assert!(outer.remove(&0u32)?);
    /// assert_eq!(outer.registered(), 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # File descriptor cost
    ///
    /// One fd per map inserted through this handle and still in the outer map.
    pub fn with_registry(mut self) -> OuterMap {
        if self.registry.is_none() {
            self.registry = Some(Registry::default());
        }
        self
    }

    /// How many maps the registry holds an fd for (0 without [`OuterMap::with_registry`]).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// outer.insert(&0u32, &outer.new_inner("doc_inner")?)?;
    /// assert_eq!(outer.registered(), 0); // no registry
    /// let outer = outer.with_registry();
    /// outer.insert(&1u32, &outer.new_inner("doc_inner")?)?;
    /// outer.insert(&2u32, &outer.new_inner("doc_inner")?)?;
    /// assert_eq!(outer.registered(), 2);
    /// # Ok(()) }
    /// ```
    pub fn registered(&self) -> usize {
        self.registry.as_ref().map_or(0, Registry::len)
    }

    /// The underlying map (for its info, pinning, freezing, iteration).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// assert_eq!(outer.as_map().map_type(), MapType::ARRAY_OF_MAPS);
    /// assert_eq!(outer.as_map().max_entries(), 4);
    /// assert_eq!(outer.as_map().keys::<u32>().count(), 4); // an array's keys are all there
    /// # Ok(()) }
    /// ```
    pub fn as_map(&self) -> &Map {
        &self.map
    }

    /// Gives up the outer handle, returning the map.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let id = outer.id();
    /// let map = outer.into_map();
    /// assert_eq!(map.id(), id);
    /// assert!(map.map_type().is_outer());
    /// # Ok(()) }
    /// ```
    pub fn into_map(self) -> Map {
        self.map
    }

    /// The outer map's info.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::array_of_maps(4).with_name("doc_outer")?;
    /// let outer = OuterMap::create(&spec, &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// assert_eq!(outer.info().name().as_str(), "doc_outer");
    /// assert_eq!(outer.info().value_size(), 4); // the kernel's view: values are map ids
    /// # Ok(()) }
    /// ```
    pub fn info(&self) -> &MapInfo {
        self.map.info()
    }

    /// The outer map's id.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// assert!(bpfmaps::map_ids().any(|id| id.ok() == Some(outer.id())));
    /// assert_eq!(Map::from_id(outer.id())?.map_type(), MapType::ARRAY_OF_MAPS);
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> MapId {
        self.map.id()
    }

    /// The inner template's spec, if known (always, for a map this crate created).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let inner_spec = MapSpec::new(MapType::ARRAY, 4, 8, 16).with_name("doc_tmpl")?;
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &inner_spec)?;
    /// let template = outer.template().expect("created here");
    /// assert_eq!(template.max_entries(), 16);
    /// assert!(template.name().is_empty()); // inner maps get their own names
    /// // Opened by id while empty: nothing to learn the template from.
    /// assert!(OuterMap::from_id(outer.id())?.template().is_none());
    /// # Ok(()) }
    /// ```
    pub fn template(&self) -> Option<&MapSpec> {
        self.template.as_ref()
    }

    fn template_or_refuse(&self) -> Result<&MapSpec> {
        self.template.as_ref().ok_or_else(|| Error::Refused {
            map: self.map.label(),
            refusal: Refusal::TemplateUnknown,
        })
    }

    /// Creates an inner map named `name` that this outer map is guaranteed to accept: the
    /// template's type, sizes, flags (`BPF_F_INNER_MAP` and `BPF_F_NUMA_NODE` included),
    /// NUMA node, `map_extra` and max_entries — and, where the template had BTF key/value
    /// types, the same BTF, since the kernel also compares the special fields (spin lock,
    /// timer, kptr) that BTF gives a value.
    ///
    /// ```
    /// use bpfmaps::{InnerShape, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// assert_eq!(inner.info().name().as_str(), "doc_inner");
    /// let template = outer.template().expect("created here");
    /// assert_eq!(InnerShape::of_info(inner.info()), InnerShape::of_spec(template));
    /// outer.insert(&0u32, &inner)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] if the template is unknown; [`Error::Name`]; [`Error::Syscall`].
    ///
    /// # File descriptor cost
    ///
    /// One fd, owned by the returned `Map`; drop it after inserting.
    pub fn new_inner(&self, name: &str) -> Result<Map> {
        let spec = self.template_or_refuse()?.clone().with_name(name)?;
        self.create_inner(&spec)
    }

    /// Creates an inner map as the template was created: with its BTF where it had some.
    fn create_inner(&self, spec: &MapSpec) -> Result<Map> {
        match &self.inner_btf {
            Some(btf) => btf.create(spec),
            None => Map::create(spec),
        }
    }

    /// As [`OuterMap::new_inner`], with another `max_entries` — allowed where the kernel does
    /// not compare it: every type but arrays, and arrays whose template has `BPF_F_INNER_MAP`.
    ///
    /// ```
    /// use bpfmaps::{Error, MapSpec, MapType, OuterMap, Refusal};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// // A hash's size is not compared: any will do.
    /// let big = outer.new_inner_sized("doc_big", 1024)?;
    /// outer.insert(&1u32, &big)?;
    /// assert_eq!(big.max_entries(), 1024);
    /// // An array's is, unless the template has BPF_F_INNER_MAP.
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let err = outer.new_inner_sized("doc_big", 1024).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::InnerMaxEntriesFixed { .. }, .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`Refusal::InnerMaxEntriesFixed`] where the kernel would refuse
    /// the size; otherwise as [`OuterMap::new_inner`].
    ///
    /// # File descriptor cost
    ///
    /// One fd, owned by the returned `Map`; drop it after inserting.
    pub fn new_inner_sized(&self, name: &str, max_entries: u32) -> Result<Map> {
        let template = self.template_or_refuse()?;
        let shape = InnerShape::of_spec(template);
        if shape.fixes_max_entries() && max_entries != template.max_entries() {
            return Err(Error::Refused {
                map: self.map.label(),
                refusal: Refusal::InnerMaxEntriesFixed {
                    map_type: template.map_type(),
                    template: template.max_entries(),
                    asked: max_entries,
                },
            });
        }
        let spec = template
            .clone()
            .with_name(name)?
            .with_max_entries(max_entries);
        self.create_inner(&spec)
    }

    /// Checks that `inner` can go into this outer map: it is not an outer map, its type can be
    /// an inner map, and it matches the template (when known).
    ///
    /// ```
    /// use bpfmaps::{Error, InnerMismatch, Map, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// assert!(outer.check_inner(outer.new_inner("doc_inner")?.info()).is_ok());
    /// let other = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 16))?;
    /// let err = outer.check_inner(other.info()).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::InnerMismatch { mismatch: InnerMismatch::Field { field: "value_size", .. }, .. }
    /// ));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] or [`Error::InnerMismatch`] naming the property.
    pub fn check_inner(&self, inner: &MapInfo) -> Result<()> {
        let shape = InnerShape::of_info(inner);
        if let Some(refusal) = shape.inner_refusal() {
            return Err(Error::Refused {
                map: inner.label(),
                refusal,
            });
        }
        if let Some(template) = &self.template {
            InnerShape::of_spec(template)
                .check_fits(&shape)
                .map_err(|mismatch| Error::InnerMismatch {
                    outer: self.map.label(),
                    mismatch,
                })?;
        }
        Ok(())
    }

    /// `bpf(BPF_MAP_UPDATE_ELEM, key, inner_fd)` — puts `inner` in the slot `key` (`BPF_ANY`).
    ///
    /// The inner map is borrowed: your handle still owns its fd and closes it when dropped,
    /// while the outer map keeps the map itself alive.
    ///
    /// ```
    /// use bpfmaps::{Errno, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&3u32, &inner)?;
    /// assert_eq!(outer.lookup(&3u32)?, Some(inner.id()));
    /// let err = outer.insert(&4u32, &inner).unwrap_err(); // past the last slot
    /// assert_eq!(err.errno(), Some(Errno::E2BIG));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Before the syscall: [`Error::Size`] for a key of the wrong size, [`Error::NotAMap`] if
    /// `inner` is not a map (or is closed), [`Error::Refused`]/[`Error::InnerMismatch`] if the
    /// template would refuse it. After: [`Error::Syscall`] (`E2BIG`: array index out of range or
    /// hash full).
    #[doc(alias = "BPF_MAP_UPDATE_ELEM")]
    pub fn insert<K: Pod>(&self, key: &K, inner: impl AsFd) -> Result<()> {
        self.insert_bytes(bytes_of(key), inner.as_fd(), UpdateFlags::ANY)
    }

    /// As [`OuterMap::insert`], with update flags, for a hash of maps (`NOEXIST`: only into an
    /// empty slot; `EXIST`: only replace). An array of maps takes `BPF_ANY` alone: the kernel
    /// refuses the others with `EINVAL`.
    ///
    /// ```
    /// use bpfmaps::{Errno, MapSpec, MapType, OuterMap, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let (a, b) = (outer.new_inner("doc_a")?, outer.new_inner("doc_b")?);
    /// outer.insert_with(&1u32, &a, UpdateFlags::NOEXIST)?;
    /// let err = outer.insert_with(&1u32, &b, UpdateFlags::NOEXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EEXIST));
    /// let err = outer.insert_with(&2u32, &b, UpdateFlags::EXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::ENOENT));
    /// outer.insert_with(&1u32, &b, UpdateFlags::EXIST)?;
    /// assert_eq!(outer.lookup(&1u32)?, Some(b.id()));
    ///
    /// let array = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let err = array.insert_with(&0u32, &a, UpdateFlags::NOEXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::insert`].
    pub fn insert_with<K: Pod>(&self, key: &K, inner: impl AsFd, flags: UpdateFlags) -> Result<()> {
        self.insert_bytes(bytes_of(key), inner.as_fd(), flags)
    }

    /// As [`OuterMap::insert_with`], with the key as bytes.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use bpfmaps::{Error, MapSpec, MapType, OuterMap, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert_bytes(&2u32.to_ne_bytes(), inner.as_fd(), UpdateFlags::ANY)?;
    /// assert_eq!(outer.lookup(&2u32)?, Some(inner.id()));
    /// let err = outer.insert_bytes(&[2u8], inner.as_fd(), UpdateFlags::ANY).unwrap_err();
    /// assert!(matches!(err, Error::Size { expected: 4, got: 1, .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::insert`].
    pub fn insert_bytes(
        &self,
        key: &[u8],
        inner: BorrowedFd<'_>,
        flags: UpdateFlags,
    ) -> Result<()> {
        self.map.check_key(key)?;
        let info = inner_info(inner, self.map.label())?;
        self.check_inner(&info)?;
        let replaced = self.registry_slot(key)?;
        let fd = (inner.as_raw_fd() as u32).to_ne_bytes();
        self.map
            .map_fd()
            .update(key, &fd, flags.bits())
            .map_err(|errno| self.map.sys_err(Command::MAP_UPDATE_ELEM, errno))?;
        if let Some(registry) = &self.registry {
            registry.replace(replaced, &info, inner);
        }
        Ok(())
    }

    /// `bpf(BPF_MAP_LOOKUP_ELEM)` — the id of the map in slot `key`, or `None` if it is empty.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// assert_eq!(outer.lookup(&1u32)?, None); // an empty slot
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&1u32, &inner)?;
    /// assert_eq!(outer.lookup(&1u32)?, Some(inner.id()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`]; [`Error::Syscall`].
    #[doc(alias = "BPF_MAP_LOOKUP_ELEM")]
    pub fn lookup<K: Pod>(&self, key: &K) -> Result<Option<MapId>> {
        self.lookup_bytes(bytes_of(key))
    }

    /// As [`OuterMap::lookup`], with the key as bytes.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&7u32, &inner)?;
    /// assert_eq!(outer.lookup_bytes(&7u32.to_ne_bytes())?, Some(inner.id()));
    /// assert_eq!(outer.lookup_bytes(&8u32.to_ne_bytes())?, None);
    /// assert!(outer.lookup_bytes(&[7u8]).is_err()); // a key of the wrong size
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::lookup`].
    pub fn lookup_bytes(&self, key: &[u8]) -> Result<Option<MapId>> {
        let mut id = [0u8; 4];
        Ok(if self.map.lookup(key, &mut id)? {
            MapId::new(u32::from_ne_bytes(id))
        } else {
            None
        })
    }

    /// The map in slot `key`, opened: from the registry if this handle inserted it and keeps
    /// one ([`OuterMap::with_registry`]), otherwise with `BPF_MAP_GET_FD_BY_ID`.
    ///
    /// If the slot changes between the lookup and the open, the lookup is retried.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// inner.put(&0u32, &7u64, UpdateFlags::ANY)?;
    /// outer.insert(&1u32, &inner)?;
    /// drop(inner);
    /// let opened = outer.get(&1u32)?.expect("slot 1 is filled");
    /// assert_eq!(opened.get::<u32, u64>(&0)?, Some(7));
    /// assert!(outer.get(&2u32)?.is_none());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`]: `EPERM` without `CAP_SYS_ADMIN` (for maps not in the registry).
    ///
    /// # File descriptor cost
    ///
    /// One new fd, owned by the returned `Map`.
    pub fn get<K: Pod>(&self, key: &K) -> Result<Option<Map>> {
        self.get_bytes(bytes_of(key))
    }

    /// As [`OuterMap::get`], with the key as bytes.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&7u32, &inner)?;
    /// let opened = outer.get_bytes(&7u32.to_ne_bytes())?.expect("key 7 is there");
    /// assert_eq!(opened.id(), inner.id());
    /// assert!(outer.get_bytes(&8u32.to_ne_bytes())?.is_none());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::get`].
    pub fn get_bytes(&self, key: &[u8]) -> Result<Option<Map>> {
        let mut last = None;
        for _ in 0..4 {
            let Some(id) = self.lookup_bytes(key)? else {
                return Ok(None);
            };
            if let Some(map) = self.registry.as_ref().and_then(|r| r.open(id)) {
                return map.map(Some);
            }
            match Map::from_id(id) {
                Ok(map) => return Ok(Some(map)),
                // Freed between the lookup and the open: look again.
                Err(e) if e.errno() == Some(Errno::ENOENT) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| self.map.sys_err(Command::MAP_GET_FD_BY_ID, Errno::ENOENT)))
    }

    /// `bpf(BPF_MAP_DELETE_ELEM)` — empties slot `key`. Returns `Ok(false)` if it was empty.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// outer.insert(&1u32, &outer.new_inner("doc_inner")?)?;
    /// assert!(outer.remove(&1u32)?);
    /// assert_eq!(outer.lookup(&1u32)?, None);
    /// assert!(!outer.remove(&1u32)?); // already empty
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`]; [`Error::Syscall`].
    #[doc(alias = "BPF_MAP_DELETE_ELEM")]
    pub fn remove<K: Pod>(&self, key: &K) -> Result<bool> {
        self.remove_bytes(bytes_of(key))
    }

    /// As [`OuterMap::remove`], with the key as bytes.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// outer.insert(&7u32, &outer.new_inner("doc_inner")?)?;
    /// assert!(outer.remove_bytes(&7u32.to_ne_bytes())?);
    /// assert!(!outer.remove_bytes(&7u32.to_ne_bytes())?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::remove`].
    pub fn remove_bytes(&self, key: &[u8]) -> Result<bool> {
        let replaced = self.registry_slot(key)?;
        let removed = self.map.delete(key)?;
        if let (Some(registry), Some(id)) = (&self.registry, replaced) {
            registry.forget(id);
        }
        Ok(removed)
    }

    /// The filled slots as `(key, id)` pairs, in the kernel's order. Empty slots of an
    /// `ARRAY_OF_MAPS` are skipped. Safe against removal during the walk (as [`Map::keys`]).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &MapSpec::new(MapType::ARRAY, 4, 8, 16))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&1u32, &inner)?;
    /// outer.insert(&3u32, &inner)?; // one map may fill several slots
    /// let slots = outer.iter::<u32>().collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(slots, [(1, inner.id()), (3, inner.id())]); // slots 0 and 2 are skipped
    /// # Ok(()) }
    /// ```
    pub fn iter<K: Pod>(&self) -> OuterEntries<'_, K> {
        OuterEntries {
            entries: self.map.iter(),
        }
    }

    /// The id now in slot `key`, if this handle keeps a registry (whose entry for it goes
    /// when the slot is overwritten or removed).
    fn registry_slot(&self, key: &[u8]) -> Result<Option<MapId>> {
        match &self.registry {
            Some(_) => self.lookup_bytes(key),
            None => Ok(None),
        }
    }
}

/// Asks the kernel about a map given as an inner map or template, refusing fds that are not
/// maps.
fn inner_info(fd: BorrowedFd<'_>, outer: MapLabel) -> Result<MapInfo> {
    let what = || format!("inner map fd {} for outer map {outer}", fd.as_raw_fd());
    // The allocation-free readlink answers for every map fd; anything else (or no `/proc`)
    // goes through the full check, which also says what the fd is instead.
    if crate::sys::fd_is_bpf_map_link(fd) != Some(true) {
        if let Err(detail) = crate::fdkind::check_map(fd) {
            return Err(Error::NotAMap {
                what: what(),
                detail,
            });
        }
    }
    MapInfo::query(fd).map_err(|e| Error::NotAMap {
        what: what(),
        detail: e.to_string(),
    })
}

/// An iterator over the filled slots of an outer map, from [`OuterMap::iter`].
///
/// ```
/// use bpfmaps::{MapSpec, MapType, OuterEntries, OuterMap};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 8, 16))?;
/// outer.insert(&5u32, &outer.new_inner("doc_inner")?)?;
/// let mut entries: OuterEntries<'_, u32> = outer.iter();
/// let (key, id) = entries.next().expect("one slot")?;
/// assert_eq!((key, Some(id)), (5, outer.lookup(&5u32)?));
/// assert!(entries.next().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OuterEntries<'a, K: Pod> {
    entries: Entries<'a, K, Option<MapId>>,
}

impl<K: Pod> Iterator for OuterEntries<'_, K> {
    type Item = Result<(K, MapId)>;

    fn next(&mut self) -> Option<Result<(K, MapId)>> {
        loop {
            match self.entries.next()? {
                Ok((key, Some(id))) => return Some(Ok((key, id))),
                Ok((_, None)) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl AsFd for OuterMap {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.map.as_fd()
    }
}

impl From<OuterMap> for OwnedFd {
    fn from(outer: OuterMap) -> OwnedFd {
        outer.map.into_fd()
    }
}

/// How many keys [`OuterMap::from_map`] looks at to find a filled slot.
const LEARN_LIMIT: usize = 4096;
