//! Downloads streamed to a file (`GitHub::download_to`) against the fake GitHub: through the
//! redirect to storage without the token, hashed on the way, a file there before replaced,
//! trouble retried, a body past the limit refused, a generated asset of several mebibytes
//! written exactly.

use relplan::digest::sha256_hex;
use relplan::github::GitHubError;

use crate::fake_github::FakeGitHub;
use crate::fake_github::FaultKind;

const COMMIT: &str = "c0ffee0000000000000000000000000000000001";

/// A release holding `a.tar.gz` (`bytes`); the asset's API download path.
fn one_asset(fake: &FakeGitHub, bytes: &[u8]) -> (u64, String) {
    let release = fake.publish_release("o/r", "v1", COMMIT, &[("a.tar.gz", bytes)]);
    let id = fake.with(|w| {
        w.releases[0]
            .assets
            .iter()
            .find(|a| a.name == "a.tar.gz")
            .map(|a| a.id)
            .expect("the asset")
    });
    (release, format!("/repos/o/r/releases/assets/{id}"))
}

#[tokio::test]
async fn an_asset_streams_into_a_file_through_storage_without_the_token() {
    let fake = FakeGitHub::start().await;
    let (_, path) = one_asset(&fake, b"the built bytes");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("download");
    fs_err::write(&file, "an older, longer file that must not survive").expect("written");
    let downloaded = fake
        .client()
        .download_to("downloading a.tar.gz", &path, &file, 1 << 20)
        .await
        .expect("downloaded");
    assert_eq!(downloaded.sha256, sha256_hex(b"the built bytes"));
    assert_eq!(downloaded.bytes, 15);
    assert_eq!(fs_err::read(&file).expect("read"), b"the built bytes");
    let log = fake.log();
    let api = log
        .iter()
        .find(|l| l.path == path)
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
    let (_, path) = one_asset(&fake, b"once");
    fake.fault("GET", "/blob/asset/", FaultKind::BadGatewayBefore, 2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("download");
    let downloaded = fake
        .client()
        .download_to("downloading a.tar.gz", &path, &file, 1 << 20)
        .await
        .expect("downloaded after two 502s");
    assert_eq!(downloaded.sha256, sha256_hex(b"once"));
    assert_eq!(fs_err::read(&file).expect("read"), b"once");
    assert_eq!(fake.count("GET", "/blob/asset/"), 3);
}

#[tokio::test]
async fn a_body_past_the_limit_is_refused_and_not_retried() {
    let fake = FakeGitHub::start().await;
    let (_, path) = one_asset(&fake, &[7; 1000]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let error = fake
        .client()
        .download_to("downloading a.tar.gz", &path, &dir.path().join("d"), 999)
        .await
        .expect_err("too large");
    assert!(
        matches!(error, GitHubError::TooLarge { limit: 999, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "downloading a.tar.gz: the download is larger than 999 bytes"
    );
    assert_eq!(fake.count("GET", "/blob/asset/"), 1);
}

#[tokio::test]
async fn a_file_that_cannot_be_written_is_an_error_naming_it() {
    let fake = FakeGitHub::start().await;
    let (_, path) = one_asset(&fake, b"x");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("missing-directory").join("d");
    let error = fake
        .client()
        .download_to("downloading a.tar.gz", &path, &file, 10)
        .await
        .expect_err("no such directory");
    assert!(matches!(error, GitHubError::LocalWrite { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "downloading a.tar.gz: cannot write `{}`: ",
            file.display()
        )),
        "{error}"
    );
}

#[tokio::test]
async fn a_generated_asset_of_several_mebibytes_is_written_exactly() {
    let fake = FakeGitHub::start().await;
    let (release, _) = one_asset(&fake, b"x");
    let size = (3 << 20) + 12_345;
    let sha256 = fake.add_generated_asset(release, "big.bin", size);
    let id = fake.with(|w| {
        w.releases[0]
            .assets
            .iter()
            .find(|a| a.name == "big.bin")
            .map(|a| a.id)
            .expect("the asset")
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("big.bin");
    let downloaded = fake
        .client_with(|c| c.transfer_timeout = std::time::Duration::from_secs(60))
        .download_to(
            "downloading big.bin",
            &format!("/repos/o/r/releases/assets/{id}"),
            &file,
            u64::MAX,
        )
        .await
        .expect("downloaded");
    assert_eq!(
        (downloaded.sha256.as_str(), downloaded.bytes),
        (sha256.as_str(), size)
    );
    let written = fs_err::read(&file).expect("read");
    assert_eq!(written.len() as u64, size);
    assert_eq!(sha256_hex(&written), sha256);
}
