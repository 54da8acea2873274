//! `taskhost run` end to end: real hosts as child processes with the Echo test plugin, over
//! the SQLite queue and the PostgreSQL server, driven through their HTTP API and the CLI.
//!
//! - [`api_and_cli`]: tasks submitted over the API and `taskhost submit` get their results;
//!   dead letters through `taskhost dlq`; cancel; health, readiness and metrics.
//! - [`shutdown`]: SIGTERM lets running tasks finish, releases the rest, claims nothing new.
//! - [`crash`]: a host killed with SIGKILL mid-task; a second host finishes every task once.
//! - [`remote`]: a host with no database completes tasks through another host's API.

mod api_and_cli;
mod crash;
mod remote;
mod shutdown;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
pub use taskhost_e2e::host_process::tasks_total;
use taskhost_e2e::host_process::{HostConfig, testing_plugin};
use taskhost_queue::{QueueConfig, TaskQueue, TaskRecord};

/// A fresh data folder for one test, under the target dir.
pub fn data_dir(test: &str) -> PathBuf {
    let dir = taskhost_e2e::workspace_root()
        .join("target/e2e-worker")
        .join(format!("{test}-{}", std::process::id()));
    // A leftover folder of an earlier run may be absent: nothing to remove then.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the target dir is writable");
    dir
}

/// A host with the Echo plugin on `data_dir`'s SQLite queue.
pub fn echo_host(data_dir: &std::path::Path, worker_id: &str) -> HostConfig {
    HostConfig::new(data_dir, worker_id, vec![testing_plugin("echo")])
}

/// An Echo envelope with `body` fields besides the name.
pub fn echo(uuid: &str, body: Value) -> Value {
    let mut body = body;
    body["name"] = json!("Echo");
    json!({
        "uuid": uuid,
        "socketId": "worker-e2e",
        "experimentId": "e2e",
        "timeout": taskhost_e2e::fresh_timeout(),
        "body": body,
    })
}

/// A multi-threaded runtime for the API client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The queue a host of `data_dir` uses by default, opened by the test itself.
pub async fn sqlite_queue(data_dir: &std::path::Path) -> Arc<dyn TaskQueue> {
    let url = format!("sqlite://{}", data_dir.join("queue.db").display());
    taskhost_queue::connect(&url, QueueConfig::default())
        .await
        .expect("the host's SQLite queue opens")
}

/// A task's record, which must exist.
pub async fn record(queue: &dyn TaskQueue, uuid: &str) -> TaskRecord {
    queue
        .get(uuid)
        .await
        .expect("the queue answers")
        .unwrap_or_else(|| panic!("task {uuid} is in the queue"))
}

/// Polls `check` every 50 ms until it holds, or panics with `what` after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GET a plain URL: (status, body).
pub async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}
