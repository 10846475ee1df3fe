//! Declared slots: the relocations of `.rel.maps`.
//!
//! `.values = { [i] = &inner }` leaves the slot word zero in `.maps` and records an
//! `R_BPF_64_ABS64` relocation at `outer + values_offset + 8·i` naming `inner`'s symbol.

use std::collections::HashMap;

use object::read::elf::{ElfFile64, Rel, SectionHeader};
use object::{elf, Endianness, SectionIndex};

use super::def::{MapDef, Slot};
use super::symbols::Symbols;
use super::ObjectError;
use crate::MapType;

/// `R_BPF_64_ABS64`: the relocation clang emits for a 64-bit data pointer. Older LLVMs emitted
/// `R_BPF_64_64` (1) for data too.
const R_BPF_64_ABS64: u32 = 2;

/// Adds the declared slots to the maps of `.maps`.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply(
    file: &ElfFile64<'_, Endianness>,
    data: &[u8],
    maps_section: SectionIndex,
    maps_bytes: &[u8],
    symbols: &Symbols<'_>,
    maps: &mut [MapDef],
    values_offsets: &HashMap<String, u32>,
    warnings: &mut Vec<String>,
) -> Result<(), ObjectError> {
    let endian = file.endian();
    let table = file.elf_section_table();
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(maps.len());
    for (i, def) in maps.iter().enumerate() {
        by_name.insert(def.name.as_str(), i);
    }
    let mut slots: Vec<(usize, Slot)> = Vec::new();
    for header in table.iter() {
        if header.sh_type(endian) != elf::SHT_REL
            || header.sh_info(endian) as usize != maps_section.0
        {
            continue;
        }
        let Some((rels, _)) = header.rel(endian, data).map_err(|e| ObjectError::Section {
            section: ".rel.maps".into(),
            problem: e.to_string(),
        })?
        else {
            continue;
        };
        let rels: &[elf::Rel64<Endianness>] = rels;
        for (index, rel) in rels.iter().enumerate() {
            let offset = rel.r_offset(endian);
            let error = |problem: String| ObjectError::Reloc {
                index,
                offset,
                problem,
            };
            let r_type = rel.r_type(endian).0;
            if r_type != R_BPF_64_ABS64 && r_type != elf::R_BPF_64_64.0 {
                return Err(error(format!(
                    "relocation type {r_type}: expected R_BPF_64_ABS64 (2) or R_BPF_64_64 (1)"
                )));
            }
            // `maps` is sorted by offset: the candidate is the last map starting at or before.
            let outer = maps
                .partition_point(|m| m.offset <= offset)
                .checked_sub(1)
                .filter(|&i| offset - maps[i].offset < maps[i].size)
                .ok_or_else(|| error("does not fall inside any map definition".into()))?;
            let outer_def = &maps[outer];
            let Some(&values_offset) = values_offsets.get(&outer_def.name) else {
                return Err(error(format!(
                    "falls inside map '{}', which has no `values` member",
                    outer_def.name
                )));
            };
            let within = offset - outer_def.offset;
            let Some(rel_values) = within.checked_sub(u64::from(values_offset)) else {
                return Err(error(format!(
                    "falls inside map '{}' before its `values` member (offset {values_offset})",
                    outer_def.name
                )));
            };
            if rel_values % 8 != 0 {
                return Err(error(format!(
                    "is {rel_values} bytes into the `values` of map '{}', not a multiple of 8",
                    outer_def.name
                )));
            }
            let slot = u32::try_from(rel_values / 8)
                .map_err(|_| error("slot index does not fit in 32 bits".into()))?;
            // REL relocations keep their addend in the relocated word: `&inner` leaves it 0,
            // anything else would point into the middle of a map definition.
            let word = usize::try_from(offset)
                .ok()
                .and_then(|at| maps_bytes.get(at..at.checked_add(8)?));
            match word {
                Some(word) if word.iter().all(|&b| b == 0) => {}
                // A `.maps` without contents (SHT_NOBITS) holds no addend.
                None if maps_bytes.is_empty() => {}
                Some(_) => {
                    return Err(error(format!(
                        "slot {slot} of map '{}' has a non-zero addend: it must point at a map \
                         itself, not into one",
                        outer_def.name
                    )))
                }
                None => return Err(error("lies outside .maps".into())),
            }
            let target_index = rel.r_sym(endian) as usize;
            let target = symbols.get(target_index).ok_or_else(|| {
                error(format!("names symbol {target_index}, which does not exist"))
            })?;
            if target.section != Some(maps_section) || !target.is_data() {
                if outer_def.attrs.map_type == MapType::PROG_ARRAY {
                    warnings.push(format!(
                        "map '{}': slot {slot} names program '{}', which this loader does not \
                         load (maps only)",
                        outer_def.name, target.name
                    ));
                    continue;
                }
                return Err(error(format!(
                    "slot {slot} of map '{}' names '{}', which is not a map in .maps",
                    outer_def.name, target.name
                )));
            }
            if !by_name.contains_key(target.name) {
                return Err(error(format!(
                    "slot {slot} of map '{}' names '{}', which has no map definition",
                    outer_def.name, target.name
                )));
            }
            slots.push((
                outer,
                Slot {
                    index: slot,
                    map: target.name.to_owned(),
                },
            ));
        }
    }
    for (outer, slot) in slots {
        maps[outer].slots.push(slot);
    }
    for def in maps.iter_mut() {
        def.slots.sort_by_key(|s| s.index);
        if let Some(pair) = def.slots.windows(2).find(|w| w[0].index == w[1].index) {
            return Err(ObjectError::Rule {
                map: def.name.clone(),
                rule: super::Rule::DuplicateSlot(pair[0].index),
            });
        }
    }
    Ok(())
}
