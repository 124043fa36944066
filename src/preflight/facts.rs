//! Everything the preflight reads from GitHub, each read once: repository metadata and
//! workflow lists per repository, files per (repository, path, ref), tags and releases per
//! (repository, tag). A plan of many jobs in few repositories so costs a few requests per repository,
//! not per job. Reads go through the GitHub client and its request policy (retries on
//! trouble, rate limits honoured); a failed read is kept too, so it is reported once.

use std::collections::HashMap;
use std::hash::Hash;

use miette::Diagnostic;

use crate::github::GitHub;
use crate::github::GitHubError;
use crate::github::releases_of_tag::ReleaseInfo;
use crate::github::repository::Repository;
use crate::github::workflows::Workflow;
use crate::preflight::workflow_file::{self, WorkflowFile};

/// The outcome of one read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read<T> {
    Found(T),
    /// 404: it does not exist, or the token may not see it.
    Absent,
    Failed(Failure),
}

/// A read that failed, as it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub help: String,
}

impl Failure {
    pub fn of(error: &GitHubError) -> Failure {
        Failure {
            message: error.to_string(),
            help: error.help().map(|h| h.to_string()).unwrap_or_default(),
        }
    }
}

/// A workflow file read at a ref: parsed, or why it is not a workflow.
pub type Parsed = Result<WorkflowFile, String>;

pub struct Facts<'a> {
    github: &'a GitHub,
    repositories: HashMap<String, Read<Repository>>,
    workflows: HashMap<String, Read<Vec<Workflow>>>,
    files: HashMap<(String, String, String), Read<Parsed>>,
    tags: HashMap<(String, String), Read<String>>,
    releases: HashMap<(String, String), Read<Vec<ReleaseInfo>>>,
}

impl<'a> Facts<'a> {
    pub fn new(github: &'a GitHub) -> Facts<'a> {
        Facts {
            github,
            repositories: HashMap::new(),
            workflows: HashMap::new(),
            files: HashMap::new(),
            tags: HashMap::new(),
            releases: HashMap::new(),
        }
    }

    pub async fn repository(&mut self, repo: &str) -> Read<Repository> {
        let github = self.github;
        once(&mut self.repositories, repo.to_string(), async {
            github.repository(repo).await
        })
        .await
    }

    pub async fn workflows(&mut self, repo: &str) -> Read<Vec<Workflow>> {
        let github = self.github;
        once(&mut self.workflows, repo.to_string(), async {
            github.workflows(repo).await
        })
        .await
    }

    /// The workflow file `path` of `repo` at `git_ref`, parsed.
    pub async fn workflow_file(&mut self, repo: &str, path: &str, git_ref: &str) -> Read<Parsed> {
        let github = self.github;
        let key = (repo.to_string(), path.to_string(), git_ref.to_string());
        once(&mut self.files, key, async {
            let text = github.file_at(repo, path, git_ref).await?;
            Ok(text.map(|text| workflow_file::parse(&text)))
        })
        .await
    }

    /// The commit `tag` of `repo` points at.
    pub async fn tag(&mut self, repo: &str, tag: &str) -> Read<String> {
        let github = self.github;
        let key = (repo.to_string(), tag.to_string());
        once(&mut self.tags, key, async {
            github.tag_commit(repo, tag).await
        })
        .await
    }

    /// The releases of `tag` in `repo`, drafts included.
    pub async fn releases(&mut self, repo: &str, tag: &str) -> Read<Vec<ReleaseInfo>> {
        let github = self.github;
        let key = (repo.to_string(), tag.to_string());
        once(&mut self.releases, key, async {
            github.releases_of_tag(repo, tag).await
        })
        .await
    }
}

/// The kept outcome for `key`, or the outcome of `read`, kept.
async fn once<K: Eq + Hash, T: Clone>(
    kept: &mut HashMap<K, Read<T>>,
    key: K,
    read: impl Future<Output = Result<Option<T>, GitHubError>>,
) -> Read<T> {
    if let Some(known) = kept.get(&key) {
        return known.clone();
    }
    let outcome = match read.await {
        Ok(Some(found)) => Read::Found(found),
        Ok(None) => Read::Absent,
        Err(error) => Read::Failed(Failure::of(&error)),
    };
    kept.insert(key, outcome.clone());
    outcome
}
