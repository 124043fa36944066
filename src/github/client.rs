//! The HTTP client: octocrab, configured so it never retries anything by itself (its `retry`
//! feature is off, so a dispatch answered by a 502 is never silently sent twice), wrapped by
//! the one function that sends requests and reads GitHub's answers.
//!
//! octocrab's typed calls hide status codes and headers, and relplan needs them on every
//! answer (ETag, `retry-after`, `x-ratelimit-*`, the 200-vs-204 of `return_run_details`), so
//! every request goes through octocrab's raw `execute` and the bodies are read into the
//! small serde types of each operation's file. Downloads and uploads are streamed
//! ([`crate::github::transfer`]): an artifact is written to a file as it arrives and an
//! asset is read from its file as it is sent, so no body larger than a JSON answer is ever
//! held in memory. octocrab contributes the connection pool, TLS (rustls with ring, native
//! roots) and the base and upload URIs. The `Authorization` header is relplan's
//! ([`crate::github::auth`]): a token, or with a GitHub App the installation token of the
//! request's repository owner (or the App's JWT for the App's own endpoints), only ever
//! sent to those two hosts, never to the storage an artifact download redirects to.
//!
//! Policy, in one place:
//! - Reads ([`GitHub::get`], [`GitHub::get_cached`]) are retried: on 5xx, timeouts and lost
//!   connections with exponential backoff (1 s, 2 s, 4 s, … capped at 60 s), on 429 and
//!   secondary limits (403 with `retry-after` or GitHub's "secondary rate limit" message)
//!   after `retry-after` or, without it, at least a minute. A connection that cannot be
//!   made at all (refused, unknown host, TLS handshake) is tried [`CONNECT_ATTEMPTS`]
//!   times, then reported as [`GitHubError::Unreachable`] with its cause.
//! - Mutations ([`GitHub::send`]) are sent once. A rate-limit answer becomes
//!   [`GitHubError::Rejected`] (not performed, safe to resend after the wait); a 5xx, a
//!   timeout or a lost connection becomes [`GitHubError::Uncertain`] (look it up first).
//! - When an answer says `x-ratelimit-remaining: 0`, the next request of any kind waits
//!   until `x-ratelimit-reset`.
//! - Conditional reads keep the last ETag and body per URL; a 304 answer (which GitHub does
//!   not count against the rate limit) returns the kept body.
//! - A 401 to an App's installation token renews that token at once and sends the request
//!   once more with the new one, read or mutation: GitHub refused the first, so nothing
//!   happens twice. Any other 401 is [`GitHubError::Credentials`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::{OctoBody, Octocrab};

use crate::github::auth::{Auth, Lease, Scope, Signer};
use crate::github::clock::WallClock;
use crate::github::credentials::{Credentials, Identity};
use crate::github::error::GitHubError;
use crate::github::pacer::Pacer;
use crate::github::transfer::{self, Destination, FileBody, SaveError, Saved};

pub const DEFAULT_API_URL: &str = "https://api.github.com";
const API_VERSION: &str = "2022-11-28";
/// Largest JSON answer read into memory.
const MAX_JSON_BYTES: usize = 32 << 20;
const BACKOFF_CAP: Duration = Duration::from_secs(60);
/// GitHub's advice for a secondary limit without `retry-after`.
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// A read whose connection cannot be made (refused, unknown host, TLS) is tried this often
/// (1 s, then 2 s apart): such causes rarely pass within seconds, and the executor asks
/// again on its own terms.
pub const CONNECT_ATTEMPTS: u32 = 3;

/// The REST API root: an http or https URL, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiUrl(String);

impl Default for ApiUrl {
    /// github.com's.
    fn default() -> ApiUrl {
        ApiUrl(DEFAULT_API_URL.to_string())
    }
}

impl ApiUrl {
    /// `text` as an API root, or why it is not one (to follow "`text` is "): an http or
    /// https URL with a host, and no query or fragment.
    pub fn parse(text: &str) -> Result<ApiUrl, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "not an http(s) URL (its scheme is `{}`)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("not a URL with a host".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("not an API root (it has a query or a fragment)".into());
        }
        Ok(ApiUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where release assets are uploaded: uploads.github.com for github.com, the API host
    /// itself otherwise (GitHub Enterprise serves `/api/uploads` there).
    fn upload_root(&self) -> String {
        if self.0 == DEFAULT_API_URL {
            "https://uploads.github.com".into()
        } else {
            self.0.clone()
        }
    }

    /// An API path (`/repos/…`) as a full URL; full URLs are kept as they are.
    pub fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.0)
        }
    }
}

/// How the client is set up.
#[derive(Clone, Debug)]
pub struct GitHubConfig {
    pub api_url: ApiUrl,
    pub credentials: Credentials,
    /// The repositories a GitHub App's installation tokens are narrowed to (the plan's).
    pub scope: Scope,
    /// When tokens are due for renewal and what a JWT says; the system clock but in tests.
    pub clock: WallClock,
    /// One request (sending it and reading the whole answer) gives up after this long.
    pub request_timeout: Duration,
    /// The same for downloads and for uploads of more than a mebibyte.
    pub transfer_timeout: Duration,
    /// Reads are tried at most this often.
    pub read_attempts: u32,
    /// The release transaction is run at most this often when its answers are transient
    /// (see [`crate::github::release`]).
    pub release_attempts: u32,
    /// Largest artifact or asset download, in bytes.
    pub max_download_bytes: u64,
    pub pacer: Pacer,
}

impl GitHubConfig {
    pub fn new(api_url: ApiUrl, credentials: impl Into<Credentials>) -> GitHubConfig {
        GitHubConfig {
            api_url,
            credentials: credentials.into(),
            scope: Scope::default(),
            clock: WallClock::system(),
            request_timeout: Duration::from_secs(60),
            transfer_timeout: Duration::from_secs(30 * 60),
            read_attempts: 6,
            release_attempts: 6,
            max_download_bytes: 2 << 30,
            pacer: Pacer::default(),
        }
    }
}

/// Uploads larger than this get the transfer timeout.
const LARGE_UPLOAD_BYTES: u64 = 1 << 20;

/// What one exchange may take: bytes of answer, and time.
#[derive(Clone, Copy, Debug)]
struct Budget {
    bytes: u64,
    time: Duration,
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Empty when the body was saved elsewhere (`saved`).
    pub body: Bytes,
    /// What a download wrote to its destination, when the answer was a success.
    pub saved: Option<Saved>,
}

/// What a request sends (cloned to send it once more after a 401: bytes are small, files
/// are opened again).
#[derive(Clone)]
pub enum RequestBody<'a> {
    Bytes(Vec<u8>),
    /// The first `size` bytes of a file, streamed.
    File {
        path: &'a Path,
        size: u64,
    },
}

impl RequestBody<'_> {
    fn size(&self) -> u64 {
        match self {
            RequestBody::Bytes(bytes) => bytes.len() as u64,
            RequestBody::File { size, .. } => *size,
        }
    }
}

impl Reply {
    /// The body as JSON of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self, action: &str) -> Result<T, GitHubError> {
        serde_json::from_slice(&self.body).map_err(|e| GitHubError::Protocol {
            action: action.to_string(),
            detail: format!("the body is not the expected JSON: {e}"),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A conditional read: the body (fresh, or kept from an earlier answer when GitHub said 304).
#[derive(Debug)]
pub struct Cached {
    pub body: Bytes,
    /// False when GitHub answered 304 Not Modified.
    pub fresh: bool,
}

pub struct GitHub {
    octo: Octocrab,
    config: GitHubConfig,
    auth: Auth,
    etags: Mutex<HashMap<String, (String, Bytes)>>,
    /// Set when an answer said the rate limit is used up: the next request waits until then.
    reset_at: Mutex<Option<SystemTime>>,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What an answer means for whoever sent the request.
enum Verdict {
    Done(Reply),
    /// Not sent: there is no credential to send it with (the App's token could not be
    /// minted).
    Unsigned(GitHubError),
    /// Not performed; try again after this long.
    Limited(Duration),
    /// Server trouble; a read may be retried, a mutation is uncertain.
    Trouble(String),
    /// No connection could be made (nothing was sent): the cause.
    Unreachable(String),
    /// The answer is larger than allowed: asking again will not change that.
    TooLarge(u64),
}

impl GitHub {
    /// Sets the client up; must be called within a tokio runtime (the connection pool
    /// starts on it).
    pub fn new(config: GitHubConfig) -> Result<GitHub, GitHubError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GitHubError::Input {
                message: "the GitHub client was set up outside an async runtime".into(),
                help: "report this as a relplan bug".into(),
            });
        }
        let setup = |e: octocrab::Error| GitHubError::Input {
            message: format!(
                "cannot set up the GitHub client for `{}`: {e}",
                config.api_url.as_str()
            ),
            help: "pass an http(s) URL to --api-url or GITHUB_API_URL".into(),
        };
        let octo = Octocrab::builder()
            .base_uri(config.api_url.as_str())
            .map_err(setup)?
            .upload_uri(config.api_url.upload_root())
            .map_err(setup)?
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                API_VERSION.to_string(),
            )
            .build()
            .map_err(setup)?;
        let auth = Auth::new(
            config.credentials.clone(),
            config.scope.clone(),
            config.clock.clone(),
            [config.api_url.as_str(), &config.api_url.upload_root()],
        );
        Ok(GitHub {
            octo,
            config,
            auth,
            etags: Mutex::default(),
            reset_at: Mutex::default(),
        })
    }

    fn json_budget(&self) -> Budget {
        Budget {
            bytes: MAX_JSON_BYTES as u64,
            time: self.config.request_timeout,
        }
    }

    pub fn api_url(&self) -> &ApiUrl {
        &self.config.api_url
    }

    pub fn pacer(&self) -> &Pacer {
        &self.config.pacer
    }

    pub fn config(&self) -> &GitHubConfig {
        &self.config
    }

    /// Who relplan is on GitHub (never the secret).
    pub fn identity(&self) -> Identity {
        self.auth.credentials().identity()
    }

    /// A read, retried on trouble and rate limits; any 2xx or 3xx answer is returned,
    /// 404 as `Ok(None)`, other 4xx as [`GitHubError::Status`].
    pub async fn get(&self, action: &str, path: &str) -> Result<Option<Reply>, GitHubError> {
        self.read_as(Signer::Repository, action, path).await
    }

    /// [`GitHub::get`], signed by `signer`.
    pub(crate) async fn read_as(
        &self,
        signer: Signer,
        action: &str,
        path: &str,
    ) -> Result<Option<Reply>, GitHubError> {
        let budget = self.json_budget();
        self.read(signer, action, path, HeaderMap::new(), budget, None)
            .await
    }

    /// A read of a possibly large body (downloads), capped at the configured size: a
    /// successful answer's body goes to `destination` (its size and sha256 in
    /// [`Reply::saved`]), any other answer's (a redirect, an error) into [`Reply::body`].
    pub async fn download(
        &self,
        action: &str,
        url: &str,
        destination: Destination<'_>,
    ) -> Result<Option<Reply>, GitHubError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        let budget = Budget {
            bytes: self.config.max_download_bytes,
            time: self.config.transfer_timeout,
        };
        self.read(
            Signer::Repository,
            action,
            url,
            headers,
            budget,
            Some(destination),
        )
        .await
    }

    /// A conditional read: sends the ETag of the last answer for this URL, and on 304
    /// returns that answer's body again.
    pub async fn get_cached(&self, action: &str, path: &str) -> Result<Cached, GitHubError> {
        let url = self.config.api_url.url(path);
        let known = self.etags.lock().ok().and_then(|m| m.get(&url).cloned());
        let mut headers = HeaderMap::new();
        if let Some((etag, _)) = &known
            && let Ok(value) = http::HeaderValue::from_str(etag)
        {
            headers.insert(http::header::IF_NONE_MATCH, value);
        }
        let reply = self
            .read(
                Signer::Repository,
                action,
                &url,
                headers,
                self.json_budget(),
                None,
            )
            .await?
            .ok_or_else(|| GitHubError::Status {
                action: action.to_string(),
                status: 404,
                message: "not found".into(),
            })?;
        if reply.status == StatusCode::NOT_MODIFIED {
            return match known {
                Some((_, body)) => Ok(Cached { body, fresh: false }),
                None => Err(GitHubError::Protocol {
                    action: action.to_string(),
                    detail: "304 Not Modified to a request without If-None-Match".into(),
                }),
            };
        }
        if let Some(etag) = reply.header("etag")
            && let Ok(mut etags) = self.etags.lock()
        {
            etags.insert(url, (etag.to_string(), reply.body.clone()));
        }
        Ok(Cached {
            body: reply.body,
            fresh: true,
        })
    }

    async fn read(
        &self,
        signer: Signer,
        action: &str,
        path: &str,
        headers: HeaderMap,
        budget: Budget,
        destination: Option<Destination<'_>>,
    ) -> Result<Option<Reply>, GitHubError> {
        let url = self.config.api_url.url(path);
        let attempts = self.config.read_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let verdict = self
                .exchange(
                    signer,
                    Method::GET,
                    &url,
                    headers.clone(),
                    RequestBody::Bytes(Vec::new()),
                    budget,
                    destination,
                )
                .await;
            let wait = match verdict {
                Verdict::Done(reply) => {
                    return match reply.status.as_u16() {
                        200..=399 => Ok(Some(reply)),
                        404 | 410 => Ok(None),
                        status => Err(self.status_error(action, status, &reply)),
                    };
                }
                // The App's token could not be minted: the minting tried what it could
                // (an unreachable API three times), and asking again fails the same way.
                Verdict::Unsigned(error) if error.fails_every_request() => return Err(error),
                Verdict::Unsigned(error) => {
                    last = error.to_string();
                    backoff(attempt)
                }
                Verdict::Limited(wait) => {
                    last = "rate limited".into();
                    wait
                }
                Verdict::Trouble(detail) => {
                    last = detail;
                    backoff(attempt)
                }
                Verdict::TooLarge(cap) => return Err(too_large(action, cap)),
                Verdict::Unreachable(cause) if attempt >= CONNECT_ATTEMPTS.min(attempts) => {
                    return Err(self.unreachable(cause));
                }
                Verdict::Unreachable(cause) => {
                    last = cause;
                    backoff(attempt)
                }
            };
            if attempt < attempts {
                self.config.pacer.wait(wait).await;
            }
        }
        Err(GitHubError::Unavailable {
            action: action.to_string(),
            detail: format!("gave up after {attempts} attempts; last: {last}"),
        })
    }

    fn unreachable(&self, cause: String) -> GitHubError {
        GitHubError::Unreachable {
            api_url: self.config.api_url.as_str().to_string(),
            cause,
        }
    }

    /// A mutation, sent exactly once. JSON bodies go through [`GitHub::send_json`], files
    /// are streamed with [`RequestBody::File`].
    pub async fn send(
        &self,
        method: Method,
        action: &str,
        path: &str,
        content_type: &str,
        body: RequestBody<'_>,
    ) -> Result<Reply, GitHubError> {
        self.send_as(Signer::Repository, method, action, path, content_type, body)
            .await
    }

    /// [`GitHub::send`], signed by `signer`.
    async fn send_as(
        &self,
        signer: Signer,
        method: Method,
        action: &str,
        path: &str,
        content_type: &str,
        body: RequestBody<'_>,
    ) -> Result<Reply, GitHubError> {
        let url = self.config.api_url.url(path);
        let budget = if body.size() > LARGE_UPLOAD_BYTES {
            Budget {
                time: self.config.transfer_timeout,
                ..self.json_budget()
            }
        } else {
            self.json_budget()
        };
        let mut headers = HeaderMap::new();
        if let Ok(value) = http::HeaderValue::from_str(content_type) {
            headers.insert(http::header::CONTENT_TYPE, value);
        }
        headers.insert(http::header::CONTENT_LENGTH, body.size().into());
        match self
            .exchange(signer, method, &url, headers, body, budget, None)
            .await
        {
            Verdict::Done(reply) if reply.status.is_success() => Ok(reply),
            Verdict::Done(reply) => Err(self.status_error(action, reply.status.as_u16(), &reply)),
            // Not sent: no credential to send it with.
            Verdict::Unsigned(error) => Err(error),
            Verdict::Limited(retry_after) => Err(GitHubError::Rejected {
                action: action.to_string(),
                retry_after,
            }),
            Verdict::Trouble(detail) => Err(GitHubError::Uncertain {
                action: action.to_string(),
                detail,
            }),
            Verdict::TooLarge(cap) => Err(too_large(action, cap)),
            Verdict::Unreachable(cause) => Err(self.unreachable(cause)),
        }
    }

    pub async fn send_json(
        &self,
        method: Method,
        action: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Reply, GitHubError> {
        self.send_json_as(Signer::Repository, method, action, path, body)
            .await
    }

    /// [`GitHub::send_json`], signed by `signer`.
    pub(crate) async fn send_json_as(
        &self,
        signer: Signer,
        method: Method,
        action: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Reply, GitHubError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GitHubError::Input {
            message: format!("{action}: cannot encode the request: {e}"),
            help: "report this as a relplan bug".into(),
        })?;
        self.send_as(
            signer,
            method,
            action,
            path,
            "application/json",
            RequestBody::Bytes(bytes),
        )
        .await
    }

    /// One request signed by `signer` and its whole answer, classified. A 401 to an
    /// installation token renews it and sends the request once more
    /// ([`crate::github::auth`]). A successful answer's body goes to `destination` when
    /// there is one.
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &self,
        signer: Signer,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: RequestBody<'_>,
        budget: Budget,
        destination: Option<Destination<'_>>,
    ) -> Verdict {
        let lease = match self.auth.may_carry(url) {
            true => match self.auth.lease(self, signer, url).await {
                Ok(lease) => lease,
                Err(error) => return Verdict::Unsigned(error),
            },
            false => Lease::Anonymous,
        };
        let verdict = self
            .exchange_once(
                &lease,
                method.clone(),
                url,
                &headers,
                body.clone(),
                budget,
                destination,
            )
            .await;
        let refused =
            matches!(&verdict, Verdict::Done(reply) if reply.status == StatusCode::UNAUTHORIZED);
        if !refused {
            return verdict;
        }
        match self.auth.rejected(self, &lease).await {
            None => verdict,
            Some(Err(error)) => Verdict::Unsigned(error),
            Some(Ok(renewed)) => {
                self.exchange_once(&renewed, method, url, &headers, body, budget, destination)
                    .await
            }
        }
    }

    /// One request with the credential of `lease` and its whole answer, after any
    /// rate-limit wait a previous answer asked for, classified.
    #[allow(clippy::too_many_arguments)]
    async fn exchange_once(
        &self,
        lease: &Lease,
        method: Method,
        url: &str,
        headers: &HeaderMap,
        body: RequestBody<'_>,
        budget: Budget,
        destination: Option<Destination<'_>>,
    ) -> Verdict {
        let reset = self.reset_at.lock().ok().and_then(|mut r| r.take());
        if let Some(reset) = reset
            && let Ok(wait) = reset.duration_since(SystemTime::now())
        {
            self.config.pacer.wait(wait).await;
        }
        let mut request = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if let Some(token) = lease.token()
            && let Ok(mut value) =
                http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        {
            value.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let body = match body {
            RequestBody::Bytes(bytes) => OctoBody::from(bytes),
            RequestBody::File { path, size } => match FileBody::open(path, size) {
                Ok(file) => OctoBody::new(file),
                Err(e) => {
                    return Verdict::Trouble(format!("cannot read `{}`: {e}", path.display()));
                }
            },
        };
        let request = match request.body(body) {
            Ok(request) => request,
            Err(e) => return Verdict::Trouble(format!("cannot build the request: {e}")),
        };
        let sent = async {
            let response = self
                .octo
                .execute(request)
                .await
                .map_err(|e| failed_exchange(&e))?;
            let (parts, body) = response.into_parts();
            let (body, saved) = match destination {
                Some(destination) if parts.status.is_success() => {
                    let saved = transfer::save(body, destination, budget.bytes).await?;
                    (Bytes::new(), Some(saved))
                }
                _ => {
                    let cap = usize::try_from(budget.bytes)
                        .unwrap_or(MAX_JSON_BYTES)
                        .min(MAX_JSON_BYTES);
                    let body = http_body_util::Limited::new(body, cap)
                        .collect()
                        .await
                        .map_err(|e| {
                            NoAnswer::from(SaveError::Broken(format!("reading the answer: {e}")))
                        })?
                        .to_bytes();
                    (body, None)
                }
            };
            Ok::<Reply, NoAnswer>(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
                saved,
            })
        };
        let reply = match tokio::time::timeout(budget.time, sent).await {
            Err(_) => {
                return Verdict::Trouble(format!(
                    "no answer within {} s",
                    budget.time.as_secs_f64()
                ));
            }
            Ok(Err(NoAnswer::Save(SaveError::Broken(e)))) => return Verdict::Trouble(e),
            Ok(Err(NoAnswer::Save(SaveError::TooLarge(cap)))) => return Verdict::TooLarge(cap),
            Ok(Err(NoAnswer::Unreachable(cause))) => return Verdict::Unreachable(cause),
            Ok(Ok(reply)) => reply,
        };
        // An answer that used the last request of the window: the next request waits for
        // the reset. (A refusal carries its own wait in its verdict.)
        let last_of_window =
            reply.header("x-ratelimit-remaining") == Some("0") && reply.status.as_u16() < 400;
        if last_of_window
            && let Some(reset) = reset_time(&reply)
            && let Ok(mut slot) = self.reset_at.lock()
        {
            *slot = Some(reset);
        }
        classify(reply)
    }
}

/// Why an exchange got no whole answer.
enum NoAnswer {
    Save(SaveError),
    /// No connection could be made: the cause.
    Unreachable(String),
}

impl From<SaveError> for NoAnswer {
    fn from(error: SaveError) -> NoAnswer {
        NoAnswer::Save(error)
    }
}

/// A request that got no answer: unreachable when the connection could not be made (its
/// innermost cause: refused, unknown host, TLS), broken otherwise (it may have been sent).
fn failed_exchange(error: &octocrab::Error) -> NoAnswer {
    let mut connect = false;
    let mut cause = error.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect)
        {
            connect = true;
        }
        cause = e.to_string();
        source = e.source();
    }
    if connect {
        NoAnswer::Unreachable(cause)
    } else {
        NoAnswer::Save(SaveError::Broken(error.to_string()))
    }
}

fn classify(reply: Reply) -> Verdict {
    let status = reply.status.as_u16();
    let retry_after = reply
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let until_reset = || {
        reset_time(&reply).map(|reset| {
            reset
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::from_secs(1))
        })
    };
    let secondary = status == 403
        && (retry_after.is_some()
            || String::from_utf8_lossy(&reply.body)
                .to_ascii_lowercase()
                .contains("secondary rate limit"));
    let primary = status == 403 && reply.header("x-ratelimit-remaining") == Some("0");
    if status == 429 || secondary || primary {
        let wait = retry_after
            .or_else(|| primary.then(until_reset).flatten())
            .unwrap_or(SECONDARY_LIMIT_WAIT);
        return Verdict::Limited(wait);
    }
    if status >= 500 {
        return Verdict::Trouble(format!("GitHub answered {status}"));
    }
    Verdict::Done(reply)
}

fn reset_time(reply: &Reply) -> Option<SystemTime> {
    let seconds = reply
        .header("x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// 1 s, 2 s, 4 s, … capped.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(16)).min(BACKOFF_CAP)
}

fn too_large(action: &str, cap: u64) -> GitHubError {
    GitHubError::Protocol {
        action: action.to_string(),
        detail: format!("the answer is larger than the {cap} bytes allowed"),
    }
}

impl GitHub {
    /// The error of a 4xx answer: [`GitHubError::Credentials`] for a 401, saying whose
    /// credentials were refused, [`GitHubError::Status`] otherwise.
    fn status_error(&self, action: &str, status: u16, reply: &Reply) -> GitHubError {
        let message = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        if status != 401 {
            return GitHubError::Status {
                action: action.to_string(),
                status,
                message,
            };
        }
        let said = if message.is_empty() {
            String::new()
        } else {
            format!(" ({message})")
        };
        match self.identity() {
            Identity::Token => GitHubError::Credentials {
                message: format!(
                    "{action}: GitHub answered 401{said}: the token expired or was revoked"
                ),
                help: "export a valid token in GITHUB_TOKEN (or GH_TOKEN)".into(),
            },
            app @ Identity::App(_) => GitHubError::Credentials {
                message: format!("{action}: GitHub answered 401{said}: it refused {app}"),
                help: "check the App's id and private key (--app-id and --app-key, or RELPLAN_APP_ID and RELPLAN_APP_PRIVATE_KEY) and this machine's clock".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::token::Token;

    #[test]
    fn an_api_root_is_an_http_url_kept_without_its_trailing_slash() {
        let parsed = |text: &str| ApiUrl::parse(text).map(|url| url.as_str().to_string());
        assert_eq!(
            parsed("http://127.0.0.1:9"),
            Ok("http://127.0.0.1:9".into())
        );
        assert_eq!(
            parsed(" https://ghe.example/api/v3/ "),
            Ok("https://ghe.example/api/v3".into())
        );
        assert_eq!(
            parsed("ftp://ghe.example/api"),
            Err("not an http(s) URL (its scheme is `ftp`)".into())
        );
        assert_eq!(
            parsed("not a url"),
            Err("not a URL (relative URL without a base)".into())
        );
        assert_eq!(
            parsed("https://ghe.example/api?x=1"),
            Err("not an API root (it has a query or a fragment)".into())
        );
        assert_eq!(ApiUrl::default().as_str(), DEFAULT_API_URL);
        assert_eq!(
            ApiUrl::default().upload_root(),
            "https://uploads.github.com"
        );
    }

    #[test]
    fn a_refused_connection_is_unreachable_with_its_cause() {
        // Nothing listens on a port the test bound and released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let error = runtime.block_on(async {
            let url = format!("http://127.0.0.1:{port}");
            let mut config =
                GitHubConfig::new(ApiUrl::parse(&url).expect("an API root"), Token::new("t"));
            config.pacer = Pacer::scaled(0.0);
            let github = GitHub::new(config).expect("a client");
            let read = github.get("reading", "/repos/o/r").await;
            let sent = github
                .send(
                    Method::POST,
                    "sending",
                    "/repos/o/r",
                    "application/json",
                    RequestBody::Bytes(Vec::new()),
                )
                .await;
            (read.map(|_| ()), sent.map(|_| ()), github.pacer().waits())
        });
        let (read, sent, waits) = error;
        for result in [read, sent] {
            match result {
                Err(GitHubError::Unreachable { api_url, cause }) => {
                    assert_eq!(api_url, format!("http://127.0.0.1:{port}"));
                    assert!(cause.to_lowercase().contains("refused"), "{cause}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(waits, [Duration::from_secs(1), Duration::from_secs(2)]);
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
