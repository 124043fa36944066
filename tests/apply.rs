//! `apply --backend sim`, `status`, `pause` and `resume` through the binary: the approval
//! gate, refusals, a published release that `sha256sum -c` accepts, kill -9 and Ctrl-C
//! followed by `resume`, and pause. Runs use a high --speed; no assertion depends on how
//! fast the machine is, only on what the journal and the simulated world record.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use relplan::backend::sim::{RELEASE_DIR, load_world};
use relplan::exec::event::Event;
use relplan::exec::journal::{self, Journal};
use relplan::exec::temp_dir::TMP_DIR;
use serde_json::Value;

use crate::common::{command, relplan, root, stderr, stdout};

const PLAN: &str = "plans/bitcoin-commons.toml";
const HASH: &str = "sha256:18b28e444c9aead0b085e1d8ed2ff1e81b16ed94c4f652f7f62a586f7aa834c7";

fn apply(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "apply",
        PLAN,
        "--backend",
        "sim",
        "--state-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    relplan(&args)
}

fn spawn_apply(dir: &Path, extra: &[&str]) -> Child {
    let state = dir.to_str().unwrap();
    command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--state-dir", state],
    )
    .args(extra)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("the relplan binary starts")
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

/// Starts an apply in `dir` at `speed` in the world of `scenario`, and returns once it
/// runs a job.
fn running_apply(dir: &Path, speed: &str, scenario: &str) -> Child {
    let mut child = spawn_apply(dir, &["--speed", speed, "--scenario", scenario]);
    wait_for_line(&mut child, "running");
    child
}

fn status_json(dir: &Path) -> Value {
    let out = relplan(&[
        "status",
        "--state-dir",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("status prints JSON")
}

/// Every job succeeded with one attempt, nothing was dispatched twice, the release was
/// published once and its SHA256SUMS checks with `sha256sum -c`.
fn assert_clean_release(dir: &Path) {
    let status = status_json(dir);
    assert_eq!(status["status"], "succeeded");
    assert_eq!(status["published"], true);
    assert_eq!(status["plan_hash"], HASH);
    for job in status["jobs"].as_array().unwrap() {
        assert_eq!(
            (&job["state"], &job["attempts"]),
            (&Value::from("succeeded"), &Value::from(1)),
            "{job}"
        );
    }
    let world = load_world(dir).unwrap();
    let mut seen = std::collections::HashSet::new();
    assert!(
        world.dispatches.iter().all(|id| seen.insert(id)),
        "a dispatch was repeated: {:?}",
        world.dispatches
    );
    assert_eq!(world.dispatches.len(), 8);
    assert_eq!(world.release.as_ref().map(|r| r.publications), Some(1));
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(dir.join(RELEASE_DIR).join("v0.1.0"))
        .output()
        .expect("sha256sum runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_only_published_files(dir);
}

/// The release directory holds exactly the files SHA256SUMS names and SHA256SUMS, and the
/// run's temporary directory is empty.
fn assert_only_published_files(dir: &Path) {
    let release = dir.join(RELEASE_DIR).join("v0.1.0");
    let sums = fs_err::read_to_string(release.join("SHA256SUMS")).unwrap();
    let mut expected: Vec<String> = sums
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, name)| name.to_string()))
        .collect();
    expected.push("SHA256SUMS".into());
    expected.sort();
    assert_eq!(names_in(&release), expected);
    assert_eq!(names_in(&dir.join(TMP_DIR)), Vec::<String>::new());
}

/// The names in a directory, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn apply_publishes_a_release_that_sha256sum_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(dir.path(), &["--speed", "1000000", "--expect-hash", HASH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .starts_with("9 succeeded, 0 failed, 0 skipped, 0 cancelled, release v0.1.0 published")
    );
    assert_clean_release(dir.path());
    // Applying the same plan again continues the finished run: nothing happens twice.
    let again = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(again.status.code(), Some(0));
    assert_clean_release(dir.path());
}

#[test]
fn a_plan_that_is_not_the_approved_one_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let out = apply(&state, &["--expect-hash", wrong]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains(&format!(
        "error: the plan's hash is {HASH}, not the approved {wrong}"
    )));
    assert!(!state.exists(), "nothing is written for a refused plan");
}

#[test]
fn the_approved_hash_may_be_given_without_its_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let bare = HASH.strip_prefix("sha256:").unwrap();
    for given in [bare.to_string(), bare.to_ascii_uppercase()] {
        let out = apply(dir.path(), &["--speed", "1000000", "--expect-hash", &given]);
        assert_eq!(out.status.code(), Some(0), "{given}: {}", stderr(&out));
    }
    assert_clean_release(dir.path());
}

#[test]
fn an_expected_hash_of_another_form_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let short = &HASH[..20];
    let cases = [
        short,
        "sha256:",
        "sha1:0000000000000000000000000000000000000000",
        "sha256:zz00000000000000000000000000000000000000000000000000000000000000",
        "",
    ];
    for given in cases {
        let out = apply(&state, &["--expect-hash", given]);
        assert_eq!(out.status.code(), Some(2), "{given:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "`{given}` is not a plan hash: give `sha256:` and its 64 hex digits, or the 64 hex digits alone"
            )),
            "{given:?}: {}",
            stderr(&out)
        );
        assert!(!state.exists(), "nothing is written for {given:?}");
    }
}

#[test]
fn a_state_directory_of_another_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        apply(dir.path(), &["--speed", "1000000"]).status.code(),
        Some(0)
    );
    let versions = root().join("tests/corpus/versions/blvm__cb7a509__versions.toml");
    let out = relplan(&[
        "apply",
        "--versions",
        versions.to_str().unwrap(),
        "--owner",
        "BTCDecoded",
        "--backend",
        "sim",
        "--state-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("holds a run of another plan"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_executor_is_refused_while_the_lock_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let first = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(first.status.code(), Some(0));
    let (_held, _) = Journal::open(dir.path()).unwrap();
    let out = apply(dir.path(), &["--speed", "1000000"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("another relplan is running on"),
        "{}",
        stderr(&out)
    );
    let resume = relplan(&["resume", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(resume.status.code(), Some(4));
}

#[test]
fn kill_9_at_any_moment_then_resume_dispatches_nothing_twice() {
    for lines in [2, 5, 9, 14, 20] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = spawn_apply(dir.path(), &["--speed", "20000", "--concurrency", "2"]);
        let path = journal::journal_path(dir.path());
        while child.try_wait().unwrap().is_none() {
            let written = fs_err::read_to_string(&path).map_or(0, |t| t.lines().count());
            if written >= lines {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let out = relplan(&["resume", "--state-dir", dir.path().to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "killed after {lines} lines: {}",
            stderr(&out)
        );
        assert_clean_release(dir.path());
    }
}

/// Starts a slow apply in `dir`, sends `signal` once it runs, and checks it stopped with
/// 130 and a journal that ends with `Interrupted`.
fn interrupt_running_apply(dir: &Path, signal: &str) {
    let mut child = running_apply(dir, "1000", "tests/scenarios/slow-start.toml");
    assert_eq!(status_json(dir)["status"], "running");
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let events = journal::read(dir).unwrap();
    assert!(
        matches!(events.last(), Some(Event::Interrupted { .. })),
        "{:?}",
        events.last()
    );
}

#[test]
fn ctrl_c_stops_cleanly_with_130_and_resume_completes() {
    let dir = tempfile::tempdir().unwrap();
    interrupt_running_apply(dir.path(), "-INT");
    assert_eq!(status_json(dir.path())["status"], "interrupted");
    let out = relplan(&["resume", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean_release(dir.path());
}

#[test]
fn pause_lets_running_jobs_finish_and_starts_nothing_until_resume() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let mut child = running_apply(dir.path(), "1000", "tests/scenarios/slow-start.toml");
    let pause = relplan(&["pause", "--state-dir", state]);
    assert_eq!(pause.status.code(), Some(0), "{}", stderr(&pause));
    assert_eq!(
        child.wait().unwrap().code(),
        Some(130),
        "a paused executor stops once running jobs end"
    );
    let events = journal::read(dir.path()).unwrap();
    let paused_at = events
        .iter()
        .position(|e| matches!(e, Event::Paused { .. }))
        .expect("the pause is journaled");
    assert!(
        !events[paused_at..]
            .iter()
            .any(|e| matches!(e, Event::AttemptStarting { .. })),
        "nothing starts after the pause"
    );
    let status = status_json(dir.path());
    assert_eq!(status["status"], "paused");
    let states: Vec<&str> = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"pending"), "{states:?}");
    assert!(!states.contains(&"running"), "{states:?}");
    let out = relplan(&["resume", "--state-dir", state]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean_release(dir.path());
}

#[test]
fn status_without_a_run_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = relplan(&["status", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("help: give the --state-dir of a run started with `relplan apply`")
    );
}

#[test]
fn a_torn_last_journal_line_is_dropped_on_replay_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let mut child = running_apply(dir.path(), "2000", "tests/scenarios/short.toml");
    child.kill().unwrap();
    child.wait().unwrap();
    let path = journal::journal_path(dir.path());
    let whole = fs_err::read_to_string(&path).unwrap();
    // A write cut short by the crash: half an event, no newline.
    fs_err::write(
        &path,
        format!("{whole}{{\"event\":\"attempt_finished\",\"job\":\"blvm-s"),
    )
    .unwrap();
    assert_eq!(
        journal::read(dir.path()).unwrap().len(),
        whole.lines().count()
    );
    assert_eq!(status_json(dir.path())["status"], "stopped");
    let out = relplan(&["resume", "--state-dir", state]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean_release(dir.path());
    assert!(
        fs_err::read_to_string(&path).unwrap().ends_with("}\n"),
        "the torn line was cut off"
    );
}

#[test]
fn a_hanging_job_is_timed_out_cancelled_and_its_dependents_never_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &[
            "--speed",
            "1000000",
            "--scenario",
            "plans/scenarios/protocol-hangs.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("4 succeeded, 1 failed, 4 skipped, 0 cancelled;"),
        "{}",
        stdout(&out)
    );
    let status = status_json(dir.path());
    assert_eq!(status["status"], "failed");
    assert_eq!(status["published"], false);
    let protocol = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "blvm-protocol")
        .unwrap();
    assert_eq!(protocol["attempts"], 2);
    for attempt in protocol["history"].as_array().unwrap() {
        assert_eq!(attempt["outcome"], "timed_out");
    }
    let world = load_world(dir.path()).unwrap();
    let protocol_runs: Vec<_> = world
        .runs
        .values()
        .filter(|r| r.job == "blvm-protocol")
        .collect();
    assert_eq!(protocol_runs.len(), 2);
    assert!(
        protocol_runs.iter().all(|r| r.cancelled_at.is_some()),
        "timed-out runs are cancelled"
    );
    let dispatched: std::collections::BTreeSet<&str> =
        world.runs.values().map(|r| r.job.as_str()).collect();
    for never in ["blvm-node", "blvm", "deploy-signal"] {
        assert!(!dispatched.contains(never), "{never} was dispatched");
    }
    // The plan's [fallback] was started once, and the user was told.
    let fallback = world.runs.values().filter(|r| r.job == "fallback").count();
    assert_eq!(fallback, 1);
    assert!(
        stderr(&out).contains("fallback dispatched")
            || stdout(&out).contains("fallback dispatched")
    );
}

#[test]
fn fail_fast_cancels_running_runs_and_ends_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let out = apply(
        dir.path(),
        &[
            "--speed",
            "1000000",
            "--fail-fast",
            "--scenario",
            "plans/scenarios/node-flaky-sdk-dead.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let status = status_json(dir.path());
    assert_eq!(status["status"], "failed");
    let state = |id: &str| {
        let jobs = status["jobs"].as_array().unwrap();
        jobs.iter().find(|j| j["id"] == id).unwrap()["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state("blvm-sdk"), "failed");
    for skipped in ["governance-app", "release", "deploy-signal"] {
        assert_eq!(state(skipped), "skipped", "{skipped}");
    }
    // Nothing is left running or waiting; every cancelled run belongs to a cancelled job.
    for job in status["jobs"].as_array().unwrap() {
        assert!(
            !["running", "pending"].contains(&job["state"].as_str().unwrap()),
            "{job}"
        );
    }
    let world = load_world(dir.path()).unwrap();
    for run in world.runs.values().filter(|r| r.cancelled_at.is_some()) {
        assert_eq!(state(&run.job), "cancelled", "{}", run.job);
    }
    assert!(world.release.is_none(), "nothing is published");
}

#[test]
fn sigterm_stops_cleanly_like_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    interrupt_running_apply(dir.path(), "-TERM");
}

#[test]
fn an_approved_compiled_plan_is_applied_as_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let compiled = dir.path().join("plan.json");
    let out = relplan(&[
        "compile",
        PLAN,
        "--format",
        "json",
        "-o",
        compiled.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let state = dir.path().join("state");
    let out = relplan(&[
        "apply",
        compiled.to_str().unwrap(),
        "--backend",
        "sim",
        "--speed",
        "1000000",
        "--expect-hash",
        HASH,
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean_release(&state);
}

#[test]
fn runs_lost_from_the_world_fail_their_attempt_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = running_apply(dir.path(), "1000", "tests/scenarios/slow-start.toml");
    child.kill().unwrap();
    child.wait().unwrap();
    fs_err::remove_file(dir.path().join(relplan::backend::sim::WORLD_FILE)).unwrap();
    let out = relplan(&["resume", "--state-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the simulated world has no run"),
        "{}",
        stderr(&out)
    );
    // The lost attempt failed; its retry (the plan allows one) ran and succeeded.
    let status = status_json(dir.path());
    assert_eq!(status["status"], "succeeded");
    let retried: Vec<&Value> = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["attempts"] == 2)
        .collect();
    assert!(!retried.is_empty());
}

#[test]
fn a_journal_without_an_event_is_a_run_that_never_started() {
    // A kill right after an older relplan created the file, or one cut in its first line.
    for left in ["", "{\"event\":\"started\",\"plan\":{\"rel"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().to_str().unwrap();
        fs_err::write(journal::journal_path(dir.path()), left).unwrap();
        for command in ["resume", "status"] {
            let out = relplan(&[command, "--state-dir", state]);
            assert_eq!(out.status.code(), Some(1), "{command}");
            assert!(
                stderr(&out).contains("error: nothing was started in `"),
                "{command}: {}",
                stderr(&out)
            );
        }
        let out = apply(dir.path(), &["--speed", "1000000"]);
        assert_eq!(out.status.code(), Some(0), "{left:?}: {}", stderr(&out));
        assert_clean_release(dir.path());
    }
}

#[test]
fn temporary_files_left_by_a_crash_are_removed_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let mut child = running_apply(dir.path(), "2000", "tests/scenarios/short.toml");
    child.kill().unwrap();
    child.wait().unwrap();
    // What a kill in the middle of writing a file leaves behind.
    let tmp = dir.path().join(TMP_DIR);
    fs_err::write(tmp.join(".tmpQx3Zr1"), b"half a world file").unwrap();
    fs_err::create_dir_all(tmp.join("artifacts/blvm-node")).unwrap();
    fs_err::write(tmp.join("artifacts/blvm-node/0"), b"half an asset").unwrap();
    let out = relplan(&["resume", "--state-dir", state]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean_release(dir.path());
}

/// The step summary with the times that follow the machine's speed (the makespan, each
/// job's duration) left out.
fn without_times(summary: &str) -> String {
    summary
        .lines()
        .map(|line| {
            if line.starts_with("Makespan ") {
                return "Makespan …".to_string();
            }
            let cells: Vec<&str> = line.split('|').collect();
            if line.starts_with("| `") && cells.len() == 8 {
                let mut cells = cells;
                cells[4] = " … ";
                return cells.join("|");
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `apply` in a GitHub Actions step appends the run's report to `$GITHUB_STEP_SUMMARY`:
/// after what earlier steps wrote, naming every job and the release.
#[test]
fn apply_appends_the_runs_report_to_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    fs_err::write(&summary, "# an earlier step\n\n").unwrap();
    let state = dir.path().join("state");
    let out = command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
    )
    .args(["--state-dir", state.to_str().unwrap()])
    .env("GITHUB_STEP_SUMMARY", &summary)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = fs_err::read_to_string(&summary).unwrap();
    let report = written
        .strip_prefix("# an earlier step\n\n")
        .unwrap_or_else(|| panic!("what was there is kept: {written}"));
    let plan = relplan::exec::session::read(&state).unwrap();
    for i in 0..plan.job_count() {
        let id = &plan.job(i).id;
        assert!(report.contains(&format!("| `{id}` |")), "{id}: {report}");
    }
    assert!(
        report.contains("[`v0.1.0`](sim://release/v0.1.0)"),
        "{report}"
    );
    insta::assert_snapshot!(without_times(report).replace(state.to_str().unwrap(), "DIR"));
}

/// A step summary that cannot be written is a warning; the run is not lost.
#[test]
fn a_step_summary_that_cannot_be_written_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let out = command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
    )
    .args(["--state-dir", state.to_str().unwrap()])
    .env("GITHUB_STEP_SUMMARY", dir.path())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("warning: cannot append the run's summary to `$GITHUB_STEP_SUMMARY`: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(status_json(&state)["status"], "succeeded");
}

/// In CI (`CI=true`) the adoption is folded with `::group::`; the run's own lines are not.
#[test]
fn in_ci_the_adoption_is_folded() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
    )
    .args(["--state-dir", dir.path().to_str().unwrap()])
    .env("CI", "true")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = stderr(&out);
    let lines: Vec<&str> = log.lines().collect();
    let opened = lines
        .iter()
        .position(|l| *l == "::group::relplan: adoption (what the backend already holds)")
        .unwrap_or_else(|| panic!("no fold: {log}"));
    assert_eq!(
        lines[opened + 1],
        "[          0s] adopted   nothing: the backend holds no run of this plan yet",
        "the adoption's line is inside its fold: {log}"
    );
    assert_eq!(lines[opened + 2], "::endgroup::", "{log}");
    assert_eq!(log.matches("] adopted ").count(), 1, "shown once: {log}");
    assert_eq!(log.matches("::group::").count(), 1, "{log}");
    assert_eq!(log.matches("::endgroup::").count(), 1, "{log}");
}

/// `relplan apply … | head -0`: the summary line has no reader; the run ends as it would.
#[test]
fn apply_with_a_reader_that_stops_reading_ends_as_it_would() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
    )
    .args(["--state-dir", dir.path().to_str().unwrap()])
    .stdout(writer)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(status_json(dir.path())["status"], "succeeded");
}

/// `status --watch` follows a run an executor is driving until it ends, then exits with its
/// result under `--exit-status`: 0 when it succeeded, 1 when it did not.
#[test]
fn status_watch_follows_a_running_apply_to_its_end() {
    for (scenario, speed, code, ended) in [
        ("tests/scenarios/short.toml", "1000", 0, "succeeded"),
        ("plans/scenarios/node-fails-twice.toml", "5000", 1, "failed"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = running_apply(dir.path(), speed, scenario);
        let state = dir.path().to_str().unwrap();
        let watched = relplan(&[
            "status",
            "--state-dir",
            state,
            "--watch",
            "--exit-status",
            "--interval",
            "1s",
        ]);
        assert_eq!(watched.status.code(), Some(code), "{}", stderr(&watched));
        let shown = stdout(&watched);
        let last = shown
            .rsplit("Bitcoin Commons (tag v0.1.0): ")
            .next()
            .unwrap_or("");
        assert!(last.starts_with(ended), "{shown}");
        assert_eq!(child.wait().unwrap().code(), Some(code));
    }
}

/// A release that fails, then `relplan retry` in a later step of the same job: each
/// appends its own report, the first saying what did not complete and what to run, the
/// second that the release is published.
#[test]
fn apply_then_retry_each_append_their_report() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap();
    let failed = command(
        root(),
        &["apply", PLAN, "--backend", "sim", "--speed", "1000000"],
    )
    .args(["--scenario", "plans/scenarios/node-fails-twice.toml"])
    .args(["--state-dir", state_arg])
    .env("GITHUB_STEP_SUMMARY", &summary)
    .output()
    .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let first = fs_err::read_to_string(&summary).unwrap();
    assert!(
        first.starts_with("## ❌ Bitcoin Commons 0.1.0: the release did not complete\n"),
        "{first}"
    );
    assert!(
        first.ends_with(&format!(
            "**Next:** continue from the jobs that did not complete with `relplan retry --state-dir {state_arg}`\n\n"
        )),
        "{first}"
    );
    let retried = command(root(), &["retry", "--state-dir", state_arg])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(retried.status.code(), Some(0), "{}", stderr(&retried));
    let both = fs_err::read_to_string(&summary).unwrap();
    let second = both
        .strip_prefix(&first)
        .unwrap_or_else(|| panic!("the first report is kept: {both}"));
    assert!(
        second.starts_with("## ✅ Bitcoin Commons 0.1.0: released\n"),
        "{second}"
    );
    assert!(second.ends_with("**Next:** nothing: the release is complete.\n\n"));
}

/// `apply` again with other settings continues the run with its own and names exactly the
/// ones it keeps; with the same settings it says nothing about them.
#[test]
fn applying_again_with_other_settings_names_the_settings_the_run_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let first = apply(dir.path(), &["--speed", "1000000", "--concurrency", "2"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let notes = |out: &std::process::Output| -> Vec<String> {
        stderr(out)
            .lines()
            .filter(|l| l.starts_with("note:"))
            .map(|l| l.replace(dir.path().to_str().unwrap(), "STATE"))
            .collect()
    };
    let same = apply(dir.path(), &["--speed", "1000000", "--concurrency", "2"]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(
        notes(&same),
        ["note: `STATE` already holds a run of this plan; continuing it"]
    );
    let other = apply(
        dir.path(),
        &["--speed", "5", "--scenario", "tests/scenarios/short.toml"],
    );
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    insta::assert_snapshot!(notes(&other).join("\n"));
    let local = relplan(&[
        "apply",
        PLAN,
        "--backend",
        "local",
        "--workspace",
        "ws",
        "--concurrency",
        "2",
        "--state-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(local.status.code(), Some(0), "{}", stderr(&local));
    assert_eq!(
        notes(&local)[1],
        "note: the run keeps the --backend it started with, which this command sets otherwise; use another --state-dir to change it"
    );
}
