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
    pub fn member(&self, name: &str) -> Option<&Member<'data>> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// A member of a struct or union: `struct btf_member`.
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
    pub fn byte_offset(&self) -> Option<u32> {
        (self.bit_offset % 8 == 0).then_some(self.bit_offset / 8)
    }
}

/// `BTF_KIND_ENUM`: an enum of values of at most 32 bits.
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
    pub const fn as_i64(&self) -> i64 {
        self.value as i64
    }
}

/// `BTF_KIND_FWD`: `struct foo;` or `union foo;`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fwd<'data> {
    /// The tag declared.
    pub name: &'data str,
    /// Whether it declares a union rather than a struct (`kind_flag`).
    pub is_union: bool,
}

/// `BTF_KIND_TYPEDEF`.
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
    pub const fn from_raw(raw: u32) -> Linkage {
        Linkage(raw)
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `"static"`, `"global"` or `"extern"`; `None` for a number this crate does not know.
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
    pub fn is_variadic(&self) -> bool {
        self.params
            .last()
            .is_some_and(|p| p.type_id == TypeId::VOID && p.name.is_empty())
    }
}

/// A parameter of a [`FuncProto`]: `struct btf_param`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param<'data> {
    /// The parameter's name; may be empty.
    pub name: &'data str,
    /// Its type.
    pub type_id: TypeId,
}

/// `BTF_KIND_VAR`: a global variable, such as a map definition in `.maps`.
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
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Float<'data> {
    /// `float`, `double`, `long double`.
    pub name: &'data str,
    /// Size in bytes.
    pub size: u32,
}

/// `BTF_KIND_DECL_TAG`: a tag on a declaration or on one of its members or parameters.
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
