//! Metrics and readiness of `taskhost run`.
//!
//! Metrics go through the `metrics` facade to a Prometheus recorder installed once per
//! process and rendered by `GET /metrics`:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `taskhost_tasks_total` | counter | `task`, `outcome` (succeeded, failed, retrying, dead, expired, cancelled, lease_lost, released) |
//! | `taskhost_task_duration_seconds` | histogram | `task` |
//! | `taskhost_task_retries_total` | counter | `task` |
//! | `taskhost_lease_expiries_total` | counter | |
//! | `taskhost_queue_depth` | gauge | `state` (summed over task names) |
//! | `taskhost_queue_tasks` | gauge | `task`, `state` |
//! | `taskhost_aws_request_seconds` | histogram | `service` (sqs, sns), `operation` (ReceiveMessage, Publish, ...) |
//!
//! Readiness (`/readyz`) is true once the host has started, while the last queue call
//! succeeded, and until shutdown begins.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use taskhost_queue::{FailOutcome, StateCount, TaskState};

/// How a task's attempt ended, as the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Completed.
    Succeeded,
    /// Ended `failed` (final, not dead-lettered).
    Failed,
    /// Queued again for another attempt.
    Retrying,
    /// Dead-lettered.
    Dead,
    /// Its deadline had passed.
    Expired,
    /// Cancelled.
    Cancelled,
    /// Its lease was lost; nothing was settled.
    LeaseLost,
    /// Released at shutdown.
    Released,
}

impl TaskOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::LeaseLost => "lease_lost",
            Self::Released => "released",
        }
    }
}

impl From<FailOutcome> for TaskOutcome {
    fn from(outcome: FailOutcome) -> Self {
        match outcome {
            FailOutcome::Retrying { .. } => Self::Retrying,
            FailOutcome::Dead => Self::Dead,
            FailOutcome::Failed => Self::Failed,
            FailOutcome::Cancelled => Self::Cancelled,
        }
    }
}

/// Task duration buckets, in seconds (a millisecond to an hour).
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0, 3600.0,
];

/// AWS request buckets, in seconds (a millisecond to a long poll).
const REQUEST_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 25.0,
];

/// The process's metrics and readiness. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Telemetry {
    prometheus: Option<PrometheusHandle>,
    started: Arc<AtomicBool>,
    queue_ok: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

impl Telemetry {
    /// Installs the process's Prometheus recorder (once; later calls share it).
    pub fn install() -> Self {
        static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
        let prometheus = HANDLE
            .get_or_init(|| {
                let builder = PrometheusBuilder::new()
                    .set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(
                            "taskhost_task_duration_seconds".into(),
                        ),
                        &DURATION_BUCKETS,
                    )
                    .ok()?
                    .set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(
                            taskhost_aws::REQUEST_SECONDS.into(),
                        ),
                        &REQUEST_BUCKETS,
                    )
                    .ok()?;
                match builder.install_recorder() {
                    Ok(handle) => Some(handle),
                    Err(error) => {
                        tracing::warn!(%error, "metrics recorder not installed");
                        None
                    }
                }
            })
            .clone();
        Self {
            prometheus,
            started: Arc::new(AtomicBool::new(false)),
            queue_ok: Arc::new(AtomicBool::new(true)),
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        match &self.prometheus {
            Some(handle) => {
                handle.run_upkeep();
                handle.render()
            }
            None => String::new(),
        }
    }

    /// A task attempt ended.
    pub fn task_finished(&self, task: &str, outcome: TaskOutcome, started: Instant) {
        let task = task.to_owned();
        metrics::counter!("taskhost_tasks_total", "task" => task.clone(), "outcome" => outcome.as_str())
            .increment(1);
        if outcome == TaskOutcome::Retrying {
            metrics::counter!("taskhost_task_retries_total", "task" => task.clone()).increment(1);
        }
        metrics::histogram!("taskhost_task_duration_seconds", "task" => task)
            .record(started.elapsed().as_secs_f64());
    }

    /// Expired leases were reaped.
    pub fn lease_expiries(&self, count: u64) {
        metrics::counter!("taskhost_lease_expiries_total").increment(count);
    }

    /// The queue's counts by name and state.
    pub fn queue_depth(&self, counts: &[StateCount]) {
        let mut by_state: BTreeMap<TaskState, u64> =
            TaskState::ALL.into_iter().map(|state| (state, 0)).collect();
        for count in counts {
            *by_state.entry(count.state).or_default() += count.count;
            metrics::gauge!("taskhost_queue_tasks", "task" => count.name.clone(), "state" => count.state.as_str())
                .set(count.count as f64);
        }
        for (state, count) in by_state {
            metrics::gauge!("taskhost_queue_depth", "state" => state.as_str()).set(count as f64);
        }
    }

    /// Whether the last queue call worked.
    pub fn queue_reachable(&self, reachable: bool) {
        self.queue_ok.store(reachable, Ordering::Relaxed);
    }

    /// The host has started (plugins loaded, queue connected, API bound).
    pub fn mark_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// Shutdown began: not ready any more.
    pub fn mark_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Whether `/readyz` says ready, and if not, why.
    pub fn readiness(&self) -> Result<(), &'static str> {
        if self.stopping.load(Ordering::Relaxed) {
            Err("shutting down")
        } else if !self.started.load(Ordering::Relaxed) {
            Err("starting")
        } else if !self.queue_ok.load(Ordering::Relaxed) {
            Err("the queue is not reachable")
        } else {
            Ok(())
        }
    }
}
