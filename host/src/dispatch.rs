//! One task from envelope to result message: route by name, refuse expired tasks, run the
//! plugin in the sandbox, and build the result message (offloading large results).

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use crate::capabilities::storage::Grant;
use crate::envelope::Envelope;
use crate::result_message::{OffloadSettings, ResultMessage};
use crate::router::Router;
use crate::runtime::{LoadedPlugin, Runtime, TaskFailure, TaskObserver, TaskReport, TaskRequest};
use crate::storage::{StorageBackend, StorageError};

/// How a dispatched task ended.
#[derive(Debug)]
pub enum Outcome {
    /// It ran and succeeded.
    Succeeded,
    /// It ran (or tried to) and failed.
    Failed(TaskFailure),
    /// Its `timeout` had passed before it could run; it was not run.
    Expired,
}

/// A dispatched task: how it ended, its result message, and what running it cost.
#[derive(Debug)]
pub struct Dispatched {
    /// How it ended.
    pub outcome: Outcome,
    /// The message to publish.
    pub message: ResultMessage,
    /// Time and memory used, when it ran.
    pub report: Option<TaskReport>,
}

/// Why a task could not be dispatched at all.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// No loaded plugin handles the task's name.
    #[error("no plugin handles task {name:?} (loaded: {})", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    UnknownTask {
        /// The task name.
        name: String,
        /// The names that are routed.
        known: Vec<String>,
    },
    /// Writing an offloaded result failed.
    #[error("cannot store the task's large result: {0}")]
    Offload(#[from] StorageError),
}

/// Routes and runs tasks.
#[derive(Clone)]
pub struct Dispatcher {
    runtime: Arc<Runtime>,
    router: Arc<Router>,
    storage: Arc<dyn StorageBackend>,
    grants: Arc<[Grant]>,
    offload: OffloadSettings,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("router", &self.router)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over loaded plugins and a storage backend.
    pub fn new(
        runtime: Arc<Runtime>,
        router: Arc<Router>,
        storage: Arc<dyn StorageBackend>,
        grants: Arc<[Grant]>,
        offload: OffloadSettings,
    ) -> Self {
        Self {
            runtime,
            router,
            storage,
            grants,
            offload,
        }
    }

    /// The router in use.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The storage backend tasks use (the API serves its presigned URLs).
    pub fn storage(&self) -> &Arc<dyn StorageBackend> {
        &self.storage
    }

    /// How long the task may run if it starts now: the smaller of its plugin's time limit and
    /// what is left until its `timeout`. `None` when no plugin handles it.
    pub fn time_limit(&self, envelope: &Envelope) -> Option<std::time::Duration> {
        let plugin = self.plugin_for(envelope).ok()?;
        let limit = self.runtime.limits_for(plugin).timeout;
        let until_timeout = envelope
            .timeout
            .map(|t| (t - Utc::now()).to_std().unwrap_or_default());
        Some(until_timeout.map_or(limit, |left| left.min(limit)))
    }

    /// Checks that a task can be routed, without running it.
    pub fn check_route(&self, envelope: &Envelope) -> Result<(), DispatchError> {
        self.plugin_for(envelope).map(|_| ())
    }

    fn plugin_for(&self, envelope: &Envelope) -> Result<&Arc<LoadedPlugin>, DispatchError> {
        self.router
            .route(&envelope.task_name)
            .ok_or_else(|| DispatchError::UnknownTask {
                name: envelope.task_name.clone(),
                known: self.router.task_names().map(str::to_owned).collect(),
            })
    }

    /// Runs attempt `attempt` of the task in `envelope`.
    pub async fn dispatch(
        &self,
        envelope: &Envelope,
        attempt: u32,
        observer: Arc<dyn TaskObserver>,
    ) -> Result<Dispatched, DispatchError> {
        let plugin = self.plugin_for(envelope)?;
        let now = Utc::now();
        if envelope.is_expired_at(now) {
            tracing::warn!(task_id = %envelope.uuid, task = %envelope.task_name,
                timeout = ?envelope.timeout, "task expired before it ran; not running it");
            let message = ResultMessage::failure(
                &envelope.original,
                "EXPIRED",
                "The task's timeout passed before it could run.",
            );
            return Ok(Dispatched {
                outcome: Outcome::Expired,
                message,
                report: None,
            });
        }
        let deadline = envelope
            .timeout
            .map(|t| Instant::now() + (t - now).to_std().unwrap_or_default());
        let request = TaskRequest {
            id: envelope.uuid.clone(),
            name: envelope.task_name.clone(),
            experiment_id: envelope.experiment_id.clone(),
            body: envelope.body_json(),
            attempt,
            deadline,
            storage: Arc::clone(&self.storage),
            grants: Arc::clone(&self.grants),
            observer,
        };
        let report = self.runtime.run(plugin, request).await;
        let (outcome, message) = match &report.result {
            Ok(outputs) => {
                let message = ResultMessage::success_or_offloaded(
                    &envelope.original,
                    &envelope.uuid,
                    outputs,
                    &*self.storage,
                    &self.offload,
                )
                .await?;
                (Outcome::Succeeded, message)
            }
            Err(failure) => {
                tracing::warn!(task_id = %envelope.uuid, task = %envelope.task_name,
                    plugin = %plugin.info.name, error = %failure, "task failed");
                let message = ResultMessage::failure(
                    &envelope.original,
                    failure.error_code(),
                    &failure.user_message(),
                );
                (Outcome::Failed(failure.clone()), message)
            }
        };
        tracing::info!(task_id = %envelope.uuid, task = %envelope.task_name, plugin = %plugin.info.name,
            wall_ms = report.wall_time.as_secs_f64() * 1e3, peak_memory = report.peak_memory,
            ok = report.result.is_ok(), "task finished");
        Ok(Dispatched {
            outcome,
            message,
            report: Some(report),
        })
    }
}
