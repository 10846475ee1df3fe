//! Hostile input: every truncation and many random corruptions of valid blobs must give an
//! error or a `Btf` whose every method works, never a panic, a hang or a huge allocation.

use std::time::{Duration, Instant};

use super::builder::Builder;
use super::{all_kinds, id, ENDIANS};
use crate::btf::{Btf, Endian, Kind, Type};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Calls every method on a `Btf` that parsed, the way a loader would.
fn exercise(btf: &Btf<'_>) {
    for (tid, ty) in btf.types() {
        assert_eq!(btf.type_by_id(tid).unwrap(), ty);
        // Every reference was checked at parse time.
        ty.visit_refs(|_, target| btf.type_by_id(target).map(|_| ()))
            .unwrap();
        let _ = btf.resolve(tid);
        let _ = btf.size_of(tid);
        let _ = ty.to_string();
        let _ = btf.find_by_name(ty.kind(), ty.name());
        if let Type::Datasec(d) = ty {
            let _ = btf.datasec(d.name);
        }
    }
    for off in 0..64 {
        let _ = btf.name_at(off);
    }
    let _ = btf.name_at(u32::MAX);
    if btf.endian() == Endian::host() {
        let fixed = btf
            .to_kernel_bytes(&|_, _| Some((u32::MAX, 1)), &|_| Some(u32::MAX))
            .unwrap();
        let again = Btf::parse(&fixed).unwrap();
        assert_eq!(again.len(), btf.len());
    }
}

#[test]
fn every_truncation() {
    for endian in ENDIANS {
        let (blob, _) = all_kinds(endian);
        for len in 0..blob.len() {
            if let Ok(btf) = Btf::parse(&blob[..len]) {
                panic!("a blob cut to {len} bytes parsed with {} types", btf.len());
            }
        }
    }
}

#[test]
fn random_corruption() {
    const WORDS: [u32; 10] = [
        0,
        1,
        2,
        3,
        0xffff,
        0x8000_0000,
        0xffff_ffff,
        0x1300_0000,
        0x0d00_ffff,
        24,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for endian in ENDIANS {
        let (original, _) = all_kinds(endian);
        for _ in 0..20_000 {
            let mut blob = original.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(blob.len());
                match rng.below(3) {
                    0 => blob[at] ^= 1 << rng.below(8),
                    1 => blob[at] = rng.next() as u8,
                    _ => {
                        let at = at & !3;
                        let word = WORDS[rng.below(WORDS.len())];
                        let bytes = match endian {
                            Endian::Little => word.to_le_bytes(),
                            Endian::Big => word.to_be_bytes(),
                        };
                        let end = (at + 4).min(blob.len());
                        blob[at..end].copy_from_slice(&bytes[..end - at]);
                    }
                }
            }
            if rng.below(8) == 0 {
                blob.truncate(rng.below(blob.len() + 1));
            }
            if let Ok(btf) = Btf::parse(&blob) {
                parsed += 1;
                exercise(&btf);
            }
        }
    }
    // The corruptions are not all caught by the header checks: the type decoder and the
    // lookups get real exercise.
    assert!(parsed > 1000, "only {parsed} corrupted blobs parsed");
}

#[test]
fn parsed_blobs_are_exercised() {
    for endian in ENDIANS {
        let (blob, _) = all_kinds(endian);
        let btf = Btf::parse(&blob).unwrap();
        exercise(&btf);
        assert!(btf.size_of(id(4)).is_ok());
    }
}

#[test]
fn long_strings_do_not_make_parsing_quadratic() {
    // One 1 MiB string (after a bad byte, so the UTF-8 path is the interesting one) and
    // 100,000 types named at distinct offsets inside it. Scanning to the NUL and validating
    // at every lookup would cross ~50 GB; the index crosses the string once.
    const LEN: usize = 1 << 20;
    const TYPES: u32 = 100_000;
    let mut b = Builder::new(Endian::Little);
    let mut long = vec![b'a'; LEN];
    long[0] = 0xff;
    let base = b.raw_str(&long);
    for i in 0..TYPES {
        b.record(base + 1 + i * 7, Kind::Float.number(), 0, false, 8, &[]);
    }
    let blob = b.build();
    let started = Instant::now();
    let btf = Btf::parse(&blob).unwrap();
    let took = started.elapsed();
    assert_eq!(btf.len(), TYPES as usize + 1);
    assert_eq!(
        btf.type_by_id(id(TYPES)).unwrap().name().len(),
        LEN - 1 - (TYPES as usize - 1) * 7
    );
    assert!(btf.name_at(base).is_err());
    assert!(took < Duration::from_secs(20), "parsing took {took:?}");
}
