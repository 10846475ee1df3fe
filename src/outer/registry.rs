//! The opt-in registry of an [`OuterMap`](super::OuterMap): an fd for each map it inserted, so
//! that they can be opened again without `BPF_MAP_GET_FD_BY_ID`.

use std::collections::HashMap;
use std::os::fd::BorrowedFd;
use std::sync::Mutex;

use crate::{Map, MapId, MapInfo, Result};

#[derive(Debug, Default)]
pub(super) struct Registry {
    maps: Mutex<HashMap<MapId, Map>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MapId, Map>> {
        // A panic while holding the lock cannot leave the map half-updated (every operation is
        // a single insert or remove), so a poisoned lock is still usable.
        self.maps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `inner` (just inserted) and forgets the map it replaced, if any.
    pub(super) fn replace(&self, replaced: Option<MapId>, info: &MapInfo, inner: BorrowedFd<'_>) {
        let kept = inner
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| Map::from_fd(fd).ok());
        let mut maps = self.lock();
        if let Some(old) = replaced {
            if old != info.id() {
                maps.remove(&old);
            }
        }
        // Without an fd to keep (out of fds), the map is simply not registered: `get` then
        // falls back to opening it by id.
        if let Some(map) = kept {
            maps.insert(info.id(), map);
        }
    }

    pub(super) fn forget(&self, id: MapId) {
        self.lock().remove(&id);
    }

    /// A new handle on the registered map `id`, if it is registered.
    pub(super) fn open(&self, id: MapId) -> Option<Result<Map>> {
        self.lock().get(&id).map(Map::try_clone)
    }

    /// How many maps are registered.
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }
}
