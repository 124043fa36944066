//! Compile-time benchmark, in two parts, each printing medians and the growth ratio when the
//! input doubles.
//!
//! 1. Generated manifests of 1,000 to 10,000 repositories, each requiring up to 3 earlier
//!    ones, compiled to JSON (read, validate, lower, hash, serialise).
//! 2. Generated manifests of 2,500 to 20,000 unpinned repositories (one warning each),
//!    compiled and their diagnostics rendered as `relplan check` prints them: grouped (the
//!    default, one warning) and every warning (`--all-warnings`), with the bytes printed.
//!
//! 3. Manifests whose `requires` form one cycle through 5,000 to 20,000 entries, checked
//!    and reported.
//!
//! Run: `cargo bench --bench compile`. Targets: 5,000 repositories compile in ≤ 0.5 s;
//! 10,000 unpinned entries compile and report in ≤ 0.5 s with ≤ 20 KB of warnings; doubling
//! any input costs at most ×2.6 the time.

use std::path::Path;
use std::time::{Duration, Instant};

use relplan::compile::{Compilation, Options, Request, compile};
use relplan::diagnostic::{self, Style};

/// A deterministic manifest: repository i requires up to 3 of the repositories before it.
fn manifest(repos: usize, pinned: bool) -> String {
    let mut text = String::from("[versions]\n");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..repos {
        let mut requires = Vec::new();
        for _ in 0..3.min(i) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let dep = (seed % i as u64) as usize;
            let item = format!("\"repo-{dep}=1.0.0\"");
            if !requires.contains(&item) {
                requires.push(item);
            }
        }
        let commit = if pinned {
            format!("{i:040x}")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "repo-{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{commit}\", requires = [{}] }}\n",
            requires.join(", ")
        ));
    }
    text
}

fn compile_text(text: &str) -> Compilation {
    let request = Request {
        plan: None,
        versions: Some("versions.toml".into()),
        options: Options {
            owner: Some("bench".into()),
            ..Options::default()
        },
    };
    compile(&request, &mut |_: &Path| Ok(text.to_string()))
}

fn compile_to_json(text: &str) -> Duration {
    let start = Instant::now();
    let json = compile_text(text)
        .plan
        .expect("the generated manifest compiles")
        .to_json();
    let elapsed = start.elapsed();
    assert!(json.len() > text.len());
    elapsed
}

/// Compiles and renders the diagnostics as `relplan check` does; the time and the bytes.
fn compile_and_report(text: &str, all_warnings: bool) -> (Duration, usize) {
    let start = Instant::now();
    let compilation = compile_text(text);
    assert!(
        compilation.plan.is_some(),
        "the generated manifest compiles"
    );
    let diagnostics = if all_warnings {
        compilation.diagnostics.clone()
    } else {
        compilation.diagnostics.grouped()
    };
    let rendered = diagnostic::render(&diagnostics, &compilation.sources, Style::Plain, 100);
    (start.elapsed(), rendered.len())
}

fn median<T: Copy>(runs: usize, mut run: impl FnMut() -> (Duration, T)) -> (Duration, T) {
    let mut results: Vec<(Duration, T)> = (0..runs).map(|_| run()).collect();
    results.sort_by_key(|r| r.0);
    results[runs / 2]
}

fn growth(previous: Option<(usize, Duration)>, n: usize, time: Duration) -> String {
    previous.map_or(String::new(), |(m, t)| {
        format!(
            "×{:.2} for ×{:.1}",
            time.as_secs_f64() / t.as_secs_f64(),
            n as f64 / m as f64
        )
    })
}

/// Entry i requires entry i + 1, and the last requires the first.
fn cycle_manifest(repos: usize) -> String {
    let mut text = String::from("[versions]\n");
    for i in 0..repos {
        text.push_str(&format!(
            "r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{i:040x}\", requires = [\"r{}=1.0.0\"] }}\n",
            (i + 1) % repos
        ));
    }
    text
}

fn report_cycle(text: &str) -> (Duration, usize) {
    let start = Instant::now();
    let compilation = compile_text(text);
    assert!(compilation.plan.is_none(), "a cycle is an error");
    let rendered = diagnostic::render(
        &compilation.diagnostics,
        &compilation.sources,
        Style::Plain,
        100,
    );
    assert!(rendered.contains("relplan::dependency-cycle"));
    (start.elapsed(), rendered.len())
}

fn main() {
    println!("compile to JSON (pinned manifests)");
    println!("{:>7}  {:>10}  {:>9}", "repos", "median", "growth");
    let mut previous = None;
    for repos in [1_000, 2_500, 5_000, 10_000] {
        let text = manifest(repos, true);
        let (time, ()) = median(7, || (compile_to_json(&text), ()));
        let growth = growth(previous, repos, time);
        println!(
            "{repos:>7}  {:>8.1}ms  {growth}",
            time.as_secs_f64() * 1000.0
        );
        previous = Some((repos, time));
    }

    for (title, all_warnings) in [
        ("compile and report, grouped warnings (default)", false),
        ("compile and report, every warning (--all-warnings)", true),
    ] {
        println!("\n{title}: unpinned manifests");
        println!(
            "{:>7}  {:>10}  {:>12}  {:>9}",
            "repos", "median", "warnings", "growth"
        );
        let mut previous = None;
        for repos in [2_500, 5_000, 10_000, 20_000] {
            let text = manifest(repos, false);
            let (time, bytes) = median(5, || compile_and_report(&text, all_warnings));
            let growth = growth(previous, repos, time);
            println!(
                "{repos:>7}  {:>8.1}ms  {:>10.1}KB  {growth}",
                time.as_secs_f64() * 1000.0,
                bytes as f64 / 1024.0
            );
            previous = Some((repos, time));
        }
    }

    println!("\ncheck and report one requires cycle through every entry");
    println!(
        "{:>7}  {:>10}  {:>12}  {:>9}",
        "repos", "median", "report", "growth"
    );
    let mut previous = None;
    for repos in [5_000, 10_000, 20_000] {
        let text = cycle_manifest(repos);
        let (time, bytes) = median(5, || report_cycle(&text));
        let growth = growth(previous, repos, time);
        println!(
            "{repos:>7}  {:>8.1}ms  {:>10.1}KB  {growth}",
            time.as_secs_f64() * 1000.0,
            bytes as f64 / 1024.0
        );
        previous = Some((repos, time));
    }
}
