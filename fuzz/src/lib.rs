//! The bodies of the fuzz targets, as plain functions over bytes.
//!
//! They live in `fuzz/harness/` so that `tests/fuzz_replay.rs` (stable toolchain, no fuzzer)
//! can include the very same code with `#[path]` and replay the committed seeds and
//! regression inputs through it.

#[path = "../harness/mod.rs"]
pub mod harness;

pub use harness::{map_ops, maps_section, parse_btf, parse_elf};
