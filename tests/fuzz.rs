//! No input may panic the compiler or the rendering of its diagnostics: random text,
//! mutated real manifests and plans, very long lines, deep nesting, NUL and other control
//! bytes, invalid UTF-8 and huge manifests. And on generated valid manifests, the lowered
//! DAG keeps its invariants.
//!
//! Each shape runs `RELPLAN_FUZZ_CASES` inputs (default 256; huge manifests run one for
//! every 500 of them, at least 2) and prints how many ran (`-- --nocapture` shows it). The
//! long run, `bash scripts/fuzz.sh`, runs over 100,000 inputs in release mode.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};
use relplan::compile::{Compilation, Options, Request, compile, compile_from_disk};
use relplan::diagnostic::{self, Style};

use crate::common::root;

/// Inputs per shape: `RELPLAN_FUZZ_CASES`, else 256.
fn cases() -> u32 {
    std::env::var("RELPLAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Runs `property` on `cases` inputs of `strategy`, fails with the smallest failing input
/// (a panic counts as a failure), and prints how many inputs ran.
fn fuzz<S: Strategy>(
    shape: &str,
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> TestCaseResult,
) {
    let ran = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |input| {
        ran.fetch_add(1, Ordering::Relaxed);
        property(input)
    });
    if let Err(failure) = result {
        panic!("fuzz {shape}: {failure}");
    }
    println!(
        "fuzz {shape}: {} inputs, 0 panics",
        ran.load(Ordering::Relaxed)
    );
}

fn request(with_plan: bool) -> Request {
    Request {
        plan: with_plan.then(|| "plan.toml".into()),
        versions: Some("versions.toml".into()),
        options: Options {
            owner: Some("acme".into()),
            ..Options::default()
        },
    }
}

fn compile_pair(plan: Option<&str>, versions: &str) -> Compilation {
    compile(
        &request(plan.is_some()),
        &mut |path: &Path| match path.to_str() {
            Some("plan.toml") => Ok(plan.unwrap_or_default().to_string()),
            _ => Ok(versions.to_string()),
        },
    )
}

/// Renders the diagnostics every way a command can: each one and grouped, for people and
/// as GitHub annotations. Returns the compilation for further checks.
fn rendered(c: Compilation) -> Compilation {
    for diagnostics in [c.diagnostics.clone(), c.diagnostics.grouped()] {
        for style in [Style::Plain, Style::Github] {
            let _ = diagnostic::render(&diagnostics, &c.sources, style, 100);
        }
    }
    c
}

/// Compiles and renders; an input either compiles or says why not.
fn holds(plan: Option<&str>, versions: &str) -> TestCaseResult {
    let c = rendered(compile_pair(plan, versions));
    prop_assert!(c.plan.is_some() || c.diagnostics.has_errors());
    Ok(())
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), "[\\[\\]{}=\",#\\n a-z0-9._-]{1,8}")
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..6)
}

/// A byte offset in `s`, moved down to a character boundary.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_string();
    for m in mutations {
        match m {
            Mutation::Delete(at, len) => {
                let start = boundary(&text, *at);
                let end = boundary(&text, (start + len).min(text.len()));
                text.replace_range(start..end, "");
            }
            Mutation::Insert(at, s) => {
                let at = boundary(&text, *at);
                text.insert_str(at, s);
            }
            Mutation::DuplicateLine(i) => {
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[i % lines.len()];
                    lines.insert(i % lines.len(), line);
                }
                text = lines.join("\n");
            }
            Mutation::SwapLines(a, b) => {
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let n = lines.len();
                    lines.swap(a % n, b % n);
                }
                text = lines.join("\n");
            }
        }
    }
    text
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

const MANIFEST: &str = "tests/corpus/versions/blvm__cb7a509__versions.toml";
const PLAN: &str = "plans/bitcoin-commons.toml";
const PLAN_MANIFEST: &str = "plans/versions.toml";

#[test]
fn random_text_never_panics() {
    let strategy = ("\\PC{0,200}", "\\PC{0,200}");
    fuzz("random text", cases(), strategy, |(versions, plan)| {
        rendered(compile_pair(Some(&plan), &versions));
        rendered(compile_pair(None, &versions));
        Ok(())
    });
}

#[test]
fn mutated_manifests_never_panic() {
    let manifest = read(MANIFEST);
    fuzz("mutated manifests", cases(), mutations(), |mutations| {
        holds(None, &apply(&manifest, &mutations))
    });
}

#[test]
fn mutated_plans_never_panic() {
    let (plan, versions) = (read(PLAN), read(PLAN_MANIFEST));
    fuzz("mutated plans", cases(), mutations(), |mutations| {
        holds(Some(&apply(&plan, &mutations)), &versions)
    });
}

/// Around 65,536 columns, where miette's column arithmetic broke, and some way past it.
fn long_run() -> impl Strategy<Value = String> {
    (
        prop_oneof![60_000..70_000usize, 0..300usize],
        "[ a-z0-9\"=\\[{?#\t]",
        "[?=\\[{}\"#a-z]{0,3}",
    )
        .prop_map(|(len, fill, tail)| format!("{}{tail}", fill.repeat(len)))
}

#[test]
fn very_long_lines_never_panic() {
    let (plan, versions) = (read(PLAN), read(PLAN_MANIFEST));
    let strategy = (long_run(), any::<usize>(), any::<bool>());
    fuzz(
        "very long lines",
        cases(),
        strategy,
        |(run, at, in_plan)| {
            // The run goes at the start of a line or into one, of the plan or of the manifest.
            let insert = |text: &str| {
                let mut text = text.to_string();
                text.insert_str(boundary(&text, at), &run);
                text
            };
            if in_plan {
                holds(Some(&insert(&plan)), &versions)
            } else {
                holds(Some(&plan), &insert(&versions))
            }
        },
    );
}

/// A value nested `depth` deep: arrays, inline tables, or dotted keys.
fn nested() -> impl Strategy<Value = String> {
    (0..400usize, 0..3u8).prop_map(|(depth, kind)| match kind {
        0 => format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}1{}", "{ a = ".repeat(depth), " }".repeat(depth)),
        _ => format!("{{ {} = 1 }}", vec!["a"; depth.max(1)].join(".")),
    })
}

#[test]
fn deep_nesting_never_panics() {
    let versions = read(PLAN_MANIFEST);
    let plan = read(PLAN);
    fuzz("deep nesting", cases(), nested(), |value| {
        let entry = format!("[versions]\nx = {{ version = \"1.0.0\", binaries = {value} }}\n");
        holds(None, &entry)?;
        let payload = plan.replacen(
            "[defaults]",
            &format!("[defaults]\npayload = {{ k = {value} }}"),
            1,
        );
        holds(Some(&payload), &versions)
    });
}

#[test]
fn nul_and_control_bytes_never_panic() {
    let manifest = read(MANIFEST);
    let control = prop::collection::vec(
        (
            any::<usize>(),
            "[\u{0}\u{1}\u{7}\u{8}\u{b}\u{c}\r\u{1b}\u{7f}\u{feff}\u{202e}]{1,4}",
        ),
        1..8,
    );
    fuzz("NUL and control bytes", cases(), control, |inserts| {
        let mut text = manifest.clone();
        for (at, bytes) in &inserts {
            text.insert_str(boundary(&text, *at), bytes);
        }
        holds(None, &text)
    });
}

#[test]
fn invalid_utf8_never_panics() {
    let manifest = read(MANIFEST).into_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("versions.toml");
    let garbage = prop::collection::vec(
        (any::<usize>(), prop::collection::vec(0x80..=0xffu8, 1..4)),
        1..6,
    );
    fuzz("invalid UTF-8", cases(), garbage, |inserts| {
        let mut bytes = manifest.clone();
        for (at, junk) in &inserts {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, junk.iter().copied());
        }
        // Read from disk as every command does: the file is refused with a diagnostic.
        std::fs::write(&path, &bytes).unwrap();
        let request = Request {
            plan: None,
            versions: Some(path.clone()),
            ..request(false)
        };
        let c = rendered(compile_from_disk(&request));
        prop_assert!(c.plan.is_some() || c.diagnostics.has_errors());
        // And the same bytes read leniently, replacement characters and all.
        holds(None, &String::from_utf8_lossy(&bytes))
    });
}

/// A manifest of thousands of entries with some broken: unpinned, bad versions, unknown
/// requirements, cycles, unknown keys.
fn huge_manifest() -> impl Strategy<Value = String> {
    (10_000..20_000usize, prop::collection::vec((any::<usize>(), 0..6u8), 0..40)).prop_map(
        |(entries, defects)| {
            let mut lines: Vec<String> = (0..entries)
                .map(|i| {
                    let requires = if i == 0 {
                        String::new()
                    } else {
                        format!("\"r{}=1.0.0\"", i / 2)
                    };
                    format!(
                        "r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{i:040x}\", requires = [{requires}] }}"
                    )
                })
                .collect();
            for (at, kind) in defects {
                let i = at % entries;
                lines[i] = match kind {
                    0 => format!("r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\" }}"),
                    1 => format!("r{i} = {{ version = \"1.0\", git_tag = \"v1.0\" }}"),
                    2 => format!("r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", requires = [\"nope{i}=1.0.0\"] }}"),
                    3 => format!("r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", requires = [\"r{}=1.0.0\"] }}", entries - 1),
                    4 => format!("r{i} = {{ version = \"1.0.0\", git_tag = \"v2.0.0\", colour = \"red\" }}"),
                    _ => format!("r{i} = {{ version = \"1.0.0\" git_tag = \"v1.0.0\" }}"),
                };
            }
            format!("[versions]\n{}\n", lines.join("\n"))
        },
    )
}

#[test]
fn huge_manifests_never_panic() {
    let cases = (cases() / 500).max(2);
    fuzz("huge manifests", cases, huge_manifest(), |manifest| {
        let c = rendered(compile_pair(None, &manifest));
        prop_assert!(c.plan.is_some() || c.diagnostics.has_errors());
        // Grouped, the warnings of any number of entries stay short.
        let warnings = diagnostic::render(&c.diagnostics.grouped(), &c.sources, Style::Plain, 100);
        prop_assert!(warnings.len() < 50_000, "{} bytes", warnings.len());
        Ok(())
    });
}

#[test]
fn generated_manifests_lower_to_consistent_dags() {
    let strategy = prop::collection::vec(
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        1..40,
    );
    fuzz("generated manifests", cases(), strategy, |requires| {
        let mut versions = String::from("[versions]\n");
        for (i, reqs) in requires.iter().enumerate() {
            let mut names: Vec<String> = if i == 0 {
                Vec::new()
            } else {
                reqs.iter()
                    .map(|r| format!("\"r{}=1.0.0\"", r.index(i)))
                    .collect()
            };
            names.sort();
            names.dedup();
            versions.push_str(&format!(
                "r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", requires = [{}] }}\n",
                names.join(", ")
            ));
        }
        let c = compile_pair(None, &versions);
        let plan = c.plan.expect("a DAG of earlier requirements compiles");
        prop_assert_eq!(plan.jobs.len(), requires.len());
        for job in &plan.jobs {
            for need in &job.needs {
                prop_assert!(plan.job(need).unwrap().group < job.group);
            }
            prop_assert!(job.needs.is_empty() == (job.group == 0));
            prop_assert!(plan.groups[job.group].contains(&job.id));
        }
        let longest = plan.jobs.iter().map(|j| j.group + 1).max().unwrap();
        prop_assert_eq!(plan.groups.len(), longest);
        prop_assert_eq!(
            plan.critical_path.estimate_s,
            plan.critical_path.jobs.len() as u64 * 20 * 60
        );
        prop_assert_eq!(plan.critical_path.jobs.len(), plan.groups.len());
        Ok(())
    });
}
