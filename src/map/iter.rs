//! Walking a map's keys and entries with `BPF_MAP_GET_NEXT_KEY`.
//!
//! The walk survives deletion: the key after the current one is fetched *before* the current
//! key is handed out, so deleting the key just yielded (the usual "walk and delete") never makes
//! the kernel start again from the first key. Deleting a key *not yet* yielded can: a hash map
//! asked for the key after one it no longer holds answers with its first key, so keys may then
//! be yielded twice. A walk yields at most [`walk_limit`] keys, so even a map changed
//! concurrently by others cannot make it loop forever, and no map is cut short by the limit.

use core::marker::PhantomData;

use crate::sys::pod::{bytes_of, bytes_of_mut, zeroed};
use crate::{Map, Pod, Result};

/// An iterator over the keys of a map, from [`Map::keys`].
///
/// Allocates nothing: keys are `Pod` values on the stack.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// use std::collections::BTreeSet;
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 16))?;
/// for k in [3u32, 1, 2] {
///     map.put(&k, &0u32, UpdateFlags::ANY)?;
/// }
/// let keys: BTreeSet<u32> = map.keys::<u32>().collect::<Result<_, _>>()?;
/// assert_eq!(keys, BTreeSet::from([1, 2, 3]));
/// // A map without keys: the walk yields the kernel's refusal, then ends.
/// let queue = Map::create(&MapSpec::new(MapType::QUEUE, 0, 4, 4))?;
/// let mut walk = queue.keys::<()>();
/// assert!(walk.next().unwrap().is_err());
/// assert!(walk.next().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Keys<'a, K: Pod> {
    map: &'a Map,
    /// The next key to yield, already fetched.
    next: Option<K>,
    started: bool,
    remaining: u64,
    _key: PhantomData<K>,
}

impl<'a, K: Pod> Keys<'a, K> {
    fn fetch(&self, after: Option<&K>) -> Result<Option<K>> {
        let mut key = zeroed::<K>();
        let found = self
            .map
            .next_key(after.map(|k| bytes_of(k)), bytes_of_mut(&mut key))?;
        Ok(found.then_some(key))
    }
}

impl<K: Pod> Iterator for Keys<'_, K> {
    type Item = Result<K>;

    fn next(&mut self) -> Option<Result<K>> {
        if !self.started {
            self.started = true;
            match self.fetch(None) {
                Ok(first) => self.next = first,
                Err(e) => {
                    self.remaining = 0;
                    return Some(Err(e));
                }
            }
        }
        if self.remaining == 0 {
            return None;
        }
        let current = self.next.take()?;
        self.remaining -= 1;
        match self.fetch(Some(&current)) {
            Ok(next) => self.next = next,
            Err(e) => {
                self.remaining = 0;
                return Some(Err(e));
            }
        }
        Some(Ok(current))
    }
}

/// An iterator over the `(key, value)` pairs of a map, from [`Map::iter`].
///
/// A key deleted between its `GET_NEXT_KEY` and its lookup is skipped.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// use std::collections::BTreeMap;
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 8, 16))?;
/// for k in 0..5u32 {
///     map.put(&k, &u64::from(k * k), UpdateFlags::ANY)?;
/// }
/// let entries: BTreeMap<u32, u64> = map.iter().collect::<Result<_, _>>()?;
/// assert_eq!(entries.len(), 5);
/// assert!(entries.iter().all(|(&k, &v)| v == u64::from(k * k)));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Entries<'a, K: Pod, V: Pod> {
    keys: Keys<'a, K>,
    _value: PhantomData<V>,
}

impl<K: Pod, V: Pod> Iterator for Entries<'_, K, V> {
    type Item = Result<(K, V)>;

    fn next(&mut self) -> Option<Result<(K, V)>> {
        loop {
            let key = match self.keys.next()? {
                Ok(key) => key,
                Err(e) => return Some(Err(e)),
            };
            match self.keys.map.get::<K, V>(&key) {
                Ok(Some(value)) => return Some(Ok((key, value))),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// A walk over the keys of a map as byte slices, from [`Map::key_cursor`], for keys whose
/// size is only known at run time. Two key buffers are allocated when the cursor is made;
/// stepping allocates nothing.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let map = Map::create(&MapSpec::new(MapType::HASH, 3, 1, 8))?;
/// map.update(b"abc", b"x", UpdateFlags::ANY)?;
/// let mut cursor = map.key_cursor();
/// while let Some(key) = cursor.next_key()? {
///     assert_eq!(key, b"abc");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KeyCursor<'a> {
    map: &'a Map,
    current: Vec<u8>,
    next: Vec<u8>,
    state: CursorState,
    remaining: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CursorState {
    Start,
    /// `next` holds the key to yield.
    Ready,
    Done,
}

impl KeyCursor<'_> {
    /// The next key, or `None` at the end.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 3))?;
    /// let mut cursor = map.key_cursor();
    /// for index in 0..3u32 {
    ///     assert_eq!(cursor.next_key()?, Some(&index.to_ne_bytes()[..]));
    /// }
    /// assert_eq!(cursor.next_key()?, None);
    /// assert_eq!(cursor.next_key()?, None); // and it stays at the end
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Syscall`](crate::Error::Syscall) if the kernel refuses the walk (for example
    /// `EINVAL` on a queue).
    pub fn next_key(&mut self) -> Result<Option<&[u8]>> {
        if self.state == CursorState::Start {
            self.state = match self.map.next_key(None, &mut self.next) {
                Ok(true) => CursorState::Ready,
                Ok(false) => CursorState::Done,
                Err(e) => {
                    self.state = CursorState::Done;
                    return Err(e);
                }
            };
        }
        if self.state == CursorState::Done || self.remaining == 0 {
            self.state = CursorState::Done;
            return Ok(None);
        }
        self.remaining -= 1;
        core::mem::swap(&mut self.current, &mut self.next);
        match self.map.next_key(Some(&self.current), &mut self.next) {
            Ok(true) => {}
            Ok(false) => self.state = CursorState::Done,
            Err(e) => {
                self.state = CursorState::Done;
                return Err(e);
            }
        }
        Ok(Some(&self.current))
    }
}

impl Map {
    /// The keys of the map, in the kernel's order (`BPF_MAP_GET_NEXT_KEY`).
    ///
    /// Deleting the key just yielded, or any key already yielded, is safe during the walk.
    /// Deleting a key not yet yielded may make the kernel start again from its first key, so
    /// that keys are yielded twice; the walk still ends.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 16))?;
    /// for k in 0..10u32 {
    ///     map.put(&k, &(k * 2), UpdateFlags::ANY)?;
    /// }
    /// // Walk and delete.
    /// for key in map.keys::<u32>() {
    ///     assert!(map.remove(&key?)?);
    /// }
    /// assert_eq!(map.keys::<u32>().count(), 0);
    /// # Ok(()) }
    /// ```
    pub fn keys<K: Pod>(&self) -> Keys<'_, K> {
        Keys {
            map: self,
            next: None,
            started: false,
            remaining: walk_limit(self.max_entries()),
            _key: PhantomData,
        }
    }

    /// The `(key, value)` pairs of the map: [`Map::keys`], each followed by a lookup.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 4))?;
    /// map.put(&2u32, &20u64, UpdateFlags::ANY)?;
    /// // Every index of an array, with its value.
    /// let entries = map.iter::<u32, u64>().collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(entries, [(0, 0), (1, 0), (2, 20), (3, 0)]);
    /// # Ok(()) }
    /// ```
    pub fn iter<K: Pod, V: Pod>(&self) -> Entries<'_, K, V> {
        Entries {
            keys: self.keys(),
            _value: PhantomData,
        }
    }

    /// A walk over the keys as byte slices.
    ///
    /// ```
    /// use bpfmaps::{Map, MapSpec, MapType, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// // A key size known only at run time, such as one read from a map's info.
    /// let map = Map::create(&MapSpec::new(MapType::HASH, 6, 1, 8))?;
    /// map.update(b"eth0\0\0", b"1", UpdateFlags::ANY)?;
    /// map.update(b"lo\0\0\0\0", b"2", UpdateFlags::ANY)?;
    /// let mut cursor = map.key_cursor();
    /// let mut names = Vec::new();
    /// while let Some(key) = cursor.next_key()? {
    ///     assert_eq!(key.len(), map.key_size() as usize);
    ///     names.push(key.to_vec());
    /// }
    /// names.sort();
    /// assert_eq!(names, [b"eth0\0\0".to_vec(), b"lo\0\0\0\0".to_vec()]);
    /// # Ok(()) }
    /// ```
    pub fn key_cursor(&self) -> KeyCursor<'_> {
        let len = self.map_fd().key_len();
        KeyCursor {
            map: self,
            current: vec![0; len],
            next: vec![0; len],
            state: CursorState::Start,
            remaining: walk_limit(self.max_entries()),
        }
    }
}

/// The most keys a walk yields: twice the map's table size, which no map can hold more keys
/// than. Not `max_entries` itself: a stack trace map has `roundup_pow_of_two(max_entries)`
/// buckets, and a cgroup storage map reports `max_entries` 0 while holding one key per cgroup
/// (bounded by the kernel, not by the map).
fn walk_limit(max_entries: u32) -> u64 {
    match max_entries {
        0 => u64::from(u32::MAX),
        n => 2 * u64::from(n).next_power_of_two(),
    }
}

#[cfg(test)]
mod tests {
    use super::walk_limit;

    #[test]
    fn the_walk_limit_covers_every_table_size() {
        assert_eq!(walk_limit(1), 2);
        assert_eq!(walk_limit(100), 256);
        assert_eq!(walk_limit(128), 256);
        assert_eq!(walk_limit(u32::MAX), 1 << 33);
        assert_eq!(walk_limit(0), u64::from(u32::MAX));
    }
}
