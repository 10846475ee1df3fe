//! BTF (BPF Type Format): parse the `.BTF` of BPF objects and the kernel's own, and prepare
//! it for `BPF_BTF_LOAD`.
//!
//! BTF describes the C types of a BPF object or of the kernel. This module reads it from a
//! borrowed blob — the `.BTF` section of an object built with `clang -g -target bpf`, or
//! `/sys/kernel/btf/vmlinux` — without copying it, and writes the one thing a loader must
//! change before `BPF_BTF_LOAD`: the sizes and offsets of DATASECs, which clang leaves at 0.
//!
//! The blob is untrusted: [`Btf::parse`] is safe code over the bytes, every offset and count
//! is checked before use, memory is bounded by the blob's size, and every walk along type
//! references is depth-bounded. Errors ([`BtfError`]) name the byte offset and the type.
//!
//! ```
//! use bpfmaps::btf::{Btf, Kind, Type, TypeId};
//!
//! // A little-endian blob with one type: `int` (type 1).
//! let mut blob = Vec::new();
//! blob.extend_from_slice(&[0x9f, 0xeb, 1, 0]); // magic, version 1, flags
//! for word in [24u32, 0, 16, 16, 5] {
//!     // hdr_len, type_off, type_len, str_off, str_len
//!     blob.extend_from_slice(&word.to_le_bytes());
//! }
//! for word in [1u32, 1 << 24, 4, 1 << 24 | 32] {
//!     // name_off, info (kind INT), size, INT data (signed, 32 bits)
//!     blob.extend_from_slice(&word.to_le_bytes());
//! }
//! blob.extend_from_slice(b"\0int\0");
//!
//! let btf = Btf::parse(&blob)?;
//! let int = btf.find_by_name(Kind::Int, "int").unwrap();
//! assert_eq!(int, TypeId::new(1));
//! assert_eq!(btf.size_of(int)?, 4);
//! assert!(matches!(btf.type_by_id(int)?, Type::Int(i) if i.bits == 32));
//! # Ok::<(), bpfmaps::btf::BtfError>(())
//! ```
//!
//! # References
//! - [BPF Type Format](https://docs.kernel.org/bpf/btf.html) and `include/uapi/linux/btf.h`.
//! - The kernel's checks, which [`Btf::parse`] follows where they guard memory safety or
//!   termination, and relaxes where they only guard meaning: `kernel/bpf/btf.c`.

mod cursor;
mod endian;
mod error;
mod fixup;
mod header;
mod id;
mod kind;
mod read;
mod strings;
mod types;

#[cfg(test)]
mod tests;

use core::fmt;

pub use endian::Endian;
pub use error::{BtfError, BtfErrorKind};
pub use fixup::{SectionSize, VarPlacement};
pub use header::Header;
pub use id::TypeId;
pub use kind::Kind;
pub use types::{
    Array, Composite, Datasec, DatasecEntry, DeclTag, Enum, Enum64, Enum64Value, EnumValue, Float,
    Func, FuncProto, Fwd, Int, IntEncoding, Linkage, Member, Param, Type, TypeTag, Typedef, Var,
};

use cursor::Cursor;
use strings::Strings;
use types::Field;

/// How many typedefs, modifiers and array elements [`Btf::resolve`] and [`Btf::size_of`]
/// follow before calling it a loop: the kernel's `MAX_RESOLVE_DEPTH`.
///
/// ```
/// use bpfmaps::btf::{Btf, BtfErrorKind, TypeId, MAX_RESOLVE_DEPTH};
/// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
/// #     let len = 4 * types.len() as u32;
/// #     let mut b = vec![0x9f, 0xeb, 1, 0];
/// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
/// #         b.extend_from_slice(&w.to_le_bytes());
/// #     }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// # let blob = blob(&[1, 8 << 24, 1], b"\0loop_t\0");
/// // `blob`: `typedef loop_t loop_t;`: type 1 names itself, as hostile BTF may.
/// let btf = Btf::parse(&blob)?;
/// let err = btf.resolve(TypeId::new(1)).unwrap_err();
/// assert_eq!(err.kind(), &BtfErrorKind::TooDeep { max: MAX_RESOLVE_DEPTH });
/// assert!(btf.size_of(TypeId::new(1)).is_err());
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
pub const MAX_RESOLVE_DEPTH: u32 = 32;

/// Parsed BTF, borrowing the blob it was parsed from.
///
/// Types are decoded once, in [`Btf::parse`]; lookups then index a `Vec`. Names are `&'data
/// str` into the blob.
///
/// ```
/// use bpfmaps::btf::{Btf, Endian, Kind};
///
/// # let mut blob = Vec::new();
/// # blob.extend_from_slice(&[0x9f, 0xeb, 1, 0]);
/// # for w in [24u32, 0, 16, 16, 5, 1, 1 << 24, 4, 1 << 24 | 32] {
/// #     blob.extend_from_slice(&w.to_le_bytes());
/// # }
/// # blob.extend_from_slice(b"\0int\0");
/// // `blob` holds one type, `int`, little-endian (see the module example).
/// let btf = Btf::parse(&blob)?;
/// assert_eq!(btf.endian(), Endian::Little);
/// assert_eq!(btf.len(), 2); // void and int
/// for (id, ty) in btf.types() {
///     println!("[{id}] {ty}"); // "[0] VOID", "[1] INT 'int'"
/// }
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone)]
pub struct Btf<'data> {
    data: &'data [u8],
    endian: Endian,
    header: Header,
    strings: Strings<'data>,
    /// Indexed by type id; `types[0]` is [`Type::Void`].
    types: Vec<Type<'data>>,
    /// Offset in `data` of each type's record (for void, of the type section).
    offsets: Vec<usize>,
}

impl<'data> Btf<'data> {
    /// Parses a whole BTF blob: the header, then every type, then checks that every type id
    /// any type refers to exists.
    ///
    /// The magic `0xeb9f`, read in either byte order, decides the byte order of the rest.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, BtfErrorKind};
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
    /// assert_eq!(btf.len(), 2);
    /// // One byte short, the string section runs past the end.
    /// let err = Btf::parse(&blob[..blob.len() - 1]).unwrap_err();
    /// assert!(matches!(err.kind(), BtfErrorKind::SectionOutOfBounds { section: "string", .. }));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// A [`BtfError`] naming the offset, and the type id where there is one, for: a bad magic
    /// or version; a header or section that does not fit in `data`, or a type section that
    /// does not start 4-byte aligned; a truncated type record; a kind this parser does not
    /// know; a name offset outside the string section, a name without its NUL, or not UTF-8;
    /// a reference to a type id past the last type.
    ///
    /// Fields the kernel requires to be zero for a kind are not checked (the kernel checks
    /// them at `BPF_BTF_LOAD`).
    pub fn parse(data: &'data [u8]) -> Result<Btf<'data>, BtfError> {
        let (header, endian) = Header::parse(data)?;
        let type_range = header.type_range();
        let str_range = header.str_range();
        let (Some(type_bytes), Some(str_bytes)) =
            (data.get(type_range.clone()), data.get(str_range.clone()))
        else {
            // Header::parse checked both ranges; this is only a second line of defence.
            let err = BtfErrorKind::Truncated {
                what: "section",
                needed: type_range.end.max(str_range.end),
                available: data.len(),
            };
            return Err(BtfError::new(err, 0));
        };
        let strings = Strings::new(str_bytes, str_range.start);
        let cursor = Cursor::new(type_bytes, type_range.start, endian);
        let (types, offsets) = read::read_types(cursor, &strings)?;
        Ok(Btf {
            data,
            endian,
            header,
            strings,
            types,
            offsets,
        })
    }

    /// The blob's byte order, from its magic.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Endian};
    /// // An empty BTF (a header and the empty string), written big-endian.
    /// let mut be = vec![0xeb, 0x9f, 1, 0];
    /// for word in [24u32, 0, 0, 0, 1] {
    ///     be.extend_from_slice(&word.to_be_bytes());
    /// }
    /// be.push(0);
    /// assert_eq!(Btf::parse(&be)?.endian(), Endian::Big);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The blob's header.
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
    /// assert_eq!(btf.header().type_len, 16);
    /// assert_eq!(btf.header().str_len, 5);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The whole blob, as passed to [`parse`](Self::parse).
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
    /// // `blob`: one type, `int` (see the module example).
    /// let btf = Btf::parse(&blob)?;
    /// // Borrowed, not copied.
    /// assert!(std::ptr::eq(btf.data(), blob.as_slice()));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn data(&self) -> &'data [u8] {
        self.data
    }

    /// The number of types, counting void (type 0): valid ids are `0..len()`.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 10 << 24, 1], b"\0int\0");
    /// // `blob`: `int` and `const int`.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.len(), 3);
    /// assert!(btf.type_by_id(TypeId::new(2)).is_ok());
    /// assert!(btf.type_by_id(TypeId::new(3)).is_err());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Always `false`: there is always type 0, void.
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
    /// # let blob = blob(&[], b"\0");
    /// // `blob`: a header, no types, and the empty string.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.len(), 1); // void
    /// assert!(!btf.is_empty());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The type with id `id`.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Type, TypeId};
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
    /// let Type::Int(int) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
    /// assert_eq!((int.name, int.size), ("int", 4));
    /// assert_eq!(btf.type_by_id(TypeId::VOID)?, &Type::Void);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// [`BtfErrorKind::NoSuchType`] if `id` is not below [`len`](Self::len). Ids taken from
    /// this `Btf`'s own types never fail.
    pub fn type_by_id(&self, id: TypeId) -> Result<&Type<'data>, BtfError> {
        self.types.get(id.index()).ok_or_else(|| {
            let err = BtfErrorKind::NoSuchType {
                id: id.get(),
                count: self.types.len(),
            };
            BtfError::new(err, self.header.type_range().start)
        })
    }

    /// Every type with its id, void first.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Kind};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 10 << 24, 1], b"\0int\0");
    /// // `blob`: `int` and `const int`.
    /// let btf = Btf::parse(&blob)?;
    /// let kinds: Vec<(u32, Kind)> = btf.types().map(|(id, ty)| (id.get(), ty.kind())).collect();
    /// assert_eq!(kinds, [(0, Kind::Void), (1, Kind::Int), (2, Kind::Const)]);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn types(&self) -> impl ExactSizeIterator<Item = (TypeId, &Type<'data>)> + '_ {
        self.types.iter().enumerate().map(|(index, ty)| {
            // `parse` numbered every type with a u32, so this is the id it gave.
            (TypeId::new(u32::try_from(index).unwrap_or(u32::MAX)), ty)
        })
    }

    /// Offset in the blob of type `id`'s record (`struct btf_type`), or of the type section for
    /// void; `None` if there is no such type.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 10 << 24, 1], b"\0int\0");
    /// // `blob`: `int` and `const int`, after the 24-byte header.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.type_offset(TypeId::VOID), Some(24)); // the type section
    /// assert_eq!(btf.type_offset(TypeId::new(1)), Some(24));
    /// assert_eq!(btf.type_offset(TypeId::new(2)), Some(40)); // after int's 16 bytes
    /// assert_eq!(btf.type_offset(TypeId::new(3)), None);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn type_offset(&self, id: TypeId) -> Option<usize> {
        self.offsets.get(id.index()).copied()
    }

    /// The NUL-terminated string at `offset` in the string section; offset 0 is the empty
    /// name.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, BtfErrorKind};
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
    /// // `blob`: one type, `int`; the strings are "" and "int".
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.name_at(0)?, "");
    /// assert_eq!(btf.name_at(1)?, "int");
    /// let err = btf.name_at(99).unwrap_err();
    /// assert!(matches!(err.kind(), BtfErrorKind::NameOutOfRange { name_off: 99, .. }));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// [`BtfErrorKind::NameOutOfRange`], [`BtfErrorKind::NameNotTerminated`] or
    /// [`BtfErrorKind::NameNotUtf8`].
    pub fn name_at(&self, offset: u32) -> Result<&'data str, BtfError> {
        self.strings
            .get(offset, Field::String, self.header.str_range().start)
    }

    /// The type `id` names, after skipping TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG,
    /// with its id.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 10 << 24, 1, 5, 8 << 24, 2, 0, 2 << 24, 3], b"\0int\0cint\0");
    /// // `blob`: [1] `int`, [2] `const int`, [3] `typedef const int cint`, [4] `cint *`.
    /// let btf = Btf::parse(&blob)?;
    /// let (id, ty) = btf.resolve(TypeId::new(3))?;
    /// assert_eq!((id, ty.name()), (TypeId::new(1), "int"));
    /// // A pointer is a type of its own, not looked through.
    /// assert_eq!(btf.resolve(TypeId::new(4))?.0, TypeId::new(4));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// [`BtfErrorKind::NoSuchType`] for an `id` out of range; [`BtfErrorKind::TooDeep`] after
    /// [`MAX_RESOLVE_DEPTH`] steps (a typedef loop, in hostile BTF).
    pub fn resolve(&self, id: TypeId) -> Result<(TypeId, &Type<'data>), BtfError> {
        let mut current = id;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let ty = self.type_by_id(current)?;
            match ty.modifier_target() {
                Some(target) => current = target,
                None => return Ok((current, ty)),
            }
        }
        Err(self.type_error(
            BtfErrorKind::TooDeep {
                max: MAX_RESOLVE_DEPTH,
            },
            id,
        ))
    }

    /// The size in bytes of type `id`, as `sizeof` in C on a 64-bit target: INT, STRUCT,
    /// UNION, ENUM, ENUM64, FLOAT and DATASEC give their `size`, PTR is 8, an ARRAY is its
    /// element's size times `nelems`, and TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG are
    /// looked through.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, BtfErrorKind, Kind, TypeId};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 3 << 24, 0, 1, 1, 3, 5, 8 << 24, 2, 0, 2 << 24, 3], b"\0int\0triple\0");
    /// // `blob`: [1] `int`, [2] `int[3]`, [3] `typedef int triple[3]`, [4] `triple *`.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.size_of(TypeId::new(3))?, 12);
    /// assert_eq!(btf.size_of(TypeId::new(4))?, 8);
    /// let err = btf.size_of(TypeId::VOID).unwrap_err();
    /// assert!(matches!(err.kind(), BtfErrorKind::NoSize { kind: Kind::Void, .. }));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// [`BtfErrorKind::NoSize`] for void, FUNC, FUNC_PROTO, FWD, VAR and DECL_TAG;
    /// [`BtfErrorKind::SizeOverflow`] if an array's size does not fit in a `u32`;
    /// [`BtfErrorKind::TooDeep`] after [`MAX_RESOLVE_DEPTH`] modifiers and arrays;
    /// [`BtfErrorKind::NoSuchType`] for an `id` out of range.
    pub fn size_of(&self, id: TypeId) -> Result<u32, BtfError> {
        // Elements in all the arrays crossed so far; at most 32 factors of at most 2^32 each,
        // so it is checked.
        let mut nelems: u64 = 1;
        let mut current = id;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let size = match self.type_by_id(current)? {
                Type::Int(t) => t.size,
                Type::Struct(t) | Type::Union(t) => t.size,
                Type::Enum(t) => t.size,
                Type::Enum64(t) => t.size,
                Type::Float(t) => t.size,
                Type::Datasec(t) => t.size,
                Type::Ptr(_) => 8,
                Type::Array(a) => {
                    nelems = nelems.checked_mul(u64::from(a.nelems)).ok_or_else(|| {
                        let err = BtfErrorKind::SizeOverflow {
                            nelems: u64::MAX,
                            elem_size: 0,
                        };
                        self.type_error(err, id)
                    })?;
                    current = a.elem;
                    continue;
                }
                ty @ (Type::Typedef(_)
                | Type::Volatile(_)
                | Type::Const(_)
                | Type::Restrict(_)
                | Type::TypeTag(_)) => {
                    // `modifier_target` is `Some` for exactly these kinds.
                    current = ty.modifier_target().unwrap_or(TypeId::VOID);
                    continue;
                }
                ty @ (Type::Void
                | Type::Fwd(_)
                | Type::Func(_)
                | Type::FuncProto(_)
                | Type::Var(_)
                | Type::DeclTag(_)) => {
                    let kind = ty.kind();
                    return Err(self.type_error(BtfErrorKind::NoSize { kind, id: current }, id));
                }
            };
            return nelems
                .checked_mul(u64::from(size))
                .and_then(|total| u32::try_from(total).ok())
                .ok_or_else(|| {
                    let err = BtfErrorKind::SizeOverflow {
                        nelems,
                        elem_size: size,
                    };
                    self.type_error(err, id)
                });
        }
        Err(self.type_error(
            BtfErrorKind::TooDeep {
                max: MAX_RESOLVE_DEPTH,
            },
            id,
        ))
    }

    /// The first type of kind `kind` named `name`.
    ///
    /// A linear search: fine for the few lookups a loader makes; index the types yourself for
    /// many.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Kind, TypeId};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 4 << 24, 0, 1, 8 << 24, 1], b"\0pair\0");
    /// // `blob`: `typedef struct pair pair;`, an empty struct and a typedef of one name.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.find_by_name(Kind::Struct, "pair"), Some(TypeId::new(1)));
    /// assert_eq!(btf.find_by_name(Kind::Typedef, "pair"), Some(TypeId::new(2)));
    /// assert_eq!(btf.find_by_name(Kind::Union, "pair"), None);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn find_by_name(&self, kind: Kind, name: &str) -> Option<TypeId> {
        self.types()
            .find(|(_, ty)| ty.kind() == kind && ty.name() == name)
            .map(|(id, _)| id)
    }

    /// The DATASEC named `name` (`".maps"`, `".data"`, …), with its id.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 14 << 24, 1, 1, 11, 15 << 24 | 1, 4, 2, 0, 4], b"\0int\0count\0.data\0");
    /// // `blob`: `int count;` in `.data`: [1] `int`, [2] VAR `count`, [3] DATASEC `.data`.
    /// let btf = Btf::parse(&blob)?;
    /// let (id, data) = btf.datasec(".data").unwrap();
    /// assert_eq!(id, TypeId::new(3));
    /// assert_eq!(data.entries[0].type_id, TypeId::new(2));
    /// assert!(btf.datasec(".bss").is_none());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn datasec(&self, name: &str) -> Option<(TypeId, &Datasec<'data>)> {
        self.types().find_map(|(id, ty)| match ty {
            Type::Datasec(d) if d.name == name => Some((id, d)),
            _ => None,
        })
    }

    /// An error about type `id`, at its record.
    fn type_error(&self, kind: BtfErrorKind, id: TypeId) -> BtfError {
        let offset = self.type_offset(id).unwrap_or(0);
        let desc = self
            .types
            .get(id.index())
            .map(Type::to_string)
            .unwrap_or_default();
        BtfError::new(kind, offset).in_type(id, &desc)
    }
}

impl fmt::Debug for Btf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("endian", &self.endian)
            .field("header", &self.header)
            .field("types", &self.types.len())
            .finish_non_exhaustive()
    }
}
