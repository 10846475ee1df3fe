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
use bpfmaps::loader::LoadOptions;
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
        Err(failure) => match failure.message() {
            None => ExitCode::SUCCESS,
            Some(message) => {
                // What was written so far goes out before the error.
                let _ = out.flush();
                eprintln!("bpfmaps: {message}");
                ExitCode::FAILURE
            }
        },
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
        Command::Inspect {
            file,
            templates,
            json,
        } => inspect::run(&file, &templates, json, out),
        Command::Load {
            file,
            pin_root,
            reuse,
            templates,
            json,
        } => load::run(
            &load::Request {
                file: &file,
                pin_root: pin_root.as_deref(),
                reuse,
                templates: &templates,
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

/// The options the CLI hands the loader for `--template`.
fn load_options(templates: &[args::Template]) -> LoadOptions<'static> {
    templates.iter().fold(LoadOptions::new(), |options, t| {
        options.template(&t.map, t.spec.clone())
    })
}

/// The library's message for `error`, with what to do about it from the command line where
/// the library names its own API (`LoadOptions::template`).
fn loader_message(error: &bpfmaps::Error) -> String {
    use bpfmaps::elf::{ObjectError, Rule};
    let message = error.to_string();
    match error {
        bpfmaps::Error::Object(ObjectError::Rule {
            map,
            rule: Rule::NoTemplate,
        }) => format!(
            "{message} (from the command line: --template {}=TYPE:KEY:VALUE:MAX_ENTRIES, \
             e.g. --template {}=hash:4:8:16)",
            text::name(map),
            text::name(map)
        ),
        // A template the loader cannot use (for a map that is not a map of maps, say).
        _ if message.contains("LoadOptions::template") => {
            format!("{message} (LoadOptions::template is --template on the command line)")
        }
        _ => message,
    }
}

/// `message` about `file`, prefixed with the file's path unless `error` names a path already
/// (an I/O error does).
fn about_file(file: &Path, error: &bpfmaps::Error, message: &str) -> String {
    use bpfmaps::elf::ObjectError;
    match error {
        // These name the path themselves.
        bpfmaps::Error::Io { .. } | bpfmaps::Error::Object(ObjectError::NotAFile { .. }) => {
            message.to_owned()
        }
        _ => format!("{}: {message}", file.display()),
    }
}
