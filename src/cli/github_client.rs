//! The GitHub client of the commands that read from GitHub before anything runs
//! (`preflight`, `pin`, and `apply` before a new run): the API root from `--api-url`, else
//! `GITHUB_API_URL`, else github.com; the token from the environment; a runtime of its own
//! for the duration of one piece of work.

use crate::github::{ApiUrl, GitHub, GitHubConfig, Token};
use crate::run_error::RunError;

/// `--api-url`, else `GITHUB_API_URL`, else github.com.
pub fn api_url(flag: Option<&str>) -> ApiUrl {
    ApiUrl::resolve(flag, |name| std::env::var(name).ok())
}

/// Runs `work` with a client for `api_url` authenticated by `token`.
pub fn with_github<T>(
    api_url: &ApiUrl,
    token: Token,
    work: impl AsyncFnOnce(&GitHub) -> T,
) -> Result<T, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::new(format!("cannot start the async runtime: {e}")))?;
    let _entered = runtime.enter();
    let github = GitHub::new(GitHubConfig::new(api_url.clone(), token))?;
    Ok(runtime.block_on(work(&github)))
}
