//! Timing, medians, the printed table and the machine-readable lines.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::raw::allocations;

/// One timed pass: how long it took for how many operations, and what the crate did meanwhile.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub elapsed: Duration,
    pub ops: u64,
    pub allocs: u64,
    pub calls: u64,
}

impl Sample {
    pub fn ns_per_op(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.ops.max(1) as f64
    }
}

/// Runs `f`, which performs `ops` operations, and measures it.
pub fn measure(ops: u64, f: impl FnOnce() -> Result<(), String>) -> Result<Sample, String> {
    let allocs = allocations();
    let calls = bpfmaps::syscall_count();
    let start = Instant::now();
    f()?;
    let elapsed = start.elapsed();
    Ok(Sample {
        elapsed,
        ops,
        allocs: allocations() - allocs,
        calls: bpfmaps::syscall_count() - calls,
    })
}

/// The median of `values` (the mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A time in ns, for people.
pub fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A count per operation: `2`, `0.25`, or `1/4096` for less than one in ten.
pub fn per_op(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("1/{:.0}", 1.0 / x)
    }
}

/// The result of a crate-vs-raw measurement.
#[derive(Clone, Debug)]
pub struct Pair {
    pub name: String,
    pub crate_ns: f64,
    pub raw_ns: f64,
    /// The median of the per-round ratios (each round pairs a crate pass with the raw pass
    /// next to it, which cancels slow drifts of a shared machine).
    pub ratio: f64,
    /// Crate allocations per operation, over all crate passes.
    pub allocs_per_op: f64,
    /// Crate bpf(2) calls per operation, over all crate passes.
    pub calls_per_op: f64,
    /// Whether this counts as an element operation (zero allocations expected).
    pub element_op: bool,
    /// Whether the ratio target (within 1.05 of raw) applies: per-operation pairs, not the
    /// loads, whose baselines do different work on purpose.
    pub ratio_target: bool,
}

impl Pair {
    pub fn from_samples(
        name: &str,
        crate_side: &[Sample],
        raw_side: &[Sample],
        element_op: bool,
    ) -> Pair {
        let c: Vec<f64> = crate_side.iter().map(Sample::ns_per_op).collect();
        let r: Vec<f64> = raw_side.iter().map(Sample::ns_per_op).collect();
        let ratios: Vec<f64> = c.iter().zip(&r).map(|(c, r)| c / r).collect();
        let ops: u64 = crate_side.iter().map(|s| s.ops).sum();
        let allocs: u64 = crate_side.iter().map(|s| s.allocs).sum();
        let calls: u64 = crate_side.iter().map(|s| s.calls).sum();
        Pair {
            name: name.to_owned(),
            crate_ns: median(&c),
            raw_ns: median(&r),
            ratio: median(&ratios),
            allocs_per_op: allocs as f64 / ops.max(1) as f64,
            calls_per_op: calls as f64 / ops.max(1) as f64,
            element_op,
            ratio_target: true,
        }
    }

    /// The one machine-readable line of this measurement.
    pub fn machine_line(&self) -> String {
        format!(
            "bench: {} crate_ns={:.0} raw_ns={:.0} ratio={:.3}",
            self.name, self.crate_ns, self.raw_ns, self.ratio
        )
    }
}

/// Runs `rounds` rounds of one crate pass and one raw pass (crate first in even rounds, raw
/// first in odd ones), calling `prepare` untimed before every pass.
///
/// Every closure gets a pass number: `2r` for the crate's pass of round `r`, `2r + 1` for the
/// raw one (and `prepare` the number of the pass it prepares). Passes that work on keys take a
/// different run of keys for each number, so the second pass of a round never finds the
/// first one's keys warm in the cache. Short passes and many rounds keep the two passes of a
/// round close in time: on a machine that others load, each per-round ratio then sees the same
/// conditions on both sides.
pub fn paired(
    rounds: usize,
    ops: u64,
    mut prepare: impl FnMut(usize) -> Result<(), String>,
    mut crate_pass: impl FnMut(usize) -> Result<(), String>,
    mut raw_pass: impl FnMut(usize) -> Result<(), String>,
) -> Result<(Vec<Sample>, Vec<Sample>), String> {
    let (mut c, mut r) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    // One untimed warm-up pass of each.
    prepare(0)?;
    crate_pass(0)?;
    prepare(1)?;
    raw_pass(1)?;
    for round in 0..rounds {
        for side in 0..2 {
            if (round + side) % 2 == 0 {
                let pass = 2 * round;
                prepare(pass)?;
                c.push(measure(ops, || crate_pass(pass))?);
            } else {
                let pass = 2 * round + 1;
                prepare(pass)?;
                r.push(measure(ops, || raw_pass(pass))?);
            }
        }
    }
    Ok((c, r))
}

/// The table being printed, and the lines to print at the end.
pub struct Report {
    pairs: Vec<Pair>,
    machine: Vec<String>,
    filters: Vec<String>,
    header_printed: bool,
}

impl Report {
    pub fn new() -> Report {
        let filters = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Report {
            pairs: Vec::new(),
            machine: Vec::new(),
            filters,
            header_printed: false,
        }
    }

    /// Whether the benchmark `name` was asked for (`cargo bench -- NAME…`; all by default).
    pub fn wants(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    /// Prints a section title.
    pub fn section(&mut self, title: &str) {
        println!("\n== {title}");
        self.header_printed = false;
    }

    /// Adds (and prints) a crate-vs-raw row.
    pub fn pair(&mut self, pair: Pair) {
        if !self.header_printed {
            println!(
                "{:<28} {:>11} {:>11} {:>7} {:>8} {:>9}",
                "operation", "crate/op", "raw/op", "ratio", "calls/op", "allocs/op"
            );
            self.header_printed = true;
        }
        println!(
            "{:<28} {:>11} {:>11} {:>7.3} {:>8} {:>9}",
            pair.name,
            human(pair.crate_ns),
            human(pair.raw_ns),
            pair.ratio,
            per_op(pair.calls_per_op),
            per_op(pair.allocs_per_op)
        );
        self.machine.push(pair.machine_line());
        self.pairs.push(pair);
    }

    /// Adds a line to the machine-readable block that is not a crate-vs-raw pair.
    pub fn metric(&mut self, name: &str, fields: &[(&str, String)]) {
        let mut line = format!("metric: {name}");
        for (k, v) in fields {
            let _ = write!(line, " {k}={v}");
        }
        self.machine.push(line);
    }

    pub fn find(&self, name: &str) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.name == name)
    }

    /// Prints the targets' verdicts and the machine-readable block.
    pub fn finish(&self) {
        if !self.pairs.is_empty() {
            println!("\n== targets");
            let over: Vec<&Pair> = self
                .pairs
                .iter()
                .filter(|p| p.ratio_target && p.ratio > 1.05)
                .collect();
            if over.is_empty() {
                println!("every per-operation ratio within 1.05 of the raw syscall");
            } else {
                for p in over {
                    println!(
                        "per-operation ratio above 1.05: {} ({:.3})",
                        p.name, p.ratio
                    );
                }
            }
            let allocating: Vec<&Pair> = self
                .pairs
                .iter()
                .filter(|p| p.element_op && p.allocs_per_op > 0.0)
                .collect();
            if allocating.is_empty() {
                println!("zero allocations in every element operation");
            } else {
                for p in allocating {
                    println!(
                        "element operation allocates: {} ({:.2} per op)",
                        p.name, p.allocs_per_op
                    );
                }
            }
        }
        println!();
        for line in &self.machine {
            println!("{line}");
        }
    }
}

/// The common `main` of the bench binaries: skips (exit 0) where the kernel cannot be used,
/// and exits 1 only when an operation failed.
pub fn run(
    title: &str,
    body: impl FnOnce(&mut Report) -> Result<(), String>,
) -> std::process::ExitCode {
    if let Some(errno) = bpfmaps::probe::map_create_error() {
        println!(
            "{title}: skipped, bpf(BPF_MAP_CREATE) is not allowed here ({errno}); run as root"
        );
        return std::process::ExitCode::SUCCESS;
    }
    println!("{title} (kernel {}, {} CPUs)", kernel_release(), cpus());
    report_and_exit(body)
}

/// Runs `body` with a fresh report, prints the report, and exits 1 only when an operation
/// failed (for benches that need no kernel as well).
pub fn report_and_exit(
    body: impl FnOnce(&mut Report) -> Result<(), String>,
) -> std::process::ExitCode {
    let mut report = Report::new();
    let result = body(&mut report);
    report.finish();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("broken run: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Formats an error of the crate with what was being done.
pub fn ctx<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}
