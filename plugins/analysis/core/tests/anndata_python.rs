//! The written store opened by Python's `anndata.read_zarr` (feature `scanpy-reference`).
//!
//! Run with `TASKHOST_PYTHON=<python of a venv with reference/requirements.txt> cargo test -p
//! taskhost-analysis --release --features scanpy-reference`. Without the variable the test
//! fails; it is never skipped.

#![cfg(feature = "scanpy-reference")]

mod common;

use std::path::Path;
use std::process::Command;

use common::{prepare_pbmc3k, required_env};

#[test]
fn anndata_reads_the_pbmc3k_store() {
    let python = required_env(
        "TASKHOST_PYTHON",
        "Set it to the python of a venv made with `python3 -m venv .venv && .venv/bin/pip \
         install -r plugins/analysis/core/reference/requirements.txt`.",
    );
    let exp = prepare_pbmc3k();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("experiment.zarr");
    for (key, bytes) in taskhost_analysis::anndata::encode(&exp).unwrap() {
        let path = store.join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference/check_zarr.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&store)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "check_zarr.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
