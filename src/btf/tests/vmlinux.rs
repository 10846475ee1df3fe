//! The running kernel's own BTF, `/sys/kernel/btf/vmlinux`: tens of thousands of types of
//! every kind a real toolchain emits.

use crate::btf::{Btf, Kind, Type};

const PATH: &str = "/sys/kernel/btf/vmlinux";

#[test]
fn parses_the_running_kernels_btf() {
    let data = match std::fs::read(PATH) {
        Ok(data) => data,
        Err(e) => {
            println!("skipped: cannot read {PATH} ({e}); the kernel needs CONFIG_DEBUG_INFO_BTF");
            return;
        }
    };
    let btf = Btf::parse(&data).unwrap_or_else(|e| panic!("{PATH}: {e}"));
    assert!(btf.len() > 10_000, "only {} types", btf.len());

    let mut per_kind = [0usize; Kind::ALL.len()];
    let mut sized = 0;
    for (id, ty) in btf.types() {
        per_kind[ty.kind().number() as usize] += 1;
        assert_eq!(btf.type_by_id(id).unwrap(), ty);
        let (_, resolved) = btf.resolve(id).unwrap_or_else(|e| panic!("{e}"));
        let has_size = match resolved {
            Type::Void
            | Type::Func(_)
            | Type::FuncProto(_)
            | Type::Fwd(_)
            | Type::Var(_)
            | Type::DeclTag(_) => false,
            // An array of something without a size (of a FWD, say) has none either.
            Type::Array(a) => btf.size_of(a.elem).is_ok(),
            _ => true,
        };
        if has_size {
            btf.size_of(id).unwrap_or_else(|e| panic!("{e}"));
            sized += 1;
        } else {
            assert!(btf.size_of(id).is_err());
        }
    }
    let counts: Vec<String> = Kind::ALL
        .iter()
        .zip(per_kind)
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    println!(
        "{PATH}: {} types, {sized} with a size; {}",
        btf.len(),
        counts.join(" ")
    );

    // Our syscall structs will be checked against these.
    let attr = btf
        .find_by_name(Kind::Union, "bpf_attr")
        .expect("union bpf_attr");
    assert!(btf.size_of(attr).unwrap() >= 120);
    let info = btf
        .find_by_name(Kind::Struct, "bpf_map_info")
        .expect("struct bpf_map_info");
    let Type::Struct(info) = btf.type_by_id(info).unwrap() else {
        panic!("bpf_map_info is not a struct")
    };
    let offset = |name: &str| {
        info.member(name)
            .unwrap_or_else(|| panic!("bpf_map_info has no {name}"))
            .byte_offset()
    };
    assert_eq!(offset("type"), Some(0));
    assert_eq!(offset("name"), Some(24));
    assert_eq!(offset("map_extra"), Some(80));
    // name is `char name[BPF_OBJ_NAME_LEN]`: 16 bytes.
    assert_eq!(
        btf.size_of(info.member("name").unwrap().type_id).unwrap(),
        16
    );
}
