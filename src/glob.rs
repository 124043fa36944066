//! The two kinds of globs a plan holds, defined once for the compiler (which checks them)
//! and the backends (which match them).
//!
//! - A job's `publish` globs: `*` matches any run of characters (including none), `?`
//!   exactly one, everything else itself. They are matched against artifact and file names,
//!   which have no directories, so there is no `**` and `/` is an ordinary character.
//!   Backends use them to select what a job publishes (see `Backend::artifacts`).
//! - A job's `local.artifacts` globs ([`artifact_glob`]): paths relative to the build's
//!   worktree, where `*`, `?` and `[…]` stay within one path component, `**` spans any
//!   number of directories and `{a,b}` is either. They never leave the worktree: no
//!   absolute paths, no `..`.

/// True when `name` matches `pattern` as a whole.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Classic two-pointer wildcard matching with backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == '?' || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// True when any of `patterns` matches.
pub fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| matches(p, name))
}

/// A `local.artifacts` glob ready to match paths relative to the worktree (`/`-separated),
/// or why it is not one (for the compiler's diagnostic and the backend's error alike).
pub fn artifact_glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    if pattern.trim().is_empty() {
        return Err("is empty".into());
    }
    if pattern.starts_with('/') {
        return Err("is absolute; artifacts are relative to the build's worktree".into());
    }
    if pattern.split('/').any(|part| part == "..") {
        return Err("has a `..` component, which would leave the build's worktree".into());
    }
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|e| e.kind().to_string())
}

/// The directory below which every match of an artifact glob lies: its leading components
/// without glob syntax (`target/release` for `target/release/blvm-*`), so a backend walks
/// only that part of the worktree.
pub fn artifact_glob_base(pattern: &str) -> &str {
    let parts: Vec<&str> = pattern.split('/').collect();
    let (mut end, mut offset) = (0, 0);
    // The last component names files, never the directory to walk.
    for part in &parts[..parts.len() - 1] {
        if part.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        offset += part.len();
        end = offset;
        offset += 1;
    }
    &pattern[..end]
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", "anything"));
        assert!(matches("*", ""));
        assert!(matches("blvm-*-linux", "blvm-0.1.0-linux"));
        assert!(!matches("blvm-*-linux", "blvm-0.1.0-linux.sig"));
        assert!(matches("*.tar.gz", "a.tar.gz"));
        assert!(matches("v?", "v1"));
        assert!(!matches("v?", "v12"));
        assert!(matches("a*b*c", "aXbYbZc"));
        assert!(!matches("a*b*c", "aXbYbZ"));
        assert!(!matches("", "a"));
        assert!(matches("", ""));
    }
}

#[cfg(test)]
mod artifact_tests {
    use super::{artifact_glob, artifact_glob_base};

    #[test]
    fn stars_stay_within_a_directory() {
        let glob = artifact_glob("target/release/*").unwrap();
        assert!(glob.is_match("target/release/blvm"));
        assert!(!glob.is_match("target/release/deps/blvm.d"));
        let deep = artifact_glob("dist/**/*.tar.gz").unwrap();
        assert!(deep.is_match("dist/a.tar.gz"));
        assert!(deep.is_match("dist/x/y/a.tar.gz"));
        assert!(
            artifact_glob("out/{a,b}.txt")
                .unwrap()
                .is_match("out/b.txt")
        );
    }

    #[test]
    fn globs_never_leave_the_worktree() {
        assert_eq!(
            artifact_glob("/etc/passwd").unwrap_err(),
            "is absolute; artifacts are relative to the build's worktree"
        );
        assert_eq!(
            artifact_glob("target/../../x").unwrap_err(),
            "has a `..` component, which would leave the build's worktree"
        );
        assert_eq!(artifact_glob(" ").unwrap_err(), "is empty");
        assert_eq!(
            artifact_glob("a/[b").unwrap_err(),
            "unclosed character class; missing ']'"
        );
    }

    #[test]
    fn the_base_is_the_literal_directory_prefix() {
        assert_eq!(
            artifact_glob_base("target/release/blvm-*"),
            "target/release"
        );
        assert_eq!(artifact_glob_base("target/release/blvm"), "target/release");
        assert_eq!(artifact_glob_base("*.txt"), "");
        assert_eq!(artifact_glob_base("out.txt"), "");
        assert_eq!(artifact_glob_base("a/*/b/c"), "a");
    }
}
