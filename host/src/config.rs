//! Settings. Every setting has a flag, a `TASKHOST_*` environment variable and a key in the
//! optional TOML file (`--config`), in that order of precedence, then a built-in default.
//! Unknown keys in the file are an error naming the key: a typo must not silently keep a
//! default.
//!
//! All state of a default setup lives in one folder, `--data-dir` (`./taskhost-data`): the
//! SQLite queue, local storage, plugins, the compile cache and the presigning key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::capabilities::storage::Grant;

/// The default data folder.
pub const DEFAULT_DATA_DIR: &str = "./taskhost-data";

/// Settings as given on the command line or in the environment (clap fills these).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    /// A TOML settings file.
    #[arg(long, env = "TASKHOST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The folder for all local state (queue, storage, plugins, cache).
    #[arg(long, env = "TASKHOST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Task source: `sqlite://…`, `postgres://…`, an SQS URL or `sqs://<name>`, `http(s)://<host>`.
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
}

/// The TOML file: the same settings, snake_case keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    queue: Option<String>,
    storage: Option<String>,
    plugins: Option<Vec<PathBuf>>,
    registry: Option<String>,
    publish: Option<String>,
    listen: Option<SocketAddr>,
    public_url: Option<Url>,
    concurrency: Option<u32>,
    lease_secs: Option<u64>,
    max_attempts: Option<u32>,
    grants: Option<Vec<String>>,
    api_token: Option<String>,
    admin_token: Option<String>,
    cache_dir: Option<PathBuf>,
    presign_secret: Option<String>,
    results_bucket: Option<String>,
}

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
        let grants = if !args.grants.is_empty() {
            args.grants.clone()
        } else {
            file.grants
                .unwrap_or_default()
                .iter()
                .map(|g| g.parse::<Grant>())
                .collect::<Result<_, _>>()
                .map_err(|message| SettingsError::Value {
                    key: "grants",
                    message,
                })?
        };
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
            api_token: pick(args.api_token.clone(), file.api_token),
            admin_token: pick(args.admin_token.clone(), file.admin_token),
            cache_dir: pick(args.cache_dir.clone(), file.cache_dir)
                .unwrap_or_else(|| data_dir.join("cache")),
            presign_secret: pick(args.presign_secret.clone(), file.presign_secret),
            results_bucket: pick(args.results_bucket.clone(), file.results_bucket)
                .unwrap_or_else(|| "results".into()),
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

fn default_concurrency() -> u32 {
    std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(1))
        .unwrap_or(1)
}

fn redact<S: serde::Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

fn display_all<S: serde::Serializer>(grants: &[Grant], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(grants.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = Settings::resolve(&SettingsArgs::default()).unwrap();
        assert_eq!(s.queue, "sqlite://./taskhost-data/queue.db");
        assert_eq!(s.storage, "./taskhost-data/storage");
        assert_eq!(s.plugins, vec![PathBuf::from("./taskhost-data/plugins")]);
        assert_eq!(s.publish, "store");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!((s.lease_secs, s.max_attempts), (30, 3));
        assert!(s.concurrency >= 1);
    }

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let file = write("storage = \"/from/file\"\nmax_attempts = 7\ngrants = [\"p=read:b1\"]\n");
        let args = SettingsArgs {
            config: Some(file.path().to_owned()),
            storage: Some("memory://".into()),
            ..SettingsArgs::default()
        };
        let s = Settings::resolve(&args).unwrap();
        assert_eq!(s.storage, "memory://");
        assert_eq!(s.max_attempts, 7);
        assert_eq!(s.grants[0].to_string(), "p=read:b1");
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error_naming_the_key() {
        let file = write("storag = \"typo\"\n");
        let args = SettingsArgs {
            config: Some(file.path().to_owned()),
            ..SettingsArgs::default()
        };
        let err = Settings::resolve(&args).unwrap_err().to_string();
        assert!(err.contains("storag"), "{err}");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let args = SettingsArgs {
            concurrency: Some(0),
            ..SettingsArgs::default()
        };
        assert!(Settings::resolve(&args).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_show() {
        let args = SettingsArgs {
            api_token: Some("s3cret".into()),
            ..SettingsArgs::default()
        };
        let shown = Settings::resolve(&args).unwrap().to_toml();
        assert!(
            !shown.contains("s3cret") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
