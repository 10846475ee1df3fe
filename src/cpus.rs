//! The number of possible CPUs, which sizes every per-CPU map value in userspace.

use std::sync::OnceLock;

use crate::MapType;

/// Where the kernel publishes `cpu_possible_mask`.
const POSSIBLE: &str = "/sys/devices/system/cpu/possible";

/// The number of possible CPUs (`num_possible_cpus()` in the kernel), read once from
/// `/sys/devices/system/cpu/possible` and cached. `None` if that file cannot be read or parsed
/// (a container without `/sys`): per-CPU values then cannot be sized, and their operations fail
/// instead of guessing.
///
/// ```
/// if let Some(n) = bpfmaps::possible_cpus() {
///     assert!(n >= 1);
/// }
/// ```
pub fn possible_cpus() -> Option<usize> {
    static CACHE: OnceLock<Option<usize>> = OnceLock::new();
    *CACHE.get_or_init(|| {
        let text = std::fs::read_to_string(POSSIBLE).ok()?;
        parse_cpu_list(&text)
    })
}

/// The count of CPUs in a kernel CPU list such as `0-3,8-11` (what `possible` holds; the
/// kernel's possible mask is always dense from 0, but count honestly anyway).
pub(crate) fn parse_cpu_list(text: &str) -> Option<usize> {
    let mut count = 0usize;
    for part in text.trim().split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.parse::<usize>().ok()?, hi.parse::<usize>().ok()?),
            None => {
                let cpu = part.parse::<usize>().ok()?;
                (cpu, cpu)
            }
        };
        count = count.checked_add(hi.checked_sub(lo)?.checked_add(1)?)?;
    }
    (count > 0).then_some(count)
}

/// The stride of one CPU's value in a per-CPU map's userspace buffer: `round_up(value_size, 8)`.
pub(crate) fn per_cpu_stride(value_size: u32) -> usize {
    (value_size as usize).div_ceil(8) * 8
}

/// The bytes the kernel copies for one element's value (`bpf_map_value_size()`), `None` for a
/// per-CPU map when the number of possible CPUs is unknown, and for a type this crate does not
/// know: a newer kernel's type may copy more than `value_size` (as per-CPU maps do), and a
/// buffer sized from a guess would let the kernel write past it.
pub(crate) fn user_value_len(map_type: u32, value_size: u32) -> Option<usize> {
    let map_type = MapType::from_raw(map_type);
    if map_type.name().is_none() {
        None
    } else if map_type.is_per_cpu() {
        per_cpu_stride(value_size).checked_mul(possible_cpus()?)
    } else if is_fd_map(map_type) {
        Some(4)
    } else {
        Some(value_size as usize)
    }
}

/// The kernel's `IS_FD_MAP()`: maps whose userspace value is a 4-byte fd (update) or id (lookup).
fn is_fd_map(map_type: MapType) -> bool {
    matches!(
        map_type,
        MapType::PROG_ARRAY
            | MapType::PERF_EVENT_ARRAY
            | MapType::CGROUP_ARRAY
            | MapType::ARRAY_OF_MAPS
            | MapType::HASH_OF_MAPS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0\n"), Some(1));
        assert_eq!(parse_cpu_list("0-1\n"), Some(2));
        assert_eq!(parse_cpu_list("0-3,8-11"), Some(8));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn value_lengths() {
        let cpus = possible_cpus().expect("this machine has /sys");
        assert_eq!(
            user_value_len(MapType::PERCPU_ARRAY.as_raw(), 4),
            Some(8 * cpus)
        );
        assert_eq!(user_value_len(MapType::HASH.as_raw(), 12), Some(12));
        assert_eq!(user_value_len(MapType::ARRAY_OF_MAPS.as_raw(), 4), Some(4));
        assert_eq!(
            user_value_len(10_000, 4),
            None,
            "a type newer than the crate"
        );
    }
}
