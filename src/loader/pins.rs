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

/// What [`pin_all`] made: the pins, and the directories it created for them (iproute2's
/// `tc/globals`), in the order they were created.
#[derive(Debug, Default)]
pub(super) struct Pinned {
    paths: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Pinned {
    /// Removes the pins, then the directories, deepest (last created) first; a directory that
    /// is not empty (something else was put there meanwhile) stays. This is the clean-up of a
    /// load that has failed already: what cannot be removed is left.
    pub(super) fn undo(&self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Pins each `(map, path)`, creating missing parent directories; on failure removes the pins
/// and directories made so far, so a failed load leaves the pin root as it was.
pub(super) fn pin_all(pins: &[(&Map, PathBuf, &str)]) -> Result<Pinned> {
    let mut made = Pinned {
        paths: Vec::with_capacity(pins.len()),
        dirs: Vec::new(),
    };
    for (map, path, name) in pins {
        let ret = create_parent(path, &mut made.dirs).and_then(|()| map.pin(path));
        if let Err(e) = ret {
            made.undo();
            return Err(Error::Load {
                map: (*name).to_owned(),
                source: Box::new(e),
            });
        }
        made.paths.push(path.clone());
    }
    Ok(made)
}

/// Creates the missing directories above `path`, outermost first, recording each one this
/// call created in `created` (one that appears meanwhile is not ours and is not recorded).
fn create_parent(path: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => created.push(d.to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(Error::Io {
                    path: d.to_owned(),
                    source,
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MapSpec, MapType};

    /// Every path under `dir`, relative to it.
    fn listing(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_owned()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                out.push(path.strip_prefix(dir).unwrap().to_owned());
                if path.is_dir() {
                    todo.push(path);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_failed_pin_removes_the_earlier_pins_and_every_directory_made() {
        if !crate::probe::can_create_maps() {
            assert!(
                std::env::var_os("BPFMAPS_REQUIRE_KERNEL").is_none(),
                "BPFMAPS_REQUIRE_KERNEL is set and maps cannot be created"
            );
            return;
        }
        let root = std::env::temp_dir().join(format!("bpfmaps-pins-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        crate::pin::mount_bpffs(&root).unwrap();
        let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1)).unwrap();
        let blocker = root.join("blocker");
        map.pin(&blocker).unwrap();
        let before = listing(&root);
        // The first pin makes a/b/c and pins there; the second needs a directory under a
        // pin, which cannot be made (ENOTDIR).
        let pins = [
            (&map, root.join("a/b/c/first"), "first"),
            (&map, root.join("blocker/d/second"), "second"),
        ];
        let err = pin_all(&pins).unwrap_err();
        let after = listing(&root);
        // And a successful one reports what it made, outermost first.
        let made = pin_all(&pins[..1]).unwrap();
        let dirs = made.dirs.clone();
        made.undo();
        let undone = listing(&root);
        let _ = crate::pin::unmount(&root);
        let _ = std::fs::remove_dir(&root);

        assert!(
            matches!(&err, Error::Load { map, source } if map == "second"
                && matches!(&**source, Error::Io { path, .. } if *path == blocker.join("d"))),
            "{err:?}"
        );
        assert_eq!(after, before);
        assert_eq!(dirs, [root.join("a"), root.join("a/b"), root.join("a/b/c")]);
        assert_eq!(undone, before);
    }
}
