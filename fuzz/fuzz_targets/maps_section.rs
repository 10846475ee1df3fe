//! `cargo +nightly fuzz run maps_section`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bpfmaps_fuzz::maps_section::run(data);
});
