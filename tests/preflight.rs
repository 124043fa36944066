//! `relplan preflight` against the fake GitHub: a fully wired plan passes; every check has
//! a failing case next to that passing one (the wired world with one thing miswired, and
//! exactly the findings that follow); the same problem of several jobs is one finding; a
//! plan of many jobs in few repositories costs a fixed number of requests; the renderings;
//! the command's exit codes.

use std::path::Path;

use relplan::compiled::{CompiledPlan, Trigger};
use relplan::findings::Severity;
use relplan::github::pacer::Pacer;
use relplan::github::{ApiUrl, GitHub, GitHubConfig, Token};
use relplan::preflight::finding::Report;
use relplan::preflight::{self, render};

use crate::common::github::{output, relplan_with_token};
use crate::common::{assert_exit, stderr, stdout};
use crate::fake_github::wiring::{RepoMeta, dispatchable_yaml, listener_yaml, workflow_path};
use crate::fake_github::{FakeGitHub, FaultKind, SECRET, Script, TagTarget, Workflow};

pub const COMMIT: &str = "c0ffee0000000000000000000000000000000001";
const OTHER_COMMIT: &str = "badc0de000000000000000000000000000000002";

/// Writes a plan over three repositories into `dir`: `node` (released into, and the home
/// of the fallback workflow) and `sdk` by `repository_dispatch` of `build-chain` (sdk in
/// the given stages), `tools` by `workflow_dispatch` of `build.yml` with an input.
pub fn write_plan(dir: &Path, sdk_stages: &[&str]) {
    let versions = format!(
        "[versions]\n\
         node = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{COMMIT}\" }}\n\
         sdk = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", requires = [\"node=0.1.0\"] }}\n\
         tools = {{ version = \"0.1.0\", git_tag = \"v0.1.0\" }}\n"
    );
    let stages = if sdk_stages.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = sdk_stages.iter().map(|s| format!("\"{s}\"")).collect();
        format!("[repo.sdk]\nstages = [{}]\n\n", quoted.join(", "))
    };
    let plan = format!(
        "[release]\nname = \"Test\"\nowner = \"o\"\nversions = \"versions.toml\"\n\
         version = \"0.1.0\"\npublish_to = \"node\"\n\n\
         [defaults]\ntrigger = {{ repository_dispatch = {{ event_type = \"build-chain\" }} }}\n\
         timeout = \"24h\"\nestimate = \"1s\"\npublish = [\"*\"]\n\n\
         {stages}\
         [repo.tools]\n\
         trigger = {{ workflow_dispatch = {{ workflow = \"build.yml\", inputs = {{ channel = \"stable\" }} }} }}\n\
         publish = []\n\n\
         [fallback]\nworkflow_dispatch = {{ repo = \"node\", workflow = \"fallback.yml\", ref = \"main\" }}\n"
    );
    fs_err::write(dir.join("versions.toml"), versions).expect("versions written");
    fs_err::write(dir.join("plan.toml"), plan).expect("plan written");
}

/// The plan of [`write_plan`], compiled.
fn plan(sdk_stages: &[&str]) -> CompiledPlan {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), sdk_stages);
    let compilation = relplan::compile::compile_from_disk(&relplan::compile::Request {
        plan: Some(dir.path().join("plan.toml")),
        ..Default::default()
    });
    compilation.plan.expect("the test plan compiles")
}

/// Everything the plan of [`write_plan`] needs, wired as docs/build-workflow-protocol.md
/// says.
pub fn wire(fake: &FakeGitHub) {
    for repo in ["o/node", "o/sdk", "o/tools"] {
        fake.add_tag(repo, "v0.1.0", TagTarget::Commit(COMMIT.into()));
    }
    for repo in ["o/node", "o/sdk"] {
        fake.add_build(repo, Script::default());
    }
    fake.add_workflow("o/tools", dispatch_workflow("build.yml"));
    fake.put_file(
        "o/tools",
        "v0.1.0",
        &workflow_path("build.yml"),
        &dispatchable_yaml(&["channel", "relplan_correlation_id"]),
    );
    fake.add_workflow("o/node", dispatch_workflow("fallback.yml"));
    fake.put_file(
        "o/node",
        "main",
        &workflow_path("fallback.yml"),
        &dispatchable_yaml(&["version", "plan_hash", "relplan_correlation_id"]),
    );
}

fn dispatch_workflow(file: &str) -> Workflow {
    Workflow {
        file: file.into(),
        on_event: None,
        script: Script::default(),
    }
}

async fn run(fake: &FakeGitHub, plan: &CompiledPlan) -> Report {
    preflight::preflight(&fake.client(), plan).await
}

/// (code, repository, jobs) of every finding.
fn found(report: &Report) -> Vec<(String, Option<String>, Vec<String>)> {
    report
        .findings
        .iter()
        .map(|f| (f.check.code().to_string(), f.repo.clone(), f.jobs.clone()))
        .collect()
}

fn one(code: &str, repo: Option<&str>, jobs: &[&str]) -> (String, Option<String>, Vec<String>) {
    (
        code.to_string(),
        repo.map(str::to_string),
        jobs.iter().map(|j| j.to_string()).collect(),
    )
}

#[tokio::test]
async fn a_wired_plan_passes() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    let report = run(&fake, &plan(&[])).await;
    assert_eq!(found(&report), []);
    assert!(report.passed());
    assert_eq!((report.repositories, report.dispatches), (3, 4));
    assert_eq!(
        report.rate_limit.map(|l| l.limit),
        Some(5000),
        "the budget was read"
    );
    assert!(
        fake.log().iter().all(|l| l.method == "GET"),
        "the preflight only reads"
    );
}

/// One miswiring of the wired world, and the findings it must give (the passing case of
/// each is [`a_wired_plan_passes`]).
struct Case {
    name: &'static str,
    miswire: fn(&FakeGitHub),
    expected: Vec<(String, Option<String>, Vec<String>)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a repository that does not exist (or cannot be seen)",
            miswire: |fake| {
                fake.with(|w| {
                    w.repos.remove("o/sdk");
                })
            },
            expected: vec![one("preflight::repo-not-found", Some("o/sdk"), &[])],
        },
        Case {
            name: "an unreadable repository",
            miswire: |fake| fake.fault("GET", "/repos/o/sdk", FaultKind::BadGatewayBefore, 100),
            expected: vec![one("preflight::repo-unreadable", Some("o/sdk"), &[])],
        },
        Case {
            name: "an archived repository",
            miswire: |fake| {
                fake.set_repo(
                    "o/sdk",
                    RepoMeta {
                        archived: true,
                        ..RepoMeta::default()
                    },
                )
            },
            expected: vec![one("preflight::repo-archived", Some("o/sdk"), &[])],
        },
        Case {
            name: "a repository the token may not write to",
            miswire: |fake| {
                fake.set_repo(
                    "o/sdk",
                    RepoMeta {
                        push: Some(false),
                        ..RepoMeta::default()
                    },
                )
            },
            expected: vec![one("preflight::repo-not-writable", Some("o/sdk"), &[])],
        },
        Case {
            name: "permissions GitHub does not tell",
            miswire: |fake| {
                fake.set_repo(
                    "o/sdk",
                    RepoMeta {
                        push: None,
                        ..RepoMeta::default()
                    },
                )
            },
            expected: vec![one("preflight::permissions-unknown", Some("o/sdk"), &[])],
        },
        Case {
            name: "workflows that cannot be listed",
            miswire: |fake| {
                fake.fault(
                    "GET",
                    "/repos/o/sdk/actions/workflows",
                    FaultKind::BadGatewayBefore,
                    100,
                )
            },
            expected: vec![one(
                "preflight::workflows-unreadable",
                Some("o/sdk"),
                &["sdk"],
            )],
        },
        Case {
            name: "a workflow listening to another event type",
            miswire: |fake| {
                fake.put_file(
                    "o/sdk",
                    "main",
                    &workflow_path("build.yml"),
                    &listener_yaml("build"),
                )
            },
            expected: vec![one("preflight::no-listener", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "the listener is on another branch than the default",
            miswire: |fake| {
                fake.set_repo(
                    "o/sdk",
                    RepoMeta {
                        default_branch: "trunk".into(),
                        ..RepoMeta::default()
                    },
                )
            },
            expected: vec![one("preflight::no-listener", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "a disabled listener",
            miswire: |fake| fake.set_workflow_state("o/sdk", "build.yml", "disabled_manually"),
            expected: vec![one("preflight::listener-disabled", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "an invalid workflow file where the listener should be",
            miswire: |fake| {
                fake.put_file("o/sdk", "main", &workflow_path("build.yml"), "on: [push\n")
            },
            expected: vec![
                one("preflight::workflow-unreadable", Some("o/sdk"), &["sdk"]),
                one("preflight::no-listener", Some("o/sdk"), &["sdk"]),
            ],
        },
        Case {
            name: "a listener whose run-name lacks the correlation id",
            miswire: |fake| {
                let yaml = listener_yaml("build-chain").replace(
                    "run-name: build ${{ github.event.client_payload.relplan.correlation_id }}",
                    "run-name: build ${{ github.event.action }}",
                );
                fake.put_file("o/sdk", "main", &workflow_path("build.yml"), &yaml)
            },
            expected: vec![one(
                "preflight::run-name-missing-id",
                Some("o/sdk"),
                &["sdk"],
            )],
        },
        Case {
            name: "a listener whose run-name glues the correlation id to other text",
            miswire: |fake| {
                let yaml =
                    listener_yaml("build-chain").replace("run-name: build ", "run-name: build-");
                fake.put_file("o/sdk", "main", &workflow_path("build.yml"), &yaml)
            },
            expected: vec![one(
                "preflight::run-name-id-joined",
                Some("o/sdk"),
                &["sdk"],
            )],
        },
        Case {
            name: "a second listener relplan would not see",
            miswire: |fake| {
                fake.add_workflow("o/sdk", dispatch_workflow("lint.yml"));
                fake.put_file(
                    "o/sdk",
                    "main",
                    &workflow_path("lint.yml"),
                    "name: lint\non: repository_dispatch\njobs: {}\n",
                );
            },
            expected: vec![one("preflight::extra-listener", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "a workflow_dispatch workflow that does not exist",
            miswire: |fake| {
                fake.with(|w| {
                    if let Some(repo) = w.repos.get_mut("o/tools") {
                        repo.workflows.clear();
                    }
                })
            },
            expected: vec![one(
                "preflight::workflow-missing",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "a disabled workflow_dispatch workflow",
            miswire: |fake| fake.set_workflow_state("o/tools", "build.yml", "disabled_inactivity"),
            expected: vec![one(
                "preflight::workflow-disabled",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "a workflow file missing at the job's ref",
            miswire: |fake| {
                fake.with(|w| {
                    w.wiring.files.retain(|(repo, git_ref, _), _| {
                        !(repo == "o/tools" && git_ref == "v0.1.0")
                    });
                })
            },
            expected: vec![one(
                "preflight::workflow-file-missing",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "an invalid workflow file at the job's ref",
            miswire: |fake| {
                fake.put_file(
                    "o/tools",
                    "v0.1.0",
                    &workflow_path("build.yml"),
                    "jobs: [\n",
                )
            },
            expected: vec![one(
                "preflight::workflow-unreadable",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "a workflow without workflow_dispatch",
            miswire: |fake| {
                fake.put_file(
                    "o/tools",
                    "v0.1.0",
                    &workflow_path("build.yml"),
                    "on: push\njobs: {}\n",
                )
            },
            expected: vec![one(
                "preflight::no-workflow-dispatch",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "an input relplan sends that the workflow does not declare",
            miswire: |fake| {
                fake.put_file(
                    "o/tools",
                    "v0.1.0",
                    &workflow_path("build.yml"),
                    &dispatchable_yaml(&["relplan_correlation_id"]),
                )
            },
            expected: vec![one(
                "preflight::input-undeclared",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "the fallback workflow lacks an input relplan sends it",
            miswire: |fake| {
                fake.put_file(
                    "o/node",
                    "main",
                    &workflow_path("fallback.yml"),
                    &dispatchable_yaml(&["version", "relplan_correlation_id"]),
                )
            },
            expected: vec![one(
                "preflight::input-undeclared",
                Some("o/node"),
                &["fallback"],
            )],
        },
        Case {
            name: "a required input the plan does not send",
            miswire: |fake| {
                let yaml = dispatchable_yaml(&["channel", "relplan_correlation_id"]).replace(
                    "    inputs:\n",
                    "    inputs:\n      target:\n        required: true\n",
                );
                fake.put_file("o/tools", "v0.1.0", &workflow_path("build.yml"), &yaml)
            },
            expected: vec![one(
                "preflight::required-input-missing",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "a workflow_dispatch run-name without the correlation id",
            miswire: |fake| {
                let yaml = dispatchable_yaml(&["channel", "relplan_correlation_id"])
                    .replace("run-name: build ${{ inputs.relplan_correlation_id }}\n", "");
                fake.put_file("o/tools", "v0.1.0", &workflow_path("build.yml"), &yaml)
            },
            expected: vec![one(
                "preflight::run-name-missing-id",
                Some("o/tools"),
                &["tools"],
            )],
        },
        Case {
            name: "a tag not pushed",
            miswire: |fake| {
                fake.with(|w| {
                    if let Some(repo) = w.repos.get_mut("o/sdk") {
                        repo.tags.clear();
                    }
                })
            },
            expected: vec![one("preflight::tag-missing", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "a tag that moved away from the pinned commit",
            miswire: |fake| {
                fake.add_tag("o/node", "v0.1.0", TagTarget::Commit(OTHER_COMMIT.into()))
            },
            expected: vec![one("preflight::tag-moved", Some("o/node"), &["node"])],
        },
        Case {
            name: "an annotated tag that moved",
            miswire: |fake| {
                fake.add_tag(
                    "o/node",
                    "v0.1.0",
                    TagTarget::Annotated {
                        object: "7a90b1ec7".into(),
                        commit: OTHER_COMMIT.into(),
                    },
                )
            },
            expected: vec![one("preflight::tag-moved", Some("o/node"), &["node"])],
        },
        Case {
            name: "a tag that cannot be read",
            miswire: |fake| {
                fake.fault(
                    "GET",
                    "/repos/o/sdk/git/ref",
                    FaultKind::BadGatewayBefore,
                    100,
                )
            },
            expected: vec![one("preflight::tag-unreadable", Some("o/sdk"), &["sdk"])],
        },
        Case {
            name: "an immutable release of the tag",
            miswire: |fake| {
                fake.add_release("o/node", "v0.1.0", false, true);
            },
            expected: vec![one(
                "preflight::release-immutable",
                Some("o/node"),
                &["release"],
            )],
        },
        Case {
            name: "a mutable published release of the tag",
            miswire: |fake| {
                fake.add_release("o/node", "v0.1.0", false, false);
            },
            expected: vec![one(
                "preflight::release-published",
                Some("o/node"),
                &["release"],
            )],
        },
        Case {
            name: "drafts of the release",
            miswire: |fake| {
                fake.add_release("o/node", "v0.1.0", true, false);
                fake.add_release("o/node", "v0.1.0", true, false);
                fake.add_release("o/node", "v0.2.0", false, true);
            },
            expected: vec![one(
                "preflight::release-draft",
                Some("o/node"),
                &["release"],
            )],
        },
        Case {
            name: "releases that cannot be listed",
            miswire: |fake| {
                fake.fault(
                    "GET",
                    "/repos/o/node/releases",
                    FaultKind::BadGatewayBefore,
                    100,
                )
            },
            expected: vec![one(
                "preflight::releases-unreadable",
                Some("o/node"),
                &["release"],
            )],
        },
        Case {
            name: "a token with little budget left",
            miswire: |fake| fake.with(|w| w.wiring.rate_remaining = Some(12)),
            expected: vec![one("preflight::rate-limit-low", None, &[])],
        },
        Case {
            name: "GitHub Enterprise Server",
            miswire: |fake| fake.set_enterprise_version("3.14.2"),
            expected: vec![one("preflight::enterprise-server", None, &[])],
        },
        Case {
            name: "GitHub does not answer",
            miswire: |fake| fake.fault("GET", "/rate_limit", FaultKind::BadGatewayBefore, 100),
            expected: vec![one("preflight::github-unreachable", None, &[])],
        },
    ]
}

#[tokio::test]
async fn each_miswiring_gives_exactly_its_finding() {
    let plan = plan(&[]);
    let mut wrong = Vec::new();
    for case in cases() {
        let fake = FakeGitHub::start().await;
        wire(&fake);
        (case.miswire)(&fake);
        let report = run(&fake, &plan).await;
        let severities_fail = report
            .findings
            .iter()
            .any(|f| f.check.severity() == Severity::Error);
        if found(&report) != case.expected || report.passed() == severities_fail {
            wrong.push(format!(
                "{}: expected {:?}, found {:?}",
                case.name,
                case.expected,
                found(&report)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn warnings_and_notes_do_not_fail_the_preflight() {
    let plan = plan(&[]);
    for miswire in [
        (|fake: &FakeGitHub| {
            fake.add_release("o/node", "v0.1.0", false, false);
        }) as fn(&FakeGitHub),
        |fake| {
            fake.add_release("o/node", "v0.1.0", true, false);
        },
        |fake| fake.with(|w| w.wiring.rate_remaining = Some(0)),
        |fake| fake.set_enterprise_version("3.14.2"),
    ] {
        let fake = FakeGitHub::start().await;
        wire(&fake);
        miswire(&fake);
        let report = run(&fake, &plan).await;
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert!(report.passed(), "{:?}", report.findings);
    }
}

#[tokio::test]
async fn an_annotated_tag_at_the_pinned_commit_passes() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.add_tag(
        "o/node",
        "v0.1.0",
        TagTarget::Annotated {
            object: "7a90b1ec7".into(),
            commit: COMMIT.into(),
        },
    );
    let report = run(&fake, &plan(&[])).await;
    assert_eq!(found(&report), []);
}

#[tokio::test]
async fn a_wrong_token_stops_the_checks() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    let mut config = GitHubConfig::new(
        ApiUrl::parse(&fake.url).expect("the fake's URL"),
        Token::new("ghp_wrong"),
    );
    config.pacer = Pacer::scaled(0.0);
    let github = GitHub::new(config).expect("a client");
    let report = preflight::preflight(&github, &plan(&[])).await;
    assert_eq!(found(&report), [one("preflight::token-refused", None, &[])]);
    assert_eq!(fake.log().len(), 1, "nothing else was read");
}

#[test]
fn no_token_is_a_finding() {
    let report = preflight::without_token(&plan(&[]));
    assert_eq!(found(&report), [one("preflight::token-missing", None, &[])]);
    assert!(!report.passed());
}

#[tokio::test]
async fn input_counts_against_the_server_limits() {
    let mut many = plan(&[]);
    let Some(Trigger::WorkflowDispatch { inputs, .. }) = &mut many.fallback else {
        panic!("the test plan has a workflow_dispatch fallback");
    };
    let names: Vec<String> = (0..9).map(|i| format!("extra{i}")).collect();
    for name in &names {
        inputs.insert(name.clone(), "x".into());
    }
    let mut declared: Vec<&str> = names.iter().map(String::as_str).collect();
    declared.extend(["version", "plan_hash", "relplan_correlation_id"]);
    // 12 inputs: fine for GitHub, a warning on GitHub Enterprise Server.
    for (enterprise, expected) in [
        (false, vec![]),
        (
            true,
            vec![
                one("preflight::enterprise-server", None, &[]),
                one(
                    "preflight::enterprise-input-limit",
                    Some("o/node"),
                    &["fallback"],
                ),
            ],
        ),
    ] {
        let fake = FakeGitHub::start().await;
        wire(&fake);
        fake.put_file(
            "o/node",
            "main",
            &workflow_path("fallback.yml"),
            &dispatchable_yaml(&declared),
        );
        if enterprise {
            fake.set_enterprise_version("3.12.0");
        }
        assert_eq!(found(&run(&fake, &many).await), expected);
    }
    // 27 inputs: more than GitHub takes.
    let Some(Trigger::WorkflowDispatch { inputs, .. }) = &mut many.fallback else {
        unreachable!();
    };
    let more: Vec<String> = (9..24).map(|i| format!("extra{i}")).collect();
    for name in &more {
        inputs.insert(name.clone(), "x".into());
    }
    declared.extend(more.iter().map(String::as_str));
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.put_file(
        "o/node",
        "main",
        &workflow_path("fallback.yml"),
        &dispatchable_yaml(&declared),
    );
    assert_eq!(
        found(&run(&fake, &many).await),
        [one(
            "preflight::too-many-inputs",
            Some("o/node"),
            &["fallback"]
        )]
    );
}

#[tokio::test]
async fn the_same_problem_of_several_jobs_is_one_finding() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.put_file(
        "o/sdk",
        "main",
        &workflow_path("build.yml"),
        &listener_yaml("deploy"),
    );
    let report = run(&fake, &plan(&["check", "build", "package"])).await;
    assert_eq!(
        found(&report),
        [one(
            "preflight::no-listener",
            Some("o/sdk"),
            &["sdk/check", "sdk/build", "sdk/package"]
        )]
    );
}

/// Requests the preflight of the wired world sends: `/rate_limit` and `/meta`; per
/// repository its metadata and workflow list; the workflow files on `main` (build.yml of
/// node and sdk, fallback.yml of node) and tools' build.yml at its tag; one tag per
/// repository; one page of releases.
const WIRED_REQUESTS: usize = 2 + 3 * 2 + 3 + 1 + 3 + 1;

#[tokio::test]
async fn many_jobs_in_few_repositories_cost_a_few_requests_per_repository() {
    for stages in [
        vec![],
        vec!["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    ] {
        let fake = FakeGitHub::start().await;
        wire(&fake);
        let plan = plan(&stages);
        let report = run(&fake, &plan).await;
        assert_eq!(found(&report), [], "{stages:?}");
        let log = fake.log();
        let paths: Vec<&str> = log.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            log.len(),
            WIRED_REQUESTS,
            "{} jobs: {paths:#?}",
            plan.jobs.len()
        );
    }
}

/// The wired world with three things wrong, for the renderings.
async fn miswired_report() -> Report {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    fake.put_file(
        "o/sdk",
        "main",
        &workflow_path("build.yml"),
        &listener_yaml("deploy"),
    );
    fake.put_file(
        "o/tools",
        "v0.1.0",
        &workflow_path("build.yml"),
        &dispatchable_yaml(&["relplan_correlation_id"]),
    );
    fake.add_release("o/node", "v0.1.0", true, false);
    run(&fake, &plan(&[])).await
}

#[tokio::test]
async fn the_text_report_names_each_problem_its_jobs_and_the_lines_to_paste() {
    let report = miswired_report().await;
    insta::assert_snapshot!(render::text(&report));
    assert_eq!(render::counts(&report), "2 errors, 0 warnings, 1 note");
}

#[tokio::test]
async fn the_json_report_is_a_contract_for_programs() {
    let report = miswired_report().await;
    let json: serde_json::Value =
        serde_json::from_str(&render::json(&report)).expect("the report is JSON");
    assert_eq!(json["passed"], false);
    assert_eq!(json["plan_hash"], report.plan_hash.as_str());
    assert_eq!(
        (
            json["errors"].clone(),
            json["warnings"].clone(),
            json["notes"].clone()
        ),
        (2.into(), 0.into(), 1.into())
    );
    assert_eq!(json["server"]["kind"], "github");
    assert_eq!(json["server"]["names_dispatched_runs"], true);
    assert_eq!(json["rate_limit"]["limit"], 5000);
    let undeclared = &json["findings"][0];
    assert_eq!(undeclared["code"], "preflight::input-undeclared");
    assert_eq!(undeclared["severity"], "error");
    assert_eq!(undeclared["repo"], "o/tools");
    assert_eq!(undeclared["jobs"], serde_json::json!(["tools"]));
    assert_eq!(
        undeclared["paste"],
        "on:\n  workflow_dispatch:\n    inputs:\n      channel:\n        type: string\n        required: false\n"
    );
}

#[tokio::test]
async fn github_annotations_carry_the_code_the_help_and_the_paste() {
    let report = miswired_report().await;
    let annotations = render::github(&report);
    let lines: Vec<&str> = annotations.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        "::error title=preflight%3A%3Ainput-undeclared::`.github/workflows/build.yml` of `o/tools` at `v0.1.0` does not declare the input `channel` relplan sends, so GitHub refuses the dispatch (for `o/tools`, job `tools`)%0Ahelp: declare it:%0Aon:%0A  workflow_dispatch:%0A    inputs:%0A      channel:%0A        type: string%0A        required: false"
    );
    assert!(lines[2].starts_with("::notice title=preflight%3A%3Arelease-draft::"));
}

#[tokio::test]
async fn the_command_exits_0_when_wired_and_1_otherwise() {
    let fake = FakeGitHub::start().await;
    wire(&fake);
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    let args = ["preflight", "plan.toml", "--api-url", fake.url.as_str()];
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).ends_with("preflight passed: 0 errors, 0 warnings, 0 notes\n"),
        "{}",
        stdout(&out)
    );

    fake.set_workflow_state("o/sdk", "build.yml", "disabled_manually");
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error[preflight::listener-disabled]: `.github/workflows/build.yml` of `o/sdk` listens to `build-chain` but is disabled_manually"),
        "{text}"
    );
    assert!(
        stderr(&out).ends_with("error: the preflight failed: 1 error, 0 warnings, 0 notes\nhelp: fix what it found, then run `relplan preflight` again\n"),
        "{}",
        stderr(&out)
    );

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let out = output(relplan_with_token(dir.path(), &json_args, true)).await;
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["findings"][0]["code"], "preflight::listener-disabled");

    let out = output(relplan_with_token(dir.path(), &args, false)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[preflight::token-missing]: no GitHub token"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
}

#[tokio::test]
async fn an_invalid_plan_is_reported_before_anything_is_read() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs_err::write(dir.path().join("plan.toml"), "[release]\nname = 1\n").expect("written");
    let out = output(relplan_with_token(
        dir.path(),
        &["preflight", "plan.toml", "--api-url", fake.url.as_str()],
        true,
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("relplan::wrong-type"),
        "{}",
        stderr(&out)
    );
    assert!(fake.log().is_empty());
}

#[tokio::test]
async fn the_workflows_relplan_generate_writes_pass_the_preflight() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plans = dir.path().join("plans");
    fs_err::create_dir_all(&plans).expect("created");
    for file in ["bitcoin-commons.toml", "versions.toml"] {
        fs_err::copy(
            crate::common::root().join("plans").join(file),
            plans.join(file),
        )
        .expect("copied");
    }
    let generated = relplan_with_token(
        dir.path(),
        &["generate", "plans/bitcoin-commons.toml"],
        false,
    )
    .output()
    .expect("relplan runs");
    assert_eq!(generated.status.code(), Some(0), "{}", stderr(&generated));
    let fake = FakeGitHub::start().await;
    let builds = fs_err::read_dir(dir.path().join("relplan/build-workflows")).expect("listed");
    let mut installed = 0;
    for entry in builds {
        let text = fs_err::read_to_string(entry.expect("an entry").path()).expect("reads");
        // "# Install as `.github/workflows/F` … in OWNER/REPO."
        let install = text
            .lines()
            .find(|l| l.starts_with("# Install as `"))
            .expect("the header says where it goes");
        let path = install.split('`').nth(1).expect("a path");
        let repo = install
            .rsplit(" in ")
            .next()
            .and_then(|r| r.strip_suffix('.'))
            .and_then(|r| r.split(':').next())
            .expect("a repository");
        let file = path.rsplit('/').next().expect("a file name");
        fake.add_workflow(repo, dispatch_workflow(file));
        for git_ref in ["main", "v0.1.0"] {
            fake.put_file(repo, git_ref, path, &text);
        }
        fake.add_tag(repo, "v0.1.0", TagTarget::Commit(COMMIT.into()));
        installed += 1;
    }
    assert_eq!(installed, 7);
    // The plan's [fallback] starts `release_orchestrator.yml` of blvm: the generated
    // fallback workflow, installed under that name.
    let fallback =
        fs_err::read_to_string(dir.path().join(".github/workflows/relplan-fallback.yml"))
            .expect("the fallback workflow");
    fake.add_workflow(
        "BTCDecoded/blvm",
        dispatch_workflow("release_orchestrator.yml"),
    );
    fake.put_file(
        "BTCDecoded/blvm",
        "main",
        &workflow_path("release_orchestrator.yml"),
        &fallback,
    );
    let compiled = relplan::compile::compile_from_disk(&relplan::compile::Request {
        plan: Some(plans.join("bitcoin-commons.toml")),
        ..Default::default()
    })
    .plan
    .expect("the plan compiles");
    let report = run(&fake, &compiled).await;
    assert_eq!(found(&report), []);
    assert_eq!((report.repositories, report.dispatches), (6, 9));
}

#[tokio::test]
async fn an_unreachable_api_is_one_finding_that_names_its_url_once() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path(), &[]);
    let args = ["preflight", "plan.toml", "--api-url", url.as_str()];
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let findings: Vec<&str> = text.lines().filter(|l| l.starts_with("error[")).collect();
    assert_eq!(findings.len(), 1, "{text}");
    assert!(
        findings[0].starts_with(&format!(
            "error[preflight::github-unreachable]: cannot reach the GitHub API at {url}: "
        )),
        "{text}"
    );
    assert_eq!(findings[0].matches(&url).count(), 1, "{text}");
}
