//! `cargo +nightly fuzz run parse_elf`: see `fuzz/README.md`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bpfmaps_fuzz::parse_elf::run(data);
});
