//! The compiler end to end: every corpus manifest, the corpus facts, hash stability, the
//! rendered example plans, generated schemas and atomic output.

use std::path::Path;

use relplan::compile::Options;
use relplan::compile::{Compilation, Request, compile, compile_from_disk};
use relplan::compiled::CompiledPlan;

use crate::common::{corpus, relplan, root, stderr, stdout, transcript};

fn default_plan(manifest: &Path) -> Compilation {
    compile_from_disk(&Request {
        plan: None,
        versions: Some(manifest.to_path_buf()),
        options: Options {
            owner: Some("BTCDecoded".into()),
            ..Options::default()
        },
    })
}

fn compiled(manifest: &str) -> CompiledPlan {
    let c = default_plan(&corpus(manifest));
    c.plan
        .unwrap_or_else(|| panic!("{manifest} compiles: {:?}", c.diagnostics))
}

/// Compiles a plan and manifest given as text.
fn compile_text(plan: &str, versions: &str) -> Compilation {
    let request = Request {
        plan: Some("plan.toml".into()),
        ..Request::default()
    };
    compile(&request, &mut |path: &Path| match path.to_str() {
        Some("plan.toml") => Ok(plan.to_string()),
        Some("versions.toml") => Ok(versions.to_string()),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        )),
    })
}

fn codes(c: &Compilation) -> Vec<&'static str> {
    c.diagnostics
        .items
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn every_corpus_manifest_compiles_under_the_default_plan() {
    let dir = root().join("tests/corpus/versions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let c = default_plan(&path);
        assert!(c.plan.is_some(), "{}: {:?}", path.display(), c.diagnostics);
        // The only warnings are the unpinned refs: git_commit is "" everywhere.
        assert!(
            codes(&c)
                .iter()
                .all(|code| *code == "relplan::unpinned-ref"),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert_eq!(count, 9);
}

#[test]
fn corpus_fixtures_compile_or_fail_as_their_tests_said() {
    let fixtures = root().join("tests/corpus/fixtures");
    let expect: &[(&str, Option<&str>)] = &[
        (
            "build_order__bllvm__test_build_order_respects_dependencies__54a47594",
            None,
        ),
        (
            "build_order__bllvm__test_circular_dependency_detection__d734dfc5",
            Some("relplan::dependency-cycle"),
        ),
        ("build_order__bllvm__test_parallel_builds__be8d3774", None),
        (
            "build_order__blvm__test_build_order_respects_dependencies__346f331b",
            None,
        ),
        ("build_order__blvm__test_parallel_builds__80564da7", None),
        ("versions__bllvm__test_build_order__008a65de", None),
        ("versions__bllvm__test_parse_versions_toml__3fc1175a", None),
        ("versions__blvm__test_build_order__3a508c1e", None),
        ("versions__blvm__test_parse_versions_toml__ea66d4dc", None),
        (
            "versions_parsing__bllvm__test_invalid_version_format__c0726032",
            Some("relplan::invalid-semver"),
        ),
        (
            "versions_parsing__bllvm__test_missing_dependency_detection__88519d01",
            Some("relplan::unknown-require"),
        ),
        (
            "versions_parsing__bllvm__test_version_format_validation__94a350fa",
            None,
        ),
        (
            "versions_parsing__blvm__test_missing_dependency_detection__64f53e66",
            Some("relplan::unknown-require"),
        ),
    ];
    for (name, error) in expect {
        let c = default_plan(&fixtures.join(format!("{name}.toml")));
        match error {
            None => assert!(c.plan.is_some(), "{name}: {:?}", c.diagnostics),
            Some(code) => {
                assert!(c.plan.is_none(), "{name}");
                assert!(codes(&c).contains(code), "{name}: {:?}", codes(&c));
            }
        }
    }
    let invalid = default_plan(&fixtures.join(format!("{}.toml", expect[9].0)));
    assert_eq!(
        codes(&invalid)
            .iter()
            .filter(|c| **c == "relplan::invalid-semver")
            .count(),
        3
    );
    let parallel = default_plan(&fixtures.join(format!("{}.toml", expect[2].0)))
        .plan
        .unwrap();
    assert_eq!(
        parallel.groups,
        vec![vec!["bllvm-consensus", "bllvm-sdk"], vec!["bllvm-protocol"]]
    );
}

#[test]
fn the_newest_manifest_has_two_roots_and_four_levels() {
    let plan = compiled("blvm__cb7a509");
    assert_eq!(
        plan.groups,
        vec![
            vec!["blvm-consensus", "blvm-sdk"],
            vec!["blvm-protocol", "governance-app"],
            vec!["blvm-node"],
            vec!["blvm"],
        ]
    );
    // [versions.develop] is not a repository; [modules] are not part of the release.
    assert!(plan.job("develop").is_none());
    assert!(plan.job("blvm-zmq").is_none());
    assert_eq!(plan.jobs.len(), 6);
    assert_eq!(
        plan.critical_path.jobs,
        vec!["blvm-consensus", "blvm-protocol", "blvm-node", "blvm"]
    );
    let node = plan.job("blvm-node").unwrap();
    assert_eq!(node.needs, vec!["blvm-consensus", "blvm-protocol"]);
    assert_eq!(node.repo, "BTCDecoded/blvm-node");
    assert_eq!(node.git_ref.as_deref(), Some("v0.1.0"));
    assert_eq!(node.commit, None);
}

#[test]
fn bllvm_comes_after_the_node_unlike_the_old_orchestrator() {
    let plan = compiled("bllvm__57cd13a");
    let bllvm = plan.job("bllvm").unwrap();
    assert_eq!(bllvm.needs, vec!["bllvm-node"]);
    assert_eq!(bllvm.group, plan.job("bllvm-node").unwrap().group + 1);
}

#[test]
fn every_requires_pin_matches_in_the_corpus() {
    // Nothing in the old tooling checked it; relplan does (require-mismatch), and the real
    // manifests pass.
    for name in [
        "bllvm__2622bb0",
        "bllvm__4ec79b6",
        "bllvm__dde2cc4",
        "bllvm__57cd13a",
        "blvm__21076d2",
    ] {
        let c = default_plan(&corpus(name));
        assert!(!codes(&c).contains(&"relplan::require-mismatch"), "{name}");
    }
}

#[test]
fn comment_only_change_keeps_the_hash() {
    assert_eq!(
        compiled("blvm__21076d2").plan_hash,
        compiled("blvm__e4c1062").plan_hash
    );
}

#[test]
fn develop_table_and_modules_do_not_change_the_hash() {
    // a8d9e8c → cb7a509 adds [versions.develop] only.
    assert_eq!(
        compiled("blvm__a8d9e8c").plan_hash,
        compiled("blvm__cb7a509").plan_hash
    );
}

#[test]
fn the_hash_is_exact_and_stable() {
    assert_eq!(
        compiled("blvm__cb7a509").plan_hash,
        "sha256:a12fa336fd1162181285a05aef770254a69af68246bfcdd88a44c151d3d50cd1"
    );
}

const VERSIONS: &str = r#"
[versions]
core = { version = "1.0.0", git_tag = "v1.0.0", git_commit = "0123456789abcdef0123456789abcdef01234567" }
app = { version = "1.0.0", git_tag = "v1.0.0", git_commit = "89abcdef0123456789abcdef0123456789abcdef", requires = ["core=1.0.0"] }
"#;

const PLAN: &str = r#"
[release]
owner = "acme"
versions = "versions.toml"
publish_to = "app"

[defaults]
timeout = "30m"
retries = 1

[repo.core]
estimate = "15m"

[repo.app]
estimate = "5m"
payload = { channel = "stable", tag = "{tag}" }
"#;

/// The same plan with tables, keys and inline-table entries reordered and comments added.
const PLAN_REORDERED: &str = r#"
# reordered on purpose
[repo.app]
payload = { tag = "{tag}", channel = "stable" }  # keys swapped
estimate = "5m"

[defaults]
retries = 1
timeout = "30m"

[repo.core]
estimate = "15m"

[release]
publish_to = "app"
versions = "versions.toml"
owner = "acme"
"#;

fn hash_of(plan: &str, versions: &str) -> String {
    let c = compile_text(plan, versions);
    c.plan
        .unwrap_or_else(|| panic!("compiles: {:?}", c.diagnostics))
        .plan_hash
}

#[test]
fn reordering_tables_and_keys_keeps_the_hash() {
    let reordered_versions = VERSIONS.lines().rev().collect::<Vec<_>>().join("\n");
    let reordered_versions = format!(
        "[versions]\n{}",
        reordered_versions.replace("[versions]", "")
    );
    assert_eq!(
        hash_of(PLAN, VERSIONS),
        hash_of(PLAN_REORDERED, &reordered_versions)
    );
}

#[test]
fn every_behavioural_change_changes_the_hash() {
    let base = hash_of(PLAN, VERSIONS);
    let edits = [
        ("timeout = \"30m\"", "timeout = \"31m\""),
        ("retries = 1", "retries = 2"),
        ("estimate = \"15m\"", "estimate = \"16m\""),
        ("channel = \"stable\"", "channel = \"beta\""),
        ("publish_to = \"app\"", "publish_to = \"core\""),
    ];
    for (from, to) in edits {
        assert_ne!(
            hash_of(&PLAN.replace(from, to), VERSIONS),
            base,
            "{from} → {to}"
        );
    }
    let bumped = VERSIONS.replace(
        "git_tag = \"v1.0.0\", git_commit = \"0123",
        "git_tag = \"v1.0.1\", git_commit = \"0123",
    );
    assert_ne!(hash_of(PLAN, &bumped), base);
}

#[test]
fn a_compiled_plan_reads_back_identically() {
    let plan = compile_text(PLAN, VERSIONS).plan.unwrap();
    assert_eq!(CompiledPlan::from_json(&plan.to_json()), Ok(plan.clone()));
    let edited = plan
        .to_json()
        .replace("\"timeout_s\": 1800", "\"timeout_s\": 1801");
    assert!(
        CompiledPlan::from_json(&edited)
            .unwrap_err()
            .contains("plan_hash")
    );
}

#[test]
fn a_compiled_plan_past_a_bound_is_refused_even_with_a_matching_hash() {
    let mut plan = compile_text(PLAN, VERSIONS).plan.unwrap();
    let app = plan.jobs.iter_mut().find(|j| j.id == "app").unwrap();
    app.retries = u32::MAX;
    plan.plan_hash = plan.compute_hash();
    assert_eq!(
        CompiledPlan::from_json(&plan.to_json()),
        Err("job `app` has 4294967295 retries; at most 20".to_string())
    );
}

#[test]
fn concrete_values_per_job() {
    let plan = compile_text(PLAN, VERSIONS).plan.unwrap();
    let app = plan.job("app").unwrap();
    assert_eq!(
        app.payload,
        serde_json::json!({"channel": "stable", "tag": "v1.0.0"})
            .as_object()
            .unwrap()
            .clone()
    );
    assert_eq!((app.timeout_s, app.retries, app.estimate_s), (1800, 1, 300));
    assert_eq!(
        app.commit.as_deref(),
        Some("89abcdef0123456789abcdef0123456789abcdef")
    );
    let release = plan.job("release").unwrap();
    assert_eq!(release.needs, vec!["app", "core"]);
    assert_eq!(plan.release.repo.as_deref(), Some("acme/app"));
    assert_eq!(
        plan.release.commit.as_deref(),
        Some("89abcdef0123456789abcdef0123456789abcdef")
    );
    assert_eq!(plan.critical_path.jobs, vec!["core", "app", "release"]);
    assert_eq!(plan.critical_path.estimate_s, 15 * 60 + 5 * 60 + 2 * 60);
}

#[test]
fn prerelease_follows_the_version_unless_set() {
    let pre = PLAN.replace("publish_to", "version = \"2.0.0-rc.1\"\npublish_to");
    assert!(
        compile_text(&pre, VERSIONS)
            .plan
            .unwrap()
            .release
            .prerelease
    );
    assert!(
        !compile_text(PLAN, VERSIONS)
            .plan
            .unwrap()
            .release
            .prerelease
    );
    let forced = pre.replace("publish_to", "prerelease = false\npublish_to");
    assert!(
        !compile_text(&forced, VERSIONS)
            .plan
            .unwrap()
            .release
            .prerelease
    );
}

#[test]
fn the_bitcoin_commons_plan_renders_in_every_format() {
    for format in ["text", "json", "mermaid", "dot"] {
        let out = relplan(&["compile", "plans/bitcoin-commons.toml", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        insta::assert_snapshot!(format!("bitcoin_commons_{format}"), stdout(&out));
    }
}

#[test]
fn the_workflow_dispatch_example_compiles() {
    let out = relplan(&[
        "compile",
        "plans/tools-workflow-dispatch.toml",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = CompiledPlan::from_json(&stdout(&out)).unwrap();
    let bench = plan.job("bench").unwrap();
    assert_eq!(
        serde_json::to_value(bench.trigger.as_ref().unwrap()).unwrap(),
        serde_json::json!({"workflow_dispatch": {
            "repo": "BTCDecoded/blvm-bench",
            "workflow": "build.yml",
            "ref": "v0.3.0-locked",
            "inputs": {"release_tag": "v0.3.0-locked", "channel": "locked"}
        }})
    );
    assert!(plan.release.prerelease);
}

#[test]
fn the_bitcoin_commons_plan_has_its_shape() {
    let out = relplan(&["compile", "plans/bitcoin-commons.toml", "--format", "json"]);
    let plan = CompiledPlan::from_json(&stdout(&out)).unwrap();
    assert_eq!(
        plan.job("blvm-consensus/build").unwrap().needs,
        vec!["blvm-consensus/verify"]
    );
    assert_eq!(
        plan.job("blvm-protocol").unwrap().needs,
        vec!["blvm-consensus/build"]
    );
    assert_eq!(
        plan.job("governance-app").unwrap().repo,
        "BTCDecoded/blvm-commons"
    );
    assert_eq!(plan.job("deploy-signal").unwrap().needs, vec!["release"]);
    assert!(
        plan.job("blvm-consensus/verify")
            .unwrap()
            .publish
            .is_empty()
    );
    assert!(plan.fallback.is_some());
    assert_eq!(
        plan.critical_path.estimate_s,
        (120 + 60 + 60 + 90 + 60 + 2 + 5) * 60
    );
}

#[test]
fn compiled_json_is_accepted_wherever_a_plan_is() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("plan.json");
    let out = relplan(&[
        "compile",
        "plans/bitcoin-commons.toml",
        "--format",
        "json",
        "-o",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let again = relplan(&["compile", json.to_str().unwrap(), "--format", "json"]);
    assert_eq!(stdout(&again), std::fs::read_to_string(&json).unwrap());
}

#[test]
fn output_files_are_never_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("plan.json");
    std::fs::write(&target, "previous").unwrap();
    let broken = root().join("tests/cases/check/cycle-two/versions.toml");
    let out = relplan(&[
        "compile",
        "--versions",
        broken.to_str().unwrap(),
        "--owner",
        "x",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous");
    let missing_dir = dir.path().join("no/such/dir/plan.json");
    let out = relplan(&[
        "compile",
        "plans/bitcoin-commons.toml",
        "-o",
        missing_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out).lines().last().unwrap().replace(dir.path().to_str().unwrap(), "TMP"), @"help: check that the directory exists and is writable");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn an_unwritable_output_names_the_file_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let occupied = dir.path().join("a-directory");
    std::fs::create_dir(&occupied).unwrap();
    let mut shown = String::new();
    for target in [dir.path().join("no/such/dir/plan.json"), occupied] {
        let out = relplan(&[
            "compile",
            "plans/bitcoin-commons.toml",
            "-o",
            target.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        // The error and its help, after the plan's warnings.
        let err = stderr(&out).replace(dir.path().to_str().unwrap(), "TMP");
        let lines: Vec<&str> = err.lines().collect();
        shown.push_str(&lines[lines.len() - 2..].join("\n"));
        shown.push('\n');
    }
    insta::assert_snapshot!(shown, @r"
    error: cannot write `TMP/no/such/dir/plan.json`: its directory does not exist
    help: check that the directory exists and is writable
    error: cannot write `TMP/a-directory`: Is a directory (os error 21)
    help: check that the directory exists and is writable
    ");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
}

#[test]
fn checked_in_schemas_are_current() {
    for (name, expected) in relplan::schema::files() {
        let current = std::fs::read_to_string(root().join("schema").join(name)).unwrap_or_default();
        assert!(
            current == expected,
            "schema/{name} is stale: run `cargo run -- schema` and commit"
        );
    }
    let out = relplan(&["schema", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
}

#[test]
fn a_missing_plan_is_a_path_to_check() {
    let out = relplan(&["check", "no/such/plan.toml"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out), @r"
    relplan::read-file

      × failed to open file `no/such/plan.toml`: No such file or directory (os error 2)
      help: check the path

    error: 1 problem found; fix it and run `relplan check` again
    ");
}

#[test]
fn schema_check_names_missing_files_and_diffs_stale_ones() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let schemas = dir.path().to_str().expect("a UTF-8 path");
    let missing = relplan(&["schema", "--check", "--dir", schemas]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing).replace(schemas, "DIR"),
        "DIR/release-plan.schema.json is missing\n\
         DIR/compiled-plan.schema.json is missing\n\
         error: 2 schema files are missing or stale\n\
         help: run `relplan schema` and commit the result\n"
    );
    let written = relplan(&["schema", "--dir", schemas]);
    assert_eq!(
        stdout(&written).replace(schemas, "DIR"),
        "wrote DIR/release-plan.schema.json\nwrote DIR/compiled-plan.schema.json\n"
    );
    let path = dir.path().join("compiled-plan.schema.json");
    let text = std::fs::read_to_string(&path).expect("written");
    std::fs::write(&path, text.replacen("\"title\"", "\"titel\"", 1)).expect("changed");
    let stale = relplan(&["schema", "--check", "--dir", schemas]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).starts_with(&format!(
            "{schemas}/compiled-plan.schema.json is stale:\n--- checked in\n+++ generated\n"
        )),
        "{}",
        stderr(&stale)
    );
    let again = relplan(&["schema", "--dir", schemas]);
    assert_eq!(
        stdout(&again).replace(schemas, "DIR"),
        "unchanged DIR/release-plan.schema.json\nwrote DIR/compiled-plan.schema.json\n"
    );
}

#[test]
fn plans_start_with_a_schema_directive() {
    for entry in std::fs::read_dir(root().join("plans")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("[release]") {
            assert!(
                text.starts_with("#:schema ../schema/release-plan.schema.json\n"),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        relplan(&["compile", "--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(relplan(&["frobnicate"]).status.code(), Some(2));
    // Neither a plan nor a manifest: every command that reads a plan needs one of them.
    for command in ["check", "compile", "simulate", "apply"] {
        let nothing = relplan(&[command]);
        assert_eq!(nothing.status.code(), Some(2), "{command}");
        assert!(
            stderr(&nothing).contains("<PLAN|--versions <FILE>>"),
            "{}",
            stderr(&nothing)
        );
    }
}

#[test]
fn dot_output_is_accepted_by_graphviz() {
    let out = relplan(&["compile", "plans/bitcoin-commons.toml", "--format", "dot"]);
    let mut dot = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` is installed (.ci/run installs it: apt-get install graphviz)");
    use std::io::Write;
    dot.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let result = dot.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stdout).contains("<svg"));
}

#[test]
fn huge_estimates_in_a_compiled_plan_do_not_overflow() {
    let plan = compile_text(PLAN, VERSIONS).plan.unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    for job in json["jobs"].as_array_mut().unwrap() {
        job["estimate_s"] = serde_json::json!(u64::MAX);
    }
    let result = CompiledPlan::from_json(&json.to_string());
    assert!(result.unwrap_err().contains("plan_hash"));
}

#[test]
fn output_files_are_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("plan.json");
    let out = relplan(&[
        "compile",
        "plans/bitcoin-commons.toml",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[test]
fn local_builds_are_merged_key_by_key_and_steps_keep_their_own() {
    let plan = r#"
[release]
owner = "acme"
versions = "versions.toml"
publish_to = "app"

[defaults]
local = { run = "cargo build --release --locked", artifacts = ["target/release/*"] }

[repo.core]
stages = ["test", "build"]

[repo.core.stage.test]
local = { run = "cargo test", artifacts = [] }

[repo.app]
local = { artifacts = ["target/release/app"] }

[[step]]
id = "announce"
after = ["release"]
trigger = { repository_dispatch = { repo = "app", event_type = "announce" } }
"#;
    let c = compile_text(plan, VERSIONS);
    let plan = c.plan.expect("the plan compiles");
    let local = |id: &str| {
        plan.job(id)
            .and_then(|j| j.local.as_ref())
            .map(|l| (l.run.as_str(), l.artifacts.join(" ")))
    };
    assert_eq!(local("core/test"), Some(("cargo test", String::new())));
    assert_eq!(
        local("core/build"),
        Some(("cargo build --release --locked", "target/release/*".into()))
    );
    assert_eq!(
        local("app"),
        Some((
            "cargo build --release --locked",
            "target/release/app".into()
        ))
    );
    // Steps do not inherit `[defaults].local`; the release job is relplan's own.
    assert_eq!(local("announce"), None);
    assert_eq!(local("release"), None);
}

#[test]
fn a_plan_without_local_tables_keeps_its_hash() {
    // `local` is left out of the compiled JSON when no layer sets it, so plans written
    // before it existed hash as they did.
    let c = compile_text(PLAN, VERSIONS);
    let json = c.plan.expect("the plan compiles").to_json();
    assert!(!json.contains("\"local\""), "{json}");
}

/// `relplan … | head` closes the pipe before the output is written: the command ends as it
/// would have, without a panic or an error about it (stdout goes through `cli::output`).
#[test]
fn a_reader_that_stops_reading_is_not_an_error() {
    let plan = "plans/bitcoin-commons.toml";
    let commands: [&[&str]; 9] = [
        &["compile", plan],
        &["compile", plan, "--format", "json"],
        &["check", plan],
        &["simulate", plan],
        &["diff", plan, "plans/tools-workflow-dispatch.toml"],
        &["schema", "--check"],
        &["completions", "bash"],
        &["man"],
        &["verify", "plans"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = crate::common::command(root(), args)
            .stdout(writer)
            .output()
            .expect("relplan runs");
        let expected = if args[0] == "verify" { 1 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked") && !stderr(&out).contains("Broken pipe"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
