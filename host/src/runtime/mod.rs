//! The sandboxed runtime: one wasmtime engine, components compiled once (and cached on disk by
//! digest), and a fresh instance per task with a memory cap, a wall-clock deadline and an
//! output cap. A trap, panic, timeout or memory overrun fails that task only.
//!
//! wasmtime types stay inside this module and [`crate::capabilities`]; the rest of the host
//! talks in [`LoadedPlugin`], [`TaskRequest`], [`TaskReport`] and [`TaskFailure`].

pub(crate) mod bindings;
mod cache;
mod engine;
mod failure;
pub mod limits;
mod plugin;
mod state;
mod stdio;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::component::Linker;
use wasmtime::{Engine, Store, UpdateDeadline};

use crate::capabilities;
use crate::capabilities::progress::ProgressCtx;
use crate::capabilities::storage::{Grant, StorageCtx};
use crate::storage::{HostSignedStorage, StorageBackend};
use bindings::types as wit;

pub use cache::CacheOutcome;
pub use failure::{Disposition, TaskFailure};
pub use limits::{LimitPolicy, Limits, MemoryLimitExceeded, RequestedLimits};
pub use plugin::{LoadedPlugin, PluginInfo};
pub(crate) use state::TaskState;

/// How long `describe` may take.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long past its deadline a task may stay stuck in a host call before it is abandoned.
const HOST_CALL_GRACE: Duration = Duration::from_millis(500);

/// One output of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

/// Receives what a running task reports. Called from the task's own execution; keep it quick.
pub trait TaskObserver: Send + Sync {
    /// The plugin reported progress (also a sign of life: heartbeat the lease here).
    fn progress(&self, fraction: f32, message: &str);
    /// The plugin published an intermediate result.
    fn intermediate(&self, output: &Output);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoreProgress;

impl TaskObserver for IgnoreProgress {
    fn progress(&self, _fraction: f32, _message: &str) {}
    fn intermediate(&self, _output: &Output) {}
}

/// How the runtime is set up.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Where compiled components are cached; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// How many tasks may run at once (more wait for a slot).
    pub slots: u32,
    /// Per-task limits: defaults and ceilings.
    pub limits: LimitPolicy,
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read plugin {source_name}: {error}")]
    Io {
        /// The path.
        source_name: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The bytes are a core module or not WebAssembly at all.
    #[error("plugin {0} is not a WebAssembly component (build it with `--target wasm32-wasip2`)")]
    NotAComponent(String),
    /// Compilation failed.
    #[error("plugin {source_name} does not compile: {error}")]
    Compile {
        /// The plugin.
        source_name: String,
        /// The compiler's message.
        error: String,
    },
    /// The component imports something the host does not provide.
    #[error("plugin {source_name} cannot be linked: {error}")]
    Link {
        /// The plugin.
        source_name: String,
        /// Which import is missing or mistyped.
        error: String,
    },
    /// `describe` failed or returned something invalid.
    #[error("plugin {source_name}: describe failed: {error}")]
    Describe {
        /// The plugin.
        source_name: String,
        /// Why.
        error: String,
    },
}

/// One task to run.
pub struct TaskRequest {
    /// The task id.
    pub id: String,
    /// The task name.
    pub name: String,
    /// The experiment scope, if any.
    pub experiment_id: Option<String>,
    /// The body as JSON text.
    pub body: String,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// The task's own deadline (its `timeout`), if any; the plugin's limit applies too.
    pub deadline: Option<Instant>,
    /// The storage the task's scopes resolve in.
    pub storage: Arc<dyn StorageBackend>,
    /// Bucket grants (every plugin's; only the running plugin's apply).
    pub grants: Arc<[Grant]>,
    /// Where progress and intermediate results go.
    pub observer: Arc<dyn TaskObserver>,
}

/// What running a task produced.
#[derive(Debug)]
pub struct TaskReport {
    /// The outputs, or why there are none.
    pub result: Result<Vec<Output>, TaskFailure>,
    /// Wall time from instantiation to the end of `run`.
    pub wall_time: Duration,
    /// The largest linear memory the task reached, in bytes.
    pub peak_memory: u64,
    /// The limits it ran under.
    pub limits: Limits,
}

/// The error the epoch callback raises when a task passes its deadline.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("deadline exceeded")]
pub(crate) struct DeadlineExceeded;

/// The engine, the linker with every import, the compile cache and the task slots.
pub struct Runtime {
    engine: Engine,
    linker: Linker<TaskState>,
    cache: cache::CompileCache,
    limits: LimitPolicy,
    slots: Semaphore,
    describe_storage: Arc<dyn StorageBackend>,
    _ticker: engine::EpochTicker,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch ticker.
    pub fn new(settings: RuntimeSettings) -> anyhow::Result<Self> {
        let slots = settings.slots.max(1);
        // Room for the task slots plus describe calls of plugins being loaded.
        let engine = engine::build_engine(slots + 4, settings.limits.ceiling.memory_bytes)
            .map_err(|e| anyhow::anyhow!("cannot configure the wasm engine: {e}"))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| anyhow::anyhow!("cannot link WASI: {e}"))?;
        capabilities::add_to_linker(&mut linker)
            .map_err(|e| anyhow::anyhow!("cannot link the taskhost imports: {e}"))?;
        let cache = cache::CompileCache::new(settings.cache_dir, &engine);
        let ticker = engine::EpochTicker::start(&engine)?;
        let unused = url::Url::parse("http://127.0.0.1/")?;
        Ok(Self {
            engine,
            linker,
            cache,
            limits: settings.limits,
            slots: Semaphore::new(slots as usize),
            describe_storage: Arc::new(HostSignedStorage::memory(unused, Vec::new())),
            _ticker: ticker,
        })
    }

    /// The limits a plugin's tasks run under.
    pub fn limits_for(&self, plugin: &LoadedPlugin) -> Limits {
        self.limits.grant(&plugin.info.limits)
    }

    /// Loads a component file.
    pub async fn load_file(
        &self,
        path: &Path,
    ) -> Result<(Arc<LoadedPlugin>, CacheOutcome), LoadError> {
        let source_name = path.display().to_string();
        let bytes = tokio::fs::read(path).await.map_err(|error| LoadError::Io {
            source_name: source_name.clone(),
            error,
        })?;
        self.load(&source_name, &bytes).await
    }

    /// Loads a component from its bytes: compiles it (or maps it from the cache), links it,
    /// and runs `describe` in the sandbox (or takes its cached result).
    pub async fn load(
        &self,
        source_name: &str,
        bytes: &[u8],
    ) -> Result<(Arc<LoadedPlugin>, CacheOutcome), LoadError> {
        if !wasmtime::wasmparser::Parser::is_component(bytes) {
            return Err(LoadError::NotAComponent(source_name.to_owned()));
        }
        let digest = cache::CompileCache::digest(bytes);
        let (component, outcome) = {
            let engine = self.engine.clone();
            let cache = self.cache.clone();
            let (digest, bytes) = (digest.clone(), bytes.to_vec());
            // Compiling takes CPU for a while: keep it off the async workers.
            tokio::task::spawn_blocking(move || cache.load(&engine, &digest, &bytes))
                .await
                .map_err(|e| LoadError::Compile {
                    source_name: source_name.to_owned(),
                    error: e.to_string(),
                })?
                .map_err(|e| LoadError::Compile {
                    source_name: source_name.to_owned(),
                    error: format!("{e:#}"),
                })?
        };
        let link_error = |e: wasmtime::Error| LoadError::Link {
            source_name: source_name.to_owned(),
            error: format!("{e:#}"),
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(link_error)?;
        let pre = bindings::TaskPluginPre::new(instance_pre).map_err(link_error)?;
        let describe_error = |error: String| LoadError::Describe {
            source_name: source_name.to_owned(),
            error,
        };
        let info = match self
            .cache
            .describe(&digest)
            .and_then(|j| serde_json::from_str(&j).ok())
        {
            Some(info) => info,
            None => {
                let info = self.describe(&pre, &digest).await.map_err(describe_error)?;
                if let Ok(json) = serde_json::to_string(&info) {
                    self.cache.store_describe(&digest, &json);
                }
                info
            }
        };
        plugin::validate_info(&info).map_err(describe_error)?;
        let plugin = LoadedPlugin {
            name: Arc::from(info.name.as_str()),
            info,
            digest,
            source: source_name.to_owned(),
            component,
            pre,
        };
        Ok((Arc::new(plugin), outcome))
    }

    async fn describe(
        &self,
        pre: &bindings::TaskPluginPre<TaskState>,
        digest: &str,
    ) -> Result<PluginInfo, String> {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        let limits = self.limits.default;
        let deadline = Instant::now() + DESCRIBE_TIMEOUT;
        let storage = StorageCtx::new(
            Arc::clone(&self.describe_storage),
            Arc::from("(describe)"),
            None,
            Arc::from(Vec::new()),
            0,
        );
        let progress = ProgressCtx::new(Arc::new(IgnoreProgress), 0);
        let task_id: Arc<str> = Arc::from(format!("describe-{}", &digest[..12]));
        let mut store = self.new_store(
            task_id,
            Arc::from("(describe)"),
            limits.memory_bytes,
            deadline,
            storage,
            progress,
        );
        let call = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_describe(&mut store).await
        };
        let info = tokio::time::timeout(DESCRIBE_TIMEOUT + HOST_CALL_GRACE, call)
            .await
            .map_err(|_| "describe did not return in time".to_owned())?
            .map_err(|e| match classify_trap(&e, &store, DESCRIBE_TIMEOUT) {
                TaskFailure::Crashed(m) => m,
                other => other.to_string(),
            })?;
        Ok(PluginInfo {
            name: info.name,
            version: info.version,
            tasks: info.tasks,
            limits: RequestedLimits {
                memory_bytes: info.limits.memory_bytes,
                timeout_ms: info.limits.timeout_ms,
                output_bytes: info.limits.output_bytes,
            },
        })
    }

    /// Runs one task in a fresh instance of `plugin`.
    pub async fn run(&self, plugin: &LoadedPlugin, request: TaskRequest) -> TaskReport {
        let limits = self.limits_for(plugin);
        let Ok(_slot) = self.slots.acquire().await else {
            return report_without_run(
                limits,
                TaskFailure::Crashed("the runtime is shutting down".into()),
            );
        };
        let started = Instant::now();
        let limit_deadline = started + limits.timeout;
        let deadline = request
            .deadline
            .map_or(limit_deadline, |d| d.min(limit_deadline));
        let time_limit = deadline.saturating_duration_since(started);
        let task_id: Arc<str> = Arc::from(request.id.as_str());
        let storage = StorageCtx::new(
            request.storage,
            Arc::clone(&plugin.name),
            request.experiment_id.clone(),
            request.grants,
            limits.memory_bytes,
        );
        let progress = ProgressCtx::new(request.observer, limits.output_bytes);
        let mut store = self.new_store(
            task_id,
            Arc::clone(&plugin.name),
            limits.memory_bytes,
            deadline,
            storage,
            progress,
        );
        let task = wit::Task {
            id: request.id,
            name: request.name,
            experiment_id: request.experiment_id,
            body: request.body,
            attempt: request.attempt,
            time_left_ms: u64::try_from(time_limit.as_millis()).unwrap_or(u64::MAX),
        };
        let call = async {
            let instance = plugin.pre.instantiate_async(&mut store).await?;
            let ran = instance.call_run(&mut store, &task).await;
            // Background writes finish inside the task's time, whatever `run` returned: a retry
            // must not race a write of this attempt.
            let unflushed = store.data_mut().storage.finish_writes().await;
            ran.map(|result| match (result, unflushed) {
                (Ok(_), Some(error)) => Err(wit::Failure::Internal(format!(
                    "a background write (put-background) failed and was not flushed: {error}"
                ))),
                (result, _) => result,
            })
        };
        let hard_deadline = tokio::time::Instant::from_std(deadline + HOST_CALL_GRACE);
        let outcome = tokio::time::timeout_at(hard_deadline, call).await;
        let result = match outcome {
            Err(_) => Err(TaskFailure::Timeout { limit: time_limit }),
            Ok(Err(error)) => Err(classify_trap(&error, &store, time_limit)),
            Ok(Ok(Err(failure))) => Err(from_wit_failure(failure)),
            Ok(Ok(Ok(outputs))) => {
                let total: u64 = outputs.iter().map(|o| o.body.len() as u64).sum();
                if store.data_mut().progress.charge_output(total) {
                    Ok(outputs
                        .into_iter()
                        .map(|o| Output {
                            content_type: o.content_type,
                            body: o.body,
                        })
                        .collect())
                } else {
                    Err(TaskFailure::OutputLimit {
                        limit: limits.output_bytes,
                    })
                }
            }
        };
        store.data().flush_stdio();
        TaskReport {
            result,
            wall_time: started.elapsed(),
            peak_memory: store.data().limiter.peak(),
            limits,
        }
    }

    fn new_store(
        &self,
        task_id: Arc<str>,
        plugin: Arc<str>,
        memory_limit: u64,
        deadline: Instant,
        storage: StorageCtx,
        progress: ProgressCtx,
    ) -> Store<TaskState> {
        let state = TaskState::new(task_id, plugin, memory_limit, deadline, storage, progress);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        // What one host call may copy out of the guest. Wasmtime's default (128 MiB) would trap
        // a plugin handing over a large matrix or object; the guest cannot hold more than its
        // memory limit, and each capability bounds what it keeps (the background writes and
        // the linalg jobs count their bytes against the same limit).
        store.set_hostcall_fuel(usize::try_from(memory_limit).unwrap_or(usize::MAX));
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(DeadlineExceeded))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

fn report_without_run(limits: Limits, failure: TaskFailure) -> TaskReport {
    TaskReport {
        result: Err(failure),
        wall_time: Duration::ZERO,
        peak_memory: 0,
        limits,
    }
}

/// Turns a trap (or instantiation error) into the failure it stands for.
fn classify_trap(
    error: &wasmtime::Error,
    store: &Store<TaskState>,
    time_limit: Duration,
) -> TaskFailure {
    if error.downcast_ref::<DeadlineExceeded>().is_some() {
        return TaskFailure::Timeout { limit: time_limit };
    }
    if let Some(exceeded) = error.downcast_ref::<MemoryLimitExceeded>() {
        return TaskFailure::MemoryLimit {
            limit: exceeded.limit,
        };
    }
    if let Some(message) = store.data().log.panic_message() {
        return TaskFailure::Panicked(message.to_owned());
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => TaskFailure::Crashed(format!("trap: {trap}")),
        // The whole chain: the outermost context of a host-call error is only the backtrace.
        None => TaskFailure::Crashed(format!("{error:#}")),
    }
}

fn from_wit_failure(failure: wit::Failure) -> TaskFailure {
    match failure {
        wit::Failure::InvalidInput(m) => TaskFailure::InvalidInput(m),
        wit::Failure::NotFound(m) => TaskFailure::NotFound(m),
        wit::Failure::RetryLater(r) => TaskFailure::RetryLater {
            delay: Duration::from_millis(r.delay_ms),
            message: r.message,
        },
        wit::Failure::Internal(m) => TaskFailure::Internal(m),
    }
}
