//! Who relplan is on GitHub: a GitHub App, given by `--app-id ID` and `--app-key FILE` or
//! by `RELPLAN_APP_ID` and `RELPLAN_APP_PRIVATE_KEY` (the PEM itself, as CI secrets hold
//! it), else the token in `GITHUB_TOKEN` (or `GH_TOKEN`). An App's installation tokens are
//! minted and renewed by relplan for as long as a release runs ([`crate::github::auth`]);
//! a token is used as it is, until GitHub stops accepting it.
//!
//! Empty variables count as unset: a workflow passes `${{ secrets.X }}` as an empty string
//! when the secret does not exist.

use std::fmt;
use std::path::Path;

use octocrab::models::AppId;

use crate::github::app::{App, AppKey};
use crate::github::error::GitHubError;
use crate::github::token::Token;

/// The App's id, when not given by `--app-id`.
pub const APP_ID_VARIABLE: &str = "RELPLAN_APP_ID";
/// The App's private key (PEM text), when not given by `--app-key FILE`.
pub const APP_KEY_VARIABLE: &str = "RELPLAN_APP_PRIVATE_KEY";

#[derive(Clone, Debug)]
pub enum Credentials {
    Token(Token),
    App(App),
}

impl From<Token> for Credentials {
    fn from(token: Token) -> Credentials {
        Credentials::Token(token)
    }
}

impl From<App> for Credentials {
    fn from(app: App) -> Credentials {
        Credentials::App(app)
    }
}

/// Which kind of credentials, as errors and the journal name them; never the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    Token,
    App(AppId),
}

impl Identity {
    /// The App's id, all the journal keeps of an App; `None` for a token.
    pub fn app_id(self) -> Option<u64> {
        match self {
            Identity::Token => None,
            Identity::App(id) => Some(id.0),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Token => f.write_str("the token"),
            Identity::App(id) => write!(f, "GitHub App {id}"),
        }
    }
}

impl Credentials {
    /// The App given by `app_id` and `app_key` (the flags), each else by its variable
    /// (through `lookup`); else the token of the environment; `None` when there is neither.
    /// Half an App (an id without a key, or a key without an id) is an error.
    pub fn resolve(
        app_id: Option<u64>,
        app_key: Option<&Path>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Credentials>, GitHubError> {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let id = match (app_id, set(APP_ID_VARIABLE)) {
            (Some(id), _) => Some(id),
            (None, Some(text)) => {
                Some(text.trim().parse::<u64>().map_err(|_| GitHubError::Input {
                    message: format!(
                        "{APP_ID_VARIABLE} is `{}`, not a GitHub App id",
                        text.trim()
                    ),
                    help: "set it to the App ID shown on the App's settings page (a number)".into(),
                })?)
            }
            (None, None) => None,
        };
        let key = match app_key {
            Some(path) => Some(AppKey::read(path)?),
            None => set(APP_KEY_VARIABLE)
                .map(|pem| AppKey::from_pem(&pem, APP_KEY_VARIABLE))
                .transpose()?,
        };
        match (id, key) {
            (Some(id), Some(key)) => Ok(Some(Credentials::App(App { id: AppId(id), key }))),
            (Some(id), None) => Err(GitHubError::Input {
                message: format!("GitHub App {id} is given without its private key"),
                help: format!(
                    "pass --app-key FILE, or set {APP_KEY_VARIABLE} to the App's private key (PEM)"
                ),
            }),
            (None, Some(_)) => Err(GitHubError::Input {
                message: "a GitHub App private key is given without the App's id".into(),
                help: format!(
                    "pass --app-id ID, or set {APP_ID_VARIABLE} to the App ID shown on the App's settings page"
                ),
            }),
            (None, None) => Ok(Token::from_lookup(lookup).map(Credentials::Token)),
        }
    }

    pub fn identity(&self) -> Identity {
        match self {
            Credentials::Token(_) => Identity::Token,
            Credentials::App(app) => Identity::App(app.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_KEY: &str = include_str!("../../tests/fixtures/test-app-key.pem");

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn an_app_wins_over_a_token_and_empty_variables_are_unset() {
        let both = env(&[
            ("GITHUB_TOKEN", "ghp_tokenTokenToken"),
            (APP_ID_VARIABLE, " 12 "),
            (APP_KEY_VARIABLE, TEST_KEY),
        ]);
        let resolved = Credentials::resolve(None, None, both).expect("resolved");
        assert_eq!(
            resolved.map(|c| c.identity()),
            Some(Identity::App(AppId(12)))
        );
        let flag = Credentials::resolve(Some(7), None, env(&[(APP_KEY_VARIABLE, TEST_KEY)]));
        assert_eq!(
            flag.expect("resolved").map(|c| c.identity()),
            Some(Identity::App(AppId(7)))
        );
        let empty = env(&[
            ("GITHUB_TOKEN", "ghp_tokenTokenToken"),
            (APP_ID_VARIABLE, ""),
            (APP_KEY_VARIABLE, ""),
        ]);
        let resolved = Credentials::resolve(None, None, empty).expect("resolved");
        assert_eq!(resolved.map(|c| c.identity()), Some(Identity::Token));
        assert!(
            Credentials::resolve(None, None, env(&[]))
                .expect("resolved")
                .is_none()
        );
    }

    #[test]
    fn half_an_app_is_refused_with_what_is_missing() {
        let message = |result: Result<Option<Credentials>, GitHubError>| {
            result.err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert_eq!(
            message(Credentials::resolve(Some(3), None, env(&[]))),
            "GitHub App 3 is given without its private key"
        );
        assert_eq!(
            message(Credentials::resolve(
                None,
                None,
                env(&[(APP_KEY_VARIABLE, TEST_KEY)])
            )),
            "a GitHub App private key is given without the App's id"
        );
        assert_eq!(
            message(Credentials::resolve(
                None,
                None,
                env(&[(APP_ID_VARIABLE, "my-app")])
            )),
            "RELPLAN_APP_ID is `my-app`, not a GitHub App id"
        );
    }
}
