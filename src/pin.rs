//! bpffs: checking for it and mounting it, for pinning maps.
//!
//! Maps are pinned with [`Map::pin`](crate::Map::pin) and opened with
//! [`Map::from_pin`](crate::Map::from_pin); a pin is a file in a bpffs mount and is removed like
//! one (`std::fs::remove_file`).

use std::path::Path;

use crate::map::c_path;
use crate::{Error, Result};

/// The `f_type` of a bpffs mount (`BPF_FS_MAGIC`).
///
/// ```
/// use bpfmaps::pin;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-magic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).expect("mount point");
/// pin::mount_bpffs(&dir)?;
/// // statfs(2) reports this magic for the new mount (here through coreutils' `stat -f`),
/// // which is how `is_bpffs` knows it.
/// let out = std::process::Command::new("stat").args(["-f", "-c", "%t"]).arg(&dir).output();
/// let f_type = String::from_utf8(out.expect("stat -f").stdout).expect("hex");
/// assert_eq!(i64::from_str_radix(f_type.trim(), 16), Ok(pin::BPF_FS_MAGIC));
/// assert!(pin::is_bpffs(&dir)?);
/// pin::unmount(&dir)?;
/// # std::fs::remove_dir(&dir).expect("mount point removed");
/// # Ok(()) }
/// ```
pub const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// Whether `path` is on a bpffs mount (`statfs(2)`).
///
/// # Errors
///
/// [`Error::Io`] if `path` cannot be examined (it does not exist, say).
///
/// ```
/// // The root file system is not a bpffs; a path that does not exist cannot be examined.
/// assert!(!bpfmaps::pin::is_bpffs("/")?);
/// assert!(bpfmaps::pin::is_bpffs("/no/such/dir").is_err());
/// # Ok::<(), bpfmaps::Error>(())
/// ```
pub fn is_bpffs(path: impl AsRef<Path>) -> Result<bool> {
    let path = path.as_ref();
    let cpath = c_path(path)?;
    match crate::sys::statfs_type(&cpath) {
        Ok(magic) => Ok(magic == BPF_FS_MAGIC),
        Err(errno) => Err(Error::Io {
            path: path.to_owned(),
            source: errno.into(),
        }),
    }
}

/// `mount -t bpf bpf DIR`: mounts a bpffs on the existing directory `dir` (needs
/// `CAP_SYS_ADMIN`).
///
/// ```
/// use bpfmaps::{pin, Map, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-mount-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).expect("mount point");
/// pin::mount_bpffs(&dir)?;
/// assert!(pin::is_bpffs(&dir)?);
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
/// map.pin(dir.join("flows"))?;
/// assert_eq!(Map::from_pin(dir.join("flows"))?.id(), map.id());
/// pin::unmount(&dir)?;
/// # std::fs::remove_dir(&dir).expect("mount point removed");
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::Io`] with the errno of `mount(2)`.
pub fn mount_bpffs(dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    let cdir = c_path(dir)?;
    crate::sys::mount_bpffs(&cdir).map_err(|errno| Error::Io {
        path: dir.to_owned(),
        source: errno.into(),
    })
}

/// `umount2(DIR, MNT_DETACH)`: detaches the mount at `dir` (pins in it are released).
///
/// ```
/// use bpfmaps::{pin, Map, MapSpec, MapType};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// let dir = std::env::temp_dir().join(format!("bpfmaps-doc-unmount-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).expect("mount point");
/// pin::mount_bpffs(&dir)?;
/// let map = Map::create(&MapSpec::new(MapType::HASH, 4, 4, 8))?;
/// map.pin(dir.join("flows"))?;
/// pin::unmount(&dir)?;
/// // The pin went with the mount; what is left is the empty directory.
/// assert!(!pin::is_bpffs(&dir)?);
/// assert!(Map::from_pin(dir.join("flows")).is_err());
/// assert!(pin::unmount(&dir).is_err()); // nothing mounted there any more
/// # std::fs::remove_dir(&dir).expect("mount point removed");
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::Io`] with the errno of `umount2(2)`.
pub fn unmount(dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    let cdir = c_path(dir)?;
    crate::sys::unmount(&cdir).map_err(|errno| Error::Io {
        path: dir.to_owned(),
        source: errno.into(),
    })
}
