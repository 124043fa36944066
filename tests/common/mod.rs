//! Helpers shared by the integration tests: running the real binary, paths to inputs;
//! [`executor`] runs the executor in process, [`github`] helps the tests of the GitHub layer,
//! [`github_run`] is the release the GitHub executor tests drive, [`local`] makes git
//! repositories and plans for the tests of the local backend.

pub mod executor;
pub mod github;
pub mod github_run;
pub mod local;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root; tests run relplan from here so relative paths match the README.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn corpus(name: &str) -> PathBuf {
    root()
        .join("tests/corpus/versions")
        .join(format!("{name}__versions.toml"))
}

/// Runs the relplan binary with colour off, from the crate root.
pub fn relplan(args: &[&str]) -> Output {
    relplan_in(root(), args)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code of a run, showing its stdout and stderr when it is another.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}{}",
        stdout(output),
        stderr(output)
    );
}

/// Runs the relplan binary with colour off, from `dir` (for tests that need their own tree).
pub fn relplan_in(dir: &Path, args: &[&str]) -> Output {
    command(dir, args)
        .output()
        .expect("the relplan binary runs")
}

/// The relplan binary with `args`, run from `dir`, colour off, and no GitHub credentials,
/// API URL, step summary or CI flag from the environment of the tests.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relplan"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("RELPLAN_APP_ID")
        .env_remove("RELPLAN_APP_PRIVATE_KEY")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CI");
    command
}

/// Exit code, stdout and stderr in one text, for snapshots.
pub fn transcript(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        stdout(output),
        stderr(output)
    )
}
