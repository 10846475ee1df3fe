//! Walking the ids of every map in the kernel (`BPF_MAP_GET_NEXT_ID`).

use crate::error::{SyscallError, Target};
use crate::{Command, MapId, Result};

/// An iterator over the ids of every map in the kernel, in increasing order, from [`map_ids`].
///
/// Maps come and go during the walk; each id was alive when it was returned.
///
/// ```
/// use bpfmaps::{Map, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let (a, b) = (Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?,
///               Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?);
/// let ids: Vec<_> = bpfmaps::map_ids().collect::<Result<_, _>>()?;
/// // In increasing order, each id once, and holding both maps.
/// assert!(ids.windows(2).all(|w| w[0] < w[1]));
/// assert!(ids.contains(&a.id()) && ids.contains(&b.id()));
/// // Once the walk has ended it stays ended.
/// let mut walk = bpfmaps::map_ids();
/// while walk.next().is_some() {}
/// assert!(walk.next().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MapIds {
    last: u32,
    done: bool,
}

/// `bpf(BPF_MAP_GET_NEXT_ID)` walked from the start: the ids of every map in the kernel (needs
/// `CAP_SYS_ADMIN`).
///
/// ```
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// use bpfmaps::{Map, MapSpec, MapType};
/// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
/// let ids = bpfmaps::map_ids().collect::<Result<Vec<_>, _>>()?;
/// assert!(ids.contains(&map.id()));
/// # Ok(()) }
/// ```
#[doc(alias = "BPF_MAP_GET_NEXT_ID")]
pub fn map_ids() -> MapIds {
    MapIds {
        last: 0,
        done: false,
    }
}

impl Iterator for MapIds {
    type Item = Result<MapId>;

    fn next(&mut self) -> Option<Result<MapId>> {
        if self.done {
            return None;
        }
        match crate::sys::map_get_next_id(self.last) {
            Ok(Some(next)) => {
                self.last = next;
                MapId::new(next).map(Ok).or_else(|| {
                    self.done = true;
                    None
                })
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(errno) => {
                self.done = true;
                Some(Err(SyscallError::new(
                    Command::MAP_GET_NEXT_ID,
                    Target::None,
                    errno,
                )
                .into()))
            }
        }
    }
}
