//! The checks on what GitHub says about the release and its files: that the tag has a
//! release, that it is published (not a draft), and that each file's bytes are GitHub's
//! own `digest` of it. A directory holds only files, so there a note says what could not
//! be checked.

use crate::release_assets::SHA256SUMS;
use crate::verify::finding::{Check, Finding};
use crate::verify::side::{AssetFacts, Location, ReleaseSide};

/// Whether the release exists and is published; for a directory, what cannot be known.
pub fn release_state(side: &ReleaseSide) -> Option<Finding> {
    match (&side.location, &side.fields) {
        (Location::GitHub { repo, tag }, None) => Some(Finding::new(
            Check::ReleaseMissing,
            format!("`{repo}` has no release of the tag `{tag}`, draft or published"),
            "check the tag, or publish the release (`relplan apply`, `relplan resume`)",
        )),
        (_, Some(fields)) if fields.draft => Some(Finding::new(
            Check::ReleaseDraft,
            format!(
                "the release of `{}` in `{}` is a draft, not published",
                fields.tag, fields.repo
            ),
            "finish the release (`relplan resume`, or publish the draft on GitHub once it holds every asset)",
        )),
        (Location::Directory(_), _) => Some(Finding::new(
            Check::FieldsUnknown,
            "a directory holds only files: whether the release is published, its tag, prerelease flag and commit are not checked",
            "verify the release on GitHub as `owner/repo@tag` to check those too",
        )),
        _ => None,
    }
}

/// Each file's bytes against GitHub's digest of it; one note for the files without one.
pub fn digests(side: &ReleaseSide) -> Vec<Finding> {
    let mut findings = Vec::new();
    let files = side.assets.iter().chain(side.sums.iter().map(|s| &s.facts));
    let mut without = 0;
    for asset in files {
        match &asset.digest {
            Some(digest) if *digest != asset.sha256 => {
                findings.push(digest_mismatch(asset, digest));
            }
            Some(_) => {}
            None => without += 1,
        }
    }
    if side.location.is_github() && without > 0 {
        let assets = if without == 1 {
            "1 asset has".to_string()
        } else {
            format!("{without} assets have")
        };
        findings.push(Finding::new(
            Check::DigestMissing,
            format!(
                "{assets} no digest from GitHub (older servers do not compute them): their bytes are checked against {SHA256SUMS} only"
            ),
            "nothing to do; github.com gives every asset a digest",
        ));
    }
    findings
}

fn digest_mismatch(asset: &AssetFacts, digest: &str) -> Finding {
    Finding::new(
        Check::DigestMismatch,
        format!(
            "`{}` downloaded hashes to sha256:{}, but GitHub's digest of it is sha256:{digest}",
            asset.name, asset.sha256
        ),
        "download it again; if it persists, the stored asset is damaged: replace it (a published immutable release cannot be changed: release again)",
    )
    .asset(&asset.name)
}
