//! `relplan status` on journals with known contents (written from a simulation, so every
//! time is fixed): the text people read is a snapshot, the JSON programs read is exact.

use std::path::Path;

use relplan::compile::{Request, compile_from_disk};
use relplan::exec::event::Event;
use relplan::exec::journal::Journal;
use relplan::scenario::{JobBehaviour, Outcome, Scenario};
use relplan::simulate::simulate;

use crate::common::{relplan, root, stdout};

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
    let mut journal = Journal::open_or_create(dir, &events[0]).unwrap().0;
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
