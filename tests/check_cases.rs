//! Data-driven diagnostics: every directory under tests/cases/check is one case.
//!
//! A case holds `plan.toml` (or `plan.json`) and/or `versions.toml`, and optionally `args`
//! (extra arguments on one line) or `command` (the whole command line after `relplan`, for
//! cases that must leave out the default arguments). Without a plan, the default plan runs
//! with `--owner acme`. The snapshot is the exit code, stdout and stderr of the command, run
//! inside the case directory with colour off. Cases named `*-ok` exit 0, `*-usage` exit 2
//! (a usage error), every other case exits 1.

use std::path::Path;

use crate::common::{relplan_in, root, transcript};

fn check_args(case: &Path) -> Vec<String> {
    if let Ok(command) = std::fs::read_to_string(case.join("command")) {
        return command.split_whitespace().map(String::from).collect();
    }
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
    let wanted = match () {
        _ if expect_ok => 0,
        _ if name.ends_with("-usage") => 2,
        _ => 1,
    };
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

#[test]
fn a_label_past_column_65535_is_shown_cut_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.toml"),
        format!("{}?\n", " ".repeat(65_535)),
    )
    .unwrap();
    let output = relplan_in(dir.path(), &["check", "plan.toml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("╭─[plan.toml:1:65536]"), "{stderr}");
    let longest = stderr.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 300, "a line of {longest} characters");
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn ten_thousand_unpinned_entries_get_one_short_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("[versions]\n");
    for i in 0..10_000 {
        manifest.push_str(&format!(
            "repo-{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\" }}\n"
        ));
    }
    std::fs::write(dir.path().join("versions.toml"), manifest).unwrap();
    let args = ["check", "--versions", "versions.toml", "--owner", "acme"];
    let output = relplan_in(dir.path(), &args);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("relplan::unpinned-ref").count(), 1);
    assert!(
        stderr.contains(
            "10,000 entries do not pin a git_commit: `repo-0`, `repo-1`, `repo-2`, … and 9,997 more"
        ),
        "{stderr}"
    );
    assert!(stderr.len() < 20_000, "{} bytes", stderr.len());
}

#[test]
fn a_plan_past_the_job_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("[versions]\n");
    for i in 0..50_001 {
        manifest.push_str(&format!(
            "r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{i:040x}\" }}\n"
        ));
    }
    std::fs::write(dir.path().join("versions.toml"), manifest).unwrap();
    let args = ["check", "--versions", "versions.toml", "--owner", "acme"];
    let output = relplan_in(dir.path(), &args);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "relplan::invalid-value\n\n  × the plan has 50,001 jobs; relplan compiles at most 50,000\n  \
         help: split the release into several plans, each over its own manifest\n\n\
         error: 1 problem found; fix it and run `relplan check` again\n"
    );
}
