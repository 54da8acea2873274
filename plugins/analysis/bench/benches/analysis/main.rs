//! Benchmarks of the analysis plugins inside the taskhost host, beside scanpy (not timed
//! assertions: figures to read and report).
//!
//! ```text
//! cargo bench -p taskhost-analysis-bench -- [pbmc3k] [synthetic] [queries] [--repeat N] [--query-repeat N]
//! ```
//!
//! - `pbmc3k`, `synthetic`: `PrepareExperiment` through `taskhost exec` (a fresh process per
//!   run, compile cache warm: one untimed run first), median of `--repeat` runs (default 3),
//!   with the process's peak RSS; then in-process as a worker runs it (one dispatcher, a fresh
//!   instance per task, one untimed run first); then scanpy's read + normalize + HVG + PCA (arpack) on the
//!   same files (`reference/bench_scanpy.py`, the same number of runs after a warm-up).
//! - `queries`: ListGenes, GeneExpression and GetEmbedding warm per-task latency on PBMC 3k,
//!   in-process through the `taskhost` library (`assemble::dispatcher`, then
//!   `Dispatcher::dispatch` repeatedly: a fresh sandboxed instance per task, as in a worker),
//!   median of `--query-repeat` runs (default 100).
//!
//! Needs the `taskhost` binary and the plugins (see `taskhost_e2e`), and for scanpy a Python
//! with scanpy: `TASKHOST_PYTHON`, else `<workspace>/.venv/bin/python`.

#![allow(missing_docs, clippy::print_stdout)]

/// The `taskhost` binary's allocator, so that the in-process (warm) figures are a worker's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod data;
mod prepare;
mod queries;
mod scanpy;
mod warm;

use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let repeat = number("--repeat", 3);
    let query_repeat = number("--query-repeat", 100);
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "pbmc3k" | "synthetic" | "queries"))
        .collect();
    let all = wanted.is_empty();
    let mut lines = Vec::new();
    if all || wanted.contains(&"pbmc3k") {
        lines.push(prepare::compare(
            "pbmc3k",
            &taskhost_e2e::pbmc3k_dir(),
            repeat,
        ));
    }
    if all || wanted.contains(&"synthetic") {
        lines.push(prepare::compare(
            "synthetic 50k x 20k",
            &data::synthetic_dir(),
            repeat,
        ));
    }
    if all || wanted.contains(&"queries") {
        lines.extend(queries::latencies(query_repeat));
    }
    println!("\n| benchmark | taskhost | scanpy | ratio |\n|---|---|---|---|");
    for line in lines {
        println!("{line}");
    }
}

/// The median of `times`.
pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}
