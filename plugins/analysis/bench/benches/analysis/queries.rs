//! Warm per-task latency of the query tasks, in-process through the `taskhost` library: one
//! dispatcher (plugins compiled once), then `dispatch` per task as a worker does it.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use taskhost::config::{Settings, SettingsArgs};
use taskhost::dispatch::Outcome;
use taskhost::envelope::Envelope;
use taskhost::runtime::IgnoreProgress;
use taskhost_e2e::{Host, SOURCE_GRANT, analysis_plugins, envelope, pbmc3k_dir, sample};

use crate::median;
use crate::prepare::ms;

const EXPERIMENT: &str = "bench-queries";

/// Median latency of each query task over `repeat` runs; returns the summary table lines.
pub fn latencies(repeat: usize) -> Vec<String> {
    let root = std::env::temp_dir().join("taskhost-analysis-bench");
    let host = Host::new(&root.join("queries"), &root.join("cache"));
    host.stage_source(&pbmc3k_dir());
    host.exec(&sample("prepare-experiment", EXPERIMENT), &[SOURCE_GRANT])
        .body(&host);
    let tasks = [
        (
            "ListGenes (filtered sample)",
            sample("list-genes-filtered", EXPERIMENT),
        ),
        (
            "ListGenes (sample, all genes)",
            sample("list-genes", EXPERIMENT),
        ),
        (
            "GeneExpression (sample, 2 genes, 7 cell sets)",
            sample("gene-expression", EXPERIMENT),
        ),
        (
            "GeneExpression (CST3, all cells)",
            envelope(
                json!({"name": "GeneExpression", "genes": ["CST3"]}),
                EXPERIMENT,
            ),
        ),
        ("GetEmbedding (pca)", sample("get-embedding", EXPERIMENT)),
    ];
    let settings = Settings::resolve(&SettingsArgs {
        data_dir: Some(host.data_dir.clone()),
        cache_dir: Some(root.join("cache")),
        plugins: analysis_plugins(),
        ..SettingsArgs::default()
    })
    .expect("settings resolve");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let dispatcher = taskhost::assemble::dispatcher(&settings, 1)
            .await
            .expect("the host assembles");
        let mut lines = Vec::new();
        for (name, task) in tasks {
            let envelope = Envelope::from_value(task).expect("a valid envelope");
            let mut times = Vec::with_capacity(repeat);
            for i in 0..repeat + 3 {
                let start = Instant::now();
                let done = dispatcher
                    .dispatch(&envelope, 1, Arc::new(IgnoreProgress))
                    .await
                    .expect("the task dispatches");
                let elapsed = start.elapsed();
                assert!(
                    matches!(done.outcome, Outcome::Succeeded),
                    "{name}: {:?}",
                    done.outcome
                );
                if i >= 3 {
                    times.push(elapsed);
                }
            }
            let mut sorted = times.clone();
            sorted.sort();
            let p90 = sorted[sorted.len() * 9 / 10];
            let med = median(times);
            println!(
                "{name}: median {} (p90 {}) over {repeat} warm runs",
                ms(med),
                ms(p90)
            );
            lines.push(format!(
                "| {name}, warm, {repeat} runs | {} (p90 {}) | | |",
                ms(med),
                ms(p90)
            ));
        }
        lines
    })
}
