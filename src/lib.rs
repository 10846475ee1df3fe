//! bpfmaps: BPF maps, map-in-map first, driven straight through `bpf(2)`.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// BTF (BPF Type Format): parse the `.BTF` of BPF objects and the kernel's own, and prepare
/// it for `BPF_BTF_LOAD`.
pub mod btf;
mod map_type;

pub use map_type::MapType;
