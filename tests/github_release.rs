//! The release transaction against the fake GitHub: draft, uploads, SHA256SUMS, publish;
//! idempotent on re-runs (also after a 502 that hid a created draft), transient answers
//! (502s, secondary rate limits) waited out inside one call, refusing an asset with other
//! bytes and a tag that moved, and SHA256SUMS that `sha256sum -c` accepts.

use std::time::Duration;

use relplan::github::release::ReleaseSpec;
use relplan::github::{GitHub, GitHubError};
use relplan::release_assets::{Asset, SHA256SUMS};
use relplan::run_error::RunError;

use crate::fake_github::{FakeGitHub, FaultKind, TagTarget};

fn spec(prerelease: bool) -> ReleaseSpec {
    ReleaseSpec {
        repo: "o/blvm".into(),
        tag: "v0.1.0-test.1".into(),
        name: "Bitcoin Commons 0.1.0-test.1".into(),
        prerelease,
        commit: Some("c0ffee0000000000000000000000000000000001".into()),
    }
}

fn asset(name: &str, bytes: &[u8]) -> Asset {
    Asset::new(name, bytes.to_vec(), "a test")
}

fn assets() -> Vec<Asset> {
    vec![
        asset("blvm-0.1.0-linux.tar.gz", b"linux build"),
        asset("blvm-0.1.0-macos.tar.gz", b"macos build"),
    ]
}

/// A client that runs the transaction once, so a fault stops it where it struck (as a
/// fault that outlasts every round would) and a test can resume it.
fn one_round_client(fake: &FakeGitHub) -> GitHub {
    fake.client_with(|config| config.release_attempts = 1)
}

async fn fake_with_repo() -> FakeGitHub {
    let fake = FakeGitHub::start().await;
    fake.with(|w| {
        w.repos.entry("o/blvm".into()).or_default();
    });
    fake
}

#[tokio::test]
async fn a_release_is_drafted_filled_summed_and_published() {
    let fake = fake_with_repo().await;
    let published = fake
        .client()
        .publish_release(&spec(true), &assets())
        .await
        .expect("published");
    assert_eq!(
        published.uploaded,
        [
            "blvm-0.1.0-linux.tar.gz",
            "blvm-0.1.0-macos.tar.gz",
            SHA256SUMS
        ]
    );
    let releases = fake.releases();
    assert_eq!(releases.len(), 1);
    let release = &releases[0];
    assert!(!release.draft && release.prerelease);
    assert_eq!(
        release.target_commitish.as_deref(),
        Some("c0ffee0000000000000000000000000000000001")
    );
    let sums = release
        .assets
        .iter()
        .find(|a| a.name == SHA256SUMS)
        .map(|a| String::from_utf8_lossy(&a.bytes).into_owned())
        .unwrap_or_default();
    insta::assert_snapshot!(sums);
    let order: Vec<String> = fake
        .log()
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l.method,
                l.path.split('?').next().unwrap_or_default()
            )
        })
        .collect();
    insta::assert_debug_snapshot!(order);
}

#[tokio::test]
async fn sha256sums_passes_sha256sum_check_on_the_downloaded_assets() {
    let fake = fake_with_repo().await;
    fake.client()
        .publish_release(&spec(false), &assets())
        .await
        .expect("published");
    let dir = tempfile::tempdir().expect("a temporary directory");
    for asset in &fake.releases()[0].assets {
        fs_err::write(dir.path().join(&asset.name), &asset.bytes).expect("written");
    }
    let Ok(check) = std::process::Command::new("sha256sum")
        .args(["-c", SHA256SUMS])
        .current_dir(dir.path())
        .output()
    else {
        eprintln!("sha256sum is not installed; skipped");
        return;
    };
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[tokio::test]
async fn running_it_again_uploads_nothing_and_publishes_nothing_twice() {
    let fake = fake_with_repo().await;
    let github = fake.client();
    github
        .publish_release(&spec(false), &assets())
        .await
        .expect("published");
    let again = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("accepted");
    assert!(again.uploaded.is_empty());
    assert_eq!(again.kept.len(), 3);
    assert_eq!(fake.releases().len(), 1);
    assert_eq!(fake.count("POST", "/uploads/"), 3);
}

#[tokio::test]
async fn a_502_after_creating_the_draft_resumes_on_that_draft() {
    let fake = fake_with_repo().await;
    fake.fault(
        "POST",
        "/repos/o/blvm/releases",
        FaultKind::BadGatewayAfter,
        1,
    );
    fake.fault("POST", "/uploads/", FaultKind::BadGatewayAfter, 1);
    let github = one_round_client(&fake);
    let first = github.publish_release(&spec(false), &assets()).await;
    assert!(first.is_err_and(|e| e.is_uncertain()));
    assert_eq!(
        fake.releases().len(),
        1,
        "the draft exists although GitHub answered 502"
    );
    let second = github.publish_release(&spec(false), &assets()).await;
    assert!(
        second.is_err_and(|e| e.is_uncertain()),
        "the first upload answered 502"
    );
    let third = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("finished");
    assert_eq!(third.kept, ["blvm-0.1.0-linux.tar.gz"]);
    let releases = fake.releases();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].assets.len(), 3);
    assert!(!releases[0].draft);
}

#[tokio::test]
async fn an_asset_with_other_bytes_is_refused_never_overwritten() {
    let fake = fake_with_repo().await;
    fake.fault("PATCH", "/releases/", FaultKind::BadGatewayBefore, 1);
    let github = one_round_client(&fake);
    assert!(
        github
            .publish_release(&spec(false), &assets())
            .await
            .is_err()
    );
    let mut changed = assets();
    changed[1] = asset("blvm-0.1.0-macos.tar.gz", b"a different build");
    let err = github
        .publish_release(&spec(false), &changed)
        .await
        .expect_err("refused");
    assert!(matches!(err, GitHubError::AssetDiffers { .. }));
    insta::assert_snapshot!(RunError::from(err).render());
    let draft = &fake.releases()[0];
    assert!(draft.draft, "nothing was published");
    assert_eq!(draft.assets[1].bytes, b"macos build");
}

#[tokio::test]
async fn without_asset_digests_the_existing_assets_are_downloaded_and_compared() {
    let fake = fake_with_repo().await;
    fake.with(|w| w.hide_asset_digests = true);
    fake.fault("PATCH", "/releases/", FaultKind::BadGatewayBefore, 1);
    let github = one_round_client(&fake);
    assert!(
        github
            .publish_release(&spec(false), &assets())
            .await
            .is_err()
    );
    let resumed = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("finished");
    assert_eq!(resumed.kept.len(), 3);
    assert_eq!(fake.count("GET", "/blob/asset/"), 3);
}

#[tokio::test]
async fn a_published_release_with_other_assets_is_refused() {
    let fake = fake_with_repo().await;
    let github = fake.client();
    github
        .publish_release(&spec(false), &assets())
        .await
        .expect("published");
    let mut more = assets();
    more.push(asset("blvm-0.1.0-windows.zip", b"windows"));
    let err = github
        .publish_release(&spec(false), &more)
        .await
        .expect_err("refused");
    assert!(matches!(err, GitHubError::AlreadyPublished { .. }), "{err}");
}

#[tokio::test]
async fn an_upload_that_broke_off_is_deleted_and_sent_again() {
    let fake = fake_with_repo().await;
    fake.fault("PATCH", "/releases/", FaultKind::BadGatewayBefore, 1);
    let github = one_round_client(&fake);
    assert!(
        github
            .publish_release(&spec(false), &assets())
            .await
            .is_err()
    );
    // GitHub keeps an interrupted upload as an asset in state `starter`.
    fake.with(|w| {
        w.releases[0].assets[0].state = "starter".into();
        w.releases[0].assets[0].bytes.truncate(3);
    });
    let resumed = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("finished");
    assert_eq!(resumed.uploaded, ["blvm-0.1.0-linux.tar.gz"]);
    assert_eq!(fake.count("DELETE", "/releases/assets/"), 1);
    let release = &fake.releases()[0];
    assert!(!release.draft);
    let linux = release
        .assets
        .iter()
        .find(|a| a.name == "blvm-0.1.0-linux.tar.gz");
    assert_eq!(linux.map(|a| a.bytes.as_slice()), Some(&b"linux build"[..]));
}

#[tokio::test]
async fn a_502_on_an_upload_is_looked_up_and_the_release_finished_in_the_same_call() {
    let fake = fake_with_repo().await;
    // The first upload is stored but its answer lost; the next one is lost before GitHub
    // stores it.
    fake.fault("POST", "/uploads/", FaultKind::BadGatewayAfter, 1);
    fake.fault("POST", "/uploads/", FaultKind::BadGatewayBefore, 1);
    let github = fake.client();
    let published = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("finished despite the 502s");
    assert_eq!(
        published.uploaded,
        ["blvm-0.1.0-macos.tar.gz", SHA256SUMS],
        "the first upload went through unseen and was found, not sent again"
    );
    assert_eq!(published.kept, ["blvm-0.1.0-linux.tar.gz"]);
    let releases = fake.releases();
    assert_eq!(releases.len(), 1);
    let names: Vec<&str> = releases[0].assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "blvm-0.1.0-linux.tar.gz",
            "blvm-0.1.0-macos.tar.gz",
            SHA256SUMS
        ]
    );
    assert!(!releases[0].draft);
    assert_eq!(fake.count("POST", "/uploads/"), 4);
    assert_eq!(
        github.pacer().waits(),
        [Duration::from_secs(1), Duration::from_secs(2)],
        "each lost answer was waited out before looking again"
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_inside_the_transaction_is_waited_out() {
    for (method, path) in [
        ("POST", "/repos/o/blvm/releases"),
        ("POST", "/uploads/"),
        ("PATCH", "/releases/"),
    ] {
        let fake = fake_with_repo().await;
        fake.fault(method, path, FaultKind::SecondaryLimit(2), 1);
        let github = fake.client();
        github
            .publish_release(&spec(true), &assets())
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(
            github.pacer().waits(),
            [Duration::from_secs(2)],
            "{method} {path}: the 2 s GitHub asked for"
        );
        let releases = fake.releases();
        assert_eq!(releases.len(), 1, "{method} {path}");
        assert_eq!(releases[0].assets.len(), 3, "{method} {path}");
        assert!(
            !releases[0].draft && releases[0].prerelease,
            "{method} {path}"
        );
        assert_eq!(
            fake.count("POST", "/uploads/"),
            3 + usize::from(path == "/uploads/")
        );
    }
}

#[tokio::test]
async fn transient_trouble_that_outlasts_every_round_stops_the_transaction_resumably() {
    let fake = fake_with_repo().await;
    fake.fault("PATCH", "/releases/", FaultKind::BadGatewayBefore, 100);
    let github = fake.client_with(|config| config.release_attempts = 3);
    let err = github
        .publish_release(&spec(false), &assets())
        .await
        .expect_err("GitHub never answered");
    assert!(err.is_uncertain(), "{err}");
    assert_eq!(fake.count("PATCH", "/releases/"), 3);
    assert_eq!(
        fake.count("POST", "/uploads/"),
        3,
        "nothing was uploaded twice"
    );
    assert!(fake.releases()[0].draft);
}

#[tokio::test]
async fn a_tag_moved_before_publishing_is_refused_and_the_draft_left_as_it_is() {
    let fake = fake_with_repo().await;
    let pinned = spec(false).commit.unwrap_or_default();
    fake.add_tag(
        "o/blvm",
        "v0.1.0-test.1",
        TagTarget::Commit("badc0de000000000000000000000000000000002".into()),
    );
    let github = fake.client();
    let err = github
        .publish_release(&spec(false), &assets())
        .await
        .expect_err("refused");
    assert!(matches!(err, GitHubError::TagMoved { .. }), "{err}");
    insta::assert_snapshot!(RunError::from(err).render());
    let draft = &fake.releases()[0];
    assert!(draft.draft, "nothing was published");
    assert_eq!(draft.assets.len(), 3);
    assert_eq!(fake.count("PATCH", "/releases/"), 0);

    // Once the tag is back at the pinned commit, the transaction finishes the same draft.
    fake.add_tag("o/blvm", "v0.1.0-test.1", TagTarget::Commit(pinned));
    let resumed = github
        .publish_release(&spec(false), &assets())
        .await
        .expect("published");
    assert_eq!(resumed.kept.len(), 3);
    assert!(!fake.releases()[0].draft);
}
