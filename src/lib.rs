//! BPF maps, map-in-map first, driven straight through `bpf(2)`.
//!
//! No libbpf, no C toolchain, no bindgen: one `repr(C)` struct per command, the exact prefix
//! size passed, and every `unsafe` line in one module (`sys`) with its safety argument.
//!
//! - [`Map`] is an owned map: its fd, and what the kernel reports about it ([`MapInfo`]).
//!   Element operations on bytes and on [`Pod`] types check sizes before the syscall.
//! - [`OuterMap`] is a map of maps. It is created from an inner template, creates inner maps
//!   that fit ([`OuterMap::new_inner`]), checks inner maps before inserting them, takes them as
//!   borrowed fds and gives back [`MapId`]s and owned [`Map`]s, so no fd can leak.
//!
//! ```
//! use bpfmaps::{MapSpec, MapType, OuterMap};
//! # fn main() -> Result<(), bpfmaps::Error> {
//! # if bpfmaps::probe::doctest_skip() { return Ok(()) }
//! let outer = OuterMap::create(&MapSpec::array_of_maps(256), &MapSpec::new(MapType::DEVMAP, 4, 4, 64))?;
//! let inner = outer.new_inner("devs0")?;
//! outer.insert(&0u32, &inner)?;
//! assert_eq!(outer.lookup(&0u32)?, Some(inner.id()));
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod btf;
mod btf_load;
mod command;
mod cpus;
pub mod elf;
mod errno;
mod error;
mod fdkind;
mod flags;
mod id;
mod ids;
mod info;
pub mod loader;
mod map;
mod map_type;
mod name;
mod outer;
pub mod pin;
pub mod probe;
mod spec;
mod stats;
mod sys;
mod workers;

pub use btf_load::LoadedBtf;
pub use command::Command;
pub use cpus::possible_cpus;
pub use errno::Errno;
pub use error::{Error, InnerMismatch, MapLabel, Refusal, Result, SizeKind, SyscallError, Target};
pub use flags::{MapFlags, OpenFlags, UpdateFlags, UpdateMode};
pub use id::MapId;
pub use ids::{map_ids, MapIds};
pub use info::MapInfo;
pub use map::{BatchCursor, Entries, KeyCursor, Keys, Map};
pub use map_type::MapType;
pub use name::{MapName, NameError};
pub use outer::{InnerShape, InnerTemplate, OuterEntries, OuterMap};
pub use spec::MapSpec;
pub use stats::syscall_count;
pub use sys::pod::Pod;
