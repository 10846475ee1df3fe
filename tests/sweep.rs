//! Sweeps over every fixture: the object cut at every length, and every bit of `.maps`,
//! `.BTF` and `.rel.maps` flipped. Each damaged object goes through the `parse_elf` fuzz
//! target's body (`fuzz/harness/`, which asserts `Ok` or an `Error::Object`, never a panic,
//! and a self-consistent object when it parses), and each damaged `.BTF` through `parse_btf`'s.
//!
//! A counting global allocator measures the peak memory of each parse on its own thread; it
//! must stay within [`BYTES_PER_INPUT_BYTE`] times the input plus [`FIXED_BYTES`].
//!
//! `tests/elf.rs` already cuts three small fixtures at every length
//! (`every_truncation_of_small_objects_is_a_typed_error`); the truncation sweep here covers
//! the others. No kernel is needed.

#[path = "../fuzz/harness/mod.rs"]
#[allow(
    dead_code,
    reason = "the sweeps use the parser targets and the section reader only"
)]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use harness::{parse_btf, parse_elf, sections};

/// Peak heap use of one parse, per byte of input, at most.
const BYTES_PER_INPUT_BYTE: usize = 24;
/// Peak heap use of one parse beyond that, at most.
const FIXED_BYTES: usize = 64 * 1024;

/// Fixtures `tests/elf.rs` already cuts at every length.
const TRUNCATED_IN_ELF_RS: [&str; 3] = ["legacy_libbpf.bpf.o", "pinning.bpf.o", "big_endian.bpf.o"];

// ---------------------------------------------------------------------------------------------
// Counting allocator: live and peak bytes per thread.

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(n: usize) {
    // `try_with`: a thread being torn down may still allocate; it is simply not counted.
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(n);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(n)));
}

struct Counting;

#[expect(
    unsafe_code,
    reason = "a global allocator is an unsafe impl by definition; this one only counts and \
              forwards every call to System unchanged"
)]
// SAFETY: every method forwards to `System` with the caller's arguments, so `System`'s
// guarantees are ours; the counting touches only thread-local integers and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), which is System's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by System, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from System with `layout`; the caller upholds `new_size`'s rules.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns what it returned and the peak of heap bytes it held at once, on this
/// thread, above what was live when it started.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, PEAK.with(Cell::get).saturating_sub(start))
}

/// The largest peak seen, as a multiple of the input, to print with the result.
#[derive(Default)]
struct Worst {
    ratio: f64,
    what: String,
}

impl Worst {
    fn see(&mut self, peak: usize, len: usize, what: impl FnOnce() -> String) {
        let bound = BYTES_PER_INPUT_BYTE * len + FIXED_BYTES;
        assert!(
            peak <= bound,
            "{}: peak heap {peak} bytes for {len} bytes of input (bound {bound})",
            what()
        );
        let ratio = peak as f64 / len.max(1) as f64;
        if ratio > self.ratio {
            self.ratio = ratio;
            self.what = what();
        }
    }
}

// ---------------------------------------------------------------------------------------------

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        .map(|p: PathBuf| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read fixture"))
        })
        .collect();
    out.sort();
    assert!(out.len() >= 30, "only {} fixtures", out.len());
    out
}

#[test]
fn every_truncation_of_every_fixture_is_a_typed_error() {
    let mut worst = Worst::default();
    let mut cuts = 0;
    for (name, data) in fixtures() {
        if TRUNCATED_IN_ELF_RS.contains(&name.as_str()) {
            continue;
        }
        for len in 0..data.len() {
            let (outcome, peak) = peak_of(|| parse_elf::run(&data[..len]));
            // The section headers come last in these objects: every cut loses some.
            assert_eq!(
                outcome,
                parse_elf::Outcome::Refused,
                "{name} cut at {len} parsed"
            );
            worst.see(peak, len, || format!("{name} cut at {len}"));
            cuts += 1;
        }
    }
    eprintln!(
        "{cuts} cuts; worst peak {:.1} bytes per input byte ({})",
        worst.ratio, worst.what
    );
}

/// Bytes parsed per fixture and section, at most: a debug build parses a small fixture in
/// about 80 µs but `load_1x100` (24 KiB, 101 maps) in 2.3 ms, and flipping all 200,000 bits of
/// `.maps` and `.BTF` across the fixtures took minutes. So each (fixture, section) gets at
/// most `FLIP_BUDGET / file size` flips, spread over its bits with an odd stride (which visits
/// every bit position of a byte in turn). That is every bit of `.maps` in 26 fixtures and of
/// `.rel.maps` in 17, one bit in 3 to 7 of the small fixtures' `.BTF`, and about a hundred bits
/// of each section of the large ones: some 67,000 flips, half a minute on one core in a debug
/// build. The fuzzers cover the rest.
const FLIP_BUDGET: usize = 8 << 20;

/// The odd stride over `bits` bits that makes at most `budget` flips.
fn stride(bits: usize, budget: usize) -> usize {
    let s = bits.div_ceil(budget.max(1)).max(1);
    if s == 1 || s % 2 == 1 {
        s
    } else {
        s + 1
    }
}

/// Flips bits of section `section` of every fixture, one at a time (see [`FLIP_BUDGET`]).
fn flip_sweep(section: &str) {
    let mut worst = Worst::default();
    let (mut flips, mut parsed, mut every, mut widest) = (0, 0, 0, 1);
    for (name, clean) in fixtures() {
        let Some(range) = sections::find(&clean, section) else {
            continue;
        };
        let mut data = clean.clone();
        let bits = range.len() * 8;
        let step = stride(bits, FLIP_BUDGET / clean.len());
        for bit_index in (0..bits).step_by(step) {
            let (at, bit) = (range.start + bit_index / 8, bit_index % 8);
            data[at] ^= 1 << bit;
            let what = || format!("{name}: {section} byte {} bit {bit}", at - range.start);
            let (outcome, peak) = peak_of(|| parse_elf::run(&data));
            worst.see(peak, data.len(), what);
            if matches!(outcome, parse_elf::Outcome::Parsed { .. }) {
                parsed += 1;
            }
            if section == ".BTF" {
                let blob = &data[range.clone()];
                let (_, peak) = peak_of(|| parse_btf::run(blob));
                worst.see(peak, blob.len(), || format!("{} alone", what()));
            }
            data[at] ^= 1 << bit;
            flips += 1;
        }
        if step == 1 {
            every += 1;
        }
        widest = widest.max(step);
        assert_eq!(data, clean);
    }
    assert!(flips > 0, "no fixture has {section}");
    eprintln!(
        "{section}: {flips} flips, every bit in {every} fixtures, widest stride {widest}, {parsed} \
         still parsed; worst peak {:.1} bytes per input byte ({})",
        worst.ratio, worst.what
    );
}

#[test]
fn every_bit_of_maps_flipped() {
    flip_sweep(".maps");
}

#[test]
fn every_bit_of_rel_maps_flipped() {
    flip_sweep(".rel.maps");
}

#[test]
fn bits_of_btf_flipped() {
    flip_sweep(".BTF");
}

// ---------------------------------------------------------------------------------------------
// Objects built to multiply memory: small files whose maps each make the parser copy a lot.

/// One section header of [`legacy_object`]: `.strtab` (`SHT_STRTAB`, 3), `maps`
/// (`SHT_PROGBITS`, 1, `SHF_WRITE | SHF_ALLOC`), `.symtab` (`SHT_SYMTAB`, 2).
struct Section<'a> {
    name: u32,
    kind: u32,
    flags: u64,
    data: &'a [u8],
    link: u32,
    info: u32,
    entsize: u64,
}

/// A little-endian ELF64 BPF relocatable with a legacy `maps` section holding `maps_data`, and
/// one `STT_OBJECT` symbol per `(name offset in strtab, value, size)`. `strtab` is also the
/// section-name table; it must start with "\0.strtab\0maps\0.symtab\0".
fn legacy_object(strtab: &[u8], symbols: &[(u32, u64, u64)], maps_data: &[u8]) -> Vec<u8> {
    assert!(strtab.starts_with(b"\0.strtab\0maps\0.symtab\0"));
    let mut symtab = vec![0u8; 24];
    for &(name, value, size) in symbols {
        symtab.extend_from_slice(&name.to_le_bytes());
        symtab.extend_from_slice(&[0x11, 0]); // STB_GLOBAL, STT_OBJECT; st_other
        symtab.extend_from_slice(&2u16.to_le_bytes()); // section 2: maps
        symtab.extend_from_slice(&value.to_le_bytes());
        symtab.extend_from_slice(&size.to_le_bytes());
    }
    let sections = [
        Section {
            name: 1,
            kind: 3,
            flags: 0,
            data: strtab,
            link: 0,
            info: 0,
            entsize: 0,
        },
        Section {
            name: 9,
            kind: 1,
            flags: 3,
            data: maps_data,
            link: 0,
            info: 0,
            entsize: 0,
        },
        Section {
            name: 14,
            kind: 2,
            flags: 0,
            data: &symtab,
            link: 1,
            info: 1,
            entsize: 24,
        },
    ];
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for section in &sections {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(section.data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    out.extend_from_slice(&[0; 64]);
    for (s, offset) in sections.iter().zip(offsets) {
        for word in [s.name, s.kind] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        for word in [s.flags, 0, offset, s.data.len() as u64] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        for word in [s.link, s.info] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        for word in [8, s.entsize] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    let mut header = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    for half in [1u16, 247] {
        header.extend_from_slice(&half.to_le_bytes()); // ET_REL, EM_BPF
    }
    header.extend_from_slice(&1u32.to_le_bytes());
    for word in [0u64, 0, shoff] {
        header.extend_from_slice(&word.to_le_bytes());
    }
    header.extend_from_slice(&0u32.to_le_bytes());
    for half in [64u16, 0, 0, 64, 4, 1] {
        header.extend_from_slice(&half.to_le_bytes());
    }
    out[..64].copy_from_slice(&header);
    out
}

/// Parses `data` through the fuzz target's body, within the peak bound; returns the outcome.
fn parse_within_bound(what: &str, data: &[u8]) -> parse_elf::Outcome {
    let (outcome, peak) = peak_of(|| parse_elf::run(data));
    let mut worst = Worst::default();
    worst.see(peak, data.len(), || what.to_owned());
    eprintln!("{what}: {} bytes, peak {peak} bytes", data.len());
    outcome
}

#[test]
fn a_chain_of_outer_maps_each_the_template_of_the_next_is_linear() {
    // samples/bpf 28-byte entries: map i is an array of maps whose inner_map_idx is i - 1,
    // so each is the template of the next. Copying each template with its own template made
    // map i hold i copies: 630 MB for these 4,000 entries.
    let n = 4000u32;
    let mut strtab = b"\0.strtab\0maps\0.symtab\0".to_vec();
    let mut symbols = Vec::new();
    let mut data = Vec::new();
    for i in 0..n {
        symbols.push((strtab.len() as u32, u64::from(28 * i), 28));
        strtab.extend_from_slice(format!("m{i}\0").as_bytes());
        for word in [12, 4, 4, 1, 0, i.saturating_sub(1), 0u32] {
            data.extend_from_slice(&word.to_le_bytes());
        }
    }
    let object = legacy_object(&strtab, &symbols, &data);
    let outcome = parse_within_bound("chain of 4000 outer maps", &object);
    assert!(
        matches!(outcome, parse_elf::Outcome::Parsed { maps: 4000 }),
        "{outcome:?}"
    );
}

#[test]
fn map_names_longer_than_a_file_name_are_refused_before_they_are_copied() {
    // 2,000 symbols sharing one 100 KB name: two copies each made 393 MB.
    let mut strtab = b"\0.strtab\0maps\0.symtab\0".to_vec();
    let name_at = strtab.len() as u32;
    strtab.extend(std::iter::repeat_n(b'a', 100_000));
    strtab.push(0);
    let symbols: Vec<_> = (0..2000).map(|_| (name_at, 0, 20)).collect();
    let data: Vec<u8> = [1u32, 4, 4, 1, 0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let object = legacy_object(&strtab, &symbols, &data);
    let outcome = parse_within_bound("2000 maps named by one 100 KB name", &object);
    assert!(
        matches!(outcome, parse_elf::Outcome::Refused),
        "{outcome:?}"
    );
    let error = bpfmaps::elf::BpfObject::parse(&object).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "map '{}…': its name is 100000 bytes; a map's name is at most 255 bytes (it is also \
             the file name of its pin)",
            "a".repeat(32)
        )
    );

    // Up to the bound, names may overlap in the string table: 255 maps named by the suffixes
    // of one 255-byte string parse, within the bound.
    let mut strtab = b"\0.strtab\0maps\0.symtab\0".to_vec();
    let base = strtab.len() as u32;
    strtab.extend((0..255).map(|i| b'a' + (i % 26) as u8));
    strtab.push(0);
    let symbols: Vec<_> = (0..255u32)
        .map(|i| (base + i, u64::from(20 * i), 20))
        .collect();
    let data: Vec<u8> = (0..255)
        .flat_map(|_| [1u32, 4, 4, 1, 0])
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let object = legacy_object(&strtab, &symbols, &data);
    let outcome = parse_within_bound("255 maps named by overlapping suffixes", &object);
    assert!(
        matches!(outcome, parse_elf::Outcome::Parsed { maps: 255 }),
        "{outcome:?}"
    );
}
