//! Helpers of the local-backend tests: a folder holding git repositories made on the spot
//! (each tagged `v1.0.0`, pinned in a `versions.toml`), a plan whose builds are small shell
//! commands, a workspace, and what the builds leave for the test to read.
//!
//! Builds write `out/<name>.txt` (`<job>@<commit>`) and append `<job> <attempt>` to
//! `runs.log` in the fixture's root, so a test can tell exactly which builds ran and how
//! often. Waits are on files the test or another build creates, never on the clock.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use relplan::backend::local::{LocalBackend, LocalConfig};
use relplan::compile::{Request, compile_from_disk};
use relplan::compiled::CompiledPlan;
use relplan::exec::backend::Clock;
use relplan::exec::event::{BackendKind, Settings};
use relplan::exec::executor::Ending;
use relplan::exec::journal::JournalError;
use relplan::exec::reporter::Reporter;
use serde_json::Value;

use crate::common::{command, executor, stderr, stdout};

/// One repository of the fixture: its name, what it requires and any further keys of its
/// `[repo.NAME]` table.
pub struct Repo {
    pub name: &'static str,
    pub requires: &'static [&'static str],
    pub extra: &'static str,
}

pub struct Fixture {
    pub root: tempfile::TempDir,
}

impl Fixture {
    /// The repositories (each in the workspace, or only under `remotes/` when `cloned`
    /// names it), their manifest and a plan publishing into `publish_to`, where each
    /// repository builds with `run(fixture, name)`.
    pub fn new(
        repos: &[Repo],
        publish_to: &str,
        cloned: &[&str],
        run: impl Fn(&Fixture, &str) -> String,
    ) -> Fixture {
        let fixture = Fixture {
            root: tempfile::tempdir().expect("a temporary folder"),
        };
        let mut versions = String::from("[versions]\n");
        let mut plan = format!(
            "[release]\nname = \"Fixture\"\nowner = \"acme\"\nversions = \"versions.toml\"\npublish_to = \"{publish_to}\"\n\n[defaults]\ntimeout = \"840h\"\n"
        );
        for repo in repos {
            let path = match cloned.contains(&repo.name) {
                true => fixture
                    .remotes()
                    .join("acme")
                    .join(format!("{}.git", repo.name)),
                false => fixture.workspace().join(repo.name),
            };
            let commit = make_repository(&path, repo.name);
            let requires: Vec<String> = repo
                .requires
                .iter()
                .map(|r| format!("\"{r}=1.0.0\""))
                .collect();
            versions.push_str(&format!(
                "{} = {{ version = \"1.0.0\", git_tag = \"v1.0.0\", git_commit = \"{commit}\", requires = [{}] }}\n",
                repo.name,
                requires.join(", ")
            ));
            plan.push_str(&format!(
                "\n[repo.{}]\nlocal = {{ run = '''{}''', artifacts = [\"out/*.txt\"] }}\n{}\n",
                repo.name,
                run(&fixture, repo.name),
                repo.extra
            ));
        }
        fs_err::write(fixture.root.path().join("versions.toml"), versions).unwrap();
        fs_err::write(fixture.plan(), plan).unwrap();
        fixture
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn plan(&self) -> PathBuf {
        self.path("plan.toml")
    }

    pub fn workspace(&self) -> PathBuf {
        self.path("ws")
    }

    pub fn remotes(&self) -> PathBuf {
        self.path("remotes")
    }

    pub fn state(&self) -> PathBuf {
        self.path("state")
    }

    /// The command that builds `name` normally: its output file and a line in `runs.log`.
    pub fn build(&self, name: &str) -> String {
        format!(
            "mkdir -p out && echo \"$RELPLAN_JOB@$RELPLAN_COMMIT\" > out/{name}.txt && {}",
            self.record()
        )
    }

    /// The shell command that appends `<job> <attempt>` to `runs.log`.
    pub fn record(&self) -> String {
        format!(
            "echo \"$RELPLAN_JOB $RELPLAN_ATTEMPT\" >> {}",
            self.path("runs.log").display()
        )
    }

    /// The builds that ran, in the order they recorded themselves.
    pub fn runs(&self) -> Vec<String> {
        fs_err::read_to_string(self.path("runs.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// `relplan ARGS` with the fixture's git base, run from its root.
    pub fn relplan(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the relplan binary runs")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = command(self.root.path(), args);
        command.env("RELPLAN_GIT_BASE", self.remotes());
        command
    }

    /// `relplan apply plan.toml --backend local` with the fixture's workspace and state.
    pub fn apply_args(&self) -> Vec<String> {
        [
            "apply",
            "plan.toml",
            "--backend",
            "local",
            "--workspace",
            "ws",
            "--state-dir",
            "state",
        ]
        .map(String::from)
        .to_vec()
    }

    pub fn compiled(&self) -> CompiledPlan {
        let c = compile_from_disk(&Request {
            plan: Some(self.plan()),
            ..Request::default()
        });
        c.plan
            .unwrap_or_else(|| panic!("the fixture's plan compiles: {:?}", c.diagnostics))
    }

    /// Applies (or resumes) the plan in process with a clock `speed` times the wall's (so
    /// retry backoffs pass quickly), stopping after `limit` journal writes.
    pub fn apply_in_process(
        &self,
        speed: f64,
        limit: Option<usize>,
    ) -> Result<Ending, JournalError> {
        let plan = self.compiled();
        let settings = Settings {
            backend: BackendKind::Local {
                workspace: self.workspace(),
                git_base: self.remotes().display().to_string(),
            },
            concurrency: None,
            fail_fast: false,
            seed: 1,
            origin_unix_ms: relplan::exec::backend::unix_ms(),
        };
        let state = self.state();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(executor::apply(
            &state,
            &plan,
            settings,
            limit,
            Reporter::memory(),
            |journaled, _reporter| {
                let clock = Clock {
                    speed,
                    ..journaled.clock()
                };
                let BackendKind::Local {
                    workspace,
                    git_base,
                } = &journaled.backend
                else {
                    panic!("a local run");
                };
                let config = LocalConfig {
                    state_dir: state.clone(),
                    workspace: workspace.clone(),
                    git_base: git_base.clone(),
                    supervisor: env!("CARGO_BIN_EXE_relplan").into(),
                };
                let plan = self.compiled();
                let backend =
                    LocalBackend::new(config, clock, &plan).expect("the local backend starts");
                (backend, clock)
            },
        ))
    }
}

/// A repository at `path` with one commit tagged `v1.0.0`; returns the commit.
fn make_repository(path: &Path, name: &str) -> String {
    let bare = path.extension().is_some_and(|e| e == "git");
    let work = match bare {
        true => path.with_extension("work"),
        false => path.to_path_buf(),
    };
    fs_err::create_dir_all(&work).unwrap();
    git(&work, &["init", "--quiet", "--initial-branch=main"]);
    fs_err::write(work.join("README"), format!("{name}\n")).unwrap();
    git(&work, &["add", "README"]);
    git(&work, &["commit", "--quiet", "-m", "first"]);
    git(&work, &["tag", "v1.0.0"]);
    if bare {
        let (from, to) = (work.display().to_string(), path.display().to_string());
        git(&work, &["clone", "--quiet", "--bare", &from, &to]);
    }
    git(&work, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Moves the tag `v1.0.0` of the workspace's `name` to a new commit.
pub fn move_tag(workspace: &Path, name: &str) {
    let repo = workspace.join(name);
    fs_err::write(repo.join("README"), "moved\n").unwrap();
    git(&repo, &["commit", "--quiet", "-am", "second"]);
    git(&repo, &["tag", "--force", "v1.0.0"]);
}

/// Runs git with a fixed identity; panics with its message when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=relplan",
            "-c",
            "user.email=relplan@example.com",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits until `path` exists (a build announcing itself); panics after a minute, which no
/// working build needs.
pub fn wait_for_file(path: &Path) {
    for _ in 0..6000 {
        if path.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("`{}` never appeared", path.display());
}

/// A shell command that creates `started`, then waits until `go` exists (for at most a
/// minute, so a failed test leaves no build behind for long).
pub fn announce_and_wait(started: &Path, go: &Path) -> String {
    format!("touch {} && {}", started.display(), wait_until(go))
}

/// A shell loop that waits until `path` exists, for at most a minute.
pub fn wait_until(path: &Path) -> String {
    format!(
        "i=0; while [ ! -e {} ] && [ $i -lt 3000 ]; do sleep 0.02; i=$((i+1)); done",
        path.display()
    )
}

/// The fixture of most tests: core, node (requires core) and sdk, building with `run`; core's table gets `extra`;
/// sdk is only under `remotes/`, so it is cloned.
pub fn three(extra: &'static str, run: impl Fn(&Fixture, &str) -> String) -> Fixture {
    let repo = |name, requires, extra| Repo {
        name,
        requires,
        extra,
    };
    Fixture::new(
        &[
            repo("core", &[], extra),
            repo("node", &["core"], ""),
            repo("sdk", &[], ""),
        ],
        "node",
        &["sdk"],
        run,
    )
}

/// The three repositories with their normal builds.
pub fn normal() -> Fixture {
    three("", |f, name| f.build(name))
}

pub fn status(f: &Fixture) -> Value {
    let out = f.relplan(&["status", "--state-dir", "state", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("status prints JSON")
}

pub fn job<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("no job {id} in {status}"))
}

pub fn states(status: &Value) -> Vec<(String, String, u64)> {
    status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap().to_string(),
                j["state"].as_str().unwrap().to_string(),
                j["attempts"].as_u64().unwrap(),
            )
        })
        .collect()
}

pub fn sorted(mut runs: Vec<String>) -> Vec<String> {
    runs.sort();
    runs
}

/// The release folder holds the three builds' files and a SHA256SUMS `sha256sum -c`
/// accepts; each file names the commit its build checked out.
pub fn assert_release(f: &Fixture) {
    let folder = f.state().join("release/v1.0.0");
    let mut names: Vec<String> = fs_err::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["SHA256SUMS", "core.txt", "node.txt", "sdk.txt"]);
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&folder)
        .output()
        .expect("sha256sum runs");
    assert!(check.status.success(), "{}", stdout(&check));
    for name in ["core", "sdk"] {
        let commit = git(&f.workspace().join(name), &["rev-parse", "v1.0.0^{commit}"]);
        let text = fs_err::read_to_string(folder.join(format!("{name}.txt"))).unwrap();
        assert_eq!(text, format!("{name}@{commit}"));
    }
}

/// No worktree is left in any clone: each lists only its own checkout.
pub fn assert_no_worktrees(f: &Fixture) {
    for name in ["core", "node", "sdk"] {
        let list = git(
            &f.workspace().join(name),
            &["worktree", "list", "--porcelain"],
        );
        assert_eq!(
            list.lines().filter(|l| l.starts_with("worktree ")).count(),
            1,
            "{name}: {list}"
        );
    }
}

/// The process `pid` has ended (gone, or a zombie waiting for its parent to reap it).
pub fn assert_gone(pid: &str) {
    let stat = Path::new("/proc").join(pid).join("stat");
    for _ in 0..500 {
        match fs_err::read_to_string(&stat) {
            Err(_) => return,
            Ok(text)
                if text
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z')) =>
            {
                return;
            }
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    panic!("process {pid} still runs");
}

/// The events of the fixture's journal, in order.
pub fn journal(f: &Fixture) -> Vec<Value> {
    fs_err::read_to_string(f.state().join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a journal line is JSON"))
        .collect()
}

/// Where in `events` the first `event` of `job` is.
pub fn position(events: &[Value], event: &str, job: &str) -> usize {
    events
        .iter()
        .position(|e| e["event"] == event && e["job"] == job)
        .unwrap_or_else(|| panic!("no {event} of {job} in the journal"))
}

/// `relplan apply` of the fixture, started in the background (output discarded).
pub fn spawn_apply(f: &Fixture) -> std::process::Child {
    let args = f.apply_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    f.command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the relplan binary starts")
}
