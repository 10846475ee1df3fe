//! How maps read as text: hex bytes, flags with their names, one-line descriptions of a
//! definition and of what the kernel reports.

use std::fmt::Write as _;

use bpfmaps::elf::{MapAttrs, Pinning};
use bpfmaps::{MapFlags, MapInfo, MapType};

/// Bytes as lower-case hex, no separator (`07000000`): the JSON form.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes as lower-case hex, space-separated (`07 00 00 00`): the text form.
pub fn spaced_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `0x1001 (NO_PREALLOC|INNER_MAP)`, or `0x0`.
pub fn flags(flags: MapFlags) -> String {
    let mut s = format!("{:#x}", flags.bits());
    let names: Vec<&str> = flags.iter_names().map(|(name, _)| name).collect();
    let unnamed = flags.bits() & !names_bits(flags);
    if !names.is_empty() || unnamed != 0 {
        s.push_str(" (");
        s.push_str(&names.join("|"));
        if unnamed != 0 {
            if !names.is_empty() {
                s.push('|');
            }
            let _ = write!(s, "{unnamed:#x}");
        }
        s.push(')');
    }
    s
}

fn names_bits(flags: MapFlags) -> u32 {
    flags.iter_names().fold(0, |acc, (_, f)| acc | f.bits())
}

/// A name from an object file, safe to print on a terminal: control characters (a hostile
/// object's escape sequences) are shown escaped, as `\u{1b}`.
pub fn name(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// The type as the kernel names it, or `unknown(N)`.
pub fn map_type(t: MapType) -> String {
    t.to_string()
}

/// `devmap  key 4  value 4  max_entries 64  flags 0x0` (and ` map_extra N` when not 0).
pub fn attrs(a: &MapAttrs) -> String {
    let mut s = format!(
        "{}  key {}  value {}  max_entries {}  flags {}",
        map_type(a.map_type),
        a.key_size,
        a.value_size,
        a.max_entries,
        flags(a.flags)
    );
    if a.map_extra != 0 {
        let _ = write!(s, "  map_extra {}", a.map_extra);
    }
    s
}

/// `id 12 'outer_devs'  array_of_maps  key 4  value 4  max_entries 256  flags 0x0`.
pub fn info(i: &MapInfo) -> String {
    let mut s = format!(
        "id {} '{}'  {}  key {}  value {}  max_entries {}  flags {}",
        i.id(),
        i.name().as_str(),
        map_type(i.map_type()),
        i.key_size(),
        i.value_size(),
        i.max_entries(),
        flags(i.flags())
    );
    if i.map_extra() != 0 {
        let _ = write!(s, "  map_extra {}", i.map_extra());
    }
    s
}

/// How a definition asks to be pinned, in words; `None` for no pinning.
pub fn pinning(p: Pinning, name: &str) -> Option<String> {
    match p {
        Pinning::None => None,
        Pinning::ByName => Some(format!("pinned by name at <pin root>/{name}")),
        Pinning::GlobalNs => Some(format!(
            "pinned in iproute2's global namespace at <pin root>/tc/globals/{name}"
        )),
        other => Some(format!("pinning mode {} (not supported)", other.as_raw())),
    }
}

/// The JSON word for a pinning mode.
pub fn pinning_word(p: Pinning) -> String {
    match p {
        Pinning::None => "none".into(),
        Pinning::ByName => "by_name".into(),
        Pinning::GlobalNs => "global_ns".into(),
        other => format!("unsupported({})", other.as_raw()),
    }
}

/// A slot key for people: `slot 3` for a 4-byte key (read in the host's order), the bytes
/// otherwise.
pub fn slot(key: &[u8]) -> String {
    match <[u8; 4]>::try_from(key) {
        Ok(k) => format!("slot {} (key {})", u32::from_ne_bytes(k), spaced_hex(key)),
        Err(_) => format!("key {}", spaced_hex(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_show_bits_and_names() {
        assert_eq!(flags(MapFlags::empty()), "0x0");
        assert_eq!(
            flags(MapFlags::NO_PREALLOC | MapFlags::INNER_MAP),
            "0x1001 (NO_PREALLOC|INNER_MAP)"
        );
        assert_eq!(
            flags(MapFlags::from_bits_retain(1 << 30)),
            "0x40000000 (0x40000000)"
        );
    }

    #[test]
    fn names_are_safe_on_a_terminal() {
        assert_eq!(name("outer_devs"), "outer_devs");
        assert_eq!(name("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\u{a}");
    }

    #[test]
    fn hex_is_lower_case_in_memory_order() {
        assert_eq!(hex(&[0x07, 0, 0xab, 0xff]), "0700abff");
        assert_eq!(spaced_hex(&[0x07, 0xab]), "07 ab");
        assert_eq!(hex(&[]), "");
    }
}
