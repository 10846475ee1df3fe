//! Shared by the bench binaries: the raw `bpf(2)` baseline and counting allocator (`raw`), and
//! timing and printing (`report`).
#![allow(
    dead_code,
    reason = "each bench binary uses a different part of this module"
)]

pub mod raw;
pub mod report;

use std::path::PathBuf;

/// The committed fixture objects, sorted by file name.
pub fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `X` for `…/X.bpf.o`.
pub fn stem(path: &std::path::Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.trim_end_matches(".bpf.o").to_owned()
}
