//! The producer routes' shapes: the submit report, a task's status as producers see it, and
//! what a cancel did.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskhost_queue::{CancelOutcome, SubmitReport, TaskRecord, TaskState};

/// The answer to a submit: uuids stored by this call and uuids that existed already.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitResponse {
    /// Uuids stored by this call, in submission order.
    pub accepted: Vec<String>,
    /// Uuids that already existed (or repeated an earlier one in the batch): nothing changed.
    pub duplicates: Vec<String>,
}

impl From<SubmitReport> for SubmitResponse {
    fn from(report: SubmitReport) -> Self {
        Self {
            accepted: report.inserted,
            duplicates: report.duplicates,
        }
    }
}

impl From<SubmitResponse> for SubmitReport {
    fn from(response: SubmitResponse) -> Self {
        SubmitReport {
            inserted: response.accepted,
            duplicates: response.duplicates,
        }
    }
}

/// A task as producers see it (`GET /v1/tasks/{uuid}`): no envelope, no lease token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The state.
    pub state: TaskState,
    /// Higher runs first.
    pub priority: i32,
    /// Attempts counted so far.
    pub attempts: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// Workers whose attempt ended without success.
    pub tried_by: Vec<String>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// A cancel was requested while it was leased.
    pub cancel_requested: bool,
    /// A result message (or its storage key) is stored.
    pub has_result: bool,
    /// Not claimed before this.
    pub run_after: DateTime<Utc>,
    /// The current (or last) lease's expiry.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it reached its final state.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&TaskRecord> for TaskStatus {
    fn from(record: &TaskRecord) -> Self {
        Self {
            uuid: record.uuid.clone(),
            name: record.name.clone(),
            state: record.state,
            priority: record.priority,
            attempts: record.attempt,
            max_attempts: record.max_attempts,
            tried_by: record.tried_by.clone(),
            last_error: record.last_error.clone(),
            cancel_requested: record.cancel_requested,
            has_result: record.result.is_some(),
            run_after: record.run_after,
            lease_expires_at: record.lease_expires_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            finished_at: record.finished_at,
        }
    }
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReply {
    /// `cancelled`, `stopRequested` or `alreadyFinished`.
    pub outcome: CancelKind,
    /// For `alreadyFinished`: the state it finished in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
}

/// The kind of cancel outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CancelKind {
    /// It is cancelled.
    Cancelled,
    /// Its worker will be told to stop.
    StopRequested,
    /// It had finished already.
    AlreadyFinished,
}

impl From<CancelOutcome> for CancelReply {
    fn from(outcome: CancelOutcome) -> Self {
        match outcome {
            CancelOutcome::Cancelled => Self {
                outcome: CancelKind::Cancelled,
                state: None,
            },
            CancelOutcome::StopRequested => Self {
                outcome: CancelKind::StopRequested,
                state: None,
            },
            CancelOutcome::AlreadyFinished(state) => Self {
                outcome: CancelKind::AlreadyFinished,
                state: Some(state),
            },
        }
    }
}

impl CancelReply {
    /// The queue's outcome, or `None` for an `alreadyFinished` without a state.
    pub fn into_outcome(self) -> Option<CancelOutcome> {
        match self.outcome {
            CancelKind::Cancelled => Some(CancelOutcome::Cancelled),
            CancelKind::StopRequested => Some(CancelOutcome::StopRequested),
            CancelKind::AlreadyFinished => self.state.map(CancelOutcome::AlreadyFinished),
        }
    }
}
