//! Tests of the BTF parser, over blobs written by a small test-only [`builder`], and over the
//! running kernel's own BTF.

mod builder;
mod fixup;
mod hostile;
mod lookup;
mod parse;
mod vmlinux;

use super::types::*;
use super::{Endian, Kind, TypeId};
use builder::Builder;

/// Both byte orders, for tests that must hold in each.
const ENDIANS: [Endian; 2] = [Endian::Little, Endian::Big];

/// The byte order that is not the host's.
fn foreign() -> Endian {
    match Endian::host() {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

fn id(n: u32) -> TypeId {
    TypeId::new(n)
}

/// A blob with one type of every kind, and the types [`Btf::parse`](super::Btf::parse) must
/// decode from it (void first).
fn all_kinds(endian: Endian) -> (Vec<u8>, Vec<Type<'static>>) {
    let mut b = Builder::new(endian);
    let int = b.int("int", 4, 1, 0, 32); // 1
    let ptr = b.ptr(int); // 2
    b.array(int, int, 7); // 3
    let st = b.strukt("s", 16, &[("a", int, 0), ("p", ptr, 64)]); // 4
    b.composite(
        Kind::Union,
        "",
        4,
        true,
        &[("bf", int, (3 << 24) | 5), ("", st, 0)],
    ); // 5
    b.enum32("e", 4, true, &[("NEG", (-2i32) as u32), ("POS", 7)]); // 6
    b.enum32("u", 4, false, &[("BIG", 0xffff_fff0)]); // 7
    b.fwd("f", true); // 8
    b.typedef("td", st); // 9
    let vol = b.modifier(Kind::Volatile, int); // 10
    b.modifier(Kind::Const, vol); // 11
    b.modifier(Kind::Restrict, ptr); // 12
    let proto = b.proto(int, &[("x", int), ("", 0)]); // 13
    b.func("fn", proto, 1); // 14
    let var = b.var("v", st, 1); // 15
    b.datasec(".maps", 0, &[(var, 0, 0)]); // 16
    b.float("double", 8); // 17
    b.decl_tag("tag", st, 1, false); // 18
    b.type_tag("user", int, true); // 19
    b.enum64("e64", 8, false, &[("HUGE", u64::MAX - 1), ("ONE", 1)]); // 20
    b.enum64("", 8, true, &[("MINUS", (-5i64) as u64)]); // 21

    let expected = vec![
        Type::Void,
        Type::Int(Int {
            name: "int",
            size: 4,
            encoding: IntEncoding::SIGNED,
            bit_offset: 0,
            bits: 32,
        }),
        Type::Ptr(id(1)),
        Type::Array(Array {
            elem: id(1),
            index: id(1),
            nelems: 7,
        }),
        Type::Struct(Composite {
            name: "s",
            size: 16,
            members: vec![
                Member {
                    name: "a",
                    type_id: id(1),
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                Member {
                    name: "p",
                    type_id: id(2),
                    bit_offset: 64,
                    bitfield_size: 0,
                },
            ],
        }),
        Type::Union(Composite {
            name: "",
            size: 4,
            members: vec![
                Member {
                    name: "bf",
                    type_id: id(1),
                    bit_offset: 5,
                    bitfield_size: 3,
                },
                Member {
                    name: "",
                    type_id: id(4),
                    bit_offset: 0,
                    bitfield_size: 0,
                },
            ],
        }),
        Type::Enum(Enum {
            name: "e",
            size: 4,
            signed: true,
            values: vec![
                EnumValue {
                    name: "NEG",
                    value: -2,
                },
                EnumValue {
                    name: "POS",
                    value: 7,
                },
            ],
        }),
        Type::Enum(Enum {
            name: "u",
            size: 4,
            signed: false,
            values: vec![EnumValue {
                name: "BIG",
                value: 0xffff_fff0,
            }],
        }),
        Type::Fwd(Fwd {
            name: "f",
            is_union: true,
        }),
        Type::Typedef(Typedef {
            name: "td",
            target: id(4),
        }),
        Type::Volatile(id(1)),
        Type::Const(id(10)),
        Type::Restrict(id(2)),
        Type::FuncProto(FuncProto {
            ret: id(1),
            params: vec![
                Param {
                    name: "x",
                    type_id: id(1),
                },
                Param {
                    name: "",
                    type_id: TypeId::VOID,
                },
            ],
        }),
        Type::Func(Func {
            name: "fn",
            proto: id(13),
            linkage: Linkage::GLOBAL,
        }),
        Type::Var(Var {
            name: "v",
            type_id: id(4),
            linkage: Linkage::GLOBAL,
        }),
        Type::Datasec(Datasec {
            name: ".maps",
            size: 0,
            entries: vec![DatasecEntry {
                type_id: id(15),
                offset: 0,
                size: 0,
            }],
        }),
        Type::Float(Float {
            name: "double",
            size: 8,
        }),
        Type::DeclTag(DeclTag {
            name: "tag",
            target: id(4),
            component_idx: 1,
            attribute: false,
        }),
        Type::TypeTag(TypeTag {
            name: "user",
            target: id(1),
            attribute: true,
        }),
        Type::Enum64(Enum64 {
            name: "e64",
            size: 8,
            signed: false,
            values: vec![
                Enum64Value {
                    name: "HUGE",
                    value: u64::MAX - 1,
                },
                Enum64Value {
                    name: "ONE",
                    value: 1,
                },
            ],
        }),
        Type::Enum64(Enum64 {
            name: "",
            size: 8,
            signed: true,
            values: vec![Enum64Value {
                name: "MINUS",
                value: (-5i64) as u64,
            }],
        }),
    ];
    (b.build(), expected)
}
