//! Loading an object's maps into the kernel: inner templates, outer maps, declared inner maps,
//! filled slots and pins, in dependency order, all-or-nothing.
//!
//! [`load`] first checks everything that can be known without the kernel ([`ObjectError`]), so
//! a refused object creates no kernel object at all. Then it creates, in order: the plain maps
//! (declared inner maps among them), each outer map's template (closed right after) and the
//! outer map, then fills the declared slots — one batch update per outer map, the outer maps
//! from up to 32 parallel threads, so the whole load waits for about one RCU grace period
//! however many slots it fills (one more per further 32 outer maps) — then pins what asks to
//! be pinned, and last fills the declared slots of outer maps reused from existing pins. A
//! failure part-way drops every fd made so far (the kernel frees the maps), removes the pins
//! made so far and the directories made for them (iproute2's `tc/globals`), and puts back what
//! the slots of reused outer maps held: a failed load leaves the pin root as it found it.
//!
//! The order is not "template, outer map, its declared inner maps" per outer map: every plain
//! map comes first, in the object's order. Nothing depends on the other order — an outer map
//! only needs its template when it is created, and its declared inner maps only when its slots
//! are filled, after every map exists — and this one is simpler: one pass creates what has no
//! dependency (and a declared inner map named by two outer maps is created once), and a
//! template lives only for the one call that creates its outer map.
//!
//! # Limits
//!
//! - bpffs refuses file names containing `.` (EPERM): a map that asks to be pinned and has
//!   such a name is refused before anything is created ([`Rule::PinNameDot`]).
//! - The [`OuterMap`] of a loaded outer map keeps its template without BTF, so
//!   [`OuterMap::new_inner`] creates inner maps without BTF type ids. For values with special
//!   fields (a `bpf_spin_lock`, a timer) the kernel compares their BTF layout and would refuse
//!   such maps; create those inner maps with [`Map::create_with_btf`] instead.
//!
//! ```
//! use bpfmaps::elf::BpfObject;
//! use bpfmaps::loader::{load, LoadOptions};
//! # fn main() -> Result<(), bpfmaps::Error> {
//! # if bpfmaps::probe::doctest_skip() { return Ok(()) }
//! let object = BpfObject::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_devmap.bpf.o"))?;
//! let loaded = load(&object, &LoadOptions::new())?;
//! let outer = loaded.outer("outer_devs").unwrap();
//! let devs_a = loaded.map("devs_a").unwrap();
//! assert_eq!(outer.lookup(&0u32)?, Some(devs_a.id()));
//! // Inner maps made from the object's template are accepted.
//! let extra = outer.new_inner("devs_extra")?;
//! outer.insert(&2u32, &extra)?;
//! # Ok(()) }
//! ```
//!
//! [`ObjectError`]: crate::elf::ObjectError
//! [`Rule::PinNameDot`]: crate::elf::Rule::PinNameDot

mod options;
mod pins;
mod plan;

use std::collections::HashSet;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::options::{LoadOptions, Reuse};

use self::plan::{Plan, PlannedMap, PlannedTemplate};
use crate::btf::Btf;
use crate::elf::{BpfObject, ObjectError, Rule};
use crate::outer::InnerBtf;
use crate::{Error, LoadedBtf, Map, MapInfo, MapSpec, OuterMap, Result, UpdateFlags};

/// What became of the object's BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtfStatus {
    /// The object has no `.BTF` section.
    Absent,
    /// The caller asked for no BTF ([`LoadOptions::without_btf`]).
    Disabled,
    /// Loaded: maps declared with `__type` got BTF key/value type ids.
    Loaded,
    /// The kernel (or the fix-up before it) refused the BTF: every map was created without it.
    Refused(String),
}

/// A created (or reused) map of a loaded object.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadedMap {
    /// A map that is not a map of maps.
    Plain(Map),
    /// A map of maps, as an [`OuterMap`] that knows its template.
    Outer(OuterMap),
}

impl LoadedMap {
    /// The map, whatever its kind.
    pub fn as_map(&self) -> &Map {
        match self {
            LoadedMap::Plain(map) => map,
            LoadedMap::Outer(outer) => outer.as_map(),
        }
    }
}

impl AsFd for LoadedMap {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_map().as_fd()
    }
}

/// Where a loaded map came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Created by this load.
    Created,
    /// Found pinned where the object asks it to be pinned, matching, and reused.
    Pinned,
    /// A declared inner map found in its slot of a reused outer map, kept there
    /// ([`Reuse::Keep`]) and opened by id rather than created.
    InSlot,
}

/// One map of a loaded object, with what the load did to it.
#[derive(Debug)]
pub struct LoadedEntry {
    name: String,
    map: LoadedMap,
    pin_path: Option<PathBuf>,
    origin: Origin,
    with_btf: bool,
    filled: Vec<(u32, String)>,
}

impl LoadedEntry {
    /// The object's name of the map (the kernel's may be truncated to 15 bytes).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The map.
    pub fn map(&self) -> &LoadedMap {
        &self.map
    }
    /// Gives up the entry, returning the map.
    pub fn into_map(self) -> LoadedMap {
        self.map
    }
    /// Where it is pinned, if it is.
    pub fn pin_path(&self) -> Option<&Path> {
        self.pin_path.as_deref()
    }
    /// Whether it was found (pinned, or in a kept slot) rather than created.
    pub fn reused(&self) -> bool {
        self.origin != Origin::Created
    }
    /// Where it came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }
    /// Whether it was created with BTF key/value type ids.
    pub fn with_btf(&self) -> bool {
        self.with_btf
    }
    /// The declared slots this load filled: `(slot, inner map name)`.
    pub fn filled_slots(&self) -> &[(u32, String)] {
        &self.filled
    }
}

/// The maps of a loaded object, by name, in the object's order.
#[derive(Debug)]
pub struct LoadedObject {
    entries: Vec<LoadedEntry>,
    btf: BtfStatus,
}

impl LoadedObject {
    /// Every map, in the object's order.
    pub fn entries(&self) -> &[LoadedEntry] {
        &self.entries
    }
    /// The entry of map `name`.
    pub fn entry(&self, name: &str) -> Option<&LoadedEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
    /// Map `name` (for an outer map, its underlying map).
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.entry(name).map(|e| e.map.as_map())
    }
    /// Outer map `name`.
    pub fn outer(&self, name: &str) -> Option<&OuterMap> {
        match &self.entry(name)?.map {
            LoadedMap::Outer(outer) => Some(outer),
            LoadedMap::Plain(_) => None,
        }
    }
    /// Takes map `name` out of the result.
    pub fn take(&mut self, name: &str) -> Option<LoadedMap> {
        let i = self.entries.iter().position(|e| e.name == name)?;
        Some(self.entries.remove(i).map)
    }
    /// Gives up the result, returning its entries.
    pub fn into_entries(self) -> Vec<LoadedEntry> {
        self.entries
    }
    /// What became of the object's BTF.
    pub fn btf_status(&self) -> &BtfStatus {
        &self.btf
    }
}

/// Checks an object's maps as [`load`] would before touching the kernel, without creating
/// anything (a caller's template map is asked about, nothing more). The byte order and the pin
/// root are not checked: they concern the host, not the object.
///
/// # Errors
///
/// The first [`ObjectError`] (wrapped in [`Error::Object`]) that [`load`] would refuse with.
pub fn check(object: &BpfObject, options: &LoadOptions<'_>) -> Result<()> {
    plan::plan(object, options).map(drop)
}

fn no_pin_root(map: &str) -> Error {
    ObjectError::Rule {
        map: map.to_owned(),
        rule: Rule::NoPinRoot,
    }
    .into()
}

/// Loads the maps of `object` (see the module documentation for the order and guarantees).
///
/// # Errors
///
/// [`Error::Object`] for what is refused before any syscall (nothing is created);
/// [`Error::PinMismatch`] for an existing pin that does not match; [`Error::Load`] naming the
/// map for a failure while creating, filling or pinning (everything made so far is released).
pub fn load<'o>(object: &'o BpfObject, options: &LoadOptions<'o>) -> Result<LoadedObject> {
    object.check_byte_order()?;
    let plan = plan::plan(object, options)?;
    let root = pin_root(&plan, options)?;
    let mut handles: Vec<Option<Map>> = pins::existing(&plan, root)?;
    let reused: Vec<bool> = handles.iter().map(Option::is_some).collect();
    let (btf_status, btf) = load_btf(object, options);
    // Shared with the outer maps whose template was created with it (for `new_inner`).
    let btf = btf.map(Arc::new);
    // Slots of reused outer maps that are kept as they are, and the declared inner maps they
    // supply.
    // (A set: an outer map may declare very many slots, each looked up here.)
    let mut kept: Vec<HashSet<u32>> = vec![HashSet::new(); plan.maps.len()];
    if options.reuse == Reuse::Keep {
        bind_kept_slots(&plan, &mut handles, &mut kept)?;
    }
    let origins: Vec<Origin> = handles
        .iter()
        .zip(&reused)
        .map(|(handle, &reused)| match (handle, reused) {
            (_, true) => Origin::Pinned,
            (Some(_), false) => Origin::InSlot,
            (None, false) => Origin::Created,
        })
        .collect();
    let mut with_btf = vec![false; plan.maps.len()];
    for (i, planned) in plan.maps.iter().enumerate() {
        if handles[i].is_some() || planned.outer.is_some() {
            continue;
        }
        let (map, used_btf) = create(planned, &planned.spec, planned.btf_ids, btf.as_deref())?;
        with_btf[i] = used_btf;
        handles[i] = Some(map);
    }
    let mut outers: Vec<Option<OuterMap>> = (0..plan.maps.len()).map(|_| None).collect();
    for (i, planned) in plan.maps.iter().enumerate() {
        let Some(outer_plan) = &planned.outer else {
            continue;
        };
        let outer = match handles[i].take() {
            Some(existing) => {
                let template = template_spec(&outer_plan.template);
                OuterMap::from_map_with_template(existing, template)
                    .map_err(|e| load_error(planned, e))?
            }
            None => create_outer(planned, &outer_plan.template, btf.as_ref())?,
        };
        outers[i] = Some(outer);
    }
    // Fresh outer maps first, then the pins: a failure so far touches nothing that existed
    // before the load. The slots of reused outer maps (which other programs may be using) are
    // filled last, and put back as they were if that fails.
    let mut filled = fill_slots(
        &plan,
        &outers,
        &handles,
        &kept,
        &reused,
        options.reuse,
        false,
    )?;
    let mut to_pin: Vec<(&Map, PathBuf, &str)> = Vec::new();
    for (i, planned) in plan.maps.iter().enumerate() {
        let (Some(root), Some(rel), false) = (root, planned.pin.as_deref(), reused[i]) else {
            continue;
        };
        let map = match (&outers[i], &handles[i]) {
            (Some(outer), _) => outer.as_map(),
            (None, Some(map)) => map,
            (None, None) => continue,
        };
        to_pin.push((map, root.join(rel), planned.def.name.as_str()));
    }
    let pinned = pins::pin_all(&to_pin)?;
    let unpin = || pinned.undo();
    let previous = match previous_slots(&plan, &outers, &kept, &reused, options.reuse) {
        Ok(previous) => previous,
        Err(e) => {
            unpin();
            return Err(e);
        }
    };
    match fill_slots(
        &plan,
        &outers,
        &handles,
        &kept,
        &reused,
        options.reuse,
        true,
    ) {
        Ok(more) => {
            for (i, slots) in more.into_iter().enumerate() {
                if !slots.is_empty() {
                    filled[i] = slots;
                }
            }
        }
        Err(e) => {
            restore_slots(&outers, previous);
            unpin();
            return Err(e);
        }
    }
    drop(previous);
    drop(pinned);
    drop(to_pin);
    let mut entries = Vec::with_capacity(plan.maps.len());
    for (i, planned) in plan.maps.iter().enumerate() {
        let map = match outers[i].take() {
            Some(outer) => LoadedMap::Outer(outer),
            None => match handles[i].take() {
                Some(map) => LoadedMap::Plain(map),
                None => continue,
            },
        };
        let pin_path = match (root, planned.pin.as_deref()) {
            (Some(root), Some(rel)) => Some(root.join(rel)),
            _ => None,
        };
        entries.push(LoadedEntry {
            name: planned.def.name.clone(),
            map,
            pin_path,
            origin: origins[i],
            with_btf: with_btf[i],
            filled: filled[i]
                .iter()
                .map(|&(slot, target)| (slot, plan.maps[target].def.name.clone()))
                .collect(),
        });
    }
    Ok(LoadedObject {
        entries,
        btf: btf_status,
    })
}

fn load_error(planned: &PlannedMap<'_>, source: Error) -> Error {
    Error::Load {
        map: planned.def.name.clone(),
        source: Box::new(source),
    }
}

/// The pin root, checked to be on bpffs, if any planned map is pinned.
fn pin_root<'a>(plan: &Plan<'_>, options: &'a LoadOptions<'_>) -> Result<Option<&'a Path>> {
    let Some(first) = plan.maps.iter().find(|m| m.pin.is_some()) else {
        return Ok(None);
    };
    let root = options
        .pin_root
        .as_deref()
        .ok_or_else(|| no_pin_root(&first.def.name))?;
    if !crate::pin::is_bpffs(root)? {
        return Err(Error::NotBpffs {
            path: root.to_owned(),
        });
    }
    Ok(Some(root))
}

/// Loads the object's BTF with its DATASECs fixed; any failure means maps go without BTF.
fn load_btf(object: &BpfObject, options: &LoadOptions<'_>) -> (BtfStatus, Option<LoadedBtf>) {
    let Some(raw) = object.btf() else {
        return (BtfStatus::Absent, None);
    };
    if options.without_btf {
        return (BtfStatus::Disabled, None);
    }
    let fixed = Btf::parse(&raw.raw).and_then(|btf| {
        btf.to_kernel_bytes(
            &|section, var| {
                raw.placements
                    .get(section)
                    .and_then(|vars| vars.get(var))
                    .copied()
            },
            &|section| raw.section_sizes.get(section).copied(),
        )
    });
    let loaded = match fixed {
        Ok(bytes) => LoadedBtf::load(&bytes),
        Err(e) => return (BtfStatus::Refused(e.to_string()), None),
    };
    match loaded {
        Ok(btf) => (BtfStatus::Loaded, Some(btf)),
        Err(e) => (BtfStatus::Refused(e.to_string()), None),
    }
}

/// Creates a map, with BTF ids when the BTF is loaded and the definition has them; if the
/// kernel refuses the map with BTF, tries once more without (as other loaders do).
fn create(
    planned: &PlannedMap<'_>,
    spec: &MapSpec,
    btf_ids: (u32, u32),
    btf: Option<&LoadedBtf>,
) -> Result<(Map, bool)> {
    with_btf_or_without(planned, spec, btf_ids, btf, |spec, btf| match btf {
        Some(btf) => Map::create_with_btf(spec, btf),
        None => Map::create(spec),
    })
}

/// Runs `make` with the BTF and its type ids where the map can have them, and once more
/// without if the kernel refuses that; says whether the BTF was used.
fn with_btf_or_without<T>(
    planned: &PlannedMap<'_>,
    spec: &MapSpec,
    btf_ids: (u32, u32),
    btf: Option<&LoadedBtf>,
    make: impl Fn(&MapSpec, Option<&LoadedBtf>) -> Result<T>,
) -> Result<(T, bool)> {
    let wants_btf = btf_ids != (0, 0) && spec.map_type().takes_btf_ids();
    if let (Some(btf), true) = (btf, wants_btf) {
        let with_ids = spec.clone().with_btf_type_ids(btf_ids.0, btf_ids.1);
        if let Ok(made) = make(&with_ids, Some(btf)) {
            return Ok((made, true));
        }
    }
    let made = make(spec, None).map_err(|e| load_error(planned, e))?;
    Ok((made, false))
}

fn template_spec(template: &PlannedTemplate<'_>) -> MapSpec {
    match template {
        PlannedTemplate::Spec(spec, _) => spec.clone(),
        PlannedTemplate::Map(_, info) => spec_of(info),
    }
}

fn spec_of(info: &MapInfo) -> MapSpec {
    crate::outer::spec_of_info(info)
}

/// Creates the template (if from a spec), the outer map, and closes the template. An outer
/// map whose template got BTF keeps it, so that its `new_inner` creates inner maps the same way.
fn create_outer(
    planned: &PlannedMap<'_>,
    template: &PlannedTemplate<'_>,
    btf: Option<&Arc<LoadedBtf>>,
) -> Result<OuterMap> {
    match template {
        PlannedTemplate::Spec(spec, ids) => {
            // The template needs no handle: its fd goes to the kernel once, then closes.
            let (template, used_btf) =
                with_btf_or_without(planned, spec, *ids, btf.map(|b| &**b), |spec, btf| {
                    Map::create_fd(spec, btf.map(AsFd::as_fd))
                })?;
            let inner_btf = match (used_btf, btf) {
                (true, Some(btf)) => Some(InnerBtf::new(Arc::clone(btf), *ids)),
                _ => None,
            };
            OuterMap::create_known(&planned.spec, template.as_fd(), spec.clone(), inner_btf)
                .map_err(|e| load_error(planned, e))
        }
        PlannedTemplate::Map(fd, _) => {
            OuterMap::create(&planned.spec, *fd).map_err(|e| load_error(planned, e))
        }
    }
}

/// With [`Reuse::Keep`], binds each declared inner map of a reused outer map to the map found
/// in its slot (opened by id), and records those slots as kept.
fn bind_kept_slots(
    plan: &Plan<'_>,
    handles: &mut [Option<Map>],
    kept: &mut [HashSet<u32>],
) -> Result<()> {
    for (i, planned) in plan.maps.iter().enumerate() {
        let Some(outer_plan) = &planned.outer else {
            continue;
        };
        let Some(outer) = &handles[i] else { continue };
        let mut found = Vec::new();
        for &(slot, target) in &outer_plan.slots {
            let mut id = [0u8; 4];
            let key = slot.to_ne_bytes();
            if !outer
                .lookup(&key, &mut id)
                .map_err(|e| load_error(planned, e))?
            {
                continue;
            }
            kept[i].insert(slot);
            let Some(id) = crate::MapId::new(u32::from_ne_bytes(id)) else {
                continue;
            };
            if handles[target].is_none() {
                found.push((target, id));
            }
        }
        for (target, id) in found {
            if handles[target].is_none() {
                let map = Map::from_id(id).map_err(|e| load_error(&plan.maps[target], e))?;
                handles[target] = Some(map);
            }
        }
    }
    Ok(())
}

/// The declared slots this load writes into outer map `i`: all of them, except those of a
/// reused outer map that [`Reuse::Keep`] keeps.
fn slots_to_fill(
    plan: &Plan<'_>,
    i: usize,
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
) -> Vec<(u32, usize)> {
    let Some(outer_plan) = &plan.maps[i].outer else {
        return Vec::new();
    };
    outer_plan
        .slots
        .iter()
        .copied()
        .filter(|(slot, _)| !(reused[i] && reuse == Reuse::Keep && kept[i].contains(slot)))
        .collect()
}

/// What the slots of reused outer maps that this load is about to write hold now: for each,
/// `(outer, slot, the map there, opened)` — `None` for an empty slot. With [`Reuse::Keep`]
/// only empty slots are written, so nothing is asked of the kernel.
fn previous_slots(
    plan: &Plan<'_>,
    outers: &[Option<OuterMap>],
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
) -> Result<Vec<(usize, u32, Option<Map>)>> {
    let mut previous = Vec::new();
    for (i, planned) in plan.maps.iter().enumerate() {
        let (true, Some(outer)) = (reused[i], &outers[i]) else {
            continue;
        };
        for (slot, _) in slots_to_fill(plan, i, kept, reused, reuse) {
            let map = match reuse {
                Reuse::Keep => None,
                Reuse::Overwrite => outer
                    .get_bytes(&slot.to_ne_bytes())
                    .map_err(|e| load_error(planned, e))?,
            };
            previous.push((i, slot, map));
        }
    }
    Ok(previous)
}

/// Puts back what [`previous_slots`] found, as far as the kernel lets us (the load has failed
/// already; this is its clean-up).
fn restore_slots(outers: &[Option<OuterMap>], previous: Vec<(usize, u32, Option<Map>)>) {
    for (i, slot, map) in previous {
        let Some(outer) = &outers[i] else { continue };
        let key = slot.to_ne_bytes();
        let _ = match &map {
            Some(map) => outer.insert_bytes(&key, map.as_fd(), UpdateFlags::ANY),
            None => outer.remove_bytes(&key).map(drop),
        };
    }
}

/// Fills the declared slots of the fresh outer maps (`of_reused` false) or of the reused ones
/// (`of_reused` true): one batch per outer map, the outer maps from up to
/// [`MAX_THREADS`](crate::workers::MAX_THREADS) threads at once. Returns, per planned map, the `(slot, target)` pairs filled.
fn fill_slots(
    plan: &Plan<'_>,
    outers: &[Option<OuterMap>],
    handles: &[Option<Map>],
    kept: &[HashSet<u32>],
    reused: &[bool],
    reuse: Reuse,
    of_reused: bool,
) -> Result<Vec<Vec<(u32, usize)>>> {
    let mut work: Vec<(usize, Vec<(u32, usize)>)> = Vec::new();
    for i in 0..plan.maps.len() {
        if reused[i] != of_reused {
            continue;
        }
        let slots = slots_to_fill(plan, i, kept, reused, reuse);
        if !slots.is_empty() {
            work.push((i, slots));
        }
    }
    let fill_one = |w: usize| -> Result<()> {
        let (i, slots) = &work[w];
        let outer = outers[*i]
            .as_ref()
            .expect("every outer map was created or reused");
        let keys: Vec<u32> = slots.iter().map(|&(slot, _)| slot).collect();
        let mut fds = Vec::with_capacity(slots.len());
        let mut infos = Vec::with_capacity(slots.len());
        for &(_, target) in slots {
            let map = handles[target]
                .as_ref()
                .expect("declared inner maps are never outer maps, so they were created");
            fds.push(map.as_fd());
            infos.push(*map.info());
        }
        outer
            .insert_batch_known(&keys, &fds, &infos, UpdateFlags::ANY)
            .map_err(|e| load_error(&plan.maps[*i], e))
    };
    let results: Vec<Result<()>> = crate::workers::run(
        work.len(),
        crate::workers::MAX_THREADS,
        fill_builder,
        fill_one,
    )
    .into_iter()
    .flat_map(|(len, done)| match done {
        Ok(done) => done,
        // Only reachable where panics unwind: the release profile has
        // `panic = "abort"`, so there a panicking job ends the process first. Tests
        // and debug builds unwind, and a panic in one share must still become an error
        // of each of its jobs after the other shares are done.
        Err(_) => (0..len).map(|_| Err(fill_panicked())).collect(),
    })
    .collect();
    for result in results {
        result?;
    }
    let mut filled = vec![Vec::new(); plan.maps.len()];
    for (i, slots) in work {
        filled[i] = slots;
    }
    Ok(filled)
}

/// The builder of a slot-filling thread.
fn fill_builder() -> std::thread::Builder {
    std::thread::Builder::new().name("bpfmaps-fill".to_owned())
}

/// The error of slot filling that panicked (on its own thread, or on the calling thread when
/// no thread could be spawned for it). Never built in release builds of this crate's binaries
/// (`panic = "abort"` in `[profile.release]`: the process aborts instead); it matters for
/// unwinding builds — tests, debug builds, and dependents whose own profile unwinds.
fn fill_panicked() -> Error {
    Error::Io {
        path: PathBuf::from("<slot filling thread>"),
        source: std::io::Error::other("a slot-filling thread panicked"),
    }
}
