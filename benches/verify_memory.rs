//! Peak memory of `relplan verify` as the asset grows (not a test: it prints figures and
//! asserts nothing about time). The release binary verifies a release holding one asset of
//! 1 MiB, 64 MiB and 1 GiB, read from a directory (a sparse file, so no disk is spent) and
//! downloaded from the fake GitHub of the tests (which generates the bytes as it sends
//! them), under `/usr/bin/time -f %M`; it prints the peak resident memory of each run and
//! its ratio to the 1 MiB run. Bounded memory means the ratio stays near 1 while the asset
//! grows a thousandfold.
//!
//! Run: `cargo bench --bench verify_memory` (needs `/usr/bin/time`; the GitHub runs write
//! each download to the temporary directory, up to 1 GiB at a time).

// The fake GitHub of the integration tests; this uses a part of it.
#[allow(dead_code)]
#[path = "../tests/fake_github/mod.rs"]
mod fake_github;

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use relplan::digest::sha256_of_reader;
use relplan::release_assets::{SHA256SUMS, sums_line};

use fake_github::{FakeGitHub, SECRET};

const MIB: u64 = 1 << 20;
const SIZES: [u64; 3] = [MIB, 64 * MIB, 1024 * MIB];
const COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// Peak resident memory (KiB) and wall time of `relplan args…`, which must pass.
fn measure(args: &[&str], env: &[(&str, &str)]) -> (u64, f64) {
    let start = Instant::now();
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", env!("CARGO_BIN_EXE_relplan")])
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("/usr/bin/time runs relplan");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "relplan {args:?} failed:\n{}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let peak = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("/usr/bin/time prints the peak in KiB");
    (peak, seconds)
}

/// A directory holding one sparse asset of `size` bytes and its SHA256SUMS.
fn directory_release(dir: &Path, size: u64) {
    let asset = dir.join("big.bin");
    File::create(&asset)
        .and_then(|f| f.set_len(size))
        .expect("a sparse file");
    let (sha256, _) = sha256_of_reader(File::open(&asset).expect("open")).expect("hashed");
    fs_err::write(dir.join(SHA256SUMS), sums_line(&sha256, "big.bin")).expect("written");
}

fn report(place: &str, runs: &[(u64, u64, f64)]) {
    let base = runs[0].1 as f64;
    for (size, peak, seconds) in runs {
        println!(
            "verify, {place}, one asset of {:>5} MiB: peak {:>6.1} MiB (x{:.2} of the 1 MiB run), {:.1} s, {:.0} MiB/s",
            size / MIB,
            *peak as f64 / 1024.0,
            *peak as f64 / base,
            seconds,
            (*size / MIB) as f64 / seconds
        );
    }
}

fn main() {
    if !Path::new("/usr/bin/time").exists() {
        println!("skipped: /usr/bin/time is not installed");
        return;
    }
    let mut runs = Vec::new();
    for size in SIZES {
        let dir = tempfile::tempdir().expect("a temporary directory");
        directory_release(dir.path(), size);
        let release = dir.path().to_str().expect("a UTF-8 path");
        let (peak, seconds) = measure(&["verify", release], &[]);
        runs.push((size, peak, seconds));
    }
    report("directory", &runs);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let fake = FakeGitHub::start().await;
        let mut runs = Vec::new();
        for (i, size) in SIZES.into_iter().enumerate() {
            let repo = format!("o/big{i}");
            let release = fake.publish_release(&repo, "v1", COMMIT, &[]);
            let sha256 = fake.add_generated_asset(release, "big.bin", size);
            fake.change_asset(release, SHA256SUMS, |a| {
                a.bytes = sums_line(&sha256, "big.bin").into_bytes();
            });
            let url = fake.url.clone();
            let (peak, seconds) = tokio::task::spawn_blocking(move || {
                let release = format!("{repo}@v1");
                measure(
                    &["verify", &release, "--api-url", &url],
                    &[("GITHUB_TOKEN", SECRET)],
                )
            })
            .await
            .expect("the measuring thread ends");
            runs.push((size, peak, seconds));
        }
        report("GitHub", &runs);
    });
}
