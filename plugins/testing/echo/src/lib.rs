//! Test plugin `Echo`: returns the task's body as its one JSON output. With `sleepMs` in the
//! body it first waits that long (queue and lease tests use it as a slow task); with `repeat`
//! it returns the body's `payload` string repeated that many times (large-result tests); with
//! `presignKey` it returns `{"put": url, "get": url}`, presigned URLs for that key of the
//! task's experiment (presigned-URL tests).

use std::time::Duration;

use serde::Deserialize;
use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin, progress, storage};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EchoInput {
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    repeat: Option<usize>,
    #[serde(default)]
    payload: String,
    #[serde(default)]
    presign_key: Option<String>,
}

struct Echo;

impl Plugin for Echo {
    type Input = EchoInput;

    fn info() -> PluginInfo {
        PluginInfo::new("echo", env!("CARGO_PKG_VERSION")).handles("Echo")
    }

    fn run(task: &Task, input: EchoInput) -> Result<Vec<Output>, Error> {
        if input.sleep_ms > 0 {
            progress::report(0.0, "sleeping");
            std::thread::sleep(Duration::from_millis(input.sleep_ms));
            progress::report(1.0, "awake");
        }
        if let Some(key) = input.presign_key {
            let experiment = storage::experiment();
            let expires = Duration::from_secs(600);
            let urls = serde_json::json!({
                "put": experiment.presign_put(&key, expires)?,
                "get": experiment.presign_get(&key, expires)?,
            });
            return Ok(vec![Output::json(&urls)?]);
        }
        if let Some(times) = input.repeat {
            let text = input.payload.repeat(times);
            return Ok(vec![Output::json(&text)?]);
        }
        Ok(vec![Output::bytes(
            "application/json",
            task.body.clone().into_bytes(),
        )])
    }
}

export_plugin!(Echo);
