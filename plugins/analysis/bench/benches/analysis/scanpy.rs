//! scanpy's side: `plugins/analysis/core/reference/bench_scanpy.py` in a child process.

use std::path::{Path, PathBuf};
use std::process::Command;

use taskhost_e2e::workspace_root;

/// scanpy's median time and peak RSS on a folder.
pub struct Scanpy {
    /// Median seconds.
    pub median_s: f64,
    /// Peak RSS in MiB.
    pub peak_mib: f64,
}

fn python() -> PathBuf {
    let path = std::env::var_os("TASKHOST_PYTHON")
        .map_or_else(|| workspace_root().join(".venv/bin/python"), PathBuf::from);
    assert!(
        path.exists(),
        "no Python with scanpy at {}: create it with `python3 -m venv .venv && .venv/bin/pip \
         install -r plugins/analysis/core/reference/requirements.txt` or set TASKHOST_PYTHON",
        path.display()
    );
    path
}

/// Runs the reference benchmark on `folder` (`repeat` timed runs after a warm-up).
pub fn run(folder: &Path, repeat: usize) -> Scanpy {
    let script = workspace_root().join("plugins/analysis/core/reference/bench_scanpy.py");
    let run = taskhost_e2e::process::run(
        Command::new(python())
            .arg(script)
            .arg(folder)
            .arg("--repeat")
            .arg(repeat.to_string()),
    );
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.code == Some(0),
        "bench_scanpy.py failed: {out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let after = |marker: &str| {
        out.split(marker)
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("bench_scanpy.py output without {marker:?}: {out}"))
    };
    Scanpy {
        median_s: after("median "),
        peak_mib: after("peak RSS "),
    }
}
