//! Element operations of [`Map`]: on byte slices, and typed for [`Pod`] keys and values.

use std::os::fd::{AsFd, BorrowedFd};

use crate::error::{Refusal, SizeKind};
use crate::flags::LOCK;
use crate::map::RawFdU32;
use crate::sys::pod::{bytes_of, bytes_of_mut, zeroed};
use crate::{Command, Errno, Error, Map, Pod, Result, UpdateFlags};

impl Map {
    pub(crate) fn check_key(&self, key: &[u8]) -> Result<()> {
        self.check_len(SizeKind::Key, self.map_fd().key_len(), key.len())
    }

    pub(crate) fn check_value(&self, value: usize) -> Result<()> {
        let expected = self.value_len()?;
        self.check_len(SizeKind::Value, expected, value)
    }

    fn check_len(&self, what: SizeKind, expected: usize, got: usize) -> Result<()> {
        if expected == got {
            Ok(())
        } else {
            Err(Error::Size {
                map: self.label(),
                what,
                expected,
                got,
            })
        }
    }

    /// Values that are fds are not written as integers: into outer maps through
    /// [`OuterMap`](crate::OuterMap), which takes the inner map itself, into the other fd
    /// maps through [`Map::update_fd`], which takes a borrowed fd.
    pub(crate) fn refuse_fd_write(&self) -> Result<()> {
        let refusal = if self.map_type().is_outer() {
            Refusal::OuterWriteNeedsMap
        } else if self.map_type().value_is_fd() {
            Refusal::FdValueNeedsFd(self.map_type())
        } else {
            return Ok(());
        };
        Err(Error::Refused {
            map: self.label(),
            refusal,
        })
    }

    /// `bpf(BPF_MAP_LOOKUP_ELEM)` — copies the value of `key` into `value`.
    ///
    /// Returns `Ok(false)` if the key is not in the map (`value` is then unchanged). For
    /// `QUEUE` and `STACK` maps, `key` is empty and this peeks.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 2, 3, 8))?;
    /// map.update(b"ab", b"xyz", UpdateFlags::ANY)?;
    /// let mut value = [0u8; 3];
    /// assert!(map.lookup(b"ab", &mut value)?);
    /// assert_eq!(&value, b"xyz");
    /// // A missing key leaves the buffer alone.
    /// let mut untouched = [7u8; 3];
    /// assert!(!map.lookup(b"cd", &mut untouched)?);
    /// assert_eq!(untouched, [7; 3]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`] if `key` is not `key_size` bytes or `value` not [`Map::value_len`] bytes,
    /// [`Error::Syscall`] if the kernel refuses.
    #[doc(alias = "BPF_MAP_LOOKUP_ELEM")]
    pub fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        self.lookup_raw(key, value, 0)
    }

    /// `bpf(BPF_MAP_LOOKUP_ELEM, BPF_F_LOCK)` — as [`Map::lookup`], copying under the value's
    /// `bpf_spin_lock`.
    ///
    /// ```
    /// use bpfmaps::{Errno, LoadedBtf, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// # // BTF: `int` (id 1), `struct bpf_spin_lock { int val; }` (2),
    /// # // `struct locked { struct bpf_spin_lock lock; int count; }` (3).
    /// # let mut raw = Vec::new();
    /// # raw.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    /// # raw.extend_from_slice(&[1, 0]);
    /// # for word in [24u32, 0, 76, 76, 41, 1, 1 << 24, 4, 32, 5, 4 << 24 | 1, 4, 19, 1, 0,
    /// #              23, 4 << 24 | 2, 8, 30, 2, 0, 35, 1, 32] {
    /// #     raw.extend_from_slice(&word.to_ne_bytes());
    /// # }
    /// # raw.extend_from_slice(b"\0int\0bpf_spin_lock\0val\0locked\0lock\0count\0");
    /// let btf = LoadedBtf::load(&raw)?; // an `int` key, a value `struct locked` (type 3)
    /// let spec = MapSpec::new(MapType::HASH, 4, 8, 8).with_btf_type_ids(1, 3);
    /// let map = Map::create_with_btf(&spec, &btf)?;
    /// map.put(&1u32, &[0u32, 5], UpdateFlags::ANY.with_lock())?;
    /// let mut value = [0xffu8; 8];
    /// assert!(map.lookup_locked(&1u32.to_ne_bytes(), &mut value)?);
    /// assert_eq!(value[..4], [0; 4]); // the lock word is never copied out
    /// assert_eq!(value[4..], 5u32.to_ne_bytes());
    /// // A map whose value holds no spin lock: the kernel refuses.
    /// let plain = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 8))?;
    /// let err = plain.lookup_locked(&1u32.to_ne_bytes(), &mut value).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::lookup`].
    pub fn lookup_locked(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        self.lookup_raw(key, value, LOCK)
    }

    fn lookup_raw(&self, key: &[u8], value: &mut [u8], flags: u64) -> Result<bool> {
        self.check_key(key)?;
        self.check_value(value.len())?;
        found(
            self.map_fd().lookup(key, value, flags),
            self,
            Command::MAP_LOOKUP_ELEM,
        )
    }

    /// `bpf(BPF_MAP_UPDATE_ELEM)` — sets `key` to `value`.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 1, 2, 8))?;
    /// map.update(b"k", b"v1", UpdateFlags::NOEXIST)?;
    /// let err = map.update(b"k", b"v2", UpdateFlags::NOEXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EEXIST));
    /// map.update(b"k", b"v2", UpdateFlags::EXIST)?;
    /// let err = map.update(b"j", b"v2", UpdateFlags::EXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::ENOENT));
    /// let mut value = [0u8; 2];
    /// assert!(map.lookup(b"k", &mut value)? && &value == b"v2");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`] for a wrong size; [`Error::Refused`] on an outer map (use
    /// [`OuterMap::insert`](crate::OuterMap::insert)) or another map whose values are fds
    /// ([`MapType::value_is_fd`](crate::MapType::value_is_fd): use [`Map::update_fd`]);
    /// [`Error::Syscall`]: `EEXIST` with
    /// [`UpdateFlags::NOEXIST`], `ENOENT` with [`UpdateFlags::EXIST`], `E2BIG` when full.
    #[doc(alias = "BPF_MAP_UPDATE_ELEM")]
    pub fn update(&self, key: &[u8], value: &[u8], flags: UpdateFlags) -> Result<()> {
        self.refuse_fd_write()?;
        self.check_key(key)?;
        self.check_value(value.len())?;
        self.map_fd()
            .update(key, value, flags.bits())
            .map_err(|errno| self.sys_err(Command::MAP_UPDATE_ELEM, errno))
    }

    /// `bpf(BPF_MAP_UPDATE_ELEM)` on a map whose values are file descriptors
    /// ([`MapType::value_is_fd`](crate::MapType::value_is_fd): a program, perf event, cgroup
    /// or socket array) — sets `key` to `fd`, borrowed for the call: the kernel takes its own
    /// reference to the object, so `fd` may be closed afterwards. The value is written as the
    /// map's 4 bytes, or 8 for the socket maps that have 8-byte values.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let sockets = Map::create(&MapSpec::new(MapType::SOCKMAP, 4, 8, 4))?;
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// sockets.update_fd(&0u32, &socket, UpdateFlags::ANY)?;
    /// // The kernel answers a lookup with the socket's cookie, not an fd.
    /// assert!(sockets.get::<u32, u64>(&0)?.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] on an outer map (use [`OuterMap::insert`](crate::OuterMap::insert),
    /// which checks the inner map against the template) and on a map whose values are not
    /// fds; [`Error::Size`] for a wrong key size or a value size other than 4 or 8;
    /// [`Error::Syscall`] if the kernel refuses the object (`EINVAL`, `EBADF`, `EOPNOTSUPP`
    /// for a socket of a kind the map does not take).
    #[doc(alias = "BPF_MAP_UPDATE_ELEM")]
    pub fn update_fd<K: Pod>(&self, key: &K, fd: impl AsFd, flags: UpdateFlags) -> Result<()> {
        self.update_fd_raw(bytes_of(key), fd.as_fd(), flags)
    }

    fn update_fd_raw(&self, key: &[u8], fd: BorrowedFd<'_>, flags: UpdateFlags) -> Result<()> {
        let map_type = self.map_type();
        if map_type.is_outer() || !map_type.value_is_fd() {
            return Err(Error::Refused {
                map: self.label(),
                refusal: if map_type.is_outer() {
                    Refusal::OuterWriteNeedsMap
                } else {
                    Refusal::Unsupported {
                        op: "file descriptor value",
                        map_type,
                    }
                },
            });
        }
        self.check_key(key)?;
        let len = self.value_len()?;
        if len != 4 && len != 8 {
            return Err(Error::Size {
                map: self.label(),
                what: SizeKind::Value,
                expected: len,
                got: 4,
            });
        }
        // The kernel reads a u32, or a u64 where the value has 8 bytes (socket maps).
        let raw = fd.as_raw_fd_u32();
        let (narrow, wide) = (raw.to_ne_bytes(), u64::from(raw).to_ne_bytes());
        let value: &[u8] = if len == 8 { &wide } else { &narrow };
        self.map_fd()
            .update(key, value, flags.bits())
            .map_err(|errno| self.sys_err(Command::MAP_UPDATE_ELEM, errno))
    }

    /// `bpf(BPF_MAP_DELETE_ELEM)` — removes `key`. Returns `Ok(false)` if it was not there.
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// map.update(&1u32.to_ne_bytes(), &[0; 4], UpdateFlags::ANY)?;
    /// assert!(map.delete(&1u32.to_ne_bytes())?);
    /// assert!(!map.delete(&1u32.to_ne_bytes())?);
    /// let array = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 8))?;
    /// let err = array.delete(&0u32.to_ne_bytes()).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EINVAL));
    /// # Ok(()) }
    /// ```
    ///
    /// On an outer map, each delete waits for an RCU grace period in the kernel (milliseconds);
    /// see [`OuterMap::remove_batch`](crate::OuterMap::remove_batch).
    ///
    /// # Errors
    ///
    /// [`Error::Size`], or [`Error::Syscall`] (`EINVAL` for arrays, whose elements cannot be
    /// deleted).
    #[doc(alias = "BPF_MAP_DELETE_ELEM")]
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        self.check_key(key)?;
        found(self.map_fd().delete(key), self, Command::MAP_DELETE_ELEM)
    }

    /// `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)` — copies the value of `key` into `value` and
    /// removes it. For `QUEUE` and `STACK` maps `key` is empty and this pops.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 2, 2, 8))?;
    /// map.update(b"id", b"42", UpdateFlags::ANY)?;
    /// let mut value = [0u8; 2];
    /// assert!(map.lookup_and_delete(b"id", &mut value)?);
    /// assert_eq!(&value, b"42");
    /// assert!(!map.lookup(b"id", &mut value)?); // gone
    /// // A stack pops its last value.
    /// let stack = Map::create(&MapSpec::new(MapType::STACK, 0, 1, 4))?;
    /// stack.update(b"", b"a", UpdateFlags::ANY)?;
    /// stack.update(b"", b"b", UpdateFlags::ANY)?;
    /// assert!(stack.lookup_and_delete(b"", &mut value[..1])?);
    /// assert_eq!(value[0], b'b');
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::lookup`]; [`Error::Syscall`] `ENOTSUPP` for types without it.
    ///
    /// # Kernel
    ///
    /// Linux 4.20 for queues and stacks, 5.14 for the hash types.
    #[doc(alias = "BPF_MAP_LOOKUP_AND_DELETE_ELEM")]
    pub fn lookup_and_delete(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        self.check_key(key)?;
        self.check_value(value.len())?;
        found(
            self.map_fd().lookup_and_delete(key, value, 0),
            self,
            Command::MAP_LOOKUP_AND_DELETE_ELEM,
        )
    }

    /// `bpf(BPF_MAP_GET_NEXT_KEY)` — writes into `next` the key after `key`, or the first key
    /// when `key` is `None`. Returns `Ok(false)` after the last key.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 3))?;
    /// let mut key = [0u8; 4];
    /// assert!(map.next_key(None, &mut key)?);
    /// assert_eq!(u32::from_ne_bytes(key), 0);
    /// let mut next = [0u8; 4];
    /// assert!(map.next_key(Some(&key), &mut next)?);
    /// assert_eq!(u32::from_ne_bytes(next), 1);
    /// assert!(!map.next_key(Some(&2u32.to_ne_bytes()), &mut next)?); // 2 is the last index
    /// # Ok(()) }
    /// ```
    ///
    /// For hash maps, if `key` is no longer in the map the kernel starts again from the first
    /// key; [`Map::keys`] handles deletion during a walk.
    ///
    /// # Errors
    ///
    /// [`Error::Size`], [`Error::Syscall`].
    #[doc(alias = "BPF_MAP_GET_NEXT_KEY")]
    pub fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
        if let Some(key) = key {
            self.check_key(key)?;
        }
        self.check_key(next)?;
        found(
            self.map_fd().next_key(key, next),
            self,
            Command::MAP_GET_NEXT_KEY,
        )
    }

    /// Typed [`Map::lookup`]: the value of `key`, or `None`.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 8))?;
    /// map.put(&3u32, &[1u16, 2, 3, 4], UpdateFlags::ANY)?;
    /// assert_eq!(map.get::<u32, [u16; 4]>(&3)?, Some([1, 2, 3, 4]));
    /// assert_eq!(map.get::<u32, u64>(&4)?, None);
    /// // Types of the wrong size are refused, not truncated.
    /// assert!(matches!(map.get::<u32, u32>(&3), Err(Error::Size { expected: 8, got: 4, .. })));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`] if `K` or `V` does not have the map's key or value size.
    pub fn get<K: Pod, V: Pod>(&self, key: &K) -> Result<Option<V>> {
        let mut value = zeroed::<V>();
        Ok(self
            .lookup(bytes_of(key), bytes_of_mut(&mut value))?
            .then_some(value))
    }

    /// Typed [`Map::update`].
    ///
    /// ```
    /// use bpfmaps::{Errno, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 8, 4, 8))?;
    /// map.put(&u64::MAX, &1u32, UpdateFlags::ANY)?;
    /// map.put(&u64::MAX, &2u32, UpdateFlags::EXIST)?;
    /// assert_eq!(map.get::<u64, u32>(&u64::MAX)?, Some(2));
    /// let err = map.put(&u64::MAX, &3u32, UpdateFlags::NOEXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EEXIST));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::update`].
    pub fn put<K: Pod, V: Pod>(&self, key: &K, value: &V, flags: UpdateFlags) -> Result<()> {
        self.update(bytes_of(key), bytes_of(value), flags)
    }

    /// Typed [`Map::delete`].
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// map.put(&9u32, &1u32, UpdateFlags::ANY)?;
    /// assert!(map.remove(&9u32)?);
    /// assert!(!map.remove(&9u32)?); // no longer there
    /// assert_eq!(map.get::<u32, u32>(&9)?, None);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::delete`].
    pub fn remove<K: Pod>(&self, key: &K) -> Result<bool> {
        self.delete(bytes_of(key))
    }

    /// Typed [`Map::lookup_and_delete`]. With `K = ()` on a `QUEUE` or `STACK`, pops.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let queue = Map::create(&MapSpec::new(MapType::QUEUE, 0, 4, 8))?;
    /// queue.put(&(), &1u32, UpdateFlags::ANY)?;
    /// queue.put(&(), &2u32, UpdateFlags::ANY)?;
    /// assert_eq!(queue.take::<(), u32>(&())?, Some(1));
    /// assert_eq!(queue.take::<(), u32>(&())?, Some(2));
    /// assert_eq!(queue.take::<(), u32>(&())?, None);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::lookup_and_delete`].
    pub fn take<K: Pod, V: Pod>(&self, key: &K) -> Result<Option<V>> {
        let mut value = zeroed::<V>();
        Ok(self
            .lookup_and_delete(bytes_of(key), bytes_of_mut(&mut value))?
            .then_some(value))
    }

    /// Every CPU's value of `key` in a per-CPU map (one `V` per possible CPU), or `None`.
    ///
    /// `V` is one CPU's value (`value_size` bytes); the kernel lays the CPUs' values out
    /// `round_up(value_size, 8)` bytes apart. Allocates the buffer and the result.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let cpus = bpfmaps::possible_cpus().unwrap();
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_ARRAY, 4, 4, 2))?;
    /// // An array's elements exist from the start, zeroed on every CPU.
    /// assert_eq!(map.get_per_cpu::<u32, u32>(&0)?, Some(vec![0; cpus]));
    /// assert_eq!(map.get_per_cpu::<u32, u32>(&2)?, None); // out of range
    /// let plain = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 2))?;
    /// assert!(matches!(plain.get_per_cpu::<u32, u32>(&0), Err(Error::Refused { .. })));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] if the map is not a per-CPU map or its `value_size` is 0,
    /// [`Error::Size`] if `V` is not `value_size` bytes, [`Error::UnknownCpuCount`].
    pub fn get_per_cpu<K: Pod, V: Pod>(&self, key: &K) -> Result<Option<Vec<V>>> {
        let (stride, cpus) = self.per_cpu_layout::<V>()?;
        let mut buf = vec![0u8; stride * cpus];
        if !self.lookup(bytes_of(key), &mut buf)? {
            return Ok(None);
        }
        Ok(Some(
            buf.chunks_exact(stride)
                .filter_map(crate::sys::pod::read_unaligned::<V>)
                .collect(),
        ))
    }

    /// Sets every CPU's value of `key` in a per-CPU map; `values` has one `V` per possible CPU.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let cpus = bpfmaps::possible_cpus().unwrap();
    /// let map = Map::create(&MapSpec::new(MapType::PERCPU_HASH, 4, 4, 8))?;
    /// let values: Vec<u32> = (0..cpus as u32).map(|cpu| cpu * 10).collect();
    /// map.put_per_cpu(&1u32, &values, UpdateFlags::ANY)?;
    /// assert_eq!(map.get_per_cpu::<u32, u32>(&1)?, Some(values));
    /// // Exactly one value per possible CPU.
    /// let err = map.put_per_cpu(&2u32, &vec![0u32; cpus + 1], UpdateFlags::ANY).unwrap_err();
    /// assert!(matches!(err, Error::Size { .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] if the map is not a per-CPU map or its `value_size` is 0,
    /// [`Error::Size`] if `V` is not `value_size` bytes or `values` does not hold one value per
    /// possible CPU; otherwise as [`Map::update`].
    pub fn put_per_cpu<K: Pod, V: Pod>(
        &self,
        key: &K,
        values: &[V],
        flags: UpdateFlags,
    ) -> Result<()> {
        let (stride, cpus) = self.per_cpu_layout::<V>()?;
        if values.len() != cpus {
            return Err(Error::Size {
                map: self.label(),
                what: SizeKind::Value,
                expected: cpus * stride,
                got: values.len() * stride,
            });
        }
        let mut buf = vec![0u8; stride * cpus];
        for (chunk, value) in buf.chunks_exact_mut(stride).zip(values) {
            let bytes = bytes_of(value);
            chunk[..bytes.len()].copy_from_slice(bytes);
        }
        self.update(bytes_of(key), &buf, flags)
    }

    /// The per-CPU stride and CPU count, checking the map is per-CPU and `V` is one CPU's value;
    /// the stride is never 0 (so `chunks_exact(stride)` cannot panic).
    fn per_cpu_layout<V: Pod>(&self) -> Result<(usize, usize)> {
        if !self.map_type().is_per_cpu() {
            return Err(Error::Refused {
                map: self.label(),
                refusal: Refusal::Unsupported {
                    op: "per-CPU value",
                    map_type: self.map_type(),
                },
            });
        }
        let value_size = self.value_size() as usize;
        if size_of::<V>() != value_size {
            return Err(Error::Size {
                map: self.label(),
                what: SizeKind::Value,
                expected: value_size,
                got: size_of::<V>(),
            });
        }
        let total = self.value_len()?;
        per_cpu_split(self.value_size(), total).ok_or_else(|| Error::Refused {
            map: self.label(),
            refusal: Refusal::Unsupported {
                op: "zero-byte per-CPU value",
                map_type: self.map_type(),
            },
        })
    }
}

/// The stride of one CPU's value (`round_up(value_size, 8)`) in a per-CPU buffer of
/// `value_len` bytes, and the number of CPUs it holds; `None` for a `value_size` of 0, which
/// has no stride to cut a buffer by. Kernels refuse such a map when it is created, but the
/// value size is the kernel's answer and this crate does not panic on one.
fn per_cpu_split(value_size: u32, value_len: usize) -> Option<(usize, usize)> {
    let stride = crate::cpus::per_cpu_stride(value_size);
    Some((stride, value_len.checked_div(stride)?))
}

/// `Ok(true)` for success, `Ok(false)` for `ENOENT` (no such element), an error otherwise.
pub(crate) fn found(ret: Result<(), Errno>, map: &Map, cmd: Command) -> Result<bool> {
    match ret {
        Ok(()) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(errno) => Err(map.sys_err(cmd, errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_cpu_split_cuts_by_the_rounded_stride() {
        assert_eq!(per_cpu_split(4, 8 * 4), Some((8, 4)));
        assert_eq!(per_cpu_split(8, 8 * 2), Some((8, 2)));
        assert_eq!(per_cpu_split(12, 16 * 3), Some((16, 3)));
        assert_eq!(per_cpu_split(1, 8), Some((8, 1)));
    }

    /// A kernel answer of `value_size` 0 (a zero-sized `V` passes the size check) has no
    /// stride: `None`, where `chunks_exact(0)` would panic.
    #[test]
    fn per_cpu_split_refuses_a_zero_value_size() {
        assert_eq!(per_cpu_split(0, 0), None);
        assert_eq!(per_cpu_split(0, 64), None);
    }
}
