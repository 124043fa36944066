//! Each build's tag exists in its repository and, when the manifest pins a `git_commit`,
//! points at it (annotated tags dereferenced, as the dispatch itself checks): a tag not
//! pushed yet, or one that moved since the plan was approved, is found before anything is
//! dispatched.

use crate::github::tag::same_commit;
use crate::preflight::facts::{Facts, Read};
use crate::preflight::finding::{Check, Finding, Report};
use crate::preflight::repositories::default_branch;
use crate::preflight::targets::TagUse;

pub async fn check(facts: &mut Facts<'_>, tags: &[TagUse], report: &mut Report) {
    for used in tags {
        let TagUse {
            repo, tag, pinned, ..
        } = used;
        if default_branch(facts, repo).await.is_none() {
            continue;
        }
        let finding = match facts.tag(repo, tag).await {
            Read::Found(commit) => match pinned {
                Some(pinned) if !same_commit(&commit, pinned) => Finding::new(
                    Check::TagMoved,
                    format!(
                        "tag `{tag}` of `{repo}` points at {commit}, but the manifest pins {pinned}; the tag moved"
                    ),
                    "point the tag back at the pinned commit, or update git_commit in the manifest and get the plan approved again",
                ),
                _ => continue,
            },
            Read::Absent => Finding::new(
                Check::TagMissing,
                format!("`{repo}` has no tag `{tag}`"),
                format!(
                    "push the tag named by git_tag in the manifest (`git push origin {tag}` in `{repo}`)"
                ),
            ),
            Read::Failed(failure) => {
                Finding::new(Check::TagUnreadable, failure.message, failure.help)
            }
        };
        let mut finding = finding.repo(repo);
        for job in &used.jobs {
            finding = finding.job(job);
        }
        report.add(finding);
    }
}
