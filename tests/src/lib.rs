//! End-to-end harness: runs the real `taskhost` binary — `taskhost exec` with the analysis
//! plugins on a temporary data folder (reading what they stored), and `taskhost run` hosts as
//! child processes ([`host_process`]) over SQLite or a fresh PostgreSQL database ([`postgres`]),
//! and against moto's AWS-API server ([`aws`]).
//!
//! Where things come from, and how they fail when missing (loudly, never skipping):
//! - the binary: `TASKHOST_BIN`, else `<workspace>/target/release/taskhost`
//!   (`cargo build --release -p taskhost`);
//! - the plugins: `TASKHOST_PLUGIN_DIR`, else `<workspace>/target/plugins`, holding
//!   `analysis/<name>.wasm` (`cargo xtask build-plugins`).
//!
//! With `CARGO_TARGET_DIR` set, both commands put their output there: point the two variables
//! at it.

pub mod aws;
pub mod host_process;
pub mod postgres;
pub mod process;
pub mod s3;
pub mod sqs;
mod store;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

pub use store::FsStore;

/// The analysis plugins, as `cargo xtask build-plugins` installs them.
pub const ANALYSIS_PLUGINS: [&str; 4] = [
    "analysis/prepare-experiment.wasm",
    "analysis/get-embedding.wasm",
    "analysis/list-genes.wasm",
    "analysis/gene-expression.wasm",
];

/// The source bucket of the sample `PrepareExperiment` envelope.
pub const SOURCE_BUCKET: &str = "biomage-source-originals";
/// The folder of the sample `PrepareExperiment` envelope inside [`SOURCE_BUCKET`].
pub const SOURCE_PATH: &str = "pbmc_count_matrices/hg19";
/// The grant `PrepareExperiment` needs on the sample envelope.
pub const SOURCE_GRANT: &str = "prepare-experiment=read:biomage-source-originals";

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The `taskhost` binary, or a panic saying how to build it.
pub fn taskhost_bin() -> PathBuf {
    let path = std::env::var_os("TASKHOST_BIN").map_or_else(
        || workspace_root().join("target/release/taskhost"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the taskhost binary is missing at {}: build it with `cargo build --release -p taskhost` \
         and set TASKHOST_BIN=<target dir>/release/taskhost when CARGO_TARGET_DIR is set",
        path.display()
    );
    path
}

/// The four analysis plugin files, or a panic saying how to build them.
pub fn analysis_plugins() -> Vec<PathBuf> {
    let dir = std::env::var_os("TASKHOST_PLUGIN_DIR")
        .map_or_else(|| workspace_root().join("target/plugins"), PathBuf::from);
    ANALYSIS_PLUGINS
        .iter()
        .map(|p| {
            let path = dir.join(p);
            assert!(
                path.is_file(),
                "plugin {} is missing: build the plugins with `cargo xtask build-plugins` and set \
                 TASKHOST_PLUGIN_DIR=<target dir>/plugins when CARGO_TARGET_DIR is set",
                path.display()
            );
            path
        })
        .collect()
}

/// The PBMC 3k 10x folder shipped with the analysis core (with its `cellsets.json`).
pub fn pbmc3k_dir() -> PathBuf {
    workspace_root().join("plugins/analysis/core/testdata/pbmc3k")
}

/// A sample envelope of `tests/fixtures/tasks/<name>.json`, made runnable: `experimentId` set
/// to `experiment` and a `timeout` one hour from now.
pub fn sample(name: &str, experiment: &str) -> Value {
    let path = workspace_root().join(format!("tests/fixtures/tasks/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("sample envelope {}: {e}", path.display()));
    let mut envelope: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("sample envelope {}: {e}", path.display()));
    envelope["experimentId"] = json!(experiment);
    envelope["timeout"] = json!(fresh_timeout());
    envelope
}

/// An envelope with this body on `experiment`, a fresh uuid-like id and timeout.
pub fn envelope(body: Value, experiment: &str) -> Value {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    json!({
        "uuid": format!("00000000-0000-4000-8000-{:012x}", nanos.unsigned_abs() % (1 << 48)),
        "socketId": "e2e",
        "experimentId": experiment,
        "timeout": fresh_timeout(),
        "body": body,
    })
}

/// One hour from now, RFC 3339.
pub fn fresh_timeout() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()
}

/// A `taskhost` data folder with the analysis plugins, and a compile cache shared between
/// hosts (so that only the first run compiles the plugins).
#[derive(Debug, Clone)]
pub struct Host {
    bin: PathBuf,
    plugins: Vec<PathBuf>,
    /// The data folder (`--data-dir`); storage is `<data_dir>/storage`.
    pub data_dir: PathBuf,
    cache_dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// What one `taskhost exec` gave.
#[derive(Debug, Clone)]
pub struct Exec {
    /// The exit code.
    pub code: Option<i32>,
    /// The result message printed on stdout.
    pub message: Value,
    /// The host's log.
    pub stderr: String,
    /// Wall time of the whole command.
    pub wall: Duration,
    /// The process's peak resident memory (`VmHWM`, sampled every few milliseconds), in KiB.
    pub peak_rss_kib: Option<u64>,
}

impl Host {
    /// A host on `data_dir` (created, emptied first) with the compile cache in `cache_dir`.
    pub fn new(data_dir: &Path, cache_dir: &Path) -> Self {
        // A leftover folder of an earlier run may be absent: nothing to remove then.
        let _ = std::fs::remove_dir_all(data_dir);
        std::fs::create_dir_all(data_dir.join("storage")).expect("the data folder is writable");
        Self {
            bin: taskhost_bin(),
            plugins: analysis_plugins(),
            data_dir: data_dir.to_owned(),
            cache_dir: cache_dir.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The same host with more arguments for every `exec` (`--storage s3://...`, ...) and more
    /// environment variables (the AWS endpoint and credentials, ...).
    #[must_use]
    pub fn with(mut self, args: &[&str], env: &[(&str, String)]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self.env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        self
    }

    /// The storage root (buckets are its subfolders).
    pub fn storage(&self) -> PathBuf {
        self.data_dir.join("storage")
    }

    /// The folder of experiment `id`.
    pub fn experiment(&self, id: &str) -> PathBuf {
        self.storage().join("experiments").join(id)
    }

    /// Copies the files of the 10x folder `from` into `<SOURCE_BUCKET>/<SOURCE_PATH>/`.
    pub fn stage_source(&self, from: &Path) {
        let to = self.storage().join(SOURCE_BUCKET).join(SOURCE_PATH);
        std::fs::create_dir_all(&to).expect("the data folder is writable");
        for entry in std::fs::read_dir(from).expect("the source folder is readable") {
            let entry = entry.expect("the source folder is readable");
            if entry.path().is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name()))
                    .expect("the source files copy");
            }
        }
    }

    /// Runs `taskhost exec` on `envelope` with these `--grant`s.
    pub fn exec(&self, envelope: &Value, grants: &[&str]) -> Exec {
        let task = self.data_dir.join(format!(
            "task-{}.json",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::write(&task, envelope.to_string()).expect("the data folder is writable");
        let mut command = Command::new(&self.bin);
        command
            .arg("exec")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--cache-dir")
            .arg(&self.cache_dir);
        for plugin in &self.plugins {
            command.arg("--plugins").arg(plugin);
        }
        for grant in grants {
            command.arg("--grant").arg(grant);
        }
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .arg(&task)
            .env_remove("TASKHOST_GRANTS");
        let run = process::run(&mut command);
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        let message = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("taskhost exec printed no result message ({e}):\n{stdout}\n{stderr}")
        });
        Exec {
            code: run.code,
            message,
            stderr,
            wall: run.wall,
            peak_rss_kib: run.peak_rss_kib,
        }
    }
}

impl Exec {
    /// The JSON of the first result of a successful task (inline or offloaded to storage), or a
    /// panic showing the failure.
    pub fn body(&self, host: &Host) -> Value {
        assert!(
            self.code == Some(0) && self.message["response"]["error"] == json!(false),
            "the task failed (exit {:?}): {}\n{}",
            self.code,
            self.message,
            self.stderr
        );
        let entry = &self.message["results"][0];
        let text = match entry["type"].as_str() {
            Some("inline") => entry["body"].as_str().unwrap_or_default().to_owned(),
            Some("s3-path") => {
                let key = entry["body"].as_str().unwrap_or_default();
                std::fs::read_to_string(host.storage().join(key))
                    .unwrap_or_else(|e| panic!("offloaded result {key}: {e}"))
            }
            other => panic!("unexpected result type {other:?}: {}", self.message),
        };
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("result body is not JSON: {e}"))
    }

    /// `(error_code, user_message)` of a failed task, or a panic when it did not fail with exit
    /// code 1.
    pub fn failure(&self) -> (String, String) {
        assert!(
            self.code == Some(1) && self.message["response"]["error"] == json!(true),
            "expected a failed task (exit 1), got exit {:?}: {}\n{}",
            self.code,
            self.message,
            self.stderr
        );
        let body: Value = self.message["results"][0]["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or_else(|| panic!("a failure has an error body: {}", self.message));
        (
            body["error_code"].as_str().unwrap_or_default().to_owned(),
            body["user_message"].as_str().unwrap_or_default().to_owned(),
        )
    }
}
