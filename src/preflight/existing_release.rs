//! The release's tag is still free in `publish_to`: a published release with that tag that
//! is immutable can never be changed, deleted or released again (an error: the tag is
//! spent); a mutable one is accepted by the release transaction only when it holds
//! exactly this release's assets (a warning); drafts are continued, the oldest first (a
//! note).

use crate::compiled::{CompiledPlan, JobKind};
use crate::preflight::facts::{Facts, Read};
use crate::preflight::finding::{Check, Finding, Report};
use crate::preflight::repositories::default_branch;

pub async fn check(facts: &mut Facts<'_>, plan: &CompiledPlan, report: &mut Report) {
    let Some(repo) = &plan.release.repo else {
        return;
    };
    let tag = &plan.release.tag;
    let job = plan
        .jobs
        .iter()
        .find(|j| j.kind == JobKind::Release)
        .map_or("release", |j| j.id.as_str());
    if default_branch(facts, repo).await.is_none() {
        return;
    }
    let releases = match facts.releases(repo, tag).await {
        Read::Found(releases) => releases,
        Read::Absent => return,
        Read::Failed(failure) => {
            report.add(
                Finding::new(Check::ReleasesUnreadable, failure.message, failure.help)
                    .repo(repo)
                    .job(job),
            );
            return;
        }
    };
    let drafts: Vec<&str> = releases
        .iter()
        .filter(|r| r.draft)
        .map(|r| r.html_url.as_str())
        .collect();
    for published in releases.iter().filter(|r| !r.draft) {
        let url = &published.html_url;
        let finding = if published.immutable {
            Finding::new(
                Check::ReleaseImmutable,
                format!(
                    "`{repo}` already has an immutable published release `{tag}` ({url}): that tag can never be released again"
                ),
                "release under a new version: change `version` (or `tag`) in the plan",
            )
        } else {
            Finding::new(
                Check::ReleasePublished,
                format!(
                    "`{repo}` already has a published release `{tag}` ({url}); relplan accepts it only if it holds exactly this release's assets"
                ),
                "delete it if it must be redone, or release under a new version",
            )
        };
        report.add(finding.repo(repo).job(job));
    }
    let published = releases.iter().any(|r| !r.draft);
    if let Some(oldest) = drafts.first().filter(|_| !published) {
        let (drafts, which) = match drafts.len() {
            1 => ("a draft release".to_string(), "it"),
            n => (format!("{n} draft releases"), "the oldest"),
        };
        report.add(
            Finding::new(
                Check::ReleaseDraft,
                format!("`{repo}` has {drafts} of `{tag}`; relplan continues {which} ({oldest})"),
                "delete drafts whose assets must not be published",
            )
            .repo(repo)
            .job(job),
        );
    }
}
