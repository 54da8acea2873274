//! Every error path that is not about the body (tokens, routes, methods, query parameters,
//! path escapes, unknown tasks, conflicts): its status, a JSON `{"error": ...}` body with its
//! `kind`, the `application/json` content type, and the status listed in openapi.json.

use reqwest::StatusCode;
use serde_json::json;
use taskhost_queue::TaskState;

use crate::common::{ADMIN, ROUTES, Role, Server, envelope, expect_error};

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

/// An error can be answered before the body is read; the connection is then closed, and the
/// response says so, so that a client does not pool it (the fuzz test's requests follow each
/// other on one client).
#[tokio::test]
async fn error_responses_close_the_connection() {
    let server = Server::start().await;
    let unauthorized = server
        .request("POST", "/v1/tasks")
        .body("{}")
        .send()
        .await
        .expect("sent");
    let not_found = server.admin("GET", "/v1/nope").send().await.expect("sent");
    for response in [unauthorized, not_found] {
        let status = response.status();
        assert!(status.is_client_error(), "{status}");
        let connection = response.headers().get("connection").cloned();
        assert_eq!(
            connection.as_ref().and_then(|v| v.to_str().ok()),
            Some("close"),
            "{status}"
        );
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
