//! `relplan verify` against the fake GitHub and on directories: a good release verifies,
//! with and without its plan; every way a release can be wrong (a missing, extra or
//! changed asset, a damaged stored asset, SHA256SUMS malformed, unsorted, unterminated or
//! missing, a draft, a broken upload, no release at all) gives exactly its findings; the
//! plan's tag, prerelease flag, commit and publish globs are checked; a release the sim
//! backend published verifies against its plan; the command's output and exit codes, and
//! the token never shown.

use std::path::Path;

use relplan::compiled::CompiledPlan;
use relplan::digest::sha256_hex;
use relplan::release_assets::SHA256SUMS;
use relplan::verify::finding::Report;
use relplan::verify::{self, directory, github_release, render};

use crate::common::github::{output, relplan_with_token};
use crate::common::{assert_exit, relplan, stderr, stdout, transcript};
use crate::fake_github::{FakeGitHub, SECRET, TagTarget};

pub const COMMIT: &str = "c0ffee0000000000000000000000000000000001";
pub const NODE: &str = "node-0.1.0-x86_64-linux.tar.gz";
pub const SDK: &str = "sdk-0.1.0-x86_64-linux.tar.gz";

/// A plan publishing `node-*` from `node` and `sdk-*.tar.gz` from `sdk` into `o/node` at
/// tag `v0.1.0`, its commit pinned, written into `dir`.
pub fn write_plan(dir: &Path) {
    let versions = format!(
        "[versions]\n\
         node = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{COMMIT}\" }}\n\
         sdk = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{COMMIT}\" }}\n"
    );
    let plan = "[release]\nname = \"Test\"\nowner = \"o\"\nversions = \"versions.toml\"\n\
         version = \"0.1.0\"\npublish_to = \"node\"\n\n\
         [defaults]\ntrigger = { repository_dispatch = { event_type = \"build-chain\" } }\n\
         publish = [\"node-*\"]\n\n\
         [repo.sdk]\npublish = [\"sdk-*.tar.gz\"]\n";
    fs_err::write(dir.join("versions.toml"), versions).expect("versions written");
    fs_err::write(dir.join("plan.toml"), plan).expect("plan written");
}

fn plan() -> CompiledPlan {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    relplan::compile::compile_from_disk(&relplan::compile::Request {
        plan: Some(dir.path().join("plan.toml")),
        ..Default::default()
    })
    .plan
    .expect("the test plan compiles")
}

/// The release the plan of [`write_plan`] publishes, as relplan publishes it; its id.
pub fn good_release(fake: &FakeGitHub, repo: &str) -> u64 {
    fake.publish_release(
        repo,
        "v0.1.0",
        COMMIT,
        &[(NODE, b"node build"), (SDK, b"sdk build")],
    )
}

/// The SHA256SUMS of release `release`, as text.
fn sums_of(fake: &FakeGitHub, release: u64) -> String {
    fake.with(|w| {
        w.releases
            .iter()
            .find(|r| r.id == release)
            .and_then(|r| r.assets.iter().find(|a| a.name == SHA256SUMS))
            .map(|a| String::from_utf8_lossy(&a.bytes).into_owned())
            .expect("the release has SHA256SUMS")
    })
}

fn set_sums(fake: &FakeGitHub, release: u64, text: &str) {
    fake.change_asset(release, SHA256SUMS, |a| a.bytes = text.as_bytes().to_vec());
}

/// `o/node@v0.1.0` read from the fake and verified.
async fn verify_on(fake: &FakeGitHub, plan: Option<&CompiledPlan>) -> Report {
    verify_release(fake, "o/node", plan).await
}

async fn verify_release(fake: &FakeGitHub, repo: &str, plan: Option<&CompiledPlan>) -> Report {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let label = format!("{repo}@v0.1.0");
    let side = github_release::read(&fake.client(), &label, repo, "v0.1.0", scratch.path())
        .await
        .expect("the release is read");
    verify::verify(side, plan)
}

/// Each finding's code and the asset it names.
fn codes(report: &Report) -> Vec<(&'static str, Option<&str>)> {
    report
        .findings
        .iter()
        .map(|f| (f.check.code(), f.asset.as_deref()))
        .collect()
}

#[tokio::test]
async fn a_good_release_verifies_with_and_without_its_plan() {
    let fake = FakeGitHub::start().await;
    good_release(&fake, "o/node");
    let report = verify_on(&fake, None).await;
    assert_eq!(codes(&report), []);
    assert!(report.passed());
    let names: Vec<&str> = report.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [NODE, SDK]);
    assert_eq!(report.assets[0].sha256, sha256_hex(b"node build"));
    assert_eq!(report.assets[0].digest, Some(sha256_hex(b"node build")));
    let fields = report.fields.as_ref().expect("GitHub has fields");
    assert_eq!(fields.commit.as_deref(), Some(COMMIT));
    assert!(!fields.draft && !fields.prerelease);

    let plan = plan();
    let report = verify_on(&fake, Some(&plan)).await;
    assert_eq!(codes(&report), []);
    assert_eq!(report.plan_hash.as_deref(), Some(plan.plan_hash.as_str()));
    insta::assert_snapshot!(render::text(&report));
}

/// One way a release goes wrong: a change to the good release, and the findings it gives.
struct Case {
    name: &'static str,
    change: fn(&FakeGitHub, u64),
    findings: &'static [(&'static str, Option<&'static str>)],
}

const CASES: &[Case] = &[
    Case {
        name: "a missing asset",
        change: |fake, release| fake.remove_asset(release, SDK),
        findings: &[("verify::asset-missing", Some(SDK))],
    },
    Case {
        name: "an extra asset",
        change: |fake, release| fake.add_asset(release, "notes.txt", b"notes"),
        findings: &[("verify::asset-unlisted", Some("notes.txt"))],
    },
    Case {
        name: "a changed byte",
        change: |fake, release| fake.change_asset(release, NODE, |a| a.bytes[0] ^= 1),
        findings: &[("verify::asset-changed", Some(NODE))],
    },
    Case {
        name: "a stored asset that is not its digest",
        change: |fake, release| {
            fake.change_asset(release, SDK, |a| {
                a.digest = Some(format!("sha256:{}", sha256_hex(b"what was uploaded")));
            })
        },
        findings: &[("verify::digest-mismatch", Some(SDK))],
    },
    Case {
        name: "a malformed SHA256SUMS line",
        change: |fake, release| {
            let sums = sums_of(fake, release).replacen("  sdk", " sdk", 1);
            set_sums(fake, release, &sums);
        },
        findings: &[
            ("verify::sums-malformed", None),
            ("verify::asset-unlisted", Some(SDK)),
        ],
    },
    Case {
        name: "an unsorted SHA256SUMS",
        change: |fake, release| {
            let sums = sums_of(fake, release);
            let lines: Vec<&str> = sums.lines().rev().collect();
            set_sums(fake, release, &format!("{}\n", lines.join("\n")));
        },
        findings: &[("verify::sums-unsorted", Some(NODE))],
    },
    Case {
        name: "a SHA256SUMS without its last newline",
        change: |fake, release| {
            let sums = sums_of(fake, release);
            set_sums(fake, release, sums.trim_end());
        },
        findings: &[("verify::sums-unterminated", None)],
    },
    Case {
        name: "a SHA256SUMS listing an asset twice",
        change: |fake, release| {
            let sums = sums_of(fake, release);
            let last = sums.lines().last().unwrap_or_default().to_string();
            set_sums(fake, release, &format!("{sums}{last}\n"));
        },
        findings: &[("verify::sums-duplicate", Some(SDK))],
    },
    Case {
        name: "no SHA256SUMS",
        change: |fake, release| fake.remove_asset(release, SHA256SUMS),
        findings: &[("verify::sums-missing", None)],
    },
    Case {
        name: "a draft",
        change: |fake, release| fake.change_release(release, |r| r.draft = true),
        findings: &[("verify::release-draft", None)],
    },
    Case {
        name: "an upload that did not finish",
        change: |fake, release| fake.change_asset(release, SDK, |a| a.state = "open".into()),
        findings: &[
            ("verify::upload-incomplete", Some(SDK)),
            ("verify::asset-missing", Some(SDK)),
        ],
    },
    Case {
        name: "no release of the tag",
        change: |fake, release| fake.change_release(release, |r| r.tag = "v0.0.9".into()),
        findings: &[("verify::release-missing", None)],
    },
];

#[tokio::test]
async fn every_way_a_release_is_wrong_gives_exactly_its_findings() {
    let mut failures = Vec::new();
    for case in CASES {
        let fake = FakeGitHub::start().await;
        let release = good_release(&fake, "o/node");
        (case.change)(&fake, release);
        let report = verify_on(&fake, None).await;
        if codes(&report) != case.findings {
            failures.push(format!(
                "{}: {:?}\n{}",
                case.name,
                codes(&report),
                render::text(&report)
            ));
        }
        if report.passed() {
            failures.push(format!("{}: passed", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_server_without_digests_is_a_note_and_the_bytes_are_still_checked() {
    let fake = FakeGitHub::start().await;
    let release = good_release(&fake, "o/node");
    fake.with(|w| w.hide_asset_digests = true);
    let report = verify_on(&fake, None).await;
    assert_eq!(codes(&report), [("verify::digest-missing", None)]);
    assert!(report.passed());
    assert_eq!(
        report.findings[0].message,
        "3 assets have no digest from GitHub (older servers do not compute them): their bytes are checked against SHA256SUMS only"
    );
    fake.change_asset(release, NODE, |a| a.bytes.push(b'!'));
    let report = verify_on(&fake, None).await;
    assert_eq!(
        codes(&report),
        [
            ("verify::asset-changed", Some(NODE)),
            ("verify::digest-missing", None)
        ]
    );
}

#[tokio::test]
async fn the_plan_s_release_fields_and_globs_are_checked() {
    let plan = plan();
    let fake = FakeGitHub::start().await;
    let release = good_release(&fake, "o/node");
    fake.change_release(release, |r| r.prerelease = true);
    fake.add_tag(
        "o/node",
        "v0.1.0",
        TagTarget::Commit("badc0de000000000000000000000000000000002".into()),
    );
    fake.add_asset(release, "notes.txt", b"notes");
    let report = verify_on(&fake, Some(&plan)).await;
    assert_eq!(
        codes(&report),
        [
            ("verify::asset-unlisted", Some("notes.txt")),
            ("verify::wrong-prerelease", None),
            ("verify::wrong-commit", None),
            ("verify::asset-unplanned", Some("notes.txt")),
        ]
    );
    insta::assert_snapshot!(render::text(&report));

    // A job whose asset is gone, SHA256SUMS written without it: only the plan sees it.
    let fake = FakeGitHub::start().await;
    fake.publish_release("o/node", "v0.1.0", COMMIT, &[(NODE, b"node build")]);
    let report = verify_on(&fake, Some(&plan)).await;
    assert_eq!(codes(&report), [("verify::job-without-asset", None)]);
    assert_eq!(
        report.findings[0].message,
        "job `sdk` publishes `sdk-*.tar.gz`, but no asset's name matches"
    );

    // Another repository at another tag.
    let fake = FakeGitHub::start().await;
    fake.publish_release("o/other", "v0.1.0", COMMIT, &[(NODE, b"n"), (SDK, b"s")]);
    let report = verify_release(&fake, "o/other", Some(&plan)).await;
    assert_eq!(codes(&report), [("verify::wrong-repository", None)]);
}

/// The files of `release` in the fake, written into a new directory.
fn download(fake: &FakeGitHub, release: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fake.with(|w| {
        for asset in &w
            .releases
            .iter()
            .find(|r| r.id == release)
            .expect("a release")
            .assets
        {
            fs_err::write(dir.path().join(&asset.name), &asset.bytes).expect("written");
        }
    });
    dir
}

#[tokio::test]
async fn a_directory_of_assets_is_checked_the_same_way() {
    let fake = FakeGitHub::start().await;
    let release = good_release(&fake, "o/node");
    let dir = download(&fake, release);
    let read = |dir: &Path| {
        verify::verify(
            directory::read("release", dir).expect("read"),
            Some(&plan()),
        )
    };
    assert_eq!(codes(&read(dir.path())), [("verify::fields-unknown", None)]);
    assert!(read(dir.path()).passed());

    fs_err::write(dir.path().join(NODE), "changed").expect("written");
    fs_err::remove_file(dir.path().join(SDK)).expect("removed");
    fs_err::create_dir(dir.path().join("logs")).expect("made");
    fs_err::write(dir.path().join("notes.txt"), "notes").expect("written");
    assert_eq!(
        codes(&read(dir.path())),
        [
            ("verify::fields-unknown", None),
            ("verify::not-an-asset", Some("logs")),
            ("verify::asset-changed", Some(NODE)),
            ("verify::asset-unlisted", Some("notes.txt")),
            ("verify::asset-missing", Some(SDK)),
            ("verify::job-without-asset", None),
            ("verify::asset-unplanned", Some("notes.txt")),
        ]
    );
}

#[test]
fn a_release_the_sim_backend_published_verifies_against_its_plan() {
    let state = tempfile::tempdir().expect("a temporary directory");
    let state_dir = state.path().to_str().expect("a UTF-8 path");
    let out = relplan(&[
        "apply",
        "plans/bitcoin-commons.toml",
        "--backend",
        "sim",
        "--speed",
        "1000000",
        "--state-dir",
        state_dir,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let release = format!("{state_dir}/sim-release/v0.1.0");
    let out = relplan(&["verify", &release, "--plan", "plans/bitcoin-commons.toml"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).ends_with("verify passed: 0 errors, 1 note\n"),
        "{}",
        stdout(&out)
    );
    // The example's asset names (up to 46 characters) line up in one column.
    insta::assert_snapshot!(
        "the_example_sim_release_verified",
        stdout(&out).replace(state_dir, "STATE")
    );
    fs_err::write(format!("{release}/extra.txt"), "x").expect("written");
    let out = relplan(&["verify", &release, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["passed"], false);
    assert_eq!(json["kind"], "directory");
    assert_eq!(json["findings"][1]["code"], "verify::asset-unlisted");
    assert_eq!(json["findings"][1]["asset"], "extra.txt");
}

#[tokio::test]
async fn the_command_exits_0_or_1_and_never_shows_the_token() {
    let fake = FakeGitHub::start().await;
    let release = good_release(&fake, "o/node");
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_plan(dir.path());
    let args = [
        "verify",
        "o/node@v0.1.0",
        "--plan",
        "plan.toml",
        "--api-url",
        fake.url.as_str(),
    ];
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    insta::assert_snapshot!("verify_passes", transcript(&out));
    assert_eq!(out.status.code(), Some(0));

    fake.change_asset(release, NODE, |a| a.bytes[0] ^= 1);
    fake.remove_asset(release, SDK);
    let out = output(relplan_with_token(dir.path(), &args, true)).await;
    insta::assert_snapshot!("verify_fails", transcript(&out));
    assert_eq!(out.status.code(), Some(1));
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains(SECRET), "{text}");
    }

    let out = output(relplan_with_token(dir.path(), &args, false)).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set, and no GitHub App is given\n\
         help: export GITHUB_TOKEN (or GH_TOKEN) with a token that may read the repositories' releases, or pass a GitHub App's `--app-id ID --app-key FILE`\n"
    );

    let out = output(relplan_with_token(dir.path(), &["verify", "nowhere"], true)).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: `nowhere` is neither a directory nor a GitHub release `owner/repo@tag`\n\
         help: pass a directory of assets (such as `.relplan/sim-release/v1.0.0`) or a release on GitHub as `owner/repo@tag`\n"
    );
}
