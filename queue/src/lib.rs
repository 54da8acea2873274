//! taskhost-queue: the lease-based task queue of taskhost.
//!
//! One domain trait, [`TaskQueue`], over every source (submit, claim a batch of leases,
//! heartbeat, complete, fail, release, expire, cancel, dead letters, redrive, counts, reap),
//! and two SQL backends built on one design: [`sqlite::SqliteQueue`] (the zero-setup default)
//! and [`postgres::PostgresQueue`] (many hosts, `FOR UPDATE SKIP LOCKED`, LISTEN/NOTIFY,
//! database time). Both pass the same conformance suite (feature `conformance`).
//!
//! The queue stores tasks; it knows nothing about Wasm or about the envelope's contents beyond
//! the uuid and the task name the producer extracted.

mod config;
mod error;
pub mod postgres;
mod queue;
mod signal;
pub mod sqlite;
mod types;
mod validate;

#[cfg(feature = "conformance")]
pub mod conformance;

use std::sync::Arc;

pub use config::{QueueConfig, RetryPolicy};
pub use error::QueueError;
pub use queue::TaskQueue;
pub use types::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, FailureKind,
    Heartbeat, Lease, LeaseToken, NewTask, Page, PageRequest, ReapReport, RedriveTarget,
    StateCount, SubmitReport, TaskRecord, TaskResult, TaskState, UnknownTaskState,
};
pub use validate::{MAX_ID_LEN, new_tasks as validate_new_tasks};

/// Opens the queue a URL names: `sqlite://<path>` (the file and its folder are created) or
/// `postgres://...` / `postgresql://...`.
pub async fn connect(url: &str, config: QueueConfig) -> Result<Arc<dyn TaskQueue>, QueueError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if path.is_empty() || path.contains('?') || path == ":memory:" {
            return Err(QueueError::UnsupportedUrl(url.to_owned()));
        }
        let queue = sqlite::SqliteQueue::open(sqlite::SqliteOptions::new(path), config).await?;
        return Ok(Arc::new(queue));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let queue =
            postgres::PostgresQueue::connect(postgres::PostgresOptions::new(url), config).await?;
        return Ok(Arc::new(queue));
    }
    Err(QueueError::UnsupportedUrl(url.to_owned()))
}
