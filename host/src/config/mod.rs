//! Settings. Every setting has a flag, a `TASKHOST_*` environment variable and a key in the
//! optional TOML file (`--config`), in that order of precedence, then a built-in default.
//! Unknown keys in the file are an error naming the key: a typo must not silently keep a
//! default.
//!
//! All state of a default setup lives in one folder, `--data-dir` (`./taskhost-data`): the
//! SQLite queue, local storage, plugins, the compile cache and the presigning key.

mod sources;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use url::Url;

use crate::capabilities::storage::Grant;
use crate::storage::BucketMount;

use sources::FileSettings;
pub use sources::SettingsArgs;

/// The default data folder.
pub const DEFAULT_DATA_DIR: &str = "./taskhost-data";

/// The resolved settings.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The data folder.
    pub data_dir: PathBuf,
    /// Task source.
    pub queue: String,
    /// Storage location.
    pub storage: String,
    /// Plugin paths.
    pub plugins: Vec<PathBuf>,
    /// Registry to follow.
    pub registry: Option<String>,
    /// Result target.
    pub publish: String,
    /// API address.
    pub listen: SocketAddr,
    /// Public URL of the API.
    pub public_url: Url,
    /// Worker slots.
    pub concurrency: u32,
    /// Lease seconds.
    pub lease_secs: u64,
    /// Attempts before dead-letter.
    pub max_attempts: u32,
    /// Bucket grants, as `<plugin>=<access>:<bucket>`.
    #[serde(serialize_with = "display_all")]
    pub grants: Vec<Grant>,
    /// Buckets at locations of their own, as `<bucket>=<location>`.
    #[serde(serialize_with = "display_all")]
    pub buckets: Vec<BucketMount>,
    /// Producer token.
    #[serde(serialize_with = "redact")]
    pub api_token: Option<String>,
    /// Admin token.
    #[serde(serialize_with = "redact")]
    pub admin_token: Option<String>,
    /// Compile cache folder.
    pub cache_dir: PathBuf,
    /// Presigning secret (from settings; else the key file is used).
    #[serde(serialize_with = "redact")]
    pub presign_secret: Option<String>,
    /// Bucket for offloaded results.
    pub results_bucket: String,
    /// Task names to claim (empty: every routed name).
    pub names: Vec<String>,
    /// Per task name concurrency caps on this host.
    #[serde(serialize_with = "display_all")]
    pub caps: Vec<TaskCap>,
    /// Seconds of grace at shutdown.
    pub grace_secs: u64,
    /// Quick tasks claimed ahead of free slots (`None`: 64 per slot).
    pub prefetch: Option<u32>,
    /// The worker id.
    pub worker_id: String,
    /// SQS: the dead-letter queue, overriding the redrive policy's.
    pub sqs_dead_letter: Option<String>,
}

/// `<task-name>=<n>`: at most `n` tasks of that name at once on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCap {
    /// The task name.
    pub name: String,
    /// The most at once (at least 1).
    pub limit: u32,
}

impl FromStr for TaskCap {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, limit) = text
            .split_once('=')
            .ok_or_else(|| format!("cap {text:?}: expected <task-name>=<n>"))?;
        let limit: u32 = limit
            .trim()
            .parse()
            .map_err(|_| format!("cap {text:?}: {limit:?} is not a whole number"))?;
        if name.trim().is_empty() || limit == 0 {
            return Err(format!(
                "cap {text:?}: needs a task name and a limit of at least 1"
            ));
        }
        Ok(Self {
            name: name.trim().to_owned(),
            limit,
        })
    }
}

impl fmt::Display for TaskCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.limit)
    }
}

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read settings file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not valid (unknown key, wrong type).
    #[error("settings file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parser's message, naming the key.
        message: String,
    },
    /// A value is out of range.
    #[error("setting {key}: {message}")]
    Value {
        /// The setting.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Settings {
    /// Resolves flags/environment over the file over defaults.
    pub fn resolve(args: &SettingsArgs) -> Result<Self, SettingsError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let data_dir =
            pick(args.data_dir.clone(), file.data_dir).unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let listen = pick(args.listen, file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let public_url = match pick(args.public_url.clone(), file.public_url) {
            Some(url) => url,
            None => Url::parse(&format!("http://{listen}/")).map_err(|e| SettingsError::Value {
                key: "public_url",
                message: e.to_string(),
            })?,
        };
        let grants = list_setting(&args.grants, file.grants, "grants")?;
        let buckets = list_setting(&args.buckets, file.buckets, "buckets")?;
        let concurrency =
            pick(args.concurrency, file.concurrency).unwrap_or_else(default_concurrency);
        if concurrency == 0 {
            return Err(SettingsError::Value {
                key: "concurrency",
                message: "must be at least 1".into(),
            });
        }
        let max_attempts = pick(args.max_attempts, file.max_attempts).unwrap_or(3);
        if max_attempts == 0 {
            return Err(SettingsError::Value {
                key: "max_attempts",
                message: "must be at least 1".into(),
            });
        }
        let lease_secs = pick(args.lease_secs, file.lease_secs).unwrap_or(30);
        if lease_secs == 0 {
            return Err(SettingsError::Value {
                key: "lease_secs",
                message: "must be at least 1".into(),
            });
        }
        let caps = list_setting(&args.caps, file.caps, "caps")?;
        let names = if !args.names.is_empty() {
            args.names.clone()
        } else {
            file.names.unwrap_or_default()
        };
        let plugins = if !args.plugins.is_empty() {
            args.plugins.clone()
        } else {
            file.plugins
                .unwrap_or_else(|| vec![data_dir.join("plugins")])
        };
        Ok(Self {
            queue: pick(args.queue.clone(), file.queue)
                .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("queue.db").display())),
            storage: pick(args.storage.clone(), file.storage)
                .unwrap_or_else(|| data_dir.join("storage").display().to_string()),
            plugins,
            registry: pick(args.registry.clone(), file.registry),
            publish: pick(args.publish.clone(), file.publish).unwrap_or_else(|| "store".into()),
            listen,
            public_url,
            concurrency,
            lease_secs,
            max_attempts,
            grants,
            buckets,
            api_token: pick(args.api_token.clone(), file.api_token),
            admin_token: pick(args.admin_token.clone(), file.admin_token),
            cache_dir: pick(args.cache_dir.clone(), file.cache_dir)
                .unwrap_or_else(|| data_dir.join("cache")),
            presign_secret: pick(args.presign_secret.clone(), file.presign_secret),
            results_bucket: pick(args.results_bucket.clone(), file.results_bucket)
                .unwrap_or_else(|| "results".into()),
            names,
            caps,
            grace_secs: pick(args.grace_secs, file.grace_secs).unwrap_or(30),
            prefetch: pick(args.prefetch, file.prefetch),
            worker_id: pick(args.worker_id.clone(), file.worker_id)
                .unwrap_or_else(default_worker_id),
            sqs_dead_letter: pick(args.sqs_dead_letter.clone(), file.sqs_dead_letter),
            data_dir,
        })
    }

    /// The presigning key: the configured secret, else the key file in the data folder
    /// (created with a random key on first use, readable by the owner only).
    pub fn presign_key(&self) -> std::io::Result<Vec<u8>> {
        if let Some(secret) = &self.presign_secret {
            return Ok(secret.as_bytes().to_vec());
        }
        let path = self.data_dir.join("presign.key");
        match std::fs::read(&path) {
            Ok(key) if !key.is_empty() => Ok(key),
            _ => create_key_file(&path),
        }
    }

    /// The settings as TOML, secrets redacted (`taskhost config show`).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

fn create_key_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(std::io::Error::other)?;
    let key = hex::encode(key).into_bytes();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&key)?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path),
        Err(e) => Err(e),
    }
}

fn read_file(path: &Path) -> Result<FileSettings, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|error| SettingsError::Read {
        path: path.to_owned(),
        error,
    })?;
    toml::from_str(&text).map_err(|e| SettingsError::Invalid {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

fn pick<T>(arg: Option<T>, file: Option<T>) -> Option<T> {
    arg.or(file)
}

/// A repeatable setting: the flags' (or environment's) values, else the file's, parsed.
fn list_setting<T: Clone + FromStr<Err = String>>(
    args: &[T],
    file: Option<Vec<String>>,
    key: &'static str,
) -> Result<Vec<T>, SettingsError> {
    if !args.is_empty() {
        return Ok(args.to_vec());
    }
    file.unwrap_or_default()
        .iter()
        .map(|text| text.parse::<T>())
        .collect::<Result<_, _>>()
        .map_err(|message| SettingsError::Value { key, message })
}

fn default_concurrency() -> u32 {
    std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(1))
        .unwrap_or(1)
}

/// `<hostname>-<pid>`: stable for the life of the process, distinct between hosts.
fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "taskhost".to_owned());
    format!("{host}-{}", std::process::id())
}

fn redact<S: serde::Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

fn display_all<S: serde::Serializer, T: fmt::Display>(
    items: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests;
