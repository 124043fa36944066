//! The one error type of the GitHub layer. Each variant says what failed in words a release
//! manager can act on; its [`miette::Diagnostic`] help says what fixes it, and it becomes
//! a [`RunError`] (exit 1) to be printed the way every relplan error is. A help never
//! names the command to run afterwards: that depends on the command that met the error (a
//! run is resumed, a start or a read-only command is run again), so that command adds it
//! ([`RunError::then`]). No variant holds the token: messages are built from paths,
//! statuses and GitHub's own `message` field only.

use std::fmt;
use std::time::Duration;

use crate::release_assets::{CLASH_HELP, Clash, clashes_message};
use crate::run_error::{Exit, RunError};

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// No token in the environment and no GitHub App given; `purpose` is what the command needed them for.
    #[error(
        "no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set, and no GitHub App is given"
    )]
    NoToken { purpose: Purpose },
    /// GitHub does not accept relplan's credentials for this: a token it refuses (401:
    /// expired or revoked), an App it refuses, an App not installed where the plan needs it
    /// or without the permissions relplan asks for. Asking again cannot help until the
    /// credentials are fixed; a release stops, resumable.
    #[error("{message}")]
    Credentials { message: String, help: String },
    /// Something relplan was given cannot be sent as it is.
    #[error("{message}")]
    Input { message: String, help: String },
    /// GitHub answered with an error that retrying will not fix.
    #[error("{action}: GitHub answered {status}{}", github_message(.message))]
    Status {
        action: String,
        status: u16,
        message: String,
    },
    /// A mutation GitHub refused before doing anything (rate limit): safe to send again
    /// after `retry_after`.
    #[error("{action}: rate limited by GitHub; it was not performed")]
    Rejected {
        action: String,
        retry_after: Duration,
    },
    /// A mutation whose outcome is unknown (5xx, timeout, connection lost after sending):
    /// it may have happened, so look it up before trying again.
    #[error("{action}: no clear answer ({detail}); it may or may not have happened")]
    Uncertain { action: String, detail: String },
    /// A read that kept failing after its retries.
    #[error("{action}: {detail}")]
    Unavailable { action: String, detail: String },
    /// No connection to the API could be made (refused, unknown host, TLS): nothing was
    /// sent.
    #[error("cannot reach the GitHub API at {api_url}: {cause}")]
    Unreachable { api_url: String, cause: String },
    /// GitHub answered something relplan cannot read.
    #[error("{action}: unexpected answer from GitHub: {detail}")]
    Protocol { action: String, detail: String },
    /// The tag now points at another commit than the one the manifest pins.
    #[error(
        "tag `{tag}` of `{repo}` points at {actual}, but the manifest pins {pinned}; the tag moved"
    )]
    TagMoved {
        repo: String,
        tag: String,
        pinned: String,
        actual: String,
    },
    /// An artifact failed its download checks; nothing from it is used.
    #[error("artifact `{artifact}` of `{repo}` run {run}: {problem}")]
    BadArtifact {
        repo: String,
        run: u64,
        artifact: String,
        problem: String,
    },
    /// Two release assets would get the same name.
    #[error("{}", clashes_message(.0))]
    AssetNameConflict(Vec<Clash>),
    /// The draft already holds an asset of this name with other bytes.
    #[error(
        "release `{tag}` already has an asset `{name}` with other content (sha256 {existing}, this build {wanted})"
    )]
    AssetDiffers {
        tag: String,
        name: String,
        existing: String,
        wanted: String,
    },
    /// The release was published already, without (exactly) these assets.
    #[error("release `{tag}` of `{repo}` is already published and {problem}")]
    AlreadyPublished {
        repo: String,
        tag: String,
        problem: String,
    },
}

/// What a command needs its credentials for on GitHub: the help for missing ones asks for
/// no more than that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Dispatch workflows and write releases: running a plan, and the preflight of one.
    Release,
    /// Read the repositories' contents, their tags: `pin`.
    ReadTags,
    /// Read the repositories' releases: `verify` and `compare`.
    ReadReleases,
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::Release => "dispatch workflows and write releases",
            Purpose::ReadTags => "read the repositories' contents (their tags)",
            Purpose::ReadReleases => "read the repositories' releases",
        })
    }
}

fn github_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

impl miette::Diagnostic for GitHubError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.next_step()))
    }
}

impl From<GitHubError> for RunError {
    fn from(error: GitHubError) -> RunError {
        RunError::from_diagnostic(&error, Exit::Failure)
    }
}

impl GitHubError {
    /// Whether every later request would fail the same way: the API cannot be reached or
    /// does not answer, or the credentials are missing or refused. A command that reads
    /// many things reports such an error once and stops asking.
    pub fn fails_every_request(&self) -> bool {
        matches!(
            self,
            GitHubError::Unreachable { .. }
                | GitHubError::Unavailable { .. }
                | GitHubError::Credentials { .. }
                | GitHubError::NoToken { .. }
        )
    }

    /// The next step for the user: the help of every variant, in one place.
    fn next_step(&self) -> String {
        match self {
            GitHubError::NoToken { purpose } => format!(
                "export GITHUB_TOKEN (or GH_TOKEN) with a token that may {purpose}, or pass a GitHub App's `--app-id ID --app-key FILE`"
            ),
            GitHubError::Credentials { help, .. } | GitHubError::Input { help, .. } => {
                help.clone()
            }
            GitHubError::Status { status: 403 | 404, .. } => {
                "check that the repository (and the workflow or tag named) exists and that the token may access it: GitHub also answers 404 when a permission is missing".into()
            }
            GitHubError::Status { .. } | GitHubError::Protocol { .. } => {
                "check the API URL (--api-url, GITHUB_API_URL) and GitHub's status page".into()
            }
            GitHubError::Rejected { retry_after, .. } => format!(
                "wait {} s; nothing was changed on GitHub",
                retry_after.as_secs().max(1)
            ),
            GitHubError::Uncertain { .. } => {
                "relplan looks the effect up on GitHub (by correlation id, tag or asset name) before sending it again".into()
            }
            GitHubError::Unavailable { .. } => {
                "GitHub did not answer; check the network and GitHub's status page".into()
            }
            GitHubError::Unreachable { .. } => {
                "check the API URL (--api-url, GITHUB_API_URL), the network and the proxy or certificates in between".into()
            }
            GitHubError::TagMoved { .. } => {
                "point the tag back at the pinned commit, or update git_commit in the manifest and get the plan approved again".into()
            }
            GitHubError::BadArtifact { .. } => {
                "fix the build so it uploads a plain archive of regular files, then retry the job".into()
            }
            GitHubError::AssetNameConflict(_) => CLASH_HELP.into(),
            GitHubError::AssetDiffers { .. } => {
                "a build is not reproducible or the draft holds an older upload; delete that asset from the draft if it is stale, then `relplan retry`".into()
            }
            GitHubError::AlreadyPublished { .. } => {
                "release under a new version, or delete the published release if it must be redone".into()
            }
        }
    }

    /// True when GitHub refused a mutation before performing it: sending it again is safe.
    pub fn is_rejected(&self) -> bool {
        matches!(self, GitHubError::Rejected { .. })
    }

    /// True when relplan's credentials are refused or not enough: nothing can go on until
    /// they are fixed.
    pub fn is_credentials(&self) -> bool {
        matches!(self, GitHubError::Credentials { .. })
    }

    /// True when a mutation may have happened: look it up before sending it again.
    pub fn is_uncertain(&self) -> bool {
        matches!(self, GitHubError::Uncertain { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_help_names_the_command_to_run_next() {
        let action = || "reading".to_string();
        let errors = [
            GitHubError::NoToken {
                purpose: Purpose::ReadTags,
            },
            GitHubError::Status {
                action: action(),
                status: 500,
                message: String::new(),
            },
            GitHubError::Status {
                action: action(),
                status: 404,
                message: String::new(),
            },
            GitHubError::Rejected {
                action: action(),
                retry_after: Duration::from_secs(60),
            },
            GitHubError::Uncertain {
                action: action(),
                detail: "timed out".into(),
            },
            GitHubError::Unavailable {
                action: action(),
                detail: "502".into(),
            },
            GitHubError::Unreachable {
                api_url: "https://api.github.com".into(),
                cause: "refused".into(),
            },
            GitHubError::Protocol {
                action: action(),
                detail: "not JSON".into(),
            },
        ];
        for error in errors {
            let help = error.next_step();
            assert!(
                !help.contains("resume") && !help.contains("`relplan"),
                "{error}: {help}"
            );
        }
    }
}
