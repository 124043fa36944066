//! The token's request budget, `GET /rate_limit`: how many requests of the `core` window
//! are left and when it resets. GitHub does not charge for this request, and answers 401
//! to a token it does not accept, so it also tells whether the token works.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;

/// The `core` window (REST API requests).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per window.
    pub limit: u64,
    pub remaining: u64,
    /// When the window resets, in seconds since the Unix epoch.
    pub reset: u64,
}

#[derive(Deserialize)]
struct Answer {
    resources: Resources,
}

#[derive(Deserialize)]
struct Resources {
    core: RateLimit,
}

impl GitHub {
    /// The token's `core` budget; a refused token is [`GitHubError::Status`] 401.
    pub async fn rate_limit(&self) -> Result<RateLimit, GitHubError> {
        let action = "reading the token's rate limit";
        let reply =
            self.get(action, "/rate_limit")
                .await?
                .ok_or_else(|| GitHubError::Protocol {
                    action: action.to_string(),
                    detail: "`/rate_limit` answered 404; is --api-url the REST API root?".into(),
                })?;
        Ok(reply.json::<Answer>(action)?.resources.core)
    }
}
