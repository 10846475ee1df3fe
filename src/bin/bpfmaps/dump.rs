//! `bpfmaps dump ID|PINNED_PATH`: a map's entries as hex, and for a map of maps the tree of
//! its slots with each inner map's info and entries. Everything is written as it is read: a
//! map with millions of entries is never held in memory.

use std::io::Write;

use bpfmaps::{Errno, Map, MapId, OpenFlags};

use crate::args::DumpTarget;
use crate::fail::Failure;
use crate::json::Json;
use crate::report;
use crate::text;

pub fn run(
    target: &DumpTarget,
    json: bool,
    depth: u32,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let map = match target {
        DumpTarget::Id(id) => Map::from_id_with(*id, OpenFlags::READ_ONLY)?,
        DumpTarget::Pin(path) => Map::from_pin_with(path, OpenFlags::READ_ONLY)?,
    };
    if json {
        let mut j = Json::new(&mut *out);
        json_map(&mut j, &map, depth)?;
    } else {
        write!(out, "map ")?;
        text_map(out, &map, depth, "")?;
    }
    out.flush()?;
    Ok(())
}

/// One value per possible CPU for a per-CPU map (each `value_size` bytes, cut from the
/// kernel's 8-byte-aligned stride), else the value itself.
fn per_cpu_values<'v>(map: &Map, value: &'v [u8]) -> Option<impl Iterator<Item = &'v [u8]>> {
    if !map.map_type().is_per_cpu() {
        return None;
    }
    let size = map.value_size() as usize;
    let stride = size.div_ceil(8).max(1) * 8;
    Some(
        value
            .chunks(stride)
            .map(move |chunk| &chunk[..size.min(chunk.len())]),
    )
}

/// Calls `each` with every `(key, value)` of `map`, as the walk goes; returns how many.
/// A key deleted between the walk and its lookup is skipped.
fn each_entry(
    map: &Map,
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    let mut value = vec![0u8; map.value_len()?];
    let mut cursor = map.key_cursor();
    let mut count = 0;
    while let Some(key) = cursor.next_key()? {
        if map.lookup(key, &mut value)? {
            each(key, &value)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Why a map's entries cannot be walked, if they cannot: maps without keys (queues, stacks,
/// ring buffers, bloom filters) have no `GET_NEXT_KEY`.
fn unwalkable(map: &Map) -> Option<String> {
    (map.key_size() == 0).then(|| {
        format!(
            "no keys: the entries of a {} map cannot be walked",
            text::map_type(map.map_type())
        )
    })
}

/// The id stored in an outer map's slot value.
fn slot_id(value: &[u8]) -> Option<MapId> {
    MapId::new(u32::from_ne_bytes(value.try_into().ok()?))
}

/// Opens an inner map by id; `None` if it went away since the lookup.
fn open_inner(id: MapId) -> Result<Option<Map>, Failure> {
    match Map::from_id_with(id, OpenFlags::READ_ONLY) {
        Ok(map) => Ok(Some(map)),
        Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn text_map(out: &mut impl Write, map: &Map, depth: u32, indent: &str) -> Result<(), Failure> {
    writeln!(out, "{}", text::info(map.info()))?;
    if map.map_type().is_outer() {
        let inner_indent = format!("{indent}    ");
        let count = each_entry(map, |key, value| {
            write!(out, "{indent}{} → ", text::slot(key))?;
            let Some(id) = slot_id(value) else {
                writeln!(out, "(empty)")?;
                return Ok(());
            };
            if depth == 0 {
                writeln!(out, "map id {id}")?;
                return Ok(());
            }
            match open_inner(id)? {
                Some(inner) => text_map(out, &inner, depth - 1, &inner_indent),
                None => Ok(writeln!(out, "map id {id} (gone since the lookup)")?),
            }
        })?;
        writeln!(
            out,
            "{indent}{}",
            plural(count, "slot filled", "slots filled")
        )?;
        return Ok(());
    }
    if let Some(why) = unwalkable(map) {
        writeln!(out, "{indent}({why})")?;
        return Ok(());
    }
    let count = each_entry(map, |key, value| {
        write!(out, "{indent}key: {}", text::spaced_hex(key))?;
        match per_cpu_values(map, value) {
            Some(cpus) => {
                writeln!(out)?;
                for (cpu, v) in cpus.enumerate() {
                    writeln!(out, "{indent}  cpu {cpu}: {}", text::spaced_hex(v))?;
                }
            }
            None => writeln!(out, "  value: {}", text::spaced_hex(value))?,
        }
        Ok(())
    })?;
    writeln!(out, "{indent}{}", plural(count, "entry", "entries"))?;
    Ok(())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn json_map(j: &mut Json<impl Write>, map: &Map, depth: u32) -> Result<(), Failure> {
    j.begin_object()?;
    report::info_fields(j, map.info())?;
    if map.map_type().is_outer() {
        j.key("slots")?;
        j.begin_array()?;
        let count = each_entry(map, |key, value| {
            j.begin_object()?;
            j.field_str("key", &text::hex(key))?;
            match slot_id(value) {
                Some(id) => {
                    j.field_num("id", id.get().into())?;
                    if depth > 0 {
                        j.key("map")?;
                        match open_inner(id)? {
                            Some(inner) => json_map(j, &inner, depth - 1)?,
                            None => j.null()?,
                        }
                    }
                }
                None => {
                    j.key("id")?;
                    j.null()?;
                }
            }
            j.end_object()?;
            Ok(())
        })?;
        j.end_array()?;
        j.field_num("count", count)?;
    } else if let Some(why) = unwalkable(map) {
        j.key("entries")?;
        j.begin_array()?;
        j.end_array()?;
        j.field_str("note", &why)?;
    } else {
        j.key("entries")?;
        j.begin_array()?;
        let count = each_entry(map, |key, value| {
            j.begin_object()?;
            j.field_str("key", &text::hex(key))?;
            match per_cpu_values(map, value) {
                Some(cpus) => {
                    j.key("values")?;
                    j.begin_array()?;
                    for v in cpus {
                        j.string(&text::hex(v))?;
                    }
                    j.end_array()?;
                }
                None => j.field_str("value", &text::hex(value))?,
            }
            j.end_object()?;
            Ok(())
        })?;
        j.end_array()?;
        j.field_num("count", count)?;
    }
    j.end_object()?;
    Ok(())
}
