//! A test-only writer of BTF blobs, in either byte order, that can also write them wrong.

use crate::btf::{Endian, Kind};

/// The 24-byte header plus any tail, as [`Builder::build_with`] lets a test tamper with it.
#[derive(Clone, Debug)]
pub(crate) struct RawHeader {
    pub magic: u16,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
    /// Bytes after the 24 known ones (counted in `hdr_len` by default).
    pub tail: Vec<u8>,
}

/// Appends types and strings; ids are handed out from 1 in order.
pub(crate) struct Builder {
    pub endian: Endian,
    types: Vec<u8>,
    strings: Vec<u8>,
    next_id: u32,
}

impl Builder {
    pub fn new(endian: Endian) -> Self {
        Builder {
            endian,
            types: Vec::new(),
            strings: vec![0],
            next_id: 1,
        }
    }

    /// Adds `s` to the string section; `""` is offset 0.
    pub fn str(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        self.raw_str(s.as_bytes())
    }

    /// Adds raw bytes plus a NUL to the string section.
    pub fn raw_str(&mut self, bytes: &[u8]) -> u32 {
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(bytes);
        self.strings.push(0);
        off
    }

    /// Appends raw bytes to the string section (no NUL).
    pub fn raw_strings(&mut self, bytes: &[u8]) {
        self.strings.extend_from_slice(bytes);
    }

    pub fn word(&mut self, w: u32) {
        let bytes = match self.endian {
            Endian::Little => w.to_le_bytes(),
            Endian::Big => w.to_be_bytes(),
        };
        self.types.extend_from_slice(&bytes);
    }

    /// The id the next record will get.
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Appends a raw `struct btf_type` record and its trailing words; returns its id.
    pub fn record(
        &mut self,
        name_off: u32,
        kind: u32,
        vlen: u32,
        kflag: bool,
        size_or_type: u32,
        extra: &[u32],
    ) -> u32 {
        let info = (u32::from(kflag) << 31) | (kind << 24) | vlen;
        self.word(name_off);
        self.word(info);
        self.word(size_or_type);
        for &w in extra {
            self.word(w);
        }
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn named(
        &mut self,
        name: &str,
        kind: Kind,
        vlen: u32,
        kflag: bool,
        sot: u32,
        extra: &[u32],
    ) -> u32 {
        let off = self.str(name);
        self.record(off, kind.number(), vlen, kflag, sot, extra)
    }

    pub fn int(&mut self, name: &str, size: u32, encoding: u8, bit_offset: u8, bits: u8) -> u32 {
        let data = (u32::from(encoding) << 24) | (u32::from(bit_offset) << 16) | u32::from(bits);
        self.named(name, Kind::Int, 0, false, size, &[data])
    }

    pub fn ptr(&mut self, target: u32) -> u32 {
        self.record(0, Kind::Ptr.number(), 0, false, target, &[])
    }

    pub fn array(&mut self, elem: u32, index: u32, nelems: u32) -> u32 {
        self.record(0, Kind::Array.number(), 0, false, 0, &[elem, index, nelems])
    }

    /// `members`: (name, type, raw offset word).
    pub fn composite(
        &mut self,
        kind: Kind,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let mut extra = Vec::new();
        for &(n, t, o) in members {
            extra.extend([self.str(n), t, o]);
        }
        self.named(name, kind, members.len() as u32, kflag, size, &extra)
    }

    pub fn strukt(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(Kind::Struct, name, size, false, members)
    }

    pub fn enum32(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, u32)]) -> u32 {
        let mut extra = Vec::new();
        for &(n, v) in values {
            extra.extend([self.str(n), v]);
        }
        self.named(name, Kind::Enum, values.len() as u32, signed, size, &extra)
    }

    pub fn enum64(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, u64)]) -> u32 {
        let mut extra = Vec::new();
        for &(n, v) in values {
            extra.extend([self.str(n), v as u32, (v >> 32) as u32]);
        }
        self.named(
            name,
            Kind::Enum64,
            values.len() as u32,
            signed,
            size,
            &extra,
        )
    }

    pub fn fwd(&mut self, name: &str, is_union: bool) -> u32 {
        self.named(name, Kind::Fwd, 0, is_union, 0, &[])
    }

    pub fn typedef(&mut self, name: &str, target: u32) -> u32 {
        self.named(name, Kind::Typedef, 0, false, target, &[])
    }

    /// VOLATILE, CONST or RESTRICT.
    pub fn modifier(&mut self, kind: Kind, target: u32) -> u32 {
        self.record(0, kind.number(), 0, false, target, &[])
    }

    pub fn func(&mut self, name: &str, proto: u32, linkage: u32) -> u32 {
        self.named(name, Kind::Func, linkage, false, proto, &[])
    }

    pub fn proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let mut extra = Vec::new();
        for &(n, t) in params {
            extra.extend([self.str(n), t]);
        }
        self.record(
            0,
            Kind::FuncProto.number(),
            params.len() as u32,
            false,
            ret,
            &extra,
        )
    }

    pub fn var(&mut self, name: &str, type_id: u32, linkage: u32) -> u32 {
        self.named(name, Kind::Var, 0, false, type_id, &[linkage])
    }

    /// `entries`: (type, offset, size).
    pub fn datasec(&mut self, name: &str, size: u32, entries: &[(u32, u32, u32)]) -> u32 {
        let extra: Vec<u32> = entries.iter().flat_map(|&(t, o, s)| [t, o, s]).collect();
        self.named(
            name,
            Kind::Datasec,
            entries.len() as u32,
            false,
            size,
            &extra,
        )
    }

    pub fn float(&mut self, name: &str, size: u32) -> u32 {
        self.named(name, Kind::Float, 0, false, size, &[])
    }

    pub fn decl_tag(&mut self, name: &str, target: u32, component_idx: i32, kflag: bool) -> u32 {
        self.named(
            name,
            Kind::DeclTag,
            0,
            kflag,
            target,
            &[component_idx as u32],
        )
    }

    pub fn type_tag(&mut self, name: &str, target: u32, kflag: bool) -> u32 {
        self.named(name, Kind::TypeTag, 0, kflag, target, &[])
    }

    /// The header this builder would write: types right after it, strings right after them.
    pub fn header(&self) -> RawHeader {
        RawHeader {
            magic: 0xeb9f,
            version: 1,
            flags: 0,
            hdr_len: 24,
            type_off: 0,
            type_len: self.types.len() as u32,
            str_off: self.types.len() as u32,
            str_len: self.strings.len() as u32,
            tail: Vec::new(),
        }
    }

    pub fn build(&self) -> Vec<u8> {
        self.build_with(|_| {})
    }

    /// Builds with a header `tamper` may change; the layout of the bytes after the header is
    /// always header tail, types, strings.
    pub fn build_with(&self, tamper: impl FnOnce(&mut RawHeader)) -> Vec<u8> {
        let mut h = self.header();
        tamper(&mut h);
        let mut out = Vec::new();
        let magic = match self.endian {
            Endian::Little => h.magic.to_le_bytes(),
            Endian::Big => h.magic.to_be_bytes(),
        };
        let w32 = |w: u32| match self.endian {
            Endian::Little => w.to_le_bytes(),
            Endian::Big => w.to_be_bytes(),
        };
        out.extend_from_slice(&magic);
        out.push(h.version);
        out.push(h.flags);
        for w in [h.hdr_len, h.type_off, h.type_len, h.str_off, h.str_len] {
            out.extend_from_slice(&w32(w));
        }
        out.extend_from_slice(&h.tail);
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}
