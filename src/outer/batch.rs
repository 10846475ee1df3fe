//! Batch operations on outer maps.
//!
//! Every userspace update or delete of an outer map waits in the kernel for an RCU grace period
//! (milliseconds). A batch command waits once for all its elements, so filling or emptying
//! many slots costs one grace period instead of one per slot. Where the kernel has no batch
//! command for a type (`ARRAY_OF_MAPS` has no batch delete), the per-element fallback issues the
//! calls from several threads at once: concurrent waiters share grace periods, so the fallback
//! costs about `slots / 32` grace periods rather than `slots` (see `crate::workers`).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::panic::resume_unwind;
use std::thread;

use super::{inner_info, OuterMap};
use crate::map::BatchCursor;
use crate::sys::pod::{bytes_of, slice_bytes};
use crate::{Command, Errno, Error, MapId, MapInfo, MapType, Pod, Result, UpdateFlags, UpdateMode};

impl OuterMap {
    /// `bpf(BPF_MAP_UPDATE_BATCH)` — puts `inners[i]` into slot `keys[i]` for every `i`, in one
    /// syscall that waits for one RCU grace period in all.
    ///
    /// Every inner map is checked against the template first; nothing is inserted if one does
    /// not fit. If the kernel has no batch update for this map, falls back to concurrent single
    /// updates.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(64), &MapSpec::new(MapType::HASH, 4, 4, 8))?;
    /// let inners = (0..64).map(|i| outer.new_inner(&format!("in{i}"))).collect::<Result<Vec<_>, _>>()?;
    /// let keys: Vec<u32> = (0..64).collect();
    /// outer.insert_batch(&keys, &inners)?;
    /// drop(inners);
    /// assert_eq!(outer.lookup_all::<u32>()?.len(), 64);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::insert`], for the first inner map that is refused; [`Error::Batch`] with
    /// how many slots were filled if the kernel fails part-way.
    ///
    /// # Kernel
    ///
    /// The batch command came in Linux 5.6; where the kernel has none, single updates are
    /// issued from several threads at once, so that their grace periods overlap.
    #[doc(alias = "BPF_MAP_UPDATE_BATCH")]
    pub fn insert_batch<K: Pod, M: AsFd>(&self, keys: &[K], inners: &[M]) -> Result<()> {
        self.insert_batch_with(keys, inners, UpdateFlags::ANY)
    }

    /// As [`OuterMap::insert_batch`], with update flags.
    ///
    /// The kernel's batch update takes only `BPF_ANY`; with [`UpdateFlags::NOEXIST`] or
    /// [`UpdateFlags::EXIST`] the slots are filled by single updates issued from several
    /// threads at once (their grace periods overlap). Every element is then tried: on an
    /// error, [`Error::Batch`]'s `done` counts the slots that were filled, which need not be
    /// the first ones, and the keys should be distinct (two updates of one key race).
    ///
    /// ```
    /// use bpfmaps::{Errno, Error, MapSpec, MapType, OuterMap, UpdateFlags};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 4, 4))?;
    /// let inners = [outer.new_inner("doc_a")?, outer.new_inner("doc_b")?];
    /// outer.insert_batch_with(&[1u32, 2], &inners, UpdateFlags::NOEXIST)?;
    /// // Key 2 is taken: only key 3 is filled.
    /// let err = outer.insert_batch_with(&[2u32, 3], &inners, UpdateFlags::NOEXIST).unwrap_err();
    /// assert!(matches!(err, Error::Batch { done: 1, requested: 2, .. }));
    /// assert_eq!(err.errno(), Some(Errno::EEXIST));
    /// assert_eq!(outer.lookup(&3u32)?, Some(inners[1].id()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::insert_batch`].
    pub fn insert_batch_with<K: Pod, M: AsFd>(
        &self,
        keys: &[K],
        inners: &[M],
        flags: UpdateFlags,
    ) -> Result<()> {
        self.map.check_same_len(keys.len(), inners.len())?;
        // Before asking the kernel about any inner map: a wrong key size needs no syscall.
        if let Some(key) = keys.first() {
            self.map.check_key(bytes_of(key))?;
        }
        let mut infos = Vec::with_capacity(inners.len());
        for inner in inners {
            infos.push(inner_info(inner.as_fd(), self.map.label())?);
        }
        let fds: Vec<BorrowedFd<'_>> = inners.iter().map(AsFd::as_fd).collect();
        self.insert_batch_known(keys, &fds, &infos, flags)
    }

    /// [`OuterMap::insert_batch_with`] for inner maps whose info the caller already holds
    /// (the loader's own maps): no info query per inner map.
    pub(crate) fn insert_batch_known<K: Pod>(
        &self,
        keys: &[K],
        fds: &[BorrowedFd<'_>],
        infos: &[MapInfo],
        flags: UpdateFlags,
    ) -> Result<()> {
        self.map.check_same_len(keys.len(), fds.len())?;
        if let Some(key) = keys.first() {
            self.map.check_key(bytes_of(key))?;
        }
        for info in infos {
            self.check_inner(info)?;
        }
        let raw: Vec<u32> = fds.iter().map(|fd| fd.as_raw_fd() as u32).collect();
        let replaced = self.registry_snapshot(keys)?;
        let singles = || {
            self.each_in_parallel(Command::MAP_UPDATE_ELEM, keys.len(), |i| {
                self.map
                    .map_fd()
                    .update(bytes_of(&keys[i]), &raw[i].to_ne_bytes(), flags.bits())
            })
        };
        // The kernel's batch update takes no BPF_NOEXIST / BPF_EXIST (EINVAL), so those go
        // straight to single updates rather than failing a batch first.
        if flags.mode() != UpdateMode::Any {
            singles()?;
        } else {
            let ret = self.map.update_batch_bytes(
                slice_bytes(keys),
                slice_bytes(&raw),
                keys.len(),
                flags,
            );
            match ret {
                Err(Error::Batch {
                    done: 0, source, ..
                }) if no_batch(source.errno) => singles()?,
                other => other?,
            }
        }
        if let Some(registry) = &self.registry {
            for (i, (info, fd)) in infos.iter().zip(fds).enumerate() {
                registry.replace(replaced.get(i).copied().flatten(), info, *fd);
            }
        }
        Ok(())
    }

    /// `bpf(BPF_MAP_LOOKUP_BATCH)` — the next filled slots of a walk: keys into `keys`, ids into
    /// `ids`; returns how many. Empty slots are skipped by the kernel.
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 4, 4))?;
    /// for key in [10u32, 20, 30] {
    ///     outer.insert(&key, &outer.new_inner("doc_inner")?)?;
    /// }
    /// let mut cursor = outer.as_map().batch_cursor();
    /// let (mut keys, mut ids) = ([0u32; 8], [None; 8]);
    /// let mut seen = Vec::new();
    /// while !cursor.is_done() {
    ///     let n = outer.lookup_batch(&mut cursor, &mut keys, &mut ids)?;
    ///     assert!(ids[..n].iter().all(Option::is_some));
    ///     seen.extend_from_slice(&keys[..n]);
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [10, 20, 30]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Map::get_batch`](crate::Map::get_batch).
    #[doc(alias = "BPF_MAP_LOOKUP_BATCH")]
    pub fn lookup_batch<K: Pod>(
        &self,
        cursor: &mut BatchCursor,
        keys: &mut [K],
        ids: &mut [Option<MapId>],
    ) -> Result<usize> {
        self.map.get_batch(cursor, keys, ids)
    }

    /// Every filled slot as `(key, id)`, read with batch lookups (or a key walk where the kernel
    /// has no batch lookup for this map).
    ///
    /// ```
    /// use bpfmaps::{MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::array_of_maps(8), &MapSpec::new(MapType::HASH, 4, 4, 4))?;
    /// let inner = outer.new_inner("doc_inner")?;
    /// outer.insert(&2u32, &inner)?;
    /// outer.insert(&6u32, &inner)?;
    /// let mut all = outer.lookup_all::<u32>()?;
    /// all.sort();
    /// assert_eq!(all, [(2, inner.id()), (6, inner.id())]); // the empty slots are left out
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`OuterMap::lookup_batch`].
    pub fn lookup_all<K: Pod>(&self) -> Result<Vec<(K, MapId)>> {
        const CHUNK: usize = 256;
        let mut out = Vec::new();
        let mut cursor = self.map.batch_cursor();
        let mut keys = vec![crate::sys::pod::zeroed::<K>(); CHUNK];
        let mut ids = vec![None; CHUNK];
        while !cursor.is_done() {
            let n = match self.lookup_batch(&mut cursor, &mut keys, &mut ids) {
                Ok(n) => n,
                Err(Error::Batch { source, .. }) if no_batch(source.errno) && out.is_empty() => {
                    return self.iter::<K>().collect();
                }
                Err(e) => return Err(e),
            };
            out.extend(
                keys[..n]
                    .iter()
                    .zip(&ids[..n])
                    .filter_map(|(k, id)| Some((*k, (*id)?))),
            );
        }
        Ok(out)
    }

    /// Empties the slots `keys`, waiting for about one RCU grace period in all:
    /// `BPF_MAP_DELETE_BATCH` for a `HASH_OF_MAPS`; for an `ARRAY_OF_MAPS`, which has no batch
    /// delete, single deletes issued from several threads at once.
    ///
    /// ```
    /// use bpfmaps::{Errno, MapSpec, MapType, OuterMap};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// let outer = OuterMap::create(&MapSpec::hash_of_maps(4, 8), &MapSpec::new(MapType::HASH, 4, 4, 4))?;
    /// let inners = (0..4).map(|_| outer.new_inner("doc_inner")).collect::<Result<Vec<_>, _>>()?;
    /// outer.insert_batch(&[0u32, 1, 2, 3], &inners)?;
    /// outer.remove_batch(&[1u32, 3])?;
    /// assert_eq!(outer.lookup_all::<u32>()?.len(), 2);
    /// let err = outer.remove_batch(&[1u32]).unwrap_err(); // already empty
    /// assert_eq!(err.errno(), Some(Errno::ENOENT));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Size`]; [`Error::Batch`] if a slot could not be emptied (`ENOENT`: it was
    /// already empty) — for a hash of maps the kernel stops there, for an array of maps the
    /// other slots are still emptied.
    #[doc(alias = "BPF_MAP_DELETE_BATCH")]
    pub fn remove_batch<K: Pod>(&self, keys: &[K]) -> Result<()> {
        if let Some(key) = keys.first() {
            self.map.check_key(bytes_of(key))?;
        }
        let replaced = self.registry_snapshot(keys)?;
        let singles = || {
            self.each_in_parallel(Command::MAP_DELETE_ELEM, keys.len(), |i| {
                self.map.map_fd().delete(bytes_of(&keys[i]))
            })
        };
        let ret = if self.map.map_type() == MapType::ARRAY_OF_MAPS {
            singles()
        } else {
            match self.map.delete_batch_bytes(slice_bytes(keys), keys.len()) {
                Err(Error::Batch {
                    done: 0, source, ..
                }) if no_batch(source.errno) => singles(),
                other => other,
            }
        };
        if let Some(registry) = &self.registry {
            replaced
                .into_iter()
                .flatten()
                .for_each(|id| registry.forget(id));
        }
        ret
    }

    /// With a registry, the ids now in slots `keys` (whose registry entries an overwrite or
    /// removal ends); without, nothing.
    fn registry_snapshot<K: Pod>(&self, keys: &[K]) -> Result<Vec<Option<MapId>>> {
        match &self.registry {
            Some(_) => keys.iter().map(|k| self.lookup(k)).collect(),
            None => Ok(Vec::new()),
        }
    }

    /// The per-element fallback: `op(0..n)` from several threads at once, so their RCU grace
    /// periods overlap; `Ok` if every call succeeded, else a batch error for the first failure
    /// with the number of successes.
    fn each_in_parallel<F>(&self, cmd: Command, n: usize, op: F) -> Result<()>
    where
        F: Fn(usize) -> core::result::Result<(), Errno> + Sync,
    {
        let results = parallel(n, op);
        let done = results.iter().filter(|r| r.is_ok()).count();
        match results.iter().find_map(|r| r.err()) {
            None => Ok(()),
            Some(errno) => Err(self.map.batch_err(
                cmd,
                errno,
                u32::try_from(done).unwrap_or(u32::MAX),
                u32::try_from(results.len()).unwrap_or(u32::MAX),
            )),
        }
    }
}

/// Whether a batch command failed because the kernel has no such batch for this map. Not
/// `EINVAL`: that is the kernel refusing an element (an inner map that does not fit), and
/// falling back to single updates would then insert the others.
fn no_batch(errno: Errno) -> bool {
    matches!(errno, Errno::ENOTSUPP | Errno::EOPNOTSUPP)
}

/// Runs `op(0..n)` from up to [`MAX_THREADS`](crate::workers::MAX_THREADS) threads,
/// returning each result in order. A panic in `op` is a bug in this crate: it goes on to the
/// caller, rather than the slots that never ran being reported as done.
fn parallel<F>(n: usize, op: F) -> Vec<core::result::Result<(), Errno>>
where
    F: Fn(usize) -> core::result::Result<(), Errno> + Sync,
{
    crate::workers::run(n, crate::workers::MAX_THREADS, thread::Builder::new, op)
        .into_iter()
        .flat_map(|(_, done)| done.unwrap_or_else(|panic| resume_unwind(panic)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;

    use super::*;

    #[test]
    fn parallel_gives_every_result_in_order() {
        for n in [0, 1, 2, 100] {
            let results = parallel(n, |i| {
                if i % 7 == 0 {
                    Err(Errno::ENOENT)
                } else {
                    Ok(())
                }
            });
            let expected: Vec<_> = (0..n)
                .map(|i| {
                    if i % 7 == 0 {
                        Err(Errno::ENOENT)
                    } else {
                        Ok(())
                    }
                })
                .collect();
            assert_eq!(results, expected, "n {n}");
        }
    }

    /// A panic in `op` (a bug in this crate) goes on to the caller.
    #[test]
    fn parallel_propagates_a_panic_in_op() {
        let panicked = catch_unwind(|| {
            parallel(100, |i| {
                assert_ne!(i, 50, "op 50 panics (on purpose)");
                Ok(())
            })
        });
        assert!(panicked.is_err());
    }
}
