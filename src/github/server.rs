//! Which GitHub relplan talks to. github.com and GitHub Enterprise Cloud (`*.ghe.com`)
//! are known by their API URL; any other URL is a GitHub Enterprise Server, whose
//! `GET /meta` names its `installed_version` (github.com's `/meta` has none).
//!
//! What depends on it: whether a `workflow_dispatch` answer names the run it started
//! (`return_run_details`, see docs/build-workflow-protocol.md). github.com does. For a
//! server, relplan cannot learn it without dispatching, so it asks every time and, when
//! the answer names no run, finds the run by its run-name.

use serde::Deserialize;

use crate::github::client::{DEFAULT_API_URL, GitHub};
use crate::github::error::GitHubError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Server {
    /// github.com or GitHub Enterprise Cloud: dispatches name their runs.
    Cloud,
    /// GitHub Enterprise Server, with its version when `/meta` gave one.
    Enterprise { version: Option<String> },
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    installed_version: Option<String>,
}

impl Server {
    /// Whether a `workflow_dispatch` answer is known to name the run it started.
    pub fn names_dispatched_runs(&self) -> bool {
        matches!(self, Server::Cloud)
    }
}

impl GitHub {
    /// What kind of GitHub the API URL is; one request, for a URL other than github.com's
    /// or GitHub Enterprise Cloud's.
    pub async fn server(&self) -> Result<Server, GitHubError> {
        let url = self.api_url().as_str();
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .unwrap_or_default();
        if url == DEFAULT_API_URL || host.ends_with(".ghe.com") {
            return Ok(Server::Cloud);
        }
        let action = "reading the server's version (`/meta`)";
        let Some(reply) = self.get(action, "/meta").await? else {
            return Ok(Server::Enterprise { version: None });
        };
        Ok(match reply.json::<Meta>(action)?.installed_version {
            Some(version) => Server::Enterprise {
                version: Some(version),
            },
            // A server whose `/meta` names no version answers as github.com does.
            None => Server::Cloud,
        })
    }
}
