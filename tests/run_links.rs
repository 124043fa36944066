//! Links to what a run made: each attempt's run page (GitHub's `html_url`) and the
//! release's page, in the log lines of a GitHub apply against the fake, in the journal (a
//! fact from the backend, kept for `status`) and in `status`; a journal written before the
//! links were recorded still reads.

use std::time::Duration;

use relplan::exec::event::Event;
use relplan::exec::executor::Ending;
use relplan::exec::journal;
use relplan::exec::machine::Machine;
use relplan::exec::reporter::Reporter;
use relplan::exec::view;

use crate::common::github_run::{SPEED, apply_reporting, plan, world_with};
use crate::common::{relplan, stderr, stdout};
use crate::fake_github::FakeGitHub;

/// A log line without its time (which follows the machine's speed): `[      1h 5m] what`.
fn without_time(line: &str) -> &str {
    line.split_once("] ").map_or(line, |(_, what)| what)
}

#[tokio::test]
async fn the_log_lines_of_a_github_apply_carry_the_runs_and_the_releases_pages() {
    let fake = FakeGitHub::start().await;
    world_with(&fake, &["success"]);
    let _clock = fake.run_clock(Duration::from_secs_f64(1.0 / SPEED));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let reporter = Reporter::memory();
    let ending = apply_reporting(&fake, dir.path(), &plan(), None, reporter.clone()).await;
    assert_eq!(ending.ok(), Some(Ending::Finished { succeeded: true }));
    let all = reporter.lines();
    let lines: Vec<&str> = all.iter().map(|l| without_time(l)).collect();
    let runs: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("running") || l.starts_with("succeeded"))
        .collect();
    // Run ids are the fake's: node's run is 1, its artifact 2, sdk's run 3.
    assert_eq!(
        runs,
        [
            "running   node (attempt 1, 1/1) at https://github.com/o/node/actions/runs/1",
            "succeeded node (attempt 1) at https://github.com/o/node/actions/runs/1",
            "running   sdk (attempt 1, 3/1) at https://github.com/o/sdk/actions/runs/3",
            "succeeded sdk (attempt 1) at https://github.com/o/sdk/actions/runs/3",
            "succeeded release (attempt 1) at https://github.com/o/blvm/releases/tag/v0.1.0-test.1",
        ],
        "{lines:#?}"
    );

    // Journaled with the attempts, so `status` shows them after the executor is gone.
    let events = journal::read(dir.path()).expect("the journal reads");
    let dispatched: Vec<&[String]> = events
        .iter()
        .filter_map(|e| match e {
            Event::AttemptDispatched { run, .. } => Some(run.urls.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(
        dispatched,
        [
            ["https://github.com/o/node/actions/runs/1".to_string()],
            ["https://github.com/o/sdk/actions/runs/3".to_string()]
        ]
    );
    let machine = Machine::replay(&events).expect("a run");
    assert_eq!(
        machine.release_url(),
        Some("https://github.com/o/blvm/releases/tag/v0.1.0-test.1"),
        "the published release's page, not the draft's (`untagged-…`)"
    );
    let urls: Vec<Option<String>> = view::status_rows(&machine)
        .into_iter()
        .map(|row| row.history.last().and_then(|a| a.url.clone()))
        .collect();
    assert_eq!(
        urls,
        [
            Some("https://github.com/o/node/actions/runs/1".to_string()),
            Some("https://github.com/o/sdk/actions/runs/3".to_string()),
            Some("https://github.com/o/blvm/releases/tag/v0.1.0-test.1".to_string()),
        ]
    );
    // The report's headline names the release's repository and links its page.
    let state = dir.path().to_str().expect("a UTF-8 path");
    let report = relplan(&["status", "--state-dir", state, "--format", "markdown"]);
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    assert_eq!(
        stdout(&report).lines().nth(2),
        Some(
            "The release [`v0.1.0-test.1`](https://github.com/o/blvm/releases/tag/v0.1.0-test.1) in `o/blvm` is **published**."
        ),
        "{}",
        stdout(&report)
    );
}

/// A journal line from before runs carried their pages reads as a run without them.
#[test]
fn a_journal_without_pages_still_reads() {
    let old = r#"{"event":"attempt_dispatched","job":"node","attempt":1,"run":{"runs":["1/1"],"started_s":3}}"#;
    let event: Event = serde_json::from_str(old).expect("an old line reads");
    let Event::AttemptDispatched { run, .. } = &event else {
        panic!("{event:?}");
    };
    assert_eq!(
        (run.runs.as_slice(), run.urls.len()),
        (&["1/1".to_string()][..], 0)
    );
    assert_eq!(
        serde_json::to_string(&event).expect("it writes"),
        old,
        "and is written back as it was: no empty field"
    );
    let finished =
        r#"{"event":"attempt_finished","job":"release","attempt":1,"outcome":"success","at":9}"#;
    let event: Event = serde_json::from_str(finished).expect("an old line reads");
    assert!(matches!(event, Event::AttemptFinished { url: None, .. }));
    let adopted = r#"{"event":"adopted","at":0,"published":true}"#;
    let event: Event = serde_json::from_str(adopted).expect("an old line reads");
    assert!(matches!(
        event,
        Event::Adopted {
            release_url: None,
            published: true,
            ..
        }
    ));
}
