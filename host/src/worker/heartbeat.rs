//! Keeping a lease alive while its task runs.
//!
//! A heartbeat goes out every third of the lease, and sooner when the plugin reports progress
//! (its `progress.report` is its sign of life), but never more often than every tenth of the
//! lease. The loop ends only when the lease is lost (fencing: the task must stop and must not
//! settle) or when somebody cancelled the task.
//!
//! A heartbeat never extends the lease past the task's deadline (the smaller of its plugin's
//! time limit and its `timeout`) plus one lease of margin for stopping and settling: the
//! runtime stops a hung plugin at its deadline, and should this host hang as well, the lease
//! (an SQS message's visibility) runs out and another host takes the task. Nothing is renewed
//! for ever.

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

/// When a lease started, how long each extension lasts, and the task's deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeaseTimes {
    /// The length of one extension.
    pub(crate) lease_for: Duration,
    /// When the lease was taken (it runs from there).
    pub(crate) claimed_at: Instant,
    /// When the task must have stopped, if it has a limit.
    pub(crate) deadline: Option<Instant>,
}

impl LeaseTimes {
    /// The extension to ask for at `now`: a full lease, cut so that it ends no later than one
    /// lease after the deadline; `None` once that point has passed.
    pub(crate) fn extension_at(&self, now: Instant) -> Option<Duration> {
        let Some(deadline) = self.deadline else {
            return Some(self.lease_for);
        };
        let last_end = deadline + self.lease_for;
        let left = last_end.saturating_duration_since(now);
        (!left.is_zero()).then(|| left.min(self.lease_for))
    }
}

/// Heartbeats `lease` until it must stop; runs for as long as the task does.
pub(crate) async fn keep_alive(
    queue: &dyn TaskQueue,
    lease: &Lease,
    times: LeaseTimes,
    observer: &LeaseObserver,
) -> Stop {
    let lease_for = times.lease_for;
    let interval = lease_for / 3;
    let min_gap = lease_for / 10;
    // The lease runs from the claim: a task that waited for a slot beats sooner.
    let mut last = times.claimed_at;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(last + interval) => {}
            () = observer.progress.notified() => {
                tokio::time::sleep_until(last + min_gap).await;
            }
        }
        last = Instant::now();
        let Some(extension) = times.extension_at(last) else {
            tracing::warn!(task_id = %lease.uuid,
                "the task ran past its deadline: no more heartbeats, its lease will run out");
            return std::future::pending().await;
        };
        match queue.heartbeat(&lease.uuid, &lease.token, extension).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_stop_one_lease_after_the_deadline() {
        let start = Instant::now();
        let lease_for = Duration::from_secs(30);
        let unbounded = LeaseTimes {
            lease_for,
            claimed_at: start,
            deadline: None,
        };
        assert_eq!(
            unbounded.extension_at(start + Duration::from_secs(86_400)),
            Some(lease_for)
        );
        let bounded = LeaseTimes {
            deadline: Some(start + Duration::from_secs(60)),
            ..unbounded
        };
        assert_eq!(bounded.extension_at(start), Some(lease_for));
        assert_eq!(
            bounded.extension_at(start + Duration::from_secs(80)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(bounded.extension_at(start + Duration::from_secs(90)), None);
        assert_eq!(bounded.extension_at(start + Duration::from_secs(500)), None);
    }
}
