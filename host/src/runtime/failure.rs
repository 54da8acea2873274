//! How a task can fail, as the host sees it: the plugin's own `failure` variants plus what the
//! sandbox stops (deadline, memory, output size, traps and panics).

use std::time::Duration;

/// Why a task did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskFailure {
    /// The plugin said the input can never succeed.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The plugin said something the task names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The plugin asked to be retried later.
    #[error("retry after {} ms: {message}", delay.as_millis())]
    RetryLater {
        /// Earliest next attempt.
        delay: Duration,
        /// Why.
        message: String,
    },
    /// The plugin reported an internal error.
    #[error("internal error: {0}")]
    Internal(String),
    /// The task ran past its deadline and was stopped.
    #[error("the task ran past its time limit of {} ms and was stopped", limit.as_millis())]
    Timeout {
        /// The limit it ran under.
        limit: Duration,
    },
    /// The task grew its memory past the cap and was stopped.
    #[error("the task used more than its memory limit of {limit} bytes and was stopped")]
    MemoryLimit {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The task's outputs were larger than allowed.
    #[error("the task's output exceeded its limit of {limit} bytes")]
    OutputLimit {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The plugin panicked.
    #[error("the plugin panicked: {0}")]
    Panicked(String),
    /// The plugin trapped or could not be instantiated.
    #[error("the plugin crashed: {0}")]
    Crashed(String),
}

/// What should happen to a task after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Try again (after the given delay, or the queue's backoff).
    Retry(Option<Duration>),
    /// Never retry; record it as failed (a user error: the answer will not change).
    Fail,
    /// Never retry; dead-letter it for an operator.
    DeadLetter,
}

impl TaskFailure {
    /// The stable code put in the result message's `error_code`.
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "INVALID_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::RetryLater { .. } => "RETRY_LATER",
            Self::Internal(_) => "INTERNAL_ERROR",
            Self::Timeout { .. } => "TIMEOUT",
            Self::MemoryLimit { .. } => "MEMORY_LIMIT",
            Self::OutputLimit { .. } => "OUTPUT_LIMIT",
            Self::Panicked(_) | Self::Crashed(_) => "PLUGIN_CRASHED",
        }
    }

    /// The message a user sees. Internal details (panic messages, traps, internal errors) stay
    /// in the log.
    pub fn user_message(&self) -> String {
        match self {
            Self::InvalidInput(m) => format!("The task's input is not valid: {m}"),
            Self::NotFound(m) => m.clone(),
            Self::RetryLater { .. } => "The task could not run now and will be retried.".into(),
            Self::Internal(_) | Self::Panicked(_) | Self::Crashed(_) => {
                "The task failed because of an internal error.".into()
            }
            Self::Timeout { limit } => {
                format!(
                    "The task took longer than its time limit of {} s.",
                    limit.as_secs_f64()
                )
            }
            Self::MemoryLimit { limit } => {
                format!(
                    "The task needed more memory than its limit of {} MiB.",
                    limit >> 20
                )
            }
            Self::OutputLimit { limit } => {
                format!(
                    "The task's result was larger than its limit of {} MiB.",
                    limit >> 20
                )
            }
        }
    }

    /// Whether and how the task is tried again.
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::InvalidInput(_) => Disposition::DeadLetter,
            Self::NotFound(_) => Disposition::Fail,
            Self::RetryLater { delay, .. } => Disposition::Retry(Some(*delay)),
            Self::Internal(_) | Self::Timeout { .. } | Self::Panicked(_) | Self::Crashed(_) => {
                Disposition::Retry(None)
            }
            Self::MemoryLimit { .. } | Self::OutputLimit { .. } => Disposition::DeadLetter,
        }
    }
}
