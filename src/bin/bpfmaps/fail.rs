//! [`Failure`]: how a command ends when it does not succeed, and the exit status it gives.

use std::io;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The command failed: the message goes to stderr, exit status 1.
    Message(String),
    /// Stdout was closed by its reader (`bpfmaps dump 12 | head`): stop quietly.
    BrokenPipe,
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
        Failure::Message(e.to_string())
    }
}
