//! With `--plan`: the release is the one the plan publishes. Its repository, tag,
//! prerelease flag and (when the manifest pins it) commit are the plan's, and its assets
//! are what the plan's `publish` globs call for.
//!
//! What the globs call for, read without the builds: on GitHub a glob selects a file by
//! its own name or by the name of the artifact that carried it, and a release does not
//! record artifacts. So the check is by asset name:
//! - every publishing job (one with `publish` globs) has at least one asset whose name
//!   one of its globs matches ([`Check::JobWithoutAsset`] otherwise);
//! - every asset but `SHA256SUMS` is matched by some publishing job's glob
//!   ([`Check::AssetUnplanned`] otherwise).
//!
//! A plan that selects files only through their artifacts' names (`publish =
//! ["bench-*"]` for an artifact `bench-linux` holding `bench.tar.gz`) gets findings for
//! those files; globs that match the files' own names (`"*"`, `"bench-*.tar.gz"`) avoid
//! that (docs/verify.md).

use crate::compiled::CompiledPlan;
use crate::github::tag::same_commit;
use crate::glob;
use crate::verify::finding::{Check, Finding};
use crate::verify::side::ReleaseSide;

/// What `side` lacks or has beyond what `plan` publishes.
pub fn check(side: &ReleaseSide, plan: &CompiledPlan) -> Vec<Finding> {
    let release = &plan.release;
    let Some(plan_repo) = &release.repo else {
        return vec![Finding::new(
            Check::PlanPublishesNothing,
            format!(
                "the plan `{}` publishes no release (its `publish_to` is not set)",
                release.name
            ),
            "pass the plan that published this release, or leave out --plan",
        )];
    };
    let mut findings = Vec::new();
    if let Some(fields) = &side.fields {
        if !fields.repo.eq_ignore_ascii_case(plan_repo) {
            findings.push(Finding::new(
                Check::WrongRepository,
                format!(
                    "the release is in `{}`, but the plan publishes into `{plan_repo}`",
                    fields.repo
                ),
                "verify the plan's release repository, or pass the plan of this one",
            ));
        }
        if fields.tag != release.tag {
            findings.push(Finding::new(
                Check::WrongTag,
                format!(
                    "the release's tag is `{}`, but the plan's is `{}`",
                    fields.tag, release.tag
                ),
                format!(
                    "verify `{plan_repo}@{}`, or pass the plan of this release",
                    release.tag
                ),
            ));
        }
        if fields.prerelease != release.prerelease {
            let (is, plan_is) = match release.prerelease {
                true => ("is not a prerelease", "is"),
                false => ("is a prerelease", "is not"),
            };
            findings.push(Finding::new(
                Check::WrongPrerelease,
                format!("the release {is}, but the plan's {plan_is}"),
                "set the release's prerelease flag on GitHub as the plan has it",
            ));
        }
        if let Some(pinned) = release.commit.as_deref().filter(|c| !c.is_empty()) {
            let message = match &fields.commit {
                Some(commit) if same_commit(commit, pinned) => None,
                Some(commit) => Some(format!(
                    "the release's tag `{}` is at `{commit}`, but the plan pins {pinned}",
                    fields.tag
                )),
                None => Some(format!(
                    "the commit of the release's tag `{}` cannot be read, but the plan pins {pinned}",
                    fields.tag
                )),
            };
            if let Some(message) = message {
                findings.push(Finding::new(
                    Check::WrongCommit,
                    message,
                    "the tag moved after the plan was approved: point it back at the pinned commit, or release again",
                ));
            }
        }
    }
    let publishing: Vec<_> = plan.jobs.iter().filter(|j| !j.publish.is_empty()).collect();
    for job in &publishing {
        if !side
            .assets
            .iter()
            .any(|a| glob::matches_any(&job.publish, &a.name))
        {
            let globs: Vec<String> = job.publish.iter().map(|g| format!("`{g}`")).collect();
            findings.push(Finding::new(
                Check::JobWithoutAsset,
                format!(
                    "job `{}` publishes {}, but no asset's name matches",
                    job.id,
                    globs.join(", ")
                ),
                "check that the job's build uploaded its files; a file selected by its artifact's name, not its own, is not matched here (docs/verify.md)",
            ));
        }
    }
    for asset in &side.assets {
        if !publishing
            .iter()
            .any(|j| glob::matches_any(&j.publish, &asset.name))
        {
            findings.push(
                Finding::new(
                    Check::AssetUnplanned,
                    format!(
                        "`{}` is matched by no publishing job's `publish` globs",
                        asset.name
                    ),
                    "remove it from the release, or add a glob matching it to the job that builds it; a file selected by its artifact's name, not its own, is not matched here (docs/verify.md)",
                )
                .asset(&asset.name),
            );
        }
    }
    findings
}
