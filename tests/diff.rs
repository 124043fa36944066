//! `relplan diff`: real manifest history, plan edits, `--against` a git revision, the markdown
//! size cap, exit codes. Snapshots for what people read, exact values for what programs read.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::common::{corpus, relplan, relplan_in, stderr, stdout};

const CASES: &str = "tests/cases/diff";

fn path(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Diffs two corpus manifests under the default plan.
fn corpus_diff(old: &str, new: &str, extra: &[&str]) -> Output {
    let (old, new) = (corpus(old), corpus(new));
    let mut args = vec!["diff", path(&old), path(&new), "--owner", "BTCDecoded"];
    args.extend_from_slice(extra);
    relplan(&args)
}

/// Diffs tests/cases/diff/base.toml against tests/cases/diff/<case>.toml.
fn plan_edit(case: &str, format: &str) -> Output {
    let new = format!("{CASES}/{case}.toml");
    relplan(&[
        "diff",
        &format!("{CASES}/base.toml"),
        &new,
        "--format",
        format,
    ])
}

fn json_of(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).expect("diff --format json prints JSON")
}

// Real history ----------------------------------------------------------------------------

#[test]
fn adding_a_repository_shows_one_job_one_edge_and_a_longer_critical_path() {
    let text = corpus_diff("bllvm__dde2cc4", "bllvm__57cd13a", &[]);
    assert_eq!(text.status.code(), Some(0));
    insta::assert_snapshot!("bllvm_adds_a_repository_text", stdout(&text));

    let markdown = corpus_diff(
        "bllvm__dde2cc4",
        "bllvm__57cd13a",
        &["--format", "markdown"],
    );
    insta::assert_snapshot!("bllvm_adds_a_repository_markdown", stdout(&markdown));

    let out = corpus_diff(
        "bllvm__dde2cc4",
        "bllvm__57cd13a",
        &["--format", "json", "--exit-code"],
    );
    assert_eq!(out.status.code(), Some(3));
    let summary = |hash: &str, jobs: usize, groups: usize, path: &[&str], estimate_s: u64| {
        json!({
            "plan_hash": hash,
            "name": "v0.1.0",
            "version": "0.1.0",
            "tag": "v0.1.0",
            "jobs": jobs,
            "groups": groups,
            "critical_path": { "jobs": path, "estimate_s": estimate_s },
        })
    };
    let path = ["bllvm-consensus", "bllvm-protocol", "bllvm-node"];
    assert_eq!(
        json_of(&out),
        json!({
            "diff_format_version": 1,
            "changed": true,
            "old": summary(
                "sha256:6b7ee05eef35885fb8a47f7b213517e448515b4df63df2e031b0554ba3638ef5",
                5, 3, &path, 3600
            ),
            "new": summary(
                "sha256:df0f1402a2656cff48722de19b66b2d92e8b7a82240078809ed53e3ecc39262b",
                6, 4, &[&path[..], &["bllvm"]].concat(), 4800
            ),
            "release": [],
            "jobs_added": [{
                "id": "bllvm",
                "kind": "build",
                "repo": "BTCDecoded/bllvm",
                "ref": "v0.1.0",
                "commit": null,
                "version": "0.1.0",
                "needs": ["bllvm-node"],
                "group": 3,
                "trigger": { "repository_dispatch": { "repo": "BTCDecoded/bllvm", "event_type": "build-chain" } },
                "payload": {},
                "timeout_s": 3600,
                "retries": 0,
                "estimate_s": 1200,
                "publish": ["*"],
            }],
            "jobs_removed": [],
            "jobs_changed": [],
            "edges_added": [{ "from": "bllvm-node", "to": "bllvm" }],
            "edges_removed": [],
            "group_moves": [],
        })
    );
}

#[test]
fn comment_only_manifest_change_shows_no_change_and_the_same_hash() {
    let out = corpus_diff("blvm__21076d2", "blvm__e4c1062", &["--exit-code"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("blvm_comment_only_text", stdout(&out));

    let markdown = corpus_diff("blvm__21076d2", "blvm__e4c1062", &["--format", "markdown"]);
    insta::assert_snapshot!("blvm_comment_only_markdown", stdout(&markdown));

    let diff = json_of(&corpus_diff(
        "blvm__21076d2",
        "blvm__e4c1062",
        &["--format", "json"],
    ));
    assert_eq!(diff["changed"], json!(false));
    assert_eq!(diff["old"]["plan_hash"], diff["new"]["plan_hash"]);
}

#[test]
fn develop_table_added_to_versions_is_not_a_job() {
    let out = corpus_diff(
        "blvm__a8d9e8c",
        "blvm__cb7a509",
        &["--format", "json", "--exit-code"],
    );
    assert_eq!(out.status.code(), Some(0));
    let diff = json_of(&out);
    assert_eq!(diff["jobs_added"], json!([]));
    assert_eq!(diff["changed"], json!(false));
    let text = corpus_diff("blvm__a8d9e8c", "blvm__cb7a509", &[]);
    assert!(!stdout(&text).contains("develop"), "{}", stdout(&text));
}

// Plan edits ------------------------------------------------------------------------------

#[test]
fn estimate_edit_changes_one_field_and_the_critical_path_estimate() {
    let out = plan_edit("estimate", "json");
    assert_eq!(out.status.code(), Some(0));
    let path = json!([
        "blvm-consensus",
        "blvm-protocol",
        "blvm-node",
        "blvm",
        "release"
    ]);
    let summary = |hash: &str, estimate_s: u64| {
        json!({
            "plan_hash": hash,
            "name": "Bitcoin Commons",
            "version": "0.1.0",
            "tag": "v0.1.0",
            "jobs": 7,
            "groups": 5,
            "critical_path": { "jobs": path, "estimate_s": estimate_s },
        })
    };
    assert_eq!(
        json_of(&out),
        json!({
            "diff_format_version": 1,
            "changed": true,
            "old": summary("sha256:5fc991da28ce5f6482f8bc3cbc70f99dd4c87baa2abc2e0ea0ccfbf8c1851571", 9120),
            "new": summary("sha256:5f77240bcfc85fed831f4fcb79351d19a472b07975e260bab24e926f9ca2e424", 12720),
            "release": [],
            "jobs_added": [],
            "jobs_removed": [],
            "jobs_changed": [{
                "id": "blvm-consensus",
                "changes": [{ "field": "estimate_s", "old": 5400, "new": 9000 }],
            }],
            "edges_added": [],
            "edges_removed": [],
            "group_moves": [],
        })
    );
    insta::assert_snapshot!(
        "plan_edit_estimate_text",
        stdout(&plan_edit("estimate", "text"))
    );
}

#[test]
fn a_local_build_is_a_change_of_the_job_and_of_the_hash() {
    let added = plan_edit("local", "text");
    assert_eq!(added.status.code(), Some(0));
    insta::assert_snapshot!("plan_edit_local_text", stdout(&added));
    let diff = json_of(&plan_edit("local", "json"));
    assert_eq!(
        diff["jobs_changed"],
        json!([{
            "id": "blvm-consensus",
            "changes": [{
                "field": "local",
                "old": null,
                "new": {
                    "run": "cargo build --release --locked",
                    "artifacts": ["target/release/libblvm_consensus.rlib"],
                },
            }],
        }])
    );
    assert_ne!(diff["old"]["plan_hash"], diff["new"]["plan_hash"]);
    // Between two local builds, each key that changed is shown.
    let changed = relplan(&[
        "diff",
        &format!("{CASES}/local.toml"),
        &format!("{CASES}/local-run.toml"),
    ]);
    insta::assert_snapshot!("local_run_changed_text", stdout(&changed));
}

#[test]
fn trigger_edit_describes_both_triggers() {
    let out = plan_edit("trigger", "text");
    insta::assert_snapshot!("plan_edit_trigger_text", stdout(&out));
    let diff = json_of(&plan_edit("trigger", "json"));
    assert_eq!(
        diff["jobs_changed"][0]["changes"][0]["new"],
        json!({ "workflow_dispatch": {
            "repo": "BTCDecoded/blvm-node",
            "workflow": "release.yml",
            "ref": "main",
            "inputs": { "channel": "stable" },
        }})
    );
}

#[test]
fn trigger_and_payload_values_are_shown_one_by_one() {
    let args = |format| {
        [
            "diff",
            "tests/cases/diff/trigger.toml",
            "tests/cases/diff/trigger-inputs.toml",
            "--format",
            format,
        ]
    };
    let text = relplan(&args("text"));
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    insta::assert_snapshot!("trigger_values_text", stdout(&text));
    insta::assert_snapshot!(
        "trigger_values_markdown",
        stdout(&relplan(&args("markdown")))
    );
    // Tools still get both whole values.
    let diff = json_of(&relplan(&args("json")));
    let node = &diff["jobs_changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "blvm-node")
        .unwrap()["changes"][0];
    assert_eq!(node["field"], json!("trigger"));
    assert_eq!(
        node["new"]["workflow_dispatch"]["inputs"],
        json!({ "channel": "beta", "sign": true })
    );
}

#[test]
fn stage_added_replaces_a_job_rewires_edges_and_moves_groups() {
    insta::assert_snapshot!("plan_edit_stage_text", stdout(&plan_edit("stage", "text")));
    insta::assert_snapshot!(
        "plan_edit_stage_markdown",
        stdout(&plan_edit("stage", "markdown"))
    );
    let diff = json_of(&plan_edit("stage", "json"));
    let ids = |key: &str| -> Vec<String> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids("jobs_added"),
        ["blvm-consensus/verify", "blvm-consensus/build"]
    );
    assert_eq!(ids("jobs_removed"), ["blvm-consensus"]);
    assert_eq!(
        ids("group_moves"),
        ["blvm-protocol", "blvm-node", "blvm", "release"]
    );
}

#[test]
fn step_added_after_the_release() {
    insta::assert_snapshot!("plan_edit_step_text", stdout(&plan_edit("step", "text")));
    let diff = json_of(&plan_edit("step", "json"));
    assert_eq!(diff["jobs_added"][0]["id"], json!("deploy-signal"));
    assert_eq!(diff["jobs_added"][0]["payload"], json!({ "tag": "v0.1.0" }));
    assert_eq!(
        diff["edges_added"],
        json!([{ "from": "release", "to": "deploy-signal" }])
    );
}

#[test]
fn version_bump_to_a_release_candidate_turns_on_prerelease() {
    insta::assert_snapshot!(
        "plan_edit_prerelease_text",
        stdout(&plan_edit("prerelease", "text"))
    );
    insta::assert_snapshot!(
        "plan_edit_prerelease_markdown",
        stdout(&plan_edit("prerelease", "markdown"))
    );
    let diff = json_of(&plan_edit("prerelease", "json"));
    assert_eq!(
        diff["release"],
        json!([
            { "field": "version", "old": "0.1.0", "new": "0.2.0-rc.1" },
            { "field": "tag", "old": "v0.1.0", "new": "v0.2.0-rc.1" },
            { "field": "prerelease", "old": false, "new": true },
        ])
    );
}

#[test]
fn identical_plans_have_no_changes_in_every_format() {
    let base = format!("{CASES}/base.toml");
    let out = relplan(&["diff", &base, &base, "--exit-code"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "no changes: both plans hash to sha256:5fc991da28ce5f6482f8bc3cbc70f99dd4c87baa2abc2e0ea0ccfbf8c1851571\n"
    );
    let markdown = relplan(&["diff", &base, &base, "--format", "markdown"]);
    assert_eq!(
        stdout(&markdown),
        "### relplan: release plan diff\n\nNo changes: both plans hash to \
         `sha256:5fc991da28ce5f6482f8bc3cbc70f99dd4c87baa2abc2e0ea0ccfbf8c1851571`.\n"
    );
    let diff = json_of(&relplan(&["diff", &base, &base, "--format", "json"]));
    assert_eq!(diff["changed"], json!(false));
}

#[test]
fn compiled_plan_json_and_manifest_sides_compare_like_plans() {
    let dir = tempfile::tempdir().unwrap();
    let compiled = dir.path().join("base.json");
    let base = format!("{CASES}/base.toml");
    let out = relplan(&["compile", &base, "--format", "json", "-o", path(&compiled)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let from_json = relplan(&[
        "diff",
        path(&compiled),
        &format!("{CASES}/estimate.toml"),
        "--format",
        "json",
    ]);
    assert_eq!(json_of(&from_json), json_of(&plan_edit("estimate", "json")));

    // Adopting a plan over a manifest that used the default plan.
    let manifest = corpus("blvm__cb7a509");
    let out = relplan(&[
        "diff",
        path(&manifest),
        &base,
        "--owner",
        "BTCDecoded",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = json_of(&out);
    assert_eq!(diff["jobs_added"][0]["id"], json!("release"));
    assert_eq!(
        diff["release"][0],
        json!({ "field": "name", "old": "v0.1.0", "new": "Bitcoin Commons" })
    );
}

// Exit codes and invalid input --------------------------------------------------------------

#[test]
fn changes_exit_zero_without_exit_code() {
    assert_eq!(plan_edit("estimate", "text").status.code(), Some(0));
    let out = relplan(&[
        "diff",
        &format!("{CASES}/base.toml"),
        &format!("{CASES}/estimate.toml"),
        "--exit-code",
    ]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn invalid_side_exits_one_and_names_the_side() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    fs::write(
        &broken,
        "[release]\nowner = \"BTCDecoded\"\nversion = \"0.1\"\n",
    )
    .unwrap();
    let base = format!("{CASES}/base.toml");
    let out = relplan(&["diff", &base, path(&broken)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("error: the new side, `"), "{err}");
    assert!(err.contains("the plan names no manifest"), "{err}");
    assert!(err.contains("help: fix the new side"), "{err}");

    let out = relplan(&["diff", path(&broken), &base]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: the old side, `"),
        "{}",
        stderr(&out)
    );

    let out = relplan(&["diff", &base, "no/such/plan.toml", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no/such/plan.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_invalid_side_shows_a_repeated_warning_once() {
    // Six unpinned entries, and a requirement of a version no entry has.
    let dir = tempfile::tempdir().unwrap();
    let manifest = fs::read_to_string(corpus("blvm__cb7a509")).unwrap();
    let broken = manifest.replacen("=0.1.0\"", "=9.9.9\"", 1);
    assert_ne!(broken, manifest, "the manifest has a requirement to break");
    let versions = dir.path().join("versions.toml");
    fs::write(&versions, broken).unwrap();
    let out = relplan(&["diff", path(&versions), path(&versions), "--owner", "o"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.matches("relplan::unpinned-ref").count(),
        2,
        "once per side: {err}"
    );
    assert_eq!(
        err.matches("6 entries do not pin a git_commit").count(),
        2,
        "{err}"
    );
    assert_eq!(err.matches("relplan::require-mismatch").count(), 2, "{err}");
}

#[test]
fn usage_errors_exit_two() {
    let base = format!("{CASES}/base.toml");
    assert_eq!(relplan(&["diff", &base]).status.code(), Some(2));
    assert_eq!(
        relplan(&["diff", &base, &base, "--against", "HEAD"])
            .status
            .code(),
        Some(2)
    );
    let manifest = corpus("blvm__cb7a509");
    let out = relplan(&[
        "diff",
        path(&manifest),
        &base,
        "--versions",
        path(&manifest),
        "--owner",
        "o",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a manifest itself"),
        "{}",
        stderr(&out)
    );

    // A manifest side needs --owner: a usage error, not an invalid manifest.
    let out = relplan(&["diff", path(&manifest), &base]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: `{}` is a manifest, compiled under the default plan, which needs a GitHub owner\n\
             help: pass `--owner OWNER`, the GitHub user or organisation of the repositories\n",
            path(&manifest)
        )
    );
}

// --against a git revision ---------------------------------------------------------------------

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=relplan",
            "-c",
            "user.email=relplan@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with `plans/release.toml` naming `versions.toml` at the root, committed once.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("plans")).unwrap();
    let base = fs::read_to_string(format!("{CASES}/base.toml")).unwrap();
    let plan = base.replace(
        "../../corpus/versions/blvm__cb7a509__versions.toml",
        "../versions.toml",
    );
    fs::write(root.join("plans/release.toml"), plan).unwrap();
    fs::copy(corpus("blvm__21076d2"), root.join("versions.toml")).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "plan"]);
    dir
}

/// Applies `edit` to a file of the working tree.
fn edit(file: &Path, edit: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(file).unwrap();
    fs::write(file, edit(text)).unwrap();
}

#[test]
fn against_a_revision_reads_the_plan_and_its_manifest_from_git() {
    let repo = repository();
    let root = repo.path();
    let unchanged = relplan_in(
        root,
        &[
            "diff",
            "plans/release.toml",
            "--against",
            "HEAD",
            "--exit-code",
        ],
    );
    assert_eq!(unchanged.status.code(), Some(0), "{}", stderr(&unchanged));

    // Edit both files the compiler reads, without committing.
    edit(&root.join("plans/release.toml"), |t| {
        t.replace("estimate = \"90m\"", "estimate = \"2h\"")
    });
    edit(&root.join("versions.toml"), |t| {
        let extra = "blvm-extra = { version = \"0.1.0\", git_tag = \"v0.1.0\", requires = [\"blvm-node=0.1.0\"] }\n";
        t.replacen("\n[versions]\n", &format!("\n[versions]\n{extra}"), 1)
    });
    let out = relplan_in(
        root,
        &[
            "diff",
            "plans/release.toml",
            "--against",
            "HEAD",
            "--exit-code",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    insta::assert_snapshot!("against_head_text", stdout(&out));

    // From a subdirectory, paths are relative to it, on both sides.
    let out = relplan_in(
        &root.join("plans"),
        &[
            "diff",
            "release.toml",
            "--against",
            "HEAD",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = json_of(&out);
    assert_eq!(diff["jobs_added"][0]["id"], json!("blvm-extra"));
    assert_eq!(diff["jobs_changed"][0]["id"], json!("blvm-consensus"));

    // From outside the work tree, the repository is the plan's.
    let outside = tempfile::tempdir().unwrap();
    let plan = root.join("plans/release.toml");
    let out = relplan_in(
        outside.path(),
        &[
            "diff",
            plan.to_str().unwrap(),
            "--against",
            "HEAD",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_of(&out)["jobs_added"][0]["id"], json!("blvm-extra"));
}

#[test]
fn against_an_unknown_revision_or_outside_git_exits_one_with_a_hint() {
    let repo = repository();
    let out = relplan_in(
        repo.path(),
        &["diff", "plans/release.toml", "--against", "origin/main"],
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("against_unknown_revision_stderr", stderr(&out));

    let out = relplan_in(
        repo.path(),
        &["diff", "plans/new.toml", "--against", "HEAD"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("`plans/new.toml` does not exist at `HEAD`"),
        "{err}"
    );
    assert!(
        err.contains("error: the old side, `plans/new.toml` at `HEAD`, is invalid"),
        "{err}"
    );
    assert!(
        err.contains("help: this side is read from git at `HEAD`"),
        "{err}"
    );

    let outside = tempfile::tempdir().unwrap();
    let out = relplan_in(outside.path(), &["diff", "plan.toml", "--against", "HEAD"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot use git here"),
        "{}",
        stderr(&out)
    );
}

// The markdown size cap ---------------------------------------------------------------------

/// A manifest of 5,000 repositories in chains of ten, all at `version`.
fn big_manifest(version: &str) -> String {
    let mut text = String::from("[versions]\n");
    for i in 0..5000 {
        let requires = if i % 10 == 0 {
            String::new()
        } else {
            format!(", requires = [\"repo-{:04}={version}\"]", i - 1)
        };
        text.push_str(&format!(
            "repo-{i:04} = {{ version = \"{version}\", git_tag = \"v{version}\", git_commit = \"{i:040x}\"{requires} }}\n"
        ));
    }
    text
}

#[test]
fn markdown_of_a_5000_job_change_stays_under_65536_characters() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.toml"), dir.path().join("new.toml"));
    fs::write(&old, big_manifest("0.1.0")).unwrap();
    fs::write(&new, big_manifest("0.2.0")).unwrap();
    let args = ["diff", path(&old), path(&new), "--owner", "o", "--format"];
    let out = relplan(&[&args[..], &["markdown"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let markdown = stdout(&out);
    assert!(
        markdown.chars().count() <= 65_536,
        "{} characters",
        markdown.chars().count()
    );
    assert!(
        markdown.chars().count() > 60_000,
        "the cap should be used, not wasted"
    );
    // 5,000 changed jobs and three release fields (name, version, tag).
    let note = markdown.lines().last().unwrap();
    assert!(note.contains(" of 5,003 changes are not shown"), "{note}");
    assert!(markdown.starts_with(
        "### relplan: release plan diff\n\n**3 release fields changed, 5,000 jobs changed.**"
    ));
    assert_eq!(
        markdown.matches("<details").count(),
        markdown.matches("</details>").count()
    );

    let json = json_of(&relplan(&[&args[..], &["json"]].concat()));
    assert_eq!(json["jobs_changed"].as_array().unwrap().len(), 5000);
}
