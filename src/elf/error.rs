//! [`ObjectError`]: why an object file cannot be read or loaded, naming the map and the rule.

use crate::btf::BtfError;
use crate::{InnerMismatch, MapType, Refusal};

/// Why a BPF object is refused, by the parser or by the checks made before any syscall.
///
/// ```
/// use bpfmaps::elf::{BpfObject, ObjectError};
/// use bpfmaps::Error;
/// let err = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_unknown_field.bpf.o")).unwrap_err();
/// match &err {
///     Error::Object(ObjectError::UnknownField { map, field }) => {
///         assert_eq!((map.as_str(), field.as_str()), ("frobnicated", "frobnicate"));
///     }
///     other => panic!("unexpected error: {other}"),
/// }
/// assert_eq!(err.to_string(), "map 'frobnicated': unknown field 'frobnicate'");
/// // Bytes that are not ELF at all.
/// assert!(matches!(
///     BpfObject::parse(b"not an object"),
///     Err(Error::Object(ObjectError::Elf(_)))
/// ));
/// ```
///
/// Each variant names where the problem is: the section and offset, or the map and the field,
/// or the map and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// A path that names neither a regular file nor a directory (a FIFO, a socket, a device),
    /// refused before it is read.
    #[error("{}: not a regular file but a {kind}; an object file is read from a regular file", path.display())]
    NotAFile {
        /// The path.
        path: std::path::PathBuf,
        /// What it is (`FIFO`, `socket`, `character device`, `block device`).
        kind: &'static str,
    },

    /// The bytes are not an ELF file the parser can read.
    #[error("not a readable ELF object: {0}")]
    Elf(String),

    /// An ELF file for another machine.
    #[error("ELF machine is {0}, not BPF (EM_BPF = 247)")]
    NotBpf(u16),

    /// The object's byte order is not the host's: it parses, but cannot be loaded.
    #[error(
        "wrong byte order for this host: the object is {object}-endian, this host is {host}-endian"
    )]
    WrongByteOrder {
        /// The object's byte order.
        object: &'static str,
        /// The host's.
        host: &'static str,
    },

    /// The `.BTF` section is malformed.
    #[error(".BTF: {0}")]
    Btf(BtfError),

    /// A section is malformed.
    #[error("section {section}: {problem}")]
    Section {
        /// The section's name.
        section: String,
        /// What is wrong.
        problem: String,
    },

    /// A map definition is malformed.
    #[error("map '{map}': {problem}")]
    Map {
        /// The map's name.
        map: String,
        /// What is wrong.
        problem: String,
    },

    /// A field of a BTF map definition is malformed.
    #[error("map '{map}': field '{field}': {problem}")]
    Field {
        /// The map's name (`outer.values` for an inner definition).
        map: String,
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },

    /// A field this loader does not know (a relaxed parse skips it with a warning).
    #[error("map '{map}': unknown field '{field}'")]
    UnknownField {
        /// The map's name.
        map: String,
        /// The field.
        field: String,
    },

    /// A relocation of `.rel.maps` is malformed.
    #[error(".rel.maps entry {index} (offset {offset:#x}): {problem}")]
    Reloc {
        /// The entry's index in the section.
        index: usize,
        /// Its `r_offset`.
        offset: u64,
        /// What is wrong.
        problem: String,
    },

    /// A map breaks a rule the kernel would enforce, found before touching the kernel.
    #[error("map '{map}': {rule}")]
    Rule {
        /// The map's name.
        map: String,
        /// The rule.
        rule: Rule,
    },
}

/// A rule of map-in-map (or of the loader) that an object breaks, checked before any syscall.
///
/// ```
/// use bpfmaps::elf::{BpfObject, ObjectError, Rule};
/// use bpfmaps::loader::{check, LoadOptions};
/// use bpfmaps::Error;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// // `.values = { [6] = &m }` in an array of maps of 4 entries: the object parses, and checking
/// // it for loading (no syscall) finds the rule it breaks.
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_slot_out_of_range.bpf.o"))?;
/// let err = check(&obj, &LoadOptions::new()).unwrap_err();
/// assert!(matches!(
///     &err,
///     Error::Object(ObjectError::Rule {
///         map,
///         rule: Rule::SlotOutOfRange { index: 6, max_entries: 4 },
///     }) if map == "range_outer"
/// ), "{err}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    /// An inner definition that is itself a map of maps (or declares `values`).
    #[error("multi-level nesting: its inner definition is itself a map of maps; the kernel allows one level")]
    Nested,
    /// An inner definition of a type that cannot be an inner map.
    #[error("its inner definition is a {0} map, which cannot be an inner map")]
    InnerUnsupported(MapType),
    /// `values` on a map that is neither a map of maps nor a program array.
    #[error("it declares `values` but is a {0} map; only array_of_maps, hash_of_maps and prog_array take values")]
    ValuesOnPlain(MapType),
    /// A declared slot past the end of an array of maps.
    #[error("slot {index} is declared but the map has max_entries {max_entries}")]
    SlotOutOfRange {
        /// The slot.
        index: u32,
        /// The map's max_entries.
        max_entries: u32,
    },
    /// A map of maps with no inner definition and no template from the caller.
    #[error("a map of maps needs an inner template: declare `__array(values, …)` or give one with LoadOptions::template")]
    NoTemplate,
    /// A declared inner map that the template would refuse.
    #[error("slot {index}: declared inner map '{inner}': {mismatch}")]
    InnerMismatch {
        /// The slot.
        index: u32,
        /// The inner map.
        inner: String,
        /// What differs.
        mismatch: InnerMismatch,
    },
    /// A declared inner map that cannot be an inner map at all.
    #[error("slot {index}: declared inner map '{inner}': {refusal}")]
    InnerRefused {
        /// The slot.
        index: u32,
        /// The inner map.
        inner: String,
        /// Why.
        refusal: Refusal,
    },
    /// Slots declared on a hash of maps whose key is not 4 bytes.
    #[error("slots are declared by index, which needs a 4-byte key, but the key is {0} bytes")]
    SlotKeySize(u32),
    /// An inner definition asks for pinning.
    #[error("its inner definition asks for pinning; inner maps are not pinned")]
    PinnedInner,
    /// A declared slot names a map that is not in the object (or was skipped).
    #[error("slot {index} names map '{inner}', which is not loaded")]
    SlotMapMissing {
        /// The slot.
        index: u32,
        /// The missing map.
        inner: String,
    },
    /// The same slot declared twice.
    #[error("slot {0} is declared twice")]
    DuplicateSlot(u32),
    /// A pinning mode this loader does not support.
    #[error(
        "pinning mode {0} is not supported (only LIBBPF_PIN_BY_NAME and iproute2's PIN_GLOBAL_NS)"
    )]
    PinningUnsupported(u32),
    /// The map asks to be pinned and its name contains `.`: bpffs refuses such file names
    /// (EPERM; dots are kept for the kernel's own files, such as `maps.debug`).
    #[error(
        "it asks to be pinned, and its name contains `.`, which bpffs refuses in file names \
         (EPERM): rename the map or do not pin it"
    )]
    PinNameDot,
    /// A caller's option names a map that is not in the object, or one it does not apply to.
    #[error("LoadOptions::{option} names it, but {problem}")]
    UnusedOption {
        /// The option (`max_entries`, `template`, `skip`, …).
        option: &'static str,
        /// Why it cannot apply.
        problem: &'static str,
    },
    /// The map asks to be pinned and the caller gave no pin root.
    #[error("it asks to be pinned, and no pin root was given (LoadOptions::pin_root)")]
    NoPinRoot,
    /// An iproute2 outer map whose `inner_id` names no map.
    #[error("iproute2 inner_id {0} names no map in the object")]
    InnerIdMissing(u32),
    /// iproute2 slots beyond what the object's size can account for: every outer map that
    /// names an `inner_id` gets every entry with that id as a slot, so a hostile object of n
    /// entries could declare about n² slots.
    #[error(
        "the iproute2 inner_id links declare {slots} slots in all, more than the {limit} an \
         object of this many entries may (several outer maps share one inner_id)"
    )]
    TooManySlots {
        /// Slots the links would make.
        slots: u64,
        /// The most allowed for this object.
        limit: u64,
    },
    /// Something the kernel would refuse at creation.
    #[error("{0}")]
    Refused(Refusal),
}

impl From<BtfError> for ObjectError {
    fn from(e: BtfError) -> ObjectError {
        ObjectError::Btf(e)
    }
}

impl From<object::read::Error> for ObjectError {
    fn from(e: object::read::Error) -> ObjectError {
        ObjectError::Elf(e.to_string())
    }
}
