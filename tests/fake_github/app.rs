//! The fake GitHub's credentials, as GitHub checks them: plain tokens it accepts (the
//! test's [`SECRET`] until a test revokes it), and a GitHub App with installations on
//! accounts. The App's endpoints take its JWT, whose RS256 signature is verified with the
//! public key of the test key (tests/fixtures/test-app-key.pem) and whose times are
//! checked as GitHub does (issued in the past, expiring in the future, at most ten minutes
//! apart); installation tokens expire after a lifetime the test chooses, on the wall clock
//! or on the fake's own clock, and are refused outside their installation's repositories
//! (404) and beyond the permissions they were minted with (403). Every other request is
//! checked by [`authenticate`], a middleware in front of every route.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relplan::github::app::{App, AppKey};
use relplan::github::credentials::Credentials;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

use super::SECRET;
use super::routes::{Shared, lock};
use super::world::World;

/// The test App's id.
pub const APP_ID: u64 = 4242;

/// The test App's private key: a test fixture, belonging to no App on GitHub.
pub const TEST_KEY: &str = include_str!("../fixtures/test-app-key.pem");

/// The test App as relplan's credentials.
pub fn app_credentials() -> Credentials {
    Credentials::App(App {
        id: octocrab::models::AppId(APP_ID),
        key: AppKey::from_pem(TEST_KEY, "the test key").expect("the test key reads"),
    })
}

/// The lines of the test key's body, none of which may ever be shown or written.
pub fn key_lines() -> Vec<&'static str> {
    TEST_KEY
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

/// The test key's public half (PKCS#1 `RSAPublicKey`, DER), as GitHub keeps it.
fn public_key() -> &'static [u8] {
    static PUBLIC: OnceLock<Vec<u8>> = OnceLock::new();
    PUBLIC.get_or_init(|| {
        let Ok(PrivateKeyDer::Pkcs1(der)) = PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes())
        else {
            panic!("the test key is a PKCS#1 RSA key");
        };
        let pair =
            ring::signature::RsaKeyPair::from_der(der.secret_pkcs1_der()).expect("an RSA key");
        use ring::signature::KeyPair;
        pair.public_key().as_ref().to_vec()
    })
}

/// The clock tokens and JWTs are judged by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthClock {
    /// The wall clock, as GitHub's (for the binary, which reads the system clock).
    #[default]
    Wall,
    /// The fake's own clock ([`World::now_s`] after its epoch), which the tests hand the
    /// client too, so a token's life passes as fast as the fake's runs.
    Fake,
}

/// The App installed on an account.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: u64,
    pub account: String,
    /// Names (without the owner) it may act on; `None` is every repository of the account.
    pub repositories: Option<Vec<String>>,
    /// Permission name → `read` or `write`.
    pub permissions: BTreeMap<String, String>,
}

/// A token the fake minted.
#[derive(Clone, Debug)]
pub struct Issued {
    pub token: String,
    pub installation: u64,
    /// Full names it may act on.
    pub repositories: Vec<String>,
    pub permissions: BTreeMap<String, String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub revoked: bool,
}

/// A JWT the fake accepted, with its times and the fake's when it was seen.
#[derive(Clone, Debug)]
pub struct SeenJwt {
    pub jwt: String,
    pub iat: i64,
    pub exp: i64,
    pub now: i64,
}

/// What the fake knows about credentials.
#[derive(Debug)]
pub struct Auth {
    /// Plain tokens it accepts.
    pub tokens: Vec<String>,
    pub clock: AuthClock,
    pub installations: Vec<Installation>,
    /// How long a minted token lives.
    pub token_lifetime_s: i64,
    pub issued: Vec<Issued>,
    /// Every JWT accepted.
    pub jwts: Vec<SeenJwt>,
}

impl Default for Auth {
    fn default() -> Auth {
        Auth {
            tokens: vec![SECRET.into()],
            clock: AuthClock::Wall,
            installations: Vec::new(),
            token_lifetime_s: 3600,
            issued: Vec::new(),
            jwts: Vec::new(),
        }
    }
}

impl World {
    /// Now, in Unix seconds, on the clock credentials are judged by.
    pub fn auth_now(&self) -> i64 {
        match self.auth.clock {
            AuthClock::Wall => jiff::Timestamp::now().as_second(),
            AuthClock::Fake => self.epoch.as_second() + self.now_s as i64,
        }
    }
}

/// The App's routes, merged into the fake's router (the middleware checked the JWT).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/app", get(the_app))
        .route("/repos/{owner}/{repo}/installation", get(installation))
        .route("/app/installations/{id}/access_tokens", post(access_tokens))
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// Why a request's credentials are refused: the status and GitHub's message.
type Refusal = (StatusCode, &'static str);

/// Every request's credentials: the App's endpoints need a valid JWT, the rest a token
/// that is accepted, or an installation token that has not expired, is not revoked, covers
/// the repository and holds the permission the request needs. Requests without
/// credentials and downloads from storage pass as they are.
pub async fn authenticate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let Some(bearer) = bearer else {
        return next.run(request).await;
    };
    if path.starts_with("/blob/") {
        return next.run(request).await;
    }
    let for_app = path == "/app" || path.starts_with("/app/") || path.ends_with("/installation");
    let verdict = {
        let mut world = lock(&shared);
        if for_app {
            check_jwt(&mut world, &bearer)
        } else {
            check_token(&world, &bearer, &method, &path)
        }
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err((status, message)) => refused(status, message),
    }
}

fn check_jwt(world: &mut World, jwt: &str) -> Result<(), Refusal> {
    let bad = |message: &'static str| (StatusCode::UNAUTHORIZED, message);
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(bad("A JSON web token could not be decoded"));
    };
    let decode = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    if decode(header) != Some(json!({"alg": "RS256", "typ": "JWT"})) {
        return Err(bad("A JSON web token could not be decoded"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| bad("A JSON web token could not be decoded"))?;
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key(),
    );
    if key
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .is_err()
    {
        return Err(bad("A JSON web token could not be decoded"));
    }
    let claims = decode(claims).ok_or_else(|| bad("A JSON web token could not be decoded"))?;
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    if claims.get("iss").and_then(Value::as_u64) != Some(APP_ID) {
        return Err(bad("Integration not found"));
    }
    let (Some(iat), Some(exp)) = (number("iat"), number("exp")) else {
        return Err(bad(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ));
    };
    let now = world.auth_now();
    if iat > now {
        return Err(bad(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ));
    }
    if exp <= now {
        return Err(bad(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ));
    }
    if exp > now + 600 || exp - iat > 660 {
        return Err(bad(
            "'Expiration time' claim ('exp') is too far in the future",
        ));
    }
    world.auth.jwts.push(SeenJwt {
        jwt: jwt.to_string(),
        iat,
        exp,
        now,
    });
    Ok(())
}

fn check_token(world: &World, token: &str, method: &Method, path: &str) -> Result<(), Refusal> {
    let bad_credentials = || (StatusCode::UNAUTHORIZED, "Bad credentials");
    if world.auth.tokens.iter().any(|t| t == token) {
        return Ok(());
    }
    let issued = world
        .auth
        .issued
        .iter()
        .find(|i| i.token == token)
        .ok_or_else(bad_credentials)?;
    if issued.revoked || issued.expires_at <= world.auth_now() {
        return Err(bad_credentials());
    }
    let Some((repo, rest)) = repository_of(path) else {
        return Ok(());
    };
    if !issued.repositories.contains(&repo) {
        return Err((StatusCode::NOT_FOUND, "Not Found"));
    }
    let (permission, needed) = needed(method, &rest);
    let granted = issued
        .permissions
        .get(permission)
        .map_or(0, |level| level_of(level));
    if granted < needed {
        return Err((
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ));
    }
    Ok(())
}

/// `owner/name` and the rest of a repository path (`/repos/…` or `/uploads/repos/…`).
fn repository_of(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/uploads").unwrap_or(path);
    let rest = rest.strip_prefix("/repos/")?;
    let mut parts = rest.splitn(3, '/');
    let owner = parts.next()?;
    let name = parts.next()?;
    let tail = parts.next().map_or(String::new(), |t| format!("/{t}"));
    let tail = if path.starts_with("/uploads") {
        format!("/uploads{tail}")
    } else {
        tail
    };
    Some((format!("{owner}/{name}"), tail))
}

fn level_of(level: &str) -> u8 {
    match level {
        "write" | "admin" => 2,
        "read" => 1,
        _ => 0,
    }
}

/// The permission a request needs, as GitHub documents it for each endpoint.
fn needed(method: &Method, rest: &str) -> (&'static str, u8) {
    let write = if *method == Method::GET { 1 } else { 2 };
    if rest.is_empty() {
        ("metadata", 1)
    } else if rest == "/dispatches" || rest.starts_with("/uploads") {
        ("contents", 2)
    } else if rest.starts_with("/actions/") {
        ("actions", write)
    } else {
        // Tags, contents, releases and their assets.
        ("contents", write)
    }
}

async fn the_app() -> Response {
    Json(json!({"id": APP_ID, "slug": "relplan-test", "name": "relplan test"})).into_response()
}

fn installation_json(installation: &Installation) -> Value {
    json!({
        "id": installation.id,
        "account": {"login": installation.account},
        "permissions": installation.permissions,
        "repository_selection": if installation.repositories.is_some() { "selected" } else { "all" },
    })
}

async fn installation(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&shared);
    let found = world.auth.installations.iter().find(|i| {
        i.account == owner
            && i.repositories
                .as_ref()
                .is_none_or(|names| names.contains(&repo))
    });
    match found {
        Some(installation) if world.repos.contains_key(&format!("{owner}/{repo}")) => {
            Json(installation_json(installation)).into_response()
        }
        _ => refused(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn access_tokens(
    State(shared): State<Shared>,
    Path(id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    let mut world = lock(&shared);
    let Some(installation) = world
        .auth
        .installations
        .iter()
        .find(|i| i.id == id)
        .cloned()
    else {
        return refused(StatusCode::NOT_FOUND, "Not Found");
    };
    let owner = &installation.account;
    let all: Vec<String> = world
        .repos
        .keys()
        .filter_map(|full| full.strip_prefix(&format!("{owner}/")).map(str::to_string))
        .filter(|name| {
            installation
                .repositories
                .as_ref()
                .is_none_or(|names| names.contains(name))
        })
        .collect();
    let requested: Vec<String> = match body.get("repositories").and_then(Value::as_array) {
        Some(names) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => all.clone(),
    };
    if requested.iter().any(|name| !all.contains(name)) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is at least one repository that does not exist or is not accessible to the parent installation.",
        );
    }
    let permissions: BTreeMap<String, String> = match body.get("permissions") {
        Some(asked) => serde_json::from_value(asked.clone()).unwrap_or_default(),
        None => installation.permissions.clone(),
    };
    let exceeds = permissions.iter().any(|(name, level)| {
        level_of(level)
            > installation
                .permissions
                .get(name)
                .map_or(0, |granted| level_of(granted))
    });
    if exceeds {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The permissions requested are not granted to this installation.",
        );
    }
    let number = world.auth.issued.len() + 1;
    let token = format!("ghs_fakeInstallation{id}Token{number:08}");
    let expires_at = world.auth_now() + world.auth.token_lifetime_s;
    world.auth.issued.push(Issued {
        token: token.clone(),
        installation: id,
        repositories: requested
            .iter()
            .map(|name| format!("{owner}/{name}"))
            .collect(),
        permissions: permissions.clone(),
        expires_at,
        revoked: false,
    });
    let expires = jiff::Timestamp::from_second(expires_at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    (
        StatusCode::CREATED,
        Json(json!({
            "token": token,
            "expires_at": expires,
            "permissions": permissions,
            "repository_selection": "selected",
        })),
    )
        .into_response()
}
