//! Wiring shared by the commands: settings -> storage backend, runtime, loaded plugins,
//! router -> a [`Dispatcher`].

use std::sync::Arc;

use crate::config::Settings;
use crate::dispatch::Dispatcher;
use crate::result_message::OffloadSettings;
use crate::router::{Router, plugin_files};
use crate::runtime::{LimitPolicy, LoadedPlugin, Runtime, RuntimeSettings};
use crate::storage::{HmacSigner, MountedStorage, StorageBackend, StorageLocation};

/// How long presigned URLs of offloaded results stay valid.
pub const RESULT_URL_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Why the host could not be put together. Each reads as one line for a person.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// Storage could not be opened.
    #[error("storage {location}: {message}")]
    Storage {
        /// The `--storage` value.
        location: String,
        /// Why.
        message: String,
    },
    /// The runtime could not start.
    #[error("cannot start the wasm runtime: {0}")]
    Runtime(String),
    /// Plugins could not be found or loaded.
    #[error("{0}")]
    Plugins(String),
}

/// Opens the storage the settings name: the `--storage` root and the `--bucket` mounts.
pub async fn open_storage(settings: &Settings) -> Result<Arc<dyn StorageBackend>, AssembleError> {
    let fail = |message: String| AssembleError::Storage {
        location: settings.storage.clone(),
        message,
    };
    let root = StorageLocation::parse(&settings.storage).map_err(fail)?;
    let key = settings
        .presign_key()
        .map_err(|e| fail(format!("cannot read or create the presigning key: {e}")))?;
    let signer = HmacSigner::new(key, settings.public_url.clone());
    let storage = MountedStorage::open(&root, &settings.buckets, &signer)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(Arc::new(storage))
}

/// Starts a runtime with `slots` task slots and the settings' compile cache.
pub fn start_runtime(settings: &Settings, slots: u32) -> Result<Arc<Runtime>, AssembleError> {
    let runtime = Runtime::new(RuntimeSettings {
        cache_dir: Some(settings.cache_dir.clone()),
        slots,
        limits: LimitPolicy::default(),
    })
    .map_err(|e| AssembleError::Runtime(format!("{e:#}")))?;
    Ok(Arc::new(runtime))
}

/// Loads every plugin named by the settings.
pub async fn load_plugins(
    runtime: &Runtime,
    settings: &Settings,
) -> Result<Vec<Arc<LoadedPlugin>>, AssembleError> {
    let files =
        plugin_files(&settings.plugins).map_err(|e| AssembleError::Plugins(e.to_string()))?;
    if files.is_empty() {
        let paths: Vec<String> = settings
            .plugins
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return Err(AssembleError::Plugins(format!(
            "no plugins (.wasm components) found in {}; build them with `cargo xtask build-plugins` or pass --plugins",
            paths.join(", ")
        )));
    }
    let mut plugins = Vec::with_capacity(files.len());
    for file in files {
        let (plugin, outcome) = runtime
            .load_file(&file)
            .await
            .map_err(|e| AssembleError::Plugins(e.to_string()))?;
        tracing::debug!(plugin = %plugin.info.name, version = %plugin.info.version,
            source = %plugin.source, cache = ?outcome, "plugin loaded");
        plugins.push(plugin);
    }
    Ok(plugins)
}

/// Everything needed to run tasks: storage, runtime, plugins and routes.
pub async fn dispatcher(settings: &Settings, slots: u32) -> Result<Dispatcher, AssembleError> {
    let storage = open_storage(settings).await?;
    let runtime = start_runtime(settings, slots)?;
    let plugins = load_plugins(&runtime, settings).await?;
    let router = Router::new(plugins).map_err(|e| AssembleError::Plugins(e.to_string()))?;
    Ok(Dispatcher::new(
        runtime,
        Arc::new(router),
        storage,
        Arc::from(settings.grants.clone()),
        OffloadSettings {
            bucket: settings.results_bucket.clone(),
            url_ttl: RESULT_URL_TTL,
        },
    ))
}
