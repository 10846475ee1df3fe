//! `bpfmaps dump ID|PINNED_PATH`: a map's entries as hex, and for a map of maps the tree of
//! its slots with each inner map's info and entries. Everything is written as it is read: a
//! map with millions of entries is never held in memory. A JSON dump cut short by an error is
//! closed and ends with an `"error"` member, so stdout is always one valid document.
//!
//! Some map types keep values that user space cannot read (perf event arrays, cgroup arrays,
//! XDP socket maps, socket maps whose values are not 8-byte cookies): their keys are listed
//! without values, with a note saying why.

use std::io::Write;
use std::path::Path;

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
        DumpTarget::Pin(path) => {
            Map::from_pin_with(path, OpenFlags::READ_ONLY).map_err(|e| not_a_pin(path, e))?
        }
    };
    if json {
        let mut j = Json::new(&mut *out);
        if let Err(failure) = json_map(&mut j, &map, depth) {
            close_with_error(&mut j, &failure)?;
            return Err(failure);
        }
    } else {
        write!(out, "map ")?;
        text_map(out, &map, depth, "")?;
    }
    out.flush()?;
    Ok(())
}

/// Ends a JSON dump cut short by `failure`: closes what is open and adds
/// `"error": {"errno": NAME | null, "message": "…"}` to the top object, as `load --json` does.
fn close_with_error(j: &mut Json<impl Write>, failure: &Failure) -> Result<(), Failure> {
    let Some(message) = failure.message() else {
        // Stdout is gone: nothing more can be written.
        return Ok(());
    };
    if !j.unwind_to_top()? {
        return Ok(());
    }
    j.key("error")?;
    j.begin_object()?;
    j.key("errno")?;
    match failure.errno() {
        Some(errno) => j.string(errno)?,
        None => j.null()?,
    }
    j.field_str("message", message)?;
    j.end_object()?;
    j.end_object()?;
    Ok(())
}

/// The error of `BPF_OBJ_GET` on `path`, with a hint when the path exists but is not a pinned
/// BPF object: the kernel says only EACCES or EPERM for a directory or a file outside a bpffs.
fn not_a_pin(path: &Path, error: bpfmaps::Error) -> Failure {
    let failure = Failure::from(error);
    // A missing path: ENOENT says it all.
    let Ok(meta) = std::fs::metadata(path) else {
        return failure;
    };
    let on_bpffs = bpfmaps::pin::is_bpffs(path).unwrap_or(true);
    let what = match (meta.is_dir(), on_bpffs) {
        (true, true) => "a directory",
        (true, false) => "a directory, and not on a bpffs mount",
        (false, false) => "not on a bpffs mount (pins live on one, such as /sys/fs/bpf)",
        // A file on a bpffs that is not a map: the library's message says what it is.
        (false, true) => return failure,
    };
    failure.with_hint(&format!(
        "{} is not a pinned BPF object: it is {what}",
        path.display()
    ))
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

/// A value as the walk found it.
#[derive(Clone, Copy)]
enum Value<'v> {
    Read(&'v [u8]),
    /// The map's values cannot be read from user space: only the key is known.
    Unreadable,
}

/// What a walk found: how many entries, and why their values could not be read, if so.
struct Walk {
    count: u64,
    unreadable: Option<String>,
}

/// Whether a lookup's errno means that this map type keeps values user space cannot read:
/// `ENOTSUPP` (perf event and cgroup arrays), `EOPNOTSUPP` (XDP socket maps), `ENOSPC`
/// (socket maps and hashes whose value size is not 8, the size of the socket cookie the
/// kernel would copy out).
fn values_unreadable(errno: Option<Errno>) -> bool {
    matches!(
        errno,
        Some(Errno::ENOTSUPP | Errno::EOPNOTSUPP | Errno::ENOSPC)
    )
}

/// Calls `each` with every `(key, value)` of `map`, as the walk goes. A key deleted between
/// the walk and its lookup is skipped. When the first lookup says the values cannot be read
/// from user space, the rest of the keys are walked without lookups.
fn each_entry(
    map: &Map,
    mut each: impl FnMut(&[u8], Value<'_>) -> Result<(), Failure>,
) -> Result<Walk, Failure> {
    let mut value = vec![0u8; map.value_len()?];
    let mut cursor = map.key_cursor();
    let mut walk = Walk {
        count: 0,
        unreadable: None,
    };
    while let Some(key) = cursor.next_key()? {
        if walk.unreadable.is_some() {
            each(key, Value::Unreadable)?;
            walk.count += 1;
            continue;
        }
        match map.lookup(key, &mut value) {
            Ok(true) => each(key, Value::Read(&value))?,
            Ok(false) => continue,
            Err(e) if values_unreadable(e.errno()) => {
                let errno = e.errno().and_then(|n| n.name()).unwrap_or("an error");
                walk.unreadable = Some(format!(
                    "values are not readable from user space: the kernel answers {errno} to a \
                     lookup in this {} map; keys only",
                    text::map_type(map.map_type())
                ));
                each(key, Value::Unreadable)?;
            }
            Err(e) => return Err(e.into()),
        }
        walk.count += 1;
    }
    Ok(walk)
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
        let walk = each_entry(map, |key, value| {
            write!(out, "{indent}{} → ", text::slot(key))?;
            let Value::Read(value) = value else {
                writeln!(out, "(not readable)")?;
                return Ok(());
            };
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
            plural(walk.count, "slot filled", "slots filled")
        )?;
        return Ok(());
    }
    if let Some(why) = unwalkable(map) {
        writeln!(out, "{indent}({why})")?;
        return Ok(());
    }
    let walk = each_entry(map, |key, value| {
        write!(out, "{indent}key: {}", text::spaced_hex(key))?;
        let Value::Read(value) = value else {
            writeln!(out)?;
            return Ok(());
        };
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
    match walk.unreadable {
        None => writeln!(out, "{indent}{}", plural(walk.count, "entry", "entries"))?,
        Some(why) => writeln!(out, "{indent}{} ({why})", plural(walk.count, "key", "keys"))?,
    }
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
        let walk = each_entry(map, |key, value| {
            j.begin_object()?;
            j.field_str("key", &text::hex(key))?;
            match value {
                Value::Read(value) => match slot_id(value) {
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
                },
                Value::Unreadable => {}
            }
            j.end_object()?;
            Ok(())
        })?;
        j.end_array()?;
        j.field_num("count", walk.count)?;
        if let Some(why) = walk.unreadable {
            j.field_str("note", &why)?;
        }
    } else if let Some(why) = unwalkable(map) {
        j.key("entries")?;
        j.begin_array()?;
        j.end_array()?;
        j.field_str("note", &why)?;
    } else {
        j.key("entries")?;
        j.begin_array()?;
        let walk = each_entry(map, |key, value| {
            j.begin_object()?;
            j.field_str("key", &text::hex(key))?;
            match value {
                Value::Read(value) => match per_cpu_values(map, value) {
                    Some(cpus) => {
                        j.key("values")?;
                        j.begin_array()?;
                        for v in cpus {
                            j.string(&text::hex(v))?;
                        }
                        j.end_array()?;
                    }
                    None => j.field_str("value", &text::hex(value))?,
                },
                // Keys only: the note says why.
                Value::Unreadable => {}
            }
            j.end_object()?;
            Ok(())
        })?;
        j.end_array()?;
        j.field_num("count", walk.count)?;
        if let Some(why) = walk.unreadable {
            j.field_str("note", &why)?;
        }
    }
    j.end_object()?;
    Ok(())
}
