//! Log setup: to stderr; the filter from `TASKHOST_LOG` (else `RUST_LOG`, else the command's
//! default); JSON lines when `TASKHOST_LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber.
pub(crate) fn init(default_filter: &str) {
    let filter = std::env::var("TASKHOST_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let json = std::env::var("TASKHOST_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
