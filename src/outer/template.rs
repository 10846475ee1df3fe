//! The inner-map template of an outer map, and the kernel's rule for which inner maps fit it.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

use crate::error::{InnerMismatch, Refusal};
use crate::{LoadedBtf, Map, MapFlags, MapInfo, MapSpec, MapType, Result};

/// The inner template given to [`OuterMap::create`](crate::OuterMap::create): either a spec,
/// from which the crate creates the template map, passes it to the kernel and closes it, or an
/// existing map, borrowed for the create call only.
///
/// ```
/// use bpfmaps::{InnerTemplate, MapSpec, MapType};
/// let spec = MapSpec::new(MapType::HASH, 4, 8, 16);
/// let t: InnerTemplate<'_> = (&spec).into();
/// assert!(matches!(t, InnerTemplate::Spec(_)));
/// ```
#[derive(Debug, Clone, Copy)]
pub enum InnerTemplate<'a> {
    /// Create the template from this spec (and close it after the outer map is created).
    Spec(&'a MapSpec),
    /// Use this map as the template.
    Map(BorrowedFd<'a>),
}

impl<'a> From<&'a MapSpec> for InnerTemplate<'a> {
    fn from(spec: &'a MapSpec) -> InnerTemplate<'a> {
        InnerTemplate::Spec(spec)
    }
}

/// Any borrowed map: a [`Map`], an `OwnedFd` of a map, a loaded object's map.
impl<'a, M: AsFd> From<&'a M> for InnerTemplate<'a> {
    fn from(map: &'a M) -> InnerTemplate<'a> {
        InnerTemplate::Map(map.as_fd())
    }
}

impl<'a> From<BorrowedFd<'a>> for InnerTemplate<'a> {
    fn from(fd: BorrowedFd<'a>) -> InnerTemplate<'a> {
        InnerTemplate::Map(fd)
    }
}

/// Creation flags that set the access of the new fd rather than a property of the map.
const FD_ACCESS_FLAGS: MapFlags = MapFlags::RDONLY.union(MapFlags::WRONLY);

/// The properties of a map that the kernel compares when an inner map is inserted into an outer
/// map (`bpf_map_meta_equal()` and the types' own `map_meta_equal`).
///
/// ```
/// use bpfmaps::{InnerShape, MapFlags, MapSpec, MapType};
/// let template = InnerShape::of_spec(&MapSpec::new(MapType::ARRAY, 4, 8, 16));
/// let bigger = InnerShape::of_spec(&MapSpec::new(MapType::ARRAY, 4, 8, 32));
/// let err = template.check_fits(&bigger).unwrap_err();
/// assert_eq!(err.to_string(), "inner map max_entries 32 does not match the template's 16");
///
/// // With BPF_F_INNER_MAP on both, arrays may differ in size.
/// let flexible = |n| InnerShape::of_spec(
///     &MapSpec::new(MapType::ARRAY, 4, 8, n).with_flags(MapFlags::INNER_MAP));
/// assert!(flexible(16).check_fits(&flexible(32)).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InnerShape {
    /// The type.
    pub map_type: MapType,
    /// The key size.
    pub key_size: u32,
    /// The value size.
    pub value_size: u32,
    /// The maximum number of entries.
    pub max_entries: u32,
    /// The flags, compared exactly.
    pub flags: MapFlags,
}

impl InnerShape {
    /// The shape of a map made from `spec`, as the kernel will report it: with the flags the
    /// kernel adds for the type ([`MapType::implied_flags`]), and without `BPF_F_RDONLY` and
    /// `BPF_F_WRONLY`, which set the access of the fd `BPF_MAP_CREATE` returns and are not kept
    /// in the map's flags (`bpf_map_flags_retain_permanent()`), so the kernel never compares them.
    ///
    /// ```
    /// use bpfmaps::{InnerShape, MapFlags, MapSpec, MapType};
    /// let spec = MapSpec::new(MapType::DEVMAP, 4, 4, 8).with_flags(MapFlags::RDONLY);
    /// assert_eq!(InnerShape::of_spec(&spec).flags, MapFlags::RDONLY_PROG);
    /// ```
    pub fn of_spec(spec: &MapSpec) -> InnerShape {
        InnerShape {
            map_type: spec.map_type(),
            key_size: spec.key_size(),
            value_size: spec.value_size(),
            max_entries: spec.max_entries(),
            flags: (spec.flags() | spec.map_type().implied_flags()) - FD_ACCESS_FLAGS,
        }
    }

    /// The shape of an existing map.
    ///
    /// ```
    /// use bpfmaps::{InnerShape, Map, MapFlags, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let spec = MapSpec::new(MapType::DEVMAP, 4, 4, 8);
    /// let map = Map::create(&spec)?;
    /// let shape = InnerShape::of_info(map.info());
    /// assert_eq!(shape.flags, MapFlags::RDONLY_PROG); // added by the kernel
    /// assert_eq!(shape, InnerShape::of_spec(&spec));
    /// # Ok(()) }
    /// ```
    pub fn of_info(info: &MapInfo) -> InnerShape {
        InnerShape {
            map_type: info.map_type(),
            key_size: info.key_size(),
            value_size: info.value_size(),
            max_entries: info.max_entries(),
            flags: info.flags(),
        }
    }

    /// Whether the kernel requires inner maps of this template to have its `max_entries`:
    /// `ARRAY` does (its `map_meta_equal` compares it) unless the template carries
    /// `BPF_F_INNER_MAP`, and so does `XSKMAP`. Every other type may differ (checked against
    /// the running kernel by `tests/inner_types.rs`).
    ///
    /// ```
    /// use bpfmaps::{InnerShape, MapFlags, MapSpec, MapType};
    /// let shape = |t, flags| InnerShape::of_spec(&MapSpec::new(t, 4, 4, 8).with_flags(flags));
    /// assert!(shape(MapType::ARRAY, MapFlags::empty()).fixes_max_entries());
    /// assert!(!shape(MapType::ARRAY, MapFlags::INNER_MAP).fixes_max_entries());
    /// assert!(!shape(MapType::HASH, MapFlags::empty()).fixes_max_entries());
    /// ```
    pub fn fixes_max_entries(&self) -> bool {
        match self.map_type {
            MapType::ARRAY => !self.flags.contains(MapFlags::INNER_MAP),
            MapType::XSKMAP => true,
            _ => false,
        }
    }

    /// Why a map of this shape cannot be an inner map or template at all, if it cannot.
    ///
    /// ```
    /// use bpfmaps::{InnerShape, MapFlags, MapSpec, MapType, Refusal};
    /// let shape = |t, flags| InnerShape::of_spec(&MapSpec::new(t, 4, 4, 8).with_flags(flags));
    /// assert_eq!(shape(MapType::HASH, MapFlags::empty()).inner_refusal(), None);
    /// let nested = shape(MapType::HASH_OF_MAPS, MapFlags::empty());
    /// assert_eq!(nested.inner_refusal(), Some(Refusal::NestedOuter));
    /// assert_eq!(
    ///     shape(MapType::HASH, MapFlags::INNER_MAP).inner_refusal(),
    ///     Some(Refusal::InnerMapFlagNotArray(MapType::HASH))
    /// );
    /// ```
    pub fn inner_refusal(&self) -> Option<Refusal> {
        if self.map_type.is_outer() {
            Some(Refusal::NestedOuter)
        } else if self.map_type.refused_as_inner() {
            Some(Refusal::InnerTypeUnsupported(self.map_type))
        } else if self.flags.contains(MapFlags::INNER_MAP) && self.map_type != MapType::ARRAY {
            Some(Refusal::InnerMapFlagNotArray(self.map_type))
        } else {
            None
        }
    }

    /// Checks that `inner` would be accepted by an outer map whose template is `self`, naming
    /// the first property that differs.
    ///
    /// ```
    /// use bpfmaps::{InnerMismatch, InnerShape, MapSpec, MapType};
    /// let template = InnerShape::of_spec(&MapSpec::new(MapType::HASH, 4, 8, 16));
    /// // A hash may be bigger than its template, but its key must have the template's size.
    /// let bigger = InnerShape::of_spec(&MapSpec::new(MapType::HASH, 4, 8, 1024));
    /// assert!(template.check_fits(&bigger).is_ok());
    /// let err = template.check_fits(&InnerShape::of_spec(&MapSpec::new(MapType::HASH, 8, 8, 16)));
    /// assert_eq!(err, Err(InnerMismatch::Field { field: "key_size", inner: 8, template: 4 }));
    /// ```
    ///
    /// # Errors
    ///
    /// The first [`InnerMismatch`], in the order type, key size, value size, flags, max entries.
    pub fn check_fits(&self, inner: &InnerShape) -> Result<(), InnerMismatch> {
        if inner.map_type != self.map_type {
            return Err(InnerMismatch::MapType {
                inner: inner.map_type,
                template: self.map_type,
            });
        }
        let field = |field, inner, template| {
            if inner == template {
                Ok(())
            } else {
                Err(InnerMismatch::Field {
                    field,
                    inner,
                    template,
                })
            }
        };
        field("key_size", inner.key_size, self.key_size)?;
        field("value_size", inner.value_size, self.value_size)?;
        if inner.flags != self.flags {
            return Err(InnerMismatch::Flags {
                inner: inner.flags.bits(),
                template: self.flags.bits(),
            });
        }
        if self.fixes_max_entries() {
            field("max_entries", inner.max_entries, self.max_entries)?;
        }
        Ok(())
    }
}

/// A spec that recreates a map like the one `info` describes (name left empty), without the
/// flags the kernel adds by itself. The NUMA node is not reported by the kernel; with
/// `BPF_F_NUMA_NODE` set it becomes node 0.
pub(crate) fn spec_of_info(info: &MapInfo) -> MapSpec {
    MapSpec::new(
        info.map_type(),
        info.key_size(),
        info.value_size(),
        info.max_entries(),
    )
    .with_flags(info.flags() - info.map_type().implied_flags())
    .with_map_extra(info.map_extra())
}

/// The BTF an inner template was created with, kept so that inner maps are created the same
/// way: the kernel compares the special fields that BTF describes in a value (a
/// `bpf_spin_lock`, a timer, a kptr), and an inner map created without BTF lacks them.
#[derive(Debug, Clone)]
pub(crate) struct InnerBtf {
    btf: Arc<LoadedBtf>,
    key_type_id: u32,
    value_type_id: u32,
}

impl InnerBtf {
    pub(crate) fn new(btf: Arc<LoadedBtf>, (key_type_id, value_type_id): (u32, u32)) -> InnerBtf {
        InnerBtf {
            btf,
            key_type_id,
            value_type_id,
        }
    }

    /// The BTF of an existing template map, opened by its id (`BPF_BTF_GET_FD_BY_ID`, which
    /// needs `CAP_SYS_ADMIN`); `None` if the map has no BTF types or the BTF cannot be opened,
    /// and inner maps are then created without BTF.
    pub(crate) fn of_info(info: &MapInfo) -> Option<InnerBtf> {
        let ids = info.btf_type_ids();
        if info.btf_id() == 0 || ids == (0, 0) {
            return None;
        }
        let btf = LoadedBtf::from_id(info.btf_id()).ok()?;
        Some(InnerBtf::new(Arc::new(btf), ids))
    }

    /// Creates an inner map from `spec` with this BTF.
    pub(crate) fn create(&self, spec: &MapSpec) -> Result<Map> {
        let spec = spec
            .clone()
            .with_btf_type_ids(self.key_type_id, self.value_type_id);
        Map::create_with_btf(&spec, &*self.btf)
    }
}
