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

impl MapName {
    /// The longest name the kernel keeps.
    pub const MAX_LEN: usize = OBJ_NAME_LEN - 1;

    /// `name`, checked: at most 15 bytes, only the bytes the kernel allows
    /// (`bpf_obj_name_cpy()`: letters, digits, `_`, `.`).
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
            if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
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
    /// are shown as `?`, so the result is always a valid name.
    pub(crate) fn from_kernel(raw: &[u8; OBJ_NAME_LEN]) -> MapName {
        let mut bytes = [0u8; OBJ_NAME_LEN];
        let mut len = 0;
        for (dst, &b) in bytes.iter_mut().zip(raw.iter().take(Self::MAX_LEN)) {
            if b == 0 {
                break;
            }
            *dst = if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                b
            } else {
                b'?'
            };
            len += 1;
        }
        MapName { bytes, len }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        core::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// Whether the name is empty (the kernel allows unnamed maps).
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
}
