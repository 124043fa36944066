//! A fake GitHub API for the tests of the GitHub layer: axum on 127.0.0.1 at a random
//! port, holding repositories with tags and workflows, runs that move from queued through
//! in_progress to completed as the test advances the fake clock (with scripted outcomes per
//! attempt), artifacts as real zips with digests behind redirecting downloads, releases with
//! drafts, uploads and publishing, ETags and rate-limit headers, injectable faults, run
//! lists that lag behind new runs ([`lag`]), a handle for tasks spawned beside the code
//! under test ([`handle`]), and a log of every request (for counting what the rate limit
//! would charge). [`wiring`] adds
//! what the preflight reads: repository metadata, workflow states and files per ref;
//! [`published`] releases made directly, for `relplan verify` and `compare`, with assets of
//! any size generated as they are served.

pub mod handle;
pub mod lag;
pub mod published;
pub mod routes;
pub mod wiring;
pub mod world;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use relplan::github::pacer::Pacer;
use relplan::github::{ApiUrl, GitHub, GitHubConfig, Token};

pub use world::{Fault, FaultKind, Logged, Release, Script, TagTarget, Workflow};

/// The token the tests give the client; it must never show up anywhere.
pub const SECRET: &str = "ghp_fakeSecretToken0123456789";

pub struct FakeGitHub {
    pub url: String,
    shared: routes::Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the fake GitHub binds a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let now = jiff::Timestamp::now().as_second();
        let shared: routes::Shared = Arc::new(Mutex::new(world::World {
            port,
            epoch: jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            ..Default::default()
        }));
        let app = routes::router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeGitHub {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            server,
        }
    }

    /// Reads or changes the world.
    pub fn with<T>(&self, f: impl FnOnce(&mut world::World) -> T) -> T {
        f(&mut routes::lock(&self.shared))
    }

    /// A client for this fake: the test token, no real waiting, short timeouts.
    pub fn client(&self) -> GitHub {
        self.client_with(|_| {})
    }

    /// [`FakeGitHub::client`], with `change` made to its configuration.
    pub fn client_with(&self, change: impl FnOnce(&mut GitHubConfig)) -> GitHub {
        let mut config = GitHubConfig::new(
            ApiUrl::resolve(Some(&self.url), |_| None),
            Token::new(SECRET),
        );
        config.pacer = Pacer::scaled(0.0);
        config.request_timeout = Duration::from_millis(500);
        config.transfer_timeout = Duration::from_millis(500);
        change(&mut config);
        GitHub::new(config).expect("a client for the fake")
    }

    /// A workflow; one that listens to an event type gets its file on the default branch.
    pub fn add_workflow(&self, repo: &str, workflow: Workflow) {
        self.wire_listener(repo, &workflow);
        self.with(|w| {
            w.repos
                .entry(repo.into())
                .or_default()
                .workflows
                .push(workflow)
        });
    }

    /// A workflow `build.yml` listening to `build-chain`, with this script.
    pub fn add_build(&self, repo: &str, script: Script) {
        self.add_workflow(
            repo,
            Workflow {
                file: "build.yml".into(),
                on_event: Some("build-chain".into()),
                script,
            },
        );
    }

    pub fn add_tag(&self, repo: &str, tag: &str, target: TagTarget) {
        self.with(|w| {
            w.repos
                .entry(repo.into())
                .or_default()
                .tags
                .insert(tag.into(), target)
        });
    }

    /// Fake time zero, for the `created` filter of run discovery.
    pub fn epoch(&self) -> jiff::Timestamp {
        self.with(|w| w.epoch)
    }

    /// Moves the fake clock one second forward every `period` of real time, until the
    /// returned task is aborted (or the test ends).
    pub fn run_clock(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                routes::lock(&shared).now_s += 1;
            }
        })
    }

    /// Moves the fake clock forward.
    pub fn advance(&self, seconds: u64) {
        self.with(|w| w.now_s += seconds);
    }

    pub fn fault(&self, method: &str, path_contains: &str, kind: FaultKind, times: u32) {
        self.with(|w| {
            w.faults.push(Fault {
                method: method.into(),
                path_contains: path_contains.into(),
                kind,
                times,
            })
        });
    }

    /// `METHOD path` of every request a [`FaultKind::HangAfter`] performed and holds.
    pub fn held(&self) -> Vec<String> {
        self.with(|w| w.held.clone())
    }

    pub fn log(&self) -> Vec<Logged> {
        self.with(|w| w.log.clone())
    }

    /// Requests matching `method` and a path containing `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.log()
            .iter()
            .filter(|l| l.method == method && l.path.contains(part))
            .count()
    }

    pub fn releases(&self) -> Vec<Release> {
        self.with(|w| w.releases.clone())
    }

    /// Runs of a repository, oldest first.
    pub fn run_ids(&self, repo: &str) -> Vec<u64> {
        self.with(|w| {
            w.runs
                .iter()
                .filter(|r| r.repo == repo)
                .map(|r| r.id)
                .collect()
        })
    }
}

/// A build job of `repo` triggered by `trigger`, publishing `publish`.
pub fn job(
    id: &str,
    repo: &str,
    trigger: relplan::compiled::Trigger,
    publish: &[&str],
) -> relplan::compiled::Job {
    relplan::compiled::Job {
        id: id.into(),
        kind: relplan::compiled::JobKind::Build,
        repo: repo.into(),
        git_ref: Some("v0.1.0".into()),
        commit: None,
        version: Some("0.1.0".into()),
        needs: Vec::new(),
        group: 0,
        trigger: Some(trigger),
        payload: Default::default(),
        timeout_s: 3600,
        retries: 1,
        estimate_s: 600,
        publish: publish.iter().map(|p| p.to_string()).collect(),
        local: None,
    }
}

/// `repository_dispatch` of `build-chain` to `repo`.
pub fn build_chain(repo: &str) -> relplan::compiled::Trigger {
    relplan::compiled::Trigger::RepositoryDispatch {
        repo: repo.into(),
        event_type: "build-chain".into(),
    }
}
