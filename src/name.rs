//! [`MapName`]: a kernel object name, at most 15 bytes.

use core::fmt;

use crate::sys::attr::OBJ_NAME_LEN;

/// A map name as the kernel stores it: at most 15 bytes (`BPF_OBJ_NAME_LEN` − 1) of ASCII
/// letters, digits, `_` and `.`.
///
/// Longer names are not truncated behind your back: [`MapName::new`] refuses them, and
/// [`MapName::truncated`] truncates when you ask for it. Two long names that share their first 15
/// bytes become the same kernel name.
///
/// ```
/// use bpfmaps::MapName;
/// assert_eq!(MapName::new("flows").unwrap().as_str(), "flows");
/// assert!(MapName::new("a_name_that_is_too_long").is_err());
/// assert_eq!(MapName::truncated("a_name_that_is_too_long").unwrap().as_str(), "a_name_that_is_");
/// assert!(MapName::new("bad-char").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MapName {
    bytes: [u8; OBJ_NAME_LEN],
    len: u8,
}

/// Why a string is not a valid [`MapName`].
///
/// Returned by [`MapName::new`] and [`MapName::truncated`], and inside [`Error::Name`] by the
/// calls that take a name as a string, such as [`MapSpec::with_name`].
///
/// ```
/// use bpfmaps::{MapName, MapSpec, MapType, NameError};
/// match MapName::new("flows-v2") {
///     Err(NameError::BadByte { byte, at, .. }) => assert_eq!((byte, at), ('-', 5)),
///     other => panic!("{other:?}"),
/// }
/// let err = MapSpec::new(MapType::HASH, 4, 4, 1).with_name("sixteen_bytes_xx").unwrap_err();
/// assert_eq!(err, NameError::TooLong { name: "sixteen_bytes_xx".into(), len: 16 });
/// ```
///
/// [`Error::Name`]: crate::Error::Name
/// [`MapSpec::with_name`]: crate::MapSpec::with_name
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Longer than the kernel's 15 bytes.
    #[error(
        "map name {name:?} is {len} bytes; the kernel keeps at most 15 (use MapName::truncated to cut it)"
    )]
    TooLong {
        /// The name given.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
    /// Holds a byte the kernel refuses in object names.
    #[error("map name {name:?} has {byte:?} at byte {at}; the kernel allows only A-Z a-z 0-9 _ .")]
    BadByte {
        /// The name given.
        name: String,
        /// The offending character (as a lossy char).
        byte: char,
        /// Its offset.
        at: usize,
    },
}

/// The bytes the kernel allows in object names (`bpf_obj_name_cpy()`): letters, digits, `_`,
/// `.`, as a table indexed by byte.
static NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
        b += 1;
    }
    table
};

impl MapName {
    /// The longest name the kernel keeps.
    pub const MAX_LEN: usize = OBJ_NAME_LEN - 1;

    /// `name`, checked: at most 15 bytes, only the bytes the kernel allows
    /// (`bpf_obj_name_cpy()`: letters, digits, `_`, `.`).
    ///
    /// ```
    /// use bpfmaps::MapName;
    /// assert_eq!(MapName::new("a234567890abcde").unwrap().as_str().len(), MapName::MAX_LEN);
    /// assert!(MapName::new("a234567890abcdef").is_err()); // 16 bytes
    /// assert!(MapName::new("tcp.flows_v4").is_ok());
    /// assert!(MapName::new("tcp flows").is_err()); // a space
    /// ```
    ///
    /// # Errors
    ///
    /// [`NameError`] naming what is wrong.
    pub fn new(name: &str) -> Result<MapName, NameError> {
        if name.len() > Self::MAX_LEN {
            return Err(NameError::TooLong {
                name: name.to_owned(),
                len: name.len(),
            });
        }
        Self::checked(name)
    }

    /// `name` cut to its first 15 bytes, then checked as by [`MapName::new`].
    ///
    /// ```
    /// use bpfmaps::{MapName, NameError};
    /// let name = MapName::truncated("connections_by_port")?;
    /// assert_eq!(name.as_str(), "connections_by_");
    /// // Short names are kept whole; a bad byte past the cut does not matter.
    /// assert_eq!(MapName::truncated("ok")?.as_str(), "ok");
    /// assert!(MapName::truncated("connections_by_port!").is_ok());
    /// assert!(matches!(MapName::truncated("bad!name"), Err(NameError::BadByte { at: 3, .. })));
    /// # Ok::<(), NameError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`NameError::BadByte`] if a byte in the kept part is not allowed.
    pub fn truncated(name: &str) -> Result<MapName, NameError> {
        let kept = &name.as_bytes()[..name.len().min(Self::MAX_LEN)];
        // Allowed bytes are ASCII, so a cut inside a multi-byte character is caught by the check.
        match core::str::from_utf8(kept) {
            Ok(kept) => Self::checked(kept),
            Err(e) => Err(NameError::BadByte {
                name: name.to_owned(),
                byte: char::REPLACEMENT_CHARACTER,
                at: e.valid_up_to(),
            }),
        }
    }

    fn checked(name: &str) -> Result<MapName, NameError> {
        let mut bytes = [0u8; OBJ_NAME_LEN];
        for (at, (dst, &b)) in bytes.iter_mut().zip(name.as_bytes()).enumerate() {
            if !NAME_BYTE[usize::from(b)] {
                return Err(NameError::BadByte {
                    name: name.to_owned(),
                    byte: name[at..]
                        .chars()
                        .next()
                        .unwrap_or(char::REPLACEMENT_CHARACTER),
                    at,
                });
            }
            *dst = b;
        }
        Ok(MapName {
            bytes,
            len: name.len() as u8,
        })
    }

    /// A name as the kernel reported it (NUL-padded). Bytes the kernel would not have accepted
    /// are shown as `?`, so the result is always ASCII.
    ///
    /// Every map opened or created reads its name through here, so the common case — a name
    /// the kernel checked when it stored it (`bpf_obj_name_cpy()`) — is read as one 128-bit
    /// word, a few word operations in all (see `swar`); only a name holding a byte outside
    /// the set goes through the replacing loop.
    pub(crate) fn from_kernel(raw: &[u8; OBJ_NAME_LEN]) -> MapName {
        let (word, len) = swar::name_prefix(u128::from_le_bytes(*raw));
        let mut bytes = word.to_le_bytes();
        if !swar::all_name_bytes(word, len) {
            for b in &mut bytes[..usize::from(len)] {
                if !NAME_BYTE[usize::from(*b)] {
                    *b = b'?';
                }
            }
        }
        MapName { bytes, len }
    }

    /// The name.
    ///
    /// ```
    /// use bpfmaps::{Map, MapName, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// assert_eq!(MapName::new("flows")?.as_str(), "flows");
    /// // As the kernel reports it back for a map.
    /// let map = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1).with_name("doc_as_str")?)?;
    /// assert_eq!(map.info().name().as_str(), "doc_as_str");
    /// # Ok(()) }
    /// ```
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        core::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// Whether the name is empty (the kernel allows unnamed maps).
    ///
    /// ```
    /// use bpfmaps::{Map, MapName, MapSpec, MapType};
    /// # fn main() -> Result<(), bpfmaps::Error> {
    /// # if bpfmaps::probe::doctest_skip() { return Ok(()) }
    /// assert!(MapName::default().is_empty());
    /// assert!(!MapName::new("x")?.is_empty());
    /// let unnamed = Map::create(&MapSpec::new(MapType::ARRAY, 4, 4, 1))?;
    /// assert!(unnamed.info().name().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The NUL-padded 16 bytes the kernel takes.
    pub(crate) fn to_kernel(self) -> [u8; OBJ_NAME_LEN] {
        self.bytes
    }
}

impl fmt::Display for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Byte-parallel ("SIMD within a register") reading of a 16-byte kernel name held in a `u128`,
/// byte `i` of the name in bits `8i..8i + 8`.
mod swar {
    /// Every byte `b`.
    const fn splat(b: u8) -> u128 {
        u128::from_le_bytes([b; 16])
    }
    const LOW: u128 = splat(0x01);
    const HIGH: u128 = splat(0x80);

    /// The name up to its first NUL and at most 15 bytes, the rest zeroed, and its length.
    pub(super) fn name_prefix(word: u128) -> (u128, u8) {
        // Byte 15 is never part of a name: with it zeroed there is always a NUL.
        let word = word & !(0xff << 120);
        // The classic zero-byte test: the lowest byte whose high bit is set in `zeros` is the
        // first zero byte (a borrow may mark bytes above it too, never one below).
        let zeros = word.wrapping_sub(LOW) & !word & HIGH;
        let len = zeros.trailing_zeros() / 8;
        let mask = (1u128 << (len * 8)) - 1;
        (word & mask, len as u8)
    }

    /// Whether the first `len` bytes of `word` are all bytes the kernel allows in a name.
    pub(super) fn all_name_bytes(word: u128, len: u8) -> bool {
        let mask = (1u128 << (u32::from(len) * 8)) - 1;
        let word = word & mask;
        if word & HIGH != 0 {
            return false; // not ASCII
        }
        // For ASCII bytes, adding 0x80 - c sets a byte's high bit exactly when it is >= c,
        // with no carry into the next byte.
        let at_least = |c: u8| word.wrapping_add(splat(0x80 - c)) & HIGH;
        let within = |lo: u8, hi: u8| at_least(lo) & !at_least(hi + 1);
        let ok = within(b'.', b'.')
            | within(b'0', b'9')
            | within(b'A', b'Z')
            | within(b'_', b'_')
            | within(b'a', b'z');
        ok & mask == HIGH & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(MapName::new("a234567890abcde").unwrap().as_str().len(), 15);
        assert!(matches!(
            MapName::new("a234567890abcdef"),
            Err(NameError::TooLong { len: 16, .. })
        ));
        assert!(matches!(
            MapName::new("héllo"),
            Err(NameError::BadByte {
                at: 1,
                byte: 'é',
                ..
            })
        ));
        assert!(MapName::truncated("aaaaaaaaaaaaaaé").is_err());
        assert_eq!(MapName::new("").unwrap().as_str(), "");
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(b"ab-c");
        assert_eq!(MapName::from_kernel(&raw).as_str(), "ab?c");
        let raw = [b'x'; 16];
        assert_eq!(MapName::from_kernel(&raw).as_str().len(), 15);
    }

    /// The kernel's name as the obvious loop reads it: up to the first NUL or 15 bytes, every
    /// byte outside the set shown as `?`.
    fn reference(raw: &[u8; 16]) -> String {
        raw[..15]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| {
                if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                    b as char
                } else {
                    '?'
                }
            })
            .collect()
    }

    #[test]
    fn from_kernel_reads_every_byte_at_every_place_as_the_plain_loop() {
        let base = *b"name.with_15byt\0";
        for at in 0..16 {
            for b in 0..=255u8 {
                for tail in [0u8, b'z'] {
                    let mut raw = base;
                    raw[at] = b;
                    // What follows the first NUL is ignored, whatever it holds.
                    if at < 15 {
                        raw[at + 1..].fill(tail);
                    }
                    let name = MapName::from_kernel(&raw);
                    assert_eq!(name.as_str(), reference(&raw), "{raw:?}");
                    // Equal names compare equal: nothing past the length is kept.
                    assert!(
                        name.bytes[name.len as usize..].iter().all(|&b| b == 0),
                        "{raw:?}"
                    );
                }
            }
        }
    }
}
