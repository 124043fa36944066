//! Compile-time benchmark: generated manifests of 1,000, 5,000 and 10,000 repositories, each
//! requiring up to 3 earlier ones, compiled to JSON (read, validate, lower, hash, serialise).
//! Prints the median of several runs and the growth ratio when the input doubles.
//!
//! Run: `cargo bench --bench compile`. Target: 5,000 repositories in ≤ 0.5 s, and doubling
//! the input at most ×2.6 the time.

use std::path::Path;
use std::time::{Duration, Instant};

use relplan::compile::Options;
use relplan::compile::{Request, compile};

/// A deterministic manifest: repository i requires up to 3 of the repositories before it.
fn manifest(repos: usize) -> String {
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
        text.push_str(&format!(
            "repo-{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{:040x}\", requires = [{}] }}\n",
            i,
            requires.join(", ")
        ));
    }
    text
}

fn compile_once(text: &str) -> Duration {
    let request = Request {
        plan: None,
        versions: Some("versions.toml".into()),
        options: Options {
            owner: Some("bench".into()),
            ..Options::default()
        },
    };
    let start = Instant::now();
    let compilation = compile(&request, &mut |_: &Path| Ok(text.to_string()));
    let json = compilation
        .plan
        .expect("the generated manifest compiles")
        .to_json();
    let elapsed = start.elapsed();
    assert!(json.len() > text.len());
    elapsed
}

fn median(text: &str, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| compile_once(text)).collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let sizes = [1_000, 2_500, 5_000, 10_000];
    let mut previous: Option<(usize, Duration)> = None;
    println!("{:>7}  {:>10}  {:>9}", "repos", "median", "growth");
    for repos in sizes {
        let text = manifest(repos);
        let time = median(&text, 7);
        let growth = previous.map_or(String::new(), |(n, t)| {
            format!(
                "×{:.2} for ×{:.1}",
                time.as_secs_f64() / t.as_secs_f64(),
                repos as f64 / n as f64
            )
        });
        println!(
            "{repos:>7}  {:>8.1}ms  {growth}",
            time.as_secs_f64() * 1000.0
        );
        previous = Some((repos, time));
    }
}
