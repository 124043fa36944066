//! GitHub's rules for owner and repository names, checked when a plan is compiled so that a
//! typo fails in review rather than at dispatch time.

/// A user or organisation: 1 to 39 ASCII letters, digits or hyphens.
pub fn is_owner(name: &str) -> bool {
    (1..=39).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A repository name: 1 to 100 ASCII letters, digits, `.`, `_` or `-`, and not `.` or `..`.
pub fn is_repository(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `name` or `owner/name`.
pub fn is_repository_path(text: &str) -> bool {
    match text.split_once('/') {
        Some((owner, name)) => is_owner(owner) && is_repository(name),
        None => is_repository(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_githubs_rules() {
        assert!(is_owner("BTCDecoded"));
        assert!(!is_owner("my org"));
        assert!(!is_owner(""));
        assert!(is_repository_path("blvm-commons"));
        assert!(is_repository_path("BTCDecoded/blvm.rs"));
        assert!(!is_repository_path("x/y/z"));
        assert!(!is_repository_path(""));
        assert!(!is_repository_path(".."));
    }
}
