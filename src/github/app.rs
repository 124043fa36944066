//! Authenticating as a GitHub App: its id, its private key, and the JWT that proves it.
//!
//! GitHub accepts an App's JWT (RS256, `iss` the App's id, issued a minute in the past to
//! allow for clock drift, expiring within ten minutes) on the App's own endpoints only:
//! finding an installation and minting its tokens ([`crate::github::installation`]). The
//! claims are those of octocrab's `create_jwt`, and the ids are octocrab's
//! [`AppId`]. octocrab's `create_jwt` itself sits behind its `jwt` feature, which pulls in
//! jsonwebtoken 10 with a crypto backend of its own: aws-lc-rs (a C build with cmake) or
//! RustCrypto (49 more crates, a minute and a half more of a clean build). relplan already
//! builds ring for TLS, so the key is read with rustls-pki-types' PEM reader, the
//! signature is ring's RSASSA-PKCS1-v1_5 with SHA-256, and the JWT is its three base64url
//! parts.
//!
//! The key registers itself with [`crate::secrets`] when it is read (the whole PEM and each
//! of its lines), and so does every JWT when it is made (it is a [`Token`]); [`AppKey`]'s
//! `Debug` prints `***`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use octocrab::models::AppId;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

use crate::github::error::GitHubError;
use crate::github::token::Token;
use crate::secrets;

/// How far in the past a JWT is issued (GitHub's advice against clock drift).
pub const JWT_BACKDATE: Duration = Duration::from_secs(60);
/// How long a JWT is valid from now (GitHub refuses more than ten minutes).
pub const JWT_LIFETIME: Duration = Duration::from_secs(9 * 60);

const KEY_HELP: &str =
    "use the private key (a .pem file) generated on the App's settings page, under Private keys";

/// A GitHub App: its id and private key.
#[derive(Clone, Debug)]
pub struct App {
    pub id: AppId,
    pub key: AppKey,
}

/// An App's RSA private key, ready to sign.
#[derive(Clone)]
pub struct AppKey(Arc<RsaKeyPair>);

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(***)")
    }
}

impl AppKey {
    /// The key in `pem` (PKCS#1 `RSA PRIVATE KEY`, as GitHub hands it out, or PKCS#8),
    /// registered as a secret; `origin` names where it came from in errors. A PEM whose
    /// line breaks were stored as `\n` (as some secret stores do) is read too.
    pub fn from_pem(pem: &str, origin: &str) -> Result<AppKey, GitHubError> {
        secrets::register(pem);
        let unescaped;
        let pem = if !pem.trim().contains('\n') && pem.contains("\\n") {
            unescaped = pem.replace("\\n", "\n");
            unescaped.as_str()
        } else {
            pem
        };
        register_key(pem);
        let refused = |why: String| GitHubError::Input {
            message: format!("{origin} is not a GitHub App private key: {why}"),
            help: KEY_HELP.into(),
        };
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| refused(format!("no private key in PEM form ({e})")))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs1(key) => RsaKeyPair::from_der(key.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(key) => RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()),
            _ => return Err(refused("not an RSA key".into())),
        }
        .map_err(|e| refused(format!("the RSA key is refused ({e})")))?;
        Ok(AppKey(Arc::new(pair)))
    }

    /// The key in the file at `path`.
    pub fn read(path: &std::path::Path) -> Result<AppKey, GitHubError> {
        let shown = format!("`{}`", path.display());
        let pem = fs_err::read_to_string(path).map_err(|e| GitHubError::Input {
            message: format!("cannot read the GitHub App key: {e}"),
            help: "check the path given to --app-key".into(),
        })?;
        AppKey::from_pem(&pem, &shown)
    }
}

/// Registers the key's PEM section and each line of its body as secrets, so that even a
/// part of it echoed somewhere is masked.
pub fn register_key(pem: &str) {
    let Some(begin) = pem.find("-----BEGIN") else {
        secrets::register(pem);
        return;
    };
    let section = &pem[begin..];
    secrets::register(section);
    for line in section.lines().filter(|l| !l.starts_with("-----")) {
        secrets::register(line);
    }
}

impl App {
    /// A JWT for the App, issued [`JWT_BACKDATE`] before `now` and expiring
    /// [`JWT_LIFETIME`] after it; registered as a secret.
    pub fn jwt(&self, now: SystemTime) -> Result<Token, GitHubError> {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "iat": now.saturating_sub(JWT_BACKDATE.as_secs()),
            "exp": now + JWT_LIFETIME.as_secs(),
            "iss": self.id,
        });
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let pair = &self.key.0;
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message.as_bytes(),
            &mut signature,
        )
        .map_err(|_| GitHubError::Input {
            message: format!("cannot sign a JWT for GitHub App {}", self.id),
            help: KEY_HELP.into(),
        })?;
        Ok(Token::new(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_no_rsa_key_is_refused_with_its_origin() {
        let err = AppKey::from_pem("not a key", "`key.pem`").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "`key.pem` is not a GitHub App private key: no private key in PEM form (no items found)"
        );
    }

    const TEST_KEY: &str = include_str!("../../tests/fixtures/test-app-key.pem");

    fn part(jwt: &str, index: usize) -> serde_json::Value {
        let part = jwt.split('.').nth(index).expect("three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    }

    #[test]
    fn the_jwt_is_rs256_signed_issued_a_minute_ago_and_lives_nine_minutes() {
        let key = AppKey::from_pem(TEST_KEY, "the test key").expect("the test key reads");
        assert_eq!(format!("{key:?}"), "AppKey(***)");
        let app = App { id: AppId(42), key };
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = app.jwt(now).expect("signed");
        let jwt = jwt.expose();
        assert_eq!(jwt.split('.').count(), 3);
        assert_eq!(
            part(jwt, 0),
            serde_json::json!({"alg": "RS256", "typ": "JWT"})
        );
        assert_eq!(
            part(jwt, 1),
            serde_json::json!({"iat": 1_699_999_940u64, "exp": 1_700_000_540u64, "iss": 42})
        );
        let (message, signature) = jwt.rsplit_once('.').expect("a signature");
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            app.key.0.public().as_ref(),
        );
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
        assert!(public.verify(message.as_bytes(), &signature).is_ok());
        let line = TEST_KEY.lines().nth(5).expect("a line of the key");
        assert_eq!(secrets::redact(line), secrets::MASK);
        assert_eq!(secrets::redact(jwt), secrets::MASK);
        assert_eq!(secrets::redact("TEST FIXTURE ONLY"), "TEST FIXTURE ONLY");
    }

    #[test]
    fn a_key_stored_with_escaped_line_breaks_is_read() {
        let escaped = TEST_KEY.replace('\n', "\\n");
        assert!(AppKey::from_pem(&escaped, "RELPLAN_APP_PRIVATE_KEY").is_ok());
    }
}
