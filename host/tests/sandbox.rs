//! The sandbox in one process: a plugin that spins, hogs memory or panics fails its own task
//! only, and the same runtime then runs `Echo` correctly; `Escape` is denied everything; the
//! compile cache is used and survives a corrupt entry.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskhost::capabilities::storage::Grant;
use taskhost::dispatch::{Dispatcher, Outcome};
use taskhost::envelope::Envelope;
use taskhost::result_message::OffloadSettings;
use taskhost::router::Router;
use taskhost::runtime::{
    CacheOutcome, IgnoreProgress, LimitPolicy, Runtime, RuntimeSettings, TaskFailure,
};
use taskhost::storage::{HostSignedStorage, StorageBackend};

async fn dispatcher(storage: Arc<dyn StorageBackend>, grants: Vec<Grant>) -> Dispatcher {
    let runtime = common::runtime();
    let mut plugins = Vec::new();
    for name in ["echo", "spin", "hog", "panic", "escape"] {
        plugins.push(
            runtime
                .load_file(&common::test_plugin(name))
                .await
                .unwrap()
                .0,
        );
    }
    Dispatcher::new(
        runtime,
        Arc::new(Router::new(plugins).unwrap()),
        storage,
        Arc::from(grants),
        OffloadSettings {
            bucket: "results".into(),
            url_ttl: Duration::from_secs(60),
        },
    )
}

fn local_storage(dir: &std::path::Path) -> Arc<dyn StorageBackend> {
    Arc::new(
        HostSignedStorage::local(
            dir,
            url::Url::parse("http://127.0.0.1:8080/").unwrap(),
            b"k".to_vec(),
        )
        .unwrap(),
    )
}

async fn run(d: &Dispatcher, task: Value) -> (Outcome, Value) {
    let envelope = Envelope::from_value(task).unwrap();
    let done = d
        .dispatch(&envelope, 1, Arc::new(IgnoreProgress))
        .await
        .unwrap();
    let body = serde_json::from_str(&done.message.results[0].body).unwrap_or(Value::Null);
    (done.outcome, body)
}

async fn echo_still_works(d: &Dispatcher, after: &str) {
    let (outcome, body) = run(
        d,
        json!({"uuid": format!("echo-after-{after}"), "body": {"name": "Echo", "after": after}}),
    )
    .await;
    assert!(
        matches!(outcome, Outcome::Succeeded),
        "Echo after {after}: {outcome:?}"
    );
    assert_eq!(body["after"], after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_plugin_fails_only_its_task_and_the_host_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dispatcher(local_storage(dir.path()), Vec::new()).await;

    let started = Instant::now();
    let (outcome, body) = run(&d, json!({"uuid": "spin-1", "body": {"name": "Spin"}})).await;
    let took = started.elapsed();
    assert!(
        matches!(outcome, Outcome::Failed(TaskFailure::Timeout { .. })),
        "{outcome:?}"
    );
    assert_eq!(body["error_code"], "TIMEOUT");
    // Spin asks for 2 s; it must be stopped within its deadline + 1 s.
    assert!(
        took < Duration::from_secs(3),
        "Spin was stopped after {took:?}"
    );
    echo_still_works(&d, "spin").await;

    let (outcome, body) = run(&d, json!({"uuid": "hog-1", "body": {"name": "Hog"}})).await;
    assert!(
        matches!(outcome, Outcome::Failed(TaskFailure::MemoryLimit { limit }) if limit == 64 << 20),
        "{outcome:?}"
    );
    assert_eq!(body["error_code"], "MEMORY_LIMIT");
    echo_still_works(&d, "hog").await;

    let (outcome, body) = run(&d, json!({"uuid": "panic-1", "body": {"name": "Panic"}})).await;
    match outcome {
        Outcome::Failed(TaskFailure::Panicked(message)) => {
            assert!(message.contains("panics on purpose"), "{message}")
        }
        other => panic!("Panic ended as {other:?}"),
    }
    assert_eq!(body["error_code"], "PLUGIN_CRASHED");
    echo_still_works(&d, "panic").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_timeout_shorter_than_the_plugin_limit_is_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dispatcher(local_storage(dir.path()), Vec::new()).await;
    let timeout = (chrono::Utc::now() + chrono::Duration::milliseconds(500)).to_rfc3339();
    let started = Instant::now();
    let (outcome, _) = run(
        &d,
        json!({"uuid": "spin-2", "timeout": timeout, "body": {"name": "Spin"}}),
    )
    .await;
    match outcome {
        Outcome::Failed(TaskFailure::Timeout { limit }) => {
            assert!(limit <= Duration::from_millis(500), "{limit:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_is_denied_every_attempt_while_granted_reads_work() {
    let dir = tempfile::tempdir().unwrap();
    // Objects the escape attempts aim at exist, so a successful attempt would read something.
    for (path, body) in [
        ("experiments/e2/x", "secret"),
        ("experiments/e1/own/x", "mine"),
        ("granted/x", "shared"),
        ("experiments/%2e%2e/e2/x", "decoy"),
    ] {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let grants = vec!["escape=read:granted".parse().unwrap()];
    let d = dispatcher(local_storage(dir.path()), grants).await;

    let (outcome, attempts) = run(
        &d,
        json!({"uuid": "esc-1", "experimentId": "e1",
        "body": {"name": "Escape", "otherExperiment": "e2", "port": port}}),
    )
    .await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?}");
    let attempts = attempts.as_object().unwrap();
    assert!(attempts.len() >= 14, "{attempts:?}");
    let succeeded: Vec<&String> = attempts
        .iter()
        .filter(|(_, v)| **v != json!(false))
        .map(|(k, _)| k)
        .collect();
    assert!(
        succeeded.is_empty(),
        "escape attempts that succeeded: {succeeded:?}"
    );
    assert!(
        listener.accept().is_err(),
        "a connection reached the test listener"
    );
    assert!(!dir.path().join("experiments/e2/y").exists());
    assert!(
        !dir.path().join("granted/y").exists(),
        "a read-only grant was written"
    );

    let (_, control) = run(
        &d,
        json!({"uuid": "esc-2", "experimentId": "e1",
        "body": {"name": "Escape", "control": true}}),
    )
    .await;
    assert_eq!(
        control,
        json!({"own_experiment": true, "granted_bucket": true})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_are_compiled_once_and_a_corrupt_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = || {
        Runtime::new(RuntimeSettings {
            cache_dir: Some(cache.path().to_owned()),
            slots: 1,
            limits: LimitPolicy::default(),
        })
        .unwrap()
    };
    let echo = common::test_plugin("echo");
    let (first, outcome) = runtime().load_file(&echo).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Compiled);
    let (second, outcome) = runtime().load_file(&echo).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.info, second.info);
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "cwasm") {
            std::fs::write(&path, b"garbage").unwrap();
        }
    }
    let (_, outcome) = runtime().load_file(&echo).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Compiled);
}
