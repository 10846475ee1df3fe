//! The JSON document of `load` (and of `inspect`, which is the same without the kernel):
//! `{"object", "outcome", "error", "maps": {NAME: MAP}}`. Its shape is a contract, written
//! down in docs/cli.md; tools and tests read it.

use std::io::{self, Write};

use bpfmaps::elf::{MapAttrs, MapDef, Pinning};
use bpfmaps::{Error, MapInfo};

use crate::json::Json;
use crate::text;

/// How a load (or an inspection) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The object could not be read, or was refused before the kernel was touched.
    ParseError,
    /// Anything after: the kernel refused, a pin did not match, bpffs could not be mounted…
    LoadError,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ParseError => "parse_error",
            Outcome::LoadError => "load_error",
        }
    }

    /// The outcome of an error returned by the loader: refusals made before any syscall
    /// ([`Error::Object`]) are parse errors, everything else load errors.
    pub fn of(error: &Error) -> Outcome {
        match error {
            Error::Object(_) => Outcome::ParseError,
            _ => Outcome::LoadError,
        }
    }
}

/// What failed: the errno's name (when the kernel or the OS gave one, and only for load errors)
/// and the message.
#[derive(Debug, Clone)]
pub struct Failed {
    pub errno: Option<&'static str>,
    pub message: String,
}

impl Failed {
    /// A failure of `outcome` with this error: parse errors carry no errno (the decision in
    /// docs/cli.md), load errors the name of [`Error::errno`] if it has one.
    pub fn new(outcome: Outcome, error: &Error) -> Failed {
        let errno = match outcome {
            Outcome::LoadError => error.errno().and_then(|e| e.name()),
            _ => None,
        };
        Failed {
            errno,
            message: error.to_string(),
        }
    }
}

/// One map of the object, with what the kernel made of it when it was created.
pub struct MapReport<'a> {
    pub def: &'a MapDef,
    pub kernel: Option<KernelView>,
}

/// A created map as the kernel reports it.
pub struct KernelView {
    pub info: MapInfo,
    pub reused: bool,
    /// For an outer map: the filled slots read back from the kernel, key bytes → the object's
    /// name of the map there, or `id:N`.
    pub slots: Option<Vec<(Vec<u8>, String)>>,
}

/// Which command the document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `inspect`: `pinning` is given, and `slots` are the declared ones.
    Inspect,
    /// `load`: `kernel` and `slots` come from the kernel.
    Load,
}

/// Writes the whole document.
pub fn write(
    j: &mut Json<impl Write>,
    object: &str,
    outcome: Outcome,
    failed: Option<&Failed>,
    maps: &[MapReport<'_>],
    mode: Mode,
) -> io::Result<()> {
    j.begin_object()?;
    j.field_str("object", object)?;
    j.field_str("outcome", outcome.word())?;
    if let Some(failed) = failed {
        j.key("error")?;
        j.begin_object()?;
        j.key("errno")?;
        match failed.errno {
            Some(name) => j.string(name)?,
            None => j.null()?,
        }
        j.field_str("message", &failed.message)?;
        j.end_object()?;
    }
    j.key("maps")?;
    j.begin_object()?;
    for map in maps {
        j.key(&map.def.name)?;
        write_map(j, map, mode)?;
    }
    j.end_object()?;
    j.end_object()
}

fn write_map(j: &mut Json<impl Write>, map: &MapReport<'_>, mode: Mode) -> io::Result<()> {
    let def = map.def;
    j.begin_object()?;
    attrs_fields(j, &def.attrs)?;
    if def.is_outer() {
        j.key("inner_template")?;
        match &def.attrs.inner {
            Some(inner) => {
                j.begin_object()?;
                attrs_fields(j, inner)?;
                j.end_object()?;
            }
            None => j.null()?,
        }
    }
    if mode == Mode::Inspect {
        j.field_str("pinning", &text::pinning_word(def.attrs.pinning))?;
    }
    if let Some(rel) = def.attrs.pinning.relative_path(&def.name) {
        j.field_str("pin_path", &rel)?;
    }
    match mode {
        Mode::Inspect => {
            if def.is_outer() {
                j.key("slots")?;
                j.begin_object()?;
                for slot in &def.slots {
                    j.field_str(&text::hex(&slot.index.to_ne_bytes()), &slot.map)?;
                }
                j.end_object()?;
            }
        }
        Mode::Load => {
            if let Some(kernel) = &map.kernel {
                j.key("kernel")?;
                j.begin_object()?;
                info_fields(j, &kernel.info)?;
                j.end_object()?;
                j.field_bool("reused", kernel.reused)?;
                if let Some(slots) = &kernel.slots {
                    j.key("slots")?;
                    j.begin_object()?;
                    for (key, name) in slots {
                        j.field_str(&text::hex(key), name)?;
                    }
                    j.end_object()?;
                }
            }
        }
    }
    j.end_object()
}

/// The six fields of a definition: `type`, `key_size`, `value_size`, `max_entries`,
/// `map_flags`, `map_extra`.
pub fn attrs_fields(j: &mut Json<impl Write>, a: &MapAttrs) -> io::Result<()> {
    j.field_str("type", &text::map_type(a.map_type))?;
    j.field_num("key_size", a.key_size.into())?;
    j.field_num("value_size", a.value_size.into())?;
    j.field_num("max_entries", a.max_entries.into())?;
    j.field_num("map_flags", a.flags.bits().into())?;
    j.field_num("map_extra", a.map_extra)
}

/// What the kernel reports: `id`, `name`, then the six fields.
pub fn info_fields(j: &mut Json<impl Write>, i: &MapInfo) -> io::Result<()> {
    j.field_num("id", i.id().get().into())?;
    j.field_str("name", i.name().as_str())?;
    j.field_str("type", &text::map_type(i.map_type()))?;
    j.field_num("key_size", i.key_size().into())?;
    j.field_num("value_size", i.value_size().into())?;
    j.field_num("max_entries", i.max_entries().into())?;
    j.field_num("map_flags", i.flags().bits().into())?;
    j.field_num("map_extra", i.map_extra())
}

/// Whether any map of the object asks to be pinned.
pub fn pinned_names(defs: &[MapDef]) -> Vec<&str> {
    defs.iter()
        .filter(|d| d.attrs.pinning != Pinning::None)
        .map(|d| d.name.as_str())
        .collect()
}
