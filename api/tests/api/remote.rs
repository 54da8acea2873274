//! Remote workers: [`HttpQueue`] against a served SQLite queue runs the queue's conformance
//! suite, keeps fencing over `/v1/leases`, and a worker loop completes a producer's tasks
//! through another host's API.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use taskhost_api::{ApiClient, Auth, HttpQueue, Limits};
use taskhost_queue::conformance::{self, QueueFactory};
use taskhost_queue::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, QueueConfig, QueueError, ReapReport,
    RedriveTarget, StateCount, SubmitReport, TaskQueue, TaskRecord, TaskResult, TaskState,
};

use crate::common::{ADMIN, PRODUCER, Server, envelope, test_config};

/// [`HttpQueue`] for every call but `reap`, which runs on the served queue.
///
/// `HttpQueue::reap` does nothing by design: the host that serves the API reaps its own queue
/// (a remote worker holds no database). The conformance cases about expired leases call
/// `reap` and then check what happened over the API; reaping the served queue here is what
/// that host's reaper does in production, so every case still runs, none is skipped.
struct RemoteQueue {
    http: HttpQueue,
    served: Arc<dyn TaskQueue>,
}

#[async_trait]
impl TaskQueue for RemoteQueue {
    fn backend(&self) -> &'static str {
        self.http.backend()
    }

    async fn submit(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError> {
        self.http.submit(tasks).await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError> {
        self.http.claim(request).await
    }

    async fn heartbeat(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        self.http.heartbeat(uuid, token, lease_for).await
    }

    async fn complete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        result: TaskResult,
    ) -> Result<(), QueueError> {
        self.http.complete(uuid, token, result).await
    }

    async fn complete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        self.http.complete_many(completions).await
    }

    async fn fail(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        self.http.fail(uuid, token, failure).await
    }

    async fn release(&self, uuid: &str, token: &LeaseToken) -> Result<(), QueueError> {
        self.http.release(uuid, token).await
    }

    async fn expire(&self, uuid: &str, token: &LeaseToken, reason: &str) -> Result<(), QueueError> {
        self.http.expire(uuid, token, reason).await
    }

    async fn cancel(&self, uuid: &str) -> Result<CancelOutcome, QueueError> {
        self.http.cancel(uuid).await
    }

    async fn get(&self, uuid: &str) -> Result<Option<TaskRecord>, QueueError> {
        self.http.get(uuid).await
    }

    async fn dead_letters(&self, page: PageRequest) -> Result<Page, QueueError> {
        self.http.dead_letters(page).await
    }

    async fn redrive(&self, target: RedriveTarget) -> Result<u64, QueueError> {
        self.http.redrive(target).await
    }

    async fn counts(&self) -> Result<Vec<StateCount>, QueueError> {
        self.http.counts().await
    }

    async fn reap(&self) -> Result<ReapReport, QueueError> {
        assert_eq!(
            self.http.reap().await.expect("a remote reap"),
            ReapReport::default(),
            "a remote queue reaps nothing itself"
        );
        self.served.reap().await
    }

    async fn wait_for_work(&self, timeout: Duration) -> bool {
        self.http.wait_for_work(timeout).await
    }
}

/// A served SQLite queue per case, reached through [`RemoteQueue`]s.
#[derive(Default)]
struct RemoteFactory {
    servers: Mutex<Vec<Server>>,
}

fn served_limits() -> Limits {
    Limits {
        max_wait: Duration::from_secs(10),
        ..Limits::default()
    }
}

#[async_trait]
impl QueueFactory for RemoteFactory {
    async fn fresh(&self, config: QueueConfig) -> Arc<dyn TaskQueue> {
        self.fresh_shared(config, 1).await.remove(0)
    }

    async fn fresh_shared(&self, config: QueueConfig, handles: usize) -> Vec<Arc<dyn TaskQueue>> {
        let auth = Auth::new(vec![PRODUCER.into()], vec![ADMIN.into()]);
        let server = Server::start_with(auth, served_limits(), config).await;
        let queues = (0..handles)
            .map(|_| {
                let http = HttpQueue::new(&server.url, Some(ADMIN.into())).expect("a remote queue");
                Arc::new(RemoteQueue {
                    http,
                    served: Arc::clone(&server.queue),
                }) as Arc<dyn TaskQueue>
            })
            .collect();
        self.servers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(server);
        queues
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_queue_passes_the_conformance_suite() {
    let passed = conformance::run_all(Arc::new(RemoteFactory::default()), 4)
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
    assert_eq!(passed, conformance::cases().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_queue_concurrent_claimers_each_task_succeeds_once() {
    // Two remote handles on one served queue stand for two remote workers.
    conformance::concurrent_claimers_each_task_succeeds_once(
        Arc::new(RemoteFactory::default()),
        2,
        4,
        200,
    )
    .await;
}

fn assert_lease_lost(outcome: Result<impl std::fmt::Debug, QueueError>, state: TaskState) {
    match outcome {
        Err(QueueError::LeaseLost { state: now, .. }) if now == state => {}
        other => panic!("expected LeaseLost({state}), got {other:?}"),
    }
}

#[tokio::test]
async fn a_stale_lease_token_changes_nothing_over_http() {
    let server = Server::start().await;
    let remote = HttpQueue::new(&server.url, Some(ADMIN.into())).expect("a remote queue");
    let task = NewTask::new("t-1", "Echo", envelope("t-1", "Echo").to_string());
    remote.submit(vec![task]).await.expect("submitted");
    let request = |worker: &str| ClaimRequest::new(worker, &["Echo"], 1, Duration::from_secs(60));
    let first = remote
        .claim(&request("w1"))
        .await
        .expect("claimed")
        .remove(0);
    remote
        .release(&first.uuid, &first.token)
        .await
        .expect("released");
    let second = remote
        .claim(&request("w2"))
        .await
        .expect("claimed")
        .remove(0);
    assert_ne!(first.token, second.token, "every lease gets a new token");
    let before = server.queue.get("t-1").await.expect("get");

    let stale = &first.token;
    let long = Duration::from_secs(600);
    assert_lease_lost(
        remote.heartbeat("t-1", stale, long).await,
        TaskState::Leased,
    );
    let result = || TaskResult::Json(r#"{"by":"w1"}"#.into());
    assert_lease_lost(
        remote.complete("t-1", stale, result()).await,
        TaskState::Leased,
    );
    assert_lease_lost(
        remote
            .fail("t-1", stale, Failure::invalid_input("stale"))
            .await,
        TaskState::Leased,
    );
    assert_lease_lost(remote.release("t-1", stale).await, TaskState::Leased);
    assert_lease_lost(remote.expire("t-1", stale, "late").await, TaskState::Leased);
    let report = remote
        .complete_many(vec![Completion {
            uuid: "t-1".into(),
            token: stale.clone(),
            result: result(),
        }])
        .await
        .expect("complete many");
    assert_eq!(report.completed, 0);
    assert_eq!(report.lease_lost, ["t-1"]);
    assert_eq!(
        server.queue.get("t-1").await.expect("get"),
        before,
        "nothing changed"
    );

    // The current holder finishes; the stale one still cannot touch the task.
    let beat = remote
        .heartbeat("t-1", &second.token, long)
        .await
        .expect("heartbeat");
    assert!(!beat.cancel_requested);
    remote
        .complete(
            "t-1",
            &second.token,
            TaskResult::Json(r#"{"by":"w2"}"#.into()),
        )
        .await
        .expect("completed");
    assert_lease_lost(
        remote.complete("t-1", stale, result()).await,
        TaskState::Succeeded,
    );
    let record = server.queue.get("t-1").await.expect("get").expect("t-1");
    assert_eq!(record.state, TaskState::Succeeded);
    assert_eq!(
        record.result,
        Some(TaskResult::Json(r#"{"by":"w2"}"#.into()))
    );
    assert_eq!(record.lease_owner.as_deref(), Some("w2"));
}

#[tokio::test]
async fn http_queue_needs_the_admin_token() {
    let server = Server::start().await;
    let request = ClaimRequest::new("w", &["Echo"], 1, Duration::from_secs(60));
    for token in [None, Some(PRODUCER.to_owned()), Some("wrong".to_owned())] {
        let remote = HttpQueue::new(&server.url, token.clone()).expect("a remote queue");
        match remote.claim(&request).await {
            Err(QueueError::Remote(message)) => {
                let status = if token.as_deref() == Some(PRODUCER) {
                    "403"
                } else {
                    "401"
                };
                assert!(message.contains(status), "{token:?}: {message}");
            }
            other => panic!("{token:?}: expected a refusal, got {other:?}"),
        }
    }
}

/// The result message a toy remote worker publishes: the envelope and `n * 2`.
fn result_message(envelope: &str) -> String {
    let request: Value = serde_json::from_str(envelope).expect("a JSON envelope");
    let n = request["body"]["n"].as_i64().expect("n");
    json!({
        "request": request,
        "results": [{ "type": "inline", "body": (n * 2).to_string() }],
        "response": { "cacheable": true, "error": false },
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_worker_completes_tasks_through_another_hosts_api() {
    const TASKS: usize = 30;
    let server = Server::start_with(
        Auth::new(vec![PRODUCER.into()], vec![ADMIN.into()]),
        served_limits(),
        test_config(),
    )
    .await;
    let producer = ApiClient::new(&server.url, Some(PRODUCER.into())).expect("a client");
    let envelopes: Vec<Value> = (0..TASKS)
        .map(|n| json!({ "uuid": format!("job-{n}"), "socketId": "s", "body": { "name": "Double", "n": n } }))
        .collect();
    let reply = producer.submit(envelopes).await.expect("submitted");
    assert_eq!(reply.accepted.len(), TASKS);

    // The worker holds no database: only the other host's URL and its admin token.
    let remote = HttpQueue::new(&server.url, Some(ADMIN.into())).expect("a remote queue");
    let worker = tokio::spawn(async move {
        let request = ClaimRequest::new("remote-worker", &["Double"], 4, Duration::from_secs(30));
        let mut finished = 0;
        let mut failed_once = false;
        for _ in 0..1000 {
            if finished == TASKS {
                return finished;
            }
            let leases = remote.claim(&request).await.expect("claim");
            if leases.is_empty() {
                remote.wait_for_work(Duration::from_millis(200)).await;
                continue;
            }
            let mut batch = Vec::new();
            for lease in leases {
                let beat = remote
                    .heartbeat(&lease.uuid, &lease.token, Duration::from_secs(30))
                    .await
                    .expect("heartbeat");
                assert!(!beat.cancel_requested);
                if lease.uuid == "job-7" && !failed_once {
                    // One transient failure: retried at once, then completed.
                    failed_once = true;
                    let outcome = remote
                        .fail(&lease.uuid, &lease.token, Failure::retry("flaky"))
                        .await
                        .expect("fail");
                    assert!(matches!(outcome, FailOutcome::Retrying { attempt: 1, .. }));
                    continue;
                }
                let result = TaskResult::Json(result_message(&lease.envelope));
                if lease.attempt % 2 == 0 || batch.len() % 2 == 0 {
                    remote
                        .complete(&lease.uuid, &lease.token, result)
                        .await
                        .expect("complete");
                    finished += 1;
                } else {
                    batch.push(Completion {
                        uuid: lease.uuid,
                        token: lease.token,
                        result,
                    });
                }
            }
            if !batch.is_empty() {
                let report = remote.complete_many(batch.clone()).await.expect("batch");
                assert!(report.lease_lost.is_empty(), "{report:?}");
                finished += report.completed;
            }
        }
        finished
    });

    for n in 0..TASKS {
        let uuid = format!("job-{n}");
        let message = producer
            .result(&uuid, Some(Duration::from_secs(10)))
            .await
            .expect("the result route answers")
            .unwrap_or_else(|| panic!("{uuid} has no result yet"));
        assert_eq!(message["results"][0]["body"], (n * 2).to_string(), "{uuid}");
        assert_eq!(message["request"]["uuid"], uuid.as_str());
    }
    assert_eq!(worker.await.expect("the worker ran"), TASKS);
    for n in 0..TASKS {
        let uuid = format!("job-{n}");
        let record = server.queue.get(&uuid).await.expect("get").expect("a task");
        assert_eq!(record.state, TaskState::Succeeded, "{uuid}");
        assert_eq!(record.lease_owner.as_deref(), Some("remote-worker"));
        let attempts = if n == 7 { 2 } else { 1 };
        assert_eq!(record.attempt, attempts, "{uuid}");
    }
    let counts = server.counts_json().await;
    assert_eq!(counts["byState"], json!({ "succeeded": TASKS }));
}
