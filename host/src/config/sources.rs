//! Where settings come from: the command line and environment ([`SettingsArgs`], filled by
//! clap) and the TOML file ([`FileSettings`], unknown keys refused).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use super::TaskCap;
use crate::capabilities::storage::Grant;
use crate::storage::BucketMount;

/// Settings as given on the command line or in the environment (clap fills these).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    /// A TOML settings file.
    #[arg(long, env = "TASKHOST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The folder for all local state (queue, storage, plugins, cache).
    #[arg(long, env = "TASKHOST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Task source: `sqlite://…`, `postgres://…`, an SQS queue URL or `sqs://<name>`, or
    /// `http(s)://<host>` (a remote worker).
    #[arg(long, env = "TASKHOST_QUEUE", value_name = "URL")]
    pub queue: Option<String>,
    /// Storage: a local folder, `file://…`, `memory://` (`s3://`, `gs://`, `az://` with the cloud backends).
    #[arg(long, env = "TASKHOST_STORAGE", value_name = "DIR|URL")]
    pub storage: Option<String>,
    /// Plugin folders or `.wasm` files (repeatable; comma-separated in the environment).
    #[arg(
        long,
        env = "TASKHOST_PLUGINS",
        value_name = "PATH",
        value_delimiter = ','
    )]
    pub plugins: Vec<PathBuf>,
    /// A plugin registry to follow.
    #[arg(long, env = "TASKHOST_REGISTRY", value_name = "URL")]
    pub registry: Option<String>,
    /// Where results go: `store`, `sns://<topic-arn>`, `file://<dir>`, `stdout`.
    #[arg(long, env = "TASKHOST_PUBLISH", value_name = "TARGET")]
    pub publish: Option<String>,
    /// The HTTP API address.
    #[arg(long, env = "TASKHOST_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL clients reach the API at (for presigned URLs); defaults to `http://<listen>`.
    #[arg(long, env = "TASKHOST_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
    /// Worker slots.
    #[arg(long, env = "TASKHOST_CONCURRENCY", value_name = "N")]
    pub concurrency: Option<u32>,
    /// Lease (visibility) duration in seconds, extended by heartbeats.
    #[arg(long, env = "TASKHOST_LEASE_SECS", value_name = "SECS")]
    pub lease_secs: Option<u64>,
    /// Attempts before a task is dead-lettered.
    #[arg(long, env = "TASKHOST_MAX_ATTEMPTS", value_name = "N")]
    pub max_attempts: Option<u32>,
    /// `<plugin>=<read|write>:<bucket>` (repeatable; comma-separated in the environment).
    #[arg(
        long = "grant",
        env = "TASKHOST_GRANTS",
        value_name = "GRANT",
        value_delimiter = ','
    )]
    pub grants: Vec<Grant>,
    /// `<bucket>=<location>`: a bucket at a location of its own instead of under `--storage`
    /// (repeatable; comma-separated in the environment), e.g. `source=s3://originals`.
    #[arg(
        long = "bucket",
        env = "TASKHOST_BUCKETS",
        value_name = "BUCKET=LOCATION",
        value_delimiter = ','
    )]
    pub buckets: Vec<BucketMount>,
    /// Bearer token producers must present.
    #[arg(
        long,
        env = "TASKHOST_API_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
    /// Bearer token for admin routes.
    #[arg(
        long,
        env = "TASKHOST_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// The compile cache folder (default `<data-dir>/cache`).
    #[arg(long, env = "TASKHOST_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Secret for the host's presigned URLs (default: a random key kept in `<data-dir>/presign.key`).
    #[arg(
        long,
        env = "TASKHOST_PRESIGN_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub presign_secret: Option<String>,
    /// The bucket large results are offloaded to.
    #[arg(long, env = "TASKHOST_RESULTS_BUCKET", value_name = "BUCKET")]
    pub results_bucket: Option<String>,
    /// Only claim these task names (default: every routed name; comma-separated in the environment).
    #[arg(
        long,
        env = "TASKHOST_NAMES",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub names: Vec<String>,
    /// `<task-name>=<n>`: at most n tasks of that name at once on this host (repeatable).
    #[arg(
        long = "cap",
        env = "TASKHOST_CAPS",
        value_name = "NAME=N",
        value_delimiter = ','
    )]
    pub caps: Vec<TaskCap>,
    /// Seconds running tasks get to finish after SIGTERM/SIGINT before their leases are released.
    #[arg(long, env = "TASKHOST_GRACE_SECS", value_name = "SECS")]
    pub grace_secs: Option<u64>,
    /// Tasks of quick task names (runs under 2 ms) claimed beyond the free slots, waiting for
    /// one (default 64 per slot; 0 claims only for free slots).
    #[arg(long, env = "TASKHOST_PREFETCH", value_name = "N")]
    pub prefetch: Option<u32>,
    /// This host's worker id in the queue (default `<hostname>-<pid>`).
    #[arg(long, env = "TASKHOST_WORKER_ID", value_name = "ID")]
    pub worker_id: Option<String>,
    /// SQS only: the dead-letter queue (URL or name) for invalid tasks and exhausted attempts,
    /// instead of the one in the queue's redrive policy.
    #[arg(long, env = "TASKHOST_SQS_DEAD_LETTER", value_name = "QUEUE")]
    pub sqs_dead_letter: Option<String>,
}

/// The TOML file: the same settings, snake_case keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSettings {
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) queue: Option<String>,
    pub(crate) storage: Option<String>,
    pub(crate) plugins: Option<Vec<PathBuf>>,
    pub(crate) registry: Option<String>,
    pub(crate) publish: Option<String>,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) public_url: Option<Url>,
    pub(crate) concurrency: Option<u32>,
    pub(crate) lease_secs: Option<u64>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) grants: Option<Vec<String>>,
    pub(crate) buckets: Option<Vec<String>>,
    pub(crate) api_token: Option<String>,
    pub(crate) admin_token: Option<String>,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) presign_secret: Option<String>,
    pub(crate) results_bucket: Option<String>,
    pub(crate) names: Option<Vec<String>>,
    pub(crate) caps: Option<Vec<String>>,
    pub(crate) grace_secs: Option<u64>,
    pub(crate) prefetch: Option<u32>,
    pub(crate) worker_id: Option<String>,
    pub(crate) sqs_dead_letter: Option<String>,
}
