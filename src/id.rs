//! [`MapId`]: the kernel's id of a map, a name and not a handle.

use core::fmt;
use core::num::NonZeroU32;

/// The kernel's id of a map (never 0).
///
/// An id is a *name*: it does not keep the map alive, and after the map is freed the kernel may
/// give the same id to another map. To use the map behind an id, open it with
/// [`Map::from_id`](crate::Map::from_id), which returns an owned handle (and needs
/// `CAP_SYS_ADMIN`). A lookup in an outer map returns the inner map's id.
///
/// ```
/// use bpfmaps::MapId;
/// let id = MapId::new(42).unwrap();
/// assert_eq!(id.get(), 42);
/// assert_eq!(id.to_string(), "42");
/// assert!(MapId::new(0).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct MapId(NonZeroU32);

impl MapId {
    /// The id `raw`, or `None` for 0 (which is never a map's id).
    ///
    /// ```
    /// use bpfmaps::MapId;
    /// assert!(MapId::new(0).is_none());
    /// assert_eq!(MapId::new(7).map(MapId::get), Some(7));
    /// // Usable in constants.
    /// const FIRST: Option<MapId> = MapId::new(1);
    /// assert!(FIRST.is_some());
    /// ```
    pub const fn new(raw: u32) -> Option<MapId> {
        match NonZeroU32::new(raw) {
            Some(id) => Some(MapId(id)),
            None => None,
        }
    }

    /// The number.
    ///
    /// ```
    /// use bpfmaps::MapId;
    /// let id = MapId::new(u32::MAX).unwrap();
    /// assert_eq!(id.get(), u32::MAX);
    /// assert_eq!(u32::from(id), id.get());
    /// ```
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for MapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for MapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MapId({})", self.0)
    }
}

impl From<MapId> for u32 {
    fn from(id: MapId) -> u32 {
        id.get()
    }
}
