//! `relplan apply --backend github` starts a new run with the preflight: a miswired plan is
//! refused with exit 4 before anything is dispatched or written; `--no-preflight` skips it;
//! a run that continues (`resume`, or `apply` on the same state directory) does not repeat
//! it; in CI a report that passed is folded, one that failed is not.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::github::{output, relplan_with_token};
use crate::common::{assert_exit, stderr, stdout};
use crate::fake_github::FakeGitHub;
use crate::preflight::{wire, write_plan};

fn apply_args(url: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "apply",
        "plan.toml",
        "--backend",
        "github",
        "--api-url",
        url,
        "--state-dir",
        "state",
        "--poll-interval",
        "1s",
        // The fake lists new runs at once: no two-minute look before the first dispatches.
        "--list-lag",
        "1s",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

async fn apply(dir: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let args = apply_args(url, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    output(relplan_with_token(dir, &args, true)).await
}

fn dispatches(fake: &FakeGitHub) -> usize {
    fake.log()
        .iter()
        .filter(|l| l.method == "POST" && l.path.contains("dispatches"))
        .count()
}

#[tokio::test]
async fn a_miswired_plan_is_refused_before_anything_is_dispatched_or_written() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.set_workflow_state("o/sdk", "build.yml", "disabled_manually");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    let out = apply(dir.path(), &fake.url, &[]).await;
    let stderr = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{}{stderr}", stdout(&out));
    assert!(
        stderr.contains("error[preflight::listener-disabled]: `.github/workflows/build.yml` of `o/sdk` listens to `build-chain` but is disabled_manually"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: the preflight failed (1 error, 0 warnings, 0 notes); nothing was dispatched\n\
             help: fix what it found and check with `relplan preflight PLAN`, or pass `--no-preflight` to skip it\n"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("::group::relplan: preflight"),
        "a failed preflight is not folded away (the run is in CI): {stderr}"
    );
    assert_eq!(dispatches(&fake), 0, "the fake saw no dispatch");
    assert!(
        fake.log().iter().all(|l| l.method == "GET"),
        "only reads were sent"
    );
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

/// In CI, a preflight that passed with findings is folded: its report inside `::group::`,
/// the line saying it passed after.
#[tokio::test]
async fn in_ci_a_preflight_that_passed_is_folded() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.add_release("o/node", "v0.1.0", true, false);
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    let out = apply(dir.path(), &fake.url, &[]).await;
    let stderr = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", stdout(&out));
    let folded = stderr
        .split_once("::group::relplan: preflight\n")
        .and_then(|(_, rest)| rest.split_once("::endgroup::\n"))
        .unwrap_or_else(|| panic!("no fold: {stderr}"));
    assert!(
        folded.0.starts_with("preflight of `Test` (sha256:")
            && folded.0.contains("\nnote[preflight::release-draft]: "),
        "{stderr}"
    );
    assert!(
        folded
            .1
            .starts_with("preflight passed: 0 errors, 0 warnings, 1 note\n"),
        "{stderr}"
    );
}

#[tokio::test]
async fn no_preflight_skips_it() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    // The fake still runs a disabled workflow, so the release completes without the checks.
    fake.set_workflow_state("o/sdk", "build.yml", "disabled_manually");
    let _clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    let out = apply(dir.path(), &fake.url, &["--no-preflight"]).await;
    assert_exit(&out, 0);
    assert_eq!(fake.count("GET", "/rate_limit"), 0, "no preflight ran");
    assert_eq!(dispatches(&fake), 3);
}

#[tokio::test]
async fn a_continued_run_does_not_repeat_the_preflight() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    let clock = fake.run_clock(Duration::from_millis(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    // Start, and kill the executor once the first job is dispatched.
    let args = apply_args(&fake.url, &[]);
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = relplan_with_token(&path, &args, true)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("relplan starts");
        let journal = path.join("state/journal.jsonl");
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let written = fs_err::read_to_string(&journal).map_or(0, |t| t.lines().count());
            if written >= 2 || child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    })
    .await
    .expect("the killing thread ends");
    assert_eq!(fake.count("GET", "/rate_limit"), 1, "one preflight");
    // Miswired now: a new run would be refused, the journaled one goes on.
    fake.set_workflow_state("o/sdk", "build.yml", "disabled_manually");
    let out = output(relplan_with_token(
        dir.path(),
        &["resume", "--state-dir", "state", "--list-lag", "1s"],
        true,
    ))
    .await;
    assert_exit(&out, 0);
    let out = apply(dir.path(), &fake.url, &[]).await;
    assert_exit(&out, 0);
    assert_eq!(
        fake.count("GET", "/rate_limit"),
        1,
        "neither resume nor apply on the same run repeated it"
    );
    clock.abort();
}
