//! bpfmaps: BPF maps, map-in-map first, driven straight through `bpf(2)`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod map_type;

pub use map_type::MapType;
