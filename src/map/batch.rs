//! Batch element operations: `BPF_MAP_LOOKUP_BATCH`, `LOOKUP_AND_DELETE_BATCH`,
//! `UPDATE_BATCH` and `DELETE_BATCH`.

use crate::error::{Refusal, SizeKind, SyscallError, Target};
use crate::sys::pod::{slice_bytes, slice_bytes_mut};
use crate::{Command, Errno, Error, Map, Pod, Result, UpdateFlags, UpdateMode};

/// The position of a batch lookup walk over a map ([`Map::get_batch`]).
///
/// The kernel hands back an opaque position after each batch; the cursor keeps it (two small
/// buffers, allocated when the cursor is made) and knows when the walk has ended.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 1024))?;
/// let keys: Vec<u32> = (0..100).collect();
/// let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) * 3).collect();
/// map.put_batch(&keys, &values, UpdateFlags::ANY)?;
///
/// let mut cursor = map.batch_cursor();
/// let (mut k, mut v) = ([0u32; 32], [0u64; 32]);
/// let mut seen = 0;
/// while !cursor.is_done() {
///     let n = map.get_batch(&mut cursor, &mut k, &mut v)?;
///     for i in 0..n {
///         assert_eq!(v[i], u64::from(k[i]) * 3);
///     }
///     seen += n;
/// }
/// assert_eq!(seen, 100);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BatchCursor {
    position: Vec<u8>,
    out: Vec<u8>,
    state: BatchState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BatchState {
    Start,
    Continue,
    Done,
}

impl BatchCursor {
    /// Whether the walk has reached the end of the map.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 4))?;
    /// let mut cursor = map.batch_cursor();
    /// assert!(!cursor.is_done());
    /// let (mut k, mut v) = ([0u32; 8], [0u32; 8]);
    /// assert_eq!(map.get_batch(&mut cursor, &mut k, &mut v)?, 4);
    /// assert!(cursor.is_done());
    /// assert_eq!(map.get_batch(&mut cursor, &mut k, &mut v)?, 0); // nothing more
    /// # Ok(()) }
    /// ```
    pub fn is_done(&self) -> bool {
        self.state == BatchState::Done
    }

    /// Starts the walk again from the beginning.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 3))?;
    /// let mut cursor = map.batch_cursor();
    /// let (mut k, mut v) = ([0u32; 4], [0u32; 4]);
    /// assert_eq!(map.get_batch(&mut cursor, &mut k, &mut v)?, 3);
    /// assert!(cursor.is_done());
    /// cursor.reset();
    /// assert!(!cursor.is_done());
    /// assert_eq!(map.get_batch(&mut cursor, &mut k, &mut v)?, 3); // the same elements again
    /// assert_eq!(k[..3], [0, 1, 2]);
    /// # Ok(()) }
    /// ```
    pub fn reset(&mut self) {
        self.state = BatchState::Start;
    }
}

impl Map {
    /// A cursor for [`Map::get_batch`] and [`Map::take_batch`] on this map.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 10))?;
    /// map.put(&9u32, &99u64, UpdateFlags::ANY)?;
    /// // Walk in batches of 4: 4, 4, then the last 2.
    /// let mut cursor = map.batch_cursor();
    /// let (mut k, mut v) = ([0u32; 4], [0u64; 4]);
    /// let mut sizes = Vec::new();
    /// while !cursor.is_done() {
    ///     sizes.push(map.get_batch(&mut cursor, &mut k, &mut v)?);
    /// }
    /// assert_eq!(sizes, [4, 4, 2]);
    /// assert_eq!((k[1], v[1]), (9, 99));
    /// # Ok(()) }
    /// ```
    pub fn batch_cursor(&self) -> BatchCursor {
        let len = self.map_fd().batch_token_len();
        BatchCursor {
            position: vec![0; len],
            out: vec![0; len],
            state: BatchState::Start,
        }
    }

    /// `bpf(BPF_MAP_LOOKUP_BATCH)` — copies the next elements of the walk into `keys` and
    /// `values` (as many as the shorter of the two holds) and returns how many were copied.
    /// After the last batch, [`BatchCursor::is_done`] is true and further calls return 0.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 64))?;
    /// for k in 0..20u32 {
    ///     map.put(&k, &(k + 100), UpdateFlags::ANY)?;
    /// }
    /// let mut cursor = map.batch_cursor();
    /// let (mut k, mut v) = ([0u32; 64], [0u32; 64]);
    /// let n = map.get_batch(&mut cursor, &mut k, &mut v)?;
    /// assert_eq!(n, 20);
    /// assert!((0..n).all(|i| v[i] == k[i] + 100));
    /// assert_eq!(map.keys::<u32>().count(), 20); // a lookup removes nothing
    /// // Buffers of the wrong type are refused before the syscall.
    /// let mut wide = [0u64; 4];
    /// let err = map.get_batch(&mut map.batch_cursor(), &mut k, &mut wide).unwrap_err();
    /// assert!(matches!(err, Error::Size { .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`] if `K` or `V` does not have the map's sizes; [`Error::Batch`] if the
    /// kernel fails (`ENOSPC`: a hash bucket holds more elements than `keys` has room for;
    /// `EINVAL`/`ENOTSUPP`: this type has no batch lookup).
    ///
    /// # Kernel
    ///
    /// Linux 5.6 (hash and array types).
    #[doc(alias = "BPF_MAP_LOOKUP_BATCH")]
    pub fn get_batch<K: Pod, V: Pod>(
        &self,
        cursor: &mut BatchCursor,
        keys: &mut [K],
        values: &mut [V],
    ) -> Result<usize> {
        self.lookup_batch(false, cursor, keys, values)
    }

    /// `bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH)` — as [`Map::get_batch`], deleting what it copies.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 64))?;
    /// let keys: Vec<u32> = (0..10).collect();
    /// map.put_batch(&keys, &[7u64; 10], UpdateFlags::ANY)?;
    /// let mut cursor = map.batch_cursor();
    /// let (mut k, mut v) = ([0u32; 64], [0u64; 64]);
    /// let mut taken = 0;
    /// while !cursor.is_done() {
    ///     taken += map.take_batch(&mut cursor, &mut k, &mut v)?;
    /// }
    /// assert_eq!(taken, 10);
    /// assert_eq!(map.keys::<u32>().count(), 0); // drained
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::get_batch`].
    #[doc(alias = "BPF_MAP_LOOKUP_AND_DELETE_BATCH")]
    pub fn take_batch<K: Pod, V: Pod>(
        &self,
        cursor: &mut BatchCursor,
        keys: &mut [K],
        values: &mut [V],
    ) -> Result<usize> {
        self.lookup_batch(true, cursor, keys, values)
    }

    fn lookup_batch<K: Pod, V: Pod>(
        &self,
        and_delete: bool,
        cursor: &mut BatchCursor,
        keys: &mut [K],
        values: &mut [V],
    ) -> Result<usize> {
        self.check_batch_types::<K, V>()?;
        if cursor.state == BatchState::Done {
            return Ok(0);
        }
        let cmd = if and_delete {
            Command::MAP_LOOKUP_AND_DELETE_BATCH
        } else {
            Command::MAP_LOOKUP_BATCH
        };
        let room = keys.len().min(values.len());
        let room = u32::try_from(room).unwrap_or(u32::MAX);
        let mut count = room;
        let token_len = self.map_fd().batch_token_len();
        if cursor.position.len() < token_len {
            cursor.position.resize(token_len, 0);
            cursor.out.resize(token_len, 0);
        }
        let in_batch = match cursor.state {
            BatchState::Continue => Some(&cursor.position[..]),
            _ => None,
        };
        let ret = self.map_fd().lookup_batch(
            and_delete,
            in_batch,
            &mut cursor.out,
            slice_bytes_mut(keys),
            slice_bytes_mut(values),
            &mut count,
            0,
        );
        match ret {
            Ok(()) => {
                core::mem::swap(&mut cursor.position, &mut cursor.out);
                cursor.state = BatchState::Continue;
            }
            Err(Errno::ENOENT) => cursor.state = BatchState::Done,
            Err(errno) => return Err(self.batch_err(cmd, errno, count, room)),
        }
        Ok(count as usize)
    }

    /// `bpf(BPF_MAP_UPDATE_BATCH)` — sets each `keys[i]` to `values[i]` in one syscall.
    ///
    /// ```
    /// use bpfmaps::{Error, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 64))?;
    /// let before = bpfmaps::syscall_count();
    /// map.put_batch(&[1u32, 2, 3], &[10u32, 20, 30], UpdateFlags::ANY)?;
    /// assert_eq!(bpfmaps::syscall_count() - before, 1);
    /// assert_eq!(map.get::<u32, u32>(&2)?, Some(20));
    /// // Refused before the syscall: a mode the kernel takes no batch of, and unequal slices.
    /// let err = map.put_batch(&[4u32], &[40u32], UpdateFlags::NOEXIST).unwrap_err();
    /// assert!(matches!(err, Error::Refused { .. }));
    /// let err = map.put_batch(&[4u32, 5], &[40u32], UpdateFlags::ANY).unwrap_err();
    /// assert!(matches!(err, Error::Refused { .. }));
    /// # Ok(()) }
    /// ```
    ///
    /// `flags` is [`UpdateFlags::ANY`], with or without `BPF_F_LOCK`: the kernel takes no
    /// `BPF_NOEXIST` or `BPF_EXIST` in a batch (`EINVAL`), so those are refused here.
    ///
    /// # Errors
    ///
    /// [`Error::Size`] for wrong sizes; [`Error::Refused`] for slices of different lengths, a
    /// mode other than `ANY`, a map whose values are fds, or an outer map (use
    /// [`OuterMap::insert_batch`](crate::OuterMap::insert_batch)); [`Error::Batch`] with how
    /// many were written before the kernel failed.
    #[doc(alias = "BPF_MAP_UPDATE_BATCH")]
    pub fn put_batch<K: Pod, V: Pod>(
        &self,
        keys: &[K],
        values: &[V],
        flags: UpdateFlags,
    ) -> Result<()> {
        self.refuse_fd_write()?;
        self.check_batch_types::<K, V>()?;
        self.check_same_len(keys.len(), values.len())?;
        if flags.mode() != UpdateMode::Any {
            return Err(Error::Refused {
                map: self.label(),
                refusal: Refusal::Unsupported {
                    op: "batch update with BPF_NOEXIST or BPF_EXIST",
                    map_type: self.map_type(),
                },
            });
        }
        self.update_batch_bytes(slice_bytes(keys), slice_bytes(values), keys.len(), flags)
    }

    /// The byte-level update batch, shared with outer maps (whose values are fds).
    pub(crate) fn update_batch_bytes(
        &self,
        keys: &[u8],
        values: &[u8],
        n: usize,
        flags: UpdateFlags,
    ) -> Result<()> {
        let requested =
            u32::try_from(n).map_err(|_| self.too_many(Command::MAP_UPDATE_BATCH, n))?;
        let mut count = requested;
        self.map_fd()
            .update_batch(keys, values, &mut count, flags.bits())
            .map_err(|errno| self.batch_err(Command::MAP_UPDATE_BATCH, errno, count, requested))
    }

    /// `bpf(BPF_MAP_DELETE_BATCH)` — deletes every key in `keys` in one syscall.
    ///
    /// ```
    /// use bpfmaps::{Errno, Error, Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 64))?;
    /// map.put_batch(&[1u32, 2, 3, 4], &[0u32; 4], UpdateFlags::ANY)?;
    /// map.remove_batch(&[1u32, 2])?;
    /// assert_eq!(map.keys::<u32>().count(), 2);
    /// // Key 9 is not there: the kernel stops at it, after deleting key 3.
    /// match map.remove_batch(&[3u32, 9, 4]) {
    ///     Err(Error::Batch { done, requested, source }) => {
    ///         assert_eq!((done, requested, source.errno), (1, 3, Errno::ENOENT));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// assert_eq!(map.get::<u32, u32>(&4)?, Some(0)); // not reached
    /// # Ok(()) }
    /// ```
    ///
    /// The kernel stops at the first key it cannot delete (`ENOENT` for a missing key): the
    /// error says how many were deleted before it.
    ///
    /// # Errors
    ///
    /// [`Error::Size`]; [`Error::Batch`] (`ENOTSUPP`/`EINVAL`: no batch delete for this type).
    #[doc(alias = "BPF_MAP_DELETE_BATCH")]
    pub fn remove_batch<K: Pod>(&self, keys: &[K]) -> Result<()> {
        if size_of::<K>() != self.map_fd().key_len() {
            return Err(self.size_err(SizeKind::Key, self.map_fd().key_len(), size_of::<K>()));
        }
        self.delete_batch_bytes(slice_bytes(keys), keys.len())
    }

    pub(crate) fn delete_batch_bytes(&self, keys: &[u8], n: usize) -> Result<()> {
        let requested =
            u32::try_from(n).map_err(|_| self.too_many(Command::MAP_DELETE_BATCH, n))?;
        let mut count = requested;
        self.map_fd()
            .delete_batch(keys, &mut count, 0)
            .map_err(|errno| self.batch_err(Command::MAP_DELETE_BATCH, errno, count, requested))
    }

    fn check_batch_types<K: Pod, V: Pod>(&self) -> Result<()> {
        let key_len = self.map_fd().key_len();
        if size_of::<K>() != key_len {
            return Err(self.size_err(SizeKind::Key, key_len, size_of::<K>()));
        }
        let value_len = self.value_len()?;
        if size_of::<V>() != value_len {
            return Err(self.size_err(SizeKind::Value, value_len, size_of::<V>()));
        }
        Ok(())
    }

    pub(crate) fn check_same_len(&self, keys: usize, values: usize) -> Result<()> {
        if keys == values {
            Ok(())
        } else {
            Err(Error::Refused {
                map: self.label(),
                refusal: Refusal::BatchLengths { keys, values },
            })
        }
    }

    fn size_err(&self, what: SizeKind, expected: usize, got: usize) -> Error {
        Error::Size {
            map: self.label(),
            what,
            expected,
            got,
        }
    }

    fn too_many(&self, cmd: Command, n: usize) -> Error {
        self.batch_err(cmd, Errno::E2BIG, 0, u32::MAX)
            .with_requested(n)
    }

    pub(crate) fn batch_err(&self, cmd: Command, errno: Errno, done: u32, requested: u32) -> Error {
        Error::Batch {
            done: done as usize,
            requested: requested as usize,
            source: SyscallError::new(cmd, Target::Map(self.label()), errno),
        }
    }
}

impl Error {
    fn with_requested(mut self, n: usize) -> Error {
        if let Error::Batch { requested, .. } = &mut self {
            *requested = n;
        }
        self
    }
}
