//! Decoding the type section: one `struct btf_type` record at a time, then a check that
//! every type id a type refers to exists.

use super::cursor::Cursor;
use super::error::{BtfError, BtfErrorKind};
use super::strings::Strings;
use super::types::{
    describe, Array, Composite, Datasec, DatasecEntry, DeclTag, Enum, Enum64, Enum64Value,
    EnumValue, Field, Float, Func, FuncProto, Fwd, Int, IntEncoding, Linkage, Member, Param, Type,
    TypeTag, Typedef, Var,
};
use super::{Kind, TypeId};

/// `sizeof(struct btf_type)`.
pub(crate) const TYPE_HEADER_LEN: usize = 12;
/// `sizeof(struct btf_member)`, `sizeof(struct btf_var_secinfo)`, `sizeof(struct btf_enum64)`.
const RECORD12: usize = 12;
/// `sizeof(struct btf_enum)`, `sizeof(struct btf_param)`.
const RECORD8: usize = 8;

/// Every type of the type section, with type 0 (void) first, and the offset in the blob of
/// each one's record (for void, the start of the type section).
pub(crate) fn read_types<'data>(
    mut cur: Cursor<'data>,
    strings: &Strings<'data>,
) -> Result<(Vec<Type<'data>>, Vec<usize>), BtfError> {
    // Grown as we go rather than reserved from the section length: most records are longer
    // than the 12-byte minimum, so a reservation would overshoot by a few times.
    let mut types = vec![Type::Void];
    let mut offsets = vec![cur.offset()];
    while !cur.is_empty() {
        // At most one type per 12 bytes of a section of at most 4 GiB: always fits.
        let id = TypeId::new(u32::try_from(types.len()).unwrap_or(u32::MAX));
        let start = cur.offset();
        types.push(read_type(&mut cur, strings, id)?);
        offsets.push(start);
    }
    check_refs(&types, &offsets)?;
    Ok((types, offsets))
}

/// Decodes the record at `cur`, type `id`, and moves past it.
fn read_type<'data>(
    cur: &mut Cursor<'data>,
    strings: &Strings<'data>,
    id: TypeId,
) -> Result<Type<'data>, BtfError> {
    let start = cur.offset();
    let mut head = cur
        .take(TYPE_HEADER_LEN, "type header")
        .map_err(|e| e.in_type(id, ""))?;
    let name_off = head.u32("type header")?;
    let info = head.u32("type header")?;
    let size_or_type = head.u32("type header")?;

    let kind_number = (info >> 24) & 0x1f;
    let kind = match Kind::from_number(kind_number) {
        Some(Kind::Void) | None => {
            let err = BtfErrorKind::UnknownKind { kind: kind_number };
            return Err(BtfError::new(err, start).in_type(id, ""));
        }
        Some(kind) => kind,
    };
    let vlen = (info & 0xffff) as usize;
    let kind_flag = info & (1 << 31) != 0;

    let name = match kind {
        // Kinds the kernel requires to be unnamed: we neither check nor keep their name.
        Kind::Ptr
        | Kind::Array
        | Kind::Volatile
        | Kind::Const
        | Kind::Restrict
        | Kind::FuncProto
        | Kind::Void => "",
        _ => strings
            .get(name_off, Field::Name, start)
            .map_err(|e| e.in_type(id, kind.name()))?,
    };
    let raw = Raw {
        kind,
        name,
        vlen,
        kind_flag,
        size_or_type,
    };
    read_body(cur, strings, &raw).map_err(|e| {
        let mut desc = String::new();
        // Writing to a String cannot fail.
        let _ = describe(&mut desc, kind, name);
        e.in_type(id, &desc)
    })
}

/// The fields of a `struct btf_type` that decide how to read the rest.
struct Raw<'data> {
    kind: Kind,
    name: &'data str,
    vlen: usize,
    kind_flag: bool,
    size_or_type: u32,
}

/// Reads what follows the 12-byte header for `raw.kind`.
fn read_body<'data>(
    cur: &mut Cursor<'data>,
    strings: &Strings<'data>,
    raw: &Raw<'data>,
) -> Result<Type<'data>, BtfError> {
    let name = raw.name;
    let target = TypeId::new(raw.size_or_type);
    let size = raw.size_or_type;
    Ok(match raw.kind {
        Kind::Void => Type::Void,
        Kind::Int => {
            let data = cur.u32("INT data")?;
            Type::Int(Int {
                name,
                size,
                encoding: IntEncoding::from_bits_retain(((data >> 24) & 0x0f) as u8),
                bit_offset: (data >> 16) as u8,
                bits: data as u8,
            })
        }
        Kind::Ptr => Type::Ptr(target),
        Kind::Array => {
            let mut rec = cur.take(RECORD12, "array data")?;
            Type::Array(Array {
                elem: TypeId::new(rec.u32("array data")?),
                index: TypeId::new(rec.u32("array data")?),
                nelems: rec.u32("array data")?,
            })
        }
        Kind::Struct | Kind::Union => {
            let composite = Composite {
                name,
                size,
                members: read_members(cur, strings, raw)?,
            };
            if raw.kind == Kind::Struct {
                Type::Struct(composite)
            } else {
                Type::Union(composite)
            }
        }
        Kind::Enum => {
            let mut recs = cur.take_records(raw.vlen, RECORD8, "enum value list")?;
            let mut values = Vec::with_capacity(raw.vlen);
            for i in 0..raw.vlen {
                let at = recs.offset();
                let name = strings.get(recs.u32("enum value")?, Field::ValueName(i), at)?;
                let bits = recs.u32("enum value")?;
                let value = if raw.kind_flag {
                    i64::from(bits as i32)
                } else {
                    i64::from(bits)
                };
                values.push(EnumValue { name, value });
            }
            Type::Enum(Enum {
                name,
                size,
                signed: raw.kind_flag,
                values,
            })
        }
        Kind::Fwd => Type::Fwd(Fwd {
            name,
            is_union: raw.kind_flag,
        }),
        Kind::Typedef => Type::Typedef(Typedef { name, target }),
        Kind::Volatile => Type::Volatile(target),
        Kind::Const => Type::Const(target),
        Kind::Restrict => Type::Restrict(target),
        Kind::Func => Type::Func(Func {
            name,
            proto: target,
            linkage: Linkage::from_raw(raw.vlen as u32),
        }),
        Kind::FuncProto => {
            let mut recs = cur.take_records(raw.vlen, RECORD8, "param list")?;
            let mut params = Vec::with_capacity(raw.vlen);
            for i in 0..raw.vlen {
                let at = recs.offset();
                let name = strings.get(recs.u32("param")?, Field::ParamName(i), at)?;
                let type_id = TypeId::new(recs.u32("param")?);
                params.push(Param { name, type_id });
            }
            Type::FuncProto(FuncProto {
                ret: target,
                params,
            })
        }
        Kind::Var => Type::Var(Var {
            name,
            type_id: target,
            linkage: Linkage::from_raw(cur.u32("VAR data")?),
        }),
        Kind::Datasec => {
            let mut recs = cur.take_records(raw.vlen, RECORD12, "DATASEC entry list")?;
            let mut entries = Vec::with_capacity(raw.vlen);
            for _ in 0..raw.vlen {
                entries.push(DatasecEntry {
                    type_id: TypeId::new(recs.u32("DATASEC entry")?),
                    offset: recs.u32("DATASEC entry")?,
                    size: recs.u32("DATASEC entry")?,
                });
            }
            Type::Datasec(Datasec {
                name,
                size,
                entries,
            })
        }
        Kind::Float => Type::Float(Float { name, size }),
        Kind::DeclTag => Type::DeclTag(DeclTag {
            name,
            target,
            component_idx: cur.i32("DECL_TAG data")?,
            attribute: raw.kind_flag,
        }),
        Kind::TypeTag => Type::TypeTag(TypeTag {
            name,
            target,
            attribute: raw.kind_flag,
        }),
        Kind::Enum64 => {
            let mut recs = cur.take_records(raw.vlen, RECORD12, "enum64 value list")?;
            let mut values = Vec::with_capacity(raw.vlen);
            for i in 0..raw.vlen {
                let at = recs.offset();
                let name = strings.get(recs.u32("enum64 value")?, Field::ValueName(i), at)?;
                let lo = recs.u32("enum64 value")?;
                let hi = recs.u32("enum64 value")?;
                let value = (u64::from(hi) << 32) | u64::from(lo);
                values.push(Enum64Value { name, value });
            }
            Type::Enum64(Enum64 {
                name,
                size,
                signed: raw.kind_flag,
                values,
            })
        }
    })
}

/// The `vlen` members of a struct or union. With `kind_flag` set, each `offset` holds the
/// bitfield size in its top 8 bits and the bit offset in the low 24; without, all 32 bits are
/// the bit offset.
fn read_members<'data>(
    cur: &mut Cursor<'data>,
    strings: &Strings<'data>,
    raw: &Raw<'data>,
) -> Result<Vec<Member<'data>>, BtfError> {
    // Checked against the bytes left before the Vec is reserved: a vlen of 65535 in a short
    // blob is an error, not a 3 MB allocation.
    let mut recs = cur.take_records(raw.vlen, RECORD12, "member list")?;
    let mut members = Vec::with_capacity(raw.vlen);
    for i in 0..raw.vlen {
        let at = recs.offset();
        let name = strings.get(recs.u32("member")?, Field::MemberName(i), at)?;
        let type_id = TypeId::new(recs.u32("member")?);
        let offset = recs.u32("member")?;
        let (bit_offset, bitfield_size) = if raw.kind_flag {
            (offset & 0x00ff_ffff, (offset >> 24) as u8)
        } else {
            (offset, 0)
        };
        members.push(Member {
            name,
            type_id,
            bit_offset,
            bitfield_size,
        });
    }
    Ok(members)
}

/// Checks that every type id any type refers to is a type, so that later lookups by
/// reference cannot fail on range.
fn check_refs(types: &[Type<'_>], offsets: &[usize]) -> Result<(), BtfError> {
    let count = types.len();
    for ((index, ty), &offset) in types.iter().enumerate().zip(offsets) {
        ty.visit_refs(|field, target| {
            if target.index() < count {
                return Ok(());
            }
            let id = TypeId::new(u32::try_from(index).unwrap_or(u32::MAX));
            let err = BtfErrorKind::DanglingType {
                field: field.to_string(),
                target: target.get(),
                count,
            };
            Err(BtfError::new(err, offset).in_type(id, &ty.to_string()))
        })?;
    }
    Ok(())
}
