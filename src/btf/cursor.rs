//! [`Cursor`]: a reader over borrowed bytes whose every method returns `Result`.
//!
//! Nothing here slices with `[]`: a read past the end is a [`BtfErrorKind::Truncated`] error
//! that says what was being read, how many bytes it needed and where.

use super::error::{BtfError, BtfErrorKind};
use super::Endian;

/// A position in a window of the BTF blob.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'data> {
    /// The bytes not yet read.
    rest: &'data [u8],
    /// Offset of `rest[0]` from the start of the whole blob, for error messages.
    offset: usize,
    endian: Endian,
}

impl<'data> Cursor<'data> {
    /// A cursor over `bytes`, which start `offset` bytes into the blob.
    pub(crate) const fn new(bytes: &'data [u8], offset: usize, endian: Endian) -> Self {
        Cursor {
            rest: bytes,
            offset,
            endian,
        }
    }

    /// Offset in the blob of the next byte to read.
    pub(crate) const fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Splits off the next `len` bytes as a cursor of their own.
    pub(crate) fn take(&mut self, len: usize, what: &'static str) -> Result<Self, BtfError> {
        let Some((head, tail)) = self.rest.split_at_checked(len) else {
            return Err(self.truncated(what, len));
        };
        let head = Cursor::new(head, self.offset, self.endian);
        self.rest = tail;
        // Cannot overflow: `offset + rest.len()` is at most the blob's length, a `usize`.
        self.offset = self.offset.saturating_add(len);
        Ok(head)
    }

    /// Splits off `count` records of `record_len` bytes each, checking first that they are all
    /// there, so a caller may then reserve `count` elements without trusting `count`.
    pub(crate) fn take_records(
        &mut self,
        count: usize,
        record_len: usize,
        what: &'static str,
    ) -> Result<Self, BtfError> {
        match count.checked_mul(record_len) {
            Some(len) => self.take(len, what),
            None => Err(self.truncated(what, usize::MAX)),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], BtfError> {
        let Some((head, tail)) = self.rest.split_first_chunk::<N>() else {
            return Err(self.truncated(what, N));
        };
        self.rest = tail;
        self.offset = self.offset.saturating_add(N);
        Ok(*head)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, BtfError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, BtfError> {
        Ok(self.endian.read_u16(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, BtfError> {
        Ok(self.endian.read_u32(self.array(what)?))
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, BtfError> {
        Ok(self.u32(what)? as i32)
    }

    fn truncated(&self, what: &'static str, needed: usize) -> BtfError {
        BtfError::new(
            BtfErrorKind::Truncated {
                what,
                needed,
                available: self.rest.len(),
            },
            self.offset,
        )
    }
}
