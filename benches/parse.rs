//! `cargo bench --bench parse`: time and heap allocations per parse of every fixture object,
//! the generated `many_maps.bpf.o` (340 maps) among them.
//!
//! Parsing needs no kernel; each object is read into memory once and parsed from there
//! (`BpfObject::parse`), and the largest also from its file (`BpfObject::open`, which maps it).
//! The last column is what [`bpfmaps::loader::check`] adds: the checks a load makes before its
//! first syscall. Arguments that do not start with `-` select objects by name.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bpfmaps::elf::BpfObject;
use bpfmaps::loader::LoadOptions;
use common::raw::allocations;
use common::report::{human, median, report_and_exit, Report};

/// Rounds per object; each round is at least this long.
const ROUNDS: usize = 9;
const ROUND_TIME: Duration = Duration::from_millis(10);

fn main() -> std::process::ExitCode {
    // Parsing needs no privilege, so this bench runs anywhere.
    println!(
        "bpfmaps object parsing ({} rounds of >= {:?} each)",
        ROUNDS, ROUND_TIME
    );
    report_and_exit(run)
}

/// How many times `f` must run for one round to last `ROUND_TIME`.
fn calibrate(mut f: impl FnMut()) -> u32 {
    let mut n = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let t = start.elapsed();
        if t >= ROUND_TIME / 4 || n >= 1 << 20 {
            let per = t.as_nanos().max(1) as f64 / f64::from(n);
            return ((ROUND_TIME.as_nanos() as f64 / per).ceil() as u32).max(1);
        }
        n *= 4;
    }
}

/// The median ns per call of `f` over `ROUNDS` rounds, and its allocations per call.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    let n = calibrate(&mut f);
    let mut per_round = Vec::with_capacity(ROUNDS);
    let allocs = allocations();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        per_round.push(start.elapsed().as_nanos() as f64 / f64::from(n));
    }
    let calls = f64::from(n) * ROUNDS as f64;
    (median(&per_round), (allocations() - allocs) as f64 / calls)
}

fn run(report: &mut Report) -> Result<(), String> {
    println!(
        "\n{:<34} {:>7} {:>5} {:>6} {:>11} {:>9} {:>9} {:>11}",
        "object", "bytes", "maps", "slots", "parse", "allocs", "per map", "+ check"
    );
    let mut rows = 0;
    for path in common::fixtures() {
        let name = common::stem(&path);
        if !report.wants(&name) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let refusal = name.starts_with("refuse_");
        let parsed = BpfObject::parse(&bytes);
        let object = match (&parsed, refusal) {
            (Ok(object), _) => Some(object),
            // A refusal object may be refused by the parser already: time the refusal.
            (Err(_), true) => None,
            (Err(e), false) => return Err(format!("{name}: a valid object failed to parse: {e}")),
        };
        let (ns, allocs) = time(|| {
            let _ = black_box(BpfObject::parse(black_box(&bytes)));
        });
        let (maps, slots) = object.map_or((0, 0), |o| {
            (o.maps().len(), o.maps().iter().map(|m| m.slots.len()).sum())
        });
        let check = match object {
            Some(object) => {
                let options = LoadOptions::new();
                let (check_ns, _) = time(|| {
                    let _ = black_box(bpfmaps::loader::check(object, &options));
                });
                human(check_ns)
            }
            None => "-".into(),
        };
        let per_map = if maps > 0 {
            human(ns / maps as f64)
        } else {
            "-".into()
        };
        let label = if object.is_none() {
            format!("{name} (refused)")
        } else {
            name.clone()
        };
        println!(
            "{:<34} {:>7} {:>5} {:>6} {:>11} {:>9.1} {:>9} {:>11}",
            label,
            bytes.len(),
            maps,
            slots,
            human(ns),
            allocs,
            per_map,
            check
        );
        report.metric(
            &format!("parse_{name}"),
            &[
                ("ns", format!("{ns:.0}")),
                ("allocs", format!("{allocs:.1}")),
                ("maps", maps.to_string()),
                ("bytes", bytes.len().to_string()),
            ],
        );
        rows += 1;

        if name == "many_maps" {
            // The same from the file: open, mmap, parse, unmap, close.
            let (ns, allocs) = time(|| {
                let _ = black_box(BpfObject::open(&path));
            });
            println!(
                "{:<34} {:>7} {:>5} {:>6} {:>11} {:>9.1} {:>9} {:>11}",
                "many_maps (BpfObject::open)",
                bytes.len(),
                maps,
                slots,
                human(ns),
                allocs,
                human(ns / maps as f64),
                "-"
            );
            report.metric(
                "open_many_maps",
                &[
                    ("ns", format!("{ns:.0}")),
                    ("allocs", format!("{allocs:.1}")),
                ],
            );
        }
    }
    if rows == 0 && report.wants("") {
        return Err("no fixture objects found".into());
    }
    Ok(())
}
