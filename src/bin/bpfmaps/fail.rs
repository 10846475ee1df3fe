//! [`Failure`]: how a command ends when it does not succeed, and the exit status it gives.

use std::io;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The command failed: the message goes to stderr, exit status 1.
    Message(String),
    /// The command failed with an errno from the kernel or the OS (its name, e.g. `EPERM`):
    /// as [`Failure::Message`], and a JSON document can name the errno.
    Errno {
        errno: &'static str,
        message: String,
    },
    /// Stdout was closed by its reader (`bpfmaps dump 12 | head`): stop quietly.
    BrokenPipe,
}

impl Failure {
    /// The message for stderr; `None` for [`Failure::BrokenPipe`].
    pub fn message(&self) -> Option<&str> {
        match self {
            Failure::Message(message) | Failure::Errno { message, .. } => Some(message),
            Failure::BrokenPipe => None,
        }
    }

    /// The same failure with `hint` after its message.
    pub fn with_hint(self, hint: &str) -> Failure {
        match self {
            Failure::Message(message) => Failure::Message(format!("{message}; {hint}")),
            Failure::Errno { errno, message } => Failure::Errno {
                errno,
                message: format!("{message}; {hint}"),
            },
            Failure::BrokenPipe => Failure::BrokenPipe,
        }
    }

    /// The errno's name, if the failure has one.
    pub fn errno(&self) -> Option<&'static str> {
        match self {
            Failure::Errno { errno, .. } => Some(errno),
            _ => None,
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write the output: {e}"))
        }
    }
}

impl From<bpfmaps::Error> for Failure {
    fn from(e: bpfmaps::Error) -> Failure {
        match e.errno().and_then(|n| n.name()) {
            Some(errno) => Failure::Errno {
                errno,
                message: e.to_string(),
            },
            None => Failure::Message(e.to_string()),
        }
    }
}
