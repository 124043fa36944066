//! Run lists that lag, as GitHub's do: a new run shows in `GET /repos/{o}/{r}/actions/runs`
//! only [`World::list_lag`] after it was created (in real time, so that it holds whatever
//! the fake clock does), while `GET /repos/{o}/{r}/actions/runs/{id}` sees it at once.

use std::time::Duration;

use super::FakeGitHub;
use super::world::{Run, World};

impl FakeGitHub {
    /// Keeps every new run out of run listings for `lag` after its creation.
    pub fn set_list_lag(&self, lag: Duration) {
        self.with(|w| w.list_lag = lag);
    }
}

/// Whether run listings show `run` yet.
pub fn listed(world: &World, run: &Run) -> bool {
    run.created.elapsed() >= world.list_lag
}
