//! `cargo +nightly fuzz run map_ops`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bpfmaps_fuzz::map_ops::run(data);
});
