//! The four analysis tasks through `taskhost exec` on PBMC 3k: the sample envelopes (with
//! experiment `1234` and a fresh timeout), checked against the core's own readers of what the
//! plugins stored. PBMC 3k is prepared once per run and shared by the tests.

mod embedding;
mod gene_expression;
mod list_genes;
mod prepare;

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use taskhost_e2e::{FsStore, Host, SOURCE_GRANT, pbmc3k_dir, sample};

/// The experiment the tests prepare.
const EXPERIMENT: &str = "1234";

/// A host whose experiment [`EXPERIMENT`] holds PBMC 3k, and the `PrepareExperiment` result.
struct Prepared {
    host: Host,
    summary: Value,
}

impl Prepared {
    /// The stored AnnData store.
    fn store(&self) -> FsStore {
        FsStore(self.host.experiment(EXPERIMENT).join("adata.zarr"))
    }
}

/// The compile cache shared by every host of the run.
fn cache_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-compile-cache")
}

/// A fresh host named `name` (its folder under the target dir is emptied).
fn fresh_host(name: &str) -> Host {
    Host::new(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join(name),
        &cache_dir(),
    )
}

fn prepared() -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let host = fresh_host("e2e-analysis");
        host.stage_source(&pbmc3k_dir());
        let run = host.exec(&sample("prepare-experiment", EXPERIMENT), &[SOURCE_GRANT]);
        let summary = run.body(&host);
        Prepared { host, summary }
    })
}

/// Runs a task on the prepared experiment.
fn exec(envelope: &Value) -> taskhost_e2e::Exec {
    prepared().host.exec(envelope, &[])
}
