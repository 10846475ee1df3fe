//! [`Error`]: everything that can go wrong, each saying what and where.

use core::fmt;
use std::path::PathBuf;

use crate::{Command, Errno, MapId, MapName, MapType, NameError};

/// The crate's result type.
///
/// `E` defaults to [`Error`], so `bpfmaps::Result<T>` is what the crate's calls return and what
/// a function passing their errors on with `?` can return too.
///
/// ```
/// use bpfmaps::{Error, Map, MapSpec};
///
/// fn create(spec: &MapSpec) -> bpfmaps::Result<Map> {
///     let map = Map::create(spec)?;
///     Ok(map)
/// }
/// // An outer map needs an inner template: refused before any syscall.
/// let err = create(&MapSpec::array_of_maps(4)).unwrap_err();
/// assert!(matches!(err, Error::Refused { .. }));
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong.
///
/// Failures of `bpf(2)` are [`Error::Syscall`], carrying the command, the map and the errno.
/// Everything the crate can know before a syscall is refused before it, with a variant that says
/// why ([`Error::Size`], [`Error::Refused`], [`Error::InnerMismatch`], …).
///
/// ```
/// use bpfmaps::{Error, Map, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16).with_name("doc_err")?)?;
/// // The key is 8 bytes, the map's are 4: refused before the kernel sees it.
/// let err = map.lookup(&[0u8; 8], &mut [0u8; 8]).unwrap_err();
/// assert!(matches!(err, Error::Size { expected: 4, got: 8, .. }));
/// assert_eq!(
///     err.to_string(),
///     "map 'doc_err' (id ".to_owned() + &map.id().to_string() + "): key of 8 bytes given, the map's keys are 4 bytes"
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `bpf(2)` command failed.
    #[error(transparent)]
    Syscall(#[from] SyscallError),

    /// A batch command failed part-way: `done` of `requested` elements were processed.
    #[error("{source} (after {done} of {requested} elements)")]
    Batch {
        /// Elements processed before the failure.
        done: usize,
        /// Elements asked for.
        requested: usize,
        /// The failure.
        source: SyscallError,
    },

    /// A key or value of the wrong size, refused before the syscall.
    #[error("map {map}: {what} of {got} bytes given, the map's {what}s are {expected} bytes")]
    Size {
        /// The map.
        map: MapLabel,
        /// `key` or `value`.
        what: SizeKind,
        /// What the map takes.
        expected: usize,
        /// What was given.
        got: usize,
    },

    /// An inner map that its outer map's template would refuse, refused before the syscall.
    #[error("outer map {outer}: {mismatch}")]
    InnerMismatch {
        /// The outer map.
        outer: MapLabel,
        /// The first property that differs.
        mismatch: InnerMismatch,
    },

    /// A combination the kernel refuses, refused before the syscall.
    #[error("{map}: {refusal}")]
    Refused {
        /// The map (or spec) concerned.
        map: MapLabel,
        /// What is wrong.
        refusal: Refusal,
    },

    /// A BPF object file that cannot be read or loaded.
    #[error("{0}")]
    Object(#[from] crate::elf::ObjectError),

    /// Loading an object's map failed.
    #[error("map '{map}': {source}")]
    Load {
        /// The object's name of the map.
        map: String,
        /// What failed.
        source: Box<Error>,
    },

    /// An existing pin that does not match the object's map.
    #[error(
        "map '{map}': the map pinned at {} does not match the object's: {detail} (remove the \
         pin, or load with another pin root)",
        path.display()
    )]
    PinMismatch {
        /// The object's name of the map.
        map: String,
        /// The pin.
        path: PathBuf,
        /// The property that differs (`value_size`, `inner map`, …).
        field: &'static str,
        /// How it differs.
        detail: String,
    },

    /// An invalid map name.
    #[error(transparent)]
    Name(#[from] NameError),

    /// The running kernel lacks a feature (found by a probe).
    #[error(
        "{feature} is not supported by this kernel ({errno}); it needs Linux {since} or later"
    )]
    NotSupported {
        /// What is missing.
        feature: &'static str,
        /// The kernel version that brought it.
        since: &'static str,
        /// What the kernel answered.
        errno: Errno,
    },

    /// An fd that is not a BPF map where a map was expected.
    #[error("{what} is not a BPF map: {detail}")]
    NotAMap {
        /// Which fd or path.
        what: String,
        /// What it is instead, or the error that says so.
        detail: String,
    },

    /// An error reading or preparing a file or directory.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },

    /// A pin path not on a bpffs mount.
    #[error("{}: not on a bpffs mount (mount one with `mount -t bpf bpf DIR`)", path.display())]
    NotBpffs {
        /// The path.
        path: PathBuf,
    },

    /// The kernel refused a BTF object.
    #[error("BPF_BTF_LOAD failed: {errno}{}", if log.is_empty() { String::new() } else { format!("; the kernel said: {log}") })]
    BtfLoad {
        /// What the kernel answered.
        errno: Errno,
        /// The kernel's log (may be empty).
        log: String,
    },

    /// The number of possible CPUs is unknown, so per-CPU values cannot be sized.
    #[error(
        "map {map}: per-CPU values need the number of possible CPUs, and \
         /sys/devices/system/cpu/possible could not be read"
    )]
    UnknownCpuCount {
        /// The map.
        map: MapLabel,
    },
}

impl Error {
    /// The errno, if the kernel gave one.
    ///
    /// ```
    /// use bpfmaps::{Errno, Error};
    /// # fn f(e: Error) { if e.errno() == Some(Errno::EPERM) { /* ... */ } }
    /// ```
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Syscall(e) | Error::Batch { source: e, .. } => Some(e.errno),
            Error::Load { source, .. } => source.errno(),
            Error::NotSupported { errno, .. } | Error::BtfLoad { errno, .. } => Some(*errno),
            Error::Io { source, .. } => source.raw_os_error().map(Errno::from_raw),
            _ => None,
        }
    }
}

/// Which of a map's sizes a [`Error::Size`] is about.
///
/// ```
/// use bpfmaps::{Error, Map, MapSpec, MapType, SizeKind, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4).with_name("doc_size_kind")?)?;
/// // A right-sized key with a 4-byte value, where the map's values are 8 bytes.
/// let err = map.update(&0u32.to_ne_bytes(), &[0u8; 4], UpdateFlags::ANY).unwrap_err();
/// assert!(matches!(err, Error::Size { what: SizeKind::Value, expected: 8, got: 4, .. }));
/// assert_eq!(SizeKind::Value.to_string(), "value");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeKind {
    /// The key.
    Key,
    /// The value (for per-CPU maps: all CPUs' values).
    Value,
}

impl fmt::Display for SizeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeKind::Key => "key",
            SizeKind::Value => "value",
        })
    }
}

/// How an error names a map: its name, its id and its type, as far as they are known.
///
/// Cheap to carry: no allocation.
///
/// ```
/// use bpfmaps::{Error, Map, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8).with_name("doc_label")?)?;
/// let Error::Size { map: label, .. } = map.lookup(&[0u8; 2], &mut [0u8; 4]).unwrap_err() else {
///     panic!("a 2-byte key is refused before the syscall");
/// };
/// assert_eq!(label.name.as_str(), "doc_label");
/// assert_eq!(label.id, Some(map.id()));
/// assert_eq!(label.to_string(), format!("'doc_label' (id {})", map.id()));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapLabel {
    /// The kernel name (may be empty).
    pub name: MapName,
    /// The id, once the map exists.
    pub id: Option<MapId>,
    /// The type, where known.
    pub map_type: Option<MapType>,
}

impl MapLabel {
    /// A label with only an id.
    ///
    /// ```
    /// use bpfmaps::{MapId, MapLabel};
    /// let label = MapLabel::id(MapId::new(12).unwrap());
    /// assert!(label.name.is_empty());
    /// assert_eq!(label.map_type, None);
    /// assert_eq!(label.to_string(), "id 12");
    /// ```
    pub fn id(id: MapId) -> MapLabel {
        MapLabel {
            id: Some(id),
            ..MapLabel::default()
        }
    }
}

impl fmt::Display for MapLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name.is_empty(), self.id) {
            (false, Some(id)) => write!(f, "'{}' (id {id})", self.name),
            (false, None) => write!(f, "'{}'", self.name),
            (true, Some(id)) => write!(f, "id {id}"),
            (true, None) => f.write_str("(unnamed)"),
        }
    }
}

/// What a failed syscall was applied to.
///
/// ```
/// use bpfmaps::{Error, Map, Target};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let err = Map::from_pin("/sys/fs/bpf/bpfmaps-doc-no-such-pin").unwrap_err();
/// let Error::Syscall(err) = err else { panic!("expected a syscall error, got {err}") };
/// assert_eq!(err.target, Target::Path("/sys/fs/bpf/bpfmaps-doc-no-such-pin".into()));
/// assert!(err.to_string().contains(" on /sys/fs/bpf/bpfmaps-doc-no-such-pin failed"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A map, named as far as known.
    Map(MapLabel),
    /// A path (pin or get).
    Path(PathBuf),
    /// Nothing in particular (a probe, a walk of all ids).
    None,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Map(label) => write!(f, " on map {label}"),
            Target::Path(path) => write!(f, " on {}", path.display()),
            Target::None => Ok(()),
        }
    }
}

/// A failed `bpf(2)` call: the command, what it was applied to, and the errno, displayed with a
/// sentence saying what usually causes that errno for that command.
///
/// ```
/// use bpfmaps::{Command, Errno, Error, Map, MapId, Target};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let id = MapId::new(u32::MAX).unwrap(); // no map has this id
/// let Error::Syscall(err) = Map::from_id(id).unwrap_err() else { panic!() };
/// assert_eq!(err.cmd, Command::MAP_GET_FD_BY_ID);
/// assert_eq!(err.errno, Errno::ENOENT);
/// assert!(matches!(err.target, Target::Map(label) if label.id == Some(id)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallError {
    /// The command.
    pub cmd: Command,
    /// What it was applied to.
    pub target: Target,
    /// What the kernel answered.
    pub errno: Errno,
}

impl SyscallError {
    pub(crate) fn new(cmd: Command, target: Target, errno: Errno) -> SyscallError {
        SyscallError { cmd, target, errno }
    }

    /// What usually causes this errno for this command, if there is something useful to say.
    ///
    /// The `Display` of the error ends with it.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapId};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let Error::Syscall(err) = Map::from_id(MapId::new(u32::MAX).unwrap()).unwrap_err() else {
    ///     panic!()
    /// };
    /// assert_eq!(err.hint(), Some("no map has this id (any more)"));
    /// assert!(err.to_string().ends_with(": no map has this id (any more)"));
    /// # Ok(()) }
    /// ```
    pub fn hint(&self) -> Option<&'static str> {
        let map_type = match &self.target {
            Target::Map(label) => label.map_type,
            _ => None,
        };
        hint(self.cmd, self.errno, map_type)
    }
}

impl std::error::Error for SyscallError {}

impl fmt::Display for SyscallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{} failed: {}", self.cmd, self.target, self.errno)?;
        if let Some(hint) = self.hint() {
            write!(f, ": {hint}")?;
        }
        Ok(())
    }
}

fn hint(cmd: Command, errno: Errno, map_type: Option<MapType>) -> Option<&'static str> {
    let outer = map_type.is_some_and(MapType::is_outer);
    Some(match (errno, cmd) {
        (Errno::EPERM, Command::MAP_GET_FD_BY_ID) => {
            "opening a map by id needs CAP_SYS_ADMIN (CAP_BPF is not enough)"
        }
        (Errno::EPERM, Command::MAP_UPDATE_ELEM | Command::MAP_DELETE_ELEM)
        | (Errno::EPERM, Command::MAP_UPDATE_BATCH | Command::MAP_DELETE_BATCH) => {
            "the map or this fd is read-only (frozen, BPF_F_RDONLY, or opened read-only), or the \
             process lacks CAP_BPF"
        }
        (Errno::EPERM, Command::MAP_LOOKUP_ELEM | Command::MAP_LOOKUP_BATCH) => {
            "the map or this fd is write-only (BPF_F_WRONLY, or opened write-only), or the \
             process lacks CAP_BPF"
        }
        (Errno::EPERM, Command::MAP_FREEZE) => "the map is already frozen, or this fd is read-only",
        (Errno::EPERM, Command::OBJ_PIN) => {
            "the pin path must be inside a bpffs mount (mount -t bpf bpf DIR), and bpffs \
             refuses file names containing `.`"
        }
        (Errno::EPERM, _) => "needs CAP_BPF or CAP_SYS_ADMIN: run as root or grant the capability",
        (Errno::EINVAL, Command::MAP_CREATE) if outer => {
            "the kernel refused the outer map or its inner template (check the template type and \
             that the outer value size is 4)"
        }
        (Errno::EINVAL, Command::MAP_CREATE) => {
            "the kernel refused this combination of type, sizes, max_entries and flags"
        }
        (Errno::EINVAL, Command::MAP_UPDATE_ELEM | Command::MAP_UPDATE_BATCH) if outer => {
            "the inner map does not match the outer map's template (type, key_size, value_size, \
             map_flags, and max_entries for arrays)"
        }
        // Newer kernels answer EBADFD where older ones said EBADF (BPF_OBJ_GET_INFO_BY_FD).
        (Errno::EBADF | Errno::EBADFD, _) => "the fd is not open",
        (Errno::ENOENT, Command::MAP_GET_FD_BY_ID) => "no map has this id (any more)",
        (Errno::ENOENT, Command::OBJ_GET) => "nothing is pinned at this path",
        (Errno::ENOENT, Command::MAP_UPDATE_ELEM) => "the key does not exist (BPF_EXIST was asked)",
        (Errno::EEXIST, Command::MAP_UPDATE_ELEM) => {
            "the key already exists (BPF_NOEXIST was asked)"
        }
        (Errno::EEXIST, Command::OBJ_PIN) => "something is already pinned at this path",
        (Errno::E2BIG, Command::MAP_UPDATE_ELEM | Command::MAP_UPDATE_BATCH) => {
            "the map is full (max_entries reached), or the array index is out of range"
        }
        (Errno::E2BIG, Command::MAP_CREATE) => "a size or max_entries is too large for this type",
        (Errno::ENOTSUPP, Command::MAP_CREATE) if outer => {
            "the inner template's type cannot be used in a map-in-map, or BTF ids were given for \
             an outer map"
        }
        (Errno::ENOTSUPP | Errno::EOPNOTSUPP, Command::MAP_DELETE_BATCH) => {
            "this map type has no batch delete (ARRAY_OF_MAPS and arrays do not)"
        }
        (Errno::ENOTSUPP | Errno::EOPNOTSUPP | Errno::EINVAL, c)
            if c == Command::MAP_LOOKUP_BATCH
                || c == Command::MAP_LOOKUP_AND_DELETE_BATCH
                || c == Command::MAP_UPDATE_BATCH =>
        {
            "this map type has no batch operations of this kind"
        }
        (Errno::ENOTSUPP | Errno::EOPNOTSUPP, _) => "this map type does not support the operation",
        (Errno::ENOMEM, Command::MAP_CREATE) => {
            "the kernel could not allocate the map (memory cgroup limit, or max_entries too large)"
        }
        (Errno::ENOSPC, Command::MAP_LOOKUP_BATCH | Command::MAP_LOOKUP_AND_DELETE_BATCH) => {
            "a hash bucket holds more elements than the batch has room for: use a larger batch"
        }
        (Errno::ENOSYS, _) => "this kernel has no bpf(2) (CONFIG_BPF_SYSCALL is off)",
        (Errno::EMFILE | Errno::ENFILE, _) => "out of file descriptors",
        _ => return None,
    })
}

/// The first property in which an inner map differs from its outer map's template.
///
/// ```
/// use bpfmaps::{Error, InnerMismatch, Map, MapSpec, MapType, OuterMap};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let template = MapSpec::new(MapType::HASH, 4, 8, 16);
/// let outer = OuterMap::create(&MapSpec::array_of_maps(4), &template)?;
/// let inner = Map::create(&MapSpec::new(MapType::HASH, 4, 16, 16))?;
/// let err = outer.insert(&0u32, &inner).unwrap_err();
/// let Error::InnerMismatch { mismatch, .. } = err else { panic!("{err}") };
/// assert_eq!(
///     mismatch,
///     InnerMismatch::Field { field: "value_size", inner: 16, template: 8 }
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InnerMismatch {
    /// The types differ.
    MapType {
        /// The inner map's.
        inner: MapType,
        /// The template's.
        template: MapType,
    },
    /// A numeric property differs.
    Field {
        /// `key_size`, `value_size`, `max_entries`.
        field: &'static str,
        /// The inner map's.
        inner: u32,
        /// The template's.
        template: u32,
    },
    /// The flags differ.
    Flags {
        /// The inner map's.
        inner: u32,
        /// The template's.
        template: u32,
    },
}

impl fmt::Display for InnerMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InnerMismatch::MapType { inner, template } => {
                write!(
                    f,
                    "inner map type {inner} does not match the template's {template}"
                )
            }
            InnerMismatch::Field {
                field,
                inner,
                template,
            } => write!(
                f,
                "inner map {field} {inner} does not match the template's {template}"
            ),
            InnerMismatch::Flags { inner, template } => write!(
                f,
                "inner map map_flags {inner:#x} does not match the template's {template:#x} \
                 (the kernel compares them exactly, BPF_F_INNER_MAP and BPF_F_NUMA_NODE included)"
            ),
        }
    }
}

/// A combination the kernel refuses, caught before the syscall.
///
/// ```
/// use bpfmaps::{Error, MapSpec, MapType, OuterMap, Refusal};
/// // An outer map's value is an fd or an id: 4 bytes, never 8. Refused before any syscall.
/// let outer = MapSpec::new(MapType::ARRAY_OF_MAPS, 4, 8, 4);
/// let err = OuterMap::create(&outer, &MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap_err();
/// assert!(matches!(err, Error::Refused { refusal: Refusal::OuterValueSize(8), .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// An outer map given as an inner template or inner map: one level of nesting only.
    NestedOuter,
    /// A type that cannot be an inner map.
    InnerTypeUnsupported(MapType),
    /// An outer map's value size must be 4 (an fd in, an id out).
    OuterValueSize(u32),
    /// An ARRAY_OF_MAPS key must be a 4-byte index.
    OuterArrayKeySize(u32),
    /// `BPF_F_INNER_MAP` on a type other than ARRAY.
    InnerMapFlagNotArray(MapType),
    /// BTF key/value type ids on an outer map.
    OuterBtfIds,
    /// A value operation on a map type this crate does not know: how many bytes the kernel
    /// copies for one value is not known, so no buffer can be sized safely.
    UnknownValueLayout(MapType),
    /// BTF type ids in a spec created without a BTF object: the kernel would read its
    /// `btf_fd` of 0 as fd 0, whatever that is.
    BtfIdsWithoutBtf,
    /// An outer type given to `Map::create`, which has no template to give it.
    OuterNeedsTemplate,
    /// A non-outer type given where an outer map is needed.
    NotOuter(MapType),
    /// An inner map with another `max_entries` than the template, where the kernel compares it.
    InnerMaxEntriesFixed {
        /// The type of the template.
        map_type: MapType,
        /// The template's max_entries.
        template: u32,
        /// The one asked for.
        asked: u32,
    },
    /// An element write on an outer map through the byte API, which would take an fd number.
    OuterWriteNeedsMap,
    /// An element write of a plain value into a map whose values are fds (a program, perf
    /// event, cgroup or socket array): the fd is passed as a borrowed fd, with `Map::update_fd`.
    FdValueNeedsFd(MapType),
    /// The outer map's template is not known (opened by id or pin, and empty).
    TemplateUnknown,
    /// The key and value slices of a batch have different lengths.
    BatchLengths {
        /// Number of keys.
        keys: usize,
        /// Number of values (or inner maps).
        values: usize,
    },
    /// An operation the map type does not have.
    Unsupported {
        /// The operation.
        op: &'static str,
        /// The type.
        map_type: MapType,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NestedOuter => f.write_str(
                "an outer map cannot be an inner map or inner template: the kernel supports one \
                 level of map-in-map",
            ),
            Refusal::InnerTypeUnsupported(t) => write!(
                f,
                "a {t} map cannot be an inner map: the kernel has no inner-map support for it"
            ),
            Refusal::OuterValueSize(v) => write!(
                f,
                "an outer map's value_size must be 4 (an fd goes in, an id comes out), not {v}"
            ),
            Refusal::OuterArrayKeySize(k) => write!(
                f,
                "an array_of_maps key must be a 4-byte index, not {k} bytes"
            ),
            Refusal::InnerMapFlagNotArray(t) => write!(
                f,
                "BPF_F_INNER_MAP is accepted only on array maps, not on {t}"
            ),
            Refusal::OuterBtfIds => f.write_str(
                "an outer map cannot have BTF key/value type ids (the kernel answers ENOTSUPP)",
            ),
            Refusal::UnknownValueLayout(t) => write!(
                f,
                "{t} is a map type this crate does not know: the size of its values in user \
                 space is unknown, so value operations are refused (keys still work)"
            ),
            Refusal::BtfIdsWithoutBtf => f.write_str(
                "BTF type ids need the BTF object they refer to: create the map with \
                 Map::create_with_btf",
            ),
            Refusal::OuterNeedsTemplate => {
                f.write_str("an outer map needs an inner template: create it with OuterMap::create")
            }
            Refusal::NotOuter(t) => write!(
                f,
                "a {t} map is not an outer map (array_of_maps or hash_of_maps)"
            ),
            Refusal::InnerMaxEntriesFixed {
                map_type,
                template,
                asked,
            } => write!(
                f,
                "inner {map_type} maps must have the template's max_entries {template}, not \
                 {asked} (give the template BPF_F_INNER_MAP to allow other sizes)"
            ),
            Refusal::OuterWriteNeedsMap => f.write_str(
                "an outer map's elements are written with OuterMap::insert, which takes the \
                 inner map itself rather than an fd number",
            ),
            Refusal::FdValueNeedsFd(t) => write!(
                f,
                "the values of a {t} map are file descriptors, which are written with \
                 Map::update_fd (a borrowed fd), not as integers"
            ),
            Refusal::TemplateUnknown => f.write_str(
                "the inner template of this outer map is not known (it was opened, not created, \
                 and holds no inner map to learn it from)",
            ),
            Refusal::BatchLengths { keys, values } => write!(
                f,
                "a batch needs as many values as keys, got {keys} keys and {values} values"
            ),
            Refusal::Unsupported { op, map_type } => {
                write!(f, "{map_type} maps have no {op} operation")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_messages_name_command_map_and_errno() {
        let label = MapLabel {
            name: MapName::new("outer").unwrap(),
            id: MapId::new(12),
            map_type: Some(MapType::ARRAY_OF_MAPS),
        };
        let e = SyscallError::new(Command::MAP_UPDATE_ELEM, Target::Map(label), Errno::EINVAL);
        assert_eq!(
            e.to_string(),
            "BPF_MAP_UPDATE_ELEM on map 'outer' (id 12) failed: EINVAL (Invalid argument): the \
             inner map does not match the outer map's template (type, key_size, value_size, \
             map_flags, and max_entries for arrays)"
        );
        let e = SyscallError::new(Command::MAP_CREATE, Target::None, Errno::ENOTSUPP);
        assert!(e.to_string().contains("ENOTSUPP"), "{e}");
    }

    #[test]
    fn mismatch_names_the_field() {
        let m = InnerMismatch::Field {
            field: "value_size",
            inner: 16,
            template: 8,
        };
        assert_eq!(
            m.to_string(),
            "inner map value_size 16 does not match the template's 8"
        );
    }
}
