//! The workflows GitHub knows in a repository, `GET /repos/{o}/{r}/actions/workflows`: each
//! with its file (`.github/workflows/build.yml`) and its state. Only an `active` workflow
//! runs; the others are `disabled_manually`, `disabled_inactivity`, `disabled_fork` or
//! `deleted`.

use serde::Deserialize;

use crate::github::client::GitHub;
use crate::github::error::GitHubError;
use crate::github::split_repo;

const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 10;

/// One workflow of a repository.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Workflow {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    /// The file, from the repository's root.
    pub path: String,
    pub state: String,
}

impl Workflow {
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// The file name, which `workflow_dispatch` names the workflow by.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Whether `workflow` (a file name or a numeric id, as a plan gives it) names this one.
    pub fn is_named(&self, workflow: &str) -> bool {
        self.file_name() == workflow || self.id.to_string() == workflow
    }
}

#[derive(Deserialize)]
struct WorkflowList {
    workflows: Vec<Workflow>,
}

impl GitHub {
    /// Every workflow of the repository, or `None` when the repository cannot be seen.
    pub async fn workflows(&self, repo: &str) -> Result<Option<Vec<Workflow>>, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        let action = format!("listing the workflows of `{repo}`");
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let path =
                format!("/repos/{owner}/{name}/actions/workflows?per_page={PAGE_SIZE}&page={page}");
            let Some(reply) = self.get(&action, &path).await? else {
                return Ok(None);
            };
            let list: WorkflowList = reply.json(&action)?;
            let full = list.workflows.len() == PAGE_SIZE;
            all.extend(list.workflows);
            if !full {
                break;
            }
        }
        Ok(Some(all))
    }
}
