//! The GitHub App's own endpoints, which take its JWT ([`crate::github::app`]): the App
//! itself (`GET /app`, which tells whether its id and key are accepted), the installation
//! that covers a repository (`GET /repos/{o}/{r}/installation`: its id, the account it is
//! installed on, the permissions it grants), and minting an installation token (`POST
//! /app/installations/{id}/access_tokens`) narrowed to the given repositories of that
//! account and to [`PERMISSIONS`], the permissions relplan needs. Minting is a mutation
//! like any other, sent once: a token whose answer was lost is never used, and the next
//! request mints another.

use std::fmt;
use std::time::SystemTime;

use http::Method;
use octocrab::models::{InstallationId, InstallationPermissions};
use serde::Deserialize;

use crate::github::auth::Signer;
use crate::github::client::GitHub;
use crate::github::credentials::Identity;
use crate::github::error::GitHubError;
use crate::github::split_repo;
use crate::github::token::Token;

/// What a permission allows, in GitHub's words; ordered, so `Write` covers `Read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    fn of(level: Option<&str>) -> Access {
        match level {
            Some("write" | "admin") => Access::Write,
            Some("read") => Access::Read,
            _ => Access::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Access::None => "none",
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The repository permissions relplan needs, and asks for in every installation token:
/// Actions to dispatch workflows, read, re-run and cancel runs and download artifacts;
/// Contents for `repository_dispatch` (a contents write to GitHub), tags, workflow files
/// and releases; Metadata, which every App has, for the repositories themselves.
pub const PERMISSIONS: [(&str, Access); 3] = [
    ("actions", Access::Write),
    ("contents", Access::Write),
    ("metadata", Access::Read),
];

/// The App's installation on an account.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Installation {
    pub id: InstallationId,
    pub account: Account,
    pub permissions: InstallationPermissions,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub login: String,
}

impl Installation {
    /// What the installation grants of `permission` (one of [`PERMISSIONS`]).
    pub fn granted(&self, permission: &str) -> Access {
        let p = &self.permissions;
        Access::of(match permission {
            "actions" => p.actions.as_deref(),
            "contents" => p.contents.as_deref(),
            "metadata" => p.metadata.as_deref(),
            _ => None,
        })
    }

    /// The permissions of [`PERMISSIONS`] it grants less than relplan needs: name, needed,
    /// granted.
    pub fn missing(&self) -> Vec<(&'static str, Access, Access)> {
        PERMISSIONS
            .iter()
            .map(|(name, needed)| (*name, *needed, self.granted(name)))
            .filter(|(_, needed, granted)| granted < needed)
            .collect()
    }
}

/// The App, as `GET /app` describes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AppInfo {
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
}

/// A freshly minted installation token.
pub struct Minted {
    pub token: Token,
    pub expires_at: SystemTime,
}

#[derive(Deserialize)]
struct MintAnswer {
    token: String,
    expires_at: String,
}

impl GitHub {
    /// The App itself; a refused JWT (wrong id or key, or a clock far off) is
    /// [`GitHubError::Credentials`].
    pub async fn app(&self) -> Result<AppInfo, GitHubError> {
        let action = "reading the GitHub App";
        let reply = self
            .read_as(Signer::App, action, "/app")
            .await?
            .ok_or_else(|| GitHubError::Protocol {
                action: action.to_string(),
                detail: "`/app` answered 404; is --api-url the REST API root?".into(),
            })?;
        reply.json(action)
    }

    /// The App's installation that covers `repo`, or `None` when the App is not installed
    /// on it (on its account, or for this repository).
    pub async fn installation(&self, repo: &str) -> Result<Option<Installation>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("finding the GitHub App's installation on `{repo}`");
        let path = format!("/repos/{owner}/{name}/installation");
        match self.read_as(Signer::App, &action, &path).await? {
            Some(reply) => reply.json(&action).map(Some),
            None => Ok(None),
        }
    }

    /// A token of `installation` (on `owner`) for `repositories` (names, without the
    /// owner) and [`PERMISSIONS`]; registered as a secret.
    pub async fn mint_installation_token(
        &self,
        installation: InstallationId,
        owner: &str,
        repositories: &[String],
    ) -> Result<Minted, GitHubError> {
        let action = format!("minting an installation token for `{owner}`");
        let permissions: serde_json::Map<String, serde_json::Value> = PERMISSIONS
            .iter()
            .map(|(name, access)| (name.to_string(), access.as_str().into()))
            .collect();
        let body = serde_json::json!({
            "repositories": repositories,
            "permissions": permissions,
        });
        let path = format!("/app/installations/{installation}/access_tokens");
        let reply = match self
            .send_json_as(Signer::App, Method::POST, &action, &path, &body)
            .await
        {
            Err(GitHubError::Status {
                status: 404 | 422,
                message,
                ..
            }) => return Err(not_allowed(self.identity(), owner, repositories, &message)),
            other => other?,
        };
        let answer: MintAnswer = reply.json(&action)?;
        let token = Token::new(answer.token);
        let expires_at = answer
            .expires_at
            .parse::<jiff::Timestamp>()
            .and_then(SystemTime::try_from)
            .map_err(|e| GitHubError::Protocol {
                action: action.clone(),
                detail: format!("`expires_at` is not a time: {e}"),
            })?;
        Ok(Minted { token, expires_at })
    }
}

/// The App may not have a token for these repositories with these permissions.
fn not_allowed(app: Identity, owner: &str, repositories: &[String], message: &str) -> GitHubError {
    let names: Vec<String> = repositories
        .iter()
        .map(|name| format!("`{owner}/{name}`"))
        .collect();
    let wanted: Vec<String> = PERMISSIONS
        .iter()
        .map(|(name, access)| format!("{name}: {access}"))
        .collect();
    GitHubError::Credentials {
        message: format!(
            "{app} may not act on {} with {} ({message})",
            names.join(", "),
            wanted.join(", ")
        ),
        help: format!(
            "install the App on these repositories of `{owner}` and grant it Actions and Contents read and write (`relplan preflight` shows what each repository lacks)"
        ),
    }
}
