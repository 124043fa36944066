//! What the fake GitHub knows about how its repositories are wired, for the preflight and
//! pin tests: repository metadata (default branch, archived, permissions), workflow states,
//! workflow files per ref behind the contents API, immutable releases, `/rate_limit` (which
//! refuses any token but the test's) and `/meta` (a GitHub Enterprise Server version when
//! set). Kept apart from the runs and releases so both grow without touching each other.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};

use super::routes::{Shared, lock};
use super::world::{Release, Workflow};
use super::{FakeGitHub, SECRET};

/// A repository's metadata.
#[derive(Clone, Debug)]
pub struct RepoMeta {
    pub default_branch: String,
    pub archived: bool,
    /// `permissions.push`; `None` leaves `permissions` out (as for GitHub App tokens).
    pub push: Option<bool>,
}

impl Default for RepoMeta {
    fn default() -> RepoMeta {
        RepoMeta {
            default_branch: "main".into(),
            archived: false,
            push: Some(true),
        }
    }
}

#[derive(Debug, Default)]
pub struct Wiring {
    /// Metadata by repository; the default for repositories not named here.
    pub meta: BTreeMap<String, RepoMeta>,
    /// Workflow state by (repository, file); `active` when not named here.
    pub workflow_states: BTreeMap<(String, String), String>,
    /// File text by (repository, ref, path).
    pub files: BTreeMap<(String, String, String), String>,
    pub immutable_releases: BTreeSet<u64>,
    /// `installed_version` in `/meta`, as a GitHub Enterprise Server says.
    pub enterprise_version: Option<String>,
    /// What `/rate_limit` says is left, instead of 5,000 less the requests so far.
    pub rate_remaining: Option<u64>,
}

/// The workflow file the fake's own build workflows are: listening to their event type,
/// with the run-name of docs/build-workflow-protocol.md.
pub fn listener_yaml(event_type: &str) -> String {
    format!(
        "name: build\nrun-name: build ${{{{ github.event.client_payload.relplan.correlation_id }}}}\non:\n  repository_dispatch:\n    types: [{event_type}]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    )
}

/// A `workflow_dispatch` workflow declaring `inputs` (optional strings) and the run-name.
pub fn dispatchable_yaml(inputs: &[&str]) -> String {
    let mut text = String::from(
        "name: build\nrun-name: build ${{ inputs.relplan_correlation_id }}\non:\n  workflow_dispatch:\n    inputs:\n",
    );
    for input in inputs {
        text.push_str(&format!(
            "      {input}:\n        type: string\n        required: false\n"
        ));
    }
    text.push_str("jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n");
    text
}

pub fn workflow_path(file: &str) -> String {
    format!(".github/workflows/{file}")
}

impl FakeGitHub {
    /// Gives a workflow added with [`FakeGitHub::add_workflow`] its file on the default
    /// branch, when it listens to an event type.
    pub(super) fn wire_listener(&self, repo: &str, workflow: &Workflow) {
        if let Some(event) = &workflow.on_event {
            let branch = self.default_branch(repo);
            self.put_file(
                repo,
                &branch,
                &workflow_path(&workflow.file),
                &listener_yaml(event),
            );
        }
    }

    pub fn default_branch(&self, repo: &str) -> String {
        self.with(|w| {
            w.wiring.meta.get(repo).map_or_else(
                || RepoMeta::default().default_branch,
                |m| m.default_branch.clone(),
            )
        })
    }

    /// Sets a repository's metadata, creating the repository.
    pub fn set_repo(&self, repo: &str, meta: RepoMeta) {
        self.with(|w| {
            w.repos.entry(repo.into()).or_default();
            w.wiring.meta.insert(repo.into(), meta);
        });
    }

    /// The file `path` of `repo` at `git_ref` (a branch or a tag).
    pub fn put_file(&self, repo: &str, git_ref: &str, path: &str, text: &str) {
        self.with(|w| {
            w.repos.entry(repo.into()).or_default();
            w.wiring
                .files
                .insert((repo.into(), git_ref.into(), path.into()), text.into());
        });
    }

    pub fn set_workflow_state(&self, repo: &str, file: &str, state: &str) {
        self.with(|w| {
            w.wiring
                .workflow_states
                .insert((repo.into(), file.into()), state.into())
        });
    }

    /// A release of `tag` that exists already: a draft, or published (and then maybe
    /// immutable).
    pub fn add_release(&self, repo: &str, tag: &str, draft: bool, immutable: bool) -> u64 {
        self.with(|w| {
            w.repos.entry(repo.into()).or_default();
            let id = w.next_id();
            w.releases.push(Release {
                id,
                repo: repo.into(),
                tag: tag.into(),
                name: tag.into(),
                draft,
                prerelease: false,
                target_commitish: None,
                assets: Vec::new(),
            });
            if immutable {
                w.wiring.immutable_releases.insert(id);
            }
            id
        })
    }

    pub fn set_enterprise_version(&self, version: &str) {
        self.with(|w| w.wiring.enterprise_version = Some(version.into()));
    }
}

/// The routes of this file, merged into the fake's router.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/rate_limit", get(rate_limit))
        .route("/meta", get(meta))
        .route("/repos/{owner}/{repo}", get(repository))
        .route(
            "/repos/{owner}/{repo}/actions/workflows",
            get(list_workflows),
        )
        .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}

async fn rate_limit(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token != format!("Bearer {SECRET}") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        )
            .into_response();
    }
    let world = lock(&shared);
    let used = world.log.iter().filter(|l| l.status != 304).count() as u64;
    let core = json!({
        "limit": 5000,
        "remaining": world.wiring.rate_remaining.unwrap_or(5000u64.saturating_sub(used)),
        "reset": 4_102_444_800u64,
        "used": used,
    });
    Json(json!({"resources": {"core": core}, "rate": core})).into_response()
}

async fn meta(State(shared): State<Shared>) -> Response {
    let world = lock(&shared);
    let mut answer = json!({"verifiable_password_authentication": false});
    if let Some(version) = &world.wiring.enterprise_version {
        answer["installed_version"] = json!(version);
    }
    Json(answer).into_response()
}

async fn repository(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&shared);
    let name = format!("{owner}/{repo}");
    if !world.repos.contains_key(&name) {
        return not_found();
    }
    let meta = world.wiring.meta.get(&name).cloned().unwrap_or_default();
    let mut answer = json!({
        "full_name": name,
        "default_branch": meta.default_branch,
        "archived": meta.archived,
    });
    if let Some(push) = meta.push {
        answer["permissions"] =
            json!({"admin": false, "maintain": false, "push": push, "triage": push, "pull": true});
    }
    Json(answer).into_response()
}

async fn list_workflows(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&shared);
    let name = format!("{owner}/{repo}");
    let Some(known) = world.repos.get(&name) else {
        return not_found();
    };
    let workflows: Vec<Value> = known
        .workflows
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let state = world
                .wiring
                .workflow_states
                .get(&(name.clone(), w.file.clone()))
                .map_or("active", String::as_str);
            json!({
                "id": 1000 + index,
                "name": w.file,
                "path": workflow_path(&w.file),
                "state": state,
            })
        })
        .collect();
    Json(json!({"total_count": workflows.len(), "workflows": workflows})).into_response()
}

async fn contents(
    State(shared): State<Shared>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&shared);
    let name = format!("{owner}/{repo}");
    let git_ref = query.get("ref").cloned().unwrap_or_else(|| {
        world.wiring.meta.get(&name).map_or_else(
            || RepoMeta::default().default_branch,
            |m| m.default_branch.clone(),
        )
    });
    let Some(text) = world.wiring.files.get(&(name, git_ref, path.clone())) else {
        return not_found();
    };
    // GitHub breaks the base64 text into lines.
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(60)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    Json(json!({
        "type": "file",
        "encoding": "base64",
        "path": path,
        "name": path.rsplit('/').next().unwrap_or(&path),
        "content": wrapped.join("\n") + "\n",
    }))
    .into_response()
}
