//! `cargo bench --bench load`: loading each fixture object (time and bpf(2) calls), and the
//! big generated objects against a sequential loader written with raw syscalls.
//!
//! Every update or delete of an outer map from userspace waits for an RCU grace period. The
//! crate fills all the declared slots of an outer map with one batch, and the outer maps from
//! parallel threads, so a load should wait about one grace period in all. The baseline does
//! what loaders commonly do: create the same maps, then one update per slot, one outer map
//! after the other. Arguments that do not start with `-` select objects by name.

mod common;

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bpfmaps::elf::{BpfObject, MapAttrs};
use bpfmaps::loader::{self, BtfStatus, LoadOptions, LoadedMap, LoadedObject};
use bpfmaps::{MapSpec, MapType};
use common::raw::{self, CreateAttr, RawMap};
use common::report::{ctx, human, median, Pair, Report, Sample};

/// Loads per fixture (after one untimed first load).
const LOADS: usize = 5;
/// Rounds of crate load next to raw baseline for the big objects.
const BASELINE_ROUNDS: usize = 3;

fn main() -> std::process::ExitCode {
    common::report::run("bpfmaps loading vs sequential raw slot filling", |report| {
        let gp = GracePeriod::new()?;
        println!(
            "one RCU grace period (median of 9 raw outer-map updates): {}",
            human(gp.typical)
        );
        report.metric("grace_period", &[("ns", format!("{:.0}", gp.typical))]);
        let pins = PinRoot::new();
        fixtures(report, &gp, pins.path())?;
        baselines(report)?;
        growth(report)?;
        Ok(())
    })
}

fn errno(what: &str) -> impl FnOnce(i32) -> String + '_ {
    move |e| format!("{what}: {}", std::io::Error::from_raw_os_error(e))
}

/// A scratch outer map whose raw updates measure one RCU grace period.
///
/// A grace period here ends on a scheduler tick and lasts a varying number of them (more when
/// the other CPU is busy), so each load is compared with grace periods measured right next to
/// it, not with one figure for the whole run.
struct GracePeriod {
    _template: OwnedFd,
    outer: OwnedFd,
    /// The median of the first measurements, for where no adjacent one is taken.
    typical: f64,
}

impl GracePeriod {
    fn new() -> Result<GracePeriod, String> {
        let template = raw::create(&CreateAttr::new(MapType::ARRAY, 4, 4, 1, "bench_gp_in"))
            .map_err(errno("create"))?;
        let mut attr = CreateAttr::new(MapType::ARRAY_OF_MAPS, 4, 4, 1, "bench_gp");
        attr.inner_map_fd = template.as_raw_fd() as u32;
        let outer = raw::create(&attr).map_err(errno("create outer"))?;
        let mut gp = GracePeriod {
            _template: template,
            outer,
            typical: 0.0,
        };
        let times = (0..9).map(|_| gp.once()).collect::<Result<Vec<_>, _>>()?;
        gp.typical = median(&times);
        Ok(gp)
    }

    /// One raw update of the scratch outer map: one grace period, in ns.
    fn once(&self) -> Result<f64, String> {
        let raw = RawMap::<u32, u32>::of(&self.outer)?;
        let fd = self._template.as_raw_fd() as u32;
        let start = Instant::now();
        raw.update(&0, &fd, 0).map_err(errno("update"))?;
        Ok(start.elapsed().as_nanos() as f64)
    }
}

/// A private bpffs mount for the objects that ask to be pinned, unmounted when dropped.
struct PinRoot(Option<PathBuf>);

impl PinRoot {
    fn new() -> PinRoot {
        let dir = std::env::temp_dir().join(format!("bpfmaps-bench-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_err() {
            return PinRoot(None);
        }
        match bpfmaps::pin::mount_bpffs(&dir) {
            Ok(()) => PinRoot(Some(dir)),
            Err(e) => {
                println!("no bpffs for the pinning objects ({e}): they are skipped");
                let _ = std::fs::remove_dir(&dir);
                PinRoot(None)
            }
        }
    }

    fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }
}

impl Drop for PinRoot {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            clear(dir);
            let _ = bpfmaps::pin::unmount(dir);
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Removes everything under `dir` (the pins a load made), keeping `dir`.
fn clear(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// How the bench loads a fixture: the options it needs, or why it is expected to be refused.
enum Plan<'a> {
    Load(LoadOptions<'a>),
    Refused,
    Skip(&'static str),
}

fn plan_for(name: &str, pin_root: Option<&Path>) -> Plan<'static> {
    match name {
        "big_endian" => Plan::Refused,
        n if n.starts_with("refuse_") => Plan::Refused,
        "legacy_libbpf" => Plan::Load(
            LoadOptions::new().template("legacy_outer", MapSpec::new(MapType::ARRAY, 4, 4, 4)),
        ),
        "pinning" | "legacy_iproute2" => match pin_root {
            Some(root) => Plan::Load(LoadOptions::new().pin_root(root)),
            None => Plan::Skip("no bpffs"),
        },
        _ => Plan::Load(LoadOptions::new()),
    }
}

/// The bpf(2) calls a load needs for what it made: the BTF load; for each map a create and
/// the info query that gives its id (and the sizes the crate checks element operations
/// against); for each outer map its template's create, its own create and info; one batch per
/// outer map with declared slots; one pin per pinned map. A template's info query is not
/// needed (nothing of it is kept), nor is a retried create.
fn needed_calls(loaded: &LoadedObject) -> u64 {
    let mut n = match loaded.btf_status() {
        BtfStatus::Loaded => 1,
        // The first attempt, and the one with a log for the reason.
        BtfStatus::Refused(_) => 2,
        _ => 0,
    };
    for entry in loaded.entries() {
        if entry.reused() {
            continue;
        }
        n += match entry.map() {
            LoadedMap::Outer(_) => 3,
            _ => 2,
        };
        if !entry.filled_slots().is_empty() {
            n += 1;
        }
        if entry.pin_path().is_some() {
            n += 1;
        }
    }
    n
}

/// Maps a load created: every entry, and one template per outer map.
fn created(loaded: &LoadedObject) -> (usize, usize, usize) {
    let outers = loaded
        .entries()
        .iter()
        .filter(|e| matches!(e.map(), LoadedMap::Outer(_)))
        .count();
    let slots = loaded
        .entries()
        .iter()
        .map(|e| e.filled_slots().len())
        .sum();
    (loaded.entries().len() + outers, outers, slots)
}

fn fixtures(report: &mut Report, gp: &GracePeriod, pin_root: Option<&Path>) -> Result<(), String> {
    report.section(
        "full load of each fixture (median of 5 loads after a first one; GPs: mean load time over \
         the mean of grace periods measured next to the loads)",
    );
    println!(
        "{:<30} {:>5} {:>6} {:>6} {:>10} {:>6} {:>6} {:>7} {:>6}",
        "object", "maps", "outers", "slots", "load", "GPs", "calls", "needed", "first"
    );
    for path in common::fixtures() {
        let name = common::stem(&path);
        if !report.wants(&name) {
            continue;
        }
        let object = match (BpfObject::open(&path), plan_for(&name, pin_root)) {
            (Ok(object), _) => object,
            (Err(e), Plan::Refused) => {
                println!("{name:<30} refused when parsed: {e}");
                continue;
            }
            (Err(e), _) => return Err(format!("{name}: {e}")),
        };
        let options = match plan_for(&name, pin_root) {
            Plan::Skip(why) => {
                println!("{name:<30} skipped: {why}");
                continue;
            }
            Plan::Refused => {
                let calls = bpfmaps::syscall_count();
                let start = Instant::now();
                let result = loader::load(&object, &LoadOptions::new());
                let elapsed = start.elapsed();
                let calls = bpfmaps::syscall_count() - calls;
                if result.is_ok() {
                    return Err(format!("{name}: loaded, but must be refused"));
                }
                println!(
                    "{:<30} refused before bpf(2) in {}: {} calls{}",
                    name,
                    human(elapsed.as_nanos() as f64),
                    calls,
                    if calls == 0 {
                        ""
                    } else {
                        "  <-- expected none"
                    }
                );
                report.metric(&format!("refuse_{name}"), &[("calls", calls.to_string())]);
                continue;
            }
            Plan::Load(options) => options,
        };
        let load = |options: &LoadOptions<'_>| -> Result<(LoadedObject, f64, u64), String> {
            let calls = bpfmaps::syscall_count();
            let start = Instant::now();
            let loaded = loader::load(&object, options).map_err(ctx(&name))?;
            let ns = start.elapsed().as_nanos() as f64;
            Ok((loaded, ns, bpfmaps::syscall_count() - calls))
        };
        let (first, _, first_calls) = load(&options)?;
        let needed = needed_calls(&first);
        let (maps, outers, slots) = created(&first);
        drop(first);
        if let Some(root) = pin_root {
            clear(root);
        }
        let mut times = Vec::with_capacity(LOADS);
        let mut calls = Vec::with_capacity(LOADS);
        let mut gps = Vec::with_capacity(LOADS);
        for _ in 0..LOADS {
            if outers > 0 {
                gps.push(gp.once()?);
            }
            let (loaded, ns, n) = load(&options)?;
            times.push(ns);
            calls.push(n);
            drop(loaded);
            if let Some(root) = pin_root {
                clear(root);
            }
        }
        let ns = median(&times);
        // Both come in scheduler ticks: compare means, which average the steps out.
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let gp_ns = if gps.is_empty() {
            gp.typical
        } else {
            mean(&gps)
        };
        let waits = mean(&times) / gp_ns;
        let calls_max = calls.iter().copied().max().unwrap_or(0);
        let calls_min = calls.iter().copied().min().unwrap_or(0);
        let calls_text = if calls_max == calls_min {
            calls_max.to_string()
        } else {
            format!("{calls_min}-{calls_max}")
        };
        println!(
            "{:<30} {:>5} {:>6} {:>6} {:>10} {:>6.2} {:>6} {:>7} {:>6}",
            name,
            maps,
            outers,
            slots,
            human(ns),
            waits,
            calls_text,
            needed,
            first_calls
        );
        report.metric(
            &format!("load_{name}"),
            &[
                ("ns", format!("{ns:.0}")),
                ("grace_period_ns", format!("{gp_ns:.0}")),
                ("calls", calls_max.to_string()),
                ("needed", needed.to_string()),
                ("first_calls", first_calls.to_string()),
                ("maps", maps.to_string()),
            ],
        );
    }
    Ok(())
}

/// The create attributes of an object's map definition (no BTF).
fn attr_of(attrs: &MapAttrs, name: &str) -> CreateAttr {
    let mut attr = CreateAttr::new(
        attrs.map_type,
        attrs.key_size,
        attrs.value_size,
        attrs.max_entries,
        name,
    );
    attr.map_flags = (attrs.flags | attrs.map_type.implied_flags()).bits();
    attr.numa_node = attrs.numa_node;
    attr.map_extra = attrs.map_extra;
    attr
}

/// What the raw loader does.
#[derive(Clone, Copy)]
struct RawLoad {
    filling: Filling,
    /// Create the plain maps only.
    skip_outer: bool,
    /// Query each plain map's info after creating it, as the crate does (for its id and sizes).
    with_info: bool,
    /// Create only the first this many plain maps.
    first: usize,
}

impl RawLoad {
    fn filling(filling: Filling) -> RawLoad {
        RawLoad {
            filling,
            skip_outer: false,
            with_info: false,
            first: usize::MAX,
        }
    }

    fn plain_only(with_info: bool) -> RawLoad {
        RawLoad {
            filling: Filling::None,
            skip_outer: true,
            with_info,
            first: usize::MAX,
        }
    }

    /// The first `n` plain maps only, each with its info query (as the crate).
    fn first_plain(n: usize) -> RawLoad {
        RawLoad {
            first: n,
            ..RawLoad::plain_only(true)
        }
    }
}

/// How the raw loader fills the declared slots.
#[derive(Clone, Copy, PartialEq)]
enum Filling {
    /// No slots: the maps only.
    None,
    /// One update per slot, one outer map after the other (what loaders commonly do).
    PerSlot,
    /// One batch update per outer map, one outer map after the other.
    BatchPerOuter,
}

/// Loads `object` with raw syscalls: every plain map, then each outer map from a template
/// closed right after, then the slots; returns the number of bpf(2) calls made, and the maps
/// (for the caller to close outside the timed part, as it drops the crate's result).
fn raw_load(object: &BpfObject, how: RawLoad) -> Result<(u64, Vec<OwnedFd>), String> {
    let mut calls = 0;
    let mut fds: HashMap<&str, OwnedFd> = HashMap::new();
    let mut info = raw::MapInfoBuf::default();
    for def in object
        .maps()
        .iter()
        .filter(|d| !d.is_outer())
        .take(how.first)
    {
        let fd = raw::create(&attr_of(&def.attrs, &def.name)).map_err(errno(&def.name))?;
        calls += 1;
        if how.with_info {
            raw::info(fd.as_fd(), &mut info).map_err(errno("info"))?;
            calls += 1;
        }
        fds.insert(&def.name, fd);
    }
    let RawLoad {
        filling,
        skip_outer,
        ..
    } = how;
    if skip_outer {
        return Ok((calls, fds.into_values().collect()));
    }
    let mut outers = Vec::new();
    for def in object.maps().iter().filter(|d| d.is_outer()) {
        let inner = def
            .attrs
            .inner
            .as_deref()
            .ok_or_else(|| format!("{}: no inner definition", def.name))?;
        let template = raw::create(&attr_of(inner, "")).map_err(errno("template"))?;
        let mut attr = attr_of(&def.attrs, &def.name);
        attr.inner_map_fd = template.as_raw_fd() as u32;
        let outer = raw::create(&attr).map_err(errno(&def.name))?;
        calls += 2;
        drop(template);
        outers.push((def, outer));
    }
    for (def, outer) in &outers {
        if def.slots.is_empty() || filling == Filling::None {
            continue;
        }
        // The outer map's key is as declared; its userspace value is the 4-byte inner fd.
        let map = RawMap::<u32, u32>::declared(outer.as_fd(), def.attrs.key_size, 4)?;
        let mut keys = Vec::with_capacity(def.slots.len());
        let mut values = Vec::with_capacity(def.slots.len());
        for slot in &def.slots {
            let fd = fds
                .get(slot.map.as_str())
                .ok_or_else(|| format!("{}: slot names unknown map {}", def.name, slot.map))?;
            keys.push(slot.index);
            values.push(fd.as_fd().as_raw_fd() as u32);
        }
        match filling {
            Filling::PerSlot => {
                for (k, v) in keys.iter().zip(&values) {
                    map.update(k, v, 0).map_err(errno("slot update"))?;
                    calls += 1;
                }
            }
            Filling::BatchPerOuter => {
                map.update_batch(&keys, &values)
                    .map_err(|(e, _)| errno("slot batch")(e))?;
                calls += 1;
            }
            Filling::None => {}
        }
    }
    let mut all: Vec<OwnedFd> = fds.into_values().collect();
    all.extend(outers.into_iter().map(|(_, fd)| fd));
    Ok((calls, all))
}

/// Gives the kernel time to free the maps just closed (it does so after a grace period, from a
/// worker), so that the next load does not compete with the frees of the previous one.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(30));
}

fn sample(ns: f64, calls: u64, allocs: u64) -> Sample {
    Sample {
        elapsed: std::time::Duration::from_nanos(ns as u64),
        ops: 1,
        allocs,
        calls,
    }
}

/// Times one crate load of `object` (dropped untimed) and one raw load, in `rounds` rounds,
/// the order swapped every round.
fn load_pair(
    object: &BpfObject,
    options: &LoadOptions<'_>,
    how: RawLoad,
    rounds: usize,
    crate_loads: usize,
) -> Result<(Vec<Sample>, Vec<Sample>), String> {
    let crate_load = || -> Result<Sample, String> {
        let calls = bpfmaps::syscall_count();
        let allocs = raw::allocations();
        let start = Instant::now();
        let loaded = loader::load(object, options).map_err(ctx(object.name()))?;
        let ns = start.elapsed().as_nanos() as f64;
        let allocs = raw::allocations() - allocs;
        let calls = bpfmaps::syscall_count() - calls;
        drop(loaded);
        settle();
        Ok(sample(ns, calls, allocs))
    };
    let raw_side = || -> Result<Sample, String> {
        let start = Instant::now();
        let (calls, maps) = raw_load(object, how)?;
        let ns = start.elapsed().as_nanos() as f64;
        drop(maps);
        settle();
        Ok(sample(ns, calls, 0))
    };
    // Where the baseline is slow, the crate side of a round is the median of several loads
    // (its single grace period varies from one to two scheduler ticks and more).
    let crate_side = || -> Result<Sample, String> {
        let mut loads = (0..crate_loads)
            .map(|_| crate_load())
            .collect::<Result<Vec<_>, _>>()?;
        loads.sort_by_key(|s| s.elapsed);
        Ok(loads[loads.len() / 2])
    };
    let (mut c, mut r) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            c.push(crate_side()?);
            r.push(raw_side()?);
        } else {
            r.push(raw_side()?);
            c.push(crate_side()?);
        }
    }
    Ok((c, r))
}

fn open_fixture(name: &str) -> Result<BpfObject, String> {
    let path = format!("{}/tests/fixtures/{name}.bpf.o", env!("CARGO_MANIFEST_DIR"));
    BpfObject::open(&path).map_err(ctx(name))
}

/// Adds the pair, and says how many grace periods each side waited: in units of the
/// baseline's own mean wait per slot (or per outer map), `waits` being how many it made.
fn print_pair(report: &mut Report, name: &str, c: &[Sample], r: &[Sample], waits: usize) {
    let mut pair = Pair::from_samples(name, c, r, false);
    pair.ratio_target = false;
    let raw_calls = r.first().map_or(0, |s| s.calls);
    let gp = pair.raw_ns / waits as f64;
    let line = format!(
        "{:<28} baseline: {waits} waits of {} each, {raw_calls} calls; crate: {:.2} such waits",
        "",
        human(gp),
        pair.crate_ns / gp
    );
    report.pair(pair);
    println!("{line}");
}

fn baselines(report: &mut Report) -> Result<(), String> {
    report.section("big objects: crate load vs a raw loader filling one slot at a time");
    for name in ["load_1x100", "load_20x5", "many_maps"] {
        let label = format!("{name}_vs_per_slot");
        if !report.wants(&label) {
            continue;
        }
        let object = open_fixture(name)?;
        let options = LoadOptions::new();
        let slots = object.maps().iter().map(|m| m.slots.len()).sum();
        let (c, r) = load_pair(
            &object,
            &options,
            RawLoad::filling(Filling::PerSlot),
            BASELINE_ROUNDS,
            5,
        )?;
        print_pair(report, &label, &c, &r, slots);
    }
    // Sequential batches still wait once per outer map.
    let label = "load_20x5_vs_batch_per_outer";
    if report.wants(label) {
        let object = open_fixture("load_20x5")?;
        let options = LoadOptions::new();
        let outers = object.maps().iter().filter(|m| !m.slots.is_empty()).count();
        let (c, r) = load_pair(
            &object,
            &options,
            RawLoad::filling(Filling::BatchPerOuter),
            5,
            3,
        )?;
        print_pair(report, label, &c, &r, outers);
    }
    Ok(())
}

/// Load time against the number of maps, without the grace period: the objects with their
/// outer maps skipped, against raw creates of the same maps.
fn growth(report: &mut Report) -> Result<(), String> {
    report.section(
        "growth: loads with the outer maps skipped (no grace period), without BTF, vs raw creates \
         (not a per-op target: the loader also plans, checks and reports on each map)",
    );
    for name in ["load_1x100", "load_20x5", "many_maps"] {
        let label = format!("{name}_plain_only");
        if !report.wants(&label) {
            continue;
        }
        let object = open_fixture(name)?;
        // Without BTF, as the raw creates: the kernel's BTF checks per create are not the
        // loader's overhead (they are measured below).
        let (options, plain) = plain_maps(&object, LoadOptions::new().without_btf(), usize::MAX);
        let (with_btf, _) = plain_maps(&object, LoadOptions::new(), usize::MAX);
        let (c, r) = load_pair(&object, &options, RawLoad::plain_only(false), 9, 1)?;
        let (cn, rn) = per_map_pair(report, &label, &c, &r, plain);
        println!(
            "{:<28} {plain} maps: crate {} per map, raw create {} per map; crate calls {}",
            "",
            human(cn),
            human(rn),
            c.first().map_or(0, |s| s.calls)
        );
        // The same against raw creates each followed by the info query the crate makes.
        let (c, r) = load_pair(&object, &options, RawLoad::plain_only(true), 9, 1)?;
        let mut pair = Pair::from_samples(&format!("{label}_same_calls"), &c, &r, false);
        pair.ratio_target = false;
        report.pair(pair);
        let (b, _) = load_pair(&object, &with_btf, RawLoad::plain_only(false), 3, 1)?;
        let btf_ns = median(&b.iter().map(Sample::ns_per_op).collect::<Vec<_>>());
        println!(
            "{:<28} with the object's BTF: {} ({} per map)",
            "",
            human(btf_ns),
            human(btf_ns / f64::from(plain))
        );
        report.metric(
            &format!("{name}_plain_only_with_btf"),
            &[("ns", format!("{btf_ns:.0}"))],
        );
    }
    scaling(report)
}

/// `options` skipping the outer maps of `object` and its plain maps after the first `first`;
/// and how many plain maps are left to load.
fn plain_maps<'o>(
    object: &'o BpfObject,
    mut options: LoadOptions<'o>,
    first: usize,
) -> (LoadOptions<'o>, u32) {
    let mut plain = 0;
    for def in object.maps() {
        if def.is_outer() || plain as usize == first {
            options = options.skip(&def.name);
        } else {
            plain += 1;
        }
    }
    (options, plain)
}

/// Adds a load pair that is not a per-op target; returns the crate's and the raw side's
/// median time per map of the `maps` it created.
fn per_map_pair(
    report: &mut Report,
    label: &str,
    c: &[Sample],
    r: &[Sample],
    maps: u32,
) -> (f64, f64) {
    let mut pair = Pair::from_samples(label, c, r, false);
    pair.ratio_target = false;
    let per_map = (
        pair.crate_ns / f64::from(maps),
        pair.raw_ns / f64::from(maps),
    );
    report.pair(pair);
    per_map
}

/// Load time against the number of maps, one kind of map at a time: the first N plain maps of
/// an object (the others and the outer maps skipped), against raw creates and info queries of
/// the same N maps.
fn scaling(report: &mut Report) -> Result<(), String> {
    report.section(
        "growth: the first N plain maps of an object, without BTF, vs raw creates + info \
         (not a per-op target)",
    );
    for (name, sizes) in [
        ("load_1x100", &[1usize, 10, 30, 100][..]),
        ("many_maps", &[10, 33, 110, 330][..]),
    ] {
        let object = open_fixture(name)?;
        for &n in sizes {
            let label = format!("{name}_first_{n}");
            if !report.wants(&label) {
                continue;
            }
            let (options, plain) = plain_maps(&object, LoadOptions::new().without_btf(), n);
            let (c, r) = load_pair(&object, &options, RawLoad::first_plain(n), 9, 1)?;
            let (cn, rn) = per_map_pair(report, &label, &c, &r, plain);
            println!(
                "{:<28} {plain} maps: crate {} per map, raw {} per map, difference {} per map",
                "",
                human(cn),
                human(rn),
                human(cn - rn)
            );
        }
    }
    Ok(())
}
