//! The generated `log::Host` trait, implemented on [`LogCtx`].

use crate::capabilities::log::{LogCtx, MAX_MESSAGE_BYTES};
use crate::capabilities::progress::host::truncate;
use crate::runtime::bindings::taskhost::plugin::log::{Host, Level};

impl Host for LogCtx {
    async fn write(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        let message = truncate(&message, MAX_MESSAGE_BYTES);
        if fields.iter().any(|(k, v)| k == "panic" && v == "true") && self.panic.is_none() {
            let location = fields
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| format!(" at {v}"))
                .unwrap_or_default();
            self.panic = Some(format!("{message}{location}"));
        }
        if self.lines_left == 0 {
            return;
        }
        self.lines_left -= 1;
        let (task_id, plugin) = (&*self.task_id, &*self.plugin);
        if self.lines_left == 0 {
            tracing::warn!(target: "plugin", task_id, plugin, "log line limit reached; further lines are dropped");
            return;
        }
        let fields = fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match level {
            Level::Trace => tracing::trace!(target: "plugin", task_id, plugin, fields, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", task_id, plugin, fields, "{message}"),
            Level::Info => tracing::info!(target: "plugin", task_id, plugin, fields, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", task_id, plugin, fields, "{message}"),
            Level::Error => tracing::error!(target: "plugin", task_id, plugin, fields, "{message}"),
        }
    }
}
