//! The happy paths of producers and operators: submit (idempotent on uuid), status, cancel,
//! dead letters by offset and cursor, redrive, results, counts.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use taskhost_api::wire::{CancelKind, CancelReply, PageDto, SubmitResponse, TaskStatus};
use taskhost_api::{ApiClient, Auth, HttpQueue};
use taskhost_queue::{TaskQueue, TaskResult, TaskState};

use crate::common::{ADMIN, PRODUCER, Server, envelope, test_config, test_limits};

#[tokio::test]
async fn submit_one_then_an_array_with_duplicates_is_idempotent_on_uuid() {
    let server = Server::start().await;
    // One envelope, unknown fields and key order kept byte for byte.
    let text = r#"{"uuid":"s-1", "body":{"name":"Echo","n":1.50},"socketId":"x","extra":[1]}"#;
    let response = server
        .producer("POST", "/v1/tasks")
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let reply: SubmitResponse = response.json().await.expect("a submit reply");
    assert_eq!(reply.accepted, ["s-1"]);
    assert!(reply.duplicates.is_empty());
    let record = server.queue.get("s-1").await.expect("get").expect("s-1");
    assert_eq!(record.envelope, text);
    assert_eq!(record.name, "Echo");
    assert_eq!(record.max_attempts, 3, "the default attempts");

    // An array repeating s-1 and one of its own uuids, with query settings.
    let batch = json!([
        envelope("s-2", "Echo"),
        { "uuid": "s-1", "body": { "name": "Other" } },
        envelope("s-3", "Sum"),
        { "uuid": "s-2", "body": { "name": "Sum" } },
    ]);
    let response = server
        .producer("POST", "/v1/tasks?priority=5&maxAttempts=7")
        .json(&batch)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let reply: SubmitResponse = response.json().await.expect("a submit reply");
    assert_eq!(reply.accepted, ["s-2", "s-3"]);
    let mut duplicates = reply.duplicates.clone();
    duplicates.sort();
    assert_eq!(
        duplicates,
        ["s-1", "s-2"],
        "the order of duplicates is unspecified"
    );
    let first = server.queue.get("s-1").await.expect("get").expect("s-1");
    assert_eq!(first, record, "a duplicate changes nothing");
    let second = server.queue.get("s-2").await.expect("get").expect("s-2");
    assert_eq!((second.priority, second.max_attempts), (5, 7));
    assert_eq!(
        second.name, "Echo",
        "the first occurrence in the batch wins"
    );

    // The same request again: all duplicates.
    let response = server
        .producer("POST", "/v1/tasks")
        .json(&batch)
        .send()
        .await
        .expect("sent");
    let reply: SubmitResponse = response.json().await.expect("a submit reply");
    assert!(reply.accepted.is_empty());
    assert_eq!(reply.duplicates.len(), 4);
    assert_eq!(server.counts_json().await["total"], 3);
}

#[tokio::test]
async fn status_shows_state_and_attempts_but_no_envelope_or_token() {
    let server = Server::start().await;
    server.submit(&["st-1"], "Echo").await;
    let lease = server.lease("w1", "Echo").await;
    let response = server
        .producer("GET", "/v1/tasks/st-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let raw: Value = response.json().await.expect("JSON");
    assert!(raw.get("envelope").is_none() && raw.get("leaseToken").is_none());
    let status: TaskStatus = serde_json::from_value(raw).expect("a task status");
    assert_eq!(status.uuid, "st-1");
    assert_eq!(status.state, TaskState::Leased);
    assert_eq!(status.attempts, 1);
    assert!(!status.has_result);
    assert_eq!(status.lease_expires_at, Some(lease.lease_expires_at));
    // A uuid that needs escaping in the path.
    server.submit(&["a b/c"], "Echo").await;
    let response = server
        .producer("GET", "/v1/tasks/a%20b%2Fc")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn cancel_a_queued_task_and_ask_a_leased_one_to_stop() {
    let server = Server::start().await;
    server.submit(&["c-1"], "Queued").await;
    server.submit(&["c-2"], "Leased").await;
    let lease = server.lease("w1", "Leased").await;
    let cancel = |uuid: &'static str| {
        let request = server.admin("DELETE", &format!("/v1/tasks/{uuid}"));
        async move {
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK, "{uuid}");
            response
                .json::<CancelReply>()
                .await
                .expect("a cancel reply")
        }
    };
    assert_eq!(cancel("c-1").await.outcome, CancelKind::Cancelled);
    assert_eq!(cancel("c-2").await.outcome, CancelKind::StopRequested);
    let beat = server
        .queue
        .heartbeat("c-2", &lease.token, Duration::from_secs(60))
        .await
        .expect("heartbeat");
    assert!(beat.cancel_requested, "the worker is told to stop");
    let done = server.make_succeeded("c-3", "{}").await;
    let reply = cancel("c-3").await;
    assert_eq!(reply.outcome, CancelKind::AlreadyFinished);
    assert_eq!(reply.state, Some(TaskState::Succeeded));
    assert_eq!(done.uuid, "c-3");
    let record = server.queue.get("c-1").await.expect("get").expect("c-1");
    assert_eq!(record.state, TaskState::Cancelled);
}

#[tokio::test]
async fn dead_letters_page_by_offset_and_cursor_then_redrive() {
    let server = Server::start().await;
    let uuids: Vec<String> = (0..5).map(|i| format!("d-{i}")).collect();
    for uuid in &uuids {
        server.submit(&[uuid.as_str()], "Dead").await;
        server.make_dead("Dead").await;
    }
    server.submit(&["alive"], "Echo").await;
    let page = |query: &str| {
        let request = server.admin("GET", &format!("/v1/dead-letters{query}"));
        async move {
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::OK);
            let page: PageDto = response.json().await.expect("a page");
            let uuids: Vec<String> = page.tasks.iter().map(|task| task.uuid.clone()).collect();
            (uuids, page)
        }
    };
    let (all, _) = page("").await;
    assert_eq!(all, uuids, "oldest first, only dead tasks");
    let (first, first_page) = page("?limit=2").await;
    assert_eq!(first, ["d-0", "d-1"]);
    let next = first_page.next.expect("a full page has a cursor");
    let (second, _) = page(&format!("?after={next}&limit=2")).await;
    assert_eq!(second, ["d-2", "d-3"]);
    let (by_offset, _) = page("?offset=2&limit=2").await;
    assert_eq!(by_offset, ["d-2", "d-3"], "offset and cursor agree");
    let (last, last_page) = page("?offset=4&limit=2").await;
    assert_eq!(last, ["d-4"]);
    assert_eq!(last_page.next, None, "the end");
    let (past, _) = page("?offset=9").await;
    assert!(past.is_empty());
    let (record, full) = page("?limit=1").await;
    assert_eq!(record, ["d-0"]);
    assert_eq!(full.tasks[0].last_error.as_deref(), Some("bad input"));
    assert_eq!(full.tasks[0].state, TaskState::Dead);

    // Redrive one, then the rest.
    let response = server
        .admin("POST", "/v1/dead-letters/d-0/redrive")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"redriven": 1})
    );
    let redriven = server.queue.get("d-0").await.expect("get").expect("d-0");
    assert_eq!((redriven.state, redriven.attempt), (TaskState::Queued, 0));
    let client = ApiClient::new(&server.url, Some(ADMIN.into())).expect("a client");
    assert_eq!(client.redrive_all().await.expect("redrive all"), 4);
    assert_eq!(client.redrive_all().await.expect("redrive all"), 0);
    let (none, _) = page("").await;
    assert!(none.is_empty());
    let counts = server.counts_json().await;
    assert_eq!(counts["byState"], json!({"queued": 6}));
}

#[tokio::test]
async fn results_after_completion_pending_and_stored_keys() {
    let server = Server::start().await;
    let producer = ApiClient::new(&server.url, Some(PRODUCER.into())).expect("a client");
    server.submit(&["r-1", "r-2", "r-3"], "Echo").await;
    // Not finished: 202 with the state.
    let response = server
        .producer("GET", "/v1/tasks/r-1/result")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"state": "queued"})
    );
    assert_eq!(producer.result("r-1", None).await.expect("answered"), None);

    // Finished: the result message exactly as stored.
    let message = r#"{"request":{"uuid":"r-1"},"results":[],"response":{"error":false}}"#;
    let lease = server.lease("w1", "Echo").await;
    server
        .queue
        .complete(&lease.uuid, &lease.token, TaskResult::Json(message.into()))
        .await
        .expect("completed");
    let response = server
        .producer("GET", &format!("/v1/tasks/{}/result", lease.uuid))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    assert_eq!(response.text().await.expect("a body"), message);

    // A result kept in object storage.
    let lease = server.lease("w1", "Echo").await;
    server
        .queue
        .complete(
            &lease.uuid,
            &lease.token,
            TaskResult::StorageKey("results/r-2.json".into()),
        )
        .await
        .expect("completed");
    assert_eq!(
        producer.result(&lease.uuid, None).await.expect("answered"),
        Some(json!({"storageKey": "results/r-2.json"}))
    );

    // A long-poll answers once the task completes through the worker routes (which wake it).
    let lease = server.lease("w1", "Echo").await;
    let poll = tokio::spawn({
        let producer = producer.clone();
        let uuid = lease.uuid.clone();
        async move { producer.result(&uuid, Some(Duration::from_secs(60))).await }
    });
    let remote = HttpQueue::new(&server.url, Some(ADMIN.into())).expect("a remote queue");
    remote
        .complete(
            &lease.uuid,
            &lease.token,
            TaskResult::Json(r#"{"late":true}"#.into()),
        )
        .await
        .expect("completed over HTTP");
    let answer = poll.await.expect("the poll ran").expect("answered");
    assert_eq!(answer, Some(json!({"late": true})));
}

#[tokio::test]
async fn counts_by_state_and_task_name() {
    let server = Server::start().await;
    server.submit(&["n-1", "n-2", "n-3"], "Echo").await;
    server.submit(&["n-4"], "Sum").await;
    server.lease("w1", "Sum").await;
    server.make_succeeded("n-5", "{}").await;
    let counts = server.counts_json().await;
    assert_eq!(counts["total"], 5);
    assert_eq!(
        counts["byState"],
        json!({"queued": 3, "leased": 1, "succeeded": 1})
    );
    assert_eq!(counts["byName"], json!({"Echo": 3, "Sum": 1, "Done": 1}));
    let mut pairs: Vec<(String, String, u64)> = counts["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|count| {
            (
                count["name"].as_str().expect("a name").to_owned(),
                count["state"].as_str().expect("a state").to_owned(),
                count["count"].as_u64().expect("a count"),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("Done".into(), "succeeded".into(), 1),
            ("Echo".into(), "queued".into(), 3),
            ("Sum".into(), "leased".into(), 1),
        ]
    );
}

#[tokio::test]
async fn an_api_without_tokens_is_open() {
    let server = Server::start_with(Auth::open(), test_limits(), test_config()).await;
    let response = server
        .request("POST", "/v1/tasks")
        .json(&envelope("o-1", "Echo"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let response = server
        .request("GET", "/v1/queue")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}
