//! Completing succeeded tasks in batches.
//!
//! Running tasks hand their completion over and free their slot at once; one loop takes
//! whatever completions are waiting (up to [`MAX_BATCH`]) and stores them with one
//! `complete_many` call (one transaction). Under load that turns thousands of commits into a
//! few; when idle a batch is a single completion, stored without waiting for company. Each item
//! stays fenced: a completion whose lease was lost changes nothing and is logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use taskhost_queue::{Completion, TaskQueue};
use tokio::sync::mpsc;

use super::FinishedListener;
use crate::telemetry::{TaskOutcome, Telemetry};

/// The most completions stored in one call.
pub const MAX_BATCH: usize = 512;

/// How often a batch that failed to store is tried again before the tasks are left to their
/// lease (they will run again: at-least-once).
const STORE_TRIES: u32 = 5;

/// A completion waiting to be stored.
#[derive(Debug)]
pub(crate) struct PendingCompletion {
    pub(crate) completion: Completion,
    pub(crate) task_name: String,
    pub(crate) started: Instant,
}

/// The handle running tasks send completions to.
#[derive(Debug, Clone)]
pub struct Completer {
    sender: mpsc::UnboundedSender<PendingCompletion>,
}

impl Completer {
    /// Starts the completion loop; it ends once every handle is dropped and the rest is stored.
    pub(crate) fn start(
        queue: Arc<dyn TaskQueue>,
        telemetry: Telemetry,
        finished: Arc<dyn FinishedListener>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(store_loop(queue, telemetry, finished, receiver));
        (Self { sender }, task)
    }

    /// Queues a completion for storing.
    pub(crate) fn submit(&self, pending: PendingCompletion) {
        if let Err(error) = self.sender.send(pending) {
            // Only after shutdown: the lease expires and the task runs again.
            tracing::error!(task_id = %error.0.completion.uuid,
                "completion arrived after the completer stopped; the task will run again");
        }
    }
}

async fn store_loop(
    queue: Arc<dyn TaskQueue>,
    telemetry: Telemetry,
    finished: Arc<dyn FinishedListener>,
    mut receiver: mpsc::UnboundedReceiver<PendingCompletion>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        store(&*queue, &telemetry, &*finished, &mut batch).await;
    }
}

async fn store(
    queue: &dyn TaskQueue,
    telemetry: &Telemetry,
    finished: &dyn FinishedListener,
    batch: &mut Vec<PendingCompletion>,
) {
    let completions: Vec<Completion> = batch.iter().map(|p| p.completion.clone()).collect();
    let mut delay = Duration::from_millis(50);
    let mut tries = 0;
    let report = loop {
        tries += 1;
        match queue.complete_many(completions.clone()).await {
            Ok(report) => break Some(report),
            Err(error) if tries < STORE_TRIES => {
                tracing::warn!(%error, tasks = completions.len(), "storing completions failed; trying again");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(error) => {
                tracing::error!(%error, tasks = completions.len(),
                    "storing completions failed; the tasks will run again when their leases expire");
                break None;
            }
        }
    };
    for pending in batch.drain(..) {
        let uuid = &pending.completion.uuid;
        let lost = report
            .as_ref()
            .is_none_or(|report| report.lease_lost.contains(uuid));
        if lost {
            if report.is_some() {
                tracing::warn!(task_id = %uuid, "completion refused: the lease was lost (fenced)");
            }
            telemetry.task_finished(&pending.task_name, TaskOutcome::LeaseLost, pending.started);
        } else {
            telemetry.task_finished(&pending.task_name, TaskOutcome::Succeeded, pending.started);
            finished.finished(uuid);
        }
    }
}
