//! [`MapFlags`] (`map_flags` at creation), [`UpdateFlags`] (element updates) and [`OpenFlags`]
//! (read-only or write-only fds).

bitflags::bitflags! {
    /// The `map_flags` of `BPF_MAP_CREATE` (`BPF_F_*`).
    ///
    /// Bits this crate does not name are kept (a newer kernel's flags survive a round trip).
    ///
    /// ```
    /// use bpfmaps::MapFlags;
    /// let f = MapFlags::NO_PREALLOC | MapFlags::INNER_MAP;
    /// assert_eq!(f.bits(), 0x1001);
    /// assert_eq!(MapFlags::from_bits_retain(1 << 30).bits(), 1 << 30);
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MapFlags: u32 {
        /// `BPF_F_NO_PREALLOC`: allocate hash elements on demand.
        const NO_PREALLOC = 1 << 0;
        /// `BPF_F_NO_COMMON_LRU`: one LRU list per CPU.
        const NO_COMMON_LRU = 1 << 1;
        /// `BPF_F_NUMA_NODE`: `numa_node` is meaningful.
        const NUMA_NODE = 1 << 2;
        /// `BPF_F_RDONLY`: read-only from userspace.
        const RDONLY = 1 << 3;
        /// `BPF_F_WRONLY`: write-only from userspace.
        const WRONLY = 1 << 4;
        /// `BPF_F_STACK_BUILD_ID`: stack traces as build ids.
        const STACK_BUILD_ID = 1 << 5;
        /// `BPF_F_ZERO_SEED`: zero the hash seed (testing only).
        const ZERO_SEED = 1 << 6;
        /// `BPF_F_RDONLY_PROG`: read-only for programs.
        const RDONLY_PROG = 1 << 7;
        /// `BPF_F_WRONLY_PROG`: write-only for programs.
        const WRONLY_PROG = 1 << 8;
        /// `BPF_F_CLONE`: clone storage with the socket.
        const CLONE = 1 << 9;
        /// `BPF_F_MMAPABLE`: the array can be `mmap`ed.
        const MMAPABLE = 1 << 10;
        /// `BPF_F_PRESERVE_ELEMS`: perf event array keeps entries when its fd closes.
        const PRESERVE_ELEMS = 1 << 11;
        /// `BPF_F_INNER_MAP`: an inner ARRAY whose `max_entries` may differ from the template's.
        const INNER_MAP = 1 << 12;
        /// `BPF_F_LINK`: struct_ops map usable as a link.
        const LINK = 1 << 13;
        /// `BPF_F_PATH_FD`: pin/get relative to `path_fd`.
        const PATH_FD = 1 << 14;
        /// `BPF_F_VTYPE_BTF_OBJ_FD`: value type BTF comes from a module.
        const VTYPE_BTF_OBJ_FD = 1 << 15;
        /// `BPF_F_TOKEN_FD`: created with a BPF token.
        const TOKEN_FD = 1 << 16;
        /// `BPF_F_SEGV_ON_FAULT`: arena faults raise SIGSEGV.
        const SEGV_ON_FAULT = 1 << 17;
        /// `BPF_F_NO_USER_CONV`: no user address conversion for arenas.
        const NO_USER_CONV = 1 << 18;

        // Keep bits this crate does not name.
        const _ = !0;
    }
}

/// How an update treats an existing element (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`).
///
/// ```
/// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags, UpdateMode};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
/// let create_only = UpdateFlags::new(UpdateMode::NoExist);
/// map.put(&1u32, &10u32, create_only)?;
/// let err = map.put(&1u32, &11u32, create_only).unwrap_err();
/// assert_eq!(err.errno(), Some(Errno::EEXIST));
/// let err = map.put(&2u32, &20u32, UpdateFlags::new(UpdateMode::Exist)).unwrap_err();
/// assert_eq!(err.errno(), Some(Errno::ENOENT));
/// assert_eq!(UpdateFlags::default().mode(), UpdateMode::Any);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum UpdateMode {
    /// `BPF_ANY`: create or replace.
    #[default]
    Any,
    /// `BPF_NOEXIST`: create only; `EEXIST` if the key is there.
    NoExist,
    /// `BPF_EXIST`: replace only; `ENOENT` if the key is not there.
    Exist,
}

/// The flags of an element update: an [`UpdateMode`], and `BPF_F_LOCK`.
///
/// ```
/// use bpfmaps::{UpdateFlags, UpdateMode};
/// assert_eq!(UpdateFlags::ANY.bits(), 0);
/// assert_eq!(UpdateFlags::NOEXIST.bits(), 1);
/// assert_eq!(UpdateFlags::EXIST.with_lock().bits(), 2 | 4);
/// assert_eq!(UpdateFlags::EXIST.mode(), UpdateMode::Exist);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct UpdateFlags {
    mode: UpdateMode,
    lock: bool,
}

impl UpdateFlags {
    /// `BPF_ANY`.
    pub const ANY: UpdateFlags = UpdateFlags::new(UpdateMode::Any);
    /// `BPF_NOEXIST`.
    pub const NOEXIST: UpdateFlags = UpdateFlags::new(UpdateMode::NoExist);
    /// `BPF_EXIST`.
    pub const EXIST: UpdateFlags = UpdateFlags::new(UpdateMode::Exist);

    /// Flags with `mode` and no lock.
    ///
    /// ```
    /// use bpfmaps::{UpdateFlags, UpdateMode};
    /// let flags = UpdateFlags::new(UpdateMode::Exist);
    /// assert_eq!(flags, UpdateFlags::EXIST);
    /// assert!(!flags.lock());
    /// assert_eq!(flags.bits(), 2);
    /// ```
    pub const fn new(mode: UpdateMode) -> UpdateFlags {
        UpdateFlags { mode, lock: false }
    }

    /// The same, with `BPF_F_LOCK`: the value's `struct bpf_spin_lock` is taken during the copy
    /// (the map must have been created with BTF describing the lock).
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags, UpdateMode};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let locked = UpdateFlags::ANY.with_lock();
    /// assert!(locked.lock());
    /// assert_eq!(locked.mode(), UpdateMode::Any);
    /// assert_eq!(locked.bits(), 4);
    /// // A map created without BTF has no spin lock in its values: the kernel refuses the flag.
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 8))?;
    /// let err = map.put(&1u32, &1u64, locked).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
    pub const fn with_lock(self) -> UpdateFlags {
        UpdateFlags { lock: true, ..self }
    }

    /// The mode.
    ///
    /// ```
    /// use bpfmaps::{UpdateFlags, UpdateMode};
    /// assert_eq!(UpdateFlags::NOEXIST.mode(), UpdateMode::NoExist);
    /// assert_eq!(UpdateFlags::NOEXIST.with_lock().mode(), UpdateMode::NoExist);
    /// ```
    pub const fn mode(self) -> UpdateMode {
        self.mode
    }

    /// Whether `BPF_F_LOCK` is set.
    ///
    /// ```
    /// use bpfmaps::UpdateFlags;
    /// assert!(!UpdateFlags::EXIST.lock());
    /// assert!(UpdateFlags::EXIST.with_lock().lock());
    /// ```
    pub const fn lock(self) -> bool {
        self.lock
    }

    /// The kernel's `flags` value.
    pub const fn bits(self) -> u64 {
        let mode = match self.mode {
            UpdateMode::Any => 0,
            UpdateMode::NoExist => 1,
            UpdateMode::Exist => 2,
        };
        mode | if self.lock { LOCK } else { 0 }
    }
}

/// `BPF_F_LOCK`.
pub(crate) const LOCK: u64 = 4;

/// The access an fd opened from an id or a pin gives (`open_flags` / `file_flags`).
///
/// ```
/// use bpfmaps::OpenFlags;
/// assert_eq!(OpenFlags::READ_ONLY.bits(), 1 << 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct OpenFlags(u32);

impl OpenFlags {
    /// Read and write (no flag).
    pub const READ_WRITE: OpenFlags = OpenFlags(0);
    /// `BPF_F_RDONLY`: lookups only; updates fail with `EPERM`.
    pub const READ_ONLY: OpenFlags = OpenFlags(1 << 3);
    /// `BPF_F_WRONLY`: updates only; lookups fail with `EPERM`.
    pub const WRITE_ONLY: OpenFlags = OpenFlags(1 << 4);

    /// The kernel's value.
    pub const fn bits(self) -> u32 {
        self.0
    }
}
