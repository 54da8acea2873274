//! Error paths of request bodies: malformed JSON and invalid envelopes (400), bodies that do
//! not match a route's schema (400), non-JSON content types (415) and oversized bodies or
//! batches (413); each leaves the queue unchanged.

use reqwest::StatusCode;
use serde_json::json;
use taskhost_queue::TaskState;

use crate::common::{PRODUCER, ROUTES, Server, envelope, expect_error, test_limits};

#[tokio::test]
async fn malformed_submit_bodies_are_400_and_store_nothing() {
    let server = Server::start().await;
    let long = "u".repeat(257);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated JSON",
            br#"{"uuid":"a","body":{"name":"Echo""#.to_vec(),
        ),
        ("empty body", Vec::new()),
        ("a number", b"42".to_vec()),
        ("a string", br#""uuid""#.to_vec()),
        ("an empty array", b"[]".to_vec()),
        (
            "trailing garbage",
            br#"{"uuid":"a","body":{"name":"E"}} x"#.to_vec(),
        ),
        (
            "not UTF-8",
            b"{\"uuid\":\"\xff\xfe\",\"body\":{\"name\":\"E\"}}".to_vec(),
        ),
        ("uuid missing", br#"{"body":{"name":"Echo"}}"#.to_vec()),
        (
            "uuid a number",
            br#"{"uuid":7,"body":{"name":"Echo"}}"#.to_vec(),
        ),
        (
            "uuid blank",
            br#"{"uuid":"  ","body":{"name":"Echo"}}"#.to_vec(),
        ),
        (
            "uuid too long",
            format!(r#"{{"uuid":"{long}","body":{{"name":"E"}}}}"#).into_bytes(),
        ),
        (
            "uuid holds NUL",
            br#"{"uuid":"a\u0000b","body":{"name":"E"}}"#.to_vec(),
        ),
        ("body missing", br#"{"uuid":"a"}"#.to_vec()),
        ("body an array", br#"{"uuid":"a","body":[]}"#.to_vec()),
        ("name missing", br#"{"uuid":"a","body":{}}"#.to_vec()),
        (
            "name not a string",
            br#"{"uuid":"a","body":{"name":null}}"#.to_vec(),
        ),
        (
            "one bad element rejects the batch",
            br#"[{"uuid":"ok","body":{"name":"E"}},{"uuid":"bad"}]"#.to_vec(),
        ),
        ("an array of non-objects", b"[1,2]".to_vec()),
    ];
    for (what, body) in cases {
        let response = server
            .producer("POST", "/v1/tasks")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        let error = expect_error(response, StatusCode::BAD_REQUEST, "POST", "/v1/tasks").await;
        assert_eq!(error.kind.as_deref(), Some("badRequest"), "{what}");
    }
    assert!(
        server.queue.counts().await.expect("counts").is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn worker_and_operator_bodies_that_do_not_match_the_schema_are_400() {
    let server = Server::start().await;
    server.submit(&["t-1"], "Echo").await;
    let lease = server.lease("w1", "Echo").await;
    let token = lease.token.as_str();
    let before = server.snapshot(&["t-1".to_owned()]).await;
    let over = 31u64 * 24 * 3600 * 1000 + 1;
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "/v1/leases",
            json!({"worker": "w", "names": ["Echo"], "limit": 1}),
        ),
        (
            "/v1/leases",
            json!({"worker": "w", "names": ["Echo"], "limit": 1, "leaseForMs": 1000, "extra": 1}),
        ),
        (
            "/v1/leases",
            json!({"worker": "w", "names": "Echo", "limit": 1, "leaseForMs": 1000}),
        ),
        (
            "/v1/leases",
            json!({"worker": "w", "names": ["Echo"], "limit": -1, "leaseForMs": 1000}),
        ),
        (
            "/v1/leases",
            json!({"worker": "w", "names": ["Echo"], "limit": 1, "leaseForMs": over}),
        ),
        (
            "/v1/leases",
            json!({"worker": "w\u{0}", "names": ["Echo"], "limit": 1, "leaseForMs": 1000}),
        ),
        ("/v1/leases/complete-many", json!({"uuid": "t-1"})),
        (
            "/v1/leases/complete-many",
            json!([{"uuid": "t-1", "token": token, "result": {"text": "{}"}}]),
        ),
        (
            "/v1/leases/complete-many",
            json!([{"uuid": "t-1", "token": token, "result": {"json": "{not json"}}]),
        ),
        ("/v1/leases/t-1/heartbeat", json!({"token": token})),
        (
            "/v1/leases/t-1/heartbeat",
            json!({"token": token, "leaseForMs": over}),
        ),
        (
            "/v1/leases/t-1/heartbeat",
            json!({"token": token, "leaseForMs": 1.5}),
        ),
        ("/v1/leases/t-1/complete", json!({"token": token})),
        (
            "/v1/leases/t-1/complete",
            json!({"token": token, "result": {"json": "{not json"}}),
        ),
        (
            "/v1/leases/t-1/complete",
            json!({"token": token, "result": {"json": "{}", "storageKey": "k"}}),
        ),
        (
            "/v1/leases/t-1/fail",
            json!({"token": token, "kind": "explode", "error": "x"}),
        ),
        (
            "/v1/leases/t-1/fail",
            json!({"token": token, "kind": "retry", "error": "x", "retryAfterMs": over}),
        ),
        (
            "/v1/leases/t-1/fail",
            json!({"token": token, "kind": "final"}),
        ),
        ("/v1/leases/t-1/release", json!({"token": 5})),
        ("/v1/leases/t-1/release", json!({})),
        ("/v1/leases/t-1/expire", json!({"token": token})),
        (
            "/v1/queue/tasks",
            json!([{"uuid": "n-1", "name": "Echo", "envelope": "{}"}]),
        ),
        (
            "/v1/queue/tasks",
            json!([{"uuid": "n-1", "name": "Echo", "envelope": "{}", "maxAttempts": 0}]),
        ),
        (
            "/v1/queue/tasks",
            json!([{"uuid": "n-1", "name": "Echo", "envelope": "{}", "maxAttempts": 1,
                    "runAfter": "+12000-01-01T00:00:00Z"}]),
        ),
        (
            "/v1/queue/tasks",
            json!([{"uuid": "", "name": "Echo", "envelope": "{}", "maxAttempts": 1}]),
        ),
    ];
    for (path, body) in cases {
        let template = ROUTES
            .iter()
            .find(|route| {
                route.method == "POST"
                    && route.template.replace("{uuid}", "t-1") == path
                    && route.json_body
            })
            .unwrap_or_else(|| panic!("no route for {path}"))
            .template;
        let response = server
            .admin("POST", path)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let error = expect_error(response, StatusCode::BAD_REQUEST, "POST", template).await;
        assert!(
            matches!(
                error.kind.as_deref(),
                Some("badRequest" | "invalidTask" | "invalidResult")
            ),
            "{path} {body}: {error:?}"
        );
    }
    // Routes that take no body refuse one.
    server.submit(&["d-1"], "Dead").await;
    server.make_dead("Dead").await;
    for (path, template) in [
        (
            "/v1/dead-letters/d-1/redrive",
            "/v1/dead-letters/{uuid}/redrive",
        ),
        ("/v1/dead-letters/redrive", "/v1/dead-letters/redrive"),
    ] {
        let response = server
            .admin("POST", path)
            .body("{}")
            .send()
            .await
            .expect("sent");
        expect_error(response, StatusCode::BAD_REQUEST, "POST", template).await;
    }
    let after = server.snapshot(&["t-1".to_owned()]).await;
    assert_eq!(before.1, after.1, "the leased task is unchanged");
    assert_eq!(
        server
            .queue
            .get("d-1")
            .await
            .expect("get")
            .expect("d-1")
            .state,
        TaskState::Dead,
        "nothing redriven"
    );
    assert!(server.queue.get("n-1").await.expect("get").is_none());
}

#[tokio::test]
async fn non_json_content_types_are_415() {
    let server = Server::start().await;
    for route in ROUTES.iter().filter(|route| route.json_body) {
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "json"] {
            let response = server
                .admin(route.method, route.example)
                .header("content-type", content_type)
                .body(r#"{"uuid":"c-1","body":{"name":"Echo"}}"#)
                .send()
                .await
                .expect("sent");
            let body = expect_error(
                response,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                route.method,
                route.template,
            )
            .await;
            assert_eq!(body.kind.as_deref(), Some("unsupportedMediaType"));
        }
    }
    // JSON with parameters, `+json` and no content type at all are JSON.
    for (uuid, content_type) in [
        ("c-1", Some("application/json; charset=utf-8")),
        ("c-2", Some("application/vnd.taskhost+json")),
        ("c-3", None),
    ] {
        let mut request = server
            .producer("POST", "/v1/tasks")
            .body(envelope(uuid, "Echo").to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{content_type:?}");
    }
    assert!(server.queue.get("c-1").await.expect("get").is_some());
}

#[tokio::test]
async fn oversized_bodies_and_batches_are_413() {
    let server = Server::start().await;
    let limit = usize::try_from(test_limits().max_body_bytes).expect("a size");
    // A JSON string just over the limit: valid JSON, too large.
    let oversized = format!(
        r#"{{"uuid":"big","body":{{"name":"Echo","pad":"{}"}}}}"#,
        "x".repeat(limit)
    );
    for route in ROUTES.iter().filter(|route| route.method == "POST") {
        let response = server
            .admin(route.method, route.example)
            .header("content-type", "application/json")
            .body(oversized.clone())
            .send()
            .await
            .expect("sent");
        let body = expect_error(
            response,
            StatusCode::PAYLOAD_TOO_LARGE,
            route.method,
            route.template,
        )
        .await;
        assert_eq!(body.kind.as_deref(), Some("payloadTooLarge"));
    }

    // One item over the batch limit, each item valid.
    let max_batch = test_limits().max_batch;
    let envelopes: Vec<_> = (0..=max_batch)
        .map(|i| envelope(&format!("b-{i}"), "Echo"))
        .collect();
    let response = server
        .producer("POST", "/v1/tasks")
        .json(&envelopes)
        .send()
        .await
        .expect("sent");
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "POST", "/v1/tasks").await;
    let tasks: Vec<_> = (0..=max_batch)
        .map(|i| json!({"uuid": format!("b-{i}"), "name": "Echo", "envelope": "{}", "maxAttempts": 1}))
        .collect();
    let response = server
        .admin("POST", "/v1/queue/tasks")
        .json(&tasks)
        .send()
        .await
        .expect("sent");
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "POST",
        "/v1/queue/tasks",
    )
    .await;
    let completions: Vec<_> = (0..=max_batch)
        .map(|i| json!({"uuid": format!("b-{i}"), "token": "t", "result": {"json": "{}"}}))
        .collect();
    let response = server
        .admin("POST", "/v1/leases/complete-many")
        .json(&completions)
        .send()
        .await
        .expect("sent");
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "POST",
        "/v1/leases/complete-many",
    )
    .await;
    // Exactly the limit is fine.
    let response = server
        .producer("POST", "/v1/tasks")
        .json(&envelopes[..max_batch])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let counts = server.counts_json().await;
    assert_eq!(counts["total"], max_batch, "only the batch at the limit");
}

#[tokio::test]
async fn a_declared_or_chunked_body_over_the_limit_is_413_without_reading_it_all() {
    let server = Server::start().await;
    // A huge Content-Length and no body: answered from the header alone.
    let declared = format!(
        "POST /v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {PRODUCER}\r\n\
         content-type: application/json\r\ncontent-length: 1000000000\r\nconnection: close\r\n\r\n{{"
    );
    let (status, body) = server.raw(declared.as_bytes()).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    let body: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!(body["kind"], "payloadTooLarge");

    // A chunked body (no Content-Length) over the limit: counted as it arrives.
    let limit = usize::try_from(test_limits().max_body_bytes).expect("a size");
    let chunk = "x".repeat(limit / 2 + 1);
    let mut request = format!(
        "POST /v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {PRODUCER}\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    for _ in 0..2 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let (status, body) = server.raw(request.as_bytes()).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));

    // A Content-Length that is not a number never reaches the API (hyper refuses it), but
    // the answer is a 4xx all the same.
    let bad_length = format!(
        "POST /v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {PRODUCER}\r\n\
         content-length: many\r\nconnection: close\r\n\r\n"
    );
    let (status, _) = server.raw(bad_length.as_bytes()).await;
    assert!((400..500).contains(&status), "got {status}");
    assert!(server.queue.counts().await.expect("counts").is_empty());
}
