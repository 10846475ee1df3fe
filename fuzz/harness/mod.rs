//! The fuzz targets' bodies, shared by the fuzz crate (`fuzz/src/lib.rs`) and by the stable
//! replay and sweep tests (`tests/fuzz_replay.rs`, `tests/sweep.rs`), which include this
//! directory with `#[path]`.
//!
//! Each target is a `run(&[u8])` that never returns an error: it panics, with a message that
//! says what was expected and what happened, when the crate breaks a promise (a panic inside
//! the crate, an error of the wrong type, a result the model did not predict, a leaked fd).
//! Everything here is safe code and depends on nothing but `bpfmaps` and `std`, so that the
//! crate's own tests can build it without the fuzz crate's dependencies.

pub mod fixtures;
pub mod input;
pub mod map_ops;
pub mod maps_section;
pub mod parse_btf;
pub mod parse_elf;
pub mod sections;
pub mod seeds;

/// The four targets, by the name of their directory under `fuzz/seeds/` and
/// `fuzz/regressions/`.
pub const TARGETS: [&str; 4] = ["parse_elf", "parse_btf", "maps_section", "map_ops"];
