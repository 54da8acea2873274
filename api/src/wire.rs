//! The JSON shapes of the API (camelCase), shared by the server and the client, with their
//! conversions to and from the queue's domain types.
//!
//! The queue crate's types stay free of wire concerns; every request DTO here denies unknown
//! fields, so a typo in a client is a 400 rather than a silently ignored setting.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskhost_queue::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, FailureKind,
    Heartbeat, Lease, LeaseToken, NewTask, Page, StateCount, SubmitReport, TaskRecord, TaskResult,
    TaskState,
};

/// A duration as whole milliseconds.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

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

/// A stored result: the result message JSON as text, or a storage key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ResultDto {
    /// The result message JSON, as text.
    Json(String),
    /// The storage key of a result message kept in object storage.
    StorageKey(String),
}

impl From<TaskResult> for ResultDto {
    fn from(result: TaskResult) -> Self {
        match result {
            TaskResult::Json(text) => ResultDto::Json(text),
            TaskResult::StorageKey(key) => ResultDto::StorageKey(key),
        }
    }
}

impl From<ResultDto> for TaskResult {
    fn from(result: ResultDto) -> Self {
        match result {
            ResultDto::Json(text) => TaskResult::Json(text),
            ResultDto::StorageKey(key) => TaskResult::StorageKey(key),
        }
    }
}

/// Everything the queue knows about a task (operator and remote-worker routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecordDto {
    /// Insertion order.
    pub seq: i64,
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope as submitted (text).
    pub envelope: String,
    /// The state.
    pub state: TaskState,
    /// Higher runs first.
    pub priority: i32,
    /// Attempts counted so far.
    pub attempt: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// Not claimed before this.
    pub run_after: DateTime<Utc>,
    /// Retry on a worker that has not tried it.
    pub retry_on_different_worker: bool,
    /// The worker holding (or that held) the lease.
    pub lease_owner: Option<String>,
    /// The current (or last) lease token.
    pub lease_token: Option<LeaseToken>,
    /// The current (or last) lease's expiry.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Workers whose attempt ended without success.
    pub tried_by: Vec<String>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The stored result.
    pub result: Option<ResultDto>,
    /// A cancel was requested while leased.
    pub cancel_requested: bool,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it reached its final state.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<TaskRecord> for TaskRecordDto {
    fn from(record: TaskRecord) -> Self {
        Self {
            seq: record.seq,
            uuid: record.uuid,
            name: record.name,
            envelope: record.envelope,
            state: record.state,
            priority: record.priority,
            attempt: record.attempt,
            max_attempts: record.max_attempts,
            run_after: record.run_after,
            retry_on_different_worker: record.retry_on_different_worker,
            lease_owner: record.lease_owner,
            lease_token: record.lease_token,
            lease_expires_at: record.lease_expires_at,
            tried_by: record.tried_by,
            last_error: record.last_error,
            result: record.result.map(ResultDto::from),
            cancel_requested: record.cancel_requested,
            created_at: record.created_at,
            updated_at: record.updated_at,
            finished_at: record.finished_at,
        }
    }
}

impl From<TaskRecordDto> for TaskRecord {
    fn from(dto: TaskRecordDto) -> Self {
        Self {
            seq: dto.seq,
            uuid: dto.uuid,
            name: dto.name,
            envelope: dto.envelope,
            state: dto.state,
            priority: dto.priority,
            attempt: dto.attempt,
            max_attempts: dto.max_attempts,
            run_after: dto.run_after,
            retry_on_different_worker: dto.retry_on_different_worker,
            lease_owner: dto.lease_owner,
            lease_token: dto.lease_token,
            lease_expires_at: dto.lease_expires_at,
            tried_by: dto.tried_by,
            last_error: dto.last_error,
            result: dto.result.map(TaskResult::from),
            cancel_requested: dto.cancel_requested,
            created_at: dto.created_at,
            updated_at: dto.updated_at,
            finished_at: dto.finished_at,
        }
    }
}

/// A page of tasks (dead letters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDto {
    /// The tasks, oldest submitted first.
    pub tasks: Vec<TaskRecordDto>,
    /// The cursor (`after`) of the next page, when this one was full.
    pub next: Option<i64>,
}

impl From<Page> for PageDto {
    fn from(page: Page) -> Self {
        Self {
            tasks: page.tasks.into_iter().map(TaskRecordDto::from).collect(),
            next: page.next,
        }
    }
}

impl From<PageDto> for Page {
    fn from(page: PageDto) -> Self {
        Self {
            tasks: page.tasks.into_iter().map(TaskRecord::from).collect(),
            next: page.next,
        }
    }
}

/// A task for the raw submit route (`POST /v1/queue/tasks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTaskDto {
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope text.
    pub envelope: String,
    /// Higher runs first.
    #[serde(default)]
    pub priority: i32,
    /// Attempts before dead-letter.
    pub max_attempts: u32,
    /// Not claimed before this.
    #[serde(default)]
    pub run_after: Option<DateTime<Utc>>,
    /// Retry on a worker that has not tried it.
    #[serde(default)]
    pub retry_on_different_worker: bool,
}

impl From<NewTask> for NewTaskDto {
    fn from(task: NewTask) -> Self {
        Self {
            uuid: task.uuid,
            name: task.name,
            envelope: task.envelope,
            priority: task.priority,
            max_attempts: task.max_attempts,
            run_after: task.run_after,
            retry_on_different_worker: task.retry_on_different_worker,
        }
    }
}

impl From<NewTaskDto> for NewTask {
    fn from(dto: NewTaskDto) -> Self {
        Self {
            uuid: dto.uuid,
            name: dto.name,
            envelope: dto.envelope,
            priority: dto.priority,
            max_attempts: dto.max_attempts,
            run_after: dto.run_after,
            retry_on_different_worker: dto.retry_on_different_worker,
        }
    }
}

/// A claim (`POST /v1/leases`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimDto {
    /// The claiming worker.
    pub worker: String,
    /// Task names it runs.
    pub names: Vec<String>,
    /// At most this many leases.
    pub limit: u32,
    /// Lease length in milliseconds.
    pub lease_for_ms: u64,
    /// Per-name caps.
    #[serde(default)]
    pub caps: BTreeMap<String, u32>,
}

impl From<&ClaimRequest> for ClaimDto {
    fn from(request: &ClaimRequest) -> Self {
        Self {
            worker: request.worker.clone(),
            names: request.names.clone(),
            limit: request.limit,
            lease_for_ms: millis(request.lease_for),
            caps: request.caps.clone(),
        }
    }
}

impl From<ClaimDto> for ClaimRequest {
    fn from(dto: ClaimDto) -> Self {
        Self {
            worker: dto.worker,
            names: dto.names,
            limit: dto.limit,
            lease_for: Duration::from_millis(dto.lease_for_ms),
            caps: dto.caps,
        }
    }
}

/// A lease (answer to a claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseDto {
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope as submitted.
    pub envelope: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// The priority.
    pub priority: i32,
    /// The fencing token.
    pub token: LeaseToken,
    /// The worker holding it.
    pub worker: String,
    /// When it runs out.
    pub lease_expires_at: DateTime<Utc>,
}

impl From<Lease> for LeaseDto {
    fn from(lease: Lease) -> Self {
        Self {
            uuid: lease.uuid,
            name: lease.name,
            envelope: lease.envelope,
            attempt: lease.attempt,
            max_attempts: lease.max_attempts,
            priority: lease.priority,
            token: lease.token,
            worker: lease.worker,
            lease_expires_at: lease.lease_expires_at,
        }
    }
}

impl From<LeaseDto> for Lease {
    fn from(dto: LeaseDto) -> Self {
        Self {
            uuid: dto.uuid,
            name: dto.name,
            envelope: dto.envelope,
            attempt: dto.attempt,
            max_attempts: dto.max_attempts,
            priority: dto.priority,
            token: dto.token,
            worker: dto.worker,
            lease_expires_at: dto.lease_expires_at,
        }
    }
}

/// A heartbeat (`POST /v1/leases/{uuid}/heartbeat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatDto {
    /// The lease token.
    pub token: LeaseToken,
    /// The new lease length from now, in milliseconds.
    pub lease_for_ms: u64,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReply {
    /// The new expiry.
    pub lease_expires_at: DateTime<Utc>,
    /// The task was cancelled: stop.
    pub cancel_requested: bool,
}

impl From<Heartbeat> for HeartbeatReply {
    fn from(beat: Heartbeat) -> Self {
        Self {
            lease_expires_at: beat.lease_expires_at,
            cancel_requested: beat.cancel_requested,
        }
    }
}

impl From<HeartbeatReply> for Heartbeat {
    fn from(reply: HeartbeatReply) -> Self {
        Self {
            lease_expires_at: reply.lease_expires_at,
            cancel_requested: reply.cancel_requested,
        }
    }
}

/// A completion (`POST /v1/leases/{uuid}/complete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteDto {
    /// The lease token.
    pub token: LeaseToken,
    /// The result.
    pub result: ResultDto,
}

/// One item of `POST /v1/leases/complete-many`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionDto {
    /// The task id.
    pub uuid: String,
    /// The lease token.
    pub token: LeaseToken,
    /// The result.
    pub result: ResultDto,
}

impl From<Completion> for CompletionDto {
    fn from(completion: Completion) -> Self {
        Self {
            uuid: completion.uuid,
            token: completion.token,
            result: completion.result.into(),
        }
    }
}

impl From<CompletionDto> for Completion {
    fn from(dto: CompletionDto) -> Self {
        Self {
            uuid: dto.uuid,
            token: dto.token,
            result: dto.result.into(),
        }
    }
}

/// What `complete-many` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteManyReply {
    /// How many tasks succeeded.
    pub completed: usize,
    /// Uuids whose lease was lost.
    pub lease_lost: Vec<String>,
}

impl From<CompleteManyReport> for CompleteManyReply {
    fn from(report: CompleteManyReport) -> Self {
        Self {
            completed: report.completed,
            lease_lost: report.lease_lost,
        }
    }
}

impl From<CompleteManyReply> for CompleteManyReport {
    fn from(reply: CompleteManyReply) -> Self {
        Self {
            completed: reply.completed,
            lease_lost: reply.lease_lost,
        }
    }
}

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

/// A token-only body (`release`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenDto {
    /// The lease token.
    pub token: LeaseToken,
}

/// An expire body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireDto {
    /// The lease token.
    pub token: LeaseToken,
    /// Why it expired.
    pub reason: String,
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

/// Counts of tasks (`GET /v1/queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueCounts {
    /// Every (name, state) pair with tasks.
    pub counts: Vec<CountDto>,
    /// Totals by state.
    pub by_state: BTreeMap<TaskState, u64>,
    /// Totals by task name.
    pub by_name: BTreeMap<String, u64>,
    /// All tasks.
    pub total: u64,
}

/// The number of tasks of one name in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountDto {
    /// The task name.
    pub name: String,
    /// The state.
    pub state: TaskState,
    /// How many.
    pub count: u64,
}

impl From<Vec<StateCount>> for QueueCounts {
    fn from(counts: Vec<StateCount>) -> Self {
        let mut totals = QueueCounts::default();
        for count in counts {
            *totals.by_state.entry(count.state).or_default() += count.count;
            *totals.by_name.entry(count.name.clone()).or_default() += count.count;
            totals.total += count.count;
            totals.counts.push(CountDto {
                name: count.name,
                state: count.state,
                count: count.count,
            });
        }
        totals
    }
}

/// The number of tasks a redrive moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveReply {
    /// How many dead tasks were queued again.
    pub redriven: u64,
}

/// The answer of the wait-for-work long-poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitReply {
    /// True when a notification woke the wait (false on timeout).
    pub woken: bool,
}

/// The body of every error: `{"error": "..."}`, plus what a client needs to rebuild a queue
/// error (`kind`, `uuid`, `state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// A stable machine name: `badRequest`, `unauthorized`, `forbidden`, `notFound`, `noRoute`,
    /// `methodNotAllowed`, `noResult`, `leaseLost`, `notDead`, `invalidTask`, `invalidResult`,
    /// `payloadTooLarge`, `unsupportedMediaType`, `unavailable` or `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The task concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The task's state, for `leaseLost` and `notDead`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    /// The reason, for `invalidTask` and `invalidResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
