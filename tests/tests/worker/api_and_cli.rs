//! Tasks through the API and the CLI of one host on SQLite.

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use taskhost_api::ApiClient;
use taskhost_e2e::host_process::RunningHost;
use taskhost_queue::{TaskResult, TaskState};

use super::*;

#[test]
fn api_submissions_get_their_results_once_and_metrics_count_them() {
    let dir = data_dir("api-results");
    let host = RunningHost::start(&echo_host(&dir, "host-api").arg(&["--concurrency", "2"]));
    let rt = runtime();
    rt.block_on(async {
        let client = ApiClient::new(&host.url(), None).expect("a client");
        let envelopes: Vec<_> = (0..100)
            .map(|i| echo(&format!("api-{i}"), json!({ "i": i })))
            .collect();
        client.submit(envelopes.clone()).await.expect("submitted");
        // The same uuids again: idempotent, nothing runs twice.
        client.submit(envelopes).await.expect("resubmitted");
        for i in 0..100 {
            let message = client
                .result(&format!("api-{i}"), Some(Duration::from_secs(30)))
                .await
                .expect("the result route answers")
                .unwrap_or_else(|| panic!("task api-{i} finished"));
            assert_eq!(message["response"]["error"], json!(false), "{message}");
            let body: serde_json::Value =
                serde_json::from_str(message["results"][0]["body"].as_str().unwrap_or("null"))
                    .expect("Echo returns JSON");
            assert_eq!(body["i"], json!(i));
            assert_eq!(message["request"]["uuid"], json!(format!("api-{i}")));
        }
        let (status, metrics) = get(&format!("{}/metrics", host.url())).await;
        assert_eq!(status, 200);
        assert_eq!(tasks_total(&metrics, "Echo", "succeeded"), 100, "{metrics}");
        assert_eq!(get(&format!("{}/healthz", host.url())).await.0, 200);
        assert_eq!(get(&format!("{}/readyz", host.url())).await.0, 200);
        let queue = sqlite_queue(&dir).await;
        for i in 0..100 {
            let task = record(queue.as_ref(), &format!("api-{i}")).await;
            assert_eq!(task.state, TaskState::Succeeded);
            assert_eq!(task.attempt, 1, "ran once");
            assert!(matches!(task.result, Some(TaskResult::Json(_))));
        }
    });
}

#[test]
fn cli_submit_waits_for_results_and_dlq_redrives_invalid_tasks() {
    let dir = data_dir("cli");
    let host = RunningHost::start(&echo_host(&dir, "host-cli"));
    let tasks = dir.join("tasks.json");
    let envelopes = json!([
        echo("cli-1", json!({"x": 1})),
        echo("cli-2", json!({"x": 2}))
    ]);
    std::fs::write(&tasks, envelopes.to_string()).expect("writable");
    let output = Command::new(taskhost_e2e::taskhost_bin())
        .args(["submit", "--wait", "--api", &host.url()])
        .arg(&tasks)
        .output()
        .expect("taskhost submit runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one result message per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["request"]["uuid"], json!("cli-1"));
    assert_eq!(lines[1]["request"]["uuid"], json!("cli-2"));

    // An envelope the worker cannot read (a timeout that is no date) is dead at once.
    let mut bad = echo("cli-bad", json!({}));
    bad["timeout"] = json!("next tuesday");
    std::fs::write(&tasks, bad.to_string()).expect("writable");
    let submitted = Command::new(taskhost_e2e::taskhost_bin())
        .args(["submit", "--api", &host.url()])
        .arg(&tasks)
        .output()
        .expect("taskhost submit runs");
    assert_eq!(submitted.status.code(), Some(0), "{submitted:?}");
    let rt = runtime();
    let queue = rt.block_on(sqlite_queue(&dir));
    rt.block_on(eventually(
        Duration::from_secs(30),
        "cli-bad is dead",
        || {
            let queue = queue.clone();
            async move { record(queue.as_ref(), "cli-bad").await.state == TaskState::Dead }
        },
    ));
    let dlq = |args: &[&str]| {
        let output = Command::new(taskhost_e2e::taskhost_bin())
            .arg("dlq")
            .args(args)
            .args(["--api", &host.url()])
            .output()
            .expect("taskhost dlq runs");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let listed = dlq(&["list"]);
    assert!(
        listed.contains("cli-bad") && listed.contains("timeout"),
        "{listed}"
    );
    let redriven: serde_json::Value =
        serde_json::from_str(&dlq(&["redrive", "cli-bad"])).expect("JSON");
    assert_eq!(redriven["redriven"], json!(1));
    // Redriven, it runs again and, still invalid, is dead again: two dead-letterings.
    let metrics_url = format!("{}/metrics", host.url());
    rt.block_on(eventually(
        Duration::from_secs(30),
        "cli-bad died twice",
        || {
            let url = metrics_url.clone();
            async move { tasks_total(&get(&url).await.1, "Echo", "dead") == 2 }
        },
    ));
    let task = rt.block_on(record(queue.as_ref(), "cli-bad"));
    assert_eq!((task.state, task.attempt), (TaskState::Dead, 1));
    let unknown = Command::new(taskhost_e2e::taskhost_bin())
        .args(["dlq", "redrive", "no-such-task", "--api", &host.url()])
        .output()
        .expect("taskhost dlq runs");
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
}

#[test]
fn cancel_stops_a_running_task() {
    let dir = data_dir("cancel");
    let host = RunningHost::start(&echo_host(&dir, "host-cancel").arg(&["--lease-secs", "3"]));
    let rt = runtime();
    rt.block_on(async {
        let client = ApiClient::new(&host.url(), None).expect("a client");
        client
            .submit(vec![echo("cancel-me", json!({ "sleepMs": 120_000 }))])
            .await
            .expect("submitted");
        let queue = sqlite_queue(&dir).await;
        eventually(Duration::from_secs(30), "cancel-me is leased", || {
            let queue = queue.clone();
            async move { record(queue.as_ref(), "cancel-me").await.state == TaskState::Leased }
        })
        .await;
        client.cancel("cancel-me").await.expect("cancelled");
        // The next heartbeat (a third of the 3 s lease) sees the request and stops the plugin.
        eventually(Duration::from_secs(20), "cancel-me is cancelled", || {
            let queue = queue.clone();
            async move { record(queue.as_ref(), "cancel-me").await.state == TaskState::Cancelled }
        })
        .await;
    });
}

/// A large result is offloaded to local storage with a presigned URL of this host (port 0
/// resolved); the URL serves it, a tampered signature is refused.
#[test]
fn a_large_result_is_served_by_its_presigned_url() {
    let dir = data_dir("presigned");
    let host = RunningHost::start(&echo_host(&dir, "host-presigned"));
    let rt = runtime();
    rt.block_on(async {
        let client = ApiClient::new(&host.url(), None).expect("a client");
        let size = 300 * 1024;
        client
            .submit(vec![echo("big", json!({ "payload": "x", "repeat": size }))])
            .await
            .expect("submitted");
        let message = client
            .result("big", Some(Duration::from_secs(30)))
            .await
            .expect("the result")
            .expect("finished");
        let entry = &message["results"][0];
        assert_eq!(entry["type"], "s3-path", "{message}");
        let url = entry["url"].as_str().expect("a presigned URL");
        assert!(url.starts_with(&host.url()), "{url} names this host");
        let (status, body) = get(url).await;
        assert_eq!(status, 200, "{body}");
        let text: String = serde_json::from_str(&body).expect("the stored result is JSON");
        assert_eq!(text.len(), size);
        let tampered = url.replacen("signature=", "signature=0", 1);
        let (status, body) = get(&tampered).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = get(&format!("{}/v1/storage/results/big/0", host.url())).await;
        assert!((400..500).contains(&status), "unsigned: {status}");
    });
}
