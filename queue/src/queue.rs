//! The queue trait every source implements.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::QueueError;
use crate::types::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, ReapReport, RedriveTarget, StateCount,
    SubmitReport, TaskRecord, TaskResult,
};

/// A lease-based task queue, speaking the domain rather than the database.
///
/// Object safe through [`async_trait`] (every method returns a boxed `Send` future), so the host
/// holds an `Arc<dyn TaskQueue>` and picks the backend at run time. There are no default
/// methods: a wrapper must forward every one.
///
/// **Fencing.** `heartbeat`, `complete`, `complete_many`, `fail`, `expire` and `release` take
/// the lease token from [`Lease::token`]. A token that is not the task's current lease changes
/// nothing and returns [`QueueError::LeaseLost`] (or reports the uuid as lost). A lease is lost
/// when `reap` re-queues it, when another worker claims the task after that, or when the task
/// ends; until then a worker may finish even if the expiry time has just passed.
///
/// ```no_run
/// # async fn demo() -> Result<(), taskhost_queue::QueueError> {
/// use std::time::Duration;
/// use taskhost_queue::{ClaimRequest, NewTask, QueueConfig, TaskQueue, TaskResult};
///
/// let queue = taskhost_queue::connect("sqlite://./taskhost-data/queue.db", QueueConfig::default()).await?;
/// queue.submit(vec![NewTask::new("t-1", "Echo", r#"{"uuid":"t-1","body":{"name":"Echo"}}"#)]).await?;
/// let request = ClaimRequest::new("host-a", &["Echo"], 4, Duration::from_secs(30));
/// for lease in queue.claim(&request).await? {
///     queue.complete(&lease.uuid, &lease.token, TaskResult::Json("{}".into())).await?;
/// }
/// # Ok(()) }
/// ```
#[async_trait]
pub trait TaskQueue: Send + Sync {
    /// The backend's name (`sqlite`, `postgres`, ...), for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Stores a batch of tasks as `queued`. Idempotent on uuid: a uuid that exists already (or
    /// earlier in the batch) changes nothing and is reported as a duplicate. A batch with an
    /// invalid task (empty uuid or name, `max_attempts` 0) is rejected whole.
    async fn submit(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError>;

    /// Leases up to `request.limit` queued tasks whose `run_after` has come, with a name in
    /// `request.names`, honouring `request.caps` (counting leases this worker already holds),
    /// by priority (highest first), then `run_after`, then submission order. Each lease counts
    /// an attempt and gets a new token.
    ///
    /// Retry on a different worker: a task with `retry_on_different_worker` is skipped by a
    /// worker listed in its `tried_by` while some *other* live worker is not listed there; a
    /// worker is live while it has called `claim` within `QueueConfig::worker_ttl`. When every
    /// live worker has tried it, any of them may take it again, so it is never stuck.
    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError>;

    /// Extends a lease to `lease_for` from now. Fenced. Reports a pending cancel request.
    async fn heartbeat(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError>;

    /// Stores the result and marks the task `succeeded`. Fenced.
    async fn complete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        result: TaskResult,
    ) -> Result<(), QueueError>;

    /// `complete` for a batch, in one transaction. Each item is fenced on its own: lost leases
    /// are listed in the report, the others complete. Invalid JSON rejects the whole batch.
    async fn complete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError>;

    /// Records a failed attempt (its reason becomes `last_error`). Fenced.
    /// `Retry`: queued again after the delay while attempts remain, else `dead`;
    /// `InvalidInput`: `dead` at once; `Final`: `failed`. A task with a cancel request ends
    /// `cancelled` instead. The failing worker is added to `tried_by`.
    async fn fail(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError>;

    /// Gives a lease back without counting the attempt (shutdown): queued, runnable now.
    /// A task with a cancel request ends `cancelled`. Fenced.
    async fn release(&self, uuid: &str, token: &LeaseToken) -> Result<(), QueueError>;

    /// Records a task whose deadline had passed as `expired`, with `reason`. Fenced.
    async fn expire(&self, uuid: &str, token: &LeaseToken, reason: &str) -> Result<(), QueueError>;

    /// Cancels a task: a queued one becomes `cancelled`; a leased one is flagged, and the next
    /// heartbeat tells its worker to stop; a finished one is left as it is.
    async fn cancel(&self, uuid: &str) -> Result<CancelOutcome, QueueError>;

    /// A task's state, result and history; `None` when there is no such task.
    async fn get(&self, uuid: &str) -> Result<Option<TaskRecord>, QueueError>;

    /// Dead tasks, oldest submitted first, a page at a time.
    async fn dead_letters(&self, page: PageRequest) -> Result<Page, QueueError>;

    /// Queues dead tasks again with attempts and `tried_by` reset (the last error is kept).
    /// Returns how many moved. `One` of a task that is not dead is [`QueueError::NotDead`].
    async fn redrive(&self, target: RedriveTarget) -> Result<u64, QueueError>;

    /// The number of tasks by name and state (states with none are left out).
    async fn counts(&self) -> Result<Vec<StateCount>, QueueError>;

    /// Moves leases that expired (by the backend's clock) without being completed: queued again
    /// after the backoff delay (the attempt counts, the worker joins `tried_by`), `dead` after
    /// the last attempt, `cancelled` when a cancel was requested. At most
    /// `QueueConfig::reap_batch` per call.
    async fn reap(&self) -> Result<ReapReport, QueueError>;

    /// Waits until work may have arrived (a submit, release, retry or redrive, seen through
    /// LISTEN/NOTIFY or in-process) or `timeout` passes; returns true when woken by a
    /// notification. A notification that arrives while nobody waits wakes the next waiter at
    /// once, so a claim-then-wait loop misses nothing; `timeout` is the polling fallback (and
    /// catches tasks whose `run_after` comes, which send no notification).
    async fn wait_for_work(&self, timeout: Duration) -> bool;
}
