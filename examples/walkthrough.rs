//! The seed walkthrough, end to end, printing each step:
//!
//! 1. create an outer `ARRAY_OF_MAPS` of 256 slots whose inner template is a `DEVMAP`;
//! 2. create inner device maps and insert them (each handle dropped right after);
//! 3. look up a slot: the kernel gives back the inner map's id;
//! 4. open the id: an owned handle with its own fd;
//! 5. write and read through it (a device map's value is an ifindex: 1, the loopback);
//! 6. delete the slots;
//! 7. show that nothing is left: the process's fds are those it started with, and none of the
//!    maps' ids exists any more once the kernel's RCU grace periods have passed.
//!
//! Run as root (creating maps needs `CAP_BPF`, opening one by id `CAP_SYS_ADMIN`):
//!
//! ```sh
//! cargo run --release --example walkthrough
//! ```
//!
//! Exits with status 1 and the error's message if any step fails.

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;
use std::time::Duration;

use bpfmaps::{Map, MapId, MapSpec, MapType, OuterMap, UpdateFlags};

/// The slots the walkthrough fills.
const SLOTS: [u32; 3] = [0, 1, 255];
/// The loopback device's ifindex.
const LOOPBACK: u32 = 1;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("walkthrough failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let fds_at_start = open_fds()?;
    println!("0. open fds at the start: {fds_at_start:?}");

    let template = MapSpec::new(MapType::DEVMAP, 4, 4, 64);
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(256).with_name("outer_devs")?,
        &template,
    )?;
    println!(
        "1. created outer map 'outer_devs' (id {}, fd {}): array_of_maps of {} slots, inner \
         template {} key {} value {} max_entries {}; the template map is already closed",
        outer.id(),
        outer.as_fd().as_raw_fd(),
        outer.info().max_entries(),
        template.map_type(),
        template.key_size(),
        template.value_size(),
        template.max_entries(),
    );

    let mut ids: BTreeSet<MapId> = BTreeSet::new();
    for slot in SLOTS {
        let inner = outer.new_inner(&format!("devs_{slot}"))?;
        outer.insert(&slot, &inner)?;
        println!(
            "2. created inner map 'devs_{slot}' (id {}, fd {}, flags {:?}) and inserted it at \
             slot {slot}; the handle is dropped next, the outer map keeps the map alive",
            inner.id(),
            inner.as_fd().as_raw_fd(),
            inner.info().flags(),
        );
        ids.insert(inner.id());
    }

    for slot in SLOTS {
        let Some(id) = outer.lookup(&slot)? else {
            return Err(format!("slot {slot} is empty after the insert").into());
        };
        println!("3. slot {slot} holds the map with id {id}");

        let devs = Map::from_id(id)?;
        println!(
            "4. opened id {id}: '{}', a {} map, fd {}",
            devs.info().name(),
            devs.map_type(),
            devs.as_fd().as_raw_fd()
        );

        devs.put(&0u32, &LOOPBACK, UpdateFlags::ANY)?;
        let read = devs.get::<u32, u32>(&0)?;
        println!("5. wrote devs[0] = ifindex {LOOPBACK} (lo), read back {read:?}");
        if read != Some(LOOPBACK) {
            return Err(format!("read back {read:?}, expected Some({LOOPBACK})").into());
        }
        // `devs` drops here: its fd is closed.
    }

    for slot in SLOTS {
        let removed = outer.remove(&slot)?;
        println!("6. deleted slot {slot} (it was filled: {removed})");
    }
    let remaining = outer.iter::<u32>().count();
    println!("   filled slots left: {remaining}");
    ids.insert(outer.id());
    drop(outer);

    let fds_now = open_fds()?;
    println!("7. open fds now: {fds_now:?}");
    if fds_now != fds_at_start {
        return Err(format!("fds left open: {fds_at_start:?} at start, {fds_now:?} now").into());
    }
    let left = wait_gone(&ids)?;
    if !left.is_empty() {
        return Err(format!("maps still alive after the grace periods: {left:?}").into());
    }
    println!(
        "   none of the maps exists any more (ids {}, walked with BPF_MAP_GET_NEXT_ID after \
         forcing RCU grace periods): nothing is left",
        ids.iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The fds open in this process (`/proc/self/fd`), without the one used to read it.
fn open_fds() -> std::io::Result<BTreeSet<i32>> {
    let mut fds = BTreeSet::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        if let Ok(fd) = entry?.file_name().to_string_lossy().parse::<i32>() {
            fds.insert(fd);
        }
    }
    fds.retain(|fd| std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists());
    Ok(fds)
}

/// Forces RCU grace periods as the kernel's selftests do: throw-away updates of a scratch
/// outer map, each of which waits for one, so inner maps released before them are freed.
fn force_grace_periods() -> bpfmaps::Result<()> {
    let scratch = OuterMap::create(
        &MapSpec::array_of_maps(1),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )?;
    for _ in 0..2 {
        let inner = scratch.new_inner("")?;
        scratch.insert(&0u32, &inner)?;
    }
    scratch.remove(&0u32)?;
    drop(scratch);
    // Freeing runs from a workqueue after the grace period.
    std::thread::sleep(Duration::from_millis(50));
    Ok(())
}

/// Waits (up to a few seconds, forcing grace periods) until none of `ids` exists; returns those
/// that still do.
fn wait_gone(ids: &BTreeSet<MapId>) -> bpfmaps::Result<BTreeSet<MapId>> {
    let mut left = ids.clone();
    for _ in 0..40 {
        force_grace_periods()?;
        let now = bpfmaps::map_ids().collect::<bpfmaps::Result<BTreeSet<MapId>>>()?;
        left.retain(|id| now.contains(id));
        if left.is_empty() {
            break;
        }
    }
    Ok(left)
}
