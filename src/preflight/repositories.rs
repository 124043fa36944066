//! Each repository the plan touches exists and is reachable with this token (GitHub
//! answers 404 both for a missing repository and for one the token may not see); those
//! relplan writes to (dispatches, the release) are not archived and the token may push
//! there, by the repository's `permissions`.

use crate::preflight::facts::{Facts, Read};
use crate::preflight::finding::{Check, Finding, Report};
use crate::preflight::targets::Targets;

pub async fn check(facts: &mut Facts<'_>, targets: &Targets, report: &mut Report) {
    for (repo, need) in &targets.repositories {
        let found = match facts.repository(repo).await {
            Read::Found(found) => found,
            Read::Absent => {
                report.add(
                    Finding::new(
                        Check::RepoNotFound,
                        format!("`{repo}` does not exist, or the token cannot see it"),
                        "check the plan's `owner` and `github` keys, and that the token has access to the repository (GitHub answers 404 to both)",
                    )
                    .repo(repo),
                );
                continue;
            }
            Read::Failed(failure) => {
                report.add(
                    Finding::new(Check::RepoUnreadable, failure.message, failure.help).repo(repo),
                );
                continue;
            }
        };
        if !need.write() {
            continue;
        }
        if found.archived {
            report.add(
                Finding::new(
                    Check::RepoArchived,
                    format!("`{repo}` is archived, and relplan {}", need.writes()),
                    "unarchive the repository in its settings, or take it out of the plan",
                )
                .repo(repo),
            );
        }
        match found.permissions {
            Some(permissions) if !permissions.push => report.add(
                Finding::new(
                    Check::RepoNotWritable,
                    format!(
                        "the token may read `{repo}` but not write to it, and relplan {}",
                        need.writes()
                    ),
                    "give the token write access: a fine-grained token needs Contents and Actions read and write on build repositories, Contents read and write on the release repository",
                )
                .repo(repo),
            ),
            Some(_) => {}
            None => report.add(
                Finding::new(
                    Check::PermissionsUnknown,
                    format!("GitHub did not say what the token may do in `{repo}`"),
                    "make sure the token (or GitHub App) has Contents and Actions read and write there",
                )
                .repo(repo),
            ),
        }
    }
}

/// The default branch of a repository that was found; `None` when it was not (that is
/// reported once, by [`check`], and checks of its contents are skipped).
pub async fn default_branch(facts: &mut Facts<'_>, repo: &str) -> Option<String> {
    match facts.repository(repo).await {
        Read::Found(found) => Some(found.default_branch),
        _ => None,
    }
}
