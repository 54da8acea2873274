//! SIGTERM: stop claiming, let running tasks finish within the grace period, release the rest.

use std::time::Duration;

use serde_json::json;
use taskhost_api::ApiClient;
use taskhost_e2e::host_process::RunningHost;
use taskhost_queue::TaskState;

use super::*;

#[test]
fn sigterm_finishes_short_tasks_releases_long_ones_and_claims_nothing_new() {
    let dir = data_dir("sigterm");
    let mut host = RunningHost::start(&echo_host(&dir, "host-term").arg(&[
        "--concurrency",
        "2",
        "--grace-secs",
        "3",
    ]));
    let rt = runtime();
    let queue = rt.block_on(sqlite_queue(&dir));
    rt.block_on(async {
        let client = ApiClient::new(&host.url(), None).expect("a client");
        client
            .submit(vec![
                echo("short", json!({ "sleepMs": 1_000 })),
                echo("long", json!({ "sleepMs": 600_000 })),
            ])
            .await
            .expect("submitted");
        eventually(Duration::from_secs(30), "both tasks are leased", || {
            let queue = queue.clone();
            async move {
                record(queue.as_ref(), "short").await.state == TaskState::Leased
                    && record(queue.as_ref(), "long").await.state == TaskState::Leased
            }
        })
        .await;
        host.terminate();
        // During the grace period the host is not ready, and still accepts tasks it will
        // leave queued for other hosts.
        eventually(Duration::from_secs(5), "/readyz says 503", || {
            let url = format!("{}/readyz", host.url());
            async move { get(&url).await.0 == 503 }
        })
        .await;
        client
            .submit(vec![echo("late", json!({}))])
            .await
            .expect("submitted during the grace period");
    });
    let status = host
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("the host did not stop:\n{}", host.log()));
    assert_eq!(status.code(), Some(0), "{}", host.log());
    rt.block_on(async {
        let short = record(queue.as_ref(), "short").await;
        assert_eq!(
            short.state,
            TaskState::Succeeded,
            "finished within the grace period"
        );
        let long = record(queue.as_ref(), "long").await;
        assert_eq!(long.state, TaskState::Queued, "released for another host");
        assert!(long.run_after <= chrono::Utc::now(), "runnable at once");
        assert!(
            long.tried_by.is_empty(),
            "a release is not a failed attempt"
        );
        let late = record(queue.as_ref(), "late").await;
        assert_eq!(late.state, TaskState::Queued, "not claimed after SIGTERM");
        assert_eq!(late.attempt, 0);
    });
    assert!(
        host.log().contains("releasing their leases"),
        "the log says why: {}",
        host.log()
    );
}
