//! What `apply`, `resume`, `retry` and `cancel` share: the connection flags (GitHub's of
//! `cli/github_client.rs`, the poll interval and list lag), the credentials a run needs
//! (checked there: of the kind it started with, a token or the same App), the backend
//! a run's settings name, starting a run in a fresh state directory (adoption first,
//! nothing written if it fails), driving an opened run with the executor, and what its
//! ending means as output and exit code, with the run's report appended to the step
//! summary.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use crate::backend::github::GitHubBackend;
use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::sim::SimBackend;
use crate::cli::github_client::{self, GitHubArgs};
use crate::cli::{Exit, output, step_summary};
use crate::compiled::CompiledPlan;
use crate::exec::backend::Backend;
use crate::exec::event::{BackendKind, Event, Settings};
use crate::exec::executor::{Ending, Executor};
use crate::exec::journal::Journal;
use crate::exec::machine::{JobState, Machine};
use crate::exec::progress::Progress;
use crate::exec::reporter::Reporter;
use crate::exec::view;
use crate::exec::{session, temp_dir};
use crate::github::error::Purpose;
use crate::github::{ApiUrl, Credentials, GitHub, GitHubError};
use crate::run_error::RunError;

/// The GitHub poll interval unless `--poll-interval` says otherwise.
const DEFAULT_POLL_S: u64 = 15;
/// How often the executor looks at the simulated world.
const SIM_POLL: Duration = Duration::from_millis(50);
/// How often the executor looks at GitHub (the backend spaces its polls itself).
const GITHUB_POLL: Duration = Duration::from_secs(1);
/// How often the executor looks at the local builds' folders.
const LOCAL_POLL: Duration = Duration::from_millis(200);

/// How to reach the backend: not part of the plan, so every command that drives a run
/// takes them, and a later one may change them (but for the kind of credentials, which a
/// run keeps: a token, or the GitHub App it started as).
#[derive(Debug, Default, clap::Args)]
pub struct ConnectionArgs {
    #[command(flatten)]
    pub github: GitHubArgs,
    /// GitHub: how often each repository's runs are polled while one runs, e.g. `2s`
    /// (default 15s; one conditional listing per repository, unchanged answers are not
    /// charged; a continued run keeps the one it last used).
    #[arg(long, value_name = "DURATION", value_parser = crate::compile::duration::parse_seconds)]
    poll_interval: Option<u64>,
    /// GitHub: how long a dispatched run may stay missing from GitHub's run lists (default
    /// 2m); an attempt whose run is not found is dispatched again only after that long.
    #[arg(long, value_name = "DURATION", value_parser = crate::compile::duration::parse_seconds)]
    list_lag: Option<u64>,
}

impl ConnectionArgs {
    /// The GitHub settings of a new run, authenticated as the GitHub App `app_id` or by a
    /// token (`None`): the journal keeps the App's id, never a secret.
    pub fn github(&self, app_id: Option<u64>) -> Result<BackendKind, RunError> {
        Ok(BackendKind::GitHub {
            api_url: self.api_url(None)?,
            poll_interval_s: self.poll_interval.unwrap_or(DEFAULT_POLL_S).max(1),
            app_id,
        })
    }

    /// `--api-url`, else `GITHUB_API_URL`, else `journaled`, else api.github.com.
    fn api_url(&self, journaled: Option<&str>) -> Result<String, RunError> {
        let url = match (self.github.given_api_url()?, journaled) {
            (Some(given), _) => given,
            (None, Some(journaled)) => journaled_api_url(journaled)?,
            (None, None) => ApiUrl::default(),
        };
        Ok(url.as_str().to_string())
    }

    /// The credentials this command gives for the run in `dir` of `settings`, which must be
    /// of the kind it started with ([`GitHubArgs::credentials_for_run`]); `None` for a
    /// simulated or local run. Refused, the help names `again`, the command to run with the right
    /// ones.
    pub fn credentials_for(
        &self,
        dir: &Path,
        settings: &Settings,
        again: &str,
    ) -> Result<Option<Credentials>, RunError> {
        match &settings.backend {
            BackendKind::GitHub { app_id, .. } => self
                .github
                .credentials_for_run(*app_id, dir, again)
                .map(Some),
            BackendKind::Sim { .. } | BackendKind::Local { .. } => Ok(None),
        }
    }

    /// The `Connection` event that gives a continued run the connection settings of this
    /// command, when they differ from those it last used; and tells the user.
    fn change(&self, machine: &Machine) -> Result<Option<Event>, RunError> {
        let BackendKind::GitHub {
            api_url,
            poll_interval_s,
            ..
        } = &machine.settings().backend
        else {
            return Ok(None);
        };
        let new_url = self.api_url(Some(api_url))?;
        let new_poll = self.poll_interval.map_or(*poll_interval_s, |p| p.max(1));
        if new_url == *api_url && new_poll == *poll_interval_s {
            return Ok(None);
        }
        let reporter = Reporter::stderr();
        if new_url != *api_url {
            reporter.note(&format!(
                "the run continues with the API at {new_url} (it used {api_url})"
            ));
        }
        if new_poll != *poll_interval_s {
            reporter.note(&format!(
                "the run continues with --poll-interval {new_poll}s (it used {poll_interval_s}s)"
            ));
        }
        Ok(Some(Event::Connection {
            api_url: new_url,
            poll_interval_s: new_poll,
            at: machine.settings().clock().now().max(machine.last_at()),
        }))
    }
}

/// The API root a run's settings name (checked when they were written; a journal of an
/// older relplan may hold anything).
fn journaled_api_url(text: &str) -> Result<ApiUrl, RunError> {
    ApiUrl::parse(text).map_err(|why| {
        RunError::new(format!("the run's API URL `{text}` is {why}"))
            .with_help("pass the REST API root with `--api-url URL`")
    })
}

/// Starts `plan` in `dir`, which has no journal: builds the backend (with `credentials`
/// for a GitHub run, which the caller resolved before anything was written), adopts what
/// it already holds, writes the journal, and drives the run.
pub fn start(
    dir: &Path,
    plan: &CompiledPlan,
    settings: Settings,
    connection: &ConnectionArgs,
    credentials: Option<Credentials>,
) -> Result<Exit, RunError> {
    let runtime = runtime()?;
    let reporter = Reporter::stderr();
    let adoption = reporter.group("relplan: adoption (what the backend already holds)");
    let (machine, journal, adopted) = match &settings.backend {
        BackendKind::Sim { .. } => {
            let mut backend = sim_backend(dir, &settings)?;
            runtime.block_on(session::start(dir, plan, settings.clone(), &mut backend))?
        }
        BackendKind::GitHub { .. } => {
            let _entered = runtime.enter();
            let mut backend = github_backend(
                dir,
                &settings,
                plan,
                reporter.clone(),
                connection,
                credentials.clone(),
            )?;
            runtime.block_on(session::start(dir, plan, settings.clone(), &mut backend))?
        }
        BackendKind::Local { .. } => {
            let mut backend = local_backend(dir, &settings, plan)?;
            runtime.block_on(session::start(dir, plan, settings.clone(), &mut backend))?
        }
    };
    // Shown inside the fold, with what the backend said while it looked.
    Progress::lines(reporter).event(&machine, &adopted);
    drop(adoption);
    drive_on(
        &runtime,
        dir,
        machine,
        journal,
        connection,
        credentials,
        Opened::Started,
    )
}

/// How the run reached the executor.
enum Opened {
    /// Just started (its adoption already shown).
    Started,
    /// Continued, after these events the command journaled itself (a retry, a cancel).
    Continued(Vec<Event>),
}

/// Continues the run opened in `dir`: the credentials and connection settings of this
/// command first (refused credentials stop it before anything is written; changed
/// settings are a `Connection` event), then the executor, as `resume`. `journaled` are
/// the events the command wrote itself, shown when the run continues.
pub fn resume(
    dir: &Path,
    machine: Machine,
    journal: Journal,
    connection: &ConnectionArgs,
    journaled: Vec<Event>,
) -> Result<Exit, RunError> {
    let credentials = to_continue(&machine, connection, dir)?;
    let runtime = runtime()?;
    drive_on(
        &runtime,
        dir,
        machine,
        journal,
        connection,
        credentials,
        Opened::Continued(journaled),
    )
}

/// Continues the run opened in `dir` to its end (or a pause, an interruption, a halt) and
/// returns how it ended with the machine's final state.
pub fn run_to_end(
    dir: &Path,
    mut machine: Machine,
    mut journal: Journal,
    connection: &ConnectionArgs,
    journaled: Vec<Event>,
) -> Result<(Ending, Machine), RunError> {
    if machine.is_finished() {
        let succeeded = machine.succeeded();
        return Ok((Ending::Finished { succeeded }, machine));
    }
    let credentials = to_continue(&machine, connection, dir)?;
    if let Some(change) = connection.change(&machine)? {
        journal.append(&change)?;
        machine.apply(&change);
    }
    let runtime = runtime()?;
    let opened = Opened::Continued(journaled);
    execute_on(
        &runtime,
        dir,
        machine,
        journal,
        connection,
        credentials,
        opened,
    )
}

/// The credentials that continue the run of `machine` (none are needed once it has
/// finished); refused, the help names `relplan resume`.
fn to_continue(
    machine: &Machine,
    connection: &ConnectionArgs,
    dir: &Path,
) -> Result<Option<Credentials>, RunError> {
    if machine.is_finished() {
        return Ok(None);
    }
    let again = format!("relplan resume --state-dir {}", dir.display());
    connection.credentials_for(dir, machine.settings(), &again)
}

fn drive_on(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    mut machine: Machine,
    mut journal: Journal,
    connection: &ConnectionArgs,
    credentials: Option<Credentials>,
    opened: Opened,
) -> Result<Exit, RunError> {
    let shown = dir.display().to_string();
    if machine.is_finished() {
        step_summary::append(&machine, &shown);
        return finished(&machine, &shown);
    }
    if let Some(change) = connection.change(&machine)? {
        journal.append(&change)?;
        machine.apply(&change);
    }
    let (ending, machine) = execute_on(
        runtime,
        dir,
        machine,
        journal,
        connection,
        credentials,
        opened,
    )?;
    step_summary::append(&machine, &shown);
    ending_exit(ending, &machine, &shown)
}

/// What an ending means for the user: the summary of a finished run, the next command
/// after a pause or an interruption, the error of a halt.
pub fn ending_exit(ending: Ending, machine: &Machine, shown: &str) -> Result<Exit, RunError> {
    match ending {
        Ending::Finished { .. } => finished(machine, shown),
        Ending::Paused => {
            eprintln!(
                "paused; running jobs have finished. Continue with `relplan resume --state-dir {shown}`"
            );
            Ok(Exit::Interrupted)
        }
        Ending::Interrupted => {
            eprintln!(
                "interrupted; jobs already running go on. Continue with `relplan resume --state-dir {shown}`"
            );
            Ok(Exit::Interrupted)
        }
        Ending::Halted { reason, help } => {
            let next = format!("continue with `relplan resume --state-dir {shown}`");
            Err(RunError::new(format!("the run stopped: {reason}"))
                .with_help(RunError::then(help.as_deref(), &next))
                .with_exit(Exit::Interrupted))
        }
    }
}

fn execute_on(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    machine: Machine,
    journal: Journal,
    connection: &ConnectionArgs,
    credentials: Option<Credentials>,
    opened: Opened,
) -> Result<(Ending, Machine), RunError> {
    let settings = machine.settings().clone();
    let clock = settings.clock();
    let progress = Progress::for_stderr(machine.job_count());
    match &settings.backend {
        BackendKind::Sim { .. } => {
            let backend = sim_backend(dir, &settings)?;
            let executor = Executor::new(machine, journal, backend, clock, dir, progress, SIM_POLL);
            execute(runtime, dir, executor, opened)
        }
        BackendKind::GitHub { .. } => {
            // The HTTP client starts its connection pool on the runtime.
            let _entered = runtime.enter();
            let reporter = progress.reporter();
            let backend = github_backend(
                dir,
                &settings,
                machine.plan(),
                reporter,
                connection,
                credentials,
            )?;
            let executor =
                Executor::new(machine, journal, backend, clock, dir, progress, GITHUB_POLL);
            execute(runtime, dir, executor, opened)
        }
        BackendKind::Local { .. } => {
            let backend = local_backend(dir, &settings, machine.plan())?;
            let executor =
                Executor::new(machine, journal, backend, clock, dir, progress, LOCAL_POLL);
            execute(runtime, dir, executor, opened)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::new(format!("cannot start the async runtime: {e}")))
}

fn sim_backend(dir: &Path, settings: &Settings) -> Result<SimBackend, RunError> {
    let BackendKind::Sim { scenario, .. } = &settings.backend else {
        return Err(RunError::new("not a simulated run"));
    };
    Ok(SimBackend::open(dir, settings.clock(), scenario.clone())?)
}

/// The GitHub backend of a run of `settings`, authenticated by `credentials` (an App's
/// tokens narrowed to the repositories `plan` touches): adoption, dispatches, watching and
/// the release all go through its one client.
fn github_backend(
    dir: &Path,
    settings: &Settings,
    plan: &CompiledPlan,
    reporter: Reporter,
    connection: &ConnectionArgs,
    credentials: Option<Credentials>,
) -> Result<GitHubBackend, RunError> {
    let BackendKind::GitHub {
        api_url,
        poll_interval_s,
        ..
    } = &settings.backend
    else {
        return Err(RunError::new("not a GitHub run"));
    };
    let credentials = credentials.ok_or(GitHubError::NoToken {
        purpose: Purpose::Release,
    })?;
    let api_url = journaled_api_url(api_url)?;
    let github = GitHub::new(github_client::config(plan, &api_url, credentials))?;
    let backend = GitHubBackend::new(
        github,
        settings.clock(),
        &plan.plan_hash,
        &plan.release.version,
        Duration::from_secs(*poll_interval_s),
        reporter,
        // Created by whoever takes the state directory's lock.
        &dir.join(temp_dir::TMP_DIR),
    );
    Ok(match connection.list_lag {
        Some(lag) => backend.with_list_lag(lag),
        None => backend,
    })
}

fn local_backend(
    dir: &Path,
    settings: &Settings,
    plan: &CompiledPlan,
) -> Result<LocalBackend, RunError> {
    let BackendKind::Local {
        workspace,
        git_base,
    } = &settings.backend
    else {
        return Err(RunError::new("not a local run"));
    };
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
    Ok(LocalBackend::new(config, settings.clock(), plan)?)
}

/// Runs `executor` until the run finishes, pauses, halts or is interrupted.
fn execute<B: Backend>(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    executor: Executor<B>,
    opened: Opened,
) -> Result<(Ending, Machine), RunError> {
    let shown = dir.display().to_string();
    let mut executor = match opened {
        Opened::Started => executor,
        Opened::Continued(journaled) => executor.announcing(journaled).continuing(),
    };
    let ending = runtime.block_on(async { executor.run(interruption()).await });
    match ending {
        Ok(ending) => Ok((ending, executor.machine().clone())),
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

/// The summary of a finished run on stdout, with the release's web page (and what did not
/// complete, with its run's page, then what to do next, on stderr); exit 0 only when every
/// job succeeded.
pub fn finished(machine: &Machine, shown: &str) -> Result<Exit, RunError> {
    let rows = view::rows(machine);
    let count = |state: JobState| rows.iter().filter(|r| r.state == state).count();
    let published = match (machine.published(), machine.release_url()) {
        (true, Some(url)) => format!(
            ", release {} published at {url}",
            machine.plan().release.tag
        ),
        (true, None) => format!(", release {} published", machine.plan().release.tag),
        (false, _) => String::new(),
    };
    let blocked = match count(JobState::Blocked) {
        0 => String::new(),
        n => format!(", {n} blocked"),
    };
    output::line(&format!(
        "{} succeeded, {} failed{blocked}, {} skipped, {} cancelled{published}; see `relplan status --state-dir {shown}`",
        count(JobState::Succeeded),
        count(JobState::Failed),
        count(JobState::Skipped),
        count(JobState::Cancelled),
    ))?;
    if machine.succeeded() {
        return Ok(Exit::Success);
    }
    let reporter = Reporter::stderr();
    for (i, row) in rows.iter().enumerate() {
        if let (JobState::Failed | JobState::Blocked, Some(last)) =
            (row.state, machine.run(i).attempts.last())
            && let Some(url) = last.link()
        {
            reporter.line(&format!(
                "{} {} (attempt {}) at {url}",
                row.id,
                row.state.as_str(),
                last.number
            ));
        }
    }
    if count(JobState::Blocked) > 0 {
        eprintln!(
            "help: fix what blocks the blocked jobs (their reason and help are in `relplan status --state-dir {shown}`), then `relplan retry --state-dir {shown}` continues the run"
        );
    } else if machine.retryable().next().is_some() {
        eprintln!(
            "help: `relplan retry --state-dir {shown}` continues the run from the jobs that did not complete; what succeeded is kept"
        );
    }
    Ok(Exit::Failure)
}
