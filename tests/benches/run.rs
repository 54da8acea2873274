//! `taskhost run` benchmark: the drain rate of 10,000 pre-submitted Echo tasks through real
//! hosts with default settings (SQLite, then PostgreSQL), and the submit-to-result latency of
//! Echo tasks submitted over the API at a steady 100 tasks/s. The baseline, run in the same
//! process, is the queue alone: the same 10,000 tasks claimed and completed in-process
//! without running anything (the ceiling the worker can approach).
//!
//! `cargo xtask build-plugins && cargo build --release -p taskhost && cargo bench -p taskhost-e2e --bench run`
//! (PostgreSQL from `TASKHOST_TEST_POSTGRES_URL`, a fresh database per run).
#![allow(clippy::print_stdout, missing_docs)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use taskhost_api::ApiClient;
use taskhost_e2e::host_process::{HostConfig, RunningHost, tasks_total, testing_plugin};
use taskhost_e2e::postgres::FreshDatabase;
use taskhost_queue::{
    ClaimRequest, Completion, NewTask, QueueConfig, TaskQueue, TaskResult, TaskState,
};

const TASKS: usize = 10_000;
const RUNS: usize = 3;
const RATE_PER_SEC: u64 = 100;
const LATENCY_TASKS: usize = 1_000;

fn envelope(uuid: &str) -> String {
    json!({
        "uuid": uuid, "socketId": "bench", "experimentId": "bench",
        "timeout": taskhost_e2e::fresh_timeout(), "body": { "name": "Echo", "n": 1 }
    })
    .to_string()
}

async fn presubmit(queue: &dyn TaskQueue, run: usize) {
    let uuids: Vec<String> = (0..TASKS).map(|i| format!("r{run}-t{i}")).collect();
    for chunk in uuids.chunks(1_000) {
        let tasks = chunk
            .iter()
            .map(|uuid| NewTask::new(uuid.clone(), "Echo", envelope(uuid)))
            .collect();
        queue.submit(tasks).await.expect("submit");
    }
}

async fn succeeded(queue: &dyn TaskQueue) -> u64 {
    queue
        .counts()
        .await
        .expect("counts")
        .iter()
        .filter(|c| c.state == TaskState::Succeeded)
        .map(|c| c.count)
        .sum()
}

/// The queue alone: two loops (one per core) claiming 65 (a default host's slots and prefetch,
/// shared) and completing each batch.
async fn queue_only(queue: Arc<dyn TaskQueue>) -> f64 {
    let started = Instant::now();
    let mut loops = Vec::new();
    for worker in 0..2 {
        let queue = Arc::clone(&queue);
        loops.push(tokio::spawn(async move {
            let request = ClaimRequest::new(
                format!("bench-{worker}"),
                &["Echo"],
                65,
                Duration::from_secs(30),
            );
            loop {
                let leases = queue.claim(&request).await.expect("claim");
                if leases.is_empty() {
                    return;
                }
                let completions = leases
                    .into_iter()
                    .map(|lease| Completion {
                        uuid: lease.uuid,
                        token: lease.token,
                        result: TaskResult::Json("{}".into()),
                    })
                    .collect();
                queue.complete_many(completions).await.expect("complete");
            }
        }));
    }
    for handle in loops {
        handle.await.expect("a drain loop");
    }
    TASKS as f64 / started.elapsed().as_secs_f64()
}

/// Starts a default host on `queue_url` and times it draining the pre-submitted tasks.
async fn host_drain(dir: &Path, queue_url: &str, queue: &dyn TaskQueue, run: usize) -> f64 {
    let before = succeeded(queue).await;
    let config = HostConfig::new(dir, &format!("bench-{run}"), vec![testing_plugin("echo")])
        .queue(queue_url);
    let mut host = tokio::task::block_in_place(|| RunningHost::start(&config));
    let started = host.ready_at;
    // The host's own counter (a cheap GET) rather than counting rows, which would compete
    // with the host for the database; it counts a task once its completion is stored.
    let metrics = format!("{}/metrics", host.url());
    let client = reqwest::Client::new();
    loop {
        let text = client.get(&metrics).send().await.expect("GET /metrics");
        let text = text.text().await.expect("the metrics");
        if tasks_total(&text, "Echo", "succeeded") >= TASKS as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = TASKS as f64 / started.elapsed().as_secs_f64();
    host.terminate();
    tokio::task::block_in_place(|| host.wait(Duration::from_secs(30)));
    assert_eq!(
        succeeded(queue).await,
        before + TASKS as u64,
        "every task succeeded once"
    );
    rate
}

/// Submits one Echo task every 10 ms over the API; each one's submit-to-result time.
async fn latency(host: &RunningHost, label: &str) -> Vec<Duration> {
    let client = ApiClient::new(&host.url(), None).expect("a client");
    let mut ticks = tokio::time::interval(Duration::from_millis(1_000 / RATE_PER_SEC));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut waits = Vec::new();
    for i in 0..LATENCY_TASKS {
        ticks.tick().await;
        let client = client.clone();
        let uuid = format!("{label}-lat-{i}");
        waits.push(tokio::spawn(async move {
            let body: serde_json::Value = serde_json::from_str(&envelope(&uuid)).expect("JSON");
            let started = Instant::now();
            client.submit(vec![body]).await.expect("submit");
            let message = client
                .result(&uuid, Some(Duration::from_secs(30)))
                .await
                .expect("result");
            assert!(message.is_some(), "{uuid} finished");
            started.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for wait in waits {
        latencies.push(wait.await.expect("a latency probe"));
    }
    latencies.sort();
    latencies
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

struct Backend {
    name: &'static str,
    url: String,
}

async fn bench_backend(backend: &Backend, root: &Path) {
    let queue = taskhost_queue::connect(&backend.url, QueueConfig::default())
        .await
        .expect("the queue opens");
    let mut baseline = Vec::new();
    let mut through_host = Vec::new();
    for run in 0..RUNS {
        presubmit(queue.as_ref(), run * 2).await;
        baseline.push(queue_only(Arc::clone(&queue)).await);
        presubmit(queue.as_ref(), run * 2 + 1).await;
        let dir = root.join(format!("{}-{run}", backend.name));
        through_host.push(host_drain(&dir, &backend.url, queue.as_ref(), run).await);
    }
    let baseline = median(&mut baseline);
    let host = median(&mut through_host);
    println!(
        "{:<10} drain {TASKS} Echo: taskhost run {host:>8.0} tasks/s (median of {RUNS}); queue alone {baseline:>8.0} tasks/s; ratio {:.2}",
        backend.name,
        host / baseline
    );
    let dir = root.join(format!("{}-latency", backend.name));
    let config =
        HostConfig::new(&dir, "bench-latency", vec![testing_plugin("echo")]).queue(&backend.url);
    let host = tokio::task::block_in_place(|| RunningHost::start(&config));
    let latencies = latency(&host, backend.name).await;
    println!(
        "{:<10} submit-to-result at {RATE_PER_SEC} tasks/s over the API ({LATENCY_TASKS} tasks): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        backend.name,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    host.terminate();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = taskhost_e2e::workspace_root().join("target/bench-run");
    // A leftover folder of an earlier run may be absent: nothing to remove then.
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("the target dir is writable");
    let sqlite = Backend {
        name: "sqlite",
        url: format!("sqlite://{}", root.join("queue.db").display()),
    };
    bench_backend(&sqlite, &root).await;
    let database = FreshDatabase::create().await;
    let postgres = Backend {
        name: "postgres",
        url: database.url.clone(),
    };
    bench_backend(&postgres, &root).await;
    database.drop_now().await;
}
