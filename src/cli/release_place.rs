//! Where a run's release lands, as its backend puts it: a repository on GitHub, a folder of
//! the state directory for the sim backend (standing in for the repository) and the local
//! backend. The backends own their folders' layout and the report (`exec/report.rs`) may
//! not import them, so the commands that render the report tell it the place.

use std::path::Path;

use crate::backend::local::release_path;
use crate::backend::sim;
use crate::exec::event::BackendKind;
use crate::exec::machine::Machine;
use crate::exec::report::ReleasePlace;

/// Where the release of the run in `machine` is (or will be) published; `state_dir` as it
/// was given, so the folder reads as the user wrote it. `None` when the plan names no
/// release repository, or its tag cannot name a folder.
pub fn of<'a>(machine: &'a Machine, state_dir: &str) -> Option<ReleasePlace<'a>> {
    let release = &machine.plan().release;
    let folder = |path: &Path| format!("{}/", path.display());
    match &machine.settings().backend {
        BackendKind::GitHub { .. } => release.repo.as_deref().map(ReleasePlace::Repository),
        BackendKind::Sim { .. } => Some(ReleasePlace::Simulated {
            repo: release.repo.as_deref()?,
            folder: folder(
                &Path::new(state_dir)
                    .join(sim::RELEASE_DIR)
                    .join(&release.tag),
            ),
        }),
        BackendKind::Local { .. } => release_path(Path::new(state_dir), &release.tag)
            .ok()
            .map(|path| ReleasePlace::Folder(folder(&path))),
    }
}
