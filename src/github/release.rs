//! The unified release as a transaction that can stop anywhere and be run again:
//!
//! 1. Find the release of the tag among the repository's releases (drafts have no tag yet,
//!    so `GET /releases/tags/{tag}` cannot find them); create a draft when there is none,
//!    targeting the pinned commit when the plan knows it.
//! 2. List the draft's assets. An asset of the same name and digest is kept; the same name
//!    with another digest is [`GitHubError::AssetDiffers`], never overwritten; an upload
//!    that broke off (state other than `uploaded`) is deleted and sent again.
//! 3. Upload each missing asset, then `SHA256SUMS`.
//! 4. Check the tag again: when the plan pins the release commit and the tag now exists at
//!    another commit (it moved since the builds were dispatched), publishing would attach
//!    the release to the moved tag, so the draft is left as it is and
//!    [`GitHubError::TagMoved`] names the tag, the pinned and the actual commit.
//! 5. Publish: `draft: false` with the plan's prerelease flag.
//!
//! Every step is found again by tag and by asset name, so running the whole transaction
//! again after any failure finishes the same release without duplicating anything. That is
//! what happens to transient answers inside it: a mutation whose answer was lost
//! ([`GitHubError::Uncertain`]: a 5xx, a timeout, a dropped connection) or that a rate
//! limit refused ([`GitHubError::Rejected`], after its `retry-after`) is waited out and the
//! transaction runs again from its lookups, up to `release_attempts` times
//! ([`GitHubConfig`](crate::github::GitHubConfig)). Only what asking again cannot fix, or
//! trouble that outlasts those attempts, ends it with an error. A release that is already
//! published is accepted when it holds exactly these assets, and refused otherwise
//! (published assets are immutable on GitHub).

use http::Method;
use serde_json::json;

use crate::github::assets_of_release::ReleaseAsset;
use crate::github::client::{GitHub, RequestBody, backoff};
use crate::github::error::GitHubError;
use crate::github::releases_of_tag::ReleaseInfo;
use crate::github::split_repo;
use crate::github::tag::same_commit;
use crate::github::transfer::Destination;
use crate::release_assets::{Asset, Content, sha256sums};

/// What to publish.
#[derive(Clone, Debug)]
pub struct ReleaseSpec {
    /// `owner/name`.
    pub repo: String,
    pub tag: String,
    pub name: String,
    pub prerelease: bool,
    /// The commit the tag should be created at, when it does not exist yet.
    pub commit: Option<String>,
}

/// What the transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub release_id: u64,
    pub html_url: String,
    /// Asset names uploaded by this call, in order.
    pub uploaded: Vec<String>,
    /// Asset names that were already there with the same bytes.
    pub kept: Vec<String>,
}

impl GitHub {
    /// Runs (or finishes) the release transaction for `assets` plus SHA256SUMS, running it
    /// again after transient answers (see the module documentation).
    pub async fn publish_release(
        &self,
        spec: &ReleaseSpec,
        assets: &[Asset],
    ) -> Result<Published, GitHubError> {
        let attempts = self.config().release_attempts.max(1);
        // Uploads of earlier rounds, which a later round finds and keeps.
        let mut uploaded = Vec::new();
        let mut round = 1;
        loop {
            match self.release_round(spec, assets, &mut uploaded).await {
                Err(e) if round < attempts && (e.is_uncertain() || e.is_rejected()) => {
                    let wait = match &e {
                        GitHubError::Rejected { retry_after, .. } => *retry_after,
                        _ => backoff(round),
                    };
                    self.pacer().wait(wait).await;
                    round += 1;
                }
                Err(e) => return Err(e),
                Ok(mut published) => {
                    published.kept.retain(|name| !uploaded.contains(name));
                    published.uploaded = uploaded;
                    return Ok(published);
                }
            }
        }
    }

    /// One run of the whole transaction; the names it uploads are added to `uploaded`.
    async fn release_round(
        &self,
        spec: &ReleaseSpec,
        assets: &[Asset],
        uploaded: &mut Vec<String>,
    ) -> Result<Published, GitHubError> {
        let (owner, name) = split_repo(&spec.repo)?;
        let base = format!("/repos/{owner}/{name}/releases");
        let mut all: Vec<Asset> = assets.to_vec();
        all.push(sha256sums(assets));

        let release = match self.find_release(spec).await? {
            Some(release) => release,
            None => {
                let mut body = json!({
                    "tag_name": spec.tag,
                    "name": spec.name,
                    "draft": true,
                    "prerelease": spec.prerelease,
                });
                if let Some(commit) = &spec.commit {
                    body["target_commitish"] = json!(commit);
                }
                let action = format!(
                    "creating the draft release `{}` in `{}`",
                    spec.tag, spec.repo
                );
                self.send_json(Method::POST, &action, &base, &body)
                    .await?
                    .json::<ReleaseInfo>(&action)?
            }
        };

        let existing = self.assets_of_release(&spec.repo, release.id).await?;
        let mut published = Published {
            release_id: release.id,
            html_url: release.html_url.clone(),
            uploaded: Vec::new(),
            kept: Vec::new(),
        };
        for asset in &all {
            let found = existing.iter().find(|e| e.name == asset.name);
            if let Some(found) = found {
                if found.is_uploaded() {
                    let digest = self.asset_digest(spec, found).await?;
                    if digest != asset.sha256 {
                        return Err(GitHubError::AssetDiffers {
                            tag: spec.tag.clone(),
                            name: asset.name.clone(),
                            existing: digest,
                            wanted: asset.sha256.clone(),
                        });
                    }
                    published.kept.push(asset.name.clone());
                    continue;
                }
                if !release.draft {
                    return Err(self.published_mismatch(spec, "has a broken upload"));
                }
                self.send(
                    Method::DELETE,
                    &format!("deleting the broken upload `{}`", asset.name),
                    &format!("{base}/assets/{}", found.id),
                    "application/json",
                    RequestBody::Bytes(Vec::new()),
                )
                .await?;
            }
            if !release.draft {
                return Err(
                    self.published_mismatch(spec, &format!("lacks the asset `{}`", asset.name))
                );
            }
            self.upload_asset(spec, &release, asset).await?;
            uploaded.push(asset.name.clone());
        }
        if release.draft {
            self.check_tag_unmoved(spec).await?;
            let action = format!("publishing the release `{}` of `{}`", spec.tag, spec.repo);
            // A draft's page is under a made-up tag: the published one is under the tag.
            published.html_url = self
                .send_json(
                    Method::PATCH,
                    &action,
                    &format!("{base}/{}", release.id),
                    &json!({ "draft": false, "prerelease": spec.prerelease }),
                )
                .await?
                .json::<ReleaseInfo>(&action)?
                .html_url;
        }
        Ok(published)
    }

    /// Refuses to publish when the plan pins the release commit and the tag exists at
    /// another commit. A tag that does not exist yet is created at the pinned commit (the
    /// draft's `target_commitish`) by publishing.
    async fn check_tag_unmoved(&self, spec: &ReleaseSpec) -> Result<(), GitHubError> {
        let Some(pinned) = spec.commit.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        match self.tag_commit(&spec.repo, &spec.tag).await? {
            Some(actual) if !same_commit(&actual, pinned) => Err(GitHubError::TagMoved {
                repo: spec.repo.clone(),
                tag: spec.tag.clone(),
                pinned: pinned.to_string(),
                actual,
            }),
            _ => Ok(()),
        }
    }

    /// The release of the tag, draft or not (the lowest id if there are several).
    async fn find_release(&self, spec: &ReleaseSpec) -> Result<Option<ReleaseInfo>, GitHubError> {
        let releases = self
            .releases_of_tag(&spec.repo, &spec.tag)
            .await?
            .ok_or_else(|| GitHubError::Input {
                message: format!("`{}` does not exist or the token cannot see it", spec.repo),
                help: "check `publish_to` in the plan and the token's access".into(),
            })?;
        Ok(releases.into_iter().next())
    }

    /// The asset's sha256: its `digest` when GitHub gives one, otherwise by downloading it
    /// (hashed as it streams, kept nowhere).
    async fn asset_digest(
        &self,
        spec: &ReleaseSpec,
        asset: &ReleaseAsset,
    ) -> Result<String, GitHubError> {
        if let Some(digest) = asset.sha256() {
            return Ok(digest);
        }
        let saved = self
            .download_release_asset(&spec.repo, asset, Destination::Nowhere)
            .await?;
        Ok(saved.sha256)
    }

    async fn upload_asset(
        &self,
        spec: &ReleaseSpec,
        release: &ReleaseInfo,
        asset: &Asset,
    ) -> Result<(), GitHubError> {
        let upload = release
            .upload_url
            .split('{')
            .next()
            .unwrap_or(&release.upload_url);
        self.send(
            Method::POST,
            &format!("uploading `{}` to release `{}`", asset.name, spec.tag),
            &format!("{upload}?name={}", asset.name),
            "application/octet-stream",
            match &asset.content {
                Content::Bytes(bytes) => RequestBody::Bytes(bytes.clone()),
                Content::File(path) => RequestBody::File {
                    path,
                    size: asset.size,
                },
            },
        )
        .await
        .map(|_| ())
    }

    fn published_mismatch(&self, spec: &ReleaseSpec, problem: &str) -> GitHubError {
        GitHubError::AlreadyPublished {
            repo: spec.repo.clone(),
            tag: spec.tag.clone(),
            problem: problem.to_string(),
        }
    }
}
