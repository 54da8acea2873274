//! The worker of `taskhost run`: leases tasks from a [`TaskQueue`], runs each in a slot, keeps
//! its lease alive, and settles it (complete, fail, expire or release).
//!
//! - **Slots.** At most `slots` tasks run at once. A claim asks for as many tasks as there are
//!   free slots (capped by `max_batch`), for the task names this host routes, with the per-name
//!   caps; with nothing to claim the worker waits on the queue's wake-up (LISTEN/NOTIFY or
//!   in-process) with a polling fallback. For task names whose runs are quick ([`quick`]) it
//!   claims up to `prefetch` more, which wait in claim order for a slot, so that the next
//!   claim's round trip overlaps the running tasks instead of idling the slots.
//! - **Leases.** Each running task heartbeats at a third of the lease, and sooner when its
//!   plugin reports progress ([`heartbeat`]). A heartbeat that finds the lease lost stops the
//!   plugin and changes nothing (fencing); one that finds a cancel request stops it and ends the
//!   task `cancelled`.
//! - **Settling.** Successes are completed in batches ([`completer`]) after the result has been
//!   published; failures go through the failure's disposition (retry with backoff, dead-letter,
//!   final). Invalid envelopes are dead-lettered at once with their reason.
//! - **Shutdown.** [`Worker::run`] stops claiming when `shutdown` fires, lets running tasks
//!   finish within the grace period, then stops the rest and releases their leases so that
//!   another host takes them at once.

mod completer;
mod heartbeat;
mod quick;
mod settle;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use taskhost_queue::{ClaimRequest, Lease, TaskQueue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::dispatch::Dispatcher;
use crate::publish::Publisher;
use crate::telemetry::Telemetry;
use crate::trace::TraceContext;

pub use completer::{Completer, CompletionBatching};

/// How a worker claims and runs tasks.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// This host's worker id in the queue (lease owner, `tried_by`).
    pub worker_id: String,
    /// Tasks run at once.
    pub slots: u32,
    /// The most tasks one claim asks for.
    pub max_batch: u32,
    /// Tasks of quick names claimed beyond the free slots, waiting for one (0: none).
    pub prefetch: u32,
    /// A lease's length; heartbeats extend it.
    pub lease_for: Duration,
    /// The task names to claim (the routes, narrowed by `--names`).
    pub names: Vec<String>,
    /// Per task name: at most this many at once on this host.
    pub caps: BTreeMap<String, u32>,
    /// How long running tasks may take to finish after shutdown is asked for.
    pub grace: Duration,
    /// The longest wait for work between claims (the fallback to wake-ups).
    pub idle_poll: Duration,
    /// How often expired leases are reaped.
    pub reap_every: Duration,
    /// How completions are gathered into one `complete_many` call.
    pub completion_batching: CompletionBatching,
}

impl WorkerSettings {
    /// Settings with the defaults of `taskhost run` for `slots` slots.
    pub fn new(worker_id: impl Into<String>, slots: u32, names: Vec<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            slots: slots.max(1),
            max_batch: 256,
            prefetch: 64 * slots.max(1),
            lease_for: Duration::from_secs(30),
            names,
            caps: BTreeMap::new(),
            grace: Duration::from_secs(30),
            idle_poll: Duration::from_secs(1),
            reap_every: Duration::from_secs(1),
            completion_batching: CompletionBatching::default(),
        }
    }
}

/// Called after a task's final state is stored (the API's result long-poll listens).
pub trait FinishedListener: Send + Sync {
    /// The task `uuid` reached a final state (or was queued again after a failure).
    fn finished(&self, uuid: &str);
}

/// A listener for nobody (when no API waits for results).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoListener;

impl FinishedListener for NoListener {
    fn finished(&self, _uuid: &str) {}
}

/// What a worker needs, shared by its running tasks.
pub(crate) struct WorkerContext {
    pub(crate) queue: Arc<dyn TaskQueue>,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) publisher: Arc<dyn Publisher>,
    pub(crate) telemetry: Telemetry,
    pub(crate) settings: WorkerSettings,
    pub(crate) completer: Completer,
    pub(crate) finished: Arc<dyn FinishedListener>,
    /// Recent run times per task name: which names may be prefetched.
    pub(crate) quick: quick::QuickNames,
    /// Fired when the grace period is over: running tasks stop and release their leases.
    pub(crate) hard_stop: CancellationToken,
}

/// A worker over one queue.
pub struct Worker {
    context: Arc<WorkerContext>,
    completer_task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("settings", &self.context.settings)
            .finish_non_exhaustive()
    }
}

/// What a worker did between start and shutdown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Leases taken.
    pub leased: u64,
    /// Tasks still running when the grace period ended: stopped and released.
    pub released_at_shutdown: u64,
}

impl Worker {
    /// A worker; nothing runs until [`Worker::run`].
    pub fn new(
        queue: Arc<dyn TaskQueue>,
        dispatcher: Dispatcher,
        publisher: Arc<dyn Publisher>,
        telemetry: Telemetry,
        finished: Arc<dyn FinishedListener>,
        settings: WorkerSettings,
    ) -> Self {
        let (completer, completer_task) = Completer::start(
            Arc::clone(&queue),
            telemetry.clone(),
            Arc::clone(&finished),
            settings.completion_batching,
        );
        let context = Arc::new(WorkerContext {
            queue,
            dispatcher,
            publisher,
            telemetry,
            settings,
            completer,
            finished,
            quick: quick::QuickNames::default(),
            hard_stop: CancellationToken::new(),
        });
        Self {
            context,
            completer_task,
        }
    }

    /// Claims and runs tasks until `shutdown` is cancelled; then drains (see the module doc).
    /// Cancelling `force` ends the grace period early.
    pub async fn run(self, shutdown: CancellationToken, force: CancellationToken) -> WorkerReport {
        let context = Arc::clone(&self.context);
        let settings = &context.settings;
        let slots = Arc::new(Semaphore::new(settings.slots as usize));
        // Claimed and not yet settled: running, or prefetched and waiting for a slot.
        let held = Arc::new(Semaphore::new(
            (settings.slots + settings.prefetch) as usize,
        ));
        let running = TaskTracker::new();
        let reaper = tokio::spawn(reap_loop(Arc::clone(&context), shutdown.clone()));
        let mut report = WorkerReport::default();
        tracing::info!(worker = %settings.worker_id, slots = settings.slots,
            prefetch = settings.prefetch, names = ?settings.names, caps = ?settings.caps,
            backend = context.queue.backend(), "worker started");
        while !shutdown.is_cancelled() {
            let Some(mut permits) = free_permits(&held, settings.max_batch, &shutdown).await else {
                break;
            };
            let held_before = held_count(&held, settings) - permits.len();
            let free_slots = (settings.slots as usize).saturating_sub(held_before);
            let mut claiming =
                Box::pin(claim_round(Arc::clone(&context), free_slots, permits.len()));
            let claimed = tokio::select! {
                biased;
                claimed = &mut claiming => claimed,
                () = shutdown.cancelled() => {
                    // A receive may be under way (an SQS long poll): let it end in the
                    // background, and give back at once whatever it brings.
                    let context = Arc::clone(&context);
                    running.spawn(async move {
                        if let Ok(leases) = claiming.await {
                            for lease in leases {
                                settle::release_unstarted(&context, &lease).await;
                            }
                        }
                        drop(permits);
                    });
                    break;
                }
            };
            let (leases, claimed_none) = match claimed {
                Ok(leases) => {
                    let none = leases.is_empty();
                    (leases, none)
                }
                Err(()) => {
                    drop(permits);
                    idle(&context, &shutdown, true).await;
                    continue;
                }
            };
            report.leased += leases.len() as u64;
            for lease in leases {
                let Some(permit) = permits.pop() else {
                    break;
                };
                let context = Arc::clone(&context);
                let slots = Arc::clone(&slots);
                let shutdown = shutdown.clone();
                // Every log line of the task, the plugin's own included, carries its id and
                // its trace (continued from the producer's `traceparent` when it sent one).
                let trace = TraceContext::continue_or_start(lease.trace_parent.as_deref());
                let span = tracing::info_span!("task", task_id = %lease.uuid,
                    task = %lease.name, attempt = lease.attempt,
                    trace_id = %trace.trace_id_hex(), span_id = %trace.span_id_hex(),
                    parent_span_id = %trace.parent_span_id_hex());
                running.spawn(
                    async move {
                        let claimed_at = tokio::time::Instant::now();
                        // Shutdown first: a lease that has not started by then goes back at
                        // once, even when a slot is free.
                        let slot = tokio::select! {
                            biased;
                            () = shutdown.cancelled() => {
                                settle::release_unstarted(&context, &lease).await;
                                drop(permit);
                                return;
                            }
                            slot = slots.acquire_owned() => slot,
                        };
                        settle::run_lease(&context, lease, claimed_at, trace).await;
                        drop(slot);
                        drop(permit);
                    }
                    .instrument(span),
                );
            }
            drop(permits);
            if claimed_none {
                if free_slots == 0 && context.quick.among(&settings.names).is_empty() {
                    // Every slot is taken and nothing may be prefetched: wait for a slot.
                    wait_for_slot(&slots, &shutdown).await;
                } else if free_slots == 0 {
                    // Every slot is taken: wait for a slot, or for quick work to prefetch.
                    tokio::select! {
                        () = wait_for_slot(&slots, &shutdown) => {}
                        () = idle(&context, &shutdown, false) => {}
                    }
                } else {
                    idle(&context, &shutdown, false).await;
                }
            }
        }
        running.close();
        tracing::info!(running = running.len(), grace = ?settings.grace,
            "shutting down: no more claims; waiting for running tasks");
        let drained = tokio::select! {
            result = tokio::time::timeout(settings.grace, running.wait()) => result.is_ok(),
            () = force.cancelled() => running.is_empty(),
        };
        if !drained {
            report.released_at_shutdown = running.len() as u64;
            tracing::warn!(
                running = running.len(),
                "grace period over: stopping the running tasks and releasing their leases"
            );
            context.hard_stop.cancel();
            running.wait().await;
        }
        reaper.abort();
        let _ = reaper.await;
        // Every clone of the context holds a completer handle: drop them all so that the
        // completer sees its channel close once it has stored what is left.
        drop(context);
        let Worker {
            context,
            completer_task,
        } = self;
        drop(context);
        // Every task has handed its completion over; the completer flushes them and ends.
        let _ = completer_task.await;
        tracing::info!(?report, "worker stopped");
        report
    }
}

/// Waits for at least one free permit, then takes every free one (up to `max_batch`).
async fn free_permits(
    held: &Arc<Semaphore>,
    max_batch: u32,
    shutdown: &CancellationToken,
) -> Option<Vec<OwnedSemaphorePermit>> {
    let first = tokio::select! {
        permit = Arc::clone(held).acquire_owned() => permit.ok()?,
        () = shutdown.cancelled() => return None,
    };
    let mut permits = vec![first];
    while permits.len() < max_batch.max(1) as usize {
        match Arc::clone(held).try_acquire_owned() {
            Ok(permit) => permits.push(permit),
            Err(_) => break,
        }
    }
    Some(permits)
}

/// Tasks claimed and not yet settled (permits of `held` taken).
fn held_count(held: &Semaphore, settings: &WorkerSettings) -> usize {
    (settings.slots + settings.prefetch) as usize - held.available_permits()
}

/// Waits until a slot is free (without keeping it) or shutdown.
async fn wait_for_slot(slots: &Arc<Semaphore>, shutdown: &CancellationToken) {
    tokio::select! {
        permit = slots.acquire() => drop(permit),
        () = shutdown.cancelled() => {}
    }
}

/// One claim round for `room` tasks: as many of any routed name as there are free slots, then
/// the rest (prefetch) of the names that are quick now.
async fn claim_round(
    context: Arc<WorkerContext>,
    free_slots: usize,
    room: usize,
) -> Result<Vec<Lease>, ()> {
    let context = &*context;
    let settings = &context.settings;
    let mut leases = Vec::new();
    let for_slots = free_slots.min(room);
    if for_slots > 0 {
        leases = claim(context, &settings.names, for_slots).await?;
        if leases.len() < for_slots {
            // The queue has nothing more this host may run now.
            return Ok(leases);
        }
    }
    let rest = room - leases.len();
    if rest > 0 && settings.prefetch > 0 {
        let quick = context.quick.among(&settings.names);
        if !quick.is_empty() {
            match claim(context, &quick, rest).await {
                Ok(more) => leases.extend(more),
                // What was claimed already runs; the next round tries again.
                Err(()) if !leases.is_empty() => {}
                Err(()) => return Err(()),
            }
        }
    }
    Ok(leases)
}

async fn claim(context: &WorkerContext, names: &[String], free: usize) -> Result<Vec<Lease>, ()> {
    let settings = &context.settings;
    let request = ClaimRequest {
        worker: settings.worker_id.clone(),
        names: names.to_vec(),
        limit: u32::try_from(free).unwrap_or(u32::MAX),
        lease_for: settings.lease_for,
        caps: settings.caps.clone(),
    };
    match context.queue.claim(&request).await {
        Ok(leases) => {
            context.telemetry.queue_reachable(true);
            Ok(leases)
        }
        Err(error) => {
            context.telemetry.queue_reachable(false);
            tracing::error!(%error, "claiming tasks failed; retrying");
            Err(())
        }
    }
}

/// Waits for work, a shutdown, or (after an error) a short pause.
async fn idle(context: &WorkerContext, shutdown: &CancellationToken, after_error: bool) {
    let wait = context.settings.idle_poll;
    tokio::select! {
        _ = async {
            if after_error {
                tokio::time::sleep(wait).await;
            } else {
                context.queue.wait_for_work(wait).await;
            }
        } => {}
        () = shutdown.cancelled() => {}
    }
}

/// Re-queues expired leases (of any host) now and then, and refreshes the queue-depth gauges.
async fn reap_loop(context: Arc<WorkerContext>, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(context.settings.reap_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => return,
        }
        match context.queue.reap().await {
            Ok(report) if report.moved() > 0 => {
                tracing::warn!(
                    requeued = report.requeued,
                    dead = report.dead,
                    cancelled = report.cancelled,
                    "expired leases reaped"
                );
                context.telemetry.lease_expiries(report.moved());
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reaping expired leases failed"),
        }
        if round.is_multiple_of(5) {
            match context.queue.counts().await {
                Ok(counts) => context.telemetry.queue_depth(&counts),
                Err(error) => tracing::warn!(%error, "reading queue counts failed"),
            }
        }
        round += 1;
    }
}
