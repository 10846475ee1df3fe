//! [`Map`]: an owned handle on a BPF map, and its element operations.

mod batch;
mod elem;
mod iter;

use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

pub use self::batch::BatchCursor;
pub use self::iter::{Entries, KeyCursor, Keys};

use crate::error::{MapLabel, Refusal, SyscallError, Target};
use crate::sys::{self, MapFd};
use crate::{Command, Errno, Error, MapId, MapInfo, MapSpec, MapType, OpenFlags, Result};

/// An owned BPF map: its fd, and what the kernel reported about it.
///
/// Dropping a `Map` closes its fd. The kernel frees the map when nothing else refers to it —
/// no other fd, no pin, no outer map holding it, no program using it. So a `Map` inserted into
/// an outer map can be dropped right after the insert: the outer map keeps the inner map alive,
/// and no fd is left behind.
///
/// Element operations come in two forms: on byte slices (`lookup`, `update`, `delete`, …), and
/// typed for [`Pod`](crate::Pod) keys and values (`get`, `put`, `remove`, …). Both check sizes
/// against the map before the syscall and allocate nothing.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 64).with_name("counts")?)?;
/// map.put(&7u32, &100u64, UpdateFlags::ANY)?;
/// assert_eq!(map.get::<u32, u64>(&7)?, Some(100));
/// assert_eq!(map.get::<u32, u64>(&8)?, None);
/// assert!(map.remove(&7u32)?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Map {
    fd: MapFd,
    info: MapInfo,
}

impl Map {
    /// `bpf(BPF_MAP_CREATE, spec)` — creates a map.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, Refusal};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::LRU_HASH, 4, 8, 128).with_name("doc_create")?)?;
    /// assert_eq!((map.map_type(), map.max_entries()), (MapType::LRU_HASH, 128));
    /// // An outer map needs an inner template: refused before the syscall.
    /// let err = Map::create(&MapSpec::array_of_maps(4)).unwrap_err();
    /// assert!(matches!(err, Error::Refused { refusal: Refusal::OuterNeedsTemplate, .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Refused`] before the syscall for an outer map type (use
    ///   [`OuterMap::create`](crate::OuterMap::create), which takes the inner template), and for
    ///   `BPF_F_INNER_MAP` on a type other than `ARRAY`, and for BTF type ids
    ///   ([`Refusal::BtfIdsWithoutBtf`]: they need [`Map::create_with_btf`]).
    /// - [`Error::Syscall`] with the kernel's errno otherwise.
    ///
    /// # File descriptor cost
    ///
    /// One fd, owned by the returned `Map`.
    #[doc(alias = "BPF_MAP_CREATE")]
    pub fn create(spec: &MapSpec) -> Result<Map> {
        let fd = Self::create_fd(spec, None)?;
        Self::from_created(fd, Command::MAP_CREATE, || Target::Map(spec.label()))
    }

    /// `bpf(BPF_MAP_CREATE, spec, btf_fd)` — creates a map whose key and value are described by
    /// BTF type ids ([`MapSpec::with_btf_type_ids`]) in the loaded BTF object `btf`.
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
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_type_ids(1, 1);
    /// let map = Map::create_with_btf(&spec, &btf)?;
    /// assert_eq!(map.info().btf_type_ids(), (1, 1));
    /// // The map holds the BTF: the handle may go.
    /// drop(btf);
    /// map.put(&1i32, &-1i32, bpfmaps::UpdateFlags::ANY)?;
    /// assert_eq!(map.get::<i32, i32>(&1)?, Some(-1));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::create`].
    pub fn create_with_btf(spec: &MapSpec, btf: impl AsFd) -> Result<Map> {
        let fd = Self::create_fd(spec, Some(btf.as_fd()))?;
        Self::from_created(fd, Command::MAP_CREATE, || Target::Map(spec.label()))
    }

    /// The checks of a map that is not an outer map, then `BPF_MAP_CREATE`: the fd alone, with
    /// no info query — all an inner template needs, which is handed to the kernel once and
    /// closed.
    pub(crate) fn create_fd(spec: &MapSpec, btf: Option<BorrowedFd<'_>>) -> Result<OwnedFd> {
        if spec.map_type().is_outer() {
            return Err(spec.refuse(Refusal::OuterNeedsTemplate));
        }
        if btf.is_none() && spec.has_btf_ids() {
            return Err(spec.refuse(Refusal::BtfIdsWithoutBtf));
        }
        spec.check_common()?;
        let mut attr = spec.to_attr();
        if let Some(btf) = btf {
            attr.btf_fd = btf.as_raw_fd_u32();
        }
        sys::map_create(&attr).map_err(|errno| crate::probe::explain_create(spec, errno))
    }

    /// Creates a map from a finished attribute struct; the caller has checked the spec.
    pub(crate) fn create_raw(spec: &MapSpec, attr: sys::attr::MapCreateAttr) -> Result<Map> {
        let fd =
            sys::map_create(&attr).map_err(|errno| crate::probe::explain_create(spec, errno))?;
        Self::from_created(fd, Command::MAP_CREATE, || Target::Map(spec.label()))
    }

    /// Wraps an fd the kernel just returned for a map. `target` names it in an error, built
    /// only on that path.
    fn from_created(fd: OwnedFd, cmd: Command, target: impl FnOnce() -> Target) -> Result<Map> {
        match MapFd::new(fd) {
            Ok((fd, raw)) => Ok(Map {
                fd,
                info: MapInfo::from_raw(&raw)?,
            }),
            Err((_fd, errno)) => Err(SyscallError::new(cmd, target(), errno).into()),
        }
    }

    /// `bpf(BPF_MAP_GET_FD_BY_ID, id)` — opens the map with this id, read-write.
    ///
    /// Two calls: the open, then `BPF_OBJ_GET_INFO_BY_FD` for the sizes the element operations
    /// check against and for [`Map::info`]. [`Map::fd_from_id`] makes the first alone.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapId, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let same = Map::from_id(map.id())?;
    /// map.put(&1u32, &10u64, UpdateFlags::ANY)?;
    /// assert_eq!(same.get::<u32, u64>(&1)?, Some(10));
    /// // An id no map has.
    /// let none = MapId::new(u32::MAX).unwrap();
    /// assert_eq!(Map::from_id(none).unwrap_err().errno(), Some(Errno::ENOENT));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`]: `ENOENT` if no map has this id, `EPERM` without `CAP_SYS_ADMIN`.
    ///
    /// # File descriptor cost
    ///
    /// One new fd on every call, owned by the returned `Map`.
    ///
    /// # Kernel
    ///
    /// Linux 4.13.
    #[doc(alias = "BPF_MAP_GET_FD_BY_ID")]
    pub fn from_id(id: MapId) -> Result<Map> {
        Self::from_id_with(id, OpenFlags::READ_WRITE)
    }

    /// `bpf(BPF_MAP_GET_FD_BY_ID, id, open_flags)` — opens the map with this id, for example
    /// read-only ([`OpenFlags::READ_ONLY`]).
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, OpenFlags, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// map.put(&0u32, &5u64, UpdateFlags::ANY)?;
    /// let reader = Map::from_id_with(map.id(), OpenFlags::READ_ONLY)?;
    /// assert_eq!(reader.get::<u32, u64>(&0)?, Some(5));
    /// let err = reader.put(&0u32, &6u64, UpdateFlags::ANY).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EPERM));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::from_id`].
    pub fn from_id_with(id: MapId, flags: OpenFlags) -> Result<Map> {
        let fd = Self::fd_from_id(id, flags)?;
        Self::from_created(fd, Command::OBJ_GET_INFO_BY_FD, || {
            Target::Map(MapLabel::id(id))
        })
    }

    /// `bpf(BPF_MAP_GET_FD_BY_ID, id, open_flags)` alone: the map's fd, without the info query
    /// that makes a [`Map`].
    ///
    /// A `Map` knows its key and value sizes, which its element operations check every slice
    /// against; learning them costs [`Map::from_id`] a second call (`BPF_OBJ_GET_INFO_BY_FD`).
    /// When the fd is all you need — to keep the map alive, to pass it to another process, to
    /// hand it to something that will query it anyway — this makes only the one call. The fd
    /// is owned: dropping it closes it, and [`Map::from_fd`] makes a `Map` of it later.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use bpfmaps::{Map, MapInfo, MapSpec, MapType, OpenFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4).with_name("doc_fd_by_id")?)?;
    /// let before = bpfmaps::syscall_count();
    /// let fd = Map::fd_from_id(map.id(), OpenFlags::READ_ONLY)?;
    /// assert_eq!(bpfmaps::syscall_count() - before, 1);
    /// assert_eq!(MapInfo::from_fd(fd.as_fd())?.id(), map.id());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::from_id`]: [`Error::Syscall`] with `ENOENT` if no map has this id, `EPERM`
    /// without `CAP_SYS_ADMIN`.
    ///
    /// # File descriptor cost
    ///
    /// One new fd on every call, which the caller owns.
    #[doc(alias = "BPF_MAP_GET_FD_BY_ID")]
    pub fn fd_from_id(id: MapId, flags: OpenFlags) -> Result<OwnedFd> {
        sys::map_get_fd_by_id(id.get(), flags.bits()).map_err(|errno| {
            SyscallError::new(
                Command::MAP_GET_FD_BY_ID,
                Target::Map(MapLabel::id(id)),
                errno,
            )
            .into()
        })
    }

    /// `bpf(BPF_OBJ_GET, path)` — opens the map pinned at `path`, read-write.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-from-pin-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// bpfmaps::pin::mount_bpffs(&dir)?;
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// map.pin(dir.join("counts"))?;
    /// let opened = Map::from_pin(dir.join("counts"))?;
    /// assert_eq!(opened.id(), map.id());
    /// opened.put(&1u32, &2u64, UpdateFlags::ANY)?;
    /// assert_eq!(map.get::<u32, u64>(&1)?, Some(2));
    /// let err = Map::from_pin(dir.join("missing")).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::ENOENT));
    /// bpfmaps::pin::unmount(&dir)?;
    /// std::fs::remove_dir(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`] (`ENOENT`: nothing pinned there), [`Error::NotAMap`] if a program or
    /// another BPF object is pinned there.
    ///
    /// # File descriptor cost
    ///
    /// One new fd, owned by the returned `Map`.
    #[doc(alias = "BPF_OBJ_GET")]
    pub fn from_pin(path: impl AsRef<Path>) -> Result<Map> {
        Self::from_pin_with(path, OpenFlags::READ_WRITE)
    }

    /// `bpf(BPF_OBJ_GET, path, file_flags)` — as [`Map::from_pin`] with an access mode.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, OpenFlags, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-from-pin-with-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// bpfmaps::pin::mount_bpffs(&dir)?;
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// map.pin(dir.join("table"))?;
    /// let reader = Map::from_pin_with(dir.join("table"), OpenFlags::READ_ONLY)?;
    /// assert_eq!(reader.get::<u32, u64>(&0)?, Some(0));
    /// let err = reader.put(&0u32, &1u64, UpdateFlags::ANY).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EPERM));
    /// bpfmaps::pin::unmount(&dir)?;
    /// std::fs::remove_dir(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::from_pin`].
    pub fn from_pin_with(path: impl AsRef<Path>, flags: OpenFlags) -> Result<Map> {
        let path = path.as_ref();
        let cpath = c_path(path)?;
        let fd = sys::obj_get(&cpath, flags.bits()).map_err(|errno| {
            SyscallError::new(Command::OBJ_GET, Target::Path(path.to_owned()), errno)
        })?;
        Self::from_unknown_fd(fd, || path.display().to_string())
    }

    /// Takes ownership of `fd`, which must refer to a BPF map.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, OpenFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16).with_name("doc_from_fd")?)?;
    /// let fd = Map::fd_from_id(map.id(), OpenFlags::READ_WRITE)?;
    /// let again = Map::from_fd(fd)?;
    /// assert_eq!((again.id(), again.key_size()), (map.id(), 4));
    /// // Any other fd is refused.
    /// let file = std::fs::File::open("/dev/null").unwrap();
    /// assert!(matches!(Map::from_fd(file.into()), Err(Error::NotAMap { .. })));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NotAMap`] if `fd` is not a BPF map (the fd is closed).
    pub fn from_fd(fd: OwnedFd) -> Result<Map> {
        Self::from_unknown_fd(fd, || "the fd".to_owned())
    }

    fn from_unknown_fd(fd: OwnedFd, what: impl Fn() -> String) -> Result<Map> {
        if let Err(detail) = crate::fdkind::check_map(fd.as_fd()) {
            return Err(Error::NotAMap {
                what: what(),
                detail,
            });
        }
        match MapFd::new(fd) {
            Ok((fd, raw)) => Ok(Map {
                fd,
                info: MapInfo::from_raw(&raw)?,
            }),
            Err((_fd, errno)) => Err(Error::NotAMap {
                what: what(),
                detail: format!("BPF_OBJ_GET_INFO_BY_FD failed: {errno}"),
            }),
        }
    }

    /// A second handle on the same map, with its own fd (`fcntl(F_DUPFD_CLOEXEC)`; no
    /// capability needed, unlike [`Map::from_id`]).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// use std::os::fd::{AsFd, AsRawFd};
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
    /// let clone = map.try_clone()?;
    /// assert_eq!(clone.id(), map.id());
    /// assert_ne!(clone.as_fd().as_raw_fd(), map.as_fd().as_raw_fd());
    /// map.put(&1u32, &2u64, UpdateFlags::ANY)?;
    /// drop(map); // the clone's fd keeps the map alive
    /// assert_eq!(clone.get::<u32, u64>(&1)?, Some(2));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the process is out of fds.
    ///
    /// # File descriptor cost
    ///
    /// One new fd, owned by the returned `Map`.
    pub fn try_clone(&self) -> Result<Map> {
        let fd = self
            .fd
            .fd()
            .try_clone_to_owned()
            .map_err(|source| Error::Io {
                path: "fcntl(F_DUPFD_CLOEXEC)".into(),
                source,
            })?;
        match MapFd::new(fd) {
            Ok((fd, _)) => Ok(Map {
                fd,
                info: self.info,
            }),
            Err((_fd, errno)) => Err(self.sys_err(Command::OBJ_GET_INFO_BY_FD, errno)),
        }
    }

    /// `bpf(BPF_OBJ_PIN, path)` — pins the map at `path`, inside a bpffs mount, so that it
    /// outlives this process. Remove the file to unpin.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-pin-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// bpfmaps::pin::mount_bpffs(&dir)?;
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// map.pin(dir.join("table"))?;
    /// assert_eq!(Map::from_pin(dir.join("table"))?.id(), map.id());
    /// std::fs::remove_file(dir.join("table")).unwrap(); // unpin
    /// // Outside a bpffs, refused before the syscall.
    /// let err = map.pin(std::env::temp_dir().join("not_on_bpffs")).unwrap_err();
    /// assert!(matches!(err, Error::NotBpffs { .. }));
    /// bpfmaps::pin::unmount(&dir)?;
    /// std::fs::remove_dir(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NotBpffs`] if the directory of `path` is not on a bpffs mount (checked first),
    /// [`Error::Syscall`] (`EEXIST`: something is pinned there already).
    #[doc(alias = "BPF_OBJ_PIN")]
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if !crate::pin::is_bpffs(dir)? {
            return Err(Error::NotBpffs {
                path: dir.to_owned(),
            });
        }
        let cpath = c_path(path)?;
        sys::obj_pin(self.fd.fd(), &cpath).map_err(|errno| {
            SyscallError::new(Command::OBJ_PIN, Target::Path(path.to_owned()), errno).into()
        })
    }

    /// `bpf(BPF_MAP_FREEZE)` — makes the map read-only for userspace from now on (programs may
    /// still write unless it was created with `BPF_F_RDONLY_PROG`).
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// map.put(&0u32, &7u64, UpdateFlags::ANY)?;
    /// map.freeze()?;
    /// assert_eq!(map.put(&0u32, &8u64, UpdateFlags::ANY).unwrap_err().errno(), Some(Errno::EPERM));
    /// assert_eq!(map.get::<u32, u64>(&0)?, Some(7)); // reading still works
    /// assert_eq!(map.freeze().unwrap_err().errno(), Some(Errno::EPERM)); // once only
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`]: `EPERM` if the map is already frozen (or this fd is read-only),
    /// `EBUSY` if the map is writably memory-mapped, `ENOTSUPP` for types that cannot be frozen
    /// and for maps whose value holds a special field (a spin lock, a timer).
    ///
    /// # Kernel
    ///
    /// Linux 5.2.
    #[doc(alias = "BPF_MAP_FREEZE")]
    pub fn freeze(&self) -> Result<()> {
        self.fd
            .freeze()
            .map_err(|errno| self.sys_err(Command::MAP_FREEZE, errno))
    }

    /// What the kernel reported when this handle was made.
    ///
    /// ```
    /// use bpfmaps::{Map, MapInfo, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4).with_name("doc_info")?)?;
    /// // No syscall: the info was read when the map was created.
    /// let before = bpfmaps::syscall_count();
    /// assert_eq!(map.info().name().as_str(), "doc_info");
    /// assert_eq!(bpfmaps::syscall_count(), before);
    /// assert_eq!(*map.info(), MapInfo::from_fd(&map)?);
    /// # Ok(()) }
    /// ```
    pub fn info(&self) -> &MapInfo {
        &self.info
    }
    /// The map's id.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
    /// assert!(bpfmaps::map_ids().any(|id| id.ok() == Some(map.id())));
    /// assert_eq!(Map::from_id(map.id())?.id(), map.id());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> MapId {
        self.info.id()
    }
    /// The type.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::QUEUE, 0, 4, 8))?;
    /// assert_eq!(map.map_type(), MapType::QUEUE);
    /// assert_eq!(map.map_type().name(), Some("queue"));
    /// # Ok(()) }
    /// ```
    pub fn map_type(&self) -> MapType {
        self.info.map_type()
    }
    /// The key size in bytes.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 16, 8, 8))?;
    /// assert_eq!(map.key_size(), 16);
    /// // Keys of another size are refused before the syscall.
    /// assert!(matches!(map.get::<u32, u64>(&1), Err(Error::Size { expected: 16, got: 4, .. })));
    /// # Ok(()) }
    /// ```
    pub fn key_size(&self) -> u32 {
        self.info.key_size()
    }
    /// The value size in bytes (one CPU's, for per-CPU maps).
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_HASH, 4, 4, 8))?;
    /// assert_eq!(map.value_size(), 4); // one CPU's
    /// assert_eq!(map.value_len()?, 8 * bpfmaps::possible_cpus().unwrap()); // all of them, 8 apart
    /// # Ok(()) }
    /// ```
    pub fn value_size(&self) -> u32 {
        self.info.value_size()
    }
    /// The maximum number of entries.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 2))?;
    /// assert_eq!(map.max_entries(), 2);
    /// map.put(&1u32, &1u32, UpdateFlags::ANY)?;
    /// map.put(&2u32, &2u32, UpdateFlags::ANY)?;
    /// let err = map.put(&3u32, &3u32, UpdateFlags::ANY).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::E2BIG)); // full
    /// # Ok(()) }
    /// ```
    pub fn max_entries(&self) -> u32 {
        self.info.max_entries()
    }

    /// The length of a value buffer for the byte API: `value_size`, or for per-CPU maps
    /// `round_up(value_size, 8) × possible CPUs`.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let cpus = bpfmaps::possible_cpus().unwrap();
    /// let array = Map::create(&MapSpec::new(MapType::ARRAY, 4, 12, 4))?;
    /// assert_eq!(array.value_len()?, 12);
    /// let per_cpu = Map::create(&MapSpec::new(MapType::PERCPU_ARRAY, 4, 12, 4))?;
    /// assert_eq!(per_cpu.value_len()?, 16 * cpus);
    /// let mut value = vec![0u8; per_cpu.value_len()?];
    /// assert!(per_cpu.lookup(&0u32.to_ne_bytes(), &mut value)?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::UnknownCpuCount`] for a per-CPU map when `/sys` cannot tell the CPU count;
    /// [`Error::Refused`] with [`Refusal::UnknownValueLayout`] for a map type this crate does
    /// not know (from a newer kernel), whose userspace value length it cannot tell.
    pub fn value_len(&self) -> Result<usize> {
        self.fd.value_len().ok_or_else(|| {
            if self.map_type().name().is_none() {
                Error::Refused {
                    map: self.info.label(),
                    refusal: Refusal::UnknownValueLayout(self.map_type()),
                }
            } else {
                Error::UnknownCpuCount {
                    map: self.info.label(),
                }
            }
        })
    }

    /// Gives up the handle, returning its fd.
    ///
    /// ```
    /// use bpfmaps::{Map, MapInfo, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// let id = map.id();
    /// let fd = map.into_fd();
    /// // The fd still refers to the map, which lives as long as it does.
    /// assert_eq!(MapInfo::from_fd(&fd)?.id(), id);
    /// assert_eq!(Map::from_fd(fd)?.id(), id);
    /// # Ok(()) }
    /// ```
    pub fn into_fd(self) -> OwnedFd {
        self.fd.into_fd()
    }

    pub(crate) fn label(&self) -> MapLabel {
        self.info.label()
    }

    pub(crate) fn sys_err(&self, cmd: Command, errno: Errno) -> Error {
        SyscallError::new(cmd, Target::Map(self.label()), errno).into()
    }

    pub(crate) fn map_fd(&self) -> &MapFd {
        &self.fd
    }
}

impl AsFd for Map {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.fd()
    }
}

impl From<Map> for OwnedFd {
    fn from(map: Map) -> OwnedFd {
        map.into_fd()
    }
}

/// A path as a C string for the kernel.
pub(crate) fn c_path(path: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path contains a NUL byte"),
    })
}

/// The raw number of a borrowed fd, for an attribute field.
pub(crate) trait RawFdU32 {
    fn as_raw_fd_u32(&self) -> u32;
}

impl RawFdU32 for BorrowedFd<'_> {
    fn as_raw_fd_u32(&self) -> u32 {
        use std::os::fd::AsRawFd;
        // A borrowed fd is never negative.
        self.as_raw_fd() as u32
    }
}
