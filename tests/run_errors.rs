//! How run-time errors read, through the binary: each refusal or failure a user meets
//! around a state directory, snapshotted as its exit code and its `error:` and `help:`
//! lines (the one style of every run-time error), with the directory shown as `STATE`.

use std::path::Path;
use std::process::Output;

use relplan::exec::journal::{self, Journal};

use crate::common::{relplan, root, stderr};

const PLAN: &str = "plans/bitcoin-commons.toml";

/// The exit code, then the error and help lines of `out`.
fn shown(out: &Output, state: &Path) -> String {
    let state = state.to_str().expect("a UTF-8 path");
    let lines: Vec<String> = stderr(out)
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("help:"))
        .map(|l| l.replace(state, "STATE"))
        .collect();
    let code = out.status.code().map_or("signal".into(), |c| c.to_string());
    format!("exit {code}\n{}", lines.join("\n"))
}

fn apply(state: &Path, extra: &[&str]) -> Output {
    let state = state.to_str().expect("a UTF-8 path");
    let mut args = vec!["apply", PLAN, "--backend", "sim", "--state-dir", state];
    args.extend_from_slice(extra);
    relplan(&args)
}

/// A state directory holding a finished run of [`PLAN`].
fn finished_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    dir
}

#[test]
fn a_plan_that_is_not_the_approved_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let out = apply(dir.path(), &["--expect-hash", wrong]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn a_journal_locked_by_another_executor() {
    let dir = finished_run();
    let (_held, _) = Journal::open(dir.path()).expect("the journal opens");
    let out = apply(dir.path(), &["--speed", "1000000"]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn a_journal_of_another_plan() {
    let dir = finished_run();
    let versions = root().join("tests/corpus/versions/blvm__cb7a509__versions.toml");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let out = relplan(&[
        "apply",
        "--versions",
        versions.to_str().expect("a UTF-8 path"),
        "--owner",
        "BTCDecoded",
        "--backend",
        "sim",
        "--state-dir",
        state,
    ]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn a_corrupt_journal_line() {
    let dir = finished_run();
    let path = journal::journal_path(dir.path());
    let text = fs_err::read_to_string(&path).expect("the journal reads");
    let (first, rest) = text.split_once('\n').expect("more than one line");
    fs_err::write(&path, format!("{first}\nnot an event\n{rest}")).expect("written");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let status = relplan(&["status", "--state-dir", state]);
    let resume = relplan(&["resume", "--state-dir", state]);
    assert_eq!(shown(&status, dir.path()), shown(&resume, dir.path()));
    insta::assert_snapshot!(shown(&resume, dir.path()));
}

#[test]
fn no_journal_in_the_state_directory() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let out = relplan(&["resume", "--state-dir", state]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn a_journal_without_an_event() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs_err::write(journal::journal_path(dir.path()), "").expect("written");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let out = relplan(&["resume", "--state-dir", state]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn a_journal_that_does_not_begin_with_a_plan() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs_err::write(
        journal::journal_path(dir.path()),
        "{\"event\":\"finished\",\"at\":0}\n",
    )
    .expect("written");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let out = relplan(&["status", "--state-dir", state]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}

#[test]
fn no_github_token() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().to_str().expect("a UTF-8 path");
    let out = relplan(&[
        "apply",
        PLAN,
        "--backend",
        "github",
        "--api-url",
        "http://127.0.0.1:9",
        "--state-dir",
        state,
    ]);
    insta::assert_snapshot!(shown(&out, dir.path()));
}
