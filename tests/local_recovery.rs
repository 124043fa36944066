//! Recovering local runs: `relplan cancel` of hanging builds (with their executor running,
//! and from the journal alone after a `kill -9`), whose whole process groups die;
//! `relplan retry` after a failure, at the next attempt in a folder and worktree of its
//! own; and a start without a journal, which adopts the attempt folders (running builds
//! waited for, finished ones kept) instead of building again, and refuses the folders of
//! another plan.
//!
//! Nothing waits on the clock: builds announce themselves with files and wait for files.

use serde_json::Value;

use crate::common::local::{
    Fixture, announce_and_wait, assert_gone, assert_no_worktrees, assert_release, job, sorted,
    spawn_apply, states, status, three, wait_for_file,
};
use crate::common::{stderr, stdout};

/// A build that records its pid (its process group's id), starts a child that hangs,
/// records the child's pid (whole, through a rename) and waits for it.
fn hang(f: &Fixture, name: &str) -> String {
    let child = f.path(&format!("{name}.child"));
    format!(
        "echo $$ > {}; sleep 600 & echo $! > {}.tmp; mv {}.tmp {}; wait",
        f.path(&format!("{name}.pid")).display(),
        child.display(),
        child.display(),
        child.display()
    )
}

/// core and sdk hang; node (after core) never starts.
fn hanging() -> Fixture {
    three("", |f, name| match name {
        "core" | "sdk" => hang(f, name),
        _ => f.build(name),
    })
}

fn pids(f: &Fixture) -> Vec<String> {
    ["core.pid", "core.child", "sdk.pid", "sdk.child"]
        .iter()
        .map(|file| {
            wait_for_file(&f.path(file));
            fs_err::read_to_string(f.path(file))
                .unwrap()
                .trim()
                .to_string()
        })
        .collect()
}

/// Every hanging build and its child are gone, each attempt recorded as cancelled by its
/// supervisor and journaled as cancelled; what never started is cancelled too.
fn assert_cancelled(f: &Fixture, pids: &[String]) {
    for pid in pids {
        assert_gone(pid);
    }
    for name in ["core", "sdk"] {
        let folder = f.state().join(format!("local/{name}/1"));
        wait_for_file(&folder.join("status"));
        let recorded: Value =
            serde_json::from_str(&fs_err::read_to_string(folder.join("status")).unwrap()).unwrap();
        assert_eq!(recorded["cancelled"], true, "{recorded}");
        let log = fs_err::read_to_string(folder.join("output.log")).unwrap();
        assert!(
            log.ends_with(
                "relplan: attempt failed: stopped by relplan (timeout, cancel or --fail-fast)\n"
            ),
            "{log}"
        );
    }
    let status = status(f);
    assert_eq!(status["status"], "cancelled");
    assert_eq!(
        states(&status),
        [
            ("core".into(), "cancelled".into(), 1),
            ("sdk".into(), "cancelled".into(), 1),
            ("node".into(), "cancelled".into(), 0),
            ("release".into(), "cancelled".into(), 0),
        ]
    );
    assert_eq!(job(&status, "core")["history"][0]["outcome"], "cancelled");
    assert!(f.runs().is_empty());
    assert_no_worktrees(f);
}

const CANCELLED: &str = "cancelled: 2 running attempts stopped, 4 jobs cancelled; `relplan retry --state-dir state` continues them\n";

#[test]
fn cancel_kills_the_process_groups_of_the_builds_its_running_executor_runs() {
    let f = hanging();
    let mut executor = spawn_apply(&f);
    let pids = pids(&f);
    let out = f.relplan(&["cancel", "--state-dir", "state"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), CANCELLED);
    assert_eq!(executor.wait().unwrap().code(), Some(1));
    assert_cancelled(&f, &pids);
}

#[test]
fn cancel_from_the_journal_alone_kills_the_builds_a_killed_executor_left() {
    let f = hanging();
    let mut executor = spawn_apply(&f);
    let pids = pids(&f);
    executor.kill().unwrap(); // SIGKILL: the builds go on, supervised.
    executor.wait().unwrap();
    assert_eq!(status(&f)["status"], "stopped");
    let out = f.relplan(&["cancel", "--state-dir", "state"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), CANCELLED);
    assert_cancelled(&f, &pids);
}

#[test]
fn retry_after_a_failure_builds_the_next_attempt_in_a_folder_of_its_own() {
    // core fails until `fixed` exists, with no retries of its own; each build records
    // where it ran.
    let f = three("retries = 0", |f, name| match name {
        "core" => format!(
            "pwd -P >> {} && test -e {} && {}",
            f.path("core.where").display(),
            f.path("fixed").display(),
            f.build(name)
        ),
        _ => f.build(name),
    });
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let retry = ["retry", "--state-dir", "state"];
    let out = f.relplan(&retry);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        states(&status(&f)),
        [
            ("core".into(), "failed".into(), 2),
            ("sdk".into(), "succeeded".into(), 1),
            ("node".into(), "skipped".into(), 0),
            ("release".into(), "skipped".into(), 0),
        ]
    );
    fs_err::write(f.path("fixed"), "").unwrap();
    let out = f.relplan(&retry);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Attempt 3 ran in its own worktree, as its own attempt of the plan.
    let state = fs_err::canonicalize(f.state()).unwrap();
    let expected: Vec<String> = (1..=3)
        .map(|n| format!("{}/local/core/{n}/worktree", state.display()))
        .collect();
    let places = fs_err::read_to_string(f.path("core.where")).unwrap();
    assert_eq!(places.lines().collect::<Vec<_>>(), expected);
    let spec: Value = serde_json::from_str(
        &fs_err::read_to_string(f.state().join("local/core/3/spec.json")).unwrap(),
    )
    .unwrap();
    let hash = f.compiled().plan_hash;
    let short = &hash.trim_start_matches("sha256:")[..12];
    assert_eq!(
        spec["correlation_id"],
        Value::from(format!("relplan-{short}-core-3"))
    );
    assert_eq!(f.runs(), ["sdk 1", "core 3", "node 1"]);
    let status = status(&f);
    let history: Vec<(u64, String)> = job(&status, "core")["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (1, "failure".into()),
            (2, "failure".into()),
            (3, "success".into())
        ]
    );
    assert_release(&f);
    assert_no_worktrees(&f);
}

#[test]
fn a_start_without_a_journal_adopts_the_builds_still_running_and_builds_nothing_twice() {
    let f = three("", |f, name| {
        let started = f.path(&format!("{name}.started"));
        format!(
            "{} && {}",
            announce_and_wait(&started, &f.path("go")),
            f.build(name)
        )
    });
    let mut executor = spawn_apply(&f);
    wait_for_file(&f.path("core.started"));
    wait_for_file(&f.path("sdk.started"));
    executor.kill().unwrap();
    executor.wait().unwrap();
    // The journal is lost; the builds and their folders are not.
    let journal = f.state().join("journal.jsonl");
    fs_err::remove_file(&journal).unwrap();
    let mut adopting = spawn_apply(&f);
    // A new journal appears whole, its adoption in it; then the builds may end.
    wait_for_file(&journal);
    fs_err::write(f.path("go"), "").unwrap();
    assert_eq!(adopting.wait().unwrap().code(), Some(0));
    assert_eq!(sorted(f.runs()), ["core 1", "node 1", "sdk 1"]);
    let status = status(&f);
    for (id, state, attempts) in states(&status) {
        assert_eq!((state.as_str(), attempts), ("succeeded", 1), "{id}");
    }
    for (id, adopted) in [("core", true), ("sdk", true), ("node", false)] {
        let attempt = &job(&status, id)["history"][0];
        assert_eq!(
            attempt["adopted"].as_bool().unwrap_or(false),
            adopted,
            "{id}"
        );
    }
    assert_release(&f);
    assert_no_worktrees(&f);
}

#[test]
fn a_finished_run_without_its_journal_is_adopted_whole_and_another_plan_is_refused() {
    let f = three("", |f, name| f.build(name));
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let journal = f.state().join("journal.jsonl");
    fs_err::remove_file(&journal).unwrap();
    // The same plan again: everything is found, nothing is built again.
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The adopted release folder keeps its page.
    let release = f.state().canonicalize().unwrap().join("release/v1.0.0");
    assert_eq!(
        stdout(&out),
        format!(
            "4 succeeded, 0 failed, 0 skipped, 0 cancelled, release v1.0.0 published at file://{}; see `relplan status --state-dir state`\n",
            release.display()
        )
    );
    assert_eq!(sorted(f.runs()), ["core 1", "node 1", "sdk 1"]);
    // Another plan in the same state directory meets the first one's builds: refused,
    // nothing written.
    fs_err::remove_file(&journal).unwrap();
    let plan = fs_err::read_to_string(f.plan()).unwrap();
    fs_err::write(
        f.plan(),
        plan.replace("name = \"Fixture\"", "name = \"Other\""),
    )
    .unwrap();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let shown = stderr(&out);
    assert!(
        shown.contains(
            "error: cannot learn what the backend already holds for this plan: `state/local/"
        ) && shown.contains("` holds a build of another plan"),
        "{shown}"
    );
    assert!(
        shown.contains("help: use another --state-dir for this plan, or move `state/local` away"),
        "{shown}"
    );
    assert!(!journal.exists());
    // Without the state directory there is nothing to adopt: the plan is built anew.
    fs_err::remove_dir_all(f.state()).unwrap();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        sorted(f.runs()),
        ["core 1", "core 1", "node 1", "node 1", "sdk 1", "sdk 1"]
    );
}
