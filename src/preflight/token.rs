//! The token and the server: the token is present (checked by the caller, which has the
//! environment) and accepted (`/rate_limit` answers 401 otherwise), its budget covers
//! what the plan will spend, and which GitHub it is (github.com names the run a
//! `workflow_dispatch` started; for a GitHub Enterprise Server relplan cannot tell before
//! dispatching, and finds the run by its run-name when the answer names none).

use jiff::Timestamp;

use crate::github::credentials::Identity;
use crate::github::server::Server;
use crate::github::{GitHub, GitHubError};
use crate::preflight::facts::Failure;
use crate::preflight::finding::{Check, Finding, Report};

/// Checks the token and the server; false when nothing else can be read.
pub async fn check(github: &GitHub, report: &mut Report) -> bool {
    match github.rate_limit().await {
        Ok(limit) => {
            report.rate_limit = Some(limit);
            let needed = report.estimate.expected;
            if limit.remaining < needed {
                let reset = i64::try_from(limit.reset)
                    .ok()
                    .and_then(|s| Timestamp::from_second(s).ok())
                    .map_or_else(
                        || "the next reset".to_string(),
                        |t| t.strftime("%H:%M UTC").to_string(),
                    );
                report.add(Finding::new(
                    Check::RateLimitLow,
                    format!(
                        "the token has {} of its {} requests left until {reset}; the release needs about {needed}",
                        limit.remaining, limit.limit
                    ),
                    format!("start the release after {reset}, or relplan waits for the reset when the budget runs out"),
                ));
            }
        }
        Err(error @ GitHubError::Credentials { .. }) => {
            let (message, help) = match github.identity() {
                Identity::Token => (
                    format!("GitHub at `{}` refused the token (401)", github.api_url().as_str()),
                    "check that GITHUB_TOKEN (or GH_TOKEN) holds a valid, unexpired token for this server".to_string(),
                ),
                Identity::App(_) => {
                    let failure = Failure::of(&error);
                    (failure.message, failure.help)
                }
            };
            report.add(Finding::new(Check::TokenRefused, message, help));
            return false;
        }
        Err(error) => {
            report.add(unreachable(github, &error));
            return false;
        }
    }
    match github.server().await {
        Ok(server) => {
            if let Server::Enterprise { version } = &server {
                let version = version
                    .as_deref()
                    .map_or_else(String::new, |v| format!(" {v}"));
                report.add(Finding::new(
                    Check::EnterpriseServer,
                    format!(
                        "`{}` is GitHub Enterprise Server{version}: relplan asks it to name the run each workflow_dispatch starts, and finds the run by its run-name when it does not",
                        github.api_url().as_str()
                    ),
                    "nothing to do: the run-name checks below make sure runs can be found either way",
                ));
            }
            report.server = Some(server);
            true
        }
        Err(error) => {
            report.add(unreachable(github, &error));
            false
        }
    }
}

/// The finding of a first read that failed: an API that cannot be reached (its error names
/// the URL already) or one that answered with an error (named here).
pub fn unreachable(github: &GitHub, error: &GitHubError) -> Finding {
    let failure = Failure::of(error);
    let message = match error {
        GitHubError::Unreachable { .. } => failure.message,
        _ => format!(
            "cannot read from `{}`: {}",
            github.api_url().as_str(),
            failure.message
        ),
    };
    Finding::new(Check::GitHubUnreachable, message, failure.help)
}
