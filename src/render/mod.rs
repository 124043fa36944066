//! Ways to show a compiled plan: text for terminals, JSON for programs, Mermaid for GitHub,
//! DOT for Graphviz. Renderers only read the plan; they never fail.

pub mod dot;
pub mod mermaid;
pub mod text;

use crate::compiled::Trigger;

/// One-line description of how a job starts, shared by every human-readable output.
pub fn describe_trigger(trigger: Option<&Trigger>) -> String {
    match trigger {
        None => "built in: collect artifacts, SHA256SUMS, publish".into(),
        Some(Trigger::RepositoryDispatch { repo, event_type }) => {
            format!("repository_dispatch `{event_type}` to {repo}")
        }
        Some(Trigger::WorkflowDispatch {
            repo,
            workflow,
            git_ref,
            inputs,
        }) => {
            let mut text = format!("workflow_dispatch {repo}/{workflow} on {git_ref}");
            if !inputs.is_empty() {
                let keys: Vec<&str> = inputs.keys().map(String::as_str).collect();
                text.push_str(&format!(" (inputs: {})", keys.join(", ")));
            }
            text
        }
    }
}
