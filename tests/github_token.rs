//! The token never shows: not in the client's Debug output, not in errors, not in hints,
//! whatever GitHub answers.

use relplan::run_error::RunError;

use crate::common::github::attempt;
use crate::fake_github::{FakeGitHub, FaultKind, SECRET, Script, build_chain, job};

#[tokio::test]
async fn the_token_appears_in_no_debug_output_or_error() {
    let fake = FakeGitHub::start().await;
    fake.add_build("o/node", Script::default());
    let github = fake.client();
    let mut shown = vec![format!("{github:?}")];

    fake.fault("POST", "/dispatches", FaultKind::BadGatewayAfter, 1);
    fake.fault("GET", "/actions/runs", FaultKind::BadGatewayBefore, 100);
    let job = job("node", "o/node", build_chain("o/node"), &[]);
    for err in [
        github.dispatch(&attempt(&job, "cid")).await.err(),
        github
            .find_runs("o/node", "repository_dispatch", "cid", fake.epoch())
            .await
            .err(),
        github.observe_run("o/missing", 1).await.err(),
        github.resolve_tag("o/node", "v1", None).await.err(),
    ]
    .into_iter()
    .flatten()
    {
        let debug = format!("{err}\n{err:?}");
        shown.push(format!("{debug}\n{}", RunError::from(err).render()));
    }
    assert_eq!(shown.len(), 5, "every call failed: {shown:#?}");
    for text in &shown {
        assert!(!text.contains(SECRET), "the token leaked: {text}");
    }
    assert!(
        fake.log()
            .iter()
            .all(|l| l.authorized || l.path.starts_with("/blob/"))
    );
}
