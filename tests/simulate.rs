//! `relplan simulate` through the binary: reports people read are snapshots, what programs
//! read (states, attempts, times, exit codes) is asserted exactly.

use serde_json::Value;

use crate::common::{relplan, stderr, stdout};

const PLAN: &str = "plans/bitcoin-commons.toml";

fn simulate_json(extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["simulate", PLAN, "--format", "json"];
    args.extend_from_slice(extra);
    let out = relplan(&args);
    let json = serde_json::from_str(&stdout(&out)).expect("simulate prints JSON");
    (out.status.code(), json)
}

/// `id → (state, attempts)` of every job.
fn states(report: &Value) -> Vec<(String, String, u64)> {
    report["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap().to_string(),
                j["state"].as_str().unwrap().to_string(),
                j["attempts"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn job<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap()
}

#[test]
fn without_a_scenario_the_makespan_is_the_critical_path() {
    let (code, report) = simulate_json(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["makespan_s"], 23820);
    assert_eq!(report["critical_path"]["estimate_s"], 23820);
    assert_eq!(report["published"], true);
    assert!(
        states(&report)
            .iter()
            .all(|(_, state, attempts)| state == "succeeded" && *attempts == 1)
    );
    assert_eq!(report["assets"].as_array().unwrap().len(), 12);
    assert_eq!(job(&report, "blvm-node")["start_s"], 14400);
    assert_eq!(job(&report, "blvm-node")["end_s"], 19800);
}

#[test]
fn a_flaky_job_is_retried_and_a_dead_one_skips_exactly_its_dependents() {
    let (code, report) = simulate_json(&["--scenario", "plans/scenarios/node-flaky-sdk-dead.toml"]);
    assert_eq!(code, Some(1), "the release does not complete");
    let expected = [
        ("blvm-consensus/verify", "succeeded", 1),
        ("blvm-sdk", "failed", 2),
        ("blvm-consensus/build", "succeeded", 1),
        ("governance-app", "skipped", 0),
        ("blvm-protocol", "succeeded", 1),
        ("blvm-node", "succeeded", 2),
        ("blvm", "succeeded", 1),
        ("release", "skipped", 0),
        ("deploy-signal", "skipped", 0),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(id, s, a)| (id.to_string(), s.to_string(), *a))
        .collect();
    assert_eq!(states(&report), expected);
    assert_eq!(report["published"], false);
    assert_eq!(
        report["fallback"], true,
        "the plan's [fallback] would be started"
    );
    // The node's retry waits out a backoff after its 35-minute first attempt.
    let node = &job(&report, "blvm-node")["history"];
    assert_eq!(node[0]["start_s"], 14400);
    assert_eq!(node[0]["end_s"], 14400 + 2100);
    let retry_start = node[1]["start_s"].as_u64().unwrap();
    assert!(
        (14400 + 2100 + 15..=14400 + 2100 + 30).contains(&retry_start),
        "{retry_start}"
    );
}

#[test]
fn the_same_seed_gives_the_same_simulation() {
    let args = [
        "simulate",
        PLAN,
        "--scenario",
        "plans/scenarios/node-flaky-sdk-dead.toml",
        "--format",
        "json",
    ];
    assert_eq!(stdout(&relplan(&args)), stdout(&relplan(&args)));
}

#[test]
fn a_hanging_job_is_ended_by_its_timeout_each_attempt() {
    let (code, report) = simulate_json(&["--scenario", "plans/scenarios/protocol-hangs.toml"]);
    assert_eq!(code, Some(1));
    let protocol = job(&report, "blvm-protocol");
    assert_eq!(protocol["state"], "failed");
    assert_eq!(protocol["attempts"], 2);
    let history = protocol["history"].as_array().unwrap();
    for attempt in history {
        assert_eq!(attempt["outcome"], "timed_out");
        assert_eq!(
            attempt["end_s"].as_u64().unwrap() - attempt["start_s"].as_u64().unwrap(),
            5400
        );
    }
    for skipped in ["blvm-node", "blvm", "release", "deploy-signal"] {
        assert_eq!(job(&report, skipped)["state"], "skipped", "{skipped}");
    }
    assert_eq!(job(&report, "governance-app")["state"], "succeeded");
}

#[test]
fn fail_fast_cancels_what_runs_and_starts_nothing_more() {
    let (code, report) = simulate_json(&[
        "--scenario",
        "plans/scenarios/node-flaky-sdk-dead.toml",
        "--fail-fast",
    ]);
    assert_eq!(code, Some(1));
    let states = states(&report);
    // blvm-sdk fails for good at about 2h (two 1h attempts and a backoff): the verify job
    // (2h) may or may not be done; nothing after it starts.
    assert_eq!(states[1], ("blvm-sdk".into(), "failed".into(), 2));
    assert_eq!(states[3], ("governance-app".into(), "skipped".into(), 0));
    for (id, state, _) in &states[4..] {
        assert_eq!(
            state,
            if id == "release" || id == "deploy-signal" {
                "skipped"
            } else {
                "cancelled"
            },
            "{id}"
        );
    }
    assert!(report["makespan_s"].as_u64().unwrap() < 7300);
}

#[test]
fn concurrency_one_runs_jobs_one_after_another() {
    let (code, report) = simulate_json(&["--concurrency", "1"]);
    assert_eq!(code, Some(0));
    let total: u64 = report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["end_s"].as_u64().unwrap() - j["start_s"].as_u64().unwrap())
        .sum();
    assert_eq!(report["makespan_s"].as_u64(), Some(total));
}

#[test]
fn text_report_of_a_failing_release() {
    let out = relplan(&[
        "simulate",
        PLAN,
        "--scenario",
        "plans/scenarios/node-flaky-sdk-dead.toml",
    ]);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn mermaid_gantt_of_a_retried_job() {
    let out = relplan(&[
        "simulate",
        PLAN,
        "--scenario",
        "plans/scenarios/node-flaky-sdk-dead.toml",
        "--format",
        "mermaid",
    ]);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn scenario_mistakes_are_all_reported_with_their_place() {
    let out = relplan(&["simulate", PLAN, "--scenario", "tests/scenarios/typos.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    // The plan's own warnings (unpinned refs) come first; the scenario's errors follow.
    let text = stderr(&out);
    let scenario_part = text
        .find("relplan::unknown-job")
        .map_or(text.as_str(), |at| &text[at..]);
    insta::assert_snapshot!(scenario_part);
}

mod fuzz {
    //! Any scenario text, however broken, gives diagnostics or a scenario, never a panic;
    //! and whatever scenario comes out simulates to an end.

    use proptest::prelude::*;
    use relplan::compile::{Request, compile_from_disk};
    use relplan::diagnostic::Diagnostics;
    use relplan::scenario;
    use relplan::simulate::simulate;
    use relplan::source::Sources;

    use crate::common::root;

    const VALID: &str = "seed = 42\n[job.blvm-node]\nduration = \"35m\"\noutcomes = [\"failure\", \"timeout\", \"success\"]\n[job.\"blvm-consensus/verify\"]\noutcomes = [\"timeout\"]\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn scenarios_never_panic(cut in 0..VALID.len(), insert in "[ -~\n]{0,12}", junk in "[ -~\n]{0,60}") {
            let plan = compile_from_disk(&Request {
                plan: Some(root().join(super::PLAN)),
                ..Request::default()
            })
            .plan
            .unwrap();
            let cut = (0..=cut).rev().find(|&i| VALID.is_char_boundary(i)).unwrap_or(0);
            for text in [format!("{}{insert}{}", &VALID[..cut], &VALID[cut..]), junk.clone()] {
                let mut diags = Diagnostics::default();
                let read = scenario::read("s.toml", &text, &plan, &mut Sources::default(), &mut diags);
                let sim = simulate(plan.clone(), read, Some(2), false);
                prop_assert!(sim.machine.is_finished());
            }
        }
    }
}

#[test]
fn a_run_that_ends_exactly_at_its_timeout_succeeds() {
    // blvm-sdk's timeout is 1h30m.
    let dir = tempfile::tempdir().unwrap();
    for (duration, state, attempts) in [("90m", "succeeded", 1), ("91m", "failed", 2)] {
        let path = dir.path().join(format!("{duration}.toml"));
        fs_err::write(
            &path,
            format!("[job.blvm-sdk]\nduration = \"{duration}\"\n"),
        )
        .unwrap();
        let (_, report) = simulate_json(&["--scenario", path.to_str().unwrap()]);
        let sdk = job(&report, "blvm-sdk");
        assert_eq!(
            (
                sdk["state"].as_str().unwrap(),
                sdk["attempts"].as_u64().unwrap()
            ),
            (state, attempts),
            "{duration}"
        );
    }
}

#[test]
fn the_example_failure_scenario_skips_the_release_and_starts_the_fallback() {
    let (code, report) = simulate_json(&["--scenario", "plans/scenarios/node-fails-twice.toml"]);
    assert_eq!(code, Some(1));
    assert_eq!(job(&report, "blvm-node")["state"], "failed");
    assert_eq!(job(&report, "blvm-node")["attempts"], 2);
    for skipped in ["blvm", "release", "deploy-signal"] {
        assert_eq!(job(&report, skipped)["state"], "skipped", "{skipped}");
    }
    assert_eq!(job(&report, "governance-app")["state"], "succeeded");
    assert_eq!(report["published"], false);
}
