//! Feature probes: what the running kernel can do, asked once and cached.
//!
//! Probes run on the error path only: a successful call never pays for one. When the kernel
//! refuses a map-in-map or `BPF_F_INNER_MAP` creation with `EINVAL`, the matching probe (cached
//! for the life of the process) tells whether the feature is missing, so the error can say
//! "not supported by this kernel" instead of "invalid argument".

use std::sync::OnceLock;

use crate::error::{SyscallError, Target};
use crate::sys::{self, attr::MapCreateAttr};
use crate::{Command, Errno, Error, MapFlags, MapSpec, MapType};

fn create(
    map_type: MapType,
    flags: MapFlags,
    inner: Option<u32>,
) -> Result<std::os::fd::OwnedFd, Errno> {
    sys::map_create(&MapCreateAttr {
        map_type: map_type.as_raw(),
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        map_flags: flags.bits(),
        inner_map_fd: inner.unwrap_or(0),
        ..MapCreateAttr::default()
    })
}

fn cached(
    cell: &'static OnceLock<Result<bool, Errno>>,
    probe: fn() -> Result<bool, Errno>,
) -> Result<bool, Errno> {
    *cell.get_or_init(probe)
}

/// Whether this process may create BPF maps at all (a 1-entry array): `false` without the
/// privilege (`EPERM`), without `bpf(2)` (`ENOSYS`), or under a seccomp filter. Cached.
///
/// ```
/// if !bpfmaps::probe::can_create_maps() {
///     eprintln!("skipping: {:?}", bpfmaps::probe::map_create_error());
/// }
/// ```
pub fn can_create_maps() -> bool {
    map_create_error().is_none()
}

/// For the crate's own doc examples: `true` (skip the example) where maps cannot be created
/// here, unless `BPFMAPS_REQUIRE_KERNEL=1` is set, as CI sets it: then an example that would
/// silently pass without the kernel panics instead.
#[doc(hidden)]
pub fn doctest_skip() -> bool {
    match map_create_error() {
        None => false,
        Some(errno) if std::env::var_os("BPFMAPS_REQUIRE_KERNEL").is_some_and(|v| v == "1") => {
            panic!("BPFMAPS_REQUIRE_KERNEL=1 but BPF_MAP_CREATE fails here: {errno}")
        }
        Some(_) => true,
    }
}

/// Why [`can_create_maps`] is `false`: the errno of the probe's `BPF_MAP_CREATE`.
///
/// ```
/// use bpfmaps::{probe, Map, MapSpec, MapType};
/// let created = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1));
/// match probe::map_create_error() {
///     None => assert!(created.is_ok()),
///     // The errno a real creation gets too (EPERM without the privilege, say).
///     Some(errno) => assert_eq!(created.unwrap_err().errno(), Some(errno)),
/// }
/// ```
pub fn map_create_error() -> Option<Errno> {
    static CELL: OnceLock<Result<bool, Errno>> = OnceLock::new();
    cached(&CELL, || {
        create(MapType::ARRAY, MapFlags::empty(), None).map(|_| true)
    })
    .err()
}

/// Whether the kernel supports map-in-map (`ARRAY_OF_MAPS`, Linux 4.12). Cached.
///
/// ```
/// use bpfmaps::{probe, MapSpec, MapType, OuterMap};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// assert_eq!(probe::map_in_map(), Ok(true)); // any kernel since 4.12
/// OuterMap::create(&MapSpec::array_of_maps(1), &MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// The errno when the probe could not tell (`EPERM`: no privilege to create maps at all).
pub fn map_in_map() -> Result<bool, Errno> {
    static CELL: OnceLock<Result<bool, Errno>> = OnceLock::new();
    cached(&CELL, || {
        let template = create(MapType::ARRAY, MapFlags::empty(), None)?;
        use std::os::fd::AsRawFd;
        match create(
            MapType::ARRAY_OF_MAPS,
            MapFlags::empty(),
            Some(template.as_raw_fd() as u32),
        ) {
            Ok(_) => Ok(true),
            Err(Errno::EINVAL) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

/// Whether the kernel accepts `BPF_F_INNER_MAP` (Linux 5.10). Cached.
///
/// ```
/// use bpfmaps::{probe, MapFlags, MapSpec, MapType, OuterMap};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// if probe::inner_map_flag().expect("the probe can tell") {
///     // Arrays with BPF_F_INNER_MAP may go in with other sizes than the template's.
///     let template = MapSpec::new(MapType::ARRAY, 4, 4, 8).with_flags(MapFlags::INNER_MAP);
///     let outer = OuterMap::create(&MapSpec::array_of_maps(1), &template)?;
///     outer.insert(&0u32, &outer.new_inner_sized("doc_big", 1024)?)?;
///     assert_eq!(outer.get(&0u32)?.expect("slot 0 is filled").max_entries(), 1024);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// The errno when the probe could not tell.
pub fn inner_map_flag() -> Result<bool, Errno> {
    static CELL: OnceLock<Result<bool, Errno>> = OnceLock::new();
    cached(&CELL, || {
        match create(MapType::ARRAY, MapFlags::INNER_MAP, None) {
            Ok(_) => Ok(true),
            Err(Errno::EINVAL) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

/// Turns a failed `BPF_MAP_CREATE` of `spec` into the most telling error, probing (once, on
/// this error path only) whether a feature the spec needs is missing.
pub(crate) fn explain_create(spec: &MapSpec, errno: Errno) -> Error {
    explain_create_with(spec, errno, map_in_map, inner_map_flag)
}

/// [`explain_create`] with the probes passed in (the tests give it a kernel without the
/// features).
fn explain_create_with(
    spec: &MapSpec,
    errno: Errno,
    map_in_map: fn() -> Result<bool, Errno>,
    inner_map_flag: fn() -> Result<bool, Errno>,
) -> Error {
    if errno == Errno::EINVAL {
        if spec.map_type().is_outer() && map_in_map() == Ok(false) {
            return Error::NotSupported {
                feature: "map-in-map (ARRAY_OF_MAPS / HASH_OF_MAPS)",
                since: "4.12",
                errno,
            };
        }
        if spec.flags().contains(MapFlags::INNER_MAP) && inner_map_flag() == Ok(false) {
            return Error::NotSupported {
                feature: "BPF_F_INNER_MAP",
                since: "5.10",
                errno,
            };
        }
    }
    SyscallError::new(Command::MAP_CREATE, Target::Map(spec.label()), errno).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_run_once_and_are_cached() {
        // The first calls may probe; every later call answers from the cache, without bpf(2).
        let first = (map_create_error(), map_in_map(), inner_map_flag());
        let before = crate::syscall_count();
        for _ in 0..3 {
            assert_eq!((map_create_error(), map_in_map(), inner_map_flag()), first);
        }
        assert_eq!(crate::syscall_count(), before);
    }

    #[test]
    fn an_einval_on_an_old_kernel_names_the_missing_feature() {
        let no = || Ok(false);
        let yes = || Ok(true);
        let outer = MapSpec::array_of_maps(4);
        let flagged = MapSpec::new(MapType::ARRAY, 4, 4, 4).with_flags(MapFlags::INNER_MAP);
        let err = explain_create_with(&outer, Errno::EINVAL, no, yes);
        assert!(
            matches!(err, Error::NotSupported { since: "4.12", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("map-in-map"), "{err}");
        let err = explain_create_with(&flagged, Errno::EINVAL, yes, no);
        assert!(
            matches!(err, Error::NotSupported { since: "5.10", .. }),
            "{err:?}"
        );
        // Where the features are there, or the errno is another, the kernel's answer stands.
        for (spec, errno) in [(&outer, Errno::EINVAL), (&flagged, Errno::EPERM)] {
            let err = explain_create_with(spec, errno, yes, yes);
            assert_eq!(err.errno(), Some(errno), "{err:?}");
            assert!(matches!(err, Error::Syscall(_)), "{err:?}");
        }
        let err = explain_create_with(&outer, Errno::EPERM, no, no);
        assert!(matches!(err, Error::Syscall(_)), "{err:?}");
    }
}
