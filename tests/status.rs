//! `relplan status` on journals with known contents (written from a simulation, so every
//! time is fixed): the text and Markdown people read are snapshots, the JSON programs read
//! is exact; a closed stdout; `--watch` of a run that has ended (a run that goes on is
//! watched in `tests/apply.rs`).

use std::path::Path;

use relplan::compile::{Request, compile_from_disk};
use relplan::exec::event::Event;
use relplan::exec::journal::Journal;
use relplan::scenario::{JobBehaviour, Outcome, Scenario};
use relplan::simulate::simulate;

use crate::common::{command, relplan, root, stderr, stdout};

/// A state directory whose journal holds the first `take` events of a simulated run of the
/// example plan in which blvm-node fails once.
fn journal_of(dir: &Path, take: usize) {
    let plan = compile_from_disk(&Request {
        plan: Some(root().join("plans/bitcoin-commons.toml")),
        ..Request::default()
    })
    .plan
    .expect("the example plan compiles");
    let mut scenario = Scenario::default();
    scenario.jobs.insert(
        "blvm-node".into(),
        JobBehaviour {
            duration_s: None,
            outcomes: vec![Outcome::Failure, Outcome::Success],
        },
    );
    let events = simulate(plan, scenario, Some(2), false).events;
    let mut journal = Journal::create(dir, &events[0]).unwrap();
    for event in events.iter().skip(1).take(take) {
        journal.append(event).unwrap();
    }
}

#[test]
fn a_stopped_run_in_text() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), 20);
    let out = relplan(&["status", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out).replace(dir.path().to_str().unwrap(), "DIR"));
}

#[test]
fn a_finished_run_in_json() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), usize::MAX);
    let out = relplan(&[
        "status",
        "--state-dir",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["status"], "succeeded");
    assert_eq!(status["published"], true);
    let node = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "blvm-node")
        .unwrap();
    assert_eq!(node["state"], "succeeded");
    assert_eq!(node["attempts"], 2);
    assert_eq!(node["history"][0]["outcome"], "failure");
    assert_eq!(node["history"][1]["outcome"], "success");
    let finished = relplan::exec::journal::read(dir.path()).unwrap();
    assert!(matches!(finished.last(), Some(Event::Finished { .. })));
}

#[test]
fn pause_without_a_running_executor_is_journaled_at_once() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), 5);
    let state = dir.path().to_str().unwrap();
    let out = relplan(&["pause", "--state-dir", state]);
    assert_eq!(out.status.code(), Some(0));
    let events = relplan::exec::journal::read(dir.path()).unwrap();
    assert!(matches!(events.last(), Some(Event::Paused { .. })));
    let status = relplan(&["status", "--state-dir", state, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(status["status"], "paused");
}

/// A state directory holding the whole simulated run of the example plan in which
/// blvm-node fails both attempts, with `extra` events journaled after it.
fn failed_run_with(dir: &Path, extra: &[Event]) {
    let plan = compile_from_disk(&Request {
        plan: Some(root().join("plans/bitcoin-commons.toml")),
        ..Request::default()
    })
    .plan
    .expect("the example plan compiles");
    let mut scenario = Scenario::default();
    scenario.jobs.insert(
        "blvm-node".into(),
        JobBehaviour {
            duration_s: None,
            outcomes: vec![Outcome::Failure],
        },
    );
    let events = simulate(plan, scenario, Some(2), false).events;
    let mut journal = Journal::create(dir, &events[0]).unwrap();
    for event in events.iter().skip(1).chain(extra) {
        journal.append(event).unwrap();
    }
}

#[test]
fn a_failed_run_then_a_retry_in_text() {
    let dir = tempfile::tempdir().unwrap();
    failed_run_with(
        dir.path(),
        &[Event::Retried {
            jobs: vec!["blvm-node".into()],
            at: 30_000,
        }],
    );
    let out = relplan(&["status", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out).replace(dir.path().to_str().unwrap(), "DIR"));
}

#[test]
fn a_cancelled_run_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), 20);
    let state = dir.path().to_str().unwrap();
    let machine = relplan::exec::session::read(dir.path()).unwrap();
    let running: Vec<String> = machine
        .active()
        .map(|i| machine.job(i).id.clone())
        .collect();
    let at = machine.last_at() + 60;
    let mut journal = relplan::exec::journal::Journal::open(dir.path()).unwrap().0;
    journal.append(&Event::CancelRequested { at }).unwrap();
    for job in &running {
        let attempt = machine
            .run(machine.index_of(job).unwrap())
            .current()
            .unwrap()
            .number;
        journal
            .append(&Event::AttemptFinished {
                job: job.clone(),
                attempt,
                outcome: relplan::exec::event::AttemptOutcome::Cancelled,
                at,
                reason: Some("cancelled by `relplan cancel`".into()),
                help: None,
                url: None,
            })
            .unwrap();
    }
    journal.append(&Event::Finished { at }).unwrap();
    drop(journal);
    let out = relplan(&["status", "--state-dir", state]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out).replace(state, "DIR"));
    let json = relplan(&["status", "--state-dir", state, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(status["status"], "cancelled");
    assert_eq!(
        status["requests"],
        serde_json::json!([{"kind": "cancel", "at": at}])
    );
    assert_eq!(status["waiting"], serde_json::json!([]));
    let cancelled = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["state"] == "cancelled")
        .count();
    assert_eq!(running, ["blvm-node"]);
    assert_eq!(cancelled, 9 - 5, "everything but the five that succeeded");
    let history = &status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == running[0])
        .unwrap()["history"];
    assert_eq!(history[1]["outcome"], "cancelled");
    assert_eq!(history[1]["reason"], "cancelled by `relplan cancel`");
    assert_eq!(
        history[1]["runs"],
        serde_json::json!(["sim:relplan-18b28e444c9a-blvm-node-2"])
    );
    assert!(history[1].get("adopted").is_none(), "not adopted: no field");
}

#[test]
fn a_finished_run_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), usize::MAX);
    let state = dir.path().to_str().unwrap();
    let out = relplan(&["status", "--state-dir", state, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out).replace(state, "DIR"));
}

#[test]
fn a_failed_run_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    failed_run_with(dir.path(), &[]);
    let state = dir.path().to_str().unwrap();
    let out = relplan(&["status", "--state-dir", state, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out).replace(state, "DIR"));
}

/// `relplan status | head -0`: the reader is gone before anything is written; the command
/// ends as it would have, in every format.
#[test]
fn a_reader_that_stops_reading_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    journal_of(dir.path(), usize::MAX);
    let state = dir.path().to_str().unwrap();
    for format in ["text", "json", "markdown"] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = command(
            root(),
            &["status", "--state-dir", state, "--format", format],
        )
        .stdout(writer)
        .output()
        .expect("relplan runs");
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{format}");
    }
}

/// A run that has ended is shown once, as `status` shows it, and `--exit-status` says how
/// it ended: 0 for a release that succeeded, 1 for one that failed.
#[test]
fn watching_a_run_that_has_ended_shows_it_once_and_exits_with_its_result() {
    let finished = tempfile::tempdir().unwrap();
    journal_of(finished.path(), usize::MAX);
    let failed = tempfile::tempdir().unwrap();
    failed_run_with(failed.path(), &[]);
    for (dir, code) in [(finished.path(), 0), (failed.path(), 1)] {
        let state = dir.to_str().unwrap();
        let once = relplan(&["status", "--state-dir", state]);
        let watched = relplan(&["status", "--state-dir", state, "--watch", "--exit-status"]);
        assert_eq!(watched.status.code(), Some(code));
        assert_eq!(stdout(&watched), stdout(&once));
        let without = relplan(&["status", "--state-dir", state, "--watch"]);
        assert_eq!(without.status.code(), Some(0), "no --exit-status: 0");
    }
    let stopped = tempfile::tempdir().unwrap();
    journal_of(stopped.path(), 20);
    let state = stopped.path().to_str().unwrap();
    let watched = relplan(&["status", "--state-dir", state, "--watch", "--exit-status"]);
    assert_eq!(
        watched.status.code(),
        Some(130),
        "no executor moves it: not over, nothing to wait for"
    );
}

#[test]
fn exit_status_and_interval_need_watch() {
    let out = relplan(&["status", "--exit-status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--watch"), "{}", stderr(&out));
}

/// The headline of the Markdown report says where the release really is: for the local
/// backend a folder of the state directory (as it was given), not the plan's repository.
#[test]
fn a_local_run_s_report_names_the_release_folder() {
    let headline = |f: &crate::common::local::Fixture| {
        let out = f.relplan(&["status", "--state-dir", "state", "--format", "markdown"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let state = f.state().canonicalize().unwrap();
        stdout(&out)
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&state.display().to_string(), "STATE")
    };
    let published = crate::common::local::normal();
    let args = published.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = published.relplan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let failed = crate::common::local::three("", |f, name| match name {
        "sdk" => "exit 3".to_string(),
        _ => f.build(name),
    });
    let args = failed.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = failed.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    insta::assert_snapshot!(format!(
        "{}\n\n---\n\n{}",
        headline(&published),
        headline(&failed)
    ));
}
