//! The seed corpus, generated from the fixtures: what is committed under `fuzz/seeds/`.
//!
//! `BPFMAPS_WRITE_SEEDS=1 cargo test --test fuzz_replay seeds` rewrites the directory from
//! [`generate`]; without the variable, the test checks that the committed files are exactly
//! these.

use super::fixtures::FIXTURES;
use super::map_ops::{self, Op};
use super::sections;

/// One seed file: its target, its file name, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The target (directory under `fuzz/seeds/`).
    pub target: &'static str,
    /// The file name.
    pub name: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// Every seed, in a stable order.
pub fn generate() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add = |target, name: String, bytes| {
        seeds.push(Seed {
            target,
            name,
            bytes,
        })
    };
    for (index, (file, bytes)) in FIXTURES.iter().enumerate() {
        let stem = file.trim_end_matches(".bpf.o");
        add("parse_elf", (*file).to_owned(), bytes.to_vec());
        if let Some(btf) = sections::find(bytes, ".BTF") {
            add("parse_btf", format!("{stem}.btf"), bytes[btf].to_vec());
        }
        let index = u8::try_from(index).expect("fewer than 256 fixtures");
        // The fixture untouched, then one edit of each section kind at its start.
        add("maps_section", format!("{stem}-as-is"), vec![index]);
        add(
            "maps_section",
            format!("{stem}-edits"),
            vec![
                index, 0, 3, 8, 0, 9, // .maps: word 0xffffffff at 8
                1, 0, 12, 0, 0xff, // .BTF: byte 12 set to 0xff
                2, 1, 8, 0, 1, // .rel.maps: byte 8 xor 1
                3, 3, 24, 0, 1, // .symtab: word 1 at 24
            ],
        );
    }
    for (name, setup, ops) in map_ops_seeds() {
        add("map_ops", name.to_owned(), map_ops::encode(setup, &ops));
    }
    seeds
}

/// Sequences that reach every operation at least once, on both outer types.
fn map_ops_seeds() -> Vec<(&'static str, [u8; 2], Vec<Op>)> {
    let insert = |key, handle| Op::Insert {
        key,
        handle,
        mode: 0,
    };
    let basic = vec![
        Op::NewInner,
        Op::NewInner,
        insert(0, 0),
        insert(1, 1),
        Op::Lookup(0),
        Op::Get(1),
        Op::Iter,
        Op::LookupAll,
        Op::LookupBatch(0),
        Op::Remove(0),
        Op::Remove(0),
        Op::Drop(0),
        Op::FromId(0),
    ];
    let refusals = vec![
        Op::Create {
            ty: 0,
            key: 0,
            value: 1,
            max: 0,
            flags: 0,
        },
        Op::Create {
            ty: 2,
            key: 0,
            value: 0,
            max: 1,
            flags: 0,
        },
        Op::Create {
            ty: 3,
            key: 0,
            value: 0,
            max: 0,
            flags: 0,
        },
        insert(0, 0),
        insert(0, 1),
        Op::InsertSelf(0),
        Op::NewInnerSized(2),
        Op::NewInnerSized(4),
        insert(9, 2),
        Op::Insert {
            key: 0,
            handle: 2,
            mode: 1,
        },
    ];
    let batches = vec![
        Op::NewInner,
        Op::NewInner,
        Op::NewInner,
        Op::InsertBatch {
            entries: vec![(0, 0), (1, 1), (2, 2)],
            mode: 0,
        },
        Op::LookupBatch(0),
        Op::RemoveBatch(vec![0, 5, 1]),
        Op::InsertBatch {
            entries: vec![(3, 0), (4, 1)],
            mode: 2,
        },
        Op::LookupAll,
        Op::RemoveBatch(vec![3, 4]),
        Op::Iter,
    ];
    vec![
        // Array of 4 maps, template ARRAY of 4-byte values and 2 entries.
        ("array-basic", [0b0110, 0b0001_0000], basic.clone()),
        // Hash of 4 maps with a registry, template HASH.
        ("hash-registry-basic", [0b1111, 0b0000_0010], basic),
        // Array of 3 maps, template ARRAY with BPF_F_INNER_MAP.
        (
            "array-inner-map-refusals",
            [0b0100, 0b0000_0001],
            refusals.clone(),
        ),
        // Hash of 2 maps, BPF_F_NO_PREALLOC, template HASH with 8-byte values.
        ("hash-refusals", [0b1_0011, 0b0000_0110], refusals),
        ("array-batches", [0b0110, 0b0010_0000], batches.clone()),
        ("hash-batches", [0b0111, 0b0010_0010], batches),
    ]
}
