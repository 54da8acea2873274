//! Log setup: to stderr; the filter from `TASKHOST_LOG` (else `RUST_LOG`, else the command's
//! default). `TASKHOST_LOG_FORMAT=json` or `text` picks the format; unset, long-running commands
//! write JSON lines when stderr is not a terminal (a container's log collector) and text when it is.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber.
/// `json_off_terminal`: JSON when stderr is not a terminal and no format is set.
pub(crate) fn init(default_filter: &str, json_off_terminal: bool) {
    let filter = std::env::var("TASKHOST_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let json = match std::env::var("TASKHOST_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok(_) => false,
        Err(_) => json_off_terminal && !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
