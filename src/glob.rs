//! The globs of a job's `publish` list: `*` matches any run of characters (including none),
//! `?` exactly one, everything else itself. They are matched against artifact and file
//! names, which have no directories, so there is no `**` and `/` is an ordinary character.
//! Backends use them to select what a job publishes (see `Backend::artifacts`).

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
