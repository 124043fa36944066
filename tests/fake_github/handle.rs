//! A handle on the fake's world for a task spawned beside the code under test: it can
//! wait for something to happen there (a run to appear) and act then (a cancel request).

use super::FakeGitHub;
use super::routes::{self, Shared};

/// The fake's world, shareable with a spawned task.
#[derive(Clone)]
pub struct Handle(Shared);

impl FakeGitHub {
    pub fn handle(&self) -> Handle {
        Handle(self.shared.clone())
    }
}

impl Handle {
    /// Waits until a run of `repo` exists.
    pub async fn run_of(&self, repo: &str) {
        while !routes::lock(&self.0).runs.iter().any(|r| r.repo == repo) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
