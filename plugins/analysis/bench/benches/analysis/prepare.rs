//! `PrepareExperiment` through `taskhost exec`, then scanpy on the same files.

use std::path::Path;
use std::time::Duration;

use taskhost_e2e::{Host, SOURCE_GRANT, sample};

use crate::{median, scanpy, warm};

/// Times both sides on the 10x folder `source`; returns the summary table line.
pub fn compare(name: &str, source: &Path, repeat: usize) -> String {
    let root = std::env::temp_dir().join("taskhost-analysis-bench");
    let host = Host::new(&root.join("prepare"), &root.join("cache"));
    host.stage_source(source);
    let envelope = sample("prepare-experiment", "bench");
    // Untimed: fills the compile cache.
    host.exec(&envelope, &[SOURCE_GRANT]).body(&host);
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for i in 0..repeat {
        let run = host.exec(&envelope, &[SOURCE_GRANT]);
        run.body(&host);
        // The plugin's own log line: `phase times (ms) ... fields="read=.. parse=.. ..."`.
        let phases = strip_ansi(&run.stderr)
            .lines()
            .find(|l| l.contains("phase times"))
            .and_then(|l| l.split("fields=").nth(1))
            .map_or(String::new(), |f| {
                format!("(phases, ms: {})", f.trim_matches('"'))
            });
        println!(
            "{name}: taskhost exec run {}: {:.3} s, peak RSS {} MiB {phases}",
            i + 1,
            run.wall.as_secs_f64(),
            run.peak_rss_kib.unwrap_or(0) >> 10
        );
        times.push(run.wall);
        peaks.push(run.peak_rss_kib.unwrap_or(0));
    }
    let cold = median(times).as_secs_f64();
    let our_peak = peaks.iter().max().copied().unwrap_or(0) >> 10;
    println!(
        "{name}: taskhost exec median {cold:.3} s over {repeat} runs (a process each), peak RSS {our_peak} MiB"
    );
    let warm = warm::prepare_median(&host, &root.join("cache"), &envelope, repeat).as_secs_f64();
    println!("{name}: taskhost in-process (warm worker) median {warm:.3} s over {repeat} runs");
    let theirs = scanpy::run(source, repeat);
    println!(
        "{name}: scanpy median {:.3} s over {repeat} runs, peak RSS {:.0} MiB",
        theirs.median_s, theirs.peak_mib
    );
    format!(
        "| PrepareExperiment {name} ({repeat} runs) | warm {warm:.3} s, exec {cold:.3} s, {our_peak} MiB | {:.3} s, {:.0} MiB | warm {:.2} x, exec {:.2} x time, {:.2} x memory |",
        theirs.median_s,
        theirs.peak_mib,
        warm / theirs.median_s,
        cold / theirs.median_s,
        our_peak as f64 / theirs.peak_mib
    )
}

/// Formats a duration in milliseconds.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `text` without terminal colour codes (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
