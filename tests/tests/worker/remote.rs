//! A remote worker: a host started with `--queue http://<another host>` holds no database
//! credentials and leases, heartbeats and completes over that host's API (admin token).

use std::time::Duration;

use serde_json::json;
use taskhost_api::ApiClient;
use taskhost_e2e::host_process::{HostConfig, RunningHost, testing_plugin};
use taskhost_queue::TaskState;

use super::*;

#[test]
fn a_remote_worker_completes_tasks_through_another_hosts_api() {
    let server_dir = data_dir("remote-server");
    // The serving host cannot run Echo itself (it only has the Spin plugin).
    let server = RunningHost::start(
        &HostConfig::new(&server_dir, "server", vec![testing_plugin("spin")]).arg(&[
            "--api-token",
            "producer-secret",
            "--admin-token",
            "admin-secret",
        ]),
    );
    let worker_dir = data_dir("remote-worker");
    let worker = RunningHost::start(
        &echo_host(&worker_dir, "remote-worker")
            .queue(&server.url())
            .arg(&["--admin-token", "admin-secret", "--lease-secs", "3"]),
    );
    let rt = runtime();
    rt.block_on(async {
        let producer =
            ApiClient::new(&server.url(), Some("producer-secret".into())).expect("a client");
        let envelopes = (0..40)
            .map(|i| {
                let sleep = if i == 0 { 2_500 } else { 0 };
                echo(&format!("remote-{i}"), json!({ "i": i, "sleepMs": sleep }))
            })
            .collect();
        producer.submit(envelopes).await.expect("submitted");
        for i in 0..40 {
            let message = producer
                .result(&format!("remote-{i}"), Some(Duration::from_secs(30)))
                .await
                .expect("the result route answers")
                .unwrap_or_else(|| panic!("remote-{i} finished:\n{}", worker.log()));
            assert_eq!(message["response"]["error"], json!(false), "{message}");
        }
        let queue = sqlite_queue(&server_dir).await;
        for i in 0..40 {
            let task = record(queue.as_ref(), &format!("remote-{i}")).await;
            assert_eq!(task.state, TaskState::Succeeded);
            assert_eq!(task.lease_owner.as_deref(), Some("remote-worker"));
            // remote-0 outlived its 3 s lease: heartbeats over HTTP kept it.
            assert_eq!(task.attempt, 1, "{task:?}");
        }
        let (_, metrics) = get(&format!("{}/metrics", worker.url())).await;
        assert_eq!(tasks_total(&metrics, "Echo", "succeeded"), 40, "{metrics}");
        // Without the admin token a would-be worker is refused.
        let (status, _) = get(&format!("{}/v1/queue", server.url())).await;
        assert_eq!(status, 401);
    });
}
