//! [`Endian`]: the byte order of a BTF blob, decided by its magic.

use core::fmt;

/// The byte order of a BTF blob.
///
/// BTF has no byte-order field: the 16-bit magic `0xeb9f` is read in both orders and whichever
/// matches decides. A little-endian host can read big-endian BTF, but the kernel only loads BTF
/// in its own order (see [`Btf::to_kernel_bytes`](super::Btf::to_kernel_bytes)).
///
/// ```
/// use bpfmaps::btf::Endian;
/// assert_eq!(Endian::from_magic([0x9f, 0xeb]), Some(Endian::Little));
/// assert_eq!(Endian::from_magic([0xeb, 0x9f]), Some(Endian::Big));
/// assert_eq!(Endian::from_magic([0x7f, b'E']), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first (x86-64, arm64, `-target bpfel`).
    Little,
    /// Most significant byte first (s390x, `-target bpfeb`).
    Big,
}

impl Endian {
    /// The byte order of the machine this code runs on.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Endian};
    /// # let mut blob = 0xeb9f_u16.to_ne_bytes().to_vec();
    /// # blob.extend_from_slice(&[1, 0]);
    /// # for w in [24u32, 0, 0, 0, 1] {
    /// #     blob.extend_from_slice(&w.to_ne_bytes());
    /// # }
    /// # blob.push(0);
    /// // `blob`: a header with no types, written with `to_ne_bytes`.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.endian(), Endian::host());
    /// // So the kernel can load it.
    /// assert!(btf.to_kernel_bytes(&|_, _| None, &|_| None).is_ok());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub const fn host() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// The byte order in which the two bytes `magic` read as `0xeb9f`, if any.
    ///
    /// ```
    /// use bpfmaps::btf::Endian;
    /// assert_eq!(Endian::from_magic(0xeb9f_u16.to_le_bytes()), Some(Endian::Little));
    /// assert_eq!(Endian::from_magic(0xeb9f_u16.to_be_bytes()), Some(Endian::Big));
    /// assert_eq!(Endian::from_magic(0xeb9f_u16.to_ne_bytes()), Some(Endian::host()));
    /// // An ELF file is not BTF.
    /// assert_eq!(Endian::from_magic(*b"\x7fE"), None);
    /// ```
    pub const fn from_magic(magic: [u8; 2]) -> Option<Endian> {
        match u16::from_le_bytes(magic) {
            super::header::MAGIC => Some(Endian::Little),
            m if m.swap_bytes() == super::header::MAGIC => Some(Endian::Big),
            _ => None,
        }
    }

    pub(crate) const fn read_u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(bytes),
            Endian::Big => u16::from_be_bytes(bytes),
        }
    }

    pub(crate) const fn read_u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(bytes),
            Endian::Big => u32::from_be_bytes(bytes),
        }
    }

    pub(crate) const fn write_u32(self, value: u32) -> [u8; 4] {
        match self {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }
}

impl fmt::Display for Endian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endian::Little => "little-endian",
            Endian::Big => "big-endian",
        })
    }
}
