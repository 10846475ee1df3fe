//! [`Command`]: the `bpf(2)` command a failed call was making.

use core::fmt;

/// A `bpf(2)` command (`enum bpf_cmd`), as carried by [`Error::Syscall`](crate::Error::Syscall).
///
/// ```
/// use bpfmaps::Command;
/// assert_eq!(Command::MAP_UPDATE_ELEM.name(), Some("BPF_MAP_UPDATE_ELEM"));
/// assert_eq!(Command::MAP_UPDATE_ELEM.to_string(), "BPF_MAP_UPDATE_ELEM");
/// ```
#[doc(alias = "bpf_cmd")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Command(u32);

macro_rules! commands {
    ($($konst:ident = $value:literal;)*) => {
        impl Command {
            $(
                #[doc = concat!("`BPF_", stringify!($konst), "`.")]
                pub const $konst: Command = Command($value);
            )*

            /// The kernel's name of the command (`"BPF_MAP_CREATE"`), if this crate knows it.
            ///
            /// ```
            /// use bpfmaps::Command;
            /// assert_eq!(Command::MAP_CREATE.name(), Some("BPF_MAP_CREATE"));
            /// assert_eq!(Command::OBJ_GET_INFO_BY_FD.name(), Some("BPF_OBJ_GET_INFO_BY_FD"));
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(concat!("BPF_", stringify!($konst))),)*
                    _ => None,
                }
            }
        }
    };
}

commands! {
    MAP_CREATE = 0;
    MAP_LOOKUP_ELEM = 1;
    MAP_UPDATE_ELEM = 2;
    MAP_DELETE_ELEM = 3;
    MAP_GET_NEXT_KEY = 4;
    OBJ_PIN = 6;
    OBJ_GET = 7;
    MAP_GET_NEXT_ID = 12;
    MAP_GET_FD_BY_ID = 14;
    OBJ_GET_INFO_BY_FD = 15;
    BTF_LOAD = 18;
    BTF_GET_FD_BY_ID = 19;
    MAP_LOOKUP_AND_DELETE_ELEM = 21;
    MAP_FREEZE = 22;
    MAP_LOOKUP_BATCH = 24;
    MAP_LOOKUP_AND_DELETE_BATCH = 25;
    MAP_UPDATE_BATCH = 26;
    MAP_DELETE_BATCH = 27;
}

impl Command {
    /// The kernel's number for the command.
    ///
    /// ```
    /// use bpfmaps::Command;
    /// assert_eq!(Command::MAP_CREATE.as_raw(), 0);
    /// assert_eq!(Command::BTF_LOAD.as_raw(), 18);
    /// assert_eq!(Command::MAP_DELETE_BATCH.as_raw(), 27);
    /// ```
    pub const fn as_raw(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "bpf command {}", self.0),
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
