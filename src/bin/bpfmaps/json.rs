//! JSON written by hand, streamed: a writer that keeps track of commas and indentation, so a
//! dump of a map with millions of entries is written as it is read, never held in memory.
//!
//! Strings are `&str`: paths and other bytes that may not be UTF-8 are converted lossily by the
//! caller before they get here.

use std::io::{self, Write};

/// A streaming JSON writer, pretty-printed with two-space indentation.
///
/// The caller opens and closes containers in order; the writer puts the commas, colons,
/// newlines and indentation.
pub struct Json<W: Write> {
    out: W,
    /// For each open container: its closing bracket, and whether it has an item yet.
    open: Vec<(&'static [u8], bool)>,
    /// A key was just written: the next value follows it on the same line.
    after_key: bool,
}

impl<W: Write> Json<W> {
    pub fn new(out: W) -> Json<W> {
        Json {
            out,
            open: Vec::new(),
            after_key: false,
        }
    }

    /// Writes what comes before a value or a key: a comma after a previous item, a newline and
    /// the indentation — nothing after a key.
    fn before_item(&mut self) -> io::Result<()> {
        if self.after_key {
            self.after_key = false;
            return Ok(());
        }
        let depth = self.open.len();
        if let Some((_, has_items)) = self.open.last_mut() {
            if *has_items {
                self.out.write_all(b",")?;
            }
            *has_items = true;
            self.out.write_all(b"\n")?;
            for _ in 0..depth {
                self.out.write_all(b"  ")?;
            }
        }
        Ok(())
    }

    fn begin(&mut self, bracket: &[u8], closing: &'static [u8]) -> io::Result<()> {
        self.before_item()?;
        self.out.write_all(bracket)?;
        self.open.push((closing, false));
        Ok(())
    }

    fn end(&mut self, bracket: &[u8]) -> io::Result<()> {
        let had_items = self.open.pop().is_some_and(|(_, had)| had);
        if had_items {
            self.out.write_all(b"\n")?;
            for _ in 0..self.open.len() {
                self.out.write_all(b"  ")?;
            }
        }
        self.out.write_all(bracket)?;
        if self.open.is_empty() {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// `{`
    pub fn begin_object(&mut self) -> io::Result<()> {
        self.begin(b"{", b"}")
    }

    /// `}`
    pub fn end_object(&mut self) -> io::Result<()> {
        self.end(b"}")
    }

    /// `[`
    pub fn begin_array(&mut self) -> io::Result<()> {
        self.begin(b"[", b"]")
    }

    /// `]`
    pub fn end_array(&mut self) -> io::Result<()> {
        self.end(b"]")
    }

    /// `"key": ` — the value is written next.
    pub fn key(&mut self, key: &str) -> io::Result<()> {
        self.before_item()?;
        write_string(&mut self.out, key)?;
        self.out.write_all(b": ")?;
        self.after_key = true;
        Ok(())
    }

    pub fn string(&mut self, value: &str) -> io::Result<()> {
        self.before_item()?;
        write_string(&mut self.out, value)
    }

    pub fn number(&mut self, value: u64) -> io::Result<()> {
        self.before_item()?;
        write!(self.out, "{value}")
    }

    pub fn boolean(&mut self, value: bool) -> io::Result<()> {
        self.before_item()?;
        self.out.write_all(if value { b"true" } else { b"false" })
    }

    pub fn null(&mut self) -> io::Result<()> {
        self.before_item()?;
        self.out.write_all(b"null")
    }

    /// `"key": "value"`
    pub fn field_str(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.key(key)?;
        self.string(value)
    }

    /// Closes whatever a failed writer left open, down to the outermost container (which stays
    /// open): a key waiting for its value gets `null`, then each open container is closed. A
    /// document cut short by an error stays valid JSON; the caller adds what went wrong and
    /// closes the outermost container. Returns whether that one is an object.
    pub fn unwind_to_top(&mut self) -> io::Result<bool> {
        if self.after_key {
            self.null()?;
        }
        while self.open.len() > 1 {
            let closing = self.open.last().map_or(&b"}"[..], |(c, _)| c);
            self.end(closing)?;
        }
        Ok(self.open.first().is_some_and(|(c, _)| *c == b"}"))
    }

    /// `"key": value`
    pub fn field_num(&mut self, key: &str, value: u64) -> io::Result<()> {
        self.key(key)?;
        self.number(value)
    }

    /// `"key": true|false`
    pub fn field_bool(&mut self, key: &str, value: bool) -> io::Result<()> {
        self.key(key)?;
        self.boolean(value)
    }
}

/// Writes `s` as a JSON string: quotes and backslashes escaped, every control character
/// (and DEL) as `\u00XX`.
pub fn write_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x00..=0x1f | 0x7f => None,
            _ => continue,
        };
        out.write_all(&s.as_bytes()[start..i])?;
        match escaped {
            Some(e) => out.write_all(e)?,
            None => write!(out, "\\u{b:04x}")?,
        }
        start = i + 1;
    }
    out.write_all(&s.as_bytes()[start..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(escaped("plain"), r#""plain""#);
        assert_eq!(escaped(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            escaped("a\nb\tc\u{0}\u{1f}\u{7f}"),
            r#""a\u000ab\u0009c\u0000\u001f\u007f""#
        );
        assert_eq!(escaped("é → ✓"), "\"é → ✓\"");
    }

    #[test]
    fn nests_with_commas_and_indentation() {
        let mut j = Json::new(Vec::new());
        j.begin_object().unwrap();
        j.field_str("a", "x").unwrap();
        j.key("b").unwrap();
        j.begin_array().unwrap();
        j.number(1).unwrap();
        j.null().unwrap();
        j.begin_object().unwrap();
        j.end_object().unwrap();
        j.end_array().unwrap();
        j.key("c").unwrap();
        j.begin_array().unwrap();
        j.end_array().unwrap();
        j.field_bool("d", false).unwrap();
        j.end_object().unwrap();
        let text = String::from_utf8(j.out).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    null,\n    {}\n  ],\n  \"c\": [],\n  \"d\": false\n}\n"
        );
    }

    #[test]
    fn unwinding_closes_what_is_open_but_the_top() {
        let mut j = Json::new(Vec::new());
        j.begin_object().unwrap();
        j.key("entries").unwrap();
        j.begin_array().unwrap();
        j.begin_object().unwrap();
        j.key("map").unwrap();
        assert!(j.unwind_to_top().unwrap());
        j.field_str("error", "e").unwrap();
        j.end_object().unwrap();
        let text = String::from_utf8(j.out).unwrap();
        assert_eq!(
            text,
            "{\n  \"entries\": [\n    {\n      \"map\": null\n    }\n  ],\n  \"error\": \"e\"\n}\n"
        );
        let mut j = Json::new(Vec::new());
        j.begin_array().unwrap();
        j.begin_array().unwrap();
        assert!(!j.unwind_to_top().unwrap());
    }
}
