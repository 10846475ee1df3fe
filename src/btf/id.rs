//! [`TypeId`]: the index of a type in a BTF blob.

use core::fmt;

/// The id of a BTF type: its index in the type section, counting the implicit void type as 0.
///
/// Ids are what BTF types use to refer to each other, and what the kernel takes in
/// `btf_key_type_id`, `btf_value_type_id` and the like. An id is only meaningful with the
/// [`Btf`](super::Btf) it came from; looking it up in a [`Btf`](super::Btf) checks its range.
///
/// ```
/// use bpfmaps::btf::TypeId;
/// let id = TypeId::new(17);
/// assert_eq!(id.get(), 17);
/// assert_eq!(id.to_string(), "17");
/// assert_eq!(TypeId::VOID.get(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct TypeId(u32);

impl TypeId {
    /// Type 0, `void`: not in the type section, but always there.
    pub const VOID: TypeId = TypeId(0);

    /// The type id `id`.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Kind, TypeId};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32], b"\0int\0");
    /// // `blob`: one type, `int` (see the module example).
    /// let btf = Btf::parse(&blob)?;
    /// assert_eq!(btf.type_by_id(TypeId::new(1))?.kind(), Kind::Int);
    /// assert!(btf.type_by_id(TypeId::new(2)).is_err()); // only void and int
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub const fn new(id: u32) -> TypeId {
        TypeId(id)
    }

    /// The id as a number.
    ///
    /// ```
    /// use bpfmaps::btf::{Btf, Kind};
    /// use bpfmaps::{MapSpec, MapType};
    /// # fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    /// #     let len = 4 * types.len() as u32;
    /// #     let mut b = vec![0x9f, 0xeb, 1, 0];
    /// #     for w in [24, 0, len, len, strings.len() as u32].iter().chain(types) {
    /// #         b.extend_from_slice(&w.to_le_bytes());
    /// #     }
    /// #     b.extend_from_slice(strings);
    /// #     b
    /// # }
    /// # let blob = blob(&[1, 1 << 24, 4, 1 << 24 | 32], b"\0int\0");
    /// // `blob`: one type, `int` (see the module example).
    /// let btf = Btf::parse(&blob)?;
    /// let int = btf.find_by_name(Kind::Int, "int").unwrap();
    /// assert_eq!(int.get(), 1);
    /// // The number is what the kernel takes, as a map's key and value type ids:
    /// let spec = MapSpec::new(MapType::HASH, 4, 4, 8).with_btf_type_ids(int.get(), int.get());
    /// assert_eq!(spec.btf_type_ids(), (1, 1));
    /// # Ok::<(), bpfmaps::btf::BtfError>(())
    /// ```
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The id as an index into a `Vec` of types (ids are `u32`, so this only fails on a 16-bit
    /// target, where the index is then past any vector).
    pub(crate) fn index(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<TypeId> for u32 {
    fn from(id: TypeId) -> u32 {
        id.0
    }
}
