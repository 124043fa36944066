//! "Did you mean …?" for names: keys, repositories, jobs, placeholders.

/// The candidate closest to `name`, if one is close enough to be a plausible typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// A help line suggesting the closest candidate, or `None` when nothing is close.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["blvm-consensus", "blvm-protocol", "blvm-node"];
        assert_eq!(closest("blvm-consensu", names), Some("blvm-consensus"));
        assert_eq!(closest("blvm-nod", names), Some("blvm-node"));
        assert_eq!(closest("governance", names), None);
        assert_eq!(closest("timout", ["timeout", "retries"]), Some("timeout"));
    }
}
