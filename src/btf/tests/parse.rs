//! `Btf::parse`: every kind in both byte orders, and each way a blob can be wrong.

use super::builder::{Builder, RawHeader};
use super::{all_kinds, id, ENDIANS};
use crate::btf::{Btf, BtfError, BtfErrorKind, Endian, Kind, Type};

fn parse_err(blob: &[u8]) -> BtfError {
    match Btf::parse(blob) {
        Ok(btf) => panic!("parsed, with {} types, a blob that should fail", btf.len()),
        Err(e) => e,
    }
}

#[test]
fn every_kind_in_both_byte_orders() {
    for endian in ENDIANS {
        let (blob, expected) = all_kinds(endian);
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.endian(), endian);
        assert_eq!(btf.len(), expected.len());
        let got: Vec<Type<'_>> = btf.types().map(|(_, t)| t.clone()).collect();
        assert_eq!(got, expected, "{endian}");
        for (i, ty) in btf.types() {
            assert_eq!(btf.type_by_id(i).unwrap(), ty);
        }
        // The fixture really covers every kind.
        let mut kinds: Vec<u32> = btf.types().map(|(_, t)| t.kind().number()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds, (0..=19).collect::<Vec<_>>());
    }
}

#[test]
fn both_byte_orders_give_the_same_types() {
    let (le, _) = all_kinds(Endian::Little);
    let (be, _) = all_kinds(Endian::Big);
    assert_ne!(le, be);
    let le = Btf::parse(&le).unwrap();
    let be = Btf::parse(&be).unwrap();
    assert!(le.types().map(|(_, t)| t).eq(be.types().map(|(_, t)| t)));
}

#[test]
fn helpers_on_decoded_types() {
    let (blob, _) = all_kinds(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let Type::Struct(s) = btf.type_by_id(id(4)).unwrap() else {
        panic!()
    };
    assert_eq!(s.member("p").unwrap().byte_offset(), Some(8));
    assert!(s.member("q").is_none());
    let Type::Union(u) = btf.type_by_id(id(5)).unwrap() else {
        panic!()
    };
    assert_eq!(u.members[0].byte_offset(), None);
    let Type::FuncProto(p) = btf.type_by_id(id(13)).unwrap() else {
        panic!()
    };
    assert!(p.is_variadic());
    let Type::Enum64(e) = btf.type_by_id(id(21)).unwrap() else {
        panic!()
    };
    assert_eq!(e.values[0].as_i64(), -5);
    assert_eq!(btf.type_by_id(id(4)).unwrap().to_string(), "STRUCT 's'");
    assert_eq!(btf.type_by_id(id(5)).unwrap().to_string(), "UNION (anon)");
    assert_eq!(btf.type_by_id(id(3)).unwrap().to_string(), "ARRAY");
    assert_eq!(
        btf.type_by_id(id(9)).unwrap().modifier_target(),
        Some(id(4))
    );
    assert_eq!(btf.type_by_id(id(4)).unwrap().modifier_target(), None);
    assert_eq!(btf.type_offset(id(1)), Some(24));
    assert_eq!(btf.type_offset(id(2)), Some(24 + 16));
    assert_eq!(btf.type_offset(id(99)), None);
}

#[test]
fn empty_type_section_is_just_void() {
    for endian in ENDIANS {
        let blob = Builder::new(endian).build();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.len(), 1);
        assert!(!btf.is_empty());
        assert_eq!(btf.type_by_id(id(0)).unwrap(), &Type::Void);
    }
}

#[test]
fn empty_string_section_still_has_the_empty_name() {
    let mut b = Builder::new(Endian::Little);
    let int = b.record(0, Kind::Int.number(), 0, false, 4, &[32]);
    b.ptr(int);
    let blob = b.build_with(|h| h.str_len = 0);
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.name_at(0).unwrap(), "");
    assert_eq!(btf.type_by_id(id(1)).unwrap().name(), "");
}

#[test]
fn bad_magic() {
    let err = parse_err(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(err.kind(), &BtfErrorKind::BadMagic { found: 0x457f });
    assert_eq!(err.offset(), 0);
    assert_eq!(err.type_id(), None);
    let blob = Builder::new(Endian::Big).build_with(|h| h.magic = 0xeb9e);
    assert!(matches!(
        parse_err(&blob).kind(),
        BtfErrorKind::BadMagic { .. }
    ));
}

#[test]
fn truncated_header() {
    let full = Builder::new(Endian::Little).build();
    for len in 0..24 {
        let err = parse_err(&full[..len]);
        assert!(
            matches!(
                err.kind(),
                BtfErrorKind::Truncated { what: "header", needed: 24, available } if *available == len
            ),
            "{len}: {err}"
        );
        assert_eq!(err.offset(), 0);
    }
}

#[test]
fn unsupported_version() {
    let blob = Builder::new(Endian::Little).build_with(|h| h.version = 2);
    let err = parse_err(&blob);
    assert_eq!(err.kind(), &BtfErrorKind::UnsupportedVersion { version: 2 });
    assert_eq!(err.offset(), 2);
}

#[test]
fn header_length() {
    let mut b = Builder::new(Endian::Big);
    b.int("int", 4, 1, 0, 32);
    // Shorter than the struct.
    let err = parse_err(&b.build_with(|h| h.hdr_len = 20));
    assert_eq!(err.kind(), &BtfErrorKind::HeaderTooShort { hdr_len: 20 });
    // Longer, with a zero tail: fine.
    let blob = b.build_with(|h| {
        h.hdr_len = 32;
        h.tail = vec![0; 8];
    });
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.header().hdr_len, 32);
    assert_eq!(btf.type_by_id(id(1)).unwrap().name(), "int");
    assert_eq!(btf.type_offset(id(1)), Some(32));
    // Longer, with something we do not understand in the tail.
    let blob = b.build_with(|h| {
        h.hdr_len = 32;
        h.tail = vec![0, 0, 0, 0, 0, 7, 0, 0];
    });
    let err = parse_err(&blob);
    assert_eq!(
        err.kind(),
        &BtfErrorKind::UnknownHeaderFields { hdr_len: 32 }
    );
    assert_eq!(err.offset(), 29);
    // Longer than the data.
    let err = parse_err(&b.build_with(|h| h.hdr_len = u32::MAX));
    assert!(
        matches!(
            err.kind(),
            BtfErrorKind::Truncated {
                what: "header (hdr_len)",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn sections_outside_the_data() {
    let mut b = Builder::new(Endian::Little);
    b.int("int", 4, 1, 0, 32);
    let len = b.build().len();
    type Tamper = fn(&mut RawHeader);
    let cases: [(&str, Tamper); 6] = [
        ("type", |h| h.type_len += h.str_len + 4),
        ("type", |h| h.type_off = (h.str_off + h.str_len + 3) & !3),
        ("type", |h| {
            (h.type_off, h.type_len) = (u32::MAX - 3, u32::MAX)
        }),
        ("string", |h| h.str_len += 1),
        ("string", |h| h.str_off = u32::MAX),
        // A header that claims 4 GiB of types: refused before anything is allocated.
        ("type", |h| h.type_len = u32::MAX),
    ];
    for (section, tamper) in cases {
        let err = parse_err(&b.build_with(tamper));
        match err.kind() {
            BtfErrorKind::SectionOutOfBounds {
                section: s,
                data_len,
                hdr_len: 24,
                ..
            } => {
                assert_eq!(*s, section);
                assert_eq!(*data_len, len);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.offset(), if section == "type" { 8 } else { 16 });
        assert!(
            err.to_string().contains("runs past the end of the data"),
            "{err}"
        );
    }
}

#[test]
fn overlapping_sections() {
    let mut b = Builder::new(Endian::Little);
    b.int("int", 4, 1, 0, 32);
    // Strings starting inside the types.
    let err = parse_err(&b.build_with(|h| h.str_off -= 4));
    assert_eq!(
        err.kind(),
        &BtfErrorKind::SectionsOverlap {
            types: 24..40,
            strings: 36..41
        }
    );
    // Types starting inside the strings.
    let err = parse_err(&b.build_with(|h| (h.type_off, h.type_len) = (h.str_off, 4)));
    assert!(
        matches!(err.kind(), BtfErrorKind::SectionsOverlap { .. }),
        "{err}"
    );
    // Strings first, then types, is fine; so is an empty section anywhere.
    let blob = b.build_with(|h| h.type_len = 0);
    assert_eq!(Btf::parse(&blob).unwrap().len(), 1);
}

#[test]
fn misaligned_type_section() {
    let mut b = Builder::new(Endian::Little);
    b.int("int", 4, 1, 0, 32);
    let blob = b.build_with(|h| {
        h.type_off = 2;
        h.type_len -= 2;
    });
    let err = parse_err(&blob);
    assert_eq!(
        err.kind(),
        &BtfErrorKind::MisalignedTypeSection { offset: 2 }
    );
}

#[test]
fn truncated_type() {
    for endian in ENDIANS {
        let mut b = Builder::new(endian);
        b.int("int", 4, 1, 0, 32);
        b.strukt("s", 8, &[("a", 1, 0), ("b", 1, 32)]);
        // Cut the last member's last word: the member list no longer fits.
        let err = parse_err(&b.build_with(|h| h.type_len -= 4));
        assert_eq!(err.type_id(), Some(id(2)));
        assert_eq!(
            err.kind(),
            &BtfErrorKind::Truncated {
                what: "member list",
                needed: 24,
                available: 20
            }
        );
        assert_eq!(err.offset(), 24 + 16 + 12);
        assert_eq!(
            err.to_string(),
            "type 2 (STRUCT 's'): truncated member list: needs 24 bytes, only 20 left \
             (at byte 52 of the BTF)"
        );
        // Cut into the header of the second type.
        let err = parse_err(&b.build_with(|h| h.type_len = 16 + 8));
        assert_eq!(err.type_id(), Some(id(2)));
        assert!(matches!(
            err.kind(),
            BtfErrorKind::Truncated {
                what: "type header",
                needed: 12,
                available: 8
            }
        ));
        // Cut the INT's data word.
        let err = parse_err(&b.build_with(|h| h.type_len = 12));
        assert_eq!(err.type_id(), Some(id(1)));
        assert!(matches!(
            err.kind(),
            BtfErrorKind::Truncated {
                what: "INT data",
                ..
            }
        ));
    }
}

#[test]
fn vlen_larger_than_the_data() {
    // Each kind with a vlen-counted list, claiming 65535 entries with none there.
    for kind in [
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::FuncProto,
        Kind::Datasec,
        Kind::Enum64,
    ] {
        let mut b = Builder::new(Endian::Little);
        let name = b.str("x");
        b.record(name, kind.number(), 0xffff, false, 4, &[]);
        let err = parse_err(&b.build());
        assert_eq!(err.type_id(), Some(id(1)), "{kind}");
        match err.kind() {
            BtfErrorKind::Truncated {
                needed,
                available: 0,
                ..
            } => {
                assert!(*needed >= 65535 * 8, "{kind}: {needed}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[test]
fn member_type_out_of_range() {
    let mut b = Builder::new(Endian::Little);
    b.int("int", 4, 1, 0, 32);
    b.strukt("foo", 8, &[("a", 1, 0), ("b", 9999, 32)]);
    let err = parse_err(&b.build());
    assert_eq!(err.type_id(), Some(id(2)));
    assert_eq!(err.offset(), 24 + 16);
    assert_eq!(
        err.kind(),
        &BtfErrorKind::DanglingType {
            field: "member 1".into(),
            target: 9999,
            count: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "type 2 (STRUCT 'foo'): member 1 refers to type 9999 but there are only 3 types \
         (at byte 40 of the BTF)"
    );
}

#[test]
fn every_reference_is_checked() {
    // One type per referring field, each pointing one past the last type.
    type Add = fn(&mut Builder, u32) -> u32;
    let cases: [(&str, Add); 14] = [
        ("target", |b, bad| b.ptr(bad)),
        ("element type", |b, bad| b.array(bad, 1, 1)),
        ("index type", |b, bad| b.array(1, bad, 1)),
        ("target", |b, bad| b.typedef("t", bad)),
        ("target", |b, bad| b.modifier(Kind::Volatile, bad)),
        ("target", |b, bad| b.modifier(Kind::Const, bad)),
        ("target", |b, bad| b.modifier(Kind::Restrict, bad)),
        ("proto", |b, bad| b.func("f", bad, 0)),
        ("return type", |b, bad| b.proto(bad, &[])),
        ("param 1", |b, bad| b.proto(0, &[("a", 1), ("b", bad)])),
        ("type", |b, bad| b.var("v", bad, 0)),
        ("entry 0", |b, bad| b.datasec(".data", 0, &[(bad, 0, 0)])),
        ("target", |b, bad| b.decl_tag("d", bad, -1, false)),
        ("target", |b, bad| b.type_tag("t", bad, false)),
    ];
    for (field, add) in cases {
        let mut b = Builder::new(Endian::Big);
        b.int("int", 4, 1, 0, 32);
        let bad_id = b.next_id() + 1; // == the count of types, void included
        let at = add(&mut b, bad_id);
        let err = parse_err(&b.build());
        assert_eq!(err.type_id(), Some(id(at)), "{field}");
        assert_eq!(
            err.kind(),
            &BtfErrorKind::DanglingType {
                field: field.into(),
                target: bad_id,
                count: bad_id as usize
            }
        );
        // One less is the last type, which is fine.
        let mut b = Builder::new(Endian::Big);
        b.int("int", 4, 1, 0, 32);
        add(&mut b, bad_id - 1);
        Btf::parse(&b.build()).unwrap();
    }
}

#[test]
fn name_offset_out_of_range() {
    let mut b = Builder::new(Endian::Little);
    b.record(1000, Kind::Int.number(), 0, false, 4, &[32]);
    let err = parse_err(&b.build());
    assert_eq!(err.type_id(), Some(id(1)));
    assert_eq!(err.offset(), 24);
    assert_eq!(
        err.kind(),
        &BtfErrorKind::NameOutOfRange {
            field: "name".into(),
            name_off: 1000,
            strings_len: 1
        }
    );
    assert!(
        err.to_string()
            .starts_with("type 1 (INT): name: name offset 1000"),
        "{err}"
    );

    // A member's name: the error names the struct and the member.
    let mut b = Builder::new(Endian::Little);
    let int = b.int("int", 4, 1, 0, 32);
    let s = b.str("s");
    b.record(s, Kind::Struct.number(), 1, false, 4, &[500, int, 0]);
    let err = parse_err(&b.build());
    assert_eq!(err.type_id(), Some(id(2)));
    assert_eq!(err.offset(), 24 + 16 + 12);
    assert!(
        err.to_string()
            .starts_with("type 2 (STRUCT 's'): member 0 name: name offset 500"),
        "{err}"
    );

    // Exactly at the end of the string section is out of range too.
    let mut b = Builder::new(Endian::Little);
    let end = b.header().str_len;
    b.record(end, Kind::Float.number(), 0, false, 4, &[]);
    assert!(matches!(
        parse_err(&b.build()).kind(),
        BtfErrorKind::NameOutOfRange { .. }
    ));
}

#[test]
fn name_without_nul() {
    let mut b = Builder::new(Endian::Big);
    let off = b.header().str_len;
    b.raw_strings(b"unterminated");
    b.record(off, Kind::Typedef.number(), 0, false, 0, &[]);
    let blob = b.build();
    let err = parse_err(&blob);
    assert_eq!(err.type_id(), Some(id(1)));
    assert_eq!(
        err.kind(),
        &BtfErrorKind::NameNotTerminated {
            field: "name".into(),
            name_off: off
        }
    );
    assert_eq!(err.offset(), blob.len() - "unterminated".len());
}

#[test]
fn name_not_utf8() {
    let mut b = Builder::new(Endian::Little);
    let off = b.raw_str(b"ok\xff\xfe");
    b.record(off, Kind::Float.number(), 0, false, 8, &[]);
    let blob = b.build();
    let err = parse_err(&blob);
    assert_eq!(err.type_id(), Some(id(1)));
    assert_eq!(
        err.kind(),
        &BtfErrorKind::NameNotUtf8 {
            field: "name".into(),
            name_off: off,
            valid_up_to: 2
        }
    );
    assert_eq!(err.offset(), blob.len() - 5 + 2);
    assert!(err.to_string().contains("not UTF-8"), "{err}");
}

#[test]
fn unknown_kind() {
    for kind in [0, 20, 31] {
        let mut b = Builder::new(Endian::Little);
        b.int("int", 4, 1, 0, 32);
        b.record(0, kind, 0, false, 0, &[]);
        let err = parse_err(&b.build());
        assert_eq!(err.kind(), &BtfErrorKind::UnknownKind { kind });
        assert_eq!(err.type_id(), Some(id(2)));
        assert_eq!(err.offset(), 24 + 16);
        assert_eq!(
            err.to_string(),
            format!(
                "type 2: unknown kind {kind} (this parser knows 1 to 19) (at byte 40 of the BTF)"
            )
        );
    }
}

#[test]
fn bits_between_kind_and_kind_flag_are_ignored() {
    // Bits 29-30 of info are unused; the kernel rejects them, we need not.
    let mut b = Builder::new(Endian::Little);
    let name = b.str("int");
    b.record(name, Kind::Int.number() | (0b11 << 5), 0, false, 4, &[32]);
    let blob = b.build();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.type_by_id(id(1)).unwrap().kind(), Kind::Int);
}
