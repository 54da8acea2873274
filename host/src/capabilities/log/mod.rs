//! The `log` import: structured log lines from the plugin.
//!
//! **Security boundary.** Lines go to the host's log under target `plugin`, tagged with the
//! task id and plugin name, which the plugin cannot forge. At most 10,000 lines per task and
//! 8 KiB per message are logged; the rest is dropped with one warning. A line carrying the
//! field `panic=true` (what the SDK's panic hook sends) is remembered, so the host can report
//! the panic's message when the instance then traps.

mod host;

use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

use crate::runtime::bindings::taskhost::plugin::log as wit;

/// Most log lines one task may write.
pub(crate) const MAX_LINES: u32 = 10_000;
/// Longest message logged, in bytes.
pub(crate) const MAX_MESSAGE_BYTES: usize = 8 << 10;

/// One task's log tagging and limits.
#[derive(Debug)]
pub(crate) struct LogCtx {
    task_id: Arc<str>,
    plugin: Arc<str>,
    lines_left: u32,
    panic: Option<String>,
}

impl LogCtx {
    pub(crate) fn new(task_id: Arc<str>, plugin: Arc<str>) -> Self {
        Self {
            task_id,
            plugin,
            lines_left: MAX_LINES,
            panic: None,
        }
    }

    /// The message of the panic the plugin reported, if it panicked.
    pub(crate) fn panic_message(&self) -> Option<&str> {
        self.panic.as_deref()
    }
}

struct LogData;

impl HasData for LogData {
    type Data<'a> = &'a mut LogCtx;
}

/// Registers the `log` interface.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut LogCtx,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, LogData>(linker, get)
}
