//! `apply --backend local`: a plan of three repositories made on the spot (`core`; `node`,
//! which requires it; `sdk`, on its own and cloned from the git base), each build a small
//! shell command. Dependency order, independent builds at the same time, the release
//! folder that `sha256sum -c` accepts, a moved tag refused, retries and skips, kill -9 of
//! the executor then `resume` (every build exactly once, also after a crash at every journal
//! write), and a timed-out build's whole process group killed.
//!
//! Nothing waits on the clock: builds announce themselves with files and wait for files.

use std::process::Command;

use relplan::exec::executor::Ending;
use serde_json::Value;

use crate::common::local::{
    announce_and_wait, assert_gone, assert_no_worktrees, assert_release, git, job, journal,
    move_tag, normal, position, sorted, spawn_apply, states, status, three, wait_for_file,
    wait_until,
};
use crate::common::{stderr, stdout};

#[test]
fn three_repositories_build_in_order_at_once_where_they_can_and_are_released() {
    // core and sdk each wait until the other has started: they finish only if they run at
    // the same time. node checks that core's files are there for it.
    let f = three("", |f, name| match name {
        "core" | "sdk" => {
            let other = if name == "core" { "sdk" } else { "core" };
            format!(
                "touch {} && {} && test -e {} && {}",
                f.path(&format!("{name}.started")).display(),
                wait_until(&f.path(&format!("{other}.started"))),
                f.path(&format!("{other}.started")).display(),
                f.build(name)
            )
        }
        _ => format!(
            "test -f \"$RELPLAN_NEEDS_DIR/core/out/core.txt\" && {} && cat \"$RELPLAN_NEEDS_DIR/core/out/core.txt\" >> out/node.txt",
            f.build(name)
        ),
    });
    let mut args = f.apply_args();
    args.extend(["--expect-hash".into(), f.compiled().plan_hash]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let summary = f.path("summary.md");
    let out = f
        .command(&args)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The local backend's pages are `file://` URLs of absolute paths: each attempt's log,
    // the release folder.
    let state = f.state().canonicalize().unwrap();
    let release_url = format!("file://{}", state.join("release/v1.0.0").display());
    assert_eq!(
        stdout(&out),
        format!(
            "4 succeeded, 0 failed, 0 skipped, 0 cancelled, release v1.0.0 published at {release_url}; see `relplan status --state-dir state`\n"
        )
    );
    // The step summary names every job and the release folder.
    let report = fs_err::read_to_string(&summary).unwrap();
    for id in ["core", "sdk", "node", "release"] {
        assert!(report.contains(&format!("| `{id}` |")), "{id}: {report}");
    }
    assert!(
        report.contains(&format!("The release [`v1.0.0`]({release_url})")),
        "{report}"
    );
    // Each build ran once; node after core.
    let runs = f.runs();
    assert_eq!(sorted(runs.clone()), ["core 1", "node 1", "sdk 1"]);
    assert_eq!(runs.last().map(String::as_str), Some("node 1"));
    // The journal says the same: core and sdk both ran before either ended, node started
    // only after core succeeded, the release after node and sdk.
    let events = journal(&f);
    let at = |event, job| position(&events, event, job);
    let last_start = at("attempt_dispatched", "core").max(at("attempt_dispatched", "sdk"));
    let first_end = at("attempt_finished", "core").min(at("attempt_finished", "sdk"));
    assert!(last_start < first_end, "{events:#?}");
    assert!(at("attempt_finished", "core") < at("attempt_starting", "node"));
    assert!(at("attempt_finished", "node") < at("attempt_starting", "release"));
    assert!(at("attempt_finished", "sdk") < at("attempt_starting", "release"));
    assert_release(&f);
    // node got core's file through its needs.
    let node = fs_err::read_to_string(f.state().join("release/v1.0.0/node.txt")).unwrap();
    assert_eq!(
        node.lines().nth(1),
        fs_err::read_to_string(f.state().join("release/v1.0.0/core.txt"))
            .unwrap()
            .lines()
            .next()
    );
    // sdk was cloned into the workspace from the git base.
    assert!(f.workspace().join("sdk/.git").exists());
    assert_no_worktrees(&f);
    // status names each attempt's log, which holds the build's own lines.
    let status = status(&f);
    assert_eq!(status["status"], "succeeded");
    // Paths are shown as the state directory was given.
    assert_eq!(status["release_dir"], "state/release/v1.0.0");
    let log = job(&status, "node")["history"][0]["log"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(log, "state/local/node/1/output.log");
    let text = fs_err::read_to_string(f.path(&log)).unwrap();
    assert!(
        text.contains("relplan: collected 1 file: out/node.txt"),
        "{text}"
    );
    // `relplan verify` accepts the release folder, against the plan too.
    let verified = f.relplan(&["verify", "state/release/v1.0.0", "--plan", "plan.toml"]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );
    // The text names each attempt's log by its URL, and the release folder by its.
    let people = f.relplan(&["status", "--state-dir", "state"]);
    let log_url = format!("file://{}", state.join("local/node/1/output.log").display());
    assert!(
        stdout(&people).contains(&format!(" (run local:local/node/1) at {log_url}\n")),
        "{}",
        stdout(&people)
    );
    assert!(
        stdout(&people).contains(&format!("\n  release published at {release_url}\n")),
        "{}",
        stdout(&people)
    );
    assert_eq!(status["release_url"], release_url.as_str());
    assert_eq!(job(&status, "node")["history"][0]["url"], log_url.as_str());
}

#[test]
fn a_moved_tag_blocks_the_job_until_it_is_fixed_then_retry_builds_it() {
    let f = normal();
    let pinned = git(
        &f.workspace().join("core"),
        &["rev-parse", "v1.0.0^{commit}"],
    );
    move_tag(&f.workspace(), "core");
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let status = status(&f);
    assert_eq!(
        states(&status),
        [
            ("core".into(), "blocked".into(), 1),
            ("sdk".into(), "succeeded".into(), 1),
            ("node".into(), "skipped".into(), 0),
            ("release".into(), "skipped".into(), 0),
        ]
    );
    let attempt = &job(&status, "core")["history"][0];
    assert_eq!(attempt["outcome"], "blocked");
    let reason = attempt["reason"].as_str().unwrap();
    assert!(
        reason.contains("tag `v1.0.0` of `acme/core` points at"),
        "{reason}"
    );
    assert!(reason.ends_with("the tag moved"), "{reason}");
    let clone = f.workspace().join("core");
    let fix = format!(
        "git -C {} tag --force v1.0.0 {}",
        clone.display(),
        pinned.trim()
    );
    assert_eq!(
        attempt["help"],
        Value::from(format!(
            "point the tag back at the pinned commit (`{fix}`), then `relplan retry`; or update git_commit in the manifest and get the plan approved again"
        ))
    );
    // Nothing was checked out or run for it.
    assert!(!f.state().join("local/core/1").exists());
    assert_eq!(f.runs(), ["sdk 1"]);
    // The fix the help names, then `relplan retry`: core builds at its next attempt.
    let fixed = Command::new("sh").args(["-c", &fix]).output().unwrap();
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    let out = f.relplan(&["retry", "--state-dir", "state"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(f.runs(), ["sdk 1", "core 2", "node 1"]);
    assert!(f.state().join("local/core/2/output.log").exists());
    assert_release(&f);
}

#[test]
fn a_clone_that_cannot_be_made_blocks_its_job_until_it_is_cloned_then_retry_builds_it() {
    let f = normal();
    // sdk is only in the git base, and that copy is gone.
    let remote = f.remotes().join("acme/sdk.git");
    let elsewhere = f.path("sdk-elsewhere.git");
    fs_err::rename(&remote, &elsewhere).unwrap();
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let status = status(&f);
    assert_eq!(job(&status, "sdk")["state"], "blocked");
    assert_eq!(job(&status, "release")["state"], "skipped");
    let attempt = &job(&status, "sdk")["history"][0];
    let reason = attempt["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "cannot dispatch: cannot clone `{}/acme/sdk.git`: ",
            f.remotes().display()
        )),
        "{reason}"
    );
    let clone = f.workspace().join("sdk");
    assert_eq!(
        attempt["help"],
        Value::from(format!(
            "clone it yourself into `{}` (relplan takes a clone that is there as it is), then `relplan retry`; a new run can set RELPLAN_GIT_BASE to where the repositories are",
            clone.display()
        ))
    );
    assert!(!clone.exists(), "no half-made clone is left");
    // The fix the help names, then `relplan retry`.
    let from = elsewhere.display().to_string();
    let into = clone.display().to_string();
    git(f.root.path(), &["clone", "--quiet", &from, &into]);
    let out = f.relplan(&["retry", "--state-dir", "state"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sorted(f.runs()), ["core 1", "node 1", "sdk 2"]);
    assert_release(&f);
}

#[test]
fn a_failing_build_is_retried_then_skips_what_needs_it() {
    let f = three("retries = 1", |f, name| match name {
        "core" => format!("{} && echo \"core is broken\" >&2 && exit 3", f.record()),
        _ => f.build(name),
    });
    // A clock 600 times the wall's: the retry's backoff (15 to 30 s) passes in milliseconds.
    let ending = f
        .apply_in_process(600.0, None)
        .expect("the journal is written");
    assert_eq!(ending, Ending::Finished { succeeded: false });
    let status = status(&f);
    assert_eq!(
        states(&status),
        [
            ("core".into(), "failed".into(), 2),
            ("sdk".into(), "succeeded".into(), 1),
            ("node".into(), "skipped".into(), 0),
            ("release".into(), "skipped".into(), 0),
        ]
    );
    assert_eq!(sorted(f.runs()), ["core 1", "core 2", "sdk 1"]);
    // Both attempts' logs are kept, each with what its build said and how it ended.
    for attempt in [1, 2] {
        let log = f.state().join(format!("local/core/{attempt}/output.log"));
        let text = fs_err::read_to_string(&log).unwrap();
        assert!(text.contains("core is broken\n"), "{text}");
        assert!(
            text.ends_with("relplan: attempt failed: the build exited with status 3\n"),
            "{text}"
        );
        let named = &job(&status, "core")["history"][attempt - 1]["log"];
        assert_eq!(
            named,
            &Value::from(format!("state/local/core/{attempt}/output.log"))
        );
        // `status` says how the build ended, not only that it failed.
        assert_eq!(
            job(&status, "core")["history"][attempt - 1]["reason"],
            "the build exited with status 3"
        );
    }
    assert!(!f.state().join("release").exists());
    assert_no_worktrees(&f);
}

#[test]
fn kill_9_of_the_executor_during_builds_then_resume_runs_every_build_once() {
    let f = three("", |f, name| {
        let started = f.path(&format!("{name}.started"));
        format!(
            "{} && {}",
            announce_and_wait(&started, &f.path("go")),
            f.build(name)
        )
    });
    let go = f.path("go");
    let mut executor = spawn_apply(&f);
    wait_for_file(&f.path("core.started"));
    wait_for_file(&f.path("sdk.started"));
    executor.kill().unwrap(); // SIGKILL
    executor.wait().unwrap();
    assert_eq!(status(&f)["status"], "stopped");
    // The builds outlived the executor; let them finish, then resume.
    fs_err::write(&go, "").unwrap();
    let out = f.relplan(&["resume", "--state-dir", "state"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sorted(f.runs()), ["core 1", "node 1", "sdk 1"]);
    let status = status(&f);
    assert_eq!(status["status"], "succeeded");
    for (id, state, attempts) in states(&status) {
        assert_eq!((state.as_str(), attempts), ("succeeded", 1), "{id}");
    }
    assert_release(&f);
    assert_no_worktrees(&f);
}

#[test]
fn a_crash_after_any_journal_write_then_resume_runs_every_build_once() {
    let mut limit = 1;
    loop {
        let f = normal();
        let stopped = f.apply_in_process(1.0, Some(limit));
        let ending = f
            .apply_in_process(1.0, None)
            .expect("the resumed run is journaled");
        assert_eq!(
            ending,
            Ending::Finished { succeeded: true },
            "crash after {limit} writes"
        );
        assert_eq!(
            sorted(f.runs()),
            ["core 1", "node 1", "sdk 1"],
            "crash after {limit} writes"
        );
        assert_release(&f);
        assert_no_worktrees(&f);
        if stopped.is_ok() {
            // The limit was past the last write: every place was tried.
            assert!(limit > 10, "only {limit} journal writes");
            break;
        }
        limit += 1;
    }
}

#[test]
fn a_build_past_its_timeout_has_its_whole_process_group_killed() {
    let f = three("timeout = \"1s\"", |f, name| match name {
        // The build starts a process of its own and hangs.
        "core" => format!(
            "sleep 600 & echo $! > {} && wait",
            f.path("grandchild.pid").display()
        ),
        _ => f.build(name),
    });
    let grandchild = f.path("grandchild.pid");
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let status = status(&f);
    assert_eq!(job(&status, "core")["history"][0]["outcome"], "timed_out");
    assert_eq!(job(&status, "node")["state"], "skipped");
    // The executor does not wait for the killed build's supervisor to record its end.
    wait_for_file(&f.state().join("local/core/1/status"));
    let pid = fs_err::read_to_string(&grandchild).unwrap();
    assert_gone(pid.trim());
    let log = fs_err::read_to_string(f.state().join("local/core/1/output.log")).unwrap();
    assert!(
        log.ends_with(
            "relplan: attempt failed: stopped by relplan (timeout, cancel or --fail-fast)\n"
        ),
        "{log}"
    );
    assert_no_worktrees(&f);
}

#[test]
fn a_plan_without_local_builds_is_refused_before_anything_is_written() {
    let f = normal();
    let plan = fs_err::read_to_string(f.plan()).unwrap();
    let without_node: String = plan
        .lines()
        .filter(|l| !(l.starts_with("local = ") && l.contains("out/node.txt")))
        .map(|l| format!("{l}\n"))
        .collect();
    fs_err::write(f.plan(), without_node).unwrap();
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("job `node` has no `local.run`, so `--backend local` cannot build it"),
        "{}",
        stderr(&out)
    );
    assert!(!f.state().exists(), "nothing is written for a refused plan");
    // Without --workspace the command line is wrong.
    let out = f.relplan(&[
        "apply",
        "plan.toml",
        "--backend",
        "local",
        "--state-dir",
        "state",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--workspace"), "{}", stderr(&out));
    assert!(!f.state().exists());
}

#[test]
fn a_build_whose_supervisor_dies_fails_and_is_killed_instead_of_hanging() {
    let f = three("", |f, name| match name {
        // `sh -c` is the supervisor's child: its parent is the supervisor.
        "core" => format!(
            "echo $PPID > {} && echo $$ > {} && {}",
            f.path("supervisor.pid").display(),
            f.path("build.pid").display(),
            wait_until(&f.path("never"))
        ),
        _ => f.build(name),
    });
    let mut executor = spawn_apply(&f);
    wait_for_file(&f.path("build.pid"));
    let supervisor = fs_err::read_to_string(f.path("supervisor.pid")).unwrap();
    let killed = Command::new("kill")
        .args(["-KILL", supervisor.trim()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = executor.wait().unwrap();
    assert_eq!(exit.code(), Some(1));
    let status = status(&f);
    let attempt = &job(&status, "core")["history"][0];
    assert_eq!(attempt["outcome"], "failure");
    assert_eq!(job(&status, "node")["state"], "skipped");
    let recorded = fs_err::read_to_string(f.state().join("local/core/1/status")).unwrap();
    assert!(
        recorded.contains("its supervisor stopped before the build ended"),
        "{recorded}"
    );
    assert_gone(fs_err::read_to_string(f.path("build.pid")).unwrap().trim());
    assert_no_worktrees(&f);
}

#[test]
fn a_step_after_the_release_finds_the_release_folder_among_its_needs() {
    let f = normal();
    let mut plan = fs_err::read_to_string(f.plan()).unwrap();
    plan.push_str(&format!(
        "\n[[step]]\nid = \"announce\"\nafter = [\"release\"]\ntrigger = {{ repository_dispatch = {{ repo = \"node\", event_type = \"announce\" }} }}\nlocal = {{ run = '''ls \"$RELPLAN_NEEDS_DIR/release\" > {} && {}''' }}\n",
        f.path("announced").display(),
        f.record()
    ));
    fs_err::write(f.plan(), plan).unwrap();
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f.relplan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = fs_err::read_to_string(f.path("announced")).unwrap();
    assert_eq!(listed, "SHA256SUMS\ncore.txt\nnode.txt\nsdk.txt\n");
    assert_eq!(f.runs().last().map(String::as_str), Some("announce 1"));
    // A step runs in an empty folder, removed when it ends.
    assert!(!f.state().join("local/announce/1/work").exists());
}
