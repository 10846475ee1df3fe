//! `parse_btf`: any bytes as a BTF blob, then every type resolved, sized and printed.
//!
//! The crate promises: parsing never panics; every type id a parsed type refers to is in
//! range; the walks along references are bounded; [`Btf::to_kernel_bytes`] gives back the
//! blob byte for byte when nothing is fixed, and a blob that parses again when something is.

use bpfmaps::btf::{Btf, BtfErrorKind, Endian, Type, TypeId};

/// What parsing gave, for the replay test to assert on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The blob parsed, with this many types (void included).
    Parsed {
        /// [`Btf::len`].
        types: usize,
    },
    /// The parser refused it.
    Refused,
}

/// Named types looked up again with [`Btf::find_by_name`], at most: the search is linear, so
/// all of them would make a large blob quadratic.
const FIND_LIMIT: usize = 64;

/// The target's body.
pub fn run(data: &[u8]) -> Outcome {
    let btf = match Btf::parse(data) {
        Ok(btf) => btf,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "empty message for {e:?}");
            let _ = (e.kind(), e.offset(), e.type_id());
            return Outcome::Refused;
        }
    };
    check(&btf, data);
    Outcome::Parsed { types: btf.len() }
}

/// Every type of `btf` read back, resolved and sized; the fixup run both ways.
pub fn check(btf: &Btf<'_>, data: &[u8]) {
    assert!(!btf.is_empty());
    assert_eq!(btf.types().len(), btf.len());
    assert_eq!(btf.type_by_id(TypeId::VOID).ok(), Some(&Type::Void));
    assert_eq!(btf.name_at(0).ok(), Some(""));
    let _ = format!("{btf:?} {:?}", btf.header());
    let mut found = 0;
    for (id, ty) in btf.types() {
        assert!(btf.type_offset(id).is_some_and(|at| at <= data.len()));
        let _ = ty.to_string();
        check_refs(btf, id, ty);
        if let Ok((target, resolved)) = btf.resolve(id) {
            assert!(
                resolved.modifier_target().is_none(),
                "[{id}] resolves to {resolved}"
            );
            assert_eq!(btf.type_by_id(target).ok(), Some(resolved));
        }
        if let Ok(size) = btf.size_of(id) {
            if matches!(ty, Type::Ptr(_)) {
                assert_eq!(size, 8);
            }
        }
        if !ty.name().is_empty() && found < FIND_LIMIT {
            found += 1;
            let first = btf.find_by_name(ty.kind(), ty.name());
            assert!(
                first.is_some_and(|f| f <= id),
                "[{id}] {ty}: find_by_name gave {first:?}"
            );
            if let Type::Datasec(_) = ty {
                assert!(btf.datasec(ty.name()).is_some_and(|(f, _)| f <= id));
            }
        }
    }
    // A few string offsets taken from the blob itself: in range or not, never a panic.
    for chunk in data.chunks_exact(4).take(16) {
        let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let _ = btf.name_at(offset);
    }
    check_fixup(btf, data);
}

/// The ids a type refers to are in range (the parser checked them), and members read back.
fn check_refs(btf: &Btf<'_>, id: TypeId, ty: &Type<'_>) {
    let in_range = |what: &str, r: TypeId| {
        assert!(
            btf.type_by_id(r).is_ok(),
            "[{id}] {ty}: {what} {r} out of range ({} types)",
            btf.len()
        );
    };
    match ty {
        Type::Struct(c) | Type::Union(c) => {
            for m in &c.members {
                in_range("member", m.type_id);
                if m.bit_offset % 8 == 0 {
                    assert_eq!(m.byte_offset(), Some(m.bit_offset / 8));
                }
                assert_eq!(c.member(m.name).map(|f| f.name), Some(m.name));
                let _ = btf.size_of(m.type_id);
            }
        }
        Type::Array(a) => {
            in_range("element", a.elem);
            in_range("index", a.index);
        }
        Type::FuncProto(p) => {
            in_range("return", p.ret);
            p.params.iter().for_each(|p| in_range("param", p.type_id));
            let _ = p.is_variadic();
        }
        Type::Func(f) => in_range("proto", f.proto),
        Type::Var(v) => in_range("type", v.type_id),
        Type::Datasec(d) => d.entries.iter().for_each(|e| in_range("entry", e.type_id)),
        Type::DeclTag(t) => in_range("target", t.target),
        Type::Ptr(t) => in_range("target", *t),
        other => {
            if let Some(t) = other.modifier_target() {
                in_range("target", t);
            }
        }
    }
}

/// [`Btf::to_kernel_bytes`] with nothing to fix gives the blob back; with every VAR placed
/// and every DATASEC sized, a blob of the same length that parses again, with sorted entries.
fn check_fixup(btf: &Btf<'_>, data: &[u8]) {
    let none = btf.to_kernel_bytes(&|_, _| None, &|_| None);
    if btf.endian() != Endian::host() {
        assert!(
            matches!(&none, Err(e) if matches!(e.kind(), BtfErrorKind::WrongByteOrder { .. })),
            "foreign byte order: {none:?}"
        );
        return;
    }
    assert_eq!(
        none.as_deref().ok(),
        Some(data),
        "no fixes must give the blob back"
    );
    // Place each VAR at a spot derived from its name, descending, so that sorting matters.
    let place = |_sec: &str, var: &str| {
        let n = u32::try_from(var.len()).unwrap_or(u32::MAX);
        Some(((u32::MAX / 2).saturating_sub(n.saturating_mul(16)), 8))
    };
    let fixed = btf
        .to_kernel_bytes(&place, &|sec| u32::try_from(sec.len()).ok())
        .unwrap_or_else(|e| panic!("to_kernel_bytes of a parsed blob failed: {e}"));
    assert_eq!(fixed.len(), data.len());
    let again = Btf::parse(&fixed).unwrap_or_else(|e| panic!("fixed blob does not parse: {e}"));
    assert_eq!(again.len(), btf.len());
    for ((_, before), (_, ty)) in btf.types().zip(again.types()) {
        let (Type::Datasec(old), Type::Datasec(d)) = (before, ty) else {
            continue;
        };
        // Only a DATASEC with a VAR among its entries had something placed, and is sorted.
        let places_a_var = old
            .entries
            .iter()
            .any(|e| matches!(btf.type_by_id(e.type_id), Ok(Type::Var(_))));
        if places_a_var {
            assert!(
                d.entries.windows(2).all(|w| w[0].offset <= w[1].offset),
                "DATASEC '{}' entries not sorted after the fixup",
                d.name
            );
        }
    }
}
