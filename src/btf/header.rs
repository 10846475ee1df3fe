//! [`Header`]: `struct btf_header`, and the checks that place the two sections in the data.

use core::ops::Range;

use super::cursor::Cursor;
use super::error::{BtfError, BtfErrorKind};
use super::Endian;

/// `BTF_MAGIC`.
pub(crate) const MAGIC: u16 = 0xeb9f;
/// The only BTF version there is (`BTF_VERSION`).
pub(crate) const VERSION: u8 = 1;
/// `sizeof(struct btf_header)` as this parser knows it.
pub(crate) const HEADER_LEN: usize = 24;

/// `struct btf_header`, as read from the blob (in the blob's byte order).
///
/// The section offsets count from the end of the header (`hdr_len`), not from the start of the
/// blob; [`Header::type_range`] and [`Header::str_range`] give them from the start.
///
/// ```
/// use bpfmaps::btf::Btf;
/// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
/// #     let len = 4 * types.len() as u32;
/// #     let mut b = vec![0x9f, 0xeb, 1, 0];
/// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
/// #         b.extend_from_slice(&w.to_le_bytes());
/// #     }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32], b"\0int\0");
/// // `blob`: one type, `int` (16 bytes), and the strings "" and "int" (5 bytes).
/// let btf = Btf::parse(&blob)?;
/// let header = *btf.header();
/// assert_eq!((header.version, header.flags, header.hdr_len), (1, 0, 24));
/// assert_eq!((header.type_off, header.type_len), (0, 16));
/// assert_eq!((header.str_off, header.str_len), (16, 5));
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[doc(alias = "btf_header")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// `version`, always 1.
    pub version: u8,
    /// `flags`, unused so far.
    pub flags: u8,
    /// `hdr_len`: 24, or more for a header with fields this parser does not know (which must
    /// then be zero).
    pub hdr_len: u32,
    /// `type_off`: where the type section starts, after the header.
    pub type_off: u32,
    /// `type_len`: the type section's length in bytes.
    pub type_len: u32,
    /// `str_off`: where the string section starts, after the header.
    pub str_off: u32,
    /// `str_len`: the string section's length in bytes.
    pub str_len: u32,
}

impl Header {
    /// Reads and checks the header of `data`: magic (which decides the byte order), version,
    /// header length, and both sections inside `data`.
    pub(crate) fn parse(data: &[u8]) -> Result<(Header, Endian), BtfError> {
        // The magic first, so a file that is not BTF at all says so even when it is short.
        let magic = match data {
            [a, b, ..] => [*a, *b],
            _ => [0; 2],
        };
        let endian = match Endian::from_magic(magic) {
            Some(endian) => endian,
            None if data.len() < 2 => Endian::Little, // reported as truncated just below
            None => {
                let found = u16::from_le_bytes(magic);
                return Err(BtfError::new(BtfErrorKind::BadMagic { found }, 0));
            }
        };
        let mut cur = Cursor::new(data, 0, endian);
        let mut fixed = cur.take(HEADER_LEN, "header")?;
        let _magic = fixed.u16("header")?;
        let version = fixed.u8("header")?;
        let flags = fixed.u8("header")?;
        let hdr_len = fixed.u32("header")?;
        let type_off = fixed.u32("header")?;
        let type_len = fixed.u32("header")?;
        let str_off = fixed.u32("header")?;
        let str_len = fixed.u32("header")?;

        if version != VERSION {
            return Err(BtfError::new(
                BtfErrorKind::UnsupportedVersion { version },
                2,
            ));
        }
        let hdr_len_usize = usize::try_from(hdr_len).unwrap_or(usize::MAX);
        if hdr_len_usize < HEADER_LEN {
            return Err(BtfError::new(BtfErrorKind::HeaderTooShort { hdr_len }, 4));
        }
        // A longer header is fine as long as what we do not understand is zero (the kernel's
        // rule too): then it cannot change the meaning of what we do understand.
        let mut tail = cur.take(hdr_len_usize - HEADER_LEN, "header (hdr_len)")?;
        while !tail.is_empty() {
            let at = tail.offset();
            if tail.u8("header")? != 0 {
                return Err(BtfError::new(
                    BtfErrorKind::UnknownHeaderFields { hdr_len },
                    at,
                ));
            }
        }

        let header = Header {
            version,
            flags,
            hdr_len,
            type_off,
            type_len,
            str_off,
            str_len,
        };
        if type_off % 4 != 0 {
            return Err(BtfError::new(
                BtfErrorKind::MisalignedTypeSection { offset: type_off },
                8,
            ));
        }
        let types = header.section(data.len(), "type", type_off, type_len, 8)?;
        let strings = header.section(data.len(), "string", str_off, str_len, 16)?;
        // The kernel also wants no gap; we only refuse what would make a write to the type
        // section (`to_kernel_bytes`) change a string.
        if types.start < strings.end && strings.start < types.end {
            return Err(BtfError::new(
                BtfErrorKind::SectionsOverlap {
                    types: types.clone(),
                    strings: strings.clone(),
                },
                8,
            ));
        }
        Ok((header, endian))
    }

    /// The type section, as a range of byte offsets from the start of the blob.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, TypeId};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32], b"\0int\0");
    /// // `blob`: one type, `int`, whose record is 16 bytes.
    /// let btf = Btf::parse(&blob)?;
    /// let types = btf.header().type_range();
    /// assert_eq!(types, 24..40); // after the 24-byte header
    /// assert_eq!(btf.type_offset(TypeId::new(1)), Some(types.start));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// Only meaningful for a header that [`Btf::parse`](super::Btf::parse) accepted, which
    /// checked that the range lies inside the blob.
    pub fn type_range(&self) -> Range<usize> {
        range(self.hdr_len, self.type_off, self.type_len).unwrap_or(0..0)
    }

    /// The string section, as a range of byte offsets from the start of the blob.
    ///
    /// ```
    /// use bpfmaps::btf::Btf;
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32], b"\0int\0");
    /// // `blob`: one type, `int`, and the strings "" and "int".
    /// let btf = Btf::parse(&blob)?;
    /// let strings = btf.header().str_range();
    /// assert_eq!(strings, 40..45); // after the header and the type section
    /// assert_eq!(&btf.data()[strings], b"\0int\0");
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// Only meaningful for a header that [`Btf::parse`](super::Btf::parse) accepted.
    pub fn str_range(&self) -> Range<usize> {
        range(self.hdr_len, self.str_off, self.str_len).unwrap_or(0..0)
    }

    fn section(
        &self,
        data_len: usize,
        section: &'static str,
        offset: u32,
        len: u32,
        field_at: usize,
    ) -> Result<Range<usize>, BtfError> {
        match range(self.hdr_len, offset, len) {
            Some(r) if r.end <= data_len => Ok(r),
            _ => Err(BtfError::new(
                BtfErrorKind::SectionOutOfBounds {
                    section,
                    offset,
                    len,
                    hdr_len: self.hdr_len,
                    data_len,
                },
                field_at,
            )),
        }
    }
}

/// `hdr_len + off .. hdr_len + off + len`, if that fits in a `usize`.
fn range(hdr_len: u32, off: u32, len: u32) -> Option<Range<usize>> {
    let start = usize::try_from(hdr_len)
        .ok()?
        .checked_add(usize::try_from(off).ok()?)?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    Some(start..end)
}
