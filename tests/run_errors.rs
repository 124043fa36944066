//! How run-time errors read, through the binary: each refusal or failure a user meets
//! around a state directory, snapshotted as its exit code and its `error:` and `help:`
//! lines (the one style of every run-time error), with the directory shown as `STATE`; and
//! what `retry` says when there is nothing to retry.

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

/// `--state-dir` naming a file (a slip of the shell's completion): every command says so,
/// and the file is left as it was.
#[test]
fn a_state_directory_that_is_a_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("plan.json");
    fs_err::write(&file, "{}").expect("written");
    let state = file.to_str().expect("a UTF-8 path");
    let shown_for = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend_from_slice(&["--state-dir", state]);
        shown(&relplan(&args), &file)
    };
    let apply = shown_for(&["apply", PLAN, "--backend", "sim"]);
    for command in ["status", "resume", "retry", "cancel", "pause"] {
        assert_eq!(shown_for(&[command]), apply, "relplan {command}");
    }
    insta::assert_snapshot!(apply);
    assert_eq!(fs_err::read_to_string(&file).expect("still there"), "{}");
}

/// `--workspace` naming a file: refused before anything is written, rather than a run whose
/// every build is blocked on a folder that cannot be made.
#[test]
fn a_local_workspace_that_is_a_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("workspace");
    fs_err::write(&file, "").expect("written");
    let state = dir.path().join("state");
    let out = relplan(&[
        "apply",
        PLAN,
        "--backend",
        "local",
        "--workspace",
        file.to_str().expect("a UTF-8 path"),
        "--state-dir",
        state.to_str().expect("a UTF-8 path"),
    ]);
    insta::assert_snapshot!(shown(&out, dir.path()));
    assert!(!state.exists(), "nothing is written");
}

/// A run whose executor was killed before any job ended: the journal of a finished run
/// cut after its first two events (`started`, `adopted`), as a crash there leaves it.
fn stopped_run() -> tempfile::TempDir {
    let dir = finished_run();
    let path = journal::journal_path(dir.path());
    let text = fs_err::read_to_string(&path).expect("the journal reads");
    let kept: String = text.split_inclusive('\n').take(2).collect();
    fs_err::write(&path, kept).expect("written");
    dir
}

/// `retry` of a run that stopped with nothing failed, and of a job still pending there:
/// nothing is journaled, and the help names `resume`, which continues such a run.
#[test]
fn retry_of_a_stopped_run_with_nothing_failed_points_to_resume() {
    let dir = stopped_run();
    let state = dir.path().to_str().expect("a UTF-8 path");
    let before = fs_err::read(journal::journal_path(dir.path())).expect("the journal reads");
    let all = relplan(&["retry", "--state-dir", state]);
    assert_eq!(all.status.code(), Some(0));
    let named = relplan(&["retry", "blvm", "--state-dir", state]);
    let text = format!(
        "{}\n{}",
        stderr(&all).replace(state, "STATE").trim_end(),
        shown(&named, dir.path())
    );
    insta::assert_snapshot!(text);
    let after = fs_err::read(journal::journal_path(dir.path())).expect("the journal reads");
    assert_eq!(before, after, "nothing was journaled");
}

/// The one-line summaries `apply` and `cancel` print on stdout: a reader that stops reading
/// (`relplan apply … | head -0`) is not an error and never a panic.
#[test]
fn run_summaries_survive_a_reader_that_stops_reading() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state");
    let state = state.to_str().expect("a UTF-8 path");
    let runs: [(&[&str], i32); 3] = [
        (
            &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
            0,
        ),
        (&["resume"], 0),
        (&["retry"], 0),
    ];
    for (args, code) in runs {
        let mut args = args.to_vec();
        args.extend_from_slice(&["--state-dir", state]);
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = crate::common::command(root(), &args)
            .stdout(writer)
            .output()
            .expect("relplan runs");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let stopped = stopped_run();
    let state = stopped.path().to_str().expect("a UTF-8 path");
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = crate::common::command(root(), &["cancel", "--state-dir", state])
        .stdout(writer)
        .output()
        .expect("relplan runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

/// `--scenario` with a real backend: a usage error before anything is written, not a real
/// run taken for the rehearsal of a failure.
#[test]
fn a_scenario_for_a_real_backend() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state");
    let state_arg = state.to_str().expect("a UTF-8 path");
    let mut shown_for = Vec::new();
    for backend in [
        &["--backend", "local", "--workspace", "ws"][..],
        &["--backend", "github"][..],
    ] {
        let mut args = vec![
            "apply",
            PLAN,
            "--scenario",
            "plans/scenarios/node-fails-twice.toml",
            "--state-dir",
            state_arg,
        ];
        args.extend_from_slice(backend);
        shown_for.push(shown(&relplan(&args), dir.path()));
    }
    assert_eq!(shown_for[0], shown_for[1]);
    insta::assert_snapshot!(shown_for[0]);
    assert!(!state.exists(), "nothing is written");
}
