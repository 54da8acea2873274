//! The `storage` import.
//!
//! **Security boundary.** A plugin reaches exactly two kinds of place:
//! - `scope::experiment`: `experiments/<experimentId>/` of the task it is running, read-write.
//!   A task without `experimentId` has no experiment scope.
//! - `scope::bucket(name)`: a whole bucket, only when the operator granted it to this plugin
//!   (`--grant <plugin>=<read|write>:<bucket>`); read-only grants refuse writes.
//!
//! Every key is validated before it reaches a backend ([`crate::storage::ObjectKey`]): no
//! absolute keys, no `.`/`..`/empty segments, no backslashes or control characters, no
//! percent-encoded (even doubly encoded) form of any of these. A whole-object read is capped at
//! the task's memory limit (`too-large`: read in ranges), a listing at 10,000 entries. Backend
//! failure details go to the host log, not to the plugin (they can name host paths).

mod background;
mod config;
mod host;
mod reader;

use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

use crate::runtime::bindings::taskhost::plugin::storage as wit;
use crate::storage::{Bucket, EXPERIMENTS_BUCKET, StorageBackend, StorageBackendExt, StorageError};

pub use config::{Access, Grant};
pub use reader::ObjectReader;

use reader::OpenReaders;

use background::BackgroundWrites;

/// Most entries one `list` call returns.
pub(crate) const MAX_LIST_ENTRIES: usize = 10_000;

/// Most `object-reader`s one task may hold open.
pub(crate) const MAX_OPEN_READERS: usize = 16;

/// What one task may reach in storage, and its open readers and background writes.
#[derive(Debug)]
pub(crate) struct StorageCtx {
    backend: Arc<dyn StorageBackend>,
    plugin: Arc<str>,
    experiment_id: Option<String>,
    grants: Arc<[Grant]>,
    max_read_bytes: u64,
    readers: OpenReaders,
    writes: BackgroundWrites,
}

impl StorageCtx {
    /// The scope of a task of `plugin` on `experiment_id`, with the operator's `grants` (all
    /// plugins' grants; only this plugin's apply).
    pub(crate) fn new(
        backend: Arc<dyn StorageBackend>,
        plugin: Arc<str>,
        experiment_id: Option<String>,
        grants: Arc<[Grant]>,
        max_read_bytes: u64,
    ) -> Self {
        Self {
            backend,
            plugin,
            experiment_id,
            grants,
            max_read_bytes,
            readers: OpenReaders::default(),
            writes: BackgroundWrites::new(max_read_bytes),
        }
    }

    /// Waits for the task's background writes; the first failure nobody flushed (the runtime
    /// fails a task that leaves one).
    pub(crate) async fn finish_writes(&mut self) -> Option<StorageError> {
        self.writes.settle().await;
        self.writes.take_failure()
    }

    /// Resolves a scope to the bucket (or experiment folder) it names, checking the grant.
    fn resolve(&self, scope: &wit::Scope, write: bool) -> Result<Bucket, StorageError> {
        match scope {
            wit::Scope::Experiment => {
                let id = self.experiment_id.as_deref().ok_or_else(|| {
                    StorageError::Denied(
                        "this task has no experimentId, so no experiment scope".into(),
                    )
                })?;
                self.backend.bucket(EXPERIMENTS_BUCKET)?.within(id)
            }
            wit::Scope::Bucket(name) => {
                let access = self
                    .grants
                    .iter()
                    .filter(|g| g.plugin == *self.plugin && g.bucket == *name)
                    .map(|g| g.access)
                    .max()
                    .ok_or_else(|| {
                        StorageError::Denied(format!(
                            "bucket {name:?} is not granted to plugin {}",
                            self.plugin
                        ))
                    })?;
                if write && access == Access::Read {
                    return Err(StorageError::Denied(format!(
                        "bucket {name:?} is granted read-only to plugin {}",
                        self.plugin
                    )));
                }
                self.backend.bucket(name)
            }
        }
    }
}

struct StorageData;

impl HasData for StorageData {
    type Data<'a> = &'a mut StorageCtx;
}

/// Registers the `storage` interface; `get` finds a task's context in the store.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut StorageCtx,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, StorageData>(linker, get)
}
