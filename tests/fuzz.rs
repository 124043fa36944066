//! No input may panic the compiler: random bytes, mutated real manifests and plans. And on
//! generated valid manifests, the lowered DAG keeps its invariants.

use std::path::Path;

use proptest::prelude::*;
use relplan::compile::Options;
use relplan::compile::{Compilation, Request, compile};

use crate::common::root;

fn compile_pair(plan: Option<&str>, versions: &str) -> Compilation {
    let request = Request {
        plan: plan.map(|_| "plan.toml".into()),
        versions: Some("versions.toml".into()),
        options: Options {
            owner: Some("acme".into()),
            ..Options::default()
        },
    };
    compile(&request, &mut |path: &Path| match path.to_str() {
        Some("plan.toml") => Ok(plan.unwrap_or_default().to_string()),
        _ => Ok(versions.to_string()),
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), "[\\[\\]{}=\",#\\n a-z0-9._-]{1,8}")
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_string();
    for m in mutations {
        let boundary = |s: &str, at: usize| {
            let mut at = at % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match m {
            Mutation::Delete(at, len) => {
                let start = boundary(&text, *at);
                let end = boundary(&text, (start + len).min(text.len()));
                text.replace_range(start..end, "");
            }
            Mutation::Insert(at, s) => {
                let at = boundary(&text, *at);
                text.insert_str(at, s);
            }
            Mutation::DuplicateLine(i) => {
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[i % lines.len()];
                    lines.insert(i % lines.len(), line);
                }
                text = lines.join("\n");
            }
            Mutation::SwapLines(a, b) => {
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let n = lines.len();
                    lines.swap(a % n, b % n);
                }
                text = lines.join("\n");
            }
        }
    }
    text
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(versions in "\\PC{0,200}", plan in "\\PC{0,200}") {
        let _ = compile_pair(Some(&plan), &versions);
        let _ = compile_pair(None, &versions);
    }

    #[test]
    fn mutated_manifests_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let versions = apply(&read("tests/corpus/versions/blvm__cb7a509__versions.toml"), &mutations);
        let c = compile_pair(None, &versions);
        prop_assert!(c.plan.is_some() || c.diagnostics.has_errors());
    }

    #[test]
    fn mutated_plans_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let plan = apply(&read("plans/bitcoin-commons.toml"), &mutations);
        let c = compile_pair(Some(&plan), &read("plans/versions.toml"));
        prop_assert!(c.plan.is_some() || c.diagnostics.has_errors());
    }

    #[test]
    fn generated_manifests_lower_to_consistent_dags(
        requires in prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 0..4), 1..40)
    ) {
        let mut versions = String::from("[versions]\n");
        for (i, reqs) in requires.iter().enumerate() {
            let mut names: Vec<String> = if i == 0 { Vec::new() } else {
                reqs.iter().map(|r| format!("\"r{}=1.0.0\"", r.index(i))).collect()
            };
            names.sort();
            names.dedup();
            versions.push_str(&format!(
                "r{i} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", requires = [{}] }}\n",
                names.join(", ")
            ));
        }
        let c = compile_pair(None, &versions);
        let plan = c.plan.expect("a DAG of earlier requirements compiles");
        prop_assert_eq!(plan.jobs.len(), requires.len());
        for job in &plan.jobs {
            for need in &job.needs {
                prop_assert!(plan.job(need).unwrap().group < job.group);
            }
            prop_assert!(job.needs.is_empty() == (job.group == 0));
            prop_assert!(plan.groups[job.group].contains(&job.id));
        }
        let longest = plan.jobs.iter().map(|j| j.group + 1).max().unwrap();
        prop_assert_eq!(plan.groups.len(), longest);
        prop_assert_eq!(plan.critical_path.estimate_s, plan.critical_path.jobs.len() as u64 * 20 * 60);
        prop_assert_eq!(plan.critical_path.jobs.len(), plan.groups.len());
    }
}
