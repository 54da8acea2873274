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

/// Quick tasks are claimed ahead of a busy slot (prefetch) and, when SIGTERM comes before
/// they start, released at once: queued again, never counted as an attempt that failed.
#[test]
fn prefetched_quick_tasks_wait_for_a_slot_and_are_released_at_sigterm() {
    let dir = data_dir("prefetch");
    let mut host = RunningHost::start(&echo_host(&dir, "host-prefetch").arg(&[
        "--concurrency",
        "1",
        "--grace-secs",
        "2",
    ]));
    let rt = runtime();
    let queue = rt.block_on(sqlite_queue(&dir));
    rt.block_on(async {
        let client = ApiClient::new(&host.url(), None).expect("a client");
        // Enough short runs for Echo to count as quick.
        let warm: Vec<_> = (0..20)
            .map(|i| echo(&format!("warm-{i}"), json!({})))
            .collect();
        client.submit(warm).await.expect("submitted");
        for i in 0..20 {
            let result = client
                .result(&format!("warm-{i}"), Some(Duration::from_secs(30)))
                .await
                .expect("a result");
            assert!(result.is_some(), "warm-{i} finished");
        }
        client
            .submit(vec![echo("busy", json!({ "sleepMs": 600_000 }))])
            .await
            .expect("submitted");
        eventually(Duration::from_secs(30), "the slot is busy", || {
            let queue = queue.clone();
            async move { record(queue.as_ref(), "busy").await.state == TaskState::Leased }
        })
        .await;
        let waiting: Vec<_> = (0..10)
            .map(|i| echo(&format!("next-{i}"), json!({})))
            .collect();
        client.submit(waiting).await.expect("submitted");
        eventually(Duration::from_secs(30), "quick tasks prefetched", || {
            let queue = queue.clone();
            async move {
                for i in 0..10 {
                    let next = record(queue.as_ref(), &format!("next-{i}")).await;
                    if next.state != TaskState::Leased
                        || next.lease_owner.as_deref() != Some("host-prefetch")
                    {
                        return false;
                    }
                }
                true
            }
        })
        .await;
    });
    host.terminate();
    let status = host
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("the host did not stop:\n{}", host.log()));
    assert_eq!(status.code(), Some(0), "{}", host.log());
    rt.block_on(async {
        for uuid in (0..10)
            .map(|i| format!("next-{i}"))
            .chain(["busy".to_owned()])
        {
            let task = record(queue.as_ref(), &uuid).await;
            assert_eq!(task.state, TaskState::Queued, "{uuid} released: {task:?}");
            assert!(
                task.tried_by.is_empty(),
                "{uuid}: a release is not a failure"
            );
        }
    });
}
