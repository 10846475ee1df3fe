//! Replays the committed fuzz inputs — the seeds under `fuzz/seeds/` and the crash inputs
//! under `fuzz/regressions/` — through the fuzz targets' own bodies (`fuzz/harness/`, included
//! here with `#[path]`), on the stable toolchain and without a fuzzer.
//!
//! The parser targets need no kernel. `map_ops` runs against the kernel: skipped (with the
//! reason printed) where maps cannot be created, unless `BPFMAPS_REQUIRE_KERNEL=1`.

mod common;

#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{map_ops, maps_section, parse_btf, parse_elf, seeds, TARGETS};

fn fuzz_dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target)
}

/// The files of `fuzz/<kind>/<target>/`, sorted by name (none if the directory is absent).
fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir(kind, target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("read a fuzz directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Runs `body` on one input, naming the file if it panics.
fn replay<T>(kind: &str, target: &str, name: &str, bytes: &[u8], body: fn(&[u8]) -> T) -> T {
    match std::panic::catch_unwind(|| body(bytes)) {
        Ok(v) => v,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            panic!("fuzz/{kind}/{target}/{name}: {msg}");
        }
    }
}

#[test]
fn committed_seeds_are_the_generated_ones() {
    let mut generated = seeds::generate();
    generated.sort_by(|a, b| a.name.cmp(&b.name));
    if std::env::var_os("BPFMAPS_WRITE_SEEDS").is_some_and(|v| v == "1") {
        for target in TARGETS {
            let dir = fuzz_dir("seeds", target);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        for seed in &generated {
            std::fs::write(fuzz_dir("seeds", seed.target).join(&seed.name), &seed.bytes).unwrap();
        }
        eprintln!("wrote {} seeds under fuzz/seeds/", generated.len());
    }
    for target in TARGETS {
        let want: Vec<(String, Vec<u8>)> = generated
            .iter()
            .filter(|s| s.target == target)
            .map(|s| (s.name.clone(), s.bytes.clone()))
            .collect();
        let got = inputs("seeds", target);
        assert!(!want.is_empty(), "{target}: no seeds generated");
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&got),
            names(&want),
            "fuzz/seeds/{target}: regenerate with BPFMAPS_WRITE_SEEDS=1 cargo test --test \
             fuzz_replay committed_seeds"
        );
        for ((name, got), (_, want)) in got.iter().zip(&want) {
            assert!(
                got == want,
                "fuzz/seeds/{target}/{name} differs from the generated seed"
            );
        }
    }
}

#[test]
fn parse_elf_seeds_and_regressions() {
    // Every seed is a committed fixture, and every fixture parses (the refusal fixtures are
    // refused by the loader's checks, not by the parser) but one: an unknown field is refused
    // by the strict parse (the relaxed one, which the target runs too, skips it).
    let seeds = inputs("seeds", "parse_elf");
    assert_eq!(seeds.len(), harness::fixtures::FIXTURES.len());
    for (name, bytes) in &seeds {
        let outcome = replay("seeds", "parse_elf", name, bytes, parse_elf::run);
        if name == "refuse_unknown_field.bpf.o" {
            assert_eq!(outcome, parse_elf::Outcome::Refused);
        } else {
            assert!(
                matches!(outcome, parse_elf::Outcome::Parsed { maps } if maps > 0),
                "{name}: {outcome:?}"
            );
        }
    }
    for (name, bytes) in inputs("regressions", "parse_elf") {
        replay("regressions", "parse_elf", &name, &bytes, parse_elf::run);
    }
}

#[test]
fn parse_btf_seeds_and_regressions() {
    let seeds = inputs("seeds", "parse_btf");
    assert!(!seeds.is_empty());
    for (name, bytes) in &seeds {
        let outcome = replay("seeds", "parse_btf", name, bytes, parse_btf::run);
        // A fixture's .BTF has at least an int, a few structs and the .maps DATASEC.
        assert!(
            matches!(outcome, parse_btf::Outcome::Parsed { types } if types > 4),
            "{name}: {outcome:?}"
        );
    }
    for (name, bytes) in inputs("regressions", "parse_btf") {
        replay("regressions", "parse_btf", &name, &bytes, parse_btf::run);
    }
}

#[test]
fn maps_section_seeds_and_regressions() {
    let seeds = inputs("seeds", "maps_section");
    assert!(!seeds.is_empty());
    for (name, bytes) in &seeds {
        let outcome = replay("seeds", "maps_section", name, bytes, maps_section::run);
        if name.ends_with("-as-is") {
            // No edits: the fixture itself, which parses.
            let (file, fixture) = harness::fixtures::FIXTURES[usize::from(bytes[0])];
            assert_eq!(maps_section::mutate(bytes), fixture, "{name}: {file}");
            let parsed = matches!(outcome, parse_elf::Outcome::Parsed { .. });
            assert_eq!(
                parsed,
                file != "refuse_unknown_field.bpf.o",
                "{name}: {outcome:?}"
            );
        } else {
            assert_ne!(
                maps_section::mutate(bytes),
                harness::fixtures::FIXTURES[usize::from(bytes[0])].1
            );
        }
    }
    for (name, bytes) in inputs("regressions", "maps_section") {
        replay(
            "regressions",
            "maps_section",
            &name,
            &bytes,
            maps_section::run,
        );
    }
}

#[test]
fn map_ops_decoding_round_trips() {
    // The seeds are written with `encode`; decoding them gives the operations back, so the
    // seeds exercise what their names say.
    for (name, bytes) in inputs("seeds", "map_ops") {
        let (_, ops) = map_ops::decode(&bytes);
        assert!(ops.len() >= 10, "{name}: {ops:?}");
        let setup = [bytes[0], bytes[1]];
        assert_eq!(map_ops::encode(setup, &ops), bytes, "{name}");
    }
    // At most MAX_OPS operations, whatever the length of the input.
    let (_, ops) = map_ops::decode(&[0u8; 4096]);
    assert_eq!(ops.len(), map_ops::MAX_OPS);
}

#[test]
fn map_ops_seeds_and_regressions_against_the_kernel() {
    require_kernel!();
    let mut ran = 0;
    for kind in ["seeds", "regressions"] {
        for (name, bytes) in inputs(kind, "map_ops") {
            replay(kind, "map_ops", &name, &bytes, map_ops::run);
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} map_ops inputs");
}
