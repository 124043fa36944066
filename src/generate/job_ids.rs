//! Plan job ids as GitHub Actions job ids. Actions allows letters, digits, `-` and `_`,
//! starting with a letter or `_`; plan ids may hold `/` (`blvm-consensus/verify`) and
//! more. Each plan id gets one workflow id, unique within the workflow, deterministically.

use std::collections::{BTreeMap, BTreeSet};

/// The workflow job id of each plan job id.
#[derive(Clone, Debug, Default)]
pub struct JobIds {
    ids: BTreeMap<String, String>,
}

impl JobIds {
    /// Assigns ids to `plan_ids` in order, never one of `reserved` (the workflow's own jobs).
    pub fn new<'a>(plan_ids: impl IntoIterator<Item = &'a str>, reserved: &[&str]) -> JobIds {
        let mut taken: BTreeSet<String> = reserved.iter().map(|r| r.to_string()).collect();
        let mut ids = BTreeMap::new();
        for plan_id in plan_ids {
            let base = sanitize(plan_id);
            let mut id = base.clone();
            let mut n = 2;
            while taken.contains(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            taken.insert(id.clone());
            ids.insert(plan_id.to_string(), id);
        }
        JobIds { ids }
    }

    /// The workflow id of a plan job (the plan job id itself when it was not assigned).
    pub fn get(&self, plan_id: &str) -> String {
        self.ids
            .get(plan_id)
            .cloned()
            .unwrap_or_else(|| sanitize(plan_id))
    }
}

/// Every character Actions does not allow becomes `-`; an id that does not start with a
/// letter or `_` gets a `job-` prefix.
pub fn sanitize(plan_id: &str) -> String {
    let id: String = plan_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match id.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => id,
        _ => format!("job-{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_and_keeps_ids_unique() {
        assert_eq!(sanitize("blvm-consensus/verify"), "blvm-consensus-verify");
        assert_eq!(sanitize("1st"), "job-1st");
        assert_eq!(sanitize(""), "job-");
        let ids = JobIds::new(["a/b", "a-b", "check-plan"], &["check-plan"]);
        assert_eq!(ids.get("a/b"), "a-b");
        assert_eq!(ids.get("a-b"), "a-b-2");
        assert_eq!(ids.get("check-plan"), "check-plan-2");
    }
}
