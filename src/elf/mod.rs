//! Reading the maps of a BPF object file: BTF-defined maps in `.maps`, legacy definitions in
//! `maps`, and the declared slots of maps of maps in `.rel.maps`.
//!
//! Parsing needs no kernel and no privilege. The object is untrusted: every offset and count is
//! checked, allocation is bounded by the input's size, and every problem is an
//! [`ObjectError`] that names the section, map and field.
//!
//! ```
//! use bpfmaps::elf::BpfObject;
//! # fn main() -> Result<(), bpfmaps::Error> {
//! let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
//! let outer = obj.map("outer").unwrap();
//! assert!(outer.is_outer());
//! assert_eq!(outer.slots.len(), 3);
//! assert_eq!(outer.slots[0].map, "in0");
//! # Ok(()) }
//! ```

mod btf_maps;
mod def;
mod error;
mod legacy;
mod relocs;
mod symbols;

use std::collections::HashMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use object::read::elf::{ElfFile64, FileHeader, SectionHeader};
use object::{elf, Endianness};

pub use self::def::{DefSource, LegacyLayout, MapAttrs, MapDef, Pinning, Slot};
pub use self::error::{ObjectError, Rule};

use self::symbols::Symbols;
use crate::btf::{Btf, Endian};
use crate::{Error, Result};

/// How strictly to read map definitions.
///
/// ```
/// use bpfmaps::elf::{BpfObject, ParseOptions};
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_unknown_field.bpf.o");
/// // A strict parse (the default) refuses the map with an unknown field;
/// assert!(BpfObject::open(path).is_err());
/// // a relaxed one keeps the map, skips the field, and says so.
/// let obj = BpfObject::open_with(path, ParseOptions { relaxed: true })?;
/// assert!(obj.map("frobnicated").is_some());
/// assert_eq!(obj.warnings().len(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Skip unknown fields of BTF map definitions with a warning instead of refusing the map.
    pub relaxed: bool,
}

/// The maps of a parsed BPF object file, and what loading them needs (the BTF, the
/// DATASEC placements).
///
/// ```
/// use bpfmaps::elf::BpfObject;
/// # fn main() -> Result<(), bpfmaps::Error> {
/// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
/// let names: Vec<&str> = obj.maps().iter().map(|m| m.name.as_str()).collect();
/// assert_eq!(names, ["devs_a", "devs_b", "outer_devs", "flows", "stats"]);
/// assert!(obj.has_btf() && obj.warnings().is_empty());
/// # Ok(()) }
/// ```
///
/// The parsed object owns everything it keeps: the file is not held open (or mapped) after
/// [`BpfObject::open`] returns.
#[derive(Debug, Clone)]
pub struct BpfObject {
    name: String,
    endian: Endian,
    maps: Vec<MapDef>,
    index: HashMap<String, usize>,
    btf: Option<ObjectBtf>,
    warnings: Vec<String>,
}

/// The object's `.BTF`, and the section sizes and symbol placements that fix its DATASECs.
#[derive(Debug, Clone)]
pub(crate) struct ObjectBtf {
    pub(crate) raw: Vec<u8>,
    pub(crate) section_sizes: HashMap<String, u32>,
    pub(crate) placements: symbols::Placements,
}

impl BpfObject {
    /// Reads the object file at `path` (memory-mapped while it is parsed).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::Error;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// assert_eq!(obj.maps().len(), 4);
    /// // A directory is refused with EISDIR.
    /// let err = BpfObject::open(env!("CARGO_MANIFEST_DIR")).unwrap_err();
    /// assert!(matches!(
    ///     &err,
    ///     Error::Io { source, .. } if source.kind() == std::io::ErrorKind::IsADirectory
    /// ), "{err}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read (`EISDIR` for a directory);
    /// [`ObjectError::NotAFile`] for anything else that is not a regular file (a FIFO, a
    /// socket, a device: it is refused without being read, and a FIFO without a writer does
    /// not block); [`Error::Object`] if it is not a BPF object whose maps can be read.
    pub fn open(path: impl AsRef<Path>) -> Result<BpfObject> {
        Self::open_with(path, ParseOptions::default())
    }

    /// As [`BpfObject::open`], with options.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ParseOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let relaxed = ParseOptions { relaxed: true };
    /// let obj = BpfObject::open_with(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_unknown_field.bpf.o"), relaxed)?;
    /// // The map is kept without its unknown field `frobnicate`, which the warning names.
    /// assert_eq!(obj.maps().len(), 1);
    /// assert!(obj.warnings()[0].contains("frobnicate"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`BpfObject::open`].
    pub fn open_with(path: impl AsRef<Path>, options: ParseOptions) -> Result<BpfObject> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever;
        // O_NOCTTY: opening a terminal must not make it ours. Neither changes how a regular
        // file is read, and anything else is refused below, before it is read.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(io)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let metadata = file.metadata().map_err(io)?;
        let file_type = metadata.file_type();
        if file_type.is_dir() {
            // mmap(2) of a directory fails with the puzzling ENODEV: say what it is.
            return Err(io(std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        if !file_type.is_file() {
            return Err(ObjectError::NotAFile {
                path: path.to_owned(),
                kind: file_kind(&file_type),
            }
            .into());
        }
        let len = metadata.len();
        if len == 0 {
            return Err(ObjectError::Elf("the file is empty".into()).into());
        }
        let map = crate::sys::map_file(&file).map_err(io)?;
        Self::parse_named(&map, name, options)
    }

    /// Parses an object held in memory.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// use bpfmaps::Error;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o");
    /// let bytes = std::fs::read(path).unwrap();
    /// let obj = BpfObject::parse(&bytes)?;
    /// assert_eq!(obj.maps(), BpfObject::open(path)?.maps());
    /// // A truncated object is refused, not read past its end.
    /// assert!(matches!(BpfObject::parse(&bytes[..200]), Err(Error::Object(_))));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Object`] if `data` is not a BPF object whose maps can be read.
    pub fn parse(data: &[u8]) -> Result<BpfObject> {
        Self::parse_named(data, "<memory>".into(), ParseOptions::default())
    }

    /// As [`BpfObject::parse`], with options.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ParseOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_unknown_field.bpf.o")).unwrap();
    /// assert!(BpfObject::parse(&bytes).is_err());
    /// let obj = BpfObject::parse_with(&bytes, ParseOptions { relaxed: true })?;
    /// assert_eq!(obj.map("frobnicated").unwrap().attrs.max_entries, 4);
    /// assert_eq!(obj.warnings().len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`BpfObject::parse`].
    pub fn parse_with(data: &[u8], options: ParseOptions) -> Result<BpfObject> {
        Self::parse_named(data, "<memory>".into(), options)
    }

    fn parse_named(data: &[u8], name: String, options: ParseOptions) -> Result<BpfObject> {
        Ok(parse(data, name, options)?)
    }

    /// The file name the object was read from (`<memory>` for [`BpfObject::parse`]).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o");
    /// assert_eq!(BpfObject::open(path)?.name(), "dense_values.bpf.o");
    /// let bytes = std::fs::read(path).unwrap();
    /// assert_eq!(BpfObject::parse(&bytes)?.name(), "<memory>");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The object's byte order.
    ///
    /// ```
    /// use bpfmaps::btf::Endian;
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// // Built with `-target bpfeb`, and with the default (little-endian) `-target bpf`.
    /// assert_eq!(BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/big_endian.bpf.o"))?.endian(), Endian::Big);
    /// assert_eq!(BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?.endian(), Endian::Little);
    /// # Ok(()) }
    /// ```
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Every map, in the order of their definitions in the file (BTF maps by offset in `.maps`,
    /// then legacy maps by offset in `maps`).
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// // `pinned_hash` comes first in the source, but fourth in `.maps`.
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pinning.bpf.o"))?;
    /// let names: Vec<&str> = obj.maps().iter().map(|m| m.name.as_str()).collect();
    /// assert_eq!(names, ["pin_in0", "pin_in2", "pinned_outer", "pinned_hash", "not_pinned"]);
    /// # Ok(()) }
    /// ```
    pub fn maps(&self) -> &[MapDef] {
        &self.maps
    }

    /// The map named `name`.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let obj = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// assert_eq!(obj.map("in1").unwrap().attrs.value_size, 8);
    /// assert!(obj.map("in9").is_none());
    /// # Ok(()) }
    /// ```
    pub fn map(&self, name: &str) -> Option<&MapDef> {
        self.index.get(name).map(|&i| &self.maps[i])
    }

    /// Whether the object carries BTF.
    ///
    /// ```
    /// use bpfmaps::elf::BpfObject;
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy_samples.bpf.o");
    /// assert!(BpfObject::open(path)?.has_btf());
    /// // Rename the `.BTF` section (legacy maps do not need it): the object still parses.
    /// let mut bytes = std::fs::read(path).unwrap();
    /// let at = bytes.windows(5).position(|w| w == b".BTF\0").unwrap();
    /// bytes[at + 1] = b'X';
    /// let obj = BpfObject::parse(&bytes)?;
    /// assert!(!obj.has_btf());
    /// assert_eq!(obj.maps().len(), 4);
    /// # Ok(()) }
    /// ```
    pub fn has_btf(&self) -> bool {
        self.btf.is_some()
    }

    /// What the parse skipped, one sentence each: unknown fields (in a relaxed parse), and
    /// slots of a program array that name programs (in any parse).
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ParseOptions};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let relaxed = ParseOptions { relaxed: true };
    /// let skipped = BpfObject::open_with(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/refuse_unknown_field.bpf.o"), relaxed)?;
    /// let [warning] = skipped.warnings() else { panic!("{:?}", skipped.warnings()) };
    /// assert!(warning.contains("frobnicated") && warning.contains("frobnicate"));
    /// // A clean object warns about nothing, relaxed or not.
    /// assert!(BpfObject::open_with(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"), relaxed)?.warnings().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn btf(&self) -> Option<&ObjectBtf> {
        self.btf.as_ref()
    }

    /// Whether the object can be loaded on this host: its byte order must be the host's.
    ///
    /// ```
    /// use bpfmaps::elf::{BpfObject, ObjectError};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// let big = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/big_endian.bpf.o"))?;
    /// let little = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dense_values.bpf.o"))?;
    /// // Both parse; exactly one of them can be loaded here.
    /// assert_ne!(big.check_byte_order().is_ok(), little.check_byte_order().is_ok());
    /// if cfg!(target_endian = "little") {
    ///     assert_eq!(
    ///         big.check_byte_order(),
    ///         Err(ObjectError::WrongByteOrder { object: "big", host: "little" })
    ///     );
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ObjectError::WrongByteOrder`].
    pub fn check_byte_order(&self) -> Result<(), ObjectError> {
        if self.endian == Endian::host() {
            return Ok(());
        }
        let name = |e| match e {
            Endian::Little => "little",
            Endian::Big => "big",
        };
        Err(ObjectError::WrongByteOrder {
            object: name(self.endian),
            host: name(Endian::host()),
        })
    }
}

/// What a file that is neither a regular file nor a directory is, in words.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "file of another kind"
    }
}

/// The sections a map loader reads, found by name.
struct Sections<'data> {
    btf_maps: Option<(object::SectionIndex, &'data [u8])>,
    legacy_maps: Option<(object::SectionIndex, &'data [u8])>,
    btf: Option<&'data [u8]>,
}

fn parse(data: &[u8], name: String, options: ParseOptions) -> Result<BpfObject, ObjectError> {
    let file = ElfFile64::<Endianness>::parse(data)?;
    let endian = file.endian();
    let machine = file.elf_header().e_machine(endian);
    if machine != elf::EM_BPF {
        return Err(ObjectError::NotBpf(machine.0));
    }
    let table = file.elf_section_table();
    let mut sections = Sections {
        btf_maps: None,
        legacy_maps: None,
        btf: None,
    };
    let mut section_sizes = HashMap::new();
    for (index, header) in table.enumerate() {
        let Ok(section_name) = table.section_name(endian, header) else {
            continue;
        };
        let Ok(section_name) = core::str::from_utf8(section_name) else {
            continue;
        };
        if let (Ok(size), true) = (
            u32::try_from(header.sh_size(endian)),
            section_name.len() <= symbols::MAX_BTF_NAME,
        ) {
            section_sizes.insert(section_name.to_owned(), size);
        }
        let contents = || {
            header.data(endian, data).map_err(|e| ObjectError::Section {
                section: section_name.to_owned(),
                problem: e.to_string(),
            })
        };
        match section_name {
            ".maps" => sections.btf_maps = Some((index, contents()?)),
            "maps" => sections.legacy_maps = Some((index, contents()?)),
            ".BTF" => sections.btf = Some(contents()?),
            _ => {}
        }
    }
    let symbols = Symbols::read(&file)?;
    let btf = sections.btf.map(Btf::parse).transpose()?;
    let mut warnings = Vec::new();
    let mut maps = Vec::new();
    let mut values_offsets = HashMap::new();
    if let Some((index, bytes)) = sections.btf_maps {
        let btf = btf.as_ref().ok_or_else(|| ObjectError::Section {
            section: ".maps".into(),
            problem: "BTF-defined maps need the object's .BTF section (compile with -g)".into(),
        })?;
        let parsed = btf_maps::parse(btf, &symbols, index, bytes.len(), options, &mut warnings)?;
        for (def, values_offset) in parsed {
            if let Some(off) = values_offset {
                values_offsets.insert(def.name.clone(), off);
            }
            maps.push(def);
        }
        relocs::apply(
            &file,
            data,
            index,
            bytes,
            &symbols,
            &mut maps,
            &values_offsets,
            &mut warnings,
        )?;
    }
    if let Some((index, bytes)) = sections.legacy_maps {
        maps.extend(legacy::parse(&symbols, index, bytes, file.endian())?);
    }
    let mut by_name = HashMap::with_capacity(maps.len());
    for (i, def) in maps.iter().enumerate() {
        if by_name.insert(def.name.clone(), i).is_some() {
            return Err(ObjectError::Map {
                map: def.name.clone(),
                problem: "defined twice".into(),
            });
        }
    }
    let btf_endian = match endian {
        Endianness::Little => Endian::Little,
        Endianness::Big => Endian::Big,
    };
    let object_btf = sections.btf.map(|raw| ObjectBtf {
        raw: raw.to_vec(),
        section_sizes,
        placements: symbols.placements(),
    });
    Ok(BpfObject {
        name,
        endian: btf_endian,
        maps,
        index: by_name,
        btf: object_btf,
        warnings,
    })
}
