//! [`Btf::to_kernel_bytes`]: the blob as the kernel will take it, with DATASECs filled in.

use super::error::{BtfError, BtfErrorKind};
use super::read::TYPE_HEADER_LEN;
use super::{Btf, Endian, Type};

/// For [`Btf::to_kernel_bytes`]: given a DATASEC's name and a VAR's name, the VAR's `(offset,
/// size)` in that section — from the ELF symbol table — or `None` to leave the entry as it is.
///
/// ```
/// use std::collections::HashMap;
/// use bpfmaps::btf::{Btf, VarPlacement};
/// # fn blob() -> Vec<u8> {
/// #     // int; VAR "m" of type int; DATASEC ".maps" { m } — in host byte order.
/// #     let types: [u32; 14] = [
/// #         1, 1 << 24, 4, (1 << 24) | 32,   // [1] INT "int"
/// #         5, 14 << 24, 1, 1,               // [2] VAR "m": int, global
/// #         7, (15 << 24) | 1, 0, 2, 0, 0,   // [3] DATASEC ".maps", entry: type 2
/// #     ];
/// #     let strings = b"\0int\0m\0.maps\0";
/// #     let mut b = Vec::new();
/// #     b.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
/// #     b.extend_from_slice(&[1, 0]);
/// #     for w in [24u32, 0, 56, 56, strings.len() as u32] { b.extend_from_slice(&w.to_ne_bytes()); }
/// #     for w in types { b.extend_from_slice(&w.to_ne_bytes()); }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// let blob = blob(); // `.maps` holds one VAR, `m`, with the offset and size 0 clang leaves
/// let btf = Btf::parse(&blob)?;
/// // Where the symbol table puts the variables of `.maps`.
/// let symbols = HashMap::from([("m", (0u32, 32u32))]);
/// let place: &VarPlacement<'_> = &|sec, var| match sec {
///     ".maps" => symbols.get(var).copied(),
///     _ => None,
/// };
/// let fixed = btf.to_kernel_bytes(place, &|_| None)?;
/// let fixed = Btf::parse(&fixed)?;
/// let (_, maps) = fixed.datasec(".maps").unwrap();
/// assert_eq!((maps.entries[0].offset, maps.entries[0].size), (0, 32));
/// assert_eq!(maps.size, 0); // no section size given: left as it was
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
pub type VarPlacement<'a> = dyn Fn(&str, &str) -> Option<(u32, u32)> + 'a;

/// For [`Btf::to_kernel_bytes`]: given a DATASEC's name, the size of the ELF section — or
/// `None` to leave the DATASEC's size as it is.
///
/// ```
/// use bpfmaps::btf::{Btf, SectionSize};
/// # fn blob() -> Vec<u8> {
/// #     // int; VAR "m" of type int; DATASEC ".maps" { m } — in host byte order.
/// #     let types: [u32; 14] = [
/// #         1, 1 << 24, 4, (1 << 24) | 32,   // [1] INT "int"
/// #         5, 14 << 24, 1, 1,               // [2] VAR "m": int, global
/// #         7, (15 << 24) | 1, 0, 2, 0, 0,   // [3] DATASEC ".maps", entry: type 2
/// #     ];
/// #     let strings = b"\0int\0m\0.maps\0";
/// #     let mut b = Vec::new();
/// #     b.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
/// #     b.extend_from_slice(&[1, 0]);
/// #     for w in [24u32, 0, 56, 56, strings.len() as u32] { b.extend_from_slice(&w.to_ne_bytes()); }
/// #     for w in types { b.extend_from_slice(&w.to_ne_bytes()); }
/// #     b.extend_from_slice(strings);
/// #     b
/// # }
/// let blob = blob(); // `.maps` holds one VAR, `m`, with the offset and size 0 clang leaves
/// let btf = Btf::parse(&blob)?;
/// let sizes: &SectionSize<'_> = &|sec| (sec == ".maps").then_some(32);
/// let fixed = btf.to_kernel_bytes(&|_, _| None, sizes)?;
/// let fixed = Btf::parse(&fixed)?;
/// let (_, maps) = fixed.datasec(".maps").unwrap();
/// assert_eq!(maps.size, 32);
/// assert_eq!(maps.entries[0].size, 0); // no placement given: left as it was
/// # Ok::<(), bpfmaps::btf::BtfError>(())
/// ```
pub type SectionSize<'a> = dyn Fn(&str) -> Option<u32> + 'a;

impl Btf<'_> {
    /// A copy of the blob for `BPF_BTF_LOAD`, with every DATASEC's size and every DATASEC
    /// entry's offset and size filled in from the ELF file.
    ///
    /// Clang leaves these at 0, and the kernel refuses a DATASEC of size 0 or an entry of
    /// size 0. For each DATASEC, `section_size(datasec_name)` gives the section's size, and
    /// for each entry that places a VAR, `fix(datasec_name, var_name)` gives its `(offset,
    /// size)` (from the symbol table). What a callback answers `None` for is left as it is,
    /// as are entries that do not place a VAR (extern functions in `.ksyms`).
    ///
    /// Nothing else changes, with one exception the kernel forces: it requires a DATASEC's
    /// entries in increasing offset order, so a DATASEC some of whose entries were given new
    /// offsets has its entries sorted by offset (stably: entries already in order stay where
    /// they are). With no fixes, the result is the input, byte for byte.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Type};
    /// # fn blob() -> Vec<u8> {
    /// #     // int; VAR "m" of type int; DATASEC ".maps" { m } — in host byte order.
    /// #     let types: [u32; 14] = [
    /// #         1, 1 << 24, 4, (1 << 24) | 32,   // [1] INT "int"
    /// #         5, 14 << 24, 1, 1,               // [2] VAR "m": int, global
    /// #         7, (15 << 24) | 1, 0, 2, 0, 0,   // [3] DATASEC ".maps", entry: type 2
    /// #     ];
    /// #     let strings = b"\0int\0m\0.maps\0";
    /// #     let mut b = Vec::new();
    /// #     b.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    /// #     b.extend_from_slice(&[1, 0]);
    /// #     for w in [24u32, 0, 56, 56, strings.len() as u32] { b.extend_from_slice(&w.to_ne_bytes()); }
    /// #     for w in types { b.extend_from_slice(&w.to_ne_bytes()); }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// let blob = blob(); // `.maps` holds one VAR, `m`, with the offsets and sizes clang leaves
    /// let btf = Btf::parse(&blob)?;
    /// let fixed = btf.to_kernel_bytes(
    ///     &|sec, var| (sec == ".maps" && var == "m").then_some((0, 32)),
    ///     &|sec| (sec == ".maps").then_some(32),
    /// )?;
    /// let fixed = Btf::parse(&fixed)?;
    /// let (_, maps) = fixed.datasec(".maps").unwrap();
    /// assert_eq!(maps.size, 32);
    /// assert_eq!((maps.entries[0].offset, maps.entries[0].size), (0, 32));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    ///
    /// # Errors
    /// [`BtfErrorKind::WrongByteOrder`] if the blob is not in the host's byte order: the kernel
    /// only loads its own.
    pub fn to_kernel_bytes(
        &self,
        fix: &VarPlacement<'_>,
        section_size: &SectionSize<'_>,
    ) -> Result<Vec<u8>, BtfError> {
        if self.endian != Endian::host() {
            let err = BtfErrorKind::WrongByteOrder {
                data: self.endian,
                host: Endian::host(),
            };
            return Err(BtfError::new(err, 0));
        }
        let mut out = self.data.to_vec();
        for (id, ty) in self.types() {
            let Type::Datasec(sec) = ty else { continue };
            let record = self.type_offset(id).unwrap_or(0);
            if let Some(size) = section_size(sec.name) {
                write_u32(&mut out, record.checked_add(8), size, self.endian)?;
            }
            let mut entries: Vec<[u32; 3]> = Vec::with_capacity(sec.entries.len());
            let mut moved = false;
            for entry in &sec.entries {
                let var = match self.type_by_id(entry.type_id)? {
                    Type::Var(var) => Some(var.name),
                    _ => None,
                };
                let (offset, size) = match var.and_then(|name| fix(sec.name, name)) {
                    Some(new) => {
                        moved = true;
                        new
                    }
                    None => (entry.offset, entry.size),
                };
                entries.push([entry.type_id.get(), offset, size]);
            }
            if !moved {
                continue;
            }
            // The kernel wants increasing offsets; a stable sort leaves ordered input alone.
            entries.sort_by_key(|&[_, offset, _]| offset);
            let mut at = record.checked_add(TYPE_HEADER_LEN);
            for word in entries.into_iter().flatten() {
                write_u32(&mut out, at, word, self.endian)?;
                at = at.and_then(|pos| pos.checked_add(4));
            }
        }
        Ok(out)
    }
}

/// Writes `value` at `pos` in `out`. Parsing read every DATASEC record from the blob, so the
/// error is only a second line of defence against a path that could panic.
fn write_u32(
    out: &mut [u8],
    pos: Option<usize>,
    value: u32,
    endian: Endian,
) -> Result<(), BtfError> {
    let len = out.len();
    let slot = pos
        .and_then(|pos| out.get_mut(pos..pos.checked_add(4)?))
        .ok_or_else(|| {
            let pos = pos.unwrap_or(usize::MAX);
            let err = BtfErrorKind::Truncated {
                what: "DATASEC record",
                needed: 4,
                available: len.saturating_sub(pos),
            };
            BtfError::new(err, pos.min(len))
        })?;
    for (dst, src) in slot.iter_mut().zip(endian.write_u32(value)) {
        *dst = src;
    }
    Ok(())
}
