//! With a GitHub App instead of a token: GitHub accepts the App (its id and key, `GET
//! /app`), and every repository the plan touches is covered by an installation of the App
//! that grants what relplan asks for in its tokens
//! ([`PERMISSIONS`](crate::github::installation::PERMISSIONS)). The report lists, per
//! repository, the installation and the permissions it grants against those needed; each
//! repository without an installation, or whose installation grants too little, is a
//! finding with what to change. Run before the token checks, which mint the App's first
//! token: when this finds a problem, nothing else can be read as relplan would.

use crate::github::credentials::Identity;
use crate::github::installation::PERMISSIONS;
use crate::github::{GitHub, GitHubError};
use crate::preflight::facts::Failure;
use crate::preflight::finding::{Check, Finding, Grant, Report, RepositoryAccess};
use crate::preflight::targets::Targets;
use crate::preflight::token;

/// Checks the App and its installations; false when the other checks cannot run.
pub async fn check(github: &GitHub, app: Identity, targets: &Targets, report: &mut Report) -> bool {
    match github.app().await {
        Ok(_) => {}
        Err(error @ GitHubError::Credentials { .. }) => {
            report.add(Finding::new(
                Check::AppRefused,
                format!(
                    "GitHub at `{}` refused {app}: {error}",
                    github.api_url().as_str()
                ),
                "check the App's id (the App ID on its settings page) and private key (--app-id and --app-key, or RELPLAN_APP_ID and RELPLAN_APP_PRIVATE_KEY), and this machine's clock",
            ));
            return false;
        }
        Err(error) => {
            report.add(token::unreachable(github, &error));
            return false;
        }
    }
    let mut complete = true;
    for (repo, need) in &targets.repositories {
        let owner = repo.split('/').next().unwrap_or(repo);
        let installation = match github.installation(repo).await {
            Ok(Some(installation)) => installation,
            Ok(None) => {
                complete = false;
                report.add(
                    Finding::new(
                        Check::AppNotInstalled,
                        format!("{app} is not installed on `{repo}`"),
                        format!(
                            "install the App on `{owner}` and give it access to `{repo}` (the App's page → Install App, or `{owner}`'s Settings → GitHub Apps → Configure → Repository access)"
                        ),
                    )
                    .repo(repo),
                );
                continue;
            }
            Err(error) => {
                complete = false;
                let failure = Failure::of(&error);
                report.add(
                    Finding::new(Check::RepoUnreadable, failure.message, failure.help).repo(repo),
                );
                continue;
            }
        };
        let grants: Vec<Grant> = PERMISSIONS
            .iter()
            .map(|(name, needed)| Grant {
                permission: name,
                needed: *needed,
                granted: installation.granted(name),
            })
            .collect();
        let missing = installation.missing();
        if !missing.is_empty() {
            complete = false;
            let granted: Vec<String> = missing
                .iter()
                .map(|(name, _, granted)| format!("{name}: {granted}"))
                .collect();
            let needed: Vec<String> = missing
                .iter()
                .map(|(name, needed, _)| format!("{name}: {needed}"))
                .collect();
            let does = if need.write() {
                need.writes()
            } else {
                "reads tags there"
            };
            let account = &installation.account.login;
            report.add(
                Finding::new(
                    Check::AppPermissions,
                    format!(
                        "the installation of {app} on `{account}` grants {}; relplan needs {} in `{repo}`, as it {does}",
                        granted.join(", "),
                        needed.join(", "),
                    ),
                    format!(
                        "on the App's settings page (Permissions & events → Repository permissions) set Actions and Contents to Read and write, then accept the new permissions for `{account}` (its Settings → GitHub Apps → the App → Review request)"
                    ),
                )
                .repo(repo),
            );
        }
        report.installations.push(RepositoryAccess {
            repo: repo.clone(),
            installation: installation.id.0,
            account: installation.account.login.clone(),
            grants,
        });
    }
    complete
}
