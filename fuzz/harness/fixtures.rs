//! The fixture objects the structure-aware target starts from, embedded in the binary.
//!
//! The fuzzer's first byte picks one by index, so committed `maps_section` inputs depend on
//! this order: append new fixtures at the end, never reorder. The three large fixtures
//! (`many_maps`, `load_1x100`, `load_20x5`) are left out: they only repeat what the small
//! ones hold and would slow every execution down.

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// `(file name, bytes)` of every embedded fixture, in index order.
        pub const FIXTURES: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!("../../tests/fixtures/", $name)))),*
        ];
    };
}

fixtures![
    "anon_inner.bpf.o",
    "big_endian.bpf.o",
    "dense_values.bpf.o",
    "hash_of_maps.bpf.o",
    "inner_map_flag.bpf.o",
    "inner_types.bpf.o",
    "legacy_iproute2.bpf.o",
    "legacy_libbpf.bpf.o",
    "legacy_samples.bpf.o",
    "outer_first.bpf.o",
    "pinning.bpf.o",
    "plain_fields.bpf.o",
    "refuse_hash_slot_key.bpf.o",
    "refuse_inner_map_flag_on_hash.bpf.o",
    "refuse_inner_mismatch_entries.bpf.o",
    "refuse_inner_mismatch_type.bpf.o",
    "refuse_inner_mismatch_value.bpf.o",
    "refuse_nested.bpf.o",
    "refuse_no_inner.bpf.o",
    "refuse_outer_value_size.bpf.o",
    "refuse_pinned_inner.bpf.o",
    "refuse_prog_array_inner.bpf.o",
    "refuse_slot_out_of_range.bpf.o",
    "refuse_storage_inner.bpf.o",
    "refuse_unknown_field.bpf.o",
    "refuse_values_on_plain.bpf.o",
    "seed_devmap.bpf.o",
    "sparse_values.bpf.o",
    "refuse_inner_mismatch_flags.bpf.o",
    "refuse_inner_mismatch_key.bpf.o",
];
