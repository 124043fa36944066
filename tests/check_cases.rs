//! Data-driven diagnostics: every directory under tests/cases/check is one case.
//!
//! A case holds `plan.toml` (or `plan.json`) and/or `versions.toml`, and optionally `args`
//! (extra arguments on one line). Without a plan, the default plan runs with `--owner acme`.
//! The snapshot is the exit code, stdout and stderr of `relplan check`, run inside the case
//! directory with colour off.

use std::path::Path;

use crate::common::{relplan_in, root, transcript};

fn check_args(case: &Path) -> Vec<String> {
    let mut args = vec!["check".to_string()];
    if case.join("plan.toml").exists() {
        args.push("plan.toml".into());
    } else if case.join("plan.json").exists() {
        args.push("plan.json".into());
    } else {
        args.extend(["--versions", "versions.toml", "--owner", "acme"].map(String::from));
    }
    if let Ok(extra) = std::fs::read_to_string(case.join("args")) {
        args.extend(extra.split_whitespace().map(String::from));
    }
    args
}

#[test]
fn every_check_case_matches_its_snapshot() {
    let dir = root().join("tests/cases/check");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "expected the full case list, found {}",
        cases.len()
    );
    // Every case runs; the failures (each printed where it happens) are named at the end.
    let mut failed = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let checked = std::panic::catch_unwind(|| check_case(&case, &name));
        if checked.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failing check cases: {failed:?}");
}

/// Runs one case and compares it with its snapshot and its expected exit code.
fn check_case(case: &Path, name: &str) {
    let args = check_args(case);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = relplan_in(case, &args);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(name);
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("check", transcript(&output)));
    let expect_ok = name.ends_with("-ok") || name == "tag-mismatch";
    let wanted = if expect_ok { 0 } else { 1 };
    assert_eq!(output.status.code(), Some(wanted), "case {name}");
}

#[test]
fn github_format_prints_annotations() {
    let case = root().join("tests/cases/check/unknown-keys");
    let output = relplan_in(&case, &["check", "plan.toml", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=plan.toml,line=4,col=1,endColumn=20,title=relplan%3A%3Aunknown-key::unknown key `publish_too` in [release]%0Ahelp: did you mean `publish_to`?"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("::error ")).count(),
        5
    );
}
