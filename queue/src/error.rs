//! The queue's one error type.

use crate::types::TaskState;

/// Everything a queue call can fail with. Callers match on the domain variants
/// (`LeaseLost`, `NotFound`, ...) and log the rest.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A fenced call (heartbeat, complete, fail, expire, release) used a token that is not the
    /// task's current lease: the lease expired and was re-queued, taken over, or the task ended.
    /// Nothing changed. The caller logs it and drops the task.
    #[error(
        "queue: the lease on task {uuid} is lost (the task is now {state}); nothing was changed"
    )]
    LeaseLost {
        /// The task id.
        uuid: String,
        /// The task's state now.
        state: TaskState,
    },
    /// No task has this uuid.
    #[error("queue: no task {0}")]
    NotFound(String),
    /// A submitted task was rejected before anything was stored.
    #[error("queue: task {uuid:?} rejected at submit: {reason}")]
    InvalidTask {
        /// The task id as given.
        uuid: String,
        /// What is wrong.
        reason: String,
    },
    /// A result message that is not JSON.
    #[error("queue: the result of task {uuid} is not valid JSON: {reason}")]
    InvalidResult {
        /// The task id.
        uuid: String,
        /// The parser's message.
        reason: String,
    },
    /// Only dead tasks can be redriven.
    #[error("queue: task {uuid} is {state}, not dead: only dead tasks can be redriven")]
    NotDead {
        /// The task id.
        uuid: String,
        /// Its state.
        state: TaskState,
    },
    /// The queue URL names no backend this crate has.
    #[error(
        "queue: unsupported queue URL {0:?} (expected sqlite://..., postgres://..., an SQS queue URL or sqs://<name>, or http(s)://<host> of another host's API)"
    )]
    UnsupportedUrl(String),
    /// A stored row could not be read back (a bug or a hand-edited database).
    #[error("queue ({backend}): task {uuid} has a corrupt row: {reason}")]
    CorruptRow {
        /// The backend.
        backend: &'static str,
        /// The task id.
        uuid: String,
        /// What is wrong.
        reason: String,
    },
    /// The database failed.
    #[error("queue ({backend}): {step} failed: {source}")]
    Database {
        /// The backend.
        backend: &'static str,
        /// The step that failed (`claim`, `complete`, ...).
        step: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A remote queue (the HTTP API of another host) could not be reached or answered with an
    /// error that has no domain variant here.
    #[error("queue (remote): {0}")]
    Remote(String),
    /// The backend cannot do this at all (an SQS queue keeps no task records, so it cannot
    /// list, look up or cancel tasks).
    #[error("queue ({backend}): {operation} is not supported: {reason}")]
    Unsupported {
        /// The backend.
        backend: &'static str,
        /// What was asked (`get`, `cancel`, ...).
        operation: &'static str,
        /// Why, and what to do instead.
        reason: &'static str,
    },
    /// A queue service (Amazon SQS) refused or failed a call; retrying may help.
    #[error("queue ({backend}): {step} failed: {message}")]
    Service {
        /// The backend.
        backend: &'static str,
        /// The step that failed (`receive`, `delete`, ...).
        step: &'static str,
        /// The service's error, with its code.
        message: String,
    },
    /// The queue cannot be used as configured (no dead-letter queue, an unknown queue, ...).
    #[error("queue ({backend}): {message}")]
    Setup {
        /// The backend.
        backend: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Applying the schema migrations failed.
    #[error("queue ({backend}): migrating the schema failed: {source}")]
    Migrate {
        /// The backend.
        backend: &'static str,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

impl QueueError {
    /// True for [`QueueError::LeaseLost`].
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, QueueError::LeaseLost { .. })
    }
}

/// `map_err` helper: a database error at `step` of `backend`.
pub(crate) fn db(
    backend: &'static str,
    step: &'static str,
) -> impl FnOnce(sqlx::Error) -> QueueError {
    move |source| QueueError::Database {
        backend,
        step,
        source,
    }
}
