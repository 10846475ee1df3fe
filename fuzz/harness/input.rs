//! [`Input`]: the fuzzer's bytes read front to back, as small numbers.

/// A reader over fuzz input that never fails: past the end it reports `None`.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data, pos: 0 }
    }

    /// The next byte, or `None` at the end.
    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// The next byte, or 0 at the end (for the operands of an operation already begun).
    pub fn byte_or_zero(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }

    /// The next two bytes, little-endian, zero-padded at the end.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte_or_zero(), self.byte_or_zero()])
    }

    /// The next byte as an index below `n` (`n` > 0).
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(self.byte_or_zero()) % n.max(1)
    }
}
