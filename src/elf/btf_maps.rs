//! BTF-defined maps: the `.maps` DATASEC, each VAR a struct whose members are the map's fields.
//!
//! The encodings (from `bpf_helpers.h`'s macros):
//! - `__uint(name, N)`: `int (*name)[N]` — a PTR to an ARRAY of N elements; the value is N.
//! - `__ulong(name, N)`: `enum { … = N } name` — an ENUM or ENUM64 of one value; the value is N.
//! - `__type(name, T)`: `typeof(T) *name` — a PTR to T; the size of T, and T's type id.
//! - `__array(values, struct inner)`: `typeof(struct inner) *values[]` — a zero-length ARRAY of
//!   PTRs to the inner definition (a struct of the same kind), at the end of the struct.

use std::collections::HashSet;

use object::SectionIndex;

use super::def::{check_map_name, DefSource, MapAttrs, MapDef, Pinning};
use super::symbols::Symbols;
use super::{ObjectError, ParseOptions};
use crate::btf::{Btf, Member, Type, TypeId};
use crate::{MapFlags, MapType};

/// Every map of the `.maps` section, with the byte offset of its `values` member where it has
/// one.
pub(super) fn parse(
    btf: &Btf<'_>,
    symbols: &Symbols<'_>,
    section: SectionIndex,
    section_len: usize,
    options: ParseOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<(MapDef, Option<u32>)>, ObjectError> {
    let section_error = |problem: String| ObjectError::Section {
        section: ".maps".into(),
        problem,
    };
    let Some((_, datasec)) = btf.datasec(".maps") else {
        if symbols.in_section(section).next().is_some() {
            return Err(section_error(
                "it holds maps but .BTF has no DATASEC '.maps' to describe them".into(),
            ));
        }
        return Ok(Vec::new());
    };
    let mut maps = Vec::with_capacity(datasec.entries.len());
    let mut seen = HashSet::with_capacity(datasec.entries.len());
    for entry in &datasec.entries {
        let Type::Var(var) = btf.type_by_id(entry.type_id)? else {
            return Err(section_error(format!(
                "DATASEC entry type {} is not a VAR",
                entry.type_id
            )));
        };
        let name = var.name;
        check_map_name(name)?;
        if !seen.insert(name) {
            return Err(ObjectError::Map {
                map: name.into(),
                problem: "defined twice".into(),
            });
        }
        let symbol = symbols
            .find(section, name)
            .ok_or_else(|| ObjectError::Map {
                map: name.into(),
                problem: "described in .BTF but has no symbol in .maps".into(),
            })?;
        let end = symbol.value.checked_add(symbol.size);
        if end.is_none_or(|end| end > section_len as u64) {
            return Err(ObjectError::Map {
                map: name.into(),
                problem: format!(
                    "symbol at {:#x}, {} bytes, lies outside .maps ({} bytes)",
                    symbol.value, symbol.size, section_len
                ),
            });
        }
        let reader = DefReader {
            btf,
            map: name,
            options,
        };
        let (attrs, values_offset) = reader.definition(var.type_id, 0, warnings)?;
        maps.push((
            MapDef {
                name: name.to_owned(),
                source: DefSource::Btf,
                attrs,
                inner_from: None,
                slots: Vec::new(),
                offset: symbol.value,
                size: symbol.size,
            },
            values_offset,
        ));
    }
    maps.sort_by_key(|(def, _)| def.offset);
    Ok(maps)
}

/// Reads one definition struct.
struct DefReader<'a, 'data> {
    btf: &'a Btf<'data>,
    map: &'a str,
    options: ParseOptions,
}

impl DefReader<'_, '_> {
    fn field_error(&self, field: &str, problem: impl Into<String>) -> ObjectError {
        ObjectError::Field {
            map: self.map.into(),
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The attributes of the definition struct `type_id`; `depth` 0 for a map, 1 for an inner
    /// definition (whose own inner definition is not read: nesting is refused later).
    fn definition(
        &self,
        type_id: TypeId,
        depth: u8,
        warnings: &mut Vec<String>,
    ) -> Result<(MapAttrs, Option<u32>), ObjectError> {
        let (_, ty) = self.btf.resolve(type_id)?;
        let Type::Struct(def) = ty else {
            return Err(ObjectError::Map {
                map: self.map.into(),
                problem: format!("definition is {ty}, not a struct"),
            });
        };
        let mut attrs = MapAttrs::new(MapType::UNSPEC);
        let mut saw_type = false;
        let mut key_size = None;
        let mut value_size = None;
        let mut values_offset = None;
        for member in &def.members {
            let field = member.name;
            if member.bitfield_size != 0 || member.byte_offset().is_none() {
                return Err(self.field_error(field, "is a bitfield"));
            }
            match field {
                "type" => {
                    attrs.map_type = MapType::from_raw(self.uint(member)?);
                    saw_type = true;
                }
                "max_entries" => attrs.max_entries = self.uint(member)?,
                "map_flags" => attrs.flags = MapFlags::from_bits_retain(self.uint(member)?),
                "numa_node" => attrs.numa_node = self.uint(member)?,
                "map_extra" => attrs.map_extra = self.ulong(member)?,
                "pinning" => {
                    attrs.pinning = match self.uint(member)? {
                        0 => Pinning::None,
                        1 => Pinning::ByName,
                        n => Pinning::Unsupported(n),
                    }
                }
                "key_size" => set_size(self, &mut key_size, field, self.uint(member)?)?,
                "value_size" => set_size(self, &mut value_size, field, self.uint(member)?)?,
                "key" => {
                    let (id, size) = self.pointee(member)?;
                    set_size(self, &mut key_size, field, size)?;
                    attrs.btf_key_type_id = id.get();
                }
                "value" => {
                    let (id, size) = self.pointee(member)?;
                    set_size(self, &mut value_size, field, size)?;
                    attrs.btf_value_type_id = id.get();
                }
                "values" => {
                    attrs.has_values = true;
                    values_offset = member.byte_offset();
                    if depth == 0 {
                        attrs.inner = self.values(member, warnings)?.map(Box::new);
                    }
                }
                _ if self.options.relaxed => warnings.push(format!(
                    "map '{}': unknown field '{field}' skipped",
                    self.map
                )),
                _ => {
                    return Err(ObjectError::UnknownField {
                        map: self.map.into(),
                        field: field.into(),
                    })
                }
            }
        }
        if !saw_type {
            return Err(self.field_error("type", "missing: every map definition needs a type"));
        }
        attrs.key_size = key_size.unwrap_or(0);
        attrs.value_size = value_size.unwrap_or(0);
        if attrs.map_type.is_outer() {
            // A map of maps holds 4-byte fds (in) and ids (out); definitions rarely say so.
            attrs.value_size = value_size.unwrap_or(4);
            if attrs.map_type == MapType::ARRAY_OF_MAPS {
                attrs.key_size = key_size.unwrap_or(4);
            }
        }
        Ok((attrs, values_offset))
    }

    /// `values`: a zero-length array of pointers to the inner definition (or, for a program
    /// array, to function prototypes, which this loader ignores).
    fn values(
        &self,
        member: &Member<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<MapAttrs>, ObjectError> {
        let (_, ty) = self.btf.resolve(member.type_id)?;
        let Type::Array(array) = ty else {
            return Err(self.field_error("values", format!("expected an ARRAY, got {ty}")));
        };
        if array.nelems != 0 {
            return Err(self.field_error(
                "values",
                format!(
                    "expected a zero-length array, got {} elements",
                    array.nelems
                ),
            ));
        }
        let (_, elem) = self.btf.resolve(array.elem)?;
        let Type::Ptr(target) = elem else {
            return Err(self.field_error("values", format!("expected PTR elements, got {elem}")));
        };
        let (target_id, target) = self.btf.resolve(*target)?;
        match target {
            Type::Struct(_) => {
                let (attrs, _) = self.definition(target_id, 1, warnings)?;
                Ok(Some(attrs))
            }
            Type::FuncProto(_) => Ok(None),
            other => Err(self.field_error(
                "values",
                format!("expected pointers to a map definition struct, got pointers to {other}"),
            )),
        }
    }

    /// `__uint(name, N)`: N, from `int (*name)[N]`.
    fn uint(&self, member: &Member<'_>) -> Result<u32, ObjectError> {
        let value = self.ulong(member)?;
        u32::try_from(value)
            .map_err(|_| self.field_error(member.name, format!("{value} does not fit in 32 bits")))
    }

    /// `__uint(name, N)` or `__ulong(name, N)`: N.
    fn ulong(&self, member: &Member<'_>) -> Result<u64, ObjectError> {
        let (_, ty) = self.btf.resolve(member.type_id)?;
        match ty {
            Type::Ptr(target) => {
                let (_, target) = self.btf.resolve(*target)?;
                match target {
                    Type::Array(array) => Ok(u64::from(array.nelems)),
                    other => Err(self.field_error(
                        member.name,
                        format!("expected PTR to ARRAY (__uint), got PTR to {other}"),
                    )),
                }
            }
            Type::Enum(e) => match e.values.as_slice() {
                [one] => u64::try_from(one.value).map_err(|_| {
                    self.field_error(member.name, format!("negative value {}", one.value))
                }),
                _ => Err(self.field_error(member.name, "expected an enum of exactly one value")),
            },
            Type::Enum64(e) => match e.values.as_slice() {
                [one] => Ok(one.value),
                _ => Err(self.field_error(member.name, "expected an enum of exactly one value")),
            },
            other => Err(self.field_error(
                member.name,
                format!("expected PTR to ARRAY (__uint) or ENUM (__ulong), got {other}"),
            )),
        }
    }

    /// `__type(name, T)`: T's id and size, from `typeof(T) *name`.
    fn pointee(&self, member: &Member<'_>) -> Result<(TypeId, u32), ObjectError> {
        let (_, ty) = self.btf.resolve(member.type_id)?;
        let Type::Ptr(target) = ty else {
            return Err(self.field_error(member.name, format!("expected PTR (__type), got {ty}")));
        };
        let size = self
            .btf
            .size_of(*target)
            .map_err(|e| self.field_error(member.name, format!("type has no size: {e}")))?;
        Ok((*target, size))
    }
}

/// Records a key or value size, refusing two fields that disagree (`key` and `key_size`).
fn set_size(
    reader: &DefReader<'_, '_>,
    slot: &mut Option<u32>,
    field: &str,
    size: u32,
) -> Result<(), ObjectError> {
    match *slot {
        Some(old) if old != size => Err(reader.field_error(
            field,
            format!("size {size} conflicts with {old} given by another field"),
        )),
        _ => {
            *slot = Some(size);
            Ok(())
        }
    }
}
