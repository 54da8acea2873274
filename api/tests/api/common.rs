//! What the API tests share: a served SQLite queue, the table of routes, error and OpenAPI
//! assertions, and a raw-socket request for what reqwest will not send.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use taskhost_api::wire::ErrorBody;
use taskhost_api::{ApiState, Auth, Limits};
use taskhost_queue::sqlite::{SqliteOptions, SqliteQueue};
use taskhost_queue::{
    ClaimRequest, Failure, Lease, NewTask, QueueConfig, RetryPolicy, StateCount, TaskQueue,
    TaskRecord, TaskResult,
};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// The producer token of served queues.
pub const PRODUCER: &str = "producer-secret";
/// The admin token of served queues.
pub const ADMIN: &str = "admin-secret";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Anyone (no token).
    Open,
    /// A producer or an admin token.
    Producer,
    /// An admin token.
    Admin,
}

/// One route: method, path template (as in the OpenAPI document), a concrete path.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub template: &'static str,
    pub example: &'static str,
    pub role: Role,
    /// The route reads a JSON body.
    pub json_body: bool,
}

const fn route(
    method: &'static str,
    template: &'static str,
    example: &'static str,
    role: Role,
    json_body: bool,
) -> Route {
    Route {
        method,
        template,
        example,
        role,
        json_body,
    }
}

/// Every route the server exposes (the OpenAPI test checks this table against the document and
/// the live server in both directions).
pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/v1/openapi.json",
        "/v1/openapi.json",
        Role::Open,
        false,
    ),
    route("POST", "/v1/tasks", "/v1/tasks", Role::Producer, true),
    route(
        "GET",
        "/v1/tasks/{uuid}",
        "/v1/tasks/t-1",
        Role::Producer,
        false,
    ),
    route(
        "DELETE",
        "/v1/tasks/{uuid}",
        "/v1/tasks/t-1",
        Role::Admin,
        false,
    ),
    route(
        "GET",
        "/v1/tasks/{uuid}/result",
        "/v1/tasks/t-1/result",
        Role::Producer,
        false,
    ),
    route(
        "GET",
        "/v1/dead-letters",
        "/v1/dead-letters",
        Role::Admin,
        false,
    ),
    route(
        "POST",
        "/v1/dead-letters/{uuid}/redrive",
        "/v1/dead-letters/t-1/redrive",
        Role::Admin,
        false,
    ),
    route(
        "POST",
        "/v1/dead-letters/redrive",
        "/v1/dead-letters/redrive",
        Role::Admin,
        false,
    ),
    route("GET", "/v1/queue", "/v1/queue", Role::Admin, false),
    route(
        "POST",
        "/v1/queue/tasks",
        "/v1/queue/tasks",
        Role::Admin,
        true,
    ),
    route(
        "GET",
        "/v1/queue/tasks/{uuid}",
        "/v1/queue/tasks/t-1",
        Role::Admin,
        false,
    ),
    route("POST", "/v1/leases", "/v1/leases", Role::Admin, true),
    route(
        "POST",
        "/v1/leases/complete-many",
        "/v1/leases/complete-many",
        Role::Admin,
        true,
    ),
    route(
        "GET",
        "/v1/leases/wait",
        "/v1/leases/wait",
        Role::Admin,
        false,
    ),
    route(
        "POST",
        "/v1/leases/{uuid}/heartbeat",
        "/v1/leases/t-1/heartbeat",
        Role::Admin,
        true,
    ),
    route(
        "POST",
        "/v1/leases/{uuid}/complete",
        "/v1/leases/t-1/complete",
        Role::Admin,
        true,
    ),
    route(
        "POST",
        "/v1/leases/{uuid}/fail",
        "/v1/leases/t-1/fail",
        Role::Admin,
        true,
    ),
    route(
        "POST",
        "/v1/leases/{uuid}/release",
        "/v1/leases/t-1/release",
        Role::Admin,
        true,
    ),
    route(
        "POST",
        "/v1/leases/{uuid}/expire",
        "/v1/leases/t-1/expire",
        Role::Admin,
        true,
    ),
];

/// The limits of test servers: small, so that oversized bodies stay cheap.
pub fn test_limits() -> Limits {
    Limits {
        max_body_bytes: 64 * 1024,
        max_batch: 20,
        max_wait: Duration::from_secs(5),
    }
}

/// Queue settings of test servers: immediate retries.
pub fn test_config() -> QueueConfig {
    QueueConfig {
        retry: RetryPolicy::IMMEDIATE,
        ..QueueConfig::default()
    }
}

/// A SQLite queue in a temp dir, served on 127.0.0.1:0.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The served queue, to arrange and inspect tasks behind the API's back.
    pub queue: Arc<dyn TaskQueue>,
    /// A plain HTTP client.
    pub http: reqwest::Client,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Server {
    /// Producer and admin tokens, [`test_limits`], [`test_config`].
    pub async fn start() -> Self {
        Self::start_with(
            Auth::new(vec![PRODUCER.into()], vec![ADMIN.into()]),
            test_limits(),
            test_config(),
        )
        .await
    }

    /// A server with these tokens, limits and queue settings.
    pub async fn start_with(auth: Auth, limits: Limits, config: QueueConfig) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let queue = SqliteQueue::open(SqliteOptions::new(dir.path().join("queue.db")), config)
            .await
            .unwrap_or_else(|error| panic!("opening a SQLite queue: {error}"));
        let queue: Arc<dyn TaskQueue> = Arc::new(queue);
        let state = ApiState::new(Arc::clone(&queue))
            .with_auth(auth)
            .with_limits(limits);
        let routes = taskhost_api::routes(state, taskhost_api::no_extra_routes());
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, _handle) = taskhost_api::serve(
            "127.0.0.1:0".parse().expect("an address"),
            routes,
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .expect("the server binds");
        Self {
            url: format!("http://{addr}"),
            queue,
            http: reqwest::Client::new(),
            addr,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// A request without a token.
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// A request with the admin token.
    pub fn admin(&self, method: &str, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(ADMIN)
    }

    /// A request with the producer token.
    pub fn producer(&self, method: &str, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(PRODUCER)
    }

    /// Sends raw bytes on a new connection and returns the status and body of the answer.
    pub async fn raw(&self, request: &[u8]) -> (u16, Vec<u8>) {
        raw_request(self.addr, request).await
    }

    /// Every task's record and the counts: what "the queue is unchanged" compares.
    pub async fn snapshot(&self, uuids: &[String]) -> (Vec<StateCount>, Vec<Option<TaskRecord>>) {
        let counts = self.queue.counts().await.expect("counts");
        let mut records = Vec::new();
        for uuid in uuids {
            records.push(self.queue.get(uuid).await.expect("get"));
        }
        (counts, records)
    }

    /// `GET /v1/queue` as JSON.
    pub async fn counts_json(&self) -> Value {
        let response = self.admin("GET", "/v1/queue").send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON counts")
    }

    /// Submits `uuids` of task `name` straight to the queue.
    pub async fn submit(&self, uuids: &[&str], name: &str) {
        let tasks = uuids
            .iter()
            .map(|uuid| NewTask::new(*uuid, name, envelope(uuid, name).to_string()))
            .collect();
        self.queue.submit(tasks).await.expect("submitted");
    }

    /// Claims one task of `name` for `worker` with a long lease.
    pub async fn lease(&self, worker: &str, name: &str) -> Lease {
        let request = ClaimRequest::new(worker, &[name], 1, Duration::from_secs(600));
        let mut leases = self.queue.claim(&request).await.expect("claimed");
        assert_eq!(leases.len(), 1, "one {name} task to lease");
        leases.remove(0)
    }

    /// Leases one task of `name` and fails it as invalid input: dead at once.
    pub async fn make_dead(&self, name: &str) -> Lease {
        let lease = self.lease("w-dead", name).await;
        self.queue
            .fail(
                &lease.uuid,
                &lease.token,
                Failure::invalid_input("bad input"),
            )
            .await
            .expect("failed");
        lease
    }

    /// Submits `uuid` as a task `Done`, leases and completes it with `result`.
    pub async fn make_succeeded(&self, uuid: &str, result: &str) -> Lease {
        self.submit(&[uuid], "Done").await;
        let lease = self.lease("w-done", "Done").await;
        self.queue
            .complete(&lease.uuid, &lease.token, TaskResult::Json(result.into()))
            .await
            .expect("completed");
        lease
    }
}

/// An envelope like producers send.
pub fn envelope(uuid: &str, name: &str) -> Value {
    serde_json::json!({ "uuid": uuid, "socketId": "s-1", "body": { "name": name } })
}

/// Reads an error answer: checks the JSON content type and the `{"error": ...}` shape, that
/// `status` is the one expected, and that the OpenAPI document lists it for `route`.
pub async fn expect_error(
    response: reqwest::Response,
    status: StatusCode,
    method: &str,
    template: &str,
) -> ErrorBody {
    let got = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
    let text = response.text().await.expect("a body");
    assert_eq!(got, status, "{method} {template}: {text}");
    assert_eq!(
        content_type, "application/json",
        "{method} {template}: {text}"
    );
    let body: ErrorBody = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{method} {template}: not an error body ({error}): {text}"));
    assert!(!body.error.is_empty(), "{method} {template}: empty error");
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(
            challenge.as_ref().and_then(|value| value.to_str().ok()),
            Some("Bearer"),
            "{method} {template}: a 401 carries WWW-Authenticate"
        );
    }
    if status != StatusCode::NOT_FOUND || body.kind.as_deref() != Some("noRoute") {
        assert_documented(method, template, status);
    }
    body
}

/// The OpenAPI document.
pub fn openapi() -> Value {
    serde_json::from_str(taskhost_api::OPENAPI_JSON).expect("openapi.json is JSON")
}

/// The operation `method template` of the document.
pub fn operation(document: &Value, method: &str, template: &str) -> Option<Value> {
    document["paths"]
        .get(template)?
        .get(method.to_ascii_lowercase())
        .cloned()
}

/// Panics unless the document lists `status` for `method template`.
pub fn assert_documented(method: &str, template: &str, status: StatusCode) {
    let document = openapi();
    let operation = operation(&document, method, template)
        .unwrap_or_else(|| panic!("{method} {template} is not in openapi.json"));
    assert!(
        operation["responses"].get(status.as_str()).is_some(),
        "openapi.json does not list {status} for {method} {template}"
    );
}

/// Sends `request` on a new connection and reads the answer until the server closes it.
pub async fn raw_request(addr: SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connected");
    // The server may answer (and close) before it has read everything: ignore write errors.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => answer.extend_from_slice(&buffer[..read]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body_start = text.find("\r\n\r\n").map_or(answer.len(), |at| at + 4);
    (status, answer[body_start..].to_vec())
}
