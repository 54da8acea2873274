//! Every error path: its status, a JSON `{"error": ...}` body with its `kind`, the
//! `application/json` content type, and the status listed in openapi.json for the route.

use reqwest::StatusCode;
use serde_json::json;
use taskhost_queue::TaskState;

use crate::common::{ADMIN, PRODUCER, ROUTES, Role, Server, envelope, expect_error, test_limits};

/// `path` with `?extra` (or `&extra` when it has a query already).
fn with_query(path: &str, extra: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}{extra}")
}

#[tokio::test]
async fn missing_or_unknown_tokens_are_401_and_producer_tokens_on_admin_routes_403() {
    let server = Server::start().await;
    for route in ROUTES.iter().filter(|route| route.role != Role::Open) {
        let (method, template) = (route.method, route.template);
        let no_token = server.request(method, route.example).send().await;
        let body = expect_error(
            no_token.expect("sent"),
            StatusCode::UNAUTHORIZED,
            method,
            template,
        )
        .await;
        assert_eq!(body.kind.as_deref(), Some("unauthorized"));
        for header in ["Bearer nope", "Basic YWRtaW46YWRtaW4=", ADMIN, "Bearer"] {
            let response = server
                .request(method, route.example)
                .header("authorization", header)
                .send()
                .await
                .expect("sent");
            expect_error(response, StatusCode::UNAUTHORIZED, method, template).await;
        }
        let response = server
            .producer(method, route.example)
            .send()
            .await
            .expect("sent");
        if route.role == Role::Admin {
            let body = expect_error(response, StatusCode::FORBIDDEN, method, template).await;
            assert_eq!(body.kind.as_deref(), Some("forbidden"));
        } else {
            let status = response.status();
            assert!(
                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                "{method} {template}: a producer token is enough, got {status}"
            );
        }
    }
    // The token is checked before anything else: a bad body without a token is still a 401.
    let response = server
        .request("POST", "/v1/tasks?nope=1")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    expect_error(response, StatusCode::UNAUTHORIZED, "POST", "/v1/tasks").await;
    assert!(server.queue.counts().await.expect("counts").is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_no_route() {
    let server = Server::start().await;
    for path in [
        "/",
        "/v1",
        "/v2/tasks",
        "/v1/nope",
        "/v1/tasks//result",
        "/v1/tasks/t-1/result/extra",
        "/v1/leases/t-1/steal",
        "/v1/openapi.yaml",
    ] {
        for method in ["GET", "POST"] {
            let response = server.admin(method, path).send().await.expect("sent");
            let body = expect_error(response, StatusCode::NOT_FOUND, method, path).await;
            assert_eq!(body.kind.as_deref(), Some("noRoute"), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let server = Server::start().await;
    for (method, path) in [
        ("PUT", "/v1/tasks"),
        ("GET", "/v1/tasks"),
        // warp takes a trailing slash as the same path.
        ("GET", "/v1/tasks/"),
        ("POST", "/v1/tasks/t-1"),
        ("DELETE", "/v1/queue"),
        ("POST", "/v1/leases/wait"),
        ("GET", "/v1/leases"),
        ("GET", "/v1/dead-letters/redrive"),
        ("HEAD", "/v1/openapi.json"),
    ] {
        let response = server.admin(method, path).send().await.expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if method != "HEAD" {
            let body: serde_json::Value = response.json().await.expect("a JSON error");
            assert_eq!(body["kind"], "methodNotAllowed", "{method} {path}");
        }
    }
}

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
async fn bad_query_parameters_are_400_on_every_route() {
    let server = Server::start().await;
    for route in ROUTES {
        let path = with_query(route.example, "bogus=1");
        let response = server
            .admin(route.method, &path)
            .send()
            .await
            .expect("sent");
        let body = expect_error(
            response,
            StatusCode::BAD_REQUEST,
            route.method,
            route.template,
        )
        .await;
        assert!(body.error.contains("bogus"), "{path}: {}", body.error);
    }
    for (method, template, path) in [
        ("POST", "/v1/tasks", "/v1/tasks?priority=high"),
        ("POST", "/v1/tasks", "/v1/tasks?priority=99999999999"),
        ("POST", "/v1/tasks", "/v1/tasks?maxAttempts=0"),
        ("POST", "/v1/tasks", "/v1/tasks?maxAttempts=-1"),
        ("POST", "/v1/tasks", "/v1/tasks?priority=1&priority=2"),
        ("POST", "/v1/tasks", "/v1/tasks?priority=%zz"),
        (
            "GET",
            "/v1/tasks/{uuid}/result",
            "/v1/tasks/t-1/result?wait=-1",
        ),
        (
            "GET",
            "/v1/tasks/{uuid}/result",
            "/v1/tasks/t-1/result?wait=soon",
        ),
        (
            "GET",
            "/v1/tasks/{uuid}/result",
            "/v1/tasks/t-1/result?wait=inf",
        ),
        (
            "GET",
            "/v1/tasks/{uuid}/result",
            "/v1/tasks/t-1/result?wait=NaN",
        ),
        (
            "GET",
            "/v1/dead-letters",
            "/v1/dead-letters?after=1&offset=1",
        ),
        ("GET", "/v1/dead-letters", "/v1/dead-letters?limit=-1"),
        ("GET", "/v1/dead-letters", "/v1/dead-letters?offset=x"),
        ("GET", "/v1/leases/wait", "/v1/leases/wait?timeoutMs=-5"),
    ] {
        let response = server
            .admin(method, path)
            .body(if method == "POST" {
                envelope("q-1", "Echo").to_string()
            } else {
                String::new()
            })
            .send()
            .await
            .expect("sent");
        let body = expect_error(response, StatusCode::BAD_REQUEST, method, template).await;
        assert_eq!(body.kind.as_deref(), Some("badRequest"), "{path}");
    }
    assert!(server.queue.counts().await.expect("counts").is_empty());
}

#[tokio::test]
async fn bad_percent_escapes_in_the_path_are_400() {
    let server = Server::start().await;
    for route in ROUTES
        .iter()
        .filter(|route| route.template.contains("{uuid}"))
    {
        for uuid in ["%zz", "%ff%fe", "a%00b", "%4"] {
            let path = route.template.replace("{uuid}", uuid);
            let response = server
                .admin(route.method, &path)
                .send()
                .await
                .expect("sent");
            expect_error(
                response,
                StatusCode::BAD_REQUEST,
                route.method,
                route.template,
            )
            .await;
        }
    }
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
async fn unknown_tasks_are_404_not_found() {
    let server = Server::start().await;
    let token = json!({"token": "t"});
    let cases: Vec<(&str, &str, Option<serde_json::Value>)> = vec![
        ("GET", "/v1/tasks/{uuid}", None),
        ("DELETE", "/v1/tasks/{uuid}", None),
        ("GET", "/v1/tasks/{uuid}/result", None),
        ("POST", "/v1/dead-letters/{uuid}/redrive", None),
        ("GET", "/v1/queue/tasks/{uuid}", None),
        (
            "POST",
            "/v1/leases/{uuid}/heartbeat",
            Some(json!({"token": "t", "leaseForMs": 1000})),
        ),
        (
            "POST",
            "/v1/leases/{uuid}/complete",
            Some(json!({"token": "t", "result": {"json": "{}"}})),
        ),
        (
            "POST",
            "/v1/leases/{uuid}/fail",
            Some(json!({"token": "t", "kind": "retry", "error": "x"})),
        ),
        ("POST", "/v1/leases/{uuid}/release", Some(token.clone())),
        (
            "POST",
            "/v1/leases/{uuid}/expire",
            Some(json!({"token": "t", "reason": "late"})),
        ),
    ];
    for (method, template, body) in cases {
        let path = template.replace("{uuid}", "no%20such");
        let mut request = server.admin(method, &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let error = expect_error(response, StatusCode::NOT_FOUND, method, template).await;
        assert_eq!(
            error.kind.as_deref(),
            Some("notFound"),
            "{method} {template}"
        );
        assert_eq!(
            error.uuid.as_deref(),
            Some("no such"),
            "{method} {template}"
        );
    }
    assert!(server.queue.counts().await.expect("counts").is_empty());
}

#[tokio::test]
async fn conflicts_are_409() {
    let server = Server::start().await;
    // Redriving a task that is not dead.
    server.submit(&["q-1"], "Echo").await;
    let response = server
        .admin("POST", "/v1/dead-letters/q-1/redrive")
        .send()
        .await
        .expect("sent");
    let error = expect_error(
        response,
        StatusCode::CONFLICT,
        "POST",
        "/v1/dead-letters/{uuid}/redrive",
    )
    .await;
    assert_eq!(error.kind.as_deref(), Some("notDead"));
    assert_eq!(error.state, Some(TaskState::Queued));

    // The result of a task that ended without one.
    server
        .queue
        .cancel("q-1")
        .await
        .expect("cancelled while queued");
    let response = server
        .producer("GET", "/v1/tasks/q-1/result")
        .send()
        .await
        .expect("sent");
    let error = expect_error(
        response,
        StatusCode::CONFLICT,
        "GET",
        "/v1/tasks/{uuid}/result",
    )
    .await;
    assert_eq!(error.kind.as_deref(), Some("noResult"));
    assert_eq!(error.state, Some(TaskState::Cancelled));

    // Fenced calls with a token that is not the current lease.
    server.submit(&["l-1"], "Echo").await;
    let lease = server.lease("w1", "Echo").await;
    let before = server.snapshot(&["l-1".to_owned()]).await;
    for (action, body) in [
        ("heartbeat", json!({"token": "stale", "leaseForMs": 1000})),
        (
            "complete",
            json!({"token": "stale", "result": {"json": "{}"}}),
        ),
        (
            "fail",
            json!({"token": "stale", "kind": "invalidInput", "error": "x"}),
        ),
        ("release", json!({"token": "stale"})),
        ("expire", json!({"token": "stale", "reason": "late"})),
    ] {
        let response = server
            .admin("POST", &format!("/v1/leases/l-1/{action}"))
            .json(&body)
            .send()
            .await
            .expect("sent");
        let template = format!("/v1/leases/{{uuid}}/{action}");
        let error = expect_error(response, StatusCode::CONFLICT, "POST", &template).await;
        assert_eq!(error.kind.as_deref(), Some("leaseLost"), "{action}");
        assert_eq!(error.state, Some(TaskState::Leased), "{action}");
        assert_eq!(error.uuid.as_deref(), Some("l-1"));
    }
    assert_eq!(
        before,
        server.snapshot(&["l-1".to_owned()]).await,
        "a stale token changes nothing"
    );
    assert_eq!(lease.uuid, "l-1");
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
