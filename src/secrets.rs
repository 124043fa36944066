//! The secrets of this process (the API token; later App keys and installation tokens),
//! and the one redaction every string passes before it leaves the process or reaches the
//! journal: the [`Reporter`](crate::exec::reporter::Reporter)'s lines, rendered
//! [`RunError`](crate::run_error::RunError)s, `status` output and every journal line.
//!
//! A secret can come back from anywhere: a proxy or a GitHub Enterprise front end that
//! echoes request headers into an error `message`, which relplan would otherwise copy into
//! its error, its log and the journal's `reason`. So the secret is not kept out of each
//! message one by one; every exit replaces it with `***`.
//!
//! A secret is registered where it enters the process ([`register`]; `Token` does it when
//! it is made). Values shorter than [`MIN_SECRET_LEN`] are not registered: they would mask
//! ordinary words, and no token GitHub issues is that short. Both the value and its JSON
//! escaping are replaced, so a key with newlines is masked inside a journal line too.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Shorter values are not treated as secrets.
pub const MIN_SECRET_LEN: usize = 8;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Masks `secret` in everything [`redact`] sees from now on, for the rest of the process.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let escaped = serde_json::to_string(secret)
        .map(|quoted| quoted[1..quoted.len() - 1].to_string())
        .unwrap_or_else(|_| secret.to_string());
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for form in [secret.to_string(), escaped] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so that a secret containing another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), MASK));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_everywhere_in_a_text() {
        register("ghs_unitTestSecret42");
        assert_eq!(
            redact("Bad credentials: token ghs_unitTestSecret42 (ghs_unitTestSecret42)"),
            "Bad credentials: token *** (***)"
        );
        assert!(matches!(redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_values_are_not_secrets() {
        register("abc");
        assert_eq!(redact("abc abcd"), "abc abcd");
    }

    #[test]
    fn the_json_escaped_form_is_masked_too() {
        let key = "-----BEGIN KEY-----\nunitTestKeyBody\n-----END KEY-----";
        register(key);
        let line = serde_json::to_string(&format!("echoed {key}")).unwrap();
        assert_eq!(redact(&line), "\"echoed ***\"");
        assert_eq!(redact(&format!("raw {key}")), "raw ***");
    }
}
