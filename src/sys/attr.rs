//! The `union bpf_attr` prefixes this crate fills, one `repr(C)` struct per command group.
//!
//! Each struct copies the layout of one anonymous struct of `union bpf_attr` in
//! `include/uapi/linux/bpf.h`, with explicit padding so that zero-initialisation leaves no byte
//! undefined. The kernel is told the size of the prefix a command fills (`SIZE` below), never the
//! whole union: a larger size costs a zero check of the tail on every call, and an older kernel
//! refuses a size that covers fields it does not know.
//!
//! This file holds data only; the calls that hand these structs to the kernel are in `super`.

use core::mem::{offset_of, size_of};

/// The kernel's `BPF_OBJ_NAME_LEN`: 16 bytes, NUL included.
pub(crate) const OBJ_NAME_LEN: usize = 16;

/// `BPF_MAP_CREATE`: the first anonymous struct of `union bpf_attr`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; OBJ_NAME_LEN],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}

impl MapCreateAttr {
    /// `offsetofend(union bpf_attr, map_extra)`: everything up to `map_extra` (Linux 5.16).
    pub const SIZE: usize = offset_of!(MapCreateAttr, map_extra) + size_of::<u64>();
}

/// `BPF_MAP_*_ELEM` and `BPF_MAP_GET_NEXT_KEY`, also `BPF_MAP_FREEZE` (which reads `map_fd` only).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct MapElemAttr {
    pub map_fd: u32,
    pub _pad0: u32,
    pub key: u64,
    /// `value`, or `next_key` for `BPF_MAP_GET_NEXT_KEY`.
    pub value_or_next_key: u64,
    pub flags: u64,
}

impl MapElemAttr {
    /// `offsetofend(union bpf_attr, flags)`.
    pub const SIZE: usize = size_of::<MapElemAttr>();
    /// `offsetofend(union bpf_attr, next_key)`: `BPF_MAP_GET_NEXT_KEY` has no flags.
    pub const NEXT_KEY_SIZE: usize = offset_of!(MapElemAttr, flags);
    /// `offsetofend(union bpf_attr, key)`: `BPF_MAP_DELETE_ELEM` has no value and no flags.
    pub const DELETE_SIZE: usize = offset_of!(MapElemAttr, value_or_next_key);
    /// `offsetofend(union bpf_attr, map_fd)`: all `BPF_MAP_FREEZE` reads.
    pub const FREEZE_SIZE: usize = size_of::<u32>();
}

/// `BPF_MAP_*_BATCH`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct MapBatchAttr {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

impl MapBatchAttr {
    /// `offsetofend(union bpf_attr, batch.flags)`.
    pub const SIZE: usize = size_of::<MapBatchAttr>();
}

/// `BPF_OBJ_PIN` and `BPF_OBJ_GET`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct ObjAttr {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
}

impl ObjAttr {
    /// `offsetofend(union bpf_attr, file_flags)`: without `path_fd` (Linux 6.5).
    pub const SIZE: usize = size_of::<ObjAttr>();
}

/// `BPF_MAP_GET_NEXT_ID` and `BPF_MAP_GET_FD_BY_ID`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdAttr {
    /// `start_id` for `GET_NEXT_ID`, `map_id` for `GET_FD_BY_ID`.
    pub id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

impl IdAttr {
    /// `offsetofend(union bpf_attr, map_id)` (and `btf_id`, in the same place): all a
    /// `GET_FD_BY_ID` without open flags fills.
    pub const ID_SIZE: usize = offset_of!(IdAttr, next_id);
    /// `offsetofend(union bpf_attr, next_id)`.
    pub const NEXT_ID_SIZE: usize = offset_of!(IdAttr, open_flags);
    /// `offsetofend(union bpf_attr, open_flags)`.
    pub const FD_BY_ID_SIZE: usize = size_of::<IdAttr>();
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct InfoAttr {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

impl InfoAttr {
    /// `offsetofend(union bpf_attr, info.info)`.
    pub const SIZE: usize = size_of::<InfoAttr>();
}

/// `BPF_BTF_LOAD`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct BtfLoadAttr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub _pad0: u32,
}

impl BtfLoadAttr {
    /// `offsetofend(union bpf_attr, btf_log_level)`: without `btf_log_true_size` (Linux 6.4).
    pub const SIZE: usize = offset_of!(BtfLoadAttr, _pad0);
}

/// `struct bpf_map_info`, up to `map_extra` (Linux 5.16). The kernel is told this length and
/// writes back how much it filled, so a newer kernel's longer struct costs nothing.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BpfMapInfo {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; OBJ_NAME_LEN],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_id: u32,
    pub map_extra: u64,
}

#[cfg(test)]
mod tests {
    //! Offsets and sizes from `include/uapi/linux/bpf.h` (and checked against the running kernel's
    //! own BTF by the `kernel_abi` module below).
    use super::*;

    macro_rules! assert_layout {
        ($ty:ty, size = $size:expr, { $($field:ident @ $off:expr),* $(,)? }) => {{
            $( assert_eq!(offset_of!($ty, $field), $off, concat!(stringify!($ty), ".", stringify!($field))); )*
            assert_eq!(size_of::<$ty>(), $size, concat!("size of ", stringify!($ty)));
        }};
    }

    #[test]
    fn map_create_layout() {
        assert_layout!(MapCreateAttr, size = 72, {
            map_type @ 0, key_size @ 4, value_size @ 8, max_entries @ 12, map_flags @ 16,
            inner_map_fd @ 20, numa_node @ 24, map_name @ 28, map_ifindex @ 44, btf_fd @ 48,
            btf_key_type_id @ 52, btf_value_type_id @ 56, btf_vmlinux_value_type_id @ 60,
            map_extra @ 64,
        });
        assert_eq!(MapCreateAttr::SIZE, 72);
    }

    #[test]
    fn elem_layout() {
        assert_layout!(MapElemAttr, size = 32, {
            map_fd @ 0, key @ 8, value_or_next_key @ 16, flags @ 24,
        });
        assert_eq!(MapElemAttr::NEXT_KEY_SIZE, 24);
        assert_eq!(MapElemAttr::DELETE_SIZE, 16);
        assert_eq!(MapElemAttr::FREEZE_SIZE, 4);
    }

    #[test]
    fn batch_layout() {
        assert_layout!(MapBatchAttr, size = 56, {
            in_batch @ 0, out_batch @ 8, keys @ 16, values @ 24, count @ 32, map_fd @ 36,
            elem_flags @ 40, flags @ 48,
        });
    }

    #[test]
    fn obj_id_info_btf_layouts() {
        assert_layout!(ObjAttr, size = 16, { pathname @ 0, bpf_fd @ 8, file_flags @ 12 });
        assert_layout!(IdAttr, size = 12, { id @ 0, next_id @ 4, open_flags @ 8 });
        assert_eq!(IdAttr::ID_SIZE, 4);
        assert_eq!(IdAttr::NEXT_ID_SIZE, 8);
        assert_layout!(InfoAttr, size = 16, { bpf_fd @ 0, info_len @ 4, info @ 8 });
        assert_layout!(BtfLoadAttr, size = 32, {
            btf @ 0, btf_log_buf @ 8, btf_size @ 16, btf_log_size @ 20, btf_log_level @ 24,
        });
        assert_eq!(BtfLoadAttr::SIZE, 28);
    }

    #[test]
    fn map_info_layout() {
        assert_layout!(BpfMapInfo, size = 88, {
            map_type @ 0, id @ 4, key_size @ 8, value_size @ 12, max_entries @ 16,
            map_flags @ 20, name @ 24, ifindex @ 40, btf_vmlinux_value_type_id @ 44,
            netns_dev @ 48, netns_ino @ 56, btf_id @ 64, btf_key_type_id @ 68,
            btf_value_type_id @ 72, btf_vmlinux_id @ 76, map_extra @ 80,
        });
    }
}

#[cfg(test)]
mod kernel_abi {
    //! The same offsets, read from the running kernel's own BTF (`/sys/kernel/btf/vmlinux`)
    //! with this crate's BTF parser: a layout slip, or a kernel that moved a field, fails here.
    use std::collections::HashMap;

    use super::*;
    use crate::btf::{Btf, Kind, Type, TypeId};

    /// Every field reachable from `id` through anonymous members, by name → byte offset.
    fn flatten(btf: &Btf<'_>, id: TypeId, base: u32, out: &mut HashMap<String, u32>) {
        let (_, ty) = btf.resolve(id).expect("resolve");
        let members = match ty {
            Type::Struct(c) | Type::Union(c) => &c.members,
            _ => return,
        };
        for m in members {
            let off = base + m.bit_offset / 8;
            if m.name.is_empty() {
                flatten(btf, m.type_id, off, out);
            } else {
                out.insert(m.name.to_owned(), off);
            }
        }
    }

    /// The anonymous struct of `union bpf_attr` that has a member called `key`, or the named
    /// member `named` (batch, info), flattened.
    fn attr_group(btf: &Btf<'_>, key: &str) -> HashMap<String, u32> {
        let id = btf
            .find_by_name(Kind::Union, "bpf_attr")
            .expect("union bpf_attr");
        let Type::Union(u) = btf.type_by_id(id).unwrap() else {
            panic!("bpf_attr is not a union")
        };
        for m in &u.members {
            let mut fields = HashMap::new();
            flatten(btf, m.type_id, 0, &mut fields);
            if m.name == key || (m.name.is_empty() && fields.contains_key(key)) {
                return fields;
            }
        }
        panic!("no group of union bpf_attr has {key}");
    }

    #[test]
    fn attr_structs_match_the_running_kernel() {
        let Ok(data) = std::fs::read("/sys/kernel/btf/vmlinux") else {
            eprintln!("skipped: /sys/kernel/btf/vmlinux is not readable");
            return;
        };
        let btf = Btf::parse(&data).expect("parse vmlinux BTF");
        let check = |group: &HashMap<String, u32>, ours: &[(&str, usize)]| {
            for (name, off) in ours {
                assert_eq!(group.get(*name).copied(), Some(*off as u32), "field {name}");
            }
        };
        check(
            &attr_group(&btf, "map_type"),
            &[
                ("map_type", offset_of!(MapCreateAttr, map_type)),
                ("key_size", offset_of!(MapCreateAttr, key_size)),
                ("value_size", offset_of!(MapCreateAttr, value_size)),
                ("max_entries", offset_of!(MapCreateAttr, max_entries)),
                ("map_flags", offset_of!(MapCreateAttr, map_flags)),
                ("inner_map_fd", offset_of!(MapCreateAttr, inner_map_fd)),
                ("numa_node", offset_of!(MapCreateAttr, numa_node)),
                ("map_name", offset_of!(MapCreateAttr, map_name)),
                ("map_ifindex", offset_of!(MapCreateAttr, map_ifindex)),
                ("btf_fd", offset_of!(MapCreateAttr, btf_fd)),
                (
                    "btf_key_type_id",
                    offset_of!(MapCreateAttr, btf_key_type_id),
                ),
                (
                    "btf_value_type_id",
                    offset_of!(MapCreateAttr, btf_value_type_id),
                ),
                (
                    "btf_vmlinux_value_type_id",
                    offset_of!(MapCreateAttr, btf_vmlinux_value_type_id),
                ),
                ("map_extra", offset_of!(MapCreateAttr, map_extra)),
            ],
        );
        check(
            &attr_group(&btf, "next_key"),
            &[
                ("map_fd", offset_of!(MapElemAttr, map_fd)),
                ("key", offset_of!(MapElemAttr, key)),
                ("value", offset_of!(MapElemAttr, value_or_next_key)),
                ("next_key", offset_of!(MapElemAttr, value_or_next_key)),
                ("flags", offset_of!(MapElemAttr, flags)),
            ],
        );
        check(
            &attr_group(&btf, "batch"),
            &[
                ("in_batch", offset_of!(MapBatchAttr, in_batch)),
                ("out_batch", offset_of!(MapBatchAttr, out_batch)),
                ("keys", offset_of!(MapBatchAttr, keys)),
                ("values", offset_of!(MapBatchAttr, values)),
                ("count", offset_of!(MapBatchAttr, count)),
                ("map_fd", offset_of!(MapBatchAttr, map_fd)),
                ("elem_flags", offset_of!(MapBatchAttr, elem_flags)),
                ("flags", offset_of!(MapBatchAttr, flags)),
            ],
        );
        check(
            &attr_group(&btf, "pathname"),
            &[
                ("pathname", offset_of!(ObjAttr, pathname)),
                ("bpf_fd", offset_of!(ObjAttr, bpf_fd)),
                ("file_flags", offset_of!(ObjAttr, file_flags)),
            ],
        );
        check(
            &attr_group(&btf, "start_id"),
            &[
                ("start_id", offset_of!(IdAttr, id)),
                ("map_id", offset_of!(IdAttr, id)),
                ("next_id", offset_of!(IdAttr, next_id)),
                ("open_flags", offset_of!(IdAttr, open_flags)),
            ],
        );
        check(
            &attr_group(&btf, "info"),
            &[
                ("bpf_fd", offset_of!(InfoAttr, bpf_fd)),
                ("info_len", offset_of!(InfoAttr, info_len)),
                ("info", offset_of!(InfoAttr, info)),
            ],
        );
        check(
            &attr_group(&btf, "btf_log_level"),
            &[
                ("btf", offset_of!(BtfLoadAttr, btf)),
                ("btf_log_buf", offset_of!(BtfLoadAttr, btf_log_buf)),
                ("btf_size", offset_of!(BtfLoadAttr, btf_size)),
                ("btf_log_size", offset_of!(BtfLoadAttr, btf_log_size)),
                ("btf_log_level", offset_of!(BtfLoadAttr, btf_log_level)),
            ],
        );
        let info = btf
            .find_by_name(Kind::Struct, "bpf_map_info")
            .expect("struct bpf_map_info");
        let mut fields = HashMap::new();
        flatten(&btf, info, 0, &mut fields);
        check(
            &fields,
            &[
                ("type", offset_of!(BpfMapInfo, map_type)),
                ("id", offset_of!(BpfMapInfo, id)),
                ("key_size", offset_of!(BpfMapInfo, key_size)),
                ("value_size", offset_of!(BpfMapInfo, value_size)),
                ("max_entries", offset_of!(BpfMapInfo, max_entries)),
                ("map_flags", offset_of!(BpfMapInfo, map_flags)),
                ("name", offset_of!(BpfMapInfo, name)),
                ("ifindex", offset_of!(BpfMapInfo, ifindex)),
                (
                    "btf_vmlinux_value_type_id",
                    offset_of!(BpfMapInfo, btf_vmlinux_value_type_id),
                ),
                ("netns_dev", offset_of!(BpfMapInfo, netns_dev)),
                ("netns_ino", offset_of!(BpfMapInfo, netns_ino)),
                ("btf_id", offset_of!(BpfMapInfo, btf_id)),
                ("btf_key_type_id", offset_of!(BpfMapInfo, btf_key_type_id)),
                (
                    "btf_value_type_id",
                    offset_of!(BpfMapInfo, btf_value_type_id),
                ),
                ("btf_vmlinux_id", offset_of!(BpfMapInfo, btf_vmlinux_id)),
                ("map_extra", offset_of!(BpfMapInfo, map_extra)),
            ],
        );
    }
}
