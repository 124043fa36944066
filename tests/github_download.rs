//! A release asset downloaded (`GitHub::download_release_asset`) against the fake GitHub:
//! through the redirect to storage without the token, streamed into a file that replaces
//! what was there and hashed on the way, trouble retried, a body past the limit refused
//! without asking again, a generated asset of several mebibytes written exactly.

use relplan::digest::sha256_hex;
use relplan::github::GitHub;
use relplan::github::assets_of_release::ReleaseAsset;
use relplan::github::transfer::Destination;

use crate::fake_github::{FakeGitHub, FaultKind};

const COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// A release of `o/r` holding `a.tar.gz` (`bytes`): its id.
fn one_asset(fake: &FakeGitHub, bytes: &[u8]) -> u64 {
    fake.publish_release("o/r", "v1", COMMIT, &[("a.tar.gz", bytes)])
}

/// Asset `name` of release `release`, as GitHub lists it.
async fn listed(github: &GitHub, release: u64, name: &str) -> ReleaseAsset {
    github
        .assets_of_release("o/r", release)
        .await
        .expect("listed")
        .into_iter()
        .find(|a| a.name == name)
        .expect("the asset is listed")
}

#[tokio::test]
async fn an_asset_streams_into_a_file_through_storage_without_the_token() {
    let fake = FakeGitHub::start().await;
    let release = one_asset(&fake, b"the built bytes");
    let github = fake.client();
    let asset = listed(&github, release, "a.tar.gz").await;
    assert_eq!(asset.sha256(), Some(sha256_hex(b"the built bytes")));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("download");
    fs_err::write(&file, "an older, longer file that must not survive").expect("written");
    let saved = github
        .download_release_asset("o/r", &asset, Destination::File(&file))
        .await
        .expect("downloaded");
    assert_eq!(saved.sha256, sha256_hex(b"the built bytes"));
    assert_eq!(saved.size, 15);
    assert_eq!(fs_err::read(&file).expect("read"), b"the built bytes");
    let log = fake.log();
    let api = log
        .iter()
        .find(|l| l.path == format!("/repos/o/r/releases/assets/{}", asset.id))
        .expect("the API was asked");
    assert!(api.authorized && api.status == 302);
    let storage = log
        .iter()
        .find(|l| l.path.starts_with("/blob/asset/"))
        .expect("storage was asked");
    assert!(!storage.authorized, "the token went to storage");
}

#[tokio::test]
async fn trouble_is_retried_and_the_file_holds_the_bytes_once() {
    let fake = FakeGitHub::start().await;
    let release = one_asset(&fake, b"once");
    let github = fake.client();
    let asset = listed(&github, release, "a.tar.gz").await;
    fake.fault("GET", "/blob/asset/", FaultKind::BadGatewayBefore, 2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("download");
    let saved = github
        .download_release_asset("o/r", &asset, Destination::File(&file))
        .await
        .expect("downloaded after two 502s");
    assert_eq!(saved.sha256, sha256_hex(b"once"));
    assert_eq!(fs_err::read(&file).expect("read"), b"once");
    assert_eq!(fake.count("GET", "/blob/asset/"), 3);
}

#[tokio::test]
async fn a_body_past_the_limit_is_refused_without_asking_again() {
    let fake = FakeGitHub::start().await;
    let release = one_asset(&fake, &[7; 1000]);
    let github = fake.client_with(|c| c.max_download_bytes = 999);
    let asset = listed(&github, release, "a.tar.gz").await;
    let error = github
        .download_release_asset("o/r", &asset, Destination::Nowhere)
        .await
        .expect_err("too large");
    assert_eq!(
        error.to_string(),
        "downloading asset `a.tar.gz` of `o/r`: unexpected answer from GitHub: the answer is larger than the 999 bytes allowed"
    );
    assert_eq!(fake.count("GET", "/blob/asset/"), 1);
}

#[tokio::test]
async fn a_generated_asset_of_several_mebibytes_is_written_exactly() {
    let fake = FakeGitHub::start().await;
    let release = one_asset(&fake, b"x");
    let size = (3 << 20) + 12_345;
    let sha256 = fake.add_generated_asset(release, "big.bin", size);
    let github = fake.client_with(|c| c.transfer_timeout = std::time::Duration::from_secs(60));
    let asset = listed(&github, release, "big.bin").await;
    assert_eq!(asset.sha256().as_deref(), Some(sha256.as_str()));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("big.bin");
    let saved = github
        .download_release_asset("o/r", &asset, Destination::File(&file))
        .await
        .expect("downloaded");
    assert_eq!((saved.sha256.as_str(), saved.size), (sha256.as_str(), size));
    let written = fs_err::read(&file).expect("read");
    assert_eq!(written.len() as u64, size);
    assert_eq!(sha256_hex(&written), sha256);
}
