//! `bpfmaps load FILE`: create an object's maps, then print what the kernel reports, as a
//! tree (outer map → slot → inner map), or as the JSON document of `report`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use bpfmaps::elf::BpfObject;
use bpfmaps::loader::{self, BtfStatus, LoadedMap, LoadedObject, Reuse};
use bpfmaps::{Error, Map, MapId, OuterMap};

use crate::fail::Failure;
use crate::json::Json;
use crate::report::{self, Failed, KernelView, MapReport, Mode, Outcome};
use crate::text;

/// Where maps are pinned when `--pin-root` is not given.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

pub struct Request<'a> {
    pub file: &'a Path,
    pub pin_root: Option<&'a Path>,
    pub reuse: Reuse,
    pub templates: &'a [crate::args::Template],
    pub json: bool,
}

pub fn run(req: &Request<'_>, out: &mut impl Write) -> Result<(), Failure> {
    let object_name = crate::object_name(req.file);
    let opened = BpfObject::open(req.file);
    let object = match opened {
        Ok(object) => object,
        Err(e) => {
            let message = e.to_string();
            return fail(
                req,
                out,
                &object_name,
                None,
                Outcome::ParseError,
                &e,
                message,
            );
        }
    };
    // Refuse what can be known without the kernel before mounting anything.
    let checked = loader::check(&object, &crate::load_options(req.templates)).and_then(|()| {
        object.check_byte_order()?;
        Ok(())
    });
    if let Err(e) = checked {
        let message = crate::loader_message(&e);
        return fail(
            req,
            out,
            &object_name,
            Some(&object),
            Outcome::ParseError,
            &e,
            message,
        );
    }
    let pinned = report::pinned_names(object.maps());
    let mut options = crate::load_options(req.templates).reuse(req.reuse);
    let root: Option<PathBuf> = match (req.pin_root, pinned.is_empty()) {
        (Some(root), false) => {
            // The loader would say only "DIR: No such file…"; say which directory it is.
            if let Err(e) = bpfmaps::pin::is_bpffs(root) {
                let message = format!("cannot use the pin root given with --pin-root: {e}");
                return fail(
                    req,
                    out,
                    &object_name,
                    Some(&object),
                    Outcome::LoadError,
                    &e,
                    message,
                );
            }
            Some(root.to_owned())
        }
        (Some(root), true) => Some(root.to_owned()),
        // Only an object that pins makes us look at (and perhaps mount) /sys/fs/bpf.
        (None, true) => None,
        (None, false) => {
            if let Err(e) = ensure_default_bpffs() {
                let message = format!(
                    "cannot mount a bpffs at {DEFAULT_PIN_ROOT}, where the object's pinned maps \
                     ({}) would go: {e}; mount one (mount -t bpf bpf {DEFAULT_PIN_ROOT}) or give \
                     --pin-root DIR on a bpffs mount",
                    quoted(&pinned)
                );
                return fail(
                    req,
                    out,
                    &object_name,
                    Some(&object),
                    Outcome::LoadError,
                    &e,
                    message,
                );
            }
            Some(PathBuf::from(DEFAULT_PIN_ROOT))
        }
    };
    if let Some(root) = &root {
        options = options.pin_root(root);
    }
    let loaded = match loader::load(&object, &options) {
        Ok(loaded) => loaded,
        Err(e) => {
            let outcome = Outcome::of(&e);
            let message = crate::loader_message(&e);
            return fail(req, out, &object_name, Some(&object), outcome, &e, message);
        }
    };
    let views = match kernel_views(&loaded) {
        Ok(views) => views,
        Err(e) => {
            let message = format!("the maps were created, but reading them back failed: {e}");
            return fail(
                req,
                out,
                &object_name,
                Some(&object),
                Outcome::LoadError,
                &e,
                message,
            );
        }
    };
    let mut views = views;
    let reports: Vec<MapReport<'_>> = object
        .maps()
        .iter()
        .map(|def| MapReport {
            def,
            kernel: views.remove(def.name.as_str()),
        })
        .collect();
    if req.json {
        let mut j = Json::new(&mut *out);
        report::write(
            &mut j,
            &object_name,
            Outcome::Ok,
            None,
            &reports,
            Mode::Load,
        )?;
    } else {
        write_tree(&object_name, &loaded, &reports, out)?;
    }
    out.flush()?;
    Ok(())
}

/// Reports a failed load: the JSON document (with the parsed definitions, if any) with
/// `--json`, and the message on stderr either way (after the file's name, unless the error
/// names it already).
fn fail(
    req: &Request<'_>,
    out: &mut impl Write,
    object_name: &str,
    object: Option<&BpfObject>,
    outcome: Outcome,
    error: &Error,
    message: String,
) -> Result<(), Failure> {
    if req.json {
        let mut failed = Failed::new(outcome, error);
        failed.message = message.clone();
        let maps: Vec<MapReport<'_>> = object
            .map(|o| {
                o.maps()
                    .iter()
                    .map(|def| MapReport { def, kernel: None })
                    .collect()
            })
            .unwrap_or_default();
        let mut j = Json::new(&mut *out);
        report::write(
            &mut j,
            object_name,
            outcome,
            Some(&failed),
            &maps,
            Mode::Load,
        )?;
        out.flush()?;
    }
    Err(Failure::Message(crate::about_file(
        req.file, error, &message,
    )))
}

/// Mounts a bpffs on /sys/fs/bpf unless one is there (and says so on stderr, which keeps
/// stdout for the report).
fn ensure_default_bpffs() -> Result<(), Error> {
    if bpfmaps::pin::is_bpffs(DEFAULT_PIN_ROOT).unwrap_or(false) {
        return Ok(());
    }
    bpfmaps::pin::mount_bpffs(DEFAULT_PIN_ROOT)?;
    eprintln!("bpfmaps: mounted a bpffs at {DEFAULT_PIN_ROOT} for the object's pinned maps");
    Ok(())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the kernel reports for each created map, by the object's name; for an outer map, its
/// slots read back from the kernel (not the plan).
fn kernel_views(loaded: &LoadedObject) -> Result<HashMap<&str, KernelView>, Error> {
    let names: HashMap<MapId, &str> = loaded
        .entries()
        .iter()
        .map(|e| (e.map().as_map().id(), e.name()))
        .collect();
    let mut views = HashMap::with_capacity(names.len());
    for entry in loaded.entries() {
        let slots = match entry.map() {
            LoadedMap::Outer(outer) => Some(
                read_slots(outer)?
                    .into_iter()
                    .map(|(key, id)| {
                        let name = names
                            .get(&id)
                            .map_or_else(|| format!("id:{id}"), |n| (*n).to_owned());
                        (key, name)
                    })
                    .collect(),
            ),
            _ => None,
        };
        views.insert(
            entry.name(),
            KernelView {
                info: *entry.map().as_map().info(),
                reused: entry.reused(),
                slots,
            },
        );
    }
    Ok(views)
}

/// The filled slots of an outer map, as `(key bytes, id)`, in the kernel's order.
pub fn read_slots(outer: &OuterMap) -> Result<Vec<(Vec<u8>, MapId)>, Error> {
    let mut slots = Vec::new();
    let mut cursor = outer.as_map().key_cursor();
    while let Some(key) = cursor.next_key()? {
        if let Some(id) = outer.lookup_bytes(key)? {
            slots.push((key.to_vec(), id));
        }
    }
    Ok(slots)
}

fn write_tree(
    object_name: &str,
    loaded: &LoadedObject,
    reports: &[MapReport<'_>],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let btf = match loaded.btf_status() {
        BtfStatus::Absent => "no BTF in the object".to_owned(),
        BtfStatus::Disabled => "BTF not used".to_owned(),
        BtfStatus::Loaded => "BTF loaded".to_owned(),
        BtfStatus::Refused(why) => format!("BTF refused, maps created without it: {why}"),
        _ => "BTF: unknown status".to_owned(),
    };
    let reused = reports
        .iter()
        .filter(|r| r.kernel.as_ref().is_some_and(|k| k.reused))
        .count();
    let created = loaded.entries().len() - reused;
    let mut head = format!(
        "{}: {}",
        text::name(object_name),
        plural(created, "map created", "maps created")
    );
    if reused > 0 {
        head.push_str(&format!(
            ", {reused} reused (found pinned, or in a pinned map of maps)"
        ));
    }
    writeln!(out, "{head} ({btf})")?;

    // Maps shown under an outer map's slot are not shown again at the top.
    let in_slots: HashSet<&str> = reports
        .iter()
        .filter_map(|r| r.kernel.as_ref()?.slots.as_ref())
        .flatten()
        .map(|(_, name)| name.as_str())
        .collect();
    let by_name: HashMap<&str, &MapReport<'_>> =
        reports.iter().map(|r| (r.def.name.as_str(), r)).collect();
    // Maps that outlive this process: pinned ones, and inner maps held by a pinned outer map.
    let mut lasting: HashSet<&str> = HashSet::new();
    for entry in loaded.entries() {
        if entry.pin_path().is_some() {
            lasting.insert(entry.name());
            if let Some(slots) = by_name
                .get(entry.name())
                .and_then(|r| r.kernel.as_ref()?.slots.as_ref())
            {
                lasting.extend(slots.iter().map(|(_, n)| n.as_str()));
            }
        }
    }
    let width = loaded
        .entries()
        .iter()
        .filter(|e| !in_slots.contains(e.name()))
        .map(|e| text::name(e.name()).chars().count())
        .max()
        .unwrap_or(0);
    for entry in loaded.entries() {
        let Some(report) = by_name.get(entry.name()) else {
            continue;
        };
        let Some(kernel) = &report.kernel else {
            continue;
        };
        if in_slots.contains(entry.name()) {
            continue;
        }
        writeln!(
            out,
            "{:width$}  {}{}",
            text::name(entry.name()),
            text::info(&kernel.info),
            pin_note(entry.pin_path(), entry.reused())
        )?;
        let Some(slots) = &kernel.slots else {
            continue;
        };
        if slots.is_empty() {
            writeln!(out, "└─ no slot filled")?;
        }
        for (i, (key, name)) in slots.iter().enumerate() {
            let branch = if i + 1 == slots.len() {
                "└─"
            } else {
                "├─"
            };
            let inner = match by_name.get(name.as_str()).and_then(|r| r.kernel.as_ref()) {
                Some(k) => format!("{}  {}", text::name(name), text::info(&k.info)),
                None => foreign(name),
            };
            writeln!(out, "{branch} {} → {inner}", text::slot(key))?;
        }
    }
    writeln!(out)?;
    let names: Vec<&str> = loaded.entries().iter().map(|e| e.name()).collect();
    let transient: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !lasting.contains(n))
        .collect();
    if lasting.is_empty() {
        writeln!(
            out,
            "Nothing is pinned: these maps vanish when bpfmaps exits."
        )?;
    } else if transient.is_empty() {
        writeln!(
            out,
            "Every map is pinned or held by a pinned map of maps: they stay after bpfmaps exits \
             (remove the pins to free them)."
        )?;
    } else {
        writeln!(
            out,
            "Not pinned, so gone when bpfmaps exits: {}. The pinned maps (and the inner maps they \
             hold) stay.",
            transient
                .iter()
                .map(|n| text::name(n))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    Ok(())
}

fn pin_note(pin: Option<&Path>, reused: bool) -> String {
    match (pin, reused) {
        (Some(path), true) => format!("  [reused: found pinned at {}]", path.display()),
        (Some(path), false) => format!("  [pinned at {}]", path.display()),
        (None, _) => String::new(),
    }
}

/// A slot's map that this load did not create (`id:N`), described as the kernel reports it.
fn foreign(name: &str) -> String {
    let id = name
        .strip_prefix("id:")
        .and_then(|n| n.parse::<u32>().ok())
        .and_then(MapId::new);
    match id.map(Map::from_id) {
        Some(Ok(map)) => format!("{}  (not from this object)", text::info(map.info())),
        _ => format!("{name} (not from this object)"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
