//! Which credential each request carries, and an App's credentials kept valid for as long
//! as a release runs.
//!
//! With a token, every request carries it. With a GitHub App:
//! - a request to a repository (`…/repos/{owner}/…`) carries the installation token of
//!   the repository's owner: one per owner, minted on first use for the owner's
//!   repositories in the [`Scope`] (the plan's) and the permissions relplan needs, from
//!   the installation found through the first of them;
//! - a request about no repository (`/rate_limit`) carries the token of the scope's first
//!   owner;
//! - a request to the App's own endpoints ([`Signer::App`]) carries its JWT, made afresh a
//!   minute before the last one expires.
//!
//! Renewal: a token is renewed before any request that finds it due ([`renew_at`]): five
//! minutes before it expires, or a third of its life before when it lives less than a
//! quarter of an hour. A request GitHub answers 401 although its installation token was
//! thought valid (revoked, or a clock far off) renews that token at once, once
//! ([`Auth::rejected`]), and the client sends it again with the new token: GitHub refused
//! the first, so nothing happens twice. Requests already sent keep the token they carry,
//! which stays valid until it expires, well after its renewal.
//!
//! Credentials only go to the API host and the upload host, never to the storage a
//! download is redirected to ([`Auth::may_carry`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use octocrab::models::InstallationId;

use crate::github::app::{JWT_BACKDATE, JWT_LIFETIME};
use crate::github::client::GitHub;
use crate::github::clock::WallClock;
use crate::github::credentials::Credentials;
use crate::github::error::GitHubError;
use crate::github::installation::{Installation, Minted};
use crate::github::token::Token;

/// The longest a token is renewed before it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(5 * 60);

/// When a token minted at `now` that expires at `expires_at` is due for renewal: five
/// minutes before it expires, or a third of its life before when that is shorter.
pub fn renew_at(now: SystemTime, expires_at: SystemTime) -> SystemTime {
    let life = expires_at.duration_since(now).unwrap_or_default();
    expires_at
        .checked_sub(RENEW_MARGIN.min(life / 3))
        .unwrap_or(now)
}

/// The repositories an App's installation tokens are narrowed to, by owner: the ones the
/// plan touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope(BTreeMap<String, Vec<String>>);

impl Scope {
    /// From `owner/name` repositories; anything else is left out.
    pub fn of<'a>(repositories: impl IntoIterator<Item = &'a str>) -> Scope {
        let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for repo in repositories {
            if let Ok((owner, name)) = crate::github::split_repo(repo) {
                let names = owners.entry(owner.to_string()).or_default();
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        Scope(owners)
    }

    fn repositories(&self, owner: &str) -> Option<&[String]> {
        self.0.get(owner).map(Vec::as_slice)
    }

    fn first_owner(&self) -> Option<&str> {
        self.0.keys().next().map(String::as_str)
    }
}

/// What a request is signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The credential of the repository the request is about: the token, or the
    /// installation token of the repository's owner.
    Repository,
    /// The App's JWT, for the App's own endpoints.
    App,
}

/// The credential one request was sent with.
#[derive(Clone, Debug)]
pub enum Lease {
    /// Nothing to send (an App with an empty scope, asked about no repository).
    Anonymous,
    Token(Token),
    Installation {
        owner: String,
        token: Token,
    },
    Jwt(Token),
}

impl Lease {
    pub fn token(&self) -> Option<&Token> {
        match self {
            Lease::Anonymous => None,
            Lease::Token(token) | Lease::Jwt(token) | Lease::Installation { token, .. } => {
                Some(token)
            }
        }
    }
}

/// An installation token and when it is due for renewal.
struct Held {
    token: Token,
    renew_at: SystemTime,
}

#[derive(Default)]
struct Owner {
    installation: Option<InstallationId>,
    token: Option<Held>,
}

pub struct Auth {
    credentials: Credentials,
    scope: Scope,
    clock: WallClock,
    /// Authorities (`host:port`) that may receive credentials.
    hosts: Vec<String>,
    /// The App's JWT and when to make the next.
    jwt: Mutex<Option<Held>>,
    /// Per owner: its installation and token. Held while a token is minted, so that
    /// requests needing the same token wait for it instead of minting their own.
    owners: tokio::sync::Mutex<BTreeMap<String, Owner>>,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, GitHubError>> + 'a>>;

impl Auth {
    pub fn new(credentials: Credentials, scope: Scope, clock: WallClock, roots: [&str; 2]) -> Auth {
        let hosts = roots
            .iter()
            .filter_map(|root| root.parse::<http::Uri>().ok())
            .filter_map(|uri| uri.authority().map(|a| a.as_str().to_string()))
            .collect();
        Auth {
            credentials,
            scope,
            clock,
            hosts,
            jwt: Mutex::default(),
            owners: tokio::sync::Mutex::default(),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// True when a request to `url` may carry credentials: it goes to the API or the upload
    /// host.
    pub fn may_carry(&self, url: &str) -> bool {
        url.parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(|a| a.as_str().to_string()))
            .is_some_and(|authority| self.hosts.contains(&authority))
    }

    /// The credential for a request to `url` signed by `signer`, minted or renewed first
    /// when it is due.
    pub async fn lease(
        &self,
        github: &GitHub,
        signer: Signer,
        url: &str,
    ) -> Result<Lease, GitHubError> {
        let app = match &self.credentials {
            Credentials::Token(token) => {
                return match signer {
                    Signer::Repository => Ok(Lease::Token(token.clone())),
                    Signer::App => Err(GitHubError::Input {
                        message: "this needs GitHub App credentials, and relplan has a token".into(),
                        help: "pass --app-id ID and --app-key FILE (or set RELPLAN_APP_ID and RELPLAN_APP_PRIVATE_KEY)".into(),
                    }),
                };
            }
            Credentials::App(app) => app,
        };
        if signer == Signer::App {
            let now = self.clock.now();
            let mut jwt = self.jwt.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(held) = jwt.as_ref()
                && now < held.renew_at
            {
                return Ok(Lease::Jwt(held.token.clone()));
            }
            let token = app.jwt(now)?;
            let renew_at = now + JWT_LIFETIME - JWT_BACKDATE;
            *jwt = Some(Held {
                token: token.clone(),
                renew_at,
            });
            return Ok(Lease::Jwt(token));
        }
        let Some(owner) = owner_of(url).or_else(|| self.scope.first_owner()) else {
            return Ok(Lease::Anonymous);
        };
        let token = self.installation_token(github, owner, None).await?;
        Ok(Lease::Installation {
            owner: owner.to_string(),
            token,
        })
    }

    /// After GitHub answered 401 to a request sent with `lease`: a new installation token
    /// to send it again with, at once (unless another request renewed it already); `None`
    /// when nothing can be renewed (a token, a JWT).
    pub async fn rejected(
        &self,
        github: &GitHub,
        lease: &Lease,
    ) -> Option<Result<Lease, GitHubError>> {
        let Lease::Installation { owner, token } = lease else {
            return None;
        };
        let renewed = self.installation_token(github, owner, Some(token)).await;
        Some(renewed.map(|token| Lease::Installation {
            owner: owner.clone(),
            token,
        }))
    }

    /// The token of `owner`'s installation: the one held while it is not due (and is not
    /// `refused`), else a new one.
    async fn installation_token(
        &self,
        github: &GitHub,
        owner: &str,
        refused: Option<&Token>,
    ) -> Result<Token, GitHubError> {
        let mut owners = self.owners.lock().await;
        let state = owners.entry(owner.to_string()).or_default();
        let now = self.clock.now();
        if let Some(held) = &state.token
            && now < held.renew_at
            && refused.is_none_or(|refused| refused.expose() != held.token.expose())
        {
            return Ok(held.token.clone());
        }
        let Some(repositories) = self.scope.repositories(owner) else {
            return Err(GitHubError::Input {
                message: format!(
                    "relplan has no installation token for `{owner}`: the plan touches no repository of it"
                ),
                help: "report this as a relplan bug".into(),
            });
        };
        let installation = match state.installation {
            Some(id) => id,
            None => {
                let repo = format!("{owner}/{}", repositories[0]);
                let found: Boxed<'_, Option<Installation>> = Box::pin(github.installation(&repo));
                let found = found
                    .await?
                    .ok_or_else(|| not_installed(&self.credentials, &repo))?;
                state.installation = Some(found.id);
                found.id
            }
        };
        let minted: Boxed<'_, Minted> =
            Box::pin(github.mint_installation_token(installation, owner, repositories));
        let minted = minted.await?;
        state.token = Some(Held {
            token: minted.token.clone(),
            renew_at: renew_at(now, minted.expires_at),
        });
        Ok(minted.token)
    }
}

fn not_installed(credentials: &Credentials, repo: &str) -> GitHubError {
    let owner = repo.split('/').next().unwrap_or(repo);
    GitHubError::Credentials {
        message: format!("{} is not installed on `{repo}`", credentials.identity()),
        help: format!(
            "install the App on `{owner}` with access to the plan's repositories (the App's page → Install App, or `{owner}`'s Settings → GitHub Apps → Configure)"
        ),
    }
}

/// The owner of the repository a URL is about: the segment after the first `repos`
/// (`/repos/{owner}/…`, `/api/v3/repos/{owner}/…`, `/api/uploads/repos/{owner}/…`).
fn owner_of(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => path,
    };
    let mut segments = path.split('/');
    segments.find(|s| *s == "repos")?;
    segments.next().filter(|owner| !owner.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_off_every_form_of_repository_url() {
        assert_eq!(owner_of("/repos/o/r/dispatches"), Some("o"));
        assert_eq!(owner_of("https://api.github.com/repos/o/r"), Some("o"));
        assert_eq!(
            owner_of("https://ghe.example/api/v3/repos/org/r/releases?per_page=100"),
            Some("org")
        );
        assert_eq!(
            owner_of("https://uploads.github.com/repos/o/r/releases/1/assets?name=a"),
            Some("o")
        );
        assert_eq!(
            owner_of("http://127.0.0.1:9/uploads/repos/o/r/x"),
            Some("o")
        );
        assert_eq!(owner_of("/rate_limit"), None);
        assert_eq!(owner_of("/app/installations/1/access_tokens"), None);
        assert_eq!(owner_of("https://storage.example/repos"), None);
    }

    #[test]
    fn tokens_are_renewed_five_minutes_early_or_a_third_of_their_life() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = renew_at(t0, t0 + Duration::from_secs(3600));
        assert_eq!(hour, t0 + Duration::from_secs(3300));
        let short = renew_at(t0, t0 + Duration::from_secs(21));
        assert_eq!(short, t0 + Duration::from_secs(14));
        let expired = renew_at(t0, t0 - Duration::from_secs(5));
        assert!(expired <= t0);
    }

    #[test]
    fn the_scope_groups_repositories_by_owner() {
        let scope = Scope::of(["o/a", "p/b", "o/c", "o/a", "malformed"]);
        assert_eq!(
            scope.repositories("o"),
            Some(&["a".to_string(), "c".into()][..])
        );
        assert_eq!(scope.repositories("p"), Some(&["b".to_string()][..]));
        assert_eq!(scope.first_owner(), Some("o"));
    }

    #[test]
    fn credentials_go_to_the_api_and_upload_hosts_only() {
        let auth = Auth::new(
            Credentials::Token(Token::new("ghp_hostTestToken1")),
            Scope::default(),
            WallClock::system(),
            ["https://api.github.com", "https://uploads.github.com"],
        );
        assert!(auth.may_carry("https://api.github.com/repos/o/r"));
        assert!(auth.may_carry("https://uploads.github.com/repos/o/r/releases/1/assets"));
        assert!(!auth.may_carry("https://pipelines.actions.githubusercontent.com/zip"));
        assert!(!auth.may_carry("/relative"));
    }
}
