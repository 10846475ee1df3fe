//! `Btf::to_kernel_bytes`: DATASEC sizes and offsets written in, nothing else changed.

use std::cell::RefCell;

use super::builder::Builder;
use super::{all_kinds, foreign, id};
use crate::btf::{Btf, BtfErrorKind, Endian, Type};

/// int; VARs a, b, c; an extern kfunc; DATASECs .maps {a, b}, .data {c}, .ksyms {kf}, .bss {}.
fn sections(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new(endian);
    let int = b.int("int", 4, 1, 0, 32); // 1
    let a = b.var("a", int, 1); // 2
    let bb = b.var("b", int, 1); // 3
    let c = b.var("c", int, 1); // 4
    let proto = b.proto(0, &[]); // 5
    let kf = b.func("kf", proto, 2); // 6
    b.datasec(".maps", 0, &[(a, 0, 0), (bb, 0, 0)]); // 7
    b.datasec(".data", 0, &[(c, 0, 0)]); // 8
    b.datasec(".ksyms", 0, &[(kf, 0, 0)]); // 9
    b.datasec(".bss", 0, &[]); // 10
    b.build()
}

fn no_fix(_: &str, _: &str) -> Option<(u32, u32)> {
    None
}

fn no_size(_: &str) -> Option<u32> {
    None
}

#[test]
fn no_fixes_gives_the_same_bytes() {
    for blob in [all_kinds(Endian::host()).0, sections(Endian::host())] {
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.to_kernel_bytes(&no_fix, &no_size).unwrap(), blob);
    }
}

#[test]
fn foreign_byte_order_is_refused() {
    let blob = sections(foreign());
    let btf = Btf::parse(&blob).unwrap();
    let err = btf.to_kernel_bytes(&no_fix, &no_size).unwrap_err();
    assert_eq!(
        err.kind(),
        &BtfErrorKind::WrongByteOrder {
            data: foreign(),
            host: Endian::host()
        }
    );
    assert_eq!(err.offset(), 0);
    assert!(
        err.to_string()
            .starts_with("wrong byte order for this host"),
        "{err}"
    );
}

#[test]
fn fixes_sizes_and_offsets_and_sorts_entries() {
    let blob = sections(Endian::host());
    let btf = Btf::parse(&blob).unwrap();
    let asked = RefCell::new(Vec::new());
    let fix = |sec: &str, var: &str| {
        asked.borrow_mut().push(format!("{sec}/{var}"));
        match (sec, var) {
            (".maps", "a") => Some((32, 32)),
            (".maps", "b") => Some((0, 32)),
            (".data", "c") => Some((0, 4)),
            _ => None,
        }
    };
    let size = |sec: &str| match sec {
        ".maps" => Some(64),
        ".data" => Some(4),
        ".ksyms" => Some(0),
        _ => None,
    };
    let fixed = btf.to_kernel_bytes(&fix, &size).unwrap();
    // Only VARs are asked about, each once.
    assert_eq!(*asked.borrow(), [".maps/a", ".maps/b", ".data/c"]);
    assert_eq!(fixed.len(), blob.len());
    // Everything before the first DATASEC record, and the strings, are untouched.
    let first = btf.type_offset(id(7)).unwrap();
    assert_eq!(fixed[..first], blob[..first]);
    let strings = btf.header().str_range();
    assert_eq!(fixed[strings.clone()], blob[strings]);

    let fixed = Btf::parse(&fixed).unwrap();
    let entries = |name: &str| {
        let (_, sec) = fixed.datasec(name).unwrap();
        let list: Vec<_> = sec
            .entries
            .iter()
            .map(|e| (e.type_id.get(), e.offset, e.size))
            .collect();
        (sec.size, list)
    };
    // Sorted by offset, as the kernel requires: b (type 3) now comes first.
    assert_eq!(entries(".maps"), (64, vec![(3, 0, 32), (2, 32, 32)]));
    assert_eq!(entries(".data"), (4, vec![(4, 0, 4)]));
    assert_eq!(entries(".ksyms"), (0, vec![(6, 0, 0)]));
    assert_eq!(entries(".bss"), (0, vec![]));
    // The types other than DATASECs are the same.
    for (tid, ty) in btf.types() {
        if !matches!(ty, Type::Datasec(_)) {
            assert_eq!(fixed.type_by_id(tid).unwrap(), ty);
        }
    }
}

#[test]
fn entries_already_in_order_stay_put() {
    let blob = sections(Endian::host());
    let btf = Btf::parse(&blob).unwrap();
    // Fixing an entry to the offset and size it has changes nothing, byte for byte.
    let same = |sec: &str, _: &str| (sec == ".maps").then_some((0, 0));
    assert_eq!(btf.to_kernel_bytes(&same, &no_size).unwrap(), blob);
    // Only `a` known: it moves behind `b`, which keeps its zeros.
    let only_a = |sec: &str, var: &str| (sec == ".maps" && var == "a").then_some((8, 8));
    let fixed = btf.to_kernel_bytes(&only_a, &no_size).unwrap();
    let fixed = Btf::parse(&fixed).unwrap();
    let (_, maps) = fixed.datasec(".maps").unwrap();
    let got: Vec<_> = maps
        .entries
        .iter()
        .map(|e| (e.type_id.get(), e.offset, e.size))
        .collect();
    assert_eq!(got, [(3, 0, 0), (2, 8, 8)]);
}
