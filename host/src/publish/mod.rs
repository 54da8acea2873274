//! Where result messages go besides the queue's result store (`--publish`).
//!
//! The queue always keeps a task's result message (`GET /v1/tasks/{uuid}/result` reads it).
//! A [`Publisher`] sends it somewhere else as well, *before* the lease is completed: when
//! publishing fails the task is retried, so a message is published at least once and a task is
//! never acknowledged without its result having gone out.
//!
//! - `store`: only the result store (the default).
//! - `file://<dir>`: one file per task, `<dir>/<uuid>.json`, written atomically.
//! - `stdout`: one JSON line per message on standard output.
//!
//! Add a target: implement [`Publisher`] in a new file and give it a scheme in
//! [`PublishTarget::parse`].

mod file;
mod stdout;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::envelope::Envelope;

pub use file::FilePublisher;
pub use stdout::StdoutPublisher;

/// Why a message could not be published.
#[derive(Debug, thiserror::Error)]
#[error("publishing to {target}: {message}")]
pub struct PublishError {
    /// The target.
    pub target: String,
    /// What went wrong.
    pub message: String,
}

/// Sends result messages out.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Publishes the result message (`message`, JSON) of the task in `envelope`.
    async fn publish(&self, envelope: &Envelope, message: &str) -> Result<(), PublishError>;
}

/// The result store only: nothing to send.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOnly;

#[async_trait]
impl Publisher for StoreOnly {
    async fn publish(&self, _envelope: &Envelope, _message: &str) -> Result<(), PublishError> {
        Ok(())
    }
}

/// A parsed `--publish` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishTarget {
    /// `store`.
    Store,
    /// `file://<dir>`.
    Files(PathBuf),
    /// `stdout`.
    Stdout,
}

impl PublishTarget {
    /// Parses a `--publish` value.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "store" => Ok(Self::Store),
            "stdout" => Ok(Self::Stdout),
            _ => match text.strip_prefix("file://") {
                Some(dir) if !dir.is_empty() => Ok(Self::Files(PathBuf::from(dir))),
                _ => Err(format!(
                    "unknown publish target {text:?} (expected store, stdout or file://<dir>)"
                )),
            },
        }
    }

    /// Opens the target.
    pub fn open(&self) -> Result<Arc<dyn Publisher>, PublishError> {
        Ok(match self {
            Self::Store => Arc::new(StoreOnly),
            Self::Stdout => Arc::new(StdoutPublisher),
            Self::Files(dir) => Arc::new(FilePublisher::create(dir.clone())?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_unknown_ones_are_named() {
        assert_eq!(PublishTarget::parse("store"), Ok(PublishTarget::Store));
        assert_eq!(PublishTarget::parse("stdout"), Ok(PublishTarget::Stdout));
        assert_eq!(
            PublishTarget::parse("file:///tmp/out"),
            Ok(PublishTarget::Files(PathBuf::from("/tmp/out")))
        );
        let error = PublishTarget::parse("kafka://x").unwrap_err();
        assert!(error.contains("kafka://x"), "{error}");
        assert!(PublishTarget::parse("file://").is_err());
    }
}
