//! Keeping a lease alive while its task runs.
//!
//! A heartbeat goes out every third of the lease, and sooner when the plugin reports progress
//! (its `progress.report` is its sign of life), but never more often than every tenth of the
//! lease. The loop ends only when the lease is lost (fencing: the task must stop and must not
//! settle) or when somebody cancelled the task.

use std::sync::Arc;
use std::time::Duration;

use taskhost_queue::{Lease, QueueError, TaskQueue};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::runtime::{Output, TaskObserver};

/// Why a running task must stop before it ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Another worker holds the task now (or it ended): drop the run, settle nothing.
    LeaseLost,
    /// A cancel was requested: stop, then settle as cancelled.
    CancelRequested,
}

/// The observer given to the plugin's run: progress wakes the heartbeat.
#[derive(Debug)]
pub(crate) struct LeaseObserver {
    task_id: String,
    progress: Notify,
}

impl LeaseObserver {
    pub(crate) fn new(task_id: &str) -> Arc<Self> {
        Arc::new(Self {
            task_id: task_id.to_owned(),
            progress: Notify::new(),
        })
    }
}

impl TaskObserver for LeaseObserver {
    fn progress(&self, fraction: f32, message: &str) {
        tracing::debug!(task_id = %self.task_id, fraction, message, "progress");
        self.progress.notify_one();
    }

    fn intermediate(&self, output: &Output) {
        tracing::debug!(task_id = %self.task_id, content_type = %output.content_type,
            bytes = output.body.len(), "intermediate result");
        self.progress.notify_one();
    }
}

/// Heartbeats `lease` until it must stop; runs for as long as the task does.
pub(crate) async fn keep_alive(
    queue: &dyn TaskQueue,
    lease: &Lease,
    lease_for: Duration,
    claimed_at: Instant,
    observer: &LeaseObserver,
) -> Stop {
    let interval = lease_for / 3;
    let min_gap = lease_for / 10;
    // The lease runs from the claim: a task that waited for a slot beats sooner.
    let mut last = claimed_at;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(last + interval) => {}
            () = observer.progress.notified() => {
                tokio::time::sleep_until(last + min_gap).await;
            }
        }
        last = Instant::now();
        match queue.heartbeat(&lease.uuid, &lease.token, lease_for).await {
            Ok(beat) if beat.cancel_requested => {
                tracing::info!(task_id = %lease.uuid, "cancel requested: stopping the task");
                return Stop::CancelRequested;
            }
            Ok(_) => {}
            Err(QueueError::LeaseLost { .. }) => {
                tracing::warn!(task_id = %lease.uuid, attempt = lease.attempt,
                    "lease lost while running (taken over or ended elsewhere): stopping without settling");
                return Stop::LeaseLost;
            }
            Err(error) => {
                tracing::warn!(task_id = %lease.uuid, %error, "heartbeat failed; trying again");
            }
        }
    }
}
