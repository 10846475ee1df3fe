//! Pins: finding existing ones (and checking they match), and pinning new maps.

use std::path::{Path, PathBuf};

use super::plan::{Plan, PlannedMap};
use crate::{Error, InnerShape, Map, MapId, Result};

/// For each planned map, the map pinned where it would be pinned, if there is one and it
/// matches (a mismatch is an error naming the property).
pub(super) fn existing(plan: &Plan<'_>, root: Option<&Path>) -> Result<Vec<Option<Map>>> {
    let mut found = Vec::with_capacity(plan.maps.len());
    for planned in &plan.maps {
        let (Some(root), Some(rel)) = (root, planned.pin.as_deref()) else {
            found.push(None);
            continue;
        };
        let path = root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                found.push(None);
                continue;
            }
            // Anything else (no permission, a file where a directory should be) would make the
            // pin fail at the end: say so now, before anything is created.
            Err(source) => return Err(load_error(planned, Error::Io { path, source })),
        }
        let map = Map::from_pin(&path).map_err(|e| load_error(planned, e))?;
        check_matches(planned, &map, &path)?;
        found.push(Some(map));
    }
    Ok(found)
}

fn load_error(planned: &PlannedMap<'_>, source: Error) -> Error {
    Error::Load {
        map: planned.def.name.clone(),
        source: Box::new(source),
    }
}

/// Checks that the pinned `map` is what `planned` would create: type, sizes, max_entries,
/// flags, and for an outer map the inner maps it holds (one is opened, if there is one).
fn check_matches(planned: &PlannedMap<'_>, map: &Map, path: &Path) -> Result<()> {
    let want = InnerShape::of_spec(&planned.spec);
    let have = InnerShape::of_info(map.info());
    let mismatch = |field: &'static str, pinned: String, object: String| Error::PinMismatch {
        map: planned.def.name.clone(),
        path: path.to_owned(),
        field,
        detail: format!("{field} is {pinned} there, {object} in the object"),
    };
    if have.map_type != want.map_type {
        let (p, o) = (have.map_type.to_string(), want.map_type.to_string());
        return Err(mismatch("type", p, o));
    }
    for (field, p, o) in [
        ("key_size", have.key_size, want.key_size),
        ("value_size", have.value_size, want.value_size),
        ("max_entries", have.max_entries, want.max_entries),
    ] {
        if p != o {
            return Err(mismatch(field, p.to_string(), o.to_string()));
        }
    }
    if have.flags != want.flags {
        let (p, o) = (have.flags.bits(), want.flags.bits());
        return Err(mismatch("map_flags", format!("{p:#x}"), format!("{o:#x}")));
    }
    if let Some(outer) = &planned.outer {
        if let Some(inner) = first_inner(map)? {
            if let Err(m) = outer
                .template
                .shape()
                .check_fits(&InnerShape::of_info(inner.info()))
            {
                return Err(Error::PinMismatch {
                    map: planned.def.name.clone(),
                    path: path.to_owned(),
                    field: "inner map",
                    detail: format!("it holds map id {}, whose {m}", inner.id()),
                });
            }
        }
    }
    Ok(())
}

/// The first inner map found in an outer map, opened.
fn first_inner(outer: &Map) -> Result<Option<Map>> {
    let mut cursor = outer.key_cursor();
    let mut id = [0u8; 4];
    while let Some(key) = cursor.next_key()? {
        if outer.lookup(key, &mut id)? {
            if let Some(id) = MapId::new(u32::from_ne_bytes(id)) {
                return Map::from_id(id).map(Some);
            }
        }
    }
    Ok(None)
}

/// Pins each `(map, path)`; on failure removes the pins made so far, so a failed load leaves
/// nothing pinned that was not pinned before.
pub(super) fn pin_all(pins: &[(&Map, PathBuf, &str)]) -> Result<()> {
    let mut made: Vec<&Path> = Vec::with_capacity(pins.len());
    for (map, path, name) in pins {
        let ret = create_parent(path).and_then(|()| map.pin(path));
        if let Err(e) = ret {
            for done in made {
                let _ = std::fs::remove_file(done);
            }
            return Err(Error::Load {
                map: (*name).to_owned(),
                source: Box::new(e),
            });
        }
        made.push(path);
    }
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}
