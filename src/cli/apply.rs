//! `relplan apply`: run a plan against a backend, journaled in a state directory. A new run
//! on GitHub starts with the preflight (`--no-preflight` skips it); one that continues a
//! journaled run does not repeat it, nor does `resume`. Also holds the part `resume`
//! shares: driving an opened run to its end and choosing the exit code.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use crate::backend::github::GitHubBackend;
use crate::backend::local::{DEFAULT_GIT_BASE, GIT_BASE_VARIABLE, LocalBackend, LocalConfig};
use crate::backend::sim::SimBackend;
use crate::cli::Exit;
use crate::cli::input::{BackendName, PlanArgs, compile_and_report};
use crate::cli::preflight;
use crate::cli::simulate::load_scenario;
use crate::compiled::CompiledPlan;
use crate::exec::backend::unix_ms;
use crate::exec::event::{BackendKind, Settings};
use crate::exec::executor::{Ending, Executor, PAUSE_FILE};
use crate::exec::journal::{Journal, journal_path};
use crate::exec::machine::Machine;
use crate::exec::progress::Progress;
use crate::exec::reporter::Reporter;
use crate::exec::session;
use crate::exec::temp_dir;
use crate::exec::view;
use crate::github::{ApiUrl, GitHub, GitHubConfig, GitHubError, Token};
use crate::run_error::RunError;

/// Where runs are kept unless --state-dir says otherwise.
pub const DEFAULT_STATE_DIR: &str = ".relplan";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// What runs the jobs: `sim` is a simulated world in scaled real time, `github` GitHub
    /// Actions, `local` this machine.
    #[arg(long, value_enum)]
    backend: BackendName,
    /// Directory of the run's journal, lock and (sim) world.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
    /// Refuse (exit 4, nothing dispatched) unless the compiled plan has this hash.
    #[arg(long, value_name = "HASH")]
    expect_hash: Option<String>,
    /// At most N jobs at once (default: unlimited).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: Option<u32>,
    /// Stop everything at the first job that fails for good.
    #[arg(long)]
    fail_fast: bool,
    /// Sim: how the simulated world behaves.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Sim: simulated seconds per real second.
    #[arg(long, value_name = "X", default_value_t = 60.0)]
    speed: f64,
    /// GitHub: the REST API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// GitHub: how often each repository's runs are polled while one runs, e.g. `2s`
    /// (one conditional listing per repository; unchanged answers are not charged).
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = crate::compile::duration::parse_seconds)]
    poll_interval: u64,
    /// GitHub: start a new run without the preflight checks (`relplan preflight`).
    #[arg(long)]
    no_preflight: bool,
    /// Local: the folder holding one git clone per repository (`DIR/<name>`); missing
    /// clones are cloned into it.
    #[arg(long, value_name = "DIR", required_if_eq("backend", "local"))]
    workspace: Option<PathBuf>,
}

pub fn run(mut args: Args) -> Result<Exit, RunError> {
    args.plan.require_local = args.backend == BackendName::Local;
    let Some(plan) = compile_and_report(&args.plan, "apply") else {
        return Ok(Exit::Failure);
    };
    if let Some(expected) = &args.expect_hash
        && *expected != plan.plan_hash
    {
        return Err(RunError::new(format!(
            "the plan's hash is {}, not the approved {expected}",
            plan.plan_hash
        ))
        .with_help(
            "review the plan again (`relplan compile`, `relplan diff`) and approve its current hash",
        )
        .with_exit(Exit::Refused));
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(
            RunError::new(format!("--speed {} is not a positive number", args.speed))
                .with_help("try --speed 60")
                .with_exit(Exit::Usage),
        );
    }
    let scenario = load_scenario(args.scenario.as_deref(), &plan)?;
    let seed = scenario.seed;
    let settings = Settings {
        backend: match args.backend {
            BackendName::Sim => BackendKind::Sim {
                speed: args.speed,
                scenario,
            },
            BackendName::GitHub => BackendKind::GitHub {
                api_url: ApiUrl::resolve(args.api_url.as_deref(), |name| std::env::var(name).ok())
                    .as_str()
                    .to_string(),
                poll_interval_s: args.poll_interval.max(1),
            },
            BackendName::Local => local_settings(args.workspace.as_deref())?,
        },
        concurrency: args.concurrency.map(|c| c as usize),
        fail_fast: args.fail_fast,
        seed,
        origin_unix_ms: unix_ms(),
    };
    if let BackendKind::GitHub { api_url, .. } = &settings.backend
        && !journal_path(&args.state_dir).exists()
    {
        before_new_github_run(&plan, api_url, args.no_preflight)?;
    }
    let (machine, journal, continued) =
        session::open_for_apply(&args.state_dir, &plan, settings.clone())?;
    if continued {
        // Before the progress display starts: plain lines.
        let reporter = Reporter::stderr();
        reporter.note(&format!(
            "`{}` already holds a run of this plan; continuing it",
            args.state_dir.display()
        ));
        let journaled = Settings {
            origin_unix_ms: settings.origin_unix_ms,
            ..machine.settings().clone()
        };
        if journaled != settings {
            reporter.note(
                "the run keeps the settings it started with (concurrency, fail-fast, scenario, speed); use another --state-dir to change them",
            );
        }
        let _ = fs_err::remove_file(args.state_dir.join(PAUSE_FILE));
    }
    drive(&args.state_dir, machine, journal)
}

/// The journaled settings of a local run: the workspace as an absolute path (a resumed run
/// may start elsewhere) and where missing clones come from.
fn local_settings(workspace: Option<&Path>) -> Result<BackendKind, RunError> {
    let Some(workspace) = workspace else {
        return Err(RunError::new("--backend local needs --workspace DIR")
            .with_help("give the folder that holds (or will hold) one clone per repository")
            .with_exit(Exit::Usage));
    };
    let workspace = std::path::absolute(workspace).map_err(|e| {
        RunError::new(format!(
            "cannot use the workspace `{}`: {e}",
            workspace.display()
        ))
        .with_exit(Exit::Usage)
    })?;
    let git_base = std::env::var(GIT_BASE_VARIABLE)
        .ok()
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_GIT_BASE.to_string());
    Ok(BackendKind::Local {
        workspace,
        git_base,
    })
}

/// Before a new run on GitHub writes anything: the token is there, and (unless skipped) the
/// preflight passes; otherwise the run is refused.
fn before_new_github_run(
    plan: &CompiledPlan,
    api_url: &str,
    no_preflight: bool,
) -> Result<(), RunError> {
    let token = Token::from_env().ok_or(GitHubError::NoToken)?;
    if no_preflight {
        return Ok(());
    }
    preflight::before_apply(plan, &ApiUrl::resolve(Some(api_url), |_| None), token)
}

/// Runs an opened run until it finishes, pauses or is interrupted.
pub(super) fn drive(dir: &Path, machine: Machine, journal: Journal) -> Result<Exit, RunError> {
    let shown = dir.display().to_string();
    if machine.is_finished() {
        return Ok(finished(&machine, &shown));
    }
    let settings = machine.settings().clone();
    let clock = settings.clock();
    let progress = Progress::for_stderr(machine.job_count());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::new(format!("cannot start the async runtime: {e}")))?;
    match &settings.backend {
        BackendKind::Sim { scenario, .. } => {
            let backend = SimBackend::open(dir, clock, scenario.clone())?;
            let poll = Duration::from_millis(50);
            let executor = Executor::new(machine, journal, backend, clock, dir, progress, poll);
            execute(&runtime, dir, executor)
        }
        BackendKind::GitHub {
            api_url,
            poll_interval_s,
        } => {
            let token = Token::from_env().ok_or(GitHubError::NoToken)?;
            let config = GitHubConfig::new(ApiUrl::resolve(Some(api_url), |_| None), token);
            // The HTTP client starts its connection pool on the runtime.
            let _entered = runtime.enter();
            let github = GitHub::new(config)?;
            let plan = machine.plan();
            let temp_dir = temp_dir::ensure(dir).map_err(|e| {
                RunError::new(format!("cannot write in `{}`: {e}", dir.display()))
                    .with_help("check that the state directory is writable")
            })?;
            let backend = GitHubBackend::new(
                github,
                clock,
                &plan.plan_hash,
                &plan.release.version,
                Duration::from_secs(*poll_interval_s),
                progress.reporter(),
                &temp_dir,
            );
            let poll = Duration::from_secs(1);
            let executor = Executor::new(machine, journal, backend, clock, dir, progress, poll);
            execute(&runtime, dir, executor)
        }
        BackendKind::Local {
            workspace,
            git_base,
        } => {
            let supervisor = std::env::current_exe().map_err(|e| {
                RunError::new(format!(
                    "cannot find the relplan binary to supervise builds: {e}"
                ))
            })?;
            let config = LocalConfig {
                state_dir: dir.to_path_buf(),
                workspace: workspace.clone(),
                git_base: git_base.clone(),
                supervisor,
            };
            let backend = LocalBackend::new(config, clock, machine.plan(), progress.reporter())?;
            let poll = Duration::from_millis(200);
            let executor = Executor::new(machine, journal, backend, clock, dir, progress, poll);
            execute(&runtime, dir, executor)
        }
    }
}

/// Runs `executor` until the run finishes, pauses or is interrupted.
fn execute<B: crate::exec::backend::Backend>(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    mut executor: Executor<B>,
) -> Result<Exit, RunError> {
    let shown = dir.display().to_string();
    let ending = runtime.block_on(async { executor.run(interruption()).await });
    match ending {
        Ok(Ending::Finished { .. }) => Ok(finished(executor.machine(), &shown)),
        Ok(Ending::Paused) => {
            eprintln!(
                "paused; running jobs have finished. Continue with `relplan resume --state-dir {shown}`"
            );
            Ok(Exit::Interrupted)
        }
        Ok(Ending::Interrupted) => {
            eprintln!(
                "interrupted; jobs already running go on. Continue with `relplan resume --state-dir {shown}`"
            );
            Ok(Exit::Interrupted)
        }
        Err(e) => Err(RunError::new(format!("the journal could not be written: {e}"))
            .with_help(format!(
                "nothing was done after the last journaled step; fix the cause, then `relplan resume --state-dir {shown}`"
            ))),
    }
}

/// Ctrl-C (and, on Unix, SIGTERM, which CI runners send when a job is cancelled) as a
/// future, with the handlers installed before this returns, so a signal during the first
/// dispatches is caught, not fatal. Must be called inside the runtime.
#[cfg(unix)]
fn interruption() -> Pin<Box<dyn Future<Output = ()>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    Box::pin(async move {
        match (interrupt, terminate) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            (Ok(mut only), Err(_)) | (Err(_), Ok(mut only)) => {
                only.recv().await;
            }
            // No signal handling available: never interrupted.
            (Err(_), Err(_)) => std::future::pending::<()>().await,
        }
    })
}

/// Elsewhere: Ctrl-C, handled from the executor's first wait on.
#[cfg(not(unix))]
fn interruption() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}

fn finished(machine: &Machine, shown: &str) -> Exit {
    let rows = view::rows(machine);
    let count = |state: &str| rows.iter().filter(|r| r.state.as_str() == state).count();
    let published = if machine.published() {
        format!(", release {} published", machine.plan().release.tag)
    } else {
        String::new()
    };
    println!(
        "{} succeeded, {} failed, {} skipped, {} cancelled{published}; see `relplan status --state-dir {shown}`",
        count("succeeded"),
        count("failed"),
        count("skipped"),
        count("cancelled"),
    );
    if machine.succeeded() {
        Exit::Success
    } else {
        Exit::Failure
    }
}
