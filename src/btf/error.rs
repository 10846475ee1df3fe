//! [`BtfError`]: what is wrong with a BTF blob, at which byte, in which type.

use core::ops::Range;

use super::{Endian, Kind, TypeId};

/// An error from parsing or reading BTF.
///
/// Every error carries the byte [`offset`](Self::offset) in the BTF blob where the problem is
/// (for a problem with a whole type, the start of that type's record), the
/// [`type_id`](Self::type_id) when one type is at fault, and a [`kind`](Self::kind) to match
/// on. Its `Display` puts these together into one sentence a person can act on:
///
/// ```text
/// type 17 (STRUCT 'foo'): member 2 refers to type 9999 but there are only 120 types (at byte 1308 of the BTF)
/// ```
///
/// ```
/// use bpfmaps::btf::{Btf, BtfErrorKind};
/// let err = Btf::parse(b"\x7fELF\x02\x01\x01").unwrap_err();
/// assert!(matches!(err.kind(), BtfErrorKind::BadMagic { .. }));
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err.type_id(), None);
/// assert!(err.to_string().starts_with("bad magic 0x457f"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{prefix}{kind} (at byte {offset} of the BTF)")]
pub struct BtfError {
    kind: BtfErrorKind,
    offset: usize,
    type_id: Option<TypeId>,
    /// `"type 17 (STRUCT 'foo'): "`, or empty when no type is at fault.
    prefix: String,
}

impl BtfError {
    pub(crate) fn new(kind: BtfErrorKind, offset: usize) -> Self {
        BtfError {
            kind,
            offset,
            type_id: None,
            prefix: String::new(),
        }
    }

    /// Says that the error is in type `id`, described as `desc` (`"STRUCT 'foo'"`, or just
    /// the kind while the name is not known yet). The first type named wins: an error found
    /// while following type 5 from type 3 is about type 5.
    pub(crate) fn in_type(mut self, id: TypeId, desc: &str) -> Self {
        if self.type_id.is_none() {
            self.type_id = Some(id);
            self.prefix = if desc.is_empty() {
                format!("type {id}: ")
            } else {
                format!("type {id} ({desc}): ")
            };
        }
        self
    }

    /// What went wrong.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, BtfErrorKind};
    /// // A header cut short after 10 of its 24 bytes.
    /// let err = Btf::parse(&[0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0]).unwrap_err();
    /// assert!(matches!(err.kind(), BtfErrorKind::Truncated { what: "header", .. }));
    /// ```
    pub fn kind(&self) -> &BtfErrorKind {
        &self.kind
    }

    /// Byte offset from the start of the BTF blob (its header) where the problem is.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, BtfErrorKind};
    /// let mut blob = [0u8; 24];
    /// blob[..4].copy_from_slice(&[0x9f, 0xeb, 2, 0]); // version 2
    /// let err = Btf::parse(&blob).unwrap_err();
    /// assert_eq!(err.kind(), &BtfErrorKind::UnsupportedVersion { version: 2 });
    /// assert_eq!(err.offset(), 2); // the version byte
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The type at fault, if the problem is in one type.
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
    /// # let blob = blob(&[0, 2 << 24, 5], b"\0");
    /// // `blob`: type 1 is a pointer to type 5, which does not exist.
    /// let err = Btf::parse(&blob).unwrap_err();
    /// assert_eq!(err.type_id(), Some(TypeId::new(1)));
    /// assert_eq!(err.offset(), 24); // type 1's record, right after the header
    /// assert!(err.to_string().starts_with("type 1 (PTR): target refers to type 5"));
    /// ```
    pub fn type_id(&self) -> Option<TypeId> {
        self.type_id
    }
}

/// The kinds of [`BtfError`]; each one's `Display` is the part of the message after the type.
///
/// ```
/// use bpfmaps::btf::{Btf, BtfErrorKind, TypeId};
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
/// // `blob`: one type, `int` (see the module example).
/// let btf = Btf::parse(&blob)?;
/// let err = btf.type_by_id(TypeId::new(7)).unwrap_err();
/// match err.kind() {
///     BtfErrorKind::NoSuchType { id, count } => assert_eq!((*id, *count), (7, 2)),
///     other => panic!("another error: {other}"),
/// }
/// assert_eq!(err.kind().to_string(), "no type 7: there are only 2 types");
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtfErrorKind {
    /// The first two bytes are not `0xeb9f` in either byte order.
    #[error(
        "bad magic {found:#06x} (first two bytes read little-endian): BTF starts with 0xeb9f in \
         either byte order; is this a .BTF section?"
    )]
    BadMagic {
        /// The first two bytes, read little-endian.
        found: u16,
    },
    /// Fewer bytes are left than the thing being read needs.
    #[error("truncated {what}: needs {needed} bytes, only {available} left")]
    Truncated {
        /// What was being read ("type header", "member list", …).
        what: &'static str,
        /// Bytes it needs (`usize::MAX` if the count itself overflows).
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// The header's version is not 1.
    #[error("unsupported BTF version {version}: only version 1 is defined")]
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
    /// The header's `hdr_len` is below the 24 bytes of `struct btf_header`.
    #[error("header length {hdr_len} is shorter than the 24 bytes of struct btf_header")]
    HeaderTooShort {
        /// The header's `hdr_len`.
        hdr_len: u32,
    },
    /// `hdr_len` is above 24 and the bytes past the known fields are not all zero: the blob
    /// was written for a newer header this parser (and the running kernel, likely) cannot read.
    #[error(
        "header is {hdr_len} bytes and has non-zero bytes past the 24 this parser knows: it was \
         written for a newer BTF header layout"
    )]
    UnknownHeaderFields {
        /// The header's `hdr_len`.
        hdr_len: u32,
    },
    /// A section the header describes does not fit in the data.
    #[error(
        "{section} section (offset {offset} and length {len}, counted from the end of the \
         {hdr_len}-byte header) runs past the end of the data ({data_len} bytes)"
    )]
    SectionOutOfBounds {
        /// `"type"` or `"string"`.
        section: &'static str,
        /// The section's offset, as in the header.
        offset: u32,
        /// The section's length, as in the header.
        len: u32,
        /// The header's length.
        hdr_len: u32,
        /// The length of the whole blob.
        data_len: usize,
    },
    /// The type and string sections share bytes.
    #[error(
        "the type section (bytes {}..{}) and the string section (bytes {}..{}) overlap",
        types.start, types.end, strings.start, strings.end
    )]
    SectionsOverlap {
        /// The type section, as offsets from the start of the blob.
        types: Range<usize>,
        /// The string section, as offsets from the start of the blob.
        strings: Range<usize>,
    },
    /// The type section does not start at a multiple of 4.
    #[error("type section offset {offset} is not a multiple of 4")]
    MisalignedTypeSection {
        /// The header's `type_off`.
        offset: u32,
    },
    /// A type record has a kind number this parser does not know (or 0, which only the
    /// implicit void type 0 may have).
    #[error("unknown kind {kind} (this parser knows 1 to 19)")]
    UnknownKind {
        /// The 5-bit kind number from the record's `info`.
        kind: u32,
    },
    /// A name offset is past the end of the string section.
    #[error("{field}: name offset {name_off} is past the end of the string section ({strings_len} bytes)")]
    NameOutOfRange {
        /// Whose name ("name", "member 2 name", …).
        field: String,
        /// The offset into the string section.
        name_off: u32,
        /// The string section's length.
        strings_len: usize,
    },
    /// A name runs to the end of the string section without a NUL.
    #[error(
        "{field}: the string at offset {name_off} has no NUL before the end of the string section"
    )]
    NameNotTerminated {
        /// Whose name.
        field: String,
        /// The offset into the string section.
        name_off: u32,
    },
    /// A name is not UTF-8.
    #[error(
        "{field}: the string at offset {name_off} is not UTF-8 (bad byte {valid_up_to} bytes in)"
    )]
    NameNotUtf8 {
        /// Whose name.
        field: String,
        /// The offset into the string section.
        name_off: u32,
        /// How many bytes of the string are valid UTF-8.
        valid_up_to: usize,
    },
    /// A type refers to a type id past the last type.
    #[error("{field} refers to type {target} but there are only {count} types")]
    DanglingType {
        /// Which reference ("member 2", "element type", "entry 0", …).
        field: String,
        /// The type id it refers to.
        target: u32,
        /// The number of types, void included.
        count: usize,
    },
    /// A lookup by a type id past the last type.
    #[error("no type {id}: there are only {count} types")]
    NoSuchType {
        /// The type id asked for.
        id: u32,
        /// The number of types, void included.
        count: usize,
    },
    /// Following typedefs, modifiers (and, for sizes, array elements) took more steps than the
    /// kernel allows, which in practice means a loop.
    #[error(
        "more than {max} levels of typedef, const, volatile, restrict, type tag or array \
         (a loop?)"
    )]
    TooDeep {
        /// The bound, 32 as the kernel's `MAX_RESOLVE_DEPTH`.
        max: u32,
    },
    /// An array's size does not fit in 32 bits.
    #[error("size overflows u32: {nelems} elements of {elem_size} bytes")]
    SizeOverflow {
        /// Elements in all the nested arrays, multiplied together.
        nelems: u64,
        /// Size of the innermost element.
        elem_size: u32,
    },
    /// A type that has no size (void, FUNC, FUNC_PROTO, FWD, VAR, DECL_TAG) was asked for one.
    #[error("it resolves to {kind} type {id}, which has no size")]
    NoSize {
        /// The kind with no size.
        kind: Kind,
        /// The type with no size, after following typedefs, modifiers and arrays.
        id: TypeId,
    },
    /// The BTF is not in the host's byte order, so the kernel cannot load it.
    #[error("wrong byte order for this host: the BTF is {data}, the host {host}")]
    WrongByteOrder {
        /// The byte order of the BTF.
        data: Endian,
        /// The byte order of the host.
        host: Endian,
    },
}
