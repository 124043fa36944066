//! `--state-dir`, which every command that runs or reads a run takes the same way.

use std::path::PathBuf;

/// Where runs are kept unless --state-dir says otherwise.
pub const DEFAULT_STATE_DIR: &str = ".relplan";

#[derive(Debug, clap::Args)]
pub struct StateDirArg {
    /// Directory of the run: its journal, lock and backend files.
    #[arg(long = "state-dir", value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
}
