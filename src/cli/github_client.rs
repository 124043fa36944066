//! How a command reaches GitHub, one way for every command that talks to it (`apply`,
//! `resume`, `retry`, `cancel`, `preflight`, `pin`, `verify` and `compare`):
//!
//! - [`GitHubArgs`], the flags they all take: `--api-url` (an http(s) URL, checked when
//!   the command line is read; else `GITHUB_API_URL`, checked as well), and a GitHub App's
//!   `--app-id` and `--app-key` (else `RELPLAN_APP_ID` and `RELPLAN_APP_PRIVATE_KEY`), else
//!   the token of the environment. Missing credentials are one error,
//!   [`GitHubError::NoToken`], asking for what the command needs ([`Purpose`]); a run
//!   continues only with credentials of the kind it started with (a token, or the same
//!   App: the journal keeps its id), refused otherwise with the command to run.
//! - [`config`] and [`config_for`]: the client's configuration, an App's installation
//!   tokens narrowed to the repositories the command reads or writes (a plan's, or the
//!   releases').
//! - [`with_github`]: a runtime of its own for the commands that only read (`preflight`,
//!   `pin`, `verify`, `compare`, and the preflight of `apply`), for one piece of work.
//!
//! The commands that run a plan take these flags inside their connection settings
//! (`cli/drive.rs`), which also decide what a continued run keeps.

use std::path::{Path, PathBuf};

use crate::compiled::CompiledPlan;
use crate::github::auth::Scope;
use crate::github::credentials::{APP_ID_VARIABLE, APP_KEY_VARIABLE, Identity};
use crate::github::error::Purpose;
use crate::github::{ApiUrl, Credentials, GitHub, GitHubConfig, GitHubError};
use crate::preflight::targets::Targets;
use crate::run_error::{Exit, RunError};

/// The API root when `--api-url` is not given.
const API_URL_VARIABLE: &str = "GITHUB_API_URL";

/// Where and as whom a command talks to GitHub.
#[derive(Debug, Default, clap::Args)]
pub struct GitHubArgs {
    /// GitHub: the REST API root, an http(s) URL (default: GITHUB_API_URL, else the one a
    /// continued run last used, else https://api.github.com).
    #[arg(long, value_name = "URL", value_parser = ApiUrl::parse)]
    api_url: Option<ApiUrl>,
    /// GitHub: authenticate as this GitHub App (default: RELPLAN_APP_ID); relplan mints
    /// and renews its installation tokens itself.
    #[arg(long, value_name = "ID")]
    app_id: Option<u64>,
    /// GitHub: the App's private key, a PEM file (default: the PEM in
    /// RELPLAN_APP_PRIVATE_KEY).
    #[arg(long, value_name = "FILE")]
    app_key: Option<PathBuf>,
}

impl GitHubArgs {
    /// `--api-url`, else `GITHUB_API_URL` (empty counts as unset); `None` when neither is
    /// given. A `GITHUB_API_URL` that is not an http(s) URL is a usage error.
    pub fn given_api_url(&self) -> Result<Option<ApiUrl>, RunError> {
        if let Some(url) = &self.api_url {
            return Ok(Some(url.clone()));
        }
        let Some(text) = std::env::var(API_URL_VARIABLE)
            .ok()
            .filter(|text| !text.trim().is_empty())
        else {
            return Ok(None);
        };
        ApiUrl::parse(&text).map(Some).map_err(|why| {
            RunError::new(format!("{API_URL_VARIABLE} `{}` is {why}", text.trim()))
                .with_help(format!(
                    "set {API_URL_VARIABLE} to the REST API root (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server), or pass `--api-url URL`"
                ))
                .with_exit(Exit::Usage)
        })
    }

    /// [`GitHubArgs::given_api_url`], else github.com.
    pub fn api_url(&self) -> Result<ApiUrl, RunError> {
        Ok(self.given_api_url()?.unwrap_or_default())
    }

    /// The App these flags or the environment give, else the token of the environment;
    /// `None` when there is neither. Half an App is an error.
    pub fn credentials(&self) -> Result<Option<Credentials>, RunError> {
        Ok(Credentials::resolve(
            self.app_id,
            self.app_key.as_deref(),
            |name| std::env::var(name).ok(),
        )?)
    }

    /// [`GitHubArgs::credentials`], which must be there; missing, the error asks for a
    /// token that may do what the command needs (`purpose`), or an App.
    pub fn required(&self, purpose: Purpose) -> Result<Credentials, RunError> {
        Ok(self
            .credentials()?
            .ok_or(GitHubError::NoToken { purpose })?)
    }

    /// The credentials that continue the run in `dir`, which authenticates as the GitHub
    /// App `app_id` (else with a token): they must be of that kind, since the journal keeps
    /// the App's id and nothing else. Refused (exit 4), the help says what to pass and
    /// then `again`, the command to run.
    pub fn credentials_for_run(
        &self,
        app_id: Option<u64>,
        dir: &Path,
        again: &str,
    ) -> Result<Credentials, RunError> {
        let shown = dir.display();
        let app_needed = |id: u64, instead: &str| {
            let help = format!(
                "pass `--app-id {id} --app-key FILE` (or set {APP_ID_VARIABLE}={id} and {APP_KEY_VARIABLE} to its private key), then `{again}`"
            );
            RunError::new(format!(
                "the run in `{shown}` authenticates as GitHub App {id}{instead}"
            ))
            .with_help(help)
            .with_exit(Exit::Refused)
        };
        let Some(given) = self.credentials()? else {
            return Err(match app_id {
                Some(id) => app_needed(id, ", and its credentials are not given"),
                None => GitHubError::NoToken {
                    purpose: Purpose::Release,
                }
                .into(),
            });
        };
        match (app_id, given.identity()) {
            (None, Identity::Token) => Ok(given),
            (Some(id), Identity::App(app)) if app.0 == id => Ok(given),
            (Some(id), Identity::Token) => {
                Err(app_needed(id, ", and its credentials are not given"))
            }
            (Some(id), Identity::App(app)) => {
                Err(app_needed(id, &format!(", not as GitHub App {app}")))
            }
            (None, app @ Identity::App(_)) => Err(RunError::new(format!(
                "the run in `{shown}` was started with a token, not as {app}"
            ))
            .with_help(format!(
                "leave out --app-id and --app-key, unset {APP_ID_VARIABLE} and {APP_KEY_VARIABLE}, export GITHUB_TOKEN, then `{again}`"
            ))
            .with_exit(Exit::Refused)),
        }
    }
}

/// The client configuration for `plan` at `api_url` with `credentials`: an App's tokens
/// cover the repositories the plan touches.
pub fn config(plan: &CompiledPlan, api_url: &ApiUrl, credentials: Credentials) -> GitHubConfig {
    let targets = Targets::of(plan);
    config_for(
        targets.repositories.keys().map(String::as_str),
        api_url,
        credentials,
    )
}

/// The client configuration at `api_url` with `credentials` for `repositories`
/// (`owner/name`): an App's tokens cover them.
pub fn config_for<'a>(
    repositories: impl IntoIterator<Item = &'a str>,
    api_url: &ApiUrl,
    credentials: Credentials,
) -> GitHubConfig {
    let mut config = GitHubConfig::new(api_url.clone(), credentials);
    config.scope = Scope::of(repositories);
    config
}

/// Runs `work` with a client configured by `config`, on a runtime of its own.
pub fn with_github<T>(
    config: GitHubConfig,
    work: impl AsyncFnOnce(&GitHub) -> T,
) -> Result<T, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::new(format!("cannot start the async runtime: {e}")))?;
    let _entered = runtime.enter();
    let github = GitHub::new(config)?;
    Ok(runtime.block_on(work(&github)))
}
