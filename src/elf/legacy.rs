//! Legacy map definitions: fixed-size structs in the `maps` section, one per map symbol.
//!
//! Three layouts exist, told apart by the entry size (section size / number of map symbols,
//! or the symbols' common `st_size`): libbpf's 20-byte `struct bpf_map_def`, samples/bpf's
//! 28 bytes (adding `inner_map_idx` and `numa_node`), and iproute2's 36-byte
//! `struct bpf_elf_map` (adding `id`, `pinning`, `inner_id`, `inner_idx`).
//!
//! Inner maps: samples/bpf names the template by its entry index (`inner_map_idx`). iproute2
//! ties an outer map to the map whose `id` equals the outer map's `inner_id`: that map is the
//! template, and is also put into the outer map at key `inner_idx` (unless `inner_idx` is
//! `0xffffffff`). libbpf's layout has no inner-map field: the caller gives the template.

use std::collections::{HashMap, HashSet};

use object::{Endianness, SectionIndex};

use super::def::{check_map_name, DefSource, LegacyLayout, MapAttrs, MapDef, Pinning, Slot};
use super::symbols::Symbols;
use super::{ObjectError, Rule};
use crate::{MapFlags, MapType};

const SECTION: &str = "maps";

/// iproute2's "no slot" `inner_idx`.
const NO_SLOT: u32 = u32::MAX;

/// The fields of one entry, as read.
struct Entry {
    name: String,
    offset: u64,
    size: u64,
    words: [u32; 9],
}

pub(super) fn parse(
    symbols: &Symbols<'_>,
    section: SectionIndex,
    bytes: &[u8],
    endian: Endianness,
) -> Result<Vec<MapDef>, ObjectError> {
    let error = |problem: String| ObjectError::Section {
        section: SECTION.into(),
        problem,
    };
    let mut syms: Vec<_> = symbols.in_section(section).collect();
    if syms.is_empty() {
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        return Err(error(format!(
            "{} bytes of map definitions but no map symbols",
            bytes.len()
        )));
    }
    syms.sort_by_key(|s| s.value);
    let entry_size = entry_size(&syms, bytes.len()).ok_or_else(|| {
        error(format!(
            "{} bytes for {} map symbols: the entries are not of one size",
            bytes.len(),
            syms.len()
        ))
    })?;
    let layout = LegacyLayout::from_entry_size(entry_size).ok_or_else(|| {
        error(format!(
            "entries of {entry_size} bytes: expected 20 (libbpf bpf_map_def), 28 (samples/bpf) \
             or 36 (iproute2 bpf_elf_map)"
        ))
    })?;
    let mut entries = Vec::with_capacity(syms.len());
    let mut seen = HashSet::with_capacity(syms.len());
    for sym in &syms {
        check_map_name(sym.name)?;
        if !seen.insert(sym.name) {
            return Err(ObjectError::Map {
                map: sym.name.into(),
                problem: "defined twice".into(),
            });
        }
        let start = usize::try_from(sym.value)
            .ok()
            .filter(|start| start % entry_size == 0);
        let words = start.and_then(|start| read_words(bytes, start, layout, endian));
        let Some(words) = words else {
            return Err(ObjectError::Map {
                map: sym.name.into(),
                problem: format!(
                    "symbol at offset {:#x} is not the start of a {entry_size}-byte entry inside \
                     the {}-byte section",
                    sym.value,
                    bytes.len()
                ),
            });
        };
        entries.push(Entry {
            name: sym.name.to_owned(),
            offset: sym.value,
            size: sym.size,
            words,
        });
    }
    let mut maps: Vec<MapDef> = entries
        .iter()
        .map(|e| MapDef {
            name: e.name.clone(),
            source: DefSource::Legacy(layout),
            attrs: attrs_of(e, layout),
            inner_from: None,
            slots: Vec::new(),
            offset: e.offset,
            size: e.size,
        })
        .collect();
    match layout {
        LegacyLayout::Libbpf => {}
        LegacyLayout::Samples => link_samples(&entries, &mut maps, entry_size)?,
        LegacyLayout::Iproute2 => link_iproute2(&entries, &mut maps)?,
    }
    Ok(maps)
}

/// The common entry size: the symbols' `st_size` if they all agree, else the section size
/// divided evenly among them.
fn entry_size(syms: &[&super::symbols::Symbol<'_>], section_len: usize) -> Option<usize> {
    let first = syms.first()?.size;
    if first != 0 && syms.iter().all(|s| s.size == first) {
        return usize::try_from(first).ok();
    }
    (section_len % syms.len() == 0).then(|| section_len / syms.len())
}

fn read_words(
    bytes: &[u8],
    start: usize,
    layout: LegacyLayout,
    endian: Endianness,
) -> Option<[u32; 9]> {
    let entry = bytes.get(start..start.checked_add(layout.entry_size())?)?;
    let mut words = [0u32; 9];
    for (word, chunk) in words.iter_mut().zip(entry.chunks_exact(4)) {
        let raw = [chunk[0], chunk[1], chunk[2], chunk[3]];
        *word = match endian {
            Endianness::Little => u32::from_le_bytes(raw),
            Endianness::Big => u32::from_be_bytes(raw),
        };
    }
    Some(words)
}

fn attrs_of(e: &Entry, layout: LegacyLayout) -> MapAttrs {
    let [map_type, key_size, value_size, max_entries, flags, _, w6, _, _] = e.words;
    let mut attrs = MapAttrs::new(MapType::from_raw(map_type));
    attrs.key_size = key_size;
    attrs.value_size = value_size;
    attrs.max_entries = max_entries;
    attrs.flags = MapFlags::from_bits_retain(flags);
    match layout {
        LegacyLayout::Samples => attrs.numa_node = w6,
        LegacyLayout::Iproute2 => {
            attrs.pinning = match w6 {
                0 => Pinning::None,
                2 => Pinning::GlobalNs,
                n => Pinning::Unsupported(n),
            };
        }
        LegacyLayout::Libbpf => {}
    }
    attrs
}

/// samples/bpf: a map of maps takes the entry at `inner_map_idx` as its template.
fn link_samples(
    entries: &[Entry],
    maps: &mut [MapDef],
    entry_size: usize,
) -> Result<(), ObjectError> {
    // Offset → the first entry there (entries are in offset order), built once: a lookup per
    // outer map keeps hostile objects with many maps linear.
    let mut at_offset: HashMap<u64, usize> = HashMap::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        at_offset.entry(e.offset).or_insert(i);
    }
    for i in 0..maps.len() {
        if !maps[i].is_outer() {
            continue;
        }
        let inner_idx = entries[i].words[5] as u64;
        let template = at_offset
            .get(&(inner_idx * entry_size as u64))
            .copied()
            .ok_or_else(|| ObjectError::Map {
                map: maps[i].name.clone(),
                problem: format!("inner_map_idx {inner_idx} names no entry of the maps section"),
            })?;
        maps[i].attrs.inner = Some(Box::new(template_copy(&mut maps[template].attrs)));
        maps[i].inner_from = Some(maps[template].name.clone());
    }
    Ok(())
}

/// The attributes of a template map for an outer map's `inner`, without the template's own
/// inner definition: a template that is itself an outer map is refused at load (nesting), and
/// copying its chain would let n entries, each naming the previous one, hold n²/2 copies.
fn template_copy(template: &mut MapAttrs) -> MapAttrs {
    let nested = template.inner.take();
    let copy = template.clone();
    template.inner = nested;
    copy
}

/// iproute2: the map whose `id` is an outer map's `inner_id` is its template, and goes into it
/// at key `inner_idx`.
/// The iproute2 slots an object may declare: a few per entry (outer maps may share an
/// `inner_id`, each then getting all its inner maps), plus a floor for small objects.
const MAX_SLOTS_PER_ENTRY: u64 = 8;
const MIN_SLOT_LIMIT: u64 = 1024;

fn link_iproute2(entries: &[Entry], maps: &mut [MapDef]) -> Result<(), ObjectError> {
    // Built once, so that linking n maps is not n scans of n entries: `id` → the first entry
    // with it (the template), and → every entry with it that goes into a slot, in entry order.
    let mut template_of: HashMap<u32, usize> = HashMap::new();
    let mut slotted: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
    for (j, entry) in entries.iter().enumerate() {
        let [.., id, _, entry_inner_id, inner_idx] = entry.words;
        template_of.entry(id).or_insert(j);
        if entry_inner_id == 0 && inner_idx != NO_SLOT {
            slotted.entry(id).or_default().push((inner_idx, j));
        }
    }
    // Before any slot is made: the total is bounded by the input's size, not its square.
    let limit = MAX_SLOTS_PER_ENTRY * entries.len() as u64 + MIN_SLOT_LIMIT;
    let mut slots = 0u64;
    for (i, map) in maps.iter().enumerate() {
        let inner_id = entries[i].words[7];
        if map.is_outer() && inner_id != 0 {
            slots += slotted.get(&inner_id).map_or(0, |s| s.len() as u64);
            if slots > limit {
                return Err(ObjectError::Rule {
                    map: map.name.clone(),
                    rule: Rule::TooManySlots { slots, limit },
                });
            }
        }
    }
    for i in 0..maps.len() {
        let inner_id = entries[i].words[7];
        if !maps[i].is_outer() || inner_id == 0 {
            continue;
        }
        let Some(&template) = template_of.get(&inner_id) else {
            return Err(ObjectError::Rule {
                map: maps[i].name.clone(),
                rule: Rule::InnerIdMissing(inner_id),
            });
        };
        maps[i].attrs.inner = Some(Box::new(template_copy(&mut maps[template].attrs)));
        maps[i].inner_from = Some(maps[template].name.clone());
        for &(index, j) in slotted.get(&inner_id).map_or(&[][..], Vec::as_slice) {
            let map = maps[j].name.clone();
            maps[i].slots.push(Slot { index, map });
        }
        maps[i].slots.sort_by_key(|s| s.index);
        // Two inner maps naming the same `inner_idx`: refused, as `.rel.maps` slots are.
        if let Some(pair) = maps[i].slots.windows(2).find(|w| w[0].index == w[1].index) {
            return Err(ObjectError::Rule {
                map: maps[i].name.clone(),
                rule: Rule::DuplicateSlot(pair[0].index),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// iproute2 entries: `(type, id, inner_id, inner_idx)`, every size 4, 64 entries max.
    fn iproute2(defs: &[(MapType, u32, u32, u32)]) -> (Vec<Entry>, Vec<MapDef>) {
        let entries: Vec<Entry> = defs
            .iter()
            .enumerate()
            .map(|(i, &(t, id, inner_id, inner_idx))| Entry {
                name: format!("m{i}"),
                offset: 36 * i as u64,
                size: 36,
                words: [t.as_raw(), 4, 4, 64, 0, id, 0, inner_id, inner_idx],
            })
            .collect();
        let maps = entries
            .iter()
            .map(|e| MapDef {
                name: e.name.clone(),
                source: DefSource::Legacy(LegacyLayout::Iproute2),
                attrs: attrs_of(e, LegacyLayout::Iproute2),
                inner_from: None,
                slots: Vec::new(),
                offset: e.offset,
                size: e.size,
            })
            .collect();
        (entries, maps)
    }

    #[test]
    fn outer_maps_sharing_an_inner_id_get_every_inner_map_up_to_a_bound() {
        // Two outer maps naming id 1 both get both of its inner maps, as iproute2 does.
        let mut defs = vec![
            (MapType::HASH, 1, 0, 0),
            (MapType::HASH, 1, 0, 3),
            (MapType::ARRAY_OF_MAPS, 2, 1, NO_SLOT),
            (MapType::ARRAY_OF_MAPS, 3, 1, NO_SLOT),
        ];
        let (entries, mut maps) = iproute2(&defs);
        link_iproute2(&entries, &mut maps).unwrap();
        for outer in &maps[2..] {
            let slots: Vec<(u32, &str)> = outer
                .slots
                .iter()
                .map(|s| (s.index, s.map.as_str()))
                .collect();
            assert_eq!(slots, [(0, "m0"), (3, "m1")]);
        }

        // n inner maps and n outer maps all on one id would be n² slots: refused by a bound
        // linear in the number of entries, before any slot is made.
        let n = 200;
        defs = (0..n).map(|i| (MapType::HASH, 1, 0, i)).collect();
        defs.extend((0..n).map(|_| (MapType::ARRAY_OF_MAPS, 2, 1, NO_SLOT)));
        let (entries, mut maps) = iproute2(&defs);
        let err = link_iproute2(&entries, &mut maps).unwrap_err();
        let limit = MAX_SLOTS_PER_ENTRY * 2 * u64::from(n) + MIN_SLOT_LIMIT;
        match err {
            ObjectError::Rule {
                rule: Rule::TooManySlots { slots, limit: l },
                ..
            } => {
                assert_eq!(l, limit);
                assert!(slots > limit && slots <= limit + u64::from(n), "{slots}");
            }
            other => panic!("expected TooManySlots, got {other:?}"),
        }
        assert!(maps.iter().all(|m| m.slots.is_empty()));
    }
}
