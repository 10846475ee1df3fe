//! Where an ELF64 file's sections are, read without the crate's parser (so the targets can
//! damage sections of valid objects) and without any possible panic.

use core::ops::Range;

/// One section: its name, the range of its header and of its contents in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section's name.
    pub name: String,
    /// The bytes of its header (64 bytes of the section header table).
    pub header: Range<usize>,
    /// The bytes of its contents.
    pub contents: Range<usize>,
}

/// The file's byte order, from `e_ident[EI_DATA]`: `Some(true)` for big-endian.
pub fn big_endian(data: &[u8]) -> Option<bool> {
    match data.get(5)? {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

fn read(data: &[u8], at: usize, len: usize, big: bool) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(len)?)?;
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    Some(if big {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    })
}

fn read_usize(data: &[u8], at: usize, len: usize, big: bool) -> Option<usize> {
    usize::try_from(read(data, at, len, big)?).ok()
}

/// Every section of a 64-bit ELF file whose headers and names can be read; `None` if the
/// section header table itself cannot. Contents ranges are clipped to the file (`SHT_NOBITS`
/// sections get an empty range).
pub fn sections(data: &[u8]) -> Option<Vec<Section>> {
    let big = big_endian(data)?;
    let shoff = read_usize(data, 0x28, 8, big)?;
    let entsize = read_usize(data, 0x3a, 2, big)?;
    let count = read_usize(data, 0x3c, 2, big)?;
    let strndx = read_usize(data, 0x3e, 2, big)?;
    if entsize < 64 {
        return None;
    }
    let header_at = |i: usize| shoff.checked_add(i.checked_mul(entsize)?);
    let strtab = read_usize(data, header_at(strndx)?.checked_add(24)?, 8, big)?;
    let mut out = Vec::with_capacity(count.min(data.len() / 64));
    for i in 0..count {
        let at = header_at(i)?;
        let header = at..at.checked_add(64)?;
        data.get(header.clone())?;
        let name_at = strtab.checked_add(read_usize(data, at, 4, big)?)?;
        let name_bytes = data.get(name_at..)?;
        let end = name_bytes.iter().position(|&b| b == 0)?;
        let name = String::from_utf8_lossy(&name_bytes[..end]).into_owned();
        let nobits = read(data, at + 4, 4, big)? == 8;
        let offset = read_usize(data, at + 24, 8, big)?.min(data.len());
        let size = read_usize(data, at + 32, 8, big)?;
        let end = if nobits {
            offset
        } else {
            offset.saturating_add(size).min(data.len())
        };
        out.push(Section {
            name,
            header,
            contents: offset..end,
        });
    }
    Some(out)
}

/// The contents range of the first section named `name`.
pub fn find(data: &[u8], name: &str) -> Option<Range<usize>> {
    sections(data)?
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.contents)
}
