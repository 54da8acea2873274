//! Cold start of `taskhost exec`: process start to first result with a warm compile cache
//! (median of 30 runs), next to a baseline measured in the same run: the same binary's
//! `--version` (process start and exit, no work). Also the first compile of each test plugin
//! without a cache.
//!
//! `cargo bench -p taskhost --bench cold_start` (after `cargo xtask build-plugins`).

// A bench binary reports on stdout.
#![allow(clippy::print_stdout)]

#[path = "common.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use taskhost::runtime::{LimitPolicy, Runtime, RuntimeSettings};

const RUNS: usize = 30;

fn main() {
    let bin = env!("CARGO_BIN_EXE_taskhost");
    let data = tempfile::tempdir().expect("tempdir");
    let plugins = common::test_plugin("echo")
        .parent()
        .expect("folder")
        .to_owned();
    let task = data.path().join("echo.json");
    std::fs::write(
        &task,
        r#"{"uuid":"u","timeout":"2099-12-31 00:00:00","body":{"name":"Echo"}}"#,
    )
    .expect("task");
    let exec = || {
        let out = Command::new(bin)
            .arg("exec")
            .arg("--data-dir")
            .arg(data.path())
            .arg("--plugins")
            .arg(&plugins)
            .arg(&task)
            .output()
            .expect("taskhost exec");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let started = Instant::now();
    exec();
    println!(
        "first exec (compiles {} plugins into an empty cache): {}",
        std::fs::read_dir(&plugins).map(|d| d.count()).unwrap_or(0),
        common::ms(started.elapsed())
    );

    let mut warm = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        exec();
        warm.push(start.elapsed());
        let start = Instant::now();
        let out = Command::new(bin)
            .arg("--version")
            .output()
            .expect("--version");
        assert!(out.status.success());
        baseline.push(start.elapsed());
    }
    let (warm_median, warm_p99) = common::summary(warm);
    let (base_median, _) = common::summary(baseline);
    println!(
        "exec, warm compile cache ({RUNS} runs): median {}  p99 {}",
        common::ms(warm_median),
        common::ms(warm_p99)
    );
    println!(
        "baseline `taskhost --version`: median {}",
        common::ms(base_median)
    );
    println!(
        "ratio exec / process start: {:.1}x",
        warm_median.as_secs_f64() / base_median.as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let runtime = Runtime::new(RuntimeSettings {
            cache_dir: None,
            slots: 1,
            limits: LimitPolicy::default(),
        })
        .expect("runtime");
        for name in ["echo", "spin", "hog", "panic", "escape"] {
            let path = common::test_plugin(name);
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let start = Instant::now();
            runtime.load_file(&path).await.expect("load");
            println!(
                "first compile of {name} ({} KiB), no cache: {}",
                size / 1024,
                common::ms(start.elapsed())
            );
        }
    });
}
