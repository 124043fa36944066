//! Every workflow-run `status` and `conclusion` GitHub documents, mapped to what relplan
//! does with them. Only the `success` conclusion succeeds; `waiting` means a deployment
//! protection rule waits for someone's approval, which is reported as such.

use std::fmt;

/// Where a run is, from its `status` and `conclusion`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// `requested`, `queued`, `pending`: not started yet.
    Queued(String),
    /// `in_progress`.
    InProgress,
    /// `waiting`: waiting for an approval (an environment's required reviewers).
    WaitingForApproval,
    Completed(Conclusion),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Failure,
    Cancelled,
    TimedOut,
    ActionRequired,
    Neutral,
    Skipped,
    Stale,
    StartupFailure,
    /// A conclusion this relplan does not know: not a success.
    Other(String),
}

impl RunState {
    /// Reads a run's `status` and `conclusion` fields. An unknown status is an error: the
    /// caller keeps polling rather than guessing.
    pub fn parse(status: &str, conclusion: Option<&str>) -> Result<RunState, String> {
        Ok(match status {
            "requested" | "queued" | "pending" => RunState::Queued(status.to_string()),
            "in_progress" => RunState::InProgress,
            "waiting" => RunState::WaitingForApproval,
            "completed" => RunState::Completed(Conclusion::parse(conclusion.unwrap_or(""))),
            other => return Err(format!("unknown run status `{other}`")),
        })
    }

    pub fn is_completed(&self) -> bool {
        matches!(self, RunState::Completed(_))
    }

    pub fn succeeded(&self) -> bool {
        matches!(self, RunState::Completed(Conclusion::Success))
    }
}

impl Conclusion {
    pub fn parse(conclusion: &str) -> Conclusion {
        match conclusion {
            "success" => Conclusion::Success,
            "failure" => Conclusion::Failure,
            "cancelled" => Conclusion::Cancelled,
            "timed_out" => Conclusion::TimedOut,
            "action_required" => Conclusion::ActionRequired,
            "neutral" => Conclusion::Neutral,
            "skipped" => Conclusion::Skipped,
            "stale" => Conclusion::Stale,
            "startup_failure" => Conclusion::StartupFailure,
            other => Conclusion::Other(other.to_string()),
        }
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunState::Queued(status) => write!(f, "{status}"),
            RunState::InProgress => f.write_str("in progress"),
            RunState::WaitingForApproval => f.write_str("waiting for an approval"),
            RunState::Completed(conclusion) => write!(f, "completed: {conclusion}"),
        }
    }
}

impl fmt::Display for Conclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Cancelled => "cancelled",
            Conclusion::TimedOut => "timed out",
            Conclusion::ActionRequired => "action required",
            Conclusion::Neutral => "neutral (not a success)",
            Conclusion::Skipped => "skipped (not a success)",
            Conclusion::Stale => "stale",
            Conclusion::StartupFailure => "startup failure (check the workflow file)",
            Conclusion::Other(other) if other.is_empty() => "no conclusion",
            Conclusion::Other(other) => other,
        };
        f.write_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_success_succeeds() {
        let conclusions = [
            "success",
            "failure",
            "cancelled",
            "timed_out",
            "action_required",
            "neutral",
            "skipped",
            "stale",
            "startup_failure",
            "something_new",
        ];
        let succeeded: Vec<&str> = conclusions
            .iter()
            .filter(|c| RunState::parse("completed", Some(c)).is_ok_and(|s| s.succeeded()))
            .copied()
            .collect();
        assert_eq!(succeeded, ["success"]);
    }

    #[test]
    fn every_status_is_mapped() {
        let shown: Vec<String> = ["requested", "queued", "pending", "in_progress", "waiting"]
            .iter()
            .map(|s| {
                RunState::parse(s, None)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            shown,
            [
                "requested",
                "queued",
                "pending",
                "in progress",
                "waiting for an approval"
            ]
        );
        assert!(RunState::parse("exploded", None).is_err());
        assert_eq!(
            RunState::parse("completed", Some("timed_out")).map(|s| s.to_string()),
            Ok("completed: timed out".into())
        );
    }
}
