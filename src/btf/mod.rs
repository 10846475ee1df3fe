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
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The blob's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The whole blob, as passed to [`parse`](Self::parse).
    pub fn data(&self) -> &'data [u8] {
        self.data
    }

    /// The number of types, counting void (type 0): valid ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Always `false`: there is always type 0, void.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The type with id `id`.
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
    pub fn types(&self) -> impl ExactSizeIterator<Item = (TypeId, &Type<'data>)> + '_ {
        self.types.iter().enumerate().map(|(index, ty)| {
            // `parse` numbered every type with a u32, so this is the id it gave.
            (TypeId::new(u32::try_from(index).unwrap_or(u32::MAX)), ty)
        })
    }

    /// Offset in the blob of type `id`'s record (`struct btf_type`), or of the type section for
    /// void; `None` if there is no such type.
    pub fn type_offset(&self, id: TypeId) -> Option<usize> {
        self.offsets.get(id.index()).copied()
    }

    /// The NUL-terminated string at `offset` in the string section; offset 0 is the empty
    /// name.
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
    pub fn find_by_name(&self, kind: Kind, name: &str) -> Option<TypeId> {
        self.types()
            .find(|(_, ty)| ty.kind() == kind && ty.name() == name)
            .map(|(id, _)| id)
    }

    /// The DATASEC named `name` (`".maps"`, `".data"`, …), with its id.
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
