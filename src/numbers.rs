//! Numbers as every output writes them for people: `10,000 entries`, `1,234 jobs`, a noun
//! that agrees with its number.

/// `9997` as `9,997`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "1 job", "6 jobs", "10,000 problems": a number and a noun that agrees with it.
pub fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", thousands(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(5000), "5,000");
        assert_eq!(thousands(65536), "65,536");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "job"), "1 job");
        assert_eq!(count(0, "note"), "0 notes");
        assert_eq!(count(10_000, "problem"), "10,000 problems");
    }
}
