//! The domain types of the queue: what producers submit, what workers lease, what operators read.
//!
//! Times are `chrono::DateTime<Utc>`. Which clock produced them depends on the backend: the
//! PostgreSQL backend takes every lease decision by the database's clock (`now()`), the SQLite
//! backend by the host's clock (it is one process on one machine).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A task to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The task id and the idempotency key: submitting the same uuid twice stores it once.
    pub uuid: String,
    /// The task name (the envelope's `body.name`): the route key.
    pub name: String,
    /// The envelope, as the producer sent it (raw JSON text, kept byte for byte so that unknown
    /// fields and key order reach the result untouched). The queue does not parse it.
    pub envelope: String,
    /// Higher runs first.
    pub priority: i32,
    /// Attempts before the task is dead-lettered (at least 1).
    pub max_attempts: u32,
    /// Not claimed before this time; `None` means now (by the backend's clock).
    pub run_after: Option<DateTime<Utc>>,
    /// Retry on a worker that has not tried the task yet, while one is live (see
    /// [`crate::TaskQueue::claim`]).
    pub retry_on_different_worker: bool,
}

impl NewTask {
    /// A task with default priority (0), 3 attempts, runnable now, any worker.
    pub fn new(
        uuid: impl Into<String>,
        name: impl Into<String>,
        envelope: impl Into<String>,
    ) -> Self {
        Self {
            uuid: uuid.into(),
            name: name.into(),
            envelope: envelope.into(),
            priority: 0,
            max_attempts: 3,
            run_after: None,
            retry_on_different_worker: false,
        }
    }
}

/// What [`crate::TaskQueue::submit`] did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubmitReport {
    /// Uuids stored by this call, in submission order.
    pub inserted: Vec<String>,
    /// Uuids that already existed (or appeared earlier in the same batch): nothing changed.
    pub duplicates: Vec<String>,
}

/// The state of a task. Text form: the lowercase name (`queued`, `leased`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    /// Waiting to be claimed (from `run_after` on).
    Queued,
    /// Held by a worker until `lease_expires_at`, unless heartbeats extend it.
    Leased,
    /// Done; the result is stored.
    Succeeded,
    /// Done with a final, non-retryable failure that is not the operator's business (for
    /// example "not found"): the error result is stored, the task is not dead-lettered.
    Failed,
    /// In the dead-letter queue: attempts exhausted or invalid input. Can be redriven.
    Dead,
    /// Its deadline had passed when it was leased: never run.
    Expired,
    /// Cancelled before it ran, or stopped by its worker after a cancel request.
    Cancelled,
}

impl TaskState {
    /// Every state, in lifecycle order.
    pub const ALL: [TaskState; 7] = [
        TaskState::Queued,
        TaskState::Leased,
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::Dead,
        TaskState::Expired,
        TaskState::Cancelled,
    ];

    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Leased => "leased",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Dead => "dead",
            TaskState::Expired => "expired",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// True when the task will not change any more (except by a redrive of a dead one).
    pub fn is_final(self) -> bool {
        !matches!(self, TaskState::Queued | TaskState::Leased)
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the [`TaskState`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown task state {0:?}")]
pub struct UnknownTaskState(pub String);

impl FromStr for TaskState {
    type Err = UnknownTaskState;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TaskState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| UnknownTaskState(text.to_owned()))
    }
}

/// The proof that a worker holds a task's current lease. Every lease gets a new one, so a
/// worker whose lease was taken over holds a stale token and can no longer change the task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeaseToken(pub String);

impl LeaseToken {
    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request for a batch of leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The claiming worker (a host id, stable across its claims).
    pub worker: String,
    /// Only tasks with these names are claimed. An empty list claims nothing.
    pub names: Vec<String>,
    /// At most this many leases (sized to the worker's free slots).
    pub limit: u32,
    /// How long each lease lasts unless heartbeats extend it.
    pub lease_for: Duration,
    /// Per task name: at most this many tasks of that name leased by this worker at once,
    /// counting the ones it already holds. Names not listed are limited only by `limit`.
    pub caps: BTreeMap<String, u32>,
}

impl ClaimRequest {
    /// A request without caps.
    pub fn new(worker: impl Into<String>, names: &[&str], limit: u32, lease_for: Duration) -> Self {
        Self {
            worker: worker.into(),
            names: names.iter().map(|name| (*name).to_owned()).collect(),
            limit,
            lease_for,
            caps: BTreeMap::new(),
        }
    }

    /// Adds a per-name cap.
    pub fn with_cap(mut self, name: impl Into<String>, cap: u32) -> Self {
        self.caps.insert(name.into(), cap);
        self
    }
}

/// A leased task: run it, then complete, fail, expire or release it with `token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope as submitted.
    pub envelope: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// The task's attempt limit.
    pub max_attempts: u32,
    /// The task's priority.
    pub priority: i32,
    /// The fencing token of this lease.
    pub token: LeaseToken,
    /// The worker holding the lease.
    pub worker: String,
    /// When the lease runs out unless a heartbeat extends it.
    pub lease_expires_at: DateTime<Utc>,
    /// The W3C `traceparent` the producer sent with the task, when the source carries one (an
    /// SQS message attribute); the host continues that trace.
    pub trace_parent: Option<String>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// The new lease expiry.
    pub lease_expires_at: DateTime<Utc>,
    /// Somebody cancelled the task: stop, then call `fail` or `release` (the task ends
    /// `cancelled` either way).
    pub cancel_requested: bool,
}

/// The result message of a task, or where it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskResult {
    /// The result message JSON (validated, stored as sent).
    Json(String),
    /// The storage key of a result message too large to keep in the queue.
    StorageKey(String),
}

/// One completion of a batch (see [`crate::TaskQueue::complete_many`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The task id.
    pub uuid: String,
    /// The lease token the worker holds.
    pub token: LeaseToken,
    /// The result.
    pub result: TaskResult,
}

/// What `complete_many` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteManyReport {
    /// How many tasks became `succeeded`.
    pub completed: usize,
    /// Uuids whose lease was lost (or which do not exist): nothing changed for them.
    pub lease_lost: Vec<String>,
}

/// How a task failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Transient or internal: retry after `after` (or the backoff policy's delay when `None`)
    /// while attempts remain, else dead-letter.
    Retry {
        /// A delay asked for by the plugin (`retry-later(after)`).
        after: Option<Duration>,
    },
    /// The input can never succeed: dead-letter at once, no retry.
    InvalidInput,
    /// A final failure that is the user's, not the operator's (e.g. "not found"): `failed`.
    Final,
}

/// A failure report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What to do next.
    pub kind: FailureKind,
    /// The reason, kept as the task's last error (for a person to act on).
    pub error: String,
    /// An error result message to store (for example the `response.error = true` message).
    pub result: Option<TaskResult>,
}

impl Failure {
    /// A retryable failure using the backoff policy.
    pub fn retry(error: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Retry { after: None },
            error: error.into(),
            result: None,
        }
    }

    /// An invalid-input failure: dead at once.
    pub fn invalid_input(error: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::InvalidInput,
            error: error.into(),
            result: None,
        }
    }

    /// A final failure: `failed`, not dead-lettered.
    pub fn final_failure(error: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Final,
            error: error.into(),
            result: None,
        }
    }
}

/// What `fail` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again, not claimable before `run_after`.
    Retrying {
        /// The attempt that failed.
        attempt: u32,
        /// When it may run again.
        run_after: DateTime<Utc>,
    },
    /// Moved to the dead-letter queue (attempts exhausted or invalid input).
    Dead,
    /// Ended as `failed`.
    Failed,
    /// A cancel had been requested: ended as `cancelled`.
    Cancelled,
}

/// What `cancel` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// It was queued (or already cancelled): it is `cancelled`.
    Cancelled,
    /// It is leased: the flag is set and the worker's next heartbeat tells it to stop.
    StopRequested,
    /// It had already finished in this state: nothing changed.
    AlreadyFinished(TaskState),
}

/// Everything the queue knows about a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// Insertion order (FIFO tie-break; the dead-letter page cursor).
    pub seq: i64,
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope as submitted.
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
    /// See [`NewTask::retry_on_different_worker`].
    pub retry_on_different_worker: bool,
    /// The worker holding the lease, or that held the last one.
    pub lease_owner: Option<String>,
    /// The token of the current (or last) lease.
    pub lease_token: Option<LeaseToken>,
    /// The current (or last) lease's expiry.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Workers whose attempt ended without success (failure or lost lease), in order, once each.
    pub tried_by: Vec<String>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The stored result.
    pub result: Option<TaskResult>,
    /// A cancel was requested while it was leased.
    pub cancel_requested: bool,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it reached its final state.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A page request for listings (keyset pagination on [`TaskRecord::seq`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Only tasks after this `seq` (the previous page's `next`).
    pub after: Option<i64>,
    /// At most this many (capped at [`PageRequest::MAX_LIMIT`]).
    pub limit: u32,
}

impl PageRequest {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first page of `limit` tasks.
    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }

    pub(crate) fn effective_limit(self) -> i64 {
        i64::from(self.limit.min(Self::MAX_LIMIT))
    }
}

/// A page of tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The tasks, by `seq`.
    pub tasks: Vec<TaskRecord>,
    /// The cursor of the next page, when this one was full.
    pub next: Option<i64>,
}

/// Which dead tasks to redrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedriveTarget {
    /// One task, which must be dead.
    One(String),
    /// Every dead task.
    AllDead,
}

/// The number of tasks in one state with one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// The task name.
    pub name: String,
    /// The state.
    pub state: TaskState,
    /// How many.
    pub count: u64,
}

/// What a reap moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReapReport {
    /// Expired leases queued again (with backoff).
    pub requeued: u64,
    /// Expired leases on their last attempt: dead.
    pub dead: u64,
    /// Expired leases of tasks with a cancel request: cancelled.
    pub cancelled: u64,
}

impl ReapReport {
    /// How many tasks the reap moved.
    pub fn moved(&self) -> u64 {
        self.requeued + self.dead + self.cancelled
    }
}
