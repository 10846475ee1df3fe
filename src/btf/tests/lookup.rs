//! Lookups on a parsed `Btf`: by id, by name, through modifiers, and sizes.

use super::builder::Builder;
use super::{all_kinds, id, ENDIANS};
use crate::btf::{Btf, BtfErrorKind, Endian, Kind, Type, TypeId, MAX_RESOLVE_DEPTH};

#[test]
fn type_by_id_out_of_range() {
    let (blob, expected) = all_kinds(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let count = expected.len();
    let err = btf.type_by_id(id(count as u32)).unwrap_err();
    assert_eq!(
        err.kind(),
        &BtfErrorKind::NoSuchType {
            id: count as u32,
            count
        }
    );
    assert!(btf.type_by_id(id(u32::MAX)).is_err());
    assert!(btf.resolve(id(u32::MAX)).is_err());
    assert!(btf.size_of(id(u32::MAX)).is_err());
}

#[test]
fn name_at() {
    let mut b = Builder::new(Endian::Big);
    let int = b.str("int");
    let bad = b.raw_str(b"\xc3");
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.name_at(0).unwrap(), "");
    assert_eq!(btf.name_at(int).unwrap(), "int");
    assert_eq!(btf.name_at(int + 1).unwrap(), "nt");
    assert!(matches!(
        btf.name_at(bad).unwrap_err().kind(),
        BtfErrorKind::NameNotUtf8 { .. }
    ));
    let err = btf.name_at(9999).unwrap_err();
    assert!(
        matches!(err.kind(), BtfErrorKind::NameOutOfRange { field, name_off: 9999, .. } if field == "string")
    );
}

#[test]
fn find_by_name_and_datasec() {
    for endian in ENDIANS {
        let (blob, _) = all_kinds(endian);
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.find_by_name(Kind::Struct, "s"), Some(id(4)));
        assert_eq!(btf.find_by_name(Kind::Union, "s"), None);
        assert_eq!(btf.find_by_name(Kind::Typedef, "td"), Some(id(9)));
        assert_eq!(btf.find_by_name(Kind::Enum64, "e64"), Some(id(20)));
        assert_eq!(btf.find_by_name(Kind::Var, "nope"), None);
        let (ds_id, ds) = btf.datasec(".maps").unwrap();
        assert_eq!(ds_id, id(16));
        assert_eq!(ds.entries[0].type_id, id(15));
        assert!(btf.datasec(".data").is_none());
    }
}

#[test]
fn resolve_skips_modifiers() {
    let (blob, _) = all_kinds(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    // typedef td -> struct s
    let (rid, ty) = btf.resolve(id(9)).unwrap();
    assert_eq!(rid, id(4));
    assert_eq!(ty.kind(), Kind::Struct);
    // const -> volatile -> int
    assert_eq!(btf.resolve(id(11)).unwrap().0, id(1));
    // restrict -> ptr (a PTR is not skipped)
    assert_eq!(btf.resolve(id(12)).unwrap().0, id(2));
    // type tag -> int
    assert_eq!(btf.resolve(id(19)).unwrap().0, id(1));
    // Not a modifier: itself.
    assert_eq!(btf.resolve(id(4)).unwrap().0, id(4));
    assert_eq!(
        btf.resolve(TypeId::VOID).unwrap(),
        (TypeId::VOID, &Type::Void)
    );
}

/// typedef A -> typedef B -> A
fn typedef_loop(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new(endian);
    b.typedef("A", 2);
    b.typedef("B", 1);
    b.build()
}

#[test]
fn modifier_loop_in_resolve_and_size_of() {
    for endian in ENDIANS {
        let blob = typedef_loop(endian);
        let btf = Btf::parse(&blob).unwrap();
        for err in [
            btf.resolve(id(1)).unwrap_err(),
            btf.size_of(id(1)).unwrap_err(),
        ] {
            assert_eq!(
                err.kind(),
                &BtfErrorKind::TooDeep {
                    max: MAX_RESOLVE_DEPTH
                }
            );
            assert_eq!(err.type_id(), Some(id(1)));
            assert_eq!(err.offset(), 24);
            assert!(
                err.to_string()
                    .starts_with("type 1 (TYPEDEF 'A'): more than 32 levels"),
                "{err}"
            );
        }
    }
    // A const of itself.
    let mut b = Builder::new(Endian::Little);
    b.modifier(Kind::Const, 1);
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert!(matches!(
        btf.resolve(id(1)).unwrap_err().kind(),
        BtfErrorKind::TooDeep { .. }
    ));
    // An array of itself.
    let mut b = Builder::new(Endian::Little);
    b.array(1, 1, 1);
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert!(matches!(
        btf.size_of(id(1)).unwrap_err().kind(),
        BtfErrorKind::TooDeep { .. }
    ));
}

#[test]
fn depth_bound_is_the_kernels() {
    for (chain, ok) in [(MAX_RESOLVE_DEPTH, true), (MAX_RESOLVE_DEPTH + 1, false)] {
        let mut b = Builder::new(Endian::Little);
        let mut target = b.int("int", 4, 1, 0, 32);
        for _ in 0..chain {
            target = b.typedef("t", target);
        }
        let blob = b.build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.resolve(id(target)).is_ok(), ok, "{chain}");
        assert_eq!(btf.size_of(id(target)).is_ok(), ok, "{chain}");
    }
}

#[test]
fn size_of() {
    for endian in ENDIANS {
        let (blob, _) = all_kinds(endian);
        let btf = Btf::parse(&blob).unwrap();
        let size = |n| btf.size_of(id(n));
        assert_eq!(size(1).unwrap(), 4); // int
        assert_eq!(size(2).unwrap(), 8); // ptr
        assert_eq!(size(3).unwrap(), 28); // int[7]
        assert_eq!(size(4).unwrap(), 16); // struct
        assert_eq!(size(5).unwrap(), 4); // union
        assert_eq!(size(6).unwrap(), 4); // enum
        assert_eq!(size(9).unwrap(), 16); // typedef -> struct
        assert_eq!(size(11).unwrap(), 4); // const volatile int
        assert_eq!(size(12).unwrap(), 8); // restrict ptr
        assert_eq!(size(16).unwrap(), 0); // datasec as clang leaves it
        assert_eq!(size(17).unwrap(), 8); // double
        assert_eq!(size(19).unwrap(), 4); // type tag -> int
        assert_eq!(size(20).unwrap(), 8); // enum64
        for (n, kind) in [
            (0, Kind::Void),
            (8, Kind::Fwd),
            (13, Kind::FuncProto),
            (14, Kind::Func),
            (15, Kind::Var),
            (18, Kind::DeclTag),
        ] {
            let err = size(n).unwrap_err();
            assert_eq!(err.kind(), &BtfErrorKind::NoSize { kind, id: id(n) }, "{n}");
            assert_eq!(err.type_id(), Some(id(n)));
        }
    }
}

#[test]
fn size_of_nested_and_empty_arrays() {
    let mut b = Builder::new(Endian::Little);
    let int = b.int("int", 4, 1, 0, 32);
    let inner = b.array(int, int, 3);
    let outer = b.array(inner, int, 2);
    let empty = b.array(outer, int, 0);
    let fwd = b.fwd("later", false);
    let of_fwd = b.array(fwd, int, 2);
    let td = b.typedef("td", of_fwd);
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.size_of(id(outer)).unwrap(), 24);
    assert_eq!(btf.size_of(id(empty)).unwrap(), 0);
    // The error names the type asked about and the one with no size.
    let err = btf.size_of(id(td)).unwrap_err();
    assert_eq!(err.type_id(), Some(id(td)));
    assert_eq!(
        err.kind(),
        &BtfErrorKind::NoSize {
            kind: Kind::Fwd,
            id: id(fwd)
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "type {td} (TYPEDEF 'td'): it resolves to FWD type {fwd}, which has no size \
             (at byte {} of the BTF)",
            btf.type_offset(id(td)).unwrap()
        )
    );
}

#[test]
fn array_size_overflow() {
    let mut b = Builder::new(Endian::Big);
    let int = b.int("int", 4, 1, 0, 32);
    let a = b.array(int, int, 0x1_0000);
    let aa = b.array(a, int, 0x1_0000);
    // Exactly 4 GiB - 4 bytes still fits.
    let char_ = b.int("char", 1, 2, 0, 8);
    let fits = b.array(char_, int, u32::MAX);
    // Eight levels of 2^32 elements overflow even a u64 count.
    let mut deep = b.array(char_, int, u32::MAX);
    for _ in 0..8 {
        deep = b.array(deep, int, u32::MAX);
    }
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.size_of(id(a)).unwrap(), 0x4_0000);
    let err = btf.size_of(id(aa)).unwrap_err();
    assert_eq!(
        err.kind(),
        &BtfErrorKind::SizeOverflow {
            nelems: 1 << 32,
            elem_size: 4
        }
    );
    assert_eq!(err.type_id(), Some(id(aa)));
    assert_eq!(btf.size_of(id(fits)).unwrap(), u32::MAX);
    let err = btf.size_of(id(deep)).unwrap_err();
    assert!(
        matches!(err.kind(), BtfErrorKind::SizeOverflow { .. }),
        "{err}"
    );
}
