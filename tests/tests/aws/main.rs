//! taskhost on AWS APIs, end to end against moto's server on loopback (started by
//! `cargo xtask test`; see `taskhost_e2e::aws`): real hosts as child processes, real SQS
//! queues, SNS topics and S3 buckets that each test creates for itself.
//!
//! - [`sqs`]: tasks from SQS, results on SNS: the sample envelopes, retries into the
//!   dead-letter queue, invalid messages, visibility extension, SIGTERM, the trace context.
//! - [`storage`]: S3 storage: conformance, presigned URLs, offloaded results, the analysis
//!   tasks on an experiment in S3.

mod sqs;
mod storage;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskhost_e2e::host_process::{HostConfig, testing_plugin};

/// A fresh data folder for one test, under the target dir.
pub fn data_dir(test: &str) -> PathBuf {
    let dir = taskhost_e2e::workspace_root()
        .join("target/e2e-aws")
        .join(format!("{test}-{}", std::process::id()));
    // A leftover folder of an earlier run may be absent: nothing to remove then.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the target dir is writable");
    dir
}

/// A host on the SQS queue `queue_url`, publishing to the SNS topic `topic_arn`, with the test
/// plugins `plugins` and the AWS endpoint and credentials of the test server.
pub fn sqs_host(
    dir: &Path,
    worker_id: &str,
    queue_url: &str,
    topic_arn: &str,
    plugins: &[&str],
) -> HostConfig {
    let plugins = plugins.iter().map(|name| testing_plugin(name)).collect();
    HostConfig::new(dir, worker_id, plugins)
        .queue(queue_url)
        .arg(&["--publish", &format!("sns://{topic_arn}")])
        .envs(taskhost_e2e::aws::aws_env())
}

/// An Echo envelope with these body fields besides the name.
pub fn echo(uuid: &str, body: Value) -> Value {
    let mut body = body;
    body["name"] = json!("Echo");
    json!({
        "uuid": uuid,
        "socketId": "aws-e2e",
        "experimentId": "e2e",
        "timeout": taskhost_e2e::fresh_timeout(),
        "body": body,
    })
}

/// A multi-threaded runtime for the SDK clients.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Polls `check` every 100 ms until it holds, or panics with `what` after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
