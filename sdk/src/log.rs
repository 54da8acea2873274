//! Structured log lines, tagged by the host with the task id and the plugin name.
//!
//! ```no_run
//! taskhost_sdk::log::info("matrix read");
//! taskhost_sdk::log::write(taskhost_sdk::log::Level::Debug, "cells", &[("count", "2700")]);
//! ```

use crate::bindings::taskhost::plugin::log as wit;

pub use wit::Level;

/// Writes one log line with key-value fields.
pub fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wit::write(level, message, &fields);
}

/// Writes a debug line.
pub fn debug(message: &str) {
    write(Level::Debug, message, &[]);
}

/// Writes an info line.
pub fn info(message: &str) {
    write(Level::Info, message, &[]);
}

/// Writes a warning.
pub fn warn(message: &str) {
    write(Level::Warn, message, &[]);
}

/// Writes an error line.
pub fn error(message: &str) {
    write(Level::Error, message, &[]);
}
