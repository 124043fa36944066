//! A release on GitHub: found among the tag's releases (drafts included, the published one
//! first), its fields, the commit its tag points at, and every asset downloaded one after
//! the other into a scratch directory through [`GitHub::download_release_asset`] (streamed
//! to disk and hashed on the way, so an asset of any size costs a fixed amount of memory),
//! then deleted again. GitHub's `digest` of each asset is kept to compare with its bytes.

use std::path::Path;

use crate::github::GitHub;
use crate::github::transfer::Destination;
use crate::release_assets::SHA256SUMS;
use crate::run_error::RunError;
use crate::verify::directory::sums_file;
use crate::verify::finding::{Check, Finding};
use crate::verify::side::{AssetFacts, Location, ReleaseFields, ReleaseSide};

/// The release of `tag` in `repo`, named `label` in messages; downloads go into `scratch`.
pub async fn read(
    github: &GitHub,
    label: &str,
    repo: &str,
    tag: &str,
    scratch: &Path,
) -> Result<ReleaseSide, RunError> {
    let mut side = ReleaseSide {
        label: label.to_string(),
        location: Location::GitHub {
            repo: repo.to_string(),
            tag: tag.to_string(),
        },
        fields: None,
        found: false,
        assets: Vec::new(),
        sums: None,
        problems: Vec::new(),
    };
    let releases = github.releases_of_tag(repo, tag).await?.ok_or_else(|| {
        RunError::new(format!(
            "`{repo}` does not exist or the token cannot see it"
        ))
        .with_help("check the repository in `owner/repo@tag` and that the token may read it")
    })?;
    let Some(release) = releases
        .iter()
        .find(|r| !r.draft)
        .or_else(|| releases.first())
    else {
        return Ok(side);
    };
    let commit = match github.tag_commit(repo, tag).await? {
        Some(commit) => Some(commit),
        None => release.target_commitish.clone(),
    };
    side.found = true;
    side.fields = Some(ReleaseFields {
        repo: repo.to_string(),
        tag: release.tag_name.clone(),
        draft: release.draft,
        prerelease: release.prerelease,
        commit,
        html_url: release.html_url.clone(),
    });
    let mut assets = github.assets_of_release(repo, release.id).await?;
    assets.sort_by(|a, b| a.name.cmp(&b.name));
    for (index, asset) in assets.iter().enumerate() {
        if !asset.is_uploaded() {
            side.problems.push(
                Finding::new(
                    Check::UploadIncomplete,
                    format!(
                        "`{}` is an upload that did not finish (state `{}`)",
                        asset.name, asset.state
                    ),
                    "delete the broken upload and upload the asset again (a draft relplan made: `relplan resume`)",
                )
                .asset(&asset.name),
            );
            continue;
        }
        let path = scratch.join(format!("asset-{index}"));
        let saved = github
            .download_release_asset(repo, asset, Destination::File(&path))
            .await?;
        let facts = AssetFacts {
            name: asset.name.clone(),
            bytes: saved.size,
            sha256: saved.sha256,
            digest: asset.sha256(),
        };
        if asset.name == SHA256SUMS {
            let sums = sums_file(&path, facts).map_err(|e| {
                RunError::new(format!("cannot read the downloaded {SHA256SUMS}: {e}"))
                    .with_help("check the temporary directory (set TMPDIR to use another)")
            })?;
            side.sums = Some(sums);
        } else {
            side.assets.push(facts);
        }
        // The scratch directory goes as a whole at the end; this keeps its size to one asset.
        let _ = std::fs::remove_file(&path);
    }
    Ok(side)
}
