//! End-to-end tests of the `bpfmaps` command: the built binary, run on the fixtures and on maps
//! made here through the library, its text and JSON checked against the object (parsed by the
//! library) and against the kernel's own view.

mod common;
#[path = "cli/json.rs"]
mod json;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bpfmaps::elf::{BpfObject, MapDef, Pinning};
use bpfmaps::loader::{self, LoadOptions};
use bpfmaps::{Map, MapId, MapSpec, MapType, OuterMap, UpdateFlags};

use common::{fixture, wait_gone, TempBpffs};
use json::Json;

/// What a run of the binary gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Json {
        json::parse(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "exit status; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }

    /// No panic, no backtrace, whatever the outcome.
    fn no_panic(&self) {
        for text in [&self.stdout, &self.stderr] {
            assert!(!text.contains("panicked"), "panic: {text}");
            assert!(!text.contains("RUST_BACKTRACE"), "backtrace hint: {text}");
        }
    }
}

fn bpfmaps<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_bpfmaps"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run bpfmaps");
    let run = Run {
        code: out
            .status
            .code()
            .expect("bpfmaps exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    run.no_panic();
    run
}

fn fx(name: &str) -> String {
    fixture(name).to_str().expect("UTF-8 path").to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn spaced(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn type_name(t: MapType) -> String {
    t.to_string()
}

/// The fixtures every command must handle.
const VALID: &[&str] = &[
    "seed_devmap.bpf.o",
    "dense_values.bpf.o",
    "sparse_values.bpf.o",
    "hash_of_maps.bpf.o",
    "inner_map_flag.bpf.o",
    "anon_inner.bpf.o",
    "outer_first.bpf.o",
    "plain_fields.bpf.o",
    "inner_types.bpf.o",
];

// ---------------------------------------------------------------------------------------------
// Usage: no kernel needed.

#[test]
fn the_test_json_parser_reads_what_it_should_and_refuses_the_rest() {
    let v = json::parse(r#" {"a": [1, -2, true, null, "x\"\u00e9\n"], "b": {}} "#).unwrap();
    assert_eq!(v.get("a").arr()[1].int(), -2);
    assert_eq!(v.get("a").arr()[4].str(), "x\"é\n");
    assert!(v.get("b").obj().is_empty());
    for bad in [
        "{",
        "[1,]",
        "{\"a\":1,}",
        "\"a\nb\"",
        "{} x",
        "{\"a\":1,\"a\":2}",
        "1.5",
    ] {
        assert!(json::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn help_for_the_tool_and_each_command() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let run = bpfmaps(args).ok();
        assert!(
            run.stdout.contains("Usage: bpfmaps <COMMAND>"),
            "{}",
            run.stdout
        );
        for cmd in ["inspect", "load", "list", "dump"] {
            assert!(
                run.stdout.contains(&format!("  {cmd} ")),
                "{cmd} in {}",
                run.stdout
            );
        }
        assert!(run.stderr.is_empty());
    }
    for cmd in ["inspect", "load", "list", "dump"] {
        for args in [vec![cmd, "--help"], vec!["help", cmd], vec![cmd, "x", "-h"]] {
            let run = bpfmaps(&args).ok();
            assert!(
                run.stdout.starts_with(&format!("Usage: bpfmaps {cmd}")),
                "{args:?}: {}",
                run.stdout
            );
        }
    }
    let version = bpfmaps(&["--version"]).ok();
    assert_eq!(
        version.stdout,
        format!("bpfmaps {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_the_usage_on_stderr() {
    let seed = fx("seed_devmap.bpf.o");
    let seed = seed.as_str();
    let cases: &[(&[&str], &str)] = &[
        (&[], "no command given"),
        (&["frobnicate"], "unknown command 'frobnicate'"),
        (&["--json"], "unknown option '--json'"),
        (&["inspect"], "FILE is missing"),
        (&["load"], "FILE is missing"),
        (&["dump"], "ID|PINNED_PATH is missing"),
        (&["inspect", seed, seed], "is extra"),
        (
            &["inspect", seed, "--bogus"],
            "unknown option '--bogus' for 'inspect'",
        ),
        (
            &["inspect", seed, "--pin-root", "/tmp"],
            "unknown option '--pin-root'",
        ),
        (
            &["load", seed, "--reuse", "maybe"],
            "--reuse takes 'keep' or 'overwrite'",
        ),
        (&["load", seed, "--reuse"], "--reuse needs a value"),
        (&["load", seed, "--pin-root"], "--pin-root needs a value"),
        (
            &["load", seed, "--pin-root", "/a", "--pin-root", "/b"],
            "given twice",
        ),
        (&["load", seed, "--depth", "1"], "unknown option '--depth'"),
        (&["list", "extra"], "unexpected argument 'extra'"),
        (&["dump", "1", "--depth", "x"], "--depth takes a number"),
        (&["dump", "1", "--depth", "-1"], "--depth needs a value"),
        (&["dump", "1", "--depth=-1"], "--depth takes a number"),
        (&["dump", ""], "ID|PINNED_PATH is empty"),
        (&["dump", "0"], "not a map id"),
        (&["dump", "4294967296"], "not a map id"),
        (&["dump", "1", "--json=yes"], "--json takes no value"),
    ];
    for (args, message) in cases {
        let run = bpfmaps(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.starts_with("bpfmaps: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("Usage: bpfmaps"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn options_go_before_or_after_the_file() {
    let seed = fx("seed_devmap.bpf.o");
    let after = bpfmaps(&["inspect", &seed, "--json"]).ok();
    let before = bpfmaps(&["inspect", "--json", &seed]).ok();
    assert_eq!(after.stdout, before.stdout);
    let ended = bpfmaps(&["inspect", "--json", "--", &seed]).ok();
    assert_eq!(after.stdout, ended.stdout);
}

// ---------------------------------------------------------------------------------------------
// inspect: no kernel needed.

/// The lines `inspect` prints for one definition must be there, in the object's words.
fn check_inspect_text(name: &str, text: &str) {
    let object = BpfObject::open(fixture(name)).unwrap();
    let count = object.maps().len();
    assert!(
        text.starts_with(&format!("{name}: {count} map")),
        "{name}: {text}"
    );
    for def in object.maps() {
        let a = &def.attrs;
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(def.name.as_str()))
            .unwrap_or_else(|| panic!("{name}: no line for {}: {text}", def.name));
        let want = format!(
            "{}  key {}  value {}  max_entries {}  flags {:#x}",
            type_name(a.map_type),
            a.key_size,
            a.value_size,
            a.max_entries,
            a.flags.bits()
        );
        assert!(line.contains(&want), "{name}: {line:?} lacks {want:?}");
        if a.map_extra != 0 {
            assert!(
                line.contains(&format!("map_extra {}", a.map_extra)),
                "{line}"
            );
        }
        if def.is_outer() {
            let inner = a.inner.as_ref().unwrap();
            let want = format!(
                "{}  key {}  value {}  max_entries {}  flags {:#x}",
                type_name(inner.map_type),
                inner.key_size,
                inner.value_size,
                inner.max_entries,
                inner.flags.bits()
            );
            assert!(
                text.lines()
                    .any(|l| l.contains("inner template") && l.contains(&want)),
                "{name}: template of {}: {want:?} in {text}",
                def.name
            );
            for slot in &def.slots {
                let want = format!("slot {} → {}", slot.index, slot.map);
                assert!(text.contains(&want), "{name}: {want:?} in {text}");
            }
        }
    }
}

#[test]
fn inspect_text_shows_every_definition() {
    let run = bpfmaps(&["inspect", &fx("seed_devmap.bpf.o")]).ok();
    let expected = "\
seed_devmap.bpf.o: 5 maps, little-endian, with BTF
devs_a      devmap  key 4  value 4  max_entries 64  flags 0x0
devs_b      devmap  key 4  value 4  max_entries 64  flags 0x0
outer_devs  array_of_maps  key 4  value 4  max_entries 256  flags 0x0
            inner template: devmap  key 4  value 4  max_entries 64  flags 0x0
            slot 0 → devs_a
            slot 1 → devs_b
flows       hash_of_maps  key 8  value 4  max_entries 128  flags 0x1 (NO_PREALLOC)
            inner template: devmap  key 4  value 4  max_entries 64  flags 0x0
            no slots declared
stats       percpu_array  key 4  value 8  max_entries 4  flags 0x0

The loader accepts this object.
";
    assert_eq!(run.stdout, expected);
    for name in VALID
        .iter()
        .chain(&["pinning.bpf.o", "legacy_iproute2.bpf.o", "big_endian.bpf.o"])
    {
        let run = bpfmaps(&["inspect", &fx(name)]).ok();
        check_inspect_text(name, &run.stdout);
    }
    let pinning = bpfmaps(&["inspect", &fx("pinning.bpf.o")]).ok().stdout;
    assert!(
        pinning.contains("pinned by name at <pin root>/pinned_outer"),
        "{pinning}"
    );
    assert!(
        pinning.contains("pinned by name at <pin root>/pinned_hash"),
        "{pinning}"
    );
    let iproute2 = bpfmaps(&["inspect", &fx("legacy_iproute2.bpf.o")])
        .ok()
        .stdout;
    assert!(
        iproute2.contains("legacy definition (iproute2's 36-byte bpf_elf_map)"),
        "{iproute2}"
    );
    assert!(
        iproute2
            .contains("pinned in iproute2's global namespace at <pin root>/tc/globals/elf_outer"),
        "{iproute2}"
    );
    assert!(
        iproute2.contains("inner template (map 'elf_inner'): array"),
        "{iproute2}"
    );
}

/// The six declared fields of a definition (or template) in the JSON.
fn check_attrs(json: &Json, attrs: &bpfmaps::elf::MapAttrs, what: &str) {
    assert_eq!(json.get("type").str(), type_name(attrs.map_type), "{what}");
    assert_eq!(json.get("key_size").u32(), attrs.key_size, "{what}");
    assert_eq!(json.get("value_size").u32(), attrs.value_size, "{what}");
    assert_eq!(json.get("max_entries").u32(), attrs.max_entries, "{what}");
    assert_eq!(json.get("map_flags").u32(), attrs.flags.bits(), "{what}");
    assert_eq!(
        json.get("map_extra").int(),
        i128::from(attrs.map_extra),
        "{what}"
    );
}

/// The parts of a MAP that come from the object, in `load` and `inspect` alike.
fn check_definition(json: &Json, def: &MapDef, file: &str) {
    let what = format!("{file}: {}", def.name);
    check_attrs(json, &def.attrs, &what);
    if def.is_outer() {
        match &def.attrs.inner {
            Some(inner) => check_attrs(json.get("inner_template"), inner, &what),
            None => assert!(json.get("inner_template").is_null(), "{what}"),
        }
    } else {
        assert!(!json.has("inner_template"), "{what}");
    }
    match def.attrs.pinning.relative_path(&def.name) {
        Some(rel) => assert_eq!(json.get("pin_path").str(), rel, "{what}"),
        None => assert!(!json.has("pin_path"), "{what}"),
    }
}

/// The declared slots of an outer map as the JSON keys them: hex of the 4-byte key.
fn declared_slots(def: &MapDef) -> BTreeMap<String, String> {
    def.slots
        .iter()
        .map(|s| (hex(&s.index.to_ne_bytes()), s.map.clone()))
        .collect()
}

fn slots_of(json: &Json) -> BTreeMap<String, String> {
    json.obj()
        .iter()
        .map(|(k, v)| (k.clone(), v.str().to_owned()))
        .collect()
}

#[test]
fn inspect_json_is_the_object_as_the_library_reads_it() {
    for name in VALID
        .iter()
        .chain(&["pinning.bpf.o", "legacy_iproute2.bpf.o", "big_endian.bpf.o"])
    {
        let doc = bpfmaps(&["inspect", "--json", &fx(name)]).ok().json();
        let object = BpfObject::open(fixture(name)).unwrap();
        assert_eq!(doc.get("object").str(), *name);
        assert_eq!(doc.get("outcome").str(), "ok");
        assert!(!doc.has("error"));
        let maps = doc.get("maps").obj();
        let names: Vec<&str> = maps.iter().map(|(k, _)| k.as_str()).collect();
        let want: Vec<&str> = object.maps().iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, want, "{name}: maps in the object's order");
        for def in object.maps() {
            let map = doc.get("maps").get(&def.name);
            check_definition(map, def, name);
            assert!(!map.has("kernel"), "{name}: inspect touches no kernel");
            let pinning = match def.attrs.pinning {
                Pinning::None => "none",
                Pinning::ByName => "by_name",
                Pinning::GlobalNs => "global_ns",
                _ => unreachable!("no fixture has another mode"),
            };
            assert_eq!(map.get("pinning").str(), pinning);
            if def.is_outer() {
                assert_eq!(slots_of(map.get("slots")), declared_slots(def), "{name}");
            }
        }
    }
}

#[test]
fn inspect_accepts_a_big_endian_object_and_says_it_cannot_be_loaded_here() {
    let run = bpfmaps(&["inspect", &fx("big_endian.bpf.o")]).ok();
    assert!(
        run.stdout
            .starts_with("big_endian.bpf.o: 3 maps, big-endian, with BTF"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("cannot load them here: wrong byte order"),
        "{}",
        run.stdout
    );
}

/// The error the library gives for a fixture: the parse's, or the pre-kernel check's.
fn library_refusal(name: &str) -> (bool, String) {
    match BpfObject::open(fixture(name)) {
        Err(e) => (false, e.to_string()),
        Ok(object) => {
            let e = loader::check(&object, &LoadOptions::new()).expect_err("refused");
            (true, e.to_string())
        }
    }
}

#[test]
fn refused_objects_print_the_loaders_error_and_exit_1() {
    for name in &common::fixture_names(|n| n.starts_with("refuse_")) {
        let path = fx(name);
        let (parsed, message) = library_refusal(name);
        let run = bpfmaps(&["inspect", &path]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&message),
            "{name}: {message:?} in {}",
            run.stderr
        );
        assert!(
            run.stderr.starts_with(&format!("bpfmaps: {path}: ")),
            "{}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

        for cmd in ["inspect", "load"] {
            let run = bpfmaps(&[cmd, &path, "--json"]);
            assert_eq!(run.code, 1, "{cmd} {name}");
            assert!(
                run.stderr.contains(&message),
                "{cmd} {name}: {}",
                run.stderr
            );
            let doc = run.json();
            assert_eq!(doc.get("outcome").str(), "parse_error", "{cmd} {name}");
            assert!(doc.get("error").get("errno").is_null(), "{cmd} {name}");
            // The library's message; the CLI adds only a hint about its own option, where the
            // library names its API (`LoadOptions::template`).
            let got = doc.get("error").get("message").str();
            assert!(got.starts_with(&message), "{cmd} {name}: {got}");
            let added = &got[message.len()..];
            assert!(
                added.is_empty()
                    || (message.contains("LoadOptions::template") && added.contains("--template")),
                "{cmd} {name}: {got}"
            );
            let maps = doc.get("maps").obj();
            if parsed {
                let object = BpfObject::open(fixture(name)).unwrap();
                assert_eq!(maps.len(), object.maps().len(), "{cmd} {name}");
                for def in object.maps() {
                    let map = doc.get("maps").get(&def.name);
                    check_definition(map, def, name);
                    assert!(!map.has("kernel"), "{cmd} {name}: nothing was created");
                }
            } else {
                assert!(maps.is_empty(), "{cmd} {name}");
            }
        }
        let text = bpfmaps(&["load", &path]);
        assert_eq!(text.code, 1, "load {name}");
        assert!(text.stdout.is_empty(), "load {name}: {}", text.stdout);
        assert!(
            text.stderr.contains(&message),
            "load {name}: {}",
            text.stderr
        );
    }
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bpfmaps-cli-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn truncated_missing_and_odd_files_are_refused_with_exit_1() {
    let dir = TempDir::new("files");
    let bytes = std::fs::read(fixture("seed_devmap.bpf.o")).unwrap();
    for cut in [0, 3, 16, 64, 200, bytes.len() / 2, bytes.len() - 1] {
        let path = dir.0.join(format!("cut_{cut}.bpf.o"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let path = path.to_str().unwrap();
        let (_, message) = library_refusal_at(Path::new(path));
        for cmd in ["inspect", "load"] {
            let run = bpfmaps(&[cmd, path]);
            assert_eq!(run.code, 1, "{cmd} cut at {cut}: {}", run.stdout);
            assert!(
                run.stderr.contains(&message),
                "{cmd} cut {cut}: {}",
                run.stderr
            );
            let run = bpfmaps(&[cmd, path, "--json"]);
            assert_eq!(run.code, 1);
            let doc = run.json();
            assert_eq!(doc.get("outcome").str(), "parse_error");
            assert_eq!(doc.get("object").str(), format!("cut_{cut}.bpf.o"));
            assert!(doc.get("error").get("errno").is_null());
            assert!(doc.get("maps").obj().is_empty());
        }
    }
    let empty = bpfmaps(&["inspect", dir.0.join("cut_0.bpf.o").to_str().unwrap()]);
    assert!(
        empty.stderr.contains("the file is empty"),
        "{}",
        empty.stderr
    );

    let missing = dir.0.join("missing.bpf.o");
    let missing = missing.to_str().unwrap();
    for cmd in ["inspect", "load"] {
        let run = bpfmaps(&[cmd, missing]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            format!("bpfmaps: {missing}: No such file or directory (os error 2)\n")
        );
        let doc = bpfmaps(&[cmd, missing, "--json"]).json();
        assert_eq!(doc.get("outcome").str(), "parse_error");
        assert_eq!(doc.get("object").str(), "missing.bpf.o");
    }
    let run = bpfmaps(&["inspect", dir.0.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("Is a directory"), "{}", run.stderr);
    let run = bpfmaps(&["inspect", "Cargo.toml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not a readable ELF object"),
        "{}",
        run.stderr
    );
}

fn library_refusal_at(path: &Path) -> (bool, String) {
    match BpfObject::open(path) {
        Err(e) => (false, e.to_string()),
        Ok(object) => (
            true,
            loader::check(&object, &LoadOptions::new())
                .unwrap_err()
                .to_string(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// load: needs the kernel.

/// The kernel fields of a created map must be those of the object (with the flags the kernel
/// adds by itself), under the kernel's 15-byte name.
fn check_kernel(map: &Json, def: &MapDef, file: &str) -> u32 {
    let what = format!("{file}: {}", def.name);
    let k = map.get("kernel");
    let a = &def.attrs;
    assert_eq!(k.get("type").str(), type_name(a.map_type), "{what}");
    assert_eq!(k.get("key_size").u32(), a.key_size, "{what}");
    assert_eq!(k.get("value_size").u32(), a.value_size, "{what}");
    assert_eq!(k.get("max_entries").u32(), a.max_entries, "{what}");
    assert_eq!(
        k.get("map_flags").u32(),
        (a.flags | a.map_type.implied_flags()).bits(),
        "{what}"
    );
    assert_eq!(k.get("map_extra").int(), i128::from(a.map_extra), "{what}");
    let name = &def.name[..def.name.len().min(15)];
    assert_eq!(k.get("name").str(), name, "{what}");
    let id = k.get("id").u32();
    assert_ne!(id, 0, "{what}");
    id
}

/// Runs `load --json` on a fixture and checks the document against the object; returns the
/// document and the ids by map name.
fn load_json(name: &str, extra: &[&str]) -> (Json, BTreeMap<String, u32>) {
    let mut args = vec!["load", "--json"];
    let path = fx(name);
    args.push(&path);
    args.extend_from_slice(extra);
    let run = bpfmaps(&args).ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let doc = run.json();
    let object = BpfObject::open(fixture(name)).unwrap();
    assert_eq!(doc.get("object").str(), name);
    assert_eq!(doc.get("outcome").str(), "ok");
    assert!(!doc.has("error"));
    let names: Vec<&str> = doc
        .get("maps")
        .obj()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    let want: Vec<&str> = object.maps().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, want, "{name}");
    let mut ids = BTreeMap::new();
    for def in object.maps() {
        let map = doc.get("maps").get(&def.name);
        check_definition(map, def, name);
        assert!(!map.has("pinning"), "pinning is inspect's");
        ids.insert(def.name.clone(), check_kernel(map, def, name));
        assert_eq!(map.has("slots"), def.is_outer(), "{name}: {}", def.name);
    }
    let distinct: BTreeSet<u32> = ids.values().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "{name}: ids are distinct");
    (doc, ids)
}

#[test]
fn load_json_agrees_with_the_object_and_the_maps_vanish_at_exit() {
    require_kernel!();
    let mut all_ids = BTreeSet::new();
    for name in VALID {
        let (doc, ids) = load_json(name, &[]);
        let object = BpfObject::open(fixture(name)).unwrap();
        for def in object.maps() {
            let map = doc.get("maps").get(&def.name);
            assert!(!map.get("reused").bool());
            if def.is_outer() {
                // Read back from the kernel: every declared slot holds the declared map.
                assert_eq!(slots_of(map.get("slots")), declared_slots(def), "{name}");
            }
        }
        all_ids.extend(ids.values().copied());
    }
    // Nothing was pinned: with the process gone, so are the maps.
    let left = wait_gone(&all_ids);
    assert!(left.is_empty(), "maps left behind: {left:?}");
}

#[test]
fn load_text_is_a_tree_of_what_the_kernel_reports() {
    require_kernel!();
    let run = bpfmaps(&["load", &fx("seed_devmap.bpf.o")]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "seed_devmap.bpf.o: 5 maps created (BTF loaded)");
    assert!(lines[1].starts_with("outer_devs  id "), "{}", run.stdout);
    assert!(lines[1]
        .contains("'outer_devs'  array_of_maps  key 4  value 4  max_entries 256  flags 0x0"));
    assert!(
        lines[2].starts_with("├─ slot 0 (key 00 00 00 00) → devs_a  id "),
        "{}",
        run.stdout
    );
    assert!(lines[2]
        .ends_with("'devs_a'  devmap  key 4  value 4  max_entries 64  flags 0x80 (RDONLY_PROG)"));
    assert!(
        lines[3].starts_with("└─ slot 1 (key 01 00 00 00) → devs_b  id "),
        "{}",
        run.stdout
    );
    assert!(lines[4].starts_with("flows       id "), "{}", run.stdout);
    assert!(
        lines[4].contains("hash_of_maps  key 8  value 4  max_entries 128  flags 0x1 (NO_PREALLOC)")
    );
    assert_eq!(lines[5], "└─ no slot filled");
    assert!(lines[6].starts_with("stats       id "), "{}", run.stdout);
    assert_eq!(lines[7], "");
    assert_eq!(
        lines[8],
        "Nothing is pinned: these maps vanish when bpfmaps exits."
    );
    assert_eq!(lines.len(), 9, "{}", run.stdout);
    // Inner maps are shown under their slot, not again at the top.
    assert_eq!(run.stdout.matches("'devs_a'").count(), 1);

    // Every valid fixture: each map once, inner maps under their declared slots.
    for name in VALID {
        let text = bpfmaps(&["load", &fx(name)]).ok().stdout;
        let object = BpfObject::open(fixture(name)).unwrap();
        let in_slots: BTreeSet<&str> = object
            .maps()
            .iter()
            .flat_map(|d| d.slots.iter().map(|s| s.map.as_str()))
            .collect();
        for def in object.maps() {
            let kname = &def.name[..def.name.len().min(15)];
            let info = format!(
                "'{kname}'  {}  key {}  value {}  max_entries {}",
                type_name(def.attrs.map_type),
                def.attrs.key_size,
                def.attrs.value_size,
                def.attrs.max_entries
            );
            assert_eq!(text.matches(&info).count(), 1, "{name}: {info:?} in {text}");
            let at_top = text
                .lines()
                .any(|l| l.split_whitespace().next() == Some(def.name.as_str()));
            assert_eq!(
                at_top,
                !in_slots.contains(def.name.as_str()),
                "{name}: {} in {text}",
                def.name
            );
            for slot in &def.slots {
                let want = format!(
                    " slot {} (key {}) → {}  id ",
                    slot.index,
                    spaced(&slot.index.to_ne_bytes()),
                    slot.map
                );
                assert!(text.contains(&want), "{name}: {want:?} in {text}");
            }
        }
        assert!(text.ends_with("\nNothing is pinned: these maps vanish when bpfmaps exits.\n"));
    }

    let dense = bpfmaps(&["load", &fx("dense_values.bpf.o")]).ok().stdout;
    for (i, name) in ["in0", "in1", "in2"].iter().enumerate() {
        let want = format!(
            "slot {i} (key {}) → {name}  id ",
            spaced(&(i as u32).to_ne_bytes())
        );
        assert!(dense.contains(&want), "{want:?} in {dense}");
    }
}

/// The id of the map pinned at `path`.
fn pinned_id(path: &Path) -> u32 {
    Map::from_pin(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .id()
        .get()
}

#[test]
fn load_pins_under_the_pin_root_and_reuses_the_pins() {
    require_kernel!();
    let fs = TempBpffs::new("cli-pin");
    let root = fs.path().to_str().unwrap().to_owned();
    let (doc, ids) = load_json("pinning.bpf.o", &["--pin-root", &root]);
    let maps = doc.get("maps");
    assert_eq!(
        maps.get("pinned_outer").get("pin_path").str(),
        "pinned_outer"
    );
    assert_eq!(maps.get("pinned_hash").get("pin_path").str(), "pinned_hash");
    // The kernel's view through the library: the pins are the maps the CLI reported.
    assert_eq!(
        pinned_id(&fs.path().join("pinned_outer")),
        ids["pinned_outer"]
    );
    assert_eq!(
        pinned_id(&fs.path().join("pinned_hash")),
        ids["pinned_hash"]
    );
    let outer = OuterMap::from_pin(fs.path().join("pinned_outer")).unwrap();
    assert_eq!(
        outer.lookup(&0u32).unwrap().map(MapId::get),
        Some(ids["pin_in0"])
    );
    assert_eq!(outer.lookup(&1u32).unwrap(), None);
    assert_eq!(
        outer.lookup(&2u32).unwrap().map(MapId::get),
        Some(ids["pin_in2"])
    );
    let slots = slots_of(maps.get("pinned_outer").get("slots"));
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[&hex(&0u32.to_ne_bytes())], "pin_in0");
    assert_eq!(slots[&hex(&2u32.to_ne_bytes())], "pin_in2");
    // The unpinned map is gone with the process; the pinned ones and their inner maps stay.
    assert!(wait_gone(&BTreeSet::from([ids["not_pinned"]])).is_empty());
    let now = common::map_ids();
    for kept in ["pinned_outer", "pinned_hash", "pin_in0", "pin_in2"] {
        assert!(now.contains(&ids[kept]), "{kept} outlives the process");
    }

    // Again, keeping what is pinned: the same maps, found rather than created.
    let (again, again_ids) = load_json("pinning.bpf.o", &["--pin-root", &root]);
    for name in ["pinned_outer", "pinned_hash", "pin_in0", "pin_in2"] {
        assert_eq!(again_ids[name], ids[name], "{name} is reused");
        assert!(again.get("maps").get(name).get("reused").bool(), "{name}");
    }
    assert!(!again.get("maps").get("not_pinned").get("reused").bool());
    assert_ne!(again_ids["not_pinned"], ids["not_pinned"]);

    // Overwriting: the same outer map, new inner maps in its declared slots.
    let (over, over_ids) = load_json(
        "pinning.bpf.o",
        &["--reuse", "overwrite", "--pin-root", &root],
    );
    assert_eq!(over_ids["pinned_outer"], ids["pinned_outer"]);
    assert!(over.get("maps").get("pinned_outer").get("reused").bool());
    assert_ne!(over_ids["pin_in0"], ids["pin_in0"]);
    assert!(!over.get("maps").get("pin_in0").get("reused").bool());
    assert_eq!(
        outer.lookup(&0u32).unwrap().map(MapId::get),
        Some(over_ids["pin_in0"])
    );
    assert_eq!(
        outer.lookup(&2u32).unwrap().map(MapId::get),
        Some(over_ids["pin_in2"])
    );

    // The text says what is pinned and what goes.
    let text = bpfmaps(&["load", &fx("pinning.bpf.o"), "--pin-root", &root])
        .ok()
        .stdout;
    assert!(
        text.starts_with("pinning.bpf.o: 1 map created, 4 reused"),
        "{text}"
    );
    assert!(
        text.contains(&format!("[reused: found pinned at {root}/pinned_outer]")),
        "{text}"
    );
    assert!(
        text.ends_with(
            "Not pinned, so gone when bpfmaps exits: not_pinned. The pinned maps (and the inner \
             maps they hold) stay.\n"
        ),
        "{text}"
    );
}

#[test]
fn load_a_legacy_iproute2_object_with_a_pin_root() {
    require_kernel!();
    let fs = TempBpffs::new("cli-iproute2");
    let root = fs.path().to_str().unwrap().to_owned();
    let (doc, ids) = load_json("legacy_iproute2.bpf.o", &["--pin-root", &root]);
    let outer = doc.get("maps").get("elf_outer");
    assert_eq!(outer.get("pin_path").str(), "tc/globals/elf_outer");
    assert_eq!(
        pinned_id(&fs.path().join("tc/globals/elf_outer")),
        ids["elf_outer"]
    );
    assert_eq!(
        slots_of(outer.get("slots")),
        BTreeMap::from([(hex(&0u32.to_ne_bytes()), "elf_inner".to_owned())])
    );
    let text = bpfmaps(&["load", &fx("legacy_iproute2.bpf.o"), "--pin-root", &root])
        .ok()
        .stdout;
    assert!(
        text.contains(&format!(
            "[reused: found pinned at {root}/tc/globals/elf_outer]"
        )),
        "{text}"
    );
}

#[test]
fn load_refuses_a_big_endian_object_before_the_kernel() {
    let path = fx("big_endian.bpf.o");
    let run = bpfmaps(&["load", &path]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "bpfmaps: {path}: wrong byte order for this host: the object is big-endian, this \
             host is little-endian\n"
        )
    );
    let run = bpfmaps(&["load", &path, "--json"]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc.get("outcome").str(), "parse_error");
    assert!(doc.get("error").get("errno").is_null());
    assert!(doc
        .get("error")
        .get("message")
        .str()
        .contains("wrong byte order"));
    let object = BpfObject::open(fixture("big_endian.bpf.o")).unwrap();
    for def in object.maps() {
        let map = doc.get("maps").get(&def.name);
        check_definition(map, def, "big_endian.bpf.o");
        assert!(!map.has("kernel"));
    }
}

#[test]
fn load_errors_after_the_parse_are_load_errors_with_the_errno() {
    require_kernel!();
    let path = fx("pinning.bpf.o");
    // A pin root that does not exist: ENOENT, and nothing is created.
    let dir = TempDir::new("noroot");
    let missing = dir.0.join("nowhere");
    let run = bpfmaps(&[
        "load",
        &path,
        "--json",
        "--pin-root",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc.get("outcome").str(), "load_error");
    assert_eq!(doc.get("error").get("errno").str(), "ENOENT");
    assert!(doc.get("maps").get("pinned_outer").has("pin_path"));
    assert!(!doc.get("maps").get("pinned_outer").has("kernel"));
    assert_eq!(
        run.stderr,
        format!(
            "bpfmaps: cannot use the pin root given with --pin-root: {}: No such file or \
             directory (os error 2)\n",
            missing.display()
        )
    );

    // A pin root that is not bpffs.
    let run = bpfmaps(&[
        "load",
        &path,
        "--json",
        "--pin-root",
        dir.0.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc.get("outcome").str(), "load_error");
    assert!(doc.get("error").get("errno").is_null());
    assert!(doc
        .get("error")
        .get("message")
        .str()
        .contains("not on a bpffs mount"));

    // A pin that does not match the object's map.
    let fs = TempBpffs::new("cli-mismatch");
    let squatter = Map::create(&MapSpec::new(MapType::ARRAY, 4, 8, 8)).unwrap();
    squatter.pin(fs.path().join("pinned_hash")).unwrap();
    let run = bpfmaps(&[
        "load",
        &path,
        "--json",
        "--pin-root",
        fs.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc.get("outcome").str(), "load_error");
    let message = doc.get("error").get("message").str();
    assert!(
        message.contains("map 'pinned_hash': the map pinned at"),
        "{message}"
    );
    assert!(
        message.contains("type is array there, hash in the object"),
        "{message}"
    );
    assert!(run.stderr.contains(message), "{}", run.stderr);
    // All-or-nothing: the other map asking for a pin was not pinned.
    assert!(!fs.path().join("pinned_outer").exists());
}

/// Runs `sh -c SCRIPT` in a private mount namespace (so mounting /sys/fs/bpf there touches
/// nothing outside); `None` if `unshare` is not available.
fn in_private_mount_ns(script: &str) -> Option<(i32, String, String)> {
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn the_default_pin_root_is_mounted_only_when_the_object_pins() {
    require_kernel!();
    let bin = env!("CARGO_BIN_EXE_bpfmaps");
    let probe = "stat -f -c %T /sys/fs/bpf";
    let Some((_, before, _)) = in_private_mount_ns(probe) else {
        eprintln!("skipped: no unshare(1) here");
        return;
    };
    // An object that pins nothing leaves /sys/fs/bpf as it is.
    let (code, out, err) = in_private_mount_ns(&format!(
        "{bin} load {} >/dev/null && {probe}",
        fx("seed_devmap.bpf.o")
    ))
    .unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, before);
    // One that pins gets a bpffs there (in the private namespace only) and its pins in it.
    let (code, out, err) = in_private_mount_ns(&format!(
        "{bin} load --json {} && {probe} && ls /sys/fs/bpf",
        fx("pinning.bpf.o")
    ))
    .unwrap();
    assert_eq!(code, 0, "{err}");
    if before.trim() != "bpf_fs" {
        assert!(err.contains("mounted a bpffs at /sys/fs/bpf"), "{err}");
    }
    let (doc_text, rest) = out.split_at(out.rfind("}\n").unwrap() + 2);
    let doc = json::parse(doc_text).unwrap();
    assert_eq!(doc.get("outcome").str(), "ok");
    let mut rest = rest.lines();
    assert_eq!(rest.next(), Some("bpf_fs"));
    let listed: Vec<&str> = rest.collect();
    assert!(
        listed.contains(&"pinned_outer") && listed.contains(&"pinned_hash"),
        "{listed:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// list and dump: on maps made here through the library.

#[test]
fn list_shows_a_map_made_here() {
    require_kernel!();
    let map = Map::create(
        &MapSpec::new(MapType::LRU_HASH, 8, 16, 32)
            .with_name("cli_list_me")
            .unwrap(),
    )
    .unwrap();
    let id = map.id().get();
    let run = bpfmaps(&["list"]).ok();
    let mut lines = run.stdout.lines();
    assert!(
        lines.next().unwrap().trim_start().starts_with("ID  TYPE"),
        "{}",
        run.stdout
    );
    let line = lines
        .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("id {id} in {}", run.stdout));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        words,
        [
            &id.to_string(),
            "lru_hash",
            "cli_list_me",
            "8",
            "16",
            "32",
            "0x0"
        ]
    );

    let doc = bpfmaps(&["list", "--json"]).ok().json();
    let entry = doc
        .arr()
        .iter()
        .find(|m| m.get("id").u32() == id)
        .expect("the map is listed");
    assert_eq!(entry.get("name").str(), "cli_list_me");
    assert_eq!(entry.get("type").str(), "lru_hash");
    assert_eq!(entry.get("key_size").u32(), 8);
    assert_eq!(entry.get("value_size").u32(), 16);
    assert_eq!(entry.get("max_entries").u32(), 32);
    assert_eq!(entry.get("map_flags").u32(), 0);
    // Ids come in increasing order.
    let ids: Vec<u32> = doc.arr().iter().map(|m| m.get("id").u32()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn dump_a_hash_with_known_entries() {
    require_kernel!();
    let map = Map::create(
        &MapSpec::new(MapType::HASH, 4, 8, 16)
            .with_name("cli_dump_hash")
            .unwrap(),
    )
    .unwrap();
    let entries: BTreeMap<u32, u64> = [(1, 10), (2, 0x2000), (70000, u64::MAX)].into();
    for (k, v) in &entries {
        map.put(k, v, UpdateFlags::ANY).unwrap();
    }
    let id = map.id().to_string();
    let run = bpfmaps(&["dump", &id]).ok();
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.remove(0),
        format!("map id {id} 'cli_dump_hash'  hash  key 4  value 8  max_entries 16  flags 0x0")
    );
    assert_eq!(lines.pop(), Some("3 entries"));
    let mut got: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    got.sort();
    let mut want: Vec<String> = entries
        .iter()
        .map(|(k, v)| {
            format!(
                "key: {}  value: {}",
                spaced(&k.to_ne_bytes()),
                spaced(&v.to_ne_bytes())
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want);

    let doc = bpfmaps(&["dump", &id, "--json"]).ok().json();
    assert_eq!(doc.get("id").int(), i128::from(map.id().get()));
    assert_eq!(doc.get("name").str(), "cli_dump_hash");
    assert_eq!(doc.get("type").str(), "hash");
    assert_eq!(doc.get("count").int(), 3);
    let got: BTreeMap<String, String> = doc
        .get("entries")
        .arr()
        .iter()
        .map(|e| {
            (
                e.get("key").str().to_owned(),
                e.get("value").str().to_owned(),
            )
        })
        .collect();
    let want: BTreeMap<String, String> = entries
        .iter()
        .map(|(k, v)| (hex(&k.to_ne_bytes()), hex(&v.to_ne_bytes())))
        .collect();
    assert_eq!(got, want);
    // The depth does not hide a plain map's own entries.
    let shallow = bpfmaps(&["dump", &id, "--depth", "0"]).ok();
    assert_eq!(shallow.stdout, run.stdout);
}

#[test]
fn dump_an_outer_map_as_a_tree_of_slots_and_inner_maps() {
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(4)
            .with_name("cli_dump_outer")
            .unwrap(),
        &MapSpec::new(MapType::HASH, 4, 4, 8),
    )
    .unwrap();
    let a = outer.new_inner("cli_inner_a").unwrap();
    a.put(&7u32, &70u32, UpdateFlags::ANY).unwrap();
    let b = outer.new_inner("cli_inner_b").unwrap();
    b.put(&8u32, &80u32, UpdateFlags::ANY).unwrap();
    b.put(&9u32, &90u32, UpdateFlags::ANY).unwrap();
    outer.insert(&1u32, &a).unwrap();
    outer.insert(&3u32, &b).unwrap();
    let (a_id, b_id) = (a.id(), b.id());
    drop((a, b));
    let id = outer.id().to_string();

    let run = bpfmaps(&["dump", &id]).ok();
    let k = |n: u32| spaced(&n.to_ne_bytes());
    let want = format!(
        "map id {id} 'cli_dump_outer'  array_of_maps  key 4  value 4  max_entries 4  flags 0x0\n\
         slot 1 (key {}) → id {a_id} 'cli_inner_a'  hash  key 4  value 4  max_entries 8  flags 0x0\n\
         \x20   key: {}  value: {}\n\
         \x20   1 entry\n\
         slot 3 (key {}) → id {b_id} 'cli_inner_b'  hash  key 4  value 4  max_entries 8  flags 0x0\n",
        k(1),
        k(7),
        k(70),
        k(3)
    );
    assert!(run.stdout.starts_with(&want), "{}\n---\n{want}", run.stdout);
    assert!(run
        .stdout
        .contains(&format!("    key: {}  value: {}\n", k(8), k(80))));
    assert!(run
        .stdout
        .contains(&format!("    key: {}  value: {}\n", k(9), k(90))));
    assert!(
        run.stdout.ends_with("    2 entries\n2 slots filled\n"),
        "{}",
        run.stdout
    );

    let shallow = bpfmaps(&["dump", &id, "--depth", "0"]).ok();
    assert_eq!(
        shallow.stdout,
        format!(
            "map id {id} 'cli_dump_outer'  array_of_maps  key 4  value 4  max_entries 4  flags 0x0\n\
             slot 1 (key {}) → map id {a_id}\n\
             slot 3 (key {}) → map id {b_id}\n\
             2 slots filled\n",
            k(1),
            k(3)
        )
    );

    let doc = bpfmaps(&["dump", "--json", &id]).ok().json();
    assert_eq!(doc.get("type").str(), "array_of_maps");
    assert_eq!(doc.get("count").int(), 2);
    let slots = doc.get("slots").arr();
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[0].get("key").str(), hex(&1u32.to_ne_bytes()));
    assert_eq!(slots[0].get("id").u32(), a_id.get());
    let inner = slots[0].get("map");
    assert_eq!(inner.get("id").u32(), a_id.get());
    assert_eq!(inner.get("name").str(), "cli_inner_a");
    let entries = inner.get("entries").arr();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].get("key").str(), hex(&7u32.to_ne_bytes()));
    assert_eq!(entries[0].get("value").str(), hex(&70u32.to_ne_bytes()));
    assert_eq!(slots[1].get("map").get("count").int(), 2);

    let doc = bpfmaps(&["dump", "--json", "--depth", "0", &id])
        .ok()
        .json();
    for slot in doc.get("slots").arr() {
        assert!(!slot.has("map"), "depth 0 opens no inner map");
    }
    assert_eq!(doc.get("slots").arr()[1].get("id").u32(), b_id.get());

    // The same through a pin.
    let fs = TempBpffs::new("cli-dump");
    let pin = fs.path().join("outer");
    outer.as_map().pin(&pin).unwrap();
    let by_pin = bpfmaps(&["dump", pin.to_str().unwrap()]).ok();
    assert_eq!(by_pin.stdout, run.stdout);
}

#[test]
fn dump_a_hash_of_maps_with_a_wide_key() {
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::new(MapType::HASH_OF_MAPS, 8, 4, 4)
            .with_name("cli_hom")
            .unwrap(),
        &MapSpec::new(MapType::ARRAY, 4, 4, 1),
    )
    .unwrap();
    let inner = outer.new_inner("cli_hom_in").unwrap();
    let key = 0x0102_0304_0506_0708u64;
    outer.insert(&key, &inner).unwrap();
    let run = bpfmaps(&["dump", &outer.id().to_string(), "--depth", "0"]).ok();
    assert!(
        run.stdout.contains(&format!(
            "key {} → map id {}\n",
            spaced(&key.to_ne_bytes()),
            inner.id()
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn dump_a_per_cpu_map_shows_one_value_per_cpu() {
    require_kernel!();
    let cpus = bpfmaps::possible_cpus().expect("/sys tells the CPU count");
    let map = Map::create(
        &MapSpec::new(MapType::PERCPU_ARRAY, 4, 4, 2)
            .with_name("cli_percpu")
            .unwrap(),
    )
    .unwrap();
    let values: Vec<u32> = (0..cpus as u32).map(|c| 100 + c).collect();
    map.put_per_cpu(&1u32, &values, UpdateFlags::ANY).unwrap();
    let id = map.id().to_string();
    let doc = bpfmaps(&["dump", &id, "--json"]).ok().json();
    let entries = doc.get("entries").arr();
    assert_eq!(entries.len(), 2);
    let one = &entries[1];
    assert_eq!(one.get("key").str(), hex(&1u32.to_ne_bytes()));
    let got: Vec<&str> = one.get("values").arr().iter().map(Json::str).collect();
    let want: Vec<String> = values.iter().map(|v| hex(&v.to_ne_bytes())).collect();
    assert_eq!(got, want);
    let text = bpfmaps(&["dump", &id]).ok().stdout;
    for (cpu, v) in values.iter().enumerate() {
        assert!(
            text.contains(&format!("\n  cpu {cpu}: {}\n", spaced(&v.to_ne_bytes()))),
            "{text}"
        );
    }
}

#[test]
fn dump_errors_and_keyless_maps() {
    require_kernel!();
    // No map has an id this high: ids are ints and cycle well below it.
    let run = bpfmaps(&["dump", "4000000000"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("no map has this id"), "{}", run.stderr);

    let dir = TempDir::new("dumpnopin");
    let run = bpfmaps(&["dump", dir.0.join("nothing").to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("BPF_OBJ_GET"), "{}", run.stderr);

    let queue = Map::create(
        &MapSpec::new(MapType::QUEUE, 0, 4, 4)
            .with_name("cli_queue")
            .unwrap(),
    )
    .unwrap();
    queue.put(&(), &5u32, UpdateFlags::ANY).unwrap();
    let run = bpfmaps(&["dump", &queue.id().to_string()]).ok();
    assert!(
        run.stdout
            .ends_with("(no keys: the entries of a queue map cannot be walked)\n"),
        "{}",
        run.stdout
    );
    let doc = bpfmaps(&["dump", "--json", &queue.id().to_string()])
        .ok()
        .json();
    assert!(doc.get("entries").arr().is_empty());
    assert!(doc.has("note"));
}

#[test]
fn dump_streams_a_large_array() {
    require_kernel!();
    let n = 20_000u32;
    let map = Map::create(
        &MapSpec::new(MapType::ARRAY, 4, 4, n)
            .with_name("cli_big")
            .unwrap(),
    )
    .unwrap();
    map.put(&(n - 1), &0xdead_beefu32, UpdateFlags::ANY)
        .unwrap();
    let run = bpfmaps(&["dump", &map.id().to_string()]).ok();
    assert_eq!(run.stdout.lines().count(), n as usize + 2);
    assert!(run.stdout.ends_with(&format!(
        "key: {}  value: {}\n{n} entries\n",
        spaced(&(n - 1).to_ne_bytes()),
        spaced(&0xdead_beefu32.to_ne_bytes())
    )));
    // A reader that stops early ends the dump quietly.
    let out = Command::new("sh")
        .args([
            "-c",
            &format!(
                "{} dump {} | head -n 2",
                env!("CARGO_BIN_EXE_bpfmaps"),
                map.id()
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Map types whose values user space cannot read: `dump` lists their keys with a note, in
/// text and in JSON, and exits 0 — also when they are empty.
#[test]
fn dump_lists_keys_only_where_values_are_not_readable() {
    require_kernel!();
    // (type, value size, the errno the kernel gives a lookup, how many keys a walk finds)
    let cases = [
        (MapType::PERF_EVENT_ARRAY, 4, "ENOTSUPP", 3),
        (MapType::CGROUP_ARRAY, 4, "ENOTSUPP", 3),
        (MapType::XSKMAP, 4, "EOPNOTSUPP", 3),
        // A socket map copies out an 8-byte cookie: with 4-byte values, ENOSPC.
        (MapType::SOCKMAP, 4, "ENOSPC", 3),
    ];
    let mut made = 0;
    for (map_type, value_size, errno, keys) in cases {
        let name = format!("cli_{}", map_type.name().unwrap());
        let spec = MapSpec::new(map_type, 4, value_size, 3)
            .with_name_truncated(&name)
            .unwrap();
        let map = match Map::create(&spec) {
            Ok(map) => map,
            // Built without XDP sockets, say: nothing to dump.
            Err(e) if e.errno() == Some(bpfmaps::Errno::EINVAL) => {
                eprintln!("{map_type}: cannot be created here: {e}");
                continue;
            }
            Err(e) => panic!("{map_type}: {e}"),
        };
        made += 1;
        let id = map.id().to_string();
        let what = format!("{map_type}");
        let run = bpfmaps(&["dump", &id]).ok();
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert!(
            lines[0].starts_with(&format!("map id {id} ")),
            "{what}: {}",
            run.stdout
        );
        let listed: Vec<String> = (0..keys as u32)
            .map(|k| format!("key: {}", spaced(&k.to_ne_bytes())))
            .collect();
        assert_eq!(&lines[1..lines.len() - 1], listed, "{what}: {}", run.stdout);
        let last = lines[lines.len() - 1];
        assert!(
            last.starts_with(&format!(
                "{keys} keys (values are not readable from user space"
            )) && last.contains(errno)
                && last.contains(&what),
            "{what}: {last}"
        );
        assert!(run.stderr.is_empty(), "{what}: {}", run.stderr);

        let run = bpfmaps(&["dump", &id, "--json"]).ok();
        let doc = run.json();
        assert_eq!(doc.get("type").str(), what);
        assert!(!doc.has("error"), "{what}: {}", run.stdout);
        let entries = doc.get("entries").arr();
        let got: Vec<&str> = entries.iter().map(|e| e.get("key").str()).collect();
        let want: Vec<String> = (0..keys as u32).map(|k| hex(&k.to_ne_bytes())).collect();
        assert_eq!(got, want, "{what}");
        for e in entries {
            assert_eq!(e.obj().len(), 1, "{what}: keys only: {e:?}");
        }
        assert_eq!(doc.get("count").int(), i128::from(keys));
        let note = doc.get("note").str();
        assert!(note.contains(errno), "{what}: {note}");
    }
    assert!(
        made >= 3,
        "perf_event_array, cgroup_array and sockmap exist everywhere"
    );

    // An empty socket hash has no key to look up: an ordinary empty dump.
    let hash = Map::create(
        &MapSpec::new(MapType::SOCKHASH, 4, 4, 4)
            .with_name("cli_sockhash")
            .unwrap(),
    )
    .unwrap();
    let run = bpfmaps(&["dump", &hash.id().to_string()]).ok();
    assert!(run.stdout.ends_with("\n0 entries\n"), "{}", run.stdout);
    let doc = bpfmaps(&["dump", "--json", &hash.id().to_string()])
        .ok()
        .json();
    assert!(doc.get("entries").arr().is_empty());
    assert_eq!(doc.get("count").int(), 0);
}

/// An error in the middle of a JSON dump still leaves one valid document on stdout: what was
/// written, closed, and an `"error"` member; the exit status is 1. The error is made by a
/// small fd limit: with one fd too few, opening an inner map (at depth 1) fails with EMFILE in
/// the middle of the outer map's slots.
#[test]
fn dump_json_cut_short_by_an_error_is_still_valid() {
    require_kernel!();
    let outer = OuterMap::create(
        &MapSpec::array_of_maps(4)
            .with_name("cli_cut_outer")
            .unwrap(),
        &MapSpec::new(MapType::HASH, 4, 4, 4),
    )
    .unwrap();
    for slot in [0u32, 2] {
        let inner = outer.new_inner("cli_cut_inner").unwrap();
        inner.put(&slot, &(slot + 10), UpdateFlags::ANY).unwrap();
        outer.insert(&slot, &inner).unwrap();
    }
    let id = outer.id().to_string();
    let mut cut_short = 0;
    let mut whole = None;
    for limit in 3..40 {
        let out = Command::new("sh")
            .args([
                "-c",
                &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
                env!("CARGO_BIN_EXE_bpfmaps"),
                "dump",
                "--json",
                &id,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code().expect("exited"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        run.no_panic();
        if run.code == 0 {
            whole = Some(run.json());
            break;
        }
        // Too few for the dynamic loader even to start the binary.
        if run.code == 127 && run.stderr.contains("error while loading shared libraries") {
            continue;
        }
        assert_eq!(run.code, 1, "limit {limit}: {}", run.stderr);
        // Before the document begins (opening the outer map), nothing is written.
        if run.stdout.is_empty() {
            continue;
        }
        let doc = run.json();
        let error = doc.get("error");
        assert_eq!(
            error.get("errno").str(),
            "EMFILE",
            "limit {limit}: {}",
            run.stdout
        );
        let message = error.get("message").str();
        assert!(
            run.stderr.contains(message),
            "limit {limit}: {}\n{message}",
            run.stderr
        );
        assert_eq!(doc.get("id").u32(), outer.id().get());
        assert!(!doc.has("count"), "the walk did not end: {}", run.stdout);
        cut_short += 1;
    }
    assert!(cut_short > 0, "no fd limit cut the dump short");
    let whole = whole.expect("a limit under 40 fds is enough");
    assert!(!whole.has("error"));
    assert_eq!(whole.get("count").int(), 2);
}

#[test]
fn dump_of_an_empty_argument_or_a_path_that_is_not_a_pin() {
    require_kernel!();
    let run = bpfmaps(&["dump", ""]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("ID|PINNED_PATH is empty"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    let dir = TempDir::new("notapin");
    let file = dir.0.join("file");
    std::fs::write(&file, b"x").unwrap();
    for (path, what) in [
        (
            dir.0.as_path(),
            "it is a directory, and not on a bpffs mount",
        ),
        (file.as_path(), "it is not on a bpffs mount"),
    ] {
        let path = path.to_str().unwrap();
        for json in [false, true] {
            let mut args = vec!["dump", path];
            if json {
                args.push("--json");
            }
            let run = bpfmaps(&args);
            assert_eq!(run.code, 1, "{args:?}");
            assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
            assert!(
                run.stderr
                    .contains(&format!("{path} is not a pinned BPF object: {what}")),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    // A directory on a bpffs is no pin either.
    let fs = TempBpffs::new("cli-notapin");
    let run = bpfmaps(&["dump", fs.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("is not a pinned BPF object: it is a directory\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_option_value_that_looks_like_an_option_is_a_usage_error() {
    let seed = fx("seed_devmap.bpf.o");
    for (args, option) in [
        (vec!["load", &seed, "--pin-root", "--json"], "--pin-root"),
        (vec!["load", &seed, "--reuse", "--json"], "--reuse"),
        (vec!["load", &seed, "--template", "-x"], "--template"),
        (vec!["dump", "1", "--depth", "--json"], "--depth"),
    ] {
        let run = bpfmaps(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr
                .contains(&format!("{option} needs a value, and '")),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("write {option}=")),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Joined with '=', a value may start with '-': the loader is told of a template for a map
    // named '-x' (and refuses it, for the object has none).
    let run = bpfmaps(&["inspect", &seed, "--template=-x=hash:4:4:4"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("'-x'") && run.stderr.contains("--template"),
        "{}",
        run.stderr
    );
}

#[test]
fn inspect_and_load_refuse_a_fifo_without_waiting_for_a_writer() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("pipe.bpf.o");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    for cmd in ["inspect", "load"] {
        for json in [false, true] {
            let mut args = vec![cmd, fifo];
            if json {
                args.push("--json");
            }
            // With a timeout, so that a regression fails instead of hanging the suite.
            let run = bpfmaps_timeout(&args, std::time::Duration::from_secs(20));
            assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
            assert!(
                run.stderr
                    .contains(&format!("{fifo}: not a regular file but a FIFO")),
                "{args:?}: {}",
                run.stderr
            );
            if json {
                let doc = run.json();
                assert_eq!(doc.get("outcome").str(), "parse_error");
                assert!(doc.get("error").get("errno").is_null());
            } else {
                assert!(run.stdout.is_empty());
            }
        }
    }
}

/// Runs bpfmaps, killing it if it runs longer than `limit` (and failing the test).
fn bpfmaps_timeout(args: &[&str], limit: std::time::Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpfmaps"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bpfmaps");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{args:?}: still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    run.no_panic();
    run
}

#[test]
fn load_a_legacy_libbpf_object_with_a_template_from_the_command_line() {
    require_kernel!();
    let legacy = fx("legacy_libbpf.bpf.o");
    // Without a template: refused before the kernel, with the option to give.
    for cmd in ["inspect", "load"] {
        let run = bpfmaps(&[cmd, &legacy]);
        assert_eq!(run.code, 1, "{cmd}");
        assert!(
            run.stderr
                .contains("--template legacy_outer=TYPE:KEY:VALUE:MAX_ENTRIES"),
            "{cmd}: {}",
            run.stderr
        );
        let doc = bpfmaps(&[cmd, &legacy, "--json"]).json();
        assert_eq!(doc.get("outcome").str(), "parse_error");
        assert!(doc
            .get("error")
            .get("message")
            .str()
            .contains("--template legacy_outer="));
    }
    let template = "--template=legacy_outer=hash:4:8:16";
    let run = bpfmaps(&["inspect", &legacy, template]).ok();
    assert!(
        run.stdout.contains(
            "inner template given with --template: hash  key 4  value 8  max_entries 16\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("The loader accepts this object.\n"));

    let (doc, ids) = load_json(
        "legacy_libbpf.bpf.o",
        &["--template", "legacy_outer=hash:4:8:16"],
    );
    assert_eq!(doc.get("outcome").str(), "ok");
    assert_eq!(ids.len(), 3, "{ids:?}");
    let outer = doc.get("maps").get("legacy_outer");
    assert_eq!(outer.get("kernel").get("type").str(), "array_of_maps");
    assert!(outer.get("slots").obj().is_empty());

    // The template reaches the loader: one that is itself a map of maps is refused…
    let run = bpfmaps(&[
        "load",
        &legacy,
        "--template",
        "legacy_outer=array_of_maps:4:4:1",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("legacy_outer"), "{}", run.stderr);
    // …as is one for a map that is not a map of maps, naming the option.
    let run = bpfmaps(&["load", &legacy, "--template", "legacy_hash=hash:4:8:16"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("(LoadOptions::template is --template on the command line)"),
        "{}",
        run.stderr
    );

    // On an object with declared slots, a template that fits them still fills them; one that
    // does not is refused.
    let hom = fx("hash_of_maps.bpf.o");
    let (doc, _) = load_json(
        "hash_of_maps.bpf.o",
        &["--template", "outer_hash=lru_hash:8:8:64"],
    );
    let slots = slots_of(doc.get("maps").get("outer_hash").get("slots"));
    assert_eq!(slots.len(), 2, "{slots:?}");
    let run = bpfmaps(&["load", &hom, "--template", "outer_hash=hash:8:8:64"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("slot 3"), "{}", run.stderr);

    for (bad, why) in [
        ("legacy_outer", "no '='"),
        ("=hash:4:4:4", "name is empty"),
        ("legacy_outer=HASH:4:4:4", "'HASH' is not a map type"),
        ("legacy_outer=hash:4:4", "3 field(s)"),
        ("legacy_outer=hash:4:x:4", "VALUE 'x' is not a number"),
    ] {
        let run = bpfmaps(&["load", &legacy, "--template", bad]);
        assert_eq!(run.code, 2, "{bad}");
        assert!(run.stderr.contains(why), "{bad}: {}", run.stderr);
    }
    let run = bpfmaps(&[
        "load",
        &legacy,
        "--template",
        "legacy_outer=hash:4:4:4",
        "--template",
        "legacy_outer=hash:4:4:8",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("given twice for map 'legacy_outer'"));
}
