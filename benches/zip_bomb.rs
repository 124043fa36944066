//! Memory while checking a zip bomb (a benchmark: it prints figures and asserts nothing).
//!
//! A small artifact that inflates to 5.7 GiB: three entries of 1.9 GiB of zeros, deflated
//! to a few megabytes. relplan downloads artifacts to disk and checks and extracts them
//! streaming ([`relplan::github::zip_check::extract_checked`]), so its memory must stay
//! bounded whatever the archive inflates to. Each case runs in a fresh child process
//! (this binary, with `--check`), which reports its peak resident memory (`VmHWM` in
//! `/proc/self/status`, Linux) after the check:
//!
//! 1. the bomb with honest sizes (refused from the sizes it declares, nothing inflated);
//! 2. the bomb declaring 1 KiB per entry (inflated until the 4 GiB total cap is crossed);
//! 3. an archive of one 1.9 GiB entry, accepted and extracted whole.
//!
//! The archives are built once under `target/zip-bomb/` (about 6 MB each); the extraction
//! directory is removed after each case. Run: `cargo bench --bench zip_bomb`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use relplan::github::zip_check::{ZipLimits, extract_checked};

const GIB: u64 = 1 << 30;
/// 1.9 GiB.
const ENTRY_BYTES: u64 = GIB * 19 / 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--check") {
        check(Path::new(&args[at + 1]), Path::new(&args[at + 2]));
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/zip-bomb");
    fs_err::create_dir_all(&dir).expect("target/zip-bomb");
    let honest = dir.join("bomb-honest.zip");
    let lying = dir.join("bomb-lying.zip");
    let single = dir.join("one-entry.zip");
    build(&honest, 3, None);
    build(&lying, 3, Some(1024));
    build(&single, 1, None);
    println!(
        "baseline (the child process doing nothing): {}",
        run(None, &dir)
    );
    for (label, archive) in [
        ("3 × 1.9 GiB, sizes declared", &honest),
        ("3 × 1.9 GiB, declaring 1 KiB each", &lying),
        ("1 × 1.9 GiB, accepted", &single),
    ] {
        let size = fs_err::metadata(archive).map_or(0, |m| m.len());
        println!(
            "{label} ({:.1} MB zipped): {}",
            size as f64 / 1e6,
            run(Some(archive), &dir)
        );
    }
}

/// Runs one check in a child process and returns what it printed.
fn run(archive: Option<&Path>, dir: &Path) -> String {
    let into = dir.join("extracted");
    let exe = std::env::current_exe().expect("this benchmark's path");
    let mut command = Command::new(exe);
    command.arg("--check");
    match archive {
        Some(archive) => command.arg(archive),
        None => command.arg("-"),
    };
    let out = command.arg(&into).output().expect("the child runs");
    let _ = fs_err::remove_dir_all(&into);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The child: checks `archive` (or nothing, for `-`) with the default limits and prints
/// the outcome and its peak memory.
fn check(archive: &Path, into: &Path) {
    let start = Instant::now();
    let outcome = if archive == Path::new("-") {
        "nothing checked".to_string()
    } else {
        match extract_checked(archive, into, ZipLimits::default()) {
            Ok(files) => {
                let bytes: u64 = files.iter().map(|f| f.size).sum();
                format!("accepted, {:.2} GiB extracted", bytes as f64 / GIB as f64)
            }
            Err(problem) => format!("refused: {problem}"),
        }
    };
    println!(
        "{outcome}; peak memory {} in {:.1} s",
        peak_memory(),
        start.elapsed().as_secs_f64()
    );
}

/// `VmHWM` of this process.
fn peak_memory() -> String {
    let mut status = String::new();
    if fs_err::File::open("/proc/self/status")
        .and_then(|mut f| f.read_to_string(&mut status))
        .is_err()
    {
        return "unknown (no /proc)".into();
    }
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map_or("unknown".into(), |v| v.trim().replace("kB", "KiB"))
}

/// Writes `entries` entries of [`ENTRY_BYTES`] zeros to `path` unless it exists; with
/// `declared`, every entry then claims that size instead.
fn build(path: &Path, entries: usize, declared: Option<u32>) {
    if path.exists() {
        return;
    }
    let partial = path.with_extension("partial");
    let file = fs_err::File::create(&partial).expect("a bomb file");
    let mut writer = zip::ZipWriter::new(file);
    let zeros = vec![0u8; 1 << 20];
    let options = zip::write::SimpleFileOptions::default()
        .compression_level(Some(9))
        .large_file(false);
    for index in 0..entries {
        writer
            .start_file(format!("part{index}.bin"), options)
            .expect("an entry");
        for _ in 0..ENTRY_BYTES / zeros.len() as u64 {
            writer.write_all(&zeros).expect("zeros");
        }
    }
    let mut file = writer.finish().expect("a finished zip");
    if let Some(declared) = declared {
        let offsets: Vec<(u64, u64)> = {
            let mut zip = zip::ZipArchive::new(fs_err::File::open(&partial).expect("the zip"))
                .expect("a readable zip");
            (0..zip.len())
                .map(|i| {
                    let entry = zip.by_index_raw(i).expect("an entry");
                    (entry.header_start(), entry.central_header_start())
                })
                .collect()
        };
        // The uncompressed size: offset 22 of a local header, 24 of a central record.
        for (local, central) in offsets {
            for at in [local + 22, central + 24] {
                file.seek(SeekFrom::Start(at)).expect("seek");
                file.write_all(&declared.to_le_bytes()).expect("patched");
            }
        }
    }
    file.sync_all().expect("synced");
    fs_err::rename(&partial, path).expect("renamed");
}
