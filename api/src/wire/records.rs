//! Whole task records (operator and remote-worker routes): the stored result, the record, a
//! page of records, and a prepared task for the raw submit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskhost_queue::{LeaseToken, NewTask, Page, TaskRecord, TaskResult, TaskState};

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
