//! [`MapType`]: the kernel's `enum bpf_map_type`, as an open newtype.

use core::fmt;

/// A BPF map type (`enum bpf_map_type`).
///
/// A newtype rather than an enum: the kernel adds types over time, and a value this crate does
/// not know (read back from a newer kernel, or from an object file) must stay representable.
/// [`MapType::name`] gives the kernel's name for the known ones.
///
/// ```
/// use bpfmaps::MapType;
/// assert_eq!(MapType::ARRAY_OF_MAPS.name(), Some("array_of_maps"));
/// assert!(MapType::HASH_OF_MAPS.is_outer());
/// assert_eq!(MapType::from_raw(999).name(), None);
/// assert_eq!(MapType::from_raw(999).to_string(), "unknown(999)");
/// ```
#[doc(alias = "bpf_map_type")]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct MapType(u32);

macro_rules! map_types {
    ($($(#[$doc:meta])* $konst:ident = $value:literal, $name:literal;)*) => {
        impl MapType {
            $( $(#[$doc])* pub const $konst: MapType = MapType($value); )*

            /// Every map type this crate knows, in kernel order.
            pub const KNOWN: &'static [MapType] = &[$(MapType::$konst),*];

            /// The kernel's name of this type, lower case without the `BPF_MAP_TYPE_` prefix
            /// (as `bpftool` prints it), or `None` for a value this crate does not know.
            ///
            /// ```
            /// use bpfmaps::MapType;
            /// assert_eq!(MapType::LRU_PERCPU_HASH.name(), Some("lru_percpu_hash"));
            /// assert_eq!(MapType::from_raw(10_000).name(), None);
            /// // Every known type has a name, and the name leads back to it.
            /// for &t in MapType::KNOWN {
            ///     assert_eq!(MapType::from_name(t.name().unwrap()), Some(t));
            /// }
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($name),)*
                    _ => None,
                }
            }

            /// The type whose [`name`](Self::name) is `name`, if any.
            ///
            /// ```
            /// use bpfmaps::MapType;
            /// assert_eq!(MapType::from_name("devmap"), Some(MapType::DEVMAP));
            /// ```
            pub fn from_name(name: &str) -> Option<MapType> {
                match name {
                    $($name => Some(MapType::$konst),)*
                    _ => None,
                }
            }
        }
    };
}

map_types! {
    /// `BPF_MAP_TYPE_UNSPEC`: never valid for a map.
    UNSPEC = 0, "unspec";
    /// `BPF_MAP_TYPE_HASH`.
    HASH = 1, "hash";
    /// `BPF_MAP_TYPE_ARRAY`.
    ARRAY = 2, "array";
    /// `BPF_MAP_TYPE_PROG_ARRAY`: cannot be an inner map.
    PROG_ARRAY = 3, "prog_array";
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
    PERF_EVENT_ARRAY = 4, "perf_event_array";
    /// `BPF_MAP_TYPE_PERCPU_HASH`.
    PERCPU_HASH = 5, "percpu_hash";
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`.
    PERCPU_ARRAY = 6, "percpu_array";
    /// `BPF_MAP_TYPE_STACK_TRACE`.
    STACK_TRACE = 7, "stack_trace";
    /// `BPF_MAP_TYPE_CGROUP_ARRAY`.
    CGROUP_ARRAY = 8, "cgroup_array";
    /// `BPF_MAP_TYPE_LRU_HASH`.
    LRU_HASH = 9, "lru_hash";
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`.
    LRU_PERCPU_HASH = 10, "lru_percpu_hash";
    /// `BPF_MAP_TYPE_LPM_TRIE`.
    LPM_TRIE = 11, "lpm_trie";
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`: an outer map indexed by `u32`.
    ARRAY_OF_MAPS = 12, "array_of_maps";
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`: an outer map with keys of any size.
    HASH_OF_MAPS = 13, "hash_of_maps";
    /// `BPF_MAP_TYPE_DEVMAP`.
    DEVMAP = 14, "devmap";
    /// `BPF_MAP_TYPE_SOCKMAP`.
    SOCKMAP = 15, "sockmap";
    /// `BPF_MAP_TYPE_CPUMAP`.
    CPUMAP = 16, "cpumap";
    /// `BPF_MAP_TYPE_XSKMAP`.
    XSKMAP = 17, "xskmap";
    /// `BPF_MAP_TYPE_SOCKHASH`.
    SOCKHASH = 18, "sockhash";
    /// `BPF_MAP_TYPE_CGROUP_STORAGE` (also called `CGROUP_STORAGE_DEPRECATED`).
    CGROUP_STORAGE = 19, "cgroup_storage";
    /// `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`.
    REUSEPORT_SOCKARRAY = 20, "reuseport_sockarray";
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`.
    PERCPU_CGROUP_STORAGE = 21, "percpu_cgroup_storage";
    /// `BPF_MAP_TYPE_QUEUE`.
    QUEUE = 22, "queue";
    /// `BPF_MAP_TYPE_STACK`.
    STACK = 23, "stack";
    /// `BPF_MAP_TYPE_SK_STORAGE`.
    SK_STORAGE = 24, "sk_storage";
    /// `BPF_MAP_TYPE_DEVMAP_HASH`.
    DEVMAP_HASH = 25, "devmap_hash";
    /// `BPF_MAP_TYPE_STRUCT_OPS`.
    STRUCT_OPS = 26, "struct_ops";
    /// `BPF_MAP_TYPE_RINGBUF`.
    RINGBUF = 27, "ringbuf";
    /// `BPF_MAP_TYPE_INODE_STORAGE`.
    INODE_STORAGE = 28, "inode_storage";
    /// `BPF_MAP_TYPE_TASK_STORAGE`.
    TASK_STORAGE = 29, "task_storage";
    /// `BPF_MAP_TYPE_BLOOM_FILTER`.
    BLOOM_FILTER = 30, "bloom_filter";
    /// `BPF_MAP_TYPE_USER_RINGBUF`.
    USER_RINGBUF = 31, "user_ringbuf";
    /// `BPF_MAP_TYPE_CGRP_STORAGE`.
    CGRP_STORAGE = 32, "cgrp_storage";
    /// `BPF_MAP_TYPE_ARENA`.
    ARENA = 33, "arena";
}

impl MapType {
    /// The type with the kernel's number `raw`, known to this crate or not.
    ///
    /// ```
    /// use bpfmaps::MapType;
    /// assert_eq!(MapType::from_raw(1), MapType::HASH);
    /// // A type from a newer kernel survives as its number.
    /// let newer = MapType::from_raw(1000);
    /// assert!(!MapType::KNOWN.contains(&newer));
    /// assert_eq!(newer.as_raw(), 1000);
    /// ```
    pub const fn from_raw(raw: u32) -> MapType {
        MapType(raw)
    }

    /// The kernel's number for this type.
    ///
    /// ```
    /// use bpfmaps::MapType;
    /// assert_eq!(MapType::ARRAY_OF_MAPS.as_raw(), 12);
    /// assert_eq!(MapType::from_raw(MapType::ARENA.as_raw()), MapType::ARENA);
    /// ```
    pub const fn as_raw(self) -> u32 {
        self.0
    }

    /// Whether this is a map-in-map type (`ARRAY_OF_MAPS` or `HASH_OF_MAPS`).
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, Refusal};
    /// assert!(MapType::HASH_OF_MAPS.is_outer());
    /// assert!(!MapType::HASH.is_outer());
    /// // An outer type needs an inner template, so `Map::create` refuses it before any syscall.
    /// let err = Map::create(&MapSpec::array_of_maps(4)).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::OuterNeedsTemplate, .. }));
    /// ```
    pub const fn is_outer(self) -> bool {
        matches!(self, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS)
    }

    /// Whether userspace writes this type's values as file descriptors — of programs, perf
    /// events, cgroups, sockets or maps — which the kernel reads as fd numbers on update (and
    /// answers lookups of with an id or a cookie, where it answers them at all). Such values
    /// are written with [`Map::update_fd`](crate::Map::update_fd) (maps: with
    /// [`OuterMap::insert`](crate::OuterMap::insert)), never as integers.
    ///
    /// ```
    /// use bpfmaps::MapType;
    /// assert!(MapType::PROG_ARRAY.value_is_fd());
    /// assert!(MapType::SOCKMAP.value_is_fd());
    /// assert!(!MapType::DEVMAP.value_is_fd()); // an ifindex, not an fd
    /// ```
    pub const fn value_is_fd(self) -> bool {
        matches!(
            self,
            MapType::PROG_ARRAY
                | MapType::PERF_EVENT_ARRAY
                | MapType::CGROUP_ARRAY
                | MapType::ARRAY_OF_MAPS
                | MapType::HASH_OF_MAPS
                | MapType::SOCKMAP
                | MapType::SOCKHASH
                | MapType::XSKMAP
                | MapType::REUSEPORT_SOCKARRAY
        )
    }

    /// Whether the kernel keeps one value per possible CPU for each key, so that userspace reads
    /// and writes `round_up(value_size, 8) × possible CPUs` bytes per element.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// assert!(MapType::PERCPU_ARRAY.is_per_cpu());
    /// assert!(!MapType::ARRAY.is_per_cpu());
    /// // A 4-byte value is read and written as 8 bytes per possible CPU.
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_ARRAY, 4, 4, 1))?;
    /// let cpus = bpfmaps::possible_cpus().expect("possible CPUs known");
    /// assert_eq!(map.value_len()?, 8 * cpus);
    /// # Ok(()) }
    /// ```
    pub const fn is_per_cpu(self) -> bool {
        matches!(
            self,
            MapType::PERCPU_HASH
                | MapType::PERCPU_ARRAY
                | MapType::LRU_PERCPU_HASH
                | MapType::PERCPU_CGROUP_STORAGE
        )
    }

    /// Whether this type is indexed by a `u32` that must be below `max_entries`, with every
    /// index a key (array semantics: the walk visits every index, none is inserted). In a
    /// plain or per-CPU array every index also holds a value (zeroed until written, never
    /// deleted); in the fd arrays (`PROG_ARRAY`, `PERF_EVENT_ARRAY`, `CGROUP_ARRAY`,
    /// `ARRAY_OF_MAPS`) a delete empties the slot, and a lookup of an empty slot finds nothing.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// assert!(MapType::ARRAY.is_array_like());
    /// assert!(!MapType::HASH.is_array_like());
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 4))?;
    /// assert_eq!(map.get::<u32, u32>(&3)?, Some(0)); // never written, yet there (zeroed)
    /// assert_eq!(map.get::<u32, u32>(&4)?, None); // past max_entries
    /// # Ok(()) }
    /// ```
    pub const fn is_array_like(self) -> bool {
        matches!(
            self,
            MapType::ARRAY
                | MapType::PERCPU_ARRAY
                | MapType::PROG_ARRAY
                | MapType::PERF_EVENT_ARRAY
                | MapType::CGROUP_ARRAY
                | MapType::ARRAY_OF_MAPS
        )
    }

    /// Whether the kernel refuses this type as an inner map (or inner template): the
    /// map-in-map types themselves (one level of nesting only), and the types without the
    /// kernel's `map_meta_equal` operation — `PROG_ARRAY`, the cgroup storage maps and
    /// `STRUCT_OPS` — which the kernel refuses with `ENOTSUPP`.
    ///
    /// Checked against the running kernel, type by type, by `tests/inner_types.rs`.
    ///
    /// ```
    /// use bpfmaps::{Error, MapSpec, MapType, OuterMap, Refusal};
    /// assert!(MapType::PROG_ARRAY.refused_as_inner());
    /// assert!(!MapType::HASH.refused_as_inner());
    /// // Refused before any syscall.
    /// let template = MapSpec::new(MapType::PROG_ARRAY, 4, 4, 4);
    /// let err = OuterMap::create(&MapSpec::array_of_maps(4), &template).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::Refused { refusal: Refusal::InnerTypeUnsupported(MapType::PROG_ARRAY), .. }
    /// ));
    /// ```
    pub const fn refused_as_inner(self) -> bool {
        matches!(
            self,
            MapType::UNSPEC
                | MapType::ARRAY_OF_MAPS
                | MapType::HASH_OF_MAPS
                | MapType::PROG_ARRAY
                | MapType::CGROUP_STORAGE
                | MapType::PERCPU_CGROUP_STORAGE
                | MapType::STRUCT_OPS
        )
    }
}

impl MapType {
    /// Flags the kernel adds by itself when it creates a map of this type, and reports back in
    /// the map's info: `BPF_F_RDONLY_PROG` for device maps (programs only read them). Passing
    /// them at creation is refused, so a spec leaves them out and a comparison with the
    /// kernel's view adds them.
    ///
    /// ```
    /// use bpfmaps::{MapFlags, MapType};
    /// assert_eq!(MapType::DEVMAP.implied_flags(), MapFlags::RDONLY_PROG);
    /// assert!(MapType::HASH.implied_flags().is_empty());
    /// ```
    pub const fn implied_flags(self) -> crate::MapFlags {
        match self {
            MapType::DEVMAP | MapType::DEVMAP_HASH => crate::MapFlags::RDONLY_PROG,
            _ => crate::MapFlags::empty(),
        }
    }
}

impl MapType {
    /// Whether the kernel accepts BTF key/value type ids for this type. The device, socket,
    /// CPU and fd-array maps, queues and stacks refuse them (their `map_check_btf` is
    /// `map_check_no_btf`); a loader creates them without BTF rather than try and fail.
    ///
    /// ```
    /// use bpfmaps::MapType;
    /// assert!(MapType::HASH.takes_btf_ids());
    /// assert!(!MapType::DEVMAP.takes_btf_ids());
    /// ```
    pub const fn takes_btf_ids(self) -> bool {
        !matches!(
            self,
            MapType::PERF_EVENT_ARRAY
                | MapType::CGROUP_ARRAY
                | MapType::DEVMAP
                | MapType::DEVMAP_HASH
                | MapType::SOCKMAP
                | MapType::SOCKHASH
                | MapType::CPUMAP
                | MapType::XSKMAP
                | MapType::QUEUE
                | MapType::STACK
                | MapType::RINGBUF
                | MapType::USER_RINGBUF
                | MapType::ARRAY_OF_MAPS
                | MapType::HASH_OF_MAPS
        )
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

impl fmt::Debug for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "MapType::{}", name.to_ascii_uppercase()),
            None => write!(f, "MapType({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, t) in MapType::KNOWN.iter().enumerate() {
            assert_eq!(t.as_raw() as usize, i, "KNOWN is in kernel order");
            let name = t.name().unwrap();
            assert_eq!(MapType::from_name(name), Some(*t));
        }
    }

    #[test]
    fn unknown_stays_representable() {
        let t = MapType::from_raw(4242);
        assert_eq!(t.name(), None);
        assert_eq!(format!("{t:?}"), "MapType(4242)");
        assert_eq!(
            format!("{:?}", MapType::LRU_PERCPU_HASH),
            "MapType::LRU_PERCPU_HASH"
        );
    }
}
