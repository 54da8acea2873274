//! Warm per-task latency of the query tasks, in-process through the `taskhost` library: one
//! dispatcher (plugins compiled once), then `dispatch` per task as a worker does it.

use serde_json::json;
use taskhost::envelope::Envelope;
use taskhost_e2e::{Host, SOURCE_GRANT, envelope, pbmc3k_dir, sample};

use crate::median;
use crate::prepare::ms;
use crate::warm::dispatch_times;

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
    crate::warm::with_dispatcher(&host, &root.join("cache"), Vec::new(), async |dispatcher| {
        let mut lines = Vec::new();
        for (name, task) in tasks {
            let envelope = Envelope::from_value(task).expect("a valid envelope");
            let times = dispatch_times(dispatcher, name, &envelope, 3, repeat).await;
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
