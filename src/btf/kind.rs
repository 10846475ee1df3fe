//! [`Kind`]: which of the BTF kinds a type is (`BTF_KIND_*`).

use core::fmt;

/// The kind of a BTF type (`BTF_KIND_*`), as in the 5-bit field of `btf_type.info`.
///
/// An enum, unlike the crate's kernel-value newtypes: a type record of a kind this parser does
/// not know cannot be skipped (its length depends on the kind), so
/// [`Btf::parse`](super::Btf::parse) refuses it and a `Kind` is always one of these.
///
/// ```
/// use bpfmaps::btf::Kind;
/// assert_eq!(Kind::Enum64.name(), "ENUM64");
/// assert_eq!(Kind::DeclTag.number(), 17);
/// assert_eq!(Kind::from_number(4), Some(Kind::Struct));
/// assert_eq!(Kind::from_number(31), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum Kind {
    /// `BTF_KIND_UNKN`: only the implicit type 0, `void`.
    Void = 0,
    /// `BTF_KIND_INT` (also `char`, `_Bool`).
    Int = 1,
    /// `BTF_KIND_PTR`.
    Ptr = 2,
    /// `BTF_KIND_ARRAY`.
    Array = 3,
    /// `BTF_KIND_STRUCT`.
    Struct = 4,
    /// `BTF_KIND_UNION`.
    Union = 5,
    /// `BTF_KIND_ENUM`: values of at most 32 bits. Linux 4.18.
    Enum = 6,
    /// `BTF_KIND_FWD`: a forward declaration of a struct or union.
    Fwd = 7,
    /// `BTF_KIND_TYPEDEF`.
    Typedef = 8,
    /// `BTF_KIND_VOLATILE`.
    Volatile = 9,
    /// `BTF_KIND_CONST`.
    Const = 10,
    /// `BTF_KIND_RESTRICT`.
    Restrict = 11,
    /// `BTF_KIND_FUNC`: a function (not a type: its proto is). Linux 5.0.
    Func = 12,
    /// `BTF_KIND_FUNC_PROTO`: a function's signature. Linux 5.0.
    FuncProto = 13,
    /// `BTF_KIND_VAR`: a global variable. Linux 5.2.
    Var = 14,
    /// `BTF_KIND_DATASEC`: an ELF section of variables. Linux 5.2.
    Datasec = 15,
    /// `BTF_KIND_FLOAT`. Linux 5.13.
    Float = 16,
    /// `BTF_KIND_DECL_TAG`: `__attribute__((btf_decl_tag("…")))`. Linux 5.16.
    DeclTag = 17,
    /// `BTF_KIND_TYPE_TAG`: `__attribute__((btf_type_tag("…")))`. Linux 5.17.
    TypeTag = 18,
    /// `BTF_KIND_ENUM64`: values of up to 64 bits. Linux 6.0.
    Enum64 = 19,
}

impl Kind {
    /// Every kind, in number order.
    pub const ALL: [Kind; 20] = [
        Kind::Void,
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::Datasec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ];

    /// The kind whose `BTF_KIND_*` number is `number`, if this crate knows it.
    ///
    /// ```
    /// use bpfmaps::btf::Kind;
    /// // A type record's `info`: kind_flag, kind STRUCT, 2 members.
    /// let info: u32 = 1 << 31 | 4 << 24 | 2;
    /// assert_eq!(Kind::from_number((info >> 24) & 0x1f), Some(Kind::Struct));
    /// assert_eq!(Kind::from_number(20), None); // past ENUM64
    /// ```
    pub const fn from_number(number: u32) -> Option<Kind> {
        if number < Kind::ALL.len() as u32 {
            Some(Kind::ALL[number as usize])
        } else {
            None
        }
    }

    /// The `BTF_KIND_*` number.
    ///
    /// ```
    /// use bpfmaps::btf::Kind;
    /// assert_eq!(Kind::Datasec.number(), 15);
    /// // `ALL` is in number order.
    /// assert!(Kind::ALL.iter().enumerate().all(|(i, k)| k.number() as usize == i));
    /// ```
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// The kernel's name, as `bpftool btf dump` prints it: `"STRUCT"`, `"FUNC_PROTO"`, …
    ///
    /// ```
    /// use bpfmaps::btf::Kind;
    /// assert_eq!(Kind::FuncProto.name(), "FUNC_PROTO");
    /// assert_eq!(Kind::TypeTag.to_string(), Kind::TypeTag.name());
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Void => "VOID",
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
