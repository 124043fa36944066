//! relplan: a declarative release-plan compiler and executor for releases that span several
//! repositories. See ARCHITECTURE.md for the pipeline and where each stage lives; the
//! modules below are grouped the way its code map is.

// Shared contracts: what every stage reads or produces.
pub mod bounds;
pub mod compiled;
pub mod correlation;
pub mod dag;
pub mod diagnostic;
pub mod digest;
pub mod findings;
pub mod glob;
pub mod markdown;
pub mod numbers;
pub mod release_assets;
pub mod run_error;
pub mod secrets;
pub mod snippet;
pub mod source;

// Compiling: manifest + plan → compiled plan.
pub mod compile;

// Showing and reviewing a compiled plan.
pub mod diff;
pub mod render;
pub mod schema;

// Generating the workflows that run a plan in GitHub Actions.
pub mod generate;

// Executing: the scheduler, the journal, the backends, and the simulation.
pub mod backend;
pub mod exec;
pub mod scenario;
pub mod simulate;

// Talking to GitHub, and checking before a release that its repositories are wired.
pub mod github;
pub mod preflight;

// Freezing what gets built: the manifest's commits from its tags.
pub mod pin;

// Checking a published release, and comparing two.
pub mod verify;

// Command line and output files.
pub mod atomic_file;
pub mod cli;
