//! Numbers as every output writes them for people: `10,000 entries`, `1,234 jobs`, a noun
//! that agrees with its number, a long list named by its first few and counted after.

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

/// How many items a list on one line names before it counts the rest.
pub const NAMED: usize = 3;

/// `a`, `a and b`, `a, b and c`, or `a, b, c, … and 9,997 more` when there are more than
/// `shown`: a list of any length stays one short line. Only the items named are made.
pub fn few(items: impl ExactSizeIterator<Item = String>, shown: usize) -> String {
    let total = items.len();
    let names: Vec<String> = items.take(shown).collect();
    let rest = total - names.len();
    match (rest, names.split_last()) {
        (0, Some((last, []))) => last.clone(),
        (0, Some((last, init))) => format!("{} and {last}", init.join(", ")),
        (0, None) => String::new(),
        _ => format!("{}, … and {} more", names.join(", "), thousands(rest)),
    }
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

    #[test]
    fn a_long_list_is_named_by_its_first_few() {
        let items = |n: usize| {
            (0..n)
                .map(|i| format!("r{i}"))
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(few(items(0), 3), "");
        assert_eq!(few(items(1), 3), "r0");
        assert_eq!(few(items(2), 3), "r0 and r1");
        assert_eq!(few(items(3), 3), "r0, r1 and r2");
        assert_eq!(few(items(4), 3), "r0, r1, r2, … and 1 more");
        assert_eq!(few(items(10_003), 3), "r0, r1, r2, … and 10,000 more");
    }
}
