//! The unified release as a transaction that can stop anywhere and be run again:
//!
//! 1. Find the release of the tag among the repository's releases (drafts have no tag yet,
//!    so `GET /releases/tags/{tag}` cannot find them); create a draft when there is none,
//!    targeting the pinned commit when the plan knows it.
//! 2. List the draft's assets. An asset of the same name and digest is kept; the same name
//!    with another digest is [`GitHubError::AssetDiffers`], never overwritten; an upload
//!    that broke off (state other than `uploaded`) is deleted and sent again.
//! 3. Upload each missing asset, then `SHA256SUMS`.
//! 4. Publish: `draft: false` with the plan's prerelease flag.
//!
//! Every step is found again by tag and by asset name, so running the whole function again
//! after any failure (including an [`GitHubError::Uncertain`] answer) finishes the same
//! release without duplicating anything. A release that is already published is accepted
//! when it holds exactly these assets, and refused otherwise (published assets are
//! immutable on GitHub).

use http::Method;
use serde::Deserialize;
use serde_json::json;

use crate::digest::sha256_hex;
use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;
use crate::release_assets::{Asset, sha256sums};

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 50;

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

#[derive(Clone, Debug, Deserialize)]
struct GhRelease {
    id: u64,
    tag_name: String,
    draft: bool,
    #[serde(default)]
    html_url: String,
    upload_url: String,
}

#[derive(Clone, Debug, Deserialize)]
struct GhAsset {
    id: u64,
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    digest: Option<String>,
}

impl GitHub {
    /// Runs (or finishes) the release transaction for `assets` plus SHA256SUMS.
    pub async fn publish_release(
        &self,
        spec: &ReleaseSpec,
        assets: &[Asset],
    ) -> Result<Published, GitHubError> {
        let (owner, name) = split_repo(&spec.repo)?;
        let base = format!("/repos/{owner}/{name}/releases");
        let mut all: Vec<Asset> = assets.to_vec();
        all.push(sha256sums(assets));

        let release = match self.find_release(spec, &base).await? {
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
                    .json::<GhRelease>(&action)?
            }
        };

        let existing = self.release_assets(spec, &base, release.id).await?;
        let mut published = Published {
            release_id: release.id,
            html_url: release.html_url.clone(),
            uploaded: Vec::new(),
            kept: Vec::new(),
        };
        for asset in &all {
            let found = existing.iter().find(|e| e.name == asset.name);
            if let Some(found) = found {
                if found.state.is_empty() || found.state == "uploaded" {
                    let digest = self.asset_digest(spec, &base, found).await?;
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
                    Vec::new(),
                )
                .await?;
            }
            if !release.draft {
                return Err(
                    self.published_mismatch(spec, &format!("lacks the asset `{}`", asset.name))
                );
            }
            self.upload_asset(spec, &release, asset).await?;
            published.uploaded.push(asset.name.clone());
        }
        if release.draft {
            let action = format!("publishing the release `{}` of `{}`", spec.tag, spec.repo);
            self.send_json(
                Method::PATCH,
                &action,
                &format!("{base}/{}", release.id),
                &json!({ "draft": false, "prerelease": spec.prerelease }),
            )
            .await?;
        }
        Ok(published)
    }

    /// Whether the release of `tag` in `repo` exists and is published (`Some(false)`: a
    /// draft; `None`: none, or the repository cannot be seen).
    pub async fn release_published(
        &self,
        repo: &str,
        tag: &str,
    ) -> Result<Option<bool>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let spec = ReleaseSpec {
            repo: repo.to_string(),
            tag: tag.to_string(),
            name: String::new(),
            prerelease: false,
            commit: None,
        };
        match self
            .find_release(&spec, &format!("/repos/{owner}/{name}/releases"))
            .await
        {
            Ok(found) => Ok(found.map(|release| !release.draft)),
            Err(GitHubError::Input { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The release of the tag, draft or not (the lowest id if there are several).
    async fn find_release(
        &self,
        spec: &ReleaseSpec,
        base: &str,
    ) -> Result<Option<GhRelease>, GitHubError> {
        let action = format!("looking for the release `{}` in `{}`", spec.tag, spec.repo);
        let mut found: Option<GhRelease> = None;
        for page in 1..=MAX_PAGES {
            let reply = self
                .get(&action, &format!("{base}?per_page={PAGE_SIZE}&page={page}"))
                .await?
                .ok_or_else(|| GitHubError::Input {
                    message: format!("`{}` does not exist or the token cannot see it", spec.repo),
                    help: "check `publish_to` in the plan and the token's access".into(),
                })?;
            let releases: Vec<GhRelease> = reply.json(&action)?;
            let full = releases.len() == PAGE_SIZE;
            for release in releases.into_iter().filter(|r| r.tag_name == spec.tag) {
                if found.as_ref().is_none_or(|f| release.id < f.id) {
                    found = Some(release);
                }
            }
            if !full {
                break;
            }
        }
        Ok(found)
    }

    async fn release_assets(
        &self,
        spec: &ReleaseSpec,
        base: &str,
        release_id: u64,
    ) -> Result<Vec<GhAsset>, GitHubError> {
        let action = format!("listing the assets of release `{}`", spec.tag);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let reply = self
                .get(
                    &action,
                    &format!("{base}/{release_id}/assets?per_page={PAGE_SIZE}&page={page}"),
                )
                .await?
                .ok_or_else(|| GitHubError::Protocol {
                    action: action.clone(),
                    detail: format!("release {release_id} disappeared"),
                })?;
            let assets: Vec<GhAsset> = reply.json(&action)?;
            let full = assets.len() == PAGE_SIZE;
            all.extend(assets);
            if !full {
                break;
            }
        }
        Ok(all)
    }

    /// The asset's sha256: its `digest` when GitHub gives one, otherwise by downloading it.
    async fn asset_digest(
        &self,
        spec: &ReleaseSpec,
        base: &str,
        asset: &GhAsset,
    ) -> Result<String, GitHubError> {
        if let Some(digest) = asset
            .digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
        {
            return Ok(digest.to_ascii_lowercase());
        }
        let action = format!(
            "downloading asset `{}` of release `{}`",
            asset.name, spec.tag
        );
        let bytes = self
            .download_following(&action, &format!("{base}/assets/{}", asset.id))
            .await?;
        Ok(sha256_hex(&bytes))
    }

    async fn upload_asset(
        &self,
        spec: &ReleaseSpec,
        release: &GhRelease,
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
            asset.bytes.clone(),
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
