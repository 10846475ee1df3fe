//! `maps_section`: a valid fixture object with the contents of its map sections edited, then
//! parsed as [`parse_elf`](super::parse_elf) does.
//!
//! Random bytes rarely get past the ELF header; edits inside `.maps`, `.BTF`, `.rel.maps`,
//! `.symtab` and the legacy `maps` of a real object reach the map parser at once.
//!
//! Input format: byte 0 picks the fixture ([`FIXTURES`] index, modulo their number); then each
//! edit is `[section, op, offset_lo, offset_hi, value…]`, at most [`MAX_EDITS`] of them:
//! - `section % 5`: `.maps`, `.BTF`, `.rel.maps`, `.symtab`, `maps` (an edit of a section the
//!   object lacks is skipped);
//! - `op % 4`: 0 set the byte to `value`, 1 xor it with `value`, 2 write the next four bytes as
//!   a 32-bit word in the object's byte order, 3 write the word [`INTERESTING`]`[value % n]`;
//! - the offset is taken modulo the section's size, and a word is clipped at the section's end.

use super::fixtures::FIXTURES;
use super::input::Input;
use super::parse_elf::{self, Outcome};
use super::sections;

/// The sections the edits may touch, in the order the selector byte numbers them.
pub const SECTIONS: [&str; 5] = [".maps", ".BTF", ".rel.maps", ".symtab", "maps"];

/// At most this many edits are applied; the rest of the input is ignored.
pub const MAX_EDITS: usize = 64;

/// Words that tend to sit on a boundary: counts, sizes, offsets, kinds.
pub const INTERESTING: [u32; 12] = [
    0,
    1,
    2,
    4,
    8,
    0x20,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x0100_0000, // BTF info: vlen 0, kind 1
    0x8f00_0000, // BTF info: kind_flag, kind 15 (DATASEC)
];

/// The target's body.
pub fn run(data: &[u8]) -> Outcome {
    parse_elf::run(&mutate(data))
}

/// The object the input describes: the chosen fixture with the edits applied.
pub fn mutate(data: &[u8]) -> Vec<u8> {
    let mut input = Input::new(data);
    let (_, fixture) = FIXTURES[input.pick(FIXTURES.len())];
    let mut object = fixture.to_vec();
    let big = sections::big_endian(fixture).unwrap_or(false);
    let ranges: Vec<_> = SECTIONS
        .iter()
        .map(|name| sections::find(fixture, name))
        .collect();
    for _ in 0..MAX_EDITS {
        let Some(selector) = input.byte() else { break };
        let op = input.byte_or_zero() % 4;
        let offset = usize::from(input.u16());
        let value = input.byte_or_zero();
        let word = match op {
            2 => u32::from_le_bytes([
                value,
                input.byte_or_zero(),
                input.byte_or_zero(),
                input.byte_or_zero(),
            ]),
            3 => INTERESTING[usize::from(value) % INTERESTING.len()],
            _ => 0,
        };
        let Some(range) = &ranges[usize::from(selector) % SECTIONS.len()] else {
            continue;
        };
        if range.is_empty() {
            continue;
        }
        let at = range.start + offset % range.len();
        match op {
            0 => object[at] = value,
            1 => object[at] ^= value,
            _ => {
                let bytes = if big {
                    word.to_be_bytes()
                } else {
                    word.to_le_bytes()
                };
                let end = (at + 4).min(range.end);
                object[at..end].copy_from_slice(&bytes[..end - at]);
            }
        }
    }
    object
}
