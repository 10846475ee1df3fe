//! Telling a map fd from other fds before trusting `BPF_OBJ_GET_INFO_BY_FD`.
//!
//! `BPF_OBJ_GET_INFO_BY_FD` answers for programs, links and BTF objects too, each with its own
//! struct; read as a `bpf_map_info`, a program's info would be nonsense. Every map fd is an
//! anonymous inode named `bpf-map`, which `/proc/self/fd` shows. Where `/proc` is not mounted
//! (an empty chroot), the check cannot be made and the kernel's answer is trusted.

use std::os::fd::{AsRawFd, BorrowedFd};

/// `Ok` if `fd` is a BPF map (or if `/proc` cannot tell), `Err` with what it is instead.
pub(crate) fn check_map(fd: BorrowedFd<'_>) -> Result<(), String> {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    match std::fs::read_link(link) {
        Ok(target) if target.as_os_str() == "anon_inode:bpf-map" => Ok(()),
        Ok(target) => Err(format!("it is {}", target.display())),
        Err(_) => Ok(()),
    }
}
