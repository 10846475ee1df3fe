//! The symbol table, read once: names, sections, offsets and sizes.

use std::collections::HashMap;

use object::read::elf::{ElfFile64, Sym};
use object::{elf, Endianness, SectionIndex};

use super::ObjectError;

/// Where each data symbol lies: section name → symbol name → (offset, size).
pub(crate) type Placements = HashMap<String, HashMap<String, (u32, u32)>>;

/// The longest name the kernel accepts in BTF (`KSYM_NAME_LEN` − 1). Placements and section
/// sizes keep no longer name: no DATASEC the kernel loads can ask for it, and copying every
/// such name would let an object whose names overlap in its string table make the parser hold
/// (symbols × name length) bytes.
pub(crate) const MAX_BTF_NAME: usize = 511;

/// One symbol, as much of it as the map loader uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Symbol<'data> {
    pub(crate) name: &'data str,
    pub(crate) section: Option<SectionIndex>,
    pub(crate) value: u64,
    pub(crate) size: u64,
    pub(crate) kind: elf::SymbolType,
}

impl Symbol<'_> {
    /// A data symbol that can name a map: named, and not a section or file symbol.
    pub(crate) fn is_data(&self) -> bool {
        !self.name.is_empty() && matches!(self.kind, elf::STT_OBJECT | elf::STT_NOTYPE)
    }
}

/// Every symbol, by its index in the symbol table, and the names of the sections.
pub(crate) struct Symbols<'data> {
    symbols: Vec<Symbol<'data>>,
    section_names: HashMap<SectionIndex, &'data str>,
    /// `(section, name)` → index in `symbols` of the first data symbol of that name there, so
    /// that finding each of n maps' symbols costs O(n), not O(n²).
    by_name: HashMap<(SectionIndex, &'data str), usize>,
}

impl<'data> Symbols<'data> {
    pub(crate) fn read(file: &ElfFile64<'data, Endianness>) -> Result<Symbols<'data>, ObjectError> {
        let endian = file.endian();
        let table = file.elf_symbol_table();
        let mut symbols = Vec::with_capacity(table.len());
        for (index, sym) in table.enumerate() {
            let name = table
                .symbol_name(endian, sym)
                .ok()
                .and_then(|n| core::str::from_utf8(n).ok())
                .unwrap_or("");
            let section = table.symbol_section(endian, sym, index).ok().flatten();
            symbols.push(Symbol {
                name,
                section,
                value: sym.st_value(endian),
                size: sym.st_size(endian),
                kind: sym.st_type(),
            });
        }
        let sections = file.elf_section_table();
        let mut section_names = HashMap::new();
        for (index, header) in sections.enumerate() {
            if let Some(name) = sections
                .section_name(endian, header)
                .ok()
                .and_then(|n| core::str::from_utf8(n).ok())
            {
                section_names.insert(index, name);
            }
        }
        let mut by_name = HashMap::with_capacity(symbols.len());
        for (i, sym) in symbols.iter().enumerate() {
            if let (Some(section), true) = (sym.section, sym.is_data()) {
                by_name.entry((section, sym.name)).or_insert(i);
            }
        }
        Ok(Symbols {
            symbols,
            section_names,
            by_name,
        })
    }

    /// The symbol at `index` of the symbol table.
    pub(crate) fn get(&self, index: usize) -> Option<&Symbol<'data>> {
        self.symbols.get(index)
    }

    /// The data symbols defined in `section`.
    pub(crate) fn in_section(
        &self,
        section: SectionIndex,
    ) -> impl Iterator<Item = &Symbol<'data>> + '_ {
        self.symbols
            .iter()
            .filter(move |s| s.section == Some(section) && s.is_data())
    }

    /// The data symbol `name` defined in `section` (the first in the table, if several are).
    pub(crate) fn find(&self, section: SectionIndex, name: &str) -> Option<&Symbol<'data>> {
        let &i = self.by_name.get(&(section, name))?;
        self.symbols.get(i)
    }

    /// `section name → symbol name → (offset, size)` for every data symbol that fits in 32
    /// bits: what `BPF_BTF_LOAD` needs written into the DATASECs. Nested, so that a load looks
    /// a variable up by two borrowed names without building a key.
    pub(crate) fn placements(&self) -> Placements {
        let mut out = Placements::new();
        for sym in self.symbols.iter().filter(|s| s.is_data()) {
            let Some(section) = sym.section.and_then(|i| self.section_names.get(&i)) else {
                continue;
            };
            if sym.name.len() > MAX_BTF_NAME || section.len() > MAX_BTF_NAME {
                continue;
            }
            if let (Ok(value), Ok(size)) = (u32::try_from(sym.value), u32::try_from(sym.size)) {
                out.entry(section.to_string())
                    .or_default()
                    .insert(sym.name.to_owned(), (value, size));
            }
        }
        out
    }
}
