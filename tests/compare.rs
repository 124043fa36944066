//! `relplan compare` against the fake GitHub and on directories: a release compared with
//! itself, and with its downloaded assets, is the same (exit 0 with `--exit-code`); with a
//! release that differs in one asset it reports exactly that asset (in the assets and in
//! SHA256SUMS), exit 3 with `--exit-code`; release fields that differ; the text, Markdown and
//! JSON outputs.

use std::path::Path;

use crate::common::github::{output, relplan_with_token};
use crate::common::{relplan_in, stderr, transcript};
use crate::fake_github::{FakeGitHub, TagTarget};
use crate::verify::{NODE, SDK, good_release};

/// `relplan compare A B` with `extra` arguments, against `fake`, run from `dir`.
async fn compare(
    fake: &FakeGitHub,
    dir: &Path,
    a: &str,
    b: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["compare", a, b, "--api-url", fake.url.as_str()];
    args.extend_from_slice(extra);
    output(relplan_with_token(dir, &args, true)).await
}

/// The files of the release of `repo` in the fake, written into `dir`.
fn download(fake: &FakeGitHub, repo: &str, dir: &Path) {
    fs_err::create_dir_all(dir).expect("made");
    fake.with(|w| {
        let release = w
            .releases
            .iter()
            .find(|r| r.repo == repo)
            .expect("a release");
        for asset in &release.assets {
            fs_err::write(dir.join(&asset.name), &asset.bytes).expect("written");
        }
    });
}

#[tokio::test]
async fn a_release_is_the_same_as_itself_and_as_its_downloaded_assets() {
    let fake = FakeGitHub::start().await;
    good_release(&fake, "o/node");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = compare(
        &fake,
        dir.path(),
        "o/node@v0.1.0",
        "o/node@v0.1.0",
        &["--exit-code"],
    )
    .await;
    insta::assert_snapshot!("compare_same", transcript(&out));
    assert_eq!(out.status.code(), Some(0));

    download(&fake, "o/node", &dir.path().join("downloaded"));
    let out = compare(
        &fake,
        dir.path(),
        "o/node@v0.1.0",
        "downloaded",
        &["--exit-code", "--format", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["same"], true);
    assert_eq!(json["b"]["kind"], "directory");
    assert_eq!(json["b"]["fields"], serde_json::Value::Null);
    assert_eq!(
        json["assets"]["identical"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(json["sha256sums"]["differs"], false);
}

#[tokio::test]
async fn a_release_that_differs_in_one_asset_reports_exactly_that_asset() {
    let fake = FakeGitHub::start().await;
    good_release(&fake, "o/node");
    // The old orchestrator's release of the same version, in a test repository: one
    // asset built with other bytes.
    fake.publish_release(
        "o/node-old",
        "v0.1.0",
        crate::verify::COMMIT,
        &[
            (NODE, b"node build"),
            (SDK, b"sdk build, another toolchain"),
        ],
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (a, b) = ("o/node-old@v0.1.0", "o/node@v0.1.0");
    let out = compare(
        &fake,
        dir.path(),
        a,
        b,
        &["--format", "json", "--exit-code"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["same"], false);
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|x| x["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(&json["assets"]["changed"]), [SDK]);
    assert_eq!(names(&json["assets"]["only_in_a"]), Vec::<String>::new());
    assert_eq!(names(&json["assets"]["only_in_b"]), Vec::<String>::new());
    assert_eq!(names(&json["assets"]["identical"]), [NODE]);
    assert_eq!(names(&json["sha256sums"]["changed"]), [SDK]);
    assert_eq!(
        json["assets"]["changed"][0]["a"]["sha256"],
        relplan::digest::sha256_hex(b"sdk build, another toolchain")
    );
    let differing: Vec<&serde_json::Value> = json["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| f["differs"] == true)
        .collect();
    assert!(differing.is_empty(), "{differing:?}");

    let out = compare(&fake, dir.path(), a, b, &[]).await;
    assert_eq!(out.status.code(), Some(0), "without --exit-code");
    insta::assert_snapshot!("compare_one_asset_text", transcript(&out));
    let out = compare(&fake, dir.path(), a, b, &["--format", "markdown"]).await;
    insta::assert_snapshot!("compare_one_asset_markdown", transcript(&out));
}

#[tokio::test]
async fn release_fields_and_assets_on_one_side_only_are_shown() {
    let fake = FakeGitHub::start().await;
    let release = good_release(&fake, "o/node");
    let other = fake.publish_release(
        "o/node-old",
        "v0.1.0",
        crate::verify::COMMIT,
        &[(NODE, b"node build")],
    );
    fake.change_release(other, |r| r.prerelease = true);
    fake.add_tag(
        "o/node-old",
        "v0.1.0",
        TagTarget::Commit("badc0de000000000000000000000000000000002".into()),
    );
    fake.add_asset(release, "notes.txt", b"notes");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = compare(
        &fake,
        dir.path(),
        "o/node-old@v0.1.0",
        "o/node@v0.1.0",
        &["--exit-code"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("compare_fields_and_sides", transcript(&out));
}

#[test]
fn two_directories_need_no_token_and_a_side_that_is_not_a_release_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for side in ["a", "b"] {
        fs_err::create_dir(dir.path().join(side)).expect("made");
        fs_err::write(dir.path().join(side).join("x.bin"), side).expect("written");
    }
    let out = relplan_in(dir.path(), &["compare", "a", "b", "--exit-code"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = relplan_in(dir.path(), &["compare", "a", "a", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("compare_directories_without_sums", transcript(&out));
    let out = relplan_in(dir.path(), &["compare", "a", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
}
