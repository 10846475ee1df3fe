//! [`Strings`]: the string section, and name lookup by offset.

use super::error::{BtfError, BtfErrorKind};
use super::types::Field;

/// The string section: NUL-terminated names, looked up by their offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strings<'data> {
    bytes: &'data [u8],
    /// Offset of `bytes[0]` in the blob, for error messages.
    offset: usize,
}

impl<'data> Strings<'data> {
    pub(crate) const fn new(bytes: &'data [u8], offset: usize) -> Self {
        Strings { bytes, offset }
    }

    /// The NUL-terminated UTF-8 string at `name_off`; offset 0 is always the empty name, even
    /// in an empty string section. `field` says whose name it is and `at` where in the blob
    /// its offset was read, for the error.
    pub(crate) fn get(
        &self,
        name_off: u32,
        field: Field,
        at: usize,
    ) -> Result<&'data str, BtfError> {
        if name_off == 0 {
            return Ok("");
        }
        let start = usize::try_from(name_off).unwrap_or(usize::MAX);
        let Some(tail) = self.bytes.get(start..).filter(|t| !t.is_empty()) else {
            return Err(BtfError::new(
                BtfErrorKind::NameOutOfRange {
                    field: field.to_string(),
                    name_off,
                    strings_len: self.bytes.len(),
                },
                at,
            ));
        };
        // Where the string starts in the blob; cannot overflow as it lies inside the blob.
        let string_at = self.offset.saturating_add(start);
        let Some(nul) = tail.iter().position(|&b| b == 0) else {
            return Err(BtfError::new(
                BtfErrorKind::NameNotTerminated {
                    field: field.to_string(),
                    name_off,
                },
                string_at,
            ));
        };
        let bytes = tail.get(..nul).unwrap_or_default();
        core::str::from_utf8(bytes).map_err(|e| {
            BtfError::new(
                BtfErrorKind::NameNotUtf8 {
                    field: field.to_string(),
                    name_off,
                    valid_up_to: e.valid_up_to(),
                },
                string_at.saturating_add(e.valid_up_to()),
            )
        })
    }
}
