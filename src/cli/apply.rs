//! `relplan apply`: run a plan against a backend, journaled in a state directory. In a
//! directory without a journal it starts the run (on GitHub after the preflight, which
//! `--no-preflight` skips, and after adopting what the backend already holds for the
//! plan); in one with a journal of the same plan it continues that run, without repeating
//! the preflight (nor does `resume`).

use std::path::{Path, PathBuf};

use crate::backend::local::{DEFAULT_GIT_BASE, GIT_BASE_VARIABLE};
use crate::cli::Exit;
use crate::cli::drive::{self, ConnectionArgs};
use crate::cli::input::{BackendName, PlanArgs, compile_and_report};
use crate::cli::preflight;
use crate::cli::simulate::load_scenario;
use crate::cli::state_dir::StateDirArg;
use crate::compiled::parse_plan_hash;
use crate::exec::backend::unix_ms;
use crate::exec::event::{BackendKind, Settings};
use crate::exec::reporter::Reporter;
use crate::exec::{requests, session};
use crate::github::error::Purpose;
use crate::numbers::few;
use crate::run_error::RunError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    plan: PlanArgs,
    /// What runs the jobs: `sim` is a simulated world in scaled real time, `github` GitHub
    /// Actions, `local` this machine.
    #[arg(long, value_enum)]
    backend: BackendName,
    #[command(flatten)]
    state_dir: StateDirArg,
    /// Refuse (exit 4, nothing dispatched) unless the compiled plan has this hash
    /// (`sha256:<64 hex>`, or the 64 hex digits alone).
    #[arg(long, value_name = "HASH", value_parser = parse_plan_hash)]
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
    #[command(flatten)]
    connection: ConnectionArgs,
    /// GitHub: start a new run without the preflight checks (`relplan preflight`).
    #[arg(long)]
    no_preflight: bool,
    /// Local: the folder holding one git clone per repository (`DIR/<name>`); missing
    /// clones are cloned into it.
    #[arg(long, value_name = "DIR", required_if_eq("backend", "local"))]
    workspace: Option<PathBuf>,
}

pub fn run(mut args: Args) -> Result<Exit, RunError> {
    if args.scenario.is_some() && args.backend != BackendName::Sim {
        // A scenario decides outcomes only in the simulated world; ignoring it silently
        // would let a real run pass for the rehearsal of a failure.
        return Err(RunError::new("--scenario only applies to `--backend sim`")
            .with_help("leave --scenario out, or rehearse with `--backend sim --scenario FILE`")
            .with_exit(Exit::Usage));
    }
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
    let dir = &args.state_dir.state_dir;
    let new_run = !session::has_journal(dir);
    // A new run on GitHub needs its credentials before anything is written (its journal
    // says whether it authenticates as a GitHub App); a continued one is given them when it
    // continues, checked against those it started with.
    let credentials = match args.backend {
        BackendName::GitHub if new_run => Some(args.connection.github.required(Purpose::Release)?),
        BackendName::GitHub | BackendName::Sim | BackendName::Local => None,
    };
    let settings = Settings {
        backend: match args.backend {
            BackendName::Sim => BackendKind::Sim {
                speed: args.speed,
                scenario,
            },
            BackendName::GitHub => {
                let app_id = credentials.as_ref().and_then(|c| c.identity().app_id());
                args.connection.github(app_id)?
            }
            BackendName::Local => local_settings(args.workspace.as_deref())?,
        },
        concurrency: args.concurrency.map(|c| c as usize),
        fail_fast: args.fail_fast,
        seed,
        origin_unix_ms: unix_ms(),
    };
    if new_run {
        if let Some(credentials) = &credentials
            && !args.no_preflight
        {
            let api_url = args.connection.github.api_url()?;
            preflight::before_apply(&plan, &api_url, credentials.clone())?;
        }
        return drive::start(dir, &plan, settings, &args.connection, credentials);
    }
    let (machine, journal) = session::open_for_apply(dir, &plan)?;
    // Before the progress display starts: plain lines.
    let reporter = Reporter::stderr();
    reporter.note(&format!(
        "`{}` already holds a run of this plan; continuing it",
        dir.display()
    ));
    let ignored = ignored_settings(machine.settings(), &settings);
    if !ignored.is_empty() {
        reporter.note(&format!(
            "the run keeps the {} it started with, which this command sets otherwise; use another --state-dir to change {}",
            few(ignored.iter().map(|s| s.to_string()), ignored.len()),
            if ignored.len() == 1 { "it" } else { "them" },
        ));
    }
    requests::withdraw_pause(dir)?;
    drive::resume(dir, machine, journal, &args.connection, Vec::new())
}

/// The journaled settings of a local run: the workspace as an absolute path (a resumed run
/// may start elsewhere) and where missing clones come from. A workspace that is a file is
/// refused before anything is written: every build would be blocked on it.
fn local_settings(workspace: Option<&Path>) -> Result<BackendKind, RunError> {
    let Some(workspace) = workspace else {
        return Err(RunError::new("--backend local needs --workspace DIR")
            .with_help("give the folder that holds (or will hold) one clone per repository")
            .with_exit(Exit::Usage));
    };
    if workspace.exists() && !workspace.is_dir() {
        return Err(RunError::new(format!(
            "the workspace `{}` is a file, not a folder",
            workspace.display()
        ))
        .with_help("give --workspace the folder that holds (or will hold) one clone per repository")
        .with_exit(Exit::Usage));
    }
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

/// The settings of this command that differ from those the continued run keeps (all but
/// its time zero and the connection settings, which this command may change), named as the
/// user gives them.
fn ignored_settings(run: &Settings, given: &Settings) -> Vec<&'static str> {
    let mut ignored = Vec::new();
    match (&run.backend, &given.backend) {
        (
            BackendKind::Sim { speed, scenario },
            BackendKind::Sim {
                speed: given_speed,
                scenario: given_scenario,
            },
        ) => {
            if speed != given_speed {
                ignored.push("--speed");
            }
            if scenario != given_scenario {
                ignored.push("--scenario");
            }
        }
        (BackendKind::GitHub { .. }, BackendKind::GitHub { .. }) => {}
        (
            BackendKind::Local {
                workspace,
                git_base,
            },
            BackendKind::Local {
                workspace: given_workspace,
                git_base: given_git_base,
            },
        ) => {
            if workspace != given_workspace {
                ignored.push("--workspace");
            }
            if git_base != given_git_base {
                ignored.push(GIT_BASE_VARIABLE);
            }
        }
        _ => ignored.push("--backend"),
    }
    if run.concurrency != given.concurrency {
        ignored.push("--concurrency");
    }
    if run.fail_fast != given.fail_fast {
        ignored.push("--fail-fast");
    }
    ignored
}
