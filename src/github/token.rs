//! The API token. It is read from the environment once and kept in a type whose `Debug`
//! and `Display` print `***`, so it cannot leak through an error, a log line or the journal;
//! the only way to the secret is [`Token::expose`], called where the client is built.
//! Making a token registers it with [`crate::secrets`], so should it come back in an
//! answer from GitHub, it is masked wherever relplan would print or journal it.

use std::fmt;

use crate::secrets;

/// Environment variables tried in order.
pub const TOKEN_VARIABLES: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Token {
        let secret = secret.into();
        secrets::register(&secret);
        Token(secret)
    }

    /// The first non-empty of `GITHUB_TOKEN`, `GH_TOKEN`, through `lookup` (the process
    /// environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Token> {
        TOKEN_VARIABLES
            .iter()
            .filter_map(|name| lookup(name))
            .map(|value| value.trim().to_string())
            .find(|value| !value.is_empty())
            .map(Token::new)
    }

    /// [`Token::from_lookup`] over the process environment.
    pub fn from_env() -> Option<Token> {
        Token::from_lookup(|name| std::env::var(name).ok())
    }

    /// The secret itself: only for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let token = Token::new("ghp_secret123");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(format!("{token}"), "***");
        assert_eq!(format!("{:?}", Some(token.clone())), "Some(Token(***))");
        assert_eq!(token.expose(), "ghp_secret123");
    }

    #[test]
    fn github_token_wins_and_empty_values_are_skipped() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = Token::from_lookup(env(&[("GITHUB_TOKEN", "a"), ("GH_TOKEN", "b")]));
        assert_eq!(both.map(|t| t.expose().to_string()), Some("a".into()));
        let gh = Token::from_lookup(env(&[("GITHUB_TOKEN", " "), ("GH_TOKEN", "b")]));
        assert_eq!(gh.map(|t| t.expose().to_string()), Some("b".into()));
        assert!(Token::from_lookup(env(&[])).is_none());
    }
}
