//! `POST /v1/leases/{uuid}/fail`: how a task failed, and what the queue did about it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskhost_queue::{FailOutcome, Failure, FailureKind, LeaseToken, TaskResult};

use super::{ResultDto, millis};

/// How a task failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureKindDto {
    /// Retry after a delay while attempts remain.
    Retry,
    /// Dead at once.
    InvalidInput,
    /// `failed`, not dead-lettered.
    Final,
}

/// A failure (`POST /v1/leases/{uuid}/fail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailDto {
    /// The lease token.
    pub token: LeaseToken,
    /// What to do next.
    pub kind: FailureKindDto,
    /// For `retry`: the delay asked for, in milliseconds (the backoff policy's when absent).
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// The reason.
    pub error: String,
    /// An error result message to store.
    #[serde(default)]
    pub result: Option<ResultDto>,
}

impl FailDto {
    /// The body for a failure with `token`.
    pub fn new(token: LeaseToken, failure: Failure) -> Self {
        let (kind, retry_after_ms) = match failure.kind {
            FailureKind::Retry { after } => (FailureKindDto::Retry, after.map(millis)),
            FailureKind::InvalidInput => (FailureKindDto::InvalidInput, None),
            FailureKind::Final => (FailureKindDto::Final, None),
        };
        Self {
            token,
            kind,
            retry_after_ms,
            error: failure.error,
            result: failure.result.map(ResultDto::from),
        }
    }

    /// The token and the failure.
    pub fn into_parts(self) -> (LeaseToken, Failure) {
        let kind = match self.kind {
            FailureKindDto::Retry => FailureKind::Retry {
                after: self.retry_after_ms.map(Duration::from_millis),
            },
            FailureKindDto::InvalidInput => FailureKind::InvalidInput,
            FailureKindDto::Final => FailureKind::Final,
        };
        let failure = Failure {
            kind,
            error: self.error,
            result: self.result.map(TaskResult::from),
        };
        (self.token, failure)
    }
}

/// What `fail` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum FailOutcomeDto {
    /// Queued again.
    #[serde(rename_all = "camelCase")]
    Retrying {
        /// The attempt that failed.
        attempt: u32,
        /// When it may run again.
        run_after: DateTime<Utc>,
    },
    /// Dead-lettered.
    Dead,
    /// Ended `failed`.
    Failed,
    /// Ended `cancelled`.
    Cancelled,
}

impl From<FailOutcome> for FailOutcomeDto {
    fn from(outcome: FailOutcome) -> Self {
        match outcome {
            FailOutcome::Retrying { attempt, run_after } => {
                FailOutcomeDto::Retrying { attempt, run_after }
            }
            FailOutcome::Dead => FailOutcomeDto::Dead,
            FailOutcome::Failed => FailOutcomeDto::Failed,
            FailOutcome::Cancelled => FailOutcomeDto::Cancelled,
        }
    }
}

impl From<FailOutcomeDto> for FailOutcome {
    fn from(outcome: FailOutcomeDto) -> Self {
        match outcome {
            FailOutcomeDto::Retrying { attempt, run_after } => {
                FailOutcome::Retrying { attempt, run_after }
            }
            FailOutcomeDto::Dead => FailOutcome::Dead,
            FailOutcomeDto::Failed => FailOutcome::Failed,
            FailOutcomeDto::Cancelled => FailOutcome::Cancelled,
        }
    }
}
