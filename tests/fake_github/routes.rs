//! The fake GitHub's HTTP surface: the REST endpoints relplan calls, answered from the
//! [`World`], behind one middleware that injects faults, adds rate-limit headers and logs
//! every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

use relplan::digest::sha256_hex;

use super::world::{Asset, FaultKind, Logged, Release, TagTarget, World};

pub type Shared = Arc<Mutex<World>>;

pub fn lock(shared: &Shared) -> MutexGuard<'_, World> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/dispatches",
            post(repository_dispatch),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches",
            post(workflow_dispatch),
        )
        .route("/repos/{owner}/{repo}/actions/runs", get(list_runs))
        .route("/repos/{owner}/{repo}/actions/runs/{id}", get(get_run))
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/rerun-failed-jobs",
            post(rerun_failed_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/cancel",
            post(cancel_run),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/artifacts",
            get(list_artifacts),
        )
        .route(
            "/repos/{owner}/{repo}/actions/artifacts/{id}/zip",
            get(artifact_redirect),
        )
        .route("/blob/artifact/{id}", get(artifact_blob))
        .route("/blob/asset/{id}", get(asset_blob))
        .route("/repos/{owner}/{repo}/git/ref/tags/{*tag}", get(tag_ref))
        .route("/repos/{owner}/{repo}/git/tags/{sha}", get(tag_object))
        .route(
            "/repos/{owner}/{repo}/releases",
            get(list_releases).post(create_release),
        )
        .route("/repos/{owner}/{repo}/releases/{id}", patch(update_release))
        .route(
            "/repos/{owner}/{repo}/releases/{id}/assets",
            get(list_assets),
        )
        .route(
            "/repos/{owner}/{repo}/releases/assets/{id}",
            get(asset_redirect).delete(delete_asset),
        )
        .route(
            "/uploads/repos/{owner}/{repo}/releases/{id}/assets",
            post(upload_asset),
        )
        .merge(super::wiring::routes())
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            faults_and_log,
        ))
        .with_state(shared)
}

async fn faults_and_log(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, |p| p.to_string());
    let authorized = request.headers().contains_key(header::AUTHORIZATION);
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let fault = lock(&shared).take_fault(&method, &path);
    let mut response = match fault {
        None => next.run(request).await,
        Some(FaultKind::BadGatewayBefore) => StatusCode::BAD_GATEWAY.into_response(),
        Some(FaultKind::BadGatewayAfter) => {
            let _done = next.run(request).await;
            StatusCode::BAD_GATEWAY.into_response()
        }
        Some(FaultKind::SecondaryLimit(seconds)) => (
            StatusCode::FORBIDDEN,
            [(header::RETRY_AFTER, seconds.to_string())],
            Json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})),
        )
            .into_response(),
        Some(FaultKind::TooMany(seconds)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, seconds.to_string())],
        )
            .into_response(),
        Some(FaultKind::Exhausted(seconds)) => exhausted(
            (
                StatusCode::FORBIDDEN,
                Json(json!({"message": "API rate limit exceeded for user ID 1."})),
            )
                .into_response(),
            seconds,
        ),
        Some(FaultKind::LastRequest(seconds)) => exhausted(next.run(request).await, seconds),
        Some(FaultKind::Hang) => std::future::pending::<Response>().await,
        Some(FaultKind::EchoToken(status)) => echo_token(status, &authorization),
        Some(FaultKind::DropAfter) => drop_connection(next.run(request).await),
        Some(FaultKind::HangAfter) => {
            let done = next.run(request).await;
            hold(&shared, &method, &path, authorized, &done);
            std::future::pending::<Response>().await
        }
    };
    let mut world = lock(&shared);
    let counted = world.log.iter().filter(|l| l.status != 304).count();
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", 5000.into());
    if !headers.contains_key("x-ratelimit-remaining") {
        let remaining = 5000usize.saturating_sub(counted + 1);
        headers.insert("x-ratelimit-remaining", remaining.into());
        headers.insert("x-ratelimit-reset", 4_102_444_800u64.into());
    }
    world.log.push(Logged {
        method,
        path,
        status: response.status().as_u16(),
        authorized,
    });
    response
}

/// Marks an answer as the last one of the rate-limit window, which resets `seconds` from
/// now on the wall clock (as GitHub's `x-ratelimit-reset` is a Unix time).
fn exhausted(mut response: Response, seconds: u64) -> Response {
    let reset = jiff::Timestamp::now().as_second().unsigned_abs() + seconds;
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-remaining", 0.into());
    headers.insert("x-ratelimit-reset", reset.into());
    response
}

/// An error answer whose message repeats the request's credentials.
fn echo_token(status: u16, authorization: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let message = format!("Request refused by the gateway (Authorization: {authorization})");
    (status, Json(json!({ "message": message }))).into_response()
}

/// Records a request that was performed and will never be answered: in the log (it
/// happened) and among the held ones.
fn hold(shared: &Shared, method: &str, path: &str, authorized: bool, done: &Response) {
    let mut world = lock(shared);
    world.log.push(Logged {
        method: method.to_string(),
        path: path.to_string(),
        status: done.status().as_u16(),
        authorized,
    });
    world.held.push(format!("{method} {path}"));
}

/// An answer that breaks off after its first line: the server dropped the connection
/// before the client learnt the outcome (the status line says 200 whatever the real one
/// was, since a 204 would end the answer there).
fn drop_connection(_done: Response) -> Response {
    struct Broken;
    impl http_body::Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the fake dropped the connection",
            ))))
        }
    }
    Response::new(Body::new(Broken))
}

fn repo_name(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}")
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}

fn unprocessable(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"message": message})),
    )
        .into_response()
}

/// A JSON answer with an ETag; 304 when the request already has it.
fn conditional(headers: &HeaderMap, body: Value) -> Response {
    let text = body.to_string();
    let etag = format!("\"{}\"", &sha256_hex(text.as_bytes())[..16]);
    let known = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if known == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "application/json".into()),
        ],
        text,
    )
        .into_response()
}

/// `page`/`per_page` slicing as GitHub does it.
fn page<T: Clone>(items: &[T], query: &HashMap<String, String>) -> Vec<T> {
    let per_page: usize = query
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let page: usize = query
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect()
}

async fn repository_dispatch(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = lock(&shared);
    let name = repo_name(&owner, &repo);
    let Some(known) = world.repos.get(&name).cloned() else {
        return not_found();
    };
    let event = body["event_type"].as_str().unwrap_or_default().to_string();
    let Some(correlation) = body["client_payload"]["relplan"]["correlation_id"].as_str() else {
        return unprocessable("client_payload.relplan.correlation_id is missing");
    };
    for workflow in known
        .workflows
        .iter()
        .filter(|w| w.on_event.as_deref() == Some(event.as_str()))
    {
        world.start_run(&name, workflow, "repository_dispatch", correlation);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn workflow_dispatch(
    State(shared): State<Shared>,
    Path((owner, repo, file)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = lock(&shared);
    let name = repo_name(&owner, &repo);
    let details = body.get("return_run_details").and_then(Value::as_bool) == Some(true);
    if details && world.reject_run_details {
        return unprocessable("Invalid request.\n\n\"return_run_details\" is not a permitted key.");
    }
    let Some(workflow) = world
        .repos
        .get(&name)
        .and_then(|r| r.workflows.iter().find(|w| w.file == file))
        .cloned()
    else {
        return not_found();
    };
    let Some(correlation) = body["inputs"]["relplan_correlation_id"].as_str() else {
        return unprocessable("inputs.relplan_correlation_id is missing");
    };
    if body["inputs"]
        .as_object()
        .is_some_and(|inputs| inputs.values().any(|v| !v.is_string()))
    {
        return unprocessable("inputs must be strings");
    }
    let id = world.start_run(&name, &workflow, "workflow_dispatch", correlation);
    if details {
        Json(json!({
            "workflow_run_id": id,
            "run_url": format!("http://127.0.0.1:{}/repos/{name}/actions/runs/{id}", world.port),
            "html_url": format!("https://github.com/{name}/actions/runs/{id}"),
        }))
        .into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn list_runs(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let world = lock(&shared);
    let name = repo_name(&owner, &repo);
    let since = query
        .get("created")
        .and_then(|c| c.strip_prefix(">="))
        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
    // Newest first, like GitHub.
    let runs: Vec<Value> = world
        .runs
        .iter()
        .rev()
        .filter(|r| r.repo == name)
        .filter(|r| super::lag::listed(&world, r))
        .filter(|r| query.get("event").is_none_or(|e| *e == r.event))
        .filter(|r| {
            since.is_none_or(|since| {
                world
                    .timestamp(r.created_s)
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|created| created >= since)
            })
        })
        .map(|r| world.run_json(r))
        .collect();
    let total = runs.len();
    conditional(
        &headers,
        json!({"total_count": total, "workflow_runs": page(&runs, &query)}),
    )
}

async fn get_run(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
    headers: HeaderMap,
) -> Response {
    let world = lock(&shared);
    match world.run(id) {
        Some(run) => conditional(&headers, world.run_json(run)),
        None => not_found(),
    }
}

async fn rerun_failed_jobs(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
) -> Response {
    let mut world = lock(&shared);
    let Some(run) = world.run(id) else {
        return not_found();
    };
    let (status, conclusion) = world.run_state(run);
    if status != "completed" || conclusion.as_deref() == Some("success") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "This workflow run cannot be rerun."})),
        )
            .into_response();
    }
    let now = world.now_s;
    if let Some(run) = world.runs.iter_mut().find(|r| r.id == id) {
        run.attempt += 1;
        run.attempt_started_s = now;
        run.cancelled = false;
    }
    (StatusCode::CREATED, Json(json!({}))).into_response()
}

async fn cancel_run(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
) -> Response {
    let mut world = lock(&shared);
    let Some(run) = world.run(id) else {
        return not_found();
    };
    if world.run_state(run).0 == "completed" {
        return (
            StatusCode::CONFLICT,
            Json(json!({"message": "Cannot cancel a workflow run that is completed."})),
        )
            .into_response();
    }
    if let Some(run) = world.runs.iter_mut().find(|r| r.id == id) {
        run.cancelled = true;
    }
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

async fn list_artifacts(
    State(shared): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&shared);
    let Some(run) = world.run(id) else {
        return not_found();
    };
    let succeeded = world.run_state(run).1.as_deref() == Some("success");
    let artifacts: Vec<Value> = if succeeded {
        run.artifact_ids
            .iter()
            .filter_map(|a| world.artifacts.get(a).map(|art| (a, art)))
            .map(|(a, (_, name, zip, digest))| {
                json!({
                    "id": a,
                    "name": name,
                    "size_in_bytes": zip.len(),
                    "expired": false,
                    "digest": digest,
                    "archive_download_url": format!(
                        "http://127.0.0.1:{}/repos/{owner}/{repo}/actions/artifacts/{a}/zip",
                        world.port
                    ),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Json(json!({"total_count": artifacts.len(), "artifacts": page(&artifacts, &query)}))
        .into_response()
}

/// Storage lives on another host name (`localhost`), as on GitHub, so the client must not
/// send its token there.
fn redirect(port: u16, path: String) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("http://localhost:{port}{path}"))],
    )
        .into_response()
}

async fn artifact_redirect(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
) -> Response {
    let world = lock(&shared);
    if !world.artifacts.contains_key(&id) {
        return not_found();
    }
    redirect(world.port, format!("/blob/artifact/{id}"))
}

async fn artifact_blob(State(shared): State<Shared>, Path(id): Path<u64>) -> Response {
    match lock(&shared).artifacts.get(&id) {
        Some((_, _, zip, _)) => Body::from(zip.clone()).into_response(),
        None => not_found(),
    }
}

async fn asset_redirect(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
) -> Response {
    let world = lock(&shared);
    redirect(world.port, format!("/blob/asset/{id}"))
}

async fn asset_blob(State(shared): State<Shared>, Path(id): Path<u64>) -> Response {
    let world = lock(&shared);
    let asset = world
        .releases
        .iter()
        .flat_map(|r| &r.assets)
        .find(|a| a.id == id);
    match asset {
        Some(Asset {
            generated: Some(size),
            ..
        }) => Body::new(Generated::new(*size)).into_response(),
        Some(asset) => Body::from(asset.bytes.clone()).into_response(),
        None => not_found(),
    }
}

/// The body of a generated asset: [`super::world::generated_byte`]s made a chunk at a time
/// as they are sent.
struct Generated {
    sent: u64,
    size: u64,
}

impl Generated {
    const CHUNK: u64 = 64 << 10;

    fn new(size: u64) -> Generated {
        Generated { sent: 0, size }
    }
}

impl http_body::Body for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let len = (self.size - self.sent).min(Self::CHUNK);
        if len == 0 {
            return std::task::Poll::Ready(None);
        }
        let chunk: Vec<u8> = (self.sent..self.sent + len)
            .map(super::world::generated_byte)
            .collect();
        self.sent += len;
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(chunk)))))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.size - self.sent)
    }
}

async fn tag_ref(
    State(shared): State<Shared>,
    Path((owner, repo, tag)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&shared);
    let target = world
        .repos
        .get(&repo_name(&owner, &repo))
        .and_then(|r| r.tags.get(&tag));
    let object = match target {
        None => return not_found(),
        Some(TagTarget::Commit(sha)) => json!({"type": "commit", "sha": sha}),
        Some(TagTarget::Annotated { object, .. }) => json!({"type": "tag", "sha": object}),
    };
    Json(json!({"ref": format!("refs/tags/{tag}"), "object": object})).into_response()
}

async fn tag_object(
    State(shared): State<Shared>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&shared);
    let commit = world
        .repos
        .get(&repo_name(&owner, &repo))
        .into_iter()
        .flat_map(|r| r.tags.values())
        .find_map(|t| match t {
            TagTarget::Annotated { object, commit } if *object == sha => Some(commit.clone()),
            _ => None,
        });
    match commit {
        Some(commit) => {
            Json(json!({"sha": sha, "object": {"type": "commit", "sha": commit}})).into_response()
        }
        None => not_found(),
    }
}

async fn list_releases(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&shared);
    let name = repo_name(&owner, &repo);
    if !world.repos.contains_key(&name) {
        return not_found();
    }
    let releases: Vec<Value> = world
        .releases
        .iter()
        .rev()
        .filter(|r| r.repo == name)
        .map(|r| world.release_json(r))
        .collect();
    Json(page(&releases, &query)).into_response()
}

async fn create_release(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = lock(&shared);
    let name = repo_name(&owner, &repo);
    let Some(tag) = body["tag_name"].as_str().map(str::to_string) else {
        return unprocessable("tag_name is missing");
    };
    if world
        .releases
        .iter()
        .any(|r| r.repo == name && r.tag == tag && !r.draft)
    {
        return unprocessable("Validation Failed: tag_name already_exists");
    }
    let id = world.next_id();
    let release = Release {
        id,
        repo: name,
        tag,
        name: body["name"].as_str().unwrap_or_default().to_string(),
        draft: body["draft"].as_bool().unwrap_or(false),
        prerelease: body["prerelease"].as_bool().unwrap_or(false),
        target_commitish: body["target_commitish"].as_str().map(str::to_string),
        assets: Vec::new(),
    };
    let answer = world.release_json(&release);
    world.releases.push(release);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update_release(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = lock(&shared);
    let Some(release) = world.releases.iter_mut().find(|r| r.id == id) else {
        return not_found();
    };
    if let Some(draft) = body["draft"].as_bool() {
        release.draft = draft;
    }
    if let Some(prerelease) = body["prerelease"].as_bool() {
        release.prerelease = prerelease;
    }
    let release = release.clone();
    Json(world.release_json(&release)).into_response()
}

async fn list_assets(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&shared);
    let Some(release) = world.releases.iter().find(|r| r.id == id) else {
        return not_found();
    };
    let assets: Vec<Value> = release.assets.iter().map(|a| world.asset_json(a)).collect();
    Json(page(&assets, &query)).into_response()
}

async fn delete_asset(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
) -> Response {
    let mut world = lock(&shared);
    for release in &mut world.releases {
        release.assets.retain(|a| a.id != id);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn upload_asset(
    State(shared): State<Shared>,
    Path((_owner, _repo, id)): Path<(String, String, u64)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let mut world = lock(&shared);
    let Some(name) = query.get("name").cloned() else {
        return unprocessable("name is missing");
    };
    let asset_id = world.next_id();
    let Some(release) = world.releases.iter_mut().find(|r| r.id == id) else {
        return not_found();
    };
    if !release.draft {
        return unprocessable("Cannot upload assets to an immutable release.");
    }
    if release.assets.iter().any(|a| a.name == name) {
        return unprocessable("Validation Failed: name already_exists");
    }
    let asset = Asset::new(asset_id, &name, &body);
    release.assets.push(asset.clone());
    (StatusCode::CREATED, Json(world.asset_json(&asset))).into_response()
}
