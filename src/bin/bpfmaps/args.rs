//! The command line, parsed by hand: subcommands, their options (before or after the
//! positional argument, `--opt VALUE` or `--opt=VALUE`, `--` to end options), and the help
//! texts.

use std::ffi::OsString;
use std::path::PathBuf;

use bpfmaps::loader::Reuse;
use bpfmaps::{MapId, MapSpec, MapType};

/// What the user asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print a help text (to stdout, exit 0).
    Help(Topic),
    Version,
    Inspect {
        file: PathBuf,
        templates: Vec<Template>,
        json: bool,
    },
    Load {
        file: PathBuf,
        pin_root: Option<PathBuf>,
        reuse: Reuse,
        templates: Vec<Template>,
        json: bool,
    },
    List {
        json: bool,
    },
    Dump {
        target: DumpTarget,
        json: bool,
        depth: u32,
    },
}

/// Which help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Tool,
    Inspect,
    Load,
    List,
    Dump,
}

/// The map `dump` shows.
#[derive(Debug, PartialEq, Eq)]
pub enum DumpTarget {
    Id(MapId),
    Pin(PathBuf),
}

/// `--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES`: the inner template for outer map `map`, for
/// objects that do not declare one (libbpf's legacy `bpf_map_def` has no field for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub map: String,
    pub spec: MapSpec,
}

/// The form of `--template`'s value, for messages and help texts.
pub const TEMPLATE_FORM: &str = "MAP=TYPE:KEY:VALUE:MAX_ENTRIES";

/// A usage error: exit status 2.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    pub message: String,
    /// The help topic to point at.
    pub topic: Topic,
}

/// `dump`'s default depth: open inner maps and show their entries.
pub const DEFAULT_DEPTH: u32 = 1;

pub const TOOL_HELP: &str = "\
bpfmaps: inspect, load, list and dump BPF maps (map-in-map first), straight through bpf(2)

Usage: bpfmaps <COMMAND> [ARGS]

Commands:
  inspect FILE [--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES]... [--json]
                              show the maps a BPF object defines (no kernel, no privilege)
  load FILE [--pin-root DIR] [--reuse keep|overwrite]
       [--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES]... [--json]
                              create the object's maps and print what the kernel reports
  list [--json]               every map in the kernel
  dump ID|PINNED_PATH [--json] [--depth N]
                              a map's entries; for a map of maps, its slots and inner maps
  help [COMMAND]              this text, or a command's

Options:
  -h, --help                  print help (also after a command: bpfmaps load --help)
  -V, --version               print the version

An option's value follows it (--pin-root DIR) or is joined with '=' (--pin-root=DIR); a value
that starts with '-' must be joined (--pin-root=-dir).

Exit status: 0 on success, 1 when the command fails, 2 for a usage error.
load, list and dump need CAP_BPF and CAP_SYS_ADMIN (run as root).
";

pub const INSPECT_HELP: &str = "\
Usage: bpfmaps inspect FILE [--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES]... [--json]

Parses the BPF object FILE and checks its maps as `load` would before touching the kernel,
without creating anything (needs no privilege). Prints each map's definition: type, key and
value sizes, max_entries, flags, map_extra, pinning; for a map of maps its inner template and
declared slots. A big-endian object inspects fine (it is only refused for loading).

If the loader would refuse the object, the refusal is printed (to stderr) and the exit status is 1.

Options:
      --template MAP=TYPE:KEY:VALUE:MAX_ENTRIES
                inspect as `load --template` would load: outer map MAP gets this inner
                template (see `bpfmaps load --help`)
      --json    print one JSON object (the shape of `load --json`, without kernel fields;
                `slots` are the declared ones)
  -h, --help    print this text
";

pub const LOAD_HELP: &str = "\
Usage: bpfmaps load FILE [--pin-root DIR] [--reuse keep|overwrite]
                    [--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES]... [--json]

Creates the maps of the BPF object FILE: plain maps, inner templates, outer maps, declared
slots, pins. All-or-nothing: a failure leaves nothing behind. Then prints what the kernel
reports for each map and each filled slot, as a tree (outer map -> slot -> inner map).

Maps that are not pinned (nor held by a pinned outer map) vanish when bpfmaps exits.

Options:
      --pin-root DIR   pin maps that ask for it under DIR (default /sys/fs/bpf, which is
                       mounted as bpffs if it is not one, only if the object pins a map)
      --reuse MODE     for an outer map found pinned: `keep` its slots as they are (default),
                       or `overwrite` its declared slots with new inner maps
      --template MAP=TYPE:KEY:VALUE:MAX_ENTRIES
                       give outer map MAP this inner template: TYPE is the kernel's name in
                       lower case (hash, array, lru_hash, …), then the key size, value size
                       and max_entries; for objects that declare none (libbpf's legacy
                       SEC(\"maps\") definitions), or to replace the object's; repeat for
                       several maps
      --json           print one JSON object (also when the load fails; see docs/cli.md)
  -h, --help           print this text
";

pub const LIST_HELP: &str = "\
Usage: bpfmaps list [--json]

Lists every map in the kernel: id, type, name, key and value sizes, max_entries, flags (like
`bpftool map list`). Maps that go away during the walk are skipped.

Options:
      --json    print a JSON array of maps
  -h, --help    print this text
";

pub const DUMP_HELP: &str = "\
Usage: bpfmaps dump ID|PINNED_PATH [--json] [--depth N]

Prints the entries of the map with id ID, or pinned at PINNED_PATH, as hex bytes in memory
order (per-CPU maps: one value per possible CPU). For a map of maps prints its filled slots,
each with its inner map's info and entries. Entries are streamed as they are read. An argument
made only of digits is an id; write ./123 for a pin named 123.

Options:
      --depth N   how many levels of inner maps to open: 0 prints slots and ids only; the
                  default (1) prints each inner map's info and entries
      --json      print one JSON object
  -h, --help      print this text
";

impl Topic {
    pub fn text(self) -> &'static str {
        match self {
            Topic::Tool => TOOL_HELP,
            Topic::Inspect => INSPECT_HELP,
            Topic::Load => LOAD_HELP,
            Topic::List => LIST_HELP,
            Topic::Dump => DUMP_HELP,
        }
    }

    /// The usage line(s): the help text up to its first blank line.
    pub fn usage(self) -> &'static str {
        let text = self.text();
        let usage = text.find("Usage:").map_or(text, |at| &text[at..]);
        usage.split("\n\n").next().unwrap_or(usage)
    }

    fn from_name(name: &str) -> Option<Topic> {
        Some(match name {
            "inspect" => Topic::Inspect,
            "load" => Topic::Load,
            "list" => Topic::List,
            "dump" => Topic::Dump,
            _ => return None,
        })
    }
}

fn usage(topic: Topic, message: impl Into<String>) -> Usage {
    Usage {
        message: message.into(),
        topic,
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Usage> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Err(usage(Topic::Tool, "no command given"));
    };
    let first = first.to_string_lossy().into_owned();
    let topic = match first.as_str() {
        "-h" | "--help" => return Ok(Command::Help(Topic::Tool)),
        "-V" | "--version" => return Ok(Command::Version),
        "help" => {
            return match args.next() {
                None => Ok(Command::Help(Topic::Tool)),
                Some(name) => {
                    let name = name.to_string_lossy();
                    Topic::from_name(&name)
                        .map(Command::Help)
                        .ok_or_else(|| usage(Topic::Tool, format!("unknown command '{name}'")))
                }
            }
        }
        name => Topic::from_name(name).ok_or_else(|| {
            if name.starts_with('-') {
                usage(
                    Topic::Tool,
                    format!("unknown option '{name}' (options follow the command)"),
                )
            } else {
                usage(Topic::Tool, format!("unknown command '{name}'"))
            }
        })?,
    };
    let parsed = Parsed::read(topic, args)?;
    if parsed.help {
        return Ok(Command::Help(topic));
    }
    parsed.into_command(topic)
}

/// The options and positional arguments of one command, before they are checked against it.
#[derive(Default)]
struct Parsed {
    help: bool,
    json: bool,
    pin_root: Option<OsString>,
    reuse: Option<String>,
    depth: Option<String>,
    templates: Vec<String>,
    positional: Vec<OsString>,
}

impl Parsed {
    fn read(topic: Topic, args: impl Iterator<Item = OsString>) -> Result<Parsed, Usage> {
        let mut parsed = Parsed::default();
        let mut args = args.peekable();
        let mut options_done = false;
        // Errors are kept until every argument is read, so that `--help` anywhere wins.
        let mut first_error = None;
        while let Some(arg) = args.next() {
            let is_option = !options_done && arg.len() > 1 && arg.as_encoded_bytes()[0] == b'-';
            if !is_option {
                parsed.positional.push(arg);
                continue;
            }
            let text = arg.to_string_lossy().into_owned();
            if text == "--" {
                options_done = true;
                continue;
            }
            let (name, inline) = match text.split_once('=') {
                Some((name, _)) if name.starts_with("--") => {
                    // The value may not be UTF-8 (a directory): take it from the raw argument.
                    let raw = arg.as_encoded_bytes();
                    let at = raw
                        .iter()
                        .position(|&b| b == b'=')
                        .map_or(raw.len(), |i| i + 1);
                    (name.to_owned(), Some(os_from_bytes(&raw[at..])))
                }
                _ => (text.clone(), None),
            };
            let result = match name.as_str() {
                "-h" | "--help" => {
                    parsed.help = true;
                    Ok(())
                }
                "--json" if inline.is_none() => {
                    parsed.json = true;
                    Ok(())
                }
                "--pin-root" if topic == Topic::Load => {
                    option_value(inline, &mut args, topic, &name)
                        .and_then(|v| set_once(&mut parsed.pin_root, v, topic, &name))
                }
                "--reuse" if topic == Topic::Load => option_value(inline, &mut args, topic, &name)
                    .and_then(|v| set_once(&mut parsed.reuse, lossy(v), topic, &name)),
                "--depth" if topic == Topic::Dump => option_value(inline, &mut args, topic, &name)
                    .and_then(|v| set_once(&mut parsed.depth, lossy(v), topic, &name)),
                "--template" if matches!(topic, Topic::Load | Topic::Inspect) => {
                    option_value(inline, &mut args, topic, &name).map(|v| {
                        parsed.templates.push(lossy(v));
                    })
                }
                "--json" => Err(usage(topic, "--json takes no value")),
                _ => Err(usage(
                    topic,
                    format!("unknown option '{text}' for '{}'", topic_name(topic)),
                )),
            };
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) if !parsed.help => Err(e),
            _ => Ok(parsed),
        }
    }

    fn into_command(self, topic: Topic) -> Result<Command, Usage> {
        let json = self.json;
        match topic {
            Topic::Tool => Ok(Command::Help(Topic::Tool)),
            Topic::Inspect => Ok(Command::Inspect {
                templates: templates(&self.templates, topic)?,
                file: one_positional(self.positional, topic, "FILE")?,
                json,
            }),
            Topic::Load => {
                let reuse = match self.reuse.as_deref() {
                    None | Some("keep") => Reuse::Keep,
                    Some("overwrite") => Reuse::Overwrite,
                    Some(other) => {
                        return Err(usage(
                            topic,
                            format!("--reuse takes 'keep' or 'overwrite', not '{other}'"),
                        ))
                    }
                };
                let pin_root = self.pin_root.map(PathBuf::from);
                if pin_root.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                    return Err(usage(topic, "--pin-root needs a directory"));
                }
                Ok(Command::Load {
                    templates: templates(&self.templates, topic)?,
                    file: one_positional(self.positional, topic, "FILE")?,
                    pin_root,
                    reuse,
                    json,
                })
            }
            Topic::List => {
                if let Some(extra) = self.positional.first() {
                    return Err(usage(
                        topic,
                        format!("unexpected argument '{}'", extra.to_string_lossy()),
                    ));
                }
                Ok(Command::List { json })
            }
            Topic::Dump => {
                let depth = match self.depth {
                    None => DEFAULT_DEPTH,
                    Some(text) => text.parse::<u32>().map_err(|_| {
                        usage(
                            topic,
                            format!("--depth takes a number (0, 1, …), not '{text}'"),
                        )
                    })?,
                };
                let raw = one_positional(self.positional, topic, "ID|PINNED_PATH")?;
                Ok(Command::Dump {
                    target: dump_target(raw, topic)?,
                    json,
                    depth,
                })
            }
        }
    }
}

fn topic_name(topic: Topic) -> &'static str {
    match topic {
        Topic::Tool => "bpfmaps",
        Topic::Inspect => "inspect",
        Topic::Load => "load",
        Topic::List => "list",
        Topic::Dump => "dump",
    }
}

/// The value of option `name`: what follows `=` in the same argument, else the next argument —
/// unless that one starts with `-`: `load x.o --pin-root --json` is a forgotten value, not a pin
/// root named `--json` (which `--pin-root=--json` still gives). The argument that looks like an
/// option is left to be read as one.
fn option_value(
    inline: Option<OsString>,
    args: &mut std::iter::Peekable<impl Iterator<Item = OsString>>,
    topic: Topic,
    name: &str,
) -> Result<OsString, Usage> {
    if let Some(value) = inline {
        return Ok(value);
    }
    match args.peek() {
        None => Err(usage(topic, format!("{name} needs a value"))),
        Some(next) if next.as_encoded_bytes().first() == Some(&b'-') => {
            let next = next.to_string_lossy();
            Err(usage(
                topic,
                format!(
                    "{name} needs a value, and '{next}' looks like an option (write \
                     {name}={next} if it is the value)"
                ),
            ))
        }
        Some(_) => Ok(args.next().unwrap_or_default()),
    }
}

fn lossy(value: OsString) -> String {
    value.to_string_lossy().into_owned()
}

/// Parses each `--template MAP=TYPE:KEY:VALUE:MAX_ENTRIES`; a map named twice is refused.
fn templates(raw: &[String], topic: Topic) -> Result<Vec<Template>, Usage> {
    let mut out: Vec<Template> = Vec::with_capacity(raw.len());
    for text in raw {
        let template = parse_template(text).map_err(|why| {
            usage(
                topic,
                format!("--template takes {TEMPLATE_FORM}, not '{text}': {why}"),
            )
        })?;
        if out.iter().any(|t| t.map == template.map) {
            return Err(usage(
                topic,
                format!("--template is given twice for map '{}'", template.map),
            ));
        }
        out.push(template);
    }
    Ok(out)
}

/// `outer=hash:4:8:16` → map `outer`, a `hash` template with key 4, value 8, max_entries 16.
fn parse_template(text: &str) -> Result<Template, String> {
    let (map, spec) = text.split_once('=').ok_or("no '=' after the map's name")?;
    if map.is_empty() {
        return Err("the map's name is empty".into());
    }
    let fields: Vec<&str> = spec.split(':').collect();
    let [map_type, key, value, max_entries] = fields[..] else {
        return Err(format!(
            "{} field(s) after '=', where TYPE:KEY:VALUE:MAX_ENTRIES is 4",
            fields.len()
        ));
    };
    let map_type = MapType::from_name(map_type).ok_or_else(|| {
        format!(
            "'{map_type}' is not a map type (the kernel's name in lower case: hash, array, \
             lru_hash, …)"
        )
    })?;
    let number = |what: &str, field: &str| {
        field
            .parse::<u32>()
            .map_err(|_| format!("{what} '{field}' is not a number"))
    };
    Ok(Template {
        map: map.to_owned(),
        spec: MapSpec::new(
            map_type,
            number("KEY", key)?,
            number("VALUE", value)?,
            number("MAX_ENTRIES", max_entries)?,
        ),
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T, topic: Topic, name: &str) -> Result<(), Usage> {
    if slot.is_some() {
        return Err(usage(topic, format!("{name} is given twice")));
    }
    *slot = Some(value);
    Ok(())
}

fn one_positional(
    mut positional: Vec<OsString>,
    topic: Topic,
    what: &str,
) -> Result<PathBuf, Usage> {
    match positional.len() {
        0 => Err(usage(topic, format!("{what} is missing"))),
        1 => Ok(PathBuf::from(positional.remove(0))),
        _ => Err(usage(
            topic,
            format!(
                "one {what} is expected, got {} arguments ('{}' is extra)",
                positional.len(),
                positional[1].to_string_lossy()
            ),
        )),
    }
}

/// An argument of digits is a map id; anything else is a path, but not an empty one.
fn dump_target(raw: PathBuf, topic: Topic) -> Result<DumpTarget, Usage> {
    if raw.as_os_str().is_empty() {
        return Err(usage(
            topic,
            "ID|PINNED_PATH is empty: give a map id or the path of a pinned map",
        ));
    }
    let Some(text) = raw.to_str() else {
        return Ok(DumpTarget::Pin(raw));
    };
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(DumpTarget::Pin(raw));
    }
    let id = text
        .parse::<u32>()
        .ok()
        .and_then(MapId::new)
        .ok_or_else(|| {
            usage(
                topic,
                format!("'{text}' is not a map id (ids run from 1 to 4294967295)"),
            )
        })?;
    Ok(DumpTarget::Id(id))
}

fn os_from_bytes(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, Usage> {
        parse(list.iter().map(OsString::from))
    }

    #[test]
    fn options_before_or_after_the_file() {
        let want = Command::Load {
            file: "x.o".into(),
            pin_root: Some("/tmp/b".into()),
            reuse: Reuse::Overwrite,
            templates: Vec::new(),
            json: true,
        };
        assert_eq!(
            args(&[
                "load",
                "x.o",
                "--pin-root",
                "/tmp/b",
                "--reuse",
                "overwrite",
                "--json"
            ]),
            Ok(want)
        );
        let want = Command::Load {
            file: "x.o".into(),
            pin_root: Some("/tmp/b".into()),
            reuse: Reuse::Overwrite,
            templates: Vec::new(),
            json: true,
        };
        assert_eq!(
            args(&[
                "load",
                "--json",
                "--pin-root=/tmp/b",
                "--reuse=overwrite",
                "x.o"
            ]),
            Ok(want)
        );
    }

    #[test]
    fn dump_takes_an_id_or_a_path() {
        let id = MapId::new(12).unwrap();
        assert_eq!(
            args(&["dump", "12", "--depth", "0"]),
            Ok(Command::Dump {
                target: DumpTarget::Id(id),
                json: false,
                depth: 0
            })
        );
        assert_eq!(
            args(&["dump", "./12"]),
            Ok(Command::Dump {
                target: DumpTarget::Pin("./12".into()),
                json: false,
                depth: DEFAULT_DEPTH
            })
        );
        assert!(args(&["dump", "0"]).is_err());
        assert!(args(&["dump", "99999999999"]).is_err());
    }

    #[test]
    fn help_wins_and_mistakes_are_usage_errors() {
        assert_eq!(
            args(&["load", "--bogus", "--help"]),
            Ok(Command::Help(Topic::Load))
        );
        assert_eq!(args(&["help", "dump"]), Ok(Command::Help(Topic::Dump)));
        assert_eq!(args(&["-h"]), Ok(Command::Help(Topic::Tool)));
        for bad in [
            &[][..],
            &["frobnicate"],
            &["load"],
            &["load", "a", "b"],
            &["load", "a", "--reuse", "maybe"],
            &["load", "a", "--pin-root"],
            &["load", "a", "--depth", "1"],
            &["inspect", "a", "--pin-root", "/x"],
            &["list", "extra"],
            &["dump", "1", "--depth", "-1"],
            &["dump", "1", "--json=yes"],
        ] {
            assert!(args(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(
            args(&["inspect", "--", "--json"]),
            Ok(Command::Inspect {
                file: "--json".into(),
                templates: Vec::new(),
                json: false
            })
        );
    }

    #[test]
    fn a_value_that_starts_with_a_dash_must_be_joined() {
        // The forgotten value: `--json` is not taken as the pin root, and the error names the
        // option.
        let e = args(&["load", "x.o", "--pin-root", "--json"]).unwrap_err();
        assert_eq!(e.topic, Topic::Load);
        assert!(
            e.message
                .starts_with("--pin-root needs a value, and '--json' looks like an option"),
            "{}",
            e.message
        );
        assert!(e.message.contains("--pin-root=--json"), "{}", e.message);
        for (list, option) in [
            (&["load", "x.o", "--reuse", "-k"][..], "--reuse"),
            (&["load", "x.o", "--template", "--json"], "--template"),
            (&["inspect", "x.o", "--template", "-"], "--template"),
            (&["dump", "1", "--depth", "-1"], "--depth"),
        ] {
            let e = args(list).unwrap_err();
            assert!(
                e.message
                    .starts_with(&format!("{option} needs a value, and '")),
                "{list:?}: {}",
                e.message
            );
        }
        // `--help` after it still wins, and is not swallowed either.
        assert_eq!(
            args(&["load", "x.o", "--pin-root", "--help"]),
            Ok(Command::Help(Topic::Load))
        );
        // Joined, a value may start with '-'.
        match args(&["load", "x.o", "--pin-root=--json"]) {
            Ok(Command::Load { pin_root, json, .. }) => {
                assert_eq!(pin_root, Some(PathBuf::from("--json")));
                assert!(!json);
            }
            other => panic!("{other:?}"),
        }
        // A value that does not start with '-' is still taken from the next argument.
        match args(&["load", "x.o", "--pin-root", "a-b", "--json"]) {
            Ok(Command::Load { pin_root, json, .. }) => {
                assert_eq!(pin_root, Some(PathBuf::from("a-b")));
                assert!(json);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn templates_name_a_map_and_its_inner_spec() {
        let want = vec![
            Template {
                map: "outer".into(),
                spec: MapSpec::new(MapType::HASH, 4, 8, 16),
            },
            Template {
                map: "other".into(),
                spec: MapSpec::new(MapType::LRU_PERCPU_HASH, 8, 1, 1),
            },
        ];
        assert_eq!(
            args(&[
                "load",
                "x.o",
                "--template",
                "outer=hash:4:8:16",
                "--template=other=lru_percpu_hash:8:1:1"
            ]),
            Ok(Command::Load {
                file: "x.o".into(),
                pin_root: None,
                reuse: Reuse::Keep,
                templates: want.clone(),
                json: false,
            })
        );
        assert_eq!(
            args(&["inspect", "--template", "outer=hash:4:8:16", "x.o"]),
            Ok(Command::Inspect {
                file: "x.o".into(),
                templates: want[..1].to_vec(),
                json: false,
            })
        );
        for (bad, why) in [
            ("outer", "no '='"),
            ("=hash:4:4:4", "the map's name is empty"),
            ("outer=Hash:4:4:4", "'Hash' is not a map type"),
            ("outer=hash:4:4", "3 field(s)"),
            ("outer=hash:4:4:4:0", "5 field(s)"),
            ("outer=hash:4:4:-1", "MAX_ENTRIES '-1' is not a number"),
            (
                "outer=hash:4:4:4294967296",
                "MAX_ENTRIES '4294967296' is not a number",
            ),
        ] {
            let e = args(&["load", "x.o", "--template", bad]).unwrap_err();
            assert!(
                e.message.starts_with(&format!(
                    "--template takes MAP=TYPE:KEY:VALUE:MAX_ENTRIES, not '{bad}': {why}"
                )),
                "{bad}: {}",
                e.message
            );
        }
        let e = args(&[
            "load",
            "x.o",
            "--template",
            "a=hash:4:4:4",
            "--template",
            "a=array:4:4:4",
        ])
        .unwrap_err();
        assert_eq!(e.message, "--template is given twice for map 'a'");
        assert!(args(&["list", "--template", "a=hash:4:4:4"]).is_err());
        assert!(args(&["dump", "1", "--template", "a=hash:4:4:4"]).is_err());
    }

    #[test]
    fn dump_refuses_an_empty_argument() {
        let e = args(&["dump", ""]).unwrap_err();
        assert_eq!(e.topic, Topic::Dump);
        assert!(
            e.message.contains("ID|PINNED_PATH is empty"),
            "{}",
            e.message
        );
    }

    #[test]
    fn usage_lines_are_the_start_of_each_help() {
        assert_eq!(Topic::List.usage(), "Usage: bpfmaps list [--json]");
        assert!(Topic::Tool.usage().starts_with("Usage: bpfmaps <COMMAND>"));
    }
}
