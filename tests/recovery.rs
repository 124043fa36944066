//! Recovering a release without redoing it, on the sim backend through the binary:
//! `relplan retry` after a job failed for good, `relplan cancel` of a running and of a
//! stopped executor, a finished release applied again from a new journal, and what
//! `resume` tells after `kill -9`, and `pause` of a retried run. Assertions read the journal
//! and the simulated world, never the wall clock.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use relplan::backend::sim::{RELEASE_DIR, World, load_world};
use relplan::exec::event::Event;
use relplan::exec::journal;
use serde_json::Value;

use crate::common::{command, relplan, root, stderr, stdout};

const PLAN: &str = "plans/bitcoin-commons.toml";
/// blvm-node fails its two attempts, and succeeds at the third.
const NODE_FAILS_TWICE: &str = "plans/scenarios/node-fails-twice.toml";

fn state(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 path")
}

fn apply(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["apply", PLAN, "--backend", "sim", "--state-dir", state(dir)];
    args.extend_from_slice(extra);
    relplan(&args)
}

fn status_json(dir: &Path) -> Value {
    let out = relplan(&["status", "--state-dir", state(dir), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("status prints JSON")
}

fn job<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["id"] == id))
        .unwrap_or_else(|| panic!("no job {id} in {status}"))
}

/// Dispatches per job in the world, asserting that no correlation id was sent twice.
fn dispatches(world: &World) -> BTreeMap<String, usize> {
    let mut seen = std::collections::HashSet::new();
    for id in &world.dispatches {
        assert!(seen.insert(id), "{id} was dispatched twice");
    }
    let mut per_job = BTreeMap::new();
    for run in world.runs.values() {
        *per_job.entry(run.job.clone()).or_insert(0) += 1;
    }
    per_job
}

fn sha256sum_accepts(dir: &Path) {
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(dir.join(RELEASE_DIR).join("v0.1.0"))
        .output()
        .expect("sha256sum runs");
    assert!(check.status.success(), "{}", stdout(&check));
}

/// Starts an apply of `scenario` at `speed` and returns once it logged a line containing
/// `needle`; the rest of its stderr is drained in the background.
fn spawn_apply_until(dir: &Path, speed: &str, scenario: &str, needle: &str) -> Child {
    let mut child = command(
        root(),
        &[
            "apply",
            PLAN,
            "--backend",
            "sim",
            "--state-dir",
            state(dir),
            "--speed",
            speed,
            "--scenario",
            scenario,
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("the relplan binary starts");
    wait_for_line(&mut child, needle);
    child
}

/// Reads the child's stderr until a line contains `needle`; the rest is drained in the
/// background so the child never blocks on a full pipe.
fn wait_for_line(child: &mut Child, needle: &str) {
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    for line in lines.by_ref() {
        if line.expect("utf-8 log").contains(needle) {
            std::thread::spawn(move || lines.for_each(drop));
            return;
        }
    }
    panic!("the executor ended before logging `{needle}`");
}

#[test]
fn retry_continues_a_failed_release_from_the_failure_and_publishes_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &["--speed", "1000000", "--scenario", NODE_FAILS_TWICE],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("5 succeeded, 1 failed, 3 skipped, 0 cancelled;"));
    assert!(
        stderr(&out).contains(&format!(
            "help: `relplan retry --state-dir {}` continues the run",
            state(dir.path())
        )),
        "{}",
        stderr(&out)
    );
    let before = load_world(dir.path()).unwrap();

    let retry = relplan(&["retry", "--state-dir", state(dir.path())]);
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    assert!(
        stdout(&retry)
            .starts_with("9 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0 published"),
        "{}",
        stdout(&retry)
    );
    let log = stderr(&retry);
    assert!(log.contains("retry     blvm-node"), "{log}");
    assert!(log.contains("start     blvm-node (attempt 3)"), "{log}");

    let status = status_json(dir.path());
    assert_eq!(status["status"], "succeeded");
    let node = job(&status, "blvm-node");
    assert_eq!(node["attempts"], 3);
    let outcomes: Vec<&Value> = node["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["outcome"])
        .collect();
    assert_eq!(outcomes, ["failure", "failure", "success"]);
    assert_eq!(status["requests"][0]["kind"], "retry");
    assert_eq!(
        status["requests"][0]["jobs"],
        serde_json::json!(["blvm-node"])
    );

    let world = load_world(dir.path()).unwrap();
    let per_job = dispatches(&world);
    assert_eq!(per_job["blvm-node"], 3);
    for (job, count) in &per_job {
        if job != "blvm-node" {
            assert_eq!(*count, 1, "{job}");
        }
    }
    // What had succeeded before the retry was not dispatched again.
    assert_eq!(
        world.dispatches[..before.dispatches.len()],
        before.dispatches[..]
    );
    for id in &world.dispatches[before.dispatches.len()..] {
        let job = &world.runs[id].job;
        assert!(
            ["blvm-node", "blvm", "deploy-signal"].contains(&job.as_str()),
            "{job} was dispatched again"
        );
    }
    assert_eq!(world.release.as_ref().map(|r| r.publications), Some(1));
    sha256sum_accepts(dir.path());
}

#[test]
fn retry_refuses_what_it_cannot_retry() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &["--speed", "1000000", "--scenario", NODE_FAILS_TWICE],
    );
    assert_eq!(out.status.code(), Some(1));
    let typo = relplan(&["retry", "blvm-nod", "--state-dir", state(dir.path())]);
    assert_eq!(typo.status.code(), Some(2));
    assert_eq!(
        stderr(&typo),
        "error: the plan has no job `blvm-nod`\nhelp: did you mean `blvm-node`?\n"
    );
    let succeeded = relplan(&["retry", "blvm-sdk", "--state-dir", state(dir.path())]);
    assert_eq!(succeeded.status.code(), Some(1));
    assert!(
        stderr(&succeeded).starts_with(
            "error: `blvm-sdk` cannot be retried: it succeeded, and what succeeded is never dispatched again"
        ),
        "{}",
        stderr(&succeeded)
    );
    let world = load_world(dir.path()).unwrap();
    assert_eq!(
        world.dispatches.len(),
        8,
        "nothing more was dispatched: 6 builds, the node twice, the fallback"
    );
}

#[test]
fn cancel_stops_a_hanging_build_dispatches_none_of_its_dependents_and_the_executor_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_apply_until(
        dir.path(),
        "1000",
        "plans/scenarios/protocol-hangs.toml",
        "running   blvm-protocol",
    );
    let cancel = relplan(&["cancel", "--state-dir", state(dir.path())]);
    assert_eq!(cancel.status.code(), Some(0), "{}", stderr(&cancel));
    assert!(
        stdout(&cancel).starts_with("cancelled: 1 running attempt stopped, 5 jobs cancelled;"),
        "{}",
        stdout(&cancel)
    );
    assert_eq!(
        child.wait().unwrap().code(),
        Some(1),
        "the executor exits 1"
    );

    let world = load_world(dir.path()).unwrap();
    let protocol: Vec<_> = world
        .runs
        .values()
        .filter(|r| r.job == "blvm-protocol")
        .collect();
    assert_eq!(protocol.len(), 1);
    assert!(protocol[0].cancelled_at.is_some(), "its run was cancelled");
    for never in ["blvm-node", "blvm", "deploy-signal", "fallback"] {
        assert!(
            !world.runs.values().any(|r| r.job == never),
            "{never} was dispatched"
        );
    }
    assert!(world.release.is_none());
    let status = status_json(dir.path());
    assert_eq!(status["status"], "cancelled");
    assert_eq!(job(&status, "blvm-protocol")["state"], "cancelled");
    assert_eq!(job(&status, "blvm-node")["state"], "cancelled");
    assert_eq!(status["requests"][0]["kind"], "cancel");
    let events = journal::read(dir.path()).unwrap();
    assert!(matches!(events.last(), Some(Event::Finished { .. })));
}

#[test]
fn cancel_without_a_running_executor_cancels_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_apply_until(
        dir.path(),
        "1000",
        "tests/scenarios/slow-start.toml",
        "running",
    );
    child.kill().unwrap(); // SIGKILL: runs go on in the world
    child.wait().unwrap();
    let running: Vec<String> = load_world(dir.path())
        .unwrap()
        .runs
        .iter()
        .filter(|(_, r)| r.cancelled_at.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!running.is_empty());
    let cancel = relplan(&["cancel", "--state-dir", state(dir.path())]);
    assert_eq!(cancel.status.code(), Some(0), "{}", stderr(&cancel));
    let world = load_world(dir.path()).unwrap();
    for id in &running {
        assert!(
            world.runs[id].cancelled_at.is_some(),
            "{id} was not cancelled"
        );
    }
    assert_eq!(world.dispatches.len(), running.len(), "nothing new started");
    assert_eq!(status_json(dir.path())["status"], "cancelled");
    // Cancelling again: nothing to do.
    let again = relplan(&["cancel", "--state-dir", state(dir.path())]);
    assert_eq!(again.status.code(), Some(0));
    assert!(stderr(&again).contains("has finished; there is nothing to cancel"));
}

#[test]
fn a_finished_release_applied_from_a_new_journal_dispatches_nothing_and_says_it_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = load_world(dir.path()).unwrap();
    fs_err::remove_file(journal::journal_path(dir.path())).unwrap();
    let again = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again)
            .starts_with("9 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0 published")
    );
    assert!(
        stderr(&again).contains(
            "adopted   from the backend: 8 attempts of 8 jobs (none still running), the release (already published)"
        ),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        load_world(dir.path()).unwrap(),
        before,
        "nothing was dispatched"
    );
    let status = status_json(dir.path());
    assert!(status["adopted_s"].is_u64());
    assert_eq!(job(&status, "blvm-node")["history"][0]["adopted"], true);
}

/// The `[time]` stamps of the log lines in `log`, in seconds, in order.
fn stamps(log: &str) -> Vec<u64> {
    log.lines()
        .filter_map(|l| l.strip_prefix('[')?.split_once(']'))
        .map(|(time, _)| {
            time.split_whitespace()
                .map(|part| {
                    let (n, unit) = part.split_at(part.len() - 1);
                    let n: u64 = n.parse().expect("a number");
                    n * match unit {
                        "h" => 3600,
                        "m" => 60,
                        _ => 1,
                    }
                })
                .sum()
        })
        .collect()
}

#[test]
fn resume_after_kill_9_says_it_resumed_shows_what_still_runs_and_never_goes_back_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_apply_until(
        dir.path(),
        "1000",
        "tests/scenarios/slow-start.toml",
        "running",
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let out = relplan(&["resume", "--state-dir", state(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = stderr(&out);
    let lines: Vec<&str> = log.lines().collect();
    let resumed = lines
        .iter()
        .position(|l| l.ends_with("] resumed"))
        .unwrap_or_else(|| panic!("no resumed line in {log}"));
    assert!(
        lines[resumed + 1].contains("still running from before: "),
        "{log}"
    );
    let times = stamps(&log);
    assert!(times.len() > 10);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{log}");
}

/// A run that finished, was retried, and whose executor then died: it is running again, so
/// `pause` pauses it (journaled, as with no executor) instead of calling it finished.
#[test]
fn pause_after_a_retry_of_a_finished_run_pauses_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &["--speed", "1000000", "--scenario", NODE_FAILS_TWICE],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let retry = relplan(&["retry", "--state-dir", state(dir.path())]);
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    // The executor of the retry dies right after journaling it.
    let path = journal::journal_path(dir.path());
    let text = fs_err::read_to_string(&path).unwrap();
    let cut = text
        .split_inclusive('\n')
        .position(|line| line.contains("\"event\":\"retried\""))
        .expect("the retry is journaled");
    let kept: String = text.split_inclusive('\n').take(cut + 1).collect();
    fs_err::write(&path, kept).unwrap();

    let pause = relplan(&["pause", "--state-dir", state(dir.path())]);
    assert_eq!(pause.status.code(), Some(0));
    assert_eq!(
        stderr(&pause).replace(state(dir.path()), "STATE"),
        "paused (no executor was running); continue with `relplan resume --state-dir STATE`\n"
    );
    assert_eq!(status_json(dir.path())["status"], "paused");
}

/// `retry` of a job that was only skipped names the job that stopped it, and the command
/// that retries both; nothing is journaled.
#[test]
fn retry_of_a_skipped_job_names_the_job_it_waits_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &["--speed", "1000000", "--scenario", NODE_FAILS_TWICE],
    );
    assert_eq!(out.status.code(), Some(1));
    let before = fs_err::read(journal::journal_path(dir.path())).unwrap();
    // deploy-signal needs the release, which needs blvm, which needs blvm-node.
    let skipped = relplan(&["retry", "deploy-signal", "--state-dir", state(dir.path())]);
    assert_eq!(skipped.status.code(), Some(1));
    assert_eq!(
        stderr(&skipped).replace(state(dir.path()), "STATE"),
        "error: `deploy-signal` cannot be retried: it was skipped because `blvm-node` did not complete\n\
         help: `relplan retry blvm-node --state-dir STATE` retries `blvm-node`, and `deploy-signal` follows\n"
    );
    assert_eq!(
        fs_err::read(journal::journal_path(dir.path())).unwrap(),
        before
    );
}
