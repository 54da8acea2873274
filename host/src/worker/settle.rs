//! One lease from start to settlement: parse the envelope, run the task while heartbeating,
//! publish the result, then complete, fail, expire or release the lease.

use std::time::Instant;

use taskhost_queue::{Completion, Failure, FailureKind, Lease, QueueError, TaskResult};

use super::WorkerContext;
use super::completer::PendingCompletion;
use super::heartbeat::{self, LeaseObserver, Stop};
use crate::dispatch::{DispatchError, Dispatched, Outcome};
use crate::envelope::Envelope;
use crate::result_message::ResultMessage;
use crate::runtime::{Disposition, TaskFailure};
use crate::telemetry::TaskOutcome;
use crate::trace::TraceContext;

/// Runs one leased task and settles its lease.
pub(crate) async fn run_lease(
    context: &WorkerContext,
    lease: Lease,
    claimed_at: tokio::time::Instant,
    trace: TraceContext,
) {
    let started = Instant::now();
    let envelope = match Envelope::parse(lease.envelope.as_bytes()) {
        Ok(envelope) => envelope,
        Err(error) => {
            let reason = format!("invalid task envelope: {error}");
            tracing::warn!(task_id = %lease.uuid, %reason, "dead-lettering an invalid task");
            let failure = Failure::invalid_input(reason);
            fail(context, &lease, failure, None, started).await;
            return;
        }
    };
    let observer = LeaseObserver::new(&lease.uuid);
    let settings = &context.settings;
    // Heartbeats never keep the lease past the time the task may run: a hung plugin is
    // stopped by the runtime at that deadline, and the lease then runs out instead of being
    // renewed for ever.
    let deadline = context
        .dispatcher
        .time_limit(&envelope)
        .map(|limit| tokio::time::Instant::now() + limit);
    let run = context
        .dispatcher
        .dispatch(&envelope, lease.attempt, observer.clone());
    let keep_alive = heartbeat::keep_alive(
        &*context.queue,
        &lease,
        heartbeat::LeaseTimes {
            lease_for: settings.lease_for,
            claimed_at,
            deadline,
        },
        &observer,
    );
    let dispatched = tokio::select! {
        dispatched = run => dispatched,
        stop = keep_alive => {
            match stop {
                Stop::LeaseLost => {
                    context.telemetry.task_finished(&lease.name, TaskOutcome::LeaseLost, started);
                }
                Stop::CancelRequested => {
                    let failure = Failure::final_failure("cancelled while running");
                    fail(context, &lease, failure, None, started).await;
                }
            }
            return;
        }
        () = context.hard_stop.cancelled() => {
            release(context, &lease, started).await;
            return;
        }
    };
    match dispatched {
        Ok(dispatched) => {
            context.quick.observe(&lease.name, started.elapsed());
            settle(context, &lease, &envelope, dispatched, started, &trace).await;
        }
        Err(DispatchError::UnknownTask { name, .. }) => {
            // Claimed by its route, which has gone since: another host may have the plugin.
            let failure = Failure::retry(format!("no plugin handles task {name:?} on this host"));
            fail(context, &lease, failure, None, started).await;
        }
        Err(error @ DispatchError::Offload(_)) => {
            let failure = Failure::retry(error.to_string());
            fail(context, &lease, failure, None, started).await;
        }
    }
}

async fn settle(
    context: &WorkerContext,
    lease: &Lease,
    envelope: &Envelope,
    dispatched: Dispatched,
    started: Instant,
    trace: &TraceContext,
) {
    let message = dispatched.message.to_json();
    match dispatched.outcome {
        Outcome::Succeeded => {
            if let Err(error) = context.publisher.publish(envelope, &message, trace).await {
                let failure = Failure::retry(format!("publishing the result failed: {error}"));
                fail(context, lease, failure, None, started).await;
                return;
            }
            context.completer.submit(PendingCompletion {
                completion: Completion {
                    uuid: lease.uuid.clone(),
                    token: lease.token.clone(),
                    result: TaskResult::Json(message),
                },
                task_name: lease.name.clone(),
                started,
            });
        }
        Outcome::Failed(failure) => {
            let will_retry = matches!(failure.disposition(), Disposition::Retry(_))
                && lease.attempt < lease.max_attempts;
            if !will_retry
                && let Err(error) = context.publisher.publish(envelope, &message, trace).await
            {
                tracing::warn!(task_id = %lease.uuid, %error, "publishing the failure failed");
            }
            let queue_failure = queue_failure(&failure);
            fail(
                context,
                lease,
                queue_failure,
                Some(TaskResult::Json(message)),
                started,
            )
            .await;
        }
        Outcome::Expired => {
            if let Err(error) = context.publisher.publish(envelope, &message, trace).await {
                tracing::warn!(task_id = %lease.uuid, %error, "publishing the expiry failed");
            }
            let reason = "the task's timeout passed before it could run";
            match context
                .queue
                .expire(&lease.uuid, &lease.token, reason)
                .await
            {
                Ok(()) => {
                    context
                        .telemetry
                        .task_finished(&lease.name, TaskOutcome::Expired, started);
                    context.finished.finished(&lease.uuid);
                }
                Err(error) => settle_error(context, lease, &error, started),
            }
        }
    }
}

/// The queue's view of a plugin failure.
fn queue_failure(failure: &TaskFailure) -> Failure {
    let kind = match failure.disposition() {
        Disposition::Retry(after) => FailureKind::Retry { after },
        Disposition::DeadLetter => FailureKind::InvalidInput,
        Disposition::Fail => FailureKind::Final,
    };
    Failure {
        kind,
        error: format!("{}: {failure}", failure.error_code()),
        result: None,
    }
}

async fn fail(
    context: &WorkerContext,
    lease: &Lease,
    mut failure: Failure,
    result: Option<TaskResult>,
    started: Instant,
) {
    failure.result = result.or_else(|| failure_message(lease, &failure));
    match context.queue.fail(&lease.uuid, &lease.token, failure).await {
        Ok(outcome) => {
            context
                .telemetry
                .task_finished(&lease.name, TaskOutcome::from(outcome), started);
            context.finished.finished(&lease.uuid);
        }
        Err(error) => settle_error(context, lease, &error, started),
    }
}

/// An error result message for failures the plugin did not produce (so that a client asking
/// for the result learns why).
fn failure_message(lease: &Lease, failure: &Failure) -> Option<TaskResult> {
    let request = serde_json::from_str(&lease.envelope).unwrap_or(serde_json::Value::Null);
    let code = match failure.kind {
        FailureKind::InvalidInput => "INVALID_INPUT",
        FailureKind::Final => "CANCELLED",
        FailureKind::Retry { .. } => "INTERNAL_ERROR",
    };
    Some(TaskResult::Json(
        ResultMessage::failure(&request, code, &failure.error).to_json(),
    ))
}

/// Releases a prefetched lease whose task never started (shutdown came first).
pub(crate) async fn release_unstarted(context: &WorkerContext, lease: &Lease) {
    release(context, lease, Instant::now()).await;
}

async fn release(context: &WorkerContext, lease: &Lease, started: Instant) {
    match context.queue.release(&lease.uuid, &lease.token).await {
        Ok(()) => {
            tracing::info!(task_id = %lease.uuid, "stopped at shutdown; lease released");
            context
                .telemetry
                .task_finished(&lease.name, TaskOutcome::Released, started);
        }
        Err(error) => settle_error(context, lease, &error, started),
    }
}

fn settle_error(context: &WorkerContext, lease: &Lease, error: &QueueError, started: Instant) {
    match error {
        QueueError::LeaseLost { state, .. } => {
            tracing::warn!(task_id = %lease.uuid, %state,
                "settling refused: the lease was lost (fenced); nothing changed");
        }
        error => {
            tracing::error!(task_id = %lease.uuid, %error,
                "settling the task failed; it will run again when its lease expires");
        }
    }
    context
        .telemetry
        .task_finished(&lease.name, TaskOutcome::LeaseLost, started);
}
