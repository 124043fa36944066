//! relplan: a declarative release-plan compiler and executor for releases that span several
//! repositories. See ARCHITECTURE.md for the pipeline and where each stage lives.

pub mod atomic_file;
pub mod backend;
pub mod cli;
pub mod compiled;
pub mod compiler;
pub mod dag;
pub mod diagnostic;
pub mod diff;
pub mod digest;
pub mod duration;
pub mod exec;
pub mod github;
pub mod github_names;
pub mod glob;
pub mod lower;
pub mod manifest;
pub mod placeholder;
pub mod plan_file;
pub mod plan_reader;
pub mod release_assets;
pub mod render;
pub mod run_error;
pub mod scenario;
pub mod schema;
pub mod simulate;
pub mod source;
pub mod suggest;
pub mod toml_reader;
pub mod validate;
