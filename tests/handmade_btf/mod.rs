//! BTF blobs written by hand, for the maps whose creation needs BTF: a value holding a
//! `struct bpf_spin_lock` (for `BPF_F_LOCK`), and the local-storage maps (key `int`).
//!
//! The format is the one in `include/uapi/linux/btf.h`: a 24-byte header, the type section (one
//! `struct btf_type` per type, followed by its kind's data), then the string section. Everything
//! is in the host's byte order, as `BPF_BTF_LOAD` wants it.
#![allow(dead_code, reason = "each test binary uses only some of these helpers")]

const BTF_MAGIC: u16 = 0xeb9f;
const KIND_INT: u32 = 1;
const KIND_STRUCT: u32 = 4;
const INT_SIGNED: u32 = 1 << 24;

/// A BTF blob under construction. Type ids are handed out from 1 in the order types are added.
pub struct BtfBuilder {
    types: Vec<u8>,
    strings: Vec<u8>,
    next_id: u32,
}

impl Default for BtfBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BtfBuilder {
    pub fn new() -> BtfBuilder {
        BtfBuilder {
            types: Vec::new(),
            // Offset 0 is the empty name.
            strings: vec![0],
            next_id: 1,
        }
    }

    fn name(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }

    fn word(&mut self, w: u32) {
        self.types.extend_from_slice(&w.to_ne_bytes());
    }

    fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// `INT name`, `size` bytes, signed or not. Returns its type id.
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        let name = self.name(name);
        self.word(name);
        self.word(KIND_INT << 24);
        self.word(size);
        self.word(if signed { INT_SIGNED } else { 0 } | (size * 8));
        self.id()
    }

    /// `STRUCT name` of `size` bytes with `members`: (name, type id, offset in bits).
    pub fn structure(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        let name = self.name(name);
        let names: Vec<u32> = members.iter().map(|(n, _, _)| self.name(n)).collect();
        self.word(name);
        self.word(KIND_STRUCT << 24 | members.len() as u32);
        self.word(size);
        for ((_, ty, offset), name) in members.iter().zip(names) {
            self.word(name);
            self.word(*ty);
            self.word(*offset);
        }
        self.id()
    }

    /// The finished blob.
    pub fn build(&self) -> Vec<u8> {
        let mut blob = Vec::new();
        blob.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
        blob.push(1); // version
        blob.push(0); // flags
        let type_len = self.types.len() as u32;
        for word in [24, 0, type_len, type_len, self.strings.len() as u32] {
            // hdr_len, type_off, type_len, str_off, str_len
            blob.extend_from_slice(&u32::to_ne_bytes(word));
        }
        blob.extend_from_slice(&self.types);
        blob.extend_from_slice(&self.strings);
        blob
    }
}

/// Type ids in [`spin_lock_btf`].
pub struct SpinLockTypes {
    /// `int`: the key.
    pub int: u32,
    /// `struct locked { struct bpf_spin_lock lock; int count; }`: the 8-byte value.
    pub value: u32,
}

/// BTF for a map with an `int` key and a value `struct locked { struct bpf_spin_lock lock; int
/// count; }` (8 bytes: the lock at offset 0, the count at offset 4).
pub fn spin_lock_btf() -> (Vec<u8>, SpinLockTypes) {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let u32_ = b.int("unsigned int", 4, false);
    // The kernel finds the lock by this exact struct name.
    let lock = b.structure("bpf_spin_lock", 4, &[("val", u32_, 0)]);
    let value = b.structure("locked", 8, &[("lock", lock, 0), ("count", int, 32)]);
    (b.build(), SpinLockTypes { int, value })
}

/// BTF for a local-storage map: key `int` (type 1), value `long long` (type 2, 8 bytes).
pub fn storage_btf() -> (Vec<u8>, u32, u32) {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    let value = b.int("long long", 8, true);
    (b.build(), int, value)
}
