//! The `bpfmaps` binary built statically runs in an empty chroot that holds only itself, one
//! fixture and a bpffs: no loader, no libc, no /proc, no /sys. That is the "scratch container"
//! the CLI is meant for.
//!
//! The build runs its own `cargo build` with its own target directory (`target/static`), so it
//! does not wait on the lock of the cargo running this test. From cold it takes well under a
//! minute here.
#![cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]

mod common;
#[path = "cli/json.rs"]
mod json;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use bpfmaps::{Map, MapSpec, MapType, OuterMap, UpdateFlags};

const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Builds the binary with a static C runtime; returns its path.
fn build_static() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = manifest.join("target/static");
    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "--bin",
            "bpfmaps",
            "--target",
            TARGET,
        ])
        .current_dir(manifest)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        // Flags of the cargo running this test must not leak into the static build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .stdin(Stdio::null())
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "static build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("static build: {:.1?}", started.elapsed());
    target_dir.join(TARGET).join("release/bpfmaps")
}

/// The binary needs no program interpreter and no shared library.
fn assert_static(bin: &Path) {
    use object::read::elf::{Dyn, ElfFile64, ProgramHeader};
    let data = std::fs::read(bin).expect("read the binary");
    let elf = ElfFile64::<object::Endianness>::parse(&*data).expect("an ELF file");
    let endian = elf.endian();
    for ph in elf.elf_program_headers() {
        let interp = ph.interpreter(endian, &*data).expect("PT_INTERP readable");
        assert!(
            interp.is_none(),
            "the binary asks for an interpreter: {interp:?}"
        );
        if let Some(dynamic) = ph.dynamic(endian, &*data).expect("PT_DYNAMIC readable") {
            for entry in dynamic {
                assert_ne!(
                    entry.tag(endian),
                    object::elf::DT_NEEDED,
                    "the binary needs a shared library"
                );
            }
        }
    }
}

/// A directory to chroot into, with a bpffs on `bpf/`; unmounted and removed on drop, even
/// when the test fails.
struct Jail {
    dir: PathBuf,
    mounted: bool,
}

impl Jail {
    fn new() -> Jail {
        let dir = std::env::temp_dir().join(format!("bpfmaps-chroot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bpf")).expect("create the chroot");
        let mut jail = Jail {
            dir,
            mounted: false,
        };
        bpfmaps::pin::mount_bpffs(jail.dir.join("bpf")).expect("mount bpffs in the chroot");
        jail.mounted = true;
        jail
    }

    /// Runs `args` inside the chroot.
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(chroot_path())
            .arg(&self.dir)
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .expect("run chroot");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains("panicked"), "{args:?}: {text}");
        }
        out
    }
}

impl Drop for Jail {
    fn drop(&mut self) {
        if self.mounted {
            let _ = bpfmaps::pin::unmount(self.dir.join("bpf"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where chroot(8) is: on the PATH, or in /usr/sbin (not on every root's PATH).
fn chroot_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join("chroot"))
        .find(|c| c.is_file())
        .expect("chroot(8) is installed")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn a_static_binary_loads_and_dumps_in_an_empty_chroot() {
    require_kernel!();
    let bin = build_static();
    assert_static(&bin);

    let jail = Jail::new();
    std::fs::copy(&bin, jail.dir.join("bpfmaps")).expect("copy the binary");
    std::fs::copy(
        common::fixture("pinning.bpf.o"),
        jail.dir.join("fixture.bpf.o"),
    )
    .expect("copy the fixture");
    let mut inside: Vec<String> = std::fs::read_dir(&jail.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(
        inside,
        ["bpf", "bpfmaps", "fixture.bpf.o"],
        "nothing else in the chroot"
    );

    // load, pinning under the chroot's bpffs.
    let out = jail.run(&[
        "/bpfmaps",
        "load",
        "/fixture.bpf.o",
        "--pin-root",
        "/bpf",
        "--json",
    ]);
    assert!(out.status.success(), "load: {}", text(&out.stderr));
    let doc = json::parse(&text(&out.stdout)).expect("load's JSON");
    assert_eq!(doc.get("object").str(), "fixture.bpf.o");
    assert_eq!(doc.get("outcome").str(), "ok");
    let maps = doc.get("maps");
    let id = |name: &str| maps.get(name).get("kernel").get("id").u32();
    // Seen from outside, through the library: the pins are the maps the binary reported.
    let outer = OuterMap::from_pin(jail.dir.join("bpf/pinned_outer")).expect("pinned outer map");
    assert_eq!(outer.id().get(), id("pinned_outer"));
    assert_eq!(
        outer.lookup(&0u32).unwrap().map(|i| i.get()),
        Some(id("pin_in0"))
    );
    assert_eq!(
        outer.lookup(&2u32).unwrap().map(|i| i.get()),
        Some(id("pin_in2"))
    );
    let hash = Map::from_pin(jail.dir.join("bpf/pinned_hash")).expect("pinned hash");
    assert_eq!(hash.id().get(), id("pinned_hash"));
    hash.put(&3u32, &33u64, UpdateFlags::ANY).unwrap();

    // dump of the pinned outer map: its slots and inner maps.
    let out = jail.run(&["/bpfmaps", "dump", "/bpf/pinned_outer"]);
    assert!(out.status.success(), "dump: {}", text(&out.stderr));
    let dump = text(&out.stdout);
    let slot0 = format!(
        "slot 0 (key 00 00 00 00) → id {} 'pin_in0'  array  key 4  value 4  max_entries 2",
        id("pin_in0")
    );
    assert!(dump.contains(&slot0), "{dump}");
    assert!(dump.ends_with("2 slots filled\n"), "{dump}");
    let out = jail.run(&["/bpfmaps", "dump", "--json", "/bpf/pinned_outer"]);
    assert!(out.status.success(), "dump --json: {}", text(&out.stderr));
    let doc = json::parse(&text(&out.stdout)).expect("dump's JSON");
    let ids: Vec<u32> = doc
        .get("slots")
        .arr()
        .iter()
        .map(|s| s.get("id").u32())
        .collect();
    assert_eq!(ids, [id("pin_in0"), id("pin_in2")]);

    // dump of the pinned hash, by pin and by id.
    let by_pin = jail.run(&["/bpfmaps", "dump", "/bpf/pinned_hash"]);
    assert!(by_pin.status.success(), "{}", text(&by_pin.stderr));
    let want = format!(
        "key: {}  value: {}\n1 entry\n",
        spaced(&3u32.to_ne_bytes()),
        spaced(&33u64.to_ne_bytes())
    );
    assert!(
        text(&by_pin.stdout).ends_with(&want),
        "{}",
        text(&by_pin.stdout)
    );
    let by_id = jail.run(&["/bpfmaps", "dump", &id("pinned_hash").to_string()]);
    assert_eq!(by_id.stdout, by_pin.stdout);

    // list walks the kernel's maps without /proc.
    let out = jail.run(&["/bpfmaps", "list"]);
    assert!(out.status.success(), "list: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(" pinned_outer "),
        "{}",
        text(&out.stdout)
    );

    // Without /sys the number of CPUs is unknown: a per-CPU map cannot be dumped, and says why.
    let percpu = Map::create(&MapSpec::new(MapType::PERCPU_ARRAY, 4, 8, 1)).unwrap();
    percpu.pin(jail.dir.join("bpf/percpu")).unwrap();
    let out = jail.run(&["/bpfmaps", "dump", "/bpf/percpu"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("/sys/devices/system/cpu/possible could not be read"),
        "{err}"
    );

    // Without --pin-root, the default /sys/fs/bpf cannot be mounted here: a clear load error.
    let out = jail.run(&["/bpfmaps", "load", "/fixture.bpf.o", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json::parse(&text(&out.stdout)).expect("a failed load's JSON");
    assert_eq!(doc.get("outcome").str(), "load_error");
    assert_eq!(doc.get("error").get("errno").str(), "ENOENT");
    let err = text(&out.stderr);
    assert!(err.contains("cannot mount a bpffs at /sys/fs/bpf"), "{err}");
    assert!(err.contains("--pin-root"), "{err}");
}

fn spaced(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
