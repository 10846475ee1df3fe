//! A few lines of ELF64 reading and patching (little-endian objects only), so tests can find
//! sections of the fixtures and damage or rewrite them in place.
#![allow(dead_code)]

use bpfmaps::btf::Btf;
use bpfmaps::elf::BpfObject;

/// The bytes of fixture `name`.
pub fn bytes(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).expect("read fixture")
}

pub fn u16_at(d: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(d[at..at + 2].try_into().unwrap())
}
pub fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}
pub fn u64_at(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}
/// In-place patches, as methods so that `d.put_u32(offset_in(&d), v)` borrows well.
pub trait Patch {
    fn put_u32(&mut self, at: usize, v: u32);
    fn put_u64(&mut self, at: usize, v: u64);
}
impl Patch for Vec<u8> {
    fn put_u32(&mut self, at: usize, v: u32) {
        self[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, at: usize, v: u64) {
        self[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
}

/// Replaces every occurrence of `from` (NUL-terminated, as in a string table) with `to`, of
/// the same length; returns how many were replaced.
pub fn rename(d: &mut [u8], from: &str, to: &str) -> usize {
    assert_eq!(from.len(), to.len());
    let from = [from.as_bytes(), b"\0"].concat();
    let to = [to.as_bytes(), b"\0"].concat();
    let mut n = 0;
    let mut at = 0;
    while let Some(pos) = d[at..]
        .windows(from.len())
        .position(|w| w == from.as_slice())
    {
        let start = at + pos;
        // Only whole strings: the byte before is a NUL (or the start).
        if start == 0 || d[start - 1] == 0 {
            d[start..start + to.len()].copy_from_slice(&to);
            n += 1;
        }
        at = start + 1;
    }
    n
}

/// Where section `name` is: `(offset of its header, offset of its contents, size)`.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub header: usize,
    pub offset: usize,
    pub size: usize,
}

pub fn e_shoff(d: &[u8]) -> usize {
    u64_at(d, 0x28) as usize
}

pub fn section(d: &[u8], name: &str) -> Section {
    let shoff = e_shoff(d);
    let (entsize, num, strndx) = (
        u16_at(d, 0x3a) as usize,
        u16_at(d, 0x3c) as usize,
        u16_at(d, 0x3e) as usize,
    );
    let strtab = u64_at(d, shoff + strndx * entsize + 24) as usize;
    for i in 0..num {
        let header = shoff + i * entsize;
        let name_at = strtab + u32_at(d, header) as usize;
        let end = name_at + d[name_at..].iter().position(|&b| b == 0).unwrap();
        if &d[name_at..end] == name.as_bytes() {
            return Section {
                header,
                offset: u64_at(d, header + 24) as usize,
                size: u64_at(d, header + 32) as usize,
            };
        }
    }
    panic!("no section {name}");
}

/// Renames section `name` in place (the new name has the same length), so a parser looking
/// for it by name no longer finds it.
pub fn rename_section(d: &mut [u8], name: &str, to: &str) {
    assert_eq!(name.len(), to.len());
    let s = section(d, name);
    let strtab = u64_at(d, e_shoff(d) + u16_at(d, 0x3e) as usize * 64 + 24) as usize;
    let at = strtab + u32_at(d, s.header) as usize;
    d[at..at + to.len()].copy_from_slice(to.as_bytes());
    assert_eq!(section(d, to).header, s.header);
}

/// Sets the recorded size of a section (its contents stay where they are).
pub fn set_section_size(d: &mut Vec<u8>, s: Section, size: usize) {
    d.put_u64(s.header + 32, size as u64);
}

/// The object with its `.BTF` rewritten as `BPF_BTF_LOAD` will take it: DATASEC sizes and
/// entry offsets from the symbol table, instead of the zeros clang leaves.
pub fn with_fixed_datasec(file: &str) -> Vec<u8> {
    let mut d = bytes(file);
    let obj = BpfObject::parse(&d).expect("parse");
    let btf_sec = section(&d, ".BTF");
    let maps_size = section(&d, ".maps").size as u32;
    let license_size = section(&d, "license").size as u32;
    let raw = d[btf_sec.offset..btf_sec.offset + btf_sec.size].to_vec();
    let btf = Btf::parse(&raw).expect("btf");
    // Clang left every `.maps` entry at offset 0.
    let (_, datasec) = btf.datasec(".maps").expect(".maps DATASEC");
    assert_eq!(datasec.size, 0, "{file}: DATASEC size as clang leaves it");
    assert!(datasec.entries.iter().all(|e| e.offset == 0), "{file}");
    let fixed = btf
        .to_kernel_bytes(
            &|sec, var| match sec {
                ".maps" => obj.map(var).map(|m| (m.offset as u32, m.size as u32)),
                "license" => Some((0, license_size)),
                _ => None,
            },
            &|sec| match sec {
                ".maps" => Some(maps_size),
                "license" => Some(license_size),
                _ => None,
            },
        )
        .expect("fix DATASEC");
    assert_eq!(fixed.len(), raw.len());
    assert_ne!(fixed, raw, "{file}: something was fixed");
    d[btf_sec.offset..btf_sec.offset + btf_sec.size].copy_from_slice(&fixed);
    d
}

/// Rewrites `__uint(field, from)` to `__uint(field, to)` for every map of the object: the BTF
/// ARRAY of `from` elements that encodes it gets `to` elements. Returns how many ARRAY types
/// were changed.
pub fn set_uint(d: &mut [u8], from: u32, to: u32) -> usize {
    let btf_sec = section(d, ".BTF");
    let at: Vec<usize> = {
        let raw = &d[btf_sec.offset..btf_sec.offset + btf_sec.size];
        let btf = Btf::parse(raw).expect("btf");
        btf.types()
            .filter(|(_, ty)| matches!(ty, bpfmaps::btf::Type::Array(a) if a.nelems == from))
            .map(|(id, _)| btf.type_offset(id).expect("record") + 12 + 8)
            .collect()
    };
    for &offset in &at {
        let pos = btf_sec.offset + offset;
        assert_eq!(u32_at(d, pos), from);
        d[pos..pos + 4].copy_from_slice(&to.to_le_bytes());
    }
    at.len()
}
