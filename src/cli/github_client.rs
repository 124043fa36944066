//! How every command that talks to GitHub (`preflight`, `pin`, `apply`, `resume`, `verify`
//! and `compare` of a release on GitHub) sets up its client: the API root from `--api-url`, else `GITHUB_API_URL`, else github.com; the
//! credentials from `--app-id`/`--app-key` (else `RELPLAN_APP_ID`/`RELPLAN_APP_PRIVATE_KEY`),
//! else the token of the environment; an App's tokens narrowed to the repositories the
//! command reads or writes (a plan's, or the releases'); and, for the commands that read before anything runs, a runtime of its
//! own for the duration of one piece of work.

use std::path::PathBuf;

use crate::compiled::CompiledPlan;
use crate::github::auth::Scope;
use crate::github::{ApiUrl, Credentials, GitHub, GitHubConfig, GitHubError};
use crate::preflight::targets::Targets;
use crate::run_error::RunError;

/// The GitHub App options of every command that talks to GitHub.
#[derive(Debug, Default, clap::Args)]
pub struct AppArgs {
    /// GitHub: authenticate as this GitHub App (default: RELPLAN_APP_ID); relplan mints
    /// and renews its installation tokens itself.
    #[arg(long, value_name = "ID")]
    app_id: Option<u64>,
    /// GitHub: the App's private key, a PEM file (default: the PEM in
    /// RELPLAN_APP_PRIVATE_KEY).
    #[arg(long, value_name = "FILE")]
    app_key: Option<PathBuf>,
}

impl AppArgs {
    /// The App these options or the environment give, else the token of the environment;
    /// `None` when there is neither.
    pub fn credentials(&self) -> Result<Option<Credentials>, RunError> {
        Ok(Credentials::resolve(
            self.app_id,
            self.app_key.as_deref(),
            |name| std::env::var(name).ok(),
        )?)
    }

    /// [`AppArgs::credentials`], which must be there.
    pub fn required(&self) -> Result<Credentials, RunError> {
        Ok(self.credentials()?.ok_or(GitHubError::NoToken)?)
    }
}

/// `--api-url`, else `GITHUB_API_URL`, else github.com.
pub fn api_url(flag: Option<&str>) -> ApiUrl {
    ApiUrl::resolve(flag, |name| std::env::var(name).ok())
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

/// Runs `work` with a client configured by `config`.
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
