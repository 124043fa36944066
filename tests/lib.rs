//! All integration tests build into this one binary (one link instead of many).
//! One file per feature.

mod common;

mod apply;
mod architecture;
mod check_cases;
mod compare;
mod compile;
mod crash;
mod diff;
mod docs;
mod fake_github;
mod fuzz;
mod generate;
mod github_app;
mod github_apply;
mod github_artifacts;
mod github_backend;
mod github_connection;
mod github_credentials;
mod github_dispatch;
mod github_download;
mod github_recovery;
mod github_release;
mod github_requests;
mod github_token;
mod github_watch;
mod local;
mod local_recovery;
mod pin;
mod preflight;
mod preflight_apply;
mod progress;
mod recovery;
mod run_errors;
mod run_links;
mod schedule;
mod simulate;
mod status;
mod verify;
