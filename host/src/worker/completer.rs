//! Completing succeeded tasks in batches.
//!
//! Running tasks hand their completion over and free their slot at once; one loop takes
//! whatever completions are waiting (up to [`MAX_BATCH`]) and stores them with one
//! `complete_many` call (one transaction). Under load that turns thousands of commits into a
//! few; when idle a batch is a single completion, stored without waiting for company — unless
//! [`CompletionBatching::linger`] asks to wait a moment for a fuller batch (SQS, where every
//! delete call is a billed request and ten fit in one). Each item stays fenced: a completion
//! whose lease was lost changes nothing and is logged.

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

/// How completions are gathered into one `complete_many` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletionBatching {
    /// How long the first completion of a batch may wait for others (zero: not at all).
    pub linger: Duration,
    /// A batch this large is stored without lingering further.
    pub fill: usize,
}

impl Default for CompletionBatching {
    /// No lingering: store whatever is waiting at once.
    fn default() -> Self {
        Self {
            linger: Duration::ZERO,
            fill: MAX_BATCH,
        }
    }
}

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
        batching: CompletionBatching,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(store_loop(queue, telemetry, finished, receiver, batching));
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
    batching: CompletionBatching,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        linger(&mut receiver, &mut batch, batching).await;
        store(&*queue, &telemetry, &*finished, &mut batch).await;
    }
}

/// Waits up to `batching.linger` for the batch to reach `batching.fill` (a closed channel ends
/// the wait: shutdown stores what it has).
async fn linger(
    receiver: &mut mpsc::UnboundedReceiver<PendingCompletion>,
    batch: &mut Vec<PendingCompletion>,
    batching: CompletionBatching,
) {
    if batching.linger.is_zero() {
        return;
    }
    let until = tokio::time::Instant::now() + batching.linger;
    let fill = batching.fill.clamp(1, MAX_BATCH);
    while batch.len() < fill {
        let more = receiver.recv_many(batch, fill - batch.len());
        match tokio::time::timeout_at(until, more).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use taskhost_queue::{LeaseToken, TaskResult};

    fn pending(n: usize) -> PendingCompletion {
        PendingCompletion {
            completion: Completion {
                uuid: format!("t{n}"),
                token: LeaseToken(format!("token-{n}")),
                result: TaskResult::Json("{}".into()),
            },
            task_name: "Echo".into(),
            started: Instant::now(),
        }
    }

    fn lingering(fill: usize) -> CompletionBatching {
        CompletionBatching {
            linger: Duration::from_millis(50),
            fill,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lingering_batch_takes_what_arrives_in_time_and_stops_when_full() {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        sender.send(pending(0)).unwrap();
        let late = sender.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            late.send(pending(1)).unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            late.send(pending(2)).unwrap();
        });
        let mut batch = Vec::new();
        receiver.recv_many(&mut batch, MAX_BATCH).await;
        let started = tokio::time::Instant::now();
        linger(&mut receiver, &mut batch, lingering(10)).await;
        assert_eq!(
            batch.len(),
            2,
            "the one at 20 ms joined, the one at 120 ms did not"
        );
        assert_eq!(started.elapsed(), Duration::from_millis(50));

        for n in 3..6 {
            sender.send(pending(n)).unwrap();
        }
        let mut full = Vec::new();
        receiver.recv_many(&mut full, 1).await;
        let started = tokio::time::Instant::now();
        linger(&mut receiver, &mut full, lingering(2)).await;
        assert_eq!(full.len(), 2);
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "a full batch does not wait"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_linger_or_after_shutdown_nothing_waits() {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        sender.send(pending(0)).unwrap();
        let mut batch = Vec::new();
        receiver.recv_many(&mut batch, MAX_BATCH).await;
        let started = tokio::time::Instant::now();
        linger(&mut receiver, &mut batch, CompletionBatching::default()).await;
        drop(sender);
        linger(&mut receiver, &mut batch, lingering(10)).await;
        assert_eq!((batch.len(), started.elapsed()), (1, Duration::ZERO));
    }
}
