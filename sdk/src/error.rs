//! The error a plugin returns from `run`, and how it maps onto the WIT `failure` variant.

use std::fmt;
use std::time::Duration;

use crate::bindings::taskhost::plugin::types::{Failure, RetryAfter};
use crate::storage::StorageError;

/// Why a task failed. The host decides from the variant whether to retry.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The input can never succeed; the task is dead-lettered at once, not retried.
    InvalidInput(String),
    /// Something the task names does not exist; not retried, the message is shown to users.
    NotFound(String),
    /// A transient condition; the host tries again after `delay`.
    RetryLater {
        /// How long to wait before the next attempt.
        delay: Duration,
        /// Why; logged by the host.
        message: String,
    },
    /// Anything else; retried up to the host's attempt limit.
    Internal(String),
}

impl Error {
    /// An [`Error::InvalidInput`] with this message.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// An [`Error::NotFound`] with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// An [`Error::RetryLater`] after `delay`.
    pub fn retry_later(delay: Duration, message: impl Into<String>) -> Self {
        Self::RetryLater {
            delay,
            message: message.into(),
        }
    }

    /// An [`Error::Internal`] with this message.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    pub(crate) fn into_failure(self) -> Failure {
        match self {
            Self::InvalidInput(m) => Failure::InvalidInput(m),
            Self::NotFound(m) => Failure::NotFound(m),
            Self::RetryLater { delay, message } => Failure::RetryLater(RetryAfter {
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                message,
            }),
            Self::Internal(m) => Failure::Internal(m),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::NotFound(m) => write!(f, "not found: {m}"),
            Self::RetryLater { delay, message } => {
                write!(f, "retry after {} ms: {message}", delay.as_millis())
            }
            Self::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<StorageError> for Error {
    /// A missing object is a not-found failure; a transient backend failure asks for a retry;
    /// a denied scope, an invalid key or a corrupt object cannot succeed on a retry either (the
    /// task names a bucket the plugin is not granted, a path that is not a key, or a file that
    /// is not what it claims), so they are invalid input; an oversized read or bad JSON is the plugin's own bug (internal).
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(_) => Self::NotFound(error.to_string()),
            StorageError::Denied(_) | StorageError::InvalidKey(_) | StorageError::Corrupt(_) => {
                Self::InvalidInput(error.to_string())
            }
            StorageError::Unavailable(_) => Self::RetryLater {
                delay: Duration::from_secs(1),
                message: error.to_string(),
            },
            _ => Self::Internal(error.to_string()),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(format!("JSON: {error}"))
    }
}
