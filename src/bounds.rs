//! Every count a plan may hold has a bound, so that no input makes relplan (or the release
//! it drives) run for ever or exhaust memory. The compiler refuses plan files past them and
//! the loader of compiled plans refuses compiled plans past them. They are documented in
//! the README ("Bounds") and, where JSON Schema can say it, in `schema/*.schema.json`.
//!
//! Nesting needs no bound of its own: the TOML reader refuses values nested deeper than its
//! recursion limit, so nothing behind it recurses without end.

/// Further attempts of a job after its first (`retries`). A job failing this often needs a
/// fix, and with the doubling backoff (up to 10 minutes) 20 retries already wait 2 to 4 h.
pub const MAX_RETRIES: u32 = 20;

/// Longest `timeout` or `estimate`: GitHub ends a workflow run after 35 days.
pub const MAX_DURATION_S: u64 = 35 * 24 * 60 * 60;

/// Stages one repository may list (`stages`).
pub const MAX_STAGES: usize = 100;

/// Globs one job may list (`publish`).
pub const MAX_PUBLISH_GLOBS: usize = 100;

/// Globs one job may list in `local.artifacts`, as for `publish`.
pub const MAX_ARTIFACT_GLOBS: usize = 100;

/// Bytes of `local.run`: a command line, not a script (a script belongs in the repository).
pub const MAX_LOCAL_RUN_BYTES: usize = 64 * 1024;

/// Jobs in one plan (manifest entries and their stages, modules, steps, `release`): five
/// times the largest benchmarked manifest, which compiles in well under a second.
pub const MAX_JOBS: usize = 50_000;

/// GitHub accepts at most 10 top-level keys in `client_payload`; relplan uses one.
pub const MAX_PAYLOAD_KEYS: usize = 9;

/// GitHub accepts at most 25 workflow inputs; relplan adds `relplan_correlation_id`.
pub const MAX_WORKFLOW_INPUTS: usize = 24;

/// `client_payload` must stay under 64 KB; leave room for relplan's own key.
pub const MAX_PAYLOAD_BYTES: usize = 60 * 1024;
