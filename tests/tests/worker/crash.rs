//! A host killed with SIGKILL while running slow tasks: once its leases expire, a second host
//! runs every task; as many results as tasks, none succeeded twice. On SQLite (two processes on
//! one file) and on PostgreSQL.

use std::time::Duration;

use serde_json::json;
use taskhost_api::ApiClient;
use taskhost_e2e::host_process::{HostConfig, RunningHost};
use taskhost_e2e::postgres::FreshDatabase;
use taskhost_queue::{TaskQueue, TaskState};

use super::*;

const TASKS: usize = 12;

fn crash_and_recover(test: &str, queue_url: &str) {
    let dir = data_dir(test);
    let results = dir.join("published");
    let config = |worker: &str, slots: &str| -> HostConfig {
        echo_host(&dir, worker).queue(queue_url).arg(&[
            "--concurrency",
            slots,
            "--lease-secs",
            "2",
            "--publish",
            &format!("file://{}", results.display()),
        ])
    };
    let mut first = RunningHost::start(&config("host-a", "4"));
    let rt = runtime();
    let queue: Arc<dyn TaskQueue> = rt.block_on(async {
        taskhost_queue::connect(queue_url, QueueConfig::default())
            .await
            .expect("the queue opens")
    });
    let uuids: Vec<String> = (0..TASKS).map(|i| format!("{test}-{i}")).collect();
    rt.block_on(async {
        let client = ApiClient::new(&first.url(), None).expect("a client");
        let envelopes = uuids
            .iter()
            .map(|uuid| echo(uuid, json!({ "sleepMs": 3_000 })))
            .collect();
        client.submit(envelopes).await.expect("submitted");
        eventually(Duration::from_secs(30), "host-a holds 4 leases", || {
            let queue = queue.clone();
            let uuids = uuids.clone();
            async move {
                let mut leased = 0;
                for uuid in &uuids {
                    let task = record(queue.as_ref(), uuid).await;
                    leased += usize::from(task.state == TaskState::Leased);
                }
                leased == 4
            }
        })
        .await;
    });
    first.kill();
    let second = RunningHost::start(&config("host-b", "12"));
    rt.block_on(async {
        let client = ApiClient::new(&second.url(), None).expect("a client");
        for uuid in &uuids {
            let message = client
                .result(uuid, Some(Duration::from_secs(60)))
                .await
                .expect("the result route answers")
                .unwrap_or_else(|| panic!("{uuid} finished:\n{}", second.log()));
            assert_eq!(message["response"]["error"], json!(false), "{message}");
        }
        let mut retried = 0;
        for uuid in &uuids {
            let task = record(queue.as_ref(), uuid).await;
            assert_eq!(task.state, TaskState::Succeeded);
            assert_eq!(task.lease_owner.as_deref(), Some("host-b"), "{task:?}");
            if task.tried_by == ["host-a"] {
                assert_eq!(task.attempt, 2, "{task:?}");
                retried += 1;
            } else {
                assert!(task.tried_by.is_empty(), "{task:?}");
                assert_eq!(task.attempt, 1, "{task:?}");
            }
        }
        assert_eq!(retried, 4, "the four tasks host-a held ran again");
        let (_, metrics) = get(&format!("{}/metrics", second.url())).await;
        assert_eq!(
            tasks_total(&metrics, "Echo", "succeeded"),
            TASKS as u64,
            "{metrics}"
        );
    });
    let published: Vec<_> = std::fs::read_dir(&results)
        .expect("the publish folder exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(published.len(), TASKS, "one published result per task");
}

#[test]
fn sqlite_a_second_host_finishes_the_tasks_of_a_killed_one() {
    let dir = data_dir("crash-sqlite-queue");
    let url = format!("sqlite://{}", dir.join("queue.db").display());
    crash_and_recover("crash-sqlite", &url);
}

#[test]
fn postgres_a_second_host_finishes_the_tasks_of_a_killed_one() {
    let rt = runtime();
    let database = rt.block_on(FreshDatabase::create());
    crash_and_recover("crash-postgres", &database.url);
    rt.block_on(database.drop_now());
}
