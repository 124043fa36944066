//! Artifacts against the fake GitHub: selection of files by publish globs, digests, the zip
//! checks (path escapes, symlinks, two entries of one name, size caps), asset naming and name
//! conflicts, and the token staying on the API host when downloads redirect to storage.

use std::path::PathBuf;

use relplan::digest::sha256_hex;
use relplan::github::GitHubError;
use relplan::github::assets::{JobOutput, name_assets};
use relplan::github::zip_check::{ZipFile, ZipLimits};
use relplan::run_error::RunError;

use crate::common::github::dispatch_and_find;
use crate::fake_github::world::{zip_bomb, zip_of, zip_with_duplicate, zip_with_symlink};
use crate::fake_github::{FakeGitHub, SECRET, Script, build_chain, job};

/// Dispatches `o/<name>` with these artifacts, lets it succeed, returns its output.
async fn finished_build(
    fake: &FakeGitHub,
    name: &str,
    script: Script,
    publish: &[&str],
) -> JobOutput {
    let repo = format!("o/{name}");
    fake.add_build(&repo, script);
    let job = job(name, &repo, build_chain(&repo), publish);
    let runs = dispatch_and_find(&fake.client(), fake, &job, &format!("cid-{name}")).await;
    fake.advance(100);
    JobOutput {
        job: name.into(),
        repo,
        runs,
        publish: job.publish,
    }
}

fn with_artifacts(artifacts: Vec<(&str, Vec<u8>)>) -> Script {
    Script {
        artifacts: artifacts
            .into_iter()
            .map(|(n, z)| (n.to_string(), z))
            .collect(),
        ..Script::default()
    }
}

#[tokio::test]
async fn files_matching_the_globs_become_assets_named_by_their_base_names() {
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let node = finished_build(
        &fake,
        "node",
        with_artifacts(vec![
            (
                "node-linux",
                zip_of(&[("dist/node-0.1.0-linux.tar.gz", b"linux")]),
            ),
            (
                "node-macos",
                zip_of(&[("node-0.1.0-macos.tar.gz", b"macos")]),
            ),
            ("coverage", zip_of(&[("lcov.info", b"not published")])),
        ]),
        &["node-*"],
    )
    .await;
    let github = fake.client();
    let assets = github
        .collect_assets(&[node], ZipLimits::default(), work.path())
        .await
        .expect("collected");
    let names: Vec<(&str, String)> = assets
        .iter()
        .map(|a| (a.name.as_str(), a.source.clone()))
        .collect();
    insta::assert_debug_snapshot!(names);
    assert_eq!(
        fake.count("GET", "/zip"),
        3,
        "the coverage artifact is checked too, though nothing in it is published"
    );
}

#[tokio::test]
async fn a_glob_naming_an_artifact_publishes_every_file_in_it() {
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let sdk = finished_build(
        &fake,
        "sdk",
        with_artifacts(vec![
            (
                "sdk-binaries",
                zip_of(&[("bin/blvm-keygen", b"keygen"), ("bin/blvm-sign", b"sign")]),
            ),
            ("coverage", zip_of(&[("lcov.info", b"not published")])),
        ]),
        &["sdk-binaries"],
    )
    .await;
    let assets = fake
        .client()
        .collect_assets(&[sdk], ZipLimits::default(), work.path())
        .await
        .expect("collected");
    let names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["blvm-keygen", "blvm-sign"]);
}

#[tokio::test]
async fn the_token_is_not_sent_to_the_storage_a_download_redirects_to() {
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let node = finished_build(
        &fake,
        "node",
        with_artifacts(vec![("bin", zip_of(&[("node", b"x")]))]),
        &["*"],
    )
    .await;
    fake.client()
        .collect_assets(&[node], ZipLimits::default(), work.path())
        .await
        .expect("collected");
    let log = fake.log();
    let api = log
        .iter()
        .find(|l| l.path.ends_with("/zip"))
        .expect("the API was asked");
    let blob = log
        .iter()
        .find(|l| l.path.starts_with("/blob/"))
        .expect("storage was asked");
    assert!(api.authorized, "the API gets the token");
    assert!(!blob.authorized, "storage never sees {SECRET}");
}

#[tokio::test]
async fn a_digest_mismatch_fails_the_collection() {
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let node = finished_build(
        &fake,
        "node",
        Script {
            wrong_digest: true,
            ..with_artifacts(vec![("bin", zip_of(&[("node", b"x")]))])
        },
        &["*"],
    )
    .await;
    let err = fake
        .client()
        .collect_assets(&[node], ZipLimits::default(), work.path())
        .await
        .expect_err("refused");
    assert!(matches!(err, GitHubError::BadArtifact { .. }));
    assert!(err.to_string().contains("not its digest"), "{err}");
}

#[tokio::test]
async fn zip_slip_symlinks_and_oversized_entries_are_refused() {
    let cases = [
        (
            "escape",
            zip_of(&[
                ("ok.txt", b"fine" as &[u8]),
                ("../../etc/cron.d/evil", b"x"),
            ]),
        ),
        ("absolute", zip_of(&[("/etc/passwd", b"x")])),
        ("link", zip_with_symlink("node", "/etc/shadow")),
        ("big", zip_of(&[("huge.bin", &[0u8; 4096])])),
        (
            "twice",
            zip_with_duplicate("node-0.1.0.tar.gz", b"reviewed build", b"another build"),
        ),
    ];
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let mut problems = Vec::new();
    for (name, zip) in cases {
        let output = finished_build(&fake, name, with_artifacts(vec![(name, zip)]), &["*"]).await;
        let limits = ZipLimits {
            max_entry_bytes: 1024,
            ..ZipLimits::default()
        };
        match fake
            .client()
            .collect_assets(&[output], limits, work.path())
            .await
        {
            Err(err) => problems.push(err.to_string()),
            Ok(assets) => problems.push(format!("accepted {} assets", assets.len())),
        }
    }
    insta::assert_debug_snapshot!(problems);
}

#[test]
fn two_files_with_one_name_are_reported_with_both_sources() {
    let file = |job: &str, artifact: &str, path: &str| {
        (
            relplan::github::assets::Source {
                job: job.into(),
                run: 7,
                artifact: artifact.into(),
                path: path.into(),
            },
            ZipFile {
                path: path.into(),
                location: PathBuf::from(path),
                size: job.len() as u64,
                sha256: sha256_hex(job.as_bytes()),
            },
        )
    };
    let err = name_assets(vec![
        file("node", "linux", "bin/relay"),
        file("sdk", "tools", "relay"),
        file("sdk", "tools", "sdk.tar.gz"),
    ])
    .expect_err("a conflict");
    insta::assert_snapshot!(RunError::from(err).render());

    let reserved = name_assets(vec![file("node", "sums", "SHA256SUMS")]).expect_err("reserved");
    assert!(reserved.to_string().contains("reserved"), "{reserved}");
    let renamed = name_assets(vec![file("node", "a", "my file.tar.gz")]).expect_err("unsafe");
    assert!(
        renamed.to_string().contains("GitHub would rename"),
        "{renamed}"
    );
}

#[tokio::test]
async fn a_zip_bomb_is_refused_before_or_while_inflating_and_nothing_of_it_is_kept() {
    let cases = [
        // Honest sizes: refused from what the archive declares, nothing inflated.
        ("declared", zip_bomb(3, 600, 600)),
        // Lying sizes: refused while inflating, at the cap.
        ("lying", zip_bomb(3, 600, 10)),
        ("one-big-liar", zip_bomb(1, 5000, 10)),
    ];
    let fake = FakeGitHub::start().await;
    let work = tempfile::tempdir().expect("a work directory");
    let limits = ZipLimits {
        max_entry_bytes: 1024,
        max_total_bytes: 1000,
        ..ZipLimits::default()
    };
    let mut problems = Vec::new();
    for (name, zip) in cases {
        assert!(zip.len() < 1000, "a small archive: {} bytes", zip.len());
        let output = finished_build(&fake, name, with_artifacts(vec![(name, zip)]), &["*"]).await;
        match fake
            .client()
            .collect_assets(&[output], limits, work.path())
            .await
        {
            Err(err) => problems.push(err.to_string()),
            Ok(assets) => problems.push(format!("accepted {} assets", assets.len())),
        }
        let left: Vec<_> = fs_err::read_dir(work.path())
            .expect("the work directory")
            .collect();
        assert!(left.is_empty(), "{name}: {left:?} kept");
    }
    insta::assert_debug_snapshot!(problems);
}
