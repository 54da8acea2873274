//! Helpers shared by the benchmark binaries: where the plugins are, and medians.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A built test plugin; exits with instructions when it is missing.
pub fn test_plugin(name: &str) -> PathBuf {
    let root = std::env::var_os("TASKHOST_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
    let path = root.join("testing").join(format!("{name}.wasm"));
    if !path.is_file() {
        eprintln!(
            "{} is missing: run `cargo xtask build-plugins` first",
            path.display()
        );
        std::process::exit(2);
    }
    path
}

/// Median and 99th percentile of a set of durations.
pub fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Formats a duration in microseconds.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Formats a duration in milliseconds.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
