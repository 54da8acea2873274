//! The conformance suite every [`TaskQueue`] backend's tests run (feature `conformance`).
//!
//! A backend's test gives a [`QueueFactory`] (a fresh, empty queue per case) to [`run_all`],
//! which runs every case of [`cases`], each in its own task so one failure does not hide the
//! others, and returns the list of failures. [`concurrent_claimers_each_task_succeeds_once`]
//! is the load case, sized by the caller. Cases panic on a broken expectation, like tests.
//!
//! Every difference found between backends becomes a case here (named after the failure it
//! pins), so that no backend silently loses a semantic another one has.

mod claim;
mod concurrency;
mod lifecycle;
mod operator;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use concurrency::concurrent_claimers_each_task_succeeds_once;

use crate::{ClaimRequest, Lease, NewTask, QueueConfig, RetryPolicy, TaskQueue, TaskRecord};

/// Makes a fresh, empty queue for one case.
#[async_trait]
pub trait QueueFactory: Send + Sync {
    /// A new queue with its own empty storage and these settings. Panics when it cannot.
    async fn fresh(&self, config: QueueConfig) -> Arc<dyn TaskQueue>;

    /// `handles` queues opened separately (as separate hosts would) on one new, empty storage.
    async fn fresh_shared(&self, config: QueueConfig, handles: usize) -> Vec<Arc<dyn TaskQueue>>;
}

/// A future a case returns.
pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One named case.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name (what it checks).
    pub name: &'static str,
    /// Runs it against queues from the factory; panics on failure.
    pub run: fn(Arc<dyn QueueFactory>) -> CaseFuture,
}

macro_rules! case {
    ($module:ident :: $name:ident) => {
        Case {
            name: stringify!($name),
            run: |factory| Box::pin($module::$name(factory)),
        }
    };
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    vec![
        case!(operator::submit_is_idempotent_on_uuid),
        case!(operator::submit_rejects_an_invalid_batch_whole),
        case!(claim::claim_respects_batch_size_and_name_filter),
        case!(claim::claim_honours_per_name_caps_per_worker),
        case!(claim::claim_orders_by_priority_then_run_after_then_fifo),
        case!(claim::claim_merges_names_by_priority_under_caps_and_limit),
        case!(claim::claim_skips_tasks_whose_run_after_is_in_the_future),
        case!(claim::retry_on_different_worker_skips_workers_that_tried),
        case!(claim::retry_on_different_worker_ignores_workers_no_longer_live),
        case!(lifecycle::heartbeat_extends_the_lease),
        case!(lifecycle::expired_lease_is_reaped_with_backoff),
        case!(lifecycle::max_attempts_exhausted_is_dead),
        case!(lifecycle::expired_lease_on_last_attempt_is_dead),
        case!(lifecycle::invalid_input_is_dead_at_once_with_reason),
        case!(lifecycle::final_failure_is_failed_not_dead),
        case!(lifecycle::retry_after_from_the_plugin_is_honoured),
        case!(lifecycle::stale_worker_cannot_touch_the_new_attempt),
        case!(lifecycle::fenced_calls_on_finished_or_unknown_tasks),
        case!(lifecycle::complete_after_expiry_but_before_reap_is_accepted),
        case!(lifecycle::release_does_not_count_an_attempt),
        case!(lifecycle::expire_records_expired_with_reason),
        case!(lifecycle::complete_many_completes_and_reports_lost_leases),
        case!(lifecycle::complete_many_fences_each_item_in_a_mixed_batch),
        case!(lifecycle::results_are_stored_as_sent),
        case!(operator::cancel_queued_task),
        case!(operator::cancel_leased_task_asks_the_worker_to_stop),
        case!(operator::dead_letters_page_and_redrive_one_and_all),
        case!(operator::counts_by_state_and_name),
        case!(operator::wait_for_work_wakes_on_submit),
    ]
}

/// Runs every case, at most `parallelism` at once; `Err` lists the cases that failed.
pub async fn run_all(factory: Arc<dyn QueueFactory>, parallelism: usize) -> Result<usize, String> {
    let permits = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
    let mut running = Vec::new();
    for case in cases() {
        let factory = Arc::clone(&factory);
        let permits = Arc::clone(&permits);
        running.push((
            case.name,
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                (case.run)(factory).await;
            }),
        ));
    }
    let total = running.len();
    let mut failures = Vec::new();
    for (name, handle) in running {
        match handle.await {
            Ok(()) => eprintln!("conformance case {name} ... ok"),
            Err(error) => {
                let message = match error.try_into_panic() {
                    Ok(payload) => payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| {
                            payload
                                .downcast_ref::<&str>()
                                .map(|text| (*text).to_owned())
                        })
                        .unwrap_or_else(|| "panicked".to_owned()),
                    Err(error) => error.to_string(),
                };
                eprintln!("conformance case {name} ... FAILED: {message}");
                failures.push(format!("{name}: {message}"));
            }
        }
    }
    if failures.is_empty() {
        Ok(total)
    } else {
        Err(format!(
            "{} of {total} conformance cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        ))
    }
}

/// Settings for cases: immediate retries, a minute of worker liveness.
pub(crate) fn quick() -> QueueConfig {
    QueueConfig {
        retry: RetryPolicy::IMMEDIATE,
        worker_ttl: Duration::from_secs(60),
        reap_batch: 500,
    }
}

/// A lease long enough never to expire during a case.
pub(crate) const LONG: Duration = Duration::from_secs(600);

/// An envelope like the producers send.
pub(crate) fn envelope(uuid: &str, name: &str) -> String {
    format!(r#"{{"uuid":"{uuid}","socketId":"s-1","body":{{"name":"{name}"}}}}"#)
}

/// A task with defaults.
pub(crate) fn task(uuid: &str, name: &str) -> NewTask {
    NewTask::new(uuid, name, envelope(uuid, name))
}

/// Submits `count` tasks `<prefix>-<i>` of `name`; returns their uuids.
pub(crate) async fn submit_many(
    queue: &dyn TaskQueue,
    prefix: &str,
    name: &str,
    count: usize,
) -> Vec<String> {
    let uuids: Vec<String> = (0..count).map(|i| format!("{prefix}-{i}")).collect();
    let report = queue
        .submit(uuids.iter().map(|uuid| task(uuid, name)).collect())
        .await
        .unwrap_or_else(|error| panic!("submit failed: {error}"));
    assert_eq!(report.inserted, uuids, "submit inserted");
    uuids
}

/// Claims for `worker` with no caps.
pub(crate) async fn claim(
    queue: &dyn TaskQueue,
    worker: &str,
    names: &[&str],
    limit: u32,
    lease_for: Duration,
) -> Vec<Lease> {
    queue
        .claim(&ClaimRequest::new(worker, names, limit, lease_for))
        .await
        .unwrap_or_else(|error| panic!("claim failed: {error}"))
}

/// The record of a task that must exist.
pub(crate) async fn record(queue: &dyn TaskQueue, uuid: &str) -> TaskRecord {
    queue
        .get(uuid)
        .await
        .unwrap_or_else(|error| panic!("get {uuid} failed: {error}"))
        .unwrap_or_else(|| panic!("task {uuid} not found"))
}

/// The uuids of leases.
pub(crate) fn uuids(leases: &[Lease]) -> Vec<String> {
    leases.iter().map(|lease| lease.uuid.clone()).collect()
}
