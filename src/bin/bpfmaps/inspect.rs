//! `bpfmaps inspect FILE`: parse an object and check it as the loader would, with no kernel.

use std::io::Write;
use std::path::Path;

use bpfmaps::btf::Endian;
use bpfmaps::elf::{BpfObject, DefSource, LegacyLayout, MapDef};
use bpfmaps::loader;

use crate::args::Template;
use crate::fail::Failure;
use crate::json::Json;
use crate::report::{self, Failed, MapReport, Mode, Outcome};
use crate::text;

pub fn run(
    file: &Path,
    templates: &[Template],
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let object_name = crate::object_name(file);
    let opened = BpfObject::open(file);
    let object = match opened {
        Ok(object) => object,
        Err(e) => {
            if json {
                let failed = Failed::new(Outcome::ParseError, &e);
                let mut j = Json::new(&mut *out);
                report::write(
                    &mut j,
                    &object_name,
                    Outcome::ParseError,
                    Some(&failed),
                    &[],
                    Mode::Inspect,
                )?;
                out.flush()?;
            }
            return Err(Failure::Message(crate::about_file(
                file,
                &e,
                &e.to_string(),
            )));
        }
    };
    let refusal = loader::check(&object, &crate::load_options(templates)).err();
    if json {
        let maps: Vec<MapReport<'_>> = object
            .maps()
            .iter()
            .map(|def| MapReport { def, kernel: None })
            .collect();
        let (outcome, failed) = match &refusal {
            None => (Outcome::Ok, None),
            Some(e) => {
                let mut failed = Failed::new(Outcome::ParseError, e);
                failed.message = crate::loader_message(e);
                (Outcome::ParseError, Some(failed))
            }
        };
        let mut j = Json::new(&mut *out);
        report::write(
            &mut j,
            &object_name,
            outcome,
            failed.as_ref(),
            &maps,
            Mode::Inspect,
        )?;
    } else {
        write_text(&object, &object_name, templates, out)?;
        if refusal.is_none() {
            writeln!(out)?;
            match object.check_byte_order() {
                Ok(()) => writeln!(out, "The loader accepts this object.")?,
                Err(e) => writeln!(
                    out,
                    "The loader accepts these definitions, but cannot load them here: {e}."
                )?,
            }
        }
    }
    out.flush()?;
    match refusal {
        None => Ok(()),
        Some(e) => Err(Failure::Message(format!(
            "{}: the loader refuses this object: {}",
            file.display(),
            crate::loader_message(&e)
        ))),
    }
}

fn write_text(
    object: &BpfObject,
    name: &str,
    templates: &[Template],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let maps = object.maps();
    let endian = match object.endian() {
        Endian::Little => "little-endian",
        Endian::Big => "big-endian",
    };
    let btf = if object.has_btf() {
        "with BTF"
    } else {
        "no BTF"
    };
    let count = match maps.len() {
        1 => "1 map".to_owned(),
        n => format!("{n} maps"),
    };
    writeln!(out, "{}: {count}, {endian}, {btf}", text::name(name))?;
    let width = maps
        .iter()
        .map(|m| text::name(&m.name).chars().count())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(width + 2);
    for def in maps {
        let name = text::name(&def.name);
        writeln!(out, "{name:width$}  {}", text::attrs(&def.attrs))?;
        let given = templates.iter().find(|t| t.map == def.name);
        for line in details(def, given) {
            writeln!(out, "{pad}{line}")?;
        }
    }
    Ok(())
}

/// The lines under a map: where it was defined (if legacy), pinning, template (the object's, or
/// `given` with `--template`) and slots.
fn details(def: &MapDef, given: Option<&Template>) -> Vec<String> {
    let mut lines = Vec::new();
    if let DefSource::Legacy(layout) = def.source {
        let layout = match layout {
            LegacyLayout::Libbpf => "libbpf's 20-byte bpf_map_def",
            LegacyLayout::Samples => "samples/bpf's 28-byte layout",
            LegacyLayout::Iproute2 => "iproute2's 36-byte bpf_elf_map",
            _ => "a legacy layout",
        };
        lines.push(format!("legacy definition ({layout})"));
    }
    if def.attrs.numa_node != 0 {
        lines.push(format!("numa_node {}", def.attrs.numa_node));
    }
    if let Some(pin) = text::pinning(def.attrs.pinning, &def.name) {
        lines.push(text::name(&pin).into_owned());
    }
    if def.is_outer() {
        match (&def.attrs.inner, &def.inner_from) {
            (Some(inner), Some(from)) => lines.push(format!(
                "inner template (map '{}'): {}",
                text::name(from),
                text::attrs(inner)
            )),
            (Some(inner), None) => lines.push(format!("inner template: {}", text::attrs(inner))),
            (None, _) => lines.push("no inner template in the object".into()),
        }
        if let Some(t) = given {
            let spec = &t.spec;
            lines.push(format!(
                "inner template given with --template: {}  key {}  value {}  max_entries {}",
                text::map_type(spec.map_type()),
                spec.key_size(),
                spec.value_size(),
                spec.max_entries()
            ));
        }
        if def.slots.is_empty() {
            lines.push("no slots declared".into());
        }
        for slot in &def.slots {
            lines.push(format!("slot {} → {}", slot.index, text::name(&slot.map)));
        }
    }
    lines
}
