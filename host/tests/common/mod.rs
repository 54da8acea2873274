//! Helpers shared by the host's integration tests: where the built test plugins are, and a
//! compile cache shared by all tests so each plugin is compiled once per test run.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder `cargo xtask build-plugins` fills.
pub fn plugin_root() -> PathBuf {
    std::env::var_os("TASKHOST_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

/// A built test plugin; fails loudly when it is missing.
pub fn test_plugin(name: &str) -> PathBuf {
    let path = plugin_root().join("testing").join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "test plugin {} is missing: run `cargo xtask build-plugins` (or `cargo xtask test`)",
        path.display()
    );
    path
}

/// The folder holding every test plugin.
pub fn test_plugin_dir() -> PathBuf {
    test_plugin("echo")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A compile cache shared by the tests of one target folder.
pub fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-compile-cache")
}

/// The path of the fixture task `name` (copied from the producers' samples).
pub fn fixture_task(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/tasks")
        .join(name)
}

/// `taskhost` with the test plugins, the shared cache and a private data folder.
pub fn taskhost(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskhost"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TASKHOST_DATA_DIR", data_dir)
        .env("TASKHOST_CACHE_DIR", shared_cache())
        .env("TASKHOST_PLUGINS", test_plugin_dir());
    command
}

/// A runtime of two slots with the default limits and the shared compile cache.
pub fn runtime() -> std::sync::Arc<taskhost::runtime::Runtime> {
    std::sync::Arc::new(
        taskhost::runtime::Runtime::new(taskhost::runtime::RuntimeSettings {
            cache_dir: Some(shared_cache()),
            slots: 2,
            limits: taskhost::runtime::LimitPolicy::default(),
        })
        .expect("the runtime starts"),
    )
}

/// A dispatcher routing `Echo` to the test plugin, over `storage`, results offloaded to
/// bucket `results`.
pub async fn echo_dispatcher(
    storage: taskhost::storage::HostSignedStorage,
) -> taskhost::dispatch::Dispatcher {
    let runtime = runtime();
    let echo = runtime.load_file(&test_plugin("echo")).await.unwrap().0;
    taskhost::dispatch::Dispatcher::new(
        runtime,
        std::sync::Arc::new(taskhost::router::Router::new(vec![echo]).unwrap()),
        std::sync::Arc::new(storage),
        std::sync::Arc::from(Vec::new()),
        taskhost::result_message::OffloadSettings {
            bucket: "results".into(),
            url_ttl: std::time::Duration::from_secs(60),
        },
    )
}

/// Dispatches the task `task` (an envelope as JSON); the outcome and the first result's body
/// as JSON (`null` when it is not JSON, e.g. offloaded).
pub async fn dispatch_json(
    d: &taskhost::dispatch::Dispatcher,
    task: serde_json::Value,
) -> (taskhost::dispatch::Outcome, serde_json::Value) {
    let done = d
        .dispatch(
            &taskhost::envelope::Envelope::from_value(task).unwrap(),
            1,
            std::sync::Arc::new(taskhost::runtime::IgnoreProgress),
        )
        .await
        .unwrap();
    let body =
        serde_json::from_str(&done.message.results[0].body).unwrap_or(serde_json::Value::Null);
    (done.outcome, body)
}
