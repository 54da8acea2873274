//! Warm per-task cost of `Echo`: a fresh instance, `run`, and the result message as JSON, for
//! an already-loaded plugin. Reports the median and p99 over 20,000 tasks, next to a baseline
//! measured in the same process: building the same result message without running any plugin
//! (what a host that ran Echo natively would still pay).
//!
//! `cargo bench -p taskhost --bench echo` (after `cargo xtask build-plugins`).

// A bench binary reports on stdout.
#![allow(clippy::print_stdout)]

#[path = "common.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use taskhost::dispatch::{Dispatcher, Outcome};
use taskhost::envelope::Envelope;
use taskhost::result_message::{OffloadSettings, ResultMessage};
use taskhost::router::Router;
use taskhost::runtime::{IgnoreProgress, LimitPolicy, Output, Runtime, RuntimeSettings};
use taskhost::storage::HostSignedStorage;

const TASKS: usize = 20_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let runtime = Arc::new(
            Runtime::new(RuntimeSettings {
                cache_dir: None,
                slots: 1,
                limits: LimitPolicy::default(),
            })
            .expect("runtime"),
        );
        let (echo, _) = runtime
            .load_file(&common::test_plugin("echo"))
            .await
            .expect("load echo");
        let storage = Arc::new(HostSignedStorage::memory(
            url::Url::parse("http://127.0.0.1:8080/").unwrap(),
            b"k".to_vec(),
        ));
        let dispatcher = Dispatcher::new(
            runtime,
            Arc::new(Router::new([echo]).expect("router")),
            storage,
            Arc::from(Vec::new()),
            OffloadSettings {
                bucket: "results".into(),
                url_ttl: Duration::from_secs(60),
            },
        );
        let envelope = Envelope::from_value(json!({
            "uuid": "509520fe-d329-437d-8752-b5868ad59425", "socketId": "Y1poEygzBfrDmIWpAAAA",
            "experimentId": "5e959f9c9f4b120771249001", "timeout": "2099-12-31 00:00:00",
            "body": {"name": "Echo", "type": "pca"}
        }))
        .expect("envelope");
        let observer = Arc::new(IgnoreProgress);

        // Warm up: page in the pool slots and code.
        for _ in 0..500 {
            let done = dispatcher
                .dispatch(&envelope, 1, observer.clone())
                .await
                .expect("dispatch");
            assert!(matches!(done.outcome, Outcome::Succeeded));
        }
        let mut wasm = Vec::with_capacity(TASKS);
        let mut baseline = Vec::with_capacity(TASKS);
        for _ in 0..TASKS {
            let start = Instant::now();
            let done = dispatcher
                .dispatch(&envelope, 1, observer.clone())
                .await
                .expect("dispatch");
            let text = done.message.to_json();
            wasm.push(start.elapsed());
            std::hint::black_box(text);

            let start = Instant::now();
            let output = Output {
                content_type: "application/json".into(),
                body: envelope.body_json().into_bytes(),
            };
            let text = ResultMessage::success(&envelope.original, &[output]).to_json();
            baseline.push(start.elapsed());
            std::hint::black_box(text);
        }
        let (wasm_median, wasm_p99) = common::summary(wasm);
        let (base_median, base_p99) = common::summary(baseline);
        println!("echo per task, {TASKS} tasks (fresh instance + run + result message):");
        println!(
            "  sandboxed Echo     median {}  p99 {}",
            common::us(wasm_median),
            common::us(wasm_p99)
        );
        println!(
            "  baseline (no wasm) median {}  p99 {}",
            common::us(base_median),
            common::us(base_p99)
        );
        println!(
            "  ratio sandboxed / baseline: {:.1}x; sandbox overhead per task: {}",
            wasm_median.as_secs_f64() / base_median.as_secs_f64(),
            common::us(wasm_median.saturating_sub(base_median))
        );
    });
}
