//! [`LoadedBtf`]: a BTF object loaded into the kernel (`BPF_BTF_LOAD`).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::{Errno, Error, Result};

/// BTF type information loaded into the kernel, which maps can refer to for their key and value
/// types ([`Map::create_with_btf`](crate::Map::create_with_btf)).
///
/// The kernel keeps the BTF as long as this handle or a map created with it lives.
///
/// # File descriptor cost
///
/// One fd, owned by the handle.
///
/// ```
/// use bpfmaps::LoadedBtf;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
/// // The smallest BTF: a header, one `int` type, and the string "int".
/// let mut raw = Vec::new();
/// raw.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
/// raw.extend_from_slice(&[1, 0]); // version 1, no flags
/// for word in [24u32, 0, 16, 16, 5] {
///     // hdr_len, type_off, type_len, str_off, str_len
///     raw.extend_from_slice(&word.to_ne_bytes());
/// }
/// for word in [1u32, 1 << 24, 4, 32] {
///     // name_off, kind INT, size 4, 32 bits
///     raw.extend_from_slice(&word.to_ne_bytes());
/// }
/// raw.extend_from_slice(b"\0int\0");
/// let btf = LoadedBtf::load(&raw)?;
/// // Garbage is refused with the kernel's own reason.
/// let err = LoadedBtf::load(&raw[..20]).unwrap_err();
/// assert!(err.errno().is_some());
/// # drop(btf);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LoadedBtf {
    fd: OwnedFd,
}

/// The verifier log kept when a load fails, at most this many bytes.
const LOG_SIZE: usize = 64 * 1024;

impl LoadedBtf {
    /// `bpf(BPF_BTF_LOAD, data)` — loads raw BTF (the contents of a `.BTF` section, in the
    /// host's byte order).
    ///
    /// The first attempt passes no log buffer; only if the kernel refuses is the load repeated
    /// with a log, so the error can quote the kernel's reason.
    ///
    /// ```
    /// use bpfmaps::{Error, LoadedBtf, Map, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// # fn raw(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = 0xeb9f_u16.to_ne_bytes().to_vec();
    /// #     b.extend_from_slice(&[1, 0]);
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_ne_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// // Type 1 is `int`, in the host's byte order.
    /// let good = raw(&[1, 1 << 24, 4, 32], b"\0int\0");
    /// let btf = LoadedBtf::load(&good)?;
    /// // A hash of int to int, whose key and value types the kernel now knows.
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_type_ids(1, 1);
    /// let map = Map::create_with_btf(&spec, &btf)?;
    /// assert_ne!(map.info().btf_id(), 0);
    ///
    /// // Type 2 is a pointer to type 7, which does not exist.
    /// let bad = raw(&[1, 1 << 24, 4, 32, 0, 2 << 24, 7], b"\0int\0");
    /// let err = LoadedBtf::load(&bad).unwrap_err();
    /// assert!(matches!(&err, Error::BtfLoad { log, .. } if !log.is_empty()), "{err}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::BtfLoad`] with the errno and the kernel's log.
    #[doc(alias = "BPF_BTF_LOAD")]
    pub fn load(data: &[u8]) -> Result<LoadedBtf> {
        match crate::sys::btf_load(data, None) {
            Ok(fd) => Ok(LoadedBtf { fd }),
            Err(errno) => Err(Self::explain(data, errno)),
        }
    }

    /// `bpf(BPF_BTF_GET_FD_BY_ID, id)` — opens the loaded BTF with this id (a map's
    /// [`MapInfo::btf_id`](crate::MapInfo::btf_id)). Needs `CAP_SYS_ADMIN`.
    pub(crate) fn from_id(id: u32) -> core::result::Result<LoadedBtf, Errno> {
        crate::sys::btf_get_fd_by_id(id).map(|fd| LoadedBtf { fd })
    }

    fn explain(data: &[u8], errno: Errno) -> Error {
        let mut log = vec![0u8; LOG_SIZE];
        let log_text = match crate::sys::btf_load(data, Some(&mut log)) {
            // Loaded the second time round (a transient failure): nothing to quote.
            Ok(_fd) => String::new(),
            Err(_) => {
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                String::from_utf8_lossy(&log[..end]).trim_end().to_owned()
            }
        };
        Error::BtfLoad {
            errno,
            log: log_text,
        }
    }
}

impl AsFd for LoadedBtf {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
