//! `parse_elf`: any bytes as a BPF object file, then every map definition read back.
//!
//! No kernel is involved. The crate promises that parsing never panics and that every failure
//! is an [`Error::Object`]; on success, the parsed object must be self-consistent.

use bpfmaps::elf::{BpfObject, ParseOptions};
use bpfmaps::loader::{self, LoadOptions};
use bpfmaps::Error;

/// What parsing gave, for the replay test to assert on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The object parsed, with this many maps.
    Parsed {
        /// How many map definitions it holds.
        maps: usize,
    },
    /// The parser refused it with an [`Error::Object`].
    Refused,
}

/// The target's body: parse strictly and relaxed, check what came out.
pub fn run(data: &[u8]) -> Outcome {
    let strict = BpfObject::parse(data);
    let relaxed = BpfObject::parse_with(data, ParseOptions { relaxed: true });
    match (&strict, &relaxed) {
        (Ok(obj), Ok(lax)) => {
            // Nothing was unknown, so relaxing changes nothing (a strict parse has warnings
            // too: slots of a program array that name programs).
            assert_eq!(obj.maps(), lax.maps(), "strict and relaxed parses differ");
            assert_eq!(obj.warnings(), lax.warnings());
        }
        (Ok(obj), Err(e)) => panic!(
            "the strict parse accepted {} maps, the relaxed one refused: {e}",
            obj.maps().len()
        ),
        _ => {}
    }
    if let Ok(lax) = &relaxed {
        check_object(lax);
    }
    match strict {
        Ok(obj) => {
            check_object(&obj);
            Outcome::Parsed {
                maps: obj.maps().len(),
            }
        }
        Err(e) => {
            check_error(&e, "BpfObject::parse");
            Outcome::Refused
        }
    }
}

/// An error from parsing or checking an object must be an [`Error::Object`] that says
/// something.
pub fn check_error(e: &Error, what: &str) {
    assert!(
        matches!(e, Error::Object(_)),
        "{what}: expected Error::Object, got {e:?}"
    );
    assert!(!e.to_string().is_empty(), "{what}: empty message for {e:?}");
}

/// Everything a caller may read from a parsed object, read, and the promises checked.
pub fn check_object(obj: &BpfObject) {
    let maps = obj.maps();
    for def in maps {
        // Names are unique (a second definition is refused), so the index finds this one.
        assert_eq!(obj.map(&def.name), Some(def), "map '{}' by name", def.name);
        let _ = def.attrs.to_spec();
        assert!(!def.attrs.to_string().is_empty());
        let _ = def.is_outer();
        if let Some(inner) = &def.attrs.inner {
            let _ = inner.to_spec();
            let _ = inner.to_string();
        }
        // Slots are sorted by index, without duplicates, and name maps of this object.
        for pair in def.slots.windows(2) {
            assert!(
                pair[0].index < pair[1].index,
                "map '{}': slots {:?} not strictly increasing",
                def.name,
                def.slots
            );
        }
        for slot in &def.slots {
            assert!(
                obj.map(&slot.map).is_some(),
                "map '{}': slot {} names '{}', which is not a map of the object",
                def.name,
                slot.index,
                slot.map
            );
        }
        if let Some(from) = &def.inner_from {
            assert!(obj.map(from).is_some(), "inner_from '{from}' is not a map");
        }
    }
    let _ = obj.warnings().iter().map(String::len).sum::<usize>();
    let _ = (obj.name(), obj.endian(), obj.has_btf());
    if let Err(e) = obj.check_byte_order() {
        assert!(!e.to_string().is_empty());
    }
    // The loader's own checks run before it touches the kernel: same promise.
    if let Err(e) = loader::check(obj, &LoadOptions::new()) {
        check_error(&e, "loader::check");
    }
}
