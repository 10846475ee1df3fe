//! [`Strings`]: the string section, and name lookup by offset.
//!
//! Names may start anywhere in the section, including inside another name (compilers share
//! suffixes). Scanning for the NUL and checking UTF-8 at every lookup would let a hostile blob
//! with one long string and many names pointing into it make parsing quadratic, so the
//! section is indexed once, in linear time, and each lookup is then a binary search plus an
//! O(1) char-boundary check.

use super::error::{BtfError, BtfErrorKind};
use super::types::Field;

/// The string section: NUL-terminated names, looked up by their offset.
#[derive(Clone, Debug)]
pub(crate) struct Strings<'data> {
    bytes: &'data [u8],
    /// Offset of `bytes[0]` in the blob, for error messages.
    offset: usize,
    /// Every non-empty NUL-terminated run of bytes, in order.
    runs: Vec<Run<'data>>,
}

/// A non-empty run of bytes ended by a NUL.
#[derive(Clone, Debug)]
struct Run<'data> {
    /// Offset of the NUL in the section.
    nul: usize,
    /// The longest suffix of the run that is UTF-8 (all of it, unless it holds a bad byte).
    ///
    /// A string starting at offset `o` in the run is UTF-8 exactly when it starts inside this
    /// suffix on a char boundary. Decoding is self-synchronising: from a char boundary before
    /// the last bad sequence, decoding meets that sequence; from inside a char or inside a bad
    /// sequence (whose bytes past the first are continuation bytes), the first byte is a
    /// continuation byte; from a char boundary of the suffix, decoding sees what it saw.
    utf8: &'data str,
}

impl<'data> Strings<'data> {
    /// Indexes `bytes`, which start `offset` bytes into the blob. Linear in `bytes`; the index
    /// takes at most 24 bytes per 2 bytes of section (a run has at least one byte and a NUL).
    pub(crate) fn new(bytes: &'data [u8], offset: usize) -> Self {
        let mut runs = Vec::new();
        let mut start: usize = 0;
        for piece in bytes.split_inclusive(|&b| b == 0) {
            match piece.split_last() {
                Some((0, run)) if !run.is_empty() => runs.push(Run {
                    nul: start.saturating_add(run.len()),
                    utf8: utf8_suffix(run),
                }),
                // An empty run (two NULs in a row), or the unterminated tail of the section.
                _ => {}
            }
            start = start.saturating_add(piece.len());
        }
        Strings {
            bytes,
            offset,
            runs,
        }
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
        match self.bytes.get(start) {
            None => {
                return Err(BtfError::new(
                    BtfErrorKind::NameOutOfRange {
                        field: field.to_string(),
                        name_off,
                        strings_len: self.bytes.len(),
                    },
                    at,
                ))
            }
            Some(0) => return Ok(""),
            Some(_) => {}
        }
        // Where the string starts in the blob; cannot overflow as it lies inside the blob.
        let string_at = self.offset.saturating_add(start);
        // `start` is not a NUL, so the first NUL after it ends a non-empty run: the first run
        // whose NUL is past `start` is the one `start` is in.
        let run = self.runs.get(self.runs.partition_point(|r| r.nul < start));
        let Some(run) = run else {
            return Err(BtfError::new(
                BtfErrorKind::NameNotTerminated {
                    field: field.to_string(),
                    name_off,
                },
                string_at,
            ));
        };
        let utf8_start = run.nul.saturating_sub(run.utf8.len());
        if let Some(name) = start
            .checked_sub(utf8_start)
            .and_then(|skip| run.utf8.get(skip..))
        {
            return Ok(name);
        }
        // Not UTF-8: validate once more, on this error path only, to say where it goes wrong.
        let bytes = self.bytes.get(start..run.nul).unwrap_or_default();
        let valid_up_to = match core::str::from_utf8(bytes) {
            Ok(name) => return Ok(name), // cannot happen, by `Run::utf8`'s argument
            Err(e) => e.valid_up_to(),
        };
        Err(BtfError::new(
            BtfErrorKind::NameNotUtf8 {
                field: field.to_string(),
                name_off,
                valid_up_to,
            },
            string_at.saturating_add(valid_up_to),
        ))
    }
}

/// The longest suffix of `run` that is UTF-8: what follows its last bad sequence. Linear: each
/// `from_utf8` resumes past the previous error.
fn utf8_suffix(run: &[u8]) -> &str {
    let mut rest = run;
    loop {
        match core::str::from_utf8(rest) {
            Ok(valid) => return valid,
            Err(e) => {
                // `error_len` is `None` for a sequence cut short by the end: skip it all.
                let bad = e
                    .error_len()
                    .unwrap_or(rest.len().saturating_sub(e.valid_up_to()));
                let skip = e.valid_up_to().saturating_add(bad.max(1));
                rest = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a lookup must give, the slow and obvious way.
    fn naive(bytes: &[u8], start: usize) -> Option<Result<&str, usize>> {
        let tail = bytes.get(start..)?;
        let nul = tail.iter().position(|&b| b == 0)?;
        Some(core::str::from_utf8(&tail[..nul]).map_err(|e| e.valid_up_to()))
    }

    fn check_every_offset(bytes: &[u8]) {
        let strings = Strings::new(bytes, 0);
        for start in 1..bytes.len() + 2 {
            let got = strings.get(start as u32, Field::Name, 0);
            let want = naive(bytes, start);
            match (&got, want) {
                (Ok(name), Some(Ok(want))) => assert_eq!(*name, want),
                (Err(e), Some(Err(valid_up_to))) => assert_eq!(
                    e.kind(),
                    &BtfErrorKind::NameNotUtf8 {
                        field: "name".into(),
                        name_off: start as u32,
                        valid_up_to
                    }
                ),
                (Err(e), None) => assert!(matches!(
                    e.kind(),
                    BtfErrorKind::NameOutOfRange { .. } | BtfErrorKind::NameNotTerminated { .. }
                )),
                _ => panic!("{bytes:x?} at {start}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn lookups_agree_with_the_obvious_way() {
        for bytes in [
            &b"\0int\0\0long\0"[..],
            b"\0ok\xff\xfe\0",
            b"\0\xffabc\0",
            b"\0\xc3\xa9t\xe9\0",
            b"\0\xe2\x82A\xf0\x9f\x98\x80\0tail",
            b"\0\xc3\xc3\xa9\0",
            b"",
            b"\0",
            b"no nul at all",
        ] {
            check_every_offset(bytes);
        }
        // And random runs over an alphabet rich in UTF-8 edge cases.
        const ALPHABET: [u8; 12] = [
            0, b'a', 0x80, 0xa9, 0xbf, 0xc3, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xff,
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..3000 {
            let len = (state % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ALPHABET[(state % ALPHABET.len() as u64) as usize]
                })
                .collect();
            check_every_offset(&bytes);
        }
    }
}
