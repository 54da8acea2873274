//! `PrepareExperiment` in-process through the `taskhost` library, as a running worker does it:
//! one dispatcher (plugin compiled and loaded once), then `dispatch` per task, each in a fresh
//! sandboxed instance. This is the figure to set beside scanpy's, which is also timed warm
//! inside its process (after its imports and a first run).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskhost::capabilities::storage::Grant;
use taskhost::config::{Settings, SettingsArgs};
use taskhost::dispatch::Outcome;
use taskhost::envelope::Envelope;
use taskhost::runtime::IgnoreProgress;
use taskhost_e2e::{Host, SOURCE_GRANT, analysis_plugins};

use crate::median;

/// The median of `repeat` warm runs of `envelope` (after one untimed run) on `host`'s data.
pub fn prepare_median(
    host: &Host,
    cache: &Path,
    envelope: &serde_json::Value,
    repeat: usize,
) -> Duration {
    let grant: Grant = SOURCE_GRANT.parse().expect("the source grant parses");
    let settings = Settings::resolve(&SettingsArgs {
        data_dir: Some(host.data_dir.clone()),
        cache_dir: Some(cache.to_path_buf()),
        plugins: analysis_plugins(),
        grants: vec![grant],
        ..SettingsArgs::default()
    })
    .expect("settings resolve");
    let envelope = Envelope::from_value(envelope.clone()).expect("a valid envelope");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let dispatcher = taskhost::assemble::dispatcher(&settings, 1)
            .await
            .expect("the host assembles");
        let mut times = Vec::with_capacity(repeat);
        for i in 0..=repeat {
            let start = Instant::now();
            let done = dispatcher
                .dispatch(&envelope, 1, Arc::new(IgnoreProgress))
                .await
                .expect("the task dispatches");
            let elapsed = start.elapsed();
            assert!(
                matches!(done.outcome, Outcome::Succeeded),
                "PrepareExperiment: {:?}",
                done.outcome
            );
            if i > 0 {
                println!("in-process run {i}: {:.3} s", elapsed.as_secs_f64());
                times.push(elapsed);
            }
        }
        median(times)
    })
}
