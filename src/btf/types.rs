//! [`Type`] and the records it holds: one variant per BTF kind, names already resolved.

use core::fmt;

use super::{Kind, TypeId};

/// One BTF type, decoded, with its names looked up in the string section.
///
/// Type ids inside a `Type` that came from [`Btf::parse`](super::Btf::parse) are all in range
/// for that [`Btf`](super::Btf): the parser checks every reference, so
/// [`Btf::type_by_id`](super::Btf::type_by_id) on them cannot fail.
///
/// ```
/// use bpfmaps::btf::{Kind, Type, TypeId};
/// let ptr: Type<'static> = Type::Ptr(TypeId::new(3));
/// assert_eq!(ptr.kind(), Kind::Ptr);
/// assert_eq!(ptr.name(), "");
/// assert_eq!(ptr.to_string(), "PTR");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type<'data> {
    /// Type 0, `void`; never in the type section.
    Void,
    /// `BTF_KIND_INT`.
    Int(Int<'data>),
    /// `BTF_KIND_PTR`: a pointer to the type.
    Ptr(TypeId),
    /// `BTF_KIND_ARRAY`.
    Array(Array),
    /// `BTF_KIND_STRUCT`.
    Struct(Composite<'data>),
    /// `BTF_KIND_UNION`.
    Union(Composite<'data>),
    /// `BTF_KIND_ENUM`.
    Enum(Enum<'data>),
    /// `BTF_KIND_FWD`.
    Fwd(Fwd<'data>),
    /// `BTF_KIND_TYPEDEF`.
    Typedef(Typedef<'data>),
    /// `BTF_KIND_VOLATILE`: `volatile` the type.
    Volatile(TypeId),
    /// `BTF_KIND_CONST`: `const` the type.
    Const(TypeId),
    /// `BTF_KIND_RESTRICT`: `restrict` the type.
    Restrict(TypeId),
    /// `BTF_KIND_FUNC`.
    Func(Func<'data>),
    /// `BTF_KIND_FUNC_PROTO`.
    FuncProto(FuncProto<'data>),
    /// `BTF_KIND_VAR`.
    Var(Var<'data>),
    /// `BTF_KIND_DATASEC`.
    Datasec(Datasec<'data>),
    /// `BTF_KIND_FLOAT`.
    Float(Float<'data>),
    /// `BTF_KIND_DECL_TAG`.
    DeclTag(DeclTag<'data>),
    /// `BTF_KIND_TYPE_TAG`.
    TypeTag(TypeTag<'data>),
    /// `BTF_KIND_ENUM64`.
    Enum64(Enum64<'data>),
}

impl<'data> Type<'data> {
    /// Which kind of type this is.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 10 << 24, 1], b"\0int\0");
    /// // `blob`: `int` and `const int`.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.type_by_id(TypeId::new(2))?.kind(), Kind::Const);
    /// let ints = btf.types().filter(|(_, ty)| ty.kind() == Kind::Int).count();
    /// assert_eq!(ints, 1);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn kind(&self) -> Kind {
        match self {
            Type::Void => Kind::Void,
            Type::Int(_) => Kind::Int,
            Type::Ptr(_) => Kind::Ptr,
            Type::Array(_) => Kind::Array,
            Type::Struct(_) => Kind::Struct,
            Type::Union(_) => Kind::Union,
            Type::Enum(_) => Kind::Enum,
            Type::Fwd(_) => Kind::Fwd,
            Type::Typedef(_) => Kind::Typedef,
            Type::Volatile(_) => Kind::Volatile,
            Type::Const(_) => Kind::Const,
            Type::Restrict(_) => Kind::Restrict,
            Type::Func(_) => Kind::Func,
            Type::FuncProto(_) => Kind::FuncProto,
            Type::Var(_) => Kind::Var,
            Type::Datasec(_) => Kind::Datasec,
            Type::Float(_) => Kind::Float,
            Type::DeclTag(_) => Kind::DeclTag,
            Type::TypeTag(_) => Kind::TypeTag,
            Type::Enum64(_) => Kind::Enum64,
        }
    }

    /// The type's name; empty for kinds that have none (void, PTR, ARRAY, the modifiers,
    /// FUNC_PROTO) and for anonymous structs, unions and enums.
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
    /// # let blob = blob(&[1, 4 << 24, 0, 0, 2 << 24, 1], b"\0pair\0");
    /// // `blob`: `struct pair` (type 1) and a pointer to it.
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.type_by_id(TypeId::new(1))?.name(), "pair");
    /// assert_eq!(btf.type_by_id(TypeId::new(2))?.name(), ""); // pointers have no name
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn name(&self) -> &'data str {
        match self {
            Type::Void
            | Type::Ptr(_)
            | Type::Array(_)
            | Type::Volatile(_)
            | Type::Const(_)
            | Type::Restrict(_)
            | Type::FuncProto(_) => "",
            Type::Int(t) => t.name,
            Type::Struct(t) | Type::Union(t) => t.name,
            Type::Enum(t) => t.name,
            Type::Fwd(t) => t.name,
            Type::Typedef(t) => t.name,
            Type::Func(t) => t.name,
            Type::Var(t) => t.name,
            Type::Datasec(t) => t.name,
            Type::Float(t) => t.name,
            Type::DeclTag(t) => t.name,
            Type::TypeTag(t) => t.name,
            Type::Enum64(t) => t.name,
        }
    }

    /// For the kinds [`Btf::resolve`](super::Btf::resolve) looks through (TYPEDEF, VOLATILE,
    /// CONST, RESTRICT, TYPE_TAG), the type they qualify or name; `None` for the others.
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
    /// // Following the targets by hand, as `Btf::resolve` does:
    /// let mut id = TypeId::new(3);
    /// let mut steps = 0;
    /// while let Some(target) = btf.type_by_id(id)?.modifier_target() {
    ///     id = target;
    ///     steps += 1;
    /// }
    /// assert_eq!((id, steps), (TypeId::new(1), 2));
    /// assert_eq!(btf.type_by_id(TypeId::new(4))?.modifier_target(), None); // a pointer
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn modifier_target(&self) -> Option<TypeId> {
        match self {
            Type::Typedef(t) => Some(t.target),
            Type::TypeTag(t) => Some(t.target),
            Type::Volatile(t) | Type::Const(t) | Type::Restrict(t) => Some(*t),
            _ => None,
        }
    }

    /// Calls `f` with every type id this type refers to and which field holds it.
    pub(crate) fn visit_refs<E>(
        &self,
        mut f: impl FnMut(Field, TypeId) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Type::Void | Type::Int(_) | Type::Enum(_) | Type::Enum64(_) => Ok(()),
            Type::Fwd(_) | Type::Float(_) => Ok(()),
            Type::Ptr(t) | Type::Volatile(t) | Type::Const(t) | Type::Restrict(t) => {
                f(Field::Target, *t)
            }
            Type::Typedef(t) => f(Field::Target, t.target),
            Type::TypeTag(t) => f(Field::Target, t.target),
            Type::DeclTag(t) => f(Field::Target, t.target),
            Type::Array(a) => {
                f(Field::Elem, a.elem)?;
                f(Field::Index, a.index)
            }
            Type::Struct(c) | Type::Union(c) => c
                .members
                .iter()
                .enumerate()
                .try_for_each(|(i, m)| f(Field::Member(i), m.type_id)),
            Type::Func(t) => f(Field::Proto, t.proto),
            Type::FuncProto(p) => {
                f(Field::Return, p.ret)?;
                p.params
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, p)| f(Field::Param(i), p.type_id))
            }
            Type::Var(v) => f(Field::Type, v.type_id),
            Type::Datasec(d) => d
                .entries
                .iter()
                .enumerate()
                .try_for_each(|(i, e)| f(Field::Entry(i), e.type_id)),
        }
    }
}

/// `STRUCT 'foo'`, `STRUCT (anon)`, or just `PTR` for kinds that have no name.
impl fmt::Display for Type<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(f, self.kind(), self.name())
    }
}

/// Writes `KIND 'name'`, `KIND (anon)` or `KIND`, the way errors name a type.
pub(crate) fn describe(f: &mut impl fmt::Write, kind: Kind, name: &str) -> fmt::Result {
    match kind {
        Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 if name.is_empty() => {
            write!(f, "{kind} (anon)")
        }
        _ if name.is_empty() => write!(f, "{kind}"),
        _ => write!(f, "{kind} '{name}'"),
    }
}

/// Which field of a type holds a name or a type id, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// The type's own name.
    Name,
    /// A string looked up by offset through [`Btf::name_at`](super::Btf::name_at).
    String,
    Target,
    Elem,
    Index,
    Member(usize),
    MemberName(usize),
    ValueName(usize),
    Return,
    Param(usize),
    ParamName(usize),
    Proto,
    Type,
    Entry(usize),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Name => f.write_str("name"),
            Field::String => f.write_str("string"),
            Field::Target => f.write_str("target"),
            Field::Elem => f.write_str("element type"),
            Field::Index => f.write_str("index type"),
            Field::Member(i) => write!(f, "member {i}"),
            Field::MemberName(i) => write!(f, "member {i} name"),
            Field::ValueName(i) => write!(f, "value {i} name"),
            Field::Return => f.write_str("return type"),
            Field::Param(i) => write!(f, "param {i}"),
            Field::ParamName(i) => write!(f, "param {i} name"),
            Field::Proto => f.write_str("proto"),
            Field::Type => f.write_str("type"),
            Field::Entry(i) => write!(f, "entry {i}"),
        }
    }
}

bitflags::bitflags! {
    /// `BTF_INT_ENCODING`: how an INT's bits are to be read (for printing; the kernel does not
    /// use it otherwise). No flag means unsigned.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, IntEncoding, Kind, Type};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 1 << 24, 1, 2 << 24 | 8, 10, 1 << 24, 1, 4 << 24 | 8], b"\0int\0char\0_Bool\0");
    /// // `blob`: `int`, `char` and `_Bool`.
    /// let btf = Btf::parse(&blob)?;
    /// let encoding = |name: &str| match btf.type_by_id(btf.find_by_name(Kind::Int, name).unwrap()) {
    ///     Ok(Type::Int(int)) => int.encoding,
    ///     _ => unreachable!(),
    /// };
    /// assert_eq!(encoding("int"), IntEncoding::SIGNED);
    /// assert_eq!(encoding("char"), IntEncoding::CHAR);
    /// assert!(encoding("_Bool").contains(IntEncoding::BOOL));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct IntEncoding: u8 {
        /// `BTF_INT_SIGNED`.
        const SIGNED = 1 << 0;
        /// `BTF_INT_CHAR`.
        const CHAR = 1 << 1;
        /// `BTF_INT_BOOL`.
        const BOOL = 1 << 2;
        // Keep bits a newer compiler may set.
        const _ = !0;
    }
}

/// `BTF_KIND_INT`: an integer, `char` or `_Bool`.
///
/// ```
/// use bpfmaps::btf::{Btf, IntEncoding, Type, TypeId};
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
/// assert_eq!((int.name, int.size, int.bits, int.bit_offset), ("int", 4, 32, 0));
/// assert!(int.encoding.contains(IntEncoding::SIGNED));
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Int<'data> {
    /// `int`, `unsigned long`, `_Bool`, …
    pub name: &'data str,
    /// Size in bytes.
    pub size: u32,
    /// Signed, char, bool.
    pub encoding: IntEncoding,
    /// `BTF_INT_OFFSET`: bits to skip before the value (0 from any current compiler).
    pub bit_offset: u8,
    /// `BTF_INT_BITS`: bits in the value.
    pub bits: u8,
}

/// `BTF_KIND_ARRAY`: `struct btf_array`.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 3 << 24, 0, 1, 1, 4], b"\0int\0");
/// // `blob`: `int` and `int[4]`.
/// let btf = Btf::parse(&blob)?;
/// let Type::Array(array) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// assert_eq!((array.elem, array.nelems), (TypeId::new(1), 4));
/// assert_eq!(btf.size_of(TypeId::new(2))?, 16);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Array {
    /// The element type.
    pub elem: TypeId,
    /// The index type (an INT, by convention).
    pub index: TypeId,
    /// The number of elements (0 for a flexible array, and in `__array(values, …)`).
    pub nelems: u32,
}

/// `BTF_KIND_STRUCT` or `BTF_KIND_UNION`: a size and members.
///
/// ```
/// use bpfmaps::btf::{Btf, Kind, Type};
/// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
/// #     let len = 4 * types.len() as u32;
/// #     let mut b = vec![0x9f, 0xeb, 1, 0];
/// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
/// #         b.extend_from_slice(&w.to_le_bytes());
/// #     }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 1 << 31 | 4 << 24 | 3, 8, 11, 1, 0, 16, 1, 4 << 24 | 32, 19, 1, 4 << 24 | 36], b"\0int\0flags\0kind\0lo\0hi\0");
/// // `blob`: `struct flags { int kind; int lo: 4, hi: 4; };` (type 2).
/// let btf = Btf::parse(&blob)?;
/// let id = btf.find_by_name(Kind::Struct, "flags").unwrap();
/// let Type::Struct(flags) = btf.type_by_id(id)? else { unreachable!() };
/// assert_eq!(flags.size, 8);
/// let names: Vec<&str> = flags.members.iter().map(|m| m.name).collect();
/// assert_eq!(names, ["kind", "lo", "hi"]);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Composite<'data> {
    /// The tag (`foo` of `struct foo`); empty for an anonymous one.
    pub name: &'data str,
    /// Size in bytes.
    pub size: u32,
    /// Members in order.
    pub members: Vec<Member<'data>>,
}

impl<'data> Composite<'data> {
    /// The first member called `name` (anonymous members have the name `""`).
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 1 << 31 | 4 << 24 | 3, 8, 11, 1, 0, 16, 1, 4 << 24 | 32, 19, 1, 4 << 24 | 36], b"\0int\0flags\0kind\0lo\0hi\0");
    /// // `blob`: `struct flags { int kind; int lo: 4, hi: 4; };` (type 2).
    /// let btf = Btf::parse(&blob)?;
    /// # let Type::Struct(flags) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
    /// assert_eq!(flags.member("hi").unwrap().bit_offset, 36);
    /// assert!(flags.member("mid").is_none());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn member(&self, name: &str) -> Option<&Member<'data>> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// A member of a struct or union: `struct btf_member`.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 1 << 31 | 4 << 24 | 3, 8, 11, 1, 0, 16, 1, 4 << 24 | 32, 19, 1, 4 << 24 | 36], b"\0int\0flags\0kind\0lo\0hi\0");
/// // `blob`: `struct flags { int kind; int lo: 4, hi: 4; };` (type 2).
/// let btf = Btf::parse(&blob)?;
/// # let Type::Struct(flags) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// let lo = flags.member("lo").unwrap();
/// assert_eq!((lo.bit_offset, lo.bitfield_size), (32, 4));
/// assert_eq!(btf.type_by_id(lo.type_id)?.name(), "int");
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member<'data> {
    /// The member's name; empty for an anonymous struct or union member.
    pub name: &'data str,
    /// The member's type.
    pub type_id: TypeId,
    /// Offset from the start of the struct, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, or 0 when the member is not one (or when the struct does
    /// not set `kind_flag`, in which case a bitfield's width is its INT type's `bits`).
    pub bitfield_size: u8,
}

impl Member<'_> {
    /// Offset from the start of the struct in bytes, if the member starts on a byte.
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 1 << 31 | 4 << 24 | 3, 8, 11, 1, 0, 16, 1, 4 << 24 | 32, 19, 1, 4 << 24 | 36], b"\0int\0flags\0kind\0lo\0hi\0");
    /// // `blob`: `struct flags { int kind; int lo: 4, hi: 4; };` (type 2).
    /// let btf = Btf::parse(&blob)?;
    /// # let Type::Struct(flags) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
    /// assert_eq!(flags.member("kind").unwrap().byte_offset(), Some(0));
    /// assert_eq!(flags.member("lo").unwrap().byte_offset(), Some(4));
    /// assert_eq!(flags.member("hi").unwrap().byte_offset(), None); // bit 36
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn byte_offset(&self) -> Option<u32> {
        (self.bit_offset % 8 == 0).then_some(self.bit_offset / 8)
    }
}

/// `BTF_KIND_ENUM`: an enum of values of at most 32 bits.
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
/// # let blob = blob(&[1, 1 << 31 | 6 << 24 | 2, 4, 7, 0, 11, 0xffff_ffff, 15, 6 << 24 | 1, 4, 20, 0xffff_ffff], b"\0color\0RED\0NEG\0mask\0ALL\0");
/// // `blob`: `enum color { RED, NEG = -1 }` (type 1) and `enum mask { ALL = 0xffffffff }`.
/// let btf = Btf::parse(&blob)?;
/// let Type::Enum(color) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// assert_eq!((color.name, color.size, color.signed), ("color", 4, true));
/// assert_eq!(color.values.len(), 2);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enum<'data> {
    /// The tag; empty for an anonymous enum.
    pub name: &'data str,
    /// Size in bytes (1, 2, 4 or 8).
    pub size: u32,
    /// Whether the values are signed (`kind_flag`).
    pub signed: bool,
    /// The enumerators in order.
    pub values: Vec<EnumValue<'data>>,
}

/// An enumerator of an [`Enum`]: `struct btf_enum`.
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
/// # let blob = blob(&[1, 1 << 31 | 6 << 24 | 2, 4, 7, 0, 11, 0xffff_ffff, 15, 6 << 24 | 1, 4, 20, 0xffff_ffff], b"\0color\0RED\0NEG\0mask\0ALL\0");
/// // `blob`: `enum color { RED, NEG = -1 }` (type 1) and `enum mask { ALL = 0xffffffff }`.
/// let btf = Btf::parse(&blob)?;
/// # let Type::Enum(color) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// # let Type::Enum(mask) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// // The same 32 bits, read by each enum's signedness.
/// assert_eq!((color.values[1].name, color.values[1].value), ("NEG", -1));
/// assert_eq!((mask.values[0].name, mask.values[0].value), ("ALL", 0xffff_ffff));
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnumValue<'data> {
    /// The enumerator's name.
    pub name: &'data str,
    /// Its value: the 32 stored bits sign-extended if the enum is signed, zero-extended if
    /// not, so both kinds of enum read exactly.
    pub value: i64,
}

/// `BTF_KIND_ENUM64`: an enum of values of up to 64 bits.
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
/// # let blob = blob(&[1, 1 << 31 | 19 << 24 | 2, 8, 5, 0, 1 << 8, 10, 0xffff_ffff, 0xffff_ffff], b"\0big\0HUGE\0NEG\0");
/// // `blob`: a signed `enum big : long { HUGE = 1L << 40, NEG = -1 }`, type 1.
/// let btf = Btf::parse(&blob)?;
/// let Type::Enum64(big) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// assert_eq!((big.name, big.size, big.signed), ("big", 8, true));
/// assert_eq!(big.values[0].value, 1 << 40);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enum64<'data> {
    /// The tag; empty for an anonymous enum.
    pub name: &'data str,
    /// Size in bytes.
    pub size: u32,
    /// Whether the values are signed (`kind_flag`).
    pub signed: bool,
    /// The enumerators in order.
    pub values: Vec<Enum64Value<'data>>,
}

/// An enumerator of an [`Enum64`]: `struct btf_enum64`.
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
/// # let blob = blob(&[1, 1 << 31 | 19 << 24 | 2, 8, 5, 0, 1 << 8, 10, 0xffff_ffff, 0xffff_ffff], b"\0big\0HUGE\0NEG\0");
/// // `blob`: a signed `enum big : long { HUGE = 1L << 40, NEG = -1 }`, type 1.
/// let btf = Btf::parse(&blob)?;
/// # let Type::Enum64(big) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// let neg = &big.values[1];
/// assert_eq!(neg.name, "NEG");
/// assert_eq!(neg.value, u64::MAX); // the bits as stored
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Enum64Value<'data> {
    /// The enumerator's name.
    pub name: &'data str,
    /// Its 64 bits as stored: the value itself if the enum is unsigned; read it with
    /// [`as_i64`](Self::as_i64) if the enum is [`signed`](Enum64::signed).
    pub value: u64,
}

impl Enum64Value<'_> {
    /// The value as a signed number, for a [`signed`](Enum64::signed) enum.
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
    /// # let blob = blob(&[1, 1 << 31 | 19 << 24 | 2, 8, 5, 0, 1 << 8, 10, 0xffff_ffff, 0xffff_ffff], b"\0big\0HUGE\0NEG\0");
    /// // `blob`: a signed `enum big : long { HUGE = 1L << 40, NEG = -1 }`, type 1.
    /// let btf = Btf::parse(&blob)?;
    /// # let Type::Enum64(big) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
    /// let values: Vec<i64> = big.values.iter().map(|v| v.as_i64()).collect();
    /// assert_eq!(values, [1 << 40, -1]);
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub const fn as_i64(&self) -> i64 {
        self.value as i64
    }
}

/// `BTF_KIND_FWD`: `struct foo;` or `union foo;`.
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
/// # let blob = blob(&[1, 1 << 31 | 7 << 24, 0], b"\0node\0");
/// // `blob`: `union node;`, type 1.
/// let btf = Btf::parse(&blob)?;
/// let Type::Fwd(node) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// assert_eq!(node.name, "node");
/// assert!(node.is_union);
/// assert!(btf.size_of(TypeId::new(1)).is_err()); // declared, not defined: no size
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fwd<'data> {
    /// The tag declared.
    pub name: &'data str,
    /// Whether it declares a union rather than a struct (`kind_flag`).
    pub is_union: bool,
}

/// `BTF_KIND_TYPEDEF`.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 8 << 24, 1], b"\0int\0myint\0");
/// // `blob`: `int` and `typedef int myint;`.
/// let btf = Btf::parse(&blob)?;
/// let Type::Typedef(myint) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// assert_eq!((myint.name, myint.target), ("myint", TypeId::new(1)));
/// assert_eq!(btf.size_of(TypeId::new(2))?, 4);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Typedef<'data> {
    /// The new name.
    pub name: &'data str,
    /// The type it names.
    pub target: TypeId,
}

/// How visible a function or variable is: `enum btf_func_linkage` and the `linkage` of
/// `struct btf_var` (the two use the same numbers).
///
/// A newtype rather than an enum, so that a value a newer compiler writes stays readable.
///
/// ```
/// use bpfmaps::btf::Linkage;
/// assert_eq!(Linkage::GLOBAL.name(), Some("global"));
/// assert_eq!(Linkage::from_raw(7).to_string(), "unknown(7)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Linkage(u32);

impl Linkage {
    /// `BTF_FUNC_STATIC` / `BTF_VAR_STATIC`.
    pub const STATIC: Linkage = Linkage(0);
    /// `BTF_FUNC_GLOBAL` / `BTF_VAR_GLOBAL_ALLOCATED`.
    pub const GLOBAL: Linkage = Linkage(1);
    /// `BTF_FUNC_EXTERN` / `BTF_VAR_GLOBAL_EXTERN`.
    pub const EXTERN: Linkage = Linkage(2);

    /// The linkage numbered `raw`, known or not.
    ///
    /// ```
    /// use bpfmaps::btf::Linkage;
    /// assert_eq!(Linkage::from_raw(2), Linkage::EXTERN);
    /// assert_eq!(Linkage::from_raw(7).get(), 7); // unknown, but kept
    /// ```
    pub const fn from_raw(raw: u32) -> Linkage {
        Linkage(raw)
    }

    /// The number.
    ///
    /// ```
    /// use bpfmaps::btf::Linkage;
    /// assert_eq!(Linkage::STATIC.get(), 0);
    /// assert_eq!(Linkage::GLOBAL.get(), 1);
    /// ```
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `"static"`, `"global"` or `"extern"`; `None` for a number this crate does not know.
    ///
    /// ```
    /// use bpfmaps::btf::Linkage;
    /// assert_eq!(Linkage::EXTERN.name(), Some("extern"));
    /// assert_eq!(Linkage::from_raw(7).name(), None);
    /// ```
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("static"),
            1 => Some("global"),
            2 => Some("extern"),
            _ => None,
        }
    }
}

impl fmt::Display for Linkage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

/// `BTF_KIND_FUNC`: a function.
///
/// ```
/// use bpfmaps::btf::{Btf, Kind, Linkage, Type};
/// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
/// #     let len = 4 * types.len() as u32;
/// #     let mut b = vec![0x9f, 0xeb, 1, 0];
/// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
/// #         b.extend_from_slice(&w.to_le_bytes());
/// #     }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 13 << 24 | 2, 1, 5, 1, 0, 0, 11, 12 << 24 | 1, 2, 0, 13 << 24 | 1, 0, 5, 1], b"\0int\0level\0printk\0");
/// // `blob`: [2] the proto and [3] FUNC of `int printk(int level, ...)`, [4] `void (int level)`.
/// let btf = Btf::parse(&blob)?;
/// let id = btf.find_by_name(Kind::Func, "printk").unwrap();
/// let Type::Func(printk) = btf.type_by_id(id)? else { unreachable!() };
/// assert_eq!(printk.linkage, Linkage::GLOBAL);
/// assert_eq!(btf.type_by_id(printk.proto)?.kind(), Kind::FuncProto);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Func<'data> {
    /// The function's name.
    pub name: &'data str,
    /// Its FUNC_PROTO.
    pub proto: TypeId,
    /// Static, global or extern (stored in `vlen`).
    pub linkage: Linkage,
}

/// `BTF_KIND_FUNC_PROTO`: a function signature.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 13 << 24 | 2, 1, 5, 1, 0, 0, 11, 12 << 24 | 1, 2, 0, 13 << 24 | 1, 0, 5, 1], b"\0int\0level\0printk\0");
/// // `blob`: [2] the proto and [3] FUNC of `int printk(int level, ...)`, [4] `void (int level)`.
/// let btf = Btf::parse(&blob)?;
/// let Type::FuncProto(proto) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// assert_eq!(btf.type_by_id(proto.ret)?.name(), "int");
/// assert_eq!(proto.params.len(), 2); // `level`, and the mark of `...`
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FuncProto<'data> {
    /// The return type ([`TypeId::VOID`] for `void`).
    pub ret: TypeId,
    /// The parameters in order; a last one with type void and no name marks `...`.
    pub params: Vec<Param<'data>>,
}

impl FuncProto<'_> {
    /// Whether the function takes `...` (its last parameter is void and unnamed).
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
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 13 << 24 | 2, 1, 5, 1, 0, 0, 11, 12 << 24 | 1, 2, 0, 13 << 24 | 1, 0, 5, 1], b"\0int\0level\0printk\0");
    /// // `blob`: [2] the proto and [3] FUNC of `int printk(int level, ...)`, [4] `void (int level)`.
    /// let btf = Btf::parse(&blob)?;
    /// # let Type::FuncProto(proto) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
    /// assert!(proto.is_variadic());
    /// let Type::FuncProto(fixed) = btf.type_by_id(TypeId::new(4))? else { unreachable!() };
    /// assert!(!fixed.is_variadic());
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub fn is_variadic(&self) -> bool {
        self.params
            .last()
            .is_some_and(|p| p.type_id == TypeId::VOID && p.name.is_empty())
    }
}

/// A parameter of a [`FuncProto`]: `struct btf_param`.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 0, 13 << 24 | 2, 1, 5, 1, 0, 0, 11, 12 << 24 | 1, 2, 0, 13 << 24 | 1, 0, 5, 1], b"\0int\0level\0printk\0");
/// // `blob`: [2] the proto and [3] FUNC of `int printk(int level, ...)`, [4] `void (int level)`.
/// let btf = Btf::parse(&blob)?;
/// # let Type::FuncProto(proto) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// let level = &proto.params[0];
/// assert_eq!((level.name, level.type_id), ("level", TypeId::new(1)));
/// // `...` is a last parameter without name or type.
/// assert_eq!((proto.params[1].name, proto.params[1].type_id), ("", TypeId::VOID));
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param<'data> {
    /// The parameter's name; may be empty.
    pub name: &'data str,
    /// Its type.
    pub type_id: TypeId,
}

/// `BTF_KIND_VAR`: a global variable, such as a map definition in `.maps`.
///
/// ```
/// use bpfmaps::btf::{Btf, Kind, Linkage, Type};
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
/// let id = btf.find_by_name(Kind::Var, "count").unwrap();
/// let Type::Var(count) = btf.type_by_id(id)? else { unreachable!() };
/// assert_eq!(count.linkage, Linkage::GLOBAL);
/// assert_eq!(btf.size_of(count.type_id)?, 4);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Var<'data> {
    /// The variable's name.
    pub name: &'data str,
    /// Its type.
    pub type_id: TypeId,
    /// Static, global or extern (`struct btf_var`).
    pub linkage: Linkage,
}

/// `BTF_KIND_DATASEC`: the variables of one ELF section (`.maps`, `.data`, `.bss`, …).
///
/// Clang leaves `size` and every entry's `offset` and `size` at 0; the real ones come from the
/// ELF file, and [`Btf::to_kernel_bytes`](super::Btf::to_kernel_bytes) writes them in.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 14 << 24, 1, 1, 11, 15 << 24 | 1, 4, 2, 0, 4], b"\0int\0count\0.data\0");
/// // `blob`: `int count;` in `.data`: [1] `int`, [2] VAR `count`, [3] DATASEC `.data`.
/// let btf = Btf::parse(&blob)?;
/// let (_, data) = btf.datasec(".data").unwrap();
/// assert_eq!((data.name, data.size), (".data", 4));
/// assert_eq!(data.entries.len(), 1);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Datasec<'data> {
    /// The section's name.
    pub name: &'data str,
    /// The section's size in bytes, as stored.
    pub size: u32,
    /// One entry per variable (or extern function) in the section.
    pub entries: Vec<DatasecEntry>,
}

/// An entry of a [`Datasec`]: `struct btf_var_secinfo`.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 14 << 24, 1, 1, 11, 15 << 24 | 1, 4, 2, 0, 4], b"\0int\0count\0.data\0");
/// // `blob`: `int count;` in `.data`: [1] `int`, [2] VAR `count`, [3] DATASEC `.data`.
/// let btf = Btf::parse(&blob)?;
/// let entry = &btf.datasec(".data").unwrap().1.entries[0];
/// assert_eq!((entry.offset, entry.size), (0, 4));
/// assert_eq!(btf.type_by_id(entry.type_id)?.name(), "count");
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasecEntry {
    /// The VAR (or, in `.ksyms`, FUNC) this entry places.
    pub type_id: TypeId,
    /// Its offset in the section, as stored.
    pub offset: u32,
    /// Its size in bytes, as stored.
    pub size: u32,
}

/// `BTF_KIND_FLOAT`.
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
/// # let blob = blob(&[1, 16 << 24, 8], b"\0double\0");
/// // `blob`: `double`, type 1.
/// let btf = Btf::parse(&blob)?;
/// let Type::Float(double) = btf.type_by_id(TypeId::new(1))? else { unreachable!() };
/// assert_eq!((double.name, double.size), ("double", 8));
/// assert_eq!(btf.size_of(TypeId::new(1))?, 8);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Float<'data> {
    /// `float`, `double`, `long double`.
    pub name: &'data str,
    /// Size in bytes.
    pub size: u32,
}

/// `BTF_KIND_DECL_TAG`: a tag on a declaration or on one of its members or parameters.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 14 << 24, 1, 1, 11, 17 << 24, 2, 0xffff_ffff], b"\0int\0count\0hot\0");
/// // `blob`: `int count __attribute__((btf_decl_tag("hot")));`, the tag being type 3.
/// let btf = Btf::parse(&blob)?;
/// let Type::DeclTag(tag) = btf.type_by_id(TypeId::new(3))? else { unreachable!() };
/// assert_eq!(tag.name, "hot");
/// assert_eq!(btf.type_by_id(tag.target)?.name(), "count");
/// assert_eq!(tag.component_idx, -1); // the whole variable
/// assert!(!tag.attribute);
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeclTag<'data> {
    /// The tag's text.
    pub name: &'data str,
    /// The struct, union, FUNC, VAR or typedef tagged.
    pub target: TypeId,
    /// `-1` for the whole target, else the index of the member or parameter tagged.
    pub component_idx: i32,
    /// `kind_flag`: the tag is an `__attribute__` spelled out, not a `btf_decl_tag` (Linux
    /// 6.14).
    pub attribute: bool,
}

/// `BTF_KIND_TYPE_TAG`: a tag on a type (`__user`, `__rcu`, …), looked through like a
/// modifier.
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
/// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32, 5, 18 << 24, 1, 0, 2 << 24, 2], b"\0int\0user\0");
/// // `blob`: [1] `int`, [2] `int __attribute__((btf_type_tag("user")))`, [3] a pointer to 2.
/// let btf = Btf::parse(&blob)?;
/// let Type::TypeTag(tag) = btf.type_by_id(TypeId::new(2))? else { unreachable!() };
/// assert_eq!((tag.name, tag.target), ("user", TypeId::new(1)));
/// assert_eq!(btf.resolve(TypeId::new(2))?.0, TypeId::new(1)); // looked through
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeTag<'data> {
    /// The tag's text.
    pub name: &'data str,
    /// The type tagged.
    pub target: TypeId,
    /// `kind_flag`: the tag is an `__attribute__` spelled out, not a `btf_type_tag` (Linux
    /// 6.14).
    pub attribute: bool,
}
