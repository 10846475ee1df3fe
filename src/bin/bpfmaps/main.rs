//! `bpfmaps`: inspect, load, list and dump BPF maps — map-in-map first — from a shell, with
//! nothing but `bpf(2)` underneath. See `bpfmaps --help` and docs/cli.md.
//!
//! Exit status: 0 on success, 1 when a command fails (the reason on stderr), 2 for a usage
//! error. A user's mistake never ends in a panic.

mod args;
mod dump;
mod fail;
mod inspect;
mod json;
mod list;
mod load;
mod report;
mod text;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use args::Command;
use fail::Failure;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(usage) => {
            eprintln!(
                "bpfmaps: {}\n\n{}\n\nRun 'bpfmaps {}--help' for more.",
                usage.message,
                usage.topic.usage(),
                match usage.topic {
                    args::Topic::Tool => "",
                    args::Topic::Inspect => "inspect ",
                    args::Topic::Load => "load ",
                    args::Topic::List => "list ",
                    args::Topic::Dump => "dump ",
                }
            );
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = run(command, &mut out);
    let result = result.and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            // What was written so far goes out before the error.
            let _ = out.flush();
            eprintln!("bpfmaps: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        Command::Help(topic) => {
            out.write_all(topic.text().as_bytes())?;
            Ok(())
        }
        Command::Version => {
            writeln!(out, "bpfmaps {}", env!("CARGO_PKG_VERSION"))?;
            Ok(())
        }
        Command::Inspect { file, json } => inspect::run(&file, json, out),
        Command::Load {
            file,
            pin_root,
            reuse,
            json,
        } => load::run(
            &load::Request {
                file: &file,
                pin_root: pin_root.as_deref(),
                reuse,
                json,
            },
            out,
        ),
        Command::List { json } => list::run(json, out),
        Command::Dump {
            target,
            json,
            depth,
        } => dump::run(&target, json, depth, out),
    }
}

/// The name an object goes by in the output: its file name (lossily, if it is not UTF-8).
fn object_name(file: &Path) -> String {
    file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `message` about `file`, prefixed with the file's path unless `error` names a path already
/// (an I/O error does).
fn about_file(file: &Path, error: &bpfmaps::Error, message: &str) -> String {
    match error {
        bpfmaps::Error::Io { .. } => message.to_owned(),
        _ => format!("{}: {message}", file.display()),
    }
}
