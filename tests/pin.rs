//! `relplan pin` against the fake GitHub: on copies of the real manifests it fills every
//! empty `git_commit` and changes no other line (a line diff), a second run changes
//! nothing, and afterwards `check --require-pinned` passes and the plan hash covers the
//! commits; without `--write` it only shows the change; a tag that moved, a missing tag or
//! a missing token stop it before anything is written.

use std::path::Path;

use relplan::digest::sha256_hex;
use relplan::pin::manifest_edit;

use crate::common::github::{output, relplan_with_token};
use crate::common::{corpus, root, stderr, stdout};
use crate::fake_github::{FakeGitHub, FaultKind, TagTarget};

/// The commit the fake's tag of `repo` points at.
fn commit_of(repo: &str) -> String {
    sha256_hex(repo.as_bytes())[..40].to_string()
}

/// Tags `v0.1.0` of every entry of the manifest, at `owner/<entry>` (or `github`).
fn tag_every_entry(fake: &FakeGitHub, manifest: &str, owner: &str, renamed: &[(&str, &str)]) {
    for entry in manifest_edit::entries(manifest).expect("the manifest reads") {
        let name = renamed
            .iter()
            .find(|(from, _)| *from == entry.name)
            .map_or(entry.name.as_str(), |(_, to)| to);
        let repo = format!("{owner}/{name}");
        fake.add_tag(&repo, "v0.1.0", TagTarget::Commit(commit_of(&repo)));
    }
}

async fn relplan(dir: &Path, args: &[&str]) -> std::process::Output {
    output(relplan_with_token(dir, args, true)).await
}

/// Every line of `after` is the line of `before`, except the `git_commit = ""` of each
/// entry, now the commit of its repository.
fn only_commits_changed(before: &str, after: &str, owner: &str, renamed: &[(&str, &str)]) {
    let (before, after): (Vec<&str>, Vec<&str>) =
        (before.lines().collect(), after.lines().collect());
    assert_eq!(before.len(), after.len(), "no line added or removed");
    let mut changed = 0;
    for (old, new) in before.iter().zip(&after) {
        if old == new {
            continue;
        }
        let name = old.split(" = ").next().unwrap_or_default();
        let repo = renamed
            .iter()
            .find(|(from, _)| *from == name)
            .map_or(name, |(_, to)| to);
        let expected = old.replace(
            "git_commit = \"\"",
            &format!("git_commit = \"{}\"", commit_of(&format!("{owner}/{repo}"))),
        );
        assert_eq!(*new, expected, "only the commit of `{name}` changed");
        changed += 1;
    }
    assert!(changed > 0, "some commit was filled");
}

#[tokio::test]
async fn pin_write_on_the_real_manifests_changes_only_the_commits_and_is_idempotent() {
    for file in [
        "bllvm__2622bb0",
        "bllvm__57cd13a",
        "blvm__21076d2",
        "blvm__8ae7687",
        "blvm__cb7a509",
    ] {
        let fake = FakeGitHub::start().await;
        let original = fs_err::read_to_string(corpus(file)).expect("the corpus reads");
        tag_every_entry(&fake, &original, "o", &[]);
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs_err::write(dir.path().join("versions.toml"), &original).expect("copied");
        let args = [
            "pin",
            "--versions",
            "versions.toml",
            "--owner",
            "o",
            "--api-url",
            fake.url.as_str(),
            "--write",
        ];
        let out = relplan(dir.path(), &args).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let pinned = fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads");
        only_commits_changed(&original, &pinned, "o", &[]);

        let again = relplan(dir.path(), &args).await;
        assert_eq!(again.status.code(), Some(0), "{file}: {}", stderr(&again));
        assert_eq!(
            stdout(&again),
            "every entry of `versions.toml` is pinned to its tag's commit already\n"
        );
        let twice = fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads");
        assert_eq!(twice, pinned, "{file}: a second run changes nothing");

        let check = relplan(
            dir.path(),
            &[
                "check",
                "--versions",
                "versions.toml",
                "--owner",
                "o",
                "--require-pinned",
            ],
        )
        .await;
        assert_eq!(check.status.code(), Some(0), "{file}: {}", stderr(&check));
    }
}

#[tokio::test]
async fn the_bitcoin_commons_plan_pins_its_manifest_and_its_hash_covers_the_commits() {
    let fake = FakeGitHub::start().await;
    let original =
        fs_err::read_to_string(root().join("plans/versions.toml")).expect("the manifest reads");
    // The plan builds governance-app from BTCDecoded/blvm-commons.
    let renamed = [("governance-app", "blvm-commons")];
    tag_every_entry(&fake, &original, "BTCDecoded", &renamed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs_err::write(dir.path().join("versions.toml"), &original).expect("copied");
    fs_err::copy(
        root().join("plans/bitcoin-commons.toml"),
        dir.path().join("plan.toml"),
    )
    .expect("copied");
    let hash = |dir: &Path| {
        let compiled =
            relplan_with_token(dir, &["compile", "plan.toml", "--format", "json"], false)
                .output()
                .expect("relplan runs");
        let plan: serde_json::Value =
            serde_json::from_slice(&compiled.stdout).expect("a compiled plan");
        plan
    };
    let before = hash(dir.path());

    let shown = relplan(
        dir.path(),
        &["pin", "plan.toml", "--api-url", fake.url.as_str()],
    )
    .await;
    assert_eq!(shown.status.code(), Some(0), "{}", stderr(&shown));
    let text = stdout(&shown);
    let consensus = commit_of("BTCDecoded/blvm-consensus");
    assert!(
        text.starts_with(&format!("blvm-consensus: v0.1.0 is {consensus}\n")),
        "{text}"
    );
    assert!(
        text.contains(
            "-governance-app = { version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"\", requires"
        ) && text.contains(&format!(
            "+governance-app = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{}\", requires",
            commit_of("BTCDecoded/blvm-commons")
        )),
        "{text}"
    );
    assert!(text.ends_with("nothing written; run again with --write to pin these commits\n"));
    assert_eq!(
        fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads"),
        original,
        "without --write nothing changes"
    );

    let written = relplan(
        dir.path(),
        &[
            "pin",
            "plan.toml",
            "--api-url",
            fake.url.as_str(),
            "--write",
        ],
    )
    .await;
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert!(stdout(&written).ends_with(
        "pinned 6 commits in `versions.toml`; review the change and commit it, then `relplan check --require-pinned` passes\n"
    ));
    let pinned = fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads");
    only_commits_changed(&original, &pinned, "BTCDecoded", &renamed);

    let check = relplan(dir.path(), &["check", "plan.toml", "--require-pinned"]).await;
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let after = hash(dir.path());
    assert_ne!(
        after["plan_hash"], before["plan_hash"],
        "the hash covers the commits"
    );
    let node = after["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["id"] == "blvm-node"))
        .expect("the node job");
    assert_eq!(node["commit"], commit_of("BTCDecoded/blvm-node"));
    assert_eq!(after["release"]["commit"], commit_of("BTCDecoded/blvm"));
}

#[tokio::test]
async fn the_flat_form_becomes_an_inline_table_that_reads_the_same() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let original = fs_err::read_to_string(root().join("plans/tools.versions.toml")).expect("reads");
    fs_err::write(dir.path().join("tools.versions.toml"), &original).expect("copied");
    fs_err::copy(
        root().join("plans/tools-workflow-dispatch.toml"),
        dir.path().join("plan.toml"),
    )
    .expect("copied");
    for repo in ["BTCDecoded/blvm-spec-lock", "BTCDecoded/blvm-bench"] {
        fake.add_tag(
            repo,
            "v0.3.0-locked",
            TagTarget::Annotated {
                object: "7a9".into(),
                commit: commit_of(repo),
            },
        );
    }
    let out = relplan(
        dir.path(),
        &[
            "pin",
            "plan.toml",
            "--api-url",
            fake.url.as_str(),
            "--write",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pinned = fs_err::read_to_string(dir.path().join("tools.versions.toml")).expect("reads");
    assert_eq!(
        pinned,
        original
            .replace(
                "spec-lock = \"v0.3.0-locked\"",
                &format!(
                    "spec-lock = {{ git_tag = \"v0.3.0-locked\", git_commit = \"{}\" }}",
                    commit_of("BTCDecoded/blvm-spec-lock")
                )
            )
            .replace(
                "bench = \"v0.3.0-locked\"",
                &format!(
                    "bench = {{ git_tag = \"v0.3.0-locked\", git_commit = \"{}\" }}",
                    commit_of("BTCDecoded/blvm-bench")
                )
            ),
        "the annotated tags' commits, not their objects"
    );
    let check = relplan(dir.path(), &["check", "plan.toml", "--require-pinned"]).await;
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

fn small_manifest(pinned_node: &str) -> String {
    format!(
        "# kept\n[versions]\nnode = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"{pinned_node}\" }}\n\
         sdk = {{ version = \"0.1.0\", git_tag = \"v0.1.0\", git_commit = \"\" }}\n"
    )
}

async fn pin_small(
    fake: &FakeGitHub,
    manifest: &str,
    token: bool,
) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs_err::write(dir.path().join("versions.toml"), manifest).expect("written");
    let out = output(relplan_with_token(
        dir.path(),
        &[
            "pin",
            "--versions",
            "versions.toml",
            "--owner",
            "o",
            "--api-url",
            fake.url.as_str(),
            "--write",
        ],
        token,
    ))
    .await;
    let after = fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads");
    (out, after)
}

#[tokio::test]
async fn a_tag_that_moved_is_refused_and_nothing_is_written() {
    let fake = FakeGitHub::start().await;
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit(commit_of("o/node")));
    fake.add_tag("o/sdk", "v0.1.0", TagTarget::Commit(commit_of("o/sdk")));
    let manifest = small_manifest("badc0de000000000000000000000000000000002");
    let (out, after) = pin_small(&fake, &manifest, true).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: tag `v0.1.0` of `o/node` points at {}, but `node` pins badc0de000000000000000000000000000000002; the tag moved\n\
             help: point the tag back at the pinned commit, or set `node`'s git_commit to {} by hand after checking what the tag now names\n\
             error: nothing was written to `versions.toml`\n\
             help: fix the problems above, then run `relplan pin` again\n",
            commit_of("o/node"),
            commit_of("o/node")
        )
    );
    assert_eq!(after, manifest, "sdk was not pinned either");

    // The pin that agrees with its tag (abbreviated) is kept as it is.
    let agreeing = small_manifest(&commit_of("o/node")[..12]);
    let (out, after) = pin_small(&fake, &agreeing, true).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        after,
        agreeing.replace(
            "git_commit = \"\"",
            &format!("git_commit = \"{}\"", commit_of("o/sdk"))
        )
    );
}

#[tokio::test]
async fn a_missing_tag_or_token_stops_it_before_anything_is_written() {
    let fake = FakeGitHub::start().await;
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit(commit_of("o/node")));
    let manifest = small_manifest("");
    let (out, after) = pin_small(&fake, &manifest, true).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(
            "error: `o/sdk` has no tag `v0.1.0` (entry `sdk`)\nhelp: push the tag first"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(after, manifest);

    let (out, after) = pin_small(&fake, &manifest, false).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: no GitHub token"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("\nhelp: export GITHUB_TOKEN (or GH_TOKEN) with a token that may read the repositories' contents (their tags), or pass a GitHub App's `--app-id ID --app-key FILE`\n"),
        "pinning asks for no more than it needs: {}",
        stderr(&out)
    );
    assert_eq!(after, manifest);
}

#[tokio::test]
async fn a_refused_token_is_reported_once_not_once_per_entry() {
    let fake = FakeGitHub::start().await;
    fake.add_tag("o/node", "v0.1.0", TagTarget::Commit(commit_of("o/node")));
    fake.add_tag("o/sdk", "v0.1.0", TagTarget::Commit(commit_of("o/sdk")));
    fake.fault("GET", "/git/ref/tags/", FaultKind::EchoToken(401), 10);
    let manifest = small_manifest("");
    let (out, after) = pin_small(&fake, &manifest, true).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("GitHub answered 401").count(), 1, "{err}");
    assert!(
        err.ends_with(
            "error: nothing was written to `versions.toml`\nhelp: fix the problems above, then run `relplan pin` again\n"
        ),
        "{err}"
    );
    assert_eq!(
        fake.count("GET", "/git/ref/tags/"),
        1,
        "the second entry is not asked"
    );
    assert_eq!(after, manifest);
}

#[tokio::test]
async fn an_unreachable_api_is_reported_once_not_once_per_entry() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let manifest = small_manifest("");
    fs_err::write(dir.path().join("versions.toml"), &manifest).expect("written");
    let out = relplan(
        dir.path(),
        &[
            "pin",
            "--versions",
            "versions.toml",
            "--owner",
            "o",
            "--api-url",
            &url,
            "--write",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].starts_with(&format!("error: cannot reach the GitHub API at {url}: ")),
        "{err}"
    );
    assert!(
        err.ends_with(
            "error: nothing was written to `versions.toml`\nhelp: fix the problems above, then run `relplan pin` again\n"
        ),
        "{err}"
    );
    assert_eq!(
        fs_err::read_to_string(dir.path().join("versions.toml")).expect("reads"),
        manifest
    );
}
