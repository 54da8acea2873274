//! The store's data for one task: WASI (no preopens, no sockets, no environment), the resource
//! table, the memory limiter and each capability's context.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::linalg::LinalgCtx;
use crate::capabilities::log::LogCtx;
use crate::capabilities::progress::ProgressCtx;
use crate::capabilities::storage::StorageCtx;
use crate::runtime::limits::MemoryLimiter;
use crate::runtime::stdio::LogStream;

/// Everything one task's store holds.
pub struct TaskState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) storage: StorageCtx,
    pub(crate) progress: ProgressCtx,
    pub(crate) log: LogCtx,
    pub(crate) linalg: LinalgCtx,
    stdout: LogStream,
    stderr: LogStream,
}

impl TaskState {
    pub(crate) fn new(
        task_id: Arc<str>,
        plugin: Arc<str>,
        memory_limit: u64,
        deadline: Instant,
        storage: StorageCtx,
        progress: ProgressCtx,
    ) -> Self {
        let stdout = LogStream::new(Arc::clone(&task_id), Arc::clone(&plugin), "stdout");
        let stderr = LogStream::new(Arc::clone(&task_id), Arc::clone(&plugin), "stderr");
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_limit),
            storage,
            progress,
            log: LogCtx::new(task_id, plugin),
            linalg: LinalgCtx::new(memory_limit, deadline),
            stdout,
            stderr,
        }
    }

    /// Logs any last partial line of stdout and stderr.
    pub(crate) fn flush_stdio(&self) {
        self.stdout.flush();
        self.stderr.flush();
    }
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
