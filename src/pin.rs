//! bpffs: checking for it and mounting it, for pinning maps.
//!
//! Maps are pinned with [`Map::pin`](crate::Map::pin) and opened with
//! [`Map::from_pin`](crate::Map::from_pin); a pin is a file in a bpffs mount and is removed like
//! one (`std::fs::remove_file`).

use std::path::Path;

use crate::map::c_path;
use crate::{Error, Result};

/// The `f_type` of a bpffs mount (`BPF_FS_MAGIC`).
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
