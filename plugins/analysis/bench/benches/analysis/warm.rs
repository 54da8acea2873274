//! Tasks in-process through the `taskhost` library, as a running worker runs them: one
//! dispatcher (plugins compiled and loaded once), then `dispatch` per task, each in a fresh
//! sandboxed instance. `PrepareExperiment`'s warm figure is the one to set beside scanpy's,
//! which is also timed warm inside its process (after its imports and a first run); the
//! query latencies (`queries.rs`) are timed the same way.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taskhost::capabilities::storage::Grant;
use taskhost::config::{Settings, SettingsArgs};
use taskhost::dispatch::{Dispatcher, Outcome};
use taskhost::envelope::Envelope;
use taskhost::runtime::IgnoreProgress;
use taskhost_e2e::{Host, SOURCE_GRANT, analysis_plugins};

use crate::median;

/// Runs `f` with a dispatcher of the analysis plugins on `host`'s data, compile cache `cache`.
pub fn with_dispatcher<T>(
    host: &Host,
    cache: &Path,
    grants: Vec<Grant>,
    f: impl AsyncFnOnce(&Dispatcher) -> T,
) -> T {
    let settings = Settings::resolve(&SettingsArgs {
        data_dir: Some(host.data_dir.clone()),
        cache_dir: Some(cache.to_path_buf()),
        plugins: analysis_plugins(),
        grants,
        ..SettingsArgs::default()
    })
    .expect("settings resolve");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let dispatcher = taskhost::assemble::dispatcher(&settings, 1)
            .await
            .expect("the host assembles");
        f(&dispatcher).await
    })
}

/// The times of `repeat` successful dispatches of `envelope`, after `warmup` untimed ones.
pub async fn dispatch_times(
    dispatcher: &Dispatcher,
    name: &str,
    envelope: &Envelope,
    warmup: usize,
    repeat: usize,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(repeat);
    for i in 0..warmup + repeat {
        let start = Instant::now();
        let done = dispatcher
            .dispatch(envelope, 1, Arc::new(IgnoreProgress))
            .await
            .expect("the task dispatches");
        let elapsed = start.elapsed();
        assert!(
            matches!(done.outcome, Outcome::Succeeded),
            "{name}: {:?}",
            done.outcome
        );
        if i >= warmup {
            times.push(elapsed);
        }
    }
    times
}

/// The median of `repeat` warm runs of `envelope` (after one untimed run) on `host`'s data.
pub fn prepare_median(
    host: &Host,
    cache: &Path,
    envelope: &serde_json::Value,
    repeat: usize,
) -> Duration {
    let grant: Grant = SOURCE_GRANT.parse().expect("the source grant parses");
    let envelope = Envelope::from_value(envelope.clone()).expect("a valid envelope");
    let times = with_dispatcher(host, cache, vec![grant], async |dispatcher| {
        dispatch_times(dispatcher, "PrepareExperiment", &envelope, 1, repeat).await
    });
    for (i, t) in times.iter().enumerate() {
        println!("in-process run {}: {:.3} s", i + 1, t.as_secs_f64());
    }
    median(times)
}
